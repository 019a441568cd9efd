//! Talking to the registry: reading nonces and the chain id, submitting signed messages, filing access requests.

use alloy::{
    network::EthereumWallet,
    primitives::{Address, B256, Bytes, FixedBytes, U256},
    providers::{DynProvider, Provider, ProviderBuilder},
    signers::local::PrivateKeySigner,
};
use dnavault_protocol::{
    AccessRequest, ApproveMeasurement, ApproveTool, BindVaultKey, GrantRequest, RevokeMeasurement,
    RevokeTool, VaultRegistry, VaultRegistry::VaultRegistryErrors, descriptor::Descriptor,
};

use crate::{Result, WalletError, explain::Deployment, typed::SignedTypedData};

/// A connection to the registry on a chain, sending transactions as `sender`.
pub struct Connection {
    registry: VaultRegistry::VaultRegistryInstance<DynProvider>,
    deployment: Deployment,
    sender: EthereumWallet,
}

/// A transaction signed and not sent (`--sign-only`): whoever holds it can broadcast it, once.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SignedTransaction {
    /// The EIP-2718 encoding, as `eth_sendRawTransaction` takes it.
    pub transaction: Bytes,
    /// Its hash.
    pub hash: B256,
    /// The account that signed it and pays for it.
    pub from: Address,
    /// Its nonce: it is void once the account sends another transaction with this nonce.
    pub nonce: u64,
}

/// A researcher's access request as the chain holds it, with what its event published.
#[derive(Debug, Clone)]
pub struct FiledRequest {
    /// The request's id.
    pub id: U256,
    /// The stored request: researcher, vault, scope, purpose, requested expiry, status now.
    pub request: AccessRequest,
    /// keccak256 of the research protocol document.
    pub protocol_hash: B256,
    /// Where the protocol is published.
    pub protocol_uri: String,
    /// The analysis descriptor (JSON) the request published, as it was published.
    pub descriptor: String,
}

impl FiledRequest {
    /// Its status now, in a word.
    pub fn status_words(&self) -> &'static str {
        match self.request.status {
            1 => "pending",
            2 => "granted",
            3 => "denied",
            4 => "withdrawn",
            5 => "expired",
            _ => "unknown",
        }
    }

    /// The analysis the request published, refused unless it is a valid descriptor whose hash is the
    /// request's scope: what a grant of the request is shown as.
    pub fn published(&self) -> Result<crate::inputs::Analysis> {
        let refuse = |why: String| {
            WalletError::input(
                format!("access request {}", self.id),
                format!("it published {why}: do not grant it as it stands"),
            )
        };
        let descriptor: Descriptor = serde_json::from_str(&self.descriptor)
            .map_err(|e| refuse(format!("no analysis descriptor ({e})")))?;
        descriptor
            .check()
            .map_err(|e| refuse(format!("an invalid analysis descriptor ({e})")))?;
        if descriptor.scope() != self.request.scope {
            return Err(refuse(format!(
                "a descriptor that hashes to {}, not to its scope {}",
                descriptor.scope(),
                self.request.scope
            )));
        }
        Ok(crate::inputs::Analysis {
            scope: self.request.scope,
            descriptor: Some(descriptor),
        })
    }
}

/// A researcher's access request before it is filed.
#[derive(Debug, Clone)]
pub struct NewRequest {
    /// The vault asked.
    pub vault: U256,
    /// The analysis asked for; its hash is the request's scope.
    pub descriptor: Descriptor,
    /// The DUO purpose, packed.
    pub purpose: FixedBytes<16>,
    /// Until when access is asked for (Unix seconds).
    pub requested_expiry: u64,
    /// keccak256 of the research protocol document.
    pub protocol_hash: B256,
    /// Where the protocol is published.
    pub protocol_uri: String,
}

/// What a submitted transaction did.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Submitted {
    /// The transaction hash.
    pub transaction: B256,
    /// The block it was mined in.
    pub block: u64,
    /// Gas it used.
    pub gas_used: u64,
}

