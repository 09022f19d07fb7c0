//! Reading survey files with Apache DataFusion: registration of CSV and Parquet files (and of
//! SAS, Stata and SPSS files, read whole through [`crate::statistical`] into one in-memory
//! batch), column checks, streaming of query results, and locating the first offending record of a bad file.

use std::path::{Path, PathBuf};

use datafusion::arrow::array::{Array, ArrayRef, Float64Array, StringArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::DataType;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::prelude::{CsvReadOptions, ParquetReadOptions, SessionConfig, SessionContext};
use futures::StreamExt;

use crate::DataError;

/// The name under which the survey file is registered in its session.
pub const TABLE: &str = "survey";

/// File formats the scanner reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileFormat {
    Csv,
    Parquet,
    Statistical(crate::statistical::StatFormat),
}

impl FileFormat {
    pub fn of(path: &Path) -> Result<Self, DataError> {
        match path
            .extension()
            .and_then(|e| e.to_str())
            .map(|e| e.to_ascii_lowercase())
            .as_deref()
        {
            Some("csv") => Ok(Self::Csv),
            Some("parquet") | Some("pq") => Ok(Self::Parquet),
            _ => crate::statistical::StatFormat::of(path)
                .map(Self::Statistical)
                .ok_or_else(|| DataError::UnsupportedFormat {
                    file: path.to_path_buf(),
                }),
        }
    }

    /// The line (CSV: after the header) or row number of the 0-based record `index`.
    pub fn record_number(self, index: u64) -> u64 {
        match self {
            FileFormat::Csv => index + 2,
            FileFormat::Parquet | FileFormat::Statistical(_) => index + 1,
        }
    }
}

