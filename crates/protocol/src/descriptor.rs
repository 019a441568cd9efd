//! Analysis descriptors: what a grant allows, exactly. A descriptor names one analysis, its version and
//! its parameters (a locus panel, a Beacon granularity, one named scoring file), and its hash is the scope a
//! grant names: the vault, the wallet, the website and anyone auditing recompute it from the descriptor the
//! access request and the query carry, and the vault answers only what lies inside it.
//!
//! The scope is the EIP-712 struct hash (no domain: it is not a signature) of
//! `AnalysisScope(string analysis,bytes32 parameters)`, where `parameters` is the struct hash of the
//! analysis's parameters: the [`Panel`] for lookups and allele counts, `BeaconParameters` for Beacon
//! queries, `ScoreParameters` for a polygenic score. Every word the wallet shows is inside the hash.
//!
//! ```
//! use dnavault_protocol::descriptor::{Descriptor, Panel};
//!
//! let text = include_str!("../descriptors/panels/brca1-brca2.grch37.json");
//! let panel: Panel = serde_json::from_str(text).unwrap();
//! let grant = Descriptor::GenotypeLookup { panel: panel.clone() };
//! assert_ne!(grant.scope(), Descriptor::AlleleCounts { panel }.scope());
//! ```

mod panel;
mod tool_grant;
mod words;

use alloy::{primitives::B256, sol_types::SolStruct};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub use panel::{MAX_LOCI, Panel, PanelError, PanelRegion};
pub use tool_grant::ScoreFile;
pub use words::Words;

use crate::{
    query::{Granularity, Query, QueryKind},
    tool::ToolManifest,
};

alloy::sol! {
    /// What a scope commits to: the versioned analysis name and the struct hash of its parameters.
    struct AnalysisScope {
        string analysis;
        bytes32 parameters;
    }

    /// A Beacon grant's parameters: the granularity and the panel (zero: genome-wide).
    struct BeaconParameters {
        string granularity;
        bytes32 panel;
    }

    /// A polygenic-score grant's parameters: one scoring file, by its PGS Catalog id, the SHA-256 of its
    /// text, its number of weights and its reported trait.
    struct ScoreParameters {
        string pgsId;
        bytes32 weightsSha256;
        uint64 variants;
        string traitReported;
    }
}

/// What a grant allows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "analysis", deny_unknown_fields)]
pub enum Descriptor {
    /// Genotypes inside one panel.
    #[serde(rename = "dnavault/query/genotype-lookup/v2")]
    GenotypeLookup {
        /// The panel.
        panel: Panel,
    },
    /// Allele counts at positions inside one panel.
    #[serde(rename = "dnavault/query/allele-counts/v2")]
    AlleleCounts {
        /// The panel.
        panel: Panel,
    },
    /// Beacon allele queries at one granularity, inside a panel or genome-wide.
    #[serde(rename = "dnavault/query/beacon-allele/v2")]
    BeaconAllele {
        /// `boolean` (carried or not) or `count`; a boolean grant never answers a count.
        granularity: Granularity,
        /// The panel; absent: anywhere in the genome.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        panel: Option<Panel>,
    },
    /// One polygenic score from one scoring file.
    #[serde(rename = "dnavault/query/polygenic-score/v2", rename_all = "camelCase")]
    PolygenicScore {
        /// The PGS Catalog id (`PGS000001`).
        pgs_id: String,
        /// SHA-256 of the scoring file's text, as the query carries it.
        weights_sha256: B256,
        /// How many weights the file has.
        variants: u64,
        /// The trait the file reports (`#trait_reported`).
        trait_reported: String,
    },
    /// An approved analysis tool, run unchanged in the vault's sandbox.
    #[serde(rename = "dnavault/query/run-tool/v1")]
    RunTool {
        /// The tool's manifest: what it runs, with which arguments, what may leave, its limits.
        tool: Box<ToolManifest>,
        /// The panel the regions it is given stay inside (exactly when it takes `{regions}`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        panel: Option<Panel>,
        /// The one scoring file it may read (exactly when it takes `{weights}`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        score: Option<Box<ScoreFile>>,
    },
}

