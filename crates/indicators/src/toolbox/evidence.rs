//! The toolbox's evidence from a release: how many city figures for migrant groups are
//! published, what precision a survey reaches for a typical city and group (the precision
//! planner over the release), and what pooling years gains. Like the planner, it reads only
//! *published* numbers: a withheld figure has none, so it can only be counted.

use std::collections::{BTreeMap, BTreeSet};

use incity_estimation::publication::Flag;

use crate::planner::{plan, PlanRequest, Respondents};
use crate::rules::RuleSet;
use crate::{Catalogue, Figure, FigureMethod, GeoLevel, Measure, Sex};

/// The group whose city figures stand for "a typical migrant group" (the non-EU-born, the
/// core target group of EU integration policy).
pub const TYPICAL_GROUP: &str = "non_eu_born";

/// The target coefficient of variation of the precision shown for sources: 16.6 %, Eurostat's
/// limit for reliable EU-LFS figures (also the planner's middle default).
pub const TARGET_CV: f64 = 0.166;

/// City figures for migrant groups in a release's latest year of each indicator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CityCells {
    /// Direct figures (levels, both sexes, single years) of migrant groups (every group that
    /// is not a reference group) in cities.
    pub cells: usize,
    /// Of these, published without a flag.
    pub reliable_direct: usize,
    /// Published without a flag directly or by a model-based figure of the same cell.
    pub reliable_with_models: usize,
}

/// Whether `f` is a both-sexes level of a migrant (non-reference) group.
fn migrant_group_level(catalogue: &Catalogue, f: &Figure) -> bool {
    f.measure == Measure::Level
        && f.sex == Sex::Total
        && f.grouping != "total"
        && catalogue
            .groupings
            .iter()
            .all(|g| g.reference != f.group || g.id != f.grouping)
}

/// A both-sexes level's cell without its method and period start: the direct and the
/// model-based figure of a cell, or a pooled and a single-year figure ending the same year,
/// share it.
fn key(f: &Figure) -> (&str, i32, &str, &str, &str) {
    (&f.indicator, f.year, &f.geo, &f.grouping, &f.group)
}

/// Counts the city figures for migrant groups of each indicator's latest year in `figures`.
pub fn city_cells(catalogue: &Catalogue, figures: &[Figure]) -> CityCells {
    let city: Vec<&Figure> = figures
        .iter()
        .filter(|f| {
            f.geo_level == GeoLevel::City && !f.is_pooled() && migrant_group_level(catalogue, f)
        })
        .collect();
    let mut latest: BTreeMap<&str, i32> = BTreeMap::new();
    for f in &city {
        let y = latest.entry(f.indicator.as_str()).or_insert(f.year);
        *y = (*y).max(f.year);
    }
    let model_reliable: BTreeSet<_> = city
        .iter()
        .filter(|f| {
            matches!(f.method, FigureMethod::ModelBased { .. }) && f.estimate.flag == Flag::Reliable
        })
        .map(|f| key(f))
        .collect();
    let mut out = CityCells::default();
    for f in city.iter().filter(|f| {
        f.method == FigureMethod::Direct && latest.get(f.indicator.as_str()) == Some(&f.year)
    }) {
        out.cells += 1;
        let direct = f.estimate.flag == Flag::Reliable;
        out.reliable_direct += usize::from(direct);
        out.reliable_with_models += usize::from(direct || model_reliable.contains(&key(f)));
    }
    out
}

/// The precision a survey reaches for the typical migrant group in a city: the planner over
/// the release's city figures of one indicator and [`TYPICAL_GROUP`].
#[derive(Debug, Clone, PartialEq)]
pub struct SourcePrecision {
    pub indicator: String,
    pub group: String,
    pub year: i32,
    /// Cities with a direct figure of the group.
    pub cities: usize,
    /// Of these, published without a flag.
    pub reliable: usize,
    /// Median respondents of the cities whose number is published.
    pub median_respondents: Option<u64>,
    /// Median CV of the published figures.
    pub median_cv: Option<f64>,
    /// Median respondents the planner finds for [`TARGET_CV`].
    pub median_for_target_cv: Option<u64>,
    /// Median respondents to pass the publication rules without a flag.
    pub median_to_publish: Option<u64>,
}

