//! `dnavault-wallet inbox`: this wallet's relay inbox ([`dnavault_wallet::inbox`], which the phone app
//! shares). Pairing registers it; listing opens what waits there and says in words what each asks;
//! answering checks the request (a boot request exactly as `boot` does), shows it in words, and on yes
//! sends the answer, sealed to whoever asked, back through the relay.

use alloy::primitives::B256;
use clap::{Args, Subcommand};
use dnavault_protocol::clock::unix_now;
use dnavault_wallet::inbox::{Inbox, Submit};
use serde_json::json;

use super::{Session, owner::OwnerArgs};

#[derive(Debug, Subcommand)]
pub(crate) enum InboxCommand {
    /// Register this wallet's inbox with a relay, so your vaults and researchers can reach you.
    Pair(InboxArgs),
    /// What waits in your inbox, each in words.
    List(InboxArgs),
    /// Answer a boot request (the vault is checked as `boot` checks it), a query approval request (shown
    /// against its grant, as `approve-query` shows it) or a code update request from your inbox.
    Answer(AnswerArgs),
}

#[derive(Debug, Args)]
pub(crate) struct InboxArgs {
    /// The relay: the website's URL.
    #[arg(long, env = "DNAVAULT_RELAY", value_name = "URL")]
    relay: String,
    #[command(flatten)]
    owner: OwnerArgs,
}

#[derive(Debug, Args)]
pub(crate) struct AnswerArgs {
    /// The message to answer (its nonce, as `inbox list` shows it).
    #[arg(long, value_name = "NONCE")]
    message: B256,
    /// Answer no (a query approval or code update request): the sender is told, nothing is signed.
    #[arg(long)]
    decline: bool,
    /// Submit an approval of new code, or a key binding, as your own transaction (else the relay's website
    /// submits it).
    #[arg(long)]
    send: bool,
    /// Once a boot request is answered, also bind the vault's attested key on-chain (researchers accept
    /// receipts only from a vault's bound key, and the vault anchors them with it).
    #[arg(long)]
    bind_key: bool,
    #[command(flatten)]
    inbox: InboxArgs,
}

/// Opens the inbox of the account `args` names, and the seed it answers with.
async fn open(session: &Session, args: &InboxArgs) -> eyre::Result<(Inbox, dnavault_keys::Seed)> {
    let seed = session.unlock()?.seed();
    let owner = seed.ethereum_signer(args.owner.index)?;
    let connection = args.owner.connect(session, owner).await?;
    let inbox = Inbox::open(
        &seed,
        args.owner.index,
        connection,
        &args.relay,
        unix_now()?,
    )?;
    Ok((inbox, seed))
}

pub(crate) async fn run(session: &Session, command: InboxCommand) -> eyre::Result<()> {
    match command {
        InboxCommand::Pair(args) => pair(session, &args).await,
        InboxCommand::List(args) => list(session, &args).await,
        InboxCommand::Answer(args) => answer(session, &args).await,
    }
}

async fn pair(session: &Session, args: &InboxArgs) -> eyre::Result<()> {
    let (inbox, _) = open(session, args).await?;
    let topic = inbox.pair().await?;
    session.emit(
        &json!({ "topic": topic, "account": inbox.account() }),
        &format!(
            "Paired: {} has an inbox at {} (topic {topic}). Your vaults and the researchers you deal with \
             can now ask you through it; nothing is done without your answer.",
            inbox.account(),
            args.relay
        ),
    )
}

async fn list(session: &Session, args: &InboxArgs) -> eyre::Result<()> {
    let (inbox, _) = open(session, args).await?;
    let waiting = inbox.waiting(unix_now()?).await?;
    let mut lines = Vec::new();
    let mut items = Vec::new();
    for message in &waiting {
        let m = &message.envelope.message;
        let words = message.words();
        lines.push(format!(
            "{}  from {}  until {}\n    {words}",
            m.nonce,
            m.sender,
            dnavault_protocol::clock::format_time(m.expires)
        ));
        items.push(
            json!({ "nonce": m.nonce, "sender": m.sender, "expires": m.expires, "words": words }),
        );
    }
    let text = match lines.is_empty() {
        true => "Nothing waits in your inbox.".to_owned(),
        false => {
            lines.push("Answer one with `dnavault-wallet inbox answer --message NONCE`.".into());
            lines.join("\n")
        }
    };
    session.emit(&json!({ "messages": items }), &text)
}

async fn answer(session: &Session, args: &AnswerArgs) -> eyre::Result<()> {
    let (inbox, seed) = open(session, &args.inbox).await?;
    let answered = match args.decline {
        true => inbox.decline(args.message, unix_now()?).await?,
        false => {
            let verifier = args.inbox.owner.verifier()?;
            let prepared = inbox.prepare(args.message, &verifier, unix_now()?).await?;
            if prepared.signs() {
                session.confirm(prepared.explanation(), prepared.question())?;
            }
            let bind = match (args.bind_key, prepared.binding()) {
                (true, Some(words)) => {
                    session.confirm(words, "Bind this key on-chain?")?;
                    true
                }
                _ => false,
            };
            let submit = match args.send {
                true => Submit::Own,
                false => Submit::Relayer,
            };
            inbox.approve(&prepared, &seed, submit, bind).await?
        }
    };
    session.emit(&serde_json::to_value(&answered)?, &answered.words)
}
