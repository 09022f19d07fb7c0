//! What a request can fail with, as an HTTP status and a message: an HTML page for the pages
//! ([`PortalError`]), `{"error": ...}` for every path under `/api/` ([`ApiError`]).

use axum::extract::rejection::QueryRejection;
use axum::extract::{FromRequestParts, Query};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::de::DeserializeOwned;
use serde::Serialize;

use maud::html;

use crate::layout::page;

#[derive(Debug)]
pub(crate) enum PortalError {
    NotFound(String),
    BadRequest(String),
    /// The request is valid but the served release cannot answer it.
    Unavailable(String),
    Internal(String),
    /// The request needs a signed-in account.
    Unauthorized(String),
    /// The signed-in account may not do this, or the form's CSRF token is wrong.
    Forbidden(String),
    /// Too many failed sign-ins: try again after the given seconds.
    TooManyRequests(String, u64),
    /// An upload over its size limit.
    PayloadTooLarge(String),
    /// A form or an uploaded file that does not validate (the page lists why).
    Unprocessable(String),
}

impl PortalError {
    pub(crate) fn parts(self) -> (StatusCode, String) {
        match self {
            PortalError::NotFound(m) => (StatusCode::NOT_FOUND, m),
            PortalError::BadRequest(m) => (StatusCode::BAD_REQUEST, m),
            PortalError::Unavailable(m) => (StatusCode::CONFLICT, m),
            PortalError::Internal(m) => (StatusCode::INTERNAL_SERVER_ERROR, m),
            PortalError::Unauthorized(m) => (StatusCode::UNAUTHORIZED, m),
            PortalError::Forbidden(m) => (StatusCode::FORBIDDEN, m),
            PortalError::TooManyRequests(m, _) => (StatusCode::TOO_MANY_REQUESTS, m),
            PortalError::PayloadTooLarge(m) => (StatusCode::PAYLOAD_TOO_LARGE, m),
            PortalError::Unprocessable(m) => (StatusCode::UNPROCESSABLE_ENTITY, m),
        }
    }
}

impl From<incity_store::StoreError> for PortalError {
    fn from(e: incity_store::StoreError) -> Self {
        tracing::error!("store: {e}");
        PortalError::Internal("the database could not be read".into())
    }
}

impl IntoResponse for PortalError {
    fn into_response(self) -> Response {
        let retry_after = match &self {
            PortalError::TooManyRequests(_, seconds) => Some(*seconds),
            _ => None,
        };
        let unauthorized = matches!(self, PortalError::Unauthorized(_));
        let (status, message) = self.parts();
        let body = page(
            "Error",
            None,
            html! {
                h1 { (status.as_u16()) " " (status.canonical_reason().unwrap_or("")) }
                p { (message) }
                @if unauthorized { p { a href="/login" { "Sign in" } } }
            },
        );
        let mut response = (status, body).into_response();
        if let Some(s) = retry_after {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, s.into());
        }
        response
    }
}

/// An API failure: the status and `{"error": message}`.
#[derive(Debug)]
pub(crate) struct ApiError(pub(crate) StatusCode, pub(crate) String);

/// The body of every API error.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct ErrorOut {
    /// What went wrong and, for a bad parameter, what was expected.
    error: String,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.0, Json(ErrorOut { error: self.1 })).into_response()
    }
}

impl From<PortalError> for ApiError {
    fn from(e: PortalError) -> Self {
        let (status, message) = e.parts();
        ApiError(status, message)
    }
}

/// Query parameters whose rejection is answered in the caller's dialect: [`ApiQuery`] as JSON,
/// [`PageQuery`] as an HTML page.
pub(crate) struct ApiQuery<T>(pub(crate) T);
pub(crate) struct PageQuery<T>(pub(crate) T);

fn rejection_message(r: QueryRejection) -> String {
    format!("bad query parameters: {}", r.body_text())
}

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(q)| ApiQuery(q))
            .map_err(|r| ApiError(StatusCode::BAD_REQUEST, rejection_message(r)))
    }
}

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for PageQuery<T> {
    type Rejection = PortalError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(q)| PageQuery(q))
            .map_err(|r| PortalError::BadRequest(rejection_message(r)))
    }
}
