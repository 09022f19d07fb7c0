//! Pushdown of a linear estimate to the database that holds the microdata.
//!
//! Where microdata may not leave an office's database, the office runs the scan there:
//! [`aggregation_sql`] writes the per-(domain, stratum, PSU) reduction of
//! [`super::linear::LinearScan`] — the very query the file scan runs — for PostgreSQL or
//! standard SQL, over the office's table. Its result holds one row per (domain, stratum, PSU)
//! cell with weighted sums (`Σw`, `Σwy`, `Σwx`, `Σwy²`, `Σwxy`, `Σwx²`, respondents), never a
//! record. [`estimate_from_aggregates`] reads that result back (CSV with a header) and
//! estimates from it exactly as from a file: the design, the variance and the publication rules
//! only ever see these sums (the linearisation and replicate variances of a linear statistic
//! are functions of per-PSU totals: Wolter 2007, ch. 1 and 6; Särndal, Swensson & Wretman 1992,
//! § 5.5).
//!
//! Only designs with PSUs are pushed down: without PSUs each record is its own PSU and its
//! "per-PSU sums" would be the microdata themselves. Quantile-type statistics (median, ARPR,
//! Gini, quantiles) need the unit values and are not pushed down.
//!
//! The SQL is rewritten with the `sqlparser` crate that DataFusion parses with: every column
//! reference is quoted (incity's columns are case-sensitive; PostgreSQL folds unquoted names to
//! lower case), `DOUBLE` becomes `DOUBLE PRECISION`, `GROUP BY` names the grouped expressions
//! rather than their aliases (standard SQL has no alias grouping) and drops constants
//! (PostgreSQL refuses `GROUP BY 'all'`), and the table is the office's.

use std::collections::HashMap;
use std::ops::ControlFlow;
use std::path::Path;
use std::sync::Arc;

use datafusion::arrow::array::Array;
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::sql::sqlparser::ast::{
    visit_expressions_mut, visit_relations_mut, CharacterLength, DataType as SqlType, Expr,
    GroupByExpr, Ident, ObjectName, SelectItem, SetExpr, Statement,
};
use datafusion::sql::sqlparser::dialect::GenericDialect;
use datafusion::sql::sqlparser::parser::Parser;

use super::linear::{estimate_from_cells, CellCollector, LinearScan};
use super::request::{EstimateRequest, EstimateTable, Statistic};
use super::{by_with_gap, describe};
use crate::scan::{f64_column, ident, SurveyFile, TABLE};
use crate::DataError;

/// The SQL dialect of [`aggregation_sql`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SqlDialect {
    /// PostgreSQL: text keys as `VARCHAR`.
    Postgres,
    /// Standard SQL (SQL:2016 core): text keys as `VARCHAR(255)`, which the standard requires to
    /// have a length.
    Ansi,
}

/// Columns the pushed-down query adds to the scan's: whether every record has a non-negative
/// weight (the file scan checks this on the file itself).
const WEIGHT_CHECK_COLUMNS: [&str; 2] = ["__weight_missing", "__weight_min"];

/// The scan's own numeric columns after `__by…, __stratum, __psu`.
const SUM_COLUMNS: [&str; 11] = [
    "__n_all",
    "__fpc_lo",
    "__fpc_hi",
    "__n",
    "__w",
    "__wy",
    "__wx",
    "__wyy",
    "__wxy",
    "__wxx",
    "__missing",
];

/// A statistic argument is a column when it is a plain SQL name (the office's table is not at
/// hand to ask); anything else is an SQL expression.
fn is_plain_name(arg: &str) -> bool {
    let mut chars = arg.chars();
    let starts = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    starts
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !["TRUE", "FALSE", "NULL"].contains(&arg.to_ascii_uppercase().as_str())
}

/// The request's scan, if it can be pushed down.
fn pushed_down_scan(req: &EstimateRequest, by: &[String]) -> Result<LinearScan, DataError> {
    if !matches!(
        req.statistic,
        Statistic::Total(_) | Statistic::Mean(_) | Statistic::Ratio(..) | Statistic::Share(_)
    ) {
        return Err(DataError::InvalidStatistic {
            given: describe(&req.statistic),
            reason: "only totals, means, ratios and shares reduce to per-PSU sums; quantiles, \
                     medians, poverty rates and Gini coefficients need the records"
                .into(),
        });
    }
    if req.design.psu.is_none() {
        return Err(DataError::Design(
            "pushdown needs --psu: without PSUs every record is its own PSU, and its sums would \
             be the microdata themselves"
                .into(),
        ));
    }
    Ok(LinearScan::new(req, by, &is_plain_name))
}

