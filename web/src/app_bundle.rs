//! The phone authenticator's static bundle (`script/build-app`), served at `/app/` when the website is
//! started with `--app-dir`: same origin as the relay and the relayer it talks to, under a content security
//! policy that lets it run its own scripts and WebAssembly and nothing else, and reach this origin, the RPC
//! it is offered and HTTPS origins (an RPC its owner sets).

use std::path::Path;

use axum::{
    Router,
    http::{HeaderName, HeaderValue, header},
};
use tower_http::{services::ServeDir, set_header::SetResponseHeaderLayer};

use crate::{Result, WebError};

/// Where the bundle is served.
pub const PATH: &str = "/app";

/// The app's content security policy: its own files only, WebAssembly compiled from them, requests to
/// this origin (the relay, the relayer, the API), to `rpc`'s origin and to HTTPS origins, no frames.
fn policy(rpc: &url::Url) -> Result<HeaderValue> {
    let origin = rpc.origin().ascii_serialization();
    let policy = format!(
        "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self'; \
         manifest-src 'self'; worker-src 'self'; connect-src 'self' {origin} https:; base-uri 'none'; \
         form-action 'none'; frame-ancestors 'none'"
    );
    HeaderValue::from_str(&policy).map_err(|_| {
        WebError::Serve(format!(
            "--public-rpc {rpc}: not an origin a policy can name"
        ))
    })
}

/// The bundle in `dir`, with its security headers; nothing is cached without asking again, so a new build
/// (and its service worker) is seen at once. `rpc` is the RPC the app is offered.
pub fn service<S: Clone + Send + Sync + 'static>(dir: &Path, rpc: &url::Url) -> Result<Router<S>> {
    let header = |name: HeaderName, value: &'static str| {
        SetResponseHeaderLayer::overriding(name, HeaderValue::from_static(value))
    };
    Ok(Router::new()
        .fallback_service(ServeDir::new(dir).append_index_html_on_directories(true))
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            policy(rpc)?,
        ))
        .layer(header(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(header(header::REFERRER_POLICY, "no-referrer"))
        .layer(header(header::CACHE_CONTROL, "no-cache"))
        .layer(header(
            HeaderName::from_static("permissions-policy"),
            "publickey-credentials-create=(self), publickey-credentials-get=(self), camera=(self)",
        )))
}
