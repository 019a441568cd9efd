//! The chain connection against Anvil: authenticated endpoints and quorum reads, with lying proxies.

mod endpoints;
mod quorum;
