//! Query bodies from senders the vault does not know yet: over the open limit, a body is read only after its
//! signed request, sent ahead in a header, passed the consent gate (`/v1/queries/ahead` tells the sender
//! before any body is sent; the refusal of an unvouched large body unread is tested in the vault's
//! `query::body`); a stranger's request is refused there; a body whose request is not the one sent ahead is
//! refused.

use dnavault_protocol::{
    header::SignedHeader,
    query::{PolygenicScore, Query, QueryKind, SignedQuery},
};
use dnavault_ratls::{Client, Pin, RatlsError};
use dnavault_researcher::Researcher;
use dnavault_tests::chain_with_vault;
use serde_json::Value;

use crate::{
    grants::terms_for,
    query::{OneQuery, connect, grant_scope, vault_with_genome},
};

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
    // A header that holds no signed request is refused as such, on either route.
    let garbled = [(SignedQuery::HEADER, "zz".to_owned())];
    for route in ["v1/queries/ahead", "v1/queries"] {
        let (status, message) = refusal(client.post_with(route, &garbled, &empty).await);
        assert_eq!(status, 401, "{route}: {message}");
        assert!(message.contains("not hex"), "{route}: {message}");
    }

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

/// The researcher's client sends a score with a scoring file over the open limit: its request goes ahead to
/// the gate, then the body, and the score is answered.
#[tokio::test(flavor = "multi_thread")]
async fn the_client_sends_a_large_scoring_file_after_its_request() {
    let (chain, _seed, owner) = chain_with_vault().await;
    let dir = tempfile::tempdir().unwrap();
    let (vault, _wallet) = vault_with_genome(&chain, dir.path()).await;
    // 12,000 weights (about 400 KiB): one variant the genome holds, the rest at positions it lacks.
    let mut scoring = String::from(
        "#pgs_id=PGS900002\n#trait_reported=test trait\n#genome_build=GRCh37\n\
         rsID\tchr_name\tchr_position\teffect_allele\tother_allele\teffect_weight\n\
         rs149266090\t22\t50326116\tT\tC\t0.5\n",
    );
    for i in 0..12_000u64 {
        scoring.push_str(&format!("rs9{i}\t22\t{}\tA\tG\t0.001\n", 60_000_000 + i));
    }
    assert!(scoring.len() > dnavault_protocol::query::OPEN_QUERY_BYTES);
    let query = Query::PolygenicScore(PolygenicScore {
        scoring_file: scoring,
    });
    let terms = terms_for(&query);
    let researcher = Researcher::new(chain.signer(2));
    grant_scope(
        &chain,
        &owner,
        researcher.address(),
        terms.descriptor.scope(),
        false,
    )
    .await;
    vault.synced_with(&chain).await;
    let (client, attested) = connect(&chain, &vault).await;
    let opened = attested
        .ask(&researcher, &query, &terms, &client)
        .await
        .unwrap();
    assert_eq!(opened.result.kind(), QueryKind::PolygenicScore);

    // A researcher without the grant learns so from the gate, in words, before the file is sent.
    let stranger = Researcher::new(chain.signer(4));
    let refused = attested.ask(&stranger, &query, &terms, &client).await;
    match refused {
        Err(dnavault_researcher::ResearchError::Vault(RatlsError::Status {
            status,
            message,
            ..
        })) => {
            assert_eq!(status, 403, "{message}");
            assert!(message.contains("no grant"), "{message}");
        }
        other => panic!("expected the gate's refusal, got {other:?}"),
    }
}
