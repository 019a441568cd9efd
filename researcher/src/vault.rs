//! Reaching a vault: its evidence verified (AMD chain, policy, measurement approved on-chain, the TLS key
//! bound), then every exchange pinned to the attested TLS key.

use alloy::{
    primitives::{Address, U256},
    providers::{DynProvider, Provider, ProviderBuilder},
    sol_types::Eip712Domain,
};
use dnavault_attest::{ExpectedVault, Verifier};
use dnavault_protocol::{
    VaultRegistry::{self, VaultRegistryInstance},
    eip712::registry_domain,
    header::SignedHeader,
    query::{OPEN_QUERY_BYTES, Query, QueryAnswer, SignedQuery},
};
use dnavault_ratls::{Client, RatlsError};

use crate::{Opened, Prepared, ResearchError, Researcher, Terms};

/// How long a request stays valid: long enough to reach a vault, short enough to be useless later.
const REQUEST_LIFETIME_SECS: u64 = 300;

/// The chain and registry a researcher works with.
#[derive(Debug, Clone)]
pub struct Chain {
    registry: VaultRegistryInstance<DynProvider>,
    chain_id: u64,
}

impl Chain {
    /// Connects to the registry at `registry` through `rpc_url`.
    pub async fn connect(rpc_url: &str, registry: Address) -> Result<Self, ResearchError> {
        let url = rpc_url
            .parse()
            .map_err(|e| ResearchError::Chain(format!("`{rpc_url}` is not a URL: {e}")))?;
        let provider = ProviderBuilder::new().connect_http(url).erased();
        let chain_id = provider
            .get_chain_id()
            .await
            .map_err(|e| ResearchError::Chain(e.to_string()))?;
        Ok(Self {
            registry: VaultRegistry::new(registry, provider),
            chain_id,
        })
    }

    /// The EIP-712 domain requests and receipts are signed in.
    pub fn domain(&self) -> Eip712Domain {
        registry_domain(self.chain_id, *self.registry.address())
    }

    /// Vault `vault_id`'s owner now.
    pub async fn owner_of(&self, vault_id: u64) -> Result<Address, ResearchError> {
        self.registry
            .ownerOf(U256::from(vault_id))
            .call()
            .await
            .map_err(|e| ResearchError::Chain(e.to_string()))
    }

    /// Whether `key` is vault `vault_id`'s active (owner-bound) key.
    pub async fn is_active_vault_key(
        &self,
        vault_id: u64,
        key: Address,
    ) -> Result<bool, ResearchError> {
        self.registry
            .isActiveVaultKey(U256::from(vault_id), key)
            .call()
            .await
            .map_err(|e| ResearchError::Chain(e.to_string()))
    }
}

/// A vault whose attestation verified, reached only through its attested TLS key.
#[derive(Debug, Clone)]
pub struct AttestedVault {
    /// Its id.
    pub vault_id: u64,
    /// Its attested signing key (receipts are signed with it).
    pub vault_key: Address,
    client: Client,
}

impl AttestedVault {
    /// Fetches the evidence of the vault at `url`, checks it is vault `vault_id` of `chain`'s registry,
    /// verifies it with `verifier`, checks its measurement is approved on-chain and that it binds the TLS key
    /// that served it; then pins that key.
    pub async fn connect(
        url: &str,
        vault_id: u64,
        chain: &Chain,
        verifier: &Verifier,
    ) -> Result<Self, ResearchError> {
        let expected = ExpectedVault {
            chain_id: chain.chain_id,
            registry: *chain.registry.address(),
            vault_id: Some(U256::from(vault_id)),
        };
        let attested = dnavault_ratls::AttestedVault::connect(
            url,
            expected,
            verifier,
            async |id, measurement| {
                chain
                    .registry
                    .isMeasurementApproved(id, measurement)
                    .call()
                    .await
            },
        )
        .await
        .map_err(|error| match error {
            RatlsError::Attestation(e) => ResearchError::Attestation(e.to_string()),
            RatlsError::Unbound { .. } => ResearchError::Attestation(error.to_string()),
            RatlsError::Chain(e) => ResearchError::Chain(e),
            other => ResearchError::Vault(other),
        })?;
        Ok(Self {
            vault_id,
            vault_key: attested.evidence().vault_key,
            client: attested.client().clone(),
        })
    }

    /// Sends a prepared request; returns the vault's answer as it came.
    pub async fn send(&self, prepared: &Prepared) -> Result<QueryAnswer, ResearchError> {
        // The signed request goes ahead in a header: the vault checks it at its consent gate before it reads
        // the body. A body over the vault's open limit is sent only once the gate has let the request
        // through (`/v1/queries/ahead`), so a refusal arrives before a large scoring file is sent.
        let signed = &prepared.submission.signed;
        let ahead = [(SignedQuery::HEADER, signed.to_header())];
        let size = serde_json::to_vec(&prepared.submission).map_or(0, |body| body.len());
        if size > OPEN_QUERY_BYTES {
            self.client
                .post_with::<_, serde_json::Value>(
                    "/v1/queries/ahead",
                    &ahead,
                    &serde_json::json!({}),
                )
                .await?;
        }
        Ok(self
            .client
            .post_with::<_, QueryAnswer>("/v1/queries", &ahead, &prepared.submission)
            .await?
            .value)
    }

    /// Asks `query` as `researcher` under `terms`: signs, sends, checks the receipt (signed by this boot's
    /// attested key, which is the vault's active key on-chain) and opens the result.
    pub async fn ask(
        &self,
        researcher: &Researcher,
        query: &Query,
        terms: &Terms,
        chain: &Chain,
    ) -> Result<Opened, ResearchError> {
        let domain = chain.domain();
        let prepared =
            researcher.prepare(self.vault_id, query, terms, &domain, REQUEST_LIFETIME_SECS)?;
        self.deliver(researcher, &prepared, chain).await
    }

    /// Sends `prepared` (signed by `researcher`), checks the receipt as [`ask`](Self::ask) does and opens
    /// the result.
    pub async fn deliver(
        &self,
        researcher: &Researcher,
        prepared: &Prepared,
        chain: &Chain,
    ) -> Result<Opened, ResearchError> {
        let domain = chain.domain();
        let answer = self.send(prepared).await?;
        let opened = researcher.open(prepared, &answer, &domain)?;
        if opened.vault_key != self.vault_key {
            return Err(ResearchError::Answer(format!(
                "the receipt is signed by {}, not by the attested vault key {}",
                opened.vault_key, self.vault_key
            )));
        }
        if !chain
            .is_active_vault_key(self.vault_id, opened.vault_key)
            .await?
        {
            return Err(ResearchError::Answer(format!(
                "{} is not vault {}'s active key on-chain (its owner has not bound it)",
                opened.vault_key, self.vault_id
            )));
        }
        Ok(opened)
    }
}