impl Connection {
    /// Connects to `rpc_url`; transactions are signed and paid for by `sender`.
    pub async fn connect(
        rpc_url: &str,
        registry: Address,
        sender: PrivateKeySigner,
    ) -> Result<Self> {
        let url = rpc_url
            .parse()
            .map_err(|e| WalletError::input("--rpc-url", format!("{e}")))?;
        let sender = EthereumWallet::from(sender);
        let provider = ProviderBuilder::new()
            .wallet(sender.clone())
            .connect_http(url)
            .erased();
        let chain_id = provider.get_chain_id().await.map_err(chain_error)?;
        let code = provider.get_code_at(registry).await.map_err(chain_error)?;
        if code.is_empty() {
            return Err(WalletError::Chain(format!(
                "no contract at {registry} on chain {chain_id}: wrong --registry?"
            )));
        }
        Ok(Self {
            registry: VaultRegistry::new(registry, provider),
            deployment: Deployment { chain_id, registry },
            sender,
        })
    }

    /// The chain and registry.
    pub fn deployment(&self) -> Deployment {
        self.deployment
    }

    /// What a vault of this deployment must attest to: this chain and registry (any vault id).
    pub fn expected_vault(&self) -> dnavault_attest::ExpectedVault {
        dnavault_attest::ExpectedVault {
            chain_id: self.deployment.chain_id,
            registry: self.deployment.registry,
            vault_id: None,
        }
    }

    /// The vault's next signature nonce (nonces belong to the vault, whoever owns it).
    pub async fn nonce(&self, vault: U256) -> Result<U256> {
        self.registry
            .nonceOf(vault)
            .call()
            .await
            .map_err(contract_error)
    }

    /// Whether `account` is `vault`'s bound vault key now.
    pub async fn is_active_vault_key(&self, vault: U256, account: Address) -> Result<bool> {
        self.registry
            .isActiveVaultKey(vault, account)
            .call()
            .await
            .map_err(contract_error)
    }

    /// Voids every unused message signed for `vault` with a nonce below `below`: the owner's transaction.
    pub async fn cancel_nonces(&self, vault: U256, below: U256) -> Result<Submitted> {
        self.send(self.registry.cancelNonces(vault, below)).await
    }

    /// Whether the owner approved `measurement` for `vault`.
    pub async fn is_measurement_approved(
        &self,
        vault: U256,
        measurement: alloy::primitives::Bytes,
    ) -> Result<bool> {
        self.registry
            .isMeasurementApproved(vault, measurement)
            .call()
            .await
            .map_err(contract_error)
    }

    /// Whether the owner installed the tool whose manifest hashes to `tool` in `vault`.
    pub async fn is_tool_approved(&self, vault: U256, tool: B256) -> Result<bool> {
        self.registry
            .isToolApproved(vault, tool)
            .call()
            .await
            .map_err(contract_error)
    }

    /// Binds `vault_key`, a booted vault's attested key running `measurement`, as the vault's owner (this
    /// connection's account sends and pays): receipts it signs count as the vault's.
    pub async fn bind_vault_key(
        &self,
        vault: U256,
        vault_key: Address,
        measurement: alloy::primitives::Bytes,
    ) -> Result<Submitted> {
        self.send(self.registry.bindVaultKey(vault, vault_key, measurement))
            .await
    }

    /// The head of `vault`'s audit log last anchored on-chain (all zero when none).
    pub async fn audit_head(&self, vault: U256) -> Result<dnavault_protocol::audit::AuditHead> {
        let head = self
            .registry
            .auditHeadOf(vault)
            .call()
            .await
            .map_err(contract_error)?;
        Ok(dnavault_protocol::audit::AuditHead {
            seq: head.seq,
            tag: head.tag,
        })
    }

    /// Whether `grantee` may run `scope` on `vault` now (granted, not revoked or expired, same owner).
    pub async fn is_allowed(&self, vault: U256, grantee: Address, scope: B256) -> Result<bool> {
        self.registry
            .isAllowed(vault, grantee, scope)
            .call()
            .await
            .map_err(contract_error)
    }

    /// The owner of `vault`.
    pub async fn owner_of(&self, vault: U256) -> Result<Address> {
        self.registry
            .ownerOf(vault)
            .call()
            .await
            .map_err(contract_error)
    }

    /// Refuses a vault `account` does not own.
    pub async fn require_owner(&self, vault: U256, account: Address) -> Result<()> {
        let owner = self.owner_of(vault).await?;
        if owner != account {
            return Err(WalletError::NotOwner {
                vault,
                owner,
                account,
            });
        }
        Ok(())
    }

