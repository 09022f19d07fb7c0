//! Share indicators: one scan of the source into (key × indicator) cells, and their estimates
//! per period, level and grouping, with gaps to the reference group.

use super::*;
use std::collections::BTreeMap;

use crate::PipelineError;
use datafusion::arrow::array::Array;
use datafusion::arrow::datatypes::{Float64Type, Int64Type};
use datafusion::prelude::SessionContext;
use incity_estimation::{
    estimate_linear_batch, figure_interval, CellSums, DomainSums, Estimate, LinearKind,
    LinearStatistic, LinearVariance, PointAndVariance, PsuRef, RuleBasis,
};

use incity_indicators::catalogue::{Catalogue, Indicator};
use incity_indicators::{Figure, GeoLevel, Measure};

pub(super) async fn scan_share_cells(
    ctx: &SessionContext,
    input: &SourceInput,
    shares: &[&Indicator],
    groupings: &[String],
) -> Result<Vec<Cell>, PipelineError> {
    let mut aggregates = Vec::new();
    for (k, ind) in shares.iter().enumerate() {
        let (pop, num, w) = (
            &ind.population,
            ind.numerator.as_deref().unwrap_or("FALSE"),
            &ind.weight,
        );
        aggregates.push(format!(
            "SUM(CASE WHEN ({pop}) THEN 1 ELSE 0 END) AS n{k}, \
             SUM(CASE WHEN ({pop}) THEN {w} ELSE 0 END) AS w{k}, \
             SUM(CASE WHEN ({pop}) AND ({num}) THEN {w} ELSE 0 END) AS y{k}"
        ));
    }
    let keys = key_sql(groupings);
    let group_by: Vec<String> = (1..=3 + GEO_COLUMNS.len() + groupings.len() + 1)
        .map(|i| i.to_string())
        .collect();
    let sql = format!(
        "SELECT {keys}, {} FROM h GROUP BY {}",
        aggregates.join(", "),
        group_by.join(", ")
    );
    let mut cells = Vec::new();
    for b in query(ctx, input, &sql).await? {
        let (keys, base) = read_keys(&b, groupings.len())?;
        let n: Vec<_> = (0..shares.len())
            .map(|k| numbers::<Int64Type>(&b, base + 3 * k))
            .collect::<Result<_, _>>()?;
        let w: Vec<_> = (0..shares.len())
            .map(|k| numbers::<Float64Type>(&b, base + 3 * k + 1))
            .collect::<Result<_, _>>()?;
        let y: Vec<_> = (0..shares.len())
            .map(|k| numbers::<Float64Type>(&b, base + 3 * k + 2))
            .collect::<Result<_, _>>()?;
        for (r, key) in keys.into_iter().enumerate() {
            let Some(key) = key else { continue };
            cells.push(Cell {
                key,
                n: n.iter()
                    .map(|a| if a.is_null(r) { 0 } else { a.value(r) })
                    .collect(),
                w: w.iter()
                    .map(|a| if a.is_null(r) { 0.0 } else { a.value(r) })
                    .collect(),
                y: y.iter()
                    .map(|a| if a.is_null(r) { 0.0 } else { a.value(r) })
                    .collect(),
            });
        }
    }
    // The engine returns groups in no fixed order: sort, so sums are formed in one order.
    cells.sort_unstable_by(|a, b| a.key.cmp(&b.key));
    Ok(cells)
}

