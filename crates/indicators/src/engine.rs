//! Computing the catalogue from the harmonised input store, one scan per input.
//!
//! For a source (EU-LFS, EU-SILC), all share indicators are reduced in **one** DataFusion query
//! over all its partitions: a `GROUP BY` of year, stratum, PSU and the domain columns (country,
//! NUTS 1, NUTS 2, degree of urbanisation, city, the target-group columns, sex) with, per
//! indicator, the count, the weighted population and the weighted numerator. Every domain
//! (geography × target group × sex) of every indicator is then a sum of these cells, estimated
//! as a ratio with Taylor linearisation over the source-year's design (domain estimation: PSUs
//! outside a domain count with zero totals). Gaps are the difference between a group and the
//! reference group of the same geography and sex, with the covariance of the two estimates.
//!
//! Medians and poverty rates need unit values: one second query reads, for all of them at
//! once, weight, value and population flag per person; the poverty threshold is 60 % of the
//! **national** median of all persons with an income (all ages), whatever the domain.

use std::collections::BTreeMap;
use std::path::PathBuf;

use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::datatypes::{Float64Type, Int32Type, Int64Type};
use datafusion::prelude::{ParquetReadOptions, SessionConfig, SessionContext};
use incity_data::survey::DesignBuilder;
use incity_data::DataError;
use incity_estimation::{
    estimate_linear_batch, estimate_nonlinear, CellSums, DomainSums, Estimate, Interval,
    LinearKind, LinearStatistic, LinearVariance, LonelyPsuRule, NonlinearKind, NonlinearVariance,
    PsuRef, PublicationRules, QuantileRule, SampleDesign, UnitData,
};

use crate::catalogue::{Catalogue, Indicator, StatisticKind};
use crate::{Figure, GeoLevel};

/// The harmonised Parquet files of one source.
#[derive(Debug, Clone)]
pub struct SourceInput {
    pub source: String,
    pub files: Vec<PathBuf>,
}

/// Geography columns, in the order of [`GeoLevel::ALL`].
const GEO_COLUMNS: [&str; 5] = ["country", "nuts1", "nuts2", "degurba", "city"];

fn engine_error(source: &str, e: impl std::fmt::Display) -> DataError {
    DataError::Unreadable {
        file: PathBuf::from(format!("input store, source {source}")),
        reason: e.to_string(),
    }
}

async fn open(input: &SourceInput) -> Result<SessionContext, DataError> {
    let config = SessionConfig::new()
        .with_target_partitions(std::thread::available_parallelism().map_or(2, |n| n.get()))
        .set_bool("datafusion.sql_parser.enable_ident_normalization", false)
        .set_bool(
            "datafusion.execution.parquet.schema_force_view_types",
            false,
        );
    let ctx = SessionContext::new_with_config(config);
    let paths: Vec<String> = input
        .files
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    let df = ctx
        .read_parquet(paths, ParquetReadOptions::default())
        .await
        .map_err(|e| engine_error(&input.source, e))?;
    ctx.register_table("h", df.into_view())
        .map_err(|e| engine_error(&input.source, e))?;
    Ok(ctx)
}

/// Column `i` of a batch as plain strings (whatever string type the engine produced).
fn strings(
    b: &datafusion::arrow::record_batch::RecordBatch,
    i: usize,
) -> Result<datafusion::arrow::array::StringArray, DataError> {
    let cast = datafusion::arrow::compute::cast(
        b.column(i),
        &datafusion::arrow::datatypes::DataType::Utf8,
    )
    .map_err(|e| DataError::Internal(e.to_string()))?;
    Ok(cast.as_string::<i32>().clone())
}

/// Column `i` as f64 / i64 / i32 (cast if needed).
fn numbers<T: datafusion::arrow::datatypes::ArrowPrimitiveType>(
    b: &datafusion::arrow::record_batch::RecordBatch,
    i: usize,
) -> Result<datafusion::arrow::array::PrimitiveArray<T>, DataError> {
    let cast = datafusion::arrow::compute::cast(b.column(i), &T::DATA_TYPE)
        .map_err(|e| DataError::Internal(e.to_string()))?;
    Ok(cast.as_primitive::<T>().clone())
}

