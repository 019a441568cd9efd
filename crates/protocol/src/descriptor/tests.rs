use alloy::sol_types::SolStruct;

use super::*;
use crate::query::{AlleleCounts, BeaconAllele, GenotypeLookup, PolygenicScore, Position, Region};

fn panel(name: &str) -> Panel {
    let (_, text) = PANELS.iter().find(|(file, _)| *file == name).unwrap();
    serde_json::from_str(text).unwrap()
}

fn brca() -> Panel {
    panel("brca1-brca2.grch37.json")
}

fn lookup(chrom: &str, start: u64, end: u64) -> Query {
    Query::GenotypeLookup(GenotypeLookup {
        regions: vec![Region {
            chrom: chrom.into(),
            start,
            end,
        }],
        rsids: vec![],
    })
}

fn counts_at(chrom: &str, pos: u64) -> Query {
    Query::AlleleCounts(AlleleCounts {
        positions: vec![Position {
            chrom: chrom.into(),
            pos,
        }],
    })
}

fn beacon(chrom: &str, start: u64, granularity: &str) -> Query {
    Query::BeaconAllele(Box::new(BeaconAllele {
        request: serde_json::from_value(serde_json::json!({
            "meta": {"apiVersion": "2.0"},
            "query": {
                "requestParameters": {"referenceName": chrom, "start": [start], "alternateBases": "A"},
                "requestedGranularity": granularity
            }
        }))
        .unwrap(),
    }))
}

/// The type strings every implementation hashes with, locked: changing one changes every scope.
#[test]
fn the_type_strings_are_locked() {
    assert_eq!(
        AnalysisScope::eip712_encode_type(),
        "AnalysisScope(string analysis,bytes32 parameters)"
    );
    assert_eq!(
        Panel::eip712_encode_type(),
        "Panel(string name,string assembly,PanelRegion[] regions,string[] rsids)\
         PanelRegion(string chrom,uint64 start,uint64 end,string gene)"
    );
    assert_eq!(
        BeaconParameters::eip712_encode_type(),
        "BeaconParameters(string granularity,bytes32 panel)"
    );
    assert_eq!(
        ScoreParameters::eip712_encode_type(),
        "ScoreParameters(string pgsId,bytes32 weightsSha256,uint64 variants,string traitReported)"
    );
    assert_eq!(
        tool_grant::ToolParameters::eip712_encode_type(),
        "ToolParameters(bytes32 tool,bytes32 panel,bytes32 score)"
    );
}

#[test]
fn every_shipped_descriptor_is_well_formed_and_every_scope_distinct() {
    let mut scopes = Vec::new();
    for (file, _) in PANELS {
        let panel = panel(file);
        panel.check().unwrap_or_else(|e| panic!("{file}: {e}"));
        let beacon_boolean = Descriptor::BeaconAllele {
            granularity: Granularity::Boolean,
            panel: Some(panel.clone()),
        };
        for descriptor in [
            Descriptor::GenotypeLookup {
                panel: panel.clone(),
            },
            Descriptor::AlleleCounts {
                panel: panel.clone(),
            },
            beacon_boolean,
        ] {
            descriptor.check().unwrap();
            scopes.push(descriptor.scope());
        }
    }
    for (file, text) in SCORES {
        let descriptor: Descriptor = serde_json::from_str(text).unwrap();
        descriptor.check().unwrap_or_else(|e| panic!("{file}: {e}"));
        scopes.push(descriptor.scope());
    }
    for granularity in [Granularity::Boolean, Granularity::Count] {
        scopes.push(
            Descriptor::BeaconAllele {
                granularity,
                panel: None,
            }
            .scope(),
        );
    }
    let count = scopes.len();
    scopes.sort();
    scopes.dedup();
    assert_eq!(scopes.len(), count, "two descriptors share a scope");
}

