//! Researchers' queries on a running vault: consented ones run and answer sealed, with receipts the vault
//! signs and anchors; anything without live consent does not run, and the owner reads what happened.

use std::{path::Path, sync::Arc, time::Duration};

use alloy::{
    primitives::{Address, B256, U256, keccak256},
    signers::{Signer, local::PrivateKeySigner},
    sol_types::SolStruct,
};
use dnavault_attest::Verifier;
use dnavault_genome::{Genome, lookup, prs, score::ScoringFile};
use dnavault_protocol::{
    GrantRecord, QueryApproval,
    audit::SealedAuditLog,
    eip712::registry_domain,
    header::SignedHeader,
    owner_read::SignedOwnerRead,
    query::{
        AlleleCounts, BeaconAllele, GenotypeLookup, OwnerApproval, PolygenicScore, Position, Query,
        QueryKind, QuerySubmission, Region,
    },
};
use dnavault_ratls::{Client, Pin, RatlsError};
use dnavault_researcher::{
    AttestedVault, Chain, ResearchError, Researcher, Terms,
    fanout::{Target, fan_out, total_allele_counts},
};
use dnavault_testkit::TestChain;
use dnavault_wallet::audit::AuditRead;
use serde_json::{Value, json};

use dnavault_tests::{IntoValue, VaultProcess, WalletCli, boot_with, chain_with_vault, testdata};

use crate::grants::{self, terms_for};

/// The vault's serve flags in these tests: fast polls, fast anchoring, a short staleness limit.
pub(crate) const FAST: &[&str] = &[
    "--consent-poll-ms",
    "100",
    "--consent-max-staleness",
    "2",
    "--anchor-interval",
    "1",
];

pub(crate) const GENOME: &str = "vcf/real/chr22.HG00096.vcf.gz";

/// PGS000001's harmonized scoring file (GRCh37): none of its variants is in the chr22 excerpt.
const PGS000001: &str = "pgs/PGS000001_hmPOS_GRCh37.txt";

/// A researcher's own scoring file over the excerpt: three variants it holds, one it lacks.
pub(crate) const SCORING: &str = "#pgs_id=PGS900001\n#trait_reported=test trait\n#genome_build=GRCh37\n\
    rsID\tchr_name\tchr_position\teffect_allele\tother_allele\teffect_weight\n\
    rs149266090\t22\t50326116\tT\tC\t0.5\nrs28695790\t22\t50351413\tT\tC\t-0.25\n\
    rs28465520\t22\t50353917\tC\tG\t1.5\nrs0\t22\t1\tA\tG\t9\n";

/// A booted vault holding HG00096's chr22 excerpt and its index, its key bound on-chain and funded.
pub(crate) async fn vault_with_genome(chain: &TestChain, dir: &Path) -> (VaultProcess, WalletCli) {
    vault_with_genome_serving(chain, dir, FAST).await
}

/// [`vault_with_genome`], served with `flags` instead of [`FAST`].
pub(crate) async fn vault_with_genome_serving(
    chain: &TestChain,
    dir: &Path,
    flags: &[&str],
) -> (VaultProcess, WalletCli) {
    let files = [testdata(GENOME), testdata(&format!("{GENOME}.tbi"))];
    vault_with_files(chain, dir, &files, flags).await
}

/// A booted vault holding `files`, served with `flags`, its key bound on-chain by the wallet's
/// `boot --bind-key`, and funded.
async fn vault_with_files(
    chain: &TestChain,
    dir: &Path,
    files: &[std::path::PathBuf],
    flags: &[&str],
) -> (VaultProcess, WalletCli) {
    let (vault, wallet) = booted_bound_and_funded(chain, dir, flags).await;
    for file in files {
        let run = wallet.upload(chain, &vault, file);
        assert!(run.ok, "{}", run.stderr);
    }
    (vault, wallet)
}

/// A vault on `dir`'s data directory (new, or one that ran there before), served with `flags` and booted
/// by the owner's wallet, its key bound on-chain by `boot --bind-key`, and funded.
pub(crate) async fn booted_bound_and_funded(
    chain: &TestChain,
    dir: &Path,
    flags: &[&str],
) -> (VaultProcess, WalletCli) {
    let (vault, wallet) =
        tokio::task::block_in_place(|| boot_with(chain, dir, flags, &["boot", "--bind-key"]));
    let status: Value = Client::new(&vault.url, Pin::Spki(vault.tls_spki))
        .unwrap()
        .get("v1/status")
        .await
        .unwrap()
        .value;
    let key: Address = status["vaultKey"].as_str().unwrap().parse().unwrap();
    assert!(
        chain
            .registry()
            .isActiveVaultKey(U256::from(1), key)
            .call()
            .await
            .unwrap(),
        "boot --bind-key bound {key}"
    );
    chain.fund(key, 1).await.unwrap();
    (vault, wallet)
}

