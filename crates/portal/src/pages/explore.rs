//! The indicator explorer: indicator × target group × level × period × sex → a sortable
//! table, an interval chart and a map.

use axum::response::Response;
use incity_indicators::{subject_label, Catalogue, GeoLevel, Measure, Sex};
use maud::{html, Markup};

use crate::charts::interval_chart;
use crate::error::{PageQuery, PortalError};
use crate::format::{figure_cells, figure_words, shown, unit_words};
use crate::layout::page;
use crate::map::{choropleth, MapArea};
use crate::pages::{csv_download, ServedRelease};
use crate::views::{
    explore, period_code, ranks_of, shown_figures, url_encode, ExploreParams, MethodChoice,
    Selection, SortKey,
};

pub(crate) async fn explore_page(
    served: ServedRelease,
    PageQuery(p): PageQuery<ExploreParams>,
) -> Result<Markup, PortalError> {
    let s = Selection::parse(&p, &served)?;
    let rows = explore(&served, &s);
    let ranks = ranks_of(&rows, s.ranks);
    let euro = s.euro();
    let measure = s.subject.measure;
    let fmt = |v: f64| shown(v, euro, measure);
    let subject = subject_label(
        &s.subject.group,
        measure,
        s.subject.reference_group.as_deref(),
    );
    let title = format!(
        "{}: {}, {}, {}",
        s.indicator.name,
        subject,
        s.level.label(),
        period_code(s.period)
    );
    let published = rows
        .iter()
        .filter(|r| r.shown.is_some_and(|f| f.estimate.figures.is_some()))
        .count();
    let sort_link = |key: SortKey, label: &str| -> Markup {
        let descending = s.sort == key && !s.descending;
        let q = s
            .query_with("sort", key.code())
            .replace("order=asc", "order=X")
            .replace("order=desc", "order=X")
            .replace(
                "order=X",
                if descending {
                    "order=desc"
                } else {
                    "order=asc"
                },
            );
        let mark = match (s.sort == key, s.descending) {
            (true, false) => " ▲",
            (true, true) => " ▼",
            _ => "",
        };
        let sorted = match (s.sort == key, s.descending) {
            (true, false) => "ascending",
            (true, true) => "descending",
            _ => "none",
        };
        html! { th scope="col" aria-sort=(sorted) { a href={ "/explore?" (q) } { (label) (mark) } } }
    };
    let map_areas: Vec<MapArea> = rows
        .iter()
        .map(|r| MapArea {
            geo: r.geo,
            figure: r.shown,
            text: format!(
                "{} ({}): {}",
                r.name,
                r.geo,
                r.shown
                    .map(|f| figure_words(f, euro))
                    .unwrap_or_else(|| "no figure of this method".into())
            ),
        })
        .collect();
    let query = s.query();
    Ok(page(
        &title,
        served.release.as_ref(),
        html! {
            h1 { "Indicator explorer" }
            (selector(&s))
            h2 { (title) }
            p { (s.indicator.definition) " " a href={ "/indicators/" (s.indicator.id) "/about" } { "Definition and sources" } }
            p.note {
                (rows.len()) " areas, " (published) " with a published figure. Figures shown: " (s.method.label()) "; "
                "the method of each is in the table. Values in " (unit_words(euro, measure)) ", 95 % confidence intervals. "
                "Flag " strong.flag-u { "u" } ": low reliability; " strong.flag-c { "not published" } ": below the publication threshold (the number is withheld). "
                "Rank 1 is the highest value; the rank's 95 % interval ("
                (match s.ranks { incity_benchmark::ranks::Coverage::Marginal => "marginal: each area's own", incity_benchmark::ranks::Coverage::Simultaneous => "simultaneous: all areas' together" })
                ", Mogstad, Romano, Shaikh & Wilhelm 2024) contains every rank the figures cannot rule out, assuming independent samples across areas; areas whose intervals overlap are not shown as different. "
                a href={ "/explore?" (s.query_with("ranks", match s.ranks { incity_benchmark::ranks::Coverage::Marginal => "simultaneous", incity_benchmark::ranks::Coverage::Simultaneous => "marginal" })) } {
                    (match s.ranks { incity_benchmark::ranks::Coverage::Marginal => "Show simultaneous rank intervals", incity_benchmark::ranks::Coverage::Simultaneous => "Show marginal rank intervals" })
                }
            }
            p.downloads {
                "Download this data: "
                a href={ "/explore.csv?" (query) } { "CSV" }
                a href={ "/api/v1/explore?" (query) } { "JSON" }
            }
            div {
                section aria-labelledby="map-heading" {
                    h3 #map-heading { "Map" }
                    @if s.level == GeoLevel::Degurba {
                        p { "Degrees of urbanisation are not areas on a map; see the table." }
                    } @else {
                        (choropleth(s.level, &map_areas, &title, fmt))
                    }
                }
                section aria-labelledby="chart-heading" {
                    h3 #chart-heading { "Estimates and intervals" }
                    (interval_chart(&rows, measure, &title, unit_words(euro, measure), fmt))
                }
            }
            h3 { "Table" }
            table.sortable {
                caption { (title) ". Select a column heading to sort." }
                thead { tr {
                    (sort_link(SortKey::Area, "Area"))
                    (sort_link(SortKey::Code, "Code"))
                    (sort_link(SortKey::Estimate, if euro { "Estimate (euro)" } else { "Estimate" }))
                    th scope="col" { "95 % interval" }
                    th scope="col" { "Flag" }
                    th scope="col" { "Method" }
                    (sort_link(SortKey::Cv, "CV (%)"))
                    (sort_link(SortKey::Respondents, "Respondents"))
                    th scope="col" { "Rank (95 % interval)" }
                    @if measure == Measure::Level && s.subject.reference_group.is_some() {
                        th scope="col" { "Reference group" }
                    }
                } }
                tbody {
                    @for r in &rows {
                        tr data-geo=(r.geo) {
                            td { a href={ "/profile/" (url_encode(r.geo)) } { (r.name) } }
                            td { (r.geo) }
                            (figure_cells(r.shown, euro))
                            @match r.shown.and_then(|f| f.estimate.figures) {
                                Some(x) => {
                                    td.num { (x.cv.map(|c| format!("{:.1}", c * 100.0)).unwrap_or_default()) }
                                    td.num { (x.n) }
                                }
                                None => { td {} td {} }
                            }
                            td.num { @if let Some(r) = ranks.get(r.geo) { (r.rank) " (" (r.lower) "–" (r.upper) ")" } }
                            @if measure == Measure::Level && s.subject.reference_group.is_some() {
                                td.num { @if let Some(x) = r.reference.and_then(|f| f.estimate.figures) { (fmt(x.estimate)) } }
                            }
                        }
                    }
                }
            }
        },
    ))
}

