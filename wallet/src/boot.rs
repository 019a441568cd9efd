//! Answering a sealed vault's boot request: verify its attestation, check on-chain that its code is
//! approved and that this wallet owns it, then wrap the data key to the attested key and sign the approval.

use alloy::{
    primitives::{U256, keccak256},
    signers::{Signer, local::PrivateKeySigner},
    sol_types::SolStruct,
};
use dnavault_attest::{CheckedEvidence, GuestSettings, Tcb, Verified, Verifier};
use dnavault_envelope::{PublicKey, context, data_key_aad};
use dnavault_keys::Seed;
use dnavault_protocol::{
    BootApproval,
    boot::{BootRequest, BootResponse},
    eip712::registry_domain,
};

use crate::{Result, WalletError, explain::Explanation, registry::Connection};

/// How long a boot approval may take to reach the vault.
pub const APPROVAL_LIFETIME_SECS: u64 = 600;

/// A boot request whose evidence verified and whose measurement the owner approved on-chain.
#[derive(Debug, Clone)]
pub struct CheckedBoot {
    /// The request.
    pub request: BootRequest,
    /// What the attestation report says.
    pub verified: Verified,
    /// The vault id, as the registry numbers it.
    pub vault_id: u64,
}

/// Verifies a boot request: it is for this wallet's chain and registry and a vault `owner` owns; its
/// evidence verifies and binds the vault's keys, chain view and nonce; its measurement is approved on-chain;
/// a vault on real hardware reads the chain over authenticated endpoints.
pub async fn check(
    request: &BootRequest,
    connection: &Connection,
    verifier: &Verifier,
    owner: &PrivateKeySigner,
) -> Result<CheckedBoot> {
    let deployment = connection.deployment();
    let expected = connection.expected_vault();
    let chain = &request.chain;
    if chain.chain_id != deployment.chain_id || chain.registry != deployment.registry {
        return Err(WalletError::Boot(format!(
            "the request is for chain {} registry {}, this wallet uses chain {} registry {}",
            chain.chain_id, chain.registry, deployment.chain_id, deployment.registry
        )));
    }
    chain
        .check()
        .map_err(|error| WalletError::Boot(error.to_string()))?;
    let vault_id: u64 = request
        .vault_id
        .try_into()
        .map_err(|_| WalletError::Boot("vault id out of range".into()))?;
    connection
        .require_owner(request.vault_id, owner.address())
        .await?;
    let checked = CheckedEvidence::check(request, expected, verifier)?;
    let approved = connection
        .is_measurement_approved(request.vault_id, checked.measurement().to_vec().into())
        .await?;
    let checked = checked.approved(approved)?;
    if chain.is_unverified() && !checked.verified.test_only {
        return Err(WalletError::Boot(
            "this vault runs on AMD hardware but reads the chain over plain HTTP, which its host can \
             forge: refused (give it HTTPS endpoints, pinned or with public roots)"
                .into(),
        ));
    }
    Ok(CheckedBoot {
        request: checked.evidence,
        verified: checked.verified,
        vault_id,
    })
}

/// What the owner is asked to approve, in words.
pub fn explain(checked: &CheckedBoot) -> Explanation {
    let v = &checked.verified;
    let mut explanation = Explanation {
        title: format!("Let vault {} boot and unlock your genome", checked.vault_id),
        facts: vec![
            ("Vault".into(), checked.vault_id.to_string()),
            (
                "Code (measurement)".into(),
                alloy::hex::encode(v.measurement),
            ),
            ("Approved on-chain".into(), "yes".into()),
            (
                "Platform".into(),
                format!("AMD {} SEV-SNP, report signed by its {}", v.product, v.kind),
            ),
            ("Platform TCB".into(), tcb_words(&v.reported_tcb)),
            (
                "Minimum TCB".into(),
                format!("{} (met)", tcb_words(&v.minimum_tcb)),
            ),
            ("Guest policy".into(), guest_words(&v.guest)),
            (
                "Vault key".into(),
                checked.request.vault_key.to_checksum(None),
            ),
        ],
        warnings: Vec::new(),
    };
    explanation = explanation.chain_view(&checked.request.chain);
    if v.test_only {
        explanation.warnings.push(
            "SIMULATED PLATFORM: this vault runs on a test-only attestation root, not on AMD hardware; nothing protects its memory".into(),
        );
    }
    explanation
}

/// A TCB's levels, component by component.
fn tcb_words(tcb: &Tcb) -> String {
    let mut words = format!(
        "bootloader {} TEE {} SNP {} microcode {}",
        tcb.bootloader, tcb.tee, tcb.snp, tcb.microcode
    );
    if let Some(fmc) = tcb.fmc {
        words.push_str(&format!(" FMC {fmc}"));
    }
    words
}

/// What the guest policy and the host allow.
fn guest_words(guest: &GuestSettings) -> String {
    let said = |on: bool, yes: &str, no: &str| if on { yes } else { no }.to_owned();
    [
        said(guest.debug, "DEBUGGING ALLOWED", "no debugging"),
        said(
            guest.migration_agent,
            "MIGRATION AGENT ALLOWED",
            "no migration agent",
        ),
        said(
            guest.smt_enabled,
            "the host runs SMT",
            "the host runs without SMT",
        ),
    ]
    .join(", ")
}

/// Wraps the vault's data key to its attested HPKE key and signs the boot approval.
pub async fn answer(
    checked: &CheckedBoot,
    seed: &Seed,
    owner: &PrivateKeySigner,
) -> Result<BootResponse> {
    let request = &checked.request;
    let (chain_id, registry) = (request.chain.chain_id, request.chain.registry);
    let data_key = seed.data_key(chain_id, registry, checked.vault_id)?;
    let recipient = PublicKey::from_bytes(request.hpke_public_key.as_slice())?;
    let aad = data_key_aad(chain_id, &registry.into_array(), checked.vault_id);
    let wrapped =
        dnavault_envelope::seal(&recipient, context::DATA_KEY, &aad, data_key.expose())?.to_bytes();
    let now = dnavault_protocol::clock::unix_now().map_err(|e| WalletError::Boot(e.to_string()))?;
    let approval = BootApproval {
        vaultId: request.vault_id,
        vaultKey: request.vault_key,
        measurement: checked.verified.measurement.to_vec().into(),
        chainView: request.chain.hash(),
        bootNonce: request.boot_nonce,
        wrappedKeyHash: keccak256(&wrapped),
        deadline: U256::from(now + APPROVAL_LIFETIME_SECS),
    };
    let digest = approval.eip712_signing_hash(&registry_domain(chain_id, registry));
    let signature = owner.sign_hash(&digest).await?;
    Ok(BootResponse {
        wrapped_data_key: wrapped.into(),
        approval,
        signature: signature.as_bytes().into(),
    })
}
