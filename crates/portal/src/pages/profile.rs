//! A city's or region's profile: every indicator for every target group beside the country,
//! the gaps to the reference group with their intervals, and the precision planner's verdict.

use axum::extract::Path;
use axum::response::Response;
use incity_estimation::Flag;
use incity_indicators::planner::{self, PlanRequest, DEFAULT_TARGET_CVS};
use incity_indicators::{
    geo_name, subject_label, Catalogue, ChangeFigure, Figure, GeoLevel, Measure, Sex,
};
use maud::{html, Markup};
use serde::Deserialize;

use crate::error::{PageQuery, PortalError};
use crate::format::figure_cells;
use crate::layout::page;
use crate::pages::{csv_download, ServedRelease};
use crate::served::FigureKey;
use crate::served::Served;
use crate::views::{
    cells_across, country_of, parse_sex, period_code, url_encode, CellRow, MethodChoice,
    PeerParams, PeerSearch,
};
use incity_benchmark::peers::ContextVariable;
use incity_benchmark::profile::VersusCountry;

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ProfileParams {
    /// `T` (default), `M` or `F`.
    pub(crate) sex: Option<String>,
    /// `best` (default), `direct` or `model`.
    pub(crate) method: Option<String>,
    /// Peer variables and weights (see `/api/v1/peers/{geo}`).
    pub(crate) variables: Option<String>,
}

/// A row of a profile with its verdict against the country and its change from the year
/// before.
pub(crate) type ProfileLine<'r, 'a> = (
    &'r CellRow<'a>,
    &'r (Option<&'a Figure>, VersusCountry),
    &'r Option<&'a ChangeFigure>,
);

/// A checked profile request: the area, its country and the rows.
pub(crate) struct Profile<'a> {
    pub(crate) geo: String,
    pub(crate) name: String,
    pub(crate) level: GeoLevel,
    /// The country's code when the area is not itself a country and the release has it.
    pub(crate) country: Option<String>,
    pub(crate) sex: Sex,
    pub(crate) method: MethodChoice,
    /// Per row: the area's figure and the country's.
    pub(crate) rows: Vec<CellRow<'a>>,
    /// Per row: the area's direct level minus its country's, estimated jointly (levels of
    /// areas below the country only), and what it says.
    pub(crate) versus_country: Vec<(Option<&'a Figure>, VersusCountry)>,
    /// Per row: for the direct level of a single year, the change from the latest earlier
    /// year the release has (shares only).
    pub(crate) changes: Vec<Option<&'a ChangeFigure>>,
}

impl<'a> Profile<'a> {
    pub(crate) fn of(
        served: &'a Served,
        geo: &str,
        p: &ProfileParams,
    ) -> Result<Profile<'a>, PortalError> {
        let level = served.level_of(geo).ok_or_else(|| {
            PortalError::NotFound(format!(
                "The served release has no figure for `{geo}`. Search for a city or region by name at /search."
            ))
        })?;
        let sex = parse_sex(p.sex.as_deref())?;
        let method = MethodChoice::parse(p.method.as_deref())?;
        let country = Some(country_of(geo).to_string()).filter(|c| c != geo && served.has_geo(c));
        let geos: Vec<&str> = std::iter::once(geo).chain(country.as_deref()).collect();
        let mut rows = cells_across(served, &[geo], &geos, sex, method, None);
        rows.sort_by_key(|r| std::cmp::Reverse((r.period.1, r.period.0)));
        let versus_country = rows
            .iter()
            .map(|r| {
                let difference = (r.subject.measure == Measure::Level && country.is_some())
                    .then(|| {
                        served.cell(&FigureKey {
                            indicator: r.indicator.id.clone(),
                            first_year: r.period.0,
                            year: r.period.1,
                            geo: geo.to_string(),
                            group: r.subject.group.clone(),
                            reference_group: None,
                            sex,
                            measure: Measure::CountryDifference,
                            model_based: false,
                        })
                    })
                    .flatten();
                (difference, VersusCountry::of(difference))
            })
            .collect();
        let changes = rows
            .iter()
            .map(|r| {
                let (first, year) = r.period;
                (r.subject.measure == Measure::Level && first == year)
                    .then(|| {
                        served
                            .changes_of(geo)
                            .iter()
                            .filter(|c| {
                                c.indicator == r.indicator.id
                                    && c.group == r.subject.group
                                    && c.sex == sex
                                    && c.to_year == year
                            })
                            .max_by_key(|c| c.from_year)
                    })
                    .flatten()
            })
            .collect();
        Ok(Profile {
            changes,
            geo: geo.to_string(),
            name: geo_name(geo).unwrap_or_else(|| geo.to_string()),
            level,
            country,
            sex,
            method,
            rows,
            versus_country,
        })
    }

    /// The rows of one indicator, each with its verdict against the country and its change.
    pub(crate) fn lines_of(&self, indicator: &str) -> Vec<ProfileLine<'_, 'a>> {
        self.rows
            .iter()
            .zip(&self.versus_country)
            .zip(&self.changes)
            .filter(|((r, _), _)| r.indicator.id == indicator)
            .map(|((r, v), c)| (r, v, c))
            .collect()
    }

    /// The figures the profile shows (area then country, row by row), then the differences
    /// from the country.
    pub(crate) fn figures(&self) -> Vec<Figure> {
        let mut figures = crate::views::figures_in(&self.rows);
        figures.extend(self.versus_country.iter().filter_map(|(f, _)| f.cloned()));
        figures
    }
}

