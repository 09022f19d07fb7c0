//! The toolbox pages: sources and surveys (with the precision the served release shows for a
//! city), tools, glossary, recommendations (with their evidence from the release) and the
//! ready-to-use indicator modules (each downloadable as a zip archive). The API's twins in
//! `api/toolbox.rs` read the same filters and evidence from here.

use axum::extract::Path;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use incity_indicators::modules::{module, module_ids};
use incity_indicators::toolbox::evidence::{
    city_cells, pooling_gain, source_precision, SourcePrecision, TARGET_CV,
};
use incity_indicators::toolbox::{
    parse_code, Access, DataSource, Evidence, GeoDetail, Reference, SourceFilter, SourceType,
    ToolFilter, ToolType, Toolbox, Topic,
};
use incity_indicators::Catalogue;
use maud::{html, Markup};
use serde::Deserialize;

use crate::error::{PageQuery, PortalError};
use crate::layout::page;
use crate::pages::ServedRelease;
use crate::served::Served;

/// Filters of the sources and tools lists (every one optional).
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ToolboxQuery {
    /// A topic code (`employment`, `education`, `income`, `poverty`, `housing`, `health`,
    /// `citizenship`, `participation`, `discrimination`, `demography`, `geography`, `policy`,
    /// `methods`).
    pub(crate) topic: Option<String>,
    /// A geographic level (`country`, `nuts1`, `nuts2`, `degurba`, `nuts3`, `fua`, `city`,
    /// `lau`, `grid`): sources reaching at least it, tools covering it.
    pub(crate) level: Option<String>,
    /// Sources only: `public-tables`, `public-use-files`, `scientific-use-files`,
    /// `secure-access`, `on-request`, `open-download`.
    pub(crate) access: Option<String>,
    /// The type of source or tool.
    #[serde(rename = "type")]
    pub(crate) kind: Option<String>,
    /// Words that must all occur in the entry.
    pub(crate) q: Option<String>,
}

fn text_query(q: &ToolboxQuery) -> Option<String> {
    q.q.as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(String::from)
}

impl ToolboxQuery {
    pub(crate) fn source_filter(&self) -> Result<SourceFilter, String> {
        Ok(SourceFilter {
            topic: parse_code("topic", self.topic.as_deref(), Topic::ALL, Topic::code)?,
            level: parse_code(
                "level",
                self.level.as_deref(),
                GeoDetail::ALL,
                GeoDetail::code,
            )?,
            access: parse_code("access", self.access.as_deref(), Access::ALL, Access::code)?,
            kind: parse_code(
                "type",
                self.kind.as_deref(),
                SourceType::ALL,
                SourceType::code,
            )?,
            text: text_query(self),
        })
    }

    pub(crate) fn tool_filter(&self) -> Result<ToolFilter, String> {
        if self.access.as_deref().is_some_and(|a| !a.trim().is_empty()) {
            return Err("access: tools have no access filter (it applies to sources)".into());
        }
        Ok(ToolFilter {
            topic: parse_code("topic", self.topic.as_deref(), Topic::ALL, Topic::code)?,
            level: parse_code(
                "level",
                self.level.as_deref(),
                GeoDetail::ALL,
                GeoDetail::code,
            )?,
            kind: parse_code("type", self.kind.as_deref(), ToolType::ALL, ToolType::code)?,
            text: text_query(self),
        })
    }
}

/// A source's precision for a typical city and migrant group in the served release, when the
/// source is one the release computes from.
pub(crate) fn precision_of(served: &Served, s: &DataSource) -> Option<SourcePrecision> {
    let (indicator, rules) = (s.precision_indicator.as_deref()?, served.rules.as_ref()?);
    source_precision(Catalogue::embedded(), &served.figures, rules, indicator)
}

fn percent(part: usize, whole: usize) -> String {
    if whole == 0 {
        "–".into()
    } else {
        format!("{:.0} %", 100.0 * part as f64 / whole as f64)
    }
}

