//! Who may put what in whose inbox: the relay files a request for an owner only from a sender with a
//! standing towards that owner, so it cannot carry phishing.
//!
//! - a **boot request** only from a vault whose attestation the relay verified itself: the evidence binds the
//!   sender's key, it is for one of the owner's vaults, and its code is approved on-chain;
//! - a **query approval request** only from a researcher with a pending access request to one of the owner's
//!   vaults, or a live grant there that asks for per-query approval;
//! - a **code update request** only from the bound key of one of the owner's vaults;
//! - an **answer** only from the owner of a vault (to a vault's or a researcher's inbox).

use alloy::primitives::{Address, keccak256};
use axum::http::StatusCode;
use dnavault_attest::{CheckedEvidence, ExpectedVault};
use dnavault_protocol::boot::BootRequest;
use dnavault_relay::{Envelope, Kind, SignedRegistration};

use crate::{AppError, AppState, db::hex0x};

/// Refuses unless `envelope`'s sender has a standing to send a `kind` message to `recipient`.
pub(super) async fn check(
    state: &AppState,
    kind: Kind,
    envelope: &Envelope,
    evidence: Option<&BootRequest>,
    recipient: &SignedRegistration,
    now: u64,
) -> Result<(), AppError> {
    let sender = envelope.message.sender;
    let owner = recipient.registration.account;
    let held = match kind {
        Kind::BootRequest => boot_standing(state, sender, owner, evidence).await?,
        Kind::QueryApprovalRequest => researcher_standing(state, sender, owner, now).await?,
        Kind::CodeUpdateRequest => bound_key_standing(state, sender, owner).await?,
        Kind::BootAnswer | Kind::QueryApprovalAnswer | Kind::CodeUpdateAnswer => {
            owns_a_vault(state, sender).await?
        }
    };
    match held {
        Ok(()) => Ok(()),
        Err(why) => Err(AppError {
            status: StatusCode::FORBIDDEN,
            error: format!(
                "the relay does not carry this {kind:?} from {sender} to {owner}: {why}"
            ),
            check: "standing",
        }),
    }
}

/// A check that holds, or why not.
type Standing = Result<(), String>;

async fn boot_standing(
    state: &AppState,
    sender: Address,
    owner: Address,
    evidence: Option<&BootRequest>,
) -> Result<Standing, AppError> {
    let Some(evidence) = evidence else {
        return Ok(Err(
            "a boot request travels with the vault's evidence, which is missing".into(),
        ));
    };
    if evidence.vault_key != sender {
        return Ok(Err(format!(
            "the evidence binds vault key {}, not the sender",
            evidence.vault_key
        )));
    }
    let expected = ExpectedVault {
        chain_id: state.deployment.chain_id,
        registry: state.deployment.registry,
        vault_id: Some(evidence.vault_id),
    };
    let checked = match CheckedEvidence::check(evidence, expected, &state.verifier) {
        Ok(checked) => checked,
        Err(error) => return Ok(Err(format!("its attestation does not verify: {error}"))),
    };
    let id = u64::try_from(evidence.vault_id).unwrap_or(u64::MAX);
    let Some(vault) = state.db.vault(id, state.now()).await? else {
        return Ok(Err(format!("there is no vault {}", evidence.vault_id)));
    };
    if vault.summary.owner != owner {
        return Ok(Err(format!("vault {id} is not the inbox's account's")));
    }
    let hash = keccak256(checked.measurement());
    if !vault
        .measurements
        .iter()
        .any(|m| m.hash == hash && m.approved)
    {
        return Ok(Err(format!(
            "vault {id}'s owner has not approved the code it runs"
        )));
    }
    Ok(Ok(()))
}

async fn researcher_standing(
    state: &AppState,
    researcher: Address,
    owner: Address,
    now: u64,
) -> Result<Standing, AppError> {
    let count: i64 = sqlx::query_scalar(
        "SELECT (SELECT COUNT(*) FROM access_requests r JOIN vaults v ON v.id = r.vault_id
                 WHERE v.owner = $1 AND r.researcher = $2 AND r.status = 'pending'
                     AND r.requested_expiry > $3)
              + (SELECT COUNT(*) FROM grants g JOIN vaults v ON v.id = g.vault_id
                 WHERE v.owner = $1 AND g.grantee = $2 AND g.per_query_approval AND NOT g.revoked
                     AND g.epoch = v.epoch AND g.expiry > $3)",
    )
    .bind(hex0x(owner))
    .bind(hex0x(researcher))
    .bind(i64::try_from(now).unwrap_or(i64::MAX))
    .fetch_one(state.db.pool())
    .await
    .map_err(AppError::internal)?;
    Ok(match count > 0 {
        true => Ok(()),
        false => Err(
            "the researcher has no pending access request to, and no grant asking for per-query \
             approval on, any of the account's vaults"
                .into(),
        ),
    })
}

async fn bound_key_standing(
    state: &AppState,
    sender: Address,
    owner: Address,
) -> Result<Standing, AppError> {
    let count: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM vaults WHERE owner = $1 AND vault_key = $2")
            .bind(hex0x(owner))
            .bind(hex0x(sender))
            .fetch_one(state.db.pool())
            .await
            .map_err(AppError::internal)?;
    Ok(match count > 0 {
        true => Ok(()),
        false => Err("the sender is not the bound key of any of the account's vaults".into()),
    })
}

async fn owns_a_vault(state: &AppState, sender: Address) -> Result<Standing, AppError> {
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM vaults WHERE owner = $1")
        .bind(hex0x(sender))
        .fetch_one(state.db.pool())
        .await
        .map_err(AppError::internal)?;
    Ok(match count > 0 {
        true => Ok(()),
        false => Err("an answer comes from a vault's owner, and the sender owns none".into()),
    })
}
