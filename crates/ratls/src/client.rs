//! The client's side: JSON over HTTPS to a vault whose TLS key is pinned to the attested one.

use std::sync::{Arc, Mutex};

use http_body_util::{BodyExt, Full, Limited, StreamBody, combinators::BoxBody};
use hyper::{
    Method, Request,
    body::{Bytes, Frame},
    header,
};
use hyper_util::rt::TokioIo;
use rustls::{ClientConfig, pki_types::ServerName};
use serde::{Serialize, de::DeserializeOwned};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use url::Url;

use dnavault_protocol::Refusal;

use crate::{RatlsError, verifier::SpkiVerifier};

/// The largest answer a client reads.
const MAX_BODY: usize = 64 << 20;

/// A request body: JSON in memory, or a file streamed.
type RequestBody = BoxBody<Bytes, std::io::Error>;

fn empty() -> RequestBody {
    Full::new(Bytes::new())
        .map_err(|never| match never {})
        .boxed()
}

/// A TLS client configuration that accepts only a server whose key's SPKI SHA-256 is one of `pins`,
/// whatever its certificate says (an RPC endpoint pinned in a vault's chain view). Empty `pins` is refused.
pub fn pinned_client_config(pins: Vec<[u8; 32]>) -> Result<ClientConfig, RatlsError> {
    if pins.is_empty() {
        return Err(RatlsError::Config("no key to pin".into()));
    }
    let verifier = Arc::new(SpkiVerifier {
        pins: Some(pins),
        refusal: "the server's TLS key is not one of the pinned keys",
        seen: Mutex::new(None),
        provider: crate::provider(),
    });
    Ok(ClientConfig::builder_with_provider(crate::provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| RatlsError::Config(e.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth())
}

/// Which server key a client accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pin {
    /// Only the key whose SPKI SHA-256 is this: the attested vault.
    Spki([u8; 32]),
    /// Any key, recorded in [`Fetched::spki_sha256`]: only to fetch attestation evidence, which must then be
    /// found to bind the key that served it.
    Report,
}

/// An answer, with the SPKI hash of the key that served it.
#[derive(Debug, Clone)]
pub struct Fetched<T> {
    /// The decoded answer.
    pub value: T,
    /// SHA-256 of the server's SubjectPublicKeyInfo.
    pub spki_sha256: [u8; 32],
}

/// A JSON-over-HTTPS client for one vault.
#[derive(Debug, Clone)]
pub struct Client {
    base: Url,
    pin: Pin,
}

impl Client {
    /// A client for the vault at `base` (an `https://` URL).
    pub fn new(base: &str, pin: Pin) -> Result<Self, RatlsError> {
        let url = Url::parse(base).map_err(|e| RatlsError::Url {
            url: base.into(),
            reason: e.to_string(),
        })?;
        if url.scheme() != "https" || url.host_str().is_none() {
            return Err(RatlsError::Url {
                url: base.into(),
                reason: "expected https://HOST[:PORT]/".into(),
            });
        }
        Ok(Self { base: url, pin })
    }

    /// This client's pin.
    pub fn pin(&self) -> Pin {
        self.pin
    }

    /// GETs `path` as JSON.
    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<Fetched<T>, RatlsError> {
        self.exchange(Method::GET, path, &[], empty()).await
    }

    /// GETs `path` as JSON with extra `headers` (an owner's signed authorization).
    pub async fn get_with<T: DeserializeOwned>(
        &self,
        path: &str,
        headers: &[(&str, String)],
    ) -> Result<Fetched<T>, RatlsError> {
        self.exchange(Method::GET, path, headers, empty()).await
    }

    /// PUTs the file at `file` to `path` as a stream (constant memory), with extra `headers`; decodes the JSON
    /// answer.
    pub async fn put_file<T: DeserializeOwned>(
        &self,
        path: &str,
        headers: &[(&str, String)],
        file: &std::path::Path,
    ) -> Result<Fetched<T>, RatlsError> {
        self.put_file_reporting(path, headers, file, |_| {}).await
    }

    /// Like [`put_file`](Self::put_file), calling `progress` with the bytes sent so far after each chunk.
    pub async fn put_file_reporting<T: DeserializeOwned>(
        &self,
        path: &str,
        headers: &[(&str, String)],
        file: &std::path::Path,
        progress: impl Fn(u64) + Send + Sync + 'static,
    ) -> Result<Fetched<T>, RatlsError> {
        let progress = Arc::new(progress);
        let opened = tokio::fs::File::open(file)
            .await
            .map_err(|e| RatlsError::Http {
                url: file.display().to_string(),
                reason: e.to_string(),
            })?;
        let chunks = futures_util::stream::unfold(Some((opened, 0u64)), move |state| {
            let progress = Arc::clone(&progress);
            async move {
                let (mut file, sent) = state?;
                let mut buffer = vec![0u8; 1 << 20];
                match tokio::io::AsyncReadExt::read(&mut file, &mut buffer).await {
                    Ok(0) => None,
                    Ok(n) => {
                        buffer.truncate(n);
                        let sent = sent + n as u64;
                        progress(sent);
                        Some((Ok(Frame::data(Bytes::from(buffer))), Some((file, sent))))
                    }
                    // One error ends the stream.
                    Err(e) => Some((Err(e), None)),
                }
            }
        });
        self.exchange(Method::PUT, path, headers, StreamBody::new(chunks).boxed())
            .await
    }

    /// POSTs `body` as JSON to `path`, decoding the JSON answer.
    pub async fn post<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<Fetched<T>, RatlsError> {
        self.post_with(path, &[], body).await
    }

    /// POSTs `body` as JSON to `path` with extra `headers`, decoding the JSON answer.
    pub async fn post_with<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        headers: &[(&str, String)],
        body: &B,
    ) -> Result<Fetched<T>, RatlsError> {
        let url = self.url(path)?;
        let body = serde_json::to_vec(body).map_err(|e| RatlsError::Json {
            url: url.to_string(),
            reason: e.to_string(),
        })?;
        let body = Full::new(Bytes::from(body))
            .map_err(|never| match never {})
            .boxed();
        self.exchange(Method::POST, path, headers, body).await
    }

    fn url(&self, path: &str) -> Result<Url, RatlsError> {
        self.base.join(path).map_err(|e| RatlsError::Url {
            url: format!("{}{path}", self.base),
            reason: e.to_string(),
        })
    }

    async fn exchange<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, String)],
        body: RequestBody,
    ) -> Result<Fetched<T>, RatlsError> {
        let url = self.url(path)?;
        let at = url.to_string();
        let connect_error = |reason: String| RatlsError::Connect {
            url: at.clone(),
            reason,
        };
        let http_error = |reason: String| RatlsError::Http {
            url: at.clone(),
            reason,
        };
        let host = url.host_str().unwrap_or_default().to_owned();
        let port = url.port_or_known_default().unwrap_or(443);
        let verifier = Arc::new(SpkiVerifier {
            pins: match self.pin {
                Pin::Spki(pin) => Some(vec![pin]),
                Pin::Report => None,
            },
            refusal: "the server's TLS key is not the attested vault's key",
            seen: Mutex::new(None),
            provider: crate::provider(),
        });
        let config = ClientConfig::builder_with_provider(crate::provider())
            .with_safe_default_protocol_versions()
            .map_err(|e| RatlsError::Config(e.to_string()))?
            .dangerous()
            .with_custom_certificate_verifier(verifier.clone())
            .with_no_client_auth();
        let name = ServerName::try_from(host.trim_matches(['[', ']']).to_owned())
            .map_err(|e| connect_error(e.to_string()))?;
        let tcp = TcpStream::connect((host.trim_matches(['[', ']']), port))
            .await
            .map_err(|e| connect_error(e.to_string()))?;
        let tls = TlsConnector::from(Arc::new(config))
            .connect(name, tcp)
            .await
            .map_err(|e| connect_error(e.to_string()))?;
        let spki_sha256 = verifier
            .seen
            .lock()
            .ok()
            .and_then(|seen| *seen)
            .ok_or_else(|| connect_error("the server presented no certificate".into()))?;
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(tls))
            .await
            .map_err(|e| http_error(e.to_string()))?;
        tokio::spawn(connection);
        let authority = match url.port() {
            Some(port) => format!("{host}:{port}"),
            None => host.clone(),
        };
        let mut request = Request::builder()
            .method(method)
            .uri(
                url.path().to_owned()
                    + url
                        .query()
                        .map(|q| format!("?{q}"))
                        .as_deref()
                        .unwrap_or(""),
            )
            .header(header::HOST, authority)
            .header(header::ACCEPT, "application/json")
            .header(header::CONTENT_TYPE, "application/json");
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        let request = request.body(body).map_err(|e| http_error(e.to_string()))?;
        let response = sender
            .send_request(request)
            .await
            .map_err(|e| http_error(e.to_string()))?;
        let status = response.status();
        let bytes = Limited::new(response.into_body(), MAX_BODY)
            .collect()
            .await
            .map_err(|e| http_error(e.to_string()))?
            .to_bytes();
        if !status.is_success() {
            let (message, check) = match Refusal::from_body(&bytes) {
                Some(refusal) => (refusal.error, Some(refusal.check)),
                None => (String::from_utf8_lossy(&bytes).into_owned(), None),
            };
            return Err(RatlsError::Status {
                url: at,
                status: status.as_u16(),
                message,
                check,
            });
        }
        let value = serde_json::from_slice(&bytes).map_err(|e| RatlsError::Json {
            url: at.clone(),
            reason: e.to_string(),
        })?;
        Ok(Fetched { value, spki_sha256 })
    }
}
