//! The JSON API: every route declared once ([`routes`]) and documented by `api/openapi.json`, which a test
//! holds to the same list. The pages call the same [`crate::db::read`] functions.

use axum::{
    Json,
    extract::{
        Path, Query, State,
        rejection::{JsonRejection, QueryRejection},
    },
    http::{Method, header},
    response::IntoResponse,
    routing::{MethodRouter, get, post},
};
use serde::Deserialize;
use serde_json::json;

use crate::{
    AppError, AppState,
    db::read::{Page, REQUEST_STATUSES, RequestFilter},
    verify::Verification,
};

/// One route: its method and path (as OpenAPI writes them) and its handler.
pub struct Route {
    /// The HTTP method.
    pub method: Method,
    /// The path, with `{param}` placeholders.
    pub path: &'static str,
    pub(crate) handler: MethodRouter<AppState>,
}

/// Every route of the JSON API.
pub fn routes() -> Vec<Route> {
    let route = |method, path, handler| Route {
        method,
        path,
        handler,
    };
    vec![
        route(Method::GET, "/healthz", get(healthz)),
        route(Method::GET, "/api/deployment", get(deployment)),
        route(Method::GET, "/api/vaults", get(vaults)),
        route(Method::GET, "/api/vaults/{id}", get(vault)),
        route(
            Method::GET,
            "/api/vaults/{id}/verification",
            get(verification_json),
        ),
        route(
            Method::GET,
            "/api/vaults/{id}/audit",
            get(crate::audit_carrier::carry_audit_read),
        ),
        route(
            Method::GET,
            "/api/owners/{address}/vaults",
            get(owner_vaults),
        ),
        route(Method::GET, "/api/requests", get(requests)),
        route(
            Method::POST,
            "/api/requests",
            post(file_request).layer(axum::extract::DefaultBodyLimit::max(FILING_BODY_LIMIT)),
        ),
        route(Method::GET, "/api/requests/{id}", get(request)),
        route(
            Method::POST,
            "/api/relay",
            post(relay).layer(axum::extract::DefaultBodyLimit::max(RELAY_BODY_LIMIT)),
        ),
        route(Method::GET, "/api/openapi.json", get(openapi)),
    ]
}

/// The API's OpenAPI 3.1 description (`GET /api/openapi.json`).
pub const OPENAPI: &str = include_str!("../api/openapi.json");

async fn openapi() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI)
}

async fn healthz(State(state): State<AppState>) -> Result<impl IntoResponse, AppError> {
    let index = state.db.index_state().await?;
    Ok(Json(json!({ "status": "ok", "index": index })))
}

/// The chain and registry this website indexes and relays for (what a wallet signs relay messages under),
/// and the RPC it suggests the phone app reads the chain through.
async fn deployment(State(state): State<AppState>) -> Json<serde_json::Value> {
    Json(json!({
        "chainId": state.deployment.chain_id,
        "registry": state.deployment.registry.to_checksum(None),
        "rpcUrl": state.public_rpc.as_str(),
    }))
}

/// A list's paging parameters, as the query string gives them.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PageQuery {
    offset: Option<u64>,
    limit: Option<u64>,
}

impl PageQuery {
    pub(crate) fn page(&self) -> Result<Page, AppError> {
        let limit = self.limit.unwrap_or(50);
        if limit == 0 || limit > Page::MAX {
            return Err(AppError::bad_request(
                "limit",
                format!("limit must be 1 to {}, not {limit}", Page::MAX),
            ));
        }
        Ok(Page {
            offset: self.offset.unwrap_or(0),
            limit,
        })
    }
}

async fn vaults(
    State(state): State<AppState>,
    query: Result<Query<PageQuery>, QueryRejection>,
) -> Result<impl IntoResponse, AppError> {
    let page = query.map_err(AppError::query)?.page()?;
    let vaults = state.db.vaults(page, state.now()).await?;
    Ok(Json(json!({ "vaults": vaults })))
}

