//! Sealed boot on Anvil with the simulated platform: the owner's wallet verifies the vault and releases its
//! data key; every wrong answer leaves the vault sealed.

use std::sync::{Arc, OnceLock};

use alloy::{
    primitives::U256,
    signers::{Signer, local::PrivateKeySigner},
    sol_types::SolStruct,
};
use dnavault_attest::{
    AttestError, Policy, Verifier, backend::Simulated, simulated::SimulatedPlatform,
};
use dnavault_keys::{Seed, SeedPhrase};
use dnavault_protocol::{chain_view::ChainView, eip712::registry_domain};
use dnavault_testkit::TestChain;
use dnavault_vault::{BootError, SealedVault, VaultIdentity};
use dnavault_wallet::{WalletError, boot, registry::Connection};

const APPROVED: [u8; 48] = [0x11; 48];

fn platform() -> Arc<SimulatedPlatform> {
    static PLATFORM: OnceLock<Arc<SimulatedPlatform>> = OnceLock::new();
    PLATFORM
        .get_or_init(|| Arc::new(SimulatedPlatform::new().unwrap()))
        .clone()
}

struct Setup {
    chain: TestChain,
    seed: Seed,
    owner: PrivateKeySigner,
    connection: Connection,
    verifier: Verifier,
    identity: VaultIdentity,
}

/// Vault 1, owned by Anvil account 1 (the owner's wallet seed is Anvil's mnemonic), with APPROVED approved.
async fn setup() -> Setup {
    let chain = TestChain::start().await.unwrap();
    let seed = SeedPhrase::parse("test test test test test test test test test test test junk")
        .unwrap()
        .to_seed("");
    let owner = seed.ethereum_signer(1).unwrap();
    assert_eq!(owner.address(), chain.signer(1).address());
    chain
        .register_vault(&owner, "https://vault.example")
        .await
        .unwrap();
    chain
        .approve_measurement(&owner, U256::from(1), &APPROVED)
        .await
        .unwrap();
    let connection = Connection::connect(
        chain.endpoint_url().as_str(),
        chain.registry_address(),
        owner.clone(),
    )
    .await
    .unwrap();
    let verifier = Verifier::production(Policy {
        accept_test_roots: true,
        ..Policy::default()
    })
    .with_test_root(platform().trust_root());
    let identity = VaultIdentity {
        chain_id: chain.chain_id(),
        registry: chain.registry_address(),
        vault_id: 1,
    };
    Setup {
        chain,
        seed,
        owner,
        connection,
        verifier,
        identity,
    }
}

