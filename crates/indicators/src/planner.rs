//! The precision planner: what sample would publish an indicator for a city's (or region's)
//! migrant groups, from the figures of a published release.
//!
//! For every cell (indicator × area × migrant group, both sexes, latest single year) it gives
//! the current respondents, design effect, CV and flag; then, from a *planning value* of the
//! estimate and the design effect, the respondents needed for each target CV and to pass the
//! publication rules (see [`incity_estimation::planning`] for the formulas), the oversampling
//! of the cell this implies, the years of pooling that would reach it, and the same for a
//! model-based figure where the release has one.
//!
//! **Confidentiality.** The planner reads only what the release publishes. A plan's respondent
//! counts are a function of the planning value (`n = deff (1 - p) / (p c²)` for a share), so
//! the planning value of a cell whose direct figure is not published is never that figure: it
//! is the cell's published model-based estimate, or else the country's published figure for
//! the same group (each row names its planning value's source). The current respondents of a
//! cell suppressed for too few respondents are given as "fewer than" the rule's minimum, and
//! the oversampling and pooling it implies as lower bounds.

use std::collections::HashMap;

use incity_estimation::{pooled_years, Flag, FlagReason, ModelPlanning, PlanningBasis};

use crate::catalogue::{Catalogue, StatisticKind};
use crate::rules::RuleSet;
use crate::{Figure, FigureMethod, GeoLevel, Measure, Sex};

/// Target CVs when none are asked for: 10 %, 16.6 % (Eurostat's limit for reliable LFS
/// figures) and 20 %.
pub const DEFAULT_TARGET_CVS: [f64; 3] = [0.10, 0.166, 0.20];

/// Which cells to plan.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanRequest {
    pub level: GeoLevel,
    pub geo: Option<String>,
    pub indicator: Option<String>,
    pub group: Option<String>,
    pub target_cvs: Vec<f64>,
}

/// Where a plan's anticipated value of the estimate comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanningSource {
    /// The cell's published direct figure.
    Direct,
    /// The cell's published model-based figure (the direct one is not published).
    ModelBased,
    /// The country's published figure for the same indicator, group, sex and year.
    Country,
}

impl PlanningSource {
    pub fn code(self) -> &'static str {
        match self {
            PlanningSource::Direct => "direct",
            PlanningSource::ModelBased => "model-based",
            PlanningSource::Country => "country",
        }
    }
}

/// The cell's current respondents as far as the release publishes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Respondents {
    Known(u64),
    /// Suppressed for too few respondents: fewer than this.
    FewerThan(u64),
    /// Suppressed for another reason and no model-based figure: not published.
    NotPublished,
}

/// A number of respondents and what it implies for the cell's sample.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Requirement {
    pub respondents: u64,
    /// Respondents needed over current respondents (a lower bound when the current number is
    /// only known to be below a limit).
    pub oversampling: Option<f64>,
    /// Years of the current sample to pool (a lower bound likewise).
    pub pooled_years: Option<u64>,
    /// Whether `oversampling` and `pooled_years` are lower bounds.
    pub lower_bounds: bool,
}

/// The plan of one cell.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanRow {
    pub indicator: String,
    pub year: i32,
    pub geo_level: GeoLevel,
    pub geo: String,
    pub grouping: String,
    pub group: String,
    pub flag: Flag,
    pub respondents: Respondents,
    /// Design effect used (the cell's, or the median of the level's published figures).
    pub deff: Option<f64>,
    /// Current CV of the published direct figure.
    pub cv: Option<f64>,
    pub planning_value: Option<(f64, PlanningSource)>,
    /// Per target CV (in the request's order): the respondents needed, if a basis exists.
    pub for_cv: Vec<(f64, Option<Requirement>)>,
    /// To be published without a flag by the direct estimate.
    pub to_publish: Option<Requirement>,
    /// The model-based figure: its flag and RMSE now, and the respondents with which it would
    /// be published without a flag.
    pub model: Option<ModelPlan>,
    /// Why a cell has no plan.
    pub note: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ModelPlan {
    pub flag: Flag,
    pub rmse: Option<f64>,
    pub to_publish: Option<Requirement>,
}