/// A researcher (Anvil account 2) granted every query kind on vault 1 (lookups and counts over the test
/// panel, Beacon counts anywhere, scores from [`SCORING`] and PGS000001), and an attested connection to it.
pub(crate) async fn granted_everything(
    chain: &TestChain,
    owner: &PrivateKeySigner,
    vault: &VaultProcess,
) -> (Researcher, Chain, AttestedVault) {
    let researcher = Researcher::new(chain.signer(2));
    let pgs = std::fs::read_to_string(testdata(PGS000001)).unwrap();
    let scores = [grants::score(SCORING), grants::score(&pgs)];
    let kinds = [
        QueryKind::GenotypeLookup,
        QueryKind::AlleleCounts,
        QueryKind::BeaconAllele,
    ];
    for descriptor in kinds.map(grants::descriptor).into_iter().chain(scores) {
        grant_scope(
            chain,
            owner,
            researcher.address(),
            descriptor.scope(),
            false,
        )
        .await;
    }
    vault.synced_with(chain).await;
    let (client, attested) = connect(chain, vault).await;
    (researcher, client, attested)
}

/// The owner's consent to one researcher on vault 1: each grant and revocation is waited for until the vault
/// has seen it.
struct Consent<'a> {
    chain: &'a TestChain,
    owner: &'a PrivateKeySigner,
    vault: &'a VaultProcess,
    researcher: Address,
}

impl Consent<'_> {
    /// Grants `kind` over the test panel.
    async fn grant(&self, kind: QueryKind, per_query: bool) {
        let scope = grants::descriptor(kind).scope();
        grant_scope(self.chain, self.owner, self.researcher, scope, per_query).await;
        self.vault.synced_with(self.chain).await;
    }

    async fn revoke(&self, kind: QueryKind) {
        let scope = grants::descriptor(kind).scope();
        self.chain
            .revoke(self.owner, U256::from(1), self.researcher, scope)
            .await
            .unwrap();
        self.vault.synced_with(self.chain).await;
    }
}

/// Grants `researcher` `scope` on vault 1 for an hour, general research use.
pub(crate) async fn grant_scope(
    chain: &TestChain,
    owner: &PrivateKeySigner,
    researcher: Address,
    scope: B256,
    per_query: bool,
) {
    let now = chain.latest_timestamp().await.unwrap();
    let record = GrantRecord {
        expiry: now + 3600,
        purpose: dnavault_protocol::purpose::Purpose::parse("DUO:0000042")
            .unwrap()
            .to_bytes16(),
        perQueryApproval: per_query,
        revoked: false,
        maxQueries: 0,
        epoch: 0,
    };
    chain
        .grant(owner, U256::from(1), researcher, scope, &record)
        .await
        .unwrap();
}

/// The researcher's chain client and an attested connection to vault 1.
pub(crate) async fn connect(chain: &TestChain, vault: &VaultProcess) -> (Chain, AttestedVault) {
    let client = Chain::connect(chain.endpoint_url().as_str(), chain.registry_address())
        .await
        .unwrap();
    let attested = AttestedVault::connect(&vault.url, 1, &client, &verifier(vault))
        .await
        .unwrap();
    (client, attested)
}

pub(crate) fn verifier(vault: &VaultProcess) -> Verifier {
    let pem = std::fs::read(&vault.roots).unwrap();
    dnavault_attest::vault::verifier(Some(&pem), dnavault_attest::Policy::default()).unwrap()
}

/// An allele-counts query at (chromosome, position) pairs.
pub(crate) fn allele_counts(positions: &[(&str, u64)]) -> Query {
    Query::AlleleCounts(AlleleCounts {
        positions: positions
            .iter()
            .map(|(chrom, pos)| Position {
                chrom: (*chrom).to_owned(),
                pos: *pos,
            })
            .collect(),
    })
}

/// Asserts the vault refused with `status` and a message containing `needle`.
pub(crate) fn refused<T: std::fmt::Debug>(
    result: Result<T, ResearchError>,
    status: u16,
    needle: &str,
) {
    let (found, message) = refusal(result.unwrap_err());
    assert_eq!(
        (found, message.contains(needle)),
        (status, true),
        "{message}"
    );
}

/// The vault's refusal: its HTTP status and message.
pub(crate) fn refusal(error: ResearchError) -> (u16, String) {
    match error {
        ResearchError::Vault(RatlsError::Status {
            status, message, ..
        }) => (status, message),
        other => panic!("expected the vault's refusal, got: {other}"),
    }
}

