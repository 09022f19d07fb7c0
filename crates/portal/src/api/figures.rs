//! The release, the indicators, figures (filtered and paged), and the NUTS boundaries.

use axum::extract::Path;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;

use incity_estimation::Flag;
use incity_indicators::{catalogue, geo_name, Figure, FigureMethod, GeoLevel};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::{ApiError, ApiQuery, ErrorOut, PortalError};
use crate::pages::indicators::{figures_at, official_at, LevelQuery};
use crate::pages::ServedRelease;
use crate::views::{find_indicator, no_release, parse_level, parse_measure, parse_sex};

/// A figure in API answers and downloads: numbers only when published.
#[derive(Debug, Serialize, ToSchema)]
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

/// The served release's provenance.
#[derive(Serialize, ToSchema)]
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
    /// Unix seconds.
    started_at: i64,
    finished_at: i64,
    inputs: Vec<String>,
    /// The publication rules the figures were flagged with.
    rules: String,
    /// Number of figures.
    figures: usize,
    /// Reference periods, newest first (`2024`, `2022-2024`).
    periods: Vec<String>,
}

/// The served release's provenance.
#[utoipa::path(get, path = "/release", tag = "release",
    responses((status = 200, body = ReleaseOut), (status = 404, description = "no release yet", body = ErrorOut)))]
pub(crate) async fn api_release(served: ServedRelease) -> Result<Json<ReleaseOut>, ApiError> {
    let r = served.release.as_ref().ok_or_else(no_release)?;
    let p = r.provenance.clone();
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
        figures: served.figures.len(),
        periods: served
            .periods
            .iter()
            .map(|p| crate::views::period_code(*p))
            .collect(),
    }))
}

/// An indicator of the catalogue.
#[derive(Serialize, ToSchema)]
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

/// The indicator catalogue.
#[utoipa::path(get, path = "/indicators", tag = "catalogue", responses((status = 200, body = Vec<IndicatorOut>)))]
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

/// An indicator's figures at one level, with the officially published figures beside them.
#[derive(Serialize, ToSchema)]
pub(crate) struct FiguresOut {
    release: i64,
    synthetic: bool,
    indicator: String,
    figures: Vec<FigureOut>,
    /// Officially published figures of the same definition (country level), flags kept.
    published: Vec<OfficialOut>,
}

/// A published figure in API answers.
#[derive(Debug, Serialize, ToSchema)]
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

/// One indicator's figures at one level (every target group).
#[utoipa::path(get, path = "/indicators/{id}/figures", tag = "figures",
    params(("id" = String, Path, description = "indicator id"), LevelQuery),
    responses((status = 200, body = FiguresOut), (status = 400, body = ErrorOut), (status = 404, body = ErrorOut)))]
pub(crate) async fn api_indicator_figures(
    served: ServedRelease,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<LevelQuery>,
) -> Result<Json<FiguresOut>, ApiError> {
    let figures = figures_at(&served, &id, &q)?;
    let release = served.release.as_ref().ok_or_else(no_release)?;
    let level = parse_level(q.level.as_deref(), GeoLevel::Nuts2)?;
    let sex = match q.sex.as_deref() {
        Some("all") => None,
        s => Some(parse_sex(s)?),
    };
    let published = official_at(&served, &id, level)
        .iter()
        .filter(|o| q.geo.as_ref().is_none_or(|g| *g == o.geo))
        .filter(|o| sex.is_none_or(|s| s.code() == o.sex))
        .map(|o| OfficialOut {
            dataset: o.dataset.clone(),
            label: o.label.clone(),
            geo: o.geo.clone(),
            year: o.year,
            grouping: o.grouping.clone(),
            group: o.group.clone(),
            sex: o.sex.clone(),
            value: o.value,
            flags: o.flags.clone(),
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

/// Filters and paging of `/figures`; every filter is optional.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct FigureQuery {
    indicator: Option<String>,
    /// `country`, `nuts1`, `nuts2`, `nuts3`, `degurba` or `city`.
    level: Option<String>,
    geo: Option<String>,
    /// A target group code or `total`.
    group: Option<String>,
    /// `T`, `M` or `F`.
    sex: Option<String>,
    /// `2024` or `2022-2024`.
    period: Option<String>,
    /// `direct` or `model`.
    method: Option<String>,
    /// `level`, `difference` or `ratio`.
    measure: Option<String>,
    /// `published` (no flag), `u` (low reliability) or `c` (not published).
    flag: Option<String>,
    /// First figure (default 0).
    offset: Option<usize>,
    /// Figures per page (default 1000, at most 10000).
    limit: Option<usize>,
}

/// A page of figures.
#[derive(Serialize, ToSchema)]
pub(crate) struct FigurePage {
    release: i64,
    synthetic: bool,
    /// Figures matching the filters, on all pages.
    total: usize,
    offset: usize,
    limit: usize,
    /// The query of the next page, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    next: Option<String>,
    figures: Vec<FigureOut>,
}

const PAGE_DEFAULT: usize = 1000;
const PAGE_MAX: usize = 10_000;

fn bad(m: String) -> ApiError {
    ApiError(axum::http::StatusCode::BAD_REQUEST, m)
}

/// Figures of the served release, filtered, in display order, a page at a time.
#[utoipa::path(get, path = "/figures", tag = "figures", params(FigureQuery),
    responses((status = 200, body = FigurePage), (status = 400, body = ErrorOut), (status = 404, body = ErrorOut)))]
