//! What a load reports: every rejected value with its file, line and column, and the rows
//! read, accepted and rejected per file.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

/// One rejected value or record.
#[derive(Debug, Clone, PartialEq)]
pub struct Rejection {
    pub file: PathBuf,
    /// Line of a CSV file (the header is line 1), or row of a Parquet file (from 1).
    pub line: u64,
    pub parquet: bool,
    pub column: String,
    pub value: String,
    pub expected: String,
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}, {} {}, column `{}`: found `{}`, expected {}",
            self.file.display(),
            if self.parquet { "row" } else { "line" },
            self.line,
            self.column,
            self.value,
            self.expected
        )
    }
}

/// Rows read, accepted and rejected in one file.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FileReport {
    pub file: PathBuf,
    pub sha256: String,
    pub rows_read: u64,
    pub rows_accepted: u64,
    pub rows_rejected: u64,
}

/// What a load did.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LoadReport {
    pub mapping: String,
    pub files: Vec<FileReport>,
    /// The first rejections (up to the limit given to [`read_microdata`]).
    pub rejections: Vec<Rejection>,
    /// All rejections.
    pub rejections_total: u64,
    /// Rejections by column.
    pub rejections_by_column: BTreeMap<String, u64>,
    /// Mapped concepts whose EU-SILC file was not given (they are missing in every row).
    pub unavailable_concepts: Vec<String>,
    /// What the given files make impossible (e.g. EU-SILC P and H without D and R).
    pub notes: Vec<String>,
}

impl LoadReport {
    pub fn rows_read(&self) -> u64 {
        self.files.iter().map(|f| f.rows_read).sum()
    }
    pub fn rows_accepted(&self) -> u64 {
        self.files.iter().map(|f| f.rows_accepted).sum()
    }
    pub fn rows_rejected(&self) -> u64 {
        self.files.iter().map(|f| f.rows_rejected).sum()
    }
    pub fn is_clean(&self) -> bool {
        self.rejections_total == 0
    }

    pub(crate) fn reject(&mut self, limit: usize, r: Rejection) {
        self.rejections_total += 1;
        *self
            .rejections_by_column
            .entry(r.column.clone())
            .or_default() += 1;
        if self.rejections.len() < limit {
            self.rejections.push(r);
        }
    }
}

/// Options of a load.
#[derive(Debug, Clone)]
pub struct ReadOptions {
    /// How many rejections to keep in the report (all are counted).
    pub report_limit: usize,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions { report_limit: 1000 }
    }
}
