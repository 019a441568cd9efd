//! The owner's audit read: refusals of a flood of signed requests are recorded one by one only up to a bound
//! (the rest counted), the log is read a page at a time, and a log the host edits is caught by the owner's
//! wallet and by the vault at its next boot. Every page is sealed to the key its read names: it opens for that
//! read only, and a carrier that alters or replays pages is caught.

use dnavault_protocol::{header::SignedHeader, query::SignedQuery};
use dnavault_ratls::{Client, Pin};
use dnavault_researcher::Researcher;
use dnavault_tests::chain_with_vault;
use serde_json::Value;

use crate::query::{FAST, OneQuery, audit, audit_at, refusal, vault_with_genome};

/// A sealed page opens for the read that asked and no other; a flipped byte, a page relabelled for another
/// vault, a replayed page that does not move on and a read naming no key are all refused.
#[tokio::test(flavor = "multi_thread")]
async fn a_sealed_page_opens_only_for_the_read_that_asked() {
    use alloy::{
        primitives::{B256, U256},
        signers::Signer,
        sol_types::SolStruct,
    };
    use dnavault_protocol::{
        audit::SealedAuditLog,
        eip712::registry_domain,
        owner_read::{OwnerRead, SignedOwnerRead},
    };
    use dnavault_wallet::{
        audit::{AuditCheckError, AuditRead},
        explain::Deployment,
    };

    let (chain, _seed, owner) = chain_with_vault().await;
    let dir = tempfile::tempdir().unwrap();
    let (vault, _wallet) = vault_with_genome(&chain, dir.path()).await;
    let client = Client::new(&vault.url, Pin::Spki(vault.tls_spki)).unwrap();
    let deployment = Deployment {
        chain_id: chain.chain_id(),
        registry: chain.registry_address(),
    };
    let now = dnavault_protocol::clock::unix_now().unwrap();
    let fetch = async |read: &AuditRead, path: &str| {
        let (name, value) = read.header();
        client
            .get_with::<SealedAuditLog>(path, &[(name, value.to_owned())])
            .await
            .unwrap()
            .value
    };
    let read = AuditRead::sign(&owner, deployment, 1, now).await.unwrap();
    let page = fetch(&read, "v1/audit?limit=1").await;
    assert!(!read.open(&page).unwrap().entries.is_empty());

    let another = AuditRead::sign(&owner, deployment, 1, now).await.unwrap();
    let unopened = |result: Result<_, AuditCheckError>| {
        assert!(
            matches!(result, Err(AuditCheckError::Unopened(_))),
            "{result:?}"
        );
    };
    unopened(another.open(&page));
    let mut flipped = page.clone();
    let mut bytes = flipped.sealed.to_vec();
    bytes[40] ^= 1;
    flipped.sealed = bytes.into();
    unopened(read.open(&flipped));
    let relabelled = SealedAuditLog {
        vault_id: 2,
        ..page.clone()
    };
    unopened(read.open(&relabelled));

    // A carrier that hands back the first page for every page asked for is cut off.
    let replayed = read
        .read_all(async |_, _| Ok::<_, std::convert::Infallible>(page.clone()))
        .await;
    assert!(
        matches!(&replayed, Err(AuditCheckError::Fetch(reason)) if reason.contains("does not move on")),
        "{replayed:?}"
    );

    // A read that names no key gets nothing.
    let unkeyed = OwnerRead {
        vaultId: U256::from(1),
        what: "audit".into(),
        recipientKey: B256::ZERO,
        deadline: U256::from(now + 60),
    };
    let digest =
        unkeyed.eip712_signing_hash(&registry_domain(deployment.chain_id, deployment.registry));
    let header = SignedOwnerRead {
        read: unkeyed,
        signature: owner
            .sign_hash(&digest)
            .await
            .unwrap()
            .as_bytes()
            .to_vec()
            .into(),
    }
    .to_header();
    let error = client
        .get_with::<Value>("v1/audit", &[(SignedOwnerRead::HEADER, header)])
        .await
        .unwrap_err()
        .to_string();
    assert!(error.contains("names no key"), "{error}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_flood_of_refusals_is_bounded_and_the_log_is_read_in_pages() {
    let (chain, _seed, owner) = chain_with_vault().await;
    let dir = tempfile::tempdir().unwrap();
    let (vault, _wallet) = vault_with_genome(&chain, dir.path()).await;
    let one = OneQuery::granted(&chain, &owner, &vault).await;
    let client = Client::new(&vault.url, Pin::Spki(vault.tls_spki)).unwrap();
    // A stranger with no grant signs 25 requests: each is refused.
    let stranger = Researcher::new(chain.signer(4));
    for _ in 0..25 {
        let signed = one.prepared(&stranger).signed;
        let ahead = [(SignedQuery::HEADER, signed.to_header())];
        let refused = client
            .post_with::<_, Value>("v1/queries/ahead", &ahead, &serde_json::json!({}))
            .await;
        assert!(refused.is_err());
    }
    let log = audit(&chain, &vault, &owner).await.unwrap();
    let theirs = stranger.address().to_string();
    let recorded = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|entry| entry["actor"] == theirs.as_str() && entry["action"] == "query-refused")
        .count();
    assert_eq!(
        recorded, 10,
        "one researcher's refusals recorded one by one: 10 a minute"
    );

    // A page at a time: one entry, then the next from where it says.
    let first = audit_at(&chain, &vault, &owner, "v1/audit?limit=1")
        .await
        .unwrap();
    assert_eq!(first["entries"].as_array().unwrap().len(), 1);
    let after = first["nextEntriesAfter"].as_i64().expect("more entries");
    let path = format!("v1/audit?limit=1&entriesAfter={after}&receiptsAfter=0");
    let second = audit_at(&chain, &vault, &owner, &path).await.unwrap();
    assert_ne!(first["entries"][0], second["entries"][0]);
    assert_eq!(second["entries"][0], log["entries"][1]);
    let error = audit_at(&chain, &vault, &owner, "v1/audit?limit=many")
        .await
        .unwrap_err()
        .to_string();
    assert!(error.contains("400"), "{error}");
}

