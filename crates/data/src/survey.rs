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

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::str::FromStr;

use incity_estimation::{
    estimate_linear_batch, estimate_nonlinear, figure_interval, supplied_replicate_variance,
    CellSums, DomainSums, Estimate, EstimationError, Gap, LinearKind, LinearStatistic,
    LinearVariance, LonelyPsuRule, NonlinearKind, NonlinearVariance, PointAndVariance, PsuRef,
    PublicationRules, QuantileRule, ReplicateDesign, ReplicateMethod, ReplicateTotals, RuleBasis,
    SampleDesign, Stratum, SuppliedReplicates, UnitData, POVERTY_THRESHOLD_SHARE_OF_MEDIAN,
};

use datafusion::arrow::array::Array;

use crate::scan::{f64_column, ident, str_column, SurveyFile};
use crate::DataError;

/// The statistic to estimate, as written on the command line (`mean(X)`, `share(COND)`, ...).
/// Arguments are column names or SQL expressions over the file's columns.
#[derive(Debug, Clone, PartialEq)]
pub enum Statistic {
    Total(String),
    Mean(String),
    Ratio(String, String),
    Share(String),
    Quantile(String, f64),
    Median(String),
    PovertyRate(String),
    Gini(String),
}

impl Statistic {
    /// Whether results are shares (fractions) that get logit intervals.
    fn is_share(&self) -> bool {
        matches!(self, Statistic::Share(_) | Statistic::PovertyRate(_))
    }
}

/// Splits `a, b` at top-level commas (outside parentheses and quotes).
fn split_arguments(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut quote: Option<char> = None;
    let mut cur = String::new();
    for c in s.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => {
                quote = None;
                cur.push(c);
            }
            (Some(_), c) => cur.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                cur.push(c);
            }
            (None, '(') => {
                depth += 1;
                cur.push(c);
            }
            (None, ')') => {
                depth -= 1;
                cur.push(c);
            }
            (None, ',') if depth == 0 => {
                out.push(cur.trim().to_string());
                cur.clear();
            }
            (None, c) => cur.push(c),
        }
    }
    out.push(cur.trim().to_string());
    out
}

impl FromStr for Statistic {
    type Err = DataError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = |why: &str| DataError::InvalidStatistic {
            given: s.to_string(),
            reason: why.to_string(),
        };
        let s_trim = s.trim();
        let open = s_trim
            .find('(')
            .ok_or_else(|| bad("expected a function call such as mean(X)"))?;
        if !s_trim.ends_with(')') {
            return Err(bad("missing closing parenthesis"));
        }
        let name = s_trim[..open].trim().to_ascii_lowercase();
        let args = split_arguments(&s_trim[open + 1..s_trim.len() - 1]);
        if args.iter().any(|a| a.is_empty()) {
            return Err(bad("empty argument"));
        }
        let one = |args: &[String]| -> Result<String, DataError> {
            match args {
                [a] => Ok(a.clone()),
                _ => Err(bad("expected exactly one argument")),
            }
        };
        match name.as_str() {
            "total" => Ok(Statistic::Total(one(&args)?)),
            "mean" => Ok(Statistic::Mean(one(&args)?)),
            "share" => Ok(Statistic::Share(one(&args)?)),
            "median" => Ok(Statistic::Median(one(&args)?)),
            "arpr" => Ok(Statistic::PovertyRate(one(&args)?)),
            "gini" => Ok(Statistic::Gini(one(&args)?)),
            "ratio" => match args.as_slice() {
                [a, b] => Ok(Statistic::Ratio(a.clone(), b.clone())),
                _ => Err(bad(
                    "ratio takes two arguments: ratio(NUMERATOR, DENOMINATOR)",
                )),
            },
            "quantile" => match args.as_slice() {
                [a, p] => {
                    let p: f64 = p
                        .parse()
                        .map_err(|_| bad("the quantile's order must be a number in (0, 1)"))?;
                    if !(p > 0.0 && p < 1.0) {
                        return Err(bad(
                            "the quantile's order must lie strictly between 0 and 1",
                        ));
                    }
                    Ok(Statistic::Quantile(a.clone(), p))
                }
                _ => Err(bad("quantile takes two arguments: quantile(X, P)")),
            },
            other => Err(bad(&format!(
                "unknown statistic `{other}`: expected total, mean, ratio, share, quantile, \
                 median, arpr or gini"
            ))),
        }
    }
}