/// The names of the aggregation's result columns, in order.
fn result_columns(scan: &LinearScan, by: usize) -> Vec<String> {
    let mut names: Vec<String> = (0..by).map(|i| format!("__by{i}")).collect();
    names.extend(["__stratum".to_string(), "__psu".to_string()]);
    names.extend(SUM_COLUMNS.iter().map(|c| c.to_string()));
    for k in 0..scan.supplied {
        names.extend([format!("__ry{k}"), format!("__rx{k}")]);
    }
    names.extend(WEIGHT_CHECK_COLUMNS.iter().map(|c| c.to_string()));
    names
}

/// The per-(domain, stratum, PSU) aggregation of `req` over `table` (a table name, optionally
/// schema-qualified with dots), in `dialect`: the query whose CSV result
/// [`estimate_from_aggregates`] reads. The request's `data` is not read.
pub fn aggregation_sql(
    req: &EstimateRequest,
    table: &str,
    dialect: SqlDialect,
) -> Result<String, DataError> {
    let by = by_with_gap(req);
    let scan = pushed_down_scan(req, &by)?;
    let w = ident(&req.design.weight);
    let checks = format!(
        ", SUM(CASE WHEN {w} IS NULL THEN 1 ELSE 0 END) AS {}, MIN({w}) AS {}",
        WEIGHT_CHECK_COLUMNS[0], WEIGHT_CHECK_COLUMNS[1]
    );
    translate(&scan.sql(TABLE, &checks), table, dialect)
}

/// Rewrites incity's DataFusion SQL for `dialect` over `table` (see the module's text).
fn translate(sql: &str, table: &str, dialect: SqlDialect) -> Result<String, DataError> {
    let mut statements = Parser::parse_sql(&GenericDialect {}, sql)
        .map_err(|e| DataError::Pushdown(format!("the expressions do not parse: {e}")))?;
    let [Statement::Query(query)] = statements.as_mut_slice() else {
        return Err(DataError::Pushdown(
            "the expressions make more than one query".into(),
        ));
    };
    let SetExpr::Select(select) = query.body.as_mut() else {
        return Err(DataError::Internal("the scan is not a SELECT".into()));
    };
    let aliases: HashMap<String, Expr> = select
        .projection
        .iter()
        .filter_map(|item| match item {
            SelectItem::ExprWithAlias { expr, alias } => Some((alias.value.clone(), expr.clone())),
            _ => None,
        })
        .collect();
    if let GroupByExpr::Expressions(keys, _) = &mut select.group_by {
        *keys = keys
            .drain(..)
            .map(|key| match &key {
                Expr::Identifier(name) => aliases.get(&name.value).cloned().unwrap_or(key),
                _ => key,
            })
            .filter(|key| !matches!(key, Expr::Value(_)))
            .collect();
    }
    let table_name = ObjectName::from(
        table
            .split('.')
            .map(|part| Ident::with_quote('"', part))
            .collect::<Vec<_>>(),
    );
    if table.split('.').any(str::is_empty) {
        return Err(DataError::Pushdown(format!(
            "table `{table}`: expected NAME or SCHEMA.NAME"
        )));
    }
    let _ = visit_relations_mut(&mut statements, |name| {
        *name = table_name.clone();
        ControlFlow::<()>::Continue(())
    });
    let _ = visit_expressions_mut(&mut statements, |expr| {
        match expr {
            Expr::Identifier(name) => quote(name),
            Expr::CompoundIdentifier(names) => names.iter_mut().for_each(quote),
            Expr::Cast { data_type, .. } => *data_type = sql_type(data_type, dialect),
            _ => {}
        }
        ControlFlow::<()>::Continue(())
    });
    Ok(format!("{:#};", statements[0]))
}

fn quote(name: &mut Ident) {
    if name.quote_style.is_none() {
        name.quote_style = Some('"');
    }
}

fn sql_type(t: &SqlType, dialect: SqlDialect) -> SqlType {
    match (t, dialect) {
        (SqlType::Double(_) | SqlType::Float8, _) => SqlType::DoublePrecision,
        (SqlType::Varchar(None), SqlDialect::Ansi) => {
            SqlType::Varchar(Some(CharacterLength::IntegerLength {
                length: 255,
                unit: None,
            }))
        }
        _ => t.clone(),
    }
}