/// The sentence a precision is shown as.
pub(crate) fn precision_sentence(p: &SourcePrecision) -> String {
    let name = Catalogue::embedded()
        .indicator(&p.indicator)
        .map_or(p.indicator.as_str(), |i| i.name.as_str());
    let group = Catalogue::embedded()
        .group_label(&p.group)
        .unwrap_or(&p.group);
    let count = |n: Option<u64>| n.map_or("–".to_string(), |n| n.to_string());
    format!(
        "{name}, {group}, cities, {year}: {reliable} of {cities} cities published without a flag ({share}); median respondents {now}; median CV {cv}; respondents needed for a {target:.1} % CV: median {for_cv}; to be published without a flag: median {publish}.",
        year = p.year,
        reliable = p.reliable,
        cities = p.cities,
        share = percent(p.reliable, p.cities),
        now = count(p.median_respondents),
        cv = p.median_cv.map_or("–".to_string(), |c| format!("{:.1} %", 100.0 * c)),
        target = 100.0 * TARGET_CV,
        for_cv = count(p.median_for_target_cv),
        publish = count(p.median_to_publish),
    )
}

/// A recommendation's evidence from the served release, as a sentence (`None` when the
/// release cannot show it).
pub(crate) fn evidence_sentence(served: &Served, e: Evidence) -> Option<String> {
    let catalogue = Catalogue::embedded();
    match e {
        Evidence::CityCellsPublished => {
            let c = city_cells(catalogue, &served.figures);
            (c.cells > 0).then(|| {
                format!(
                    "In the served release, {} of {} city figures for migrant groups ({}) are published without a flag by the direct estimate; with the labelled model-based figures, {} ({}).",
                    c.reliable_direct,
                    c.cells,
                    percent(c.reliable_direct, c.cells),
                    c.reliable_with_models,
                    percent(c.reliable_with_models, c.cells)
                )
            })
        }
        Evidence::RespondentsNeeded => {
            let toolbox = Toolbox::embedded();
            let sentences: Vec<String> = toolbox
                .sources
                .iter()
                .filter_map(|s| precision_of(served, s))
                .map(|p| precision_sentence(&p))
                .collect();
            (!sentences.is_empty()).then(|| format!("The precision planner over the served release: {}", sentences.join(" ")))
        }
        Evidence::PoolingGain => pooling_gain(catalogue, &served.figures).map(|p| {
            format!(
                "In the served release, pooling {} years gives standard errors of {:.2} times a single year's (median of {} city and NUTS 2 migrant-group figures), and {} such figures published without a flag instead of {}.",
                p.years, p.median_se_ratio, p.pairs, p.reliable_pooled, p.reliable_single
            )
        }),
    }
}

fn references(refs: &[Reference]) -> Markup {
    html! {
        p.references {
            "Source: "
            @for (i, r) in refs.iter().enumerate() {
                @if i > 0 { "; " }
                a href=(r.url) { (r.title) }
                @match &r.checked {
                    Some(d) => { " (checked " (d) ")" }
                    None => { " (not yet verified)" }
                }
            }
        }
    }
}

fn select<T: Copy>(
    id: &str,
    label: &str,
    chosen: Option<&str>,
    all: &[T],
    code: fn(T) -> &'static str,
    text: fn(T) -> &'static str,
) -> Markup {
    html! {
        label for=(id) { (label) " " }
        select #(id) name=(id) {
            option value="" { "any" }
            @for x in all {
                option value=(code(*x)) selected[chosen == Some(code(*x))] { (text(*x)) }
            }
        }
        " "
    }
}

fn toolbox_nav() -> Markup {
    html! {
        nav.subnav aria-label="Toolbox" {
            a href="/toolbox" { "Toolbox" } " · "
            a href="/sources" { "Sources and surveys" } " · "
            a href="/tools" { "Tools" } " · "
            a href="/glossary" { "Glossary" } " · "
            a href="/recommendations" { "Recommendations" } " · "
            a href="/modules" { "Modules" }
        }
    }
}

pub(crate) async fn toolbox_home(served: ServedRelease) -> Markup {
    let t = Toolbox::embedded();
    let c = Catalogue::embedded();
    page(
        "Toolbox",
        served.release.as_ref(),
        html! {
            h1 { "Toolbox" }
            (toolbox_nav())
            p { "What a city needs besides the figures: which sources can give which indicator at city level and how precisely, the tools and instruments that exist, the key definitions, recommendations, and modules to compute each indicator on your own data." }
            ul {
                li { a href="/sources" { (t.sources.len()) " sources and surveys" } ", assessed for city use, with the precision the served release shows for a city." }
                li { a href="/tools" { (t.tools.len()) " tools, databases and instruments" } "." }
                li { a href="/glossary" { (t.glossary.len()) " glossary terms" } ", each with the indicators that use it." }
                li { a href="/recommendations" { (t.recommendations.len()) " recommendations" } " for cities, statistics offices and the EU level." }
                li { a href="/modules" { (module_ids(c).len()) " ready-to-use indicator modules" } " to download." }
            }
            p { "Every fact carries its source; facts not yet compared with their source are marked " em { "not yet verified" } " (" (t.unverified().len()) " references)." }
        },
    )
}

