//! The vault's HTTPS API: every route declared once ([`routes`]), served by [`app`] and documented by
//! `api/openapi.json`, which a test holds to the same list. Requests are traced by their route (never by
//! their path, which can name an object) and, but for uploads and queries, answered within the settings'
//! `request_timeout`: those two read their body under their own deadline and are not cut off between the
//! steps that record them.

use std::time::Duration;

use axum::{
    Json, Router,
    body::HttpBody,
    extract::{MatchedPath, State},
    http::{HeaderMap, Method, Request, StatusCode},
    response::{IntoResponse, Response},
    routing::{MethodRouter, get, post, put},
};
use dnavault_protocol::{
    VaultStatus,
    boot::{BootRequest, BootResponse},
    header::SignedHeader,
};
use tower_http::{timeout::TimeoutLayer, trace::TraceLayer};

use crate::{ApiError, VaultService};

/// One route: its method and path (as OpenAPI writes them) and its handler.
pub struct Route {
    /// The HTTP method.
    pub method: Method,
    /// The path, with `{param}` placeholders.
    pub path: &'static str,
    /// Whether the request timeout applies (not to uploads and queries).
    bounded: bool,
    handler: MethodRouter<VaultService>,
}

/// Every route the vault serves.
pub fn routes() -> Vec<Route> {
    let route = |method, path, bounded, handler| Route {
        method,
        path,
        bounded,
        handler,
    };
    vec![
        route(Method::GET, "/v1/status", true, get(status)),
        route(Method::GET, "/v1/attestation", true, get(attestation)),
        route(Method::GET, "/v1/boot", true, get(boot_request)),
        route(Method::POST, "/v1/boot", true, post(boot_response)),
        route(
            Method::PUT,
            "/v1/objects/{id}",
            false,
            put(crate::ingest::put_object),
        ),
        route(
            Method::POST,
            "/v1/objects/{id}/approval",
            true,
            post(crate::ingest::check_upload),
        ),
        route(
            Method::POST,
            "/v1/queries",
            false,
            post(crate::query::post_query),
        ),
        route(
            Method::POST,
            "/v1/queries/ahead",
            true,
            post(crate::query::post_ahead),
        ),
        route(Method::GET, "/v1/audit", true, get(crate::audit::get_audit)),
        route(Method::GET, "/v1/openapi.json", true, get(openapi)),
    ]
}

/// The HTTP API over `service`, with tracing and the request timeout.
pub fn app(service: VaultService, request_timeout: Duration) -> Router {
    let router = routes().into_iter().fold(Router::new(), |router, route| {
        let handler = match route.bounded {
            true => within(route.handler, request_timeout),
            false => route.handler,
        };
        router.route(route.path, handler)
    });
    traced(router, request_timeout).with_state(service)
}

/// `handler`, answered 408 when it takes longer than `limit`.
fn within<S: Clone + Send + Sync + 'static>(
    handler: MethodRouter<S>,
    limit: Duration,
) -> MethodRouter<S> {
    handler.layer(TimeoutLayer::with_status_code(
        StatusCode::REQUEST_TIMEOUT,
        limit,
    ))
}

/// `router` with each request traced by its route, and time-outs answered as refusals.
fn traced<S: Clone + Send + Sync + 'static>(router: Router<S>, limit: Duration) -> Router<S> {
    router
        .layer(axum::middleware::map_response(move |response| {
            timed_out_in_words(response, limit)
        }))
        .layer(
            TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
                let route = request
                    .extensions()
                    .get::<MatchedPath>()
                    .map_or("unmatched", MatchedPath::as_str);
                tracing::info_span!("request", method = %request.method(), route)
            }),
        )
}

