//! `dnavault-wallet inbox`: this wallet's relay inbox. Pairing registers it (the wallet's HPKE key under
//! the account's signature); listing opens what waits there and says in words what each asks; answering a
//! boot request checks the vault exactly as `boot` does and sends the answer, sealed to the vault's attested
//! key, back through the relay.

use alloy::{primitives::B256, signers::local::PrivateKeySigner};
use clap::{Args, Subcommand};
use dnavault_keys::Seed;
use dnavault_relay::{Envelope, Payload, RelayClient, Seen, SignedAck, SignedRegistration};
use dnavault_wallet::{boot, registry::Connection};
use eyre::{WrapErr, bail};
use serde_json::json;

use super::{Session, owner::OwnerArgs};

mod code_update;

/// How long an answer waits in the vault's inbox, in seconds.
const ANSWER_SECS: u64 = 600;

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
    /// Submit an approval of new code as your own transaction (else the relay's website submits it).
    #[arg(long)]
    send: bool,
    #[command(flatten)]
    inbox: InboxArgs,
}

/// The wallet's inbox at one relay, opened.
struct Inbox {
    seed: Seed,
    owner: PrivateKeySigner,
    connection: Connection,
    relay: RelayClient,
    registration: SignedRegistration,
    key: dnavault_envelope::RecipientKey,
}

impl Inbox {
    async fn open(session: &Session, args: &InboxArgs) -> eyre::Result<Self> {
        let seed = session.unlock()?.seed();
        let owner = seed.ethereum_signer(args.owner.index)?;
        let connection = args.owner.connect(session, owner.clone()).await?;
        let deployment = connection.deployment();
        let domain =
            dnavault_protocol::eip712::registry_domain(deployment.chain_id, deployment.registry);
        let key = seed.hpke_key()?;
        let now = dnavault_protocol::clock::unix_now()?;
        let registration = SignedRegistration::sign(&owner, &domain, &key.public_key(), now)?;
        let relay = RelayClient::new(&args.relay, domain)?;
        Ok(Self {
            seed,
            owner,
            connection,
            relay,
            registration,
            key,
        })
    }

    /// Every waiting message, opened (or why it was refused), with a fresh replay record: listing acts on
    /// nothing.
    async fn messages(&self) -> eyre::Result<Vec<(Envelope, Result<Payload, String>)>> {
        let now = dnavault_protocol::clock::unix_now()?;
        let mut seen = Seen::default();
        let topic = self.registration.topic();
        let read = dnavault_relay::SignedRead::sign(&self.owner, self.relay.domain(), topic, now)?;
        let waiting = self.relay.waiting(&read).await?;
        Ok(waiting
            .into_iter()
            .map(|envelope| {
                let opened = envelope
                    .open(
                        self.relay.domain(),
                        &self.registration,
                        &self.key,
                        &mut seen,
                        now,
                    )
                    .and_then(|o| Payload::from_bytes(o.kind, &o.payload))
                    .map_err(|e| e.to_string());
                (envelope, opened)
            })
            .collect())
    }
}

pub(crate) async fn run(session: &Session, command: InboxCommand) -> eyre::Result<()> {
    match command {
        InboxCommand::Pair(args) => pair(session, &args).await,
        InboxCommand::List(args) => list(session, &args).await,
        InboxCommand::Answer(args) => answer(session, &args).await,
    }
}

async fn pair(session: &Session, args: &InboxArgs) -> eyre::Result<()> {
    let inbox = Inbox::open(session, args).await?;
    let topic = inbox.relay.register(&inbox.registration).await?;
    session.emit(
        &json!({ "topic": topic, "account": inbox.owner.address() }),
        &format!(
            "Paired: {} has an inbox at {} (topic {topic}). Your vaults and the researchers you deal with \
             can now ask you through it; nothing is done without your answer.",
            inbox.owner.address(),
            args.relay
        ),
    )
}

