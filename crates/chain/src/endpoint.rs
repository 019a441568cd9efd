//! One JSON-RPC endpoint as an alloy transport: JSON over HTTP/1.1, over TLS checked as the chain view says
//! (the public roots built in, or pinned keys) or, to loopback only, over plain TCP.

use std::{sync::Arc, task, time::Duration};

use alloy::{
    rpc::json_rpc::{RequestPacket, ResponsePacket},
    transports::{TransportError, TransportErrorKind, TransportFut},
};
use dnavault_protocol::chain_view::{RpcEndpoint, RpcTrust};
use http_body_util::{BodyExt, Full, Limited};
use hyper::{
    Request,
    body::Bytes,
    client::conn::http1::{self, SendRequest},
    header,
};
use hyper_util::rt::TokioIo;
use rustls::pki_types::ServerName;
use tokio::{net::TcpStream, sync::Mutex};
use tokio_rustls::TlsConnector;
use url::Url;

use crate::{ChainError, tls};

/// The longest one request to one endpoint may take: a slow endpoint counts as one that did not answer.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// The largest answer read from an endpoint.
const MAX_ANSWER: usize = 32 << 20;

/// One endpoint. Cheap to clone; clones share one kept-alive connection.
#[derive(Clone)]
pub struct Endpoint {
    inner: Arc<Inner>,
}

struct Inner {
    url: String,
    host: String,
    port: u16,
    authority: String,
    path: String,
    tls: Option<(TlsConnector, ServerName<'static>)>,
    connection: Mutex<Option<SendRequest<Full<Bytes>>>>,
}

impl std::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Endpoint")
            .field("url", &self.inner.url)
            .finish_non_exhaustive()
    }
}

impl Endpoint {
    /// The transport for `endpoint`, authenticated as its trust says.
    pub fn new(endpoint: &RpcEndpoint) -> Result<Self, ChainError> {
        let refuse = |reason: String| ChainError::Endpoint {
            url: endpoint.url.clone(),
            reason,
        };
        let url = Url::parse(&endpoint.url).map_err(|e| refuse(e.to_string()))?;
        let host = url
            .host_str()
            .ok_or_else(|| refuse("no host".into()))?
            .trim_matches(['[', ']'])
            .to_owned();
        let port = url
            .port_or_known_default()
            .ok_or_else(|| refuse("no port".into()))?;
        let config = match (&endpoint.trust, url.scheme()) {
            (RpcTrust::PublicRoots, "https") => Some(tls::public_roots()?),
            (RpcTrust::Pinned { spki_sha256 }, "https") => Some(tls::pinned(spki_sha256)?),
            (RpcTrust::LoopbackUnverified, "http") => None,
            (trust, scheme) => {
                return Err(refuse(format!("{scheme}:// does not go with {trust:?}")));
            }
        };
        let tls = config
            .map(|config| {
                let name = ServerName::try_from(host.clone()).map_err(|e| refuse(e.to_string()))?;
                Ok::<_, ChainError>((TlsConnector::from(Arc::new(config)), name))
            })
            .transpose()?;
        let authority = match url.port() {
            Some(port) => format!("{}:{port}", url.host_str().unwrap_or_default()),
            None => url.host_str().unwrap_or_default().to_owned(),
        };
        let path = match url.query() {
            Some(query) => format!("{}?{query}", url.path()),
            None => url.path().to_owned(),
        };
        Ok(Self {
            inner: Arc::new(Inner {
                url: endpoint.url.clone(),
                host,
                port,
                authority,
                path,
                tls,
                connection: Mutex::new(None),
            }),
        })
    }

    /// The endpoint's URL.
    pub fn url(&self) -> &str {
        &self.inner.url
    }

    /// POSTs `body`; the HTTP status and the answer's bytes. A kept-alive connection that went away is
    /// replaced once.
    async fn post(&self, body: Bytes) -> Result<(u16, Bytes), String> {
        let mut held = self.inner.connection.lock().await;
        for attempt in 0..2 {
            let mut sender = match held.take() {
                Some(sender) if !sender.is_closed() => sender,
                _ => self.connect().await?,
            };
            let request = Request::post(self.inner.path.as_str())
                .header(header::HOST, self.inner.authority.as_str())
                .header(header::CONTENT_TYPE, "application/json")
                .header(header::ACCEPT, "application/json")
                .body(Full::new(body.clone()))
                .map_err(|e| e.to_string())?;
            let sent = async {
                sender.ready().await?;
                sender.send_request(request).await
            };
            match sent.await {
                Ok(response) => {
                    let status = response.status().as_u16();
                    let bytes = Limited::new(response.into_body(), MAX_ANSWER)
                        .collect()
                        .await
                        .map_err(|e| e.to_string())?
                        .to_bytes();
                    *held = Some(sender);
                    return Ok((status, bytes));
                }
                Err(error) if attempt == 0 => {
                    tracing::debug!(url = %self.inner.url, %error, "reconnecting to the RPC endpoint");
                }
                Err(error) => return Err(error.to_string()),
            }
        }
        Err("no connection".into())
    }

    async fn connect(&self) -> Result<SendRequest<Full<Bytes>>, String> {
        let tcp = TcpStream::connect((self.inner.host.as_str(), self.inner.port))
            .await
            .map_err(|e| format!("cannot connect: {e}"))?;
        let _ = tcp.set_nodelay(true);
        let sender = match &self.inner.tls {
            Some((connector, name)) => {
                let stream = connector
                    .connect(name.clone(), tcp)
                    .await
                    .map_err(|e| format!("TLS: {e}"))?;
                handshake(stream).await?
            }
            None => handshake(tcp).await?,
        };
        Ok(sender)
    }

    async fn answer(self, request: RequestPacket) -> Result<ResponsePacket, TransportError> {
        let body = serde_json::to_vec(&request).map_err(TransportError::ser_err)?;
        let (status, bytes) = tokio::time::timeout(REQUEST_TIMEOUT, self.post(body.into()))
            .await
            .map_err(|_| {
                TransportErrorKind::custom_str(&format!(
                    "{} did not answer within {REQUEST_TIMEOUT:?}",
                    self.inner.url
                ))
            })?
            .map_err(|reason| {
                TransportErrorKind::custom_str(&format!("{}: {reason}", self.inner.url))
            })?;
        if !(200..300).contains(&status) {
            return Err(TransportErrorKind::http_error(
                status,
                String::from_utf8_lossy(&bytes).chars().take(512).collect(),
            ));
        }
        serde_json::from_slice(&bytes)
            .map_err(|e| TransportError::deser_err(e, String::from_utf8_lossy(&bytes)))
    }
}

async fn handshake<S>(stream: S) -> Result<SendRequest<Full<Bytes>>, String>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin + 'static,
{
    let (sender, connection) = http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| format!("HTTP: {e}"))?;
    tokio::spawn(async move {
        if let Err(error) = connection.await {
            tracing::debug!(%error, "an RPC connection closed");
        }
    });
    Ok(sender)
}

impl tower::Service<RequestPacket> for Endpoint {
    type Response = ResponsePacket;
    type Error = TransportError;
    type Future = TransportFut<'static>;

    fn poll_ready(&mut self, _: &mut task::Context<'_>) -> task::Poll<Result<(), Self::Error>> {
        task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: RequestPacket) -> Self::Future {
        Box::pin(self.clone().answer(request))
    }
}
