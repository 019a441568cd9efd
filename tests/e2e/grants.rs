//! The grants these tests give: analysis descriptors that cover what the tests ask of their genomes (the
//! chr22 excerpt, and a raw file's chr22 and X calls), under general research use, so that what a test
//! checks is the answer, not the grant's bounds (`descriptors.rs` checks those).

use std::path::Path;

use dnavault_genome::score::ScoringFile;
use dnavault_protocol::{
    descriptor::{Descriptor, Panel, PanelRegion, weights_digest},
    purpose::Purpose,
    query::{Granularity, Query, QueryKind},
};
use dnavault_researcher::Terms;

/// The rsIDs the tests look up.
const RSIDS: [&str; 3] = ["rs7410291", "rs28695790", "rs0"];

/// All of chromosomes 22 and X (GRCh37) and the tests' rsIDs.
pub(crate) fn test_panel() -> Panel {
    let whole = |chrom: &str, end: u64| PanelRegion {
        chrom: chrom.into(),
        start: 1,
        end,
        gene: String::new(),
    };
    Panel {
        name: "chromosomes 22 and X (test panel)".into(),
        assembly: "GRCh37".into(),
        regions: vec![whole("22", 51_304_566), whole("X", 155_270_560)],
        rsids: RSIDS.map(String::from).to_vec(),
    }
}

/// The descriptor the tests grant for `kind`'s queries that need no scoring file: lookups and counts over
/// the test panel, Beacon counts anywhere.
pub(crate) fn descriptor(kind: QueryKind) -> Descriptor {
    match kind {
        QueryKind::GenotypeLookup => Descriptor::GenotypeLookup {
            panel: test_panel(),
        },
        QueryKind::AlleleCounts => Descriptor::AlleleCounts {
            panel: test_panel(),
        },
        QueryKind::BeaconAllele => Descriptor::BeaconAllele {
            granularity: Granularity::Count,
            panel: None,
        },
        QueryKind::PolygenicScore => panic!("a score grant names its scoring file: use score()"),
        QueryKind::RunTool => panic!("a tool grant names its manifest: see tools.rs"),
    }
}

/// The descriptor that pins `scoring_file`: its PGS id, trait, number of weights and SHA-256.
pub(crate) fn score(scoring_file: &str) -> Descriptor {
    let parsed = ScoringFile::parse(Path::new("scoringFile"), scoring_file).unwrap();
    Descriptor::PolygenicScore {
        pgs_id: parsed.pgs_id.unwrap(),
        weights_sha256: weights_digest(scoring_file),
        variants: parsed.variants.len() as u64,
        trait_reported: parsed.trait_reported.unwrap(),
    }
}

/// What a test asks `query` under: the descriptor granted for it, for general research use.
pub(crate) fn terms_for(query: &Query) -> Terms {
    let descriptor = match query {
        Query::PolygenicScore(score_query) => score(&score_query.scoring_file),
        other => descriptor(other.kind()),
    };
    Terms {
        descriptor,
        purpose: Purpose::general_research(),
    }
}