/// PSU cells of a task's domains: for share indicator `k` at level `l` in grouping `g`
/// (`None`: the total population), each (geography, group, sex) domain's cells and, when
/// `versus_country` (levels below the country: each domain is compared with its country's
/// domain of the same group and sex, estimated jointly from the same cells), each country's.
/// With `borrowed` (the grouping's reference is a group of another grouping,
/// [`super::borrowed_reference`]), the cells of that group form the reference domains.
pub(super) fn task_domains(
    mine: &[&Cell],
    psus: &[PsuRef],
    coded: &[u8],
    (k, l, g): (usize, usize, Option<usize>),
    scale: f64,
    versus_country: bool,
    borrowed: Option<(usize, &str)>,
) -> (Domains, Domains) {
    let mut domains: BTreeMap<DomainKey, Vec<(PsuRef, CellSums)>> = BTreeMap::new();
    let mut countries: BTreeMap<DomainKey, Vec<(PsuRef, CellSums)>> = BTreeMap::new();
    for ((c, psu), mask) in mine.iter().zip(psus).zip(coded) {
        if c.n[k] == 0 {
            continue;
        }
        let geo = c.key.geo[l].as_ref().filter(|_| mask & (1 << l) != 0);
        let country = c.key.geo[0]
            .as_ref()
            .filter(|_| versus_country && mask & 1 != 0);
        if geo.is_none() && country.is_none() {
            continue;
        }
        let group = match (g, &borrowed) {
            (None, _) => "total".to_string(),
            (Some(g), _) if c.key.groups[g].is_some() => {
                c.key.groups[g].clone().unwrap_or_default()
            }
            (Some(_), Some((other, code))) if c.key.groups[*other].as_deref() == Some(*code) => {
                code.to_string()
            }
            _ => continue,
        };
        // A borrowed reference is compared with the groups, not with its country.
        let country = country.filter(|_| borrowed.is_none_or(|(_, code)| group != code));
        if geo.is_none() && country.is_none() {
            continue;
        }
        let (w, y) = (c.w[k] * scale, c.y[k] * scale);
        let sums = CellSums {
            n: c.n[k] as u64,
            w,
            y,
            x: w,
            yy: y,
            xy: y,
            xx: w,
        };
        for sex in [Sex::Total, c.key.sex] {
            if let Some(geo) = geo {
                domains
                    .entry((geo.clone(), group.clone(), sex))
                    .or_default()
                    .push((*psu, sums));
            }
            if let Some(country) = country {
                countries
                    .entry((country.clone(), group.clone(), sex))
                    .or_default()
                    .push((*psu, sums));
            }
        }
    }
    (domains, countries)
}

/// Domains and their PSU cells.
pub(super) type Domains = BTreeMap<DomainKey, Vec<(PsuRef, CellSums)>>;

/// Each domain's country domain (same group and sex): pairs of indices into `keys` and
/// `country_keys`. Every geography code begins with its country's code (`AT130`, `AT001C`,
/// `AT-DEG1`).
fn versus_country_pairs(keys: &[DomainKey], country_keys: &[DomainKey]) -> Vec<(usize, usize)> {
    let index: BTreeMap<&DomainKey, usize> = country_keys
        .iter()
        .enumerate()
        .map(|(i, k)| (k, i))
        .collect();
    keys.iter()
        .enumerate()
        .filter_map(|(i, (geo, group, sex))| {
            let country = (geo.get(..2)?.to_string(), group.clone(), *sex);
            index.get(&country).map(|&c| (i, c))
        })
        .collect()
}