/// How the variance is estimated.
#[derive(Debug, Clone, PartialEq)]
pub enum VarianceChoice {
    Linearization,
    Jk1,
    Jkn,
    Bootstrap {
        replicates: usize,
        seed: u64,
    },
    /// Replicate weight columns supplied with the data.
    Supplied {
        columns: Vec<String>,
        scale: f64,
    },
}

/// The declared design: which columns hold the weight, strata, PSUs and FPC.
#[derive(Debug, Clone, PartialEq)]
pub struct DesignColumns {
    pub weight: String,
    pub strata: Option<String>,
    pub psu: Option<String>,
    pub fpc: Option<String>,
    pub lonely_psu: LonelyPsuRule,
}

/// Quantile rule used by `quantile(X, P)` (median and the poverty threshold always use the
/// EU-SILC rule).
pub use incity_estimation::QuantileRule as Rule;

/// Everything `incity estimate` needs.
#[derive(Debug, Clone)]
pub struct EstimateRequest {
    pub data: PathBuf,
    pub design: DesignColumns,
    pub variance: VarianceChoice,
    /// Centre replicates on the full-sample estimate instead of their mean.
    pub mse: bool,
    pub statistic: Statistic,
    pub quantile_rule: QuantileRule,
    pub condition: Option<String>,
    pub by: Vec<String>,
    /// `(column, reference level)`
    pub gap: Option<(String, String)>,
    /// Column whose levels each get their own poverty threshold.
    pub country: Option<String>,
    pub rules: PublicationRules,
    pub confidence: f64,
    /// Derived columns `(name, SQL expression)` usable in `by` (e.g. a target group computed
    /// from country of birth).
    pub derived: Vec<(String, String)>,
}

impl EstimateRequest {
    /// SQL for a `--by` or `--country` column: a derived column's expression, or the quoted
    /// column name.
    fn column_sql(&self, name: &str) -> String {
        match self.derived.iter().find(|d| d.0 == name) {
            Some((_, e)) => format!("({e})"),
            None => ident(name),
        }
    }

    fn is_derived(&self, name: &str) -> bool {
        self.derived.iter().any(|d| d.0 == name)
    }
}

/// One output row: the domain's `--by` values and the published estimate; for a gap, the
/// reference level of the gap column it is measured against.
#[derive(Debug, Clone, PartialEq)]
pub struct EstimateRow {
    pub domain: Vec<String>,
    /// For a gap: the reference level (`--gap COLUMN=REFERENCE`); `None` for a domain.
    pub reference: Option<String>,
    pub estimate: Estimate,
}

impl EstimateRow {
    pub fn is_gap(&self) -> bool {
        self.reference.is_some()
    }
}

/// All rows of one request.
#[derive(Debug, Clone, PartialEq)]
pub struct EstimateTable {
    pub by: Vec<String>,
    /// The position in `by` of the gap column, when gaps were asked for.
    pub gap_column: Option<usize>,
    pub rows: Vec<EstimateRow>,
}

/// Expression for a statistic argument: a column name is quoted, anything else is SQL.
fn expr(file: &SurveyFile, arg: &str) -> String {
    if file.has_column(arg) {
        ident(arg)
    } else {
        format!("({arg})")
    }
}

/// Strata and PSU numbering built from the scan.
#[derive(Default)]
pub struct DesignBuilder {
    strata: BTreeMap<String, StratumBuild>,
}

#[derive(Default)]
struct StratumBuild {
    id: u32,
    /// Named PSUs (designs with a PSU column).
    psus: HashMap<String, u32>,
    /// PSUs that are single records (designs without a PSU column), numbered after the named.
    unit_psus: u32,
    fpc: Option<(f64, f64)>,
}

