//! Genotype lookups: by regions (what `bcftools view -R` takes) or by rsID (one per line).

use std::{
    collections::{HashMap, HashSet},
    io::BufRead,
    path::Path,
};

use dnavault_protocol::query::GenotypeLookup;

use crate::{Genome, GenomeError, Variant, VariantExt};

/// A 1-based inclusive region on one chromosome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    /// First position.
    pub start: u64,
    /// Last position.
    pub end: u64,
}

/// What to look up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Query {
    /// Regions per chromosome, sorted by start.
    Regions(HashMap<String, Vec<Span>>),
    /// rsIDs.
    Ids(HashSet<String>),
}

impl From<&GenotypeLookup> for Query {
    /// A researcher's lookup: its rsIDs where it names any, otherwise its regions, sorted per chromosome.
    fn from(lookup: &GenotypeLookup) -> Self {
        if !lookup.rsids.is_empty() {
            return Self::Ids(lookup.rsids.iter().cloned().collect());
        }
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
        Self::Regions(regions)
    }
}

impl Query {
    /// Reads a regions file: tab-separated `CHROM POS` or `CHROM BEG END`, 1-based inclusive; `#` lines and
    /// blank lines are skipped.
    pub fn regions_file(path: &Path) -> Result<Self, GenomeError> {
        let mut regions: HashMap<String, Vec<Span>> = HashMap::new();
        for (number, line) in lines(path)? {
            let bad = |reason: String| GenomeError::Query {
                path: path.to_owned(),
                line: number,
                reason,
            };
            let fields: Vec<&str> = line.split('\t').collect();
            let position = |text: &str, what: &str| {
                text.trim()
                    .parse::<u64>()
                    .ok()
                    .filter(|&p| p > 0)
                    .ok_or_else(|| bad(format!("{what} `{text}` is not a 1-based position")))
            };
            let (start, end) = match fields.as_slice() {
                [_, pos] => {
                    let pos = position(pos, "POS")?;
                    (pos, pos)
                }
                [_, beg, end, ..] => (position(beg, "BEG")?, position(end, "END")?),
                _ => return Err(bad("expected CHROM<TAB>POS or CHROM<TAB>BEG<TAB>END".into())),
            };
            if end < start {
                return Err(bad(format!("END {end} is before BEG {start}")));
            }
            regions
                .entry(fields[0].trim().to_owned())
                .or_default()
                .push(Span { start, end });
        }
        for spans in regions.values_mut() {
            spans.sort_by_key(|span| (span.start, span.end));
        }
        Ok(Self::Regions(regions))
    }

    /// Reads an rsID file: one ID per line; blank lines skipped.
    pub fn ids_file(path: &Path) -> Result<Self, GenomeError> {
        let mut ids = HashSet::new();
        for (number, line) in lines(path)? {
            let id = line.trim();
            if id.contains(char::is_whitespace) || id.contains(';') {
                return Err(GenomeError::Query {
                    path: path.to_owned(),
                    line: number,
                    reason: format!("`{id}` is not one ID"),
                });
            }
            ids.insert(id.to_owned());
        }
        Ok(Self::Ids(ids))
    }

    /// Whether `variant` answers this query.
    pub fn matches(&self, variant: &Variant) -> bool {
        match self {
            Self::Ids(ids) => variant.id.split(';').any(|id| ids.contains(id)),
            Self::Regions(regions) => regions.get(&variant.chrom).is_some_and(|spans| {
                let (start, end) = (variant.pos, variant.end());
                // Spans sorted by start: those starting after `end` cannot overlap.
                let candidates = spans.partition_point(|span| span.start <= end);
                spans[..candidates].iter().any(|span| span.end >= start)
            }),
        }
    }
}

/// The variants of `genome` that answer `query`, in file order.
pub fn lookup<'g>(
    genome: &'g mut Genome,
    query: &'g Query,
) -> impl Iterator<Item = Result<Variant, GenomeError>> + 'g {
    genome.filter(move |result| match result {
        Ok(variant) => query.matches(variant),
        Err(_) => true,
    })
}

/// Non-empty, non-comment lines with their 1-based numbers.
fn lines(path: &Path) -> Result<Vec<(u64, String)>, GenomeError> {
    let io = |source| GenomeError::Io {
        path: path.to_owned(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let mut found = Vec::new();
    for (index, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line.map_err(io)?;
        let trimmed = line.trim_end_matches('\r');
        if trimmed.trim().is_empty() || trimmed.starts_with('#') {
            continue;
        }
        found.push((index as u64 + 1, trimmed.to_owned()));
    }
    Ok(found)
}
