//! The owner's relay inbox, for the CLI and the phone alike: registering it (this wallet's HPKE key under
//! the account's EIP-712 signature), opening what waits there and saying each in words, checking a request
//! before the owner is asked ([`Inbox::prepare`]), and sending the answer sealed to whoever asked.
//!
//! Nothing is signed between `prepare` and `approve`: that is where the owner reads the explanation and
//! says yes.

use alloy::primitives::{Address, B256, U256};
use dnavault_attest::Verifier;
use dnavault_envelope::RecipientKey;
use dnavault_keys::Seed;
use dnavault_protocol::{ApproveMeasurement, ApproveTool, BindVaultKey, QueryApproval};
use dnavault_relay::{Envelope, Payload, Seen, SignedRead, SignedRegistration};

use crate::{
    Result, WalletError,
    approval::ToApprove,
    boot::{self, CheckedBoot},
    explain::{self, Explanation},
    owner::Owner,
    registry::Connection,
};

pub use crate::owner::Submit;

mod answer;
mod words;

pub use words::describe;

/// How long an answer waits in the asker's inbox, in seconds.
pub const ANSWER_SECS: u64 = 600;

/// The owner's inbox at one relay, for one account of the seed.
pub struct Inbox {
    owner: Owner,
    key: RecipientKey,
    registration: SignedRegistration,
}

/// A message waiting in the inbox: opened, or why it was refused (a refused one is never shown).
#[derive(Debug, Clone)]
pub struct Waiting {
    /// The message as the relay holds it.
    pub envelope: Envelope,
    /// What it carries, or why it was refused.
    pub opened: std::result::Result<Payload, String>,
}

impl Waiting {
    /// The message's nonce: how it is named when answered.
    pub fn nonce(&self) -> B256 {
        self.envelope.message.nonce
    }

    /// What it asks, in words.
    pub fn words(&self) -> String {
        match &self.opened {
            Ok(payload) => describe(payload),
            Err(why) => format!("REFUSED, not shown: {why}"),
        }
    }
}

/// A request checked and put in words, waiting for the owner's yes or no.
#[derive(Debug, Clone)]
pub struct Prepared {
    nonce: B256,
    explanation: Explanation,
    pending: Pending,
}

#[derive(Debug, Clone)]
enum Pending {
    Boot {
        checked: Box<CheckedBoot>,
        /// Binding the vault's attested key on-chain, when it is not bound yet: signed only if asked.
        bind: Option<(BindVaultKey, Explanation)>,
    },
    Query {
        to: Box<ToApprove>,
        approval: QueryApproval,
    },
    CodeUpdate {
        vault: U256,
        vault_key: Address,
        /// `None` when the code is approved already: nothing to sign, the vault is told.
        message: Option<ApproveMeasurement>,
    },
    ToolInstall {
        vault: U256,
        vault_key: Address,
        /// `None` when the tool is installed already: nothing to sign, the vault is told.
        message: Option<ApproveTool>,
    },
}

impl Prepared {
    /// The message answered.
    pub fn nonce(&self) -> B256 {
        self.nonce
    }

    /// What approving does, in words.
    pub fn explanation(&self) -> &Explanation {
        &self.explanation
    }

    /// The question put to the owner.
    pub fn question(&self) -> &'static str {
        match &self.pending {
            Pending::Boot { .. } => "Release the data key to this vault?",
            Pending::Query { .. } => "Approve this query?",
            Pending::CodeUpdate { message: None, .. } => "Tell the vault its code is approved?",
            Pending::CodeUpdate { .. } => "Approve this code for your vault?",
            Pending::ToolInstall { message: None, .. } => "Tell the vault the tool is installed?",
            Pending::ToolInstall { .. } => "Install this tool in your vault?",
        }
    }

    /// Whether approving signs anything (code or a tool approved already signs nothing).
    pub fn signs(&self) -> bool {
        !matches!(
            self.pending,
            Pending::CodeUpdate { message: None, .. } | Pending::ToolInstall { message: None, .. }
        )
    }

    /// For a boot request whose vault key is not bound on-chain yet: what binding it signs, in words.
    /// Researchers accept receipts only from a vault's bound key, and the vault anchors them with it.
    pub fn binding(&self) -> Option<&Explanation> {
        match &self.pending {
            Pending::Boot { bind, .. } => bind.as_ref().map(|(_, words)| words),
            _ => None,
        }
    }
}

