//! What every answer shares: the release it is rendered from, its entity tag and caching
//! headers, and the kept rendering of answers already given.
//!
//! [`release_answers`] runs around every route. It hands the handler the served release
//! (an `Extension<Arc<Served>>`, so one request sees one release even when a new one is
//! published meanwhile), answers `If-None-Match` with 304, and keeps successful GET answers
//! in the release's [`ResponseCache`](crate::served::ResponseCache).

use std::sync::Arc;

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::served::{CachedResponse, Served, CACHE_LARGEST};
use crate::AppState;

/// Browsers and proxies may reuse an answer for a minute, then revalidate with the entity tag
/// (a new release changes the tag).
const CACHE_CONTROL: HeaderValue = HeaderValue::from_static("public, max-age=60");

pub(crate) async fn release_answers(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let served: Arc<Served> = state.served();
    let cacheable = (request.method() == Method::GET || request.method() == Method::HEAD)
        && request.uri().path() != "/healthz";
    if !cacheable {
        request.extensions_mut().insert(served);
        return next.run(request).await;
    }
    let etag = served.etag.clone();
    if request
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|tags| {
            tags.split(',')
                .any(|t| t.trim() == "*" || t.trim().trim_start_matches("W/") == etag)
        })
    {
        return (
            StatusCode::NOT_MODIFIED,
            [(header::ETAG, etag), (header::CACHE_CONTROL, CACHE_CONTROL)],
        )
            .into_response();
    }
    let key = request.uri().to_string();
    if let Some(hit) = served.responses.get(&key) {
        let mut response = Response::new(Body::from(hit.body.clone()));
        *response.headers_mut() = hit.headers.clone();
        return response;
    }
    request.extensions_mut().insert(served.clone());
    let response = next.run(request).await;
    if response.status() != StatusCode::OK {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    parts.headers.insert(header::ETAG, etag);
    parts.headers.insert(header::CACHE_CONTROL, CACHE_CONTROL);
    match to_bytes(body, usize::MAX).await {
        Ok(bytes) => {
            if bytes.len() <= CACHE_LARGEST {
                served.responses.insert(
                    &key,
                    CachedResponse {
                        headers: parts.headers.clone(),
                        body: bytes.clone(),
                    },
                );
            }
            Response::from_parts(parts, Body::from(bytes))
        }
        Err(e) => {
            tracing::error!("rendering {key}: {e}");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}