/// Estimates `req` from the result of its [`aggregation_sql`], saved as CSV with a header
/// (e.g. PostgreSQL's `\copy (…) TO 'file.csv' CSV HEADER`): the same design, variance and
/// publication as a scan of the records. The request's `data` is not read.
pub async fn estimate_from_aggregates(
    req: &EstimateRequest,
    aggregates: &Path,
) -> Result<EstimateTable, DataError> {
    let by = by_with_gap(req);
    let scan = pushed_down_scan(req, &by)?;
    let names = result_columns(&scan, by.len());
    check_header(aggregates, &names)?;
    let schema = Schema::new(
        names
            .iter()
            .enumerate()
            .map(|(i, n)| {
                let text = i < by.len() + 2;
                Field::new(
                    n,
                    if text {
                        DataType::Utf8
                    } else {
                        DataType::Float64
                    },
                    true,
                )
            })
            .collect::<Vec<_>>(),
    );
    let file = SurveyFile::open_csv_with_schema(aggregates, Arc::new(schema)).await?;
    let mut cells = CellCollector::new(&scan, by.len());
    let (missing_column, min_column) = (names.len() - 2, names.len() - 1);
    let (mut weights_missing, mut smallest_weight) = (0.0, f64::INFINITY);
    let mut rows = 0usize;
    file.for_each_batch(&format!("SELECT * FROM {TABLE}"), |b| {
        let missing = f64_column(b, missing_column)?;
        let min = f64_column(b, min_column)?;
        for r in 0..b.num_rows() {
            weights_missing += if missing.is_null(r) {
                0.0
            } else {
                missing.value(r)
            };
            if !min.is_null(r) {
                smallest_weight = smallest_weight.min(min.value(r));
            }
        }
        rows += b.num_rows();
        cells.add(b)
    })
    .await?;
    let bad = |message: String| DataError::BadAggregates {
        file: aggregates.to_path_buf(),
        message,
    };
    if rows == 0 {
        return Err(bad("no aggregated rows: the query found no records".into()));
    }
    if weights_missing > 0.0 {
        return Err(bad(format!(
            "{weights_missing} records of the table have no survey weight (`{}`)",
            req.design.weight
        )));
    }
    if smallest_weight < 0.0 {
        return Err(bad(format!(
            "the table has a negative survey weight (`{}` = {smallest_weight})",
            req.design.weight
        )));
    }
    if cells.missing_values > 0.0 {
        return Err(bad(format!(
            "{} records in the domain have no value for {}; exclude them with --where",
            cells.missing_values,
            describe(&req.statistic)
        )));
    }
    estimate_from_cells(cells, scan.kind, req, &by)
}

/// The aggregates' header must be the query's columns, in order: a result of another query
/// (other `--by`, other replicate weights) is refused rather than misread.
fn check_header(path: &Path, expected: &[String]) -> Result<(), DataError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_path(path)
        .map_err(|e| match e.kind() {
            csv::ErrorKind::Io(io) if io.kind() == std::io::ErrorKind::NotFound => {
                DataError::FileNotFound {
                    file: path.to_path_buf(),
                }
            }
            _ => DataError::Unreadable {
                file: path.to_path_buf(),
                reason: e.to_string(),
            },
        })?;
    let header = reader.headers().map_err(|e| DataError::Unreadable {
        file: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    let found: Vec<&str> = header.iter().collect();
    if found != expected {
        let column = found
            .iter()
            .zip(expected)
            .position(|(f, e)| f != e)
            .unwrap_or(found.len().min(expected.len()));
        return Err(DataError::BadValue {
            file: path.to_path_buf(),
            line: 1,
            column: format!("column {}", column + 1),
            value: found.join(","),
            expected: format!(
                "the header of this request's aggregation query: {} (run `incity estimate \
                 --emit-sql` with the same --stat, --where, --by, --gap, design and replicate \
                 options)",
                expected.join(",")
            ),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_names_are_columns_and_expressions_are_not() {
        assert!(is_plain_name("COEFFY"));
        assert!(is_plain_name("_x1"));
        assert!(!is_plain_name("1x"));
        assert!(!is_plain_name("ILOSTAT = 1"));
        assert!(!is_plain_name("true"));
        assert!(!is_plain_name(""));
    }

    #[test]
    fn translation_quotes_names_and_groups_by_expressions() {
        let sql = "SELECT CAST(REGION AS VARCHAR) AS __by0, 'all' AS __stratum, \
                   CAST(\"PSU\" AS VARCHAR) AS __psu, SUM(CASE WHEN AGE > 20 THEN w * \
                   CAST(y AS DOUBLE) ELSE 0 END) AS __wy FROM survey \
                   GROUP BY __by0, __stratum, __psu";
        let pg = translate(sql, "stats.lfs_2024", SqlDialect::Postgres).unwrap();
        let flat = pg.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(
            flat.contains("CAST(\"REGION\" AS VARCHAR) AS __by0"),
            "{flat}"
        );
        assert!(flat.contains("\"AGE\" > 20"), "{flat}");
        assert!(flat.contains("CAST(\"y\" AS DOUBLE PRECISION)"), "{flat}");
        assert!(flat.contains("FROM \"stats\".\"lfs_2024\""), "{flat}");
        assert!(
            flat.contains("GROUP BY CAST(\"REGION\" AS VARCHAR), CAST(\"PSU\" AS VARCHAR);"),
            "{flat}"
        );
        let ansi = translate(sql, "lfs", SqlDialect::Ansi).unwrap();
        assert!(ansi.contains("VARCHAR(255)"), "{ansi}");
        assert!(!ansi.contains("VARCHAR)"), "{ansi}");
        assert!(matches!(
            translate(sql, "a..b", SqlDialect::Ansi),
            Err(DataError::Pushdown(_))
        ));
    }
}