/// The selection form: every parameter of the view as a labelled control.
fn selector(s: &Selection) -> Markup {
    let catalogue = Catalogue::embedded();
    html! {
        form.selector method="get" action="/explore" aria-label="Choose what to explore" {
            label { "Indicator" select name="indicator" {
                @for i in &catalogue.indicators { option value=(i.id) selected[i.id == s.indicator.id] { (i.name) " (" (i.population_label) ")" } }
            } }
            label { "Target group" select name="group" {
                option value="total" selected[s.subject.group == "total"] { "All persons" }
                @for g in &catalogue.groupings {
                    optgroup label=(g.name) {
                        @for x in &g.groups { option value=(x.code) selected[x.code == s.subject.group] { (x.label) } }
                    }
                }
            } }
            label { "Measure" select name="measure" {
                @for (m, l) in [(Measure::Level, "level"), (Measure::Difference, "gap to the reference group"), (Measure::Ratio, "ratio to the reference group (medians)"), (Measure::CountryDifference, "difference from the country (shares)")] {
                    option value=(m.code()) selected[m == s.subject.measure] { (l) }
                }
            } }
            label { "Level" select name="level" {
                @for l in GeoLevel::ALL { option value=(l.code()) selected[l == s.level] { (l.label()) } }
            } }
            label { "Sex" select name="sex" {
                @for (x, l) in [(Sex::Total, "both sexes"), (Sex::Male, "men"), (Sex::Female, "women")] {
                    option value=(x.code()) selected[x == s.sex] { (l) }
                }
            } }
            label { "Period" input type="text" name="period" value=(period_code(s.period)) size="9"; }
            label { "Figures" select name="method" {
                @for m in MethodChoice::ALL { option value=(m.code()) selected[m == s.method] { (m.label()) } }
            } }
            button type="submit" { "Show" }
        }
    }
}

pub(crate) async fn explore_csv(
    served: ServedRelease,
    PageQuery(p): PageQuery<ExploreParams>,
) -> Result<Response, PortalError> {
    let s = Selection::parse(&p, &served)?;
    let rows = explore(&served, &s);
    csv_download(&served, &shown_figures(&rows), "explore.csv")
}