/// A share's design effect: the published one, or else implied by its standard error,
/// `se² n / (p (1 - p))` (the poverty rate's estimator publishes none).
fn design_effect(x: &incity_estimation::Figures) -> Option<f64> {
    x.deff.or_else(|| {
        let p = x.estimate;
        let se = x.standard_error()?;
        (p > 0.0 && p < 1.0 && x.n > 0).then(|| se * se * x.n as f64 / (p * (1.0 - p)))
    })
}

fn median(mut v: Vec<f64>) -> Option<f64> {
    v.retain(|x| x.is_finite());
    v.sort_by(f64::total_cmp);
    (!v.is_empty()).then(|| v[v.len() / 2])
}

/// Level-wide precision of one indicator and group: medians over the published direct figures.
#[derive(Debug, Clone, Copy, Default)]
struct LevelPrecision {
    deff: Option<f64>,
    df_per_respondent: Option<f64>,
    /// `cv² · n` (the relative variance per respondent), for statistics that are not shares.
    relative_unit_variance: Option<f64>,
}

/// The published values [`LevelPrecision`] takes the medians of.
#[derive(Default)]
struct PrecisionValues {
    deff: Vec<f64>,
    df_per_respondent: Vec<f64>,
    relative_unit_variance: Vec<f64>,
}

/// What the planner knows of a release: its latest single-year levels (both sexes), the
/// countries' published figures, the level's precision and the model-based figures.
struct Published<'a> {
    latest: HashMap<&'a str, i32>,
    country: HashMap<(&'a str, &'a str, &'a str), f64>,
    precision: HashMap<(&'a str, &'a str), LevelPrecision>,
    model: HashMap<crate::CellKey<'a>, &'a Figure>,
}

impl<'a> Published<'a> {
    fn new(figures: &'a [Figure], level: GeoLevel) -> Self {
        let mut latest: HashMap<&str, i32> = HashMap::new();
        for f in figures {
            let y = latest.entry(f.indicator.as_str()).or_insert(f.year);
            *y = (*y).max(f.year);
        }
        let mut p = Published {
            latest,
            country: HashMap::new(),
            precision: HashMap::new(),
            model: HashMap::new(),
        };
        let mut values: HashMap<(&str, &str), PrecisionValues> = HashMap::new();
        for f in figures {
            if !p.in_scope(f) {
                continue;
            }
            if matches!(f.method, FigureMethod::ModelBased { .. }) {
                p.model.insert(f.cell(), f);
                continue;
            }
            let Some(x) = f.estimate.figures else {
                continue;
            };
            if f.geo_level == GeoLevel::Country {
                p.country.insert(
                    (f.indicator.as_str(), f.geo.as_str(), f.group.as_str()),
                    x.estimate,
                );
            }
            if f.geo_level != level {
                continue;
            }
            for key in [
                (f.indicator.as_str(), f.group.as_str()),
                (f.indicator.as_str(), ""),
            ] {
                let v = values.entry(key).or_default();
                v.deff.extend(design_effect(&x));
                if x.n > 0 && x.df != usize::MAX {
                    v.df_per_respondent.push(x.df as f64 / x.n as f64);
                }
                if let Some(cv) = x.cv {
                    v.relative_unit_variance.push(cv * cv * x.n as f64);
                }
            }
        }
        p.precision = values
            .into_iter()
            .map(|(k, v)| {
                (
                    k,
                    LevelPrecision {
                        deff: median(v.deff),
                        df_per_respondent: median(v.df_per_respondent),
                        relative_unit_variance: median(v.relative_unit_variance),
                    },
                )
            })
            .collect();
        p
    }

    /// Levels of the latest single year, both sexes.
    fn in_scope(&self, f: &Figure) -> bool {
        f.measure == Measure::Level
            && f.sex == Sex::Total
            && !f.is_pooled()
            && self.latest.get(f.indicator.as_str()) == Some(&f.year)
    }

    fn level_precision(&self, f: &Figure) -> LevelPrecision {
        self.precision
            .get(&(f.indicator.as_str(), f.group.as_str()))
            .or_else(|| self.precision.get(&(f.indicator.as_str(), "")))
            .copied()
            .unwrap_or_default()
    }
}

