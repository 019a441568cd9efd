//! The one error every handler answers with: a refusal the client can act on, or an internal error that
//! is logged for the operator and answered only as "internal error".

use axum::{
    Json,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use dnavault_protocol::Refusal;

use crate::BootError;

/// A refusal, answered as the protocol's [`Refusal`]: `{"error": what was refused and why, "check": which check}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// What was refused and why.
    pub error: String,
    /// A short name for the check that failed.
    pub check: &'static str,
}

impl ApiError {
    pub(crate) fn conflict(error: &str) -> Self {
        Self {
            status: StatusCode::CONFLICT,
            error: error.into(),
            check: "state",
        }
    }

    /// The request is malformed: `what` says which part.
    pub fn bad_request(what: &'static str, error: String) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            error,
            check: what,
        }
    }

    /// The chain cannot be read: nothing runs on an unverifiable approval.
    pub fn chain(error: String) -> Self {
        Self {
            status: StatusCode::SERVICE_UNAVAILABLE,
            error: format!("cannot read the registry: {error}"),
            check: "chain-unreadable",
        }
    }

    /// The vault failed. The reason is logged here, for the operator; the client is told only that it
    /// was an internal error (the reason could quote a path, a database or the genome).
    pub fn internal(error: impl std::fmt::Display) -> Self {
        tracing::error!(%error, "internal error");
        Self {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            error: "internal error: the vault failed; its operator's log says why".into(),
            check: "internal",
        }
    }

    /// A store failure: its database out of reach is the client's to retry (503), anything else is
    /// internal.
    pub fn store(error: dnavault_store::StoreError) -> Self {
        match error {
            dnavault_store::StoreError::Unavailable(reason) => {
                tracing::warn!(%reason, "the store's database is unreachable");
                Self {
                    status: StatusCode::SERVICE_UNAVAILABLE,
                    error:
                        "the vault's database cannot be reached now; nothing was done: try again \
                            shortly"
                            .into(),
                    check: "store-unavailable",
                }
            }
            other => Self::internal(other),
        }
    }

    /// The vault is sealed: nothing that needs the data key runs.
    pub fn sealed() -> Self {
        Self {
            status: StatusCode::SERVICE_UNAVAILABLE,
            error: "the vault is sealed: its owner has not approved this boot".into(),
            check: "sealed",
        }
    }
}

impl From<BootError> for ApiError {
    fn from(error: BootError) -> Self {
        let status = match error {
            BootError::Chain(_) => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::FORBIDDEN,
        };
        Self {
            status,
            check: error.check(),
            error: error.to_string(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let refusal = Refusal {
            error: self.error,
            check: self.check.into(),
        };
        (self.status, Json(refusal)).into_response()
    }
}
