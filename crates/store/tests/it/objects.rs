//! Encrypted objects: round trips, random access, and every tampering case the format must detect.

use std::io::{Cursor, Read, Seek, SeekFrom, Write};

use dnavault_store::{DataKey, Layout, ObjectId, ObjectReader, ObjectWriter, StoreError, bgzf};

static KEY: std::sync::LazyLock<DataKey> =
    std::sync::LazyLock::new(|| DataKey::from_slice(&[7; 32]).expect("32 bytes"));
const CHUNK: u32 = 4096;

fn id(name: &str) -> ObjectId {
    ObjectId::new(name).unwrap()
}

/// Deterministic test bytes.
fn bytes(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 % 251) as u8).collect()
}

fn encrypt(name: &str, plain: &[u8]) -> Vec<u8> {
    let mut writer = ObjectWriter::new(Vec::new(), &KEY, &id(name), Layout::Fixed, CHUNK).unwrap();
    // Odd-sized writes: chunk cuts must not depend on how the caller writes.
    for piece in plain.chunks(1000) {
        writer.write_all(piece).unwrap();
    }
    writer.finish().unwrap().0
}

fn decrypt(name: &str, stored: &[u8]) -> Result<Vec<u8>, StoreError> {
    let mut reader = ObjectReader::open(Cursor::new(stored), &KEY, &id(name))?;
    let mut plain = Vec::new();
    reader
        .read_to_end(&mut plain)
        .map_err(|e| *e.into_inner().unwrap().downcast::<StoreError>().unwrap())?;
    Ok(plain)
}

/// The frames of an encrypted object: (offset, total frame length).
fn frames(stored: &[u8]) -> Vec<(usize, usize)> {
    let mut found = Vec::new();
    let mut at = 64;
    while at < stored.len() {
        let len = u32::from_le_bytes(stored[at..at + 4].try_into().unwrap()) as usize;
        found.push((at, 4 + len));
        at += 4 + len;
    }
    found
}

#[test]
fn objects_of_every_size_round_trip() {
    let chunk = CHUNK as usize;
    for len in [
        0,
        1,
        chunk - 1,
        chunk,
        chunk + 1,
        3 * chunk + chunk / 2,
        8 * chunk,
    ] {
        let plain = bytes(len);
        let stored = encrypt("genome.vcf", &plain);
        assert_eq!(
            decrypt("genome.vcf", &stored).unwrap(),
            plain,
            "length {len}"
        );
        assert_eq!(
            frames(&stored).len(),
            len.div_ceil(chunk).max(1),
            "length {len}"
        );
        assert!(
            !stored
                .windows(64)
                .any(|w| plain.len() >= 64 && w == &plain[..64]),
            "plaintext visible in the stored object"
        );
    }
}

#[test]
fn random_access_decrypts_only_the_chunks_it_touches() {
    let plain = bytes(20 * CHUNK as usize);
    let stored = encrypt("genome.vcf", &plain);
    let mut reader = ObjectReader::open(Cursor::new(&stored), &KEY, &id("genome.vcf")).unwrap();
    assert_eq!(reader.len(), plain.len() as u64);
    assert_eq!(reader.chunk_count(), 20);
    // Opening authenticated the last chunk only.
    assert_eq!(reader.chunks_decrypted(), 1);
    let at = 7 * CHUNK as u64 + 100;
    reader.seek(SeekFrom::Start(at)).unwrap();
    let mut window = [0u8; 50];
    reader.read_exact(&mut window).unwrap();
    assert_eq!(&window[..], &plain[at as usize..at as usize + 50]);
    assert_eq!(reader.chunks_decrypted(), 2);
    // A read across a chunk boundary touches two chunks.
    reader.seek(SeekFrom::Start(9 * CHUNK as u64 - 10)).unwrap();
    let mut across = [0u8; 20];
    reader.read_exact(&mut across).unwrap();
    assert_eq!(
        &across[..],
        &plain[9 * CHUNK as usize - 10..9 * CHUNK as usize + 10]
    );
    assert_eq!(reader.chunks_decrypted(), 4);
    // Seeking from the end and past it.
    assert_eq!(
        reader.seek(SeekFrom::End(-5)).unwrap(),
        plain.len() as u64 - 5
    );
    let mut tail = Vec::new();
    reader.read_to_end(&mut tail).unwrap();
    assert_eq!(tail, &plain[plain.len() - 5..]);
    reader.seek(SeekFrom::End(10)).unwrap();
    assert_eq!(reader.read(&mut [0; 4]).unwrap(), 0);
    assert!(
        reader
            .seek(SeekFrom::Current(-(plain.len() as i64) - 100))
            .is_err()
    );
}

