//! What each query kind answers: the JSON a vault seals to the researcher, as types both sides share.

use serde::{Deserialize, Serialize};

use super::QueryKind;

/// A query's result. It is sealed without a tag: the answer's `kind` says which variant it is
/// ([`QueryResult::from_json`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum QueryResult {
    /// Genotypes found.
    GenotypeLookup(GenotypeLookupResult),
    /// A Beacon v2 response.
    BeaconAllele(BeaconResponse),
    /// Allele counts per site.
    AlleleCounts(AlleleCountsResult),
    /// A polygenic score.
    PolygenicScore(ScoreResult),
    /// What an analysis tool returned.
    RunTool(ToolResult),
}

impl QueryResult {
    /// Reads the opened result of a `kind` query.
    pub fn from_json(kind: QueryKind, json: &[u8]) -> Result<Self, serde_json::Error> {
        Ok(match kind {
            QueryKind::GenotypeLookup => Self::GenotypeLookup(serde_json::from_slice(json)?),
            QueryKind::BeaconAllele => Self::BeaconAllele(serde_json::from_slice(json)?),
            QueryKind::AlleleCounts => Self::AlleleCounts(serde_json::from_slice(json)?),
            QueryKind::PolygenicScore => Self::PolygenicScore(serde_json::from_slice(json)?),
            QueryKind::RunTool => Self::RunTool(serde_json::from_slice(json)?),
        })
    }

    /// The kind of query this answers.
    pub fn kind(&self) -> QueryKind {
        match self {
            Self::GenotypeLookup(_) => QueryKind::GenotypeLookup,
            Self::BeaconAllele(_) => QueryKind::BeaconAllele,
            Self::AlleleCounts(_) => QueryKind::AlleleCounts,
            Self::PolygenicScore(_) => QueryKind::PolygenicScore,
            Self::RunTool(_) => QueryKind::RunTool,
        }
    }
}

/// What a genotype lookup found: VCF/BCF records, and raw-file (23andMe, AncestryDNA) calls.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GenotypeLookupResult {
    /// VCF/BCF records.
    pub variants: Vec<Variant>,
    /// Raw-file calls.
    pub calls: Vec<Call>,
}

/// A VCF/BCF record of the person, as the file has it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Variant {
    /// Chromosome (as named in the file).
    pub chrom: String,
    /// 1-based position.
    pub pos: u64,
    /// IDs, `;`-separated, or `.`.
    pub id: String,
    /// Reference allele.
    #[serde(rename = "ref")]
    pub reference: String,
    /// Alternate alleles, `,`-separated, or `.`.
    pub alt: String,
    /// The genotype as VCF writes it (`0/1`, `1|0`, `1/.`, `.`).
    pub gt: String,
}

/// A raw-file call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Call {
    /// Chromosome as the file writes it.
    pub chrom: String,
    /// GRCh37 position.
    pub pos: u64,
    /// The rsID or the vendor's internal id.
    pub id: String,
    /// The called bases (`AG`, `A` for a hemizygous call, `--` for a no-call).
    pub genotype: String,
}

/// Allele counts per site.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlleleCountsResult {
    /// One per record (or raw call) starting at a position asked for.
    pub sites: Vec<Site>,
}

/// One site's allele counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Site {
    /// Chromosome.
    pub chrom: String,
    /// 1-based position.
    pub pos: u64,
    /// The record's REF and ALTs, in VCF order; for a raw call, the bases called.
    pub alleles: Vec<String>,
    /// Copies of each allele the person carries.
    pub counts: Vec<u32>,
    /// Alleles called (2 for a diploid call, fewer with missing or haploid calls).
    pub called: u32,
}

