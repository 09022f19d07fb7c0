//! Linear statistics over one file: totals, means, ratios and shares from per-(domain,
//! stratum, PSU) sums.

use std::collections::HashMap;

use incity_estimation::{
    estimate_linear_batch, figure_interval, supplied_replicate_variance, CellSums, DomainSums,
    Estimate, EstimationError, LinearKind, LinearStatistic, LinearVariance, PointAndVariance,
    PsuRef, ReplicateTotals, RuleBasis, SuppliedReplicates,
};

use datafusion::arrow::array::Array;

use crate::scan::{f64_column, ident, str_column, SurveyFile};
use crate::DataError;

use super::checks::missing_value_error;
use super::design::DesignBuilder;
use super::request::{EstimateRequest, EstimateRow, EstimateTable, Statistic, VarianceChoice};
use super::{
    by_select, describe, domain_condition, expr, gap_pairs, replicate_design, stratum_expr, Domains,
};

use datafusion::arrow::record_batch::RecordBatch;

/// The per-(domain, stratum, PSU) reduction of a linear statistic as SQL: the select list and
/// the grouping, over any table with the request's columns. The file scan runs it over the
/// registered file; `--emit-sql` translates it for the office's own database
/// ([`super::pushdown`]).
pub(super) struct LinearScan {
    pub kind: LinearKind,
    /// `CAST(y AS DOUBLE)` and `CAST(x AS DOUBLE)` of the statistic `Σ w y / Σ w x`.
    pub y: String,
    pub x: String,
    /// Whether a record is in the domain (inside `--where` and with every `--by` value).
    pub in_domain: String,
    /// The select list: `__by0, …, __stratum, __psu, __n_all, __fpc_lo, __fpc_hi, __n, __w,
    /// __wy, __wx, __wyy, __wxy, __wxx, __missing` and, per supplied replicate weight,
    /// `__ry{k}, __rx{k}` (columns in this order: [`CellCollector`] reads them by position).
    pub columns: String,
    /// The `GROUP BY` keys (aliases of the select list); `None` without PSUs (one row per record).
    pub group_by: Option<String>,
    pub supplied: usize,
}

impl LinearScan {
    /// The SQL over `table` with `extra` columns (`, expr AS name…`) after the scan's own.
    pub fn sql(&self, table: &str, extra: &str) -> String {
        let mut sql = format!("SELECT {}{extra} FROM {table}", self.columns);
        if let Some(keys) = &self.group_by {
            sql.push_str(&format!(" GROUP BY {keys}"));
        }
        sql
    }

