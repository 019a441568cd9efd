//! The query kinds: what a query computes. What a grant allows of a kind is its analysis descriptor
//! ([`crate::descriptor`]), whose hash is the grant's scope.

use serde::{Deserialize, Serialize};

/// What a query computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum QueryKind {
    /// Genotypes at positions or rsIDs.
    GenotypeLookup,
    /// A GA4GH Beacon v2 allele query: does the person carry an allele (boolean or count).
    BeaconAllele,
    /// Allele counts at positions, for a researcher's client to add up across vaults.
    AlleleCounts,
    /// A polygenic score from a PGS Catalog scoring file.
    PolygenicScore,
    /// An approved analysis tool (bcftools, plink2), run unchanged in a sandbox.
    RunTool,
}

impl QueryKind {
    /// Every kind.
    pub const ALL: [Self; 5] = [
        Self::GenotypeLookup,
        Self::BeaconAllele,
        Self::AlleleCounts,
        Self::PolygenicScore,
        Self::RunTool,
    ];

    /// The kind's name (`genotype-lookup`), as results and the audit log name it.
    pub const fn name(self) -> &'static str {
        match self {
            Self::GenotypeLookup => "genotype-lookup",
            Self::BeaconAllele => "beacon-allele",
            Self::AlleleCounts => "allele-counts",
            Self::PolygenicScore => "polygenic-score",
            Self::RunTool => "run-tool",
        }
    }

    /// The kind a name names.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.name() == name)
    }
}

impl std::fmt::Display for QueryKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_the_serde_names() {
        for kind in QueryKind::ALL {
            assert_eq!(
                serde_json::to_value(kind).unwrap(),
                serde_json::Value::from(kind.name())
            );
            assert_eq!(QueryKind::from_name(kind.name()), Some(kind));
        }
        assert_eq!(QueryKind::from_name("genotype"), None);
    }
}
