//! Random access to an encrypted object: only the chunks a read touches are decrypted.

use std::io::{Read, Seek, SeekFrom};

use zeroize::Zeroizing;

use crate::{
    DataKey, Layout, ObjectId, StoreError,
    cipher::ChunkCipher,
    format::{FRAME_LEN, HEADER_LEN, Header, TAG_LEN},
};

/// Where a chunk is.
#[derive(Debug, Clone, Copy)]
struct Chunk {
    /// Offset of its ciphertext in the file.
    stored_at: u64,
    /// Ciphertext length, tag included.
    stored_len: u32,
    /// Offset of its plaintext in the object.
    plain_at: u64,
}

/// An open object: `Read + Seek` over its plaintext.
pub struct ObjectReader<R: Read + Seek> {
    inner: R,
    cipher: ChunkCipher,
    layout: Layout,
    revision: u64,
    chunks: Vec<Chunk>,
    len: u64,
    position: u64,
    /// The last chunk decrypted, wiped when replaced or dropped.
    current: Option<(u32, Zeroizing<Vec<u8>>)>,
    decrypted: u64,
}

impl<R: Read + Seek> ObjectReader<R> {
    /// Opens object `id`: reads its header, maps its chunks and authenticates its last chunk, so that a
    /// truncated or extended file is refused here.
    pub fn open(mut inner: R, data_key: &DataKey, id: &ObjectId) -> Result<Self, StoreError> {
        let io = |what: &str| StoreError::io(format!("{what} object `{id}`"));
        let size = inner.seek(SeekFrom::End(0)).map_err(io("reading"))?;
        inner.seek(SeekFrom::Start(0)).map_err(io("reading"))?;
        let truncated = |offset| StoreError::Truncated {
            object: id.to_string(),
            offset,
        };
        if size < HEADER_LEN as u64 {
            return Err(truncated(size));
        }
        let mut header_bytes = [0; HEADER_LEN];
        inner.read_exact(&mut header_bytes).map_err(io("reading"))?;
        let header = Header::parse(&header_bytes).ok_or_else(|| StoreError::NotAnObject {
            object: id.to_string(),
        })?;
        let cipher = ChunkCipher::new(data_key, id, &header);
        let mut chunks = Vec::new();
        let mut at = HEADER_LEN as u64;
        let mut plain_at = 0u64;
        while at < size {
            if size - at < (FRAME_LEN + TAG_LEN) as u64 {
                return Err(truncated(size));
            }
            let mut length = [0; FRAME_LEN];
            inner.seek(SeekFrom::Start(at)).map_err(io("reading"))?;
            inner.read_exact(&mut length).map_err(io("reading"))?;
            let stored_len = u32::from_le_bytes(length);
            let stored_at = at + FRAME_LEN as u64;
            if (stored_len as usize) < TAG_LEN
                || stored_len as usize > header.chunk_limit as usize + TAG_LEN
            {
                // A length no writer produces: the frame was altered.
                return Err(StoreError::Tampered {
                    object: id.to_string(),
                    chunk: u32::try_from(chunks.len()).unwrap_or(u32::MAX),
                });
            }
            if stored_at + u64::from(stored_len) > size {
                return Err(truncated(size));
            }
            chunks.push(Chunk {
                stored_at,
                stored_len,
                plain_at,
            });
            plain_at += u64::from(stored_len) - TAG_LEN as u64;
            at = stored_at + u64::from(stored_len);
        }
        if chunks.is_empty() {
            return Err(truncated(size));
        }
        if u32::try_from(chunks.len()).is_err() {
            return Err(StoreError::TooLarge {
                object: id.to_string(),
            });
        }
        let mut reader = Self {
            inner,
            cipher,
            layout: header.layout,
            revision: header.revision,
            chunks,
            len: plain_at,
            position: 0,
            current: None,
            decrypted: 0,
        };
        let last = reader.chunk_count() - 1;
        reader.load(last)?;
        Ok(reader)
    }

