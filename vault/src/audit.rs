//! `GET /v1/audit`: the vault's audit log and receipts, a page at a time, for its owner only (a signed [`OwnerRead`] in the
//! `x-dnavault-owner` header, checked against the registry's current owner), sealed to the key the read names.
//! Entries name who acted, what and when, never genome contents or results.

use alloy::{primitives::U256, sol_types::SolStruct};
use axum::{
    Json,
    extract::{Query, State, rejection::QueryRejection},
    http::{HeaderMap, StatusCode},
};
use dnavault_consent::owner::{OwnerSignatureError, require_owner_signature};
use dnavault_protocol::{
    audit::{AuditLog, AuditPage, AuditReceipt, MAX_AUDIT_PAGE, SealedAuditLog},
    clock::unix_now,
    eip712::registry_domain,
    owner_read::{MAX_OWNER_READ_SECONDS, OwnerRead, SignedOwnerRead},
};

use dnavault_store::Page;

use crate::{ApiError, VaultService};

pub(crate) async fn get_audit(
    State(service): State<VaultService>,
    headers: HeaderMap,
    page: Result<Query<AuditPage>, QueryRejection>,
) -> Result<Json<SealedAuditLog>, ApiError> {
    let Query(page) =
        page.map_err(|e| ApiError::bad_request("page", format!("the page to read: {e}")))?;
    let read = authorize_owner(&service, &headers, "audit").await?;
    if read.recipientKey.is_zero() {
        return Err(ApiError::bad_request(
            "recipient-key",
            "the read names no key to seal the log to: set its recipientKey to your HPKE public key".into(),
        ));
    }
    let recipient = dnavault_envelope::PublicKey::from_bytes(read.recipientKey.as_slice())
        .map_err(|e| ApiError::bad_request("recipient-key", e.to_string()))?;
    // The head first: an entry moves it only once committed, so the page read next reaches it.
    let head = service.store().audit_head().await;
    let records = service
        .store()
        .records(Page {
            entries_after: page.entries_after,
            receipts_after: page.receipts_after,
            limit: page.limit.unwrap_or(MAX_AUDIT_PAGE).min(MAX_AUDIT_PAGE),
        })
        .await
        .map_err(ApiError::store)?;
    let receipts = records
        .receipts
        .into_iter()
        .map(|receipt| AuditReceipt {
            receipt_hash: receipt.receipt_hash,
            at: receipt.at,
            batch: receipt.batch,
            anchored_block: receipt.anchored_block,
        })
        .collect();
    let identity = service.identity();
    let log = AuditLog {
        vault_id: identity.vault_id,
        entries: records.entries,
        receipts,
        next_entries_after: records.next_entries_after,
        next_receipts_after: records.next_receipts_after,
        head,
    };
    let digest = read.eip712_signing_hash(&registry_domain(identity.chain_id, identity.registry));
    let plaintext = serde_json::to_vec(&log).map_err(ApiError::internal)?;
    let sealed = dnavault_envelope::seal(
        &recipient,
        dnavault_envelope::context::AUDIT_LOG,
        digest.as_slice(),
        &plaintext,
    )
    .map_err(ApiError::internal)?;
    Ok(Json(SealedAuditLog {
        vault_id: identity.vault_id,
        sealed: sealed.to_bytes().into(),
    }))
}

/// Checks the owner's signed read authorization for `what` in `headers`, and gives it.
async fn authorize_owner(
    service: &VaultService,
    headers: &HeaderMap,
    what: &str,
) -> Result<OwnerRead, ApiError> {
    let signed: SignedOwnerRead = crate::api::signed_header(headers, "owner", |header| {
        format!("reading the {what} log needs the owner's signed `{header}` header")
    })?;
    let read = &signed.read;
    let identity = service.identity();
    let refuse = |error: String| ApiError {
        status: StatusCode::FORBIDDEN,
        error,
        check: "owner",
    };
    if read.vaultId != U256::from(identity.vault_id) {
        return Err(refuse(format!(
            "the authorization is for vault {}, this is vault {}",
            read.vaultId, identity.vault_id
        )));
    }
    if read.what != what {
        return Err(refuse(format!(
            "the authorization is to read `{}`, not `{what}`",
            read.what
        )));
    }
    let now = unix_now().map_err(ApiError::internal)?;
    if read.deadline < U256::from(now) {
        return Err(refuse(format!(
            "the authorization expired at Unix time {}",
            read.deadline
        )));
    }
    if read.deadline > U256::from(now.saturating_add(MAX_OWNER_READ_SECONDS)) {
        return Err(refuse(format!(
            "the authorization is valid until {}; at most {MAX_OWNER_READ_SECONDS} s ahead is accepted",
            read.deadline
        )));
    }
    require_owner_signature(
        service.registry(),
        &registry_domain(identity.chain_id, identity.registry),
        read.vaultId,
        read,
        &signed.signature,
    )
    .await
    .map_err(|error| match error {
        OwnerSignatureError::Chain(reason) => ApiError::chain(reason),
        OwnerSignatureError::NotOwner { .. } => refuse(format!(
            "the authorization is not signed by vault {}'s owner",
            identity.vault_id
        )),
    })?;
    Ok(signed.read)
}
