//! The vault's HTTPS API while it boots: its status, its boot request and the owner's answer.
//!
//! A vault serves its boot request sealed, unseals on an answer that passes every check, and stays sealed on
//! any other. [`VaultService::seal`] wipes the keys and stops the service; a sealed vault boots again only as a
//! new process, with fresh keys and fresh evidence.

use std::sync::Arc;

use alloy::providers::DynProvider;
use axum::{
    Json, Router,
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::{get, post, put},
};
use dnavault_consent::ConsentCache;
use dnavault_protocol::{
    Refusal,
    VaultRegistry::VaultRegistryInstance,
    VaultState, VaultStatus,
    boot::{BootRequest, BootResponse},
};
use tokio::sync::{Mutex, watch};

use dnavault_store::Store;

use crate::{BootError, SealedVault, UnsealedVault, VaultIdentity};

/// Where a vault is in its life.
enum Phase {
    Sealed(Box<SealedVault>),
    Unsealed(Box<UnsealedVault>),
    /// Sealed for good: the keys are wiped and the service is stopping.
    Wiped,
}

/// The vault service's shared state.
#[derive(Clone)]
pub struct VaultService {
    inner: Arc<Inner>,
}

struct Inner {
    phase: Mutex<Phase>,
    status: std::sync::Mutex<VaultStatus>,
    identity: VaultIdentity,
    evidence: BootRequest,
    registry: VaultRegistryInstance<DynProvider>,
    store: Store,
    consent: Arc<ConsentCache>,
    /// One permit per query allowed to run at once.
    queries: tokio::sync::Semaphore,
    /// The memory query bodies being received may hold, before anyone is known to have sent them.
    query_bodies: tokio::sync::Semaphore,
    /// Receipts issued since start, for the anchoring task.
    issued: watch::Sender<u64>,
    stopped: watch::Sender<bool>,
}

impl VaultService {
    /// A service for a sealed vault, reading the registry through `registry`, keeping data in `store`,
    /// checking queries against the grants in `consent` (kept current by the caller).
    pub fn new(
        vault: SealedVault,
        registry: VaultRegistryInstance<DynProvider>,
        store: Store,
        consent: Arc<ConsentCache>,
    ) -> Self {
        let identity = vault.identity();
        let status = VaultStatus {
            state: VaultState::Sealed,
            chain_id: identity.chain_id,
            registry: identity.registry,
            vault_id: identity.vault_id,
            measurement: hex::encode(vault.measurement()),
            vault_key: vault.request().vault_key,
            tls_spki_sha256: vault.request().tls_spki_sha256,
            test_only: vault.is_test_only(),
            consent_block: None,
        };
        let evidence = vault.request().clone();
        Self {
            inner: Arc::new(Inner {
                phase: Mutex::new(Phase::Sealed(Box::new(vault))),
                status: std::sync::Mutex::new(status),
                identity,
                evidence,
                registry,
                store,
                consent,
                queries: tokio::sync::Semaphore::new(
                    std::thread::available_parallelism().map_or(2, std::num::NonZero::get),
                ),
                query_bodies: crate::query::body_budget(),
                issued: watch::channel(0).0,
                stopped: watch::channel(false).0,
            }),
        }
    }

    /// Which vault this is.
    pub fn identity(&self) -> VaultIdentity {
        self.inner.identity
    }

    /// The registry, as this vault reads it.
    pub fn registry(&self) -> &VaultRegistryInstance<DynProvider> {
        &self.inner.registry
    }

    /// The object store.
    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    /// The grants, as the consent cache mirrors them.
    pub fn consent(&self) -> &ConsentCache {
        &self.inner.consent
    }

    /// The budget query bodies share while they are received.
    pub(crate) fn query_body_budget(&self) -> &tokio::sync::Semaphore {
        &self.inner.query_bodies
    }

