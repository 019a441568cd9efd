//! The vault's side: HTTPS with its attested key.

use std::{future::Future, sync::Arc, time::Duration};

use hyper_util::{rt::TokioIo, service::TowerToHyperService};
use rustls::{
    ServerConfig,
    pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer},
};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

use crate::RatlsError;

/// How long a client gets to finish the TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// A TLS server identity: a self-signed certificate for the attested key.
#[derive(Clone)]
pub struct ServerIdentity {
    config: Arc<ServerConfig>,
    certificate_der: Vec<u8>,
    spki_sha256: [u8; 32],
}

impl ServerIdentity {
    /// A self-signed certificate for `key`, naming `names` (DNS names or IP addresses).
    pub fn self_signed(key: &rcgen::KeyPair, names: Vec<String>) -> Result<Self, RatlsError> {
        let params = rcgen::CertificateParams::new(names)
            .map_err(|e| RatlsError::Certificate(e.to_string()))?;
        let certificate = params
            .self_signed(key)
            .map_err(|e| RatlsError::Certificate(e.to_string()))?;
        let certificate_der = certificate.der().to_vec();
        let key_der = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
        let config = ServerConfig::builder_with_provider(crate::provider())
            .with_safe_default_protocol_versions()
            .map_err(|e| RatlsError::Config(e.to_string()))?
            .with_no_client_auth()
            .with_single_cert(vec![certificate.der().clone()], key_der)
            .map_err(|e| RatlsError::Config(e.to_string()))?;
        let spki_sha256 = crate::spki_sha256(&certificate_der)?;
        Ok(Self {
            config: Arc::new(config),
            certificate_der,
            spki_sha256,
        })
    }

    /// The certificate, DER.
    pub fn certificate_der(&self) -> &[u8] {
        &self.certificate_der
    }

    /// SHA-256 of the certificate's SubjectPublicKeyInfo.
    pub fn spki_sha256(&self) -> [u8; 32] {
        self.spki_sha256
    }
}

impl std::fmt::Debug for ServerIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerIdentity")
            .field("spki_sha256", &self.spki_sha256)
            .finish_non_exhaustive()
    }
}

/// Serves `router` over TLS on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: TcpListener,
    identity: &ServerIdentity,
    router: axum::Router,
    shutdown: impl Future<Output = ()>,
) {
    let acceptor = TlsAcceptor::from(identity.config.clone());
    tokio::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                // A client that went away before accept, or a file-descriptor limit: keep serving.
                Err(_) => continue,
            },
            () = &mut shutdown => return,
        };
        let acceptor = acceptor.clone();
        let service = TowerToHyperService::new(router.clone());
        tokio::spawn(async move {
            let Ok(Ok(tls)) =
                tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await
            else {
                return;
            };
            // A client that breaks the connection only ends its own exchange.
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(tls), service)
                .await;
        });
    }
}
