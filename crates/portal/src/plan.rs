//! The precision planner: `/plan` (page) and `/api/v1/plan` (JSON), over the served release.
//!
//! Both answer "what sample would publish this indicator for this city's migrant groups?"
//! with [`incity_indicators::planner`], which reads only published figures (see its
//! confidentiality notes): the page and the API show nothing the release does not publish.

use axum::http::StatusCode;
use axum::Json;
use incity_estimation::Flag;
use incity_indicators::planner::{
    self, cv_label, PlanRequest, PlanRow, Requirement, Respondents, DEFAULT_TARGET_CVS,
};
use incity_indicators::Figure;
use incity_indicators::{catalogue, geo_name, group_label, GeoLevel, Sex};
use incity_store::StoredRelease;
use maud::{html, Markup};
use serde::{Deserialize, Serialize};

use crate::error::{ApiError, ApiQuery, ErrorOut, PageQuery};
use crate::pages::ServedRelease;
use crate::served::Served;
use crate::{page, PortalError};

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct PlanQuery {
    /// `city` (default) or another level.
    level: Option<String>,
    /// One area's code (default: all of the level).
    geo: Option<String>,
    /// Indicator id (default `employment_rate_20_64`).
    indicator: Option<String>,
    /// One target group (default: all migrant groups).
    group: Option<String>,
    /// Comma-separated fractions, e.g. `0.1,0.2`.
    target_cv: Option<String>,
}

/// A planning request checked against the catalogue.
struct Checked {
    request: PlanRequest,
    indicator: String,
}

fn check(q: &PlanQuery) -> Result<Checked, String> {
    let level =
        crate::views::parse_level(q.level.as_deref(), GeoLevel::City).map_err(|e| e.parts().1)?;
    let indicator = q
        .indicator
        .clone()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "employment_rate_20_64".into());
    if !catalogue().iter().any(|i| i.id == indicator) {
        return Err(format!("unknown indicator `{indicator}`"));
    }
    let target_cvs = match q.target_cv.as_deref().filter(|s| !s.is_empty()) {
        None => DEFAULT_TARGET_CVS.to_vec(),
        Some(s) => s
            .split(',')
            .map(|c| match c.trim().parse::<f64>() {
                Ok(v) if v > 0.0 && v < 1.0 => Ok(v),
                _ => Err(format!(
                    "target_cv `{c}`: expected fractions between 0 and 1 (0.1 for 10 %)"
                )),
            })
            .collect::<Result<Vec<_>, _>>()?,
    };
    if target_cvs.len() > 6 {
        return Err("target_cv: at most 6 targets".into());
    }
    Ok(Checked {
        request: PlanRequest {
            level,
            geo: q.geo.clone().filter(|s| !s.is_empty()),
            indicator: Some(indicator.clone()),
            group: q.group.clone().filter(|s| !s.is_empty()),
            target_cvs,
        },
        indicator,
    })
}

/// The plan of the served release.
fn plan_of<'a>(
    served: &'a Served,
    checked: &Checked,
) -> Result<(&'a StoredRelease, Vec<PlanRow>), PortalError> {
    let release = served
        .release
        .as_ref()
        .ok_or_else(crate::views::no_release)?;
    let rules = served.rules.as_ref().ok_or_else(|| {
        PortalError::Unavailable(
            "The served release was published with a rule file that is not shipped with \
             incity: plan it with `incity plan --rules FILE`."
                .into(),
        )
    })?;
    let figures: Vec<Figure> = GeoLevel::ALL
        .into_iter()
        .flat_map(|l| served.of_indicator(&checked.indicator, l))
        .filter(|f| f.sex == Sex::Total)
        .cloned()
        .collect();
    let rows = planner::plan(
        incity_indicators::Catalogue::embedded(),
        &figures,
        rules,
        &checked.request,
    );
    Ok((release, rows))
}

