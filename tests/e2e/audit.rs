//! The owner's audit read under load: refusals of a flood of signed requests are recorded one by one only
//! up to a bound (the rest counted), and the log is read a page at a time.

use dnavault_protocol::{header::SignedHeader, query::SignedQuery};
use dnavault_ratls::{Client, Pin};
use dnavault_researcher::Researcher;
use dnavault_tests::chain_with_vault;
use serde_json::Value;

use crate::query::{OneQuery, audit, audit_at, vault_with_genome};

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