    /// Opens an object whose stored length the metadata recorded, refusing one of another length.
    pub fn open_checked(
        inner: R,
        data_key: &DataKey,
        id: &ObjectId,
        stored_len: u64,
    ) -> Result<Self, StoreError> {
        let mut inner = inner;
        let found = inner
            .seek(SeekFrom::End(0))
            .map_err(StoreError::io(format!("reading object `{id}`")))?;
        if found != stored_len {
            return Err(StoreError::LengthMismatch {
                object: id.to_string(),
                found,
                expected: stored_len,
            });
        }
        Self::open(inner, data_key, id)
    }

    /// The revision its header (authenticated by every chunk) names; 0 if written without one.
    pub fn revision(&self) -> u64 {
        self.revision
    }

    /// Plaintext length.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// True for an empty object.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Number of chunks.
    pub fn chunk_count(&self) -> u32 {
        // `open` refuses more than u32::MAX chunks.
        self.chunks.len() as u32
    }

    /// How the object was cut.
    pub fn layout(&self) -> Layout {
        self.layout
    }

    /// How many chunk decryptions this reader has done (a lookup's cost).
    pub fn chunks_decrypted(&self) -> u64 {
        self.decrypted
    }

    /// The plaintext of chunk `index`.
    pub fn chunk(&mut self, index: u32) -> Result<&[u8], StoreError> {
        self.load(index)?;
        Ok(self
            .current
            .as_ref()
            .map(|(_, plain)| plain.as_slice())
            .unwrap_or_default())
    }

    fn load(&mut self, index: u32) -> Result<(), StoreError> {
        if matches!(&self.current, Some((loaded, _)) if *loaded == index) {
            return Ok(());
        }
        let object = self.cipher.object().to_string();
        let chunk = self.chunks[index as usize];
        // Reuse the buffer being replaced; it is wiped before reuse by being overwritten, and on drop.
        let mut buffer = match self.current.take() {
            Some((_, buffer)) => buffer,
            None => Zeroizing::new(Vec::new()),
        };
        buffer.clear();
        buffer.resize(chunk.stored_len as usize, 0);
        self.inner
            .seek(SeekFrom::Start(chunk.stored_at))
            .and_then(|_| self.inner.read_exact(&mut buffer))
            .map_err(StoreError::io(format!("reading object `{object}`")))?;
        let last = index + 1 == self.chunk_count();
        self.cipher.open(index, last, &mut buffer)?;
        self.decrypted += 1;
        self.current = Some((index, buffer));
        Ok(())
    }

    /// The chunk holding plaintext offset `offset` (< len).
    fn chunk_at(&self, offset: u64) -> u32 {
        let after = self
            .chunks
            .partition_point(|chunk| chunk.plain_at <= offset);
        // `after` >= 1: the first chunk starts at 0.
        (after - 1) as u32
    }
}

impl<R: Read + Seek> Read for ObjectReader<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if self.position >= self.len || out.is_empty() {
            return Ok(0);
        }
        let index = self.chunk_at(self.position);
        let start = self.chunks[index as usize].plain_at;
        let position = self.position;
        let plain = self.chunk(index).map_err(std::io::Error::other)?;
        let skip = (position - start) as usize;
        let available = &plain[skip..];
        let n = available.len().min(out.len());
        out[..n].copy_from_slice(&available[..n]);
        self.position += n as u64;
        Ok(n)
    }
}

impl<R: Read + Seek> Seek for ObjectReader<R> {
    fn seek(&mut self, to: SeekFrom) -> std::io::Result<u64> {
        let target = match to {
            SeekFrom::Start(offset) => Some(offset),
            SeekFrom::End(delta) => self.len.checked_add_signed(delta),
            SeekFrom::Current(delta) => self.position.checked_add_signed(delta),
        };
        let target = target.ok_or_else(|| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "seek before the start of the object",
            )
        })?;
        self.position = target;
        Ok(target)
    }
}