/// The median of `values` (the lower middle value for an even count), or `None` when empty.
fn median<T: PartialOrd + Copy>(mut values: Vec<T>) -> Option<T> {
    values.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    values.get(values.len().saturating_sub(1) / 2).copied()
}

/// The precision of `indicator`'s city figures for [`TYPICAL_GROUP`] in its latest year;
/// `None` when the release has no such figure.
pub fn source_precision(
    catalogue: &Catalogue,
    figures: &[Figure],
    rules: &RuleSet,
    indicator: &str,
) -> Option<SourcePrecision> {
    let rows = plan(
        catalogue,
        figures,
        rules,
        &PlanRequest {
            level: GeoLevel::City,
            geo: None,
            indicator: Some(indicator.to_string()),
            group: Some(TYPICAL_GROUP.to_string()),
            target_cvs: vec![TARGET_CV],
        },
    );
    let first = rows.first()?;
    let known = |r: &&crate::planner::PlanRow| match r.respondents {
        Respondents::Known(n) => Some(n),
        _ => None,
    };
    Some(SourcePrecision {
        indicator: indicator.to_string(),
        group: TYPICAL_GROUP.to_string(),
        year: first.year,
        cities: rows.len(),
        reliable: rows.iter().filter(|r| r.flag == Flag::Reliable).count(),
        median_respondents: median(rows.iter().filter_map(|r| known(&r)).collect()),
        median_cv: median(rows.iter().filter_map(|r| r.cv).collect()),
        median_for_target_cv: median(
            rows.iter()
                .filter_map(|r| r.for_cv.first().and_then(|(_, q)| q.map(|q| q.respondents)))
                .collect(),
        ),
        median_to_publish: median(
            rows.iter()
                .filter_map(|r| r.to_publish.map(|q| q.respondents))
                .collect(),
        ),
    })
}

/// What pooling years gains: pooled direct figures against the single-year figure of the same
/// cell in the pool's last year, both published.
#[derive(Debug, Clone, PartialEq)]
pub struct PoolingGain {
    /// Cells with both a published pooled and a published single-year standard error.
    pub pairs: usize,
    /// Median of the pooled standard error over the single year's.
    pub median_se_ratio: f64,
    /// Cells (city and NUTS 2 migrant groups) published without a flag: single years / pooled.
    pub reliable_single: usize,
    pub reliable_pooled: usize,
    /// The pooled periods' length in years.
    pub years: i32,
}

/// `None` when the release has no pooled figures with a published single-year counterpart.
pub fn pooling_gain(catalogue: &Catalogue, figures: &[Figure]) -> Option<PoolingGain> {
    let small = |f: &Figure| {
        matches!(f.geo_level, GeoLevel::City | GeoLevel::Nuts2)
            && f.method == FigureMethod::Direct
            && migrant_group_level(catalogue, f)
    };
    let pooled: Vec<&Figure> = figures
        .iter()
        .filter(|f| small(f) && f.is_pooled())
        .collect();
    let years = pooled.first().map(|f| f.year - f.first_year + 1)?;
    let single: BTreeMap<_, &Figure> = figures
        .iter()
        .filter(|f| small(f) && !f.is_pooled())
        .map(|f| (key(f), f))
        .collect();
    let mut ratios = Vec::new();
    let (mut reliable_single, mut reliable_pooled) = (0, 0);
    for p in &pooled {
        let Some(s) = single.get(&key(p)) else {
            continue;
        };
        reliable_single += usize::from(s.estimate.flag == Flag::Reliable);
        reliable_pooled += usize::from(p.estimate.flag == Flag::Reliable);
        if let (Some(a), Some(b)) = (p.estimate.figures, s.estimate.figures) {
            if a.se.is_finite() && b.se.is_finite() && b.se > 0.0 {
                ratios.push(a.se / b.se);
            }
        }
    }
    Some(PoolingGain {
        pairs: ratios.len(),
        median_se_ratio: median(ratios)?,
        reliable_single,
        reliable_pooled,
        years,
    })
}
