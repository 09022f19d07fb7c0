//! Medians and poverty rates: unit values per domain (and the national thresholds), estimated
//! per period, level, grouping and sex, with differences and ratios to the reference group.

use super::*;
use std::collections::BTreeMap;

use crate::PipelineError;
use datafusion::arrow::array::Array;
use datafusion::arrow::datatypes::{Float64Type, Int64Type};
use datafusion::prelude::SessionContext;
use incity_estimation::{
    estimate_nonlinear, figure_interval, Estimate, Gap, NonlinearKind, NonlinearVariance,
    QuantileRule, RuleBasis, UnitData, POVERTY_THRESHOLD_SHARE_OF_MEDIAN,
};

use incity_indicators::catalogue::{Catalogue, Indicator, StatisticKind};
use incity_indicators::{Figure, GeoLevel, Measure};

/// One person of the second query.
struct Unit {
    key: Key,
    /// Per indicator: (weight, value, in the indicator's population).
    values: Vec<(Option<f64>, Option<f64>, bool)>,
    /// Per indicator: at risk whatever the income (the indicator's `at_risk_otherwise`).
    otherwise: Vec<bool>,
}

/// Medians and poverty rates of a source: one query for the unit values of all of them, then
/// one task per indicator × level × grouping × sex (in parallel, results in task order), each
/// building its domains' unit data and estimating levels and gaps.
///
/// Long (about 250 lines) because the task closure builds a domain index, the unit data and
/// the gap list that the estimation call and the figures then share; splitting it would pass
/// all of them between functions without making a step reusable.
pub(super) async fn estimate_nonlinear_indicators(
    ctx: &SessionContext,
    input: &SourceInput,
    catalogue: &Catalogue,
    indicators: &[&Indicator],
    rules: &CountryRules<'_>,
    pool_years: u32,
) -> Result<(Vec<Figure>, Vec<DirectInput>), PipelineError> {
    let groupings: Vec<String> = catalogue.groupings.iter().map(|g| g.id.clone()).collect();
    let mut cols = vec![key_sql(&groupings)];
    for (k, ind) in indicators.iter().enumerate() {
        let value = ind.value.as_deref().unwrap_or("NULL");
        cols.push(format!(
            "CAST({w} AS DOUBLE) AS w{k}, CAST(({value}) AS DOUBLE) AS v{k}, \
             CASE WHEN ({pop}) THEN 1 ELSE 0 END AS p{k}, \
             CASE WHEN ({otherwise}) THEN 1 ELSE 0 END AS e{k}",
            w = ind.weight,
            pop = ind.population,
            otherwise = ind.at_risk_otherwise.as_deref().unwrap_or("FALSE")
        ));
    }
    let sql = format!("SELECT {} FROM h", cols.join(", "));
    let mut units = Vec::new();
    for b in query(ctx, input, &sql).await? {
        let (keys, base) = read_keys(&b, groupings.len())?;
        let per: Vec<_> = (0..indicators.len())
            .map(|k| {
                Ok::<_, PipelineError>((
                    numbers::<Float64Type>(&b, base + 4 * k)?,
                    numbers::<Float64Type>(&b, base + 4 * k + 1)?,
                    numbers::<Int64Type>(&b, base + 4 * k + 2)?,
                    numbers::<Int64Type>(&b, base + 4 * k + 3)?,
                ))
            })
            .collect::<Result<_, _>>()?;
        for (r, key) in keys.into_iter().enumerate() {
            let Some(key) = key else { continue };
            let f =
                |a: &datafusion::arrow::array::Float64Array| (!a.is_null(r)).then(|| a.value(r));
            units.push(Unit {
                key,
                values: per
                    .iter()
                    .map(|(w, v, p, _)| (f(w), f(v), !p.is_null(r) && p.value(r) == 1))
                    .collect(),
                otherwise: per
                    .iter()
                    .map(|(_, _, _, e)| !e.is_null(r) && e.value(r) == 1)
                    .collect(),
            });
        }
    }
    // Rows arrive in no fixed order across files: sort by key, then by the values themselves
    // (ties are identical rows), so every sum and quantile is formed in one order.
    units.sort_unstable_by(|a, b| {
        a.key.cmp(&b.key).then_with(|| {
            a.values
                .iter()
                .zip(&b.values)
                .map(|((wa, va, pa), (wb, vb, pb))| {
                    let f = |x: &Option<f64>, y: &Option<f64>| match (x, y) {
                        (Some(x), Some(y)) => x.total_cmp(y),
                        _ => x.is_some().cmp(&y.is_some()),
                    };
                    f(wa, wb).then(f(va, vb)).then(pa.cmp(pb))
                })
                .find(|o| o.is_ne())
                .unwrap_or(std::cmp::Ordering::Equal)
                .then_with(|| a.otherwise.cmp(&b.otherwise))
        })
    });
    let mut figures = Vec::new();
    let mut inputs = Vec::new();
    let years: std::collections::BTreeSet<i32> = units.iter().map(|u| u.key.year).collect();
    for period in periods(&years, pool_years) {
        let mine: Vec<&Unit> = units
            .iter()
            .filter(|u| period.contains(u.key.year))
            .collect();
        let scale = 1.0 / period.years();
        let keys: Vec<&Key> = mine.iter().map(|u| &u.key).collect();
        let (design, psus, coded) =
            period_sample(period, &keys, rules.set.lonely_psu_for(&input.source))?;
        // Poverty-threshold groups: a country in a year (a pooled rate compares each person
        // with the national threshold of their own year).
        let mut thresholds: BTreeMap<(&str, i32), u32> = BTreeMap::new();
        let threshold_group: Vec<u32> = mine
            .iter()
            .map(|u| {
                let next = thresholds.len() as u32;
                *thresholds
                    .entry((u.key.geo[0].as_deref().unwrap_or(""), u.key.year))
                    .or_insert(next)
            })
            .collect();
        // One task per (indicator, level, grouping, sex), estimated in parallel.
        let n_groupings = groupings.len();
        let tasks: Vec<(usize, usize, Option<usize>, Option<Sex>)> = (0..indicators.len())
            .flat_map(|k| {
                (0..GeoLevel::ALL.len()).flat_map(move |l| {
                    std::iter::once(None)
                        .chain((0..n_groupings).map(Some))
                        .flat_map(move |gi| {
                            [None, Some(Sex::Male), Some(Sex::Female)]
                                .map(move |sex| (k, l, gi, sex))
                        })
                })
            })
            .collect();
        let per_task = tasks
            .par_iter()
            .map(
                |&(k, l, gi, sex_filter)| -> Result<(Vec<Figure>, Vec<DirectInput>), PipelineError> {
                    let (ind, level) = (indicators[k], &GeoLevel::ALL[l]);
                    let mut figures = Vec::new();
                    let mut inputs = Vec::new();
                    let kind = match ind.statistic {
                        StatisticKind::Median => NonlinearKind::Quantile {
                            p: 0.5,
                            rule: QuantileRule::EuSilc,
                        },
                        StatisticKind::AtRiskOfPoverty => {
                            NonlinearKind::PovertyRate {
                                fraction: POVERTY_THRESHOLD_SHARE_OF_MEDIAN,
                            }
                        }
                        StatisticKind::Share => return Ok((figures, inputs)),
                    };
                    let poverty = ind.statistic == StatisticKind::AtRiskOfPoverty;
                    let borrowed = borrowed_reference(catalogue, gi);
                    let mut keys: BTreeMap<DomainKey, u32> = BTreeMap::new();
                    let mut data = UnitData::default();
                    let mut assigned = Vec::new();
                    for (((u, psu), group), mask) in
                        mine.iter().zip(&psus).zip(&threshold_group).zip(&coded)
                    {
                        let (Some(w), Some(v), inside) = u.values[k] else {
                            continue;
                        };
                        let domain = (|| {
                            if !inside || sex_filter.is_some_and(|s| s != u.key.sex) {
                                return None;
                            }
                            if mask & (1 << l) == 0 {
                                return None;
                            }
                            let geo = u.key.geo[l].clone()?;
                            let group = match (gi, borrowed) {
                                (None, _) => "total".to_string(),
                                (Some(gi), _) if u.key.groups[gi].is_some() => {
                                    u.key.groups[gi].clone()?
                                }
                                (Some(_), Some((other, code)))
                                    if u.key.groups[other].as_deref() == Some(code) =>
                                {
                                    code.to_string()
                                }
                                _ => return None,
                            };
                            Some((geo, group, sex_filter.unwrap_or(Sex::Total)))
                        })();
                        if domain.is_none() && !poverty {
                            continue;
                        }
                        assigned.push(domain);
                        data.psu.push(*psu);
                        data.weight.push(w * scale);
                        data.value.push(v);
                        data.group.push(if poverty { *group } else { 0 });
                        if ind.at_risk_otherwise.is_some() {
                            data.at_risk_otherwise.push(u.otherwise[k]);
                        }
                    }
                    for d in assigned.iter().flatten() {
                        let next = keys.len() as u32;
                        keys.entry(d.clone()).or_insert(next);
                    }
                    if keys.is_empty() {
                        return Ok((figures, inputs));
                    }
                    // Number domains in key order.
                    let ordered: Vec<DomainKey> = keys.keys().cloned().collect();
                    let position: BTreeMap<&DomainKey, u32> = ordered
                        .iter()
                        .enumerate()
                        .map(|(i, k)| (k, i as u32))
                        .collect();
                    data.domain = assigned
                        .iter()
                        .map(|d| d.as_ref().map(|d| position[d]))
                        .collect();
                    let reference = gi.map(|gi| catalogue.groupings[gi].reference.as_str());
                    let pairs = reference
                        .map(|r| gap_pairs(&ordered, r))
                        .unwrap_or_default();
                    let gaps: Vec<(Measure, Gap)> = ind
                        .gaps
                        .iter()
                        .flat_map(|m| {
                            pairs.iter().map(move |&(a, b)| {
                                let gap = match m {
                                    Measure::Ratio => Gap::ratio(a, b),
                                    _ => Gap::difference(a, b),
                                };
                                (*m, gap)
                            })
                        })
                        .collect();
                    let (domain_results, gap_results) = estimate_nonlinear(
                        &design,
                        &data,
                        ordered.len(),
                        kind,
                        NonlinearVariance::Linearization,
                        &gaps.iter().map(|(_, g)| *g).collect::<Vec<_>>(),
                        0.95,
                    )?;
                    let task = TaskFigures {
                        indicator: &ind.id,
                        source: ind.source,
                        period,
                        level: *level,
                        grouping: gi
                            .map(|gi| catalogue.groupings[gi].id.clone())
                            .unwrap_or_else(|| "total".into()),
                    };
                    let mut bases = Vec::with_capacity(ordered.len());
                    let mut level_flags = Vec::with_capacity(ordered.len());
                    for (i, res) in domain_results.into_iter().enumerate() {
                        let r = res?;
                        let interval = figure_interval(false, poverty, r.interval);
                        let key = &ordered[i];
                        let basis = RuleBasis::level(&r.point, poverty);
                        bases.push(basis);
                        let rules = rules.of(&key.0)?;
                        let estimate =
                            Estimate::publish_with(&r.point, interval, 0.95, &rules, &basis);
                        level_flags.push(estimate.flag);
                        // A borrowed reference's own figures are its grouping's.
                        if borrowed.is_none_or(|(_, code)| key.1 != code) {
                            inputs.extend(task.model_input(key, &r.point));
                            figures.push(task.level(key.clone(), estimate));
                        }
                    }
                    for ((measure, gap), res) in gaps.iter().zip(gap_results) {
                        let r = res?;
                        let (a, b) = (gap.domain, gap.reference);
                        let basis = RuleBasis {
                            use_cv: *measure == Measure::Ratio,
                            ..RuleBasis::gap(&bases[a], &bases[b])
                        };
                        let rules = rules.of(&ordered[a].0)?;
                        let estimate = Estimate::publish_with(
                            &r.point,
                            figure_interval(true, poverty, None),
                            0.95,
                            &rules,
                            &basis,
                        )
                        .with_parts(level_flags[a], level_flags[b]);
                        figures.push(task.gap(ordered[a].clone(), *measure, &ordered[b], estimate));
                    }
                    Ok((figures, inputs))
                },
            )
            .collect::<Result<Vec<_>, _>>()?;
        for (f, d) in per_task {
            figures.extend(f);
            inputs.extend(d);
        }
    }
    Ok((figures, inputs))
}
