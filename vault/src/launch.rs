//! Starting a vault from its settings: the data directory, the platform, the chain read as its chain view
//! says (each endpoint authenticated and serving the view's chain id), fresh keys attested by the platform, the encrypted store, the consent cache kept
//! current from the registry, receipt anchoring, the control socket and the HTTPS API on `listener`. The
//! vault runs until `shutdown` resolves or its control socket seals it; either way it wipes its keys.

use std::{net::SocketAddr, os::unix::fs::DirBuilderExt, path::PathBuf, sync::Arc, time::Duration};

use dnavault_consent::ConsentCache;
use dnavault_protocol::{VaultRegistry, VaultStatus, chain_view::ChainView};
use dnavault_store::{Store, StoreError};
use serde::Serialize;
use tokio::{net::TcpListener, task::JoinHandle};

use crate::{BootError, SealedVault, Settings, VaultService, control, settings::SettingsError};

/// Why a vault did not start.
#[derive(Debug, thiserror::Error)]
pub enum LaunchError {
    /// A file or directory the vault needs could not be made.
    #[error("cannot write {path}: {source}")]
    File {
        /// The path.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The simulated platform's measurement is malformed.
    #[error("simulated_measurement must be 96 hex digits")]
    Measurement,
    /// This build has no simulated platform.
    #[error(
        "this dnavault-vault is a production build without the simulated platform: run it on AMD SEV-SNP \
         hardware with --platform sev-guest (for development, build it with `--features simulated`)"
    )]
    NoSimulatedPlatform,
    /// The platform could not attest.
    #[error("the platform: {0}")]
    Platform(#[from] dnavault_attest::AttestError),
    /// The chain cannot be read as the chain view says.
    #[error("the chain: {0}")]
    Chain(#[from] dnavault_chain::ChainError),
    /// The settings cannot work.
    #[error(transparent)]
    Settings(#[from] SettingsError),
    /// The vault's keys or certificate could not be made.
    #[error(transparent)]
    Boot(#[from] BootError),
    /// The store could not be opened.
    #[error("cannot open the vault's store: {0}")]
    Store(#[from] StoreError),
    /// The HTTPS listener or the control socket failed.
    #[error("cannot listen on {what}: {source}")]
    Listen {
        /// The address or socket.
        what: String,
        /// Why.
        source: std::io::Error,
    },
    /// The relay's URL is not one.
    #[error("the relay: {0}")]
    Relay(String),
}

/// What a started vault tells whoever started it (the first line `dnavault-vault serve` prints).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Ready {
    /// Always `listening`.
    pub event: &'static str,
    /// The HTTPS URL.
    pub url: String,
    /// Its status: sealed, with this boot's keys.
    pub status: VaultStatus,
    /// The control socket (`dnavault-vault seal`).
    pub control_socket: PathBuf,
    /// The simulated platform's test-only roots, for the owner's wallet; `None` on hardware.
    pub simulated_roots: Option<PathBuf>,
}

/// A running vault.
pub struct Running {
    ready: Ready,
    serving: JoinHandle<()>,
}

impl Running {
    /// Where it listens and what it attests.
    pub fn ready(&self) -> &Ready {
        &self.ready
    }

    /// Resolves once the vault has stopped: keys wiped, store closed, control socket removed.
    pub async fn stopped(self) {
        if let Err(error) = self.serving.await {
            tracing::error!(%error, "the vault's serving task failed");
        }
    }
}

/// Starts the vault `settings` describe, serving HTTPS on `listener` until `shutdown` resolves.
pub async fn launch(
    settings: Settings,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<Running, LaunchError> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(&settings.data_dir)
        .map_err(|source| LaunchError::File {
            path: settings.data_dir.clone(),
            source,
        })?;
    let (backend, simulated_roots) = crate::platform::backend(&settings)?;
    let view = settings.chain_view()?;
    if view.is_unverified() {
        tracing::warn!(
            "the chain is read over plain HTTP: nothing authenticates it (development only)"
        );
    }
    let registry = VaultRegistry::new(view.registry, connect(&view).await?);
    let consent_config = settings.consent(&view);
    let sealed = SealedVault::start(settings.vault_id, view, backend.as_ref())?;
    let tls = sealed.tls_identity(settings.tls_names.clone())?;
    let store = Store::open(&settings.data_dir, settings.database_url.as_deref()).await?;
    let consent = Arc::new(ConsentCache::new(consent_config));
    let following = consent.keep_current(registry.clone());
    let service = VaultService::new(sealed, registry, store, consent);
    let anchoring = service.anchor_receipts(settings.anchoring());
    let following_record = crate::record::follow(service.clone(), consent_config.poll_interval);
    let address = listening(&listener)?;
    let relaying = match &settings.relay {
        Some(url) => {
            let identity = service.identity();
            let domain =
                dnavault_protocol::eip712::registry_domain(identity.chain_id, identity.registry);
            let client = dnavault_relay::RelayClient::new(url, domain)
                .map_err(|e| LaunchError::Relay(e.to_string()))?;
            service.set_relay(client.clone());
            let poll = Duration::from_millis(settings.consent_poll_ms.max(250) * 4);
            Some(tokio::spawn(crate::relay::boot_through(
                service.clone(),
                client,
                format!("https://{address}/"),
                poll,
            )))
        }
        None => None,
    };
    let socket = settings.data_dir.join(control::SOCKET);
    control::listen(&socket, service.clone()).map_err(|source| LaunchError::Listen {
        what: socket.display().to_string(),
        source,
    })?;
    let ready = Ready {
        event: "listening",
        url: format!("https://{address}/"),
        status: service.status(),
        control_socket: socket.clone(),
        simulated_roots,
    };
    tracing::info!(%address, vault = settings.vault_id, measurement = %ready.status.measurement, "sealed; waiting for the owner's boot approval");
    let router = crate::app(
        service.clone(),
        Duration::from_secs(settings.request_timeout),
    );
    let serving = tokio::spawn(async move {
        let stopping = service.clone();
        dnavault_ratls::serve(listener, &tls, router, async move {
            tokio::select! {
                () = stopping.stopped() => tracing::info!("sealed by the control socket"),
                () = shutdown => {
                    tracing::info!("terminated");
                    stopping.seal().await;
                }
            }
        })
        .await;
        following.abort();
        following_record.abort();
        if let Some(relaying) = relaying {
            relaying.abort();
        }
        anchoring.abort();
        service.store().close().await;
        let _ = std::fs::remove_file(&socket);
        tracing::info!("keys wiped; stopped");
    });
    Ok(Running { ready, serving })
}

/// The chain, read as the view says, each endpoint checked to serve the vault's chain.
async fn connect(view: &ChainView) -> Result<alloy::providers::DynProvider, LaunchError> {
    dnavault_chain::check_endpoints(view).await?;
    Ok(dnavault_chain::provider(view)?)
}

fn listening(listener: &TcpListener) -> Result<SocketAddr, LaunchError> {
    listener.local_addr().map_err(|source| LaunchError::Listen {
        what: "the HTTPS listener".into(),
        source,
    })
}
