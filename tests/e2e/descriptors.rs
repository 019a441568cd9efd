//! Grants that name an analysis descriptor, on the running vault: a lookup reads its panel and not one base
//! outside it, allele counts and Beacon answers stay inside their grant, and a score runs only the scoring
//! file the grant pins. These are the leaks a kind-only scope let through: a whole chromosome under a
//! lookup grant, genotypes recovered from crafted weights, counts at any position.

use alloy::{
    primitives::{B256, U256, keccak256},
    sol_types::Eip712Domain,
};
use dnavault_protocol::{
    clock::deadline_in,
    descriptor::{Descriptor, Panel, PanelRegion, SCORES},
    eip712::registry_domain,
    purpose::Purpose,
    query::{
        BeaconAllele, GenotypeLookup, Granularity, PolygenicScore, Query, QueryRequest,
        QuerySubmission, Region,
    },
};
use dnavault_researcher::{Prepared, Researcher, Terms};
use dnavault_tests::{chain_with_vault, testdata};
use serde_json::json;

use crate::query::{
    allele_counts, audit, connect, grant_scope, plaintext_lookup, refused, vault_with_genome,
};

/// A window of the chr22 excerpt (GRCh37), as a test panel: it names no gene.
fn window() -> Panel {
    window_to(50_360_000)
}

/// The window from 22:50,326,000 to `end`.
fn window_to(end: u64) -> Panel {
    Panel {
        name: "chr22 excerpt test window".into(),
        assembly: "GRCh37".into(),
        regions: vec![PanelRegion {
            chrom: "22".into(),
            start: 50_326_000,
            end,
            gene: String::new(),
        }],
        rsids: vec![],
    }
}

/// A genotype lookup of 22:`start`-`end`.
pub(crate) fn lookup(start: u64, end: u64) -> Query {
    Query::GenotypeLookup(GenotypeLookup {
        regions: vec![Region {
            chrom: "22".into(),
            start,
            end,
        }],
        rsids: vec![],
    })
}

/// A request for `query` under `descriptor`'s scope for general research use, signed as the researcher
/// would, without the client's own check that the query lies inside: what a researcher asking for more
/// would send.
pub(crate) fn under(
    researcher: &Researcher,
    query: &Query,
    descriptor: &Descriptor,
    domain: &Eip712Domain,
) -> Prepared {
    let text = QuerySubmission::query_text(query).unwrap();
    let request = QueryRequest {
        vaultId: U256::from(1),
        researcher: researcher.address(),
        scope: descriptor.scope(),
        purpose: Purpose::general_research().to_bytes16(),
        queryHash: keccak256(text.get().as_bytes()),
        recipientKey: researcher.recipient_key(),
        nonce: fresh_nonce(),
        deadline: U256::from(deadline_in(300).unwrap()),
    };
    researcher.sign(request, text, descriptor, domain)
}

/// A nonce no other request of this test process uses.
fn fresh_nonce() -> B256 {
    static COUNT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = COUNT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    keccak256(format!("{}:{n}", std::process::id()))
}

