//! Model-based figures for small areas: the Fay-Herriot models of a release.
//!
//! For every indicator with a `[small_area]` section (shares and poverty rates on the arcsine
//! scale, medians on the log scale with variances from a CV model), and every period, model level
//! (`[small_area] levels` in `catalogue.toml`), grouping, target group and sex, one
//! area-level model is fitted over the areas of that level in all countries
//! ([`incity_small_area`]): the direct estimates (also those of cells whose figure is
//! suppressed: they are model *inputs*, never shown) on the arcsine-square-root scale, with
//! sampling variances `deff / (4 n)` from one design effect smoothed over the areas (direct
//! variances of small cells are too noisy, and zero for shares of 0 or 100 %), and the
//! indicator's covariates:
//!
//! - register measures of the *same target group* in the area, from the covariate table
//!   loaded with `incity import-table` (percentages, put on the arcsine scale of `pct / 100`);
//! - `national_estimate`: the direct estimate of the same indicator, group, sex and period for
//!   the area's country (on the arcsine scale), so that country differences enter the model
//!   with one coefficient instead of one per country.
//!
//! The area variance is estimated by the catalogue's method (adjusted REML by default, which
//! never shrinks every area onto the regression line), the estimates are transformed back with
//! the bias correction, and their MSE on the original scale comes from a seeded parametric
//! bootstrap. A model-based figure is added for every area whose direct figure is flagged or
//! suppressed; it goes through the rule set's `model_based` rules with the RMSE in place of the
//! standard error, and carries the model's description. Direct figures are never replaced.
//!
//! A model that cannot be fitted (too few areas, collinear covariates, no convergence, no
//! design effect) adds no figures; it is reported in [`ModelRun::skipped`], never dropped
//! silently.

use std::collections::{BTreeMap, HashMap};

use rayon::prelude::*;

use incity_estimation::{Estimate, Flag};
use incity_small_area::{
    estimate_small_areas, smooth_cv_variances, smooth_share_variances, AreaInput, FitOptions,
    MseMethod, SmallAreaModel, Transform, VarianceMethod,
};

use crate::engine::{DirectInput, Period};
use incity_indicators::catalogue::{
    Catalogue, SmallAreaSettings, StatisticKind, NATIONAL_ESTIMATE,
};
use incity_indicators::rules::RuleSet;
use incity_indicators::{CellKey, Figure, FigureMethod, GeoLevel, Measure, Sex, Source};

/// Area covariates: (measure, target group, area) → values by year.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AreaCovariates {
    /// The dataset they came from (named in model descriptions).
    pub dataset: String,
    values: HashMap<(String, String, String), Vec<(i32, f64)>>,
}

impl AreaCovariates {
    pub fn new(dataset: &str) -> Self {
        AreaCovariates {
            dataset: dataset.to_string(),
            values: HashMap::new(),
        }
    }

    pub fn insert(&mut self, measure: &str, group: &str, geo: &str, year: i32, value: f64) {
        let v = self
            .values
            .entry((measure.to_string(), group.to_string(), geo.to_string()))
            .or_default();
        v.push((year, value));
        v.sort_by_key(|(y, _)| *y);
    }

