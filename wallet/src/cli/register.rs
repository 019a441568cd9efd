//! Registering a vault: the owner's own transaction, which makes the account the vault's owner.

use clap::Args;
use dnavault_wallet::explain::Explanation;
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
    let explanation = Explanation {
        title: "Register a new vault on the registry, owned by this account".into(),
        facts: vec![
            ("Owner".into(), owner.to_checksum(None)),
            ("Vault address (public)".into(), args.uri.clone()),
        ],
        warnings: vec![
            "the vault's address and owner are public on-chain; nothing of the genome is".into(),
            "it runs no code and holds no data until you approve its code and boot it".into(),
        ],
    };
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
