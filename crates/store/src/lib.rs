//! The vault's encrypted object store.
//!
//! An object (a genome file, its index) is written as a header and a run of chunks, each sealed with
//! AES-256-GCM under the `aead` crate's STREAM construction (STREAM-BE32: a 7-byte nonce prefix, the chunk's
//! 32-bit index and a last-chunk flag in every nonce). Each object version has its own key, derived with HKDF
//! from the vault's data key, a fresh salt and the object's id, and every chunk authenticates the header (with
//! the version's revision) and the id: a flipped bit, a truncated file, a dropped, duplicated or reordered
//! chunk, or a chunk moved between objects or versions fails to open and is reported with the object and chunk.
//!
//! The audit log is chained under a key derived from the data key ([`Store::open_audit_chain`]): what it
//! records (nonces, budgets, receipts, each object's current revision) is what the store trusts after the
//! host has had the database to itself.
//!
//! Writing streams in constant memory ([`ObjectWriter`]); reading decrypts only the chunks it touches
//! ([`ObjectReader`], which is `Read + Seek` over the plaintext). Bgzipped files are cut at BGZF block
//! boundaries ([`bgzf::copy_blocks`]), so a tabix lookup decrypts whole blocks from one chunk each.

mod audit;
pub mod bgzf;
mod cipher;
mod error;
mod format;
mod group_commit;
mod id;
mod migrations;
mod reader;
mod receipts;
mod ring_gcm;
mod spent;
mod store;
mod writer;

pub use audit::ChainOpened;
pub use dnavault_protocol::audit::{AuditHead, AuditLogEntry};
pub use error::StoreError;
pub use format::Layout;
pub use id::ObjectId;
pub use reader::ObjectReader;
pub use receipts::{Budget, QueryRecord, ReceiptRecord};
pub use store::{ObjectRecord, Page, Records, Staged, Store};
pub use writer::{ObjectSummary, ObjectWriter};

/// The default largest plaintext chunk: 256 KiB, four maximal BGZF blocks.
pub const DEFAULT_CHUNK: u32 = 256 * 1024;

pub use dnavault_envelope::DataKey;
