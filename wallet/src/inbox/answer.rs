//! Answering a prepared request: yes (signed, sealed to whoever asked, sent through the relay) or no.

use alloy::{
    primitives::{Address, B256, U256},
    signers::SignerSync,
    sol_types::SolStruct,
};
use dnavault_keys::Seed;
use dnavault_protocol::clock;
use dnavault_relay::{Envelope, Payload, SignedAck};

use super::{ANSWER_SECS, Answered, Inbox, Pending, Prepared, Submit};
use crate::{Result, WalletError, boot};

impl Inbox {
    /// Says yes to `prepared`: signs what it asks (with `seed` for a boot's data key) and sends the answer
    /// through the relay; an approved code update goes to the chain as `submit` says first, and so does a
    /// booted vault's key binding when `bind` (after the boot answer: a failed binding leaves the vault
    /// booted, and says so).
    pub async fn approve(
        &self,
        prepared: &Prepared,
        seed: &Seed,
        submit: Submit,
        bind: bool,
    ) -> Result<Answered> {
        let nonce = prepared.nonce;
        match &prepared.pending {
            Pending::Boot {
                checked,
                bind: binding,
            } => {
                let request = &checked.request;
                let response = boot::answer(checked, seed, self.owner.signer()).await?;
                let vault_inbox = self.owner.relay().inbox_of(request.vault_key).await?;
                if vault_inbox.registration.hpkeKey != request.hpke_public_key {
                    return Err(WalletError::Inbox(
                        "the vault's inbox is not sealed to the HPKE key its attestation binds: refused".into(),
                    ));
                }
                let answer = Payload::BootAnswer {
                    request: nonce,
                    response,
                };
                self.reply(request.vault_key, &answer, nonce).await?;
                let mut words = format!(
                    "Answered: vault {} takes its data key from the relay, sealed to its attested key.",
                    checked.vault_id
                );
                let mut transaction = None;
                if let (true, Some((message, _))) = (bind, binding) {
                    match self.owner.submit(message, submit).await {
                        Ok(tx) => {
                            transaction = Some(tx);
                            words.push_str(&format!(
                                " Its key {} is bound on-chain (transaction {tx}).",
                                request.vault_key
                            ));
                        }
                        Err(error) => words.push_str(&format!(
                            " Its key was NOT bound on-chain ({error}): researchers will not accept its \
                             receipts until it is; answer its next boot request or bind it from the CLI."
                        )),
                    }
                }
                Ok(Answered {
                    answered: nonce,
                    approved: true,
                    vault: request.vault_id,
                    transaction,
                    words,
                })
            }
            Pending::Query { to, approval } => {
                let digest = approval.eip712_signing_hash(self.owner.relay().domain());
                let signature = self.owner.signer().sign_hash_sync(&digest)?;
                let answer = Payload::QueryApprovalAnswer {
                    request: nonce,
                    approval: Some(approval.clone()),
                    signature: Some(signature.as_bytes().to_vec().into()),
                };
                let researcher = to.submission.signed.request.researcher;
                self.reply(researcher, &answer, nonce).await?;
                Ok(Answered {
                    answered: nonce,
                    approved: true,
                    vault: approval.vaultId,
                    transaction: None,
                    words: format!(
                        "Approved: request {} of {researcher}, sent to them through the relay.",
                        to.request_hash
                    ),
                })
            }
            Pending::CodeUpdate {
                vault,
                vault_key,
                message,
            } => {
                let said = [
                    format!("Approved: vault {vault} may boot the new code"),
                    format!("That code is approved for vault {vault} already"),
                ];
                self.code_approved(nonce, (*vault, *vault_key), message.as_ref(), submit, said)
                    .await
            }
            Pending::ToolInstall {
                vault,
                vault_key,
                message,
            } => {
                let said = [
                    format!("Installed: grants that name the tool may run it in vault {vault}"),
                    format!("That tool is installed in vault {vault} already"),
                ];
                self.code_approved(nonce, (*vault, *vault_key), message.as_ref(), submit, said)
                    .await
            }
        }
    }