    /// Submits a signed registry message (as the wallet prints it) through the registry's `*WithSig`
    /// function for its type. Anyone may relay; the registry checks the owner's signature.
    pub async fn submit(&self, signed: &SignedTypedData) -> Result<Submitted> {
        let message = signed.typed_data.message.clone();
        let signature = signed.signature.clone();
        let decode = |e: serde_json::Error| {
            WalletError::TypedData(format!("{}: {e}", signed.typed_data.primary_type))
        };
        match signed.typed_data.primary_type.as_str() {
            "Grant" => {
                self.send(
                    self.registry
                        .grantWithSig(serde_json::from_value(message).map_err(decode)?, signature),
                )
                .await
            }
            "GrantRequest" => {
                let m: GrantRequest = serde_json::from_value(message).map_err(decode)?;
                self.send(self.registry.grantRequestWithSig(m, signature))
                    .await
            }
            "Revoke" => {
                self.send(
                    self.registry
                        .revokeWithSig(serde_json::from_value(message).map_err(decode)?, signature),
                )
                .await
            }
            "ApproveMeasurement" => {
                let m: ApproveMeasurement = serde_json::from_value(message).map_err(decode)?;
                self.send(self.registry.approveMeasurementWithSig(m, signature))
                    .await
            }
            "RevokeMeasurement" => {
                let m: RevokeMeasurement = serde_json::from_value(message).map_err(decode)?;
                self.send(self.registry.revokeMeasurementWithSig(m, signature))
                    .await
            }
            "ApproveTool" => {
                let m: ApproveTool = serde_json::from_value(message).map_err(decode)?;
                self.send(self.registry.approveToolWithSig(m, signature))
                    .await
            }
            "RevokeTool" => {
                let m: RevokeTool = serde_json::from_value(message).map_err(decode)?;
                self.send(self.registry.revokeToolWithSig(m, signature))
                    .await
            }
            "BindVaultKey" => {
                let m: BindVaultKey = serde_json::from_value(message).map_err(decode)?;
                self.send(self.registry.bindVaultKeyWithSig(m, signature))
                    .await
            }
            other => Err(WalletError::TypedData(format!(
                "a {other} message is not submitted to the registry"
            ))),
        }
    }

    /// Access request `id` as stored, and its protocol from the `AccessRequested` event.
    pub async fn access_request(&self, id: U256) -> Result<FiledRequest> {
        let request = self
            .registry
            .accessRequest(id)
            .call()
            .await
            .map_err(contract_error)?;
        let filed = self
            .registry
            .event_filter::<VaultRegistry::AccessRequested>()
            .topic1(id)
            .from_block(0)
            .query()
            .await
            .map_err(contract_error)?;
        let [(event, _log)] = <[_; 1]>::try_from(filed).map_err(|found: Vec<_>| {
            WalletError::Chain(format!(
                "access request {id} has {} AccessRequested events, not one",
                found.len()
            ))
        })?;
        Ok(FiledRequest {
            id,
            request,
            protocol_hash: event.protocolHash,
            protocol_uri: event.protocolUri,
            descriptor: event.descriptor,
        })
    }

    /// Grants access request `id` as asked, until `expiry`: the owner's transaction.
    pub async fn grant_request(
        &self,
        id: U256,
        expiry: u64,
        per_query_approval: bool,
        max_queries: u32,
    ) -> Result<Submitted> {
        self.send(
            self.registry
                .grantRequest(id, expiry, per_query_approval, max_queries),
        )
        .await
    }

    /// Registers a new vault at `uri`, owned by this connection's account: the transaction and the vault's id,
    /// read from the `VaultRegistered` event it emitted.
    pub async fn register_vault(&self, uri: &str) -> Result<(Submitted, U256)> {
        let receipt = self
            .mined(self.registry.registerVault(uri.to_owned()))
            .await?;
        let registered = receipt
            .decoded_log::<VaultRegistry::VaultRegistered>()
            .ok_or_else(|| {
                WalletError::Chain(format!(
                    "transaction {} registered no vault",
                    receipt.transaction_hash
                ))
            })?;
        Ok((submitted(&receipt), registered.vaultId))
    }

    /// Denies access request `id`: the owner's transaction.
    pub async fn deny_request(&self, id: U256) -> Result<Submitted> {
        self.send(self.registry.denyRequest(id)).await
    }

