//! The queries a researcher can ask, as JSON (`{"kind": "genotype-lookup", ...}`), and their checks.

use serde::{Deserialize, Serialize};

use super::QueryKind;

/// The most positions, regions or rsIDs one query may name.
pub const MAX_ITEMS: usize = 100_000;

/// The largest position (VCF positions are 32-bit signed).
const MAX_POSITION: u64 = i32::MAX as u64;

/// A query. Its JSON text, as sent, is what the request's `queryHash` commits to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Query {
    /// Genotypes at regions or rsIDs.
    GenotypeLookup(GenotypeLookup),
    /// A GA4GH Beacon v2 allele query.
    BeaconAllele(Box<BeaconAllele>),
    /// Allele counts at positions.
    AlleleCounts(AlleleCounts),
    /// A polygenic score.
    PolygenicScore(PolygenicScore),
    /// An approved analysis tool, run on the genome.
    RunTool(RunTool),
}

/// Genotypes at regions (1-based, inclusive, what `bcftools view -R` takes) or at rsIDs: one of the two.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenotypeLookup {
    /// Regions; a record matches one its reference allele overlaps.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub regions: Vec<Region>,
    /// rsIDs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rsids: Vec<String>,
}

/// A 1-based inclusive region.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Region {
    /// Chromosome, as the genome names it (`22`, `chr22`).
    pub chrom: String,
    /// First position.
    pub start: u64,
    /// Last position.
    pub end: u64,
}

/// A 1-based position.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Position {
    /// Chromosome.
    pub chrom: String,
    /// Position.
    pub pos: u64,
}

/// Allele counts at positions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlleleCounts {
    /// The positions.
    pub positions: Vec<Position>,
}

/// A polygenic score.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PolygenicScore {
    /// The PGS Catalog scoring file (format 2.0, harmonized columns too), as text.
    pub scoring_file: String,
}

/// An analysis tool's run: which tool (its manifest's hash), the regions its `{regions}` placeholder gets
/// (each inside the grant's panel), and the scoring file its `{weights}` placeholder gets (the very file the
/// grant pins).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RunTool {
    /// The tool's identity.
    pub tool: alloy::primitives::B256,
    /// The regions, for a tool that takes them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub regions: Vec<Region>,
    /// The scoring file's text, for a tool that takes weights.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scoring_file: Option<String>,
}

/// A Beacon v2 allele query: the Beacon request body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BeaconAllele {
    /// The Beacon v2 request body (`beaconRequestBody.json`).
    pub request: BeaconRequest,
}

/// A Beacon v2 request body, with the parts a vault answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BeaconRequest {
    /// `$schema`, as clients send it.
    #[serde(rename = "$schema", default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    /// Request metadata (`apiVersion`, `requestedSchemas`).
    pub meta: serde_json::Value,
    /// The query.
    pub query: BeaconQuery,
}

/// The Beacon query section. Filters are not supported: a query with filters is refused, not half answered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct BeaconQuery {
    /// The allele.
    pub request_parameters: BeaconAlleleParameters,
    /// `boolean` or `count`.
    #[serde(default)]
    pub requested_granularity: Granularity,
    /// Filters (must be empty).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub filters: Vec<serde_json::Value>,
    /// `HIT`, `MISS`, `ALL` or `NONE`: no result sets are returned whatever it says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub include_resultset_responses: Option<String>,
    /// Pagination (no records are returned, so it has no effect).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pagination: Option<serde_json::Value>,
    /// Test mode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test_mode: Option<bool>,
}

/// A Beacon v2 sequence query: `referenceName`, `start` (0-based), `referenceBases`, `alternateBases`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct BeaconAlleleParameters {
    /// Chromosome (`22`, `chr22`, a RefSeq id).
    pub reference_name: String,
    /// The 0-based start, one value.
    pub start: Vec<u64>,
    /// The reference allele; `N` or absent matches any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference_bases: Option<String>,
    /// The alternate allele.
    pub alternate_bases: String,
    /// The assembly (`GRCh37`, `GRCh38`), informative.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assembly_id: Option<String>,
}

impl BeaconAlleleParameters {
    /// The allele's 1-based (VCF) position: Beacon starts are 0-based. `None` without a start, which a
    /// checked query always has.
    pub fn position(&self) -> Option<u64> {
        self.start.first().map(|start| start.saturating_add(1))
    }
}

/// How much a Beacon answer says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Granularity {
    /// Whether the allele is carried.
    #[default]
    Boolean,
    /// How many matching variants are carried.
    Count,
}

