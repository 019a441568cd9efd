//! Receiving a query body. Its signature can only be checked once the whole body is in (the request commits
//! to the query's hash), unless the sender sends the signed request ahead, in the [`SignedQuery::HEADER`]
//! header, where the consent gate checks it before a byte of the body is read. So bodies are received from
//! two pools: a small one anyone may draw on, for bodies up to [`OPEN_QUERY_BYTES`] (a query without a
//! scoring file), and the large one, up to [`MAX_QUERY_BYTES`], only for a researcher the gate vouched for,
//! one body at a time each (a small one comes from the open pool while it has room). Each body reserves its
//! declared length before it is read and must arrive at a steady rate.

use std::{collections::HashSet, sync::Mutex, time::Duration};

use alloy::primitives::Address;
use axum::{
    body::Body,
    http::{HeaderMap, StatusCode, header},
};
use dnavault_protocol::{
    header::SignedHeader,
    query::{OPEN_QUERY_BYTES, QuerySubmission, SignedQuery},
};
use http_body_util::LengthLimitError;
use tokio::sync::{Semaphore, SemaphorePermit};

use crate::ApiError;

/// The largest query body: a scoring file with a few million weights.
pub const MAX_QUERY_BYTES: usize = 128 << 20;

/// The memory vouched-for bodies in flight may hold at once (two of the largest).
pub(crate) const BUDGET_BYTES: usize = 2 * MAX_QUERY_BYTES;

/// The memory bodies from anyone may hold at once (128 of the largest of those).
pub(crate) const OPEN_BUDGET_BYTES: usize = 128 * OPEN_QUERY_BYTES;

/// The budget is counted in units of this many bytes.
const UNIT: usize = 1024;

/// How long any body may take to arrive, and a vouched-for one one second more per MiB it declares.
pub(crate) const BODY_DEADLINE: Duration = Duration::from_secs(10);

/// The pools query bodies are received from.
pub(crate) struct Budgets {
    open: Semaphore,
    vouched: Semaphore,
    /// Researchers with a body in flight from the vouched pool.
    sending: Mutex<HashSet<Address>>,
}

impl Budgets {
    /// Empty pools.
    pub(crate) fn new() -> Self {
        Self {
            open: Semaphore::new(OPEN_BUDGET_BYTES / UNIT),
            vouched: Semaphore::new(BUDGET_BYTES / UNIT),
            sending: Mutex::new(HashSet::new()),
        }
    }
}

/// A body's share of its pool, held while the query it carries is answered.
pub(crate) struct Held<'a> {
    _permit: SemaphorePermit<'a>,
    sender: Option<(&'a Mutex<HashSet<Address>>, Address)>,
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        if let Some((sending, researcher)) = self.sender {
            sending
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .remove(&researcher);
        }
    }
}

/// Reads and parses a query submission from `vouched` (the researcher the gate checked ahead, if any),
/// holding its share of `budgets` for as long as the returned [`Held`] lives. Refuses, without reading, a
/// declared length over the sender's limit (413) and a body its pool has no room for (503); a body that does
/// not arrive within `deadline` (plus a second per MiB for a vouched-for one) gets 408.
pub(crate) async fn receive<'a>(
    budgets: &'a Budgets,
    headers: &HeaderMap,
    body: Body,
    vouched: Option<Address>,
    deadline: Duration,
) -> Result<(QuerySubmission, Held<'a>), ApiError> {
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json"));
    if !json {
        return Err(refusal(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "content-type",
            "a query submission is sent as `content-type: application/json`".into(),
        ));
    }
    let declared = match headers.get(header::CONTENT_LENGTH) {
        None => None,
        Some(value) => Some(
            value
                .to_str()
                .ok()
                .and_then(|text| text.parse::<usize>().ok())
                .ok_or_else(|| {
                    ApiError::bad_request("content-length", "content-length is not a number".into())
                })?,
        ),
    };
    let max = match vouched {
        Some(_) => MAX_QUERY_BYTES,
        None => OPEN_QUERY_BYTES,
    };
    if let Some(length) = declared.filter(|&length| length > max) {
        return Err(too_large(Some(length), vouched.is_some()));
    }
    // Without a declared length, the largest body is reserved.
    let limit = declared.unwrap_or(max);
    let held = hold(budgets, limit, vouched)?;
    let deadline = deadline_for(deadline, limit, vouched.is_some());
    let bytes = match tokio::time::timeout(deadline, axum::body::to_bytes(body, limit)).await {
        Err(_) => {
            return Err(refusal(
                StatusCode::REQUEST_TIMEOUT,
                "deadline",
                format!("the query body did not arrive within {deadline:?}"),
            ));
        }
        // Over the limit with no length declared: too large. A declared length the body overruns, or a
        // connection that fails, is a bad body.
        Ok(Err(e)) if declared.is_none() && over_limit(&e) => {
            return Err(too_large(None, vouched.is_some()));
        }
        Ok(Err(e)) => {
            return Err(ApiError::bad_request(
                "body",
                format!("the query body could not be read: {e}"),
            ));
        }
        Ok(Ok(bytes)) => bytes,
    };
    let submission = serde_json::from_slice(&bytes).map_err(|e| {
        ApiError::bad_request("request", format!("the query submission is not valid: {e}"))
    })?;
    Ok((submission, held))
}