    pub fn len(&self) -> usize {
        self.values.values().map(Vec::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// The value of the latest year up to `year`, or else of the earliest later year.
    pub fn value(&self, measure: &str, group: &str, geo: &str, year: i32) -> Option<f64> {
        let v = self
            .values
            .get(&(measure.to_string(), group.to_string(), geo.to_string()))?;
        v.iter()
            .rev()
            .find(|(y, _)| *y <= year)
            .or_else(|| v.first())
            .map(|(_, x)| *x)
    }
}

/// What happened to one model.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelRun {
    pub indicator: String,
    pub period: Period,
    pub level: GeoLevel,
    pub grouping: String,
    pub group: String,
    pub sex: Sex,
    /// Areas with a sample and covariates.
    pub areas: usize,
    /// Model-based figures added.
    pub figures: usize,
    /// Why no model was fitted.
    pub skipped: Option<String>,
    pub sigma2_u: Option<f64>,
}

/// The model of one (indicator, period, level, grouping, group, sex).
type ModelKey = (String, Period, GeoLevel, String, String, Sex);

fn arcsine(share: f64) -> f64 {
    share.clamp(0.0, 1.0).sqrt().asin()
}

/// A stable seed per model (FNV-1a over its key), so a release is reproducible and one
/// model's bootstrap does not depend on which other models were fitted.
fn model_seed(key: &ModelKey) -> u64 {
    let text = format!(
        "{}|{}-{}|{}|{}|{}|{}",
        key.0,
        key.1.first,
        key.1.last,
        key.2.code(),
        key.3,
        key.4,
        key.5.code()
    );
    text.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// The variance method named in the catalogue (validated when it was loaded).
fn variance_method(settings: &SmallAreaSettings) -> VarianceMethod {
    VarianceMethod::from_code(&settings.method).unwrap_or(VarianceMethod::AdjustedReml)
}

/// `b_i²` of the area effects: the median group population of the model's areas over the
/// area's (estimated) group population, within [1/20, 20]. The true values of small
/// populations scatter more around the regression than those of large ones: on the synthetic
/// Europe, residuals of the city employment rates of a group around the register covariates
/// had a standard deviation 3-4 times larger in the smaller half of the cities than in the
/// larger half, and a model with one area variance understated the error of the small cells
/// (the cells that need a model-based figure) by a factor of 2.5.
fn effect_scale(population: &[f64]) -> Vec<f64> {
    let mut sorted: Vec<f64> = population.iter().copied().filter(|p| *p > 0.0).collect();
    sorted.sort_by(f64::total_cmp);
    let median = sorted.get(sorted.len() / 2).copied().unwrap_or(1.0);
    population
        .iter()
        .map(|p| {
            if *p > 0.0 {
                (median / p).clamp(0.05, 20.0)
            } else {
                20.0
            }
        })
        .collect()
}

/// One fitted model: the model-based estimate of every area it was fitted on.
#[derive(Debug, Clone)]
pub struct AreaModelFit {
    /// What the model is (shown beside every figure it gives).
    pub description: String,
    /// Whether the figures are shares (arcsine scale) rather than medians (log scale).
    pub share: bool,
    pub areas: Vec<FittedArea>,
}

/// One area of a fitted model.
#[derive(Debug, Clone, PartialEq)]
pub struct FittedArea {
    pub geo: String,
    pub estimate: f64,
    /// MSE on the indicator's scale (parametric bootstrap).
    pub mse: f64,
    pub ci_low: f64,
    pub ci_high: f64,
    pub respondents: u64,
    /// Weighted population of the cell (from the direct estimate).
    pub population: f64,
    /// On the model scale: the direct estimate, its (smoothed) sampling variance and the
    /// weight `γ` the EBLUP gives it.
    pub model_scale_direct: f64,
    pub sampling_variance: f64,
    pub gamma: f64,
}

/// Fits one model per (indicator, period, model level, grouping, group, sex) over the direct
/// estimates of the areas of that level (all countries); the countries' direct estimates in
/// `inputs` give the `national_estimate` covariate. Every model is reported, fitted or not.
pub fn fit_area_models(
    catalogue: &Catalogue,
    inputs: &[DirectInput],
    covariates: &AreaCovariates,
) -> Vec<(ModelRun, Option<AreaModelFit>)> {
    let Some(settings) = &catalogue.small_area else {
        return Vec::new();
    };
    let levels: Vec<GeoLevel> = settings
        .levels
        .iter()
        .filter_map(|l| GeoLevel::from_code(l))
        .collect();
    // The countries' direct estimates (a covariate).
    let national: NationalEstimates<'_> = inputs
        .iter()
        .filter(|i| i.level == GeoLevel::Country)
        .map(|i| {
            (
                (
                    i.indicator.as_str(),
                    i.period,
                    i.grouping.as_str(),
                    i.group.as_str(),
                    i.sex,
                    i.geo.as_str(),
                ),
                i.estimate,
            )
        })
        .collect();
    let mut models: BTreeMap<ModelKey, Vec<&DirectInput>> = BTreeMap::new();
    for i in inputs.iter().filter(|i| levels.contains(&i.level)) {
        let Some(ind) = catalogue.indicator(&i.indicator) else {
            continue;
        };
        if ind.small_area.is_none() {
            continue;
        }
        models
            .entry((
                i.indicator.clone(),
                i.period,
                i.level,
                i.grouping.clone(),
                i.group.clone(),
                i.sex,
            ))
            .or_default()
            .push(i);
    }
    let method = variance_method(settings);
    models
        .into_par_iter()
        .map(|(key, areas)| {
            let mut run = ModelRun {
                indicator: key.0.clone(),
                period: key.1,
                level: key.2,
                grouping: key.3.clone(),
                group: key.4.clone(),
                sex: key.5,
                areas: 0,
                figures: 0,
                skipped: None,
                sigma2_u: None,
            };
            match fit_one(
                catalogue, settings, method, &key, &areas, &national, covariates,
            ) {
                Ok((fit, areas, sigma2_u)) => {
                    run.areas = areas;
                    run.sigma2_u = Some(sigma2_u);
                    (run, Some(fit))
                }
                Err((areas, reason)) => {
                    run.areas = areas;
                    run.skipped = Some(reason);
                    (run, None)
                }
            }
        })
        .collect()
}

type NationalEstimates<'a> = HashMap<(&'a str, Period, &'a str, &'a str, Sex, &'a str), f64>;

/// Fits the model of one key: the fit, the areas it used and the area variance, or the areas
/// with a sample and covariates and why no model was fitted.
///
/// Long (about 170 lines) because it builds the model's area table in one pass (scale, areas
/// kept only with a sample, a value in the scale's range and every covariate, smoothed
/// sampling variances) and each refusal on the way (no catalogue model, too few areas, a
/// variance function or design effect that cannot be estimated, a failed fit) becomes the
/// reason the release reports.
fn fit_one(
    catalogue: &Catalogue,
    settings: &SmallAreaSettings,
    method: VarianceMethod,
    key: &ModelKey,
    areas: &[&DirectInput],
    national: &NationalEstimates<'_>,
    covariates: &AreaCovariates,
) -> Result<(AreaModelFit, usize, f64), (usize, String)> {
    let ind = catalogue.indicator(&key.0);
    let Some(model) = ind.and_then(|i| i.small_area.as_ref()) else {
        return Err((0, "no model in the catalogue".into()));
    };
    // Shares and poverty rates on the arcsine scale, medians on the log scale.
    let transform = match ind.map(|i| i.statistic) {
        Some(StatisticKind::Median) => Transform::Log,
        _ => Transform::ArcsinSqrt,
    };
    let in_range = |v: f64| match transform {
        Transform::Log => v > 0.0 && v.is_finite(),
        _ => (0.0..=1.0).contains(&v),
    };
    let model_scale = |v: f64| match transform {
        Transform::Log => v.ln(),
        _ => arcsine(v),
    };
    // Areas with a sample, a share in [0, 1] and every covariate.
    let mut names = Vec::new();
    let mut direct_share = Vec::new();
    let mut variance = Vec::new();
    let mut respondents = Vec::new();
    let mut population = Vec::new();
    let mut x: Vec<Vec<f64>> = vec![Vec::new(); model.covariates.len()];
    'areas: for a in areas {
        if a.n == 0 || !in_range(a.estimate) {
            continue;
        }
        let mut row = Vec::with_capacity(model.covariates.len());
        for c in &model.covariates {
            let v = if c == NATIONAL_ESTIMATE {
                let country = a.geo.get(..2).unwrap_or(&a.geo);
                national
                    .get(&(
                        a.indicator.as_str(),
                        a.period,
                        a.grouping.as_str(),
                        a.group.as_str(),
                        a.sex,
                        country,
                    ))
                    .copied()
                    .filter(|v| in_range(*v))
                    .map(model_scale)
            } else {
                covariates
                    .value(c, &a.group, &a.geo, a.period.last)
                    .filter(|v| (0.0..=100.0).contains(v))
                    .map(|v| arcsine(v / 100.0))
            };
            match v {
                Some(v) => row.push(v),
                None => continue 'areas,
            }
        }
        for (col, v) in x.iter_mut().zip(row) {
            col.push(v);
        }
        names.push(a.geo.clone());
        direct_share.push(a.estimate);
        variance.push(if a.variance.is_finite() {
            a.variance
        } else {
            0.0
        });
        respondents.push(a.n as f64);
        population.push(a.population);
    }
    let used = names.len();
    if used < settings.min_areas {
        return Err((
            used,
            format!(
                "{used} areas with a sample and covariates (the model needs {})",
                settings.min_areas
            ),
        ));
    }
    // Sampling variances from a variance function of the respondents: one design effect for
    // shares, a CV model for medians.
    let (deff, smoothed) = match transform {
        Transform::Log => match smooth_cv_variances(&direct_share, &variance, &respondents) {
            Ok(s) => (None, s.variances),
            Err(e) => return Err((used, format!("variance function: {e}"))),
        },
        _ => match smooth_share_variances(&direct_share, &variance, &respondents) {
            Ok(s) => (Some(s.design_effect), variance.clone()),
            Err(e) => return Err((used, format!("design effect: {e}"))),
        },
    };
    let spec = SmallAreaModel {
        method,
        transform,
        mse: MseMethod::Bootstrap {
            replicates: settings.replicates,
            seed: model_seed(key),
        },
        options: FitOptions::default(),
    };
    let input = AreaInput {
        areas: names.clone(),
        direct: direct_share,
        sampling_variance: smoothed,
        respondents: Some(respondents.clone()),
        design_effect: deff,
        covariates: model.covariates.iter().cloned().zip(x).collect(),
        effect_scale: Some(effect_scale(&population)),
    };
    let result = estimate_small_areas(input, spec).map_err(|e| (used, e.to_string()))?;
    let scale = match (transform, deff) {
        (Transform::Log, _) => "log scale, sampling variances from a CV model of the \
                                respondents, bias-corrected back-transformation"
            .to_string(),
        (_, Some(d)) => format!(
            "arcsine-square-root scale, design effect {d:.2}, bias-corrected \
             back-transformation"
        ),
        (_, None) => "arcsine-square-root scale".to_string(),
    };
    let description = format!(
        "Fay-Herriot area-level model over {used} {} ({} variance of the area effects, \
         inversely proportional to the group's population; {scale}); covariates: {} ({}); \
         RMSE by parametric bootstrap ({} replicates)",
        key.2.label().to_lowercase(),
        match method {
            VarianceMethod::Reml => "REML",
            VarianceMethod::Ml => "ML",
            VarianceMethod::AdjustedReml => "adjusted REML (Li-Lahiri)",
            VarianceMethod::AdjustedRemlYl => "adjusted REML (Yoshimori-Lahiri)",
        },
        model.covariates.join(", "),
        covariates.dataset,
        settings.replicates
    );
    let fitted = result
        .areas
        .iter()
        .enumerate()
        .map(|(i, a)| FittedArea {
            geo: a.area.clone(),
            estimate: a.estimate,
            mse: a.mse,
            ci_low: a.ci_low,
            ci_high: a.ci_high,
            respondents: respondents[i] as u64,
            population: population[i],
            model_scale_direct: a.model_scale.direct,
            sampling_variance: a.model_scale.sampling_variance,
            gamma: a.gamma,
        })
        .collect();
    Ok((
        AreaModelFit {
            description,
            share: transform == Transform::ArcsinSqrt,
            areas: fitted,
        },
        used,
        result.fit.sigma2_u,
    ))
}

/// Fits every model and returns the model-based figures, one for every area whose direct
/// figure is flagged or suppressed, with a record of every model.
pub fn model_based_figures(
    catalogue: &Catalogue,
    direct: &[Figure],
    inputs: &[DirectInput],
    covariates: &AreaCovariates,
    rules: &RuleSet,
) -> (Vec<Figure>, Vec<ModelRun>) {
    // The direct figures' flags, to know which cells need a model-based figure.
    let direct_flags: HashMap<CellKey<'_>, (Flag, Source)> = direct
        .iter()
        .filter(|f| f.measure == Measure::Level)
        .map(|f| (f.cell(), (f.estimate.flag, f.source)))
        .collect();
    let mut figures = Vec::new();
    let mut runs = Vec::new();
    for (mut run, fit) in fit_area_models(catalogue, inputs, covariates) {
        let Some(fit) = fit else {
            runs.push(run);
            continue;
        };
        for a in &fit.areas {
            let flag_key = (
                run.indicator.as_str(),
                run.period.first,
                run.period.last,
                run.level,
                a.geo.as_str(),
                run.grouping.as_str(),
                run.group.as_str(),
                run.sex,
                Measure::Level,
            );
            let Some(&(flag, source)) = direct_flags.get(&flag_key) else {
                continue;
            };
            if flag == Flag::Reliable {
                continue;
            }
            let country = a.geo.get(..2).unwrap_or(&a.geo);
            let Ok(rules) = rules.model_rules_for(country) else {
                continue;
            };
            let estimate = Estimate::publish_model_based(
                a.estimate,
                a.mse,
                (a.ci_low, a.ci_high),
                a.respondents,
                a.population,
                fit.share,
                &rules,
            );
            figures.push(Figure {
                indicator: run.indicator.clone(),
                source,
                first_year: run.period.first,
                year: run.period.last,
                geo_level: run.level,
                geo: a.geo.clone(),
                grouping: run.grouping.clone(),
                group: run.group.clone(),
                reference_group: None,
                sex: run.sex,
                measure: Measure::Level,
                estimate,
                method: FigureMethod::ModelBased {
                    model: fit.description.clone(),
                },
            });
            run.figures += 1;
        }
        runs.push(run);
    }
    (figures, runs)
}

/// Reliability of the migrant-group cells of one level: levels (not gaps) of every target
/// group except the groupings' reference groups, both sexes together.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct LevelReliability {
    pub cells: usize,
    /// Published without a flag by the direct estimate.
    pub direct_reliable: usize,
    pub direct_flagged: usize,
    pub direct_suppressed: usize,
    /// Published without a flag by the direct or, failing that, the model-based estimate.
    pub best_reliable: usize,
    /// ... of which model-based.
    pub model_reliable: usize,
}

