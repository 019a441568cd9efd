//! The verifier view: what the website itself finds when it checks a vault's attestation with the shared
//! verification crate, as a list of checks and a verdict in words. It fetches the vault's evidence from the
//! URI its owner published, over TLS to the key the evidence binds, and holds it to this deployment (chain,
//! registry, vault id), AMD's roots (and the simulated platform's only where the operator accepts them),
//! the minimum TCB, the code the owner approved on-chain and the key the owner bound on-chain.

use std::time::Duration;

use alloy::primitives::{Address, U256, keccak256};
use dnavault_attest::{CheckedEvidence, ExpectedVault, Tcb, Verifier};
use serde::Serialize;

use crate::db::read::VaultDetail;

mod outbound;

pub use outbound::Outbound;

/// The deployment a website indexes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deployment {
    /// The chain id.
    pub chain_id: u64,
    /// The registry's address.
    pub registry: Address,
}

/// How one check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// It holds.
    Pass,
    /// It holds, with something a person should know (a simulated platform, SMT).
    Warn,
    /// It does not hold: the vault is not to be trusted.
    Fail,
}

/// One check of the verifier view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    /// What was checked.
    pub name: &'static str,
    /// How it came out.
    pub outcome: Outcome,
    /// What was found, in words.
    pub detail: String,
}

/// The verifier view of one vault.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verification {
    /// The vault.
    pub vault_id: u64,
    /// Where its evidence was fetched.
    pub url: String,
    /// Every check, in order.
    pub checks: Vec<Check>,
    /// The worst outcome.
    pub outcome: Outcome,
    /// The verdict in one sentence.
    pub verdict: String,
}

/// The most time the vault has to serve its evidence.
const FETCH_LIMIT: Duration = Duration::from_secs(10);

/// Checks vault `vault` as the index shows it: fetches its evidence from its URI and verifies it.
pub async fn verify(
    vault: &VaultDetail,
    deployment: Deployment,
    verifier: &Verifier,
    outbound: &Outbound,
) -> Verification {
    let url = vault.summary.uri.clone();
    let entry = keccak256(serde_json::to_vec(vault).unwrap_or_default());
    if let Some(view) = outbound.kept(entry) {
        return view;
    }
    if let Some(refusal) = outbound.refusal(&url).await {
        let checks = vec![fail("Evidence", format!("was not fetched: {refusal}"))];
        return finish(vault.summary.id, url, checks);
    }
    let view = {
        let _permit = outbound.permit().await;
        fetch_and_check(vault, deployment, verifier, url).await
    };
    outbound.keep(entry, &view);
    view
}

/// Fetches the evidence from `url` and checks it.
async fn fetch_and_check(
    vault: &VaultDetail,
    deployment: Deployment,
    verifier: &Verifier,
    url: String,
) -> Verification {
    let mut checks = Vec::new();
    let fetched = tokio::time::timeout(
        FETCH_LIMIT,
        dnavault_ratls::fetch_evidence(&url, dnavault_ratls::attested::ATTESTATION_PATH),
    )
    .await;
    let evidence = match fetched {
        Ok(Ok(evidence)) => {
            checks.push(pass(
                "Evidence",
                format!("served by {url} over TLS with the key the evidence binds"),
            ));
            evidence
        }
        Ok(Err(error)) => {
            checks.push(fail(
                "Evidence",
                format!("could not be fetched from {url:?}: {error}"),
            ));
            return finish(vault.summary.id, url, checks);
        }
        Err(_) => {
            checks.push(fail(
                "Evidence",
                format!(
                    "{url:?} did not serve it within {} s",
                    FETCH_LIMIT.as_secs()
                ),
            ));
            return finish(vault.summary.id, url, checks);
        }
    };
    let expected = ExpectedVault {
        chain_id: deployment.chain_id,
        registry: deployment.registry,
        vault_id: Some(U256::from(vault.summary.id)),
    };
    let checked = match CheckedEvidence::check(&evidence, expected, verifier) {
        Ok(checked) => checked,
        Err(error) => {
            checks.push(fail("Report", error.to_string()));
            return finish(vault.summary.id, url, checks);
        }
    };
    let verified = &checked.verified;
    checks.push(match verified.test_only {
        true => warn(
            "Platform",
            format!(
                "SIMULATED: the report chains to a test-only root this website was told to accept, not to \
                 AMD; nothing here is protected by hardware (product line {})",
                verified.product
            ),
        ),
        false => pass(
            "Platform",
            format!(
                "AMD SEV-SNP on {} (report version {}), signed by a {} that AMD's root certifies",
                verified.product, verified.version, verified.kind
            ),
        ),
    });
    checks.push(measurement_check(vault, &verified.measurement));
    checks.push(pass(
        "TCB",
        format!(
            "reported {} against the minimum {}",
            tcb_words(&verified.reported_tcb),
            tcb_words(&verified.minimum_tcb)
        ),
    ));
    checks.push(pass(
        "Chip",
        match verified.chip_id.iter().all(|b| *b == 0) {
            true => "the guest masks its chip id".to_owned(),
            false => format!("chip id {}", hex::encode(verified.chip_id)),
        },
    ));
    checks.push(policy_check(&verified.guest));
    checks.push(pass(
        "Binding",
        format!(
            "REPORT_DATA binds signing key {}, TLS key {}, HPKE key {}, chain view {} and boot nonce {}",
            evidence.vault_key.to_checksum(None),
            evidence.tls_spki_sha256,
            evidence.hpke_public_key,
            evidence.chain.hash(),
            evidence.boot_nonce
        ),
    ));
    checks.push(match vault.summary.vault_key {
        Some(bound) if bound == evidence.vault_key => pass(
            "Key on-chain",
            format!("the owner bound this boot's signing key {bound} on-chain"),
        ),
        Some(bound) => fail(
            "Key on-chain",
            format!(
                "the owner bound {bound}, not this boot's key {}: receipts of this boot are not the \
                 vault's",
                evidence.vault_key
            ),
        ),
        None => warn(
            "Key on-chain",
            "the owner has not bound this boot's signing key: the vault answers no query yet".into(),
        ),
    });
    finish(vault.summary.id, url, checks)
}