/// How long a body of up to `limit` bytes may take: `base`, and for a vouched-for sender a second more per
/// MiB (at least 1 MiB/s, so a slow sender cannot hold its share for long).
fn deadline_for(base: Duration, limit: usize, vouched: bool) -> Duration {
    match vouched {
        true => base + Duration::from_secs(u64::try_from(limit >> 20).unwrap_or(u64::MAX)),
        false => base,
    }
}

/// Reserves `limit` bytes from the sender's pool (and, for a vouched-for researcher, their one slot).
fn hold(budgets: &Budgets, limit: usize, vouched: Option<Address>) -> Result<Held<'_>, ApiError> {
    let busy = || {
        refusal(
            StatusCode::SERVICE_UNAVAILABLE,
            "busy",
            "the vault is receiving as many queries as it holds memory for; try again shortly"
                .into(),
        )
    };
    let units = u32::try_from(limit.div_ceil(UNIT).max(1)).unwrap_or(u32::MAX);
    let Some(researcher) = vouched else {
        let permit = budgets.open.try_acquire_many(units).map_err(|_| busy())?;
        return Ok(Held {
            _permit: permit,
            sender: None,
        });
    };
    // A body anyone could send comes from the open pool while it has room, so a researcher's small queries
    // do not wait on each other; with the open pool full, from the researcher's one slot.
    if limit <= OPEN_QUERY_BYTES
        && let Ok(permit) = budgets.open.try_acquire_many(units)
    {
        return Ok(Held {
            _permit: permit,
            sender: None,
        });
    }
    let fresh = budgets
        .sending
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .insert(researcher);
    if !fresh {
        return Err(refusal(
            StatusCode::TOO_MANY_REQUESTS,
            "busy",
            format!(
                "{researcher} is already sending a query body from the pool for vouched-for researchers: \
                 one at a time"
            ),
        ));
    }
    match budgets.vouched.try_acquire_many(units) {
        Ok(permit) => Ok(Held {
            _permit: permit,
            sender: Some((&budgets.sending, researcher)),
        }),
        Err(_) => {
            budgets
                .sending
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .remove(&researcher);
            Err(busy())
        }
    }
}

/// Whether reading stopped because the body passed its limit.
fn over_limit(error: &axum::Error) -> bool {
    std::error::Error::source(error).is_some_and(|source| source.is::<LengthLimitError>())
}

fn refusal(status: StatusCode, check: &'static str, error: String) -> ApiError {
    ApiError {
        status,
        error,
        check,
    }
}

fn too_large(declared: Option<usize>, vouched: bool) -> ApiError {
    let size = declared.map_or("more".into(), |length| format!("{length} bytes"));
    if vouched {
        return refusal(
            StatusCode::PAYLOAD_TOO_LARGE,
            "size",
            format!("the query body is {size}; at most {MAX_QUERY_BYTES} bytes are accepted"),
        );
    }
    refusal(
        StatusCode::PAYLOAD_TOO_LARGE,
        "size",
        format!(
            "the query body is {size}; over {OPEN_QUERY_BYTES} bytes, a body is accepted only after its \
             signed request, sent ahead in the `{}` header, passed the consent gate",
            SignedQuery::HEADER
        ),
    )
}