    /// Waits for a turn to run a query (one per core at once).
    pub(crate) async fn query_turn(
        &self,
    ) -> Result<tokio::sync::SemaphorePermit<'_>, tokio::sync::AcquireError> {
        self.inner.queries.acquire().await
    }

    /// Counts a receipt issued (wakes the anchoring task when a batch is full).
    pub(crate) fn receipt_issued(&self) {
        self.inner.issued.send_modify(|count| *count += 1);
    }

    /// Resolves once `count` more receipts have been issued.
    pub(crate) async fn receipts_waiting(&self, count: u32) {
        let mut issued = self.inner.issued.subscribe();
        let start = *issued.borrow_and_update();
        let _ = issued
            .wait_for(|now| now.saturating_sub(start) >= u64::from(count))
            .await;
    }

    /// Starts anchoring the receipts this vault issues (see [`crate::anchor`]).
    pub fn anchor_receipts(
        &self,
        config: crate::anchor::AnchorConfig,
    ) -> tokio::task::JoinHandle<()> {
        crate::anchor::spawn(self.clone(), config)
    }

    /// This boot's attestation evidence: the report binding the vault's keys, TLS key included.
    pub fn evidence(&self) -> &BootRequest {
        &self.inner.evidence
    }

    /// The vault's status.
    pub fn status(&self) -> VaultStatus {
        let mut status = self
            .inner
            .status
            .lock()
            .map(|s| s.clone())
            .unwrap_or_else(|poisoned| poisoned.into_inner().clone());
        status.consent_block = self.inner.consent.synced_block();
        status
    }

    /// The boot request, while sealed.
    pub async fn boot_request(&self) -> Option<BootRequest> {
        match &*self.inner.phase.lock().await {
            Phase::Sealed(vault) => Some(vault.request().clone()),
            _ => None,
        }
    }

    /// Checks the owner's answer and unseals. Any failed check leaves the vault sealed.
    pub async fn unseal(&self, response: &BootResponse) -> Result<(), ApiError> {
        let mut phase = self.inner.phase.lock().await;
        let Phase::Sealed(sealed) = &*phase else {
            return Err(ApiError::conflict(
                "the vault is not waiting for a boot approval",
            ));
        };
        let unsealed = match sealed.unseal(response, &self.inner.registry).await {
            Ok(unsealed) => unsealed,
            Err(error) => {
                tracing::warn!(check = error.check(), %error, "boot approval refused; still sealed");
                return Err(error.into());
            }
        };
        tracing::info!("boot approved by the owner; unsealed");
        *phase = Phase::Unsealed(Box::new(unsealed));
        self.set_state(VaultState::Unsealed);
        Ok(())
    }

    /// Runs `f` with the unsealed vault, or refuses while sealed.
    pub async fn with_unsealed<T>(
        &self,
        f: impl FnOnce(&UnsealedVault) -> T,
    ) -> Result<T, ApiError> {
        match &*self.inner.phase.lock().await {
            Phase::Unsealed(vault) => Ok(f(vault)),
            _ => Err(ApiError::sealed()),
        }
    }

    /// Wipes the keys and stops the service. Idempotent.
    pub async fn seal(&self) {
        *self.inner.phase.lock().await = Phase::Wiped;
        self.set_state(VaultState::Wiped);
        self.inner.stopped.send_replace(true);
    }

    /// Resolves once the vault is sealed for good.
    pub async fn stopped(&self) {
        let mut stopped = self.inner.stopped.subscribe();
        // The sender lives in `self`: waiting cannot fail while `self` exists.
        let _ = stopped.wait_for(|stopped| *stopped).await;
    }

    fn set_state(&self, state: VaultState) {
        match self.inner.status.lock() {
            Ok(mut status) => status.state = state,
            Err(poisoned) => poisoned.into_inner().state = state,
        }
    }

    /// The HTTP API.
    pub fn router(&self) -> Router {
        Router::new()
            .route("/v1/status", get(status))
            .route("/v1/attestation", get(attestation))
            .route("/v1/boot", get(boot_request).post(boot_response))
            .route("/v1/objects/{id}", put(crate::ingest::put_object))
            .route(
                "/v1/objects/{id}/approval",
                post(crate::ingest::check_upload),
            )
            .route("/v1/audit", get(crate::audit::get_audit))
            .route("/v1/openapi.json", get(openapi))
            .route("/v1/queries", post(crate::query::post_query))
            .with_state(self.clone())
    }
}

/// The API's OpenAPI 3.1 description (`GET /v1/openapi.json`).
pub const OPENAPI: &str = include_str!("../api/openapi.json");

/// Every route the vault serves, as (method, path): the OpenAPI description documents exactly these.
pub const ROUTES: [(&str, &str); 9] = [
    ("get", "/v1/status"),
    ("get", "/v1/attestation"),
    ("get", "/v1/boot"),
    ("post", "/v1/boot"),
    ("put", "/v1/objects/{id}"),
    ("post", "/v1/objects/{id}/approval"),
    ("post", "/v1/queries"),
    ("get", "/v1/audit"),
    ("get", "/v1/openapi.json"),
];

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
    fn conflict(error: &str) -> Self {
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

#[cfg(test)]
mod tests {
    use super::{OPENAPI, ROUTES};

    #[test]
    fn the_openapi_description_documents_every_route_and_no_other() {
        let doc: serde_json::Value = serde_json::from_str(OPENAPI).unwrap();
        assert_eq!(doc["openapi"], "3.1.0");
        let mut documented: Vec<(String, String)> = doc["paths"]
            .as_object()
            .unwrap()
            .iter()
            .flat_map(|(path, item)| {
                item.as_object()
                    .unwrap()
                    .keys()
                    .map(move |method| (method.clone(), path.clone()))
            })
            .collect();
        documented.sort();
        let mut served: Vec<(String, String)> = ROUTES
            .iter()
            .map(|(method, path)| ((*method).to_owned(), (*path).to_owned()))
            .collect();
        served.sort();
        assert_eq!(documented, served);
        // Every operation documents its answers, and every reference resolves.
        for (method, path) in &served {
            let operation = &doc["paths"][path][method];
            assert!(
                operation["responses"]
                    .as_object()
                    .is_some_and(|r| !r.is_empty()),
                "{method} {path}"
            );
        }
        let text = OPENAPI;
        for reference in text.split("\"$ref\": \"#/").skip(1) {
            let pointer = format!("/{}", &reference[..reference.find('"').unwrap()]);
            assert!(doc.pointer(&pointer).is_some(), "dangling $ref {pointer}");
        }
    }
}
