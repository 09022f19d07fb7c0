//! Source files (CSV, Parquet, or SAS, Stata and SPSS files through
//! [`crate::statistical`]) read record by record as text fields, with line (or row) numbers.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray};
use datafusion::arrow::datatypes::DataType;

use crate::statistical::{read_table, StatFormat, StatTable};
use crate::DataError;

/// A source file read row by row.
pub(crate) struct RawFile {
    pub(crate) path: PathBuf,
    pub(crate) header: Vec<String>,
    /// Records are numbered as rows (Parquet, SAS, Stata, SPSS), not as text lines.
    pub(crate) parquet: bool,
    /// A SAS, Stata or SPSS file, read whole when opened.
    table: Option<Arc<StatTable>>,
    /// Columns whose labelled values are read as their labels (`*`: all).
    value_labels: Vec<String>,
}

/// A consumer of records: `(line, fields)`; an empty field list means a record whose number
/// of fields differs from the header's.
pub(crate) type RecordFn<'a> = dyn FnMut(u64, &[Option<&str>]) -> Result<(), DataError> + 'a;

type ParquetReader =
    datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder<std::fs::File>;

/// A Parquet file's reader, without the Arrow schema that writers may embed in its metadata:
/// an untrusted flatbuffer whose malformed forms make the Arrow IPC decoder panic (found by
/// fuzzing, `fuzz/fuzz_targets/microdata_parquet.rs`). Columns are read by their Parquet
/// types, as DataFusion reads them by default (`datafusion.execution.parquet.skip_metadata`),
/// and every value is taken as text anyway.
fn parquet_reader(path: &Path) -> Result<ParquetReader, DataError> {
    use datafusion::parquet::arrow::arrow_reader::ArrowReaderOptions;
    let handle = std::fs::File::open(path).map_err(|e| DataError::io(path, e))?;
    let options = ArrowReaderOptions::new().with_skip_arrow_metadata(true);
    ParquetReader::try_new_with_options(handle, options).map_err(|e| DataError::Unreadable {
        file: path.to_path_buf(),
        reason: e.to_string(),
    })
}

/// Runs a step of the Parquet reader, turning a panic of the decoder on a malformed file into
/// an error naming the file: the parquet crate does not promise to refuse every malformed
/// input with an error, and an import must end with a message, not an abort. Only the
/// reader's own steps run here, never incity's handling of the records.
fn guarded<T>(path: &Path, step: impl FnOnce() -> Result<T, DataError>) -> Result<T, DataError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(step)).unwrap_or_else(|panic| {
        let why = panic
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| panic.downcast_ref::<&str>().copied())
            .unwrap_or("the decoder stopped");
        Err(DataError::Unreadable {
            file: path.to_path_buf(),
            reason: format!("not a readable Parquet file ({why})"),
        })
    })
}

/// Calls `f(line, fields)` for every record; missing Parquet values are `None`.
pub(crate) fn for_each_record(
    file: &RawFile,
    progress: &mut dyn FnMut(u64),
    f: &mut RecordFn<'_>,
) -> Result<(), DataError> {
    if let Some(table) = &file.table {
        let labelled: Vec<bool> = table
            .names
            .iter()
            .map(|n| file.value_labels.iter().any(|l| l == "*" || l == n))
            .collect();
        let mut texts: Vec<Option<String>> = vec![None; table.names.len()];
        for row in 0..table.rows {
            for (k, t) in texts.iter_mut().enumerate() {
                *t = table.text(k, row, labelled[k]);
            }
            let fields: Vec<Option<&str>> = texts.iter().map(|t| t.as_deref()).collect();
            f(row as u64 + 1, &fields)?;
            if (row + 1) % 65_536 == 0 {
                progress(row as u64 + 1);
            }
        }
        progress(table.rows as u64);
        Ok(())
    } else if file.parquet {
        let mut reader = guarded(&file.path, || {
            parquet_reader(&file.path)?
                .with_batch_size(8192)
                .build()
                .map_err(|e| DataError::Unreadable {
                    file: file.path.clone(),
                    reason: e.to_string(),
                })
        })?;
        let mut row = 0u64;
        while let Some(batch) = guarded(&file.path, || Ok(reader.next()))? {
            let batch = batch.map_err(|e| DataError::Unreadable {
                file: file.path.clone(),
                reason: e.to_string(),
            })?;
            let columns: Vec<ArrayRef> = batch
                .columns()
                .iter()
                .map(|c| datafusion::arrow::compute::cast(c, &DataType::Utf8))
                .collect::<Result<_, _>>()
                .map_err(|e| DataError::Unreadable {
                    file: file.path.clone(),
                    reason: e.to_string(),
                })?;
            let strings: Vec<_> = columns.iter().map(|c| c.as_string::<i32>()).collect();
            let mut fields: Vec<Option<&str>> = vec![None; strings.len()];
            for i in 0..batch.num_rows() {
                row += 1;
                for (k, s) in strings.iter().enumerate() {
                    fields[k] = (!s.is_null(i)).then(|| s.value(i));
                }
                f(row, &fields)?;
            }
            progress(row);
        }
        Ok(())
    } else {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(true)
            .from_path(&file.path)
            .map_err(|e| DataError::Unreadable {
                file: file.path.clone(),
                reason: e.to_string(),
            })?;
        let mut record = csv::StringRecord::new();
        let mut n = 0u64;
        loop {
            match reader.read_record(&mut record) {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => {
                    let line = e.position().map(|p| p.line()).unwrap_or(0);
                    return Err(DataError::Unreadable {
                        file: file.path.clone(),
                        reason: match e.kind() {
                            csv::ErrorKind::Utf8 { .. } => {
                                format!("line {line}: the file is not UTF-8 text")
                            }
                            _ => format!("line {line}: {e}"),
                        },
                    });
                }
            }
            let line = record.position().map(|p| p.line()).unwrap_or(0);
            if record.len() != file.header.len() {
                // An empty field list: the caller rejects the whole record.
                f(line, &[])?;
            } else {
                let fields: Vec<Option<&str>> = record.iter().map(Some).collect();
                f(line, &fields)?;
            }
            n += 1;
            if n.is_multiple_of(65_536) {
                progress(record.position().map(|p| p.byte()).unwrap_or(0));
            }
        }
        Ok(())
    }
}