#[cfg(test)]
mod tests {
    use std::{
        convert::Infallible,
        pin::Pin,
        task::{Context, Poll},
    };

    use axum::http::HeaderValue;
    use bytes::Bytes;

    use super::*;

    const RESEARCHER: Address = Address::new([0x77; 20]);

    fn headers(length: Option<usize>) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        if let Some(length) = length {
            headers.insert(header::CONTENT_LENGTH, length.into());
        }
        headers
    }

    async fn status(
        budgets: &Budgets,
        headers: &HeaderMap,
        body: impl Into<Body>,
        vouched: Option<Address>,
    ) -> (StatusCode, &'static str) {
        let error = receive(
            budgets,
            headers,
            body.into(),
            vouched,
            Duration::from_millis(200),
        )
        .await
        .map(|_| ())
        .unwrap_err();
        (error.status, error.check)
    }

    fn available(budgets: &Budgets) -> (usize, usize) {
        (
            budgets.open.available_permits(),
            budgets.vouched.available_permits(),
        )
    }

    const FULL: (usize, usize) = (OPEN_BUDGET_BYTES / UNIT, BUDGET_BYTES / UNIT);

    /// A body whose bytes never come.
    struct Silent;

    impl http_body::Body for Silent {
        type Data = Bytes;
        type Error = Infallible;

        fn poll_frame(
            self: Pin<&mut Self>,
            _: &mut Context<'_>,
        ) -> Poll<Option<Result<http_body::Frame<Bytes>, Infallible>>> {
            Poll::Pending
        }
    }

    /// The attack the two pools answer: idle connections declaring the largest bodies. From senders the gate
    /// has not vouched for they are refused unread; the open pool they may use holds only small bodies, so
    /// filling it leaves the vouched-for pool whole.
    #[tokio::test]
    async fn senders_not_vouched_for_cannot_hold_the_large_pool() {
        let budgets = Budgets::new();
        let unread = status(
            &budgets,
            &headers(Some(MAX_QUERY_BYTES)),
            Body::new(Silent),
            None,
        )
        .await;
        assert_eq!(unread, (StatusCode::PAYLOAD_TOO_LARGE, "size"));
        let error = receive(
            &budgets,
            &headers(Some(OPEN_QUERY_BYTES + 1)),
            Body::new(Silent),
            None,
            BODY_DEADLINE,
        )
        .await
        .map(|_| ())
        .unwrap_err();
        assert!(error.error.contains(SignedQuery::HEADER), "{}", error.error);
        // Idle small bodies fill the open pool, and time out; the vouched-for pool is untouched meanwhile.
        let unsized_body = headers(None);
        let idle: Vec<_> = (0..128)
            .map(|_| {
                receive(
                    &budgets,
                    &unsized_body,
                    Body::new(Silent),
                    None,
                    Duration::from_millis(300),
                )
            })
            .collect();
        let racing = async {
            tokio::time::sleep(Duration::from_millis(100)).await;
            let full = available(&budgets);
            let one_more = status(&budgets, &headers(Some(2)), "{}", None).await;
            let vouched = status(&budgets, &headers(Some(2)), "{}", Some(RESEARCHER)).await;
            (full, one_more, vouched)
        };
        let (refused, (full, one_more, vouched)) =
            tokio::join!(futures_util::future::join_all(idle), racing);
        assert_eq!(full, (0, FULL.1));
        assert_eq!(one_more, (StatusCode::SERVICE_UNAVAILABLE, "busy"));
        assert_eq!(
            vouched,
            (StatusCode::BAD_REQUEST, "request"),
            "read, and found malformed"
        );
        assert!(
            refused
                .iter()
                .all(|r| r.as_ref().is_err_and(|e| e.check == "deadline"))
        );
        assert_eq!(available(&budgets), FULL, "every share given back");
    }

    #[tokio::test]
    async fn a_vouched_for_researcher_sends_one_large_body_at_a_time() {
        let budgets = Budgets::new();
        let large = headers(Some(2 * OPEN_QUERY_BYTES));
        let first = receive(
            &budgets,
            &large,
            Body::new(Silent),
            Some(RESEARCHER),
            Duration::from_millis(300),
        );
        let second = async {
            tokio::time::sleep(Duration::from_millis(50)).await;
            let again = status(&budgets, &large, Body::new(Silent), Some(RESEARCHER)).await;
            let other = status(&budgets, &headers(Some(2)), "{}", Some(Address::ZERO)).await;
            let small = status(&budgets, &headers(Some(2)), "{}", Some(RESEARCHER)).await;
            (again, other, small)
        };
        let (first, (again, other, small)) = tokio::join!(first, second);
        assert_eq!(again, (StatusCode::TOO_MANY_REQUESTS, "busy"));
        assert_eq!(
            small,
            (StatusCode::BAD_REQUEST, "request"),
            "the same researcher's small bodies are read meanwhile, from the open pool"
        );
        assert_eq!(
            other,
            (StatusCode::BAD_REQUEST, "request"),
            "another researcher is read"
        );
        let first = first.map(|_| ()).unwrap_err();
        assert_eq!(
            (first.status, first.check),
            (StatusCode::REQUEST_TIMEOUT, "deadline")
        );
        assert_eq!(available(&budgets), FULL);
        assert!(budgets.sending.lock().unwrap().is_empty());
    }

    #[test]
    fn a_large_body_may_take_a_second_more_per_mib_and_no_longer() {
        let base = BODY_DEADLINE;
        assert_eq!(
            deadline_for(base, MAX_QUERY_BYTES, true),
            base + Duration::from_secs(128)
        );
        assert_eq!(deadline_for(base, MAX_QUERY_BYTES, false), base);
        assert_eq!(deadline_for(base, OPEN_QUERY_BYTES, true), base);
    }

    /// A body whose connection fails.
    struct Reset;

    impl http_body::Body for Reset {
        type Data = Bytes;
        type Error = std::io::Error;

        fn poll_frame(
            self: Pin<&mut Self>,
            _: &mut Context<'_>,
        ) -> Poll<Option<Result<http_body::Frame<Bytes>, std::io::Error>>> {
            Poll::Ready(Some(Err(std::io::ErrorKind::ConnectionReset.into())))
        }
    }

    #[tokio::test]
    async fn without_a_declared_length_only_an_overrun_is_too_large() {
        let budgets = Budgets::new();
        let over = vec![b' '; OPEN_QUERY_BYTES + 1];
        assert_eq!(
            status(&budgets, &headers(None), over, None).await,
            (StatusCode::PAYLOAD_TOO_LARGE, "size")
        );
        assert_eq!(
            status(&budgets, &headers(None), Body::new(Reset), Some(RESEARCHER)).await,
            (StatusCode::BAD_REQUEST, "body"),
            "a failed connection is not reported as too large"
        );
        assert_eq!(available(&budgets), FULL);
    }

    #[tokio::test]
    async fn oversized_untyped_and_malformed_bodies_are_refused() {
        let budgets = Budgets::new();
        assert_eq!(
            status(
                &budgets,
                &headers(Some(MAX_QUERY_BYTES + 1)),
                Body::new(Silent),
                Some(RESEARCHER)
            )
            .await,
            (StatusCode::PAYLOAD_TOO_LARGE, "size"),
            "refused on the declared length, before reading"
        );
        // More bytes than declared.
        assert_eq!(
            status(&budgets, &headers(Some(3)), "{\"a\": 1}", None).await,
            (StatusCode::BAD_REQUEST, "body")
        );
        let mut text = headers(Some(2));
        text.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
        assert_eq!(
            status(&budgets, &text, "{}", None).await,
            (StatusCode::UNSUPPORTED_MEDIA_TYPE, "content-type")
        );
        let mut garbled = headers(None);
        garbled.insert(header::CONTENT_LENGTH, HeaderValue::from_static("ten"));
        assert_eq!(
            status(&budgets, &garbled, "{}", None).await,
            (StatusCode::BAD_REQUEST, "content-length")
        );
        assert_eq!(available(&budgets), FULL);
    }
}