async fn vault(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, AppError> {
    let id = parse_id("vault", &id)?;
    let vault = state.db.vault(id, state.now()).await?;
    vault
        .map(Json)
        .ok_or_else(|| AppError::not_found("vault", id))
}

/// The vaults an account owns now, in full (what the owner's phone lists grants and requests from).
async fn owner_vaults(
    State(state): State<AppState>,
    Path(address): Path<String>,
) -> Result<impl IntoResponse, AppError> {
    let owner = parse_address("the owner", &address)?;
    let vaults = state.db.vaults_of(owner, state.now()).await?;
    Ok(Json(json!({ "vaults": vaults })))
}

async fn verification_json(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, AppError> {
    Ok(Json(verification(&state, &id).await?))
}

/// The verifier view of the vault whose id `id` is: the website checks its attestation now.
pub(crate) async fn verification(state: &AppState, id: &str) -> Result<Verification, AppError> {
    let id = parse_id("vault", id)?;
    let vault = state.db.vault(id, state.now()).await?;
    let vault = vault.ok_or_else(|| AppError::not_found("vault", id))?;
    Ok(crate::verify::verify(&vault, state.deployment, &state.verifier, &state.outbound).await)
}

/// The largest signed message the relayer reads.
const RELAY_BODY_LIMIT: usize = 64 * 1024;

/// `POST /api/relay`: an owner's signed registry message, submitted for them.
async fn relay(
    State(state): State<AppState>,
    body: Result<Json<crate::relayer::RelayRequest>, JsonRejection>,
) -> Result<impl IntoResponse, AppError> {
    let Some(relayer) = state.relayer.clone() else {
        return Err(AppError {
            status: axum::http::StatusCode::NOT_FOUND,
            error: "this website runs no relayer: submit the message yourself (dnavault-wallet ... --send)"
                .into(),
            check: "no-relayer",
        });
    };
    let Json(request) = body.map_err(|rejection| AppError {
        status: rejection.status(),
        error: format!(
            "the body must be a signed message as dnavault-wallet prints it (JSON, at most {} KiB): {}",
            RELAY_BODY_LIMIT / 1024,
            rejection.body_text()
        ),
        check: "body",
    })?;
    Ok(Json(relayer.relay(request, state.now()).await?))
}

/// The largest signed access request the website reads (its descriptor is in the calldata).
pub(crate) const FILING_BODY_LIMIT: usize = 256 * 1024;

/// `POST /api/requests`: a researcher's signed `requestAccess` transaction, checked and broadcast.
async fn file_request(
    State(state): State<AppState>,
    body: Result<Json<crate::filing::SignedRequest>, JsonRejection>,
) -> Result<impl IntoResponse, AppError> {
    let Json(signed) = body.map_err(|rejection| AppError {
        status: rejection.status(),
        error: format!(
            "the body must be {{\"transaction\": \"0x...\"}} as dnavault-wallet request-access \
             --sign-only prints it (JSON, at most {} KiB): {}",
            FILING_BODY_LIMIT / 1024,
            rejection.body_text()
        ),
        check: "body",
    })?;
    let filed = crate::filing::file(&state.chain, state.deployment, &signed.transaction).await?;
    Ok((axum::http::StatusCode::CREATED, Json(filed)))
}

/// The filters of `GET /api/requests`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RequestQuery {
    vault: Option<String>,
    researcher: Option<String>,
    status: Option<String>,
    offset: Option<u64>,
    limit: Option<u64>,
}

impl RequestQuery {
    pub(crate) fn filter(&self) -> Result<(RequestFilter, Page), AppError> {
        let page = PageQuery {
            offset: self.offset,
            limit: self.limit,
        }
        .page()?;
        let vault = self
            .vault
            .as_deref()
            .map(|id| parse_id("vault", id))
            .transpose()?;
        let researcher = self
            .researcher
            .as_deref()
            .map(|text| parse_address("researcher", text))
            .transpose()?;
        // A form's "any" sends an empty status.
        let status = self.status.clone().filter(|s| !s.is_empty());
        if let Some(status) = &status
            && !REQUEST_STATUSES.contains(&status.as_str())
        {
            return Err(AppError::bad_request(
                "status",
                format!(
                    "status must be one of {}, not {status:?}",
                    REQUEST_STATUSES.join(", ")
                ),
            ));
        }
        Ok((
            RequestFilter {
                vault,
                researcher,
                status,
            },
            page,
        ))
    }
}

async fn requests(
    State(state): State<AppState>,
    query: Result<Query<RequestQuery>, QueryRejection>,
) -> Result<impl IntoResponse, AppError> {
    let (filter, page) = query.map_err(AppError::query)?.filter()?;
    let requests = state.db.requests(&filter, page, state.now()).await?;
    Ok(Json(json!({ "requests": requests })))
}

async fn request(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, AppError> {
    let id = parse_id("access request", &id)?;
    let request = state.db.request(id, state.now()).await?;
    request
        .map(Json)
        .ok_or_else(|| AppError::not_found("access request", id))
}

/// A registry id as a path or query gives it.
pub(crate) fn parse_id(what: &'static str, text: &str) -> Result<u64, AppError> {
    text.parse::<u64>()
        .ok()
        .filter(|id| *id > 0 && i64::try_from(*id).is_ok())
        .ok_or_else(|| {
            AppError::bad_request(
                "id",
                format!("{what} ids are whole numbers from 1, not {text:?}"),
            )
        })
}

/// An Ethereum address as a path or query gives it (checksummed or all one case).
pub(crate) fn parse_address(
    what: &'static str,
    text: &str,
) -> Result<alloy::primitives::Address, AppError> {
    let bad = || {
        AppError::bad_request(
            "address",
            format!("{what} must be an Ethereum address (0x and 40 hex digits), not {text:?}"),
        )
    };
    let address: alloy::primitives::Address = text.parse().map_err(|_| bad())?;
    let digits = text.strip_prefix("0x").unwrap_or(text);
    let mixed = digits.chars().any(|c| c.is_ascii_uppercase())
        && digits.chars().any(|c| c.is_ascii_lowercase());
    if mixed && address.to_checksum(None)[2..] != *digits {
        return Err(AppError::bad_request(
            "address",
            format!("{what} {text:?} has a wrong checksum: check it was copied whole"),
        ));
    }
    Ok(address)
}