/// Why a query cannot run as asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what}: {reason}")]
pub struct QueryError {
    /// Which part of the query.
    pub what: String,
    /// What is wrong with it.
    pub reason: String,
}

impl QueryError {
    fn new(what: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            what: what.into(),
            reason: reason.into(),
        }
    }
}

impl Query {
    /// The query's kind.
    pub fn kind(&self) -> QueryKind {
        match self {
            Self::GenotypeLookup(_) => QueryKind::GenotypeLookup,
            Self::BeaconAllele(_) => QueryKind::BeaconAllele,
            Self::AlleleCounts(_) => QueryKind::AlleleCounts,
            Self::PolygenicScore(_) => QueryKind::PolygenicScore,
            Self::RunTool(_) => QueryKind::RunTool,
        }
    }

    /// Checks what the types cannot: counts, positions, alleles. The error names the item.
    pub fn check(&self) -> Result<(), QueryError> {
        match self {
            Self::GenotypeLookup(lookup) => {
                match (lookup.regions.is_empty(), lookup.rsids.is_empty()) {
                    (true, true) => {
                        return Err(QueryError::new("query", "name regions or rsids"));
                    }
                    (false, false) => {
                        return Err(QueryError::new(
                            "query",
                            "name regions or rsids, not both (ask twice)",
                        ));
                    }
                    _ => {}
                }
                regions(&lookup.regions)?;
                limit("rsids", lookup.rsids.len())?;
                for (i, id) in lookup.rsids.iter().enumerate() {
                    if id.is_empty() || id.contains(|c: char| c.is_whitespace() || c == ';') {
                        return Err(QueryError::new(
                            format!("rsids[{i}]"),
                            format!("`{id}` is not one ID"),
                        ));
                    }
                }
            }
            Self::AlleleCounts(counts) => {
                if counts.positions.is_empty() {
                    return Err(QueryError::new("positions", "empty"));
                }
                limit("positions", counts.positions.len())?;
                for (i, position) in counts.positions.iter().enumerate() {
                    let what = format!("positions[{i}]");
                    chromosome(&what, &position.chrom)?;
                    if position.pos == 0 || position.pos > MAX_POSITION {
                        return Err(QueryError::new(
                            what,
                            format!("{} is not a 1-based position", position.pos),
                        ));
                    }
                }
            }
            Self::BeaconAllele(beacon) => {
                let query = &beacon.request.query;
                if !query.filters.is_empty() {
                    return Err(QueryError::new(
                        "query.filters",
                        "filters are not supported by a personal vault",
                    ));
                }
                let allele = &query.request_parameters;
                chromosome("requestParameters.referenceName", &allele.reference_name)?;
                if allele.start.len() != 1 || allele.start[0] >= MAX_POSITION {
                    return Err(QueryError::new(
                        "requestParameters.start",
                        "give one 0-based start (range and bracket queries are not supported)",
                    ));
                }
                bases("requestParameters.alternateBases", &allele.alternate_bases)?;
                if let Some(reference) = &allele.reference_bases {
                    bases("requestParameters.referenceBases", reference)?;
                }
            }
            Self::PolygenicScore(score) => {
                if score.scoring_file.trim().is_empty() {
                    return Err(QueryError::new("scoringFile", "empty"));
                }
            }
            Self::RunTool(run) => {
                regions(&run.regions)?;
                if run
                    .scoring_file
                    .as_deref()
                    .is_some_and(|f| f.trim().is_empty())
                {
                    return Err(QueryError::new("scoringFile", "empty"));
                }
            }
        }
        Ok(())
    }
}

fn limit(what: &str, count: usize) -> Result<(), QueryError> {
    if count > MAX_ITEMS {
        return Err(QueryError::new(
            what,
            format!("{count} items; one query takes at most {MAX_ITEMS}"),
        ));
    }
    Ok(())
}

/// Regions: at most [`MAX_ITEMS`], each a 1-based inclusive range on a named chromosome.
fn regions(regions: &[Region]) -> Result<(), QueryError> {
    limit("regions", regions.len())?;
    for (i, region) in regions.iter().enumerate() {
        let what = format!("regions[{i}]");
        chromosome(&what, &region.chrom)?;
        if region.start == 0 || region.end < region.start || region.end > MAX_POSITION {
            return Err(QueryError::new(
                what,
                format!(
                    "{}..{} is not a 1-based inclusive range",
                    region.start, region.end
                ),
            ));
        }
    }
    Ok(())
}

