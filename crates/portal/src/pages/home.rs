//! The home page and the search over cities, regions, indicators and glossary terms.

use incity_indicators::{catalogue, geo_name, GeoLevel};
use maud::{html, Markup};
use serde::{Deserialize, Serialize};

use crate::error::{PageQuery, PortalError};
use crate::layout::page;
use crate::pages::profile::level_word;
use crate::pages::ServedRelease;
use crate::served::Served;
use crate::views::url_encode;

pub(crate) async fn home(served: ServedRelease) -> Result<Markup, PortalError> {
    let cities = served.geos_at(GeoLevel::City);
    Ok(page(
        "Home",
        served.release.as_ref(),
        html! {
            h1 { "Comparable indicators of immigrant integration for European cities and regions" }
            p {
                "incity computes the EU core indicators of immigrant integration (the Zaragoza set) from survey microdata "
                "for countries, regions, degrees of urbanisation and cities, by country of birth and citizenship, with their "
                "standard errors, 95 % confidence intervals and publication flags. Where a city's sample is too small, a labelled "
                "model-based figure stands beside the direct one."
            }
            form role="search" method="get" action="/search" {
                label for="home-search" { "Find a city, region, indicator or term " }
                input #home-search type="search" name="q" placeholder="e.g. Graz, Noord-Holland, employment";
                " " button type="submit" { "Search" }
            }
            h2 { "Start here" }
            ul {
                li { a href="/explore" { "Indicator explorer" } ": one indicator for one target group across all regions or cities, as a table, an interval chart and a map." }
                li { a href="/compare" { "Compare" } " 2 to 6 cities or regions side by side, across countries, with comparability notes." }
                li { a href="/plan" { "Precision planner" } ": what sample would publish a city's migrant-group figures." }
                li { a href="/glossary" { "Glossary" } " and " a href="/methods" { "methods in plain words" } "." }
            }
            @if let Some(r) = &served.release {
                h2 { "The served release" }
                p {
                    "Release " (r.id) ": " (served.figures.len()) " figures of " (catalogue().len()) " indicators, "
                    (served.periods.iter().map(|p| crate::views::period_code(*p)).collect::<Vec<_>>().join(", ")) ". "
                    a href="/release" { "Provenance and publication rules" }
                }
            } @else {
                p { "No release has been published yet." }
            }
            @if !cities.is_empty() {
                h2 { "Cities" }
                p { @for (i, c) in cities.iter().enumerate() {
                    @if i > 0 { ", " }
                    a href={ "/profile/" (url_encode(c)) } { (geo_name(c).unwrap_or_else(|| c.to_string())) }
                } }
            }
        },
    ))
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct SearchParams {
    /// Words to find (case-insensitive) in names, codes, definitions and terms.
    pub(crate) q: Option<String>,
}

/// One search hit.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct Hit {
    /// `city`, `region`, `country`, `indicator`, `term`, `source` or `tool`.
    pub(crate) kind: &'static str,
    pub(crate) code: String,
    pub(crate) label: String,
    /// Where the portal shows it.
    pub(crate) url: String,
}

/// Folds case and the common Latin diacritics so that "Malmo" finds "Malmö".
fn fold(s: &str) -> String {
    s.chars()
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' => 'a',
            'ç' | 'č' | 'ć' => 'c',
            'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ě' => 'e',
            'ì' | 'í' | 'î' | 'ï' => 'i',
            'ñ' | 'ń' => 'n',
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ő' => 'o',
            'ù' | 'ú' | 'û' | 'ü' | 'ű' => 'u',
            'š' | 'ś' => 's',
            'ž' | 'ź' | 'ż' => 'z',
            c => c,
        })
        .collect()
}

