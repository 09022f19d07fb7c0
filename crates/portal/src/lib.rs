//! The incity web portal (server-rendered HTML, readable without JavaScript) and its JSON API.
//!
//! This is the only crate that speaks HTTP. It reads the served release from the store and
//! never sees microdata; a suppressed figure reaches it as a flag without a number, so no page,
//! download or API answer can show one.
//!
//! It must not know microdata or the query engine (it builds without `incity-data`). Entry
//! point: [`router`] over an [`AppState`].
//!
//! (About 800 lines in one file: the portal is to become a folder of routes, one module per
//! page family and one for the API, with the portal issue; `plan.rs` already is one.)

use std::net::SocketAddr;

use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use incity_estimation::{Estimate, Flag};
use std::collections::BTreeMap;

use incity_indicators::official::{OfficialFigure, OfficialKey, TableObservation};
use incity_indicators::{
    catalogue, figure_table, geo_name, subject_label, Figure, FigureMethod, GeoLevel, Indicator,
    Measure, Sex,
};
use incity_store::{FigureFilter, Store, StoredRelease};
use maud::{html, Markup, PreEscaped, DOCTYPE};
use serde::{Deserialize, Serialize};

mod plan;

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

enum PortalError {
    NotFound(String),
    BadRequest(String),
    /// The request is valid but the served release cannot answer it.
    Unavailable(String),
    Internal(String),
}

impl PortalError {
    fn parts(self) -> (StatusCode, String) {
        match self {
            PortalError::NotFound(m) => (StatusCode::NOT_FOUND, m),
            PortalError::BadRequest(m) => (StatusCode::BAD_REQUEST, m),
            PortalError::Unavailable(m) => (StatusCode::CONFLICT, m),
            PortalError::Internal(m) => (StatusCode::INTERNAL_SERVER_ERROR, m),
        }
    }
}

impl From<incity_store::StoreError> for PortalError {
    fn from(e: incity_store::StoreError) -> Self {
        tracing::error!("store: {e}");
        PortalError::Internal("the database could not be read".into())
    }
}

impl IntoResponse for PortalError {
    fn into_response(self) -> Response {
        let (status, message) = self.parts();
        let body = page(
            "Error",
            None,
            html! { h1 { (status.as_u16()) " " (status.canonical_reason().unwrap_or("")) } p { (message) } },
        );
        (status, body).into_response()
    }
}

async fn not_found() -> PortalError {
    PortalError::NotFound("There is no page at this address.".into())
}