/// Opens a source file; `value_labels` names the columns of a SAS, Stata or SPSS file whose
/// labelled values are read as their labels (`*`: all).
pub(crate) fn open_raw(path: &Path, value_labels: &[String]) -> Result<RawFile, DataError> {
    if !path.exists() {
        return Err(DataError::FileNotFound {
            file: path.to_path_buf(),
        });
    }
    if let Some(format) = StatFormat::of(path) {
        let table = read_table(path, format)?;
        return Ok(RawFile {
            path: path.to_path_buf(),
            header: table.names.clone(),
            parquet: true,
            table: Some(Arc::new(table)),
            value_labels: value_labels.to_vec(),
        });
    }
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(|e| e.to_ascii_lowercase());
    match ext.as_deref() {
        Some("parquet") => {
            let builder = guarded(path, || parquet_reader(path))?;
            let header = builder
                .schema()
                .fields()
                .iter()
                .map(|f| f.name().clone())
                .collect();
            Ok(RawFile {
                path: path.to_path_buf(),
                header,
                parquet: true,
                table: None,
                value_labels: Vec::new(),
            })
        }
        Some("csv") => {
            let mut reader = csv::ReaderBuilder::new()
                .has_headers(true)
                .from_path(path)
                .map_err(|e| DataError::Unreadable {
                    file: path.to_path_buf(),
                    reason: e.to_string(),
                })?;
            let header: Vec<String> = reader
                .headers()
                .map_err(|e| DataError::Unreadable {
                    file: path.to_path_buf(),
                    reason: match e.kind() {
                        csv::ErrorKind::Utf8 { .. } => {
                            "line 1: the header is not UTF-8 text".to_string()
                        }
                        _ => e.to_string(),
                    },
                })?
                .iter()
                .map(|h| h.trim_start_matches('\u{feff}').to_string())
                .collect();
            if header.is_empty() || header.iter().all(|h| h.is_empty()) {
                return Err(DataError::Unreadable {
                    file: path.to_path_buf(),
                    reason: "line 1: expected a header naming the columns; the file is empty"
                        .into(),
                });
            }
            let mut seen = std::collections::HashSet::new();
            for h in &header {
                if !seen.insert(h) {
                    return Err(DataError::BadValue {
                        file: path.to_path_buf(),
                        line: 1,
                        column: h.clone(),
                        value: h.clone(),
                        expected: "each column named once in the header".into(),
                    });
                }
            }
            Ok(RawFile {
                path: path.to_path_buf(),
                header,
                parquet: false,
                table: None,
                value_labels: Vec::new(),
            })
        }
        _ => Err(DataError::UnsupportedFormat {
            file: path.to_path_buf(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panicking_reader_step_is_an_error_naming_the_file() {
        let path = Path::new("survey.parquet");
        let result: Result<(), DataError> = guarded(path, || panic!("Type NONE not supported"));
        match result {
            Err(DataError::Unreadable { file, reason }) => {
                assert_eq!(file, path);
                assert_eq!(
                    reason,
                    "not a readable Parquet file (Type NONE not supported)"
                );
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(guarded(path, || Ok(7)).unwrap(), 7);
    }
}