pub(crate) async fn sources_page(
    served: ServedRelease,
    PageQuery(q): PageQuery<ToolboxQuery>,
) -> Result<Markup, PortalError> {
    let filter = q.source_filter().map_err(PortalError::BadRequest)?;
    let t = Toolbox::embedded();
    let c = Catalogue::embedded();
    let shown: Vec<&DataSource> = t.sources.iter().filter(|s| s.matches(&filter)).collect();
    Ok(page(
        "Sources and surveys",
        served.release.as_ref(),
        html! {
            h1 { "Sources and surveys" }
            (toolbox_nav())
            form method="get" action="/sources" {
                (select("topic", "Topic", q.topic.as_deref(), Topic::ALL, Topic::code, Topic::label))
                (select("level", "Reaches at least", q.level.as_deref(), GeoDetail::ALL, GeoDetail::code, GeoDetail::label))
                (select("access", "Access", q.access.as_deref(), Access::ALL, Access::code, Access::label))
                (select("type", "Type", q.kind.as_deref(), SourceType::ALL, SourceType::code, SourceType::label))
                label for="q" { "Words " } input #q type="search" name="q" value=(q.q.clone().unwrap_or_default());
                " " button type="submit" { "Filter" }
            }
            p { (shown.len()) " of " (t.sources.len()) " sources. " a href="/api/v1/toolbox/sources" { "As JSON" } }
            @for s in &shown {
                article.entry #(s.id) {
                    h2 { (s.name) }
                    dl {
                        dt { "Type" } dd { (s.kind.label()) }
                        dt { "Publisher" } dd { (s.publisher) }
                        dt { "Coverage" } dd { (s.coverage) }
                        dt { "Years" } dd { (s.years) }
                        dt { "Migrant variables" } dd { (s.migrant_variables.iter().map(|v| v.label()).collect::<Vec<_>>().join(", ")) }
                        dt { "Finest level" } dd { (s.finest_level.label()) }
                        dt { "Sample" } dd { (s.sample) }
                        dt { "Frequency" } dd { (s.frequency) }
                        dt { "Access" } dd { (s.access.iter().map(|v| v.label()).collect::<Vec<_>>().join(", ")) }
                        dt { "For a city" } dd { (s.city_use) }
                        @if !s.limitations.is_empty() { dt { "Limitations" } dd { (s.limitations) } }
                        @if !s.indicators.is_empty() {
                            dt { "Feeds" }
                            dd {
                                @for (i, id) in s.indicators.iter().enumerate() {
                                    @if i > 0 { ", " }
                                    @match c.indicator(id) {
                                        Some(ind) => { a href={ "/indicators/" (id) "/about" } { (ind.name) } }
                                        None => { (id) }
                                    }
                                }
                            }
                        }
                        @if s.release_source.is_some() {
                            dt { "Precision for a city" }
                            dd {
                                @match precision_of(&served, s) {
                                    Some(p) => { (precision_sentence(&p)) " " a href={ "/plan?indicator=" (p.indicator) "&level=city&group=" (p.group) } { "Plan it" } }
                                    None => { "The served release has no city figures from this source." }
                                }
                            }
                        }
                    }
                    (references(&s.references))
                }
            }
        },
    ))
}

