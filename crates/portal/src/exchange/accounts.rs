//! Signing in and out, one's account and password, and the administrator's accounts and
//! audit-log pages.

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use incity_exchange::{password, token, Action, Role};
use incity_store::exchange::{Actor, NewAccount};
use incity_store::StoreError;
use maud::{html, Markup};
use serde::Deserialize;

use super::session::{
    cleared_cookie, now, session_cookie, LOGIN_FAILURES_PER_ADDRESS, LOGIN_FAILURES_PER_NAME,
    LOGIN_WINDOW_SECONDS, SESSION_SECONDS,
};
use super::{city, exchange_page, found, PageForm, Visitor};
use crate::error::PortalError;
use crate::AppState;

fn login_form(message: Option<&str>) -> Markup {
    html! {
        h1 { "Sign in" }
        p.note { "Accounts are for city editors, network coordinators and administrators; reading the portal needs none. An administrator creates accounts." }
        @if let Some(m) = message { p.error role="alert" { (m) } }
        form.stacked method="post" action="/login" {
            label for="name" { "Name" }
            input #name name="name" autocomplete="username" required;
            label for="password" { "Password" }
            input #password name="password" type="password" autocomplete="current-password" required;
            button type="submit" { "Sign in" }
        }
    }
}

pub(crate) async fn login_page(State(state): State<AppState>, visitor: Visitor) -> Markup {
    let body = match visitor.account() {
        Some(a) => html! { h1 { "Sign in" } p { "You are signed in as " (a.display_name) "." } },
        None => login_form(None),
    };
    exchange_page(&state, &visitor, "Sign in", body)
}

#[derive(Deserialize)]
pub(crate) struct LoginForm {
    name: String,
    password: String,
}

/// Signs in: refused while the name or the address has too many recent failures; a new
/// session token every time (a presented one is ended, never adopted).
pub(crate) async fn login(
    State(state): State<AppState>,
    visitor: Visitor,
    PageForm(form): PageForm<LoginForm>,
) -> Result<Response, PortalError> {
    let exchange = state.exchange()?;
    let store = &exchange.store;
    let t = now();
    let name = form.name.trim();
    let (by_name, by_address) = store
        .failed_logins_since(name, &visitor.address, t - LOGIN_WINDOW_SECONDS)
        .await?;
    if by_name >= LOGIN_FAILURES_PER_NAME || by_address >= LOGIN_FAILURES_PER_ADDRESS {
        return Err(PortalError::TooManyRequests(
            format!(
                "Too many failed sign-ins: wait {} minutes and try again.",
                LOGIN_WINDOW_SECONDS / 60
            ),
            LOGIN_WINDOW_SECONDS as u64,
        ));
    }
    let found = store.account_by_name(name).await?;
    let account = match &found {
        Some((a, hash)) if password::verify(&form.password, hash) && a.active => Some(a),
        Some(_) => None,
        None => {
            password::verify_nothing(&form.password);
            None
        }
    };
    store
        .record_login_attempt(name, &visitor.address, t, account.is_some())
        .await?;
    let Some(account) = account else {
        let body = login_form(Some("The name or the password is wrong."));
        let mut r = exchange_page(&state, &visitor, "Sign in", body).into_response();
        *r.status_mut() = axum::http::StatusCode::UNAUTHORIZED;
        return Ok(r);
    };
    if let Some(old) = &visitor.token_digest {
        store.end_session(old, t).await?;
    }
    let session_token = token::new_token();
    store
        .create_session(
            &token::digest(&session_token),
            account.id,
            &token::new_token(),
            t,
            t + SESSION_SECONDS,
        )
        .await?;
    let to = match &account.city {
        Some(c) => format!("/cities/{c}"),
        None => "/exchange".to_string(),
    };
    let mut r = Redirect::to(&to).into_response();
    r.headers_mut().insert(
        header::SET_COOKIE,
        session_cookie(&session_token, visitor.secure),
    );
    Ok(r)
}

#[derive(Deserialize)]
pub(crate) struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

pub(crate) async fn logout(
    State(state): State<AppState>,
    visitor: Visitor,
    PageForm(form): PageForm<CsrfForm>,
) -> Result<Response, PortalError> {
    visitor.acting(&form.csrf)?;
    if let Some(d) = &visitor.token_digest {
        state.exchange()?.store.end_session(d, now()).await?;
    }
    let mut r = Redirect::to("/exchange").into_response();
    r.headers_mut()
        .insert(header::SET_COOKIE, cleared_cookie(visitor.secure));
    Ok(r)
}

