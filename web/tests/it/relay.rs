//! The relay against an index of a real registry: inboxes under their account's signature; a message filed
//! only from a sender with a standing (a researcher with a pending request, a vault's bound key, a vault
//! whose attestation the relay verified, an owner answering), sealed so the relay never sees its payload,
//! delivered until its recipient acknowledges it, across a restart; a tampered, replayed, expired or unsigned
//! message refused.

use std::sync::Arc;

use alloy::{
    primitives::{Address, B256, Bytes, U256},
    signers::local::PrivateKeySigner,
};
use axum::{
    Router,
    body::Body,
    http::{Request, header},
};
use dnavault_attest::simulated::{GuestConfig, SimulatedPlatform};
use dnavault_envelope::RecipientKey;
use dnavault_protocol::{boot::BootRequest, eip712::registry_domain};
use dnavault_relay::{Envelope, Kind, Seen, SignedAck, SignedRead, SignedRegistration};
use dnavault_testkit::TestChain;
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::{a_busy_registry, indexer, sqlite_url};

async fn call(app: &Router, method: &str, path: &str, body: Option<String>) -> (u16, Value) {
    let request = Request::builder()
        .method(method)
        .uri(path)
        .header(header::CONTENT_TYPE, "application/json")
        .body(body.map_or_else(Body::empty, Body::from))
        .unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status().as_u16();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 22)
        .await
        .unwrap();
    let json: Value = serde_json::from_slice(&bytes).unwrap();
    let route = match path.split('?').next().unwrap() {
        p if p.starts_with("/relay/v1/inboxes/") => "/relay/v1/inboxes/{account}",
        p => p,
    };
    crate::api::assert_documented(&method.to_lowercase(), route, status, &json);
    (status, json)
}

/// The parts of a relay story: the website over a busy registry whose vault 1 (owned by account 1, key
/// account 5 bound) has a pending request from account 2; and a simulated platform its verifier trusts.
struct Relay {
    chain: TestChain,
    _dir: tempfile::TempDir,
    /// Its database (SQLite in `_dir`, or a PostgreSQL server's).
    database: String,
    _postgres: Option<dnavault_testkit::TestPostgres>,
    app: Router,
    platform: SimulatedPlatform,
    owner: PrivateKeySigner,
    owner_key: RecipientKey,
    inbox: SignedRegistration,
}

fn now() -> u64 {
    dnavault_protocol::clock::unix_now().unwrap()
}

impl Relay {
    async fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let database = sqlite_url(&dir);
        Self::on(dir, database, None).await
    }

    /// The same story on a PostgreSQL server of its own.
    async fn on_postgresql() -> Self {
        let server = dnavault_testkit::TestPostgres::start().unwrap();
        let database = server.database("relay").unwrap();
        Self::on(tempfile::tempdir().unwrap(), database, Some(server)).await
    }

    async fn on(
        dir: tempfile::TempDir,
        database: String,
        postgres: Option<dnavault_testkit::TestPostgres>,
    ) -> Self {
        let chain = TestChain::start().await.unwrap();
        a_busy_registry(&chain).await;
        let platform = SimulatedPlatform::new().unwrap();
        let app = Self::app(&chain, &database, &platform).await;
        let owner = chain.signer(1);
        let owner_key = RecipientKey::generate();
        let inbox =
            SignedRegistration::sign(&owner, &domain(&chain), &owner_key.public_key(), now())
                .unwrap();
        let relay = Self {
            chain,
            _dir: dir,
            database,
            _postgres: postgres,
            app,
            platform,
            owner,
            owner_key,
            inbox,
        };
        let (status, body) = relay
            .post(
                "/relay/v1/inboxes",
                serde_json::to_string(&relay.inbox).unwrap(),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        relay
    }

    /// The website over the index in `database`, its verifier trusting `platform`.
    async fn app(chain: &TestChain, database: &str, platform: &SimulatedPlatform) -> Router {
        let db = dnavault_web::Database::open(database).await.unwrap();
        indexer(chain, &db, 0, 100).sync().await.unwrap();
        let policy = dnavault_attest::Policy {
            accept_test_roots: true,
            ..dnavault_attest::Policy::configured(&[], true).unwrap()
        };
        let verifier =
            dnavault_attest::Verifier::production(policy).with_test_root(platform.trust_root());
        let state = dnavault_web::AppState {
            db,
            deployment: dnavault_web::verify::Deployment {
                chain_id: chain.chain_id(),
                registry: chain.registry_address(),
            },
            verifier: Arc::new(verifier),
            outbound: Default::default(),
            public_url: crate::WEBSITE.parse().unwrap(),
            chain: chain.provider().clone(),
            relayer: None,
            relay_limits: Default::default(),
            public_rpc: chain.endpoint_url(),
            app_served: true,
        };
        dnavault_web::app(state, std::time::Duration::from_secs(20))
    }

    async fn post(&self, path: &str, body: String) -> (u16, Value) {
        call(&self.app, "POST", path, Some(body)).await
    }

    async fn send(&self, envelope: &Envelope, evidence: Option<&BootRequest>) -> (u16, Value) {
        let body = json!({ "envelope": envelope, "evidence": evidence }).to_string();
        self.post("/relay/v1/messages", body).await
    }

    /// What waits in inbox `topic`, listed as its owner asks.
    async fn waiting(&self, app: &Router, topic: B256) -> Vec<Envelope> {
        let (status, body) = self.list(app, &self.owner, topic, now()).await;
        assert_eq!(status, 200, "{body}");
        serde_json::from_value(body["messages"].clone()).unwrap()
    }

    /// `GET /relay/v1/messages` for `topic`, signed by `signer` at `at`.
    async fn list(
        &self,
        app: &Router,
        signer: &PrivateKeySigner,
        topic: B256,
        at: u64,
    ) -> (u16, Value) {
        let read = SignedRead::sign(signer, &domain(&self.chain), topic, at).unwrap();
        let path = format!(
            "/relay/v1/messages?topic={topic}&at={at}&signature={}",
            read.signature
        );
        call(app, "GET", &path, None).await
    }

    fn seal(&self, sender: &PrivateKeySigner, kind: Kind, payload: &[u8]) -> Envelope {
        Envelope::seal(
            sender,
            &domain(&self.chain),
            &self.inbox,
            kind,
            payload,
            now(),
            600,
        )
        .unwrap()
    }
}

