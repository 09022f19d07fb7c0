//! The reference pages: an indicator's definition (with its concepts, sources and module),
//! the methods in plain words and the served release's provenance and publication rules.

use axum::extract::Path;
use incity_indicators::toolbox::Toolbox;
use incity_indicators::{catalogue, Catalogue};
use maud::{html, Markup};

use crate::error::PortalError;
use crate::layout::page;
use crate::pages::ServedRelease;
use crate::views::{find_indicator, no_release};

pub(crate) async fn indicator_about(
    served: ServedRelease,
    Path(id): Path<String>,
) -> Result<Markup, PortalError> {
    let ind = find_indicator(&id)?;
    Ok(page(
        &ind.name,
        served.release.as_ref(),
        html! {
            h1 { (ind.name) }
            dl {
                dt { "Policy area" } dd { (ind.area) }
                dt { "Population" } dd { (ind.population_label) }
                dt { "Definition" } dd { (ind.definition) }
                dt { "Source" } dd { (ind.source.code().to_uppercase()) }
                dt { "Unit" } dd { (ind.unit) }
                @if !ind.variables.is_empty() {
                    dt { "Source variables" }
                    dd { @for (source, vars) in &ind.variables { (source.to_uppercase()) ": " code { (vars.join(", ")) } " " } }
                }
                @if !ind.comparability.is_empty() { dt { "Comparability" } dd { (ind.comparability) } }
                @if let Some(d) = &ind.eurostat { dt { "Eurostat dataset" } dd { code { (d) } } }
                @if !ind.published.is_empty() {
                    dt { "Officially published as" }
                    dd { @for p in &ind.published { (p.label) " (" code { (p.dataset) } ") " } }
                }
            }
            @let toolbox = Toolbox::embedded();
            @let terms = toolbox.terms_for(Catalogue::embedded(), &ind.id);
            @if !terms.is_empty() {
                h2 { "Concepts" }
                ul { @for t in &terms { li { a href={ "/glossary#" (t.id) } { (t.term) } } } }
            }
            @let sources = toolbox.sources_for(&ind.id);
            @if !sources.is_empty() {
                h2 { "Sources that feed it" }
                ul { @for s in &sources { li { a href={ "/sources#" (s.id) } { (s.name) } } } }
            }
            p {
                a href={ "/explore?indicator=" (ind.id) } { "Explore this indicator" } " · "
                a href={ "/indicators/" (ind.id) } { "All figures by level" } " · "
                a href={ "/modules/" (ind.id) } { "Module to run it on your own data" }
            }
        },
    ))
}

pub(crate) async fn methods(served: ServedRelease) -> Markup {
    page(
        "Methods",
        served.release.as_ref(),
        html! {
            h1 { "Methods in plain words" }
            h2 { "Estimates" }
            p { "Every figure is computed from the survey's microdata with the design weights (EU-LFS, EU-SILC), for one area, one target group and one sex. A rate is the weighted share of the population meeting the indicator's condition; an income figure is the weighted median." }
            h2 { "Standard errors and intervals" }
            p { "The standard error measures how much the figure would vary over repeated samples of the same design. It is computed by linearisation over the design's strata and primary sampling units (Taylor series; Woodruff's method for medians), which is what R's survey and laeken packages do. The 95 % interval uses the design's degrees of freedom; for rates it is computed on the logit scale so that it stays between 0 % and 100 %." }
            h2 { "Gaps" }
            p { "A gap is a target group's figure minus the reference group's (native-born, or nationals) in the same area, in percentage points (for incomes also as a ratio). Its standard error accounts for both groups being estimated from one sample." }
            h2 { "Flags and publication thresholds" }
            p { "Each figure is checked against the release's publication rules (Eurostat's EU-LFS and EU-SILC thresholds on the weighted population and respondents, and a maximum coefficient of variation). A figure of low reliability carries the flag u and is shown; a figure below the threshold is not published: only its flag appears, in every page, download and API answer." }
            h2 { "Pooled years" }
            p { "Where a single year's sample is too small, several years can be pooled: the figure then describes the whole period (for example 2022-2024) and is labelled pooled direct." }
            h2 { "Model-based figures" }
            p { "For cities and regions whose direct figure is flagged or not published, incity fits a small-area model (Fay-Herriot) over all areas of that level, using covariates from registers. The model-based figure borrows strength from the other areas: it is labelled model-based everywhere, its interval rests on the model's root mean squared error, and it stands beside the direct figure, never in its place." }
            h2 { "Comparing areas" }
            p { "Samples of different countries are independent; a city's sample is part of its country's. Two intervals that do not overlap mean the figures differ; overlapping intervals do not prove them equal. The comparison page notes where figures differ in method, kind of area or country." }
        },
    )
}

pub(crate) async fn release_page(served: ServedRelease) -> Result<Markup, PortalError> {
    let r = served.release.as_ref().ok_or_else(no_release)?;
    let p = &r.provenance;
    Ok(page(
        "Release",
        Some(r),
        html! {
            h1 { "Release " (r.id) }
            dl {
                dt { "Data" } dd { @if p.synthetic { "Synthetic demonstration data (seed " (p.generator_seed.map(|s| s.to_string()).unwrap_or_default()) ")" } @else { "Survey microdata" } }
                dt { "Inputs" } dd { ul { @for i in &p.inputs { li { code { (i) } } } } }
                dt { "Source" } dd { (p.source) }
                dt { "Catalogue version" } dd { (p.catalogue_version) " (" (catalogue().len()) " indicators)" }
                dt { "Method" } dd { (p.method) }
                dt { "Publication rules" } dd { (p.rules) }
                dt { "Figures" } dd { (served.figures.len()) }
                dt { "incity version" } dd { (p.software_version) }
                dt { "Computed" } dd { (crate::format::utc(p.started_at)) " to " (crate::format::utc(p.finished_at)) }
            }
            p { a href="/api/v1/release" { "As JSON" } }
        },
    ))
}