impl Setup {
    fn boot(&self, measurement: [u8; 48]) -> SealedVault {
        SealedVault::start(
            1,
            self.chain.chain_view(),
            &Simulated::new(platform(), measurement),
        )
        .unwrap()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_approved_boot_unseals_with_the_owners_data_key() {
    let s = setup().await;
    let vault = s.boot(APPROVED);
    let checked = boot::check(vault.request(), &s.connection, &s.verifier, &s.owner)
        .await
        .unwrap();
    assert!(checked.verified.test_only);
    let explained = boot::explain(&checked).to_string();
    assert!(explained.contains("SIMULATED PLATFORM"), "{explained}");
    for says in [
        "Minimum TCB",
        "bootloader 3 TEE 0 SNP 8 microcode 115 (met)",
        "no debugging, no migration agent, the host runs SMT",
    ] {
        assert!(explained.contains(says), "{says}: {explained}");
    }
    let response = boot::answer(&checked, &s.seed, &s.owner).await.unwrap();
    let unsealed = vault.unseal(&response, &s.chain.registry()).await.unwrap();
    let expected = s
        .seed
        .data_key(s.identity.chain_id, s.identity.registry, 1)
        .unwrap();
    assert_eq!(unsealed.data_key().expose(), expected.expose());
    assert!(unsealed.is_test_only());
    assert_eq!(unsealed.measurement(), &APPROVED);
    unsealed.seal();
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unapproved_measurement_is_refused() {
    let s = setup().await;
    let vault = s.boot([0x22; 48]);
    let err = boot::check(vault.request(), &s.connection, &s.verifier, &s.owner)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            WalletError::Attestation(AttestError::MeasurementNotApproved { .. })
        ),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_tampered_report_is_refused() {
    let s = setup().await;
    let vault = s.boot(APPROVED);
    let mut request = vault.request().clone();
    let mut report = request.report.to_vec();
    report[0x90] ^= 0x01; // REPORT_DATA
    request.report = report.into();
    let err = boot::check(&request, &s.connection, &s.verifier, &s.owner)
        .await
        .unwrap_err();
    assert!(
        matches!(err, WalletError::Attestation(AttestError::Signature(_))),
        "{err}"
    );

    // Swapping in another key than the report binds is a REPORT_DATA mismatch.
    let mut request = vault.request().clone();
    request.hpke_public_key = alloy::primitives::B256::repeat_byte(7);
    let err = boot::check(&request, &s.connection, &s.verifier, &s.owner)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            WalletError::Attestation(AttestError::ReportDataMismatch)
        ),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_production_verifier_refuses_the_simulated_platform() {
    let s = setup().await;
    let vault = s.boot(APPROVED);
    let strict = Verifier::production(Policy::default()).with_test_root(platform().trust_root());
    let err = boot::check(vault.request(), &s.connection, &strict, &s.owner)
        .await
        .unwrap_err();
    assert!(
        matches!(err, WalletError::Attestation(AttestError::TestRootRefused)),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_replayed_approval_is_refused() {
    let s = setup().await;
    let first = s.boot(APPROVED);
    let checked = boot::check(first.request(), &s.connection, &s.verifier, &s.owner)
        .await
        .unwrap();
    let response = boot::answer(&checked, &s.seed, &s.owner).await.unwrap();
    first.unseal(&response, &s.chain.registry()).await.unwrap();

    // The vault restarts; someone replays the old approval.
    let second = s.boot(APPROVED);
    let err = second
        .unseal(&response, &s.chain.registry())
        .await
        .unwrap_err();
    assert!(
        matches!(err, BootError::WrongKey { .. } | BootError::Replayed { .. }),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_vault_and_wrong_owner_are_refused() {
    let s = setup().await;
    // Vault 2 belongs to account 2: the owner's wallet will not answer for it.
    s.chain
        .register_vault(&s.chain.signer(2), "")
        .await
        .unwrap();
    let other = SealedVault::start(
        2,
        s.chain.chain_view(),
        &Simulated::new(platform(), APPROVED),
    )
    .unwrap();
    let err = boot::check(other.request(), &s.connection, &s.verifier, &s.owner)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("vault 2 is owned by"), "{err}");

    // An approval for vault 1 does not open vault 2.
    let vault = s.boot(APPROVED);
    let checked = boot::check(vault.request(), &s.connection, &s.verifier, &s.owner)
        .await
        .unwrap();
    let response = boot::answer(&checked, &s.seed, &s.owner).await.unwrap();
    let err = other
        .unseal(&response, &s.chain.registry())
        .await
        .unwrap_err();
    assert!(matches!(err, BootError::WrongVault { .. }), "{err}");

    // A valid-looking approval signed by someone else than the owner.
    let mut forged = response.clone();
    let stranger = s.chain.signer(3);
    let digest = forged
        .approval
        .eip712_signing_hash(&registry_domain(s.identity.chain_id, s.identity.registry));
    forged.signature = stranger.sign_hash(&digest).await.unwrap().as_bytes().into();
    let err = vault
        .unseal(&forged, &s.chain.registry())
        .await
        .unwrap_err();
    assert!(matches!(err, BootError::NotOwner { vault: 1 }), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_chain_is_refused() {
    let s = setup().await;
    // A vault that believes it is on mainnet: the owner's wallet, on this chain, refuses its request.
    let mainnet = SealedVault::start(
        1,
        ChainView {
            chain_id: 1,
            ..s.chain.chain_view()
        },
        &Simulated::new(platform(), APPROVED),
    )
    .unwrap();
    let err = boot::check(mainnet.request(), &s.connection, &s.verifier, &s.owner)
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("the request is for chain 1"),
        "{err}"
    );
    // ... and reading this chain, the vault refuses to trust it.
    let vault = s.boot(APPROVED);
    let checked = boot::check(vault.request(), &s.connection, &s.verifier, &s.owner)
        .await
        .unwrap();
    let response = boot::answer(&checked, &s.seed, &s.owner).await.unwrap();
    let mut approval_for_mainnet = response.clone();
    approval_for_mainnet.approval.vaultKey = mainnet.request().vault_key;
    approval_for_mainnet.approval.bootNonce = mainnet.request().boot_nonce;
    approval_for_mainnet.approval.chainView = mainnet.request().chain.hash();
    let err = mainnet
        .unseal(&approval_for_mainnet, &s.chain.registry())
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            BootError::WrongChain {
                found: 31337,
                expected: 1
            }
        ),
        "{err}"
    );

    // An approval signed for another chain's domain is not the owner's signature here.
    let mut other_domain = response.clone();
    let digest = other_domain
        .approval
        .eip712_signing_hash(&registry_domain(1, s.identity.registry));
    other_domain.signature = s.owner.sign_hash(&digest).await.unwrap().as_bytes().into();
    let err = vault
        .unseal(&other_domain, &s.chain.registry())
        .await
        .unwrap_err();
    assert!(matches!(err, BootError::NotOwner { .. }), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_swapped_wrapped_key_is_refused() {
    let s = setup().await;
    let vault = s.boot(APPROVED);
    let checked = boot::check(vault.request(), &s.connection, &s.verifier, &s.owner)
        .await
        .unwrap();
    let mut response = boot::answer(&checked, &s.seed, &s.owner).await.unwrap();
    let mut wrapped = response.wrapped_data_key.to_vec();
    wrapped[40] ^= 1;
    response.wrapped_data_key = wrapped.into();
    let err = vault
        .unseal(&response, &s.chain.registry())
        .await
        .unwrap_err();
    assert!(matches!(err, BootError::WrappedKeyMismatch), "{err}");
}

/// The host cannot change the chain view: one edited in the boot request no longer matches the report, an
/// approval of another view does not open the vault, and the owner reads the view before approving.
#[tokio::test(flavor = "multi_thread")]
async fn the_chain_view_is_attested_shown_and_approved() {
    let s = setup().await;
    let vault = s.boot(APPROVED);
    let checked = boot::check(vault.request(), &s.connection, &s.verifier, &s.owner)
        .await
        .unwrap();
    let explained = boot::explain(&checked).to_string();
    for says in [
        "reads the registry",
        "plain HTTP on the vault's own machine: UNVERIFIED",
        "older than 60 s",
        "UNVERIFIED CHAIN",
    ] {
        assert!(explained.contains(says), "{says}: {explained}");
    }

    // The host points the vault's view at its own endpoint, or drops the confirmation depth, in the request.
    let edits: [fn(&mut ChainView); 3] = [
        |view| view.endpoints[0].url = "http://127.0.0.1:9/".into(),
        |view| view.max_head_age_secs = 86_400,
        |view| view.confirmations = 5,
    ];
    for edit in edits {
        let mut request = vault.request().clone();
        edit(&mut request.chain);
        let err = boot::check(&request, &s.connection, &s.verifier, &s.owner)
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                WalletError::Attestation(AttestError::ReportDataMismatch)
            ),
            "{err}"
        );
    }

    // An approval of another view, signed by the owner, leaves the vault sealed.
    let mut response = boot::answer(&checked, &s.seed, &s.owner).await.unwrap();
    response.approval.chainView = ChainView {
        quorum: 1,
        max_head_age_secs: 86_400,
        ..s.chain.chain_view()
    }
    .hash();
    let digest = response
        .approval
        .eip712_signing_hash(&registry_domain(s.identity.chain_id, s.identity.registry));
    response.signature = s.owner.sign_hash(&digest).await.unwrap().as_bytes().into();
    let err = vault
        .unseal(&response, &s.chain.registry())
        .await
        .unwrap_err();
    assert!(matches!(err, BootError::WrongChainView), "{err}");
    assert_eq!(err.check(), "wrong-chain-view");
}

/// The owner's minimum TCB, raised above what the platform reports, keeps the vault sealed before anything
/// is released; a product line the owner names wrongly is refused as a setting.
#[tokio::test(flavor = "multi_thread")]
async fn a_platform_below_the_owners_minimum_tcb_is_refused() {
    let s = setup().await;
    let vault = s.boot(APPROVED);
    let raised = Policy::configured(&["milan=4.0.24.213".to_owned()], true).unwrap();
    let verifier = Verifier::production(Policy {
        accept_test_roots: true,
        ..raised
    })
    .with_test_root(platform().trust_root());
    let err = boot::check(vault.request(), &s.connection, &verifier, &s.owner)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            WalletError::Attestation(AttestError::TcbTooLow {
                component: "SNP",
                found: 23,
                minimum: 24
            })
        ),
        "{err}"
    );
    assert!(Policy::configured(&["rome=1.0.1.1".to_owned()], true).is_err());
}
