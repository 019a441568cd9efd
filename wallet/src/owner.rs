//! The owner online, for the CLI and the phone alike: one account of the seed, the registry it reads its
//! checks from, and the website's relay and relayer its registry messages go out through. What it signs is
//! first put in words ([`Signing`]); nothing is signed before [`Owner::sign_and_submit`].

use alloy::{
    primitives::{Address, B256, U256},
    signers::local::PrivateKeySigner,
};
use dnavault_keys::Seed;
use dnavault_protocol::{GrantRequest, Revoke};
use dnavault_relay::RelayClient;

use crate::{
    Result, WalletError,
    explain::{self, Explanation},
    inputs::Analysis,
    registry::Connection,
    typed,
};

/// How long a signed registry message stays valid for the relayer to submit, in seconds.
pub const SIGNATURE_SECS: u64 = 600;

/// How a signed registry message reaches the chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Submit {
    /// The website's relayer submits it from its own account (the owner needs no ether).
    Relayer,
    /// The owner's own account sends it.
    Own,
}

/// One account of the seed, with its registry connection and the website's relay.
pub struct Owner {
    signer: PrivateKeySigner,
    connection: Connection,
    relay: RelayClient,
}

/// The owner's choices when granting an access request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GrantChoices {
    /// Until when (Unix seconds), at most what was requested; `None`: as requested.
    pub expiry: Option<u64>,
    /// Whether each query also needs the owner's approval.
    pub per_query_approval: bool,
    /// How many queries the grant allows (0: no limit).
    pub max_queries: u32,
}

/// A registry message made and put in words, not signed yet.
#[derive(Debug, Clone)]
pub struct Signing {
    message: Message,
    explanation: Explanation,
}

#[derive(Debug, Clone)]
enum Message {
    GrantRequest(GrantRequest),
    Revoke(Revoke),
}

impl Signing {
    /// What signing does, in words.
    pub fn explanation(&self) -> &Explanation {
        &self.explanation
    }
}

impl Owner {
    /// Account `index` of `seed`, reading `connection`'s registry, reaching the website at `relay`.
    pub fn new(seed: &Seed, index: u32, connection: Connection, relay: &str) -> Result<Self> {
        let signer = seed.ethereum_signer(index)?;
        let deployment = connection.deployment();
        let domain =
            dnavault_protocol::eip712::registry_domain(deployment.chain_id, deployment.registry);
        let relay = RelayClient::new(relay, domain)?;
        Ok(Self {
            signer,
            connection,
            relay,
        })
    }

    /// The account.
    pub fn account(&self) -> Address {
        self.signer.address()
    }

    /// Its signing key.
    pub fn signer(&self) -> &PrivateKeySigner {
        &self.signer
    }

    /// The registry connection checks read.
    pub fn connection(&self) -> &Connection {
        &self.connection
    }

    /// The website's relay.
    pub fn relay(&self) -> &RelayClient {
        &self.relay
    }

    /// Access request `id` granted as its researcher asked, on the owner's `choices`, valid for the relayer
    /// until `now` + [`SIGNATURE_SECS`]: read from the chain (it must be pending, for a vault this account
    /// owns, and name the analysis descriptor its scope is the hash of) and put in words.
    pub async fn grant_request(
        &self,
        id: U256,
        choices: GrantChoices,
        now: u64,
    ) -> Result<Signing> {
        let filed = self.connection.access_request(id).await?;
        let request = &filed.request;
        if request.status != 1 {
            return Err(WalletError::Input {
                what: format!("access request {id}"),
                reason: format!(
                    "it is {}, not pending: nothing to grant",
                    filed.status_words()
                ),
            });
        }
        let vault = U256::from(request.vaultId);
        self.connection.require_owner(vault, self.account()).await?;
        let analysis = filed.published()?;
        let expiry = choices.expiry.unwrap_or(request.requestedExpiry);
        if expiry > request.requestedExpiry {
            return Err(WalletError::input(
                "the expiry",
                format!(
                    "{} is later than the researcher asked for ({})",
                    crate::inputs::format_time(expiry),
                    crate::inputs::format_time(request.requestedExpiry)
                ),
            ));
        }
        let message = GrantRequest {
            requestId: id,
            vaultId: vault,
            researcher: request.researcher,
            scope: request.scope,
            purpose: request.purpose,
            expiry,
            perQueryApproval: choices.per_query_approval,
            maxQueries: choices.max_queries,
            nonce: self.connection.nonce(vault).await?,
            deadline: U256::from(now.saturating_add(SIGNATURE_SECS)),
        };
        let explanation = explain::grant_request_message(
            &message,
            self.connection.deployment(),
            &analysis,
            Some(&filed),
        );
        Ok(Signing {
            message: Message::GrantRequest(message),
            explanation,
        })
    }

    /// The revocation of `grantee`'s grant of `scope` on `vault` (which must be live on-chain and this
    /// account's), valid until `now` + [`SIGNATURE_SECS`]; `analysis` says what the scope allows, when known.
    pub async fn revoke(
        &self,
        vault: U256,
        grantee: Address,
        scope: B256,
        analysis: Option<&Analysis>,
        now: u64,
    ) -> Result<Signing> {
        self.connection.require_owner(vault, self.account()).await?;
        if !self.connection.is_allowed(vault, grantee, scope).await? {
            return Err(WalletError::input(
                "the grant",
                format!(
                    "{grantee} holds no live grant of scope {scope} on vault {vault}: nothing to revoke"
                ),
            ));
        }
        let message = Revoke {
            vaultId: vault,
            grantee,
            scope,
            nonce: self.connection.nonce(vault).await?,
            deadline: U256::from(now.saturating_add(SIGNATURE_SECS)),
        };
        let analysis = Analysis::of_scope(scope, analysis)?;
        let explanation = explain::revoke(&message, self.connection.deployment(), &analysis);
        Ok(Signing {
            message: Message::Revoke(message),
            explanation,
        })
    }

    /// Signs `signing`'s message, after the owner said yes, and has it submitted as `how` says; the
    /// transaction.
    pub async fn sign_and_submit(&self, signing: &Signing, how: Submit) -> Result<B256> {
        match &signing.message {
            Message::GrantRequest(m) => self.submit(m, how).await,
            Message::Revoke(m) => self.submit(m, how).await,
        }
    }

    /// Signs the registry message `message` and has it submitted as `how` says; the transaction.
    pub(crate) async fn submit<S: alloy::sol_types::SolStruct + serde::Serialize>(
        &self,
        message: &S,
        how: Submit,
    ) -> Result<B256> {
        let signed = typed::sign(&self.signer, typed::document(message, self.relay.domain()))?;
        match how {
            Submit::Own => Ok(self.connection.submit(&signed).await?.transaction),
            Submit::Relayer => {
                let body = serde_json::json!({
                    "typedData": signed.typed_data,
                    "signature": signed.signature,
                });
                let relayed = self.relay.relay_signed(&body).await?;
                relayed["transaction"]
                    .as_str()
                    .and_then(|tx| tx.parse().ok())
                    .ok_or_else(|| {
                        WalletError::Chain(format!(
                            "the website's relayer answered without a transaction: {relayed}"
                        ))
                    })
            }
        }
    }
}
