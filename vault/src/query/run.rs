//! Runs a query on the vault's genome: the VCF, BCF and raw (23andMe, AncestryDNA) objects in its store,
//! decrypted as they are read. A region lookup reads only the blocks its tabix index points at; rsID
//! lookups, raw files and scores read the file.

use std::{
    collections::HashSet,
    fs::File,
    io::{Read, Seek, SeekFrom},
    path::Path,
};

use dnavault_genome::{
    Genome, GenomeError, IndexedGenome, Variant, VariantExt,
    genotypes::{GenotypeIndex, IndexError},
    lookup, prs,
    raw::{self, RawCall},
    score::ScoringFile,
};
use dnavault_protocol::descriptor::Descriptor;
use dnavault_protocol::query::{
    AlleleCounts, AlleleCountsResult, BeaconAllele, BeaconResponse, GenotypeLookup,
    GenotypeLookupResult, PolygenicScore, Position, Query, QueryResult, Region, ScoreResult, Site,
};
use dnavault_store::{DataKey, Layout, ObjectId, ObjectReader, Store, StoreError};

pub(crate) mod tool;

/// Object id endings that hold a genome (what queries run on).
const GENOME_ENDINGS: [&str; 4] = [".vcf", ".vcf.gz", ".vcf.bgz", ".bcf"];

