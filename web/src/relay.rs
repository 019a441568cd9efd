//! The relay: the mailbox between vaults and researchers and the owners' authenticators. It is untrusted
//! by design: payloads are sealed to their recipients ([`dnavault_relay`]) and every receiver checks what it
//! takes. What the relay adds is that it cannot be used to push requests nobody asked for: it files a
//! message only when its sender's signature verifies and the sender has a standing with the inbox's account
//! ([`standing`]), within a size, a lifetime and a rate per sender. Messages survive a restart (they are in
//! the database) and are delivered until their recipient acknowledges them under its signature, or expire.

mod standing;
mod store;

use alloy::primitives::{Address, B256};
use axum::{
    Json,
    extract::{Path, Query, State, rejection::JsonRejection, rejection::QueryRejection},
    http::{Method, StatusCode},
    response::IntoResponse,
    routing::{get, post},
};
use dnavault_protocol::boot::BootRequest;
use dnavault_relay::{Envelope, SignedAck, SignedRead, SignedRegistration};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::{AppError, AppState, api::Route};

/// The largest request body the relay reads (a sealed payload and, for a boot request, its evidence).
const BODY_LIMIT: usize = 96 * 1024;
/// How many messages one sender may post a minute.
const PER_SENDER_PER_MINUTE: usize = 30;
/// How many messages may wait in one inbox.
const PER_INBOX: i64 = 200;

/// The relay's routes (part of the JSON API and its OpenAPI description).
pub fn routes() -> Vec<Route> {
    let limit = || axum::extract::DefaultBodyLimit::max(BODY_LIMIT);
    vec![
        Route {
            method: Method::POST,
            path: "/relay/v1/inboxes",
            handler: post(register).layer(limit()),
        },
        Route {
            method: Method::GET,
            path: "/relay/v1/inboxes/{account}",
            handler: get(inbox),
        },
        Route {
            method: Method::POST,
            path: "/relay/v1/messages",
            handler: post(post_message).layer(limit()),
        },
        Route {
            method: Method::GET,
            path: "/relay/v1/messages",
            handler: get(messages),
        },
        Route {
            method: Method::POST,
            path: "/relay/v1/acks",
            handler: post(ack).layer(limit()),
        },
    ]
}

/// Each sender's recent posts, for the per-sender rate.
#[derive(Debug)]
pub struct RelayLimits(crate::allowance::Allowance);

impl Default for RelayLimits {
    fn default() -> Self {
        Self(crate::allowance::Allowance::new(PER_SENDER_PER_MINUTE, 60))
    }
}

impl RelayLimits {
    /// Counts a post by `sender` at `now`, refusing when it has posted its allowance this minute.
    fn spend(&self, sender: Address, now: u64) -> Result<(), AppError> {
        self.0.spend(sender, now).map_err(|wait| {
            AppError::refused(
                StatusCode::TOO_MANY_REQUESTS,
                "rate",
                format!(
                    "{sender} has posted {PER_SENDER_PER_MINUTE} messages this minute: try again in {wait} s"
                ),
            )
        })
    }
}

fn body<T>(body: Result<Json<T>, JsonRejection>, what: &str) -> Result<T, AppError> {
    body.map(|Json(value)| value).map_err(|rejection| AppError {
        status: rejection.status(),
        error: format!(
            "the body must be {what} (JSON, at most {} KiB): {}",
            BODY_LIMIT / 1024,
            rejection.body_text()
        ),
        check: "body",
    })
}

fn relay_refusal(check: &'static str) -> impl FnOnce(dnavault_relay::RelayError) -> AppError {
    move |error| AppError::refused(StatusCode::UNPROCESSABLE_ENTITY, check, error.to_string())
}

/// `POST /relay/v1/inboxes`: an account registers (or renews) an inbox under its signature.
async fn register(
    State(state): State<AppState>,
    registration: Result<Json<SignedRegistration>, JsonRejection>,
) -> Result<impl IntoResponse, AppError> {
    let registration = body(registration, "a signed inbox registration")?;
    registration
        .verify(&state.domain())
        .map_err(relay_refusal("signature"))?;
    let issued = registration.registration.issuedAt;
    let now = state.now();
    if issued > now + dnavault_relay::CLOCK_SKEW_SECS || now.saturating_sub(issued) > 3600 {
        return Err(AppError::refused(
            StatusCode::UNPROCESSABLE_ENTITY,
            "issued",
            "an inbox registration must be made within the last hour: sign a new one".into(),
        ));
    }
    store::register(&state.db, &registration).await?;
    Ok(Json(json!({ "topic": registration.topic() })))
}

/// `account`'s newest inbox, if it paired one (what the dashboard shows).
pub(crate) async fn paired_inbox(
    db: &crate::Database,
    account: Address,
) -> crate::Result<Option<SignedRegistration>> {
    store::newest_inbox(db, account).await
}