/// The signed message in `headers`' `H::HEADER`: a missing or malformed one is refused 401 under `check`,
/// with `missing(header)` saying what the request lacks.
pub(crate) fn signed_header<H: SignedHeader>(
    headers: &HeaderMap,
    check: &'static str,
    missing: impl FnOnce(&str) -> String,
) -> Result<H, ApiError> {
    let unauthorized = |error: String| ApiError {
        status: StatusCode::UNAUTHORIZED,
        error,
        check,
    };
    let value = headers
        .get(H::HEADER)
        .and_then(|value| value.to_str().ok())
        .ok_or_else(|| unauthorized(missing(H::HEADER)))?;
    H::from_header(value).map_err(|e| unauthorized(e.to_string()))
}

/// The timeout layer answers an empty 408: this says it in the API's refusal.
async fn timed_out_in_words(response: Response, limit: Duration) -> Response {
    if response.status() != StatusCode::REQUEST_TIMEOUT
        || response.body().size_hint().exact() != Some(0)
    {
        return response;
    }
    ApiError {
        status: StatusCode::REQUEST_TIMEOUT,
        error: format!(
            "the vault did not answer within {} s; try again",
            limit.as_secs()
        ),
        check: "timeout",
    }
    .into_response()
}

/// The API's OpenAPI 3.1 description (`GET /v1/openapi.json`).
pub const OPENAPI: &str = include_str!("../api/openapi.json");

async fn openapi() -> impl IntoResponse {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        OPENAPI,
    )
}

async fn status(State(service): State<VaultService>) -> Json<VaultStatus> {
    Json(service.status())
}

async fn attestation(State(service): State<VaultService>) -> Json<BootRequest> {
    Json(service.evidence().clone())
}

async fn boot_request(State(service): State<VaultService>) -> Result<Json<BootRequest>, ApiError> {
    service
        .boot_request()
        .await
        .map(Json)
        .ok_or_else(|| ApiError::conflict("the vault is not sealed: it has no boot request"))
}

async fn boot_response(
    State(service): State<VaultService>,
    body: Result<Json<BootResponse>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<VaultStatus>, ApiError> {
    let Json(response) = body.map_err(|e| ApiError {
        status: StatusCode::BAD_REQUEST,
        error: format!("the boot response is not valid: {}", e.body_text()),
        check: "request",
    })?;
    service.unseal(&response).await?;
    Ok(Json(service.status()))
}

#[cfg(test)]
mod tests {
    use super::{OPENAPI, routes};

    use std::time::Duration;

    use axum::{Router, body::Body, http::Request, routing::get};
    use dnavault_protocol::Refusal;
    use tower::ServiceExt;

    #[tokio::test]
    async fn a_request_past_its_time_is_answered_with_a_refusal_and_a_quick_one_is_not() {
        let limit = Duration::from_millis(50);
        let slow = || async {
            tokio::time::sleep(Duration::from_secs(5)).await;
            "too late"
        };
        let router = super::traced(
            Router::new()
                .route("/slow", super::within(get(slow), limit))
                .route("/quick", super::within(get(|| async { "in time" }), limit)),
            limit,
        );
        let call = |path: &'static str| {
            let router = router.clone();
            async move {
                let response = router
                    .oneshot(Request::get(path).body(Body::empty()).unwrap())
                    .await
                    .unwrap();
                let status = response.status().as_u16();
                let body = axum::body::to_bytes(response.into_body(), 1 << 16)
                    .await
                    .unwrap();
                (status, body)
            }
        };
        let (status, body) = call("/slow").await;
        let refusal = Refusal::from_body(&body).expect("a refusal");
        assert_eq!((status, refusal.check.as_str()), (408, "timeout"));
        assert!(refusal.error.contains("try again"), "{}", refusal.error);
        assert_eq!(call("/quick").await, (200, "in time".into()));
    }

    #[test]
    fn the_openapi_description_documents_every_route_and_no_other() {
        let routes = routes();
        dnavault_testkit::openapi::assert_documents_exactly(
            OPENAPI,
            routes.iter().map(|r| (r.method.as_str(), r.path)),
        );
    }
}