/// The host edits a query's entry in the vault's database. The owner's wallet, which derives the log's key
/// from its words, refuses the log; restarted, the vault refuses to unseal on it, because the head it anchored
/// on-chain no longer verifies. Before the edit, a restart verified the log through that head.
#[tokio::test(flavor = "multi_thread")]
async fn an_audit_log_the_host_edits_is_refused_by_the_owner_and_the_next_boot() {
    let (chain, _seed, owner) = chain_with_vault().await;
    let dir = tempfile::tempdir().unwrap();
    let (vault, wallet) = vault_with_genome(&chain, dir.path()).await;
    // Uploads alone (no receipt): the head is anchored by itself, once, and stays (anchoring it writes
    // no entry of its own, so it does not chase its own tail).
    let uploads = anchored_head(&chain, 4).await;
    assert_eq!(
        uploads.seq, 4,
        "the chain's start, the genome, the genotype index made of it, and its tabix index"
    );
    tokio::time::sleep(std::time::Duration::from_millis(2_500)).await;
    assert_eq!(anchored_head(&chain, 4).await, uploads);
    let one = OneQuery::granted(&chain, &owner, &vault).await;
    one.ask().await.unwrap();
    let anchored = anchored_head(&chain, 5).await;
    let run = tokio::task::block_in_place(|| wallet.owner(&chain, &vault, &["audit"]));
    assert!(run.ok, "{}", run.stderr);
    assert!(
        run.stdout
            .contains("verified under your key, chained and through the head anchored on-chain"),
        "{}",
        run.stdout
    );

    // A restart the owner approves verifies the log through the anchored head, and answers again.
    let data_dir = vault.data_dir.clone();
    drop(vault);
    let vault = restarted(&chain, &data_dir, &wallet);
    let one = OneQuery::granted(&chain, &owner, &vault).await;
    one.ask().await.unwrap();

    // The host rewrites what the first query was.
    let host = host(&data_dir).await;
    let edited = sqlx::query(
        "UPDATE audit SET detail = 'genotype-lookup of nothing' WHERE action = 'query' AND seq <= $1",
    )
    .bind(i64::try_from(anchored.seq).unwrap())
    .execute(&host)
    .await
    .unwrap();
    assert_eq!(edited.rows_affected(), 1);
    host.close().await;
    let run = tokio::task::block_in_place(|| wallet.owner(&chain, &vault, &["audit"]));
    assert!(!run.ok, "{}", run.stdout);
    assert!(
        run.stderr
            .contains("the vault's audit log does not verify: audit entry"),
        "{}",
        run.stderr
    );

    drop(vault);
    let again = dnavault_tests::start_vault_with(&data_dir, &chain, FAST);
    let run = tokio::task::block_in_place(|| wallet.owner(&chain, &again, &["boot"]));
    assert!(!run.ok, "{}", run.stdout);
    assert!(
        run.stderr
            .contains("the audit log was altered on the host's disk")
            && run.stderr.contains("the vault stays sealed"),
        "{}",
        run.stderr
    );
    drop(again);
}

