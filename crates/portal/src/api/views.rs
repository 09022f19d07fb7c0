//! The JSON twins of the pages: the explorer, a profile, a comparison, the search, the glossary.
//! Each answers with exactly the figures its page shows.

use axum::extract::{Path, RawQuery};
use axum::Json;
use incity_indicators::{geo_name, Catalogue, Measure};
use serde::Serialize;
use utoipa::ToSchema;

use crate::api::figures::FigureOut;
use crate::error::{ApiError, ApiQuery, ErrorOut};
use crate::pages::compare::{CompareParams, Comparison};
use crate::pages::home::{search, Hit, SearchParams};
use crate::pages::profile::{level_word, Profile, ProfileParams};
use crate::pages::ServedRelease;
use crate::views::{
    comparability_notes, comparison_notes, explore, no_release, period_code, CellRow,
    ExploreParams, Selection,
};
use crate::views::{PeerParams, PeerSearch};

/// The selection an explorer answer is for (every parameter resolved).
#[derive(Serialize, ToSchema)]
pub(crate) struct SelectionOut {
    indicator: String,
    level: &'static str,
    group: String,
    measure: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    reference_group: Option<String>,
    sex: &'static str,
    period: String,
    /// `best`, `direct` or `model`: which figure of a cell is shown.
    method: &'static str,
}

impl SelectionOut {
    pub(crate) fn of(s: &Selection) -> SelectionOut {
        SelectionOut {
            indicator: s.indicator.id.clone(),
            level: s.level.code(),
            group: s.subject.group.clone(),
            measure: s.subject.measure.code(),
            reference_group: s.subject.reference_group.clone(),
            sex: s.sex.code(),
            period: period_code(s.period),
            method: s.method.code(),
        }
    }
}

/// One area of the explorer.
#[derive(Serialize, ToSchema)]
pub(crate) struct ExploreRowOut {
    geo: String,
    geo_name: String,
    /// The figure shown (absent: the cell has none of the chosen method).
    #[serde(skip_serializing_if = "Option::is_none")]
    figure: Option<FigureOut>,
    /// The direct figure of the cell, when the figure shown is model-based.
    #[serde(skip_serializing_if = "Option::is_none")]
    direct: Option<FigureOut>,
    /// For a group's level: the reference group's level in the same area.
    #[serde(skip_serializing_if = "Option::is_none")]
    reference: Option<FigureOut>,
    /// Rank among the published figures (1 = highest) and its 95 % interval.
    #[serde(skip_serializing_if = "Option::is_none")]
    rank: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rank_lower: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rank_upper: Option<usize>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct ExploreOut {
    release: i64,
    synthetic: bool,
    selection: SelectionOut,
    rows: Vec<ExploreRowOut>,
}

/// The explorer: one indicator for one target group across the areas of a level.
#[utoipa::path(get, path = "/explore", tag = "views", params(ExploreParams),
    responses((status = 200, body = ExploreOut), (status = 400, body = ErrorOut)))]
pub(crate) async fn api_explore(
    served: ServedRelease,
    ApiQuery(p): ApiQuery<ExploreParams>,
) -> Result<Json<ExploreOut>, ApiError> {
    let release = served.release.as_ref().ok_or_else(no_release)?;
    let s = Selection::parse(&p, &served)?;
    let rows = explore(&served, &s);
    let ranks = crate::views::ranks_of(&rows, s.ranks);
    let rows = rows
        .into_iter()
        .map(|r| ExploreRowOut {
            rank: ranks.get(r.geo).map(|x| x.rank),
            rank_lower: ranks.get(r.geo).map(|x| x.lower),
            rank_upper: ranks.get(r.geo).map(|x| x.upper),
            geo: r.geo.to_string(),
            geo_name: r.name,
            figure: r.shown.map(FigureOut::from),
            direct: r
                .shown
                .filter(|f| !std::ptr::eq(*f, r.direct))
                .map(|_| FigureOut::from(r.direct)),
            reference: r.reference.map(FigureOut::from),
        })
        .collect();
    Ok(Json(ExploreOut {
        release: release.id,
        synthetic: release.provenance.synthetic,
        selection: SelectionOut::of(&s),
        rows,
    }))
}

/// A row of a profile or a comparison: one cell and its figure in each area.
#[derive(Serialize, ToSchema)]
pub(crate) struct CellRowOut {
    indicator: String,
    period: String,
    group: String,
    measure: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    reference_group: Option<String>,
    /// In the order of the answer's `geos`; `null` where the area has no figure.
    figures: Vec<Option<FigureOut>>,
    /// Why the figures of the row may not be comparable (comparisons only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    notes: Vec<String>,
    /// Profiles, levels of an area below the country: whether the area differs from its
    /// country.
    #[serde(skip_serializing_if = "Option::is_none")]
    versus_country: Option<VersusCountryOut>,
}

