//! Benchmarking answers: a ranking with rank intervals (`/rank/{indicator}/{level}`) and an
//! area's trend (`/trend/{indicator}/{geo}`: levels by year and changes with the covariance
//! of shared PSUs). The
//! profile with its verdicts against the country and the peer search are in [`super::views`]
//! beside the pages they twin.

use axum::extract::Path;
use axum::Json;
use incity_benchmark::ranks::{rank_figures, Coverage, ASSUMPTIONS};
use incity_indicators::{geo_name, ChangeFigure, Figure, FigureMethod, Measure};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::figures::FigureOut;
use crate::api::views::SelectionOut;
use crate::error::{ApiError, ApiQuery, ErrorOut, PortalError};
use crate::pages::ServedRelease;
use crate::views::{
    comparison_notes, explore, find_indicator, no_release, parse_coverage, parse_sex,
    ExploreParams, Selection,
};

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
    /// What holds for the comparison of the ranked areas (kinds of area, countries' samples,
    /// the indicator's own comparability note).
    notes: Vec<String>,
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
    let coverage = parse_coverage("coverage", p.coverage.as_deref())?;
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
    let geos: Vec<&str> = ranking
        .ranked
        .iter()
        .map(|r| r.figure.geo.as_str())
        .collect();
    let notes = comparison_notes(s.indicator, &geos, &served);
    Ok(Json(RankOut {
        notes,
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

/// Which cell of the area to follow.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct TrendParams {
    /// Target group (default `total`).
    group: Option<String>,
    /// `T` (default), `M` or `F`.
    sex: Option<String>,
}

/// A change between two years: numbers only when published.
#[derive(Serialize, ToSchema)]
pub(crate) struct ChangeOut {
    from_year: i32,
    year: i32,
    flag: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    estimate: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    se: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ci_low: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ci_high: Option<f64>,
    /// `shared-psus` (covariance from the PSUs both years' samples share) or `independent`
    /// (no PSU shared: covariance 0).
    covariance: &'static str,
    covariance_is: &'static str,
    shared_psus: usize,
}

impl From<&ChangeFigure> for ChangeOut {
    fn from(c: &ChangeFigure) -> Self {
        let x = c.estimate.figures;
        ChangeOut {
            from_year: c.from_year,
            year: c.to_year,
            flag: c.estimate.flag.code(),
            estimate: x.map(|x| x.estimate),
            se: x.and_then(|x| x.standard_error()),
            ci_low: x.map(|x| x.ci_low),
            ci_high: x.map(|x| x.ci_high),
            covariance: c.covariance.code(),
            covariance_is: c.covariance.describe(),
            shared_psus: c.shared_psus,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub(crate) struct TrendOut {
    release: i64,
    synthetic: bool,
    indicator: String,
    geo: String,
    geo_name: Option<String>,
    group: String,
    sex: &'static str,
    /// The direct level of each single year, oldest first.
    levels: Vec<FigureOut>,
    /// Level in `year` minus level in `from_year`, for every two years (shares only).
    changes: Vec<ChangeOut>,
}

/// One indicator for one area and group over the release's years: each year's direct level,
/// and the change between every two years with its standard error (variance `V₁ + V₂ − 2 Cov`,
/// the covariance from the PSUs both samples share) and which covariance was used.
#[utoipa::path(get, path = "/trend/{indicator}/{geo}", tag = "views",
    params(("indicator" = String, Path, description = "indicator id, e.g. employment_rate_20_64"),
           ("geo" = String, Path, description = "area code, e.g. AT001C"),
           TrendParams),
    responses((status = 200, body = TrendOut), (status = 400, body = ErrorOut), (status = 404, body = ErrorOut), (status = 409, body = ErrorOut)))]
pub(crate) async fn api_trend(
    served: ServedRelease,
    Path((indicator, geo)): Path<(String, String)>,
    ApiQuery(p): ApiQuery<TrendParams>,
) -> Result<Json<TrendOut>, ApiError> {
    let release = served.release.as_ref().ok_or_else(no_release)?;
    let indicator = find_indicator(&indicator)?;
    let sex = parse_sex(p.sex.as_deref())?;
    let group = p
        .group
        .filter(|g| !g.is_empty())
        .unwrap_or_else(|| "total".into());
    let mut levels: Vec<&Figure> = served
        .of_geo(&geo)
        .filter(|f| {
            f.indicator == indicator.id
                && f.group == group
                && f.sex == sex
                && f.measure == Measure::Level
                && f.method == FigureMethod::Direct
                && !f.is_pooled()
        })
        .collect();
    if levels.is_empty() {
        return Err(PortalError::NotFound(format!(
            "the served release has no direct level of `{}` for `{geo}`, group `{group}`, sex {}",
            indicator.id,
            sex.code()
        ))
        .into());
    }
    levels.sort_by_key(|f| f.year);
    let changes = served
        .changes_of(&geo)
        .iter()
        .filter(|c| c.indicator == indicator.id && c.group == group && c.sex == sex)
        .map(ChangeOut::from)
        .collect();
    Ok(Json(TrendOut {
        release: release.id,
        synthetic: release.provenance.synthetic,
        indicator: indicator.id.clone(),
        geo_name: geo_name(&geo),
        geo,
        group,
        sex: sex.code(),
        levels: levels.into_iter().map(FigureOut::from).collect(),
        changes,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use incity_estimation::{CovarianceBasis, Estimate, Flag};
    use incity_indicators::{GeoLevel, Sex, Source};

    #[test]
    fn a_withheld_change_carries_no_number() {
        let c = ChangeFigure {
            indicator: "employment_rate_20_64".into(),
            source: Source::Lfs,
            from_year: 2023,
            to_year: 2024,
            geo_level: GeoLevel::City,
            geo: "AT001C".into(),
            grouping: "total".into(),
            group: "total".into(),
            sex: Sex::Total,
            estimate: Estimate {
                flag: Flag::Suppressed,
                reason: None,
                figures: None,
            },
            covariance: CovarianceBasis::Independent,
            shared_psus: 0,
        };
        let json = serde_json::to_value(ChangeOut::from(&c)).unwrap();
        assert_eq!(json["flag"], "c");
        assert!(json.get("estimate").is_none() && json.get("se").is_none());
        assert_eq!(json["covariance"], "independent");
    }
}
