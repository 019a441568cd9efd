//! What a vault's REPORT_DATA binds: its attested keys, its chain view and the verifier's fresh nonce.

use sha2::{Digest, Sha512};

/// The keys a vault proves it holds, the chain view it follows, and the nonce that makes the proof fresh.
/// REPORT_DATA is SHA-512(`dnavault/v2/report-data` || vault signing address || HPKE public key || TLS SPKI
/// SHA-256 || chain view hash || nonce): 64 bytes, the whole field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReportDataBinding {
    /// The vault's secp256k1 signing key, as an Ethereum address.
    pub vault_key: [u8; 20],
    /// The vault's X25519 HPKE public key (data keys are wrapped to it).
    pub hpke_public_key: [u8; 32],
    /// SHA-256 of the vault's TLS certificate's SubjectPublicKeyInfo.
    pub tls_spki_sha256: [u8; 32],
    /// The EIP-712 struct hash of the vault's chain view (`dnavault_protocol::chain_view::ChainView::hash`).
    pub chain_view: [u8; 32],
    /// The verifier's (or boot request's) fresh nonce.
    pub nonce: [u8; 32],
}

impl ReportDataBinding {
    /// The 64 bytes that go into REPORT_DATA.
    pub fn report_data(&self) -> [u8; 64] {
        let mut hasher = Sha512::new();
        hasher.update(b"dnavault/v2/report-data");
        hasher.update(self.vault_key);
        hasher.update(self.hpke_public_key);
        hasher.update(self.tls_spki_sha256);
        hasher.update(self.chain_view);
        hasher.update(self.nonce);
        hasher.finalize().into()
    }
}