/// A panel is the same panel however its JSON is laid out; any change to a locus or a word is another.
#[test]
fn a_panel_hash_follows_its_content_not_its_layout() {
    let (_, text) = PANELS[0];
    let compact: Panel = serde_json::from_str(&serde_json::to_string(&brca()).unwrap()).unwrap();
    assert_eq!(compact.hash(), brca().hash());
    assert!(text.contains('\n'), "the shipped file is laid out");
    let mut moved = brca();
    moved.regions[0].end += 1;
    assert_ne!(moved.hash(), brca().hash());
    let mut renamed = brca();
    renamed.regions[1].gene = "BRCA3".into();
    assert_ne!(renamed.hash(), brca().hash());
    let grant = Descriptor::GenotypeLookup { panel: brca() };
    let back: Descriptor = serde_json::from_str(&serde_json::to_string(&grant).unwrap()).unwrap();
    assert_eq!(back.scope(), grant.scope());
}

#[test]
fn a_lookup_grant_reads_its_panel_and_not_one_base_outside() {
    let grant = Descriptor::GenotypeLookup { panel: brca() };
    grant.allows(&lookup("17", 41_196_312, 41_277_500)).unwrap();
    grant
        .allows(&lookup("chr13", 32_900_000, 32_900_010))
        .unwrap();
    for (chrom, start, end) in [
        ("17", 41_196_311, 41_196_400),
        ("17", 41_277_400, 41_277_501),
        ("13", 41_196_312, 41_196_400),
        ("22", 1, 51_304_566),
    ] {
        let error = grant.allows(&lookup(chrom, start, end)).unwrap_err();
        assert!(
            matches!(&error, OutsideScope::Locus { panel, .. } if panel.contains("BRCA1")),
            "{error}"
        );
    }
    assert!(brca().contains("17", 41_196_312) && !brca().contains("17", 41_196_311));

    let loci = Descriptor::GenotypeLookup {
        panel: panel("pgs000001-breast-cancer-loci.json"),
    };
    let by_id = |id: &str| {
        Query::GenotypeLookup(GenotypeLookup {
            regions: vec![],
            rsids: vec![id.into()],
        })
    };
    loci.allows(&by_id("rs78540526")).unwrap();
    assert!(loci.allows(&by_id("rs7410291")).is_err());
    assert!(
        loci.allows(&lookup("22", 1, 10)).is_err(),
        "an rsID panel has no regions"
    );
}

#[test]
fn counts_beacon_and_scores_are_held_to_their_descriptor() {
    let counts = Descriptor::AlleleCounts { panel: brca() };
    counts.allows(&counts_at("17", 41_200_000)).unwrap();
    assert!(counts.allows(&counts_at("17", 41_277_501)).is_err());
    assert!(matches!(
        counts.allows(&lookup("17", 41_200_000, 41_200_000)),
        Err(OutsideScope::Kind { .. })
    ));

    // A boolean grant never answers a count; a count grant answers both.
    let boolean = Descriptor::BeaconAllele {
        granularity: Granularity::Boolean,
        panel: Some(brca()),
    };
    // Beacon starts are 0-based: 41196311 is position 41,196,312, the panel's first base.
    boolean
        .allows(&beacon("17", 41_196_311, "boolean"))
        .unwrap();
    assert!(
        boolean
            .allows(&beacon("17", 41_196_310, "boolean"))
            .is_err()
    );
    assert!(matches!(
        boolean.allows(&beacon("17", 41_196_311, "count")),
        Err(OutsideScope::Granularity { .. })
    ));
    let genome_wide = Descriptor::BeaconAllele {
        granularity: Granularity::Count,
        panel: None,
    };
    genome_wide
        .allows(&beacon("22", 16_050_074, "count"))
        .unwrap();
    genome_wide.allows(&beacon("1", 0, "boolean")).unwrap();

    // A score grant runs its file, byte for byte, and no other weights.
    let file = include_str!("../../../../testdata/pgs/PGS000001_hmPOS_GRCh37.txt");
    let (_, text) = SCORES[0];
    let score: Descriptor = serde_json::from_str(text).unwrap();
    let query = |scoring_file: String| Query::PolygenicScore(PolygenicScore { scoring_file });
    score.allows(&query(file.to_owned())).unwrap();
    let tripled = file.replacen("\t0.", "\t3.", 1);
    assert!(matches!(
        score.allows(&query(tripled)),
        Err(OutsideScope::Weights { pgs_id, .. }) if pgs_id == "PGS000001"
    ));
}