/// The key columns of a query row: year, design and domain columns.
struct Key {
    year: i32,
    stratum: String,
    psu: String,
    /// Geography codes by level (degree of urbanisation as `AT-DEG1`).
    geo: [Option<String>; 5],
    groups: Vec<Option<String>>,
    sex: String,
}

/// One group of the first query: a (year, PSU, domain columns) cell.
struct Cell {
    key: Key,
    n: Vec<i64>,
    w: Vec<f64>,
    y: Vec<f64>,
}

/// Runs a query over the source's table.
async fn query(
    ctx: &SessionContext,
    input: &SourceInput,
    sql: &str,
) -> Result<Vec<datafusion::arrow::record_batch::RecordBatch>, DataError> {
    ctx.sql(sql)
        .await
        .map_err(|e| engine_error(&input.source, e))?
        .collect()
        .await
        .map_err(|e| engine_error(&input.source, e))
}

/// The keys (columns of [`key_sql`]) of every row of a batch (`None` where year or sex is
/// missing), and the index of the first column after them.
fn read_keys(
    b: &datafusion::arrow::record_batch::RecordBatch,
    groupings: usize,
) -> Result<(Vec<Option<Key>>, usize), DataError> {
    let year = numbers::<Int32Type>(b, 0)?;
    let (stratum, psu) = (strings(b, 1)?, strings(b, 2)?);
    let geo: Vec<_> = (0..GEO_COLUMNS.len())
        .map(|j| strings(b, 3 + j))
        .collect::<Result<_, _>>()?;
    let grp: Vec<_> = (0..groupings)
        .map(|j| strings(b, 3 + GEO_COLUMNS.len() + j))
        .collect::<Result<_, _>>()?;
    let sex = strings(b, 3 + GEO_COLUMNS.len() + groupings)?;
    let keys = (0..b.num_rows())
        .map(|r| {
            if year.is_null(r) || sex.is_null(r) {
                return None;
            }
            let opt = |a: &datafusion::arrow::array::StringArray| {
                (!a.is_null(r)).then(|| a.value(r).to_string())
            };
            let country = opt(&geo[0]);
            let degurba = degurba_geo(country.as_deref(), opt(&geo[3]).as_deref());
            Some(Key {
                year: year.value(r),
                stratum: stratum.value(r).to_string(),
                psu: psu.value(r).to_string(),
                geo: [country, opt(&geo[1]), opt(&geo[2]), degurba, opt(&geo[4])],
                groups: grp.iter().map(opt).collect(),
                sex: sex.value(r).to_string(),
            })
        })
        .collect();
    Ok((keys, 4 + GEO_COLUMNS.len() + groupings))
}

fn key_sql(grouping_columns: &[String]) -> String {
    let mut cols = vec![
        "year".to_string(),
        "COALESCE(stratum, '') AS stratum".to_string(),
        "COALESCE(psu, household_id, person_id) AS psu".to_string(),
    ];
    cols.extend(GEO_COLUMNS.iter().map(|c| c.to_string()));
    cols.extend(grouping_columns.iter().cloned());
    cols.push("sex".to_string());
    cols.join(", ")
}

fn degurba_geo(country: Option<&str>, degurba: Option<&str>) -> Option<String> {
    Some(format!("{}-DEG{}", country?, degurba?))
}

/// Computes every indicator of `catalogue` for one source; `progress` gets a line per step.
pub async fn compute_source(
    input: &SourceInput,
    catalogue: &Catalogue,
    rules: &PublicationRules,
    progress: &(dyn Fn(&str) + Sync),
) -> Result<Vec<Figure>, DataError> {
    let indicators: Vec<&Indicator> = catalogue
        .indicators
        .iter()
        .filter(|i| i.source == input.source)
        .collect();
    if indicators.is_empty() || input.files.is_empty() {
        return Ok(Vec::new());
    }
    let ctx = open(input).await?;
    let groupings: Vec<String> = catalogue.groupings.iter().map(|g| g.id.clone()).collect();
    let shares: Vec<&Indicator> = indicators
        .iter()
        .copied()
        .filter(|i| i.statistic == StatisticKind::Share)
        .collect();
    let others: Vec<&Indicator> = indicators
        .iter()
        .copied()
        .filter(|i| i.statistic != StatisticKind::Share)
        .collect();
    let mut figures = Vec::new();
    if !shares.is_empty() {
        progress(&format!(
            "{}: one scan for {} share indicators",
            input.source,
            shares.len()
        ));
        let cells = scan_share_cells(&ctx, input, &shares, &groupings).await?;
        figures.extend(estimate_shares(input, catalogue, &shares, &cells, rules)?);
    }
    if !others.is_empty() {
        progress(&format!(
            "{}: one scan for {} median / poverty indicators",
            input.source,
            others.len()
        ));
        figures
            .extend(estimate_nonlinear_indicators(&ctx, input, catalogue, &others, rules).await?);
    }
    Ok(figures)
}