async fn list(session: &Session, args: &InboxArgs) -> eyre::Result<()> {
    let inbox = Inbox::open(session, args).await?;
    let messages = inbox.messages().await?;
    let mut lines = Vec::new();
    let mut items = Vec::new();
    for (envelope, opened) in &messages {
        let m = &envelope.message;
        let words = match opened {
            Ok(payload) => describe(payload),
            Err(why) => format!("REFUSED, not shown: {why}"),
        };
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
        false => lines.join("\n"),
    };
    session.emit(&json!({ "messages": items }), &text)
}

/// A payload in words.
fn describe(payload: &Payload) -> String {
    match payload {
        Payload::BootRequest { request, vault_url } => format!(
            "vault {} at {vault_url} asks you to boot it (key {}); answer with `dnavault-wallet inbox answer \
             --message NONCE`, which checks its attestation first",
            request.vault_id, request.vault_key
        ),
        Payload::QueryApprovalRequest { submission } => format!(
            "researcher {} asks you to approve one query on vault {}: {}; answer with `dnavault-wallet \
             inbox answer --message NONCE`, which shows it against its grant first",
            submission.signed.request.researcher,
            submission.signed.request.vaultId,
            submission.query
        ),
        Payload::CodeUpdateRequest {
            vault_id,
            measurement,
            note,
        } => format!(
            "vault {vault_id} asks you to approve new code {measurement} ({note:?}, in its operator's words)"
        ),
        other => format!("an answer ({:?}), not addressed to a wallet", other.kind()),
    }
}

async fn answer(session: &Session, args: &AnswerArgs) -> eyre::Result<()> {
    let inbox = Inbox::open(session, &args.inbox).await?;
    let messages = inbox.messages().await?;
    let Some((envelope, opened)) = messages
        .into_iter()
        .find(|(envelope, _)| envelope.message.nonce == args.message)
    else {
        bail!("no message {} waits in your inbox", args.message);
    };
    let payload =
        opened.map_err(|why| eyre::eyre!("message {} is refused: {why}", args.message))?;
    match payload {
        Payload::BootRequest { .. } if args.decline => {
            let ack = SignedAck::sign(
                &inbox.owner,
                inbox.relay.domain(),
                inbox.registration.topic(),
                args.message,
            )?;
            inbox.relay.ack(&ack).await?;
            session.emit(
                &json!({ "answered": args.message, "approved": false }),
                "Declined: the request is removed; the vault stays sealed (it asks again in an hour).",
            )
        }
        Payload::BootRequest { request, .. } => {
            answer_boot(session, args, &inbox, &envelope, request).await
        }
        Payload::QueryApprovalRequest { submission } if args.decline => {
            let answer = Payload::QueryApprovalAnswer {
                request: args.message,
                approval: None,
                signature: None,
            };
            let researcher = submission.signed.request.researcher;
            reply(&inbox, researcher, &answer, args.message).await?;
            session.emit(
                &json!({ "answered": args.message, "approved": false }),
                &format!("Declined: researcher {researcher} was told no; the query does not run."),
            )
        }
        Payload::QueryApprovalRequest { submission } => {
            answer_query(session, args, &inbox, &envelope, submission).await
        }
        Payload::CodeUpdateRequest {
            vault_id,
            measurement,
            note,
        } => {
            let update = code_update::CodeUpdate {
                vault: vault_id,
                measurement,
                note,
            };
            code_update::answer(session, args, &inbox, &envelope, update).await
        }
        other => bail!(
            "message {} is a {:?}, which a wallet does not answer",
            args.message,
            other.kind()
        ),
    }
}

