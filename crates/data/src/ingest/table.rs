//! The reader of flat files: one record per person, possibly in several files.

use std::path::{Path, PathBuf};

use crate::mapping::Mapping;
use crate::DataError;

use super::checks::Checks;
use super::harmonise::{value, Harmoniser, Origin, RowSink};
use super::raw::{for_each_record, open_raw};
use super::report::{LoadReport, ReadOptions, Rejection};

pub(crate) fn read_tables(
    mapping: &Mapping,
    files: &[PathBuf],
    options: &ReadOptions,
    sink: &mut dyn RowSink,
    progress: &mut dyn FnMut(&Path, u64),
    report: &mut LoadReport,
) -> Result<(), DataError> {
    let mut checks: Option<Checks> = None;
    for (fi, path) in files.iter().enumerate() {
        let raw = open_raw(path, &mapping.value_labels)?;
        let name = path.display().to_string();
        let owners = vec![name; raw.header.len()];
        let harmoniser = Harmoniser::new(
            mapping,
            &raw.header,
            &mut report.unavailable_concepts,
            "",
            &owners,
        )?;
        // Duplicates and households are checked across all files of the load.
        let checks = checks.get_or_insert_with(|| Checks::new(harmoniser.labels(&raw.header)));
        let mut pending = Vec::new();
        let mut file_progress = |done: u64| progress(path, done);
        let header = raw.header.clone();
        let parquet = raw.parquet;
        for_each_record(&raw, &mut file_progress, &mut |line, fields| {
            let origin = Origin { file: fi, line };
            report.files[fi].rows_read += 1;
            pending.clear();
            if fields.is_empty() {
                pending.push((
                    origin,
                    "record".to_string(),
                    String::new(),
                    format!("{} fields as in the header", header.len()),
                ));
            } else {
                let row = harmoniser.apply(fields, &|_| origin, origin, &mut pending);
                if pending.is_empty() {
                    checks.check(&row, origin, files, &mut pending);
                }
                if pending.is_empty() {
                    report.files[fi].rows_accepted += 1;
                    if report.is_clean() {
                        let year = value(&row, "year")
                            .and_then(|y| y.parse().ok())
                            .unwrap_or(0);
                        sink.accept(row[0].as_deref().unwrap_or(""), year, &row)?;
                    }
                    return Ok(());
                }
            }
            report.files[fi].rows_rejected += 1;
            for (o, column, value, expected) in pending.drain(..) {
                report.reject(
                    options.report_limit,
                    Rejection {
                        file: files[o.file].clone(),
                        line: o.line,
                        parquet,
                        column,
                        value,
                        expected,
                    },
                );
            }
            Ok(())
        })?;
        if report.files[fi].rows_read == 0 {
            report.reject(
                options.report_limit,
                Rejection {
                    file: path.clone(),
                    line: 1,
                    parquet,
                    column: "file".into(),
                    value: "no records".into(),
                    expected: "at least one record after the header".into(),
                },
            );
        }
    }
    Ok(())
}
