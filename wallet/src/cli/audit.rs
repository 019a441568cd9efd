//! `dnavault-wallet audit`: read what happened to your data — every upload, query, refusal and anchored
//! receipt in your vault's audit log — over TLS pinned to the attested vault, with a signed read request.

use std::time::{SystemTime, UNIX_EPOCH};

use alloy::{primitives::U256, signers::Signer, sol_types::SolStruct};
use clap::Args;
use dnavault_contracts::{
    eip712::registry_domain,
    owner_read::{OWNER_READ_HEADER, OwnerRead, SignedOwnerRead},
};
use dnavault_ratls::{Client, Pin};
use dnavault_wallet::boot;
use eyre::WrapErr;
use serde_json::Value;

use super::{
    Session,
    owner::{OwnerArgs, fetch_evidence},
};

/// How long a read authorization stays valid (the vault accepts at most 10 minutes).
const READ_LIFETIME_SECS: u64 = 120;

#[derive(Debug, Args)]
pub(crate) struct AuditArgs {
    /// The vault's URL.
    #[arg(long, value_name = "URL")]
    vault: String,
    #[command(flatten)]
    owner: OwnerArgs,
}

pub(crate) async fn run(session: &Session, args: AuditArgs) -> eyre::Result<()> {
    let unlocked = session.unlock()?;
    let owner = unlocked.seed().ethereum_signer(args.owner.index)?;
    let connection = args.owner.connect(session, owner.clone()).await?;
    let verifier = args.owner.verifier()?;
    let evidence = fetch_evidence(&args.vault, "v1/attestation").await?;
    boot::check(&evidence, &connection, &verifier, &owner).await?;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    let read = OwnerRead {
        vaultId: evidence.vault_id,
        what: "audit".into(),
        deadline: U256::from(now + READ_LIFETIME_SECS),
    };
    let deployment = connection.deployment();
    let digest =
        read.eip712_signing_hash(&registry_domain(deployment.chain_id, deployment.registry));
    let signature = owner.sign_hash(&digest).await?;
    let header = SignedOwnerRead {
        read,
        signature: signature.as_bytes().to_vec().into(),
    }
    .to_header();
    let log = Client::new(&args.vault, Pin::Spki(evidence.tls_spki_sha256.0))?
        .get_with::<Value>("v1/audit", &[(OWNER_READ_HEADER, header)])
        .await
        .wrap_err("the vault did not give its audit log")?
        .value;
    session.emit(&log, &describe(&log))
}

/// The log in words: one line per entry, then the receipts and where they are anchored.
fn describe(log: &Value) -> String {
    let mut text = format!("Audit log of vault {}:\n", log["vaultId"]);
    for entry in log["entries"].as_array().into_iter().flatten() {
        let object = entry["object"]
            .as_str()
            .map(|o| format!(" `{o}`"))
            .unwrap_or_default();
        let at = entry["at"]
            .as_i64()
            .and_then(|at| time::OffsetDateTime::from_unix_timestamp(at).ok())
            .and_then(|at| {
                at.format(&time::format_description::well_known::Rfc3339)
                    .ok()
            })
            .unwrap_or_else(|| entry["at"].to_string());
        text.push_str(&format!(
            "  {at}  {:<14} {}{object}: {}\n",
            entry["action"].as_str().unwrap_or_default(),
            entry["actor"].as_str().unwrap_or_default(),
            entry["detail"].as_str().unwrap_or_default()
        ));
    }
    let receipts = log["receipts"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    let anchored = receipts
        .iter()
        .filter(|r| !r["anchoredBlock"].is_null())
        .count();
    text.push_str(&format!(
        "{} receipts, {anchored} anchored on-chain",
        receipts.len()
    ));
    text
}
