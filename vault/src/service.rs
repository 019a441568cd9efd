//! The vault service's state, which every handler of the API ([`crate::api`]) shares: its phase (sealed,
//! unsealed, wiped), the store, the consent cache and the registry.
//!
//! A vault serves its boot request sealed, unseals on an answer that passes every check, and stays sealed on
//! any other. [`VaultService::seal`] wipes the keys and stops the service; a sealed vault boots again only as a
//! new process, with fresh keys and fresh evidence.

use std::sync::Arc;

use alloy::providers::DynProvider;
use dnavault_consent::ConsentCache;
use dnavault_protocol::{
    VaultRegistry::VaultRegistryInstance,
    VaultState, VaultStatus,
    boot::{BootRequest, BootResponse},
};
use tokio::sync::{Mutex, watch};

use dnavault_store::Store;

use crate::{ApiError, SealedVault, UnsealedVault, VaultIdentity};

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
    query_bodies: crate::query::Budgets,
    refusals: crate::query::RefusalLimiter,
    /// Receipts issued since start, for the anchoring task.
    issued: watch::Sender<u64>,
    stopped: watch::Sender<bool>,
    /// The vault's owner when this boot was approved: another owner later means another boot.
    boot_owner: std::sync::Mutex<Option<alloy::primitives::Address>>,
    /// The relay the vault reaches its owner through, if it has one.
    relay: std::sync::OnceLock<dnavault_relay::RelayClient>,
    /// The sandbox analysis tools run in, or why there is none here: found out at the first tool run.
    sandbox: tokio::sync::OnceCell<Result<dnavault_sandbox::Sandbox, String>>,
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
                query_bodies: crate::query::Budgets::new(),
                refusals: crate::query::RefusalLimiter::new(),
                issued: watch::channel(0).0,
                stopped: watch::channel(false).0,
                boot_owner: std::sync::Mutex::new(None),
                relay: std::sync::OnceLock::new(),
                sandbox: tokio::sync::OnceCell::new(),
            }),
        }
    }

    /// The sandbox analysis tools run in: a confined trial through this executable (the launcher every
    /// run starts through) the first time, its answer kept; why tools cannot run here otherwise.
    pub async fn sandbox(&self) -> Result<dnavault_sandbox::Sandbox, String> {
        self.inner
            .sandbox
            .get_or_init(|| async {
                let launcher = std::env::current_exe()
                    .map_err(|error| format!("this executable's path: {error}"))?;
                dnavault_sandbox::Sandbox::probe(launcher)
                    .await
                    .map_err(|error| error.to_string())
            })
            .await
            .clone()
    }

    /// Which vault this is.
    pub fn identity(&self) -> VaultIdentity {
        self.inner.identity
    }

    /// The registry, as this vault reads it.
    pub fn registry(&self) -> &VaultRegistryInstance<DynProvider> {
        &self.inner.registry
    }

    /// The vault's owner, as the registry says now.
    pub async fn owner_now(&self) -> Result<alloy::primitives::Address, alloy::contract::Error> {
        let vault = alloy::primitives::U256::from(self.inner.identity.vault_id);
        self.inner.registry.ownerOf(vault).call().await
    }

    /// The object store.
    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    /// The grants, as the consent cache mirrors them.
    pub fn consent(&self) -> &ConsentCache {
        &self.inner.consent
    }

    /// How many refusals the audit log records one by one.
    pub(crate) fn refusals(&self) -> &crate::query::RefusalLimiter {
        &self.inner.refusals
    }

    /// The pools query bodies are received from.
    pub(crate) fn query_body_budgets(&self) -> &crate::query::Budgets {
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

    /// `f` of the sealed vault, while sealed.
    pub(crate) async fn with_sealed<T>(&self, f: impl FnOnce(&SealedVault) -> T) -> Option<T> {
        match &*self.inner.phase.lock().await {
            Phase::Sealed(vault) => Some(f(vault)),
            _ => None,
        }
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
        self.open_audit_chain(&unsealed).await?;
        // Who approved: the vault follows its own record, and seals when the owner changes.
        let owner = self
            .inner
            .registry
            .ownerOf(alloy::primitives::U256::from(self.inner.identity.vault_id))
            .call()
            .await
            .map_err(|e| ApiError::chain(e.to_string()))?;
        *self
            .inner
            .boot_owner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(owner);
        tracing::info!("boot approved by the owner; unsealed");
        match std::mem::replace(&mut *phase, Phase::Wiped) {
            Phase::Sealed(sealed) => {
                let unsealed = unsealed.with_relay_key(sealed.into_relay_key());
                *phase = Phase::Unsealed(Box::new(unsealed));
            }
            _ => {
                return Err(ApiError::conflict(
                    "the vault was sealed for good meanwhile",
                ));
            }
        }
        self.set_state(VaultState::Unsealed);
        Ok(())
    }

    /// Opens the audit chain under the data key: the stored log must verify through the head anchored
    /// on-chain, or the vault stays sealed (with none anchored, a log that does not verify is kept, reported
    /// unverified, and a new chain starts after it).
    async fn open_audit_chain(&self, unsealed: &UnsealedVault) -> Result<(), ApiError> {
        let vault_id = alloy::primitives::U256::from(self.inner.identity.vault_id);
        // Proved from the chain's state, not taken from an endpoint's answer: hiding the anchor would let a
        // log altered on disk start a new chain.
        let registry = &self.inner.registry;
        let anchored =
            dnavault_consent::prove_audit_head(registry.provider(), *registry.address(), vault_id)
                .await
                .map_err(|e| ApiError::chain(e.to_string()))?;
        match self
            .inner
            .store
            .open_audit_chain(unsealed.data_key(), Some(anchored))
            .await
        {
            Ok(opened) => {
                tracing::info!(
                    head = opened.head.seq,
                    unverified = opened.unverified,
                    started = opened.started,
                    "audit log verified"
                );
                Ok(())
            }
            Err(error @ dnavault_store::StoreError::AuditTampered(_)) => {
                tracing::error!(%error, "the audit log does not verify; staying sealed");
                Err(ApiError {
                    status: axum::http::StatusCode::CONFLICT,
                    error: format!(
                        "{error}; the vault stays sealed (the anchored head is entry {} of the log)",
                        anchored.seq
                    ),
                    check: "audit-log",
                })
            }
            Err(error) => Err(ApiError::internal(error)),
        }
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

    /// Reaches the owner through `relay` from now on (set once, at launch).
    pub fn set_relay(&self, relay: dnavault_relay::RelayClient) {
        let _ = self.inner.relay.set(relay);
    }

    /// The relay the vault reaches its owner through, if it has one.
    pub fn relay(&self) -> Option<dnavault_relay::RelayClient> {
        self.inner.relay.get().cloned()
    }

    /// The vault's owner when this boot was approved (`None` while sealed).
    pub fn boot_owner(&self) -> Option<alloy::primitives::Address> {
        *self
            .inner
            .boot_owner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Wipes the keys and stops the service. Idempotent.
    pub async fn seal(&self) {
        *self.inner.phase.lock().await = Phase::Wiped;
        self.inner.store.close_audit_chain().await;
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
}