pub(crate) async fn tools_page(
    served: ServedRelease,
    PageQuery(q): PageQuery<ToolboxQuery>,
) -> Result<Markup, PortalError> {
    let filter = q.tool_filter().map_err(PortalError::BadRequest)?;
    let t = Toolbox::embedded();
    let shown: Vec<_> = t.tools.iter().filter(|x| x.matches(&filter)).collect();
    Ok(page(
        "Tools, databases and instruments",
        served.release.as_ref(),
        html! {
            h1 { "Tools, databases and instruments" }
            (toolbox_nav())
            form method="get" action="/tools" {
                (select("topic", "Topic", q.topic.as_deref(), Topic::ALL, Topic::code, Topic::label))
                (select("level", "Covers", q.level.as_deref(), GeoDetail::ALL, GeoDetail::code, GeoDetail::label))
                (select("type", "Type", q.kind.as_deref(), ToolType::ALL, ToolType::code, ToolType::label))
                label for="q" { "Words " } input #q type="search" name="q" value=(q.q.clone().unwrap_or_default());
                " " button type="submit" { "Filter" }
            }
            p { (shown.len()) " of " (t.tools.len()) " tools. " a href="/api/v1/toolbox/tools" { "As JSON" } }
            @for x in &shown {
                article.entry #(x.id) {
                    h2 { a href=(x.url) { (x.name) } }
                    dl {
                        dt { "Type" } dd { (x.kind.label()) }
                        dt { "Publisher" } dd { (x.publisher) }
                        dt { "Topics" } dd { (x.topics.iter().map(|v| v.label()).collect::<Vec<_>>().join(", ")) }
                        dt { "Levels" } dd { (x.levels.iter().map(|v| v.label()).collect::<Vec<_>>().join(", ")) }
                        dt { "What a city gets" } dd { (x.city_gets) }
                        dt { "What it lacks" } dd { (x.lacks) }
                    }
                    (references(&x.references))
                }
            }
        },
    ))
}

pub(crate) async fn glossary(served: ServedRelease) -> Markup {
    let t = Toolbox::embedded();
    let c = Catalogue::embedded();
    let name = |id: &str| -> String {
        c.indicator(id)
            .map(|i| i.name.clone())
            .or_else(|| {
                c.administrative
                    .iter()
                    .find(|a| a.id == id)
                    .map(|a| a.name.clone())
            })
            .or_else(|| {
                c.external
                    .iter()
                    .find(|x| x.id == id)
                    .map(|x| x.name.clone())
            })
            .unwrap_or_else(|| id.to_string())
    };
    page(
        "Glossary",
        served.release.as_ref(),
        html! {
            h1 { "Glossary" }
            (toolbox_nav())
            h2 { "Target groups" }
            dl {
                @for g in &c.groupings {
                    dt { (g.name) }
                    dd {
                        "Groups: " (g.groups.iter().map(|x| x.label.as_str()).collect::<Vec<_>>().join(", ")) ". "
                        "Gaps are measured against the reference group: "
                        (c.group_label(&g.reference).unwrap_or(&g.reference)) "."
                    }
                }
            }
            h2 { "Terms" }
            dl {
                @for term in &t.glossary {
                    dt #(term.id) { (term.term) }
                    dd {
                        (term.definition)
                        @if !term.indicators.is_empty() {
                            br; "Used by: "
                            @for (i, id) in term.indicators.iter().enumerate() {
                                @if i > 0 { ", " }
                                @match id.as_str() {
                                    incity_indicators::toolbox::ALL_SURVEY => { a href="/indicators" { "every survey indicator" } }
                                    incity_indicators::toolbox::ALL_ADMINISTRATIVE => { a href="#administrative" { "every indicator from administrative tables" } }
                                    _ if c.indicator(id).is_some() => { a href={ "/indicators/" (id) "/about" } { (name(id)) } }
                                    _ => { (name(id)) }
                                }
                            }
                            "."
                        }
                        (references(&term.references))
                    }
                }
            }
            h2 #administrative { "Indicators from administrative tables" }
            p { "Computed from two tables of counts of every case (a numerator and a denominator), so without sampling error: no standard error or interval is claimed, and the tables' own flags are shown. Load the tables with incity import-table; city profiles show the figures." }
            dl {
                @for a in &c.administrative {
                    dt { (a.name) " (" (a.area) ")" }
                    dd { (a.definition) " Numerator " code { (a.numerator.dataset) } ", denominator " code { (a.denominator.dataset) } " (Eurostat " code { (a.eurostat) } "). " (a.comparability) }
                }
            }
            h2 #external { "Indicators from other sources" }
            p { "Indicators of the EU's common set that no survey or table incity reads can give, and where a city finds them." }
            dl {
                @for x in &c.external {
                    dt { (x.name) " (" (x.area) ")" }
                    dd { (x.definition) " " strong { "Source: " } (x.source) " " strong { "Why incity does not compute it: " } (x.why_not_computed) }
                }
            }
        },
    )
}