/// Asserts that `stored` fails to decrypt as `name`, and that the error is one of the tampering kinds.
fn assert_refused(name: &str, stored: &[u8], case: &str) {
    match decrypt(name, stored) {
        Ok(_) => panic!("{case}: accepted"),
        Err(
            StoreError::Tampered { .. }
            | StoreError::Truncated { .. }
            | StoreError::NotAnObject { .. },
        ) => {}
        Err(other) => panic!("{case}: unexpected error {other}"),
    }
}

#[test]
fn every_flipped_bit_is_detected() {
    let stored = encrypt("genome.vcf", &bytes(3 * CHUNK as usize + 17));
    // Every byte of the header, a frame length, ciphertext and tag: one bit each.
    let mut positions: Vec<usize> = (0..64).collect();
    for (at, len) in frames(&stored) {
        positions.extend([at, at + 3, at + 4, at + len / 2, at + len - 1]);
    }
    for position in positions {
        let mut tampered = stored.clone();
        tampered[position] ^= 0x10;
        assert_refused(
            "genome.vcf",
            &tampered,
            &format!("bit flipped at byte {position}"),
        );
    }
}

#[test]
fn truncated_extended_dropped_duplicated_and_reordered_chunks_are_detected() {
    let stored = encrypt("genome.vcf", &bytes(4 * CHUNK as usize + 9));
    let f = frames(&stored);
    let frame = |i: usize| &stored[f[i].0..f[i].0 + f[i].1];
    let rebuild = |order: &[usize]| {
        let mut out = stored[..64].to_vec();
        for &i in order {
            out.extend_from_slice(frame(i));
        }
        out
    };
    let cases: Vec<(&str, Vec<u8>)> = vec![
        (
            "last chunk dropped (cut at a chunk boundary)",
            rebuild(&[0, 1, 2, 3]),
        ),
        ("middle chunk dropped", rebuild(&[0, 1, 3, 4])),
        ("chunk duplicated", rebuild(&[0, 1, 1, 2, 3, 4])),
        ("chunks swapped", rebuild(&[0, 2, 1, 3, 4])),
        (
            "last chunk repeated at the end",
            rebuild(&[0, 1, 2, 3, 4, 4]),
        ),
        (
            "cut inside the last chunk",
            stored[..stored.len() - 1].to_vec(),
        ),
        ("cut inside a frame length", stored[..f[2].0 + 2].to_vec()),
        ("header only", stored[..64].to_vec()),
        ("cut inside the header", stored[..40].to_vec()),
        ("empty file", Vec::new()),
        ("garbage appended", [stored.clone(), vec![0; 40]].concat()),
    ];
    for (case, tampered) in cases {
        assert_refused("genome.vcf", &tampered, case);
    }
}

#[test]
fn chunks_cannot_move_between_objects_or_versions_and_keys_matter() {
    let plain = bytes(2 * CHUNK as usize + 5);
    let a = encrypt("genome.vcf", &plain);
    let b = encrypt("genome.vcf.tbi", &plain);
    let a2 = encrypt("genome.vcf", &plain);
    // An object read under another id.
    assert_refused("genome.vcf.tbi", &a, "object renamed");
    // A chunk spliced from another object, or from another version of the same object.
    for (other, case) in [
        (&b, "chunk from another object"),
        (&a2, "chunk from another version"),
    ] {
        let fa = frames(&a);
        let fo = frames(other);
        let mut spliced = a[..fa[1].0].to_vec();
        spliced.extend_from_slice(&other[fo[1].0..fo[1].0 + fo[1].1]);
        spliced.extend_from_slice(&a[fa[2].0..]);
        assert_refused("genome.vcf", &spliced, case);
    }
    // Another data key.
    let error = ObjectReader::open(
        Cursor::new(&a),
        &DataKey::from_slice(&[8; 32]).unwrap(),
        &id("genome.vcf"),
    )
    .err()
    .expect("wrong key refused");
    assert!(
        matches!(error, StoreError::Tampered { chunk: 2, .. }),
        "{error}"
    );
    // Two versions of the same plaintext share nothing.
    assert_ne!(a[64..], a2[64..]);
}

#[test]
fn a_length_the_metadata_does_not_record_is_refused() {
    let stored = encrypt("genome.vcf", &bytes(100));
    let ok = ObjectReader::open_checked(
        Cursor::new(&stored),
        &KEY,
        &id("genome.vcf"),
        stored.len() as u64,
    );
    assert!(ok.is_ok());
    let error = ObjectReader::open_checked(Cursor::new(&stored), &KEY, &id("genome.vcf"), 1)
        .err()
        .unwrap();
    assert!(
        matches!(error, StoreError::LengthMismatch { found, expected: 1, .. } if found == stored.len() as u64)
    );
}

