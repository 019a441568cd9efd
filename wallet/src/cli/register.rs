//! Registering a vault: the owner's own transaction, which makes the account the vault's owner.

use clap::Args;
use dnavault_wallet::explain;
use eyre::bail;
use serde_json::json;

use super::{
    Session,
    registry::{ChainArgs, Signing},
};

#[derive(Debug, Args)]
pub(crate) struct RegisterArgs {
    /// Where the vault answers (its HTTPS URL), published on-chain for researchers and the website.
    #[arg(long)]
    uri: String,
    #[command(flatten)]
    chain: ChainArgs,
}

/// Registers a vault owned by the signing account, once the owner has read what that means.
pub(crate) async fn register_vault(session: &Session, args: RegisterArgs) -> eyre::Result<()> {
    if !args.chain.send {
        bail!("registering a vault is the owner's own transaction: add --send");
    }
    let s = Signing::open(session, &args.chain).await?;
    let connection = s.connection()?;
    let owner = s.address();
    let explanation = explain::register_vault(owner, &args.uri, s.deployment);
    session.confirm(&explanation, "Register it?")?;
    let (submitted, vault) = connection.register_vault(&args.uri).await?;
    session.emit(
        &json!({ "vault": vault.to_string(), "owner": owner.to_checksum(None), "transaction": submitted }),
        &format!(
            "Vault {vault} registered to {owner}: transaction {} in block {}",
            submitted.transaction, submitted.block
        ),
    )
}
