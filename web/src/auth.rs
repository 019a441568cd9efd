//! Sign-In with Ethereum (EIP-4361, the `siwe` crate) for owners' dashboards: the website hands out a
//! message with a fresh nonce, the owner signs it (a browser wallet's `personal_sign`, or
//! `dnavault-wallet sign-message`), and a valid signature on that message (this website's domain and URI,
//! this chain, the nonce unused and unexpired, within the message's own times) opens a session. The session
//! is a random token in a cookie that is HttpOnly, Secure and SameSite=Strict; the database keeps only the
//! token's SHA-256.

use std::str::FromStr;

use alloy::primitives::Address;
use axum::http::{HeaderMap, header};
use rand_core::{OsRng, RngCore};
use sha2::{Digest, Sha256};
use sqlx::Row;

use crate::{
    AppError, AppState, Result,
    db::{hex0x, signed},
};

/// The session cookie's name.
pub const COOKIE: &str = "dnavault_session";
/// How long a sign-in message can be signed.
const NONCE_LIFE_SECS: u64 = 10 * 60;
/// How long a session lasts.
const SESSION_LIFE_SECS: u64 = 8 * 60 * 60;

/// A sign-in message waiting for its signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    /// The EIP-4361 message to sign, as text.
    pub message: String,
    /// Its nonce.
    pub nonce: String,
}

/// The message `address` signs to sign in to this website now.
pub async fn challenge(state: &AppState, address: Address) -> Result<Challenge> {
    let now = state.now();
    let nonce = random_hex(16);
    let issued = time::OffsetDateTime::from_unix_timestamp(signed(now))
        .map_err(|e| crate::WebError::Database(e.to_string()))?;
    let message = siwe::Message {
        domain: state
            .public_url
            .authority()
            .parse()
            .map_err(|e| crate::WebError::Database(format!("the public URL's authority: {e}")))?,
        address: address.into_array(),
        statement: Some(STATEMENT.into()),
        uri: signin_uri(state)
            .parse()
            .map_err(|e| crate::WebError::Database(format!("the sign-in URI: {e}")))?,
        version: siwe::Version::V1,
        chain_id: state.deployment.chain_id,
        nonce: nonce.clone(),
        issued_at: issued.into(),
        expiration_time: Some((issued + time::Duration::seconds(signed(NONCE_LIFE_SECS))).into()),
        not_before: None,
        request_id: None,
        resources: Vec::new(),
    };
    sqlx::query("DELETE FROM signin_nonces WHERE expires <= $1")
        .bind(signed(now))
        .execute(state.db.pool())
        .await?;
    sqlx::query("INSERT INTO signin_nonces (nonce, address, expires) VALUES ($1, $2, $3)")
        .bind(&nonce)
        .bind(hex0x(address))
        .bind(signed(now + NONCE_LIFE_SECS))
        .execute(state.db.pool())
        .await?;
    Ok(Challenge {
        message: message.to_string(),
        nonce,
    })
}

/// What the message says the signature does, in its own words.
const STATEMENT: &str = "Sign in to the DNA Vault website to see your vaults and the requests waiting for \
     you. This proves you hold this address; it allows no transaction and no access to your data.";

fn signin_uri(state: &AppState) -> String {
    format!("{}signin", state.public_url)
}

