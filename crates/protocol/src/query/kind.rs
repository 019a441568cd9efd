//! The query kinds and their scope ids: a grant names a scope, and a request for one kind runs only under a
//! grant for that kind's scope.

use alloy::primitives::{B256, keccak256};
use serde::{Deserialize, Serialize};

/// What a query computes. Each kind has a versioned name; its keccak256 is the scope grants name.
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
}

impl QueryKind {
    /// Every kind.
    pub const ALL: [Self; 4] = [
        Self::GenotypeLookup,
        Self::BeaconAllele,
        Self::AlleleCounts,
        Self::PolygenicScore,
    ];

    /// The versioned analysis name whose keccak256 is the scope (what `dnavault-wallet grant --scope` takes).
    pub const fn analysis(self) -> &'static str {
        match self {
            Self::GenotypeLookup => "dnavault/query/genotype-lookup/v1",
            Self::BeaconAllele => "dnavault/query/beacon-allele/v1",
            Self::AlleleCounts => "dnavault/query/allele-counts/v1",
            Self::PolygenicScore => "dnavault/query/polygenic-score/v1",
        }
    }

    /// The scope id grants name: keccak256 of [`analysis`](Self::analysis).
    pub fn scope(self) -> B256 {
        keccak256(self.analysis().as_bytes())
    }

    /// The kind a scope id names, if any.
    pub fn from_scope(scope: B256) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.scope() == scope)
    }

    /// The kind an analysis name or kebab-case kind names (`genotype-lookup`, `dnavault/query/...`).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|kind| kind.analysis() == name || kind.analysis().split('/').nth(2) == Some(name))
    }
}

impl std::fmt::Display for QueryKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.analysis())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_are_distinct_hashes_of_the_analysis_names() {
        for kind in QueryKind::ALL {
            assert_eq!(
                kind.scope(),
                keccak256(kind.analysis().as_bytes()),
                "{kind}"
            );
            assert_eq!(QueryKind::from_scope(kind.scope()), Some(kind));
            assert_eq!(QueryKind::from_name(kind.analysis()), Some(kind));
        }
        assert_eq!(
            QueryKind::from_name("allele-counts"),
            Some(QueryKind::AlleleCounts)
        );
        assert_eq!(QueryKind::from_scope(keccak256("genotype")), None);
        assert_eq!(
            QueryKind::from_name("dnavault/query/allele-counts/v2"),
            None
        );
    }
}