fn chromosome(what: &str, name: &str) -> Result<(), QueryError> {
    if name.is_empty() || name.len() > 64 || name.contains(|c: char| c.is_whitespace()) {
        return Err(QueryError::new(
            what,
            format!("`{name}` is not a chromosome name"),
        ));
    }
    Ok(())
}

fn bases(what: &str, text: &str) -> Result<(), QueryError> {
    if text.is_empty() || !text.bytes().all(|b| b"ACGTNacgtn".contains(&b)) {
        return Err(QueryError::new(
            what,
            format!("`{text}` is not a sequence of A, C, G, T or N"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Result<Query, String> {
        let query: Query = serde_json::from_str(json).map_err(|e| e.to_string())?;
        query.check().map_err(|e| e.to_string())?;
        Ok(query)
    }

    #[test]
    fn queries_parse_by_kind() {
        let lookup = parse(r#"{"kind":"genotype-lookup","rsids":["rs1","rs2"]}"#).unwrap();
        assert_eq!(lookup.kind(), QueryKind::GenotypeLookup);
        let beacon = parse(
            r#"{"kind":"beacon-allele","request":{"meta":{"apiVersion":"2.0"},"query":{"requestParameters":
            {"referenceName":"22","start":[16050074],"referenceBases":"A","alternateBases":"G"},
            "requestedGranularity":"count"}}}"#,
        )
        .unwrap();
        let Query::BeaconAllele(beacon) = beacon else {
            panic!("{beacon:?}")
        };
        assert_eq!(
            beacon.request.query.requested_granularity,
            Granularity::Count
        );
        let counts =
            parse(r#"{"kind":"allele-counts","positions":[{"chrom":"22","pos":16050075}]}"#)
                .unwrap();
        assert_eq!(counts.kind(), QueryKind::AlleleCounts);
    }

    #[test]
    fn malformed_queries_say_what_is_wrong() {
        let cases = [
            (r#"{"kind":"genotype-lookup"}"#, "name regions or rsids"),
            (
                r#"{"kind":"genotype-lookup","rsids":["rs1"],"regions":[{"chrom":"1","start":1,"end":2}]}"#,
                "not both",
            ),
            (
                r#"{"kind":"genotype-lookup","regions":[{"chrom":"1","start":5,"end":2}]}"#,
                "regions[0]: 5..2",
            ),
            (
                r#"{"kind":"genotype-lookup","rsids":["rs1","rs 2"]}"#,
                "rsids[1]",
            ),
            (
                r#"{"kind":"genotype-lookup","rsids":["rs1"],"sample":"x"}"#,
                "unknown field `sample`",
            ),
            (
                r#"{"kind":"whole-genome"}"#,
                "unknown variant `whole-genome`",
            ),
            (
                r#"{"kind":"allele-counts","positions":[{"chrom":"1","pos":0}]}"#,
                "positions[0]: 0 is not a 1-based position",
            ),
            (
                r#"{"kind":"beacon-allele","request":{"meta":{},"query":{"requestParameters":
                {"referenceName":"1","start":[1,2],"alternateBases":"G"}}}}"#,
                "one 0-based start",
            ),
            (
                r#"{"kind":"beacon-allele","request":{"meta":{},"query":{"requestParameters":
                {"referenceName":"1","start":[1],"alternateBases":"G","variantType":"DEL"}}}}"#,
                "unknown field `variantType`",
            ),
            (
                r#"{"kind":"beacon-allele","request":{"meta":{},"query":{"requestParameters":
                {"referenceName":"1","start":[1],"alternateBases":"<DEL>"}}}}"#,
                "alternateBases",
            ),
            (
                r#"{"kind":"beacon-allele","request":{"meta":{},"query":{"requestedGranularity":"record",
                "requestParameters":{"referenceName":"1","start":[1],"alternateBases":"G"}}}}"#,
                "unknown variant `record`",
            ),
            (
                r#"{"kind":"beacon-allele","request":{"meta":{},"query":{"filters":[{"id":"NCIT:C16576"}],
                "requestParameters":{"referenceName":"1","start":[1],"alternateBases":"G"}}}}"#,
                "filters are not supported",
            ),
            (
                r#"{"kind":"polygenic-score","scoringFile":" "}"#,
                "scoringFile: empty",
            ),
        ];
        for (json, expected) in cases {
            let error = parse(json).unwrap_err();
            assert!(error.contains(expected), "{json}: {error}");
        }
        let many = format!(
            r#"{{"kind":"genotype-lookup","rsids":[{}]}}"#,
            vec!["\"rs1\""; MAX_ITEMS + 1].join(",")
        );
        assert!(parse(&many).unwrap_err().contains("at most 100000"));
    }
}
