//! Checks of a file against a request that need a scan: numeric, present, non-negative
//! weights; the first record without a value for the statistic.

use datafusion::arrow::array::Array;

use crate::scan::{f64_column, ident, SurveyFile};
use crate::DataError;

use super::request::Statistic;

pub(super) async fn non_numeric(file: &SurveyFile, column: &str, role: &str) -> DataError {
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
pub(super) async fn check_weight(file: &SurveyFile, weight: &str) -> Result<(), DataError> {
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

/// The error for a record without a value for the statistic: locates the first such record.
pub(super) async fn missing_value_error(
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
pub(super) fn first_column_of(file: &SurveyFile, s: &Statistic) -> String {
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