/// `descriptor`, asked under for general research use.
pub(crate) fn terms(descriptor: &Descriptor) -> Terms {
    Terms {
        descriptor: descriptor.clone(),
        purpose: Purpose::general_research(),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn descriptor_grants_answer_only_inside_them() {
    let (chain, _seed, owner) = chain_with_vault().await;
    let dir = tempfile::tempdir().unwrap();
    let (vault, _wallet) = vault_with_genome(&chain, dir.path()).await;
    let researcher = Researcher::new(chain.signer(2));
    let lookups = Descriptor::GenotypeLookup { panel: window() };
    let counts = Descriptor::AlleleCounts { panel: window() };
    let boolean = Descriptor::BeaconAllele {
        granularity: Granularity::Boolean,
        panel: Some(window()),
    };
    let score: Descriptor = serde_json::from_str(SCORES[0].1).unwrap();
    // A panel whose end falls inside a deletion (22:50,336,003 GTGAA -> G covers 50,336,003-50,336,007).
    let edge = Descriptor::GenotypeLookup {
        panel: window_to(50_336_005),
    };
    // The same pinned file, described with another trait: the owner would have read words the file does
    // not bear out.
    let mut misworded = score.clone();
    if let Descriptor::PolygenicScore { trait_reported, .. } = &mut misworded {
        *trait_reported = "Type 2 diabetes".into();
    }
    for descriptor in [&lookups, &counts, &boolean, &score, &edge, &misworded] {
        grant_scope(
            &chain,
            &owner,
            researcher.address(),
            descriptor.scope(),
            false,
        )
        .await;
    }
    vault.synced_with(&chain).await;
    let (client, attested) = connect(&chain, &vault).await;
    let domain = registry_domain(chain.chain_id(), chain.registry_address());

    // Inside the panel: the plaintext file's records whose REF lies wholly inside.
    let inside = attested
        .ask(
            &researcher,
            &lookup(50_326_000, 50_360_000),
            &terms(&lookups),
            &client,
        )
        .await
        .unwrap();
    let found = serde_json::to_value(&inside.result).unwrap();
    let regions = |end| {
        let span = dnavault_genome::lookup::Span {
            start: 50_326_000,
            end,
        };
        dnavault_genome::lookup::Query::Regions([("22".into(), vec![span])].into())
    };
    let inside_only = |records: Vec<serde_json::Value>, end: u64| -> Vec<serde_json::Value> {
        records
            .into_iter()
            .filter(|r| {
                let pos = r["pos"].as_u64().unwrap();
                pos >= 50_326_000 && pos + r["ref"].as_str().unwrap().len() as u64 - 1 <= end
            })
            .collect()
    };
    let expected = inside_only(plaintext_lookup(&regions(50_360_000)), 50_360_000);
    assert!(expected.len() > 10);
    assert_eq!(found["variants"].as_array().unwrap(), &expected);

    // A deletion that starts inside a panel and runs past its end is not read: its REF would show the
    // bases beyond.
    let edged = attested
        .ask(
            &researcher,
            &lookup(50_336_000, 50_336_005),
            &terms(&edge),
            &client,
        )
        .await
        .unwrap();
    let edged = serde_json::to_value(&edged.result).unwrap();
    let plain = plaintext_lookup(&regions(50_336_005));
    assert!(
        plain.iter().any(|r| r["pos"] == 50_336_003),
        "the plaintext lookup finds the deletion"
    );
    assert!(
        !edged["variants"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["pos"] == 50_336_003),
        "{edged}"
    );

    // The whole chromosome, and one base either side of the panel: refused, and the owner sees it.
    for (start, end) in [
        (1, 51_304_566),
        (50_325_999, 50_326_100),
        (50_359_990, 50_360_001),
    ] {
        refused(
            attested
                .send(&under(&researcher, &lookup(start, end), &lookups, &domain))
                .await,
            403,
            "outside the panel `chr22 excerpt test window`",
        );
    }
    // The client refuses to sign it in the first place.
    assert!(
        researcher
            .prepare(1, &lookup(1, 51_304_566), &terms(&lookups), &domain, 300)
            .is_err()
    );

    // Allele counts: inside answered, one position outside refused.
    let at = |pos| allele_counts(&[("22", pos)]);
    attested
        .ask(&researcher, &at(50_326_116), &terms(&counts), &client)
        .await
        .unwrap();
    refused(
        attested
            .send(&under(&researcher, &at(50_360_001), &counts, &domain))
            .await,
        403,
        "positions[0] 22:50360001 is outside the panel",
    );

    // A boolean Beacon grant never answers a count.
    let beacon = |granularity: &str| {
        Query::BeaconAllele(Box::new(BeaconAllele {
            request: serde_json::from_value(json!({
                "meta": {"apiVersion": "2.0"},
                "query": {
                    "requestParameters": {"referenceName": "22", "start": [50_351_412], "alternateBases": "T"},
                    "requestedGranularity": granularity
                }
            }))
            .unwrap(),
        }))
    };
    let carried = attested
        .ask(&researcher, &beacon("boolean"), &terms(&boolean), &client)
        .await
        .unwrap();
    assert_eq!(
        serde_json::to_value(&carried.result).unwrap()["responseSummary"]["exists"],
        true
    );
    refused(
        attested
            .send(&under(&researcher, &beacon("count"), &boolean, &domain))
            .await,
        403,
        "the grant allows boolean Beacon answers, not count",
    );

    // A score runs the pinned file, and names no sample; weights of 3^i, which would spell out the
    // genotypes in the score's digits, are refused.
    let pgs = std::fs::read_to_string(testdata("pgs/PGS000001_hmPOS_GRCh37.txt")).unwrap();
    let pinned = Query::PolygenicScore(PolygenicScore {
        scoring_file: pgs.clone(),
    });
    let scored = attested
        .ask(&researcher, &pinned, &terms(&score), &client)
        .await
        .unwrap();
    let scored = serde_json::to_value(&scored.result).unwrap();
    assert_eq!(scored["pgs_id"], "PGS000001");
    assert!(scored.get("sample").is_none(), "{scored}");
    let mut crafted =
        "#pgs_id=PGS000001\n#genome_build=GRCh37\nrsID\tchr_name\tchr_position\teffect_allele\tother_allele\teffect_weight\n"
            .to_owned();
    for (i, (pos, alt)) in [(50_326_116, "T"), (50_351_413, "T"), (50_353_917, "C")]
        .into_iter()
        .enumerate()
    {
        crafted.push_str(&format!(
            "rs{i}\t22\t{pos}\t{alt}\tN\t{}\n",
            3u64.pow(i as u32)
        ));
    }
    let crafted = Query::PolygenicScore(PolygenicScore {
        scoring_file: crafted,
    });
    refused(
        attested
            .send(&under(&researcher, &crafted, &score, &domain))
            .await,
        403,
        "the grant allows only PGS000001",
    );

    // The pinned file under a descriptor whose words do not describe it: refused, and audited.
    refused(
        attested
            .send(&under(&researcher, &pinned, &misworded, &domain))
            .await,
        403,
        "it says trait Type 2 diabetes, the file Breast cancer",
    );

    // A descriptor that is not the one the request's scope hashes: refused before the gate.
    let mut swapped = under(
        &researcher,
        &lookup(50_326_000, 50_326_100),
        &lookups,
        &domain,
    );
    swapped.submission.descriptor = counts.clone();
    refused(
        attested.send(&swapped).await,
        403,
        "the analysis descriptor hashes to scope",
    );

    // Every outside-scope refusal is in the owner's audit log, with what was asked.
    let log = audit(&chain, &vault, &owner).await.unwrap();
    let outside = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| {
            e["action"] == "query-refused"
                && e["detail"].as_str().unwrap().contains("outside the grant")
        })
        .count();
    assert_eq!(outside, 6, "{log}");
}