/// Quotes an identifier for DataFusion SQL (identifiers are case-sensitive in incity).
pub fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Quotes a string literal.
pub fn literal(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

/// A survey file registered in a DataFusion session.
pub struct SurveyFile {
    pub path: PathBuf,
    pub format: FileFormat,
    ctx: SessionContext,
    columns: Vec<(String, DataType)>,
}

fn session(partitions: usize) -> SessionContext {
    let config = SessionConfig::new()
        .with_target_partitions(partitions)
        .with_batch_size(32 * 1024)
        .set_bool("datafusion.sql_parser.enable_ident_normalization", false);
    SessionContext::new_with_config(config)
}

async fn register(ctx: &SessionContext, path: &Path, format: FileFormat) -> Result<(), DataError> {
    let location = path.to_string_lossy().to_string();
    let extension = format!(
        ".{}",
        path.extension()
            .and_then(|e| e.to_str())
            .unwrap_or_default()
    );
    let result = match format {
        FileFormat::Csv => {
            let options = CsvReadOptions::new()
                .has_header(true)
                .schema_infer_max_records(10_000)
                .file_extension(&extension);
            ctx.register_csv(TABLE, &location, options).await
        }
        FileFormat::Parquet => {
            let options = ParquetReadOptions::default().file_extension(&extension);
            ctx.register_parquet(TABLE, &location, options).await
        }
        FileFormat::Statistical(stat) => {
            let table = crate::statistical::read_table(path, stat)?;
            let batch = statistical_batch(&table).map_err(|e| DataError::Unreadable {
                file: path.to_path_buf(),
                reason: e.to_string(),
            })?;
            ctx.register_batch(TABLE, batch).map(|_| ())
        }
    };
    result.map_err(|e| DataError::Unreadable {
        file: path.to_path_buf(),
        reason: crate::describe_engine_error(&e),
    })
}

/// A SAS, Stata or SPSS table as one Arrow batch: numeric variables as `Float64`, string
/// variables as `Utf8` (codes, not value labels).
fn statistical_batch(
    table: &crate::statistical::StatTable,
) -> Result<RecordBatch, datafusion::arrow::error::ArrowError> {
    use crate::statistical::StatColumn;
    use datafusion::arrow::datatypes::{Field, Schema};
    let fields: Vec<Field> = table
        .names
        .iter()
        .zip(&table.columns)
        .map(|(n, c)| match c {
            StatColumn::Numbers(_) => Field::new(n, DataType::Float64, true),
            StatColumn::Texts(_) => Field::new(n, DataType::Utf8, true),
        })
        .collect();
    let arrays: Vec<ArrayRef> = table
        .columns
        .iter()
        .map(|c| -> ArrayRef {
            match c {
                StatColumn::Numbers(v) => std::sync::Arc::new(Float64Array::from(v.clone())),
                StatColumn::Texts(v) => std::sync::Arc::new(StringArray::from(v.clone())),
            }
        })
        .collect();
    RecordBatch::try_new(std::sync::Arc::new(Schema::new(fields)), arrays)
}

impl SurveyFile {
    /// Opens a CSV or Parquet file (the format follows the extension).
    pub async fn open(path: &Path) -> Result<Self, DataError> {
        if !path.is_file() {
            return Err(DataError::FileNotFound {
                file: path.to_path_buf(),
            });
        }
        let format = FileFormat::of(path)?;
        let partitions = std::thread::available_parallelism().map_or(2, |n| n.get());
        let ctx = session(partitions);
        register(&ctx, path, format).await?;
        let table = ctx.table(TABLE).await.map_err(|e| DataError::Unreadable {
            file: path.to_path_buf(),
            reason: crate::describe_engine_error(&e),
        })?;
        let columns = table
            .schema()
            .fields()
            .iter()
            .map(|f| (f.name().clone(), f.data_type().clone()))
            .collect();
        Ok(Self {
            path: path.to_path_buf(),
            format,
            ctx,
            columns,
        })
    }

    /// Opens a CSV file read with the given `schema` (no inference: keys stay text, numbers
    /// are checked against their type with the line of the first bad value).
    pub async fn open_csv_with_schema(
        path: &Path,
        schema: datafusion::arrow::datatypes::SchemaRef,
    ) -> Result<Self, DataError> {
        if !path.is_file() {
            return Err(DataError::FileNotFound {
                file: path.to_path_buf(),
            });
        }
        let ctx = session(1);
        let extension = format!(
            ".{}",
            path.extension()
                .and_then(|e| e.to_str())
                .unwrap_or_default()
        );
        let options = CsvReadOptions::new()
            .has_header(true)
            .schema(&schema)
            .file_extension(&extension);
        ctx.register_csv(TABLE, &path.to_string_lossy(), options)
            .await
            .map_err(|e| DataError::Unreadable {
                file: path.to_path_buf(),
                reason: crate::describe_engine_error(&e),
            })?;
        Ok(Self {
            path: path.to_path_buf(),
            format: FileFormat::Csv,
            ctx,
            columns: schema
                .fields()
                .iter()
                .map(|f| (f.name().clone(), f.data_type().clone()))
                .collect(),
        })
    }

    pub fn column_names(&self) -> Vec<&str> {
        self.columns.iter().map(|c| c.0.as_str()).collect()
    }

    pub fn has_column(&self, name: &str) -> bool {
        self.columns.iter().any(|c| c.0 == name)
    }

    /// Fails with a clear error naming the file and the columns it has.
    pub fn require_column(&self, name: &str, role: &str) -> Result<(), DataError> {
        if self.has_column(name) {
            Ok(())
        } else {
            Err(DataError::UnknownColumn {
                file: self.path.clone(),
                column: name.to_string(),
                role: role.to_string(),
                available: self.column_names().join(", "),
            })
        }
    }

    pub fn is_numeric(&self, name: &str) -> bool {
        self.columns
            .iter()
            .find(|c| c.0 == name)
            .is_some_and(|c| c.1.is_numeric() || c.1 == DataType::Null)
    }

    /// Runs `sql` and hands every result batch to `each` as it streams in.
    pub async fn for_each_batch(
        &self,
        sql: &str,
        mut each: impl FnMut(&RecordBatch) -> Result<(), DataError>,
    ) -> Result<(), DataError> {
        let df = self.ctx.sql(sql).await.map_err(|e| self.engine_error(&e))?;
        let mut stream = df
            .execute_stream()
            .await
            .map_err(|e| self.engine_error(&e))?;
        while let Some(batch) = stream.next().await {
            let batch = batch.map_err(|e| self.engine_error(&e))?;
            each(&batch)?;
        }
        Ok(())
    }

    /// Plans `sql` without running it (to check user expressions early).
    pub async fn check_sql(&self, sql: &str) -> Result<(), DataError> {
        self.ctx
            .sql(sql)
            .await
            .map(|_| ())
            .map_err(|e| self.engine_error(&e))
    }

    fn engine_error(&self, e: &datafusion::error::DataFusionError) -> DataError {
        let reason = crate::describe_engine_error(e);
        if let Some(bad) = self.parse_value_error(&reason) {
            return bad;
        }
        DataError::Unreadable {
            file: self.path.clone(),
            reason,
        }
    }

    /// Turns Arrow's CSV parse error (`Error while parsing value 'abc' as type 'Int64' for
    /// column 2 at line 12001`) into a [`DataError::BadValue`] with the column's name and the
    /// line in the file. Arrow counts data records from 1, so the file line is one more (the
    /// header is line 1).
    fn parse_value_error(&self, reason: &str) -> Option<DataError> {
        let rest = reason.strip_prefix("Error while parsing value '")?;
        let (value, rest) = rest.split_once("' as type '")?;
        let (ty, rest) = rest.split_once("' for column ")?;
        let (column, rest) = rest.split_once(" at line ")?;
        let line: u64 = rest
            .split(|c: char| !c.is_ascii_digit())
            .next()?
            .parse()
            .ok()?;
        let index: usize = column.trim().parse().ok()?;
        let name = self.columns.get(index)?.0.clone();
        Some(DataError::BadValue {
            file: self.path.clone(),
            line: line + 1,
            column: name,
            value: value.to_string(),
            expected: format!(
                "a value of type {ty} (the type inferred from the column's first records)"
            ),
        })
    }

    /// Finds the first record (in file order) for which `predicate` holds and returns its line
    /// (CSV: the line number in the file, header = line 1; Parquet: the row number) and the
    /// text of `column` there. Used only on the error path: it reads the file once more, in
    /// order, on one thread.
    pub async fn locate(
        &self,
        predicate: &str,
        column: &str,
    ) -> Result<Option<(u64, String)>, DataError> {
        let ctx = session(1);
        register(&ctx, &self.path, self.format).await?;
        let sql = format!(
            "SELECT __row, CAST({col} AS VARCHAR) AS __value FROM \
             (SELECT row_number() OVER () AS __row, * FROM {TABLE}) WHERE {predicate} \
             ORDER BY __row LIMIT 1",
            col = ident(column)
        );
        let df = ctx.sql(&sql).await.map_err(|e| self.engine_error(&e))?;
        let batches = df.collect().await.map_err(|e| self.engine_error(&e))?;
        for b in batches {
            if b.num_rows() > 0 {
                let rows = f64_column(&b, 0)?;
                let values = str_column(&b, 1)?;
                let row = rows.value(0) as u64;
                let line = self.format.record_number(row - 1);
                let value = if values.is_null(0) {
                    String::new()
                } else {
                    values.value(0).to_string()
                };
                return Ok(Some((line, value)));
            }
        }
        Ok(None)
    }
}

fn as_array(batch: &RecordBatch, i: usize, to: &DataType) -> Result<ArrayRef, DataError> {
    cast(batch.column(i), to).map_err(|e| DataError::Internal(format!("cast of column {i}: {e}")))
}

/// Column `i` of a batch as `f64` (cast when needed).
pub fn f64_column(batch: &RecordBatch, i: usize) -> Result<Float64Array, DataError> {
    let a = as_array(batch, i, &DataType::Float64)?;
    a.as_any()
        .downcast_ref::<Float64Array>()
        .cloned()
        .ok_or_else(|| DataError::Internal("expected Float64".into()))
}

/// Column `i` of a batch as text (cast when needed).
pub fn str_column(batch: &RecordBatch, i: usize) -> Result<StringArray, DataError> {
    let a = as_array(batch, i, &DataType::Utf8)?;
    a.as_any()
        .downcast_ref::<StringArray>()
        .cloned()
        .ok_or_else(|| DataError::Internal("expected Utf8".into()))
}

/// Reads `columns` of a file once (counting their non-missing values) and returns the number of
/// records and the seconds it took: the baseline that estimation benchmarks compare with.
pub async fn bare_scan(path: &Path, columns: &[String]) -> Result<(u64, f64), DataError> {
    let start = std::time::Instant::now();
    let file = SurveyFile::open(path).await?;
    for c in columns {
        file.require_column(c, "column to scan")?;
    }
    let counts: Vec<String> = columns
        .iter()
        .map(|c| format!("COUNT({})", ident(c)))
        .collect();
    let sql = format!("SELECT COUNT(*), {} FROM {TABLE}", counts.join(", "));
    let mut records = 0u64;
    file.for_each_batch(&sql, |b| {
        if b.num_rows() > 0 {
            records = f64_column(b, 0)?.value(0) as u64;
        }
        Ok(())
    })
    .await?;
    Ok((records, start.elapsed().as_secs_f64()))
}
