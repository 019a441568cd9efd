//! The vault's consent gate: the registry's grants for one vault, mirrored in memory from its `Granted`,
//! `GrantRevoked` and `VaultOwnershipTransferred` events (a transfer ends every earlier grant), so a query's consent is checked without a round trip to the chain.
//!
//! [`ConsentCache::sync`] reads the events up to the chain head minus a confirmation depth, and reads them
//! again from the first block when a reorganisation replaced a block it had read; a background
//! task ([`ConsentCache::keep_current`]) repeats it, so a revocation takes effect within one poll of the block
//! that holds it. [`ConsentCache::check`] fails closed: no grant, a revoked or expired grant, and a cache that
//! has not synced within its staleness limit (the chain cannot be read) all refuse; [`ConsentCache::confirm`]
//! then proves the grant from the chain's state at that block (`eth_getProof`). [`gate::authorize`] puts
//! a researcher's signed query request through the researcher's signature, the cache and, when the grant
//! asks for it, the owner's approval of that request; [`owner::require_owner_signature`] is the one check
//! that any message is the vault owner's.

mod cache;
mod events;
pub mod gate;
pub mod owner;
mod proof;
mod read;

pub use cache::{Consent, ConsentCache, ConsentConfig, ConsentError, GrantId};
pub use proof::prove_audit_head;
