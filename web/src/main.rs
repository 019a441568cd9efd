//! `dnavault-web`: the DNA Vault website: the registry's events indexed, vaults and access requests shown,
//! a JSON API.

use std::{process::ExitCode, time::Duration};

use clap::{Parser, Subcommand};
use dnavault_web::{IndexSettings, Launch};

/// The DNA Vault website.
#[derive(Debug, Parser)]
#[command(name = "dnavault-web", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Index the registry and serve the website; prints `serving http://ADDRESS/` once it listens.
    Serve(ServeArgs),
}

#[derive(Debug, clap::Args)]
struct ServeArgs {
    /// The chain's JSON-RPC URL.
    #[arg(long, env = "DNAVAULT_WEB_RPC")]
    rpc: url::Url,
    /// The VaultRegistry's address.
    #[arg(long, env = "DNAVAULT_WEB_REGISTRY")]
    registry: alloy::primitives::Address,
    /// The block the registry was deployed in: the index reads from there.
    #[arg(long, env = "DNAVAULT_WEB_FROM_BLOCK", default_value_t = 0)]
    from_block: u64,
    /// How many blocks behind the chain's head the index stays.
    #[arg(long, env = "DNAVAULT_WEB_CONFIRMATIONS", default_value_t = 2)]
    confirmations: u64,
    /// The database: `sqlite://PATH?mode=rwc` or `postgres://...`.
    #[arg(
        long,
        env = "DNAVAULT_WEB_DATABASE",
        default_value = "sqlite://dnavault-web.db?mode=rwc"
    )]
    database: String,
    /// Where people reach the website: sign-in messages name its host (default: the listening address).
    #[arg(long, env = "DNAVAULT_WEB_PUBLIC_URL")]
    public_url: Option<url::Url>,
    /// Where to listen (port 0: any free port).
    #[arg(long, env = "DNAVAULT_WEB_LISTEN", default_value = "127.0.0.1:8080")]
    listen: std::net::SocketAddr,
    /// How often the index looks for new blocks, in milliseconds.
    #[arg(long, env = "DNAVAULT_WEB_POLL_MS", default_value_t = 1000)]
    poll_ms: u64,
    /// Also accept vaults on the SIMULATED platform whose test-only roots are in this PEM bundle
    /// (development only; the verifier view flags every such vault).
    #[arg(long, value_name = "PEM")]
    accept_test_platform: Option<std::path::PathBuf>,
    /// Let the verifier view fetch evidence from private and local addresses (a local stack; else a vault
    /// URI could point the website at its own network).
    #[arg(long)]
    allow_private_vault_hosts: bool,
    /// Raise the minimum TCB the verifier view accepts for a product line (repeat per product):
    /// PRODUCT=BOOTLOADER.TEE.SNP.MICROCODE[.FMC], e.g. genoa=10.0.23.84.
    #[arg(long = "min-tcb", value_name = "SPEC")]
    min_tcb: Vec<String>,
    /// Refuse a vault whose host runs with SMT enabled.
    #[arg(long)]
    refuse_smt: bool,
    /// Run the relayer, paying from the account whose private key (hex) is in this file.
    #[arg(long, value_name = "FILE", env = "DNAVAULT_WEB_RELAYER_KEY_FILE")]
    relayer_key_file: Option<std::path::PathBuf>,
    /// How many messages the relayer submits per owner an hour.
    #[arg(long, default_value_t = 20)]
    relay_per_owner_hour: usize,
    /// The JSON-RPC URL the phone app is offered for reading the chain (else --rpc): one its owners can
    /// reach. The app's content security policy lets it connect there and to any HTTPS origin.
    #[arg(long, value_name = "URL", env = "DNAVAULT_WEB_PUBLIC_RPC")]
    public_rpc: Option<url::Url>,
    /// Serve the phone authenticator's bundle (script/build-app's output) at /app/.
    #[arg(long, value_name = "DIR", env = "DNAVAULT_WEB_APP_DIR")]
    app_dir: Option<std::path::PathBuf>,
}

impl ServeArgs {
    /// The relayer's account, read from its key file, and its hourly allowance per owner.
    fn relayer(&self) -> eyre::Result<Option<(alloy::signers::local::PrivateKeySigner, usize)>> {
        let Some(path) = &self.relayer_key_file else {
            return Ok(None);
        };
        let text = zeroize::Zeroizing::new(
            std::fs::read_to_string(path).map_err(|e| eyre::eyre!("{}: {e}", path.display()))?,
        );
        let account: alloy::signers::local::PrivateKeySigner = text
            .trim()
            .parse()
            .map_err(|_| eyre::eyre!("{}: not a hex private key", path.display()))?;
        eprintln!(
            "relaying owners' signed messages from {}",
            account.address()
        );
        Ok(Some((account, self.relay_per_owner_hour)))
    }

    /// AMD's roots, plus the simulated platform's when asked for, loudly.
    fn verifier(&self) -> eyre::Result<dnavault_attest::Verifier> {
        let pem = match &self.accept_test_platform {
            None => None,
            Some(path) => {
                eprintln!(
                    "WARNING: accepting vaults on a SIMULATED platform (test-only roots {})",
                    path.display()
                );
                Some(std::fs::read(path).map_err(|e| eyre::eyre!("{}: {e}", path.display()))?)
            }
        };
        let policy = dnavault_attest::Policy::configured(&self.min_tcb, !self.refuse_smt)?;
        Ok(dnavault_attest::vault::verifier(pem.as_deref(), policy)?)
    }
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let Command::Serve(args) = Cli::parse().command;
    let result = tokio::runtime::Runtime::new()
        .map_err(eyre::Report::from)
        .and_then(|runtime| runtime.block_on(serve(args)));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

async fn serve(args: ServeArgs) -> eyre::Result<()> {
    let verifier = args.verifier()?;
    let relayer = args.relayer()?;
    if let Some(dir) = args
        .app_dir
        .as_deref()
        .filter(|d| !d.join("index.html").is_file())
    {
        eyre::bail!(
            "--app-dir {}: no index.html there; build the app with script/build-app",
            dir.display()
        );
    }
    let listener = tokio::net::TcpListener::bind(args.listen).await?;
    let local = url::Url::parse(&format!("http://{}/", listener.local_addr()?))?;
    println!("serving {local}");
    let public_url = args.public_url.clone().unwrap_or(local);
    let launch = Launch {
        rpc: args.rpc.clone(),
        registry: args.registry,
        database: args.database,
        index: IndexSettings {
            from_block: args.from_block,
            confirmations: args.confirmations,
            batch_blocks: 2_000,
        },
        poll: Duration::from_millis(args.poll_ms),
        request_timeout: Duration::from_secs(20),
        verifier,
        allow_private_vault_hosts: args.allow_private_vault_hosts,
        public_url,
        relayer,
        app_dir: args.app_dir.clone(),
        public_rpc: args.public_rpc.clone().unwrap_or_else(|| args.rpc.clone()),
    };
    dnavault_web::launch(listener, launch, terminated()).await?;
    Ok(())
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

#[cfg(test)]
mod tests {
    #[test]
    fn the_command_line_is_well_formed() {
        <super::Cli as clap::CommandFactory>::command().debug_assert();
    }
}
