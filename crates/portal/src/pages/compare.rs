//! Compare 2-6 cities or regions side by side, across countries, with comparability notes.

use axum::extract::RawQuery;
use axum::response::Response;
use incity_indicators::{catalogue, geo_name, subject_label, Figure, GeoLevel, Sex};
use incity_reference::geography::Geography;
use maud::{html, Markup};
use serde::Deserialize;

use crate::error::PortalError;
use crate::format::figure_cells_compact;
use crate::layout::page;
use crate::pages::{csv_download, ServedRelease};
use crate::served::Served;
use crate::views::{
    cells_across, comparability_notes, comparison_notes, parse_sex, period_code, url_encode,
    CellRow, MethodChoice,
};

/// The comparison's parameters, for the OpenAPI document only: the query is read raw by
/// [`Comparison::parse`], because `geo` may repeat.
#[allow(dead_code)]
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct CompareParams {
    /// 2 to 6 area codes, comma-separated or as repeated `geo` parameters.
    pub(crate) geo: Option<String>,
    /// One indicator id (default: all).
    pub(crate) indicator: Option<String>,
    /// `T` (default), `M` or `F`.
    pub(crate) sex: Option<String>,
    /// `best` (default), `direct` or `model`.
    pub(crate) method: Option<String>,
}

pub(crate) const MAX_AREAS: usize = 6;

/// A checked comparison.
pub(crate) struct Comparison<'a> {
    pub(crate) geos: Vec<String>,
    pub(crate) indicator: Option<&'static str>,
    pub(crate) sex: Sex,
    pub(crate) method: MethodChoice,
    pub(crate) rows: Vec<CellRow<'a>>,
}

impl<'a> Comparison<'a> {
    /// Reads the raw query (so that `geo` may repeat). No area: an empty comparison (the page
    /// shows the chooser).
    pub(crate) fn parse(
        served: &'a Served,
        raw: Option<&str>,
    ) -> Result<Comparison<'a>, PortalError> {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw.unwrap_or(""))
            .map_err(|e| PortalError::BadRequest(format!("bad query parameters: {e}")))?;
        let mut geos: Vec<String> = Vec::new();
        let (mut indicator, mut sex, mut method) = (None, None, None);
        for (k, v) in &pairs {
            match k.as_str() {
                "geo" => {
                    for g in v.split(',').map(str::trim).filter(|g| !g.is_empty()) {
                        if !geos.iter().any(|x| x == g) {
                            geos.push(g.to_string());
                        }
                    }
                }
                "indicator" if !v.is_empty() => indicator = Some(v.as_str()),
                "sex" => sex = Some(v.as_str()),
                "method" => method = Some(v.as_str()),
                _ => {}
            }
        }
        if geos.len() > MAX_AREAS {
            return Err(PortalError::BadRequest(format!(
                "{} areas: compare at most {MAX_AREAS}",
                geos.len()
            )));
        }
        for g in &geos {
            if !served.has_geo(g) {
                return Err(PortalError::BadRequest(format!(
                    "unknown area `{g}`: the served release has no figure for it"
                )));
            }
        }
        let indicator = match indicator {
            None => None,
            Some(id) => Some(
                catalogue()
                    .iter()
                    .find(|i| i.id == id)
                    .map(|i| i.id.as_str())
                    .ok_or_else(|| PortalError::BadRequest(format!("unknown indicator `{id}`")))?,
            ),
        };
        let sex = parse_sex(sex)?;
        let method = MethodChoice::parse(method)?;
        let refs: Vec<&str> = geos.iter().map(String::as_str).collect();
        let rows = if geos.len() >= 2 {
            cells_across(served, &refs, &refs, sex, method, indicator)
        } else {
            Vec::new()
        };
        Ok(Comparison {
            geos,
            indicator,
            sex,
            method,
            rows,
        })
    }

    pub(crate) fn figures(&self) -> Vec<Figure> {
        crate::views::figures_in(&self.rows)
    }

    fn query(&self) -> String {
        format!(
            "geo={}&sex={}&method={}{}",
            url_encode(&self.geos.join(",")),
            self.sex.code(),
            self.method.code(),
            self.indicator
                .map(|i| format!("&indicator={i}"))
                .unwrap_or_default()
        )
    }
}