/// Sends `reply` to `to`'s inbox, sealed and signed by the owner, and acknowledges the request answered.
async fn reply(
    inbox: &Inbox,
    to: alloy::primitives::Address,
    reply: &Payload,
    request: B256,
) -> eyre::Result<()> {
    let kind = reply.kind();
    let recipient = inbox.relay.inbox_of(to).await?;
    let now = dnavault_protocol::clock::unix_now()?;
    let domain = inbox.relay.domain();
    let bytes = reply.to_bytes();
    let sealed = Envelope::seal(
        &inbox.owner,
        domain,
        &recipient,
        kind,
        &bytes,
        now,
        ANSWER_SECS,
    )?;
    inbox
        .relay
        .send(&sealed, None)
        .await
        .wrap_err("the relay did not take the answer")?;
    let ack = SignedAck::sign(&inbox.owner, domain, inbox.registration.topic(), request)?;
    inbox.relay.ack(&ack).await?;
    Ok(())
}

/// Approves one query after showing it in words against its grant (as `approve-query` does).
async fn answer_query(
    session: &Session,
    args: &AnswerArgs,
    inbox: &Inbox,
    envelope: &Envelope,
    submission: dnavault_protocol::query::QuerySubmission,
) -> eyre::Result<()> {
    let domain = inbox.relay.domain();
    let to = dnavault_wallet::approval::ToApprove::from_submission(submission, domain)?;
    let request = &to.submission.signed.request;
    if envelope.message.sender != request.researcher {
        bail!(
            "the approval request was sent by {}, not by the researcher who signed the query",
            envelope.message.sender
        );
    }
    let owner = inbox.connection.owner_of(request.vaultId).await?;
    if owner != inbox.owner.address() {
        bail!("vault {} is {owner}'s, not this account's", request.vaultId);
    }
    let deadline = dnavault_protocol::clock::deadline_in(ANSWER_SECS)?;
    let approval = to.approval(alloy::primitives::U256::from(deadline));
    let deployment = inbox.connection.deployment();
    let explanation = dnavault_wallet::explain::query_approval(&approval, deployment, &to);
    session.confirm(&explanation, "Approve this query?")?;
    let digest = alloy::sol_types::SolStruct::eip712_signing_hash(&approval, domain);
    let signature = alloy::signers::SignerSync::sign_hash_sync(&inbox.owner, &digest)?;
    let answer = Payload::QueryApprovalAnswer {
        request: args.message,
        approval: Some(approval),
        signature: Some(signature.as_bytes().to_vec().into()),
    };
    let researcher = request.researcher;
    reply(inbox, researcher, &answer, args.message).await?;
    session.emit(
        &json!({ "answered": args.message, "approved": to.request_hash }),
        &format!(
            "Approved: request {} of {researcher}, sent to them through the relay.",
            to.request_hash
        ),
    )
}

/// Boots a vault after checking it as `boot` does.
async fn answer_boot(
    session: &Session,
    args: &AnswerArgs,
    inbox: &Inbox,
    envelope: &Envelope,
    request: dnavault_protocol::boot::BootRequest,
) -> eyre::Result<()> {
    if envelope.message.sender != request.vault_key {
        bail!(
            "the boot request was sent by {}, not by the vault key its evidence binds",
            envelope.message.sender
        );
    }
    let verifier = args.inbox.owner.verifier()?;
    let checked = boot::check(&request, &inbox.connection, &verifier, &inbox.owner).await?;
    session.confirm(
        &boot::explain(&checked),
        "Release the data key to this vault?",
    )?;
    let response = boot::answer(&checked, &inbox.seed, &inbox.owner).await?;
    let vault_inbox = inbox.relay.inbox_of(request.vault_key).await?;
    if vault_inbox.registration.hpkeKey != request.hpke_public_key {
        bail!("the vault's inbox is not sealed to the HPKE key its attestation binds: refused");
    }
    let answer = Payload::BootAnswer {
        request: args.message,
        response,
    };
    reply(inbox, request.vault_key, &answer, args.message).await?;
    session.emit(
        &json!({ "answered": args.message, "vault": checked.vault_id }),
        &format!(
            "Answered: vault {} takes its data key from the relay, sealed to its attested key.",
            checked.vault_id
        ),
    )
}