#[test]
fn ids_and_chunk_sizes_are_checked() {
    for bad in ["", ".hidden", "a/b", "../x", "é", &"x".repeat(129)] {
        assert!(
            matches!(ObjectId::new(bad), Err(StoreError::InvalidId(_))),
            "{bad:?}"
        );
    }
    assert!(ObjectId::new("chr22.vcf.gz.tbi").is_ok());
    for size in [0, 4095, (16 << 20) + 1] {
        assert!(matches!(
            ObjectWriter::new(Vec::new(), &KEY, &id("x"), Layout::Fixed, size),
            Err(StoreError::InvalidChunkSize(_))
        ));
    }
}

fn testdata(path: &str) -> std::path::PathBuf {
    format!("{}/../../testdata/{path}", env!("CARGO_MANIFEST_DIR")).into()
}

#[test]
fn bgzf_files_are_cut_at_block_boundaries() {
    let original = std::fs::read(testdata("vcf/real/chr22.vcf.gz")).unwrap();
    let writer =
        ObjectWriter::new(Vec::new(), &KEY, &id("chr22.vcf.gz"), Layout::Bgzf, 65536).unwrap();
    let (stored, summary) = bgzf::copy_blocks(Cursor::new(&original), writer).unwrap();
    assert_eq!(summary.plaintext_len, original.len() as u64);
    assert!(summary.chunks > 5, "{summary:?}");
    let mut reader = ObjectReader::open(Cursor::new(&stored), &KEY, &id("chr22.vcf.gz")).unwrap();
    assert_eq!(reader.layout(), Layout::Bgzf);
    // Every chunk starts with a BGZF block and the chunks put together are the file.
    let mut joined = Vec::new();
    for i in 0..reader.chunk_count() {
        let chunk = reader.chunk(i).unwrap();
        assert_eq!(
            &chunk[..4],
            &[31, 139, 8, 4],
            "chunk {i} does not start a block"
        );
        joined.extend_from_slice(chunk);
    }
    assert_eq!(joined, original);
}

#[test]
fn input_that_is_not_bgzf_is_refused_where_it_stops_being_bgzf() {
    let writer =
        || ObjectWriter::new(Vec::new(), &KEY, &id("x.vcf.gz"), Layout::Bgzf, 65536).unwrap();
    let plain = b"##fileformat=VCFv4.2\n#CHROM\tPOS\n".to_vec();
    let error = bgzf::copy_blocks(Cursor::new(&plain), writer()).unwrap_err();
    assert!(
        matches!(error, StoreError::NotBgzf { offset: 0, .. }),
        "{error}"
    );
    let original = std::fs::read(testdata("vcf/real/chr22.vcf.gz")).unwrap();
    let cut = &original[..original.len() / 2];
    let error = bgzf::copy_blocks(Cursor::new(cut), writer()).unwrap_err();
    assert!(
        matches!(error, StoreError::NotBgzf { offset, .. } if offset as usize == cut.len()),
        "{error}"
    );
}

/// Yields its bytes in pieces of 777, then fails if told to.
struct Dribble {
    data: Vec<u8>,
    at: usize,
    fail_at_end: bool,
}

impl Read for Dribble {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if self.at == self.data.len() && self.fail_at_end {
            return Err(std::io::Error::other("connection reset"));
        }
        let n = out.len().min(777).min(self.data.len() - self.at);
        out[..n].copy_from_slice(&self.data[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

#[test]
fn copy_from_streams_any_reader_and_reports_its_failure() {
    for len in [0, 5, CHUNK as usize, 5 * CHUNK as usize + 3] {
        let plain = bytes(len);
        let mut writer =
            ObjectWriter::new(Vec::new(), &KEY, &id("genome.vcf"), Layout::Fixed, CHUNK).unwrap();
        writer.write_all(b"head:").unwrap();
        let copied = writer
            .copy_from(Dribble {
                data: plain.clone(),
                at: 0,
                fail_at_end: false,
            })
            .unwrap();
        assert_eq!(copied, len as u64);
        let (stored, summary) = writer.finish().unwrap();
        assert_eq!(summary.plaintext_len, len as u64 + 5);
        assert_eq!(
            decrypt("genome.vcf", &stored).unwrap(),
            [b"head:".as_slice(), &plain].concat()
        );
    }
    let mut writer =
        ObjectWriter::new(Vec::new(), &KEY, &id("genome.vcf"), Layout::Fixed, CHUNK).unwrap();
    let error = writer
        .copy_from(Dribble {
            data: bytes(3 * CHUNK as usize),
            at: 0,
            fail_at_end: true,
        })
        .unwrap_err();
    assert!(
        matches!(&error, StoreError::Io { what, .. } if what.contains("genome.vcf")),
        "{error}"
    );
}
