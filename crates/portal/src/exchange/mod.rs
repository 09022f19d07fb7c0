//! The city-to-city exchange's pages: sign-in and accounts ([`accounts`]), city pages with
//! practices, needs, offers and uploaded tables ([`cities`]), "cities to talk to" and the
//! network's overview ([`network`]); the session, CSRF and rate-limit rules in [`session`].
//!
//! Unlike the release pages these read and write the exchange database on every request, and
//! they are outside the release's answer cache (their answers depend on who asks and are
//! marked `no-store`). Every change is a POST of a form that carries the session's CSRF token;
//! every handler decides with [`Account::may`](incity_exchange::Account::may), and nothing
//! else grants a right.

mod accounts;
mod cities;
mod network;
pub(crate) mod session;
mod uploads;

use std::path::Path;
use std::sync::Arc;

use axum::extract::rejection::FormRejection;
use axum::extract::{DefaultBodyLimit, FromRequest, Request};
use axum::routing::{get, post};
use axum::{Form, Router};
use incity_exchange::Account;
use incity_store::exchange::ExchangeStore;
use incity_store::PublishedTableRecord;
use maud::{html, Markup};
use serde::de::DeserializeOwned;

use crate::error::PortalError;
use crate::AppState;

pub(crate) use session::Visitor;

/// Reads an uploaded table file as `incity import-table` does (the CLI gives the portal its
/// reader, so the portal builds without the data crate): with a mapping (TOML text) an
/// administrative CSV, without one a Eurostat TSV or SDMX-CSV file. The error is the
/// reader's message (file, line, column, value, expectation).
pub trait TableReader: Send + Sync {
    fn read(&self, file: &Path, mapping: Option<&str>) -> Result<PublishedTableRecord, String>;
}

/// The exchange as the portal serves it.
pub struct Exchange {
    pub(crate) store: ExchangeStore,
    pub(crate) tables: Arc<dyn TableReader>,
    /// Mark session cookies `Secure` whatever the request says (deployments behind TLS).
    pub(crate) secure_cookies: bool,
}

impl Exchange {
    pub fn new(store: ExchangeStore, tables: Arc<dyn TableReader>, secure_cookies: bool) -> Self {
        Exchange {
            store,
            tables,
            secure_cookies,
        }
    }
}

/// The exchange's routes (outside the release's answer cache).
pub(crate) fn routes(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/login", get(accounts::login_page).post(accounts::login))
        .route("/logout", post(accounts::logout))
        .route("/account", get(accounts::account_page))
        .route("/account/password", post(accounts::change_password))
        .route(
            "/admin/accounts",
            get(accounts::accounts_page).post(accounts::create_account),
        )
        .route(
            "/admin/accounts/{id}/revoke",
            post(accounts::revoke_account),
        )
        .route("/admin/audit", get(accounts::audit_page))
        .route("/exchange", get(network::overview))
        .route(
            "/exchange/recommendations",
            post(network::add_recommendation),
        )
        .route(
            "/exchange/practices/{id}/hide",
            post(network::hide_practice),
        )
        .route(
            "/exchange/practices/{id}/show",
            post(network::show_practice),
        )
        .route("/cities/{geo}", get(cities::city_page))
        .route("/cities/{geo}/talk-to", get(network::talk_to))
        .route("/cities/{geo}/page", post(cities::save_page))
        .route("/cities/{geo}/practices", post(cities::add_practice))
        .route(
            "/cities/{geo}/practices/{id}",
            post(cities::update_practice),
        )
        .route(
            "/cities/{geo}/practices/{id}/delete",
            post(cities::delete_practice),
        )
        .route("/cities/{geo}/items", post(cities::add_item))
        .route("/cities/{geo}/items/{id}/delete", post(cities::delete_item))
        .route(
            "/cities/{geo}/tables",
            post(uploads::upload).layer(DefaultBodyLimit::max(uploads::REQUEST_LIMIT)),
        )
        .route("/cities/{geo}/tables/{id}", get(uploads::table_page))
        .route("/cities/{geo}/tables/{id}/publish", post(uploads::publish))
        .route("/cities/{geo}/tables/{id}/discard", post(uploads::discard))
        .layer(axum::middleware::from_fn_with_state(
            state,
            session::same_site_posts,
        ))
}

