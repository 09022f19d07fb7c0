//! The incity web portal (server-rendered HTML, readable without JavaScript) and its JSON API.
//!
//! This is the only crate that speaks HTTP. It serves one release, read from the store into
//! memory ([`served`]) and swapped when the store serves another; it never sees microdata,
//! and a suppressed figure reaches it as a flag without a number, so no page, download or API
//! answer can show one.
//!
//! It must not know microdata or the query engine (it builds without `incity-data`). Entry
//! point: [`router`] over an [`AppState`].
//!
//! Modules: `pages/` (HTML, one module per page family) and `api/` (JSON, with the OpenAPI
//! document) are the route families, `plan` the precision planner's page and API; `views`
//! what a page, its CSV and its JSON share (the selection of figures); `charts` and `map` the
//! SVG graphics; `layout` the page frame, `format` how numbers, intervals and flags are
//! shown; `http` the release, entity tag and answer cache around every route; `error` the
//! failures.

use std::net::SocketAddr;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use axum::routing::get;
use axum::Router;
use tower_http::compression::CompressionLayer;

use incity_store::{Store, StoreError};

mod api;
mod charts;
mod error;
mod exchange;
mod format;
mod http;
mod layout;
mod map;
mod pages;
mod plan;
mod served;
mod views;

use error::PortalError;
use layout::page;
use served::Served;

pub use exchange::{Exchange, TableReader};

/// What every request needs: the store and the release served from memory; and, when the
/// portal runs one, the exchange.
#[derive(Clone)]
pub struct AppState {
    store: Store,
    served: Arc<RwLock<Arc<Served>>>,
    exchange: Option<Arc<Exchange>>,
}

impl AppState {
    /// Reads the store's current release into memory.
    pub async fn load(store: Store) -> Result<AppState, StoreError> {
        let served = Served::load(&store).await?;
        Ok(AppState {
            store,
            served: Arc::new(RwLock::new(Arc::new(served))),
            exchange: None,
        })
    }

    /// The same state with the city-to-city exchange.
    pub fn with_exchange(self, exchange: Exchange) -> AppState {
        AppState {
            exchange: Some(Arc::new(exchange)),
            ..self
        }
    }

    /// The exchange (404 when the portal runs without one).
    pub(crate) fn exchange(&self) -> Result<&Exchange, PortalError> {
        self.exchange
            .as_deref()
            .ok_or_else(|| PortalError::NotFound("This portal runs without the exchange.".into()))
    }

    /// Reloads when the store serves another release than the one in memory; `true` if it
    /// did. Requests under way finish on the release they started with.
    pub async fn refresh(&self) -> Result<bool, StoreError> {
        let current = self.store.current_release().await?.map(|r| r.id);
        if current == self.served().release.as_ref().map(|r| r.id) {
            return Ok(false);
        }
        let served = Served::load(&self.store).await?;
        tracing::info!(
            release = served.release.as_ref().map(|r| r.id),
            figures = served.figures.len(),
            "serving a new release"
        );
        *self.served.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(served);
        Ok(true)
    }

    pub(crate) fn served(&self) -> Arc<Served> {
        self.served
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

/// The portal's routes.
pub fn router(state: AppState) -> Router {
    let (api, openapi) = api::routes().split_for_parts();
    let openapi = api::openapi_json(&openapi);
    Router::new()
        .route("/", get(pages::home::home))
        .route("/search", get(pages::home::search_page))
        .route("/explore", get(pages::explore::explore_page))
        .route("/explore.csv", get(pages::explore::explore_csv))
        .route("/profile/{geo}", get(pages::profile::profile_page))
        .route(
            "/profile/{geo}/figures.csv",
            get(pages::profile::profile_csv),
        )
        .route("/compare", get(pages::compare::compare_page))
        .route("/compare/figures.csv", get(pages::compare::compare_csv))
        .route("/indicators", get(pages::indicators::indicator_list))
        .route("/indicators/{id}", get(pages::indicators::indicator_page))
        .route(
            "/indicators/{id}/about",
            get(pages::reference::indicator_about),
        )
        .route(
            "/indicators/{id}/figures.csv",
            get(pages::indicators::indicator_csv),
        )
        .route("/glossary", get(pages::toolbox::glossary))
        .route("/toolbox", get(pages::toolbox::toolbox_home))
        .route("/sources", get(pages::toolbox::sources_page))
        .route("/tools", get(pages::toolbox::tools_page))
        .route(
            "/recommendations",
            get(pages::toolbox::recommendations_page),
        )
        .route("/modules", get(pages::toolbox::modules_page))
        .route("/modules/{id}", get(pages::toolbox::module_page))
        .route(
            "/modules/{id}/download",
            get(pages::toolbox::module_download),
        )
        .route("/methods", get(pages::reference::methods))
        .route("/release", get(pages::reference::release_page))
        .route("/plan", get(plan::plan_page))
        .merge(api)
        .route(
            "/api/v1/openapi.json",
            get(move || async move { openapi.clone() }),
        )
        .route("/api", get(api::api_not_found))
        .route("/api/{*rest}", get(api::api_not_found))
        .route("/healthz", get(|| async { "ok" }))
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            http::release_answers,
        ))
        .merge(exchange::routes(state.clone()))
        .layer(CompressionLayer::new())
        .with_state(state)
}

/// How often the portal asks the store whether another release is served.
const RELEASE_POLL: Duration = Duration::from_secs(5);

/// Serves the portal until the process is stopped.
pub async fn serve(state: AppState, addr: SocketAddr) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    serve_on(state, listener).await
}

/// Serves on an already bound listener (tests bind port 0), picking up a newly published
/// release within [`RELEASE_POLL`].
pub async fn serve_on(state: AppState, listener: tokio::net::TcpListener) -> std::io::Result<()> {
    let poller = state.clone();
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(RELEASE_POLL).await;
            if let Err(e) = poller.refresh().await {
                tracing::error!("looking for a new release: {e}");
            }
        }
    });
    axum::serve(
        listener,
        router(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .await
}

async fn not_found() -> PortalError {
    PortalError::NotFound("There is no page at this address.".into())
}