const STYLE: &str = r#"
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1b1f24;background:#fff;line-height:1.45}
header{background:#0b3d5c;color:#fff;padding:.6rem 1.2rem;display:flex;gap:1.5rem;align-items:baseline;flex-wrap:wrap}
header a{color:#fff;text-decoration:none}header .brand{font-weight:700;font-size:1.3rem}
main{max-width:72rem;margin:0 auto;padding:1rem 1.2rem}
.synthetic{background:#fff4d6;border:1px solid #e0b84c;padding:.5rem .8rem;margin:.8rem 0;border-radius:4px}
table{border-collapse:collapse;width:100%;font-size:.92rem}th,td{padding:.3rem .5rem;border-bottom:1px solid #dde3e8;text-align:left;vertical-align:middle}
th{background:#f2f5f7;position:sticky;top:0}td.num{text-align:right;font-variant-numeric:tabular-nums}
tr.gap td{color:#4a5560;font-style:italic}td.official{color:#0b3d5c;background:#f4f8fb}.official-flag{color:#8a5a00}.flag-c{color:#8a1c1c;font-weight:600}.flag-u{color:#8a5a00}tr.model td{background:#f6f2fb}.model-based{display:inline-block;padding:0 .35em;border:1px solid #5b3a8c;border-radius:3px;color:#5b3a8c;font-size:.85em;font-weight:600}
footer{border-top:1px solid #dde3e8;margin-top:2rem;padding:1rem 1.2rem;font-size:.85rem;color:#4a5560}
nav.levels a{margin-right:1rem}code{background:#f2f5f7;padding:0 .2rem}
@media print{header nav,nav.levels,.download{display:none}}
"#;

fn page(title: &str, release: Option<&StoredRelease>, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · incity" }
                style { (PreEscaped(STYLE)) }
            }
            body {
                header {
                    a.brand href="/" { "incity" }
                    nav { a href="/indicators" { "Indicators" } " " a href="/plan" { "Precision planner" } " " a href="/api/v1/release" { "API" } }
                }
                main {
                    @if let Some(r) = release {
                        @if r.provenance.synthetic {
                            p.synthetic role="note" {
                                strong { "Synthetic demonstration data." }
                                " Every figure on this site is computed from simulated survey microdata, not from real respondents."
                            }
                        }
                    }
                    (body)
                }
                footer {
                    @if let Some(r) = release {
                        p {
                            "Release " (r.id) " · input " code { (r.provenance.input_file) }
                            " (SHA-256 " code { (&r.provenance.input_sha256[..12.min(r.provenance.input_sha256.len())]) } "…)"
                            " · catalogue " (r.provenance.catalogue_version)
                            " · incity " (r.provenance.software_version)
                        }
                        p { "Method: " (r.provenance.method) }
                    }
                    p { "Region names and codes: NUTS 2021, Source: Eurostat. Synthetic data with parameters from Eurostat tables (LFSA_ERGAN, LFSA_URGAN, ILC_DI15, HLTH_SILC_24, EDAT_LFS_9911, URB_CPOP1, URB_CPOPCB)." }
                }
            }
        }
    }
}

async fn current(state: &AppState) -> Result<StoredRelease, PortalError> {
    state.store.current_release().await?.ok_or_else(|| {
        PortalError::NotFound("No release has been published yet; run `incity compute`.".into())
    })
}

async fn home(State(state): State<AppState>) -> Result<Markup, PortalError> {
    let release = state.store.current_release().await?;
    Ok(page(
        "Home",
        release.as_ref(),
        html! {
            h1 { "Comparable indicators of immigrant integration for European cities and regions" }
            p {
                "incity computes the EU core integration indicators from survey microdata, with "
                "their standard errors, confidence intervals and publication flags, so that a city "
                "can see how its immigrant residents fare and how precise each figure is."
            }
            h2 { "Indicators" }
            ul {
                @for ind in catalogue() {
                    li { a href={ "/indicators/" (ind.id) } { (ind.name) } " — " (ind.population_label) }
                }
            }
            @if release.is_none() {
                p { "No release has been published yet." }
            }
        },
    ))
}

async fn indicator_list(State(state): State<AppState>) -> Result<Markup, PortalError> {
    let release = state.store.current_release().await?;
    Ok(page(
        "Indicators",
        release.as_ref(),
        html! {
            h1 { "Indicators" }
            table {
                thead { tr { th { "Indicator" } th { "Policy area" } th { "Population" } th { "Definition" } } }
                tbody {
                    @for ind in catalogue() {
                        tr {
                            td { a href={ "/indicators/" (ind.id) } { (ind.name) } }
                            td { (ind.area) }
                            td { (ind.population_label) }
                            td { (ind.definition) }
                        }
                    }
                }
            }
        },
    ))
}

#[derive(Debug, Deserialize)]
struct LevelQuery {
    level: Option<String>,
    geo: Option<String>,
    /// `T` (default), `M`, `F`, or `all`.
    sex: Option<String>,
}

fn sex_filter(q: &LevelQuery) -> Result<Option<Sex>, PortalError> {
    match q.sex.as_deref() {
        None => Ok(Some(Sex::Total)),
        Some("all") => Ok(None),
        Some(code) => Sex::from_code(code).map(Some).ok_or_else(|| {
            PortalError::BadRequest(format!("unknown sex `{code}`: expected T, M, F or all"))
        }),
    }
}

fn find_indicator(id: &str) -> Result<&'static Indicator, PortalError> {
    catalogue()
        .iter()
        .find(|i| i.id == id)
        .ok_or_else(|| PortalError::NotFound(format!("There is no indicator `{id}`.")))
}

fn parse_level(q: &LevelQuery) -> Result<GeoLevel, PortalError> {
    match q.level.as_deref() {
        None => Ok(GeoLevel::Nuts2),
        Some(s) => GeoLevel::from_code(s).ok_or_else(|| {
            PortalError::BadRequest(format!(
                "unknown level `{s}`: expected one of {}",
                GeoLevel::ALL.map(|l| l.code()).join(", ")
            ))
        }),
    }
}

/// Newest period first (a year, then the pooled period ending in it); rows of one area
/// together: all persons, the groups, then the gaps.
fn in_display_order(mut figures: Vec<Figure>) -> Vec<Figure> {
    fn rank(f: &Figure) -> (usize, bool, usize, String, bool) {
        let catalogue = incity_indicators::Catalogue::embedded();
        let grouping = catalogue
            .groupings
            .iter()
            .position(|g| g.id == f.grouping)
            .map_or(0, |p| p + 1);
        let pos = catalogue
            .groupings
            .iter()
            .flat_map(|g| g.groups.iter())
            .position(|g| g.code == f.group)
            .unwrap_or(usize::MAX);
        (
            grouping,
            f.measure.is_gap(),
            pos,
            f.group.clone(),
            f.method != FigureMethod::Direct,
        )
    }
    figures.sort_by(|a, b| {
        (
            std::cmp::Reverse(a.year),
            std::cmp::Reverse(a.first_year),
            a.geo.as_str(),
            a.sex,
            rank(a),
        )
            .cmp(&(
                std::cmp::Reverse(b.year),
                std::cmp::Reverse(b.first_year),
                b.geo.as_str(),
                b.sex,
                rank(b),
            ))
    });
    figures
}

fn pct(v: f64) -> String {
    format!("{:.1}", v * 100.0)
}

/// A value in the figure's unit: percentages with one decimal, euro as whole numbers, ratios
/// with two decimals.
fn shown(v: f64, euro: bool, measure: Measure) -> String {
    match (measure, euro) {
        (Measure::Ratio, _) => format!("{v:.2}"),
        (_, true) => format!("{v:.0}"),
        (_, false) => pct(v),
    }
}

/// An interval drawn on a 0-100 % scale (or -40..+40 pp for gaps; euro: 0-60,000 and
/// ±30,000; ratios 0-2 around 1), with a text equivalent.
fn interval_svg(f: &Figure, euro: bool) -> Markup {
    let Some(x) = f.estimate.figures else {
        return html! {};
    };
    let (lo, hi, reference) = match (f.measure, euro) {
        (Measure::Ratio, _) => (0.0, 2.0, Some(1.0)),
        (Measure::Difference, false) => (-0.4, 0.4, Some(0.0)),
        (Measure::Level, false) => (0.0, 1.0, None),
        (Measure::Difference, true) => (-30_000.0, 30_000.0, Some(0.0)),
        (Measure::Level, true) => (0.0, 60_000.0, None),
    };
    let w = 160.0;
    let pos = |v: f64| ((v - lo) / (hi - lo)).clamp(0.0, 1.0) * w;
    let label = format!(
        "{} {}, 95 % interval {} to {}",
        shown(x.estimate, euro, f.measure),
        match (f.measure, euro) {
            (Measure::Ratio, _) => "(ratio)",
            (_, true) => "euro",
            (Measure::Difference, false) => "percentage points",
            (Measure::Level, false) => "%",
        },
        shown(x.ci_low, euro, f.measure),
        shown(x.ci_high, euro, f.measure)
    );
    html! {
        svg width="160" height="14" viewBox="0 0 160 14" role="img" aria-label=(label) {
            title { (label) }
            line x1="0" y1="7" x2="160" y2="7" stroke="#dde3e8" {}
            @if let Some(r) = reference { line x1=(pos(r)) y1="1" x2=(pos(r)) y2="13" stroke="#98a4ae" {} }
            line x1=(pos(x.ci_low)) y1="7" x2=(pos(x.ci_high)) y2="7" stroke="#0b3d5c" stroke-width="3" {}
            circle cx=(pos(x.estimate)) cy="7" r="3.5" fill="#e07b00" {}
        }
    }
}

async fn indicator_page(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<LevelQuery>,
) -> Result<Markup, PortalError> {
    let ind = find_indicator(&id)?;
    let level = parse_level(&q)?;
    let (release, figures) = figures_for(&state, &id, &q).await?;
    let figures = in_display_order(figures);
    let official = official_figures(&state, ind, level).await?;
    let official_by_key: BTreeMap<OfficialKey, &OfficialFigure> =
        official.iter().map(|o| (o.key(), o)).collect();
    let official_of = |f: &Figure| -> Option<&OfficialFigure> {
        if f.measure.is_gap() || f.is_pooled() {
            return None;
        }
        official_by_key
            .get(&(
                f.geo.clone(),
                f.year,
                f.grouping.clone(),
                f.group.clone(),
                f.sex.code().to_string(),
            ))
            .copied()
    };
    let official_labels: Vec<&str> = ind.published.iter().map(|p| p.label.as_str()).collect();
    let euro = ind.unit == "euro";
    let title = format!("{} ({})", ind.name, ind.population_label);
    Ok(page(
        &title,
        Some(&release),
        html! {
            h1 { (title) }
            p { (ind.definition) }
            nav.levels aria-label="Geographic level" {
                @for l in GeoLevel::ALL {
                    a href={ "/indicators/" (ind.id) "?level=" (l.code()) } { (l.label()) }
                }
                a.download href={ "/indicators/" (ind.id) "/figures.csv?level=" (level.code()) } { "Download CSV" }
                a.download href={ "/api/v1/indicators/" (ind.id) "/figures?level=" (level.code()) } { "JSON" }
            }
            p {
                @if euro { "Euro per year, with 95 % confidence intervals on the design's degrees of freedom (Woodruff intervals for medians; gaps in euro, and as ratios to the reference group). " }
                @else { "Percentages with 95 % confidence intervals on the design's degrees of freedom (logit intervals for rates; Korn-Graubard for rates of 0 % or 100 % and rare outcomes; gaps in percentage points). "
                    "Hover over a flag for the rule the figure failed. " }
                "Rows marked " span.model-based { "model-based" } " are small-area estimates of a Fay-Herriot model (hover for the model and its covariates), shown below the direct figure of the same cell where that one is flagged or not published; their interval and CV rest on the model's root mean squared error, which takes the place of the standard error in the publication rules. "
                "Flag " strong.flag-u { "u" } ": low reliability. "
                "Flag " strong.flag-c { "c" } ": not published. "
                "Publication rules of this release: " (release.provenance.rules) "."
            }
            @if !official_labels.is_empty() {
                p {
                    "Officially published figures of the same definition (" (official_labels.join(", ")) ") are shown beside the computed ones, with their own flags"
                    @if level != GeoLevel::Country { " at the country level" }
                    @if level == GeoLevel::Country && official.is_empty() { "; none is loaded (run " code { "incity import-table" } ")" }
                    "."
                }
            }
            @if figures.is_empty() {
                p { "No figure of this indicator at this level in the served release." }
            }
            table {
                caption { (title) ", " (level.label()) " by target group" }
                thead { tr {
                    th scope="col" { "Period" } th scope="col" { "Code" } th scope="col" { "Area" } th scope="col" { "Sex" } th scope="col" { "Group" }
                    th scope="col" { (if euro { "Estimate (euro)" } else { "Estimate (%)" }) } th scope="col" { "95 % interval" } th scope="col" { "CV (%)" }
                    th scope="col" { "Respondents" } th scope="col" { "Flag" } th scope="col" { "Method" } th scope="col" { "Interval" }
                    @if !official.is_empty() { th scope="col" { "Published (Eurostat)" } }
                } }
                tbody {
                    @for f in &figures {
                        tr class=(if f.measure.is_gap() { "gap" } else if f.method != FigureMethod::Direct { "model" } else { "" }) {
                            td { (f.period()) }
                            td { (f.geo) }
                            td { (geo_name(&f.geo).unwrap_or_default()) }
                            td { (f.sex.code()) }
                            td { (subject_label(&f.group, f.measure, f.reference_group.as_deref())) }
                            @match f.estimate.figures {
                                Some(x) => {
                                    td.num { (shown(x.estimate, euro, f.measure)) }
                                    td.num { (shown(x.ci_low, euro, f.measure)) " – " (shown(x.ci_high, euro, f.measure)) }
                                    td.num { (x.cv.map(|c| format!("{:.1}", c * 100.0)).unwrap_or_default()) }
                                    td.num { (x.n) }
                                }
                                None => {
                                    td.num.flag-c colspan="4" { "not published" }
                                }
                            }
                            td class={ "flag-" (f.estimate.flag.code()) } title=(flag_title(&f.estimate)) { (f.estimate.flag.code()) }
                            td {
                                @match f.method.model() {
                                    Some(model) => { span.model-based title=(model) { "model-based" } }
                                    None => { (f.method_label()) }
                                }
                            }
                            td { (interval_svg(f, euro)) }
                            @if !official.is_empty() {
                                td.num.official {
                                    @if let Some(o) = official_of(f) {
                                        @match o.value {
                                            Some(v) => { (shown(v, euro, Measure::Level)) }
                                            None => { ":" }
                                        }
                                        @if !o.flags.is_empty() { " " span.official-flag title={ "Eurostat flag " (o.flags) } { (o.flags) } }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        },
    ))
}

/// The published figures of an indicator's `[[published]]` definitions at a level (national
/// tables: the country level only). A definition that does not fit the loaded table is logged
/// and skipped, so a page never fails because of a table.
async fn official_figures(
    state: &AppState,
    ind: &Indicator,
    level: GeoLevel,
) -> Result<Vec<OfficialFigure>, PortalError> {
    if level != GeoLevel::Country || ind.published.is_empty() {
        return Ok(Vec::new());
    }
    let tables = state.store.published_tables().await?;
    let mut out = Vec::new();
    for def in &ind.published {
        let Some(table) = tables.iter().find(|t| t.dataset == def.dataset) else {
            continue;
        };
        let observations = state
            .store
            .published_observations(&def.dataset, None)
            .await?;
        let selected = def.select(
            &table.dimensions,
            observations.iter().map(|o| TableObservation {
                key: &o.key,
                time: &o.time,
                value: o.value,
                flags: &o.flags,
                confidential: o.confidential,
            }),
        );
        match selected {
            Ok(figures) => out.extend(figures),
            Err(e) => tracing::warn!("indicator {}: {e}", ind.id),
        }
    }
    Ok(out)
}

/// A figure in API answers and downloads: numbers only when published.
#[derive(Debug, Serialize)]
struct FigureOut {
    indicator: String,
    source: String,
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
            source: f.source.clone(),
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
struct ReleaseOut {
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

async fn api_release(State(state): State<AppState>) -> Result<Json<ReleaseOut>, PortalError> {
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
struct IndicatorOut {
    id: &'static str,
    name: &'static str,
    area: &'static str,
    source: &'static str,
    unit: &'static str,
    population: &'static str,
    definition: &'static str,
    comparability: &'static str,
}

async fn api_indicators() -> Json<Vec<IndicatorOut>> {
    Json(
        catalogue()
            .iter()
            .map(|i| IndicatorOut {
                id: &i.id,
                name: &i.name,
                area: &i.area,
                source: &i.source,
                unit: &i.unit,
                population: &i.population_label,
                definition: &i.definition,
                comparability: &i.comparability,
            })
            .collect(),
    )
}

#[derive(Serialize)]
struct FiguresOut {
    release: i64,
    synthetic: bool,
    indicator: String,
    figures: Vec<FigureOut>,
    /// Officially published figures of the same definition (country level), flags kept.
    published: Vec<OfficialOut>,
}

/// A published figure in API answers.
#[derive(Debug, Serialize)]
struct OfficialOut {
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

async fn figures_for(
    state: &AppState,
    id: &str,
    q: &LevelQuery,
) -> Result<(StoredRelease, Vec<Figure>), PortalError> {
    let ind = find_indicator(id)?;
    let level = parse_level(q)?;
    let release = current(state).await?;
    let figures = state
        .store
        .figures(
            release.id,
            &FigureFilter {
                indicator: Some(ind.id.to_string()),
                geo_level: Some(level),
                geo: q.geo.clone(),
                sex: sex_filter(q)?,
            },
        )
        .await?;
    Ok((release, figures))
}

async fn api_figures(
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

/// A flag's tooltip: what it means and which rule the figure failed.
fn flag_title(e: &Estimate) -> String {
    let status = match e.flag {
        Flag::Reliable => "published",
        Flag::LowReliability => "low reliability",
        Flag::Suppressed => "not published",
    };
    match e.reason {
        Some(r) => format!("{status}: {}", r.describe()),
        None => e.flag.describe().to_string(),
    }
}

async fn indicator_csv(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<LevelQuery>,
) -> Result<Response, PortalError> {
    let (release, figures) = figures_for(&state, &id, &q).await?;
    // The same columns as `incity export --format csv`; a suppressed figure has no number.
    let mut out = Vec::new();
    figure_table::write_csv(&mut out, release.id, release.provenance.synthetic, &figures)
        .map_err(|e| PortalError::Internal(format!("CSV: {e}")))?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"figures.csv\"",
            ),
        ],
        out,
    )
        .into_response())
}

/// NUTS 2021 boundaries of one level (0-3) as GeoJSON (GISCO, 1:60 million, WGS 84), unchanged.
/// "© EuroGeographics for the administrative boundaries" must appear on every map drawn from
/// them; the attribution travels in the `X-Attribution` header.
async fn api_boundaries(Path(level): Path<String>) -> Response {
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