    /// The scan of a linear statistic; `is_column` tells a column name (quoted) from an SQL
    /// expression (parenthesised) among the statistic's arguments.
    pub fn new(req: &EstimateRequest, by: &[String], is_column: &dyn Fn(&str) -> bool) -> Self {
        let (kind, y, x) = match &req.statistic {
            Statistic::Total(a) => (LinearKind::Total, expr(is_column, a), "1.0".to_string()),
            Statistic::Mean(a) => (LinearKind::Ratio, expr(is_column, a), "1.0".to_string()),
            Statistic::Ratio(a, b) => (LinearKind::Ratio, expr(is_column, a), expr(is_column, b)),
            Statistic::Share(c) => (
                LinearKind::Ratio,
                format!("CASE WHEN ({c}) THEN 1.0 WHEN NOT ({c}) THEN 0.0 END"),
                "1.0".to_string(),
            ),
            _ => unreachable!("unit-level statistics are handled elsewhere"),
        };
        let w = ident(&req.design.weight);
        let dom = domain_condition(req);
        let by_null = if by.is_empty() {
            "FALSE".to_string()
        } else {
            by.iter()
                .map(|b| format!("{} IS NULL", req.column_sql(b)))
                .collect::<Vec<_>>()
                .join(" OR ")
        };
        let indom = format!("({dom} AND NOT ({by_null}))");
        let fpc = match &req.design.fpc {
            Some(f) => format!("CAST({} AS DOUBLE)", ident(f)),
            None => "CAST(NULL AS DOUBLE)".to_string(),
        };
        let y_d = format!("CAST({y} AS DOUBLE)");
        let x_d = format!("CAST({x} AS DOUBLE)");
        let supplied: &[String] = match &req.variance {
            VarianceChoice::Supplied { columns, .. } => columns,
            _ => &[],
        };
        let grouped = req.design.psu.is_some();
        let agg = |e: String| if grouped { format!("SUM({e})") } else { e };
        let mut columns = format!(
            "{by_cols}{stratum} AS __stratum, {psu} AS __psu, \
             {n_all} AS __n_all, {fpc_lo} AS __fpc_lo, {fpc_hi} AS __fpc_hi, \
             {n} AS __n, {sw} AS __w, {swy} AS __wy, {swx} AS __wx, {swyy} AS __wyy, \
             {swxy} AS __wxy, {swxx} AS __wxx, {missing} AS __missing",
            by_cols = by_select(req, by),
            stratum = stratum_expr(req),
            psu = match &req.design.psu {
                Some(p) => format!("CAST({} AS VARCHAR)", ident(p)),
                None => "CAST(NULL AS VARCHAR)".into(),
            },
            n_all = agg("1".into()),
            fpc_lo = if grouped {
                format!("MIN({fpc})")
            } else {
                fpc.clone()
            },
            fpc_hi = if grouped {
                format!("MAX({fpc})")
            } else {
                fpc.clone()
            },
            n = agg(format!("CASE WHEN {indom} THEN 1 ELSE 0 END")),
            sw = agg(format!("CASE WHEN {indom} THEN {w} ELSE 0 END")),
            swy = agg(format!("CASE WHEN {indom} THEN {w} * {y_d} ELSE 0 END")),
            swx = agg(format!("CASE WHEN {indom} THEN {w} * {x_d} ELSE 0 END")),
            swyy = agg(format!(
                "CASE WHEN {indom} THEN {w} * {y_d} * {y_d} ELSE 0 END"
            )),
            swxy = agg(format!(
                "CASE WHEN {indom} THEN {w} * {x_d} * {y_d} ELSE 0 END"
            )),
            swxx = agg(format!(
                "CASE WHEN {indom} THEN {w} * {x_d} * {x_d} ELSE 0 END"
            )),
            missing = agg(format!(
                "CASE WHEN {indom} AND ({y_d} IS NULL OR {x_d} IS NULL) THEN 1 ELSE 0 END"
            )),
        );
        for (k, c) in supplied.iter().enumerate() {
            let rw = ident(c);
            columns.push_str(&format!(
                ", {} AS __ry{k}, {} AS __rx{k}",
                agg(format!("CASE WHEN {indom} THEN {rw} * {y_d} ELSE 0 END")),
                agg(format!("CASE WHEN {indom} THEN {rw} * {x_d} ELSE 0 END"))
            ));
        }
        let group_by = grouped.then(|| {
            let mut keys: Vec<String> = (0..by.len()).map(|i| format!("__by{i}")).collect();
            keys.push("__stratum".into());
            keys.push("__psu".into());
            keys.join(", ")
        });
        LinearScan {
            kind,
            y: y_d,
            x: x_d,
            in_domain: indom,
            columns,
            group_by,
            supplied: supplied.len(),
        }
    }
}

/// The scan's rows gathered into the design (strata, PSUs), the domains and their cells' sums,
/// batch by batch, whatever ran the query (the file scan or the office's database).
pub(super) struct CellCollector {
    builder: DesignBuilder,
    domains: Domains,
    cells: Vec<Vec<(PsuRef, CellSums)>>,
    replicate_totals: Vec<Vec<(f64, f64)>>,
    /// Records in the domain without a value for the statistic.
    pub missing_values: f64,
    by: usize,
    grouped: bool,
    supplied: usize,
}

impl CellCollector {
    pub fn new(scan: &LinearScan, by: usize) -> Self {
        CellCollector {
            builder: DesignBuilder::default(),
            domains: Domains::default(),
            cells: Vec::new(),
            replicate_totals: Vec::new(),
            missing_values: 0.0,
            by,
            grouped: scan.group_by.is_some(),
            supplied: scan.supplied,
        }
    }

