//! The JSON API under `/api/v1/`: everything the pages show, documented by an OpenAPI 3.1
//! document generated from the handlers' types (`/api/v1/openapi.json`). Every error, including
//! an unknown path or a malformed query, is `{"error": ...}` with its status.

pub(crate) mod benchmark;
pub(crate) mod figures;
pub(crate) mod toolbox;
pub(crate) mod views;

use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ApiError;
use crate::AppState;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "incity API",
        description = "Comparable indicators of immigrant integration for European cities and regions: \
            figures with standard errors, 95 % intervals, publication flags and methods. A figure below \
            the publication threshold carries its flag and no number. Every answer has the served \
            release's id as its ETag.",
        license(name = "MIT OR Apache-2.0")
    ),
    tags(
        (name = "release", description = "The served release"),
        (name = "catalogue", description = "Indicators"),
        (name = "toolbox", description = "Sources, tools, glossary, recommendations and modules"),
        (name = "figures", description = "Figures, filtered and paged"),
        (name = "views", description = "What the portal's pages show"),
        (name = "planner", description = "Sample sizes"),
        (name = "geography", description = "Boundaries")
    )
)]
struct ApiDoc;

/// The API's routes under `/api/v1` with their OpenAPI description.
pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi()).nest("/api/v1", version_1())
}

fn version_1() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(figures::api_release))
        .routes(routes!(figures::api_indicators))
        .routes(routes!(figures::api_indicator_figures))
        .routes(routes!(figures::api_figures))
        .routes(routes!(figures::api_boundaries))
        .routes(routes!(views::api_explore))
        .routes(routes!(views::api_profile))
        .routes(routes!(views::api_compare))
        .routes(routes!(views::api_peers))
        .routes(routes!(benchmark::api_rank))
        .routes(routes!(benchmark::api_trend))
        .routes(routes!(views::api_search))
        .routes(routes!(toolbox::api_glossary))
        .routes(routes!(toolbox::api_sources))
        .routes(routes!(toolbox::api_tools))
        .routes(routes!(toolbox::api_recommendations))
        .routes(routes!(toolbox::api_modules))
        .routes(routes!(crate::plan::api_plan))
}

/// Unknown paths under `/api/`.
pub(crate) async fn api_not_found() -> impl IntoResponse {
    ApiError(
        StatusCode::NOT_FOUND,
        "no such API path: see /api/v1/openapi.json".into(),
    )
}

/// The OpenAPI document as served (built once).
pub(crate) fn openapi_json(doc: &utoipa::openapi::OpenApi) -> Json<serde_json::Value> {
    Json(
        serde_json::to_value(doc).unwrap_or_else(|e| serde_json::json!({ "error": e.to_string() })),
    )
}