/// Why a query falls outside its grant's descriptor.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OutsideScope {
    /// The query is of another kind than the descriptor allows.
    #[error("the grant allows {allowed} queries, not {asked}")]
    Kind {
        /// The descriptor's kind.
        allowed: QueryKind,
        /// The query's kind.
        asked: QueryKind,
    },
    /// A locus the query names is not in the panel.
    #[error("{what} is outside the panel `{panel}`")]
    Locus {
        /// The query item (`regions[2] 17:41196311-41196400`).
        what: String,
        /// The panel's name.
        panel: String,
    },
    /// A count asked of a boolean grant.
    #[error("the grant allows {allowed} Beacon answers, not {asked}")]
    Granularity {
        /// The granularity granted.
        allowed: &'static str,
        /// The granularity asked.
        asked: &'static str,
    },
    /// Another scoring file than the one granted.
    #[error(
        "the scoring file's SHA-256 is {found}; the grant allows only {pgs_id} ({allowed}): other weights are \
         refused"
    )]
    Weights {
        /// The granted file's PGS id.
        pgs_id: String,
        /// The granted file's SHA-256.
        allowed: B256,
        /// The query's file's SHA-256.
        found: B256,
    },
    /// Another tool than the one granted.
    #[error("the grant allows only analysis tool {allowed}, not {asked}")]
    Tool {
        /// The granted tool's identity.
        allowed: B256,
        /// The tool asked for.
        asked: B256,
    },
    /// A parameter the granted tool does not take.
    #[error("the granted tool takes no {0}")]
    Unused(&'static str),
}

impl Descriptor {
    /// The kind of query it allows.
    pub fn kind(&self) -> QueryKind {
        match self {
            Self::GenotypeLookup { .. } => QueryKind::GenotypeLookup,
            Self::AlleleCounts { .. } => QueryKind::AlleleCounts,
            Self::BeaconAllele { .. } => QueryKind::BeaconAllele,
            Self::PolygenicScore { .. } => QueryKind::PolygenicScore,
            Self::RunTool { .. } => QueryKind::RunTool,
        }
    }

