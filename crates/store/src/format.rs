//! The object file format: a 64-byte header, then frames of `[u32 LE ciphertext length][ciphertext]`.
//!
//! Header: magic `DNAVSTO1` (8), HKDF salt (32), STREAM nonce prefix (7), layout (1), chunk limit (u32 LE),
//! revision (u64 LE; 0 in objects written before it was kept there), zeros (4). Every chunk authenticates the
//! whole header, so none of it can be changed unnoticed: a version's chunks name its revision.

use crate::StoreError;

pub(crate) const MAGIC: &[u8; 8] = b"DNAVSTO1";
pub(crate) const HEADER_LEN: usize = 64;
/// The AES-GCM tag on every chunk.
pub(crate) const TAG_LEN: usize = 16;
/// The frame's length prefix.
pub(crate) const FRAME_LEN: usize = 4;

/// How an object's chunks are cut.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// Fixed-size chunks.
    Fixed,
    /// Whole BGZF blocks per chunk: a block is never split.
    Bgzf,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Header {
    pub(crate) salt: [u8; 32],
    pub(crate) nonce_prefix: [u8; 7],
    pub(crate) layout: Layout,
    pub(crate) chunk_limit: u32,
    /// The revision the version was staged for.
    pub(crate) revision: u64,
}

impl Header {
    pub(crate) fn fresh(
        layout: Layout,
        chunk_limit: u32,
        revision: u64,
    ) -> Result<Self, StoreError> {
        if !(4096..=16 << 20).contains(&chunk_limit) {
            return Err(StoreError::InvalidChunkSize(chunk_limit));
        }
        let mut salt = [0; 32];
        let mut nonce_prefix = [0; 7];
        rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut salt);
        rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut nonce_prefix);
        Ok(Self {
            salt,
            nonce_prefix,
            layout,
            chunk_limit,
            revision,
        })
    }

    pub(crate) fn to_bytes(&self) -> [u8; HEADER_LEN] {
        let mut bytes = [0; HEADER_LEN];
        bytes[..8].copy_from_slice(MAGIC);
        bytes[8..40].copy_from_slice(&self.salt);
        bytes[40..47].copy_from_slice(&self.nonce_prefix);
        bytes[47] = match self.layout {
            Layout::Fixed => 0,
            Layout::Bgzf => 1,
        };
        bytes[48..52].copy_from_slice(&self.chunk_limit.to_le_bytes());
        bytes[52..60].copy_from_slice(&self.revision.to_le_bytes());
        bytes
    }

    /// Parses a header; `None` if it is not one this version wrote.
    pub(crate) fn parse(bytes: &[u8; HEADER_LEN]) -> Option<Self> {
        if &bytes[..8] != MAGIC || bytes[60..].iter().any(|&b| b != 0) {
            return None;
        }
        let layout = match bytes[47] {
            0 => Layout::Fixed,
            1 => Layout::Bgzf,
            _ => return None,
        };
        Some(Self {
            salt: bytes[8..40].try_into().ok()?,
            nonce_prefix: bytes[40..47].try_into().ok()?,
            layout,
            chunk_limit: u32::from_le_bytes(bytes[48..52].try_into().ok()?),
            revision: u64::from_le_bytes(bytes[52..60].try_into().ok()?),
        })
    }
}
