//! A boot carried through the relay between real processes: the sealed vault posts its boot request to its
//! owner's inbox (the website's relay verifies its attestation before filing it), the owner's wallet lists
//! it in words and answers it after checking the vault as `boot` does, and the vault takes the answer and
//! unseals. A message answered is gone; one never paired for is never filed.

use std::time::Duration;

use dnavault_protocol::VaultStatus;
use dnavault_ratls::{Client, Pin};
use dnavault_tests::{WalletCli, chain_with_vault, start_vault_with, web};
use serde_json::Value;

/// `dnavault-wallet --json --yes inbox COMMAND --relay RELAY EXTRA...` as account 1 on `chain`.
pub(crate) fn inbox(
    wallet: &WalletCli,
    chain: &dnavault_testkit::TestChain,
    relay: &str,
    command: &str,
    extra: &[&str],
) -> dnavault_tests::Run {
    let rpc = chain.endpoint_url().to_string();
    let registry = chain.registry_address().to_string();
    let mut args = vec!["--json", "--yes", "inbox", command, "--relay", relay];
    args.extend_from_slice(extra);
    args.extend_from_slice(&["--index", "1", "--rpc-url", &rpc, "--registry", &registry]);
    tokio::task::block_in_place(|| wallet.run(&args))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sealed_vault_is_booted_through_the_relay_by_its_owners_wallet() {
    let (chain, _seed, _owner) = chain_with_vault().await;
    let dir = tempfile::tempdir().unwrap();
    let relay = format!("http://127.0.0.1:{}", web::free_port());
    // The vault starts first (the website's verifier needs its simulated platform's roots) and keeps
    // asking until the relay answers and its owner has paired an inbox.
    let vault = start_vault_with(&dir.path().join("vault"), &chain, &["--relay", &relay]);
    let roots = vault.roots.display().to_string();
    let listen = relay.trim_start_matches("http://");
    let website = web::WebProcess::start_at(
        &chain,
        dir.path(),
        listen,
        &["--accept-test-platform", &roots],
    );
    website.indexed_with(&chain).await;

    let wallet = WalletCli::restored();
    let inbox = |command: &str, extra: &[&str]| inbox(&wallet, &chain, &relay, command, extra);
    let paired = inbox("pair", &[]);
    assert!(paired.ok, "{}", paired.stderr);

    // The boot request arrives, shown in words.
    let mut waiting = Value::Null;
    for _ in 0..100 {
        let listed = inbox("list", &[]);
        assert!(listed.ok, "{}", listed.stderr);
        waiting = serde_json::from_str(&listed.stdout).unwrap();
        if !waiting["messages"].as_array().unwrap().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let message = &waiting["messages"][0];
    let words = message["words"].as_str().unwrap();
    assert!(
        words.contains("vault 1") && words.contains("asks you to boot it"),
        "{waiting:#}"
    );
    let nonce = message["nonce"].as_str().unwrap().to_owned();

    let answered = inbox(
        "answer",
        &["--message", &nonce, "--accept-test-platform", &roots],
    );
    assert!(answered.ok, "{}{}", answered.stdout, answered.stderr);

    let client = Client::new(&vault.url, Pin::Spki(vault.tls_spki)).unwrap();
    let mut state = String::new();
    for _ in 0..100 {
        let status: VaultStatus = client.get("v1/status").await.unwrap().value;
        state = serde_json::to_value(status.state)
            .unwrap()
            .as_str()
            .unwrap()
            .to_owned();
        if state == "unsealed" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(
        state, "unsealed",
        "the vault did not take the relayed answer"
    );

    // Answered and acknowledged: nothing waits, and the same message cannot be answered again.
    let listed = inbox("list", &[]);
    let after: Value = serde_json::from_str(&listed.stdout).unwrap();
    assert!(
        after["messages"].as_array().unwrap().is_empty(),
        "{after:#}"
    );
    let again = inbox(
        "answer",
        &["--message", &nonce, "--accept-test-platform", &roots],
    );
    assert!(
        !again.ok && again.stderr.contains("no message"),
        "{}",
        again.stderr
    );
    drop(vault);
}

/// Under a grant that asks for each query, the researcher asks the owner through the relay and waits; the
/// owner's wallet lists the request in words and approves it; the researcher's query then runs.
#[tokio::test(flavor = "multi_thread")]
async fn a_query_is_approved_through_the_relay_by_the_owners_wallet() {
    let (chain, _seed, owner) = chain_with_vault().await;
    let dir = tempfile::tempdir().unwrap();
    let (vault, wallet) = crate::query::vault_with_genome(&chain, dir.path()).await;
    let researcher = chain.signer(2);
    let counts = crate::grants::descriptor(dnavault_protocol::query::QueryKind::AlleleCounts);
    crate::query::grant_scope(&chain, &owner, researcher.address(), counts.scope(), true).await;
    vault.synced_with(&chain).await;
    let website = web::WebProcess::start(&chain, dir.path(), &[]);
    website.indexed_with(&chain).await;
    let relay = website.url.clone();

    let inbox = |command: &str, extra: &[&str]| inbox(&wallet, &chain, &relay, command, extra);
    let paired = inbox("pair", &[]);
    assert!(paired.ok, "{}", paired.stderr);
    let asking = ask_for_approval(&chain, &vault, &researcher, &counts, &relay, dir.path());

    let mut nonce = None;
    for _ in 0..150 {
        let listed = inbox("list", &[]);
        assert!(listed.ok, "{}", listed.stderr);
        let waiting: Value = serde_json::from_str(&listed.stdout).unwrap();
        if let Some(message) = waiting["messages"].as_array().unwrap().first() {
            let words = message["words"].as_str().unwrap();
            assert!(
                words.contains("asks you to approve one query on vault 1"),
                "{words}"
            );
            assert!(words.contains(&researcher.address().to_string()), "{words}");
            assert!(
                words.contains("The query: count the copies of each allele"),
                "the query in words, not as JSON: {words}"
            );
            nonce = Some(message["nonce"].as_str().unwrap().to_owned());
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let nonce = nonce.expect("the researcher's request reached the owner's inbox");
    let answered = inbox("answer", &["--message", &nonce]);
    assert!(answered.ok, "{}{}", answered.stdout, answered.stderr);
    assert!(
        answered.stderr.contains("count the copies of each allele"),
        "the wallet showed the query in words: {}",
        answered.stderr
    );
    answered_with_counts(asking);
    drop(vault);
}

/// Waits for [`ask_for_approval`]'s query and checks it ran: the genome's counts at its one position.
pub(crate) fn answered_with_counts(asking: std::process::Child) {
    let output = tokio::task::block_in_place(|| asking.wait_with_output().unwrap());
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let answer: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        answer["result"]["sites"][0]["counts"],
        serde_json::json!([1, 1])
    );
}

/// The researcher's allele-count query on vault 1 under `descriptor`, started: it asks the owner through
/// the relay at `relay` and waits up to 60 s for the approval.
pub(crate) fn ask_for_approval(
    chain: &dnavault_testkit::TestChain,
    vault: &dnavault_tests::VaultProcess,
    researcher: &alloy::signers::local::PrivateKeySigner,
    descriptor: &dnavault_protocol::descriptor::Descriptor,
    relay: &str,
    dir: &std::path::Path,
) -> std::process::Child {
    let write = |name: &str, text: &str| {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    };
    let key = write("key", &alloy::hex::encode(researcher.to_bytes()));
    let descriptor = write("counts.json", &serde_json::to_string(descriptor).unwrap());
    let positions = write("positions", "22\t50326116\n");
    std::process::Command::new(dnavault_tests::binary("dnavault-researcher"))
        .args(["query", "--rpc-url", chain.endpoint_url().as_str()])
        .args(["--registry", &chain.registry_address().to_string()])
        .arg("--accept-test-platform")
        .arg(&vault.roots)
        .arg("--key-file")
        .arg(&key)
        .args(["--vault", &vault.url, "--vault-id", "1", "--purpose", "GRU"])
        .arg("--descriptor")
        .arg(&descriptor)
        .arg("--allele-counts")
        .arg(&positions)
        .args(["--approval-via", relay, "--approval-wait", "60"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
}

/// Waits for the first message in the owner's inbox; its words and nonce.
pub(crate) async fn first_waiting(
    inbox: impl Fn(&str, &[&str]) -> dnavault_tests::Run,
) -> (String, String) {
    for _ in 0..150 {
        let listed = inbox("list", &[]);
        assert!(listed.ok, "{}", listed.stderr);
        let waiting: Value = serde_json::from_str(&listed.stdout).unwrap();
        if let Some(message) = waiting["messages"].as_array().unwrap().first() {
            return (
                message["words"].as_str().unwrap().to_owned(),
                message["nonce"].as_str().unwrap().to_owned(),
            );
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("nothing reached the owner's inbox");
}

/// `dnavault-vault propose-update` for `measurement`, started (it waits for the owner).
pub(crate) fn propose(
    vault: &dnavault_tests::VaultProcess,
    measurement: &str,
) -> std::process::Child {
    std::process::Command::new(dnavault_tests::binary("dnavault-vault"))
        .arg("propose-update")
        .arg("--data-dir")
        .arg(&vault.data_dir)
        .args(["--measurement", measurement, "--wait", "60"])
        .args(["--note", "v2: faster allele counts"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
}

/// A vault booted by its owner's wallet with its key bound, reaching the owner's paired inbox through a
/// website's relay whose relayer pays for owners' signed messages.
pub(crate) struct Relayed {
    pub(crate) vault: dnavault_tests::VaultProcess,
    wallet: WalletCli,
    relay: String,
    _website: web::WebProcess,
    /// The owner (account 1).
    pub(crate) owner: alloy::primitives::Address,
    /// How many transactions the owner had sent once all was set up.
    pub(crate) owner_nonce: u64,
}

impl Relayed {
    /// The owner's `inbox COMMAND EXTRA...` (see [`inbox`]).
    pub(crate) fn inbox(
        &self,
        chain: &dnavault_testkit::TestChain,
        command: &str,
        extra: &[&str],
    ) -> dnavault_tests::Run {
        inbox(&self.wallet, chain, &self.relay, command, extra)
    }
}

/// [`Relayed`] on `chain`, its files under `dir`.
pub(crate) async fn relayed_vault(
    chain: &dnavault_testkit::TestChain,
    dir: &std::path::Path,
) -> Relayed {
    let relay = format!("http://127.0.0.1:{}", web::free_port());
    let (vault, wallet) = tokio::task::block_in_place(|| {
        dnavault_tests::boot_with(chain, dir, &["--relay", &relay], &["boot", "--bind-key"])
    });
    let key_file = dir.join("relayer.key");
    std::fs::write(&key_file, alloy::hex::encode(chain.signer(3).to_bytes())).unwrap();
    let listen = relay.trim_start_matches("http://");
    let key_file = key_file.display().to_string();
    let website = web::WebProcess::start_at(chain, dir, listen, &["--relayer-key-file", &key_file]);
    website.indexed_with(chain).await;
    assert!(inbox(&wallet, chain, &relay, "pair", &[]).ok);
    let owner = chain.signer(1).address();
    let owner_nonce = sent_by(chain, owner).await;
    Relayed {
        vault,
        wallet,
        relay,
        _website: website,
        owner,
        owner_nonce,
    }
}

/// A running vault whose key is bound asks its owner to approve new code: the wallet shows the request in
/// words (the note as the operator's), the approval is submitted by the website's relayer (the owner pays
/// nothing) and the vault sees it on-chain; a second request the owner declines ends declined, approving
/// nothing.
#[tokio::test(flavor = "multi_thread")]
async fn new_code_is_approved_and_declined_through_the_relay() {
    let (chain, _seed, _owner) = chain_with_vault().await;
    let dir = tempfile::tempdir().unwrap();
    let relayed = relayed_vault(&chain, dir.path()).await;
    let (vault, owner, owner_nonce) = (&relayed.vault, relayed.owner, relayed.owner_nonce);
    let inbox = |command: &str, extra: &[&str]| relayed.inbox(&chain, command, extra);

    // The code it runs is approved already: there is nothing to ask.
    let asked = tokio::task::block_in_place(|| {
        propose(vault, dnavault_tests::MEASUREMENT)
            .wait_with_output()
            .unwrap()
    });
    let said = String::from_utf8_lossy(&asked.stderr);
    assert!(
        !asked.status.success() && said.contains("approved for vault 1 already"),
        "{said}"
    );

    let new_code = "12".repeat(48);
    let asking = propose(vault, &new_code);
    let (words, nonce) = first_waiting(&inbox).await;
    assert!(
        words.contains("vault 1 asks you to approve new code")
            && words.contains("in its operator's words"),
        "{words}"
    );
    let answered = inbox("answer", &["--message", &nonce]);
    assert!(answered.ok, "{}{}", answered.stdout, answered.stderr);
    assert!(
        answered
            .stderr
            .contains("the vault operator's words, checked by no one"),
        "the wallet warned that the note is unchecked: {}",
        answered.stderr
    );
    let output = tokio::task::block_in_place(|| asking.wait_with_output().unwrap());
    let said = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && said.contains("approved"),
        "{said}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let approved = chain
        .registry()
        .isMeasurementApproved(
            alloy::primitives::U256::from(1),
            alloy::hex::decode(&new_code).unwrap().into(),
        )
        .call()
        .await
        .unwrap();
    assert!(approved);
    assert_eq!(
        sent_by(&chain, owner).await,
        owner_nonce,
        "the website's relayer paid, not the owner"
    );

    let other_code = "cd".repeat(48);
    let asking = propose(vault, &other_code);
    let (_, nonce) = first_waiting(&inbox).await;
    let declined = inbox("answer", &["--message", &nonce, "--decline"]);
    assert!(declined.ok, "{}", declined.stderr);
    let output = tokio::task::block_in_place(|| asking.wait_with_output().unwrap());
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(
        !output.status.success() && said.contains("declined"),
        "{said}"
    );
    let approved = chain
        .registry()
        .isMeasurementApproved(
            alloy::primitives::U256::from(1),
            alloy::hex::decode(&other_code).unwrap().into(),
        )
        .call()
        .await
        .unwrap();
    assert!(!approved);
    drop(relayed);
}

/// How many transactions `account` has sent.
pub(crate) async fn sent_by(
    chain: &dnavault_testkit::TestChain,
    account: alloy::primitives::Address,
) -> u64 {
    use alloy::providers::Provider;
    chain
        .provider()
        .get_transaction_count(account)
        .await
        .unwrap()
}

/// `payload` sealed to `inbox` and signed by `sender`, valid for five minutes from now.
fn sealed_by(
    sender: &alloy::signers::local::PrivateKeySigner,
    domain: &alloy::sol_types::Eip712Domain,
    inbox: &dnavault_relay::SignedRegistration,
    payload: &dnavault_relay::Payload,
) -> dnavault_relay::Envelope {
    let now = dnavault_protocol::clock::unix_now().unwrap();
    dnavault_relay::Envelope::seal(
        sender,
        domain,
        inbox,
        payload.kind(),
        &payload.to_bytes(),
        now,
        300,
    )
    .unwrap()
}

/// A researcher's signed query, copied and posted to the owner's inbox by another researcher (one the relay
/// carries for: they hold a grant asking for each query), is refused when the owner reviews it; declined,
/// it is dropped and nobody is told anything (the sender learns nothing).
#[tokio::test(flavor = "multi_thread")]
async fn a_query_approval_request_sent_by_another_than_its_researcher_is_refused_and_dropped() {
    use dnavault_relay::{Payload, RelayClient};

    let (chain, _seed, owner) = chain_with_vault().await;
    let sender = chain.signer(5);
    let counts = crate::grants::descriptor(dnavault_protocol::query::QueryKind::AlleleCounts);
    crate::query::grant_scope(&chain, &owner, sender.address(), counts.scope(), true).await;
    let dir = tempfile::tempdir().unwrap();
    let website = web::WebProcess::start(&chain, dir.path(), &[]);
    website.indexed_with(&chain).await;
    let relay = website.url.clone();
    let wallet = WalletCli::restored();
    let inbox = |command: &str, extra: &[&str]| inbox(&wallet, &chain, &relay, command, extra);
    assert!(inbox("pair", &[]).ok);

    let domain =
        dnavault_protocol::eip712::registry_domain(chain.chain_id(), chain.registry_address());
    let query = crate::query::allele_counts(&[("22", 50_326_116)]);
    let terms = crate::grants::terms_for(&query);
    let submission = dnavault_researcher::Researcher::new(chain.signer(2))
        .prepare(1, &query, &terms, &domain, 300)
        .unwrap()
        .submission;
    let client = RelayClient::new(&relay, domain.clone()).unwrap();
    let owner_inbox = client.inbox_of(owner.address()).await.unwrap();
    let payload = Payload::QueryApprovalRequest { submission };
    let forged = sealed_by(&sender, &domain, &owner_inbox, &payload);
    client.send(&forged, None).await.unwrap();

    let (_, nonce) = first_waiting(&inbox).await;
    let reviewed = inbox("answer", &["--message", &nonce]);
    assert!(
        !reviewed.ok
            && reviewed
                .stderr
                .contains("not by the researcher who signed the query"),
        "{}",
        reviewed.stderr
    );
    let declined = inbox("answer", &["--message", &nonce, "--decline"]);
    let said = format!("{}{}", declined.stdout, declined.stderr);
    assert!(declined.ok && said.contains("nobody was told"), "{said}");
    let listed: Value = serde_json::from_str(&inbox("list", &[]).stdout).unwrap();
    assert!(
        listed["messages"].as_array().unwrap().is_empty(),
        "{listed:#}"
    );
}

/// A tool install request from a key other than the vault's bound key, well formed and sealed to the owner's
/// inbox, is not carried: the relay takes code update requests (a tool install is one) from bound keys only.
#[tokio::test(flavor = "multi_thread")]
async fn a_tool_install_request_from_another_than_the_vaults_bound_key_is_not_carried() {
    use dnavault_relay::{Payload, RelayClient};

    let (chain, _seed, owner) = chain_with_vault().await;
    let stranger = chain.signer(5);
    let dir = tempfile::tempdir().unwrap();
    let website = web::WebProcess::start(&chain, dir.path(), &[]);
    website.indexed_with(&chain).await;
    let wallet = WalletCli::restored();
    assert!(inbox(&wallet, &chain, &website.url, "pair", &[]).ok);
    let domain =
        dnavault_protocol::eip712::registry_domain(chain.chain_id(), chain.registry_address());
    let client = RelayClient::new(&website.url, domain.clone()).unwrap();
    let owner_inbox = client.inbox_of(owner.address()).await.unwrap();
    let payload = Payload::ToolInstallRequest {
        vault_id: alloy::primitives::U256::from(1),
        tool: Box::new(crate::tool_install::bcftools_positions()),
        note: "from a stranger".into(),
    };
    let forged = sealed_by(&stranger, &domain, &owner_inbox, &payload);
    let refused = client.send(&forged, None).await.unwrap_err().to_string();
    assert!(refused.contains("bound"), "{refused}");
    let listed: Value =
        serde_json::from_str(&inbox(&wallet, &chain, &website.url, "list", &[]).stdout).unwrap();
    assert!(
        listed["messages"].as_array().unwrap().is_empty(),
        "{listed:#}"
    );
}
