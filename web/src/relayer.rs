//! The relayer: submits owners' EIP-712-signed registry messages (grant, revoke, approve or revoke code,
//! bind a vault key) on-chain from the website's own funded account, for owners who hold no ether.
//!
//! It spends its ether only on messages that will succeed: the message must be for this deployment's
//! signing domain, signed by the vault's current owner (an owner that is a contract is left to the
//! registry's EIP-1271 check), inside its deadline, within the owner's hourly allowance, and pass a dry run
//! of the very call. Every refusal says which of those failed.

use alloy::{
    dyn_abi::TypedData,
    network::EthereumWallet,
    primitives::{Address, B256, Bytes, Signature, U256},
    providers::{DynProvider, Provider, ProviderBuilder},
    signers::local::PrivateKeySigner,
    sol_types::SolStruct,
};
use axum::http::StatusCode;
use dnavault_protocol::{
    ApproveMeasurement, ApproveTool, BindVaultKey, Grant, GrantRequest, Revoke, RevokeMeasurement,
    RevokeTool,
    VaultRegistry::{self, VaultRegistryErrors, VaultRegistryInstance},
    eip712::registry_domain,
};
use serde::{Deserialize, Serialize};

use crate::{AppError, verify::Deployment};

/// A signed message as `dnavault-wallet` prints it without `--send` (its `digest` and `signer` are not
/// trusted: both are recomputed).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RelayRequest {
    /// The `eth_signTypedData_v4` document.
    pub typed_data: TypedData,
    /// The 65-byte signature.
    pub signature: Bytes,
}

/// What the relayer submitted.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Relayed {
    /// The message's type (`Grant`, `Revoke`, ...).
    pub kind: String,
    /// The vault.
    pub vault_id: u64,
    /// Its owner, who signed.
    #[serde(serialize_with = "crate::db::read::checksummed")]
    pub owner: Address,
    /// The transaction.
    pub transaction: B256,
    /// The block it was mined in.
    pub block: u64,
}

/// The relayer: the website's funded account and each owner's recent submissions.
pub struct Relayer {
    registry: VaultRegistryInstance<DynProvider>,
    account: Address,
    deployment: Deployment,
    allowance: crate::allowance::Allowance,
}

impl std::fmt::Debug for Relayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Relayer")
            .field("account", &self.account)
            .field("per_hour", &self.allowance.limit())
            .finish_non_exhaustive()
    }
}

/// A decoded registry message: its vault, deadline, the digest the owner signed, and the call.
struct Message {
    vault: U256,
    deadline: U256,
    digest: B256,
    call: Call,
}

enum Call {
    Grant(Grant),
    GrantRequest(GrantRequest),
    Revoke(Revoke),
    ApproveMeasurement(ApproveMeasurement),
    RevokeMeasurement(RevokeMeasurement),
    ApproveTool(ApproveTool),
    RevokeTool(RevokeTool),
    BindVaultKey(BindVaultKey),
}

impl Relayer {
    /// A relayer paying from `account` on the chain at `rpc`, at most `per_hour` messages per owner an
    /// hour.
    pub fn new(
        rpc: url::Url,
        account: PrivateKeySigner,
        deployment: Deployment,
        per_hour: usize,
    ) -> Self {
        let address = account.address();
        let provider = ProviderBuilder::new()
            .wallet(EthereumWallet::from(account))
            .connect_http(rpc)
            .erased();
        Self {
            registry: VaultRegistry::new(deployment.registry, provider),
            account: address,
            deployment,
            allowance: crate::allowance::Allowance::new(per_hour, 3600),
        }
    }

    /// The account the relayer pays from.
    pub fn account(&self) -> Address {
        self.account
    }

    /// Checks `request` and submits it; `now` is Unix seconds.
    pub async fn relay(&self, request: RelayRequest, now: u64) -> Result<Relayed, AppError> {
        let kind = request.typed_data.primary_type.clone();
        let message = self.decode(&request.typed_data)?;
        if message.deadline <= U256::from(now) {
            return Err(AppError::refused(
                StatusCode::UNPROCESSABLE_ENTITY,
                "deadline",
                format!("the {kind} message's deadline has passed: sign it again"),
            ));
        }
        let owner = self
            .registry
            .ownerOf(message.vault)
            .call()
            .await
            .map_err(|e| registry_refusal(&e).unwrap_or_else(|| chain_unreachable(&e)))?;
        self.check_signer(&message, &request.signature, owner)
            .await?;
        self.spend_allowance(owner, now)?;
        let receipt = self.submit(&message.call, request.signature).await?;
        Ok(Relayed {
            kind,
            vault_id: message.vault.saturating_to(),
            owner,
            transaction: receipt.0,
            block: receipt.1,
        })
    }