/// How the planner computes (shown on the page and returned by the API).
const METHOD: &str = "Respondents needed for a target CV: n = deff (1 - p) / (p CV²) for a \
    share (the variance falls as 1/n with the design held fixed), from a planning value p \
    (the published direct figure, else the published model-based figure, else the country's \
    published figure) and the cell's design effect (else the median of the level's published \
    figures). To be published: the fewest respondents whose figure the release's publication \
    rules publish without a flag. Oversampling: respondents needed over current respondents; \
    pooled years: years of the current sample to pool. Model-based: the EBLUP's MSE taken as \
    the harmonic combination of the direct variance and the model's synthetic error \
    recovered from its current RMSE (an approximation).";

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct RequirementOut {
    respondents: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    oversampling: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pooled_years: Option<u64>,
    /// Oversampling and pooled years are lower bounds (current respondents below a limit).
    lower_bounds: bool,
}

impl From<Requirement> for RequirementOut {
    fn from(r: Requirement) -> Self {
        RequirementOut {
            respondents: r.respondents,
            oversampling: r.oversampling,
            pooled_years: r.pooled_years,
            lower_bounds: r.lower_bounds,
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct TargetOut {
    cv: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    needed: Option<RequirementOut>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct ModelOut {
    flag: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    rmse: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    to_publish: Option<RequirementOut>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct PlanRowOut {
    indicator: String,
    year: i32,
    geo_level: &'static str,
    geo: String,
    geo_name: Option<String>,
    grouping: String,
    group: String,
    flag: &'static str,
    /// Current respondents (absent when not published).
    #[serde(skip_serializing_if = "Option::is_none")]
    respondents: Option<u64>,
    /// Suppressed for too few respondents: fewer than this.
    #[serde(skip_serializing_if = "Option::is_none")]
    respondents_fewer_than: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    deff: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cv: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    planning_value: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    planning_source: Option<&'static str>,
    targets: Vec<TargetOut>,
    #[serde(skip_serializing_if = "Option::is_none")]
    to_publish: Option<RequirementOut>,
    #[serde(skip_serializing_if = "Option::is_none")]
    model: Option<ModelOut>,
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<String>,
}

impl From<&PlanRow> for PlanRowOut {
    fn from(r: &PlanRow) -> Self {
        PlanRowOut {
            indicator: r.indicator.clone(),
            year: r.year,
            geo_level: r.geo_level.code(),
            geo: r.geo.clone(),
            geo_name: geo_name(&r.geo),
            grouping: r.grouping.clone(),
            group: r.group.clone(),
            flag: r.flag.code(),
            respondents: match r.respondents {
                Respondents::Known(n) => Some(n),
                _ => None,
            },
            respondents_fewer_than: match r.respondents {
                Respondents::FewerThan(t) => Some(t),
                _ => None,
            },
            deff: r.deff,
            cv: r.cv,
            planning_value: r.planning_value.map(|p| p.0),
            planning_source: r.planning_value.map(|p| p.1.code()),
            targets: r
                .for_cv
                .iter()
                .map(|(cv, n)| TargetOut {
                    cv: *cv,
                    needed: n.map(RequirementOut::from),
                })
                .collect(),
            to_publish: r.to_publish.map(RequirementOut::from),
            model: r.model.map(|m| ModelOut {
                flag: m.flag.code(),
                rmse: m.rmse,
                to_publish: m.to_publish.map(RequirementOut::from),
            }),
            note: r.note.clone(),
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct PlanOut {
    release: i64,
    level: &'static str,
    indicator: String,
    target_cvs: Vec<f64>,
    rules: String,
    method: &'static str,
    cells: Vec<PlanRowOut>,
}

/// The precision planner: the sample that would publish an indicator's migrant-group figures.
#[utoipa::path(get, path = "/plan", tag = "planner", params(PlanQuery),
    responses((status = 200, body = PlanOut), (status = 400, body = ErrorOut), (status = 409, body = ErrorOut)))]
pub(crate) async fn api_plan(
    served: ServedRelease,
    ApiQuery(q): ApiQuery<PlanQuery>,
) -> Result<Json<PlanOut>, ApiError> {
    let checked = check(&q).map_err(|m| ApiError(StatusCode::BAD_REQUEST, m))?;
    let (release, rows) = plan_of(&served, &checked)?;
    Ok(Json(PlanOut {
        release: release.id,
        level: checked.request.level.code(),
        indicator: checked.indicator,
        target_cvs: checked.request.target_cvs,
        rules: release.provenance.rules.clone(),
        method: METHOD,
        cells: rows.iter().map(PlanRowOut::from).collect(),
    }))
}

fn requirement_cells(r: Option<Requirement>) -> Markup {
    match r {
        None => html! { td.num { "–" } td.num { "–" } td.num { "–" } },
        Some(r) => {
            let bound = if r.lower_bounds { "≥ " } else { "" };
            html! {
                td.num { (r.respondents) }
                td.num { @if let Some(o) = r.oversampling { (bound) (format!("{o:.1}")) "×" } @else { "–" } }
                td.num { @if let Some(y) = r.pooled_years { (bound) (y) } @else { "–" } }
            }
        }
    }
}

fn flag_text(flag: Flag) -> &'static str {
    match flag {
        Flag::Reliable => "published",
        Flag::LowReliability => "low reliability",
        Flag::Suppressed => "not published",
    }
}

pub(crate) async fn plan_page(
    served: ServedRelease,
    PageQuery(q): PageQuery<PlanQuery>,
) -> Result<Markup, PortalError> {
    let checked = check(&q).map_err(PortalError::BadRequest)?;
    let (release, rows) = plan_of(&served, &checked)?;
    let request = &checked.request;
    let ind = catalogue()
        .iter()
        .find(|i| i.id == checked.indicator)
        .ok_or_else(|| PortalError::NotFound("unknown indicator".into()))?;
    let mut geos: Vec<(String, String)> = rows
        .iter()
        .map(|r| (r.geo.clone(), geo_name(&r.geo).unwrap_or_default()))
        .collect();
    geos.sort_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(&b.0)));
    geos.dedup();
    let groups: Vec<String> = {
        let mut g: Vec<String> = rows.iter().map(|r| r.group.clone()).collect();
        g.sort();
        g.dedup();
        g
    };
    let cvs = request
        .target_cvs
        .iter()
        .map(|c| format!("{c}"))
        .collect::<Vec<_>>()
        .join(",");
    let publishable_now = rows.iter().filter(|r| r.flag == Flag::Reliable).count();
    let title = format!("Precision planner: {}", ind.name);
    Ok(page(
        &title,
        Some(release),
        html! {
            h1 { "Precision planner" }
            p {
                "What sample would publish " strong { (ind.name) } " (" (ind.population_label) ") for the migrant groups of "
                (request.level.label().to_lowercase()) "? For every cell: its respondents, design effect, CV and flag in the served release; "
                "the respondents needed for each target CV and to be published without a flag; the oversampling this implies and the years of "
                "this sample that pooling would need; and the same for the model-based figure."
            }
            form method="get" action="/plan" {
                input type="hidden" name="level" value=(request.level.code());
                label { "Indicator " select name="indicator" {
                    @for i in catalogue() {
                        option value=(i.id) selected[i.id == checked.indicator] { (i.name) " (" (i.population_label) ")" }
                    }
                } }
                " "
                label { "Area " select name="geo" {
                    option value="" selected[request.geo.is_none()] { "all" }
                    @for (code, name) in &geos {
                        option value=(code) selected[request.geo.as_deref() == Some(code.as_str())] { (name) " (" (code) ")" }
                    }
                } }
                " "
                label { "Group " select name="group" {
                    option value="" selected[request.group.is_none()] { "all migrant groups" }
                    @for g in &groups {
                        option value=(g) selected[request.group.as_deref() == Some(g.as_str())] { (group_label(g)) }
                    }
                } }
                " "
                label { "Target CVs " input type="text" name="target_cv" value=(cvs) size="14" aria-describedby="cv-help"; }
                " "
                button type="submit" { "Plan" }
                p #cv-help { small { "Fractions separated by commas: 0.1 is a CV of 10 %. Eurostat treats EU-LFS figures with a CV above 16.6 % as less reliable." } }
            }
            p {
                (rows.len()) " cells, " (publishable_now) " published without a flag now. "
                "Rules: " (release.provenance.rules) "."
            }
            div style="overflow-x:auto" {
                table {
                    caption { "Respondents needed per cell; “≥” marks lower bounds where the release only says the cell has fewer respondents than the rules' minimum." }
                    thead {
                        tr {
                            th rowspan="2" scope="col" { "Area" }
                            th rowspan="2" scope="col" { "Group" }
                            th rowspan="2" scope="col" { "Now" }
                            th rowspan="2" scope="col" { "Respondents" }
                            th rowspan="2" scope="col" { "Design effect" }
                            th rowspan="2" scope="col" { "CV" }
                            th rowspan="2" scope="col" { "Planning value" }
                            @for c in &request.target_cvs {
                                th colspan="3" scope="colgroup" { "CV " (cv_label(*c)) " %" }
                            }
                            th colspan="3" scope="colgroup" { "Published (direct)" }
                            th colspan="4" scope="colgroup" { span.model-based { "model-based" } }
                        }
                        tr {
                            @for _ in 0..(request.target_cvs.len() + 1) {
                                th scope="col" { "n" } th scope="col" { "oversampling" } th scope="col" { "pooled years" }
                            }
                            th scope="col" { "now (RMSE)" }
                            th scope="col" { "n to publish" } th scope="col" { "oversampling" } th scope="col" { "pooled years" }
                        }
                    }
                    tbody {
                        @for r in &rows {
                            tr {
                                th scope="row" { (geo_name(&r.geo).unwrap_or_default()) " " small { (r.geo) } }
                                td { (group_label(&r.group)) }
                                td class={ "flag-" (r.flag.code()) } { (flag_text(r.flag)) }
                                td.num { (match r.respondents { Respondents::NotPublished => "–".to_string(), other => other.text() }) }
                                td.num { @if let Some(d) = r.deff { (format!("{d:.2}")) } @else { "–" } }
                                td.num { @if let Some(c) = r.cv { (format!("{:.1} %", c * 100.0)) } @else { "–" } }
                                td.num {
                                    @if let Some((v, source)) = r.planning_value {
                                        (if ind.unit == "percent" { format!("{:.1} %", v * 100.0) } else { format!("{v:.0}") })
                                        " " small { "(" (source.code()) ")" }
                                    } @else { "–" }
                                }
                                @for (_, n) in &r.for_cv { (requirement_cells(*n)) }
                                (requirement_cells(r.to_publish))
                                @if let Some(m) = r.model {
                                    td class={ "flag-" (m.flag.code()) } {
                                        (flag_text(m.flag))
                                        @if let Some(e) = m.rmse { " (" (if ind.unit == "percent" { format!("{:.1} pts", e * 100.0) } else { format!("{e:.0}") }) ")" }
                                    }
                                    (requirement_cells(m.to_publish))
                                } @else {
                                    td { "no model-based figure" } td.num { "–" } td.num { "–" } td.num { "–" }
                                }
                            }
                            @if let Some(note) = &r.note {
                                tr { td colspan="20" { small { (note) } } }
                            }
                        }
                    }
                }
            }
            h2 { "How the plan is computed" }
            p { (METHOD) }
            p { "The same table as JSON: " a href={ "/api/v1/plan?level=" (request.level.code()) "&indicator=" (checked.indicator) } { code { "/api/v1/plan" } } "; for every indicator and city as CSV: " code { "incity plan --out plan.csv" } "." }
        },
    ))
}