/// Why a query could not run on this vault's genome.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The vault holds no genome.
    #[error("the vault holds no genome to query")]
    NoGenome,
    /// Scores and tools need a VCF or BCF genome.
    #[error(
        "polygenic scores and analysis tools run on a VCF or BCF genome; this vault holds 23andMe or \
         AncestryDNA calls only"
    )]
    RawOnly,
    /// The query needs one genome file and the vault holds several.
    #[error("a polygenic score or an analysis tool runs on one genome file; this vault holds {0}")]
    SeveralGenomes(usize),
    /// An analysis tool could not run, or did not finish; what the researcher may learn of why.
    #[error(transparent)]
    Tool(#[from] tool::ToolError),
    /// A genome file holds several people.
    #[error(
        "`{object}` holds {count} samples; a vault answers for one person: its owner uploads a single-sample \
         file (bcftools view -s NAME)"
    )]
    SeveralSamples {
        /// The object.
        object: String,
        /// How many samples.
        count: usize,
    },
    /// The scoring file is the one the grant pins, but not what its descriptor's words say (id, trait or
    /// number of weights): the owner did not read this file's description when signing.
    #[error(
        "the scoring file is not what the grant's descriptor says: {0}; the owner consented to the words, \
         not to this file"
    )]
    Undescribed(String),
    /// The researcher's scoring file is malformed.
    #[error("the scoring file: {0}")]
    Scoring(GenomeError),
    /// The genome could not be read.
    #[error(transparent)]
    Genome(#[from] GenomeError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Maps a multi-sample file's refusal to what it means in a vault.
fn one_person<T>(result: Result<T, GenomeError>) -> Result<T, RunError> {
    result.map_err(|error| match error {
        GenomeError::SampleNeeded { path, count, .. } => RunError::SeveralSamples {
            object: path.display().to_string(),
            count,
        },
        other => RunError::Genome(other),
    })
}

/// One genome object, its tabix index and its genotype index, open for reading.
pub(crate) struct GenomeObject {
    id: ObjectId,
    reader: ObjectReader<File>,
    index: Option<ObjectReader<File>>,
    /// The genotype index made when the file was stored (`ID.genotypes`): what a score reads.
    genotypes: Option<ObjectReader<File>>,
    /// A 23andMe or AncestryDNA file rather than a VCF or BCF.
    raw: bool,
}

/// Object id endings of indexes (not queried themselves).
const INDEX_ENDINGS: [&str; 3] = [".tbi", ".csi", GENOTYPES_ENDING];

/// The object id ending of the genotype index the vault makes of a genome file when it is stored.
pub(crate) const GENOTYPES_ENDING: &str = ".genotypes";

/// Opens every genome object, with its `.tbi` index where one is stored and, for a score (`scoring`), its
/// genotype index.
pub(crate) async fn open_genome(
    store: &Store,
    key: &DataKey,
    scoring: bool,
) -> Result<Vec<GenomeObject>, RunError> {
    let records = store.list().await?;
    let mut genome = Vec::new();
    for record in &records {
        let id = record.id.as_str();
        if INDEX_ENDINGS.iter().any(|ending| id.ends_with(ending)) {
            continue;
        }
        let mut reader = store.open_object(key, &record.id).await?;
        let raw = !GENOME_ENDINGS.iter().any(|ending| id.ends_with(ending)) && is_raw(&mut reader)?;
        // An index committed before the file it indexes (the file was replaced since) is not used: the file
        // is read. Revisions order commits; objects from before revisions were kept compare by time.
        let current = |index_id: &ObjectId| {
            records.iter().any(|r| {
                r.id == *index_id
                    && (r.revision, r.updated_at) >= (record.revision, record.updated_at)
            })
        };
        let index_id = ObjectId::new(format!("{id}.tbi"))?;
        let genotypes_id = ObjectId::new(format!("{id}{GENOTYPES_ENDING}"))?;
        let indexed = !raw && record.layout == Layout::Bgzf && current(&index_id);
        genome.push(GenomeObject {
            id: record.id.clone(),
            reader,
            index: match indexed {
                true => Some(store.open_object(key, &index_id).await?),
                false => None,
            },
            genotypes: match scoring && !raw && current(&genotypes_id) {
                true => Some(store.open_object(key, &genotypes_id).await?),
                false => None,
            },
            raw,
        });
    }
    if genome.is_empty() {
        return Err(RunError::NoGenome);
    }
    Ok(genome)
}

/// Whether an object is a 23andMe or AncestryDNA file (its header names the vendor); the reader is left at
/// the start.
fn is_raw(reader: &mut ObjectReader<File>) -> Result<bool, RunError> {
    let mut head = vec![0u8; raw::SNIFF_BYTES];
    let mut filled = 0;
    let io = |source| {
        RunError::Genome(GenomeError::Io {
            path: "object".into(),
            source,
        })
    };
    while filled < head.len() {
        match reader.read(&mut head[filled..]).map_err(io)? {
            0 => break,
            n => filled += n,
        }
    }
    reader.seek(SeekFrom::Start(0)).map_err(io)?;
    Ok(raw::sniff(&head[..filled]).is_some())
}

/// Runs `query` on `genome` under its grant's `descriptor`: the result for the researcher. A region lookup
/// returns only records that lie wholly inside the panel (a deletion reaching in from outside, or out past
/// its end, is not read), and a score runs only on a file the descriptor's words describe. A score names
/// no sample.
pub(crate) fn run(
    query: &Query,
    genome: Vec<GenomeObject>,
    descriptor: &Descriptor,
) -> Result<QueryResult, RunError> {
    let panel = descriptor.panel();
    Ok(match query {
        Query::GenotypeLookup(lookup) => {
            let mut found = genotypes(lookup, genome)?;
            if let Some(panel) = panel.filter(|_| !lookup.regions.is_empty()) {
                // Its whole REF: a deletion reaching out of the panel would show the bases past its end.
                found
                    .variants
                    .retain(|v| panel.covers(&v.chrom, v.pos, v.end()));
                found.calls.retain(|c| panel.contains(&c.chrom, c.pos));
            }
            QueryResult::GenotypeLookup(GenotypeLookupResult {
                variants: found.variants,
                calls: found.calls.into_iter().map(RawCall::answer).collect(),
            })
        }
        Query::AlleleCounts(counts) => QueryResult::AlleleCounts(allele_counts(counts, genome)?),
        Query::BeaconAllele(beacon) => QueryResult::BeaconAllele(beacon_allele(beacon, genome)?),
        Query::PolygenicScore(score) => {
            QueryResult::PolygenicScore(polygenic_score(score, genome, descriptor)?)
        }
        // Tools run confined, asynchronously: `tool::run`.
        Query::RunTool(_) => return Err(RunError::Tool(tool::ToolError::NotHere)),
    })
}

/// What a lookup found: VCF/BCF records, and raw-file calls.
#[derive(Debug, Default)]
struct Found {
    variants: Vec<Variant>,
    calls: Vec<RawCall>,
}

fn genotypes(lookup: &GenotypeLookup, genome: Vec<GenomeObject>) -> Result<Found, RunError> {
    let query = lookup::Query::from(lookup);
    let mut found = Found::default();
    for object in genome {
        let name = Path::new(object.id.as_str()).to_owned();
        match (object.raw, object.index, &query) {
            (true, _, _) => {
                found
                    .calls
                    .extend(raw::lookup(&name, Box::new(object.reader), &query)?);
            }
            (false, Some(index), lookup::Query::Regions(_)) => {
                let mut indexed =
                    one_person(IndexedGenome::open(&name, object.reader, index, None))?;
                found.variants.extend(indexed.lookup(&query)?);
            }
            _ => {
                let mut file =
                    one_person(Genome::from_reader(&name, Box::new(object.reader), None))?;
                for variant in lookup::lookup(&mut file, &query) {
                    found.variants.push(variant?);
                }
            }
        }
    }
    Ok(found)
}

fn allele_counts(
    counts: &AlleleCounts,
    genome: Vec<GenomeObject>,
) -> Result<AlleleCountsResult, RunError> {
    let lookup = GenotypeLookup {
        regions: counts
            .positions
            .iter()
            .map(|p| Region {
                chrom: p.chrom.clone(),
                start: p.pos,
                end: p.pos,
            })
            .collect(),
        rsids: Vec::new(),
    };
    let wanted: HashSet<&Position> = counts.positions.iter().collect();
    let found = genotypes(&lookup, genome)?;
    let mut sites: Vec<Site> = found
        .variants
        .into_iter()
        // A region lookup also finds records that start before the position and span it: counts are
        // for records that start there.
        .filter(|v| {
            wanted.contains(&Position {
                chrom: v.chrom.clone(),
                pos: v.pos,
            })
        })
        .map(|variant| variant.site())
        .collect();
    sites.extend(
        found
            .calls
            .iter()
            .filter(|call| !call.is_no_call())
            .map(RawCall::site),
    );
    Ok(AlleleCountsResult { sites })
}

fn beacon_allele(
    beacon: &BeaconAllele,
    genome: Vec<GenomeObject>,
) -> Result<BeaconResponse, RunError> {
    let allele = &beacon.request.query.request_parameters;
    let pos = allele.position().unwrap_or(0);
    let lookup = GenotypeLookup {
        regions: vec![Region {
            chrom: allele.reference_name.clone(),
            start: pos,
            end: pos,
        }],
        rsids: Vec::new(),
    };
    let found = genotypes(&lookup, genome)?;
    let carried = found
        .variants
        .iter()
        .filter(|variant| variant.carries(allele))
        .count()
        + found
            .calls
            .iter()
            .filter(|call| call.carries(allele))
            .count();
    Ok(super::beacon::response(&beacon.request, carried))
}

fn polygenic_score(
    score: &PolygenicScore,
    genome: Vec<GenomeObject>,
    descriptor: &Descriptor,
) -> Result<ScoreResult, RunError> {
    let GenomeObject {
        id,
        reader,
        genotypes,
        ..
    } = one_genome(genome)?;
    // The genotype index is read and decrypted on another core while the scoring file is parsed.
    let (index, scoring) = std::thread::scope(|scope| {
        let index = genotypes.map(|genotypes| {
            scope.spawn(move || {
                let length = genotypes.len();
                GenotypeIndex::read(genotypes, length)
            })
        });
        let scoring = ScoringFile::parse(Path::new("scoringFile"), &score.scoring_file);
        let index = index.map(|reading| {
            reading
                .join()
                .unwrap_or_else(|_| Err(IndexError::Read("the reading thread failed".into())))
        });
        (index, scoring)
    });
    let scoring = scoring.map_err(RunError::Scoring)?;
    described(descriptor, &scoring)?;
    if let Some(result) = index.and_then(|index| indexed_score(index, &scoring, &id)) {
        return Ok(result);
    }
    let name = Path::new(id.as_str()).to_owned();
    let mut file = one_person(Genome::from_reader(&name, Box::new(reader), None))?;
    let mut result = prs::score(&mut file, &scoring)?;
    // A vault answers for its owner, whose file's sample name could name them.
    result.sample = None;
    Ok(result)
}

/// The score from the genome's genotype index; `None` when the index cannot give it (weights located by
/// rsID alone), or cannot be read, and the file is scored instead. Both give the same result.
fn indexed_score(
    index: Result<GenotypeIndex, IndexError>,
    scoring: &ScoringFile,
    id: &ObjectId,
) -> Option<ScoreResult> {
    let scored = index.and_then(|index| {
        let scored = prs::score_indexed(&index, scoring).transpose();
        // Wiped after the answer, not before it.
        index.wipe_in_background();
        scored
    });
    scored.unwrap_or_else(|error| {
        tracing::warn!(object = %id, %error, "the genotype index cannot be read: scoring from the file");
        None
    })
}

/// The one VCF or BCF genome file a score or a tool runs on.
fn one_genome(genome: Vec<GenomeObject>) -> Result<GenomeObject, RunError> {
    let genome: Vec<GenomeObject> = genome.into_iter().filter(|object| !object.raw).collect();
    if genome.is_empty() {
        return Err(RunError::RawOnly);
    }
    let count = genome.len();
    <[GenomeObject; 1]>::try_from(genome)
        .map(|[object]| object)
        .map_err(|_| RunError::SeveralGenomes(count))
}

/// Checks that a pinned scoring file is what the score descriptor's words (which the owner read) say.
fn described(descriptor: &Descriptor, scoring: &ScoringFile) -> Result<(), RunError> {
    let Descriptor::PolygenicScore {
        pgs_id,
        variants,
        trait_reported,
        ..
    } = descriptor
    else {
        return Ok(());
    };
    described_as(pgs_id, trait_reported, *variants, scoring)
}

/// Checks that `scoring` says the PGS id, trait and number of weights the owner read.
fn described_as(
    pgs_id: &str,
    trait_reported: &str,
    variants: u64,
    scoring: &ScoringFile,
) -> Result<(), RunError> {
    let differs = |what: &str, said: &str, file: Option<&str>| {
        RunError::Undescribed(format!(
            "it says {what} {said}, the file {}",
            file.unwrap_or("none")
        ))
    };
    if scoring.pgs_id.as_deref() != Some(pgs_id) {
        return Err(differs("PGS id", pgs_id, scoring.pgs_id.as_deref()));
    }
    if scoring.trait_reported.as_deref() != Some(trait_reported) {
        return Err(differs(
            "trait",
            trait_reported,
            scoring.trait_reported.as_deref(),
        ));
    }
    let weights = scoring.variants.len().to_string();
    if weights != variants.to_string() {
        return Err(differs("weights", &variants.to_string(), Some(&weights)));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use dnavault_store::bgzf;

    fn key() -> DataKey {
        DataKey::from_slice(b"data-key-of-the-index-freshness!").unwrap()
    }
    const GENOME: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../testdata/vcf/real/chr22.HG00096.vcf.gz"
    );

    async fn put(store: &Store, id: &str, path: &str) {
        let id = ObjectId::new(id).unwrap();
        let mut input = File::open(path).unwrap();
        let staged = match path.ends_with(".gz") {
            true => store.stage_with(&key(), &id, "bgzf", Layout::Bgzf, |writer| {
                bgzf::copy_blocks(&mut input, writer)
            }),
            false => store.stage(&key(), &id, "raw", Layout::Fixed, input),
        }
        .unwrap();
        store
            .commit(vec![staged], "owner", "ingest", None)
            .await
            .unwrap();
    }

    async fn indexed(store: &Store) -> bool {
        let genome = open_genome(store, &key(), false).await.unwrap();
        assert_eq!(genome.len(), 1);
        genome[0].index.is_some()
    }

    /// Within one second, as a script re-uploading a file does: commits, not clocks, order them.
    #[tokio::test]
    async fn an_index_is_used_only_when_committed_after_its_file() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), None).await.unwrap();
        store.open_audit_chain(&key(), None).await.unwrap();
        put(&store, "genome.vcf.gz", GENOME).await;
        assert!(!indexed(&store).await, "no index stored yet");
        put(&store, "genome.vcf.gz.tbi", &format!("{GENOME}.tbi")).await;
        assert!(indexed(&store).await);
        put(&store, "genome.vcf.gz", GENOME).await;
        assert!(
            !indexed(&store).await,
            "the file was replaced after its index"
        );
        put(&store, "genome.vcf.gz.tbi", &format!("{GENOME}.tbi")).await;
        assert!(indexed(&store).await);
    }
}
