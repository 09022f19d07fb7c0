//! Benchmarking answers: a ranking with rank intervals (`/rank/{indicator}/{level}`). The
//! profile with its verdicts against the country and the peer search are in [`super::views`]
//! beside the pages they twin.

use axum::extract::Path;
use axum::Json;
use incity_benchmark::ranks::{rank_figures, Coverage, ASSUMPTIONS};
use incity_indicators::{geo_name, Figure};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::figures::FigureOut;
use crate::api::views::SelectionOut;
use crate::error::{ApiError, ApiQuery, ErrorOut, PortalError};
use crate::pages::ServedRelease;
use crate::views::{explore, no_release, ExploreParams, Selection};

/// What to rank: one group and measure of the indicator across the areas of the level.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct RankParams {
    /// Target group (default `non_eu_born`), or `total`.
    group: Option<String>,
    /// `level` (default), `difference` (gap to the reference group), `ratio` or
    /// `country_difference`.
    measure: Option<String>,
    /// `T` (default), `M` or `F`.
    sex: Option<String>,
    /// `2024` or a pooled period `2023-2024` (default: the newest single year).
    period: Option<String>,
    /// `direct` (default: standard errors), `model` (model-based figures, ranked with their
    /// RMSE) or `best` (each area's best published figure; methods labelled per area).
    method: Option<String>,
    /// `marginal` (default; each area's own interval) or `simultaneous` (all together).
    coverage: Option<String>,
    /// Confidence level of the rank intervals, between 0.5 and 1 (default 0.95; 0.9 is common).
    confidence: Option<f64>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct RankedOut {
    rank: usize,
    rank_lower: usize,
    rank_upper: usize,
    geo: String,
    geo_name: Option<String>,
    figure: FigureOut,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct RankOut {
    release: i64,
    synthetic: bool,
    selection: SelectionOut,
    /// `marginal` or `simultaneous`.
    coverage: &'static str,
    confidence: f64,
    /// The method, its assumptions and what "tied" means.
    assumptions: &'static str,
    /// Whether some ranked figures are model-based (ranked with their RMSE; each figure says
    /// its method).
    model_based: bool,
    /// Best rank first.
    ranked: Vec<RankedOut>,
    /// Areas of the level not ranked: withheld (flag only), or without a standard error.
    left_out: Vec<FigureOut>,
}

/// One indicator, group and measure across the areas of a level: each area's rank with its
/// marginal or simultaneous rank interval (Mogstad, Romano, Shaikh & Wilhelm 2024).
#[utoipa::path(get, path = "/rank/{indicator}/{level}", tag = "views",
    params(("indicator" = String, Path, description = "indicator id, e.g. employment_rate_20_64"),
           ("level" = String, Path, description = "country, nuts1, nuts2, nuts3, degurba or city"),
           RankParams),
    responses((status = 200, body = RankOut), (status = 400, body = ErrorOut), (status = 409, body = ErrorOut)))]
pub(crate) async fn api_rank(
    served: ServedRelease,
    Path((indicator, level)): Path<(String, String)>,
    ApiQuery(p): ApiQuery<RankParams>,
) -> Result<Json<RankOut>, ApiError> {
    let release = served.release.as_ref().ok_or_else(no_release)?;
    let coverage = match p.coverage.as_deref().filter(|s| !s.is_empty()) {
        None | Some("marginal") => Coverage::Marginal,
        Some("simultaneous") => Coverage::Simultaneous,
        Some(c) => {
            return Err(PortalError::BadRequest(format!(
                "unknown coverage `{c}`: expected marginal or simultaneous"
            ))
            .into())
        }
    };
    let confidence = p.confidence.unwrap_or(0.95);
    if !(0.5..1.0).contains(&confidence) {
        return Err(PortalError::BadRequest(format!(
            "confidence {confidence}: expected a level from 0.5 to below 1, e.g. 0.95"
        ))
        .into());
    }
    let s = Selection::parse(
        &ExploreParams {
            indicator: Some(indicator),
            level: Some(level),
            group: p.group,
            measure: p.measure,
            sex: p.sex,
            period: p.period,
            method: Some(p.method.unwrap_or_else(|| "direct".into())),
            ..ExploreParams::default()
        },
        &served,
    )?;
    let rows = explore(&served, &s);
    let shown: Vec<&Figure> = rows.iter().filter_map(|r| r.shown).collect();
    let ranking = rank_figures(&shown, confidence, coverage).map_err(|e| {
        PortalError::BadRequest(format!(
            "nothing to rank for this selection ({e}): fewer than two published figures with a standard error"
        ))
    })?;
    Ok(Json(RankOut {
        release: release.id,
        synthetic: release.provenance.synthetic,
        selection: SelectionOut::of(&s),
        coverage: match coverage {
            Coverage::Marginal => "marginal",
            Coverage::Simultaneous => "simultaneous",
        },
        confidence,
        assumptions: ASSUMPTIONS,
        model_based: ranking.has_model_based(),
        ranked: ranking
            .ranked
            .iter()
            .map(|r| RankedOut {
                rank: r.interval.rank,
                rank_lower: r.interval.lower,
                rank_upper: r.interval.upper,
                geo: r.figure.geo.clone(),
                geo_name: geo_name(&r.figure.geo),
                figure: FigureOut::from(r.figure),
            })
            .collect(),
        left_out: ranking
            .left_out
            .iter()
            .map(|f| FigureOut::from(*f))
            .collect(),
    }))
}
