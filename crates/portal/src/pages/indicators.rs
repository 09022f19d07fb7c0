//! The HTML pages: home, the indicator list, an indicator's figures, and its CSV download.

use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::IntoResponse;
use axum::response::Response;
use std::collections::BTreeMap;

use incity_indicators::official::{OfficialFigure, OfficialKey};
use incity_indicators::{
    catalogue, figure_table, geo_name, subject_label, Figure, FigureMethod, GeoLevel, Measure,
};
use maud::{html, Markup};

use crate::error::PortalError;
use crate::format::{flag_title, interval_svg, shown};
use crate::layout::page;
use crate::query::{figures_for, find_indicator, official_figures, parse_level, LevelQuery};
use crate::AppState;

pub(crate) async fn home(State(state): State<AppState>) -> Result<Markup, PortalError> {
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

pub(crate) async fn indicator_list(State(state): State<AppState>) -> Result<Markup, PortalError> {
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

/// Newest period first (a year, then the pooled period ending in it); rows of one area
/// together: all persons, the groups, then the gaps.
pub(crate) fn in_display_order(mut figures: Vec<Figure>) -> Vec<Figure> {
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

pub(crate) async fn indicator_page(
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

pub(crate) async fn indicator_csv(
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