    /// The message `data` holds, if it is one the relayer submits, for this deployment.
    fn decode(&self, data: &TypedData) -> Result<Message, AppError> {
        let domain = registry_domain(self.deployment.chain_id, self.deployment.registry);
        if data.domain != domain {
            return Err(AppError::refused(
                StatusCode::UNPROCESSABLE_ENTITY,
                "domain",
                format!(
                    "the message is signed for another registry or chain (this one: {} on chain {})",
                    self.deployment.registry, self.deployment.chain_id
                ),
            ));
        }
        let message = data.message.clone();
        let bad = |e: serde_json::Error| {
            AppError::refused(
                StatusCode::BAD_REQUEST,
                "message",
                format!("not a {} message: {e}", data.primary_type),
            )
        };
        fn parts<S: SolStruct>(m: &S, domain: &alloy::sol_types::Eip712Domain) -> B256 {
            m.eip712_signing_hash(domain)
        }
        Ok(match data.primary_type.as_str() {
            "Grant" => {
                let m: Grant = serde_json::from_value(message).map_err(bad)?;
                let digest = parts(&m, &domain);
                Message {
                    vault: m.vaultId,
                    deadline: m.deadline,
                    digest,
                    call: Call::Grant(m),
                }
            }
            "GrantRequest" => {
                let m: GrantRequest = serde_json::from_value(message).map_err(bad)?;
                let digest = parts(&m, &domain);
                Message {
                    vault: m.vaultId,
                    deadline: m.deadline,
                    digest,
                    call: Call::GrantRequest(m),
                }
            }
            "Revoke" => {
                let m: Revoke = serde_json::from_value(message).map_err(bad)?;
                let digest = parts(&m, &domain);
                Message {
                    vault: m.vaultId,
                    deadline: m.deadline,
                    digest,
                    call: Call::Revoke(m),
                }
            }
            "ApproveMeasurement" => {
                let m: ApproveMeasurement = serde_json::from_value(message).map_err(bad)?;
                let digest = parts(&m, &domain);
                Message {
                    vault: m.vaultId,
                    deadline: m.deadline,
                    digest,
                    call: Call::ApproveMeasurement(m),
                }
            }
            "RevokeMeasurement" => {
                let m: RevokeMeasurement = serde_json::from_value(message).map_err(bad)?;
                let digest = parts(&m, &domain);
                Message {
                    vault: m.vaultId,
                    deadline: m.deadline,
                    digest,
                    call: Call::RevokeMeasurement(m),
                }
            }
            "ApproveTool" => {
                let m: ApproveTool = serde_json::from_value(message).map_err(bad)?;
                let digest = parts(&m, &domain);
                Message {
                    vault: m.vaultId,
                    deadline: m.deadline,
                    digest,
                    call: Call::ApproveTool(m),
                }
            }
            "RevokeTool" => {
                let m: RevokeTool = serde_json::from_value(message).map_err(bad)?;
                let digest = parts(&m, &domain);
                Message {
                    vault: m.vaultId,
                    deadline: m.deadline,
                    digest,
                    call: Call::RevokeTool(m),
                }
            }
            "BindVaultKey" => {
                let m: BindVaultKey = serde_json::from_value(message).map_err(bad)?;
                let digest = parts(&m, &domain);
                Message {
                    vault: m.vaultId,
                    deadline: m.deadline,
                    digest,
                    call: Call::BindVaultKey(m),
                }
            }
            other => {
                return Err(AppError::refused(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "kind",
                    format!(
                        "the relayer submits Grant, GrantRequest, Revoke, ApproveMeasurement, \
                         RevokeMeasurement, ApproveTool, RevokeTool and BindVaultKey messages, not {other}"
                    ),
                ));
            }
        })
    }