impl DesignBuilder {
    fn stratum(&mut self, stratum: &str, fpc: Option<(f64, f64)>) -> &mut StratumBuild {
        let next = self.strata.len() as u32;
        let entry = self
            .strata
            .entry(stratum.to_string())
            .or_insert_with(|| StratumBuild {
                id: next,
                ..StratumBuild::default()
            });
        if let Some((lo, hi)) = fpc {
            entry.fpc = Some(match entry.fpc {
                Some((a, b)) => (a.min(lo), b.max(hi)),
                None => (lo, hi),
            });
        }
        entry
    }

    /// The PSU `psu` of stratum `stratum` (numbered on first sight).
    pub fn psu(&mut self, stratum: &str, psu: &str, fpc: Option<(f64, f64)>) -> PsuRef {
        let s = self.stratum(stratum, fpc);
        let next = s.psus.len() as u32;
        let j = match s.psus.get(psu) {
            Some(j) => *j,
            None => {
                s.psus.insert(psu.to_string(), next);
                next
            }
        };
        PsuRef {
            stratum: s.id,
            psu: j,
        }
    }

    /// A new PSU made of one record.
    fn unit_psu(&mut self, stratum: &str, fpc: Option<(f64, f64)>) -> PsuRef {
        let s = self.stratum(stratum, fpc);
        let j = s.psus.len() as u32 + s.unit_psus;
        s.unit_psus += 1;
        PsuRef {
            stratum: s.id,
            psu: j,
        }
    }

    /// The design of every stratum and PSU seen.
    pub fn build(
        self,
        rule: LonelyPsuRule,
        fpc_column: Option<&str>,
    ) -> Result<SampleDesign, DataError> {
        self.build_grouped(rule, fpc_column, |_| String::new())
    }

