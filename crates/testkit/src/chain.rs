//! A fresh Anvil chain with VaultRegistry deployed.

use alloy::{
    network::EthereumWallet,
    node_bindings::{Anvil, AnvilInstance},
    primitives::{Address, U256},
    providers::{DynProvider, Provider, ProviderBuilder, ext::AnvilApi},
    signers::local::PrivateKeySigner,
};
use dnavault_protocol::VaultRegistry::{self, VaultRegistryInstance};

use crate::{Result, TestkitError, anvil::anvil_binary};

/// A VaultRegistry client that signs its transactions with one account.
pub type Registry = VaultRegistryInstance<DynProvider>;

/// A running Anvil chain (stopped on drop) with VaultRegistry deployed by account 0.
///
/// Accounts come from Anvil's well-known test mnemonic, each funded with 10,000 ether: account 0 deployed
/// the registry; tests use the others as owners, researchers and relayers.
pub struct TestChain {
    anvil: AnvilInstance,
    provider: DynProvider,
    registry: Address,
    deploy_block: u64,
}

impl TestChain {
    /// Starts Anvil on a free port and deploys the registry.
    pub async fn start() -> Result<Self> {
        let anvil = Anvil::at(anvil_binary()?).try_spawn()?;
        let provider = ProviderBuilder::new()
            .connect_http(anvil.endpoint_url())
            .erased();
        let deployer = client(&anvil, signer_of(&anvil, 0));
        let deployed = VaultRegistry::deploy(deployer).await?;
        let deploy_block = provider.get_block_number().await?;
        Ok(Self {
            registry: *deployed.address(),
            anvil,
            provider,
            deploy_block,
        })
    }

    /// Stops the node, its state dumped first; runs `while_down`; then starts a node again on the same port
    /// with that state: blocks, their hashes, accounts and contracts as they were. (Anvil keeps no state of
    /// older blocks across it: proofs are of the head.)
    pub async fn restart_node<T>(&mut self, while_down: impl Future<Output = T>) -> Result<T> {
        let state = self.provider.anvil_dump_state().await?;
        let port = self.anvil.port();
        let child = self.anvil.child_mut();
        child
            .kill()
            .map_err(|e| TestkitError::Restart(e.to_string()))?;
        child
            .wait()
            .map_err(|e| TestkitError::Restart(e.to_string()))?;
        let output = while_down.await;
        self.anvil = Anvil::at(anvil_binary()?).port(port).try_spawn()?;
        if !self.provider.anvil_load_state(state).await? {
            return Err(TestkitError::Restart(
                "the node did not load its state".into(),
            ));
        }
        Ok(output)
    }

    /// The chain's HTTP JSON-RPC URL.
    pub fn endpoint_url(&self) -> alloy::transports::http::reqwest::Url {
        self.anvil.endpoint_url()
    }

    /// The chain id (31337).
    pub fn chain_id(&self) -> u64 {
        self.anvil.chain_id()
    }

    /// The registry's address.
    pub fn registry_address(&self) -> Address {
        self.registry
    }

    /// The block the registry was deployed in: where an indexer starts.
    pub fn deploy_block(&self) -> u64 {
        self.deploy_block
    }

    /// A read-only provider (no signer).
    pub fn provider(&self) -> &DynProvider {
        &self.provider
    }

    /// Funded account `index` of Anvil's test mnemonic (0 to 9).
    ///
    /// # Panics
    /// If `index` is 10 or more: Anvil funds ten accounts.
    pub fn signer(&self, index: usize) -> PrivateKeySigner {
        signer_of(&self.anvil, index)
    }

    /// A registry client whose transactions `signer` signs and pays for.
    pub fn registry_as(&self, signer: &PrivateKeySigner) -> Registry {
        VaultRegistry::new(self.registry, client(&self.anvil, signer.clone()))
    }

    /// A registry client without a signer, for calls.
    pub fn registry(&self) -> Registry {
        VaultRegistry::new(self.registry, self.provider.clone())
    }

    /// Registers a vault owned by `owner` and returns its id.
    pub async fn register_vault(&self, owner: &PrivateKeySigner, uri: &str) -> Result<U256> {
        let registry = self.registry_as(owner);
        let receipt = registry
            .registerVault(uri.to_owned())
            .send()
            .await?
            .get_receipt()
            .await?;
        if !receipt.status() {
            return Err(TestkitError::Reverted {
                tx: receipt.transaction_hash,
            });
        }
        Ok(registry.vaultCount().call().await?)
    }

    /// Approves `measurement` for `vault` as its owner `owner` (a code update).
    pub async fn approve_measurement(
        &self,
        owner: &PrivateKeySigner,
        vault: U256,
        measurement: &[u8],
    ) -> Result<()> {
        let registry = self.registry_as(owner);
        let call = registry.approveMeasurement(vault, measurement.to_vec().into());
        confirm(call.send().await?).await
    }

    /// Installs (`approved`) or removes analysis tool `tool` (a manifest's identity) for `vault` as its
    /// owner `owner`.
    pub async fn set_tool(
        &self,
        owner: &PrivateKeySigner,
        vault: U256,
        tool: alloy::primitives::B256,
        approved: bool,
    ) -> Result<()> {
        let registry = self.registry_as(owner);
        let pending = match approved {
            true => registry.approveTool(vault, tool).send().await?,
            false => registry.revokeTool(vault, tool).send().await?,
        };
        confirm(pending).await
    }

