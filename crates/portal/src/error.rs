//! What a request can fail with, as an HTTP status and a message (HTML for pages, JSON for
//! the API is the caller's choice).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use maud::html;

use crate::layout::page;

pub(crate) enum PortalError {
    NotFound(String),
    BadRequest(String),
    /// The request is valid but the served release cannot answer it.
    Unavailable(String),
    Internal(String),
}

impl PortalError {
    pub(crate) fn parts(self) -> (StatusCode, String) {
        match self {
            PortalError::NotFound(m) => (StatusCode::NOT_FOUND, m),
            PortalError::BadRequest(m) => (StatusCode::BAD_REQUEST, m),
            PortalError::Unavailable(m) => (StatusCode::CONFLICT, m),
            PortalError::Internal(m) => (StatusCode::INTERNAL_SERVER_ERROR, m),
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
        let (status, message) = self.parts();
        let body = page(
            "Error",
            None,
            html! { h1 { (status.as_u16()) " " (status.canonical_reason().unwrap_or("")) } p { (message) } },
        );
        (status, body).into_response()
    }
}