    /// As [`build`](Self::build), with the collapse group of each stratum label (for
    /// [`LonelyPsuRule::Collapse`] only strata of the same group are merged, e.g. the same
    /// country and year).
    pub fn build_grouped(
        self,
        rule: LonelyPsuRule,
        fpc_column: Option<&str>,
        group_of: impl Fn(&str) -> String,
    ) -> Result<SampleDesign, DataError> {
        let mut group_ids: BTreeMap<String, u32> = BTreeMap::new();
        let mut strata: Vec<(u32, Stratum, u32)> = Vec::with_capacity(self.strata.len());
        for (label, s) in self.strata {
            let (id, fpc) = (s.id, s.fpc);
            let n = s.psus.len() + s.unit_psus as usize;
            let f = match (fpc_column, fpc) {
                (Some(col), Some((lo, hi))) => {
                    if lo != hi {
                        return Err(DataError::Design(format!(
                            "the finite population correction `{col}` varies within stratum \
                             `{label}` ({lo} to {hi}); it must be constant per stratum"
                        )));
                    }
                    SampleDesign::sampling_fraction_from_fpc(lo, n)
                        .map_err(|e| DataError::Design(format!("stratum `{label}`: {e}")))?
                }
                (Some(col), None) => {
                    return Err(DataError::Design(format!(
                        "the finite population correction `{col}` is missing in stratum `{label}`"
                    )))
                }
                _ => 0.0,
            };
            let next = group_ids.len() as u32;
            let group = *group_ids.entry(group_of(&label)).or_insert(next);
            strata.push((
                id,
                Stratum {
                    label,
                    psu_count: n,
                    sampling_fraction: f,
                },
                group,
            ));
        }
        strata.sort_by_key(|s| s.0);
        let groups: Vec<u32> = strata.iter().map(|s| s.2).collect();
        SampleDesign::with_collapse_groups(strata.into_iter().map(|s| s.1).collect(), rule, &groups)
            .map_err(DataError::from)
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
    let mut by = req.by.clone();
    if let Some((g, _)) = &req.gap {
        if !req.is_derived(g) {
            file.require_column(g, "gap (--gap)")?;
        }
        if !by.contains(g) {
            by.push(g.clone());
        }
    }
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

async fn non_numeric(file: &SurveyFile, column: &str, role: &str) -> DataError {
    let predicate = format!(
        "{c} IS NOT NULL AND TRY_CAST({c} AS DOUBLE) IS NULL",
        c = ident(column)
    );
    match file.locate(&predicate, column).await {
        Ok(Some((line, value))) => DataError::BadValue {
            file: file.path.clone(),
            line,
            column: column.to_string(),
            value,
            expected: format!("a number ({role})"),
        },
        Ok(None) => DataError::BadValue {
            file: file.path.clone(),
            line: 0,
            column: column.to_string(),
            value: String::new(),
            expected: format!("a numeric column ({role})"),
        },
        Err(e) => e,
    }
}

/// Weights must be numeric, present and non-negative on every record.
async fn check_weight(file: &SurveyFile, weight: &str) -> Result<(), DataError> {
    if !file.is_numeric(weight) {
        return Err(non_numeric(file, weight, "survey weight").await);
    }
    let w = ident(weight);
    let sql = format!(
        "SELECT count(*) - count({w}) AS missing, min({w}) AS smallest, count(*) AS records FROM {t}",
        t = crate::scan::TABLE
    );
    let mut missing = 0.0;
    let mut smallest = f64::INFINITY;
    let mut records = 0.0;
    file.for_each_batch(&sql, |b| {
        if b.num_rows() > 0 {
            missing = f64_column(b, 0)?.value(0);
            let s = f64_column(b, 1)?;
            if !s.is_null(0) {
                smallest = s.value(0);
            }
            records = f64_column(b, 2)?.value(0);
        }
        Ok(())
    })
    .await?;
    if records == 0.0 {
        return Err(DataError::NoRecords {
            file: file.path.clone(),
        });
    }
    let bad = |predicate: String, expected: &'static str| async move {
        match file.locate(&predicate, weight).await {
            Ok(Some((line, value))) => DataError::BadValue {
                file: file.path.clone(),
                line,
                column: weight.to_string(),
                value,
                expected: expected.to_string(),
            },
            Ok(None) => DataError::Internal("bad weight not located".into()),
            Err(e) => e,
        }
    };
    if missing > 0.0 {
        return Err(bad(
            format!("{w} IS NULL"),
            "a survey weight (the field is empty)",
        )
        .await);
    }
    if smallest < 0.0 {
        return Err(bad(format!("{w} < 0"), "a non-negative survey weight").await);
    }
    Ok(())
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

/// A linear statistic (total, mean, ratio, share) over one file: the statistic's SQL, one
/// `GROUP BY` scan to per-(domain, stratum, PSU) sums (and supplied replicate totals), the
/// design, the estimates of every domain and gap, and their publication.
///
/// Long (about 270 lines) because it is one pass over the scan's result stream whose state —
/// the domain index, the cell sums, the design builder, the replicate totals — is filled row by
/// row and then consumed together; the steps that stand alone (gap pairing, intervals, rule
/// bases, variance) are `incity-estimation`'s, shared with the release pipeline.
async fn estimate_linear_statistic(
    file: &SurveyFile,
    req: &EstimateRequest,
    by: &[String],
) -> Result<EstimateTable, DataError> {
    let (kind, y, x) = match &req.statistic {
        Statistic::Total(a) => (LinearKind::Total, expr(file, a), "1.0".to_string()),
        Statistic::Mean(a) => (LinearKind::Ratio, expr(file, a), "1.0".to_string()),
        Statistic::Ratio(a, b) => (LinearKind::Ratio, expr(file, a), expr(file, b)),
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
    let mut select = format!(
        "SELECT {by_cols}{stratum} AS __stratum, {psu} AS __psu, \
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
        select.push_str(&format!(
            ", {} AS __ry{k}, {} AS __rx{k}",
            agg(format!("CASE WHEN {indom} THEN {rw} * {y_d} ELSE 0 END")),
            agg(format!("CASE WHEN {indom} THEN {rw} * {x_d} ELSE 0 END"))
        ));
    }
    select.push_str(&format!(" FROM {}", crate::scan::TABLE));
    if grouped {
        let mut keys: Vec<String> = (0..by.len()).map(|i| format!("__by{i}")).collect();
        keys.push("__stratum".into());
        keys.push("__psu".into());
        select.push_str(&format!(" GROUP BY {}", keys.join(", ")));
    }

    let mut builder = DesignBuilder::default();
    let mut domains = Domains::default();
    let mut cells: Vec<Vec<(PsuRef, CellSums)>> = Vec::new();
    let mut replicate_totals: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut missing_values = 0.0;
    let nb = by.len();
    file.for_each_batch(&select, |b| {
        let by_cols: Vec<_> = (0..nb)
            .map(|i| str_column(b, i))
            .collect::<Result<_, _>>()?;
        let stratum = str_column(b, nb)?;
        let psu = str_column(b, nb + 1)?;
        let nums: Vec<_> = (nb + 2..b.num_columns())
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
            let psu_ref = if grouped {
                let p = if psu.is_null(r) { "" } else { psu.value(r) };
                builder.psu(s, p, fpc)
            } else {
                builder.unit_psu(s, fpc)
            };
            let n = nums[3].value(r);
            missing_values += nums[10].value(r);
            if n == 0.0 {
                continue;
            }
            let key: Vec<String> = by_cols.iter().map(|c| c.value(r).to_string()).collect();
            let id = domains.id(key) as usize;
            if cells.len() <= id {
                cells.resize_with(id + 1, Vec::new);
                replicate_totals.resize_with(id + 1, || vec![(0.0, 0.0); supplied.len()]);
            }
            let v = |i: usize| nums[i].value(r);
            cells[id].push((
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
            for (k, t) in replicate_totals[id].iter_mut().enumerate() {
                t.0 += v(11 + 2 * k);
                t.1 += v(12 + 2 * k);
            }
        }
        Ok(())
    })
    .await?;

    if missing_values > 0.0 {
        let predicate = format!("{indom} AND ({y_d} IS NULL OR {x_d} IS NULL)");
        return Err(missing_value_error(
            file,
            &req.statistic,
            &predicate,
            format!(
                "a value for {stat} inside the domain ({missing_values} records in the domain \
                 have none; exclude them with --where)",
                stat = describe(&req.statistic)
            ),
        )
        .await);
    }
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

/// The error for a record without a value for the statistic: locates the first such record.
async fn missing_value_error(
    file: &SurveyFile,
    statistic: &Statistic,
    predicate: &str,
    expected: String,
) -> DataError {
    let column = first_column_of(file, statistic);
    match file.locate(predicate, &column).await {
        Ok(found) => {
            let (line, value) = found.unwrap_or((0, String::new()));
            DataError::BadValue {
                file: file.path.clone(),
                line,
                column,
                value,
                expected,
            }
        }
        Err(e) => e,
    }
}

/// The column to show in an error about a statistic's missing values: its first argument if
/// that is a column, else the weight.
fn first_column_of(file: &SurveyFile, s: &Statistic) -> String {
    let arg = match s {
        Statistic::Total(a)
        | Statistic::Mean(a)
        | Statistic::Ratio(a, _)
        | Statistic::Share(a)
        | Statistic::Quantile(a, _)
        | Statistic::Median(a)
        | Statistic::PovertyRate(a)
        | Statistic::Gini(a) => a,
    };
    if file.has_column(arg) {
        return arg.clone();
    }
    file.column_names()
        .into_iter()
        .find(|c| arg.contains(c))
        .map_or_else(|| arg.clone(), String::from)
}

/// A quantile, median, poverty rate or Gini over one file: one scan to unit values (value,
/// weight, PSU and domain per unit, plus the poverty threshold's population), then
/// `incity_estimation::estimate_nonlinear` for every domain and gap.
///
/// Long (about 230 lines) for the same reason as [`estimate_linear_statistic`]: the scan's
/// rows fill the unit data, the domain index and the design together.
async fn estimate_unit_statistic(
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
    let value = format!("CAST({} AS DOUBLE)", expr(file, value_arg));
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