pub(crate) async fn compare_page(
    served: ServedRelease,
    RawQuery(raw): RawQuery,
) -> Result<Markup, PortalError> {
    let c = Comparison::parse(&served, raw.as_deref())?;
    let names: Vec<String> = c
        .geos
        .iter()
        .map(|g| geo_name(g).unwrap_or_else(|| g.clone()))
        .collect();
    let refs: Vec<&str> = c.geos.iter().map(String::as_str).collect();
    let title = if names.len() >= 2 {
        format!("Compare {}", names.join(", "))
    } else {
        "Compare cities and regions".to_string()
    };
    Ok(page(
        &title,
        served.release.as_ref(),
        html! {
            h1 { (title) }
            (chooser(&served, &c))
            @if c.geos.len() < 2 {
                p { "Choose 2 to " (super::compare::MAX_AREAS) " cities or regions above (or type their codes, separated by commas)." }
            } @else {
                p {
                    "Each row is one indicator for one target group; each column one area, with its 95 % interval, flag and method. "
                    "Figures: " (c.method.label()) ". Samples of different countries are independent: where two intervals do not overlap, the figures differ; "
                    "where they overlap, the difference may still be real (test the gap with its own standard error). "
                    "Where a row's figures differ in method, kind of area or country, its notes say how."
                }
                p.downloads {
                    "Download this data: "
                    a href={ "/compare/figures.csv?" (c.query()) } { "CSV" }
                    a href={ "/api/v1/compare?" (c.query()) } { "JSON" }
                }
                @for ind in catalogue() {
                    @let rows: Vec<&CellRow> = c.rows.iter().filter(|r| r.indicator.id == ind.id).collect();
                    @if !rows.is_empty() {
                        @let euro = ind.unit == "euro";
                        section {
                            h2 { (ind.name) " " small { "(" (ind.population_label) ")" } }
                            @let notes = comparison_notes(ind, &refs, &served);
                            @if !notes.is_empty() {
                                ul.notes { @for n in &notes { li { "Comparability: " (n) } } }
                            }
                            div.scroll tabindex="0" role="region" aria-label={ (ind.name) ", table" } {
                            table {
                                caption { (ind.name) ": " (names.join(", ")) }
                                thead {
                                    tr {
                                        th scope="col" rowspan="2" { "Target group" }
                                        th scope="col" rowspan="2" { "Period" }
                                        @for (g, n) in c.geos.iter().zip(&names) { th scope="colgroup" colspan="2" { a href={ "/profile/" (url_encode(g)) } { (n) } } }
                                    }
                                    tr { @for _ in &c.geos { th scope="col" { "Estimate and 95 % interval" } th scope="col" { "Flag, method" } } }
                                }
                                tbody {
                                    @for r in &rows {
                                        @let notes = comparability_notes(r, &refs);
                                        tr class=(if r.subject.measure.is_gap() { "gap" } else { "" }) {
                                            th scope="row" { (subject_label(&r.subject.group, r.subject.measure, r.subject.reference_group.as_deref())) }
                                            td { (period_code(r.period)) }
                                            @for f in &r.figures { (figure_cells_compact(*f, euro)) }
                                        }
                                        @if !notes.is_empty() {
                                            tr.notes { td colspan=(2 + 2 * c.geos.len()) { ul.notes { @for n in &notes { li { "Comparability: " (n) } } } } }
                                        }
                                    }
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

/// The form choosing the areas: the cities of the release as checkboxes by country, and a
/// field for any other codes.
fn chooser(served: &Served, c: &Comparison) -> Markup {
    let geography = Geography::embedded();
    let cities = served.geos_at(GeoLevel::City);
    let mut countries: Vec<&str> = cities.iter().map(|g| &g[..2]).collect();
    countries.dedup();
    let others: Vec<&str> = c
        .geos
        .iter()
        .map(String::as_str)
        .filter(|g| !cities.contains(g))
        .collect();
    html! {
        form.selector method="get" action="/compare" aria-label="Choose areas to compare" {
            fieldset {
                legend { "Cities (choose 2 to " (MAX_AREAS) ")" }
                @for country in &countries {
                    div {
                        strong { (geo_name(country).unwrap_or_else(|| country.to_string())) ": " }
                        @for city in cities.iter().filter(|g| g.starts_with(country)) {
                            @let name = geography.city(city).map(|x| x.name.clone()).unwrap_or_else(|| city.to_string());
                            label style="display:inline;margin-right:.6rem" {
                                input type="checkbox" name="geo" value=(city) checked[c.geos.iter().any(|g| g == city)];
                                " " (name)
                            }
                        }
                    }
                }
            }
            label { "Other areas (codes, comma-separated, e.g. AT22,BE10)" input type="text" name="geo" value=(others.join(",")) size="24"; }
            label { "Indicator" select name="indicator" {
                option value="" selected[c.indicator.is_none()] { "all indicators" }
                @for i in catalogue() { option value=(i.id) selected[c.indicator == Some(i.id.as_str())] { (i.name) } }
            } }
            label { "Sex" select name="sex" {
                @for (x, l) in [(Sex::Total, "both sexes"), (Sex::Male, "men"), (Sex::Female, "women")] {
                    option value=(x.code()) selected[x == c.sex] { (l) }
                }
            } }
            label { "Figures" select name="method" {
                @for m in MethodChoice::ALL { option value=(m.code()) selected[m == c.method] { (m.label()) } }
            } }
            button type="submit" { "Compare" }
        }
    }
}

pub(crate) async fn compare_csv(
    served: ServedRelease,
    RawQuery(raw): RawQuery,
) -> Result<Response, PortalError> {
    let c = Comparison::parse(&served, raw.as_deref())?;
    if c.geos.len() < 2 {
        return Err(PortalError::BadRequest(
            "choose 2 to 6 areas: geo=CODE,CODE".into(),
        ));
    }
    csv_download(&served, &c.figures(), "compare.csv")
}