/// The owner uploads the genome again; the host puts the first version's file back under the second's
/// name. The next query fails (the vault reads no genome but the one its audit log last recorded) and the
/// owner's log says why.
#[tokio::test(flavor = "multi_thread")]
async fn a_genome_the_host_rolls_back_is_not_read() {
    let (chain, _seed, owner) = chain_with_vault().await;
    let dir = tempfile::tempdir().unwrap();
    let (vault, wallet) = vault_with_genome(&chain, dir.path()).await;
    let one = OneQuery::granted(&chain, &owner, &vault).await;
    one.ask().await.unwrap();
    let genome = "chr22.HG00096.vcf.gz";
    let host = host(&vault.data_dir).await;
    let first = std::fs::read(object_file(&host, &vault.data_dir, genome).await).unwrap();
    let run = wallet.upload(
        &chain,
        &vault,
        &dnavault_tests::testdata(&format!("vcf/real/{genome}")),
    );
    assert!(run.ok, "{}", run.stderr);
    std::fs::write(object_file(&host, &vault.data_dir, genome).await, &first).unwrap();
    host.close().await;

    let (status, message) = refusal(one.ask().await.unwrap_err());
    assert_eq!(status, 422, "{message}");
    let log = audit(&chain, &vault, &owner).await.unwrap();
    let failed = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .find(|entry| entry["action"] == "query-failed")
        .expect("the failure is in the owner's log");
    let detail = failed["detail"].as_str().unwrap();
    assert!(
        detail.contains(&format!("object `{genome}` is revision"))
            && detail.contains("it was rolled back or replaced"),
        "{detail}"
    );
}

