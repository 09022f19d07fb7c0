//! Reading survey and register microdata through a [`Mapping`] onto the harmonised
//! [concepts](incity_reference::concepts), with validation that loses nothing.
//!
//! Every record is read; each problem becomes a [`Rejection`] naming the file, the line (or,
//! for Parquet, the row), the column, the value found and what was expected: unknown codes,
//! missing or non-positive weights, ages out of range, duplicated person ids, households whose
//! members disagree on household-level variables, records of one EU-SILC file without their
//! household or person in another, wrong headers. The [`LoadReport`] counts rows read,
//! accepted and rejected per file. Rows are handed to a sink only while no row has been
//! rejected, and the caller commits only a clean load (see [`crate::inputs`]), so a load
//! either completes or changes nothing.

//!
//! Modules follow a record's path: `raw` reads a file's records as text, `harmonise` maps a
//! record onto the concepts, `checks` checks it against the other records of the load, the
//! readers (`table` for flat files, `silc` for the EU-SILC user database) drive them, and
//! `batch` turns accepted rows into Arrow batches. The readers share these steps and do not
//! know each other.

mod batch;
mod checks;
mod composition;
mod harmonise;
mod raw;
mod report;
mod silc;
mod table;

use std::path::{Path, PathBuf};

pub use batch::{harmonised_schema, BatchBuilder};
pub use composition::{required_rooms, Member, REQUIRED_ROOMS};
pub use harmonise::{derive, Discard, HarmonisedRow, RowSink};
pub use report::{FileReport, LoadReport, ReadOptions, Rejection};

use crate::mapping::{Layout, Mapping};
use crate::DataError;

/// Reads microdata files through a mapping: validates every record and hands harmonised rows
/// to `sink` while no record has been rejected. `progress(done, total)` reports bytes (CSV)
/// or rows (Parquet) of the current file.
pub fn read_microdata(
    mapping: &Mapping,
    files: &[PathBuf],
    options: &ReadOptions,
    sink: &mut dyn RowSink,
    progress: &mut dyn FnMut(&Path, u64),
) -> Result<LoadReport, DataError> {
    if files.is_empty() {
        return Err(DataError::Design("no input files given".into()));
    }
    let mut report = LoadReport {
        mapping: mapping.name.clone(),
        ..Default::default()
    };
    for path in files {
        report.files.push(FileReport {
            file: path.clone(),
            sha256: crate::sha256_file(path).map_err(|e| match e {
                DataError::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound => {
                    DataError::FileNotFound { file: path.clone() }
                }
                other => other,
            })?,
            ..Default::default()
        });
    }
    match mapping.layout {
        Layout::Table => table::read_tables(mapping, files, options, sink, progress, &mut report)?,
        Layout::EuSilcUdb => silc::read_udb(mapping, files, options, sink, progress, &mut report)?,
    }
    Ok(report)
}
