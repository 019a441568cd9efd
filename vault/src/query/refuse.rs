//! How the query route refuses: the refusal the researcher reads, and what the owner's audit log records.

use alloy::primitives::Address;
use axum::http::StatusCode;
use dnavault_consent::{ConsentError, gate::GateError};
use dnavault_protocol::query::QueryKind;

use super::{
    RunError,
    limit::{Admit, IN_ALL, PER_RESEARCHER},
};
use crate::{ApiError, VaultService};

/// A signed, granted request about to be refused for asking what its grant does not allow.
pub(super) struct Refusal<'a> {
    pub(super) service: &'a VaultService,
    pub(super) researcher: Address,
    pub(super) kind: QueryKind,
}

impl Refusal<'_> {
    /// Refuses with `check` and `why`, written in the owner's audit log first.
    pub(super) async fn audited(&self, check: &'static str, why: &str) -> ApiError {
        let detail = format!("{}: {why}", self.kind);
        for_the_owner(self.service, self.researcher, "query-refused", &detail).await;
        tracing::info!(researcher = %self.researcher, kind = %self.kind, check, "query refused");
        refused(check, detail)
    }
}

/// The refusal of a request the gate turned down. Refusals of requests the researcher did sign go to the
/// owner's audit log (the gate checks the vault and the deadline before the signature: those refusals may
/// name anyone).
pub(super) async fn gate_refused(
    service: &VaultService,
    researcher: Address,
    kind: &str,
    error: &GateError,
) -> ApiError {
    let mut refusal = gate_refusal(error);
    refusal.error = format!("{kind}: {}", refusal.error);
    let signed = !matches!(
        error,
        GateError::BadSignature { .. }
            | GateError::WrongVault { .. }
            | GateError::Expired { .. }
            | GateError::TooFarAhead { .. }
    );
    if signed {
        for_the_owner(
            service,
            researcher,
            "query-refused",
            &format!("{kind}: {error}"),
        )
        .await;
    }
    tracing::info!(%researcher, %kind, check = refusal.check, "query refused");
    refusal
}

/// Writes what happened to `researcher`'s request in the owner's audit log (a failure to is logged: the
/// answer to the researcher does not wait on it). Refusals are recorded within the limiter's bounds, the rest
/// counted and reported in one entry later.
async fn for_the_owner(service: &VaultService, researcher: Address, action: &str, detail: &str) {
    if action == "query-refused" {
        match service.refusals().admit(researcher) {
            Admit::Count => return,
            Admit::Record { unrecorded: 0 } => {}
            Admit::Record { unrecorded } => {
                let summary = format!(
                    "{unrecorded} refused requests were not recorded one by one (more than {PER_RESEARCHER} \
                     from one researcher, or {IN_ALL} in all, in a minute)"
                );
                write(service, "vault", "refusals-counted", &summary).await;
            }
        }
    }
    write(service, &researcher.to_string(), action, detail).await;
}

async fn write(service: &VaultService, actor: &str, action: &str, detail: &str) {
    match service.store().audit(actor, action, None, detail).await {
        Ok(()) => {}
        // A sealed vault has no log to write: the refusal was that it is sealed.
        Err(dnavault_store::StoreError::AuditClosed) => {}
        Err(e) => tracing::error!(%e, "cannot write the audit log"),
    }
}

pub(super) fn refused(check: &'static str, error: String) -> ApiError {
    ApiError {
        status: StatusCode::FORBIDDEN,
        error,
        check,
    }
}

pub(super) fn replayed(nonce: &str) -> ApiError {
    ApiError {
        status: StatusCode::CONFLICT,
        error: format!("the request with nonce {nonce} already ran (replayed request)"),
        check: "replayed",
    }
}

fn gate_refusal(error: &GateError) -> ApiError {
    let check = match error {
        GateError::WrongVault { .. } => "wrong-vault",
        GateError::Expired { .. } | GateError::TooFarAhead { .. } => "expired",
        GateError::BadSignature { .. } => "signature",
        GateError::ApprovalNeeded | GateError::BadApproval(_) => "owner-approval",
        GateError::Consent(ConsentError::NoGrant { .. }) => "no-grant",
        GateError::Consent(ConsentError::Revoked { .. }) => "revoked",
        GateError::Consent(ConsentError::Expired { .. }) => "grant-expired",
        GateError::Consent(ConsentError::ToolNotApproved { .. }) => "tool-not-approved",
        GateError::Consent(ConsentError::Stale { .. } | ConsentError::Chain(_)) => {
            return ApiError {
                status: StatusCode::SERVICE_UNAVAILABLE,
                error: error.to_string(),
                check: "chain-unreadable",
            };
        }
        GateError::Consent(ConsentError::HeadTooOld { .. }) => {
            return ApiError {
                status: StatusCode::SERVICE_UNAVAILABLE,
                error: error.to_string(),
                check: "chain-frozen",
            };
        }
        // An endpoint answered with a proof that does not hold: nothing is decided on its word.
        GateError::Consent(ConsentError::Unproven(_)) => {
            return ApiError {
                status: StatusCode::SERVICE_UNAVAILABLE,
                error: error.to_string(),
                check: "chain-unproven",
            };
        }
    };
    refused(check, error.to_string())
}

/// A query that could not run. The researcher learns why when it is their input or the vault's state; a
/// failure reading the genome is described only in the owner's audit log (it could quote the file).
pub(super) async fn failed(
    service: &VaultService,
    researcher: Address,
    kind: QueryKind,
    error: RunError,
) -> ApiError {
    // What a tool complained of stays with the owner: it could quote the genome.
    let complaint = match &error {
        RunError::Tool(crate::query::run::tool::ToolError::Failed { complaint, .. })
            if !complaint.is_empty() =>
        {
            format!("; it said: {complaint}")
        }
        _ => String::new(),
    };
    for_the_owner(
        service,
        researcher,
        "query-failed",
        &format!("{kind}: {error}{complaint}"),
    )
    .await;
    match error {
        RunError::NoGenome
        | RunError::RawOnly
        | RunError::SeveralGenomes(_)
        | RunError::SeveralSamples { .. } => ApiError {
            status: StatusCode::CONFLICT,
            error: error.to_string(),
            check: "genome",
        },
        RunError::Undescribed(_) => refused("outside-scope", error.to_string()),
        RunError::Tool(ref tool) => tool_refusal(tool),
        RunError::Scoring(e) => ApiError::bad_request("query", e.to_string()),
        RunError::Genome(_) | RunError::Store(_) => {
            tracing::error!(%kind, "a query failed reading the genome (described in the audit log)");
            ApiError {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                error: "the vault could not read its genome; its owner's audit log says why".into(),
                check: "genome",
            }
        }
    }
}

/// What the researcher learns of a tool that did not run or finish (its output and complaints stay in).
fn tool_refusal(error: &crate::query::run::tool::ToolError) -> ApiError {
    use crate::query::run::tool::ToolError as E;
    let (status, check) = match error {
        E::Unavailable(_) | E::Sandbox(_) => (StatusCode::SERVICE_UNAVAILABLE, "tool-unavailable"),
        E::Altered(_) => (StatusCode::CONFLICT, "tool-altered"),
        E::Missing(_) => (StatusCode::BAD_REQUEST, "query"),
        E::NoIndex => (StatusCode::CONFLICT, "genome"),
        E::NotHere | E::Failed { .. } | E::Output(_) => {
            (StatusCode::UNPROCESSABLE_ENTITY, "tool-failed")
        }
    };
    ApiError {
        status,
        error: error.to_string(),
        check,
    }
}
