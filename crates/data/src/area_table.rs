//! Reading a table of areas (one row per area: direct estimate, variance, covariates), the
//! input of `incity sae`, from CSV or Parquet.
//!
//! Every requested column must exist and be numeric, every value present and finite, every
//! area named once; the first offending record is reported with its line.

use std::collections::HashSet;
use std::path::Path;

use crate::scan::{f64_column, ident, str_column, SurveyFile, TABLE};
use crate::DataError;

/// A table of areas: names and the requested numeric columns, in file order.
#[derive(Debug, Clone, PartialEq)]
pub struct AreaTable {
    pub areas: Vec<String>,
    /// One vector per requested column, in the order requested.
    pub columns: Vec<Vec<f64>>,
}

/// A requested numeric column and its role (for error messages).
#[derive(Debug, Clone, Copy)]
pub struct AreaColumn<'a> {
    pub name: &'a str,
    pub role: &'a str,
}

/// Reads `area` and the numeric `columns` of the file at `path`.
pub async fn read_area_table(
    path: &Path,
    area: &str,
    columns: &[AreaColumn<'_>],
) -> Result<AreaTable, DataError> {
    let file = SurveyFile::open(path).await?;
    file.require_column(area, "area")?;
    for c in columns {
        file.require_column(c.name, c.role)?;
        if !file.is_numeric(c.name) {
            let located = file
                .locate(
                    &format!(
                        "TRY_CAST({} AS DOUBLE) IS NULL AND {} IS NOT NULL",
                        ident(c.name),
                        ident(c.name)
                    ),
                    c.name,
                )
                .await?;
            let (line, value) = located.unwrap_or((0, String::new()));
            return Err(DataError::BadValue {
                file: path.to_path_buf(),
                line,
                column: c.name.to_string(),
                value,
                expected: format!("a number ({})", c.role),
            });
        }
    }
    for c in std::iter::once(area).chain(columns.iter().map(|c| c.name)) {
        let predicate = if c == area {
            format!(
                "{} IS NULL OR TRIM(CAST({} AS VARCHAR)) = ''",
                ident(c),
                ident(c)
            )
        } else {
            format!("{} IS NULL OR isnan(CAST({} AS DOUBLE)) OR abs(CAST({} AS DOUBLE)) = 'Infinity'::double", ident(c), ident(c), ident(c))
        };
        if let Some((line, value)) = file.locate(&predicate, c).await? {
            let role = columns
                .iter()
                .find(|x| x.name == c)
                .map_or("area name", |x| x.role);
            return Err(DataError::BadValue {
                file: path.to_path_buf(),
                line,
                column: c.to_string(),
                value: if value.is_empty() {
                    "an empty value".into()
                } else {
                    value
                },
                expected: format!("a value ({role})"),
            });
        }
    }
    let select: Vec<String> = std::iter::once(area)
        .chain(columns.iter().map(|c| c.name))
        .map(ident)
        .collect();
    let sql = format!(
        "SELECT {} FROM (SELECT row_number() OVER () AS __row, * FROM {TABLE}) ORDER BY __row",
        select.join(", ")
    );
    let mut table = AreaTable {
        areas: Vec::new(),
        columns: vec![Vec::new(); columns.len()],
    };
    file.for_each_batch(&sql, |batch| {
        let names = str_column(batch, 0)?;
        for r in 0..batch.num_rows() {
            table.areas.push(names.value(r).to_string());
        }
        for (j, col) in table.columns.iter_mut().enumerate() {
            let values = f64_column(batch, j + 1)?;
            col.extend((0..values.len()).map(|r| values.value(r)));
        }
        Ok(())
    })
    .await?;
    let mut seen = HashSet::with_capacity(table.areas.len());
    for (i, a) in table.areas.iter().enumerate() {
        if !seen.insert(a.as_str()) {
            return Err(DataError::BadValue {
                file: path.to_path_buf(),
                line: file.format.record_number(i as u64),
                column: area.to_string(),
                value: a.clone(),
                expected: "each area once".into(),
            });
        }
    }
    Ok(table)
}