pub(crate) async fn recommendations_page(served: ServedRelease) -> Markup {
    let t = Toolbox::embedded();
    page(
        "Recommendations",
        served.release.as_ref(),
        html! {
            h1 { "Recommendations" }
            (toolbox_nav())
            @for audience in incity_indicators::toolbox::Audience::ALL {
                @let of: Vec<_> = t.recommendations.iter().filter(|r| r.audience == *audience).collect();
                @if !of.is_empty() {
                    h2 { "For " (audience.label().to_lowercase()) }
                    @for r in of {
                        article.entry #(r.id) {
                            h3 { (r.title) }
                            p { (r.text) }
                            @if let Some(e) = r.evidence {
                                p.evidence {
                                    strong { (e.label()) ": " }
                                    @match evidence_sentence(&served, e) {
                                        Some(s) => { (s) }
                                        None => { "the served release has no figures that show it." }
                                    }
                                }
                            }
                            (references(&r.references))
                        }
                    }
                }
            }
        },
    )
}

pub(crate) async fn modules_page(served: ServedRelease) -> Markup {
    let c = Catalogue::embedded();
    page(
        "Indicator modules",
        served.release.as_ref(),
        html! {
            h1 { "Ready-to-use indicator modules" }
            (toolbox_nav())
            p { "Each module is a folder to run with the incity command-line tool: the definition, the variables needed, a mapping template, a small synthetic example file, the exact commands and the output they give on the example. Replace the example with your own file and adapt the mapping." }
            table {
                thead { tr { th { "Indicator" } th { "Source" } th { "Download" } } }
                tbody {
                    @for id in module_ids(c) {
                        @let source = c.indicator(id).map_or("administrative tables".to_string(), |i| i.source.code().to_uppercase());
                        @let name = c.indicator(id).map(|i| i.name.clone()).or_else(|| c.administrative.iter().find(|a| a.id == id).map(|a| a.name.clone())).unwrap_or_default();
                        tr {
                            td { a href={ "/modules/" (id) } { (name) } }
                            td { (source) }
                            td { a href={ "/modules/" (id) "/download" } download={ (id) ".zip" } { (id) ".zip" } }
                        }
                    }
                }
            }
        },
    )
}

pub(crate) async fn module_page(
    served: ServedRelease,
    Path(id): Path<String>,
) -> Result<Markup, PortalError> {
    let m = module(Catalogue::embedded(), Toolbox::embedded(), &id)
        .ok_or_else(|| PortalError::NotFound(format!("no module `{id}`: see /modules")))?;
    let file = |name: &str| {
        m.files
            .iter()
            .find(|f| f.path == name)
            .map(|f| String::from_utf8_lossy(&f.contents).into_owned())
            .unwrap_or_default()
    };
    Ok(page(
        &m.name,
        served.release.as_ref(),
        html! {
            h1 { "Module: " (m.name) }
            (toolbox_nav())
            p { a href={ "/modules/" (m.id) "/download" } download={ (m.id) ".zip" } { "Download " (m.id) ".zip" } " (" (m.files.len()) " files)" }
            h2 { "Commands" }
            pre { (file("commands.txt")) }
            h2 { "Files" }
            ul { @for f in &m.files { li { code { (f.path) } " (" (f.contents.len()) " bytes)" } } }
            h2 { "README" }
            pre.readme { (file("README.md")) }
        },
    ))
}

/// The module as a zip archive (`ID/...`).
pub(crate) async fn module_download(Path(id): Path<String>) -> Result<Response, PortalError> {
    use std::io::Write;
    let m = module(Catalogue::embedded(), Toolbox::embedded(), &id)
        .ok_or_else(|| PortalError::NotFound(format!("no module `{id}`: see /modules")))?;
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    let internal = |e: &dyn std::fmt::Display| PortalError::Internal(format!("zip: {e}"));
    for f in &m.files {
        zip.start_file(format!("{}/{}", m.id, f.path), options)
            .map_err(|e| internal(&e))?;
        zip.write_all(&f.contents).map_err(|e| internal(&e))?;
    }
    let bytes = zip.finish().map_err(|e| internal(&e))?.into_inner();
    Ok((
        [
            (header::CONTENT_TYPE, "application/zip".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{}.zip\"", m.id),
            ),
        ],
        bytes,
    )
        .into_response())
}