fn domain(chain: &TestChain) -> alloy::sol_types::Eip712Domain {
    registry_domain(chain.chain_id(), chain.registry_address())
}

#[tokio::test]
async fn a_researchers_request_reaches_the_owner_sealed_once_until_acknowledged_and_across_a_restart()
 {
    delivered_once_and_kept(Relay::new().await).await;
}

#[tokio::test]
async fn the_relay_keeps_and_delivers_the_same_on_postgresql() {
    delivered_once_and_kept(Relay::on_postgresql().await).await;
}

async fn delivered_once_and_kept(relay: Relay) {
    let domain = domain(&relay.chain);
    // Anyone can fetch the owner's inbox, and check it is the owner's.
    let owner = relay.owner.address();
    let (status, fetched) = call(
        &relay.app,
        "GET",
        &format!("/relay/v1/inboxes/{owner}"),
        None,
    )
    .await;
    assert_eq!(status, 200);
    let fetched: SignedRegistration = serde_json::from_value(fetched).unwrap();
    fetched.verify(&domain).unwrap();
    assert_eq!(fetched.topic(), relay.inbox.topic());

    let researcher = relay.chain.signer(2);
    let secret = b"please approve query 0x1234: allele counts at 17:41196400";
    let envelope = relay.seal(&researcher, Kind::QueryApprovalRequest, secret);
    let (status, filed) = relay.send(&envelope, None).await;
    assert_eq!(status, 201, "{filed}");
    // A sender's retry of the same message is not filed twice.
    assert_eq!(relay.send(&envelope, None).await.0, 201);

    let waiting = relay.waiting(&relay.app, relay.inbox.topic()).await;
    assert_eq!(waiting.len(), 1);
    let as_served = serde_json::to_string(&waiting).unwrap();
    assert!(!as_served.contains("allele counts") && !as_served.contains(&hex::encode(secret)));
    let mut seen = Seen::default();
    let opened = waiting[0]
        .open(&domain, &relay.inbox, &relay.owner_key, &mut seen, now())
        .unwrap();
    assert_eq!(
        (opened.kind, opened.sender),
        (Kind::QueryApprovalRequest, researcher.address())
    );
    assert_eq!(&opened.payload[..], secret);
    // Delivered again (at least once), it is refused as a replay by the receiver.
    let again = relay.waiting(&relay.app, relay.inbox.topic()).await;
    let replay = again[0].open(&domain, &relay.inbox, &relay.owner_key, &mut seen, now());
    assert!(matches!(
        replay,
        Err(dnavault_relay::RelayError::Replayed { .. })
    ));

    // The website restarts: the message is still there.
    let restarted = Relay::app(&relay.chain, &relay.database, &relay.platform).await;
    assert_eq!(
        relay.waiting(&restarted, relay.inbox.topic()).await.len(),
        1
    );

    // Only the inbox's account can acknowledge it; then it is gone.
    let stranger = SignedAck::sign(
        &relay.chain.signer(7),
        &domain,
        relay.inbox.topic(),
        opened.nonce,
    )
    .unwrap();
    let (status, refusal) = call(
        &restarted,
        "POST",
        "/relay/v1/acks",
        Some(serde_json::to_string(&stranger).unwrap()),
    )
    .await;
    assert_eq!(
        (status, refusal["check"].as_str()),
        (422, Some("signature")),
        "{refusal}"
    );
    let ack = SignedAck::sign(&relay.owner, &domain, relay.inbox.topic(), opened.nonce).unwrap();
    let (status, acked) = call(
        &restarted,
        "POST",
        "/relay/v1/acks",
        Some(serde_json::to_string(&ack).unwrap()),
    )
    .await;
    assert_eq!((status, acked["acknowledged"].as_bool()), (200, Some(true)));
    assert!(
        relay
            .waiting(&restarted, relay.inbox.topic())
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn the_relay_files_requests_only_from_senders_with_a_standing() {
    let relay = Relay::new().await;
    let stranger = relay.chain.signer(7);
    let key = relay.chain.signer(5);
    let researcher = relay.chain.signer(2);
    let cases = [
        (
            "a stranger's query approval request",
            relay.seal(&stranger, Kind::QueryApprovalRequest, b"x"),
            403,
        ),
        (
            "a researcher's",
            relay.seal(&researcher, Kind::QueryApprovalRequest, b"x"),
            201,
        ),
        (
            "a code update from the vault's bound key",
            relay.seal(&key, Kind::CodeUpdateRequest, b"x"),
            201,
        ),
        (
            "a code update from a researcher",
            relay.seal(&researcher, Kind::CodeUpdateRequest, b"x"),
            403,
        ),
        (
            "a boot request without evidence",
            relay.seal(&key, Kind::BootRequest, b"x"),
            403,
        ),
        (
            "an answer from someone who owns no vault",
            relay.seal(&stranger, Kind::QueryApprovalAnswer, b"x"),
            403,
        ),
        (
            "an answer from an owner",
            relay.seal(&relay.owner, Kind::QueryApprovalAnswer, b"x"),
            201,
        ),
    ];
    for (what, envelope, want) in cases {
        let (status, body) = relay.send(&envelope, None).await;
        assert_eq!(status, want, "{what}: {body}");
        if want == 403 {
            assert_eq!(body["check"], "standing", "{what}");
        }
    }
}

#[tokio::test]
async fn a_boot_request_is_filed_only_with_evidence_the_relay_verified() {
    let relay = Relay::new().await;
    let measurement = crate::CODE;
    let vault_key = PrivateKeySigner::random();
    let hpke = RecipientKey::generate();
    let chain_view = relay.chain.chain_view();
    let mut evidence = BootRequest {
        chain: chain_view.clone(),
        vault_id: U256::from(1),
        vault_key: vault_key.address(),
        hpke_public_key: B256::from(hpke.public_key().to_bytes()),
        tls_spki_sha256: B256::repeat_byte(3),
        boot_nonce: B256::repeat_byte(4),
        report: Bytes::new(),
        endorsement_key: Bytes::new(),
        product: Some("Milan".into()),
    };
    let binding = dnavault_attest::ReportDataBinding {
        vault_key: vault_key.address().into_array(),
        hpke_public_key: evidence.hpke_public_key.0,
        tls_spki_sha256: evidence.tls_spki_sha256.0,
        chain_view: chain_view.hash().0,
        nonce: evidence.boot_nonce.0,
    };
    let attested = relay
        .platform
        .attest(&GuestConfig::vault(measurement, binding.report_data()))
        .unwrap();
    evidence.report = attested.report.into();
    evidence.endorsement_key = attested.endorsement_key.into();
    let envelope = relay.seal(&vault_key, Kind::BootRequest, b"boot request");
    let (status, body) = relay.send(&envelope, Some(&evidence)).await;
    assert_eq!(status, 201, "{body}");

    // The same evidence under another sender's message: it binds another key.
    let impostor = relay.seal(&relay.chain.signer(7), Kind::BootRequest, b"boot me");
    let (status, body) = relay.send(&impostor, Some(&evidence)).await;
    assert_eq!(
        (status, body["check"].as_str()),
        (403, Some("standing")),
        "{body}"
    );
    // A report altered by a byte no longer verifies.
    let mut tampered = evidence.clone();
    let mut report = tampered.report.to_vec();
    report[0x90] ^= 1;
    tampered.report = report.into();
    let (status, body) = relay
        .send(
            &relay.seal(&vault_key, Kind::BootRequest, b"b"),
            Some(&tampered),
        )
        .await;
    assert_eq!(status, 403, "{body}");
    assert!(
        body["error"].as_str().unwrap().contains("does not verify"),
        "{body}"
    );
    // Code the owner never approved.
    let attested = relay
        .platform
        .attest(&GuestConfig::vault([0x77; 48], binding.report_data()))
        .unwrap();
    let mut unapproved = evidence.clone();
    unapproved.report = attested.report.into();
    let (status, body) = relay
        .send(
            &relay.seal(&vault_key, Kind::BootRequest, b"b"),
            Some(&unapproved),
        )
        .await;
    assert_eq!(status, 403, "{body}");
    assert!(
        body["error"].as_str().unwrap().contains("not approved"),
        "{body}"
    );
}

#[tokio::test]
async fn tampered_expired_unsigned_and_flooding_messages_are_refused() {
    let relay = Relay::new().await;
    let researcher = relay.chain.signer(2);
    let good = relay.seal(&researcher, Kind::QueryApprovalRequest, b"x");
    let mut tampered = good.clone();
    tampered.message.expires += 60;
    let mut unsigned = good.clone();
    unsigned.signature = Bytes::from(vec![0u8; 65]);
    let mut altered = good.clone();
    let mut bytes = altered.ciphertext.to_vec();
    bytes[10] ^= 1;
    altered.ciphertext = bytes.into();
    let old = Envelope::seal(
        &researcher,
        &domain(&relay.chain),
        &relay.inbox,
        Kind::QueryApprovalRequest,
        b"x",
        now() - 700,
        600,
    )
    .unwrap();
    for (what, envelope) in [
        ("tampered", tampered),
        ("unsigned", unsigned),
        ("altered", altered),
        ("expired", old),
    ] {
        let (status, body) = relay.send(&envelope, None).await;
        assert_eq!(
            (status, body["check"].as_str()),
            (422, Some("envelope")),
            "{what}: {body}"
        );
    }
    // An inbox nobody registered.
    let mut nowhere = relay.inbox.clone();
    nowhere.registration.hpkeKey = B256::from(RecipientKey::generate().public_key().to_bytes());
    let lost = Envelope::seal(
        &researcher,
        &domain(&relay.chain),
        &nowhere,
        Kind::QueryApprovalRequest,
        b"x",
        now(),
        600,
    )
    .unwrap();
    assert_eq!(relay.send(&lost, None).await.0, 404);
    // A registration signed by someone else than the account it names.
    let mut forged = relay.inbox.clone();
    forged.registration.account = Address::repeat_byte(9);
    let (status, _) = relay
        .post("/relay/v1/inboxes", serde_json::to_string(&forged).unwrap())
        .await;
    assert_eq!(status, 422);
    // Thirty a minute per sender (the refused ones above did not count).
    for _ in 0..30 {
        let (status, body) = relay
            .send(
                &relay.seal(&researcher, Kind::QueryApprovalRequest, b"x"),
                None,
            )
            .await;
        assert_eq!(status, 201, "{body}");
    }
    let (status, body) = relay
        .send(
            &relay.seal(&researcher, Kind::QueryApprovalRequest, b"x"),
            None,
        )
        .await;
    assert_eq!(
        (status, body["check"].as_str()),
        (429, Some("rate")),
        "{body}"
    );
    // Oversize and malformed bodies.
    let (status, _) = relay
        .post("/relay/v1/messages", "x".repeat(200 * 1024))
        .await;
    assert_eq!(status, 413);
    let (status, _) = relay.post("/relay/v1/messages", "{}".into()).await;
    assert_eq!(status, 422);
}

#[tokio::test]
async fn only_an_inboxs_account_lists_it_and_only_now() {
    let relay = Relay::new().await;
    let researcher = relay.chain.signer(2);
    let (status, body) = relay
        .send(
            &relay.seal(&researcher, Kind::QueryApprovalRequest, b"x"),
            None,
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let topic = relay.inbox.topic();
    assert_eq!(relay.waiting(&relay.app, topic).await.len(), 1);
    let cases = [
        ("another account", &researcher, now(), 403),
        ("a stale request", &relay.owner, now() - 3600, 403),
        ("a request from the future", &relay.owner, now() + 3600, 403),
    ];
    for (what, signer, at, status) in cases {
        let (got, body) = relay.list(&relay.app, signer, topic, at).await;
        assert_eq!(got, status, "{what}: {body}");
        assert_eq!(body["check"], "signature", "{what}: {body}");
        assert!(body.get("messages").is_none(), "{what}: {body}");
    }
    let (status, body) = call(
        &relay.app,
        "GET",
        &format!("/relay/v1/messages?topic={topic}"),
        None,
    )
    .await;
    assert_eq!(
        (status, body["check"].as_str()),
        (400, Some("query")),
        "{body}"
    );
    let (status, _) = relay
        .list(&relay.app, &relay.owner, B256::repeat_byte(3), now())
        .await;
    assert_eq!(status, 404, "an inbox nobody registered");
}
