//! The JSON API (`/api/v1/...`): the release, the indicators, an indicator's figures, the
//! NUTS boundaries.

use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::response::Response;
use axum::Json;

use incity_indicators::{catalogue, geo_name, Figure, FigureMethod};
use serde::Serialize;

use crate::error::PortalError;
use crate::query::{
    current, figures_for, find_indicator, official_figures, parse_level, sex_filter, LevelQuery,
};
use crate::AppState;

/// A figure in API answers and downloads: numbers only when published.
#[derive(Debug, Serialize)]
pub(crate) struct FigureOut {
    indicator: String,
    source: &'static str,
    first_year: i32,
    year: i32,
    geo_level: &'static str,
    geo: String,
    geo_name: Option<String>,
    grouping: String,
    group: String,
    /// For a gap: the group it is measured against (absent for a level).
    #[serde(skip_serializing_if = "Option::is_none")]
    reference_group: Option<String>,
    sex: &'static str,
    measure: &'static str,
    /// `direct`, `pooled direct` or `model-based`.
    method: &'static str,
    /// For a model-based figure: the model, its covariates and MSE method.
    #[serde(skip_serializing_if = "Option::is_none")]
    model: Option<String>,
    flag: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    estimate: Option<f64>,
    /// Standard error of a direct figure.
    #[serde(skip_serializing_if = "Option::is_none")]
    se: Option<f64>,
    /// Root mean squared error of a model-based figure (in place of the standard error).
    #[serde(skip_serializing_if = "Option::is_none")]
    rmse: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ci_low: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ci_high: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cv: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    n: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    population: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    deff: Option<f64>,
    /// Design degrees of freedom of the interval (absent: the normal quantile).
    #[serde(skip_serializing_if = "Option::is_none")]
    df: Option<usize>,
    /// The first publication rule a flagged figure failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    flag_reason: Option<&'static str>,
}

impl From<&Figure> for FigureOut {
    fn from(f: &Figure) -> Self {
        let x = f.estimate.figures;
        FigureOut {
            indicator: f.indicator.clone(),
            source: f.source.code(),
            first_year: f.first_year,
            year: f.year,
            geo_level: f.geo_level.code(),
            geo: f.geo.clone(),
            geo_name: geo_name(&f.geo),
            grouping: f.grouping.clone(),
            group: f.group.clone(),
            reference_group: f.reference_group.clone(),
            sex: f.sex.code(),
            measure: f.measure.code(),
            method: f.method_label(),
            model: f.method.model().map(String::from),
            flag: f.estimate.flag.code(),
            estimate: x.map(|x| x.estimate),
            se: x
                .and_then(|x| x.standard_error())
                .filter(|_| f.method == FigureMethod::Direct),
            rmse: x
                .and_then(|x| x.standard_error())
                .filter(|_| f.method != FigureMethod::Direct),
            ci_low: x.map(|x| x.ci_low),
            ci_high: x.map(|x| x.ci_high),
            cv: x.and_then(|x| x.cv),
            n: x.map(|x| x.n),
            population: x.map(|x| x.population),
            deff: x.and_then(|x| x.deff),
            df: x.and_then(|x| x.degrees_of_freedom()),
            flag_reason: f.estimate.reason.map(|r| r.code()),
        }
    }
}

#[derive(Serialize)]
pub(crate) struct ReleaseOut {
    id: i64,
    synthetic: bool,
    input_file: String,
    input_sha256: String,
    source: String,
    generator_seed: Option<u64>,
    catalogue_version: String,
    method: String,
    software_version: String,
    started_at: i64,
    finished_at: i64,
    inputs: Vec<String>,
    rules: String,
}

pub(crate) async fn api_release(
    State(state): State<AppState>,
) -> Result<Json<ReleaseOut>, PortalError> {
    let r = current(&state).await?;
    let p = r.provenance;
    Ok(Json(ReleaseOut {
        id: r.id,
        synthetic: p.synthetic,
        input_file: p.input_file,
        input_sha256: p.input_sha256,
        source: p.source,
        generator_seed: p.generator_seed,
        catalogue_version: p.catalogue_version,
        method: p.method,
        software_version: p.software_version,
        started_at: p.started_at,
        finished_at: p.finished_at,
        inputs: p.inputs,
        rules: p.rules,
    }))
}

#[derive(Serialize)]
pub(crate) struct IndicatorOut {
    id: &'static str,
    name: &'static str,
    area: &'static str,
    source: &'static str,
    unit: &'static str,
    population: &'static str,
    definition: &'static str,
    comparability: &'static str,
}

pub(crate) async fn api_indicators() -> Json<Vec<IndicatorOut>> {
    Json(
        catalogue()
            .iter()
            .map(|i| IndicatorOut {
                id: &i.id,
                name: &i.name,
                area: &i.area,
                source: i.source.code(),
                unit: &i.unit,
                population: &i.population_label,
                definition: &i.definition,
                comparability: &i.comparability,
            })
            .collect(),
    )
}

#[derive(Serialize)]
pub(crate) struct FiguresOut {
    release: i64,
    synthetic: bool,
    indicator: String,
    figures: Vec<FigureOut>,
    /// Officially published figures of the same definition (country level), flags kept.
    published: Vec<OfficialOut>,
}

/// A published figure in API answers.
#[derive(Debug, Serialize)]
pub(crate) struct OfficialOut {
    dataset: String,
    label: String,
    geo: String,
    year: i32,
    grouping: String,
    group: String,
    sex: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<f64>,
    flags: String,
}

pub(crate) async fn api_figures(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<LevelQuery>,
) -> Result<Json<FiguresOut>, PortalError> {
    let (release, figures) = figures_for(&state, &id, &q).await?;
    let ind = find_indicator(&id)?;
    let sex = sex_filter(&q)?;
    let published = official_figures(&state, ind, parse_level(&q)?)
        .await?
        .into_iter()
        .filter(|o| q.geo.as_ref().is_none_or(|g| *g == o.geo))
        .filter(|o| sex.is_none_or(|s| s.code() == o.sex))
        .map(|o| OfficialOut {
            dataset: o.dataset,
            label: o.label,
            geo: o.geo,
            year: o.year,
            grouping: o.grouping,
            group: o.group,
            sex: o.sex,
            value: o.value,
            flags: o.flags,
        })
        .collect();
    Ok(Json(FiguresOut {
        release: release.id,
        synthetic: release.provenance.synthetic,
        indicator: id,
        figures: figures.iter().map(FigureOut::from).collect(),
        published,
    }))
}

/// NUTS 2021 boundaries of one level (0-3) as GeoJSON (GISCO, 1:60 million, WGS 84), unchanged.
/// "© EuroGeographics for the administrative boundaries" must appear on every map drawn from
/// them; the attribution travels in the `X-Attribution` header.
pub(crate) async fn api_boundaries(Path(level): Path<String>) -> Response {
    let level = level.trim_end_matches(".geojson");
    match level.parse::<usize>().ok().and_then(|l| incity_reference::geography::BOUNDARIES_2021.get(l)) {
        Some(geojson) => (
            [
                (header::CONTENT_TYPE, "application/geo+json"),
                (
                    header::HeaderName::from_static("x-attribution"),
                    "EuroGeographics for the administrative boundaries; Source: Eurostat (GISCO), NUTS 2021, 1:60 million",
                ),
            ],
            *geojson,
        )
            .into_response(),
        None => (
            StatusCode::NOT_FOUND,
            "no such NUTS level: expected 0, 1, 2 or 3",
        )
            .into_response(),
    }
}