/// A form whose rejection is answered as an HTML page (422).
pub(crate) struct PageForm<T>(pub(crate) T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for PageForm<T> {
    type Rejection = PortalError;

    async fn from_request(request: Request, state: &S) -> Result<Self, PortalError> {
        Form::<T>::from_request(request, state)
            .await
            .map(|Form(f)| PageForm(f))
            .map_err(|r: FormRejection| {
                PortalError::Unprocessable(format!("The form is incomplete: {}", r.body_text()))
            })
    }
}

/// A city of the geography by its code (404 otherwise), as (code, name).
pub(crate) fn city(geo: &str) -> Result<(&'static str, &'static str), PortalError> {
    incity_reference::geography::Geography::embedded()
        .city(geo)
        .map(|c| (c.code.as_str(), c.name.as_str()))
        .ok_or_else(|| PortalError::NotFound(format!("There is no city `{geo}`.")))
}

/// An exchange page: the portal's frame with the account line on top.
pub(crate) fn exchange_page(
    state: &AppState,
    visitor: &Visitor,
    title: &str,
    body: Markup,
) -> Markup {
    let served = state.served();
    crate::layout::page(
        title,
        served.release.as_ref(),
        html! { (account_bar(visitor)) (body) },
    )
}

/// The line above every exchange page: who is signed in, and the way out or in.
pub(crate) fn account_bar(visitor: &Visitor) -> Markup {
    html! {
        div.account-bar role="region" aria-label="Account" {
            @match visitor.account() {
                Some(a) => {
                    "Signed in as " strong { (a.display_name) } " (" (role_line(a)) ") · "
                    a href="/account" { "Account" } " · "
                    @if let Some(c) = &a.city { a href={ "/cities/" (c) } { "Your city page" } " · " }
                    @if a.may(&incity_exchange::Action::ManageAccounts) {
                        a href="/admin/accounts" { "Accounts" } " · "
                        a href="/admin/audit" { "Audit log" } " · "
                    }
                    form.inline method="post" action="/logout" {
                        input type="hidden" name="csrf" value=(visitor.csrf());
                        button type="submit" { "Sign out" }
                    }
                }
                None => { a href="/login" { "Sign in" } " (city editors, coordinators, administrators)" }
            }
        }
    }
}

fn role_line(a: &Account) -> String {
    match &a.city {
        Some(c) => format!(
            "{} of {}",
            a.role.label(),
            city(c).map(|(_, n)| n).unwrap_or(c.as_str())
        ),
        None => a.role.label().to_string(),
    }
}

/// A stored time (RFC 3339, UTC) as pages show it: `2026-12-06 03:19 UTC`.
pub(crate) fn when(rfc3339: &str) -> String {
    match (rfc3339.get(..10), rfc3339.get(11..16)) {
        (Some(day), Some(time)) if rfc3339.ends_with('Z') => format!("{day} {time} UTC"),
        _ => rfc3339.to_string(),
    }
}

/// `Ok` when a change found its record, else 404 with `missing`.
pub(crate) fn found(changed: bool, missing: impl FnOnce() -> String) -> Result<(), PortalError> {
    if changed {
        Ok(())
    } else {
        Err(PortalError::NotFound(missing()))
    }
}

/// The problems of a form, as a list.
pub(crate) fn field_errors(errors: &[incity_exchange::content::FieldError]) -> PortalError {
    PortalError::Unprocessable(
        errors
            .iter()
            .map(|e| e.to_string())
            .collect::<Vec<_>>()
            .join("; "),
    )
}