pub(crate) async fn profile_page(
    served: ServedRelease,
    Path(geo): Path<String>,
    PageQuery(p): PageQuery<ProfileParams>,
) -> Result<Markup, PortalError> {
    let profile = Profile::of(&served, &geo, &p)?;
    let several_periods = {
        let mut periods: Vec<(i32, i32)> = profile.rows.iter().map(|r| r.period).collect();
        periods.dedup();
        periods.len() > 1
    };
    let country_name = profile
        .country
        .as_deref()
        .map(|c| geo_name(c).unwrap_or_else(|| c.to_string()));
    let title = format!("{} ({})", profile.name, profile.geo);
    let query = format!(
        "sex={}&method={}",
        profile.sex.code(),
        profile.method.code()
    );
    let catalogue = Catalogue::embedded();
    Ok(page(
        &title,
        served.release.as_ref(),
        html! {
            h1 { (profile.name) " " small { "(" (profile.geo) ", " (level_word(profile.level)) ")" } }
            p {
                "Every indicator of the served release for " (profile.name) ", by target group, "
                @if let Some(c) = &country_name { "beside " (c) " as a whole, " }
                "with 95 % confidence intervals and the gaps to each grouping's reference group. "
                "Figures: " (profile.method.label()) ". "
                "A city's sample is part of its country's: the two intervals are not independent, and overlapping intervals do not by themselves mean that the figures are equal. "
                "The column “versus the country” answers that question: the area's direct figure minus the country's, estimated jointly from the PSUs they share, with its 95 % interval (shares; medians are not tested)."
            }
            p.downloads {
                "Download this data: "
                a href={ "/profile/" (url_encode(&profile.geo)) "/figures.csv?" (query) } { "CSV" }
                a href={ "/api/v1/profile/" (url_encode(&profile.geo)) "?" (query) } { "JSON" }
                " · " a href={ "/compare?geo=" (url_encode(&profile.geo)) } { "Compare with other cities and regions" }
                " · " a href={ "/plan?level=" (profile.level.code()) "&geo=" (url_encode(&profile.geo)) } { "Precision planner" }
                @if profile.level == GeoLevel::City {
                    " · " a href={ "/cities/" (url_encode(&profile.geo)) } { "The city in the exchange: its monitoring, practices, needs and offers" }
                }
            }
            form.selector method="get" action={ "/profile/" (url_encode(&profile.geo)) } aria-label="Profile options" {
                label { "Sex" select name="sex" {
                    @for (x, l) in [(Sex::Total, "both sexes"), (Sex::Male, "men"), (Sex::Female, "women")] {
                        option value=(x.code()) selected[x == profile.sex] { (l) }
                    }
                } }
                label { "Figures" select name="method" {
                    @for m in MethodChoice::ALL { option value=(m.code()) selected[m == profile.method] { (m.label()) } }
                } }
                button type="submit" { "Show" }
            }
            (peer_section(&served, &profile, p.variables.as_deref()))
            @if profile.rows.is_empty() { p { "No figure for this selection." } }
            @for ind in incity_indicators::catalogue() {
                @let rows = profile.lines_of(&ind.id);
                @let has_changes = rows.iter().any(|(_, _, c)| c.is_some());
                @if !rows.is_empty() {
                    @let euro = ind.unit == "euro";
                    section aria-labelledby={ "ind-" (ind.id) } {
                        h2 #{ "ind-" (ind.id) } { (ind.name) " " small { "(" (ind.population_label) ", " (ind.area) ")" } }
                        table {
                            caption { (ind.name) ": " (profile.name) @if let Some(c) = &country_name { " and " (c) } }
                            thead {
                                tr {
                                    @if several_periods { th scope="col" rowspan="2" { "Period" } }
                                    th scope="col" rowspan="2" { "Target group" }
                                    th scope="colgroup" colspan="4" { (profile.name) }
                                    @if let Some(c) = &country_name {
                                        th scope="colgroup" colspan="4" { (c) }
                                        th scope="col" rowspan="2" { "Versus the country" br; small { "direct, joint variance" } }
                                    }
                                    @if has_changes { th scope="col" rowspan="2" { "Change from the year before" br; small { "direct, with the covariance of shared PSUs" } } }
                                }
                                tr {
                                    th scope="col" { "Estimate" } th scope="col" { "95 % interval" } th scope="col" { "Flag" } th scope="col" { "Method" }
                                    @if country_name.is_some() { th scope="col" { "Estimate" } th scope="col" { "95 % interval" } th scope="col" { "Flag" } th scope="col" { "Method" } }
                                }
                            }
                            tbody {
                                @for (r, versus, change) in &rows {
                                    tr class=(if r.subject.measure.is_gap() { "gap" } else { "" }) {
                                        @if several_periods { td { (period_code(r.period)) } }
                                        th scope="row" { (subject_label(&r.subject.group, r.subject.measure, r.subject.reference_group.as_deref())) }
                                        (figure_cells(r.figures[0], euro))
                                        @if country_name.is_some() {
                                            (figure_cells(r.figures.get(1).copied().flatten(), euro))
                                            (versus_cell(**versus, euro))
                                        }
                                        @if has_changes { (change_cell(**change, euro)) }
                                    }
                                }
                            }
                        }
                        p.note { "Values in " (if euro { "euro" } else { "% (gaps in percentage points)" }) ". " a href={ "/explore?indicator=" (ind.id) "&level=" (profile.level.code()) } { "This indicator across all " (profile.level.label().to_lowercase()) } }
                    }
                }
            }
            (administrative_section(&served, &profile, catalogue))
            (planner_verdict(&served, &profile, catalogue))
        },
    ))
}