    /// Approves code (a measurement or a tool) a vault asked for in request `nonce`: submits `message`
    /// (`None` when the chain lists it already) and tells the vault. `said` is what happened, approved now
    /// or already.
    async fn code_approved<S: SolStruct + serde::Serialize>(
        &self,
        nonce: B256,
        (vault, vault_key): (U256, Address),
        message: Option<&S>,
        submit: Submit,
        said: [String; 2],
    ) -> Result<Answered> {
        let transaction = match message {
            Some(message) => Some(self.owner.submit(message, submit).await?),
            None => None,
        };
        let answer = Payload::CodeUpdateAnswer {
            request: nonce,
            approved: true,
        };
        self.reply(vault_key, &answer, nonce).await?;
        let [now, already] = said;
        let words = match transaction {
            Some(tx) => format!("{now} (transaction {tx}); the vault was told."),
            None => format!("{already}: nothing was signed; the vault was told."),
        };
        Ok(Answered {
            answered: nonce,
            approved: true,
            vault,
            transaction,
            words,
        })
    }

    /// Says no to message `nonce`; nothing is signed but the answer. A boot request is removed (the vault
    /// stays sealed and asks again later); a researcher or vault that asked is told no.
    pub async fn decline(&self, nonce: B256, now: u64) -> Result<Answered> {
        let (envelope, payload) = self.find(nonce, now).await?;
        let sender = envelope.message.sender;
        let declined = |vault: U256, words: String| Answered {
            answered: nonce,
            approved: false,
            vault,
            transaction: None,
            words,
        };
        match payload {
            Payload::BootRequest { request, .. } => {
                self.acknowledge(nonce).await?;
                Ok(declined(
                    request.vault_id,
                    "Declined: the request is removed; the vault stays sealed (it asks again in an hour).".into(),
                ))
            }
            Payload::QueryApprovalRequest { submission } => {
                let request = &submission.signed.request;
                if sender != request.researcher {
                    // Not the researcher's own request: nobody is told anything, the message is dropped.
                    self.acknowledge(nonce).await?;
                    return Ok(declined(
                        request.vaultId,
                        format!(
                            "Removed: the message was sent by {sender}, not by researcher {}; nobody was told.",
                            request.researcher
                        ),
                    ));
                }
                let answer = Payload::QueryApprovalAnswer {
                    request: nonce,
                    approval: None,
                    signature: None,
                };
                self.reply(sender, &answer, nonce).await?;
                Ok(declined(
                    request.vaultId,
                    format!("Declined: researcher {sender} was told no; the query does not run."),
                ))
            }
            Payload::CodeUpdateRequest { vault_id, .. } => {
                let what = "the new code is not approved".to_owned();
                self.code_declined(nonce, vault_id, sender, what).await
            }
            Payload::ToolInstallRequest { vault_id, tool, .. } => {
                let what = format!("the tool {} {} is not installed", tool.name, tool.version);
                self.code_declined(nonce, vault_id, sender, what).await
            }
            other => Err(WalletError::Inbox(format!(
                "message {nonce} is a {:?}, which a wallet does not answer",
                other.kind()
            ))),
        }
    }

    /// Tells the vault whose bound key `sender` asked for code in request `nonce` no: `what` did not happen.
    async fn code_declined(
        &self,
        nonce: B256,
        vault: U256,
        sender: Address,
        what: String,
    ) -> Result<Answered> {
        self.require_vault_key(vault, sender).await?;
        let answer = Payload::CodeUpdateAnswer {
            request: nonce,
            approved: false,
        };
        self.reply(sender, &answer, nonce).await?;
        Ok(Answered {
            answered: nonce,
            approved: false,
            vault,
            transaction: None,
            words: format!("Declined: vault {vault} was told no; {what}."),
        })
    }

    /// Sends `reply` to `to`'s inbox, sealed and signed by the owner, then acknowledges `request` answered.
    async fn reply(&self, to: Address, reply: &Payload, request: B256) -> Result<()> {
        let recipient = self.owner.relay().inbox_of(to).await?;
        let now = clock::unix_now().map_err(|e| WalletError::Inbox(e.to_string()))?;
        let sealed = Envelope::seal(
            self.owner.signer(),
            self.owner.relay().domain(),
            &recipient,
            reply.kind(),
            &reply.to_bytes(),
            now,
            ANSWER_SECS,
        )?;
        self.owner.relay().send(&sealed, None).await?;
        self.acknowledge(request).await
    }

    /// Tells the relay message `nonce` is taken: it forgets it.
    async fn acknowledge(&self, nonce: B256) -> Result<()> {
        let ack = SignedAck::sign(
            self.owner.signer(),
            self.owner.relay().domain(),
            self.registration.topic(),
            nonce,
        )?;
        Ok(self.owner.relay().ack(&ack).await?)
    }
}