fn password_form(csrf: &str, message: Option<&str>) -> Markup {
    html! {
        h2 { "Change your password" }
        @if let Some(m) = message { p.error role="alert" { (m) } }
        form.stacked method="post" action="/account/password" {
            input type="hidden" name="csrf" value=(csrf);
            label for="current" { "Current password" }
            input #current name="current" type="password" autocomplete="current-password" required;
            label for="new" { "New password (at least " (password::MIN_LENGTH) " characters)" }
            input #new name="new" type="password" autocomplete="new-password" required;
            label for="repeat" { "New password again" }
            input #repeat name="repeat" type="password" autocomplete="new-password" required;
            button type="submit" { "Change password" }
        }
    }
}

pub(crate) async fn account_page(
    State(state): State<AppState>,
    visitor: Visitor,
) -> Result<Markup, PortalError> {
    let a = visitor.signed_in()?;
    let body = html! {
        h1 { "Your account" }
        dl.fields {
            dt { "Name" } dd { (a.name) }
            dt { "Shown as" } dd { (a.display_name) }
            dt { "Role" } dd { (a.role.label()) }
            @if let Some(c) = &a.city { dt { "City" } dd { a href={ "/cities/" (c) } { (city(c).map(|x| x.1).unwrap_or(c)) } } }
        }
        (password_form(visitor.csrf(), None))
    };
    Ok(exchange_page(&state, &visitor, "Your account", body))
}

#[derive(Deserialize)]
pub(crate) struct PasswordForm {
    #[serde(default)]
    csrf: String,
    current: String,
    new: String,
    repeat: String,
}

/// Changes one's password: the current one is asked again; every other session of the
/// account ends.
pub(crate) async fn change_password(
    State(state): State<AppState>,
    visitor: Visitor,
    PageForm(form): PageForm<PasswordForm>,
) -> Result<Response, PortalError> {
    let account = visitor.acting(&form.csrf)?;
    if !account.may(&Action::ChangeOwnPassword) {
        return Err(PortalError::Forbidden(
            "This account cannot change its password.".into(),
        ));
    }
    let store = &state.exchange()?.store;
    let hash = store
        .account_by_name(&account.name)
        .await?
        .map(|(_, h)| h)
        .unwrap_or_default();
    let problem = if !password::verify(&form.current, &hash) {
        Some("The current password is wrong.".to_string())
    } else if form.new != form.repeat {
        Some("The two new passwords differ.".to_string())
    } else {
        password::check_new(&form.new, &account.name)
            .err()
            .map(|e| format!("{}.", capitalised(&e.to_string())))
    };
    if let Some(p) = problem {
        let body = html! { h1 { "Your account" } (password_form(visitor.csrf(), Some(&p))) };
        let mut r = exchange_page(&state, &visitor, "Your account", body).into_response();
        *r.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
        return Ok(r);
    }
    let new_hash = password::hash(&form.new).map_err(|e| PortalError::Internal(e.to_string()))?;
    store
        .set_password(
            Actor::Account(account),
            account.id,
            &new_hash,
            visitor.token_digest.as_deref(),
        )
        .await?;
    Ok(Redirect::to("/account").into_response())
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

fn require(visitor: &Visitor, action: Action<'_>) -> Result<(), PortalError> {
    let a = visitor.signed_in()?;
    if a.may(&action) {
        Ok(())
    } else {
        Err(PortalError::Forbidden(
            "Only an administrator may do this.".into(),
        ))
    }
}

pub(crate) async fn accounts_page(
    State(state): State<AppState>,
    visitor: Visitor,
) -> Result<Markup, PortalError> {
    require(&visitor, Action::ManageAccounts)?;
    let accounts = state.exchange()?.store.accounts().await?;
    let cities = incity_reference::geography::Geography::embedded().cities();
    let body = html! {
        h1 { "Accounts" }
        table {
            thead { tr { th { "Name" } th { "Shown as" } th { "Role" } th { "City" } th { "State" } th { span.visually-hidden { "Action" } } } }
            tbody {
                @for a in &accounts {
                    tr {
                        td { (a.name) } td { (a.display_name) } td { (a.role.label()) }
                        td { (a.city.as_deref().unwrap_or("")) }
                        td { @if a.active { "active" } @else { "revoked" } }
                        td {
                            @if a.active && Some(a.id) != visitor.account().map(|v| v.id) {
                                form.inline method="post" action={ "/admin/accounts/" (a.id) "/revoke" } {
                                    input type="hidden" name="csrf" value=(visitor.csrf());
                                    button type="submit" aria-label={ "Revoke " (a.name) } { "Revoke" }
                                }
                            }
                        }
                    }
                }
            }
        }
        h2 { "Create an account" }
        form.stacked method="post" action="/admin/accounts" {
            input type="hidden" name="csrf" value=(visitor.csrf());
            label for="new-name" { "Name (to sign in)" }
            input #new-name name="name" required pattern="[a-z0-9._-]{3,40}" title="3 to 40 of a-z, 0-9, . _ -";
            label for="new-display" { "Shown as" }
            input #new-display name="display_name" required;
            label for="new-role" { "Role" }
            select #new-role name="role" {
                @for r in Role::ALL { option value=(r.code()) { (r.label()) } }
            }
            label for="new-city" { "City (city editors only)" }
            select #new-city name="city" {
                option value="" { "—" }
                @for c in cities { option value=(c.code) { (c.name) " (" (c.code) ")" } }
            }
            label for="new-password" { "First password (at least " (password::MIN_LENGTH) " characters; tell it to the person, who changes it)" }
            input #new-password name="password" type="password" autocomplete="new-password" required;
            button type="submit" { "Create" }
        }
    };
    Ok(exchange_page(&state, &visitor, "Accounts", body))
}