/// What an answer did.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Answered {
    /// The message answered.
    pub answered: B256,
    /// Yes or no.
    pub approved: bool,
    /// The vault it concerns.
    pub vault: U256,
    /// The registry transaction an approved code update made.
    pub transaction: Option<B256>,
    /// What happened, in words.
    pub words: String,
}

impl Inbox {
    /// `seed`'s inbox for account `index`, reached through `relay` (the website's URL), its registration
    /// signed at `now` for `connection`'s deployment.
    pub fn open(
        seed: &Seed,
        index: u32,
        connection: Connection,
        relay: &str,
        now: u64,
    ) -> Result<Self> {
        let owner = Owner::new(seed, index, connection, relay)?;
        let key = seed.hpke_key()?;
        let registration = SignedRegistration::sign(
            owner.signer(),
            owner.relay().domain(),
            &key.public_key(),
            now,
        )?;
        Ok(Self {
            owner,
            key,
            registration,
        })
    }

    /// The owner online: its account, registry connection and relay.
    pub fn owner(&self) -> &Owner {
        &self.owner
    }

    /// The account whose inbox this is.
    pub fn account(&self) -> Address {
        self.owner.account()
    }

    /// Registers (or renews) the inbox with the relay, refusing an answer for another inbox; its topic.
    pub async fn pair(&self) -> Result<B256> {
        let answered = self.owner.relay().register(&self.registration).await?;
        let topic = self.registration.topic();
        if answered != topic {
            return Err(WalletError::Inbox(format!(
                "the relay answered topic {answered}, this inbox is {topic}: it did not register it"
            )));
        }
        Ok(topic)
    }

    /// Every waiting message, opened or refused, checked against a fresh replay record at `now`: listing
    /// acts on nothing.
    pub async fn waiting(&self, now: u64) -> Result<Vec<Waiting>> {
        let mut seen = Seen::default();
        let topic = self.registration.topic();
        let read = SignedRead::sign(self.owner.signer(), self.owner.relay().domain(), topic, now)?;
        let envelopes = self.owner.relay().waiting(&read).await?;
        Ok(envelopes
            .into_iter()
            .map(|envelope| {
                let opened = envelope
                    .open(
                        self.owner.relay().domain(),
                        &self.registration,
                        &self.key,
                        &mut seen,
                        now,
                    )
                    .and_then(|o| Payload::from_bytes(o.kind, &o.payload))
                    .map_err(|e| e.to_string());
                Waiting { envelope, opened }
            })
            .collect())
    }

    /// Message `nonce`, opened; refused when it is not waiting or did not open.
    async fn find(&self, nonce: B256, now: u64) -> Result<(Envelope, Payload)> {
        let waiting = self.waiting(now).await?;
        let Some(found) = waiting.into_iter().find(|w| w.nonce() == nonce) else {
            return Err(WalletError::Inbox(format!(
                "no message {nonce} waits in your inbox"
            )));
        };
        let payload = found
            .opened
            .map_err(|why| WalletError::Inbox(format!("message {nonce} is refused: {why}")))?;
        Ok((found.envelope, payload))
    }

