//! Data in: survey files (CSV, Parquet, the EU-SILC user database) mapped onto the harmonised
//! concepts and checked ([`ingest`], [`mapping`]), the input store of harmonised partitions
//! ([`inputs`]), published and administrative tables ([`published`], [`area_table`]), and
//! scans of survey files with Apache DataFusion, with design-based estimation over a file
//! ([`scan`], [`survey`]).
//!
//! It must not know the indicator catalogue, storage of releases or HTTP; the reference data
//! it checks against come from `incity-reference`, the synthetic files its tests read from
//! `incity-synthetic`. Entry points: [`inputs::InputStore::import`] (files into the input
//! store) and [`survey::estimate`] (estimates from one file).
//!
//! Every error about input names the file and, where the problem is in a record, the line, the
//! column, the value found and what was expected.

pub mod area_table;
pub mod derive;
pub mod ingest;
pub mod inputs;
pub mod mapping;
pub mod published;
pub mod scan;
pub mod statistical;
pub mod survey;

use std::io::Read;
use std::path::{Path, PathBuf};

use incity_estimation::EstimationError;
use sha2::{Digest, Sha256};

/// Why data could not be read or estimated.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    #[error("{file}: no such file")]
    FileNotFound { file: PathBuf },
    #[error("{file}: unsupported file type; expected a .csv, .parquet, .sas7bdat (SAS), .dta (Stata) or .sav (SPSS) file")]
    UnsupportedFormat { file: PathBuf },
    #[error("{file}: cannot be read: {reason}")]
    Unreadable { file: PathBuf, reason: String },
    #[error("{file}: has no column `{column}` (given as the {role}); the file's columns are: {available}")]
    UnknownColumn {
        file: PathBuf,
        column: String,
        role: String,
        available: String,
    },
    #[error("{file}, line {line}, column `{column}`: found `{value}`, expected {expected}")]
    BadValue {
        file: PathBuf,
        line: u64,
        column: String,
        value: String,
        expected: String,
    },
    #[error("{file}: the file has a header but no records")]
    NoRecords { file: PathBuf },
    #[error("design: {0}")]
    Design(String),
    #[error(
        "the domain selection is empty: no record satisfies --where with all --by columns present"
    )]
    EmptyResult,
    #[error("statistic `{given}`: {reason}")]
    InvalidStatistic { given: String, reason: String },
    #[error("{0}")]
    Estimation(#[from] EstimationError),
    #[error("{file}: {source}")]
    Io {
        file: PathBuf,
        source: std::io::Error,
    },
    #[error("{file}: {message}")]
    Mapping { file: PathBuf, message: String },
    #[error("{file}: {message}")]
    BadAggregates { file: PathBuf, message: String },
    #[error("--emit-sql: {0}")]
    Pushdown(String),
    #[error("internal error: {0}")]
    Internal(String),
}

impl DataError {
    pub fn io(file: &Path, source: std::io::Error) -> Self {
        DataError::Io {
            file: file.to_path_buf(),
            source,
        }
    }
}

/// A readable message from a DataFusion error (the root cause, without wrapper prefixes).
pub fn describe_engine_error(e: &datafusion::error::DataFusionError) -> String {
    let text = e.find_root().to_string();
    let mut t = text.as_str();
    for prefix in [
        "Arrow error: ",
        "Parser error: ",
        "External error: ",
        "Error during planning: ",
    ] {
        while let Some(rest) = t.strip_prefix(prefix) {
            t = rest;
        }
    }
    t.trim().to_string()
}

/// SHA-256 of a file, hex encoded (recorded in release provenance).
pub fn sha256_file(path: &Path) -> Result<String, DataError> {
    let mut f = std::fs::File::open(path).map_err(|e| DataError::io(path, e))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf).map_err(|e| DataError::io(path, e))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex::encode(h.finalize()))
}

/// Crash-test hook: when the environment variable `INCITY_PAUSE_AT` equals `point`, the process
/// creates the file named by `INCITY_PAUSE_MARKER` and then waits to be killed. The crash-safety
/// tests (`crates/cli/tests/*_kill.rs`) use it to kill an import or a publication at an exact
/// point (partitions in place but manifest not yet replaced; figures written but transaction
/// not committed), whatever the speed of the machine. Without the variable it does nothing.
pub fn pause_point(point: &str) {
    if std::env::var("INCITY_PAUSE_AT").ok().as_deref() != Some(point) {
        return;
    }
    if let Some(marker) = std::env::var_os("INCITY_PAUSE_MARKER") {
        // Best effort: a test that cannot see the marker fails on its own timeout.
        let _ = std::fs::write(marker, point);
    }
    loop {
        std::thread::sleep(std::time::Duration::from_secs(60));
    }
}
