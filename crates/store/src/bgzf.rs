//! BGZF block framing (SAM/BAM format specification, section 4.1), read only to cut chunks at block
//! boundaries: each block is a gzip member whose extra field `BC` gives its total size. Decompression is left
//! to noodles.

use std::io::{Read, Write};

use crate::{ObjectSummary, ObjectWriter, StoreError};

/// The fixed part of a BGZF block header, up to and including BSIZE.
const HEADER: usize = 18;
/// The largest BGZF block.
pub const MAX_BLOCK: usize = 65536;

/// Copies a BGZF stream into `writer` block by block, so no block straddles two chunks; refuses input that is
/// not BGZF, naming the byte where it stops being BGZF.
pub fn copy_blocks<R: Read, W: Write>(
    mut input: R,
    mut writer: ObjectWriter<W>,
) -> Result<(W, ObjectSummary), StoreError> {
    let mut block = vec![0u8; MAX_BLOCK];
    let mut offset = 0u64;
    loop {
        let got = read_full(&mut input, &mut block[..HEADER], offset)?;
        if got == 0 {
            break;
        }
        if got < HEADER {
            return Err(StoreError::NotBgzf {
                offset: offset + got as u64,
                reason: "the stream ends inside a block header",
            });
        }
        let size = block_size(&block[..HEADER]).ok_or(StoreError::NotBgzf {
            offset,
            reason: "not a BGZF block header (gzip member with a BC extra field)",
        })?;
        let body = read_full(&mut input, &mut block[HEADER..size], offset)?;
        if body < size - HEADER {
            return Err(StoreError::NotBgzf {
                offset: offset + (HEADER + body) as u64,
                reason: "the stream ends inside a block",
            });
        }
        writer.write_unit(&block[..size])?;
        offset += size as u64;
    }
    writer.finish()
}

/// Whether `bytes` start with a BGZF block header (a gzip member with a `BC` extra field).
pub fn starts_block(bytes: &[u8]) -> bool {
    bytes.len() >= HEADER && block_size(&bytes[..HEADER]).is_some()
}

/// The total size of the block whose header is `header`, if it is a BGZF header.
fn block_size(header: &[u8]) -> Option<usize> {
    let gzip = header[0] == 31 && header[1] == 139 && header[2] == 8 && header[3] & 4 != 0;
    let extra = u16::from_le_bytes([header[10], header[11]]) == 6
        && header[12] == b'B'
        && header[13] == b'C'
        && u16::from_le_bytes([header[14], header[15]]) == 2;
    let size = usize::from(u16::from_le_bytes([header[16], header[17]])) + 1;
    (gzip && extra && size > HEADER + 8).then_some(size)
}

fn read_full<R: Read>(input: &mut R, buffer: &mut [u8], offset: u64) -> Result<usize, StoreError> {
    let mut filled = 0;
    while filled < buffer.len() {
        match input.read(&mut buffer[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(source) => {
                return Err(StoreError::Io {
                    what: format!("reading input at byte {offset}"),
                    source,
                });
            }
        }
    }
    Ok(filled)
}
