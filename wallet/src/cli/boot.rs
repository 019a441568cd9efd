//! `dnavault-wallet boot`: answer a sealed vault's boot request.

use std::path::PathBuf;

use clap::Args;
use dnavault_protocol::boot::BootRequest;
use dnavault_ratls::{Client, Pin, fetch_evidence};
use dnavault_wallet::boot;
use eyre::{WrapErr, bail};

use super::{Session, owner::OwnerArgs};

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
    /// Once the vault is unsealed, also bind its attested key on-chain (a transaction this account pays):
    /// researchers accept receipts only from a vault's bound key, and the vault anchors them with it.
    #[arg(long, requires = "vault")]
    bind_key: bool,
    #[command(flatten)]
    owner: OwnerArgs,
}

pub(crate) async fn run(session: &Session, args: BootArgs) -> eyre::Result<()> {
    let request: BootRequest = match (&args.request, &args.vault) {
        (Some(path), _) => {
            let text =
                std::fs::read_to_string(path).wrap_err_with(|| path.display().to_string())?;
            serde_json::from_str(&text).wrap_err("the boot request is not valid JSON")?
        }
        (None, Some(url)) => fetch_evidence(url, "v1/boot").await?,
        (None, None) => bail!("give --request FILE or --vault URL"),
    };
    let unlocked = session.unlock()?;
    let seed = unlocked.seed();
    let owner = seed.ethereum_signer(args.owner.index)?;
    let connection = args.owner.connect(session, owner.clone()).await?;
    let verifier = args.owner.verifier()?;
    let checked = boot::check(&request, &connection, &verifier, &owner).await?;
    session.confirm(
        &boot::explain(&checked),
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
    let mut text = format!(
        "Vault {} is {}.",
        checked.vault_id,
        status["state"].as_str().unwrap_or("in an unknown state")
    );
    if args.bind_key && status["state"] == "unsealed" {
        let key = checked.request.vault_key;
        let bound = connection
            .bind_vault_key(
                checked.request.vault_id,
                key,
                checked.verified.measurement.to_vec().into(),
            )
            .await
            .wrap_err("the vault is unsealed, but its key was not bound")?;
        text.push_str(&format!(
            "\nIts attested key {key} is bound on-chain (transaction {}, block {}).",
            bound.transaction, bound.block
        ));
    }
    session.emit(&status, &text)
}