/// The area's direct level minus its country's, linearised jointly (the area's sample is
/// part of the country's: `V(a − c) = V(a) + V(c) − 2 Cov(a, c)`), and the verdict at the
/// 5 % level.
#[derive(Serialize, ToSchema)]
pub(crate) struct VersusCountryOut {
    /// `higher`, `lower`, `not_significant`, `not_published` or `not_computed` (medians).
    verdict: &'static str,
    /// The difference (measure `country_difference`); numbers only when published.
    #[serde(skip_serializing_if = "Option::is_none")]
    difference: Option<FigureOut>,
}

fn row_out(r: &CellRow, notes: Vec<String>) -> CellRowOut {
    CellRowOut {
        indicator: r.indicator.id.clone(),
        period: period_code(r.period),
        group: r.subject.group.clone(),
        measure: r.subject.measure.code(),
        reference_group: r.subject.reference_group.clone(),
        figures: r.figures.iter().map(|f| f.map(FigureOut::from)).collect(),
        notes,
        versus_country: None,
    }
}

#[derive(Serialize, ToSchema)]
pub(crate) struct ProfileOut {
    release: i64,
    synthetic: bool,
    geo: String,
    geo_name: String,
    /// `city`, `NUTS 2 region`, ...
    kind: &'static str,
    /// The area, then its country where the release has it.
    geos: Vec<String>,
    sex: &'static str,
    method: &'static str,
    rows: Vec<CellRowOut>,
    /// Indicators computed from two administrative tables of counts (active citizenship):
    /// no sample, so no standard error; the tables' flags are carried.
    administrative: Vec<AdministrativeOut>,
}

/// A figure of an administrative indicator.
#[derive(Serialize, ToSchema)]
pub(crate) struct AdministrativeOut {
    indicator: String,
    year: i32,
    group: String,
    sex: String,
    /// The ratio (a fraction); absent when either count is missing or confidential.
    value: Option<f64>,
    numerator: Option<f64>,
    denominator: Option<f64>,
    numerator_dataset: String,
    denominator_dataset: String,
    /// The union of both tables' flags (`c`: confidential).
    flags: String,
    /// Always `administrative`: a count of every case, not a sample estimate.
    method: &'static str,
}

/// A city's or region's profile: every indicator by target group, beside its country.
#[utoipa::path(get, path = "/profile/{geo}", tag = "views",
    params(("geo" = String, Path, description = "area code, e.g. AT002C"), ProfileParams),
    responses((status = 200, body = ProfileOut), (status = 400, body = ErrorOut), (status = 404, body = ErrorOut)))]
pub(crate) async fn api_profile(
    served: ServedRelease,
    Path(geo): Path<String>,
    ApiQuery(p): ApiQuery<ProfileParams>,
) -> Result<Json<ProfileOut>, ApiError> {
    let release = served.release.as_ref().ok_or_else(no_release)?;
    let profile = Profile::of(&served, &geo, &p)?;
    Ok(Json(ProfileOut {
        release: release.id,
        synthetic: release.provenance.synthetic,
        geos: std::iter::once(profile.geo.clone())
            .chain(profile.country.clone())
            .collect(),
        geo_name: profile.name.clone(),
        kind: level_word(profile.level),
        sex: profile.sex.code(),
        method: profile.method.code(),
        rows: profile
            .rows
            .iter()
            .zip(&profile.versus_country)
            .map(|(r, (difference, verdict))| CellRowOut {
                versus_country: (r.subject.measure == Measure::Level && profile.country.is_some())
                    .then(|| VersusCountryOut {
                        verdict: verdict.code(),
                        difference: difference.map(FigureOut::from),
                    }),
                ..row_out(r, Vec::new())
            })
            .collect(),
        administrative: served
            .administrative_of(&profile.geo)
            .iter()
            .filter(|f| f.sex == profile.sex.code())
            .filter_map(|f| {
                let ind = Catalogue::embedded()
                    .administrative
                    .iter()
                    .find(|a| a.id == f.indicator)?;
                Some(AdministrativeOut {
                    indicator: f.indicator.clone(),
                    year: f.year,
                    group: f.group.clone(),
                    sex: f.sex.clone(),
                    value: f.value,
                    numerator: f.numerator,
                    denominator: f.denominator,
                    numerator_dataset: ind.numerator.dataset.clone(),
                    denominator_dataset: ind.denominator.dataset.clone(),
                    flags: f.flags.clone(),
                    method: "administrative",
                })
            })
            .collect(),
        geo: profile.geo,
    }))
}

/// What holds for every figure of one indicator in a comparison.
#[derive(Serialize, ToSchema)]
pub(crate) struct IndicatorNotesOut {
    indicator: String,
    notes: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct CompareOut {
    release: i64,
    synthetic: bool,
    geos: Vec<String>,
    geo_names: Vec<String>,
    sex: &'static str,
    method: &'static str,
    /// Comparability notes per indicator (each row adds its own where methods or periods
    /// differ).
    notes: Vec<IndicatorNotesOut>,
    rows: Vec<CellRowOut>,
}

/// 2 to 6 areas side by side, with comparability notes per row.
#[utoipa::path(get, path = "/compare", tag = "views", params(CompareParams),
    responses((status = 200, body = CompareOut), (status = 400, body = ErrorOut)))]
