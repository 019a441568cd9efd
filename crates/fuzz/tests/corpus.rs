//! Every fuzz target over its kept corpus (`crates/fuzz/corpus/NAME`: the seeds, and each input that once
//! crashed it), and over the seeds made afresh. A crash fails the test naming the file. The seeds are
//! written by `DNAVAULT_WRITE_SEEDS=1 cargo test -p dnavault-fuzz --test corpus -- --ignored`.

use std::path::{Path, PathBuf};

use alloy::signers::local::PrivateKeySigner;
use dnavault_fuzz::{TARGETS, generated_seed};
use dnavault_protocol::{
    descriptor::{Descriptor, Panel, PanelRegion},
    eip712::registry_domain,
    purpose::Purpose,
    query::{AlleleCounts, BeaconAllele, GenotypeLookup, Position, Query, Region},
};
use dnavault_researcher::{Researcher, Terms};

fn corpus(target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("corpus")
        .join(target)
}

#[test]
fn every_target_passes_its_kept_corpus() {
    for (name, target) in TARGETS {
        let dir = corpus(name);
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|entry| entry.unwrap().path())
            .collect();
        files.sort();
        assert!(!files.is_empty(), "{name} keeps no corpus");
        for file in files {
            let data = std::fs::read(&file).unwrap();
            let ran = std::panic::catch_unwind(|| target(&data));
            assert!(ran.is_ok(), "{name} crashed on {}", file.display());
        }
        if let Some(seed) = generated_seed(name) {
            target(&seed);
        }
    }
}

/// Which seeds each target must accept: a target that refuses its own seeds tests only its refusals.
const ACCEPTED_SEEDS: &[(&str, &[&str])] = &[
    (
        "genome_file",
        &[
            "chr22-excerpt-3kb.vcf.gz",
            "chr22-excerpt-3kb.bcf",
            "chr22-excerpt-3kb.vcf.gz.tbi",
            "chr22-excerpt-3kb.vcf.gz.csi",
            "example-4.1.vcf",
            "23andme.txt",
            "ancestrydna.txt",
        ],
    ),
    ("genome_lookup", &["chr22-excerpt-3kb"]),
    ("raw_genome", &["23andme.txt", "ancestrydna.txt"]),
    ("scoring_file", &["pgs000001-head.txt"]),
    ("stored_object", &["seed"]),
    (
        "snp_evidence",
        &["milan-vcek", "azure-milan", "azure-genoa-pem", "vlek"],
    ),
    ("query_submission", &["lookup", "counts", "beacon"]),
    ("query_in_grant", &["lookup", "counts", "beacon"]),
    (
        "tool_manifest",
        &["bcftools-query.json", "plink2-score.json"],
    ),
    (
        "typed_data",
        &["revoke", "approve-measurement", "approve-tool"],
    ),
    ("relay_envelope", &["seed"]),
];

fn target(name: &str) -> dnavault_fuzz::Target {
    TARGETS.iter().find(|(n, _)| *n == name).unwrap().1
}

#[test]
fn every_target_accepts_its_seeds_and_they_reach_its_checks() {
    for (name, seeds) in ACCEPTED_SEEDS {
        for seed in *seeds {
            let data = std::fs::read(corpus(name).join(seed)).unwrap();
            assert!(target(name)(&data), "{name} refused its seed {seed}");
        }
    }
    for name in ["stored_object", "relay_envelope"] {
        assert!(
            target(name)(&generated_seed(name).unwrap()),
            "{name}'s fresh seed"
        );
    }
}

/// Over signed or encrypted inputs, one flipped byte in what is signed or sealed is refused (the target
/// asserts the rest: what is accepted is the original).
#[test]
fn a_flipped_byte_in_a_signed_or_sealed_seed_is_refused() {
    let flips = |name: &str, seed: &str, within: std::ops::Range<usize>| {
        let data = std::fs::read(corpus(name).join(seed)).unwrap();
        for at in within.step_by(7) {
            let mut flipped = data.clone();
            flipped[at] ^= 0x01;
            assert!(
                !target(name)(&flipped),
                "{name} accepted {seed} with byte {at} flipped"
            );
        }
    };
    flips("snp_evidence", "azure-milan", 0..0x2A0);
    let stored = std::fs::read(corpus("stored_object").join("seed"))
        .unwrap()
        .len();
    flips("stored_object", "seed", 0..stored);
}

/// The panel the query seeds are granted over.
fn panel() -> Panel {
    Panel {
        name: "chr22 excerpt".into(),
        assembly: "GRCh37".into(),
        regions: vec![PanelRegion {
            chrom: "22".into(),
            start: 50_300_000,
            end: 50_400_000,
            gene: String::new(),
        }],
        rsids: vec!["rs7410291".into()],
    }
}