/// Whether the owner approved the reported measurement on-chain, as the index holds it.
fn measurement_check(vault: &VaultDetail, measurement: &[u8; 48]) -> Check {
    let hash = keccak256(measurement);
    let shown = hex::encode(measurement);
    match vault.measurements.iter().find(|m| m.hash == hash) {
        Some(m) if m.approved => pass(
            "Code",
            format!("measurement {shown} is approved on-chain by the vault's owner"),
        ),
        Some(_) => fail(
            "Code",
            format!("measurement {shown} was approved, then revoked by the vault's owner"),
        ),
        None => fail(
            "Code",
            format!("measurement {shown} was never approved by the vault's owner"),
        ),
    }
}

fn policy_check(guest: &dnavault_attest::GuestSettings) -> Check {
    let mut notes = Vec::new();
    if guest.debug {
        notes.push("the guest policy ALLOWS DEBUGGING: the host can read the vault's memory");
    }
    if guest.migration_agent {
        notes.push("the guest policy allows a migration agent");
    }
    if guest.smt_enabled {
        notes.push("the host runs SMT (sibling threads share the core's caches)");
    }
    match (guest.debug || guest.migration_agent, notes.is_empty()) {
        (true, _) => fail("Policy", notes.join("; ")),
        (false, true) => pass("Policy", "no debugging, no migration agent, SMT off".into()),
        (false, false) => warn("Policy", notes.join("; ")),
    }
}

fn tcb_words(tcb: &Tcb) -> String {
    let mut words = format!(
        "bootloader {}, TEE {}, SNP {}, microcode {}",
        tcb.bootloader, tcb.tee, tcb.snp, tcb.microcode
    );
    if let Some(fmc) = tcb.fmc {
        words.push_str(&format!(", FMC {fmc}"));
    }
    words
}

fn finish(vault_id: u64, url: String, checks: Vec<Check>) -> Verification {
    let outcome = checks
        .iter()
        .map(|c| c.outcome)
        .max_by_key(|o| match o {
            Outcome::Pass => 0,
            Outcome::Warn => 1,
            Outcome::Fail => 2,
        })
        .unwrap_or(Outcome::Fail);
    let verdict = match outcome {
        Outcome::Pass => {
            "Verified: genuine AMD SEV-SNP hardware running code its owner approved, with the \
                          keys its owner bound"
                .to_owned()
        }
        Outcome::Warn => {
            let first = checks.iter().find(|c| c.outcome == Outcome::Warn);
            format!(
                "Verified, with a caution: {}",
                first.map_or("", |c| c.detail.as_str())
            )
        }
        Outcome::Fail => {
            let first = checks.iter().find(|c| c.outcome == Outcome::Fail);
            format!(
                "NOT verified: {}",
                first.map_or("no check ran", |c| c.detail.as_str())
            )
        }
    };
    Verification {
        vault_id,
        url,
        checks,
        outcome,
        verdict,
    }
}

fn pass(name: &'static str, detail: String) -> Check {
    Check {
        name,
        outcome: Outcome::Pass,
        detail,
    }
}

fn warn(name: &'static str, detail: String) -> Check {
    Check {
        name,
        outcome: Outcome::Warn,
        detail,
    }
}

fn fail(name: &'static str, detail: String) -> Check {
    Check {
        name,
        outcome: Outcome::Fail,
        detail,
    }
}
