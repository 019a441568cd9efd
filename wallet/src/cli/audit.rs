//! `dnavault-wallet audit`: read what happened to your data — every upload, query, refusal and anchored
//! receipt in your vault's audit log — over TLS pinned to the attested vault, with a signed read request.

use clap::Args;
use dnavault_protocol::{
    audit::{AuditLog, AuditPage, SealedAuditLog},
    clock::unix_now,
};
use dnavault_wallet::{
    audit::{CheckedLog, read_checked},
    vault::reach_owned,
};
use eyre::WrapErr;

use super::{Session, owner::OwnerArgs};

#[derive(Debug, Args)]
pub(crate) struct AuditArgs {
    /// The vault's URL.
    #[arg(long, value_name = "URL")]
    vault: String,
    #[command(flatten)]
    owner: OwnerArgs,
}

pub(crate) async fn run(session: &Session, args: AuditArgs) -> eyre::Result<()> {
    let seed = session.unlock()?.seed();
    let owner = seed.ethereum_signer(args.owner.index)?;
    let connection = args.owner.connect(session, owner.clone()).await?;
    let verifier = args.owner.verifier()?;
    let vault = reach_owned(&args.vault, &connection, &verifier, &owner).await?;
    let vault_id = u64::try_from(vault.evidence().vault_id).wrap_err("the vault id")?;
    // Page by page over the pinned connection; the signed read is good for all of them until its deadline.
    let fetch = async |(name, value): (&'static str, &str), page: Option<AuditPage>| {
        let path = match page {
            None => "v1/audit".to_owned(),
            Some(page) => format!("v1/audit?{}", page.to_query()),
        };
        let headers = [(name, value.to_owned())];
        vault
            .client()
            .get_with::<SealedAuditLog>(&path, &headers)
            .await
            .map(|fetched| fetched.value)
    };
    let (log, checked) = read_checked(
        &seed,
        args.owner.index,
        &connection,
        vault_id,
        unix_now()?,
        fetch,
    )
    .await?;
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
