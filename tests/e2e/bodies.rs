//! Query bodies from senders the vault does not know yet: over the open limit, a body is read only after its
//! signed request, sent ahead in a header, passed the consent gate (`/v1/queries/ahead` tells the sender
//! before any body is sent; the refusal of an unvouched large body unread is tested in the vault's
//! `query::body`); a stranger's request is refused there; a body whose request is not the one sent ahead is
//! refused.

use dnavault_protocol::{header::SignedHeader, query::SignedQuery};
use dnavault_ratls::{Client, Pin, RatlsError};
use dnavault_researcher::Researcher;
use dnavault_tests::chain_with_vault;
use serde_json::Value;

use crate::query::{OneQuery, vault_with_genome};

/// The vault's refusal: status, check and message.
fn refusal(result: Result<dnavault_ratls::Fetched<Value>, RatlsError>) -> (u16, String) {
    match result {
        Err(RatlsError::Status {
            status, message, ..
        }) => (status, message),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_large_body_is_read_only_after_the_gate_vouched_for_its_sender() {
    let (chain, _seed, owner) = chain_with_vault().await;
    let dir = tempfile::tempdir().unwrap();
    let (vault, _wallet) = vault_with_genome(&chain, dir.path()).await;
    let one = OneQuery::granted(&chain, &owner, &vault).await;
    let client = Client::new(&vault.url, Pin::Spki(vault.tls_spki)).unwrap();
    // A submission padded past the open limit (with a field the vault ignores).
    let granted = Researcher::new(chain.signer(2));
    let mine = one.prepared(&granted);
    let mut padded = serde_json::to_value(&mine).unwrap();
    padded["padding"] = Value::String("x".repeat(dnavault_protocol::query::OPEN_QUERY_BYTES));

    // A stranger's signed request, sent ahead: refused at the gate, with no body sent at all.
    let stranger = Researcher::new(chain.signer(4));
    let theirs = one.prepared(&stranger);
    let ahead = [(SignedQuery::HEADER, theirs.signed.to_header())];
    let empty = serde_json::json!({});
    let (status, message) = refusal(client.post_with("v1/queries/ahead", &ahead, &empty).await);
    assert_eq!(status, 403, "{message}");
    assert!(message.contains("no grant"), "{message}");
    let (status, message) = refusal(client.post_with("v1/queries/ahead", &[], &empty).await);
    assert_eq!(status, 400, "{message}");
    assert!(message.contains(SignedQuery::HEADER), "{message}");

    // The granted researcher's request ahead of another request's body.
    let ahead = [(SignedQuery::HEADER, mine.signed.to_header())];
    let (status, message) = refusal(
        client
            .post_with("v1/queries", &ahead, &one.prepared(&granted))
            .await,
    );
    assert_eq!(status, 400, "{message}");
    assert!(message.contains("not the one sent ahead"), "{message}");

    // Vouched for, the large body is read and the query answered.
    let vouched: Value = client
        .post_with("v1/queries/ahead", &ahead, &empty)
        .await
        .unwrap()
        .value;
    let researcher: alloy::primitives::Address =
        vouched["researcher"].as_str().unwrap().parse().unwrap();
    assert_eq!(researcher, granted.address());
    let answered: Value = client
        .post_with("v1/queries", &ahead, &padded)
        .await
        .unwrap()
        .value;
    assert_eq!(answered["kind"], "allele-counts");
}
