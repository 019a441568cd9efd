//! Streaming encryption in constant memory: one chunk of plaintext is held at a time.

use std::{
    io::{Read, Write},
    sync::mpsc::{Receiver, SyncSender, channel, sync_channel},
};

use zeroize::Zeroizing;

use crate::{
    DataKey, Layout, ObjectId, StoreError,
    cipher::ChunkCipher,
    format::{FRAME_LEN, HEADER_LEN, Header, TAG_LEN},
};

/// What was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ObjectSummary {
    /// Plaintext bytes.
    pub plaintext_len: u64,
    /// Bytes of the encrypted file.
    pub stored_len: u64,
    /// Number of chunks.
    pub chunks: u32,
}

/// Encrypts one object version into `out`, chunk by chunk.
///
/// A chunk is sealed only once the next byte arrives or [`finish`](Self::finish) is called, since its
/// last-chunk flag must be known; dropping the writer without `finish` leaves an object that will not open.
pub struct ObjectWriter<W: Write> {
    out: W,
    cipher: ChunkCipher,
    chunk_limit: usize,
    /// Plaintext not yet sealed, wiped when the writer is dropped.
    pending: Zeroizing<Vec<u8>>,
    index: u32,
    summary: ObjectSummary,
}

impl<W: Write> ObjectWriter<W> {
    /// Starts object `id` under `data_key`, writing its header to `out`, with no revision (an object kept
    /// outside a [`Store`](crate::Store)).
    pub fn new(
        out: W,
        data_key: &DataKey,
        id: &ObjectId,
        layout: Layout,
        chunk_limit: u32,
    ) -> Result<Self, StoreError> {
        Self::for_revision(out, data_key, id, layout, chunk_limit, 0)
    }

    /// Starts version `revision` of object `id`: its chunks authenticate the revision with the header.
    pub fn for_revision(
        mut out: W,
        data_key: &DataKey,
        id: &ObjectId,
        layout: Layout,
        chunk_limit: u32,
        revision: u64,
    ) -> Result<Self, StoreError> {
        let header = Header::fresh(layout, chunk_limit, revision)?;
        out.write_all(&header.to_bytes())
            .map_err(StoreError::io(format!("writing object `{id}`")))?;
        Ok(Self {
            out,
            cipher: ChunkCipher::new(data_key, id, &header),
            chunk_limit: chunk_limit as usize,
            pending: Zeroizing::new(Vec::with_capacity(chunk_limit as usize + TAG_LEN)),
            index: 0,
            summary: ObjectSummary {
                plaintext_len: 0,
                stored_len: HEADER_LEN as u64,
                chunks: 0,
            },
        })
    }

    /// Appends `unit` without splitting it across chunks (a BGZF block), unless it is larger than a chunk.
    pub fn write_unit(&mut self, unit: &[u8]) -> Result<(), StoreError> {
        if !self.pending.is_empty() && self.pending.len() + unit.len() > self.chunk_limit {
            self.seal_pending(false)?;
        }
        self.append(unit)
    }

    /// Appends everything `input` yields. A second thread reads the next chunks while this one encrypts
    /// (three chunk buffers in flight, so memory stays constant), and a full chunk is encrypted in the buffer
    /// it was read into.
    pub fn copy_from<R: Read + Send>(&mut self, input: R) -> Result<u64, StoreError> {
        let object = self.cipher.object().to_string();
        let limit = self.chunk_limit;
        std::thread::scope(|scope| {
            let (filled_tx, filled) = sync_channel::<std::io::Result<Zeroizing<Vec<u8>>>>(2);
            let (empty, empty_rx) = channel::<Zeroizing<Vec<u8>>>();
            for _ in 0..3 {
                let _ = empty.send(Zeroizing::new(Vec::with_capacity(limit + TAG_LEN)));
            }
            scope.spawn(move || read_chunks(input, limit, &empty_rx, &filled_tx));
            let mut copied = 0u64;
            // Ends when the reader is done; returning early drops the channels, which stops the reader.
            for buffer in filled {
                let buffer = buffer.map_err(|source| StoreError::Io {
                    what: format!("reading the input of object `{object}`"),
                    source,
                })?;
                copied += buffer.len() as u64;
                if self.pending.len() == limit {
                    self.seal_pending(false)?;
                }
                if self.pending.is_empty() && buffer.len() == limit {
                    self.summary.plaintext_len += limit as u64;
                    let sealed = std::mem::replace(&mut self.pending, buffer);
                    let _ = empty.send(sealed);
                } else {
                    self.append(&buffer)?;
                    let _ = empty.send(buffer);
                }
            }
            Ok(copied)
        })
    }

    /// Appends bytes, cutting chunks wherever they fill.
    fn append(&mut self, mut bytes: &[u8]) -> Result<(), StoreError> {
        while !bytes.is_empty() {
            if self.pending.len() == self.chunk_limit {
                self.seal_pending(false)?;
            }
            let take = (self.chunk_limit - self.pending.len()).min(bytes.len());
            self.pending.extend_from_slice(&bytes[..take]);
            self.summary.plaintext_len += take as u64;
            bytes = &bytes[take..];
        }
        Ok(())
    }

    fn seal_pending(&mut self, last: bool) -> Result<(), StoreError> {
        let object = self.cipher.object().clone();
        self.cipher.seal(self.index, last, &mut self.pending)?;
        let length = u32::try_from(self.pending.len())
            .map_err(|_| StoreError::TooLarge {
                object: object.to_string(),
            })?
            .to_le_bytes();
        let written = self
            .out
            .write_all(&length)
            .and_then(|()| self.out.write_all(&self.pending));
        written.map_err(StoreError::io(format!("writing object `{object}`")))?;
        self.summary.stored_len += (FRAME_LEN + self.pending.len()) as u64;
        self.summary.chunks += 1;
        self.pending.clear();
        self.index = self.index.checked_add(1).ok_or(StoreError::TooLarge {
            object: object.to_string(),
        })?;
        Ok(())
    }

    /// Seals the last chunk and flushes; returns the output and what was written.
    pub fn finish(mut self) -> Result<(W, ObjectSummary), StoreError> {
        self.seal_pending(true)?;
        let object = self.cipher.object().to_string();
        self.out
            .flush()
            .map_err(StoreError::io(format!("writing object `{object}`")))?;
        Ok((self.out, self.summary))
    }
}

impl<W: Write> Write for ObjectWriter<W> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.append(bytes).map_err(std::io::Error::other)?;
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

/// The reader thread of [`ObjectWriter::copy_from`]: fills recycled buffers with whole chunks until the input
/// ends (a short buffer), fails, or the writer stops listening.
fn read_chunks<R: Read>(
    mut input: R,
    limit: usize,
    empty: &Receiver<Zeroizing<Vec<u8>>>,
    filled: &SyncSender<std::io::Result<Zeroizing<Vec<u8>>>>,
) {
    while let Ok(mut buffer) = empty.recv() {
        buffer.clear();
        buffer.resize(limit, 0);
        let mut length = 0;
        while length < limit {
            match input.read(&mut buffer[length..]) {
                Ok(0) => break,
                Ok(n) => length += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    let _ = filled.send(Err(e));
                    return;
                }
            }
        }
        buffer.truncate(length);
        if filled.send(Ok(buffer)).is_err() || length < limit {
            return;
        }
    }
}