pub(crate) async fn api_compare(
    served: ServedRelease,
    RawQuery(raw): RawQuery,
) -> Result<Json<CompareOut>, ApiError> {
    let release = served.release.as_ref().ok_or_else(no_release)?;
    let c = Comparison::parse(&served, raw.as_deref())?;
    if c.geos.len() < 2 {
        return Err(ApiError(
            axum::http::StatusCode::BAD_REQUEST,
            "choose 2 to 6 areas: geo=CODE,CODE".into(),
        ));
    }
    let refs: Vec<&str> = c.geos.iter().map(String::as_str).collect();
    Ok(Json(CompareOut {
        release: release.id,
        synthetic: release.provenance.synthetic,
        geo_names: c
            .geos
            .iter()
            .map(|g| geo_name(g).unwrap_or_default())
            .collect(),
        sex: c.sex.code(),
        method: c.method.code(),
        rows: c
            .rows
            .iter()
            .map(|r| row_out(r, comparability_notes(r, &refs)))
            .collect(),
        notes: incity_indicators::catalogue()
            .iter()
            .filter(|i| c.rows.iter().any(|r| r.indicator.id == i.id))
            .map(|i| IndicatorNotesOut {
                indicator: i.id.clone(),
                notes: comparison_notes(i, &refs, &served),
            })
            .collect(),
        geos: c.geos.clone(),
    }))
}

/// Cities, regions, indicators and glossary terms matching every word of `q`.
#[utoipa::path(get, path = "/search", tag = "views", params(SearchParams),
    responses((status = 200, body = Vec<Hit>)))]
pub(crate) async fn api_search(
    served: ServedRelease,
    ApiQuery(p): ApiQuery<SearchParams>,
) -> Json<Vec<Hit>> {
    Json(search(&served, p.q.as_deref().unwrap_or("")))
}

/// A context variable of a peer search.
#[derive(Serialize, ToSchema)]
pub(crate) struct PeerVariableOut {
    variable: &'static str,
    label: &'static str,
    weight: f64,
    /// The target's value.
    value: f64,
    /// Areas the variable was standardised over.
    standardised_over: usize,
}

/// A peer: its distance and, per variable, its value and share of the squared distance.
#[derive(Serialize, ToSchema)]
pub(crate) struct PeerOut {
    geo: String,
    geo_name: String,
    distance: f64,
    values: Vec<f64>,
    /// Per variable: `w (z_peer − z_target)² / Σ w`; they sum to `distance²`.
    contributions: Vec<f64>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct PeersOut {
    release: i64,
    geo: String,
    year: i32,
    other_countries: bool,
    method: &'static str,
    /// What the values are: direct estimates of the release, used as point values (the
    /// distance carries no sampling error).
    values_are: &'static str,
    variables: Vec<PeerVariableOut>,
    peers: Vec<PeerOut>,
    /// Areas left out (same country, or a variable not published).
    left_out: usize,
}

/// The areas most similar to one area on standardised context variables (user-chosen, with
/// weights), from the release's published direct figures.
#[utoipa::path(get, path = "/peers/{geo}", tag = "views",
    params(("geo" = String, Path, description = "area code, e.g. AT002C"), PeerParams),
    responses((status = 200, body = PeersOut), (status = 400, body = ErrorOut), (status = 404, body = ErrorOut), (status = 409, body = ErrorOut)))]
pub(crate) async fn api_peers(
    served: ServedRelease,
    Path(geo): Path<String>,
    ApiQuery(p): ApiQuery<PeerParams>,
) -> Result<Json<PeersOut>, ApiError> {
    let release = served.release.as_ref().ok_or_else(no_release)?;
    let s = PeerSearch::run(&served, &geo, &p)?;
    Ok(Json(PeersOut {
        release: release.id,
        year: s.year,
        other_countries: s.other_countries,
        method: "weighted Euclidean distance of z-scores (log scale for population and income), \
            sqrt(sum_j w_j dz_j^2 / sum_j w_j), over the areas of the level with the variable published",
        values_are: "direct estimates of this release (both sexes, the year given), used as point values: \
            the distance carries no sampling error; their intervals are in /api/v1/profile/{geo}",
        variables: s
            .variables
            .iter()
            .zip(&s.found.target)
            .zip(&s.found.standardised_over)
            .map(|(((v, w), (_, x)), (_, m))| PeerVariableOut {
                variable: v.code(),
                label: v.label(),
                weight: *w,
                value: *x,
                standardised_over: *m,
            })
            .collect(),
        peers: s
            .found
            .peers
            .iter()
            .map(|p| PeerOut {
                geo: p.geo.clone(),
                geo_name: geo_name(&p.geo).unwrap_or_default(),
                distance: p.distance,
                values: p.variables.iter().map(|v| v.1).collect(),
                contributions: p.variables.iter().map(|v| v.2).collect(),
            })
            .collect(),
        left_out: s.found.left_out,
        geo: s.geo,
    }))
}
