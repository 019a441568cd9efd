//! Receiving a query body. Its signature can only be checked once the whole body is in (the request commits
//! to the query's hash), so until then the sender is unknown: bodies in flight share a memory budget, each
//! reserving its declared length before a byte is read, and must arrive within a deadline.

use std::time::Duration;

use axum::{
    body::Body,
    http::{HeaderMap, StatusCode, header},
};
use dnavault_protocol::query::QuerySubmission;
use http_body_util::LengthLimitError;
use tokio::sync::{Semaphore, SemaphorePermit};

use crate::ApiError;

/// The largest query body: a scoring file with a few million weights.
pub const MAX_QUERY_BYTES: usize = 128 << 20;

/// The memory all query bodies in flight may hold at once (two of the largest).
pub(crate) const BUDGET_BYTES: usize = 2 * MAX_QUERY_BYTES;

/// The budget is counted in units of this many bytes.
const UNIT: usize = 1024;

/// How long a body may take to arrive.
pub(crate) const BODY_DEADLINE: Duration = Duration::from_secs(120);

/// The shared budget for [`receive`].
pub(crate) fn budget() -> Semaphore {
    Semaphore::new(BUDGET_BYTES / UNIT)
}

/// Reads and parses a query submission, holding its share of `budget` for as long as the returned permit
/// lives. Refuses, without reading, a declared length over [`MAX_QUERY_BYTES`] (413) and a body the budget
/// has no room for (503); a body that does not arrive within `deadline` gets 408.
pub(crate) async fn receive<'a>(
    budget: &'a Semaphore,
    headers: &HeaderMap,
    body: Body,
    deadline: Duration,
) -> Result<(QuerySubmission, SemaphorePermit<'a>), ApiError> {
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
    if let Some(length) = declared.filter(|&length| length > MAX_QUERY_BYTES) {
        return Err(too_large(Some(length)));
    }
    // Without a declared length, the largest body is reserved.
    let limit = declared.unwrap_or(MAX_QUERY_BYTES);
    let units = u32::try_from(limit.div_ceil(UNIT).max(1)).unwrap_or(u32::MAX);
    let permit = budget.try_acquire_many(units).map_err(|_| {
        refusal(
            StatusCode::SERVICE_UNAVAILABLE,
            "busy",
            "the vault is receiving as many queries as it holds memory for; try again shortly"
                .into(),
        )
    })?;
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
        Ok(Err(e)) if declared.is_none() && over_limit(&e) => return Err(too_large(None)),
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
    Ok((submission, permit))
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

fn too_large(declared: Option<usize>) -> ApiError {
    let size = declared.map_or("more".into(), |length| format!("{length} bytes"));
    refusal(
        StatusCode::PAYLOAD_TOO_LARGE,
        "size",
        format!("the query body is {size}; at most {MAX_QUERY_BYTES} bytes are accepted"),
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
        budget: &Semaphore,
        headers: &HeaderMap,
        body: impl Into<Body>,
    ) -> (StatusCode, &'static str) {
        let error = receive(budget, headers, body.into(), Duration::from_millis(200))
            .await
            .map(|_| ())
            .unwrap_err();
        (error.status, error.check)
    }

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

    #[tokio::test]
    async fn bodies_in_flight_share_the_budget_and_give_it_back() {
        let budget = budget();
        let largest = (MAX_QUERY_BYTES / UNIT) as u32;
        // One of the largest bodies is being received.
        let _first = budget.try_acquire_many(largest).unwrap();
        // A second that never arrives times out and gives its share back.
        let silent = receive(
            &budget,
            &headers(Some(MAX_QUERY_BYTES)),
            Body::new(Silent),
            Duration::from_millis(100),
        )
        .await
        .map(|_| ())
        .unwrap_err();
        assert_eq!(
            (silent.status, silent.check),
            (StatusCode::REQUEST_TIMEOUT, "deadline")
        );
        assert_eq!(budget.available_permits(), largest as usize);
        // With one unit less than the largest body left, a small body is read (and found malformed)...
        let _one = budget.try_acquire_many(1).unwrap();
        assert_eq!(
            status(&budget, &headers(Some(2)), "{}").await,
            (StatusCode::BAD_REQUEST, "request")
        );
        // ...and one without a declared length, which reserves the largest, is refused unread.
        assert_eq!(
            status(&budget, &headers(None), Body::new(Silent)).await,
            (StatusCode::SERVICE_UNAVAILABLE, "busy")
        );
        assert_eq!(budget.available_permits(), largest as usize - 1);
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
        let budget = budget();
        assert_eq!(
            status(&budget, &headers(None), vec![b' '; MAX_QUERY_BYTES + 1]).await,
            (StatusCode::PAYLOAD_TOO_LARGE, "size")
        );
        assert_eq!(
            status(&budget, &headers(None), Body::new(Reset)).await,
            (StatusCode::BAD_REQUEST, "body"),
            "a failed connection is not reported as too large"
        );
        assert_eq!(budget.available_permits(), BUDGET_BYTES / UNIT);
    }

    #[tokio::test]
    async fn oversized_untyped_and_malformed_bodies_are_refused() {
        let budget = budget();
        assert_eq!(
            status(
                &budget,
                &headers(Some(MAX_QUERY_BYTES + 1)),
                Body::new(Silent)
            )
            .await,
            (StatusCode::PAYLOAD_TOO_LARGE, "size"),
            "refused on the declared length, before reading"
        );
        // More bytes than declared.
        assert_eq!(
            status(&budget, &headers(Some(3)), "{\"a\": 1}").await,
            (StatusCode::BAD_REQUEST, "body")
        );
        let mut text = headers(Some(2));
        text.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
        assert_eq!(
            status(&budget, &text, "{}").await,
            (StatusCode::UNSUPPORTED_MEDIA_TYPE, "content-type")
        );
        let mut garbled = headers(None);
        garbled.insert(header::CONTENT_LENGTH, HeaderValue::from_static("ten"));
        assert_eq!(
            status(&budget, &garbled, "{}").await,
            (StatusCode::BAD_REQUEST, "content-length")
        );
        let (status, check) = status(&budget, &headers(Some(2)), "{}").await;
        assert_eq!((status, check), (StatusCode::BAD_REQUEST, "request"));
        assert_eq!(budget.available_permits(), BUDGET_BYTES / UNIT);
    }
}
