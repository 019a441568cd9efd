//! The one error every handler answers with: a refusal the client can act on (the protocol's
//! [`Refusal`] JSON), or an internal error that is logged for the operator and answered only as such.

use axum::{
    Json,
    extract::rejection::QueryRejection,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use dnavault_protocol::Refusal;

use crate::WebError;

/// A refused request, or an internal failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppError {
    /// The HTTP status.
    pub status: StatusCode,
    /// What was refused and why.
    pub error: String,
    /// A short name for the check that failed.
    pub check: &'static str,
}

impl AppError {
    /// The request is malformed: `check` names the part.
    pub fn bad_request(check: &'static str, error: String) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            error,
            check,
        }
    }

    /// A refusal with `status`, naming the failed `check`.
    pub fn refused(status: StatusCode, check: &'static str, error: String) -> Self {
        Self {
            status,
            error,
            check,
        }
    }

    /// No `what` has id `id`.
    pub fn not_found(what: &str, id: u64) -> Self {
        Self {
            status: StatusCode::NOT_FOUND,
            error: format!(
                "no {what} has id {id} in the index: check the id, or wait for the index to reach the \
                 block that made it"
            ),
            check: "not-found",
        }
    }

    /// A query string that does not parse.
    pub(crate) fn query(rejection: QueryRejection) -> Self {
        Self::bad_request(
            "query",
            format!("the query string: {}", rejection.body_text()),
        )
    }

    /// The website failed; the reason is logged, the client told only that it was internal.
    pub fn internal(error: impl std::fmt::Display) -> Self {
        tracing::error!(%error, "internal error");
        Self {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            error: "internal error: the website failed; its operator's log says why".into(),
            check: "internal",
        }
    }
}

impl From<WebError> for AppError {
    fn from(error: WebError) -> Self {
        match error {
            WebError::DatabaseUnavailable(reason) => {
                tracing::warn!(%reason, "the database is unreachable");
                Self {
                    status: StatusCode::SERVICE_UNAVAILABLE,
                    error: "the website's database cannot be reached now: try again shortly".into(),
                    check: "database-unavailable",
                }
            }
            other => Self::internal(other),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let refusal = Refusal {
            error: self.error,
            check: self.check.into(),
        };
        (self.status, Json(refusal)).into_response()
    }
}