/// The administrative indicators of the area (two tables of counts): the ratio, its
/// numerator and denominator, and the tables' flags; no interval, as there is no sample.
fn administrative_section(served: &Served, profile: &Profile, catalogue: &Catalogue) -> Markup {
    let figures: Vec<_> = served
        .administrative_of(&profile.geo)
        .iter()
        .filter(|f| f.sex == profile.sex.code())
        .collect();
    html! {
        @for ind in &catalogue.administrative {
            @let rows: Vec<_> = figures.iter().filter(|f| f.indicator == ind.id).collect();
            @if !rows.is_empty() {
                section aria-labelledby={ "ind-" (ind.id) } {
                    h2 #{ "ind-" (ind.id) } { (ind.name) " " small { "(" (ind.population_label) ", " (ind.area) ")" } }
                    table {
                        caption { (ind.name) ": " (profile.name) " — administrative data" }
                        thead { tr {
                            th scope="col" { "Year" } th scope="col" { "Target group" } th scope="col" { "Rate" }
                            th scope="col" { "Numerator" br; small { (ind.numerator.dataset) } }
                            th scope="col" { "Denominator" br; small { (ind.denominator.dataset) } }
                            th scope="col" { "Flags" } th scope="col" { "Method" }
                        } }
                        tbody {
                            @for f in &rows {
                                tr {
                                    td { (f.year) }
                                    th scope="row" { (catalogue.group_label(&f.group).unwrap_or(&f.group)) }
                                    td.num { @match f.value { Some(v) => (format!("{:.1}", 100.0 * v)), None => "—" } }
                                    td.num { @match f.numerator { Some(v) => (format!("{v:.0}")), None => "—" } }
                                    td.num { @match f.denominator { Some(v) => (format!("{v:.0}")), None => "—" } }
                                    td { (f.flags) }
                                    td { "administrative" }
                                }
                            }
                        }
                    }
                    p.note {
                        "Values in %. " (ind.definition) " Computed from two tables of counts of every case: no sample, so no standard error or interval. Flags are the tables' own (c: confidential, no number shown). "
                        (ind.comparability)
                    }
                }
            }
        }
    }
}