/// `GET /relay/v1/inboxes/{account}`: the account's newest inbox, as it signed it.
async fn inbox(
    State(state): State<AppState>,
    Path(account): Path<String>,
) -> Result<impl IntoResponse, AppError> {
    let account = crate::api::parse_address("the account", &account)?;
    let found = store::newest_inbox(&state.db, account).await?;
    found.map(Json).ok_or_else(|| AppError {
        status: StatusCode::NOT_FOUND,
        error: format!("{account} has registered no inbox: its owner pairs an authenticator first"),
        check: "not-found",
    })
}

/// What a sender posts: the envelope, and for a boot request the vault's (public) evidence, which the relay
/// checks before it files the request.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Post {
    envelope: Envelope,
    #[serde(default)]
    evidence: Option<BootRequest>,
}

/// Where a posted message was filed.
#[derive(Debug, Serialize)]
struct Filed {
    topic: B256,
    nonce: B256,
    expires: u64,
}

/// `POST /relay/v1/messages`: a message, filed when its sender's signature and standing hold.
async fn post_message(
    State(state): State<AppState>,
    post: Result<Json<Post>, JsonRejection>,
) -> Result<impl IntoResponse, AppError> {
    let post = body(post, "a relay envelope")?;
    let now = state.now();
    let envelope = post.envelope;
    let kind = envelope
        .verify(&state.domain(), now)
        .map_err(relay_refusal("envelope"))?;
    let topic = envelope.message.topic;
    let Some(recipient) = store::inbox(&state.db, topic).await? else {
        return Err(AppError::refused(
            StatusCode::NOT_FOUND,
            "not-found",
            format!("no inbox has topic {topic}"),
        ));
    };
    standing::check(
        &state,
        kind,
        &envelope,
        post.evidence.as_ref(),
        &recipient,
        now,
    )
    .await?;
    state.relay_limits.spend(envelope.message.sender, now)?;
    if store::waiting(&state.db, topic, now).await? >= PER_INBOX {
        return Err(AppError::refused(
            StatusCode::TOO_MANY_REQUESTS,
            "inbox-full",
            format!(
                "inbox {topic} holds {PER_INBOX} messages its recipient has not taken: try later"
            ),
        ));
    }
    store::file(&state.db, &envelope, now).await?;
    let filed = Filed {
        topic,
        nonce: envelope.message.nonce,
        expires: envelope.message.expires,
    };
    Ok((StatusCode::CREATED, Json(filed)))
}

/// Which inbox to read, and its account's signed request to.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Read {
    topic: String,
    at: u64,
    signature: String,
}

/// `GET /relay/v1/messages?topic=&at=&signature=`: what waits in an inbox, oldest first (sealed: only its
/// key opens it), listed only to its account, whose signature over (topic, at) must be fresh.
async fn messages(
    State(state): State<AppState>,
    query: Result<Query<Read>, QueryRejection>,
) -> Result<impl IntoResponse, AppError> {
    let Query(query) = query.map_err(|rejection| {
        AppError::bad_request(
            "query",
            format!(
                "listing an inbox takes topic, at and its account's signature over both \
                 (dnavault-relay SignedRead): {}",
                rejection.body_text()
            ),
        )
    })?;
    let topic: B256 = query.topic.parse().map_err(|_| {
        AppError::bad_request(
            "topic",
            format!("a topic is 32 bytes of hex, not {:?}", query.topic),
        )
    })?;
    let signature = query
        .signature
        .parse()
        .map_err(|_| AppError::bad_request("signature", "the signature is not hex".into()))?;
    let read = SignedRead {
        read: dnavault_relay::RelayRead {
            topic,
            at: query.at,
        },
        signature,
    };
    let Some(inbox) = store::inbox(&state.db, topic).await? else {
        return Err(AppError::refused(
            StatusCode::NOT_FOUND,
            "not-found",
            format!("no inbox has topic {topic}"),
        ));
    };
    read.verify(&state.domain(), &inbox, state.now())
        .map_err(|e| AppError::refused(StatusCode::FORBIDDEN, "signature", e.to_string()))?;
    let waiting = store::messages(&state.db, topic, state.now()).await?;
    Ok(Json(json!({ "messages": waiting })))
}

/// `POST /relay/v1/acks`: the inbox's account took a message; the relay forgets it.
async fn ack(
    State(state): State<AppState>,
    ack: Result<Json<SignedAck>, JsonRejection>,
) -> Result<impl IntoResponse, AppError> {
    let ack = body(ack, "a signed acknowledgement")?;
    let Some(inbox) = store::inbox(&state.db, ack.ack.topic).await? else {
        return Err(AppError::refused(
            StatusCode::NOT_FOUND,
            "not-found",
            format!("no inbox has topic {}", ack.ack.topic),
        ));
    };
    ack.verify(&state.domain(), &inbox)
        .map_err(relay_refusal("signature"))?;
    let removed = store::forget(&state.db, ack.ack.topic, ack.ack.nonce).await?;
    Ok(Json(json!({ "acknowledged": removed })))
}