    /// Grants (or renews) `grantee` consent to `scope` on `vault` as recorded in `record` (its `revoked`
    /// and `epoch` are the registry's to set), as the vault's owner `owner`.
    pub async fn grant(
        &self,
        owner: &PrivateKeySigner,
        vault: U256,
        grantee: Address,
        scope: alloy::primitives::B256,
        record: &dnavault_protocol::GrantRecord,
    ) -> Result<()> {
        let registry = self.registry_as(owner);
        let call = registry.grant(
            vault,
            grantee,
            scope,
            record.purpose,
            record.expiry,
            record.perQueryApproval,
            record.maxQueries,
        );
        confirm(call.send().await?).await
    }

    /// A chain view of this chain: its one loopback endpoint, a quorum of one, no confirmation depth.
    pub fn chain_view(&self) -> dnavault_protocol::chain_view::ChainView {
        dnavault_protocol::chain_view::ChainView {
            chain_id: self.chain_id(),
            registry: self.registry_address(),
            endpoints: vec![
                self.endpoint_url()
                    .as_str()
                    .parse()
                    .expect("Anvil listens on loopback"),
            ],
            quorum: 1,
            confirmations: 0,
            read_at: dnavault_protocol::chain_view::ReadAt::Head,
            poll_interval_ms: 250,
            max_sync_age_secs: 10,
            max_head_age_secs: 60,
        }
    }

    /// Moves `vault` from `owner` to `new_owner` in the registry's two steps (offer, then accept).
    pub async fn transfer_vault(
        &self,
        owner: &PrivateKeySigner,
        vault: U256,
        new_owner: &PrivateKeySigner,
    ) -> Result<()> {
        let offer = self.registry_as(owner);
        confirm(
            offer
                .transferVaultOwnership(vault, new_owner.address())
                .send()
                .await?,
        )
        .await?;
        let accept = self.registry_as(new_owner);
        confirm(accept.acceptVaultOwnership(vault).send().await?).await
    }

    /// Revokes `grantee`'s consent to `scope` on `vault`, as its owner `owner`.
    pub async fn revoke(
        &self,
        owner: &PrivateKeySigner,
        vault: U256,
        grantee: Address,
        scope: alloy::primitives::B256,
    ) -> Result<()> {
        let registry = self.registry_as(owner);
        confirm(registry.revoke(vault, grantee, scope).send().await?).await
    }

    /// Replaces the latest block (at the same height, so a reader that only counts blocks sees no change)
    /// with one holding `owner`'s revocation of `grantee`'s consent to `scope` on `vault`: a reorganisation
    /// of depth 1.
    pub async fn reorg_in_revocation(
        &self,
        owner: &PrivateKeySigner,
        vault: U256,
        grantee: Address,
        scope: alloy::primitives::B256,
    ) -> Result<()> {
        use alloy::rpc::types::anvil::{ReorgOptions, TransactionData};
        let transaction = self
            .registry()
            .revoke(vault, grantee, scope)
            .from(owner.address())
            .into_transaction_request();
        let options = ReorgOptions {
            depth: 1,
            tx_block_pairs: vec![(TransactionData::JSON(transaction), 0)],
        };
        self.provider.anvil_reorg(options).await?;
        Ok(())
    }

    /// Replaces the latest block with an empty one at the same height: a reorganisation of depth 1 that
    /// drops what the block held.
    pub async fn reorg_out_latest(&self) -> Result<()> {
        self.provider.anvil_rollback(Some(1)).await?;
        self.provider.anvil_mine(Some(1), None).await?;
        Ok(())
    }

    /// Mines an empty block.
    pub async fn mine(&self) -> Result<()> {
        self.provider.anvil_mine(Some(1), None).await?;
        Ok(())
    }

    /// Gives `address` `ether` ether, e.g. a fresh wallet that must pay for its own transactions, in a block
    /// of its own: Anvil changes the state at once, and the state proved at the head would otherwise differ
    /// from the head's state root (no real chain changes state between blocks).
    pub async fn fund(&self, address: Address, ether: u64) -> Result<()> {
        let wei = U256::from(ether) * U256::from(10u64).pow(U256::from(18));
        self.provider.anvil_set_balance(address, wei).await?;
        self.provider.anvil_mine(Some(1), None).await?;
        Ok(())
    }

    /// Moves the chain's clock forward by `seconds` and mines a block there.
    pub async fn advance_time(&self, seconds: u64) -> Result<()> {
        self.provider.anvil_increase_time(seconds).await?;
        self.provider.anvil_mine(Some(1), None).await?;
        Ok(())
    }

    /// The latest block's number.
    pub async fn head(&self) -> Result<u64> {
        Ok(self.provider.get_block_number().await?)
    }

    /// The latest block's timestamp.
    pub async fn latest_timestamp(&self) -> Result<u64> {
        let block = self
            .provider
            .get_block_by_number(alloy::eips::BlockNumberOrTag::Latest)
            .await?
            .ok_or_else(|| {
                TestkitError::Rpc(alloy::transports::TransportErrorKind::custom_str(
                    "no latest block",
                ))
            })?;
        Ok(block.header.timestamp)
    }
}

fn signer_of(anvil: &AnvilInstance, index: usize) -> PrivateKeySigner {
    PrivateKeySigner::from(anvil.keys()[index].clone())
}

fn client(anvil: &AnvilInstance, signer: PrivateKeySigner) -> DynProvider {
    ProviderBuilder::new()
        .wallet(EthereumWallet::from(signer))
        .connect_http(anvil.endpoint_url())
        .erased()
}

/// Waits for a sent transaction's receipt; a revert is an error.
async fn confirm<N: alloy::network::Network>(
    pending: alloy::providers::PendingTransactionBuilder<N>,
) -> Result<()> {
    let receipt = pending.get_receipt().await?;
    if alloy::network::ReceiptResponse::status(&receipt) {
        Ok(())
    } else {
        Err(TestkitError::Reverted {
            tx: alloy::network::ReceiptResponse::transaction_hash(&receipt),
        })
    }
}
