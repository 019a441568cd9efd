//! Files an owner uploads and the vault reads back: genomes (VCF, bgzipped VCF, BCF, raw 23andMe and
//! AncestryDNA) as the upload check reads them, a bgzipped VCF with its tabix index as the lookup path
//! reads them, PGS Catalog scoring files, and the store's encrypted objects as the host hands them back.

use std::{
    collections::{HashMap, HashSet},
    io::{Cursor, Read, Seek, SeekFrom},
    path::Path,
    sync::OnceLock,
};

use dnavault_genome::{
    check,
    lookup::{Query, Span},
    raw::RawGenome,
    score::ScoringFile,
};
use dnavault_store::{DataKey, Layout, ObjectId, ObjectReader, ObjectWriter};
use zeroize::Zeroizing;

/// The most records a target reads of one input: enough to reach every parser state.
const MAX_RECORDS: usize = 10_000;

fn reader(data: &[u8]) -> Box<dyn Read + Send> {
    Box::new(Cursor::new(data.to_vec()))
}

/// The upload check (`dnavault_genome::check`): VCF, bgzipped VCF, BCF or raw, told from the content,
/// every record read; with a sample named and without; and the bytes as a tabix or CSI index. Accepted
/// when the check passes.
pub fn genome_file(data: &[u8]) -> bool {
    let path = Path::new("upload");
    let accepted = check::check(path, reader(data), None).is_ok();
    let _ = check::check(path, reader(data), Some("HG00096"));
    let indexes = [false, true].map(|csi| check::check_index(path, reader(data), csi).is_ok());
    accepted || indexes.contains(&true)
}

/// A raw 23andMe or AncestryDNA file, every call read: accepted when every call reads.
pub fn raw_genome(data: &[u8]) -> bool {
    let Ok(genome) = RawGenome::from_reader(Path::new("raw.txt"), reader(data)) else {
        return false;
    };
    let mut accepted = true;
    for call in genome.take(MAX_RECORDS) {
        match call {
            Ok(call) => {
                let _ = call.is_no_call();
            }
            Err(_) => accepted = false,
        }
    }
    accepted
}

/// The lookup path: a tabix index's length (2 bytes, little-endian), the index, then the bgzipped VCF it
/// indexes, looked up by regions and by rsID. Accepted when it opens and a region finds records.
pub fn genome_lookup(data: &[u8]) -> bool {
    let Some((length, rest)) = data.split_first_chunk::<2>() else {
        return false;
    };
    let (index, vcf) = rest.split_at(usize::from(u16::from_le_bytes(*length)).min(rest.len()));
    let path = Path::new("genome.vcf.gz");
    let Ok(mut genome) =
        dnavault_genome::IndexedGenome::open(path, Cursor::new(vcf.to_vec()), index, None)
    else {
        return false;
    };
    let span = |start, end| Span { start, end };
    let regions = |spans| Query::Regions(HashMap::from([("22".to_owned(), spans)]));
    let mut found = false;
    for query in [
        regions(vec![
            span(50_300_000, 50_301_000),
            span(50_302_500, 50_302_500),
        ]),
        regions(vec![span(1, u64::MAX / 2)]),
        Query::Regions(HashMap::from([("chr1".to_owned(), vec![span(0, 0)])])),
        Query::Ids(HashSet::from(["rs7410291".to_owned()])),
    ] {
        found |= genome.lookup(&query).is_ok_and(|found| !found.is_empty());
    }
    found
}

/// A PGS Catalog scoring file as text: accepted when it parses.
pub fn scoring_file(data: &[u8]) -> bool {
    std::str::from_utf8(data)
        .is_ok_and(|text| ScoringFile::parse(Path::new("PGS000001.txt"), text).is_ok())
}

/// What the stored-object target encrypts: three chunks and a part.
const STORED: &[u8; 14_000] = &[0x5A; 14_000];

/// The key every stored-object input is under (the fuzzer cannot make one without it).
fn store_key() -> DataKey {
    DataKey::new(Zeroizing::new([7; 32]))
}

fn object_id() -> ObjectId {
    ObjectId::new("genome").expect("a valid object id")
}

/// [`STORED`] as the store writes it, under [`store_key`]: the target's seed.
pub(crate) fn stored_seed() -> &'static [u8] {
    static SEED: OnceLock<Vec<u8>> = OnceLock::new();
    SEED.get_or_init(|| {
        let mut writer =
            ObjectWriter::new(Vec::new(), &store_key(), &object_id(), Layout::Fixed, 4096)
                .expect("a writer");
        writer.write_unit(STORED).expect("written");
        writer.finish().expect("finished").0
    })
}

/// An encrypted object the host hands back, read whole and chunk by chunk: whatever it altered is refused,
/// and what does read is exactly what was stored. Accepted when it reads whole.
pub fn stored_object(data: &[u8]) -> bool {
    let Ok(mut object) = ObjectReader::open(Cursor::new(data), &store_key(), &object_id()) else {
        return false;
    };
    for chunk in 0..object.chunk_count().min(8) {
        if let Ok(plain) = object.chunk(chunk) {
            let at = chunk as usize * 4096;
            assert_eq!(
                plain,
                &STORED[at..at + plain.len()],
                "chunk {chunk} decrypted to other bytes"
            );
        }
    }
    let mut read = Vec::new();
    let accepted = object.seek(SeekFrom::Start(0)).is_ok() && object.read_to_end(&mut read).is_ok();
    if accepted {
        assert_eq!(read, STORED, "a tampered object read as something else");
    }
    accepted
}
