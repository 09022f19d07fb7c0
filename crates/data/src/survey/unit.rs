//! Quantile-type statistics over one file (quantiles, median, poverty rate, Gini) from unit
//! values.

use std::collections::BTreeMap;

use incity_estimation::{
    estimate_nonlinear, figure_interval, Estimate, Gap, NonlinearKind, NonlinearVariance,
    QuantileRule, RuleBasis, UnitData, POVERTY_THRESHOLD_SHARE_OF_MEDIAN,
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

/// A quantile, median, poverty rate or Gini over one file: one scan to unit values (value,
/// weight, PSU and domain per unit, plus the poverty threshold's population), then
/// `incity_estimation::estimate_nonlinear` for every domain and gap.
///
/// Long (about 230 lines) for the same reason as [`estimate_linear_statistic`]: the scan's
/// rows fill the unit data, the domain index and the design together.
pub(super) async fn estimate_unit_statistic(
    file: &SurveyFile,
    req: &EstimateRequest,
    by: &[String],
) -> Result<EstimateTable, DataError> {
    let (value_arg, kind) = match &req.statistic {
        Statistic::Quantile(a, p) => (
            a,
            NonlinearKind::Quantile {
                p: *p,
                rule: req.quantile_rule,
            },
        ),
        Statistic::Median(a) => (
            a,
            NonlinearKind::Quantile {
                p: 0.5,
                rule: QuantileRule::EuSilc,
            },
        ),
        Statistic::PovertyRate(a) => (
            a,
            NonlinearKind::PovertyRate {
                fraction: POVERTY_THRESHOLD_SHARE_OF_MEDIAN,
            },
        ),
        Statistic::Gini(a) => (a, NonlinearKind::Gini),
        _ => unreachable!("linear statistics are handled elsewhere"),
    };
    if matches!(req.variance, VarianceChoice::Supplied { .. }) {
        return Err(DataError::Design(
            "supplied replicate weights are supported for totals, means, ratios and shares; \
             use --variance linearization, jk1, jkn or bootstrap for this statistic"
                .into(),
        ));
    }
    let poverty = matches!(kind, NonlinearKind::PovertyRate { .. });
    let value = format!(
        "CAST({} AS DOUBLE)",
        expr(&|c| file.has_column(c), value_arg)
    );
    let dom = domain_condition(req);
    let by_null = by
        .iter()
        .map(|b| format!(" OR {} IS NULL", req.column_sql(b)))
        .collect::<String>();
    let indom = format!("({dom} AND NOT (FALSE{by_null}))");
    let w = ident(&req.design.weight);
    let fpc = match &req.design.fpc {
        Some(f) => format!("CAST({} AS DOUBLE)", ident(f)),
        None => "CAST(NULL AS DOUBLE)".to_string(),
    };
    let psu = match &req.design.psu {
        Some(p) => format!("CAST({} AS VARCHAR)", ident(p)),
        None => "CAST(NULL AS VARCHAR)".into(),
    };
    let group = match &req.country {
        Some(c) => format!("CAST({} AS VARCHAR)", ident(c)),
        None => "'all'".into(),
    };
    let sql = format!(
        "SELECT {by_cols}{stratum} AS __stratum, {psu} AS __psu, {fpc} AS __fpc, \
         CAST({w} AS DOUBLE) AS __w, {value} AS __value, \
         CASE WHEN {indom} THEN 1 ELSE 0 END AS __in, {group} AS __group FROM {t}",
        by_cols = by_select(req, by),
        stratum = stratum_expr(req),
        t = crate::scan::TABLE,
    );
    let mut builder = DesignBuilder::default();
    let mut domains = Domains::default();
    let mut groups: BTreeMap<String, u32> = BTreeMap::new();
    let mut units = UnitData::default();
    let mut missing = false;
    let nb = by.len();
    file.for_each_batch(&sql, |b| {
        let by_cols: Vec<_> = (0..nb)
            .map(|i| str_column(b, i))
            .collect::<Result<_, _>>()?;
        let stratum = str_column(b, nb)?;
        let psu_col = str_column(b, nb + 1)?;
        let fpc_col = f64_column(b, nb + 2)?;
        let w_col = f64_column(b, nb + 3)?;
        let v_col = f64_column(b, nb + 4)?;
        let in_col = f64_column(b, nb + 5)?;
        let g_col = str_column(b, nb + 6)?;
        for r in 0..b.num_rows() {
            let s = if stratum.is_null(r) {
                ""
            } else {
                stratum.value(r)
            };
            let fpc = (!fpc_col.is_null(r)).then(|| (fpc_col.value(r), fpc_col.value(r)));
            let psu_ref = if req.design.psu.is_some() {
                builder.psu(
                    s,
                    if psu_col.is_null(r) {
                        ""
                    } else {
                        psu_col.value(r)
                    },
                    fpc,
                )
            } else {
                builder.unit_psu(s, fpc)
            };
            let inside = in_col.value(r) == 1.0;
            if !inside && !poverty {
                continue;
            }
            if v_col.is_null(r) {
                missing = true;
                continue;
            }
            let domain = inside
                .then(|| domains.id(by_cols.iter().map(|c| c.value(r).to_string()).collect()));
            let g = if g_col.is_null(r) { "" } else { g_col.value(r) };
            let next = groups.len() as u32;
            let gid = *groups.entry(g.to_string()).or_insert(next);
            units.psu.push(psu_ref);
            units.weight.push(w_col.value(r));
            units.value.push(v_col.value(r));
            units.domain.push(domain);
            units.group.push(gid);
        }
        Ok(())
    })
    .await?;
    if missing {
        let predicate = if poverty {
            format!("{value} IS NULL")
        } else {
            format!("{indom} AND {value} IS NULL")
        };
        return Err(missing_value_error(
            file,
            &req.statistic,
            &predicate,
            if poverty {
                "an income for every record (the poverty threshold uses the whole file)".into()
            } else {
                format!(
                    "a value for {} inside the domain (exclude such records with --where)",
                    describe(&req.statistic)
                )
            },
        )
        .await);
    }
    let design = builder.build(req.design.lonely_psu, req.design.fpc.as_deref())?;
    let sorted = domains.sorted();
    if sorted.is_empty() {
        return Err(DataError::EmptyResult);
    }
    // Renumber domains to sorted order.
    let mut remap = vec![0u32; sorted.len()];
    for (pos, (_, id)) in sorted.iter().enumerate() {
        remap[*id as usize] = pos as u32;
    }
    for d in units.domain.iter_mut().flatten() {
        *d = remap[*d as usize];
    }
    let gap_position = req
        .gap
        .as_ref()
        .and_then(|(g, _)| by.iter().position(|b| b == g));
    let sorted_positions: Vec<(Vec<String>, u32)> = sorted
        .iter()
        .enumerate()
        .map(|(pos, (k, _))| (k.clone(), pos as u32))
        .collect();
    let gaps = match (gap_position, &req.gap) {
        (Some(pos), Some((_, reference))) => gap_pairs(&sorted_positions, pos, reference),
        _ => Vec::new(),
    };
    let gap_index: Vec<Gap> = gaps
        .iter()
        .map(|(_, a, r)| Gap::difference(*a as usize, *r as usize))
        .collect();
    let rep = replicate_design(&design, &req.variance, req.mse)?;
    let method = match &rep {
        Some(r) => NonlinearVariance::Replicates(r),
        None => NonlinearVariance::Linearization,
    };
    let (domain_results, gap_results) = estimate_nonlinear(
        &design,
        &units,
        sorted.len(),
        kind,
        method,
        &gap_index,
        req.confidence,
    )?;
    let mut rows = Vec::new();
    // The rule bases of the domains, by sorted position (the ids of `gaps`).
    let mut bases = Vec::with_capacity(domain_results.len());
    for (i, res) in domain_results.into_iter().enumerate() {
        let r = res?;
        let basis = RuleBasis::level(&r.point, poverty);
        bases.push(basis);
        rows.push(EstimateRow {
            domain: sorted_positions[i].0.clone(),
            reference: None,
            estimate: Estimate::publish_with(
                &r.point,
                figure_interval(false, poverty, r.interval),
                req.confidence,
                &req.rules,
                &basis,
            ),
        });
    }
    for ((key, a, b), res) in gaps.iter().zip(gap_results) {
        let r = res?;
        rows.push(EstimateRow {
            domain: key.clone(),
            reference: req.gap.as_ref().map(|(_, r)| r.clone()),
            estimate: Estimate::publish_with(
                &r.point,
                figure_interval(true, poverty, r.interval),
                req.confidence,
                &req.rules,
                &RuleBasis::gap(&bases[*a as usize], &bases[*b as usize]),
            ),
        });
    }
    Ok(EstimateTable {
        by: by.to_vec(),
        gap_column: gap_position,
        rows,
    })
}