async fn scan_share_cells(
    ctx: &SessionContext,
    input: &SourceInput,
    shares: &[&Indicator],
    groupings: &[String],
) -> Result<Vec<Cell>, DataError> {
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
    Ok(cells)
}

/// The design of one source-year: every stratum and PSU of the cells.
fn design_of<'a>(
    items: impl Iterator<Item = (&'a str, &'a str)>,
) -> Result<(SampleDesign, Vec<PsuRef>), DataError> {
    let mut builder = DesignBuilder::default();
    let refs: Vec<PsuRef> = items.map(|(s, p)| builder.psu(s, p, None)).collect();
    Ok((builder.build(LonelyPsuRule::Certainty, None)?, refs))
}

/// Domain keys: (geo, group, sex).
type DomainKey = (String, String, String);

fn gap_pairs(keys: &[DomainKey], reference: &str) -> Vec<(usize, usize)> {
    let index: BTreeMap<&DomainKey, usize> = keys.iter().enumerate().map(|(i, k)| (k, i)).collect();
    keys.iter()
        .enumerate()
        .filter(|(_, k)| k.1 != reference)
        .filter_map(|(i, k)| {
            index
                .get(&(k.0.clone(), reference.to_string(), k.2.clone()))
                .map(|r| (i, *r))
        })
        .collect()
}

fn estimate_shares(
    input: &SourceInput,
    catalogue: &Catalogue,
    shares: &[&Indicator],
    cells: &[Cell],
    rules: &PublicationRules,
) -> Result<Vec<Figure>, DataError> {
    let mut figures = Vec::new();
    let years: std::collections::BTreeSet<i32> = cells.iter().map(|c| c.key.year).collect();
    for year in years {
        let mine: Vec<&Cell> = cells.iter().filter(|c| c.key.year == year).collect();
        let (design, psus) = design_of(
            mine.iter()
                .map(|c| (c.key.stratum.as_str(), c.key.psu.as_str())),
        )?;
        for (k, ind) in shares.iter().enumerate() {
            for (l, level) in GeoLevel::ALL.iter().enumerate() {
                for g in std::iter::once(None).chain((0..catalogue.groupings.len()).map(Some)) {
                    let mut domains: BTreeMap<DomainKey, Vec<(PsuRef, CellSums)>> = BTreeMap::new();
                    for (c, psu) in mine.iter().zip(&psus) {
                        if c.n[k] == 0 {
                            continue;
                        }
                        let Some(geo) = &c.key.geo[l] else { continue };
                        let group = match g {
                            None => "total".to_string(),
                            Some(g) => match &c.key.groups[g] {
                                Some(v) => v.clone(),
                                None => continue,
                            },
                        };
                        let sums = CellSums {
                            n: c.n[k] as u64,
                            w: c.w[k],
                            y: c.y[k],
                            x: c.w[k],
                            yy: c.y[k],
                            xy: c.y[k],
                            xx: c.w[k],
                        };
                        for sex in ["T", c.key.sex.as_str()] {
                            domains
                                .entry((geo.clone(), group.clone(), sex.to_string()))
                                .or_default()
                                .push((*psu, sums));
                        }
                    }
                    if domains.is_empty() {
                        continue;
                    }
                    let keys: Vec<DomainKey> = domains.keys().cloned().collect();
                    let sums: Vec<DomainSums> =
                        domains.into_values().map(DomainSums::from_cells).collect();
                    let reference = g.map(|g| catalogue.groupings[g].reference.as_str());
                    let gaps = reference.map(|r| gap_pairs(&keys, r)).unwrap_or_default();
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
                    let results =
                        estimate_linear_batch(&design, &stats, &LinearVariance::Linearization)?;
                    let grouping = g
                        .map(|g| catalogue.groupings[g].id.clone())
                        .unwrap_or_else(|| "total".into());
                    for (i, res) in results.into_iter().enumerate() {
                        let pv = res?;
                        let (key, is_gap, n_rules) = if i < keys.len() {
                            (keys[i].clone(), false, pv.n)
                        } else {
                            let (a, r) = gaps[i - keys.len()];
                            let n = sums[a].total().n.min(sums[r].total().n);
                            let mut key = keys[a].clone();
                            key.1 = format!("{} minus {}", keys[a].1, keys[r].1);
                            (key, true, n)
                        };
                        let estimate = Estimate::publish(
                            &pv,
                            if is_gap {
                                Interval::Normal
                            } else {
                                Interval::Logit
                            },
                            0.95,
                            rules,
                            n_rules,
                            !is_gap,
                        );
                        figures.push(Figure {
                            indicator: ind.id.clone(),
                            source: input.source.clone(),
                            year,
                            geo_level: *level,
                            geo: key.0,
                            grouping: grouping.clone(),
                            group: key.1,
                            sex: key.2,
                            is_gap,
                            estimate,
                        });
                    }
                }
            }
        }
    }
    Ok(figures)
}

