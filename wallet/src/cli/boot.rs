//! `dnavault-wallet boot`: answer a sealed vault's boot request.

use std::path::PathBuf;

use clap::Args;
use dnavault_attest::{Policy, Product, TrustRoot, Verifier};
use dnavault_contracts::boot::BootRequest;
use dnavault_ratls::{Client, Pin};
use dnavault_wallet::{boot, inputs, registry::Connection};
use eyre::{WrapErr, bail};

use super::Session;

#[derive(Debug, Args)]
pub(crate) struct BootArgs {
    /// The vault's boot request (JSON); the response is printed for you to deliver.
    #[arg(
        long,
        value_name = "FILE",
        required_unless_present = "vault",
        conflicts_with = "vault"
    )]
    request: Option<PathBuf>,
    /// The sealed vault's URL: fetch its boot request over TLS, check the vault's TLS key is the attested
    /// one, and deliver the response to it.
    #[arg(long, value_name = "URL")]
    vault: Option<String>,
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
    let request: BootRequest = match (&args.request, &args.vault) {
        (Some(path), _) => {
            let text =
                std::fs::read_to_string(path).wrap_err_with(|| path.display().to_string())?;
            serde_json::from_str(&text).wrap_err("the boot request is not valid JSON")?
        }
        (None, Some(url)) => {
            let fetched = Client::new(url, Pin::Report)?
                .get::<BootRequest>("v1/boot")
                .await?;
            // The report (checked below) binds the TLS key the vault must serve with: the one that served.
            if fetched.spki_sha256 != fetched.value.tls_spki_sha256.0 {
                bail!(
                    "the vault at {url} served its boot request with a TLS key its evidence does not bind: \
                     refusing (a relay or an impostor is in the way)"
                );
            }
            fetched.value
        }
        (None, None) => bail!("give --request FILE or --vault URL"),
    };
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
    let Some(url) = &args.vault else {
        let value = serde_json::to_value(&response)?;
        return session.emit(&value, &serde_json::to_string_pretty(&value)?);
    };
    // Delivered only to the attested vault: the connection is pinned to the key its report binds.
    let status = Client::new(url, Pin::Spki(checked.request.tls_spki_sha256.0))?
        .post::<_, serde_json::Value>("v1/boot", &response)
        .await
        .wrap_err("the vault did not accept the approval")?
        .value;
    let text = format!(
        "Vault {} is {}.",
        checked.vault_id,
        status["state"].as_str().unwrap_or("in an unknown state")
    );
    session.emit(&status, &text)
}