pub(super) fn estimate_shares(
    input: &SourceInput,
    catalogue: &Catalogue,
    shares: &[&Indicator],
    cells: &[Cell],
    rules: &CountryRules<'_>,
    pool_years: u32,
) -> Result<(Vec<Figure>, Vec<DirectInput>), PipelineError> {
    let mut figures = Vec::new();
    let mut inputs = Vec::new();
    let years: std::collections::BTreeSet<i32> = cells.iter().map(|c| c.key.year).collect();
    for period in periods(&years, pool_years) {
        let mine: Vec<&Cell> = cells
            .iter()
            .filter(|c| period.contains(c.key.year))
            .collect();
        // Pooled years: the average annual population (weights divided by the years).
        let scale = 1.0 / period.years();
        let keys: Vec<&Key> = mine.iter().map(|c| &c.key).collect();
        let (design, psus, coded) =
            period_sample(period, &keys, rules.set.lonely_psu_for(&input.source))?;
        // One task per (indicator, level, grouping), estimated in parallel.
        let tasks = share_tasks(shares.len(), catalogue.groupings.len());
        let per_task = tasks
            .par_iter()
            .map(
                |&(k, l, g)| -> Result<(Vec<Figure>, Vec<DirectInput>), PipelineError> {
                    let (ind, level) = (shares[k], &GeoLevel::ALL[l]);
                    let mut figures = Vec::new();
                    let mut inputs = Vec::new();
                    let versus_country = *level != GeoLevel::Country;
                    let borrowed = borrowed_reference(catalogue, g);
                    // The borrowed reference's own figures are its grouping's.
                    let own = |key: &DomainKey| borrowed.is_none_or(|(_, code)| key.1 != code);
                    let (domains, countries) = task_domains(
                        &mine,
                        &psus,
                        &coded,
                        (k, l, g),
                        scale,
                        versus_country,
                        borrowed,
                    );
                    if domains.is_empty() {
                        return Ok((figures, inputs));
                    }
                    let keys: Vec<DomainKey> = domains.keys().cloned().collect();
                    let sums: Vec<DomainSums> =
                        domains.into_values().map(DomainSums::from_cells).collect();
                    let reference = g.map(|g| catalogue.groupings[g].reference.as_str());
                    let gaps = reference.map(|r| gap_pairs(&keys, r)).unwrap_or_default();
                    let country_keys: Vec<DomainKey> = countries.keys().cloned().collect();
                    let country_sums: Vec<DomainSums> = countries
                        .into_values()
                        .map(DomainSums::from_cells)
                        .collect();
                    let country_pairs = versus_country_pairs(&keys, &country_keys);
                    let mut stats: Vec<LinearStatistic<'_>> = sums
                        .iter()
                        .map(|d| LinearStatistic {
                            kind: LinearKind::Ratio,
                            domain: d,
                            reference: None,
                        })
                        .collect();
                    stats.extend(gaps.iter().map(|(a, r)| LinearStatistic {
                        kind: LinearKind::Ratio,
                        domain: &sums[*a],
                        reference: Some(&sums[*r]),
                    }));
                    stats.extend(country_sums.iter().map(|d| LinearStatistic {
                        kind: LinearKind::Ratio,
                        domain: d,
                        reference: None,
                    }));
                    stats.extend(country_pairs.iter().map(|(a, c)| LinearStatistic {
                        kind: LinearKind::Ratio,
                        domain: &sums[*a],
                        reference: Some(&country_sums[*c]),
                    }));
                    let results: Vec<PointAndVariance> =
                        estimate_linear_batch(&design, &stats, &LinearVariance::Linearization)?
                            .into_iter()
                            .collect::<Result<_, _>>()?;
                    let bases: Vec<RuleBasis> = results[..keys.len()]
                        .iter()
                        .map(|pv| RuleBasis::level(pv, true))
                        .collect();
                    let task = TaskFigures {
                        indicator: &ind.id,
                        source: ind.source,
                        period,
                        level: *level,
                        grouping: g
                            .map(|g| catalogue.groupings[g].id.clone())
                            .unwrap_or_else(|| "total".into()),
                    };
                    // `results` lists the domains, the gaps, the countries, then the
                    // differences from the country.
                    let (levels, rest) = results.split_at(keys.len());
                    let (gap_results, rest) = rest.split_at(gaps.len());
                    let (country_results, versus_results) = rest.split_at(country_keys.len());
                    let share = figure_interval(false, true, None);
                    let difference = figure_interval(true, true, None);
                    let mut level_flags = Vec::with_capacity(keys.len());
                    for ((key, pv), basis) in keys.iter().zip(levels).zip(&bases) {
                        let rules = rules.of(&key.0)?;
                        let estimate = Estimate::publish_with(pv, share, 0.95, &rules, basis);
                        level_flags.push(estimate.flag);
                        if own(key) {
                            inputs.extend(task.model_input(key, pv));
                            figures.push(task.level(key.clone(), estimate));
                        }
                    }
                    for (&(a, r), pv) in gaps.iter().zip(gap_results) {
                        let basis = RuleBasis::gap(&bases[a], &bases[r]);
                        let rules = rules.of(&keys[a].0)?;
                        let estimate = Estimate::publish_with(pv, difference, 0.95, &rules, &basis)
                            .with_parts(level_flags[a], level_flags[r]);
                        figures.push(task.gap(
                            keys[a].clone(),
                            Measure::Difference,
                            &keys[r],
                            estimate,
                        ));
                    }
                    // The country's own publication decision, as its country-level task takes
                    // it (same cells, same rules), for the secondary suppression below.
                    let country_bases: Vec<RuleBasis> = country_results
                        .iter()
                        .map(|pv| RuleBasis::level(pv, true))
                        .collect();
                    let country_flags = country_keys
                        .iter()
                        .zip(country_results)
                        .zip(&country_bases)
                        .map(|((key, pv), basis)| {
                            let rules = rules.of(&key.0)?;
                            Ok(Estimate::publish_with(pv, share, 0.95, &rules, basis).flag)
                        })
                        .collect::<Result<Vec<_>, PipelineError>>()?;
                    for (&(a, c), pv) in country_pairs.iter().zip(versus_results) {
                        let basis = RuleBasis::gap(&bases[a], &country_bases[c]);
                        let rules = rules.of(&keys[a].0)?;
                        let estimate = Estimate::publish_with(pv, difference, 0.95, &rules, &basis)
                            .with_parts(level_flags[a], country_flags[c]);
                        figures.push(task.country_difference(keys[a].clone(), estimate));
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