/// A score reads the genotype index the vault made when the genome was stored, and answers as the file does.
/// The host cannot change an answer through it: an index file replaced by another object's is refused (it
/// does not open under the index's name), and with the index's row removed the score is read from the file,
/// with the same result.
#[tokio::test(flavor = "multi_thread")]
async fn a_score_reads_the_genotype_index_and_the_host_cannot_change_it() {
    use dnavault_genome::{Genome, prs, score::ScoringFile};
    use dnavault_protocol::query::{PolygenicScore, Query};

    use crate::query::{GENOME, SCORING, answer, granted_everything};

    let (chain, _seed, owner) = chain_with_vault().await;
    let dir = tempfile::tempdir().unwrap();
    let (vault, _wallet) = vault_with_genome(&chain, dir.path()).await;
    let host = host(&vault.data_dir).await;
    let index = format!("{GENOME}.genotypes")
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();
    let genome = index.trim_end_matches(".genotypes").to_owned();
    let (kind,): (String,) = sqlx::query_as("SELECT kind FROM objects WHERE id = $1")
        .bind(&index)
        .fetch_one(&host)
        .await
        .expect("the upload made the genome's genotype index");
    assert_eq!(kind, "genotypes");
    let (researcher, client, attested) = granted_everything(&chain, &owner, &vault).await;
    let query = Query::PolygenicScore(PolygenicScore {
        scoring_file: SCORING.into(),
    });
    let mut expected = prs::score(
        &mut Genome::open(&dnavault_tests::testdata(GENOME), None).unwrap(),
        &ScoringFile::parse(std::path::Path::new("scoringFile"), SCORING).unwrap(),
    )
    .unwrap();
    expected.sample = None;
    let expected = serde_json::to_value(&expected).unwrap();
    assert_eq!(
        answer(&attested, &researcher, &query, &client).await,
        expected
    );

    // The index's file swapped for the genome's: it does not open as the index, and nothing is answered.
    let index_file = object_file(&host, &vault.data_dir, &index).await;
    let saved = std::fs::read(&index_file).unwrap();
    std::fs::copy(
        object_file(&host, &vault.data_dir, &genome).await,
        &index_file,
    )
    .unwrap();
    let refused = attested
        .ask(
            &researcher,
            &query,
            &crate::grants::terms_for(&query),
            &client,
        )
        .await;
    assert!(
        refused.is_err(),
        "answered from a swapped index: {refused:?}"
    );
    std::fs::write(&index_file, saved).unwrap();

    // The index's row removed: the score is read from the file, the same.
    sqlx::query("DELETE FROM objects WHERE id = $1")
        .bind(&index)
        .execute(&host)
        .await
        .unwrap();
    assert_eq!(
        answer(&attested, &researcher, &query, &client).await,
        expected
    );
}

/// Where the vault's metadata says object `id`'s current version is stored.
async fn object_file(
    host: &sqlx::SqlitePool,
    data_dir: &std::path::Path,
    id: &str,
) -> std::path::PathBuf {
    let (file,): (String,) = sqlx::query_as("SELECT file FROM objects WHERE id = $1")
        .bind(id)
        .fetch_one(host)
        .await
        .unwrap();
    data_dir.join("objects").join(file)
}

/// Waits (up to 20 s) until vault 1 has anchored an audit head at or after `seq`.
async fn anchored_head(chain: &dnavault_testkit::TestChain, seq: u64) -> dnavault_store::AuditHead {
    for _ in 0..200 {
        let head = chain
            .registry()
            .auditHeadOf(alloy::primitives::U256::from(1))
            .call()
            .await
            .unwrap();
        if head.seq >= seq {
            return dnavault_store::AuditHead {
                seq: head.seq,
                tag: head.tag,
            };
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("no audit head anchored");
}

/// The vault in `data_dir` started again and booted by the owner's `wallet`.
fn restarted(
    chain: &dnavault_testkit::TestChain,
    data_dir: &std::path::Path,
    wallet: &dnavault_tests::WalletCli,
) -> dnavault_tests::VaultProcess {
    let vault = dnavault_tests::start_vault_with(data_dir, chain, FAST);
    let run = tokio::task::block_in_place(|| wallet.owner(chain, &vault, &["boot", "--bind-key"]));
    assert!(
        run.ok && run.stdout.contains("is unsealed"),
        "{}{}",
        run.stdout,
        run.stderr
    );
    vault
}

/// The host's own connection to the vault's SQLite database.
async fn host(data_dir: &std::path::Path) -> sqlx::SqlitePool {
    let url = format!("sqlite://{}", data_dir.join("vault.db").display());
    sqlx::SqlitePool::connect(&url).await.unwrap()
}