/// The researcher's answered, opened result of `query`, as JSON.
pub(crate) async fn answer(
    vault: &AttestedVault,
    researcher: &Researcher,
    query: &Query,
    chain: &Chain,
) -> Value {
    match vault.ask(researcher, query, &terms_for(query), chain).await {
        Ok(opened) => opened.result.into_value(),
        Err(error) => panic!("{} was not answered: {error}", query.kind()),
    }
}

pub(crate) fn plaintext_lookup(query: &lookup::Query) -> Vec<Value> {
    let mut genome = Genome::open(&testdata(GENOME), None).unwrap();
    lookup::lookup(&mut genome, query)
        .map(|v| serde_json::to_value(v.unwrap()).unwrap())
        .collect()
}

/// The owner's audit log's first page, read with a signed `OwnerRead`.
pub(crate) async fn audit(
    chain: &TestChain,
    vault: &VaultProcess,
    signer: &PrivateKeySigner,
) -> Result<Value, RatlsError> {
    audit_at(chain, vault, signer, "v1/audit").await
}

/// The owner's audit log at `path` (`v1/audit?...`), read with a signed `OwnerRead`.
pub(crate) async fn audit_at(
    chain: &TestChain,
    vault: &VaultProcess,
    signer: &PrivateKeySigner,
    path: &str,
) -> Result<Value, RatlsError> {
    // The vault checks the deadline against its own clock (the chain's may be moved ahead in tests).
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let deployment = dnavault_wallet::explain::Deployment {
        chain_id: chain.chain_id(),
        registry: chain.registry_address(),
    };
    let read = AuditRead::sign(signer, deployment, 1, now).await.unwrap();
    let (name, value) = read.header();
    let sealed = Client::new(&vault.url, Pin::Spki(vault.tls_spki))
        .unwrap()
        .get_with::<SealedAuditLog>(path, &[(name, value.to_owned())])
        .await?
        .value;
    Ok(serde_json::to_value(read.open(&sealed).unwrap()).unwrap())
}