#[test]
fn malformed_panels_and_ids_are_refused_by_name() {
    let mut backwards = brca();
    backwards.regions[0].end = backwards.regions[0].start - 1;
    assert_eq!(backwards.check().unwrap_err().what, "regions[0]");
    let mut assembly = brca();
    assembly.assembly = "hg19".into();
    assert_eq!(assembly.check().unwrap_err().what, "assembly");
    let mut empty = brca();
    empty.regions.clear();
    assert_eq!(empty.check().unwrap_err().what, "panel");
    let mut id = panel("pgs000001-breast-cancer-loci.json");
    id.rsids.push("rs12x".into());
    assert_eq!(id.check().unwrap_err().what, "rsids[77]");
    let bad_score: Descriptor = serde_json::from_value(serde_json::json!({
        "analysis": "dnavault/query/polygenic-score/v2",
        "pgsId": "PGS1",
        "weightsSha256": format!("0x{}", "00".repeat(32)),
        "variants": 1,
        "traitReported": "x"
    }))
    .unwrap();
    assert_eq!(bad_score.check().unwrap_err().what, "pgsId");
    // Unknown fields and analyses are refused, not ignored.
    assert!(
        serde_json::from_str::<Descriptor>(r#"{"analysis":"dnavault/query/genotype-lookup/v1"}"#)
            .is_err()
    );
    let mut extra = serde_json::to_value(Descriptor::GenotypeLookup { panel: brca() }).unwrap();
    extra["budget"] = 5.into();
    assert!(serde_json::from_value::<Descriptor>(extra).is_err());
}

#[test]
fn the_shipped_score_descriptor_pins_the_shipped_file() {
    let file = include_str!("../../../../testdata/pgs/PGS000001_hmPOS_GRCh37.txt");
    let (_, text) = SCORES[0];
    let Descriptor::PolygenicScore {
        weights_sha256,
        variants,
        trait_reported,
        ..
    } = serde_json::from_str(text).unwrap()
    else {
        panic!("not a score descriptor");
    };
    assert_eq!(weights_digest(file), weights_sha256);
    assert!(file.contains(&format!("#variants_number={variants}")));
    assert!(file.contains(&format!("#trait_reported={trait_reported}")));
}

fn bcftools(arguments: &[&str]) -> ToolManifest {
    serde_json::from_value(serde_json::json!({
        "name": "bcftools query", "version": "1.16",
        "executable": {"path": "/usr/bin/bcftools", "sha256": format!("0x{}", "11".repeat(32))},
        "files": [],
        "arguments": arguments,
        "outputs": ["stdout"],
        "limits": {"cpuSeconds": 30, "memoryBytes": 1 << 29, "outputBytes": 1 << 20, "wallSeconds": 60}
    }))
    .unwrap()
}

fn score_file(text: &str) -> ScoreFile {
    ScoreFile {
        pgs_id: "PGS000001".into(),
        weights_sha256: weights_digest(text),
        variants: 1,
        trait_reported: "Breast cancer".into(),
    }
}

fn tool_run(
    tool: &ToolManifest,
    regions: &[(&str, u64, u64)],
    scoring_file: Option<&str>,
) -> Query {
    Query::RunTool(crate::query::RunTool {
        tool: tool.id(),
        regions: regions
            .iter()
            .map(|&(chrom, start, end)| Region {
                chrom: chrom.into(),
                start,
                end,
            })
            .collect(),
        scoring_file: scoring_file.map(Into::into),
    })
}

/// A tool grant binds the very manifest (one limit changed is another scope), its regions to the panel to
/// the base, its scoring file to the byte, and takes nothing its tool does not.
#[test]
fn a_tool_grant_runs_only_its_tool_inside_its_bounds() {
    let tool = bcftools(&["query", "-r", "{regions}", "{genome}"]);
    let grant = Descriptor::RunTool {
        tool: Box::new(tool.clone()),
        panel: Some(brca()),
        score: None,
    };
    grant.check().unwrap();
    let region = &brca().regions[0];
    let (chrom, start, end) = (region.chrom.as_str(), region.start, region.end);
    grant
        .allows(&tool_run(&tool, &[(chrom, start, end)], None))
        .unwrap();
    assert!(matches!(
        grant.allows(&tool_run(&tool, &[(chrom, start, end + 1)], None)),
        Err(OutsideScope::Locus { .. })
    ));
    assert!(matches!(
        grant.allows(&tool_run(&tool, &[(chrom, start - 1, end)], None)),
        Err(OutsideScope::Locus { .. })
    ));
    assert_eq!(
        grant.allows(&tool_run(&tool, &[], Some("weights"))),
        Err(OutsideScope::Unused("scoringFile"))
    );
    let mut other = tool.clone();
    other.limits.cpu_seconds += 1;
    assert!(matches!(
        grant.allows(&tool_run(&other, &[], None)),
        Err(OutsideScope::Tool { .. })
    ));
    let longer = Descriptor::RunTool {
        tool: Box::new(other),
        panel: Some(brca()),
        score: None,
    };
    assert_ne!(longer.scope(), grant.scope(), "the scope covers the limits");
    assert!(matches!(
        grant.allows(&lookup(chrom, start, end)),
        Err(OutsideScope::Kind { .. })
    ));
    let words = grant.words().facts;
    assert!(
        words
            .iter()
            .any(|(label, value)| *label == "Tool (manifest hash)"
                && *value == tool.id().to_string())
    );
    assert!(
        words
            .iter()
            .any(|(_, value)| value.contains("bcftools query 1.16"))
    );

    // Weights: the very file, and only for a tool that takes them.
    let scorer = bcftools(&["{genome}", "{weights}"]);
    let scored = Descriptor::RunTool {
        tool: Box::new(scorer.clone()),
        panel: None,
        score: Some(Box::new(score_file("the weights"))),
    };
    scored.check().unwrap();
    scored
        .allows(&tool_run(&scorer, &[], Some("the weights")))
        .unwrap();
    assert!(matches!(
        scored.allows(&tool_run(&scorer, &[], Some("the weights."))),
        Err(OutsideScope::Weights { .. })
    ));
    assert_eq!(
        scored.allows(&tool_run(&scorer, &[("17", 1, 2)], Some("the weights"))),
        Err(OutsideScope::Unused("regions"))
    );
}

/// A bound that binds nothing is refused: a panel for a tool without `{regions}`, weights for one without
/// `{weights}`, and the other way round; and a malformed manifest.
#[test]
fn a_tool_grant_names_exactly_the_bounds_its_tool_takes() {
    let regions = bcftools(&["-r", "{regions}", "{genome}"]);
    let plain = bcftools(&["{genome}"]);
    let weights = bcftools(&["{weights}", "{genome}"]);
    let cases = [
        (plain.clone(), Some(brca()), None, "panel"),
        (regions, None, None, "panel"),
        (weights, None, None, "score"),
        (
            plain.clone(),
            None,
            Some(Box::new(score_file("w"))),
            "score",
        ),
        (bcftools(&["{genome", "x"]), None, None, "tool"),
    ];
    for (tool, panel, score, what) in cases {
        let grant = Descriptor::RunTool {
            tool: Box::new(tool),
            panel,
            score,
        };
        assert_eq!(grant.check().unwrap_err().what, what, "{grant:?}");
    }
    Descriptor::RunTool {
        tool: Box::new(plain),
        panel: None,
        score: None,
    }
    .check()
    .unwrap();
}