/// A query of each kind and the descriptor that grants it.
fn granted() -> Vec<(&'static str, Query, Descriptor)> {
    let region = Region {
        chrom: "22".into(),
        start: 50_300_000,
        end: 50_300_100,
    };
    let beacon = serde_json::json!({
        "meta": {"apiVersion": "2.0"},
        "query": {
            "requestParameters": {"referenceName": "22", "start": [50_300_077], "alternateBases": "G"},
            "requestedGranularity": "count"
        }
    });
    vec![
        (
            "lookup",
            Query::GenotypeLookup(GenotypeLookup {
                regions: vec![region],
                rsids: vec![],
            }),
            Descriptor::GenotypeLookup { panel: panel() },
        ),
        (
            "counts",
            Query::AlleleCounts(AlleleCounts {
                positions: vec![Position {
                    chrom: "22".into(),
                    pos: 50_300_078,
                }],
            }),
            Descriptor::AlleleCounts { panel: panel() },
        ),
        (
            "beacon",
            Query::BeaconAllele(Box::new(BeaconAllele {
                request: serde_json::from_value(beacon).unwrap(),
            })),
            Descriptor::BeaconAllele {
                granularity: dnavault_protocol::query::Granularity::Count,
                panel: Some(panel()),
            },
        ),
    ]
}

/// Writes the seeds made from the protocol's own types (run when they change).
#[test]
#[ignore = "writes the corpus seeds: DNAVAULT_WRITE_SEEDS=1"]
fn write_seeds() {
    if std::env::var_os("DNAVAULT_WRITE_SEEDS").is_none() {
        return;
    }
    let researcher = Researcher::new(PrivateKeySigner::from_bytes(&[4; 32].into()).unwrap());
    let domain = registry_domain(31337, alloy::primitives::Address::repeat_byte(0x5F));
    for (name, query, descriptor) in granted() {
        let terms = Terms {
            descriptor: descriptor.clone(),
            purpose: Purpose::parse("HMB").unwrap(),
        };
        let prepared = researcher.prepare(1, &query, &terms, &domain, 300).unwrap();
        let submission = serde_json::to_vec_pretty(&prepared.submission).unwrap();
        std::fs::write(corpus("query_submission").join(name), submission).unwrap();
        let mut pair = serde_json::to_vec(&query).unwrap();
        pair.push(0xFF);
        pair.extend(serde_json::to_vec(&descriptor).unwrap());
        std::fs::write(corpus("query_in_grant").join(name), pair).unwrap();
    }
    typed_seeds();
    for name in ["stored_object", "relay_envelope"] {
        let seed = generated_seed(name).unwrap();
        std::fs::write(corpus(name).join("seed"), seed).unwrap();
    }
}

/// Documents a signing screen reviews: a revocation with the descriptor its scope names, a measurement
/// and a tool approval.
fn typed_seeds() {
    use alloy::primitives::{B256, U256, address};
    use dnavault_protocol::{ApproveMeasurement, ApproveTool, Revoke};
    use dnavault_wallet::typed::document;
    let domain = registry_domain(31337, address!("5FbDB2315678afecb367f032d93F642f64180aa3"));
    let descriptor = Descriptor::AlleleCounts { panel: panel() };
    let revoke = Revoke {
        vaultId: U256::from(1),
        grantee: alloy::primitives::Address::repeat_byte(4),
        scope: descriptor.scope(),
        nonce: U256::from(3),
        deadline: U256::from(1_750_000_600u64),
    };
    let measurement = ApproveMeasurement {
        vaultId: U256::from(1),
        measurement: vec![0x34; 48].into(),
        nonce: U256::from(4),
        deadline: U256::from(1_750_000_600u64),
    };
    let tool = ApproveTool {
        vaultId: U256::from(1),
        tool: B256::repeat_byte(0x18),
        nonce: U256::from(5),
        deadline: U256::from(1_750_000_600u64),
    };
    let write = |name: &str, json: String, descriptor: Option<&Descriptor>| {
        let mut bytes = json.into_bytes();
        if let Some(descriptor) = descriptor {
            bytes.push(0xFF);
            bytes.extend(serde_json::to_vec(descriptor).unwrap());
        }
        std::fs::write(corpus("typed_data").join(name), bytes).unwrap();
    };
    let json = |value| serde_json::to_string_pretty(&value).unwrap();
    write(
        "revoke",
        json(document(&revoke, &domain)),
        Some(&descriptor),
    );
    write(
        "approve-measurement",
        json(document(&measurement, &domain)),
        None,
    );
    write("approve-tool", json(document(&tool, &domain)), None);
}