/// Checks `signature` (hex) on the sign-in `message`; on success opens a session and returns its token
/// and the signer. Every failure says what was wrong.
pub async fn sign_in(
    state: &AppState,
    message: &str,
    signature: &str,
) -> Result<(String, Address), AppError> {
    let refused = |why: String| AppError {
        status: axum::http::StatusCode::UNAUTHORIZED,
        error: format!("sign-in refused: {why}"),
        check: "sign-in",
    };
    let message = siwe::Message::from_str(
        message
            .trim_end_matches(['\r', '\n'])
            .replace("\r\n", "\n")
            .as_str(),
    )
    .map_err(|e| refused(format!("not a sign-in message: {e}")))?;
    let signature = alloy::primitives::Bytes::from_str(signature.trim())
        .map_err(|_| refused("the signature is not hex".into()))?;
    if message.domain.as_str() != state.public_url.authority() {
        return Err(refused(format!(
            "the message is for {}, not this website ({})",
            message.domain,
            state.public_url.authority()
        )));
    }
    if message.uri.as_str() != signin_uri(state) || message.chain_id != state.deployment.chain_id {
        return Err(refused(
            "the message is not this website's sign-in (URI or chain)".into(),
        ));
    }
    // The nonce is spent whether or not the signature holds: a message is tried once.
    let row = sqlx::query("DELETE FROM signin_nonces WHERE nonce = $1 RETURNING address, expires")
        .bind(&message.nonce)
        .fetch_optional(state.db.pool())
        .await
        .map_err(AppError::internal)?;
    let Some(row) = row else {
        return Err(refused(
            "its nonce was never handed out or is already used: sign in again".into(),
        ));
    };
    let address = Address::from(message.address);
    let issued_to: String = row.try_get(0).map_err(AppError::internal)?;
    let expires: i64 = row.try_get(1).map_err(AppError::internal)?;
    if issued_to != hex0x(address) {
        return Err(refused(
            "the nonce was handed out to another address".into(),
        ));
    }
    if expires <= signed(state.now()) {
        return Err(refused("the message expired: sign in again".into()));
    }
    let options = siwe::VerificationOpts {
        domain: Some(message.domain.clone()),
        nonce: Some(message.nonce.clone()),
        timestamp: time::OffsetDateTime::from_unix_timestamp(signed(state.now())).ok(),
    };
    message
        .verify(&signature, &options)
        .await
        .map_err(|e| refused(format!("the signature does not verify for {address}: {e}")))?;
    let token = random_hex(32);
    sqlx::query("DELETE FROM sessions WHERE expires <= $1")
        .bind(signed(state.now()))
        .execute(state.db.pool())
        .await
        .map_err(AppError::internal)?;
    sqlx::query("INSERT INTO sessions (token_sha256, address, expires) VALUES ($1, $2, $3)")
        .bind(token_key(&token))
        .bind(hex0x(address))
        .bind(signed(state.now() + SESSION_LIFE_SECS))
        .execute(state.db.pool())
        .await
        .map_err(AppError::internal)?;
    Ok((token, address))
}

/// The `Set-Cookie` value that holds `token`.
pub fn session_cookie(token: &str) -> String {
    format!(
        "{COOKIE}={token}; Path=/; Max-Age={SESSION_LIFE_SECS}; HttpOnly; Secure; SameSite=Strict"
    )
}

/// The `Set-Cookie` value that ends the session.
pub fn cleared_cookie() -> String {
    format!("{COOKIE}=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Strict")
}

/// The signed-in address of the request's session, if it has a live one.
pub async fn session(state: &AppState, headers: &HeaderMap) -> Result<Option<Address>> {
    let Some(token) = cookie_token(headers) else {
        return Ok(None);
    };
    let row = sqlx::query("SELECT address FROM sessions WHERE token_sha256 = $1 AND expires > $2")
        .bind(token_key(&token))
        .bind(signed(state.now()))
        .fetch_optional(state.db.pool())
        .await?;
    row.map(|row| {
        let text: String = row.try_get(0)?;
        text.parse()
            .map_err(|_| crate::WebError::Database(format!("a session's address {text:?}")))
    })
    .transpose()
}

/// Ends the request's session.
pub async fn sign_out(state: &AppState, headers: &HeaderMap) -> Result<()> {
    if let Some(token) = cookie_token(headers) {
        sqlx::query("DELETE FROM sessions WHERE token_sha256 = $1")
            .bind(token_key(&token))
            .execute(state.db.pool())
            .await?;
    }
    Ok(())
}

fn cookie_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, token)| token.to_owned())
        .filter(|token| token.len() == 64 && token.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// How the database finds a session: the SHA-256 of its token.
fn token_key(token: &str) -> String {
    hex0x(Sha256::digest(token.as_bytes()))
}

fn random_hex(bytes: usize) -> String {
    let mut buffer = vec![0u8; bytes];
    OsRng.fill_bytes(&mut buffer);
    hex::encode(buffer)
}
