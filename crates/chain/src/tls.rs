//! The TLS client configurations an endpoint's trust calls for.

use std::sync::Arc;

use alloy::primitives::B256;
use rustls::{ClientConfig, RootCertStore};

use crate::ChainError;

/// Certificates chaining to the Mozilla root set compiled into this build (`webpki-roots`): the host cannot
/// add a root, since the roots are part of the measured binary.
pub(crate) fn public_roots() -> Result<ClientConfig, ChainError> {
    let roots = RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    let mut config =
        ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .map_err(|e| ChainError::Tls(e.to_string()))?
            .with_root_certificates(roots)
            .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

/// Only a server whose key's SPKI SHA-256 is one of `pins`, whatever its certificate says.
pub(crate) fn pinned(pins: &[B256]) -> Result<ClientConfig, ChainError> {
    let pins = pins.iter().map(|pin| pin.0).collect();
    let mut config =
        dnavault_ratls::pinned_client_config(pins).map_err(|e| ChainError::Tls(e.to_string()))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}