/// Plans the cells of `figures` (a release) that the request selects.
pub fn plan(
    catalogue: &Catalogue,
    figures: &[Figure],
    rules: &RuleSet,
    request: &PlanRequest,
) -> Vec<PlanRow> {
    let references: Vec<&str> = catalogue
        .groupings
        .iter()
        .map(|g| g.reference.as_str())
        .collect();
    let published = Published::new(figures, request.level);
    figures
        .iter()
        .filter(|f| {
            published.in_scope(f)
                && f.method == FigureMethod::Direct
                && f.geo_level == request.level
                && f.grouping != "total"
                && !references.contains(&f.group.as_str())
                && request.geo.as_deref().is_none_or(|g| g == f.geo)
                && request
                    .indicator
                    .as_deref()
                    .is_none_or(|i| i == f.indicator)
                && request.group.as_deref().is_none_or(|g| g == f.group)
        })
        .filter_map(|f| {
            let indicator = catalogue.indicator(&f.indicator)?;
            let share = indicator.statistic != StatisticKind::Median;
            Some(plan_cell(f, share, &published, rules, &request.target_cvs))
        })
        .collect()
}

/// The plan of one cell (its direct figure `f`).
fn plan_cell(
    f: &Figure,
    share: bool,
    published: &Published<'_>,
    rules: &RuleSet,
    target_cvs: &[f64],
) -> PlanRow {
    let level = published.level_precision(f);
    let model_figure = published.model.get(&f.cell()).copied();
    let model_published = model_figure.and_then(|m| m.estimate.figures);
    let direct = f.estimate.figures;
    let country = f.geo.get(..2).unwrap_or(&f.geo);
    let respondents = match (direct, model_published, f.estimate.reason) {
        (Some(x), _, _) => Respondents::Known(x.n),
        (None, Some(m), _) => Respondents::Known(m.n),
        (None, None, Some(FlagReason::Respondents)) => match rules.rules_for(country) {
            Ok(r) => Respondents::FewerThan(r.suppress_below_n),
            Err(_) => Respondents::NotPublished,
        },
        _ => Respondents::NotPublished,
    };
    let planning_value = match (direct, model_published) {
        (Some(x), _) => Some((x.estimate, PlanningSource::Direct)),
        (None, Some(m)) => Some((m.estimate, PlanningSource::ModelBased)),
        (None, None) => published
            .country
            .get(&(f.indicator.as_str(), country, f.group.as_str()))
            .map(|v| (*v, PlanningSource::Country)),
    };
    let deff = direct.as_ref().and_then(design_effect).or(level.deff);
    let df_per_respondent = direct
        .filter(|x| x.n > 0 && x.df != usize::MAX)
        .map(|x| x.df as f64 / x.n as f64)
        .or(level.df_per_respondent)
        .unwrap_or(f64::INFINITY);
    let population = direct
        .map(|x| x.population)
        .or(model_published.map(|m| m.population))
        .unwrap_or(f64::INFINITY);
    let basis = planning_value.and_then(|(p, _)| match (share, direct) {
        (true, _) => PlanningBasis::share(p, deff?, df_per_respondent, population),
        (false, Some(x)) => {
            PlanningBasis::from_standard_error(p, x.se, x.n, df_per_respondent, population)
        }
        (false, None) => PlanningBasis::from_relative_variance(
            p,
            level.relative_unit_variance?,
            df_per_respondent,
            population,
        ),
    });
    let requirement = |needed: u64| -> Requirement {
        let (current, lower_bounds) = match respondents {
            Respondents::Known(n) => (Some(n), false),
            Respondents::FewerThan(t) => (Some(t.saturating_sub(1)), true),
            Respondents::NotPublished => (None, false),
        };
        Requirement {
            respondents: needed,
            oversampling: current.filter(|n| *n > 0).map(|n| needed as f64 / n as f64),
            pooled_years: current.and_then(|n| pooled_years(needed, n)),
            lower_bounds,
        }
    };
    let note = match (planning_value, basis) {
        (None, _) => Some("no published planning value (cell, model or country)".to_string()),
        (Some(_), None) => {
            Some("no design effect or precision published at this level".to_string())
        }
        _ => None,
    };
    let for_cv = target_cvs
        .iter()
        .map(|&c| {
            (
                c,
                basis.and_then(|b| b.respondents_for_cv(c)).map(requirement),
            )
        })
        .collect();
    let to_publish = basis
        .zip(rules.rules_for(country).ok())
        .and_then(|(b, r)| b.respondents_to_publish(&r))
        .map(requirement);
    let model = model_figure.map(|m| {
        let current = m.estimate.figures;
        let to_publish = match (basis, current, rules.model_rules_for(country).ok()) {
            (Some(b), Some(x), Some(r)) => ModelPlanning::from_current(b, x.se * x.se, x.n)
                .and_then(|mp| mp.respondents_to_publish(&r))
                .map(requirement),
            _ => None,
        };
        ModelPlan {
            flag: m.estimate.flag,
            rmse: current.map(|x| x.se),
            to_publish,
        }
    });
    PlanRow {
        indicator: f.indicator.clone(),
        year: f.year,
        geo_level: f.geo_level,
        geo: f.geo.clone(),
        grouping: f.grouping.clone(),
        group: f.group.clone(),
        flag: f.estimate.flag,
        respondents,
        deff,
        cv: direct.and_then(|x| x.cv),
        planning_value,
        for_cv,
        to_publish,
        model,
        note,
    }
}