#[derive(Deserialize)]
pub(crate) struct NewAccountForm {
    #[serde(default)]
    csrf: String,
    name: String,
    display_name: String,
    role: String,
    city: String,
    password: String,
}

pub(crate) async fn create_account(
    State(state): State<AppState>,
    visitor: Visitor,
    PageForm(form): PageForm<NewAccountForm>,
) -> Result<Response, PortalError> {
    let actor = visitor.acting(&form.csrf)?;
    require(&visitor, Action::ManageAccounts)?;
    let new = new_account(&form)?;
    match state
        .exchange()?
        .store
        .create_account(Actor::Account(actor), &new)
        .await
    {
        Ok(_) => Ok(Redirect::to("/admin/accounts").into_response()),
        Err(StoreError::Conflict(m)) => Err(PortalError::Unprocessable(m)),
        Err(e) => Err(e.into()),
    }
}

/// Checks the account form: a name of 3 to 40 of `a-z 0-9 . _ -`, a role, a city exactly
/// for city editors, a password that passes [`password::check_new`].
fn new_account(form: &NewAccountForm) -> Result<NewAccount, PortalError> {
    let bad = |m: String| Err(PortalError::Unprocessable(m));
    let name = form.name.trim();
    if !(3..=40).contains(&name.len())
        || !name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || ".-_".contains(c))
    {
        return bad(format!(
            "name `{name}`: expected 3 to 40 of a-z, 0-9, . _ -"
        ));
    }
    let display = form.display_name.trim();
    if display.is_empty() || display.chars().count() > 100 {
        return bad("shown as: required, at most 100 characters".into());
    }
    let Some(role) = Role::from_code(&form.role) else {
        return bad(format!(
            "role `{}`: expected administrator, coordinator or city-editor",
            form.role
        ));
    };
    let city_code = match (role, form.city.trim()) {
        (Role::CityEditor, "") => return bad("a city editor needs a city".into()),
        (Role::CityEditor, c) => Some(city(c)?.0.to_string()),
        (_, "") => None,
        (_, _) => return bad("only a city editor has a city".into()),
    };
    password::check_new(&form.password, name)
        .map_err(|e| PortalError::Unprocessable(format!("password: {e}")))?;
    Ok(NewAccount {
        name: name.to_string(),
        display_name: display.to_string(),
        role,
        city: city_code,
        password_hash: password::hash(&form.password)
            .map_err(|e| PortalError::Internal(e.to_string()))?,
    })
}

pub(crate) async fn revoke_account(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<i64>,
    PageForm(form): PageForm<CsrfForm>,
) -> Result<Response, PortalError> {
    let actor = visitor.acting(&form.csrf)?;
    require(&visitor, Action::ManageAccounts)?;
    if actor.id == id {
        return Err(PortalError::Unprocessable(
            "You cannot revoke your own account (another administrator can).".into(),
        ));
    }
    found(
        state
            .exchange()?
            .store
            .revoke_account(Actor::Account(actor), id)
            .await?,
        || format!("There is no active account {id}."),
    )?;
    Ok(Redirect::to("/admin/accounts").into_response())
}

pub(crate) async fn audit_page(
    State(state): State<AppState>,
    visitor: Visitor,
) -> Result<Markup, PortalError> {
    require(&visitor, Action::ReadAuditLog)?;
    let log = state.exchange()?.store.audit_log(500).await?;
    let body = html! {
        h1 { "Audit log" }
        p.note { "Every change of the exchange, newest first (the latest 500): who, what, when, and the record before and after." }
        div.scroll { table {
            thead { tr { th { "When (UTC)" } th { "Who" } th { "What" } th { "Record" } th { "Before" } th { "After" } } }
            tbody {
                @for e in &log {
                    tr {
                        td { (e.at) } td { (e.actor) } td { (e.action) } td { (e.entity) " " (e.entity_id) }
                        td { pre { (e.before.as_deref().unwrap_or("")) } }
                        td { pre { (e.after.as_deref().unwrap_or("")) } }
                    }
                }
            }
        } }
    };
    Ok(exchange_page(&state, &visitor, "Audit log", body))
}
