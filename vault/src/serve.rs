//! `dnavault-vault serve`, `seal` and `status`: run a vault from its settings, and control a running one.

use std::{
    io::Write,
    net::SocketAddr,
    path::{Path, PathBuf},
};

use alloy::primitives::Address;
use clap::Args;
use dnavault_vault::{Platform, Settings, control};
use eyre::{WrapErr, bail};
use serde::Serialize;

/// `serve`'s flags: each overrides the setting of the same name from `DNAVAULT_*` variables and the
/// config file (see `vault.example.toml`).
#[derive(Debug, Args, Serialize)]
pub(crate) struct ServeArgs {
    /// A TOML file of settings.
    #[arg(long, env = "DNAVAULT_CONFIG", value_name = "FILE")]
    #[serde(skip)]
    config: Option<PathBuf>,
    /// The vault's data directory (created, owner-only).
    #[arg(long, value_name = "DIR")]
    #[serde(skip_serializing_if = "Option::is_none")]
    data_dir: Option<PathBuf>,
    /// A JSON-RPC endpoint of the chain (repeat for several; `#pin-sha256=HEX` pins an HTTPS key).
    #[arg(long)]
    #[serde(skip_serializing_if = "Vec::is_empty")]
    rpc_url: Vec<String>,
    /// How many endpoints must give the same answer (default: a majority).
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    rpc_quorum: Option<u8>,
    /// The chain id the vault belongs to (the RPC endpoint must serve it).
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    chain_id: Option<u64>,
    /// The VaultRegistry's address.
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    registry: Option<Address>,
    /// The vault's id in the registry.
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    vault_id: Option<u64>,
    /// Where to serve HTTPS (default 127.0.0.1:8443).
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    listen: Option<SocketAddr>,
    /// Names for the TLS certificate (default localhost; clients pin the attested key, not the name).
    #[arg(long = "tls-name")]
    #[serde(rename = "tls_names", skip_serializing_if = "Vec::is_empty")]
    tls_names: Vec<String>,
    /// The attestation platform.
    #[arg(long, value_enum)]
    #[serde(skip_serializing_if = "Option::is_none")]
    platform: Option<Platform>,
    /// Simulated platform: the launch measurement the guest reports (96 hex digits).
    #[arg(long, value_name = "HEX")]
    #[serde(skip_serializing_if = "Option::is_none")]
    simulated_measurement: Option<String>,
    /// The metadata database (`postgres://...`); default: SQLite in the data directory.
    #[arg(long, value_name = "URL")]
    #[serde(skip_serializing_if = "Option::is_none")]
    database_url: Option<String>,
    /// Blocks a grant or revocation must be under before the vault acts on it (default 0).
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    confirmations: Option<u64>,
    /// Which block confirmations count from: head, safe or finalized (default head).
    #[arg(long, value_name = "BLOCK")]
    #[serde(skip_serializing_if = "Option::is_none")]
    read_at: Option<dnavault_protocol::chain_view::ReadAt>,
    /// Seconds without a successful read of the chain after which every query is refused (default 10).
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    consent_max_staleness: Option<u64>,
    /// Seconds the newest block may be old before every query is refused (default 60).
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    max_head_age: Option<u64>,
    /// Milliseconds between reads of the registry's grant events (default 250).
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    consent_poll_ms: Option<u64>,
    /// Seconds a receipt waits at most before its hash is anchored on-chain (default 60).
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    anchor_interval: Option<u64>,
    /// Receipts per anchoring transaction; one goes as soon as this many wait (default 64).
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    anchor_batch: Option<u32>,
    /// Seconds any request but an upload or a query may take (default 60).
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    request_timeout: Option<u64>,
    /// While sealed, ask the owner through the relay at this URL (the website's) and take the answer there.
    #[arg(long, value_name = "URL")]
    #[serde(skip_serializing_if = "Option::is_none")]
    relay: Option<String>,
    /// Hardware platform: a VCEK to use when the host supplies none.
    #[arg(long, value_name = "FILE")]
    #[serde(skip_serializing_if = "Option::is_none")]
    cached_vcek: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct ControlArgs {
    /// The running vault's data directory.
    #[arg(long, env = "DNAVAULT_VAULT_DIR", value_name = "DIR")]
    data_dir: PathBuf,
}

#[derive(Debug, Args)]
pub(crate) struct ProposeArgs {
    #[command(flatten)]
    control: ControlArgs,
    /// The new code's launch measurement (96 hex digits, as `dnavault-vault measure` prints it).
    #[arg(long)]
    measurement: String,
    #[command(flatten)]
    asking: Asking,
}

#[derive(Debug, Args)]
pub(crate) struct ProposeToolArgs {
    #[command(flatten)]
    control: ControlArgs,
    /// The tool's manifest, as `dnavault-vault tool-manifest` writes it (its files must match this
    /// vault's copies).
    #[arg(long, value_name = "FILE")]
    manifest: PathBuf,
    #[command(flatten)]
    asking: Asking,
}

/// What goes with a proposal.
#[derive(Debug, Args)]
struct Asking {
    /// What the change is and why, in your words (the owner is told they are the operator's).
    #[arg(long)]
    note: String,
    /// How long to wait for the owner, in seconds.
    #[arg(long, default_value_t = 3600)]
    wait: u64,
}

pub(crate) async fn serve(args: ServeArgs) -> eyre::Result<()> {
    let settings = Settings::load(args.config.as_deref(), &args)?;
    let listener = tokio::net::TcpListener::bind(settings.listen)
        .await
        .wrap_err_with(|| format!("cannot listen on {}", settings.listen))?;
    let running = dnavault_vault::launch(settings, listener, terminated()).await?;
    // One line on stdout for whoever started the vault: where it is and what it attests.
    println!("{}", serde_json::to_string(running.ready())?);
    std::io::stdout().flush()?;
    report_tool_confinement().await;
    running.stopped().await;
    Ok(())
}

/// Says whether existing analysis tools can run here: a confined trial run through this executable (as
/// every tool run starts), or why not, so an operator learns it at start rather than at a query.
async fn report_tool_confinement() {
    let launcher = match std::env::current_exe() {
        Ok(path) => path,
        Err(error) => {
            return tracing::warn!("analysis tools cannot run: this executable's path: {error}");
        }
    };
    match dnavault_sandbox::Sandbox::probe(launcher).await {
        Ok(_) => tracing::info!(
            "analysis tools can run here, confined (namespaces, Landlock, seccomp, limits)"
        ),
        Err(error) => tracing::warn!("{error}; the built-in analyses still run"),
    }
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

pub(crate) async fn propose_update(args: ProposeArgs) -> eyre::Result<()> {
    let change = control::Proposed::Measurement(args.measurement);
    propose(&args.control, change, args.asking, "the new code").await
}

pub(crate) async fn propose_tool(args: ProposeToolArgs) -> eyre::Result<()> {
    let path = &args.manifest;
    let text = std::fs::read_to_string(path)
        .wrap_err_with(|| format!("cannot read the manifest {}", path.display()))?;
    let tool: dnavault_protocol::tool::ToolManifest = serde_json::from_str(&text)
        .wrap_err_with(|| format!("{} is not a tool manifest", path.display()))?;
    let what = format!("the tool {} {} ({})", tool.name, tool.version, tool.id());
    let change = control::Proposed::Tool(Box::new(tool));
    propose(&args.control, change, args.asking, &what).await
}

/// Asks the vault at `control` to propose `change` to its owner and waits for the outcome.
async fn propose(
    control: &ControlArgs,
    change: control::Proposed,
    asking: Asking,
    what: &str,
) -> eyre::Result<()> {
    let socket = control.data_dir.join(control::SOCKET);
    let proposal = control::Proposal {
        change,
        note: asking.note,
        wait_secs: asking.wait,
    };
    let outcome = control::propose_update_via(&socket, &proposal, |nonce| {
        eprintln!(
            "asked the owner (relay message {nonce}); waiting up to {} s for their answer",
            asking.wait
        );
    })
    .await
    .wrap_err_with(|| format!("no vault is running at {}", control.data_dir.display()))?;
    match outcome.as_str() {
        "approved" => println!("approved: the registry lists {what} for this vault"),
        "declined" => bail!("the owner declined {what}"),
        "no answer" => bail!("the owner did not answer within {} s", asking.wait),
        other => bail!("the vault answered: {other}"),
    }
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
