//! The consent cache and gate against a real registry on Anvil, and against a node that serves a head block
//! before its receipts.

mod cache;
mod gate;
mod head;
mod proof;
mod reorg;