/// A change from an earlier year: value, interval and the covariance used, or its flag.
fn change_cell(change: Option<&ChangeFigure>, euro: bool) -> Markup {
    let unit = if euro { "euro" } else { "pp" };
    let shown = |v: f64| crate::format::shown(v, euro, Measure::Difference);
    html! {
        td.change {
            @match change {
                None => { span.muted { "–" } }
                Some(c) => {
                    @match c.estimate.figures {
                        Some(x) => {
                            (shown(x.estimate)) " " (unit) " since " (c.from_year)
                            br; small { "95 % interval " (shown(x.ci_low)) " to " (shown(x.ci_high)) "; " (c.covariance.label()) }
                        }
                        None => { "not published" br; small { (crate::format::flag_title(&c.estimate)) } }
                    }
                }
            }
        }
    }
}

/// The verdict of the difference from the country, with the difference and its interval.
fn versus_cell((difference, verdict): (Option<&Figure>, VersusCountry), euro: bool) -> Markup {
    let class = match verdict {
        VersusCountry::Higher | VersusCountry::Lower => "versus differs",
        _ => "versus",
    };
    html! {
        td class=(class) {
            @match (verdict, difference) {
                (VersusCountry::NotComputed, _) => { span.muted { "–" } }
                (_, Some(d)) => {
                    (verdict.label())
                    @if d.estimate.figures.is_some() { br; small { (crate::format::figure_words(d, euro)) } }
                    @else { br; small { (crate::format::flag_title(&d.estimate)) } }
                }
                (_, None) => { (verdict.label()) }
            }
        }
    }
}

/// A context variable's value as shown.
pub(crate) fn context_value(v: ContextVariable, x: f64) -> String {
    match v {
        ContextVariable::Population => format!("{:.0} thousand", x / 1000.0),
        ContextVariable::MedianIncome => format!("{x:.0} euro"),
        _ => format!("{:.1} %", x * 100.0),
    }
}

/// The areas most similar to this one in other countries, and a link comparing them.
fn peer_section(served: &Served, profile: &Profile, variables: Option<&str>) -> Markup {
    let params = PeerParams {
        variables: variables.map(String::from),
        k: Some(5),
        other_countries: Some(true),
    };
    let search = match PeerSearch::run(served, &profile.geo, &params) {
        Ok(s) => s,
        Err(e) => {
            return html! {
                section aria-labelledby="peers" {
                    h2 #peers { "Similar areas in other countries" }
                    p { (e.parts().1) }
                }
            }
        }
    };
    let chosen: Vec<String> = search
        .variables
        .iter()
        .map(|(v, w)| format!("{}:{w}", v.code()))
        .collect();
    let compare = std::iter::once(profile.geo.as_str())
        .chain(search.found.peers.iter().map(|p| p.geo.as_str()))
        .collect::<Vec<_>>()
        .join(",");
    html! {
        section aria-labelledby="peers" {
            h2 #peers { "Similar " (profile.level.label().to_lowercase()) " in other countries" }
            p {
                "The " (search.found.peers.len()) " nearest on standardised context variables of " (search.year)
                " (weighted Euclidean distance of z-scores; 1 = one standard deviation on every variable), from this release's published figures: "
                (search.variables.iter().map(|(v, w)| format!("{} (weight {w})", v.label())).collect::<Vec<_>>().join(", ")) ". "
                @if search.found.left_out > 0 { (search.found.left_out) " areas left out (same country, or a variable not published). " }
                strong { a href={ "/compare?geo=" (url_encode(&compare)) } { "Compare " (profile.name) " with these" } }
            }
            p.note {
                "The values are this release's direct estimates (both sexes), used as point values for the matching: "
                "the distance does not carry their sampling error. Their intervals are in each area's profile "
                "(the foreign-born share is one less the native-born share of the population aged 20-64, from the employment-rate figures)."
            }
            table {
                caption { "Areas most similar to " (profile.name) " (direct estimates, " (search.year) ")" }
                thead { tr {
                    th scope="col" { "Area" } th scope="col" { "Distance" }
                    @for (v, _) in &search.variables { th scope="col" { (v.label()) } }
                } }
                tbody {
                    tr {
                        th scope="row" { (profile.name) " (this area)" } td.num { "0" }
                        @for (v, x) in &search.found.target { td.num { (context_value(*v, *x)) } }
                    }
                    @for peer in &search.found.peers {
                        tr {
                            th scope="row" { a href={ "/profile/" (url_encode(&peer.geo)) } { (geo_name(&peer.geo).unwrap_or_else(|| peer.geo.clone())) } }
                            td.num { (format!("{:.2}", peer.distance)) }
                            @for (v, x, _) in &peer.variables { td.num { (context_value(*v, *x)) } }
                        }
                    }
                }
            }
            form.selector method="get" action={ "/profile/" (url_encode(&profile.geo)) } aria-label="Peer variables" {
                input type="hidden" name="sex" value=(profile.sex.code());
                input type="hidden" name="method" value=(profile.method.code());
                label { "Variables and weights (name:weight, comma-separated; names: "
                    (ContextVariable::ALL.map(|v| v.code()).join(", ")) ")"
                    input type="text" name="variables" value=(chosen.join(",")) size="70";
                }
                button type="submit" { "Find peers" }
            }
        }
    }
}

