//! Who is asking: the session cookie, the CSRF token of every form, the check that a form was
//! posted from the portal's own pages, and the sign-in rate limit.
//!
//! A session is a random 256-bit token in an `HttpOnly; SameSite=Strict` cookie (`Secure`
//! behind TLS), of which the store keeps only the SHA-256; it lasts [`SESSION_SECONDS`]. A new
//! token is issued at every sign-in and a presented one is never adopted (no session
//! fixation). Each session has its own CSRF token, a hidden field of every form, compared in
//! constant time (the synchronizer-token pattern of OWASP's CSRF cheat sheet); on top, a POST
//! whose `Origin` is another site, or that the browser marks `Sec-Fetch-Site: cross-site`,
//! is refused before any handler runs.

use std::net::SocketAddr;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use incity_exchange::{token, Account};
use incity_store::exchange::Session;

use crate::error::PortalError;
use crate::AppState;

/// The session cookie's name.
pub(crate) const COOKIE: &str = "incity_session";

/// How long a session lasts (a working day).
pub(crate) const SESSION_SECONDS: i64 = 8 * 3600;

/// Failed sign-ins counted over this window.
pub(crate) const LOGIN_WINDOW_SECONDS: i64 = 15 * 60;
/// Failed sign-ins for one name within the window after which it is refused.
pub(crate) const LOGIN_FAILURES_PER_NAME: i64 = 5;
/// Failed sign-ins from one address within the window after which it is refused.
pub(crate) const LOGIN_FAILURES_PER_ADDRESS: i64 = 20;

pub(crate) fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// The person asking: signed in or not, over TLS or not, from which address.
pub(crate) struct Visitor {
    pub(crate) session: Option<Session>,
    /// The digest of the presented session token, when it opened a session.
    pub(crate) token_digest: Option<String>,
    /// Whether the request came over TLS (a proxy's `X-Forwarded-Proto: https`), or the
    /// portal was told to always mark cookies `Secure`.
    pub(crate) secure: bool,
    /// The client's address (the TCP peer; not a header a client could set).
    pub(crate) address: String,
}

impl Visitor {
    pub(crate) fn account(&self) -> Option<&Account> {
        self.session.as_ref().map(|s| &s.account)
    }

    /// The form token of this session ("" without a session).
    pub(crate) fn csrf(&self) -> &str {
        self.session
            .as_ref()
            .map(|s| s.csrf_token.as_str())
            .unwrap_or("")
    }

    /// The signed-in account, checking the form's CSRF token: 401 without a session, 403 with
    /// a wrong token.
    pub(crate) fn acting(&self, csrf: &str) -> Result<&Account, PortalError> {
        let session = self
            .session
            .as_ref()
            .ok_or_else(|| PortalError::Unauthorized("Sign in to change the exchange.".into()))?;
        if !token::same(&session.csrf_token, csrf) {
            return Err(PortalError::Forbidden(
                "The form's security token is missing or out of date: reload the page and send \
                 it again."
                    .into(),
            ));
        }
        Ok(&session.account)
    }

    /// The signed-in account for a page that needs one (401 otherwise).
    pub(crate) fn signed_in(&self) -> Result<&Account, PortalError> {
        self.account()
            .ok_or_else(|| PortalError::Unauthorized("Sign in to see this page.".into()))
    }
}

fn cookie_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.to_string())
        .filter(|v| v.len() == 64 && v.chars().all(|c| c.is_ascii_hexdigit()))
}

impl FromRequestParts<AppState> for Visitor {
    type Rejection = PortalError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Visitor, PortalError> {
        let exchange = state.exchange()?;
        let secure = exchange.secure_cookies
            || parts
                .headers
                .get("x-forwarded-proto")
                .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"https"));
        let address = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip().to_string())
            .unwrap_or_else(|| "unknown".into());
        let mut visitor = Visitor {
            session: None,
            token_digest: None,
            secure,
            address,
        };
        if let Some(t) = cookie_token(&parts.headers) {
            let digest = token::digest(&t);
            visitor.session = exchange.store.session(&digest, now()).await?;
            if visitor.session.is_some() {
                visitor.token_digest = Some(digest);
            }
        }
        Ok(visitor)
    }
}

/// The `Set-Cookie` value of a new session.
pub(crate) fn session_cookie(token: &str, secure: bool) -> HeaderValue {
    let value = format!(
        "{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={SESSION_SECONDS}{}",
        if secure { "; Secure" } else { "" }
    );
    HeaderValue::from_str(&value).unwrap_or(HeaderValue::from_static(""))
}

/// The `Set-Cookie` value that removes the session cookie.
pub(crate) fn cleared_cookie(secure: bool) -> HeaderValue {
    if secure {
        HeaderValue::from_static(
            "incity_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0; Secure",
        )
    } else {
        HeaderValue::from_static("incity_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0")
    }
}

/// Around every exchange route: refuses a POST sent from another site (its `Origin` names
/// another host than the request's `Host`, or the browser says `Sec-Fetch-Site: cross-site`),
/// and marks every answer `Cache-Control: no-store` (exchange pages depend on who asks).
pub(crate) async fn same_site_posts(
    State(_): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    if request.method() == Method::POST {
        let headers = request.headers();
        let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
        let origin_host = headers
            .get(header::ORIGIN)
            .and_then(|o| o.to_str().ok())
            .map(|o| o.split_once("://").map(|(_, rest)| rest).unwrap_or(o));
        let cross_origin = matches!((origin_host, host), (Some(o), Some(h)) if o != h)
            || matches!((origin_host, host), (Some(o), None) if o != "null");
        let cross_site = headers
            .get("sec-fetch-site")
            .is_some_and(|v| v.as_bytes() == b"cross-site");
        if cross_origin || cross_site {
            return PortalError::Forbidden(
                "A form of another site cannot change the exchange.".into(),
            )
            .into_response();
        }
    }
    let mut response = next.run(request).await;
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_well_formed_session_cookie_is_read() {
        let token = "a".repeat(64);
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_str(&format!("x=1; {COOKIE}={token}; y=2")).unwrap(),
        );
        assert_eq!(cookie_token(&h), Some(token));
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("incity_session=<script>"),
        );
        assert_eq!(cookie_token(&h), None);
        let c = session_cookie(&"b".repeat(64), true);
        let c = c.to_str().unwrap();
        assert!(c.contains("HttpOnly") && c.contains("SameSite=Strict") && c.ends_with("; Secure"));
        assert!(!session_cookie("b", false)
            .to_str()
            .unwrap()
            .contains("Secure"));
    }
}
