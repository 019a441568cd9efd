//! The test harness every integration test stands on: starts Anvil (the npm binary the project pins, via
//! alloy's node bindings), deploys VaultRegistry, and hands back typed clients and funded signers; and starts
//! throwaway PostgreSQL servers ([`TestPostgres`]) and JSON-RPC proxies that lie ([`RpcProxy`]); and holds
//! OpenAPI descriptions to the routes served ([`openapi`]).
//!
//! ```no_run
//! # async fn demo() -> Result<(), dnavault_testkit::TestkitError> {
//! let chain = dnavault_testkit::TestChain::start().await?;
//! let owner = chain.signer(1);
//! let registry = chain.registry_as(&owner);
//! let receipt = registry.registerVault("https://vault.example".into()).send().await?.get_receipt().await?;
//! assert!(receipt.status());
//! # Ok(()) }
//! ```

mod anvil;
mod chain;
pub mod disk;
mod error;
pub mod openapi;
mod postgres;
mod rpc_proxy;

pub use anvil::{ANVIL_ENV, anvil_binary};
pub use chain::{Registry, TestChain};
pub use error::{Result, TestkitError};
pub use postgres::{PG_BIN_ENV, TestPostgres};
pub use rpc_proxy::{RpcProxy, Tamper, hiding_revocations};
