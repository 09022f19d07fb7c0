//! What `incity estimate` is asked: the statistic, the design columns, the variance method,
//! the domains and gaps; and what it answers: one row per domain and gap.

use std::path::PathBuf;
use std::str::FromStr;

use incity_estimation::{Estimate, LonelyPsuRule, PublicationRules, QuantileRule};

use crate::scan::ident;
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
    pub(super) fn is_share(&self) -> bool {
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
    pub(super) fn column_sql(&self, name: &str) -> String {
        match self.derived.iter().find(|d| d.0 == name) {
            Some((_, e)) => format!("({e})"),
            None => ident(name),
        }
    }

    pub(super) fn is_derived(&self, name: &str) -> bool {
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
