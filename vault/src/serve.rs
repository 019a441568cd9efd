//! `dnavault-vault serve`, `seal` and `status`: run a vault, and control a running one.

use std::{
    io::Write,
    net::SocketAddr,
    os::unix::fs::DirBuilderExt,
    path::{Path, PathBuf},
    sync::Arc,
    time::Duration,
};

use alloy::{
    primitives::Address,
    providers::{Provider, ProviderBuilder},
};
use clap::{Args, ValueEnum};
use dnavault_attest::{Backend, hardware::Hardware};
use dnavault_consent::{ConsentCache, ConsentConfig};
use dnavault_protocol::VaultRegistry;
use dnavault_store::Store;
use dnavault_vault::{SealedVault, VaultIdentity, VaultService, anchor::AnchorConfig, control};
use eyre::{WrapErr, bail};
use serde_json::json;

/// Where attestation evidence comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Platform {
    /// AMD SEV-SNP hardware, through /dev/sev-guest.
    SevGuest,
    /// The simulated platform: a test-only AMD-like chain. Nothing protects the vault's memory.
    Simulated,
}

#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// The vault's data directory (created, owner-only).
    #[arg(long, env = "DNAVAULT_VAULT_DIR", value_name = "DIR")]
    data_dir: PathBuf,
    /// The chain's JSON-RPC URL.
    #[arg(long, env = "DNAVAULT_RPC_URL")]
    rpc_url: String,
    /// The chain id the vault belongs to (the RPC endpoint must serve it).
    #[arg(long)]
    chain_id: u64,
    /// The VaultRegistry's address.
    #[arg(long)]
    registry: Address,
    /// The vault's id in the registry.
    #[arg(long)]
    vault_id: u64,
    /// Where to serve HTTPS.
    #[arg(long, default_value = "127.0.0.1:8443")]
    listen: SocketAddr,
    /// Names for the TLS certificate (clients pin the attested key, not the name).
    #[arg(long = "tls-name", default_value = "localhost")]
    tls_names: Vec<String>,
    /// The attestation platform.
    #[arg(long, value_enum)]
    platform: Platform,
    /// Simulated platform: the launch measurement the guest reports (96 hex digits).
    #[arg(long, value_name = "HEX", required_if_eq("platform", "simulated"))]
    simulated_measurement: Option<String>,
    /// The metadata database (`postgres://...`); default: SQLite in the data directory.
    #[arg(long, env = "DNAVAULT_DATABASE_URL", value_name = "URL")]
    database_url: Option<String>,
    /// Blocks a grant or revocation must be under before the vault acts on it.
    #[arg(long, default_value_t = 0)]
    confirmations: u64,
    /// Seconds without a successful read of the chain after which every query is refused.
    #[arg(long, default_value_t = 10)]
    consent_max_staleness: u64,
    /// Milliseconds between reads of the registry's grant events.
    #[arg(long, default_value_t = 250)]
    consent_poll_ms: u64,
    /// Seconds a receipt waits at most before its hash is anchored on-chain.
    #[arg(long, default_value_t = 60)]
    anchor_interval: u64,
    /// Receipts per anchoring transaction (one goes as soon as this many wait).
    #[arg(long, default_value_t = 64)]
    anchor_batch: u32,
    /// Hardware platform: a VCEK to use when the host supplies none.
    #[arg(long, value_name = "FILE")]
    cached_vcek: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct ControlArgs {
    /// The running vault's data directory.
    #[arg(long, env = "DNAVAULT_VAULT_DIR", value_name = "DIR")]
    data_dir: PathBuf,
}

/// The file a simulated vault writes its test-only root bundle to, for the owner's wallet.
const SIMULATED_ROOTS: &str = "simulated-platform-roots.pem";