/// A polygenic score and how each weight fared (plink2's `no-mean-imputation` semantics).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoreResult {
    /// The sample scored, as the file names it: set when the owner scores their own file, never in a
    /// vault's answer (a sample name can name the person).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sample: Option<String>,
    /// The score's PGS Catalog id.
    pub pgs_id: Option<String>,
    /// The build the score's positions are on.
    pub genome_build: Option<String>,
    /// Sum of weight x dosage over the matched variants.
    pub score_sum: f64,
    /// Weights in the scoring file.
    pub variants_total: u64,
    /// Weights matched to a genotyped variant: in the score.
    pub variants_matched: u64,
    /// Weights with no variant at their position (or rsID).
    pub variants_missing: u64,
    /// Weights whose variant has a missing genotype: skipped, not imputed.
    pub variants_missing_genotype: u64,
    /// Weights whose variant was found with other alleles.
    pub variants_allele_mismatch: u64,
    /// Weights that more than one variant matched: left out rather than guessed.
    pub variants_ambiguous: u64,
    /// Total effect-allele dosage over the matched variants.
    pub effect_dosage_sum: u64,
}

/// What an analysis tool returned: its declared outputs, byte for byte, and which tool made them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ToolResult {
    /// The tool's identity (its manifest's hash).
    pub tool: alloy::primitives::B256,
    /// Its name and version, from the manifest.
    pub name: String,
    /// Its version.
    pub version: String,
    /// Each declared output, in the manifest's order.
    pub outputs: Vec<ToolOutput>,
}

/// One output of a tool run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ToolOutput {
    /// `stdout`, or the file's name.
    pub name: String,
    /// Its bytes.
    pub bytes: alloy::primitives::Bytes,
}

/// A GA4GH Beacon v2 boolean or count response (`beaconBooleanResponse` / `beaconCountResponse`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BeaconResponse {
    /// Response metadata.
    pub meta: BeaconResponseMeta,
    /// The answer.
    pub response_summary: BeaconSummary,
}

/// A Beacon response's `meta` section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BeaconResponseMeta {
    /// The answering beacon.
    pub beacon_id: String,
    /// The Beacon API version answered.
    pub api_version: String,
    /// `boolean` or `count`.
    pub returned_granularity: String,
    /// What the beacon understood the request to be.
    pub received_request_summary: serde_json::Value,
    /// The schemas the (absent) records would follow.
    pub returned_schemas: Vec<serde_json::Value>,
}

/// A Beacon response's `responseSummary`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BeaconSummary {
    /// Whether the person carries the allele.
    pub exists: bool,
    /// How many of their records carry it (count granularity only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub num_total_results: Option<u64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_result_reads_back_as_its_kind_and_not_as_another() {
        let counts = QueryResult::AlleleCounts(AlleleCountsResult {
            sites: vec![Site {
                chrom: "22".into(),
                pos: 10,
                alleles: vec!["A".into(), "G".into()],
                counts: vec![1, 1],
                called: 2,
            }],
        });
        let json = serde_json::to_vec(&counts).unwrap();
        assert_eq!(
            std::str::from_utf8(&json).unwrap(),
            r#"{"sites":[{"chrom":"22","pos":10,"alleles":["A","G"],"counts":[1,1],"called":2}]}"#
        );
        assert_eq!(
            QueryResult::from_json(QueryKind::AlleleCounts, &json).unwrap(),
            counts
        );
        assert!(QueryResult::from_json(QueryKind::PolygenicScore, &json).is_err());
        let lookup = QueryResult::GenotypeLookup(GenotypeLookupResult {
            variants: vec![Variant {
                chrom: "22".into(),
                pos: 16050075,
                id: "rs587697622".into(),
                reference: "A".into(),
                alt: "G".into(),
                gt: "0|1".into(),
            }],
            calls: Vec::new(),
        });
        let json = serde_json::to_string(&lookup).unwrap();
        assert!(json.contains(r#""ref":"A""#), "{json}");
        assert_eq!(
            QueryResult::from_json(QueryKind::GenotypeLookup, json.as_bytes()).unwrap(),
            lookup
        );
    }
}
