//! The portal's query parameters and path segments: every page and API route answered in
//! process (the release of `INCITY_FUZZ_DATABASE`, an incity database such as the portal
//! test fixture's) with fuzzed query strings. A route may refuse (4xx) but never fail (5xx)
//! or panic.
#![no_main]
use std::sync::OnceLock;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use libfuzzer_sys::fuzz_target;
use tower::ServiceExt;

const ROUTES: &[&str] = &[
    "/search",
    "/explore",
    "/explore.csv",
    "/profile/AT",
    "/profile/AT130/figures.csv",
    "/compare",
    "/compare/figures.csv",
    "/indicators",
    "/indicators/employment_rate_20_64",
    "/indicators/employment_rate_20_64/figures.csv",
    "/toolbox",
    "/sources",
    "/tools",
    "/recommendations",
    "/modules",
    "/plan",
    "/release",
    "/api/v1/compare",
    "/api/v1/explore",
    "/api/v1/figures",
    "/api/v1/geography/nuts/2",
    "/api/v1/indicators",
    "/api/v1/indicators/employment_rate_20_64/figures",
    "/api/v1/peers/AT130",
    "/api/v1/profile/AT",
    "/api/v1/rank/employment_rate_20_64/city",
    "/api/v1/search",
    "/api/v1/toolbox/sources",
    "/api/v1/trend/employment_rate_20_64/AT",
    "/api/v1/plan",
];

struct Portal {
    runtime: tokio::runtime::Runtime,
    router: axum::Router,
}

fn portal() -> &'static Portal {
    static PORTAL: OnceLock<Portal> = OnceLock::new();
    PORTAL.get_or_init(|| {
        let database = std::env::var("INCITY_FUZZ_DATABASE")
            .expect("INCITY_FUZZ_DATABASE: an incity database with a release");
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        let router = runtime.block_on(async {
            let store = incity_store::Store::open(std::path::Path::new(&database))
                .await
                .expect("the database opens");
            let state = incity_portal::AppState::load(store)
                .await
                .expect("the release loads");
            incity_portal::router(state)
        });
        Portal { runtime, router }
    })
}

fuzz_target!(
    // The release loads once, before the first input (it takes seconds: not an input's time).
    init: {
        portal();
    },
    |data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    let route = ROUTES[which as usize % ROUTES.len()];
    // The query as a client may send it: printable ASCII, anything else percent-encoded.
    let query: String = rest
        .iter()
        .map(|&b| match b {
            b'!'..=b'~' if b != b'#' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect();
    let Ok(request) = Request::get(format!("{route}?{query}")).body(Body::empty()) else {
        return;
    };
    let p = portal();
    let status = p.runtime.block_on(async {
        let response = p.router.clone().oneshot(request).await.expect("infallible");
        let status = response.status();
        axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("the body reads");
        status
    });
    assert!(
        status != StatusCode::INTERNAL_SERVER_ERROR,
        "{route}?{query}: {status}"
    );
});
