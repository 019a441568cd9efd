//! `GET /api/vaults/{id}/audit`: the website carries an owner's signed audit read to their vault and the
//! vault's sealed answer back, for a phone app that cannot pin the vault's attested TLS key itself. The
//! website reaches the vault as its verifier view does (the outbound policy, the attestation checked, the
//! measurement approved in the index, then TLS pinned to the attested key) and reads nothing of the answer:
//! it is sealed to the key the owner's read names, and the app checks the log under its own audit key.

use axum::{
    Json,
    extract::{Path, Query, State, rejection::QueryRejection},
    http::{HeaderMap, StatusCode},
};
use dnavault_attest::ExpectedVault;
use dnavault_protocol::{
    audit::{AuditPage, SealedAuditLog},
    header::SignedHeader,
    owner_read::SignedOwnerRead,
};
use dnavault_ratls::{AttestedVault, RatlsError};

use crate::{AppError, AppState};

/// The longest read header carried (a signed read is a few hundred bytes).
const HEADER_LIMIT: usize = 4 * 1024;

/// The most time the vault has to attest and answer.
const VAULT_LIMIT: std::time::Duration = std::time::Duration::from_secs(15);

/// Carries the read in the `x-dnavault-owner` header to vault `id` and hands back its sealed page.
pub(crate) async fn carry_audit_read(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    page: Result<Query<AuditPage>, QueryRejection>,
) -> Result<Json<SealedAuditLog>, AppError> {
    let Query(page) = page.map_err(AppError::query)?;
    let read = read_header(&headers)?;
    let id = crate::api::parse_id("vault", &id)?;
    let vault = state.db.vault(id, state.now()).await?;
    let vault = vault.ok_or_else(|| AppError::not_found("vault", id))?;
    let url = vault.summary.uri.clone();
    if url.is_empty() {
        return Err(unpublished(format!(
            "vault {id}'s owner has published no URI for it: they set one on-chain (setVaultUri)"
        )));
    }
    if let Some(refusal) = state.outbound.refusal(&url).await {
        return Err(unpublished(format!(
            "the website does not reach it: {refusal}"
        )));
    }
    let _permit = state.outbound.permit().await;
    let expected = ExpectedVault {
        chain_id: state.deployment.chain_id,
        registry: state.deployment.registry,
        vault_id: Some(alloy::primitives::U256::from(id)),
    };
    let approved = async |_, measurement: alloy::primitives::Bytes| {
        let hash = alloy::primitives::keccak256(&measurement);
        let approved = vault
            .measurements
            .iter()
            .any(|m| m.hash == hash && m.approved);
        Ok::<_, std::convert::Infallible>(approved)
    };
    let fetch = async {
        let attested = AttestedVault::connect(&url, expected, &state.verifier, approved).await?;
        let path = format!("v1/audit?{}", page.to_query());
        let headers = [(SignedOwnerRead::HEADER, read)];
        attested
            .client()
            .get_with::<SealedAuditLog>(&path, &headers)
            .await
    };
    match tokio::time::timeout(VAULT_LIMIT, fetch).await {
        Ok(Ok(fetched)) if fetched.value.vault_id == id => Ok(Json(fetched.value)),
        Ok(Ok(fetched)) => Err(unreachable(format!(
            "it answered for vault {} instead",
            fetched.value.vault_id
        ))),
        Ok(Err(error)) => Err(vault_error(error)),
        Err(_) => Err(unreachable(format!(
            "it did not answer within {} s",
            VAULT_LIMIT.as_secs()
        ))),
    }
}

/// The read header, as it came (the vault checks it; the website only bounds it).
fn read_header(headers: &HeaderMap) -> Result<String, AppError> {
    let missing = || {
        AppError::refused(
            StatusCode::UNAUTHORIZED,
            "owner",
            format!(
                "reading the audit log needs the owner's signed `{}` header",
                SignedOwnerRead::HEADER
            ),
        )
    };
    let value = headers.get(SignedOwnerRead::HEADER).ok_or_else(missing)?;
    if value.len() > HEADER_LIMIT {
        return Err(AppError::bad_request(
            "owner",
            format!(
                "the read header is {} bytes; at most {HEADER_LIMIT} are carried",
                value.len()
            ),
        ));
    }
    value.to_str().map(str::to_owned).map_err(|_| missing())
}

/// The vault's refusal passed on as it gave it; anything else says the vault was not reached.
fn vault_error(error: RatlsError) -> AppError {
    match error {
        RatlsError::Status {
            status, message, ..
        } if (400..500).contains(&status) => AppError::refused(
            StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
            "vault",
            format!("the vault refused the read: {message}"),
        ),
        other => unreachable(other.to_string()),
    }
}

/// The vault's published URI is not one the website reaches.
fn unpublished(reason: String) -> AppError {
    AppError::refused(StatusCode::CONFLICT, "vault", reason)
}

fn unreachable(reason: String) -> AppError {
    AppError::refused(
        StatusCode::BAD_GATEWAY,
        "vault",
        format!("the vault was not reached: {reason}"),
    )
}
