//! The vault's connection to the chain, made as its attested chain view fixes it: each JSON-RPC endpoint
//! authenticated by the public roots compiled into the vault or by pinned keys ([`Endpoint`]; plain HTTP
//! only to loopback), and several endpoints read as one, an answer counting only when a quorum of them gave
//! it ([`Quorum`]). The host can block the vault's view of the chain, never forge it, unless it controls a
//! quorum of the endpoints; what a consensus light client would add is in `docs/light-client.md`.

mod endpoint;
mod quorum;
mod tls;

use alloy::{
    providers::{DynProvider, Provider, ProviderBuilder},
    rpc::client::RpcClient,
    transports::utils::guess_local_url,
};
use dnavault_protocol::chain_view::ChainView;

pub use endpoint::Endpoint;
pub use quorum::Quorum;

/// Why the chain cannot be read as the view says.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainError {
    /// An endpoint that cannot be used.
    #[error("RPC endpoint {url}: {reason}")]
    Endpoint {
        /// The endpoint.
        url: String,
        /// Why.
        reason: String,
    },
    /// The TLS configuration could not be made.
    #[error("TLS: {0}")]
    Tls(String),
    /// An endpoint serves another chain.
    #[error("RPC endpoint {url} serves chain {served}, the vault belongs to chain {expected}")]
    WrongChain {
        /// The endpoint.
        url: String,
        /// What it serves.
        served: u64,
        /// The view's chain.
        expected: u64,
    },
    /// Fewer endpoints answered than the quorum needs.
    #[error(
        "{answered} of {count} RPC endpoints answered for chain {chain_id}, the quorum is {quorum}: {failures}"
    )]
    TooFew {
        /// How many answered with the right chain.
        answered: usize,
        /// How many there are.
        count: usize,
        /// The chain.
        chain_id: u64,
        /// The quorum.
        quorum: u8,
        /// What the others said.
        failures: String,
    },
}

/// A provider reading the chain as `view` says: its one endpoint, or all of them with its quorum.
pub fn provider(view: &ChainView) -> Result<DynProvider, ChainError> {
    let endpoints = view
        .endpoints
        .iter()
        .map(Endpoint::new)
        .collect::<Result<Vec<_>, _>>()?;
    let local = view
        .endpoints
        .iter()
        .all(|endpoint| guess_local_url(&endpoint.url));
    let client = match <[Endpoint; 1]>::try_from(endpoints) {
        Ok([one]) => RpcClient::new(one, local),
        Err(several) => RpcClient::new(Quorum::new(several, usize::from(view.quorum)), local),
    };
    Ok(ProviderBuilder::new().connect_client(client).erased())
}

/// Checks each endpoint serves the view's chain: none may serve another, and at least a quorum must answer.
pub async fn check_endpoints(view: &ChainView) -> Result<(), ChainError> {
    let mut answered = 0;
    let mut failures = Vec::new();
    for endpoint in &view.endpoints {
        let one = Endpoint::new(endpoint)?;
        let provider = ProviderBuilder::new().connect_client(RpcClient::new(one, true));
        match provider.get_chain_id().await {
            Ok(served) if served == view.chain_id => answered += 1,
            Ok(served) => {
                return Err(ChainError::WrongChain {
                    url: endpoint.url.clone(),
                    served,
                    expected: view.chain_id,
                });
            }
            Err(error) => failures.push(format!("{}: {error}", endpoint.url)),
        }
    }
    if answered < usize::from(view.quorum) {
        return Err(ChainError::TooFew {
            answered,
            count: view.endpoints.len(),
            chain_id: view.chain_id,
            quorum: view.quorum,
            failures: failures.join("; "),
        });
    }
    for failure in failures {
        tracing::warn!(%failure, "an RPC endpoint does not answer; the quorum still can be met");
    }
    Ok(())
}