/// The precision planner's verdict for the area's migrant-group figures (both sexes): which
/// are published without a flag and what sample would publish the others.
fn planner_verdict(served: &Served, profile: &Profile, catalogue: &Catalogue) -> Markup {
    let Some(rules) = &served.rules else {
        return html! {};
    };
    let figures: Vec<Figure> = incity_indicators::catalogue()
        .iter()
        .flat_map(|i| served.of_indicator(&i.id, profile.level))
        .filter(|f| f.sex == Sex::Total)
        .cloned()
        .collect();
    let rows = planner::plan(
        catalogue,
        &figures,
        rules,
        &PlanRequest {
            level: profile.level,
            geo: Some(profile.geo.clone()),
            indicator: None,
            group: None,
            target_cvs: DEFAULT_TARGET_CVS.to_vec(),
        },
    );
    if rows.is_empty() {
        return html! {};
    }
    let reliable = rows.iter().filter(|r| r.flag == Flag::Reliable).count();
    html! {
        section aria-labelledby="precision" {
            h2 #precision { "Precision: what sample would publish the rest" }
            p {
                (reliable) " of " (rows.len()) " direct migrant-group figures of " (profile.name)
                " (both sexes) are published without a flag. For the others, the respondents the direct figure would need to be published without a flag"
                " under the release's rules, and the oversampling or pooled years that means ("
                a href={ "/plan?level=" (profile.level.code()) "&geo=" (url_encode(&profile.geo)) } { "details and method" } "):"
            }
            table {
                caption { "Precision planner: " (profile.name) }
                thead { tr { th scope="col" { "Indicator" } th scope="col" { "Group" } th scope="col" { "Flag now" } th scope="col" { "Respondents needed" } th scope="col" { "Oversampling" } th scope="col" { "or pooled years" } } }
                tbody {
                    @for r in rows.iter().filter(|r| r.flag != Flag::Reliable) {
                        tr {
                            td { (incity_indicators::catalogue().iter().find(|i| i.id == r.indicator).map(|i| i.name.as_str()).unwrap_or(&r.indicator)) }
                            td { (incity_indicators::group_label(&r.group)) }
                            td class={ "flag-" (r.flag.code()) } { (match r.flag { Flag::Suppressed => "not published", Flag::LowReliability => "low reliability", Flag::Reliable => "" }) }
                            @match r.to_publish {
                                Some(q) => {
                                    @let bound = if q.lower_bounds { "≥ " } else { "" };
                                    td.num { (q.respondents) }
                                    td.num { @if let Some(o) = q.oversampling { (bound) (format!("{o:.1}")) "×" } @else { "–" } }
                                    td.num { @if let Some(y) = q.pooled_years { (bound) (y) } @else { "–" } }
                                }
                                None => { td colspan="3" { (r.note.clone().unwrap_or_else(|| "no basis to plan".into())) } }
                            }
                        }
                    }
                }
            }
        }
    }
}

pub(crate) async fn profile_csv(
    served: ServedRelease,
    Path(geo): Path<String>,
    PageQuery(p): PageQuery<ProfileParams>,
) -> Result<Response, PortalError> {
    let profile = Profile::of(&served, &geo, &p)?;
    csv_download(&served, &profile.figures(), &format!("profile-{geo}.csv"))
}

/// What kind of area a level's areas are, in the singular.
pub(crate) fn level_word(level: GeoLevel) -> &'static str {
    match level {
        GeoLevel::Country => "country",
        GeoLevel::Nuts1 => "NUTS 1 region",
        GeoLevel::Nuts2 => "NUTS 2 region",
        GeoLevel::Nuts3 => "NUTS 3 region",
        GeoLevel::Degurba => "degree of urbanisation",
        GeoLevel::City => "city",
    }
}