    /// The versioned analysis name.
    pub fn analysis(&self) -> &'static str {
        match self {
            Self::GenotypeLookup { .. } => "dnavault/query/genotype-lookup/v2",
            Self::AlleleCounts { .. } => "dnavault/query/allele-counts/v2",
            Self::BeaconAllele { .. } => "dnavault/query/beacon-allele/v2",
            Self::PolygenicScore { .. } => "dnavault/query/polygenic-score/v2",
            Self::RunTool { .. } => "dnavault/query/run-tool/v1",
        }
    }

    /// The struct hash of its parameters.
    pub fn parameters(&self) -> B256 {
        match self {
            Self::GenotypeLookup { panel } | Self::AlleleCounts { panel } => panel.hash(),
            Self::BeaconAllele { granularity, panel } => BeaconParameters {
                granularity: granularity_name(*granularity).into(),
                panel: panel.as_ref().map_or(B256::ZERO, Panel::hash),
            }
            .eip712_hash_struct(),
            Self::PolygenicScore {
                pgs_id,
                weights_sha256,
                variants,
                trait_reported,
            } => ScoreParameters {
                pgsId: pgs_id.clone(),
                weightsSha256: *weights_sha256,
                variants: *variants,
                traitReported: trait_reported.clone(),
            }
            .eip712_hash_struct(),
            Self::RunTool { tool, panel, score } => {
                tool_grant::parameters(tool, panel.as_ref(), score.as_deref())
            }
        }
    }

    /// The scope grants name for exactly this analysis.
    pub fn scope(&self) -> B256 {
        AnalysisScope {
            analysis: self.analysis().into(),
            parameters: self.parameters(),
        }
        .eip712_hash_struct()
    }

    /// The panel it is bounded by, if any.
    pub fn panel(&self) -> Option<&Panel> {
        match self {
            Self::GenotypeLookup { panel } | Self::AlleleCounts { panel } => Some(panel),
            Self::BeaconAllele { panel, .. } | Self::RunTool { panel, .. } => panel.as_ref(),
            Self::PolygenicScore { .. } => None,
        }
    }

    /// Checks that `query` asks nothing the descriptor does not allow: its kind, every locus inside the
    /// panel, the granularity, the very scoring file. (Records a lookup finds are bounded by the panel too:
    /// see [`Panel::contains`].)
    pub fn allows(&self, query: &Query) -> Result<(), OutsideScope> {
        match (self, query) {
            (Self::GenotypeLookup { panel }, Query::GenotypeLookup(lookup)) => {
                for (i, region) in lookup.regions.iter().enumerate() {
                    if !panel.covers(&region.chrom, region.start, region.end) {
                        return Err(panel.outside(format!(
                            "regions[{i}] {}:{}-{}",
                            region.chrom, region.start, region.end
                        )));
                    }
                }
                for (i, rsid) in lookup.rsids.iter().enumerate() {
                    if !panel.rsids.contains(rsid) {
                        return Err(panel.outside(format!("rsids[{i}] {rsid}")));
                    }
                }
                Ok(())
            }
            (Self::AlleleCounts { panel }, Query::AlleleCounts(counts)) => {
                for (i, p) in counts.positions.iter().enumerate() {
                    if !panel.contains(&p.chrom, p.pos) {
                        return Err(panel.outside(format!("positions[{i}] {}:{}", p.chrom, p.pos)));
                    }
                }
                Ok(())
            }
            (Self::BeaconAllele { granularity, panel }, Query::BeaconAllele(beacon)) => {
                let asked = beacon.request.query.requested_granularity;
                if asked == Granularity::Count && *granularity == Granularity::Boolean {
                    return Err(OutsideScope::Granularity {
                        allowed: granularity_name(*granularity),
                        asked: granularity_name(asked),
                    });
                }
                let allele = &beacon.request.query.request_parameters;
                let position = allele.position().unwrap_or(0);
                match panel {
                    Some(panel) if !panel.contains(&allele.reference_name, position) => Err(panel
                        .outside(format!(
                            "the allele at {}:{position}",
                            allele.reference_name
                        ))),
                    _ => Ok(()),
                }
            }
            (
                Self::PolygenicScore {
                    pgs_id,
                    weights_sha256,
                    ..
                },
                Query::PolygenicScore(score),
            ) => {
                let found = weights_digest(&score.scoring_file);
                match found == *weights_sha256 {
                    true => Ok(()),
                    false => Err(OutsideScope::Weights {
                        pgs_id: pgs_id.clone(),
                        allowed: *weights_sha256,
                        found,
                    }),
                }
            }
            (Self::RunTool { tool, panel, score }, Query::RunTool(run)) => {
                tool_grant::allows(tool, panel.as_ref(), score.as_deref(), run)
            }
            _ => Err(OutsideScope::Kind {
                allowed: self.kind(),
                asked: query.kind(),
            }),
        }
    }

    /// Checks what the types cannot: a panel's loci and names, a score's id, a tool's manifest.
    pub fn check(&self) -> Result<(), PanelError> {
        match self {
            Self::PolygenicScore { pgs_id, .. } => panel::pgs_id(pgs_id),
            Self::RunTool { tool, panel, score } => {
                tool_grant::check(tool, panel.as_ref(), score.as_deref())
            }
            _ => self.panel().map_or(Ok(()), Panel::check),
        }
    }
}

/// The panels that ship with the protocol, by file name (`descriptors/panels/`; provenance in its README).
pub const PANELS: [(&str, &str); 3] = [
    (
        "brca1-brca2.grch37.json",
        include_str!("../descriptors/panels/brca1-brca2.grch37.json"),
    ),
    (
        "brca1-brca2.grch38.json",
        include_str!("../descriptors/panels/brca1-brca2.grch38.json"),
    ),
    (
        "pgs000001-breast-cancer-loci.json",
        include_str!("../descriptors/panels/pgs000001-breast-cancer-loci.json"),
    ),
];

/// The score descriptors that ship with the protocol (`descriptors/scores/`).
pub const SCORES: [(&str, &str); 2] = [
    (
        "PGS000001.json",
        include_str!("../descriptors/scores/PGS000001.json"),
    ),
    (
        "PGS000002.json",
        include_str!("../descriptors/scores/PGS000002.json"),
    ),
];

/// The SHA-256 of a scoring file's text: what a score descriptor pins.
pub fn weights_digest(scoring_file: &str) -> B256 {
    B256::from(<[u8; 32]>::from(Sha256::digest(scoring_file.as_bytes())))
}

fn granularity_name(granularity: Granularity) -> &'static str {
    match granularity {
        Granularity::Boolean => "boolean",
        Granularity::Count => "count",
    }
}

#[cfg(test)]
mod tests;