pub(crate) async fn api_figures(
    served: ServedRelease,
    ApiQuery(q): ApiQuery<FigureQuery>,
) -> Result<Json<FigurePage>, ApiError> {
    let release = served.release.as_ref().ok_or_else(no_release)?;
    let nonempty = |o: &Option<String>| o.clone().filter(|s| !s.is_empty());
    let indicator = match nonempty(&q.indicator) {
        Some(id) => Some(
            find_indicator(&id)
                .map_err(|e| bad(e.parts().1))?
                .id
                .clone(),
        ),
        None => None,
    };
    let level = match nonempty(&q.level) {
        Some(l) => Some(parse_level(Some(&l), GeoLevel::Nuts2)?),
        None => None,
    };
    let sex = match nonempty(&q.sex) {
        Some(s) => Some(parse_sex(Some(&s))?),
        None => None,
    };
    let measure = parse_measure(q.measure.as_deref())?;
    let model = match nonempty(&q.method).as_deref() {
        None => None,
        Some("direct") => Some(false),
        Some("model") => Some(true),
        Some(m) => {
            return Err(bad(format!(
                "unknown method `{m}`: expected direct or model"
            )))
        }
    };
    let flag = match nonempty(&q.flag).as_deref() {
        None => None,
        Some("published") | Some("") => Some(Flag::Reliable),
        Some("u") => Some(Flag::LowReliability),
        Some("c") => Some(Flag::Suppressed),
        Some(f) => {
            return Err(bad(format!(
                "unknown flag `{f}`: expected published, u or c"
            )))
        }
    };
    let period = nonempty(&q.period);
    let limit = q.limit.unwrap_or(PAGE_DEFAULT);
    if limit == 0 || limit > PAGE_MAX {
        return Err(bad(format!("limit {limit}: expected 1 to {PAGE_MAX}")));
    }
    let offset = q.offset.unwrap_or(0);
    let candidates: Box<dyn Iterator<Item = &Figure>> = match (&indicator, level) {
        (Some(i), Some(l)) => Box::new(served.of_indicator(i, l)),
        _ => match nonempty(&q.geo) {
            Some(g) => Box::new(served.of_geo(&g).collect::<Vec<_>>().into_iter()),
            None => Box::new(served.figures.iter()),
        },
    };
    let matching: Vec<&Figure> = candidates
        .filter(|f| indicator.as_ref().is_none_or(|i| *i == f.indicator))
        .filter(|f| level.is_none_or(|l| l == f.geo_level))
        .filter(|f| nonempty(&q.geo).is_none_or(|g| g == f.geo))
        .filter(|f| nonempty(&q.group).is_none_or(|g| g == f.group))
        .filter(|f| sex.is_none_or(|s| s == f.sex))
        .filter(|f| measure.is_none_or(|m| m == f.measure))
        .filter(|f| model.is_none_or(|m| m == (f.method != FigureMethod::Direct)))
        .filter(|f| flag.is_none_or(|x| x == f.estimate.flag))
        .filter(|f| period.as_ref().is_none_or(|p| *p == f.period()))
        .collect();
    let total = matching.len();
    let figures: Vec<FigureOut> = matching
        .iter()
        .skip(offset)
        .take(limit)
        .map(|f| FigureOut::from(*f))
        .collect();
    let next = (offset + limit < total).then(|| format!("offset={}&limit={limit}", offset + limit));
    Ok(Json(FigurePage {
        release: release.id,
        synthetic: release.provenance.synthetic,
        total,
        offset,
        limit,
        next,
        figures,
    }))
}

/// NUTS 2021 boundaries of one level (0-3) as GeoJSON (GISCO, 1:60 million, WGS 84), unchanged.
/// "© EuroGeographics for the administrative boundaries" must appear on every map drawn from
/// them; the attribution travels in the `X-Attribution` header.
#[utoipa::path(get, path = "/geography/nuts/{level}", tag = "geography",
    params(("level" = String, Path, description = "0, 1, 2 or 3, optionally with `.geojson`")),
    responses((status = 200, content_type = "application/geo+json", description = "a GeoJSON FeatureCollection"), (status = 404, body = ErrorOut)))]
pub(crate) async fn api_boundaries(Path(level): Path<String>) -> Result<Response, ApiError> {
    let level = level.trim_end_matches(".geojson");
    match level.parse::<usize>().ok().and_then(|l| incity_reference::geography::BOUNDARIES_2021.get(l)) {
        Some(geojson) => Ok((
            [
                (header::CONTENT_TYPE, "application/geo+json"),
                (
                    header::HeaderName::from_static("x-attribution"),
                    "EuroGeographics for the administrative boundaries; Source: Eurostat (GISCO), NUTS 2021, 1:60 million",
                ),
            ],
            *geojson,
        )
            .into_response()),
        None => Err(PortalError::NotFound("no such NUTS level: expected 0, 1, 2 or 3".into()).into()),
    }
}
