//! The client's certificate check: the server's key must be a pinned one (the attested vault's, or an RPC
//! endpoint's pinned in a chain view). Names, issuers and validity periods are not checked: the attestation
//! report or the pin, not a CA, vouches for the key.

use std::sync::{Arc, Mutex};

use rustls::{
    DigitallySignedStruct, SignatureScheme,
    client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier},
    crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature},
    pki_types::{CertificateDer, ServerName, UnixTime},
};

/// Accepts a server whose SPKI hash is one of `pins`, or, with none, any server, recording what it
/// presented.
#[derive(Debug)]
pub(crate) struct SpkiVerifier {
    pub(crate) pins: Option<Vec<[u8; 32]>>,
    /// What a key not pinned is said to be, in the refusal.
    pub(crate) refusal: &'static str,
    pub(crate) seen: Mutex<Option<[u8; 32]>>,
    pub(crate) provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for SpkiVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let spki = crate::spki_sha256(end_entity)
            .map_err(|_| rustls::Error::General("the server's certificate is malformed".into()))?;
        if let Ok(mut seen) = self.seen.lock() {
            *seen = Some(spki);
        }
        match &self.pins {
            Some(pins) if !pins.contains(&spki) => Err(rustls::Error::General(self.refusal.into())),
            _ => Ok(ServerCertVerified::assertion()),
        }
    }

    // The server must still prove it holds the key: its handshake signature is verified.
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}
