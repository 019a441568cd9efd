//! `dnavault-wallet boot`: answer a sealed vault's boot request.

use std::path::PathBuf;

use clap::Args;
use dnavault_attest::{Policy, Product, TrustRoot, Verifier};
use dnavault_contracts::boot::BootRequest;
use dnavault_wallet::{boot, inputs, registry::Connection};
use eyre::{WrapErr, bail};

use super::Session;

#[derive(Debug, Args)]
pub(crate) struct BootArgs {
    /// The vault's boot request (JSON).
    #[arg(long, value_name = "FILE")]
    request: PathBuf,
    /// Accept a vault on a SIMULATED platform whose test-only ASK, ARK and ASVK are in this PEM bundle
    /// (development only; the simulated platform is a Milan).
    #[arg(long, value_name = "ARK_PEM")]
    accept_test_platform: Option<PathBuf>,
    /// The chain's JSON-RPC URL (else the config's).
    #[arg(long, env = "DNAVAULT_RPC_URL")]
    rpc_url: Option<String>,
    /// The VaultRegistry's address (else the config's).
    #[arg(long)]
    registry: Option<String>,
    /// The Ethereum account index that owns the vault.
    #[arg(long, default_value_t = 0)]
    index: u32,
}

pub(crate) async fn run(session: &Session, args: BootArgs) -> eyre::Result<()> {
    let text = std::fs::read_to_string(&args.request)
        .wrap_err_with(|| args.request.display().to_string())?;
    let request: BootRequest =
        serde_json::from_str(&text).wrap_err("the boot request is not valid JSON")?;
    let config = session.home.config()?;
    let registry = match args.registry.as_deref() {
        Some(text) => inputs::address("--registry", text)?,
        None => match config.registry {
            Some(registry) => registry,
            None => bail!(dnavault_wallet::WalletError::Missing {
                what: "the registry address",
                flag: "--registry"
            }),
        },
    };
    let Some(url) = args.rpc_url.or(config.rpc_url) else {
        bail!(dnavault_wallet::WalletError::Missing {
            what: "the RPC URL",
            flag: "--rpc-url"
        });
    };
    let unlocked = session.unlock()?;
    let seed = unlocked.seed();
    let owner = seed.ethereum_signer(args.index)?;
    let connection = Connection::connect(&url, registry, owner.clone()).await?;
    let verifier = match &args.accept_test_platform {
        None => Verifier::production(Policy::default()),
        Some(path) => {
            let pem = std::fs::read(path).wrap_err_with(|| path.display().to_string())?;
            eprintln!(
                "WARNING: accepting a SIMULATED platform (test-only root bundle {})",
                path.display()
            );
            Verifier::production(Policy {
                accept_test_roots: true,
                ..Policy::default()
            })
            .with_test_root(TrustRoot::test_only_bundle(Product::Milan, &pem)?)
        }
    };
    let checked = boot::check(&request, &connection, &verifier, &owner).await?;
    session.confirm(
        &boot::explain(&checked, connection.deployment()),
        "Release the data key to this vault?",
    )?;
    let response = boot::answer(&checked, &seed, &owner).await?;
    let value = serde_json::to_value(&response)?;
    session.emit(&value, &serde_json::to_string_pretty(&value)?)
}
