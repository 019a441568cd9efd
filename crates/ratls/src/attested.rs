//! Reaching an attested vault, the one way every client does: its evidence fetched over TLS and found to bind
//! the TLS key that served it, checked ([`CheckedEvidence`]: deployment, AMD chain, policy, REPORT_DATA), its
//! measurement approved on-chain (the caller asks the registry), and from then on every exchange pinned to
//! that key.

use alloy::primitives::{Bytes, U256};
use dnavault_attest::{CheckedEvidence, ExpectedVault, Verifier};
use dnavault_protocol::boot::BootRequest;

use crate::{Client, Pin, RatlsError};

/// Where a vault serves its evidence.
pub const ATTESTATION_PATH: &str = "v1/attestation";

/// A vault whose evidence verified and whose measurement its owner approved, reached only through the TLS
/// key its report binds.
#[derive(Debug, Clone)]
pub struct AttestedVault {
    /// The checked evidence.
    pub checked: CheckedEvidence,
    client: Client,
}

impl AttestedVault {
    /// Fetches the evidence of the vault at `url`, checks it against `expected` with `verifier`, asks
    /// `approved(vault id, measurement)` whether the registry approves its measurement, and pins its TLS key.
    pub async fn connect<E: std::fmt::Display>(
        url: &str,
        expected: ExpectedVault,
        verifier: &Verifier,
        approved: impl AsyncFnOnce(U256, Bytes) -> Result<bool, E>,
    ) -> Result<Self, RatlsError> {
        let evidence = fetch_evidence(url, ATTESTATION_PATH).await?;
        let checked = CheckedEvidence::check(&evidence, expected, verifier)?;
        let measurement = Bytes::from(checked.measurement().to_vec());
        let is_approved = approved(evidence.vault_id, measurement)
            .await
            .map_err(|e| RatlsError::Chain(e.to_string()))?;
        let checked = checked.approved(is_approved)?;
        Ok(Self {
            client: Client::new(url, Pin::Spki(evidence.tls_spki_sha256.0))?,
            checked,
        })
    }

    /// The connection, pinned to the attested TLS key.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The evidence.
    pub fn evidence(&self) -> &BootRequest {
        &self.checked.evidence
    }
}

/// Fetches a vault's evidence from `path` and checks that the TLS key that served it is the one it binds: a
/// relay or an impostor in the way is refused here. The caller then checks the evidence and pins the key.
pub async fn fetch_evidence(url: &str, path: &str) -> Result<BootRequest, RatlsError> {
    let fetched = Client::new(url, Pin::Report)?
        .get::<BootRequest>(path)
        .await?;
    if fetched.spki_sha256 != fetched.value.tls_spki_sha256.0 {
        return Err(RatlsError::Unbound { url: url.into() });
    }
    Ok(fetched.value)
}
