//! Changes of share levels between the single years of a source: for every pair of years,
//! every domain with a level in both, `level(to) − level(from)` with the covariance of the two
//! years' estimates from the PSUs their samples share
//! ([`incity_estimation::change_with_shared_psus`]). A PSU is the same in both years when its
//! country, stratum and PSU codes are (the codes a rotating survey keeps for a PSU it visits
//! again); samples that share none are treated as independent, and each change says which.
//!
//! The domains are rebuilt from the same cells as the levels ([`super::shares::task_domains`]),
//! one task (indicator × level × grouping) at a time, so no year's scores are held beyond its
//! task.

use std::collections::{BTreeMap, HashMap};

use super::shares::task_domains;
use super::*;
use incity_estimation::{
    change_with_shared_psus, estimate_linear_batch, figure_interval, DomainSums, Estimate,
    LinearKind, LinearStatistic, LinearVariance, PeriodEstimate, PointAndVariance, RuleBasis,
};
use incity_indicators::catalogue::{Catalogue, Indicator};
use incity_indicators::{ChangeFigure, GeoLevel};

/// A PSU's identity across years: (country/stratum, PSU code).
type PsuLabel = (String, String);

/// One year of a source: its cells, their PSUs in the year's design, and the levels coded.
struct Year<'c> {
    year: i32,
    cells: Vec<&'c Cell>,
    design: SampleDesign,
    psus: Vec<PsuRef>,
    coded: Vec<u8>,
    labels: HashMap<PsuRef, PsuLabel>,
}

/// A domain's level in one year, before the change is formed.
struct YearLevel {
    pv: PointAndVariance,
    basis: RuleBasis,
    flag: incity_estimation::Flag,
    scores: Vec<(PsuLabel, f64)>,
}

pub(super) fn estimate_share_changes(
    input: &SourceInput,
    catalogue: &Catalogue,
    shares: &[&Indicator],
    cells: &[Cell],
    rules: &CountryRules<'_>,
) -> Result<Vec<ChangeFigure>, PipelineError> {
    let years: std::collections::BTreeSet<i32> = cells.iter().map(|c| c.key.year).collect();
    if years.len() < 2 {
        return Ok(Vec::new());
    }
    let lonely = rules.set.lonely_psu_for(&input.source);
    let years: Vec<Year> = years
        .into_iter()
        .map(|year| {
            let mine: Vec<&Cell> = cells.iter().filter(|c| c.key.year == year).collect();
            let keys: Vec<&Key> = mine.iter().map(|c| &c.key).collect();
            let period = Period {
                first: year,
                last: year,
            };
            let (design, psus, coded) = period_sample(period, &keys, lonely)?;
            let labels = keys
                .iter()
                .zip(&psus)
                .map(|(k, p)| {
                    let country = k.geo[0].as_deref().unwrap_or("");
                    (*p, (format!("{country}/{}", k.stratum), k.psu.clone()))
                })
                .collect();
            Ok(Year {
                year,
                cells: mine,
                design,
                psus,
                coded,
                labels,
            })
        })
        .collect::<Result<_, PipelineError>>()?;
    let tasks = share_tasks(shares.len(), catalogue.groupings.len());
    let per_task = tasks
        .par_iter()
        .map(|&(k, l, g)| -> Result<Vec<ChangeFigure>, PipelineError> {
            let levels: Vec<BTreeMap<DomainKey, YearLevel>> = years
                .iter()
                .map(|y| year_levels(y, (k, l, g), rules))
                .collect::<Result<_, _>>()?;
            let mut out = Vec::new();
            for (i, from) in years.iter().enumerate() {
                for (j, to) in years.iter().enumerate().skip(i + 1) {
                    for (key, before) in &levels[i] {
                        let Some(after) = levels[j].get(key) else {
                            continue;
                        };
                        let rules = rules.of(&key.0)?;
                        let change = change_with_shared_psus(
                            &PeriodEstimate {
                                estimate: before.pv.estimate,
                                variance: before.pv.variance,
                                scores: &before.scores,
                            },
                            &PeriodEstimate {
                                estimate: after.pv.estimate,
                                variance: after.pv.variance,
                                scores: &after.scores,
                            },
                        );
                        let pv = PointAndVariance {
                            estimate: change.estimate,
                            variance: change.variance,
                            n: before.pv.n + after.pv.n,
                            population: (before.pv.population + after.pv.population) / 2.0,
                            srs_variance: None,
                            degrees_of_freedom: before
                                .pv
                                .degrees_of_freedom
                                .min(after.pv.degrees_of_freedom),
                        };
                        let basis = RuleBasis::gap(&before.basis, &after.basis);
                        let estimate = Estimate::publish_with(
                            &pv,
                            figure_interval(true, true, None),
                            0.95,
                            &rules,
                            &basis,
                        )
                        .with_parts(before.flag, after.flag);
                        out.push(ChangeFigure {
                            indicator: shares[k].id.clone(),
                            source: shares[k].source,
                            from_year: from.year,
                            to_year: to.year,
                            geo_level: GeoLevel::ALL[l],
                            geo: key.0.clone(),
                            grouping: g
                                .map(|g| catalogue.groupings[g].id.clone())
                                .unwrap_or_else(|| "total".into()),
                            group: key.1.clone(),
                            sex: key.2,
                            estimate,
                            covariance: change.covariance_basis,
                            shared_psus: change.shared_psus,
                        });
                    }
                }
            }
            Ok(out)
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(per_task.into_iter().flatten().collect())
}

/// A task's domain levels in one year, with their publication decision (as the level figure
/// of that year takes it) and their PSU scores keyed by PSU label.
fn year_levels(
    y: &Year,
    task: (usize, usize, Option<usize>),
    rules: &CountryRules<'_>,
) -> Result<BTreeMap<DomainKey, YearLevel>, PipelineError> {
    let (domains, _) = task_domains(&y.cells, &y.psus, &y.coded, task, 1.0, false, None);
    let keys: Vec<DomainKey> = domains.keys().cloned().collect();
    let sums: Vec<DomainSums> = domains.into_values().map(DomainSums::from_cells).collect();
    let stats: Vec<LinearStatistic<'_>> = sums
        .iter()
        .map(|d| LinearStatistic {
            kind: LinearKind::Ratio,
            domain: d,
            reference: None,
        })
        .collect();
    let results = estimate_linear_batch(&y.design, &stats, &LinearVariance::Linearization)?;
    let mut out = BTreeMap::new();
    for ((key, result), stat) in keys.into_iter().zip(results).zip(&stats) {
        // A domain without an estimate in this year (no denominator) has no change.
        let Ok(pv) = result else { continue };
        let basis = RuleBasis::level(&pv, true);
        let flag = Estimate::publish_with(
            &pv,
            figure_interval(false, true, None),
            0.95,
            &rules.of(&key.0)?,
            &basis,
        )
        .flag;
        let scores = stat
            .linearised_scores()?
            .into_iter()
            .filter_map(|(p, z)| y.labels.get(&p).map(|l| (l.clone(), z)))
            .collect();
        out.insert(
            key,
            YearLevel {
                pv,
                basis,
                flag,
                scores,
            },
        );
    }
    Ok(out)
}
