//! `dnavault-wallet audit`: read what happened to your data — every upload, query, refusal and anchored
//! receipt in your vault's audit log — over TLS pinned to the attested vault, with a signed read request.

use alloy::{primitives::U256, signers::Signer, sol_types::SolStruct};
use clap::Args;
use dnavault_protocol::{
    audit::AuditLog,
    clock::unix_now,
    eip712::registry_domain,
    header::SignedHeader,
    owner_read::{OwnerRead, SignedOwnerRead},
};

use dnavault_protocol::audit::AuditKey;
use dnavault_wallet::{WalletError, audit::CheckedLog, vault::reach_owned};
use eyre::WrapErr;

use super::{Session, owner::OwnerArgs};

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
    let vault = reach_owned(&args.vault, &connection, &verifier, &owner).await?;
    let evidence = vault.evidence();
    let now = unix_now()?;
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
    // Page by page (the signed read is good for all of them until its deadline), into one log.
    let headers = [(SignedOwnerRead::HEADER, header)];
    let mut log = vault
        .client()
        .get_with::<AuditLog>("v1/audit", &headers)
        .await
        .wrap_err("the vault did not give its audit log")?
        .value;
    let mut next = log.next_page(None);
    while let Some(page) = next {
        let more = vault
            .client()
            .get_with::<AuditLog>(&format!("v1/audit?{}", page.to_query()), &headers)
            .await
            .wrap_err("the vault did not give the next page of its audit log")?
            .value;
        next = more.next_page(None);
        log.entries.extend(more.entries);
        log.receipts.extend(more.receipts);
    }
    log.next_entries_after = None;
    log.next_receipts_after = None;
    let checked = {
        let vault_id = u64::try_from(evidence.vault_id).wrap_err("the vault id")?;
        let data_key =
            unlocked
                .seed()
                .data_key(deployment.chain_id, deployment.registry, vault_id)?;
        let key = AuditKey::derive(data_key.expose());
        let anchored = connection.audit_head(evidence.vault_id).await?;
        dnavault_wallet::audit::check(&log, &key, anchored).map_err(WalletError::from)?
    };
    let mut value = serde_json::to_value(&log)?;
    value["checked"] = serde_json::to_value(checked)?;
    session.emit(&value, &describe(&log, &checked))
}

/// The log in words: what was verified, one line per entry, then the receipts and where they are anchored.
fn describe(log: &AuditLog, checked: &CheckedLog) -> String {
    let anchor = match checked.anchored {
        Some(head) => format!("through the head anchored on-chain at entry {}", head.seq),
        None => "nothing anchored on-chain yet".to_owned(),
    };
    let mut text = format!(
        "Audit log of vault {}: entries {} to {} verified under your key, chained and {anchor}.\n",
        log.vault_id, checked.chain_start, checked.head.seq
    );
    if checked.unverified > 0 {
        text.push_str(&format!(
            "  The {} entries before entry {} do not verify under your key (written before the log was \
             chained or under a previous owner), marked `?`.\n",
            checked.unverified, checked.chain_start
        ));
    }
    for (index, entry) in log.entries.iter().enumerate() {
        let mark = if index < checked.unverified { "?" } else { " " };
        let object = entry
            .object
            .as_deref()
            .map(|o| format!(" `{o}`"))
            .unwrap_or_default();
        let at = time::OffsetDateTime::from_unix_timestamp(entry.at)
            .ok()
            .and_then(|at| {
                at.format(&time::format_description::well_known::Rfc3339)
                    .ok()
            })
            .unwrap_or_else(|| entry.at.to_string());
        text.push_str(&format!(
            "{mark} {at}  {:<17} {}{object}: {}\n",
            entry.action, entry.actor, entry.detail
        ));
    }
    let anchored = log
        .receipts
        .iter()
        .filter(|r| r.anchored_block.is_some())
        .count();
    text.push_str(&format!(
        "{} receipts, {anchored} anchored on-chain",
        log.receipts.len()
    ));
    text
}