    /// Files a researcher's access request, publishing `descriptor` (whose hash is its scope); returns the
    /// transaction and the request id.
    pub async fn request_access(&self, request: &NewRequest) -> Result<(Submitted, U256)> {
        let call = self.request_access_call(request)?;
        let request_id = call.call().await.map_err(contract_error)?;
        Ok((self.send(call).await?, request_id))
    }

    /// Signs the transaction that files `request`, after a dry run, without sending it: nonce, gas and fees
    /// are read from the chain now.
    pub async fn sign_request_access(&self, request: &NewRequest) -> Result<SignedTransaction> {
        use alloy::{
            eips::eip2718::Encodable2718,
            network::{NetworkTransactionBuilder, NetworkWallet, TransactionBuilder},
        };
        let call = self.request_access_call(request)?;
        call.call().await.map_err(contract_error)?;
        let from = NetworkWallet::<alloy::network::Ethereum>::default_signer_address(&self.sender);
        let provider = self.registry.provider();
        let nonce = provider
            .get_transaction_count(from)
            .pending()
            .await
            .map_err(chain_error)?;
        let mut tx = call.into_transaction_request().with_from(from);
        let gas = provider
            .estimate_gas(tx.clone())
            .await
            .map_err(chain_error)?;
        let fees = provider
            .estimate_eip1559_fees()
            .await
            .map_err(chain_error)?;
        tx = tx
            .with_nonce(nonce)
            .with_chain_id(self.deployment.chain_id)
            .with_gas_limit(gas.saturating_add(gas / 5))
            .with_max_fee_per_gas(fees.max_fee_per_gas)
            .with_max_priority_fee_per_gas(fees.max_priority_fee_per_gas);
        let envelope = tx
            .build(&self.sender)
            .await
            .map_err(|e| WalletError::Chain(format!("could not sign the transaction: {e}")))?;
        Ok(SignedTransaction {
            transaction: envelope.encoded_2718().into(),
            hash: *envelope.tx_hash(),
            from,
            nonce,
        })
    }

    fn request_access_call(
        &self,
        request: &NewRequest,
    ) -> Result<alloy::contract::SolCallBuilder<&DynProvider, VaultRegistry::requestAccessCall>>
    {
        let published = serde_json::to_string(&request.descriptor)
            .map_err(|e| WalletError::input("--descriptor", e.to_string()))?;
        Ok(self.registry.requestAccess(
            request.vault,
            request.descriptor.scope(),
            request.purpose,
            request.requested_expiry,
            request.protocol_hash,
            request.protocol_uri.clone(),
            published,
        ))
    }

    async fn send<C>(
        &self,
        call: alloy::contract::SolCallBuilder<&DynProvider, C>,
    ) -> Result<Submitted>
    where
        C: alloy::sol_types::SolCall,
    {
        Ok(submitted(&self.mined(call).await?))
    }

    /// Sends `call` once its simulation passes, and waits for its successful receipt.
    async fn mined<C>(
        &self,
        call: alloy::contract::SolCallBuilder<&DynProvider, C>,
    ) -> Result<alloy::rpc::types::TransactionReceipt>
    where
        C: alloy::sol_types::SolCall,
    {
        // Simulate first, so a refusal comes back as the registry's own error rather than a failed transaction.
        call.call_raw().await.map_err(contract_error)?;
        let receipt = call
            .send()
            .await
            .map_err(contract_error)?
            .get_receipt()
            .await
            .map_err(chain_error)?;
        if !receipt.status() {
            return Err(WalletError::Chain(format!(
                "transaction {} reverted",
                receipt.transaction_hash
            )));
        }
        Ok(receipt)
    }
}

fn submitted(receipt: &alloy::rpc::types::TransactionReceipt) -> Submitted {
    Submitted {
        transaction: receipt.transaction_hash,
        block: receipt.block_number.unwrap_or_default(),
        gas_used: receipt.gas_used,
    }
}

fn chain_error(e: impl std::fmt::Display) -> WalletError {
    WalletError::Chain(e.to_string())
}

/// Turns a contract error into words, decoding the registry's custom errors.
fn contract_error(e: alloy::contract::Error) -> WalletError {
    match e.as_decoded_interface_error::<VaultRegistryErrors>() {
        Some(decoded) => WalletError::Chain(format!(
            "the registry refused: {}",
            dnavault_protocol::registry_error::words(&decoded)
        )),
        None => WalletError::Chain(e.to_string()),
    }
}
