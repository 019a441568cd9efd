//! A vault's evidence (its boot request, or what `GET /v1/attestation` serves) checked the one way every
//! client checks it: for the chain, registry and vault expected; the report verified against the pinned
//! roots; REPORT_DATA binding the vault's signing key, HPKE key, TLS key, chain view and nonce. Whether the measurement
//! is approved on-chain is the caller's to ask (it holds the chain connection); [`CheckedEvidence::approved`]
//! takes the answer.

use alloy::primitives::{Address, U256};
use dnavault_protocol::boot::BootRequest;

use crate::{
    AttestError, Evidence, ExpectedReportData, Policy, Product, ReportDataBinding, Result,
    TrustRoot, Verified, Verifier,
};

/// The deployment and vault a client expects to reach.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExpectedVault {
    /// The chain id.
    pub chain_id: u64,
    /// The registry.
    pub registry: Address,
    /// The vault, when the client knows which (a wallet answering a boot request learns it from the request
    /// and checks that it owns it).
    pub vault_id: Option<U256>,
}

/// Evidence whose report verified and binds the keys it names; its measurement not yet checked on-chain.
#[derive(Debug, Clone)]
pub struct CheckedEvidence {
    /// The evidence.
    pub evidence: BootRequest,
    /// What the report says.
    pub verified: Verified,
}

impl CheckedEvidence {
    /// Checks `evidence`: it is for `expected`, its report verifies with `verifier`, and REPORT_DATA binds its
    /// keys and nonce.
    pub fn check(
        evidence: &BootRequest,
        expected: ExpectedVault,
        verifier: &Verifier,
    ) -> Result<Self> {
        let chain = &evidence.chain;
        let for_us = chain.chain_id == expected.chain_id
            && chain.registry == expected.registry
            && expected.vault_id.is_none_or(|id| id == evidence.vault_id);
        if !for_us {
            return Err(AttestError::WrongVault {
                found: format!(
                    "vault {} of chain {} registry {}",
                    evidence.vault_id, chain.chain_id, chain.registry
                ),
                expected: format!(
                    "{} of chain {} registry {}",
                    expected
                        .vault_id
                        .map_or_else(|| "a vault".to_owned(), |id| format!("vault {id}")),
                    expected.chain_id,
                    expected.registry
                ),
            });
        }
        let mut report = Evidence::new(evidence.report.to_vec(), &evidence.endorsement_key)?;
        report.product = evidence.product.as_deref().map(str::parse).transpose()?;
        let binding = ReportDataBinding {
            vault_key: evidence.vault_key.into_array(),
            hpke_public_key: evidence.hpke_public_key.0,
            tls_spki_sha256: evidence.tls_spki_sha256.0,
            chain_view: chain.hash().0,
            nonce: evidence.boot_nonce.0,
        };
        let verified =
            verifier.verify(&report, ExpectedReportData::Binding(binding.report_data()))?;
        Ok(Self {
            evidence: evidence.clone(),
            verified,
        })
    }

    /// The measurement the report names, to ask the registry about.
    pub fn measurement(&self) -> &[u8; 48] {
        &self.verified.measurement
    }

    /// Fails unless the registry approves the measurement for this vault (`approved`, as the caller read it).
    pub fn approved(self, approved: bool) -> Result<Self> {
        self.verified.require_measurement(|_| approved)?;
        Ok(self)
    }
}

/// A verifier with AMD's roots and `policy`, plus the simulated platform's test-only roots (a Milan) from
/// `test_roots` (a PEM bundle) when given: development only, and every report that chains to them says so.
pub fn verifier(test_roots: Option<&[u8]>, policy: Policy) -> Result<Verifier> {
    Ok(match test_roots {
        None => Verifier::production(policy),
        Some(pem) => Verifier::production(Policy {
            accept_test_roots: true,
            ..policy
        })
        .with_test_root(TrustRoot::test_only_bundle(Product::Milan, pem)?),
    })
}
