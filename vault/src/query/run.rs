//! Runs a query on the vault's genome: the VCF and BCF objects in its store, decrypted as they are read.
//! A region lookup reads only the blocks its tabix index points at; rsID lookups and scores read the file.

use std::{collections::HashMap, fs::File, path::Path};

use dnavault_contracts::query::{
    AlleleCounts, BeaconAllele, GenotypeLookup, PolygenicScore, Position, Query,
};
use dnavault_genome::{
    Genome, GenomeError, IndexedGenome, Variant,
    lookup::{self, Span},
    prs,
    score::ScoringFile,
};
use dnavault_store::{DataKey, Layout, ObjectId, ObjectReader, Store, StoreError};
use serde::Serialize;
use serde_json::{Value, json};

/// Object id endings that hold a genome (what queries run on).
const GENOME_ENDINGS: [&str; 4] = [".vcf", ".vcf.gz", ".vcf.bgz", ".bcf"];

/// Why a query could not run on this vault's genome.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The vault holds no genome.
    #[error(
        "the vault holds no genome to query (no VCF or BCF object; 23andMe and AncestryDNA files are stored \
         but not queried)"
    )]
    NoGenome,
    /// The query needs one genome file and the vault holds several.
    #[error("a polygenic score runs on one genome file; this vault holds {0}")]
    SeveralGenomes(usize),
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

/// One genome object and its tabix index, open for reading.
pub(crate) struct GenomeObject {
    id: ObjectId,
    reader: ObjectReader<File>,
    index: Option<ObjectReader<File>>,
}

/// Opens every genome object (with its `.tbi` index where one is stored).
pub(crate) async fn open_genome(
    store: &Store,
    key: &DataKey,
) -> Result<Vec<GenomeObject>, RunError> {
    let records = store.list().await?;
    let mut genome = Vec::new();
    for record in &records {
        let id = record.id.as_str();
        if !GENOME_ENDINGS.iter().any(|ending| id.ends_with(ending)) {
            continue;
        }
        // An index older than the file it indexes (the file was replaced) is not used: the file is read.
        let index_id = ObjectId::new(format!("{id}.tbi"))?;
        let indexed = record.layout == Layout::Bgzf
            && records
                .iter()
                .any(|r| r.id == index_id && r.updated_at >= record.updated_at);
        genome.push(GenomeObject {
            id: record.id.clone(),
            reader: store.open_object(key, &record.id).await?,
            index: match indexed {
                true => Some(store.open_object(key, &index_id).await?),
                false => None,
            },
        });
    }
    if genome.is_empty() {
        return Err(RunError::NoGenome);
    }
    Ok(genome)
}

/// Runs `query` on `genome`; the result is JSON for the researcher.
pub(crate) fn run(query: &Query, genome: Vec<GenomeObject>) -> Result<Value, RunError> {
    match query {
        Query::GenotypeLookup(lookup) => {
            let variants = genotypes(lookup, genome)?;
            Ok(json!({ "variants": variants }))
        }
        Query::AlleleCounts(counts) => allele_counts(counts, genome),
        Query::BeaconAllele(beacon) => beacon_allele(beacon, genome),
        Query::PolygenicScore(score) => polygenic_score(score, genome),
    }
}

fn genotypes(lookup: &GenotypeLookup, genome: Vec<GenomeObject>) -> Result<Vec<Variant>, RunError> {
    let query = if lookup.rsids.is_empty() {
        let mut regions: HashMap<String, Vec<Span>> = HashMap::new();
        for region in &lookup.regions {
            regions.entry(region.chrom.clone()).or_default().push(Span {
                start: region.start,
                end: region.end,
            });
        }
        for spans in regions.values_mut() {
            spans.sort_by_key(|span| (span.start, span.end));
        }
        lookup::Query::Regions(regions)
    } else {
        lookup::Query::Ids(lookup.rsids.iter().cloned().collect())
    };
    let mut found = Vec::new();
    for object in genome {
        let name = Path::new(object.id.as_str()).to_owned();
        match (object.index, &query) {
            (Some(index), lookup::Query::Regions(_)) => {
                let mut indexed =
                    one_person(IndexedGenome::open(&name, object.reader, index, None))?;
                found.extend(indexed.lookup(&query)?);
            }
            _ => {
                let mut file =
                    one_person(Genome::from_reader(&name, Box::new(object.reader), None))?;
                for variant in lookup::lookup(&mut file, &query) {
                    found.push(variant?);
                }
            }
        }
    }
    Ok(found)
}

/// One site's allele counts.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Site {
    chrom: String,
    pos: u64,
    /// The record's REF and ALTs, in VCF order.
    alleles: Vec<String>,
    /// Copies of each allele the person carries.
    counts: Vec<u32>,
    /// Alleles called (2 for a diploid call, fewer with missing or haploid calls).
    called: u32,
}

fn allele_counts(counts: &AlleleCounts, genome: Vec<GenomeObject>) -> Result<Value, RunError> {
    let lookup = GenotypeLookup {
        regions: counts
            .positions
            .iter()
            .map(|p| dnavault_contracts::query::Region {
                chrom: p.chrom.clone(),
                start: p.pos,
                end: p.pos,
            })
            .collect(),
        rsids: Vec::new(),
    };
    let wanted: std::collections::HashSet<&Position> = counts.positions.iter().collect();
    let sites: Vec<Site> = genotypes(&lookup, genome)?
        .into_iter()
        // A region lookup also finds records that start before the position and span it: counts are
        // for records that start there.
        .filter(|v| {
            wanted.contains(&Position {
                chrom: v.chrom.clone(),
                pos: v.pos,
            })
        })
        .map(|variant| {
            let (counts, called) = variant.allele_counts();
            let mut alleles = vec![variant.reference.clone()];
            if variant.alt != "." {
                alleles.extend(variant.alt.split(',').map(str::to_owned));
            }
            Site {
                chrom: variant.chrom,
                pos: variant.pos,
                alleles,
                counts,
                called,
            }
        })
        .collect();
    Ok(json!({ "sites": sites }))
}

fn beacon_allele(beacon: &BeaconAllele, genome: Vec<GenomeObject>) -> Result<Value, RunError> {
    let allele = &beacon.request.query.request_parameters;
    // Beacon starts are 0-based; VCF positions 1-based.
    let pos = allele.start[0] + 1;
    let lookup = GenotypeLookup {
        regions: vec![dnavault_contracts::query::Region {
            chrom: allele.reference_name.clone(),
            start: pos,
            end: pos,
        }],
        rsids: Vec::new(),
    };
    let carried = genotypes(&lookup, genome)?
        .iter()
        .filter(|variant| super::beacon::carries(variant, allele))
        .count();
    Ok(super::beacon::response(&beacon.request, carried))
}

fn polygenic_score(score: &PolygenicScore, genome: Vec<GenomeObject>) -> Result<Value, RunError> {
    let count = genome.len();
    let [object] =
        <[GenomeObject; 1]>::try_from(genome).map_err(|_| RunError::SeveralGenomes(count))?;
    let scoring = ScoringFile::parse(Path::new("scoringFile"), &score.scoring_file)
        .map_err(RunError::Scoring)?;
    let name = Path::new(object.id.as_str()).to_owned();
    let mut file = one_person(Genome::from_reader(&name, Box::new(object.reader), None))?;
    let result = prs::score(&mut file, &scoring)?;
    Ok(serde_json::to_value(result).unwrap_or(Value::Null))
}
