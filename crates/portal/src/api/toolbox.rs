//! The toolbox as JSON: sources (with the precision the served release shows for a city),
//! tools, glossary, recommendations (with their evidence) and the modules. The filters and
//! the evidence are the pages' (`pages/toolbox.rs`).

use axum::Json;
use incity_indicators::modules::{module, module_ids};
use incity_indicators::toolbox::{Reference, Toolbox};
use incity_indicators::Catalogue;
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{ApiError, ApiQuery};
use crate::pages::toolbox::{evidence_sentence, precision_of, ToolboxQuery};
use crate::pages::ServedRelease;
use axum::http::StatusCode;

#[derive(Serialize, ToSchema)]
pub(crate) struct ReferenceOut {
    title: String,
    url: String,
    /// The day the facts were compared with the page; null when not verified.
    checked: Option<String>,
}

fn references(refs: &[Reference]) -> Vec<ReferenceOut> {
    refs.iter()
        .map(|r| ReferenceOut {
            title: r.title.clone(),
            url: r.url.clone(),
            checked: r.checked.clone(),
        })
        .collect()
}

/// The precision the served release shows for a typical city and migrant group.
#[derive(Serialize, ToSchema)]
pub(crate) struct PrecisionOut {
    indicator: String,
    group: String,
    year: i32,
    cities: usize,
    reliable: usize,
    median_respondents: Option<u64>,
    median_cv: Option<f64>,
    target_cv: f64,
    median_respondents_for_target_cv: Option<u64>,
    median_respondents_to_publish: Option<u64>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct SourceOut {
    id: String,
    name: String,
    #[serde(rename = "type")]
    kind: &'static str,
    publisher: String,
    coverage: String,
    years: String,
    topics: Vec<&'static str>,
    migrant_variables: Vec<&'static str>,
    finest_level: &'static str,
    sample: String,
    frequency: String,
    access: Vec<&'static str>,
    indicators: Vec<String>,
    city_use: String,
    limitations: String,
    /// From the served release, for the surveys incity computes from.
    precision: Option<PrecisionOut>,
    references: Vec<ReferenceOut>,
}

fn bad(message: String) -> ApiError {
    ApiError(StatusCode::BAD_REQUEST, message)
}

/// Sources and surveys for integration monitoring, filtered.
#[utoipa::path(get, path = "/toolbox/sources", tag = "toolbox", params(ToolboxQuery),
    responses((status = 200, body = Vec<SourceOut>), (status = 400, description = "unknown filter code")))]
pub(crate) async fn api_sources(
    served: ServedRelease,
    ApiQuery(q): ApiQuery<ToolboxQuery>,
) -> Result<Json<Vec<SourceOut>>, ApiError> {
    let filter = q.source_filter().map_err(bad)?;
    Ok(Json(
        Toolbox::embedded()
            .sources
            .iter()
            .filter(|s| s.matches(&filter))
            .map(|s| SourceOut {
                id: s.id.clone(),
                name: s.name.clone(),
                kind: s.kind.code(),
                publisher: s.publisher.clone(),
                coverage: s.coverage.clone(),
                years: s.years.clone(),
                topics: s.topics.iter().map(|t| t.code()).collect(),
                migrant_variables: s.migrant_variables.iter().map(|t| t.code()).collect(),
                finest_level: s.finest_level.code(),
                sample: s.sample.clone(),
                frequency: s.frequency.clone(),
                access: s.access.iter().map(|t| t.code()).collect(),
                indicators: s.indicators.clone(),
                city_use: s.city_use.clone(),
                limitations: s.limitations.clone(),
                precision: precision_of(&served, s).map(|p| PrecisionOut {
                    indicator: p.indicator,
                    group: p.group,
                    year: p.year,
                    cities: p.cities,
                    reliable: p.reliable,
                    median_respondents: p.median_respondents,
                    median_cv: p.median_cv,
                    target_cv: incity_indicators::toolbox::evidence::TARGET_CV,
                    median_respondents_for_target_cv: p.median_for_target_cv,
                    median_respondents_to_publish: p.median_to_publish,
                }),
                references: references(&s.references),
            })
            .collect(),
    ))
}

