//! Why an attested-TLS exchange failed.

/// An attested-TLS failure.
#[derive(Debug, thiserror::Error)]
pub enum RatlsError {
    /// The URL is not an `https://host:port/` URL.
    #[error("invalid vault URL `{url}`: {reason}")]
    Url {
        /// The URL given.
        url: String,
        /// What is wrong.
        reason: String,
    },
    /// A certificate could not be read or made.
    #[error("certificate: {0}")]
    Certificate(String),
    /// TLS set-up failed.
    #[error("TLS configuration: {0}")]
    Config(String),
    /// The connection failed (refused, reset, TLS handshake; a pinned key that does not match fails here).
    #[error("cannot reach {url}: {reason}")]
    Connect {
        /// Where.
        url: String,
        /// Why.
        reason: String,
    },
    /// The HTTP exchange failed.
    #[error("HTTP exchange with {url} failed: {reason}")]
    Http {
        /// Where.
        url: String,
        /// Why.
        reason: String,
    },
    /// The server answered with an error.
    #[error("{url} answered {status}: {message}")]
    Status {
        /// Where.
        url: String,
        /// The HTTP status.
        status: u16,
        /// The server's message (its refusal's `error`, or the body).
        message: String,
        /// The check that refused, when the server answered with a refusal.
        check: Option<String>,
    },
    /// The vault served its evidence with a TLS key the evidence does not bind.
    #[error(
        "the vault at {url} served its evidence with a TLS key the evidence does not bind: refusing (a relay \
         or an impostor is in the way)"
    )]
    Unbound {
        /// Where.
        url: String,
    },
    /// The vault's evidence does not verify, or is for another vault, or its code is not approved.
    #[error("the vault's attestation: {0}")]
    Attestation(#[from] dnavault_attest::AttestError),
    /// The registry could not be read to check the vault's measurement.
    #[error("cannot read the registry: {0}")]
    Chain(String),
    /// The answer is not the JSON expected.
    #[error("{url} answered with unexpected JSON: {reason}")]
    Json {
        /// Where.
        url: String,
        /// Why.
        reason: String,
    },
}