/// Hits for every word of `q` (all words must match): areas of the release by name or code,
/// indicators by name, id, area or definition, glossary terms by term or definition.
pub(crate) fn search(served: &Served, q: &str) -> Vec<Hit> {
    let words: Vec<String> = fold(q).split_whitespace().map(String::from).collect();
    if words.is_empty() {
        return Vec::new();
    }
    let matches = |text: &str| {
        let t = fold(text);
        words.iter().all(|w| t.contains(w.as_str()))
    };
    let mut hits = Vec::new();
    for level in [
        GeoLevel::City,
        GeoLevel::Country,
        GeoLevel::Nuts1,
        GeoLevel::Nuts2,
        GeoLevel::Nuts3,
    ] {
        for geo in served.geos_at(level) {
            let name = geo_name(geo).unwrap_or_default();
            if matches(&format!("{name} {geo}")) {
                hits.push(Hit {
                    kind: match level {
                        GeoLevel::City => "city",
                        GeoLevel::Country => "country",
                        _ => "region",
                    },
                    code: geo.to_string(),
                    label: format!("{name} ({}, {geo})", level_word(level)),
                    url: format!("/profile/{}", url_encode(geo)),
                });
            }
        }
    }
    for ind in catalogue() {
        if matches(&format!(
            "{} {} {} {} {}",
            ind.name, ind.id, ind.area, ind.population_label, ind.definition
        )) {
            hits.push(Hit {
                kind: "indicator",
                code: ind.id.clone(),
                label: format!("{} ({})", ind.name, ind.population_label),
                url: format!("/explore?indicator={}", ind.id),
            });
        }
    }
    let toolbox = incity_indicators::toolbox::Toolbox::embedded();
    for term in &toolbox.glossary {
        if matches(&format!("{} {}", term.term, term.definition)) {
            hits.push(Hit {
                kind: "term",
                code: term.id.clone(),
                label: term.term.clone(),
                url: format!("/glossary#{}", term.id),
            });
        }
    }
    for s in &toolbox.sources {
        if matches(&format!(
            "{} {} {} {}",
            s.id, s.name, s.publisher, s.city_use
        )) {
            hits.push(Hit {
                kind: "source",
                code: s.id.clone(),
                label: s.name.clone(),
                url: format!("/sources#{}", s.id),
            });
        }
    }
    for t in &toolbox.tools {
        if matches(&format!(
            "{} {} {} {}",
            t.id, t.name, t.publisher, t.city_gets
        )) {
            hits.push(Hit {
                kind: "tool",
                code: t.id.clone(),
                label: t.name.clone(),
                url: format!("/tools#{}", t.id),
            });
        }
    }
    hits
}

pub(crate) async fn search_page(
    served: ServedRelease,
    PageQuery(p): PageQuery<SearchParams>,
) -> Result<Markup, PortalError> {
    let q = p.q.unwrap_or_default();
    let hits = search(&served, &q);
    Ok(page(
        "Search",
        served.release.as_ref(),
        html! {
            h1 { "Search" }
            form role="search" method="get" action="/search" {
                label for="search-q" { "Search cities, regions, indicators and terms " }
                input #search-q type="search" name="q" value=(q);
                " " button type="submit" { "Search" }
            }
            @if !q.trim().is_empty() {
                p { (hits.len()) " results for “" (q) "”." }
                @for kind in ["city", "country", "region", "indicator", "term", "source", "tool"] {
                    @let of_kind: Vec<&Hit> = hits.iter().filter(|h| h.kind == kind).collect();
                    @if !of_kind.is_empty() {
                        h2 { (match kind { "city" => "Cities", "country" => "Countries", "region" => "Regions", "indicator" => "Indicators", "term" => "Glossary", "source" => "Sources and surveys", _ => "Tools" }) }
                        ul { @for h in of_kind { li { a href=(h.url) { (h.label) } } } }
                    }
                }
            }
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::fold;

    #[test]
    fn folding_finds_names_without_their_accents() {
        assert_eq!(fold("Malmö Île-de-France"), "malmo ile-de-france");
        assert!(fold("Région de Bruxelles-Capitale").contains("region de bruxelles"));
    }
}
