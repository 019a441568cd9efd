//! `GET /v1/audit`: the vault's audit log and receipts, for its owner only (a signed [`OwnerRead`] in the
//! `x-dnavault-owner` header, checked against the registry's current owner). Entries name who acted, what and
//! when, never genome contents or results.

use alloy::{primitives::U256, sol_types::SolStruct};
use axum::{
    Json,
    extract::State,
    http::{HeaderMap, StatusCode},
};
use dnavault_contracts::{
    eip712::registry_domain,
    owner_read::{MAX_OWNER_READ_SECONDS, OWNER_READ_HEADER, OwnerRead, SignedOwnerRead},
};
use serde::Serialize;

use crate::{ApiError, VaultService, boot::unix_now};

/// What `GET /v1/audit` answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditLog {
    /// The vault.
    pub vault_id: u64,
    /// Every entry, oldest first.
    pub entries: Vec<AuditLogEntry>,
    /// Every receipt issued, oldest first, with where it was anchored.
    pub receipts: Vec<AuditReceipt>,
}

/// One audit entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditLogEntry {
    /// Unix seconds.
    pub at: i64,
    /// Who acted: a researcher's address, `owner` or `vault`.
    pub actor: String,
    /// `ingest`, `query`, `query-refused`, `anchor`, `delete`.
    pub action: String,
    /// The object, for object actions.
    pub object: Option<String>,
    /// What happened.
    pub detail: String,
}

/// One receipt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditReceipt {
    /// Its EIP-712 hash.
    pub receipt_hash: String,
    /// Unix seconds it was issued.
    pub at: i64,
    /// The anchored batch, once anchored.
    pub batch: Option<String>,
    /// The block it was anchored in, once anchored.
    pub anchored_block: Option<u64>,
}

pub(crate) async fn get_audit(
    State(service): State<VaultService>,
    headers: HeaderMap,
) -> Result<Json<AuditLog>, ApiError> {
    authorize_owner(&service, &headers, "audit").await?;
    let store = service.store();
    let internal = |e: dnavault_store::StoreError| ApiError::internal(e.to_string());
    let entries = store
        .audit_log()
        .await
        .map_err(internal)?
        .into_iter()
        .map(|entry| AuditLogEntry {
            at: entry.at,
            actor: entry.actor,
            action: entry.action,
            object: entry.object,
            detail: entry.detail,
        })
        .collect();
    let receipts = store
        .receipts()
        .await
        .map_err(internal)?
        .into_iter()
        .map(|receipt| AuditReceipt {
            receipt_hash: receipt.receipt_hash,
            at: receipt.at,
            batch: receipt.batch,
            anchored_block: receipt.anchored_block,
        })
        .collect();
    Ok(Json(AuditLog {
        vault_id: service.identity().vault_id,
        entries,
        receipts,
    }))
}

/// Checks the owner's signed read authorization for `what` in `headers`.
async fn authorize_owner(
    service: &VaultService,
    headers: &HeaderMap,
    what: &str,
) -> Result<(), ApiError> {
    let signed = headers
        .get(OWNER_READ_HEADER)
        .and_then(|value| value.to_str().ok())
        .and_then(SignedOwnerRead::from_header)
        .ok_or_else(|| ApiError {
            status: StatusCode::UNAUTHORIZED,
            error: format!(
                "reading the {what} log needs the owner's signed `{OWNER_READ_HEADER}` header"
            ),
            check: "owner",
        })?;
    let read: &OwnerRead = &signed.read;
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
    let now = unix_now();
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
    let digest = read.eip712_signing_hash(&registry_domain(identity.chain_id, identity.registry));
    let owners = service
        .registry()
        .isOwnerSignature(read.vaultId, digest, signed.signature.clone())
        .call()
        .await
        .map_err(|e| ApiError::chain(e.to_string()))?;
    if !owners {
        return Err(refuse(format!(
            "the authorization is not signed by vault {}'s owner",
            identity.vault_id
        )));
    }
    Ok(())
}