    /// Adds one batch of the scan's rows (columns as in [`LinearScan::columns`]).
    pub fn add(&mut self, b: &RecordBatch) -> Result<(), DataError> {
        let nb = self.by;
        let by_cols: Vec<_> = (0..nb)
            .map(|i| str_column(b, i))
            .collect::<Result<_, _>>()?;
        let stratum = str_column(b, nb)?;
        let psu = str_column(b, nb + 1)?;
        let nums: Vec<_> = (nb + 2..nb + 2 + 11 + 2 * self.supplied)
            .map(|i| f64_column(b, i))
            .collect::<Result<_, _>>()?;
        for r in 0..b.num_rows() {
            let s = if stratum.is_null(r) {
                ""
            } else {
                stratum.value(r)
            };
            let fpc = if nums[1].is_null(r) {
                None
            } else {
                Some((nums[1].value(r), nums[2].value(r)))
            };
            let psu_ref = if self.grouped {
                let p = if psu.is_null(r) { "" } else { psu.value(r) };
                self.builder.psu(s, p, fpc)
            } else {
                self.builder.unit_psu(s, fpc)
            };
            let n = nums[3].value(r);
            self.missing_values += nums[10].value(r);
            if n == 0.0 {
                continue;
            }
            let key: Vec<String> = by_cols.iter().map(|c| c.value(r).to_string()).collect();
            let id = self.domains.id(key) as usize;
            if self.cells.len() <= id {
                self.cells.resize_with(id + 1, Vec::new);
                let supplied = self.supplied;
                self.replicate_totals
                    .resize_with(id + 1, || vec![(0.0, 0.0); supplied]);
            }
            let v = |i: usize| nums[i].value(r);
            self.cells[id].push((
                psu_ref,
                CellSums {
                    n: n as u64,
                    w: v(4),
                    y: v(5),
                    x: v(6),
                    yy: v(7),
                    xy: v(8),
                    xx: v(9),
                },
            ));
            for (k, t) in self.replicate_totals[id].iter_mut().enumerate() {
                t.0 += v(11 + 2 * k);
                t.1 += v(12 + 2 * k);
            }
        }
        Ok(())
    }
}

/// A linear statistic (total, mean, ratio, share) over one file: the statistic's SQL, one
/// `GROUP BY` scan to per-(domain, stratum, PSU) sums (and supplied replicate totals), then
/// [`estimate_from_cells`].
pub(super) async fn estimate_linear_statistic(
    file: &SurveyFile,
    req: &EstimateRequest,
    by: &[String],
) -> Result<EstimateTable, DataError> {
    let scan = LinearScan::new(req, by, &|c| file.has_column(c));
    let mut cells = CellCollector::new(&scan, by.len());
    file.for_each_batch(&scan.sql(crate::scan::TABLE, ""), |b| cells.add(b))
        .await?;
    if cells.missing_values > 0.0 {
        let predicate = format!(
            "{} AND ({} IS NULL OR {} IS NULL)",
            scan.in_domain, scan.y, scan.x
        );
        return Err(missing_value_error(
            file,
            &req.statistic,
            &predicate,
            format!(
                "a value for {stat} inside the domain ({missing} records in the domain \
                 have none; exclude them with --where)",
                stat = describe(&req.statistic),
                missing = cells.missing_values
            ),
        )
        .await);
    }
    estimate_from_cells(cells, scan.kind, req, by)
}

