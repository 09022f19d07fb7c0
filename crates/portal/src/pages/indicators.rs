//! The indicator list, and one indicator's figures at one level for every target group (the
//! full table), with its CSV download.

use axum::extract::Path;
use axum::response::Response;
use std::collections::BTreeMap;

use incity_indicators::official::{OfficialFigure, OfficialKey};
use incity_indicators::{
    catalogue, geo_name, subject_label, Figure, FigureMethod, GeoLevel, Measure,
};
use maud::{html, Markup};
use serde::Deserialize;

use crate::error::{PageQuery, PortalError};
use crate::format::{flag_title, interval_svg, shown};
use crate::layout::page;
use crate::pages::{csv_download, ServedRelease};
use crate::served::Served;
use crate::views::{find_indicator, no_release, parse_level};

/// An indicator's figures at one level: `level` (default nuts2), `geo`, `sex` (`T` default,
/// `M`, `F` or `all`).
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct LevelQuery {
    /// `country`, `nuts1`, `nuts2` (default), `nuts3`, `degurba` or `city`.
    pub(crate) level: Option<String>,
    /// One area's code.
    pub(crate) geo: Option<String>,
    /// `T` (default), `M`, `F`, or `all`.
    pub(crate) sex: Option<String>,
}

/// The figures of an indicator at the query's level, area and sex, in display order.
pub(crate) fn figures_at(
    served: &Served,
    id: &str,
    q: &LevelQuery,
) -> Result<Vec<Figure>, PortalError> {
    let ind = find_indicator(id)?;
    served.release.as_ref().ok_or_else(no_release)?;
    let level = parse_level(q.level.as_deref(), GeoLevel::Nuts2)?;
    let sex = match q.sex.as_deref() {
        Some("all") => None,
        s => Some(crate::views::parse_sex(s)?),
    };
    Ok(served
        .of_indicator(&ind.id, level)
        .filter(|f| q.geo.as_ref().is_none_or(|g| *g == f.geo))
        .filter(|f| sex.is_none_or(|s| s == f.sex))
        .cloned()
        .collect())
}

/// The officially published country figures of an indicator (none at other levels).
pub(crate) fn official_at<'a>(
    served: &'a Served,
    id: &str,
    level: GeoLevel,
) -> &'a [OfficialFigure] {
    match (level, served.official.get(id)) {
        (GeoLevel::Country, Some(o)) => o,
        _ => &[],
    }
}

pub(crate) async fn indicator_list(served: ServedRelease) -> Result<Markup, PortalError> {
    Ok(page(
        "Indicators",
        served.release.as_ref(),
        html! {
            h1 { "Indicators" }
            table {
                thead { tr { th { "Indicator" } th { "Policy area" } th { "Population" } th { "Definition" } } }
                tbody {
                    @for ind in catalogue() {
                        tr {
                            td { a href={ "/indicators/" (ind.id) "/about" } { (ind.name) } " · " a href={ "/explore?indicator=" (ind.id) } { "explore" } }
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

pub(crate) async fn indicator_page(
    served: ServedRelease,
    Path(id): Path<String>,
    PageQuery(q): PageQuery<LevelQuery>,
) -> Result<Markup, PortalError> {
    let ind = find_indicator(&id)?;
    let level = parse_level(q.level.as_deref(), GeoLevel::Nuts2)?;
    let figures = figures_at(&served, &id, &q)?;
    let release = served.release.as_ref().ok_or_else(no_release)?;
    let official = official_at(&served, &id, level);
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
        Some(release),
        html! {
            h1 { (title) }
            p { (ind.definition) " " a href={ "/explore?indicator=" (ind.id) "&level=" (level.code()) } { "Explore with a chart and a map" } }
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

pub(crate) async fn indicator_csv(
    served: ServedRelease,
    Path(id): Path<String>,
    PageQuery(q): PageQuery<LevelQuery>,
) -> Result<Response, PortalError> {
    let figures = figures_at(&served, &id, &q)?;
    csv_download(&served, &figures, "figures.csv")
}