/// The share of migrant-group cells published reliably, per level, before and after the
/// model-based figures.
pub fn reliability_by_level(
    catalogue: &Catalogue,
    figures: &[Figure],
) -> BTreeMap<GeoLevel, LevelReliability> {
    let references: Vec<&str> = catalogue
        .groupings
        .iter()
        .map(|g| g.reference.as_str())
        .collect();
    let migrant = |f: &Figure| {
        f.measure == Measure::Level
            && f.sex == Sex::Total
            && f.grouping != "total"
            && !references.contains(&f.group.as_str())
    };
    let model_reliable: std::collections::HashSet<CellKey<'_>> = figures
        .iter()
        .filter(|f| {
            migrant(f)
                && matches!(f.method, FigureMethod::ModelBased { .. })
                && f.estimate.flag == Flag::Reliable
        })
        .map(Figure::cell)
        .collect();
    let mut out: BTreeMap<GeoLevel, LevelReliability> = BTreeMap::new();
    for f in figures
        .iter()
        .filter(|f| migrant(f) && f.method == FigureMethod::Direct)
    {
        let r = out.entry(f.geo_level).or_default();
        r.cells += 1;
        match f.estimate.flag {
            Flag::Reliable => {
                r.direct_reliable += 1;
                r.best_reliable += 1;
            }
            flag => {
                if flag == Flag::LowReliability {
                    r.direct_flagged += 1;
                } else {
                    r.direct_suppressed += 1;
                }
                if model_reliable.contains(&f.cell()) {
                    r.best_reliable += 1;
                    r.model_reliable += 1;
                }
            }
        }
    }
    out
}