/// The estimates of every domain and gap from the cells' sums: the design, the variance
/// (linearisation, replicates of the design, or supplied replicate weights' totals), and the
/// publication of each figure.
///
/// Long (about 110 lines) because the domains and their gaps share one batch of estimates
/// whose rule bases are paired afterwards; the steps that stand alone (gap pairing,
/// intervals, rule bases, variance) are `incity-estimation`'s, shared with the release
/// pipeline.
pub(super) fn estimate_from_cells(
    cells: CellCollector,
    kind: LinearKind,
    req: &EstimateRequest,
    by: &[String],
) -> Result<EstimateTable, DataError> {
    let CellCollector {
        builder,
        domains,
        cells,
        replicate_totals,
        ..
    } = cells;
    let design = builder.build(req.design.lonely_psu, req.design.fpc.as_deref())?;
    let sorted = domains.sorted();
    if sorted.is_empty() {
        return Err(DataError::EmptyResult);
    }
    let sums: Vec<DomainSums> = cells.into_iter().map(DomainSums::from_cells).collect();

    // Statistics: every domain, then every gap.
    let gap_position = req
        .gap
        .as_ref()
        .and_then(|(g, _)| by.iter().position(|b| b == g));
    let gaps = match (gap_position, &req.gap) {
        (Some(pos), Some((_, reference))) => gap_pairs(&sorted, pos, reference),
        _ => Vec::new(),
    };
    let mut stats: Vec<LinearStatistic<'_>> = sorted
        .iter()
        .map(|(_, id)| LinearStatistic {
            kind,
            domain: &sums[*id as usize],
            reference: None,
        })
        .collect();
    stats.extend(gaps.iter().map(|(_, a, r)| LinearStatistic {
        kind,
        domain: &sums[*a as usize],
        reference: Some(&sums[*r as usize]),
    }));

    let results: Vec<Result<PointAndVariance, EstimationError>> = match &req.variance {
        VarianceChoice::Supplied { columns, scale } => {
            let supplied_design = SuppliedReplicates {
                scale: *scale,
                rscales: vec![1.0; columns.len()],
                mse: req.mse,
            };
            let base = estimate_linear_batch(&design, &stats, &LinearVariance::Linearization)?;
            let mut ids: Vec<(u32, Option<u32>)> =
                sorted.iter().map(|(_, id)| (*id, None)).collect();
            ids.extend(gaps.iter().map(|(_, a, r)| (*a, Some(*r))));
            base.into_iter()
                .zip(ids)
                .map(|(pv, (a, r))| {
                    let mut pv = pv?;
                    let totals: Vec<ReplicateTotals> = (0..columns.len())
                        .map(|k| {
                            (
                                replicate_totals[a as usize][k],
                                r.map(|r| replicate_totals[r as usize][k]),
                            )
                        })
                        .collect();
                    pv.variance =
                        supplied_replicate_variance(kind, pv.estimate, &totals, &supplied_design);
                    Ok(pv)
                })
                .collect()
        }
        other => {
            let rep = replicate_design(&design, other, req.mse)?;
            let method = match &rep {
                Some(r) => LinearVariance::Replicates(r),
                None => LinearVariance::Linearization,
            };
            estimate_linear_batch(&design, &stats, &method)?
        }
    };

    let reference = req.gap.as_ref().map(|(_, r)| r.clone());
    let share = req.statistic.is_share();
    // The rule bases of the domains, by domain id, for their gaps.
    let mut bases: HashMap<u32, RuleBasis> = HashMap::new();
    let mut rows = Vec::with_capacity(results.len());
    for (i, res) in results.into_iter().enumerate() {
        let pv = res?;
        let (domain, gap_reference, basis) = if i < sorted.len() {
            let basis = RuleBasis::level(&pv, share);
            bases.insert(sorted[i].1, basis);
            (sorted[i].0.clone(), None, basis)
        } else {
            let (key, a, r) = &gaps[i - sorted.len()];
            let basis = match (bases.get(a), bases.get(r)) {
                (Some(a), Some(r)) => RuleBasis::gap(a, r),
                _ => return Err(DataError::Internal("a gap before its domains".into())),
            };
            (key.clone(), reference.clone(), basis)
        };
        let interval = figure_interval(gap_reference.is_some(), share, None);
        let estimate = Estimate::publish_with(&pv, interval, req.confidence, &req.rules, &basis);
        rows.push(EstimateRow {
            domain,
            reference: gap_reference,
            estimate,
        });
    }
    Ok(EstimateTable {
        by: by.to_vec(),
        gap_column: gap_position,
        rows,
    })
}
