//! A bound on what a BCF stream's framing may claim. noodles-bcf sizes its buffer from a header's or a
//! record's length fields before it reads the bytes they announce, so twelve bytes of a malformed file
//! could make it allocate and zero gigabytes. [`BcfFramed`] passes the decompressed stream through
//! unchanged, reading only the framing (BCF 2.2: the magic and version, `l_text`, then each record's
//! `l_shared` and `l_indiv`), and refuses a length no real file needs before the parser sees it.

use std::io::{self, Read};

/// The most bytes one BCF header or record may claim: far above a whole-genome file's largest record with
/// thousands of samples, far below what would hurt the vault.
pub(crate) const MAX_BCF_BLOCK: u64 = 64 << 20;

/// The magic, the version and `l_text`.
const HEADER_FRAMING: usize = 9;

/// `l_shared` and `l_indiv`.
const RECORD_FRAMING: usize = 8;

/// A decompressed BCF stream, refused where its framing claims more than [`MAX_BCF_BLOCK`].
pub(crate) struct BcfFramed<R> {
    inner: R,
    /// Bytes of the current header or record still to pass through.
    payload: u64,
    /// The framing bytes read so far, and how many the next length needs.
    framing: Vec<u8>,
    needs: usize,
    /// How many blocks were framed (the first is the header).
    block: u64,
}

impl<R: Read> BcfFramed<R> {
    pub(crate) fn new(inner: R) -> Self {
        Self {
            inner,
            payload: 0,
            framing: Vec::with_capacity(HEADER_FRAMING),
            needs: HEADER_FRAMING,
            block: 0,
        }
    }

    /// Takes in `bytes` the parser is about to read: refused at a length over the bound.
    fn follow(&mut self, mut bytes: &[u8]) -> io::Result<()> {
        while !bytes.is_empty() {
            if self.payload > 0 {
                let passed = self.payload.min(bytes.len() as u64);
                self.payload -= passed;
                bytes = &bytes[passed as usize..];
                continue;
            }
            let take = (self.needs - self.framing.len()).min(bytes.len());
            self.framing.extend_from_slice(&bytes[..take]);
            bytes = &bytes[take..];
            if self.framing.len() == self.needs {
                self.payload = self.claimed()?;
                self.framing.clear();
                self.needs = RECORD_FRAMING;
                self.block += 1;
            }
        }
        Ok(())
    }

    /// The length the framing just read announces, if it is within the bound.
    fn claimed(&self) -> io::Result<u64> {
        let word = |at: usize| {
            u64::from(u32::from_le_bytes(
                self.framing[at..at + 4].try_into().expect("four bytes"),
            ))
        };
        let (what, claimed) = match self.block {
            0 => ("the BCF header", word(5)),
            _ => ("a BCF record", word(0) + word(4)),
        };
        if claimed > MAX_BCF_BLOCK {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "{what} claims {claimed} bytes, more than any real file holds ({MAX_BCF_BLOCK}): the file is \
                     malformed or truncated"
                ),
            ));
        }
        Ok(claimed)
    }
}

impl<R: Read> Read for BcfFramed<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let read = self.inner.read(buf)?;
        self.follow(&buf[..read])?;
        Ok(read)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bcf(header: &[u8], records: &[(u32, u32)]) -> Vec<u8> {
        let mut bytes = b"BCF\x02\x02".to_vec();
        bytes.extend((header.len() as u32).to_le_bytes());
        bytes.extend(header);
        for &(shared, indiv) in records {
            bytes.extend(shared.to_le_bytes());
            bytes.extend(indiv.to_le_bytes());
            bytes.extend(vec![7; (shared + indiv) as usize]);
        }
        bytes
    }

    fn through(bytes: &[u8], chunk: usize) -> io::Result<Vec<u8>> {
        let mut framed = BcfFramed::new(bytes);
        let mut out = Vec::new();
        let mut buf = vec![0; chunk];
        loop {
            match framed.read(&mut buf)? {
                0 => return Ok(out),
                n => out.extend_from_slice(&buf[..n]),
            }
        }
    }

    #[test]
    fn a_well_framed_stream_passes_unchanged_however_it_is_read() {
        let bytes = bcf(b"##fileformat=VCFv4.2\n\0", &[(24, 8), (30, 0), (0, 0)]);
        for chunk in [1, 3, 8, 9, 64, 4096] {
            assert_eq!(
                through(&bytes, chunk).unwrap(),
                bytes,
                "read {chunk} at a time"
            );
        }
    }

    #[test]
    fn a_length_no_real_file_needs_is_refused_before_the_parser_sees_it() {
        let mut bytes = bcf(b"##fileformat=VCFv4.2\n\0", &[(24, 8)]);
        bytes.extend(0xFFFF_FFF0u32.to_le_bytes());
        bytes.extend(16u32.to_le_bytes());
        let error = through(&bytes, 5).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::InvalidData);
        assert!(
            error
                .to_string()
                .starts_with("a BCF record claims 4294967296 bytes"),
            "{error}"
        );
        let mut header = b"BCF\x02\x02".to_vec();
        header.extend(u32::MAX.to_le_bytes());
        let error = through(&header, 4096).unwrap_err();
        assert!(
            error.to_string().starts_with("the BCF header claims"),
            "{error}"
        );
    }
}