    /// Checks request `nonce` as the CLI's `boot` and `approve-query` do and puts it in words; `verifier`
    /// judges a boot request's attestation. Nothing is signed.
    pub async fn prepare(&self, nonce: B256, verifier: &Verifier, now: u64) -> Result<Prepared> {
        let (envelope, payload) = self.find(nonce, now).await?;
        let sender = envelope.message.sender;
        let deployment = self.owner.connection().deployment();
        let (explanation, pending) = match payload {
            Payload::BootRequest { request, .. } => {
                if sender != request.vault_key {
                    return Err(WalletError::Inbox(format!(
                        "the boot request was sent by {sender}, not by the vault key its evidence binds"
                    )));
                }
                let checked = boot::check(
                    &request,
                    self.owner.connection(),
                    verifier,
                    self.owner.signer(),
                )
                .await?;
                let bind = self.binding(&checked, now).await?;
                let explanation = boot::explain(&checked);
                let pending = Pending::Boot {
                    checked: Box::new(checked),
                    bind,
                };
                (explanation, pending)
            }
            Payload::QueryApprovalRequest { submission } => {
                let to = ToApprove::from_submission(submission, self.owner.relay().domain())?;
                let request = &to.submission.signed.request;
                if sender != request.researcher {
                    return Err(WalletError::Inbox(format!(
                        "the approval request was sent by {sender}, not by the researcher who signed the query"
                    )));
                }
                self.owner
                    .connection()
                    .require_owner(request.vaultId, self.account())
                    .await?;
                let approval = to.approval(U256::from(now.saturating_add(ANSWER_SECS)));
                let explanation = explain::query_approval(&approval, deployment, &to);
                let pending = Pending::Query {
                    to: Box::new(to),
                    approval,
                };
                (explanation, pending)
            }
            Payload::CodeUpdateRequest {
                vault_id,
                measurement,
                note,
            } => {
                self.require_vault_key(vault_id, sender).await?;
                let approved = self
                    .owner
                    .connection()
                    .is_measurement_approved(vault_id, measurement.clone())
                    .await?;
                let message = ApproveMeasurement {
                    vaultId: vault_id,
                    measurement,
                    nonce: self.owner.connection().nonce(vault_id).await?,
                    deadline: U256::from(now.saturating_add(ANSWER_SECS)),
                };
                let mut explanation = explain::code_update(&message, deployment, sender, &note);
                if approved {
                    explanation.title = format!(
                        "Vault {vault_id}'s new code is approved already: tell it so (nothing is signed)"
                    );
                }
                let pending = Pending::CodeUpdate {
                    vault: vault_id,
                    vault_key: sender,
                    message: (!approved).then_some(message),
                };
                (explanation, pending)
            }
            Payload::ToolInstallRequest {
                vault_id,
                tool,
                note,
            } => {
                self.tool_install(vault_id, sender, &tool, &note, now)
                    .await?
            }
            other => {
                return Err(WalletError::Inbox(format!(
                    "message {nonce} is a {:?}, which a wallet does not answer",
                    other.kind()
                )));
            }
        };
        Ok(Prepared {
            nonce,
            explanation,
            pending,
        })
    }

    /// A tool install request from `sender`, checked (its manifest well formed, its sender the vault's
    /// bound key) and in words.
    async fn tool_install(
        &self,
        vault: U256,
        sender: Address,
        tool: &dnavault_protocol::tool::ToolManifest,
        note: &str,
        now: u64,
    ) -> Result<(Explanation, Pending)> {
        tool.check().map_err(|e| {
            WalletError::Inbox(format!(
                "the tool install request's manifest is malformed ({e}): refused"
            ))
        })?;
        self.require_vault_key(vault, sender).await?;
        let connection = self.owner.connection();
        let id = tool.id();
        let installed = connection.is_tool_approved(vault, id).await?;
        let message = ApproveTool {
            vaultId: vault,
            tool: id,
            nonce: connection.nonce(vault).await?,
            deadline: U256::from(now.saturating_add(ANSWER_SECS)),
        };
        let mut explanation =
            explain::tool_install(&message, connection.deployment(), tool, sender, note);
        if installed {
            explanation.title = format!(
                "The tool {} {} is installed in vault {vault} already: tell it so (nothing is signed)",
                tool.name, tool.version
            );
        }
        let pending = Pending::ToolInstall {
            vault,
            vault_key: sender,
            message: (!installed).then_some(message),
        };
        Ok((explanation, pending))
    }

    /// Refuses a code update or tool install request unless `sender` is `vault`'s bound key and the vault is
    /// this account's.
    async fn require_vault_key(&self, vault: U256, sender: Address) -> Result<()> {
        if !self
            .owner
            .connection()
            .is_active_vault_key(vault, sender)
            .await?
        {
            return Err(WalletError::Inbox(format!(
                "the request for new code was sent by {sender}, which is not vault {vault}'s bound key: refused"
            )));
        }
        self.owner
            .connection()
            .require_owner(vault, self.account())
            .await
    }

    /// The binding of `checked`'s attested key, valid until `now` + [`ANSWER_SECS`], in words; `None` when
    /// that key is bound already.
    async fn binding(
        &self,
        checked: &CheckedBoot,
        now: u64,
    ) -> Result<Option<(BindVaultKey, Explanation)>> {
        let request = &checked.request;
        let vault = request.vault_id;
        if self
            .owner
            .connection()
            .is_active_vault_key(vault, request.vault_key)
            .await?
        {
            return Ok(None);
        }
        let message = BindVaultKey {
            vaultId: vault,
            vaultKey: request.vault_key,
            measurement: checked.verified.measurement.to_vec().into(),
            nonce: self.owner.connection().nonce(vault).await?,
            deadline: U256::from(now.saturating_add(ANSWER_SECS)),
        };
        let words = explain::bind_vault_key(&message, self.owner.connection().deployment());
        Ok(Some((message, words)))
    }
}