#[derive(Serialize, ToSchema)]
pub(crate) struct ToolOut {
    id: String,
    name: String,
    publisher: String,
    #[serde(rename = "type")]
    kind: &'static str,
    topics: Vec<&'static str>,
    levels: Vec<&'static str>,
    city_gets: String,
    lacks: String,
    url: String,
    references: Vec<ReferenceOut>,
}

/// Tools, databases and instruments, filtered.
#[utoipa::path(get, path = "/toolbox/tools", tag = "toolbox", params(ToolboxQuery),
    responses((status = 200, body = Vec<ToolOut>), (status = 400, description = "unknown filter code")))]
pub(crate) async fn api_tools(
    ApiQuery(q): ApiQuery<ToolboxQuery>,
) -> Result<Json<Vec<ToolOut>>, ApiError> {
    let filter = q.tool_filter().map_err(bad)?;
    Ok(Json(
        Toolbox::embedded()
            .tools
            .iter()
            .filter(|t| t.matches(&filter))
            .map(|t| ToolOut {
                id: t.id.clone(),
                name: t.name.clone(),
                publisher: t.publisher.clone(),
                kind: t.kind.code(),
                topics: t.topics.iter().map(|x| x.code()).collect(),
                levels: t.levels.iter().map(|x| x.code()).collect(),
                city_gets: t.city_gets.clone(),
                lacks: t.lacks.clone(),
                url: t.url.clone(),
                references: references(&t.references),
            })
            .collect(),
    ))
}

#[derive(Serialize, ToSchema)]
pub(crate) struct TermOut {
    id: String,
    term: String,
    definition: String,
    groupings: Vec<String>,
    /// Indicator ids, `@survey` (every survey indicator) or `@administrative`.
    indicators: Vec<String>,
    references: Vec<ReferenceOut>,
}

/// The glossary: key concepts, each with the indicators that use it.
#[utoipa::path(get, path = "/glossary", tag = "toolbox", responses((status = 200, body = Vec<TermOut>)))]
pub(crate) async fn api_glossary() -> Json<Vec<TermOut>> {
    Json(
        Toolbox::embedded()
            .glossary
            .iter()
            .map(|t| TermOut {
                id: t.id.clone(),
                term: t.term.clone(),
                definition: t.definition.clone(),
                groupings: t.groupings.clone(),
                indicators: t.indicators.clone(),
                references: references(&t.references),
            })
            .collect(),
    )
}

#[derive(Serialize, ToSchema)]
pub(crate) struct RecommendationOut {
    id: String,
    audience: &'static str,
    title: String,
    text: String,
    evidence: Option<&'static str>,
    /// The evidence from the served release, as a sentence (null when it cannot show it).
    evidence_from_release: Option<String>,
    references: Vec<ReferenceOut>,
}

/// Recommendations, with their evidence from the served release.
#[utoipa::path(get, path = "/toolbox/recommendations", tag = "toolbox",
    responses((status = 200, body = Vec<RecommendationOut>)))]
pub(crate) async fn api_recommendations(served: ServedRelease) -> Json<Vec<RecommendationOut>> {
    Json(
        Toolbox::embedded()
            .recommendations
            .iter()
            .map(|r| RecommendationOut {
                id: r.id.clone(),
                audience: r.audience.code(),
                title: r.title.clone(),
                text: r.text.clone(),
                evidence: r.evidence.map(|e| e.code()),
                evidence_from_release: r.evidence.and_then(|e| evidence_sentence(&served, e)),
                references: references(&r.references),
            })
            .collect(),
    )
}

#[derive(Serialize, ToSchema)]
pub(crate) struct ModuleOut {
    id: String,
    name: String,
    files: Vec<String>,
    /// The zip archive of the module.
    download: String,
}

/// The ready-to-use indicator modules.
#[utoipa::path(get, path = "/modules", tag = "toolbox", responses((status = 200, body = Vec<ModuleOut>)))]
pub(crate) async fn api_modules() -> Json<Vec<ModuleOut>> {
    let c = Catalogue::embedded();
    Json(
        module_ids(c)
            .into_iter()
            .filter_map(|id| module(c, Toolbox::embedded(), id))
            .map(|m| ModuleOut {
                download: format!("/modules/{}/download", m.id),
                files: m.files.iter().map(|f| f.path.clone()).collect(),
                id: m.id,
                name: m.name,
            })
            .collect(),
    )
}
