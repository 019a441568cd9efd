//! Attested TLS between a vault and its clients.
//!
//! A vault makes a fresh TLS key at boot and its SEV-SNP report binds the SHA-256 of the key's
//! SubjectPublicKeyInfo. The vault serves HTTPS with a self-signed certificate for that key
//! ([`ServerIdentity`], [`serve`]); a client pins the attested SPKI hash ([`Pin::Spki`]), so it knows it talks
//! to the attested vault whatever the certificate says. The one unpinned exchange is fetching the evidence
//! itself ([`Pin::Report`]): the client then checks that the key it was served is the one the evidence binds.

pub mod attested;
mod client;
mod error;
mod server;
mod verifier;

pub use attested::{AttestedVault, fetch_evidence};
pub use client::{Client, Fetched, Pin, pinned_client_config};
pub use error::RatlsError;
pub use server::{ServerIdentity, serve};

use sha2::{Digest, Sha256};
use x509_cert::der::{Decode, Encode};

/// The SHA-256 of a certificate's DER SubjectPublicKeyInfo: what a report binds and a client pins.
pub fn spki_sha256(certificate_der: &[u8]) -> Result<[u8; 32], RatlsError> {
    let certificate = x509_cert::Certificate::from_der(certificate_der)
        .map_err(|e| RatlsError::Certificate(e.to_string()))?;
    let spki = certificate
        .tbs_certificate
        .subject_public_key_info
        .to_der()
        .map_err(|e| RatlsError::Certificate(e.to_string()))?;
    Ok(Sha256::digest(spki).into())
}

/// The ring provider: this workspace keeps aws-lc-rs out.
pub(crate) fn provider() -> std::sync::Arc<rustls::crypto::CryptoProvider> {
    std::sync::Arc::new(rustls::crypto::ring::default_provider())
}
