//! The incity web portal (server-rendered HTML, readable without JavaScript) and its JSON API.
//!
//! This is the only crate that speaks HTTP. It reads the served release from the store and
//! never sees microdata; a suppressed figure reaches it as a flag without a number, so no page,
//! download or API answer can show one.
//!
//! It must not know microdata or the query engine (it builds without `incity-data`). Entry
//! point: [`router`] over an [`AppState`].
//!
//! Modules: `pages` (HTML) and `api` (JSON) are the route families, `plan` the precision
//! planner's page and API; `query` what they share (the served release, parameters,
//! selections), `layout` the page frame, `format` how numbers, intervals and flags are shown,
//! `error` the failures.

use std::net::SocketAddr;

use axum::routing::get;
use axum::Router;

use incity_store::Store;

mod api;
mod error;
mod format;
mod layout;
mod pages;
mod plan;
mod query;

use api::{api_boundaries, api_figures, api_indicators, api_release};
use error::PortalError;
use layout::page;
use pages::{home, indicator_csv, indicator_list, indicator_page};

#[derive(Clone)]
pub struct AppState {
    pub store: Store,
}

/// The portal's routes.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(home))
        .route("/indicators", get(indicator_list))
        .route("/indicators/{id}", get(indicator_page))
        .route("/indicators/{id}/figures.csv", get(indicator_csv))
        .route("/api/v1/release", get(api_release))
        .route("/api/v1/indicators", get(api_indicators))
        .route("/api/v1/indicators/{id}/figures", get(api_figures))
        .route("/api/v1/geography/nuts/{level}", get(api_boundaries))
        .route("/plan", get(plan::plan_page))
        .route("/api/v1/plan", get(plan::api_plan))
        .route("/healthz", get(|| async { "ok" }))
        .fallback(not_found)
        .with_state(state)
}

/// Serves the portal until the process is stopped.
pub async fn serve(state: AppState, addr: SocketAddr) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    serve_on(state, listener).await
}

/// Serves on an already bound listener (tests bind port 0).
pub async fn serve_on(state: AppState, listener: tokio::net::TcpListener) -> std::io::Result<()> {
    axum::serve(listener, router(state)).await
}

async fn not_found() -> PortalError {
    PortalError::NotFound("There is no page at this address.".into())
}