/// A target CV as written in column names and tables: `10`, `16.6`.
pub fn cv_label(cv: f64) -> String {
    let pct = format!("{:.1}", cv * 100.0);
    pct.strip_suffix(".0").unwrap_or(&pct).to_string()
}

impl Respondents {
    /// `37`, `<20`, or empty when not published.
    pub fn text(self) -> String {
        match self {
            Respondents::Known(n) => n.to_string(),
            Respondents::FewerThan(t) => format!("<{t}"),
            Respondents::NotPublished => String::new(),
        }
    }
}

/// Writes a plan as CSV: one row per cell; for each target CV and for publication (direct,
/// then model-based) the respondents needed, the oversampling factor and the years to pool;
/// `lower_bounds` is true where the current respondents are only known to be below the rule's
/// minimum (the factors and years are then lower bounds).
pub fn write_csv(
    path: &std::path::Path,
    target_cvs: &[f64],
    rows: &[PlanRow],
) -> Result<(), csv::Error> {
    let mut w = csv::Writer::from_path(path)?;
    let mut header: Vec<String> = [
        "indicator",
        "year",
        "geo_level",
        "geo",
        "grouping",
        "group",
        "flag",
        "respondents",
        "deff",
        "cv",
        "planning_value",
        "planning_source",
    ]
    .map(String::from)
    .to_vec();
    let requirement_columns =
        |suffix: &str| ["n", "oversampling", "pooled_years"].map(|c| format!("{c}_{suffix}"));
    for c in target_cvs {
        header.extend(requirement_columns(&format!("cv_{}", cv_label(*c))));
    }
    header.extend(requirement_columns("publish"));
    header.extend(["model_flag".into(), "model_rmse".into()]);
    header.extend(requirement_columns("publish_model"));
    header.extend(["lower_bounds".into(), "note".into()]);
    w.write_record(&header)?;
    let number =
        |v: Option<f64>, digits: usize| v.map(|v| format!("{v:.digits$}")).unwrap_or_default();
    let requirement = |r: Option<Requirement>| -> [String; 3] {
        [
            r.map(|r| r.respondents.to_string()).unwrap_or_default(),
            number(r.and_then(|r| r.oversampling), 2),
            r.and_then(|r| r.pooled_years)
                .map(|y| y.to_string())
                .unwrap_or_default(),
        ]
    };
    for row in rows {
        let mut record = vec![
            row.indicator.clone(),
            row.year.to_string(),
            row.geo_level.code().to_string(),
            row.geo.clone(),
            row.grouping.clone(),
            row.group.clone(),
            row.flag.code().to_string(),
            row.respondents.text(),
            number(row.deff, 3),
            number(row.cv, 4),
            number(row.planning_value.map(|p| p.0), 6),
            row.planning_value
                .map(|p| p.1.code().to_string())
                .unwrap_or_default(),
        ];
        for (_, r) in &row.for_cv {
            record.extend(requirement(*r));
        }
        record.extend(requirement(row.to_publish));
        record.push(
            row.model
                .map(|m| m.flag.code().to_string())
                .unwrap_or_default(),
        );
        record.push(number(row.model.and_then(|m| m.rmse), 6));
        record.extend(requirement(row.model.and_then(|m| m.to_publish)));
        record.push(matches!(row.respondents, Respondents::FewerThan(_)).to_string());
        record.push(row.note.clone().unwrap_or_default());
        w.write_record(&record)?;
    }
    w.flush()?;
    Ok(())
}