pub(crate) async fn serve(args: ServeArgs) -> eyre::Result<()> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(&args.data_dir)
        .wrap_err_with(|| format!("cannot create {}", args.data_dir.display()))?;
    let backend: Box<dyn Backend> = match args.platform {
        Platform::SevGuest => Box::new(Hardware {
            cached_vcek: args.cached_vcek.clone(),
            vmpl: 0,
        }),
        Platform::Simulated => simulated_backend(&args)?,
    };
    let url = args.rpc_url.parse().wrap_err("--rpc-url is not a URL")?;
    let provider = ProviderBuilder::new().connect_http(url).erased();
    let served = provider
        .get_chain_id()
        .await
        .wrap_err_with(|| format!("cannot read the chain at {}", args.rpc_url))?;
    if served != args.chain_id {
        bail!(
            "the RPC endpoint serves chain {served}, the vault belongs to chain {}",
            args.chain_id
        );
    }
    let identity = VaultIdentity {
        chain_id: args.chain_id,
        registry: args.registry,
        vault_id: args.vault_id,
    };
    let sealed = SealedVault::start(identity, backend.as_ref())?;
    let tls = sealed.tls_identity(args.tls_names.clone())?;
    let registry = VaultRegistry::new(args.registry, provider);
    let store = Store::open(&args.data_dir, args.database_url.as_deref())
        .await
        .wrap_err("cannot open the vault's store")?;
    let consent = Arc::new(ConsentCache::new(ConsentConfig {
        confirmations: args.confirmations,
        max_staleness: Duration::from_secs(args.consent_max_staleness),
        poll_interval: Duration::from_millis(args.consent_poll_ms),
        ..ConsentConfig::for_vault(args.vault_id)
    }));
    let following = consent.keep_current(registry.clone());
    let service = VaultService::new(sealed, registry, store, consent);
    let anchoring = service.anchor_receipts(AnchorConfig {
        interval: Duration::from_secs(args.anchor_interval),
        batch_size: args.anchor_batch.max(1),
    });
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .wrap_err_with(|| format!("cannot listen on {}", args.listen))?;
    let address = listener.local_addr()?;
    let socket = args.data_dir.join(control::SOCKET);
    control::listen(&socket, service.clone())
        .wrap_err_with(|| format!("cannot listen on {}", socket.display()))?;
    let status = service.status();
    // One line on stdout for whoever started the vault: where it is and what it attests.
    println!(
        "{}",
        json!({
            "event": "listening",
            "url": format!("https://{address}/"),
            "status": status,
            "controlSocket": socket,
            "simulatedRoots": (args.platform == Platform::Simulated)
                .then(|| args.data_dir.join(SIMULATED_ROOTS)),
        })
    );
    std::io::stdout().flush()?;
    tracing::info!(%address, vault = args.vault_id, measurement = %status.measurement, "sealed; waiting for the owner's boot approval");
    let stopping = service.clone();
    dnavault_ratls::serve(listener, &tls, service.router(), async move {
        tokio::select! {
            () = stopping.stopped() => tracing::info!("sealed by the control socket"),
            () = terminated() => {
                tracing::info!("terminated");
                stopping.seal().await;
            }
        }
    })
    .await;
    following.abort();
    anchoring.abort();
    service.store().close().await;
    let _ = std::fs::remove_file(&socket);
    tracing::info!("keys wiped; stopped");
    Ok(())
}

/// The simulated platform, which writes its test-only roots to the data directory for the owner's wallet.
#[cfg(feature = "simulated")]
fn simulated_backend(args: &ServeArgs) -> eyre::Result<Box<dyn Backend>> {
    use dnavault_attest::{backend::Simulated, simulated::SimulatedPlatform};

    let text = args.simulated_measurement.as_deref().unwrap_or_default();
    let measurement: [u8; 48] = hex::decode(text.trim_start_matches("0x"))
        .ok()
        .and_then(|bytes| bytes.try_into().ok())
        .ok_or_else(|| eyre::eyre!("--simulated-measurement must be 96 hex digits"))?;
    let platform = Arc::new(SimulatedPlatform::new()?);
    let roots = args.data_dir.join(SIMULATED_ROOTS);
    std::fs::write(&roots, platform.root_bundle_pem())
        .wrap_err_with(|| roots.display().to_string())?;
    tracing::warn!(
        roots = %roots.display(),
        "SIMULATED PLATFORM: this vault's memory is NOT protected by SEV-SNP; its evidence chains to a \
         test-only root. Never put real genomes in it."
    );
    Ok(Box::new(Simulated::new(platform, measurement)))
}

/// A production build has no simulated platform: it says so rather than run unprotected.
#[cfg(not(feature = "simulated"))]
fn simulated_backend(_: &ServeArgs) -> eyre::Result<Box<dyn Backend>> {
    bail!(
        "this dnavault-vault is a production build without the simulated platform: run it on AMD SEV-SNP \
         hardware with --platform sev-guest (for development, build it with `--features simulated`)"
    )
}

/// Resolves on SIGINT or SIGTERM.
async fn terminated() {
    use tokio::signal::unix::{SignalKind, signal};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
        }
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

pub(crate) async fn seal(args: ControlArgs) -> eyre::Result<()> {
    let answer = send(&args.data_dir, "seal").await?;
    if answer != "sealed" {
        bail!("the vault answered: {answer}");
    }
    println!("sealed: the vault wiped its keys and stopped");
    Ok(())
}

pub(crate) async fn status(args: ControlArgs) -> eyre::Result<()> {
    println!("{}", send(&args.data_dir, "status").await?);
    Ok(())
}

async fn send(data_dir: &Path, command: &str) -> eyre::Result<String> {
    let socket = data_dir.join(control::SOCKET);
    control::send(&socket, command).await.wrap_err_with(|| {
        format!(
            "no vault is running at {} ({})",
            data_dir.display(),
            socket.display()
        )
    })
}

#[cfg(all(test, not(feature = "simulated")))]
mod tests {
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(flatten)]
        serve: super::ServeArgs,
    }

    #[test]
    fn a_production_build_refuses_the_simulated_platform_and_says_what_to_do() {
        let measurement = "ab".repeat(48);
        let cli = Cli::try_parse_from([
            "serve",
            "--data-dir",
            "/nonexistent",
            "--rpc-url",
            "http://127.0.0.1:1",
            "--chain-id",
            "1",
            "--registry",
            "0x5FbDB2315678afecb367f032d93F642f64180aa3",
            "--vault-id",
            "1",
            "--platform",
            "simulated",
            "--simulated-measurement",
            &measurement,
        ])
        .unwrap();
        let Err(error) = super::simulated_backend(&cli.serve) else {
            panic!("a production build made a simulated platform");
        };
        let error = error.to_string();
        assert!(
            error.contains("production build") && error.contains("--platform sev-guest"),
            "{error}"
        );
    }
}
