//! Design-based estimation over a survey file: one DataFusion scan turns the file into the
//! sufficient statistics of [`incity_estimation`] (per domain × stratum × PSU weighted sums, or
//! unit-level values for quantile-type statistics), which are then estimated without touching
//! the file again.
//!
//! The scan is a single SQL query over the file. For designs with PSUs it is a `GROUP BY` of
//! the domain columns, stratum and PSU, so the engine reduces the records to one row per
//! (domain, PSU) cell while it streams the file: memory is bounded by the number of cells.
//! Designs without PSUs (each record its own PSU) and quantile-type statistics stream one row
//! per record.

//!
//! `request` holds what is asked and answered, `design` numbers strata and PSUs, `checks`
//! validates the file against the request, and `linear` and `unit` run the two kinds of scan;
//! this module dispatches a request and holds the SQL pieces and domain bookkeeping both use.

mod checks;
mod design;
mod linear;
mod pushdown;
mod request;
mod unit;

pub use design::DesignBuilder;
pub use pushdown::{aggregation_sql, estimate_from_aggregates, SqlDialect};
pub use request::{
    DesignColumns, EstimateRequest, EstimateRow, EstimateTable, Rule, Statistic, VarianceChoice,
};

use checks::{check_weight, non_numeric};
use linear::estimate_linear_statistic;
use unit::estimate_unit_statistic;

use std::collections::BTreeMap;

use incity_estimation::{ReplicateDesign, ReplicateMethod, SampleDesign};

use crate::scan::{ident, SurveyFile};
use crate::DataError;

/// Expression for a statistic argument: a column name is quoted, anything else is SQL.
fn expr(is_column: &dyn Fn(&str) -> bool, arg: &str) -> String {
    if is_column(arg) {
        ident(arg)
    } else {
        format!("({arg})")
    }
}

/// Domain keys: `--by` values of each domain, in sorted order.
#[derive(Default)]
struct Domains {
    index: BTreeMap<Vec<String>, u32>,
}

impl Domains {
    fn id(&mut self, key: Vec<String>) -> u32 {
        let next = self.index.len() as u32;
        *self.index.entry(key).or_insert(next)
    }

    /// Domains in sorted key order, with their ids.
    fn sorted(&self) -> Vec<(Vec<String>, u32)> {
        self.index.iter().map(|(k, v)| (k.clone(), *v)).collect()
    }
}

/// Gap pairs: for each domain whose gap column is not the reference level, the domain with the
/// same other `--by` values and the reference level ([`incity_estimation::gap_pairs`]): the
/// domain's key and id, and the reference domain's id.
fn gap_pairs(
    domains: &[(Vec<String>, u32)],
    gap_position: usize,
    reference: &str,
) -> Vec<(Vec<String>, u32, u32)> {
    incity_estimation::gap_pairs(
        domains,
        reference,
        |(key, _)| key[gap_position].as_str(),
        |(key, _)| {
            let mut others = key.clone();
            others.remove(gap_position);
            others
        },
    )
    .into_iter()
    .map(|(a, r)| (domains[a].0.clone(), domains[a].1, domains[r].1))
    .collect()
}

/// Runs one estimation request: validates the file and the request, scans once, estimates.
pub async fn estimate(req: &EstimateRequest) -> Result<EstimateTable, DataError> {
    let file = SurveyFile::open(&req.data).await?;
    let d = &req.design;
    file.require_column(&d.weight, "weight (--weight)")?;
    if let Some(s) = &d.strata {
        file.require_column(s, "strata (--strata)")?;
    }
    if let Some(p) = &d.psu {
        file.require_column(p, "PSU (--psu)")?;
    }
    if let Some(f) = &d.fpc {
        file.require_column(f, "finite population correction (--fpc)")?;
    }
    if let Some(c) = &req.country {
        file.require_column(c, "country (--country)")?;
    }
    if let Some((g, _)) = &req.gap {
        if !req.is_derived(g) {
            file.require_column(g, "gap (--gap)")?;
        }
    }
    let by = by_with_gap(req);
    for b in &by {
        if !req.is_derived(b) {
            file.require_column(b, "domain (--by)")?;
        }
    }
    if let VarianceChoice::Supplied { columns, .. } = &req.variance {
        if columns.is_empty() {
            return Err(DataError::Design(
                "no replicate weight columns were given".into(),
            ));
        }
        for c in columns {
            file.require_column(c, "replicate weight")?;
        }
    }
    check_weight(&file, &d.weight).await?;
    for n in [&d.fpc].into_iter().flatten() {
        if !file.is_numeric(n) {
            return Err(non_numeric(&file, n, "finite population correction").await);
        }
    }

    match &req.statistic {
        Statistic::Total(_) | Statistic::Mean(_) | Statistic::Ratio(..) | Statistic::Share(_) => {
            estimate_linear_statistic(&file, req, &by).await
        }
        _ => estimate_unit_statistic(&file, req, &by).await,
    }
}

/// The domain columns: `--by`, and the gap's column when it is not among them.
fn by_with_gap(req: &EstimateRequest) -> Vec<String> {
    let mut by = req.by.clone();
    if let Some((g, _)) = &req.gap {
        if !by.contains(g) {
            by.push(g.clone());
        }
    }
    by
}

/// SQL text for the domain condition (NULL counts as outside).
fn domain_condition(req: &EstimateRequest) -> String {
    match &req.condition {
        Some(c) => format!("COALESCE(({c}), FALSE)"),
        None => "TRUE".to_string(),
    }
}

fn by_select(req: &EstimateRequest, by: &[String]) -> String {
    by.iter()
        .enumerate()
        .map(|(i, b)| format!("CAST({} AS VARCHAR) AS __by{i}, ", req.column_sql(b)))
        .collect()
}

fn stratum_expr(req: &EstimateRequest) -> String {
    match &req.design.strata {
        Some(s) => format!("CAST({} AS VARCHAR)", ident(s)),
        None => "'all'".to_string(),
    }
}

fn replicate_design(
    design: &SampleDesign,
    choice: &VarianceChoice,
    mse: bool,
) -> Result<Option<ReplicateDesign>, DataError> {
    let method = match choice {
        VarianceChoice::Linearization | VarianceChoice::Supplied { .. } => return Ok(None),
        VarianceChoice::Jk1 => ReplicateMethod::Jk1,
        VarianceChoice::Jkn => ReplicateMethod::Jkn,
        VarianceChoice::Bootstrap { replicates, seed } => ReplicateMethod::Bootstrap {
            replicates: *replicates,
            seed: *seed,
        },
    };
    Ok(Some(ReplicateDesign::new(design, method, mse)?))
}

fn describe(s: &Statistic) -> String {
    match s {
        Statistic::Total(a) => format!("total({a})"),
        Statistic::Mean(a) => format!("mean({a})"),
        Statistic::Ratio(a, b) => format!("ratio({a}, {b})"),
        Statistic::Share(c) => format!("share({c})"),
        Statistic::Quantile(a, p) => format!("quantile({a}, {p})"),
        Statistic::Median(a) => format!("median({a})"),
        Statistic::PovertyRate(a) => format!("arpr({a})"),
        Statistic::Gini(a) => format!("gini({a})"),
    }
}
