//! Answering a running vault's code update request: the request must come from the vault's bound key and the
//! vault must be this account's; the owner reads the new measurement and the operator's note in words, and
//! an approval is signed as a registry ApproveMeasurement, submitted by the owner (`--send`) or by the
//! website's relayer, before the vault is told.

use alloy::primitives::{Address, Bytes, U256};
use dnavault_protocol::ApproveMeasurement;
use dnavault_relay::{Envelope, Payload};
use dnavault_wallet::typed;
use eyre::bail;
use serde_json::json;

use super::{ANSWER_SECS, AnswerArgs, Inbox, reply};
use crate::cli::Session;

/// What the vault asked for.
pub(super) struct CodeUpdate {
    pub(super) vault: U256,
    pub(super) measurement: Bytes,
    pub(super) note: String,
}

pub(super) async fn answer(
    session: &Session,
    args: &AnswerArgs,
    inbox: &Inbox,
    envelope: &Envelope,
    update: CodeUpdate,
) -> eyre::Result<()> {
    let sender = envelope.message.sender;
    let connection = &inbox.connection;
    if !connection.is_active_vault_key(update.vault, sender).await? {
        bail!(
            "the code update request was sent by {sender}, which is not vault {}'s bound key: refused",
            update.vault
        );
    }
    let owner = connection.owner_of(update.vault).await?;
    if owner != inbox.owner.address() {
        bail!("vault {} is {owner}'s, not this account's", update.vault);
    }
    if args.decline {
        let words = format!(
            "Declined: vault {} was told no; the new code is not approved.",
            update.vault
        );
        return tell(session, args, inbox, sender, false, words).await;
    }
    if connection
        .is_measurement_approved(update.vault, update.measurement.clone())
        .await?
    {
        let words = format!(
            "That code is approved for vault {} already: nothing was signed; the vault was told.",
            update.vault
        );
        return tell(session, args, inbox, sender, true, words).await;
    }
    let message = ApproveMeasurement {
        vaultId: update.vault,
        measurement: update.measurement.clone(),
        nonce: connection.nonce(update.vault).await?,
        deadline: U256::from(dnavault_protocol::clock::deadline_in(ANSWER_SECS)?),
    };
    let deployment = connection.deployment();
    let explanation =
        dnavault_wallet::explain::code_update(&message, deployment, sender, &update.note);
    session.confirm(&explanation, "Approve this code for your vault?")?;
    let domain = inbox.relay.domain();
    let signed = typed::sign(&inbox.owner, typed::document(&message, domain))?;
    let transaction = match args.send {
        true => connection.submit(&signed).await?.transaction,
        false => {
            let body = json!({ "typedData": signed.typed_data, "signature": signed.signature });
            let relayed = inbox.relay.relay_signed(&body).await?;
            relayed["transaction"]
                .as_str()
                .unwrap_or_default()
                .parse()?
        }
    };
    let answer = Payload::CodeUpdateAnswer {
        request: args.message,
        approved: true,
    };
    reply(inbox, sender, &answer, args.message).await?;
    session.emit(
        &json!({ "answered": args.message, "approved": true, "transaction": transaction }),
        &format!(
            "Approved: vault {} may boot the new code (transaction {transaction}); the vault was told.",
            update.vault
        ),
    )
}

/// Tells the vault `approved` (nothing is signed here) and says `words`.
async fn tell(
    session: &Session,
    args: &AnswerArgs,
    inbox: &Inbox,
    vault_key: Address,
    approved: bool,
    words: String,
) -> eyre::Result<()> {
    let answer = Payload::CodeUpdateAnswer {
        request: args.message,
        approved,
    };
    reply(inbox, vault_key, &answer, args.message).await?;
    session.emit(
        &json!({ "answered": args.message, "approved": approved }),
        &words,
    )
}