#[tokio::test(flavor = "multi_thread")]
async fn consented_queries_answer_sealed_with_anchored_receipts() {
    let (chain, _seed, owner) = chain_with_vault().await;
    let dir = tempfile::tempdir().unwrap();
    let (mut vault, wallet) = vault_with_genome(&chain, dir.path()).await;
    let (researcher, client, attested) = granted_everything(&chain, &owner, &vault).await;

    // Genotypes by region (through the encrypted index) and by rsID equal the plaintext file's.
    let regions = vec![
        Region {
            chrom: "22".into(),
            start: 50_300_078,
            end: 50_400_000,
        },
        Region {
            chrom: "22".into(),
            start: 51_000_000,
            end: 51_100_000,
        },
    ];
    let query = Query::GenotypeLookup(GenotypeLookup {
        regions: regions.clone(),
        rsids: vec![],
    });
    let result = answer(&attested, &researcher, &query, &client).await;
    let spans = regions
        .iter()
        .map(|r| lookup::Span {
            start: r.start,
            end: r.end,
        })
        .collect();
    let expected = plaintext_lookup(&lookup::Query::Regions([("22".to_owned(), spans)].into()));
    assert!(expected.len() > 100);
    assert_eq!(result["variants"].as_array().unwrap(), &expected);
    let rsids = vec![
        "rs7410291".to_owned(),
        "rs28695790".to_owned(),
        "rs0".to_owned(),
    ];
    let query = Query::GenotypeLookup(GenotypeLookup {
        regions: vec![],
        rsids: rsids.clone(),
    });
    let result = answer(&attested, &researcher, &query, &client).await;
    let expected = plaintext_lookup(&lookup::Query::Ids(rsids.into_iter().collect()));
    assert_eq!(expected.len(), 2);
    assert_eq!(result["variants"].as_array().unwrap(), &expected);
    assert_eq!(result["variants"][1]["gt"], "1|1");

    // Allele counts: one record per queried start, counts from the genotype.
    let query = allele_counts(&[("22", 50_326_116), ("22", 50_351_413), ("22", 1)]);
    let result = answer(&attested, &researcher, &query, &client).await;
    assert_eq!(
        result,
        json!({"sites": [
            {"chrom": "22", "pos": 50_326_116, "alleles": ["C", "T"], "counts": [1, 1], "called": 2},
            {"chrom": "22", "pos": 50_351_413, "alleles": ["C", "T"], "counts": [0, 2], "called": 2},
        ]})
    );

    // Beacon v2: the request and the answers validate against the GA4GH schemas.
    for (alternate, granularity, exists, count) in [
        ("T", "count", true, 1),
        ("G", "count", false, 0),
        ("T", "boolean", true, 1),
    ] {
        let request = json!({
            "meta": {"apiVersion": "2.0"},
            "query": {
                "requestParameters": {
                    "referenceName": "22", "start": [50_351_412], "referenceBases": "C",
                    "alternateBases": alternate, "assemblyId": "GRCh37"
                },
                "requestedGranularity": granularity
            }
        });
        crate::schemas::assert_valid_request(&request);
        let query = Query::BeaconAllele(Box::new(BeaconAllele {
            request: serde_json::from_value(request).unwrap(),
        }));
        let answer = answer(&attested, &researcher, &query, &client).await;
        let schema = match granularity {
            "count" => "framework/json/responses/beaconCountResponse.json",
            _ => "framework/json/responses/beaconBooleanResponse.json",
        };
        crate::schemas::assert_valid(schema, &answer);
        assert_eq!(answer["responseSummary"]["exists"], exists, "{answer}");
        assert_eq!(answer["meta"]["returnedGranularity"], granularity);
        if granularity == "count" {
            assert_eq!(answer["responseSummary"]["numTotalResults"], count);
        }
    }

    // A polygenic score from a researcher's scoring file equals the plaintext one; PGS000001 itself has no
    // variant in this excerpt, and says so.
    let scoring = SCORING;
    let query = Query::PolygenicScore(PolygenicScore {
        scoring_file: scoring.into(),
    });
    let result = answer(&attested, &researcher, &query, &client).await;
    let mut genome = Genome::open(&testdata(GENOME), None).unwrap();
    let mut expected = prs::score(
        &mut genome,
        &ScoringFile::parse(Path::new("scoringFile"), scoring).unwrap(),
    )
    .unwrap();
    assert_eq!(expected.sample.as_deref(), Some("HG00096"));
    assert!(result.get("sample").is_none(), "a vault names no sample");
    expected.sample = None;
    assert_eq!(result, serde_json::to_value(&expected).unwrap());
    assert_eq!(result["variants_matched"], 3);
    assert_eq!(result["variants_missing"], 1);
    let pgs = std::fs::read_to_string(testdata(PGS000001)).unwrap();
    let query = Query::PolygenicScore(PolygenicScore { scoring_file: pgs });
    let result = answer(&attested, &researcher, &query, &client).await;
    assert_eq!(result["pgs_id"], "PGS000001");
    assert_eq!(result["variants_total"], 77);
    assert_eq!(result["variants_matched"], 0);

    // The fan-out adds up allele counts over the vaults that answered and names the ones that did not.
    let targets = [
        Target {
            vault_id: 1,
            url: vault.url.clone(),
        },
        Target {
            vault_id: 2,
            url: vault.url.clone(),
        },
    ];
    let query = allele_counts(&[("22", 50_351_413)]);
    let outcomes = fan_out(
        Arc::new(Researcher::new(chain.signer(2))),
        &client,
        Arc::new(verifier(&vault)),
        &targets,
        &query,
        &terms_for(&query),
    )
    .await;
    assert!(outcomes[0].result.is_some(), "{:?}", outcomes[0]);
    let refused = outcomes[1].refused.as_deref().unwrap();
    assert!(refused.contains("not vault 2"), "{refused}");
    let totals = total_allele_counts(&outcomes).unwrap();
    assert_eq!(totals.len(), 1);
    assert_eq!(
        (totals[0].counts.clone(), totals[0].vaults),
        (vec![0, 2], 1)
    );

    // The same through the researcher's CLI.
    let files = tempfile::tempdir().unwrap();
    let key = files.path().join("key");
    std::fs::write(&key, alloy::hex::encode(chain.signer(2).to_bytes())).unwrap();
    let vaults = files.path().join("vaults");
    std::fs::write(&vaults, format!("1 {}\n2 {}\n", vault.url, vault.url)).unwrap();
    let positions = files.path().join("positions");
    std::fs::write(&positions, "22\t50351413\n22\t50326116\n").unwrap();
    let counts_grant = files.path().join("counts.json");
    let descriptor = grants::descriptor(QueryKind::AlleleCounts);
    std::fs::write(&counts_grant, serde_json::to_string(&descriptor).unwrap()).unwrap();
    let output = std::process::Command::new(dnavault_tests::binary("dnavault-researcher"))
        .args(["fan-out", "--rpc-url", chain.endpoint_url().as_str()])
        .args(["--registry", &chain.registry_address().to_string()])
        .arg("--accept-test-platform")
        .arg(&vault.roots)
        .arg("--key-file")
        .arg(&key)
        .arg("--vaults")
        .arg(&vaults)
        .arg("--allele-counts")
        .arg(&positions)
        .arg("--descriptor")
        .arg(&counts_grant)
        .args(["--purpose", "GRU"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        (report["answered"].as_u64(), report["refused"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(report["totals"][0]["pos"], 50_326_116);
    assert_eq!(report["totals"][0]["counts"], json!([1, 1]));
    assert_eq!(report["totals"][1]["counts"], json!([0, 2]));

    // Every receipt is anchored on-chain in batches, and the owner's audit log lists each query.
    let log = wait_for_anchors(&chain, &mut vault, &owner, 10).await;
    let receipts = log["receipts"].as_array().unwrap();
    assert_eq!(receipts.len(), 10);
    for receipt in receipts {
        let batch: B256 = receipt["batch"].as_str().unwrap().parse().unwrap();
        let block = chain.registry().anchoredAt(batch).call().await.unwrap();
        assert_eq!(
            block,
            U256::from(receipt["anchoredBlock"].as_u64().unwrap())
        );
    }
    crate::schemas::assert_valid_openapi("AuditLog", &log);
    let queries: Vec<&Value> = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "query")
        .collect();
    assert_eq!(queries.len(), 10);
    let researcher_address = researcher.address().to_string();
    assert!(
        queries
            .iter()
            .all(|e| e["actor"] == researcher_address.as_str())
    );
    assert!(
        log["entries"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "anchor")
    );

    // The owner reads the same with the wallet.
    let run = tokio::task::block_in_place(|| wallet.owner(&chain, &vault, &["audit"]));
    assert!(run.ok, "{}", run.stderr);
    assert!(
        run.stdout.contains("10 receipts, 10 anchored on-chain"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains(&format!("query             {researcher_address}")),
        "{}",
        run.stdout
    );
}

/// Polls the owner's audit log until `count` receipts are anchored (up to 20 s).
async fn wait_for_anchors(
    chain: &TestChain,
    vault: &mut VaultProcess,
    owner: &PrivateKeySigner,
    count: usize,
) -> Value {
    for _ in 0..200 {
        let log = audit(chain, vault, owner).await.unwrap();
        let anchored = log["receipts"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| !r["anchoredBlock"].is_null())
            .count();
        if anchored >= count {
            return log;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = vault.child.kill();
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut vault.child.stderr.take().unwrap(), &mut stderr).unwrap();
    panic!("receipts not anchored; the vault logged:\n{stderr}")
}

#[tokio::test(flavor = "multi_thread")]
async fn queries_without_live_consent_do_not_run() {
    let (chain, _seed, owner) = chain_with_vault().await;
    let dir = tempfile::tempdir().unwrap();
    let (vault, wallet) = vault_with_genome(&chain, dir.path()).await;
    let researcher = Researcher::new(chain.signer(2));
    let consent = Consent {
        chain: &chain,
        owner: &owner,
        vault: &vault,
        researcher: researcher.address(),
    };
    let client = Chain::connect(chain.endpoint_url().as_str(), chain.registry_address())
        .await
        .unwrap();
    let domain = client.domain();
    let attested = AttestedVault::connect(&vault.url, 1, &client, &verifier(&vault))
        .await
        .unwrap();
    let lookup = Query::GenotypeLookup(GenotypeLookup {
        regions: vec![],
        rsids: vec!["rs7410291".into()],
    });
    let counts = allele_counts(&[("22", 50_300_078)]);

    // Every documented route is served (a refusal, not a 404 or 405, for requests without credentials).
    let raw = Client::new(&vault.url, Pin::Spki(vault.tls_spki)).unwrap();
    let empty = dir.path().join("empty");
    std::fs::write(&empty, b"").unwrap();
    for route in dnavault_vault::api::routes() {
        let (method, path) = (route.method.as_str(), route.path);
        let path = path.trim_start_matches('/').replace("{id}", "x.vcf");
        let answer = match method {
            "GET" => raw.get::<Value>(&path).await.map(|_| ()),
            "POST" => raw.post::<_, Value>(&path, &json!({})).await.map(|_| ()),
            _ => raw.put_file::<Value>(&path, &[], &empty).await.map(|_| ()),
        };
        match answer {
            Ok(()) => {}
            Err(RatlsError::Status { status, .. }) => {
                assert!(![404, 405].contains(&status), "{method} {path}: {status}");
            }
            Err(other) => panic!("{method} {path}: {other}"),
        }
    }
    // And nothing else: an undocumented path is not found, an undocumented method not allowed.
    for (path, status) in [("v1/secrets", 404), ("v1/queries", 405)] {
        match raw.get::<Value>(path).await {
            Err(RatlsError::Status { status: found, .. }) => assert_eq!(found, status, "{path}"),
            other => panic!("GET {path}: {other:?}"),
        }
    }

    // No grant at all.
    refused(
        attested
            .ask(&researcher, &lookup, &terms_for(&lookup), &client)
            .await,
        403,
        "no grant",
    );

    consent.grant(QueryKind::GenotypeLookup, false).await;
    answer(&attested, &researcher, &lookup, &client).await;

    // A grant for lookups does not run allele counts.
    refused(
        attested
            .ask(&researcher, &counts, &terms_for(&counts), &client)
            .await,
        403,
        "no grant",
    );

    // A query of another kind than its grant's descriptor allows: refused, and the owner's log says so.
    let prepared = researcher
        .prepare(1, &lookup, &terms_for(&lookup), &domain, 300)
        .unwrap();
    let mut request = prepared.submission.signed.request.clone();
    let text = QuerySubmission::query_text(&counts).unwrap();
    request.queryHash = keccak256(text.get().as_bytes());
    let mislabeled = researcher.sign(request, text, &prepared.submission.descriptor, &domain);
    refused(
        attested.send(&mislabeled).await,
        403,
        "the grant allows genotype-lookup queries, not allele-counts",
    );

    // The query sent is not the one signed.
    let mut tampered = researcher
        .prepare(1, &lookup, &terms_for(&lookup), &domain, 300)
        .unwrap();
    tampered.submission.query =
        QuerySubmission::query_text(&Query::GenotypeLookup(GenotypeLookup {
            regions: vec![],
            rsids: vec!["rs28695790".into()],
        }))
        .unwrap();
    refused(attested.send(&tampered).await, 400, "commits to");

    // Replayed: the same signed request runs once.
    let once = researcher
        .prepare(1, &lookup, &terms_for(&lookup), &domain, 300)
        .unwrap();
    attested.send(&once).await.unwrap();
    refused(attested.send(&once).await, 409, "replayed");

    // Expired, signed by someone else, for another chain's registry.
    let expired = {
        let fresh = researcher
            .prepare(1, &lookup, &terms_for(&lookup), &domain, 300)
            .unwrap();
        let mut request = fresh.submission.signed.request.clone();
        request.deadline = U256::from(1_000);
        researcher.sign(
            request,
            fresh.submission.query,
            &fresh.submission.descriptor,
            &domain,
        )
    };
    refused(attested.send(&expired).await, 403, "expired");
    let mut forged = researcher
        .prepare(1, &lookup, &terms_for(&lookup), &domain, 300)
        .unwrap();
    forged.submission.signed.request.researcher = chain.signer(3).address();
    refused(attested.send(&forged).await, 403, "not signed by");
    let other_chain = registry_domain(1, chain.registry_address());
    let wrong_chain = researcher
        .prepare(1, &lookup, &terms_for(&lookup), &other_chain, 300)
        .unwrap();
    refused(attested.send(&wrong_chain).await, 403, "not signed by");

    // A result sealed to the researcher does not open for anyone else.
    let prepared = researcher
        .prepare(1, &lookup, &terms_for(&lookup), &domain, 300)
        .unwrap();
    let answer = attested.send(&prepared).await.unwrap();
    let stranger = Researcher::new(chain.signer(3));
    let error = stranger.open(&prepared, &answer, &domain).unwrap_err();
    assert!(error.to_string().contains("does not open"), "{error}");
    let mut swapped = answer.clone();
    swapped.result = answer
        .result
        .iter()
        .rev()
        .copied()
        .collect::<Vec<u8>>()
        .into();
    let error = researcher.open(&prepared, &swapped, &domain).unwrap_err();
    assert!(error.to_string().contains("another result"), "{error}");
    researcher.open(&prepared, &answer, &domain).unwrap();

    // A grant that asks for the owner's approval of each query: none, the researcher's own, then the owner's.
    consent.grant(QueryKind::AlleleCounts, true).await;
    refused(
        attested
            .ask(&researcher, &counts, &terms_for(&counts), &client)
            .await,
        403,
        "approval",
    );
    let mut approved = researcher
        .prepare(1, &counts, &terms_for(&counts), &domain, 300)
        .unwrap();
    let approval = QueryApproval {
        vaultId: U256::from(1),
        requestHash: approved.request_hash,
        deadline: approved.submission.signed.request.deadline,
    };
    let digest = approval.eip712_signing_hash(&domain);
    let by_researcher = chain.signer(2).sign_hash(&digest).await.unwrap();
    approved.submission.signed.owner_approval = Some(OwnerApproval {
        approval: approval.clone(),
        signature: by_researcher.as_bytes().to_vec().into(),
    });
    refused(
        attested.send(&approved).await,
        403,
        "not signed by the vault's owner",
    );
    let by_owner = owner.sign_hash(&digest).await.unwrap();
    approved.submission.signed.owner_approval = Some(OwnerApproval {
        approval,
        signature: by_owner.as_bytes().to_vec().into(),
    });
    attested.send(&approved).await.unwrap();

    // Revoked on-chain: the next query after the cache's next poll is refused.
    consent.revoke(QueryKind::GenotypeLookup).await;
    refused(
        attested
            .ask(&researcher, &lookup, &terms_for(&lookup), &client)
            .await,
        403,
        "revoked",
    );

    // Expired by chain time.
    consent.grant(QueryKind::GenotypeLookup, false).await;
    attested
        .ask(&researcher, &lookup, &terms_for(&lookup), &client)
        .await
        .unwrap();
    chain.advance_time(7200).await.unwrap();
    vault.synced_with(&chain).await;
    refused(
        attested
            .ask(&researcher, &lookup, &terms_for(&lookup), &client)
            .await,
        403,
        "expired",
    );

    // The owner reads every refusal of a signed request; no one else reads the log.
    let log = audit(&chain, &vault, &owner).await.unwrap();
    let refusals: Vec<&str> = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "query-refused")
        .map(|e| e["detail"].as_str().unwrap())
        .collect();
    assert!(
        refusals.iter().any(|d| d.contains("revoked")),
        "{refusals:?}"
    );
    assert!(
        refusals.iter().any(|d| d.contains("no grant")),
        "{refusals:?}"
    );
    let error = audit(&chain, &vault, &chain.signer(2)).await.unwrap_err();
    assert!(
        error.to_string().contains("not signed by vault 1's owner"),
        "{error}"
    );
    let error = Client::new(&vault.url, Pin::Spki(vault.tls_spki))
        .unwrap()
        .get::<Value>("v1/audit")
        .await
        .unwrap_err();
    assert!(
        matches!(error, RatlsError::Status { status: 401, .. }),
        "{error}"
    );
    let error = Client::new(&vault.url, Pin::Spki(vault.tls_spki))
        .unwrap()
        .get_with::<Value>("v1/audit", &[(SignedOwnerRead::HEADER, "zz".into())])
        .await
        .unwrap_err();
    assert!(
        matches!(&error, RatlsError::Status { status: 401, message, check: Some(check), .. }
            if message.contains("the x-dnavault-owner header is not hex") && check == "owner"),
        "{error}"
    );

    // A file of several people: the vault answers for one, and says why it cannot.
    consent.grant(QueryKind::GenotypeLookup, false).await;
    let many = testdata("vcf/real/chr22.vcf.gz");
    let run = wallet.upload(&chain, &vault, &many);
    assert!(run.ok, "{}", run.stderr);
    vault.synced_with(&chain).await;
    refused(
        attested
            .ask(&researcher, &lookup, &terms_for(&lookup), &client)
            .await,
        409,
        "`chr22.vcf.gz` holds 5 samples",
    );
    let log = audit(&chain, &vault, &owner).await.unwrap();
    assert!(
        log["entries"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "query-failed"),
        "{log}"
    );

    // The chain goes away: once the cache is stale, nothing runs.
    let stale = researcher
        .prepare(1, &lookup, &terms_for(&lookup), &domain, 300)
        .unwrap();
    drop(chain);
    // Staleness is time without a successful read: the vault's limit here is 2 s.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    refused(
        attested.send(&stale).await,
        503,
        "consent cannot be checked",
    );
}

/// A 23andMe file: HG00096's calls at a few chr22 sites of the excerpt, a no-call and a site it lacks.
const TWENTY_THREE: &str = "# This data file generated by 23andMe at: Mon Jan 01 00:00:00 2024\n\
# rsid\tchromosome\tposition\tgenotype\n\
rs149266090\t22\t50326116\tCT\n\
rs28695790\t22\t50351413\tTT\n\
i7000001\t22\t50352000\t--\n\
rs5939319\tX\t2700157\tG\n";

#[tokio::test(flavor = "multi_thread")]
async fn raw_genotype_files_answer_lookups_counts_and_beacon() {
    let (chain, _seed, owner) = chain_with_vault().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("genome_23andme.txt");
    std::fs::write(&file, TWENTY_THREE).unwrap();
    let (vault, _wallet) = vault_with_files(&chain, dir.path(), &[file], FAST).await;
    let (researcher, client, attested) = granted_everything(&chain, &owner, &vault).await;

    let by_id = Query::GenotypeLookup(GenotypeLookup {
        regions: vec![],
        rsids: vec!["rs28695790".into()],
    });
    let result = answer(&attested, &researcher, &by_id, &client).await;
    assert_eq!(
        result,
        json!({"variants": [], "calls": [
            {"chrom": "22", "pos": 50_351_413, "id": "rs28695790", "genotype": "TT"},
        ]})
    );
    // A vendor's own id (not an rsID, so no panel names it) is found by its position; a no-call says so.
    let no_call = crate::descriptors::lookup(50_351_413, 50_352_000);
    let result = answer(&attested, &researcher, &no_call, &client).await;
    assert_eq!(
        result,
        json!({"variants": [], "calls": [
            {"chrom": "22", "pos": 50_351_413, "id": "rs28695790", "genotype": "TT"},
            {"chrom": "22", "pos": 50_352_000, "id": "i7000001", "genotype": "--"},
        ]})
    );
    let by_region = Query::GenotypeLookup(GenotypeLookup {
        regions: vec![Region {
            chrom: "chr22".into(),
            start: 50_326_000,
            end: 50_340_000,
        }],
        rsids: vec![],
    });
    let result = answer(&attested, &researcher, &by_region, &client).await;
    assert_eq!(result["calls"][0]["id"], "rs149266090");
    assert_eq!(result["calls"].as_array().unwrap().len(), 1);

    let counts = allele_counts(&[
        ("22", 50_326_116),
        ("22", 50_351_413),
        ("22", 50_352_000),
        ("X", 2_700_157),
    ]);
    let result = answer(&attested, &researcher, &counts, &client).await;
    assert_eq!(
        result,
        json!({"sites": [
            {"chrom": "22", "pos": 50_326_116, "alleles": ["C", "T"], "counts": [1, 1], "called": 2},
            {"chrom": "22", "pos": 50_351_413, "alleles": ["T"], "counts": [2], "called": 2},
            {"chrom": "X", "pos": 2_700_157, "alleles": ["G"], "counts": [1], "called": 1},
        ]})
    );

    for (alternate, exists) in [("T", true), ("A", false)] {
        let query = Query::BeaconAllele(Box::new(BeaconAllele {
            request: serde_json::from_value(json!({
                "meta": {"apiVersion": "2.0"},
                "query": {
                    "requestParameters": {
                        "referenceName": "22", "start": [50_326_115], "alternateBases": alternate
                    },
                    "requestedGranularity": "boolean"
                }
            }))
            .unwrap(),
        }));
        let answer = answer(&attested, &researcher, &query, &client).await;
        crate::schemas::assert_valid(
            "framework/json/responses/beaconBooleanResponse.json",
            &answer,
        );
        assert_eq!(answer["responseSummary"]["exists"], exists, "{alternate}");
    }

    let score = Query::PolygenicScore(PolygenicScore {
        scoring_file: std::fs::read_to_string(testdata(PGS000001)).unwrap(),
    });
    refused(
        attested
            .ask(&researcher, &score, &terms_for(&score), &client)
            .await,
        409,
        "polygenic scores and analysis tools run on a VCF or BCF genome",
    );
}

/// A researcher (Anvil account 2) granted allele counts on vault 1 and connected to it, with one query
/// inside the grant: what the tests of the vault's view of the chain ask, again and again.
pub(crate) struct OneQuery {
    pub(crate) researcher: Researcher,
    pub(crate) scope: B256,
    client: Chain,
    attested: AttestedVault,
    query: Query,
    terms: Terms,
}

impl OneQuery {
    /// Grants it, waits for the vault to read the grant, and connects.
    pub(crate) async fn granted(
        chain: &TestChain,
        owner: &PrivateKeySigner,
        vault: &VaultProcess,
    ) -> Self {
        let researcher = Researcher::new(chain.signer(2));
        let scope = grants::descriptor(QueryKind::AlleleCounts).scope();
        grant_scope(chain, owner, researcher.address(), scope, false).await;
        vault.synced_with(chain).await;
        let (client, attested) = connect(chain, vault).await;
        let query = allele_counts(&[("22", 50_326_116)]);
        let terms = terms_for(&query);
        Self {
            researcher,
            scope,
            client,
            attested,
            query,
            terms,
        }
    }

    /// Its submission, signed by `researcher` (another than the granted one, to forge a stranger's).
    pub(crate) fn prepared(&self, researcher: &Researcher) -> QuerySubmission {
        researcher
            .prepare(1, &self.query, &self.terms, &self.client.domain(), 300)
            .unwrap()
            .submission
    }

    /// Asks it once.
    pub(crate) async fn ask(&self) -> Result<dnavault_researcher::Opened, ResearchError> {
        self.attested
            .ask(&self.researcher, &self.query, &self.terms, &self.client)
            .await
    }
}