/// One person of the second query.
struct Unit {
    key: Key,
    /// Per indicator: (weight, value, in the indicator's population).
    values: Vec<(Option<f64>, Option<f64>, bool)>,
}

async fn estimate_nonlinear_indicators(
    ctx: &SessionContext,
    input: &SourceInput,
    catalogue: &Catalogue,
    indicators: &[&Indicator],
    rules: &PublicationRules,
) -> Result<Vec<Figure>, DataError> {
    let groupings: Vec<String> = catalogue.groupings.iter().map(|g| g.id.clone()).collect();
    let mut cols = vec![key_sql(&groupings)];
    for (k, ind) in indicators.iter().enumerate() {
        let value = ind.value.as_deref().unwrap_or("NULL");
        cols.push(format!(
            "CAST({w} AS DOUBLE) AS w{k}, CAST(({value}) AS DOUBLE) AS v{k}, \
             CASE WHEN ({pop}) THEN 1 ELSE 0 END AS p{k}",
            w = ind.weight,
            pop = ind.population
        ));
    }
    let sql = format!("SELECT {} FROM h", cols.join(", "));
    let mut units = Vec::new();
    for b in query(ctx, input, &sql).await? {
        let (keys, base) = read_keys(&b, groupings.len())?;
        let per: Vec<_> = (0..indicators.len())
            .map(|k| {
                Ok::<_, DataError>((
                    numbers::<Float64Type>(&b, base + 3 * k)?,
                    numbers::<Float64Type>(&b, base + 3 * k + 1)?,
                    numbers::<Int64Type>(&b, base + 3 * k + 2)?,
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
                    .map(|(w, v, p)| (f(w), f(v), !p.is_null(r) && p.value(r) == 1))
                    .collect(),
            });
        }
    }
    let mut figures = Vec::new();
    let years: std::collections::BTreeSet<i32> = units.iter().map(|u| u.key.year).collect();
    for year in years {
        let mine: Vec<&Unit> = units.iter().filter(|u| u.key.year == year).collect();
        let (design, psus) = design_of(
            mine.iter()
                .map(|u| (u.key.stratum.as_str(), u.key.psu.as_str())),
        )?;
        // Threshold groups: countries.
        let mut countries: BTreeMap<&str, u32> = BTreeMap::new();
        for u in &mine {
            let next = countries.len() as u32;
            countries
                .entry(u.key.geo[0].as_deref().unwrap_or(""))
                .or_insert(next);
        }
        for (k, ind) in indicators.iter().enumerate() {
            let kind = match ind.statistic {
                StatisticKind::Median => NonlinearKind::Quantile {
                    p: 0.5,
                    rule: QuantileRule::EuSilc,
                },
                StatisticKind::AtRiskOfPoverty => NonlinearKind::PovertyRate { fraction: 0.6 },
                StatisticKind::Share => continue,
            };
            let poverty = ind.statistic == StatisticKind::AtRiskOfPoverty;
            for (l, level) in GeoLevel::ALL.iter().enumerate() {
                for gi in std::iter::once(None).chain((0..groupings.len()).map(Some)) {
                    for sex_filter in [None, Some("M"), Some("F")] {
                        let mut keys: BTreeMap<DomainKey, u32> = BTreeMap::new();
                        let mut data = UnitData::default();
                        let mut assigned = Vec::new();
                        for (u, psu) in mine.iter().zip(&psus) {
                            let (Some(w), Some(v), inside) = u.values[k] else {
                                continue;
                            };
                            let domain = (|| {
                                if !inside || sex_filter.is_some_and(|s| s != u.key.sex) {
                                    return None;
                                }
                                let geo = u.key.geo[l].clone()?;
                                let group = match gi {
                                    None => "total".to_string(),
                                    Some(gi) => u.key.groups[gi].clone()?,
                                };
                                Some((geo, group, sex_filter.unwrap_or("T").to_string()))
                            })();
                            if domain.is_none() && !poverty {
                                continue;
                            }
                            assigned.push(domain);
                            data.psu.push(*psu);
                            data.weight.push(w);
                            data.value.push(v);
                            data.group.push(if poverty {
                                countries[u.key.geo[0].as_deref().unwrap_or("")]
                            } else {
                                0
                            });
                        }
                        for d in assigned.iter().flatten() {
                            let next = keys.len() as u32;
                            keys.entry(d.clone()).or_insert(next);
                        }
                        if keys.is_empty() {
                            continue;
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
                        let gaps = reference
                            .map(|r| gap_pairs(&ordered, r))
                            .unwrap_or_default();
                        let (domain_results, gap_results) = estimate_nonlinear(
                            &design,
                            &data,
                            ordered.len(),
                            kind,
                            NonlinearVariance::Linearization,
                            &gaps,
                            0.95,
                        )?;
                        let grouping = gi
                            .map(|gi| catalogue.groupings[gi].id.clone())
                            .unwrap_or_else(|| "total".into());
                        for (i, res) in domain_results.into_iter().enumerate() {
                            let r = res?;
                            let interval = match (r.interval, poverty) {
                                (Some((low, high)), _) => Interval::Given { low, high },
                                (None, true) => Interval::Logit,
                                (None, false) => Interval::Normal,
                            };
                            let key = &ordered[i];
                            figures.push(Figure {
                                indicator: ind.id.clone(),
                                source: input.source.clone(),
                                year,
                                geo_level: *level,
                                geo: key.0.clone(),
                                grouping: grouping.clone(),
                                group: key.1.clone(),
                                sex: key.2.clone(),
                                is_gap: false,
                                estimate: Estimate::publish(
                                    &r.point, interval, 0.95, rules, r.point.n, true,
                                ),
                            });
                        }
                        for (j, res) in gap_results.into_iter().enumerate() {
                            let r = res?;
                            let (a, b) = gaps[j];
                            let n = figures_n(&data, a as u32).min(figures_n(&data, b as u32));
                            let key = &ordered[a];
                            figures.push(Figure {
                                indicator: ind.id.clone(),
                                source: input.source.clone(),
                                year,
                                geo_level: *level,
                                geo: key.0.clone(),
                                grouping: grouping.clone(),
                                group: format!("{} minus {}", key.1, ordered[b].1),
                                sex: key.2.clone(),
                                is_gap: true,
                                estimate: Estimate::publish(
                                    &r.point,
                                    Interval::Normal,
                                    0.95,
                                    rules,
                                    n,
                                    false,
                                ),
                            });
                        }
                    }
                }
            }
        }
    }
    Ok(figures)
}

/// Respondents in a domain.
fn figures_n(data: &UnitData, domain: u32) -> u64 {
    data.domain.iter().filter(|d| **d == Some(domain)).count() as u64
}