    /// The signature must be `owner`'s on the message; an owner that is a contract (EIP-1271) is checked
    /// by the registry in the dry run.
    async fn check_signer(
        &self,
        message: &Message,
        signature: &Bytes,
        owner: Address,
    ) -> Result<(), AppError> {
        let recovered = Signature::try_from(signature.as_ref())
            .ok()
            .and_then(|s| s.recover_address_from_prehash(&message.digest).ok());
        if recovered == Some(owner) {
            return Ok(());
        }
        let code = self
            .registry
            .provider()
            .get_code_at(owner)
            .await
            .map_err(|e| chain_unreachable(&e))?;
        if !code.is_empty() {
            return Ok(());
        }
        Err(AppError::refused(
            StatusCode::FORBIDDEN,
            "signature",
            format!(
                "the message is not signed by vault {}'s owner {owner}{}",
                message.vault,
                recovered.map_or_else(
                    || " (the signature is malformed)".to_owned(),
                    |r| format!(" but by {r}")
                ),
            ),
        ))
    }

    /// Counts one submission against `owner`'s hourly allowance, or refuses when it is spent.
    fn spend_allowance(&self, owner: Address, now: u64) -> Result<(), AppError> {
        self.allowance.spend(owner, now).map_err(|wait| {
            AppError::refused(
                StatusCode::TOO_MANY_REQUESTS,
                "rate",
                format!(
                    "{owner} has had {} messages relayed this hour, the most the relayer takes: try again \
                     in {} minutes, or submit it yourself with --send",
                    self.allowance.limit(),
                    wait.div_ceil(60)
                ),
            )
        })
    }

    /// Dry-runs the call, then sends it and waits for its receipt: (transaction, block).
    async fn submit(&self, call: &Call, signature: Bytes) -> Result<(B256, u64), AppError> {
        let r = &self.registry;
        macro_rules! run {
            ($builder:expr) => {{
                let builder = $builder;
                builder
                    .call()
                    .await
                    .map_err(|e| registry_refusal(&e).unwrap_or_else(|| chain_unreachable(&e)))?;
                let pending = builder
                    .send()
                    .await
                    .map_err(|e| registry_refusal(&e).unwrap_or_else(|| chain_unreachable(&e)))?;
                pending
                    .get_receipt()
                    .await
                    .map_err(|e| chain_unreachable(&e))?
            }};
        }
        let receipt = match call {
            Call::Grant(m) => run!(r.grantWithSig(m.clone(), signature)),
            Call::GrantRequest(m) => run!(r.grantRequestWithSig(m.clone(), signature)),
            Call::Revoke(m) => run!(r.revokeWithSig(m.clone(), signature)),
            Call::ApproveMeasurement(m) => run!(r.approveMeasurementWithSig(m.clone(), signature)),
            Call::RevokeMeasurement(m) => run!(r.revokeMeasurementWithSig(m.clone(), signature)),
            Call::ApproveTool(m) => run!(r.approveToolWithSig(m.clone(), signature)),
            Call::RevokeTool(m) => run!(r.revokeToolWithSig(m.clone(), signature)),
            Call::BindVaultKey(m) => run!(r.bindVaultKeyWithSig(m.clone(), signature)),
        };
        if !receipt.status() {
            return Err(AppError::internal(format!(
                "relayed transaction {} reverted after its dry run passed",
                receipt.transaction_hash
            )));
        }
        Ok((
            receipt.transaction_hash,
            receipt.block_number.unwrap_or_default(),
        ))
    }
}

/// The registry's own refusal, in words, when `error` is one.
pub(crate) fn registry_refusal(error: &alloy::contract::Error) -> Option<AppError> {
    let decoded = error.as_decoded_interface_error::<VaultRegistryErrors>()?;
    Some(AppError::refused(
        StatusCode::CONFLICT,
        "registry",
        format!(
            "the registry would refuse it: {}",
            dnavault_protocol::registry_error::words(&decoded)
        ),
    ))
}

pub(crate) fn chain_unreachable(error: &impl std::fmt::Display) -> AppError {
    tracing::warn!(%error, "the relayer's chain call failed");
    AppError::refused(
        StatusCode::SERVICE_UNAVAILABLE,
        "chain",
        "the relayer cannot reach the chain now: try again in a minute".into(),
    )
}
