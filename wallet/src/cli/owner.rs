//! What the owner's vault commands share: the chain and the verifier.

use std::path::PathBuf;

use clap::Args;
use dnavault_attest::Verifier;
use dnavault_wallet::{WalletError, inputs, registry::Connection};
use eyre::{WrapErr, bail};

use super::Session;

#[derive(Debug, Args)]
pub(crate) struct OwnerArgs {
    /// Accept a vault on a SIMULATED platform whose test-only ASK, ARK and ASVK are in this PEM bundle
    /// (development only; the simulated platform is a Milan).
    #[arg(long, value_name = "ARK_PEM")]
    accept_test_platform: Option<PathBuf>,
    /// Raise the minimum TCB for a product line, from AMD's security bulletins (repeat per product):
    /// PRODUCT=BOOTLOADER.TEE.SNP.MICROCODE[.FMC], e.g. genoa=10.0.23.84.
    #[arg(long = "min-tcb", value_name = "SPEC")]
    min_tcb: Vec<String>,
    /// Refuse a vault whose host runs with SMT enabled (sibling threads share the core's caches).
    #[arg(long)]
    refuse_smt: bool,
    /// The chain's JSON-RPC URL (else the config's).
    #[arg(long, env = "DNAVAULT_RPC_URL")]
    rpc_url: Option<String>,
    /// The VaultRegistry's address (else the config's).
    #[arg(long)]
    registry: Option<String>,
    /// The Ethereum account index that owns the vault.
    #[arg(long, default_value_t = 0)]
    pub(crate) index: u32,
}

impl OwnerArgs {
    /// A connection to the registry as the owner's account `index`.
    pub(crate) async fn connect(
        &self,
        session: &Session,
        owner: alloy::signers::local::PrivateKeySigner,
    ) -> eyre::Result<Connection> {
        let config = session.home.config()?;
        let registry = match self.registry.as_deref() {
            Some(text) => inputs::address("--registry", text)?,
            None => match config.registry {
                Some(registry) => registry,
                None => bail!(WalletError::Missing {
                    what: "the registry address",
                    flag: "--registry"
                }),
            },
        };
        let Some(url) = self.rpc_url.clone().or(config.rpc_url) else {
            bail!(WalletError::Missing {
                what: "the RPC URL",
                flag: "--rpc-url"
            });
        };
        Ok(Connection::connect(&url, registry, owner).await?)
    }

    /// AMD's roots, plus the simulated platform's when asked for, loudly.
    pub(crate) fn verifier(&self) -> eyre::Result<Verifier> {
        let pem = match &self.accept_test_platform {
            None => None,
            Some(path) => {
                eprintln!(
                    "WARNING: accepting a SIMULATED platform (test-only root bundle {})",
                    path.display()
                );
                Some(std::fs::read(path).wrap_err_with(|| path.display().to_string())?)
            }
        };
        let policy = dnavault_attest::Policy::configured(&self.min_tcb, !self.refuse_smt)?;
        Ok(dnavault_attest::vault::verifier(pem.as_deref(), policy)?)
    }
}
