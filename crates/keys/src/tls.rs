//! The owner's TLS client certificate: an Ed25519 key from the seed and a self-signed certificate with fixed
//! serial number, validity and name, so the certificate (and its SHA-256) is the same after every restore.
//! Ed25519 signatures are deterministic, which is what makes the whole certificate reproducible.

use std::fmt;

use alloy::primitives::Address;
use ed25519_dalek::pkcs8::{EncodePrivateKey, spki::der::pem::LineEnding};
use rcgen::{
    CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose, SerialNumber,
};
use sha2::{Digest, Sha256};
use time::{OffsetDateTime, macros::datetime};
use zeroize::Zeroizing;

use crate::{KEY_EPOCH, KeyError, Result};

/// A TLS client certificate and its private key. `Debug` shows the certificate's SHA-256 only.
pub struct TlsIdentity {
    certificate_der: Vec<u8>,
    certificate_pem: String,
    key_pkcs8_der: Zeroizing<Vec<u8>>,
    key_pkcs8_pem: Zeroizing<String>,
}

impl TlsIdentity {
    pub(crate) fn derive(material: &[u8; 32], owner: &Address) -> Result<Self> {
        let tls_err = |e: &dyn fmt::Display| KeyError::Tls(e.to_string());
        let signing = ed25519_dalek::SigningKey::from_bytes(material);
        let pkcs8 = signing.to_pkcs8_der().map_err(|e| tls_err(&e))?;
        let key_pkcs8_der = Zeroizing::new(pkcs8.as_bytes().to_vec());
        let key_pkcs8_pem = pkcs8
            .to_pem("PRIVATE KEY", LineEnding::LF)
            .map_err(|e| tls_err(&e))?;
        let key_pair = KeyPair::try_from(key_pkcs8_der.as_slice()).map_err(|e| tls_err(&e))?;

        let mut params = CertificateParams::new(Vec::<String>::new()).map_err(|e| tls_err(&e))?;
        let mut name = DistinguishedName::new();
        name.push(DnType::OrganizationName, "DNA Vault");
        name.push(DnType::CommonName, format!("DNA Vault owner {owner}"));
        params.distinguished_name = name;
        params.not_before =
            OffsetDateTime::from_unix_timestamp(KEY_EPOCH).map_err(|e| tls_err(&e))?;
        // RFC 5280 4.1.2.5: 9999-12-31T23:59:59Z means "no well-defined expiration".
        params.not_after = datetime!(9999-12-31 23:59:59 UTC);
        params.serial_number = Some(serial_for(&signing.verifying_key().to_bytes()));
        params.is_ca = IsCa::ExplicitNoCa;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        let certificate = params.self_signed(&key_pair).map_err(|e| tls_err(&e))?;
        Ok(Self {
            certificate_der: certificate.der().to_vec(),
            certificate_pem: certificate.pem(),
            key_pkcs8_der,
            key_pkcs8_pem,
        })
    }

    /// The certificate, DER.
    pub fn certificate_der(&self) -> &[u8] {
        &self.certificate_der
    }

    /// The certificate, PEM.
    pub fn certificate_pem(&self) -> &str {
        &self.certificate_pem
    }

    /// SHA-256 of the certificate's DER, lower-case hex: what a vault pins as its owner's certificate.
    pub fn sha256_hex(&self) -> String {
        Sha256::digest(&self.certificate_der)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// The private key, PKCS#8 PEM. Secret: for the owner's TLS client only.
    pub fn private_key_pem(&self) -> &str {
        &self.key_pkcs8_pem
    }

    /// The private key, PKCS#8 DER. Secret: for the owner's TLS client only.
    pub fn private_key_der(&self) -> &[u8] {
        &self.key_pkcs8_der
    }
}

/// A positive 16-byte serial number from the public key.
fn serial_for(public_key: &[u8]) -> SerialNumber {
    let mut serial = Sha256::digest(public_key)[..16].to_vec();
    serial[0] &= 0x7f;
    serial[0] |= 0x40;
    SerialNumber::from_slice(&serial)
}

impl fmt::Debug for TlsIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsIdentity")
            .field("sha256", &self.sha256_hex())
            .finish_non_exhaustive()
    }
}
