//! Published statistical tables: Eurostat's bulk TSV format and SDMX-CSV (1.0 and 2.0, with or
//! without label columns), read and written with every flag kept.
//!
//! * **Eurostat TSV**: a header `dim1,dim2,...,geo\TIME_PERIOD<TAB>2019 <TAB>2020 `, rows
//!   `A,PC,T,...,AT<TAB>67.1 <TAB>12.3 u<TAB>: c`: each cell is the value (`:` when not
//!   available) followed by a space and the flags (`b` break, `c` confidential, `d` definition
//!   differs, `e` estimated, `p` provisional, `u` low reliability, `z` not applicable, ...).
//! * **SDMX-CSV**: one observation per row with dimension columns, `TIME_PERIOD`, `OBS_VALUE`
//!   and attribute columns such as `OBS_FLAG` and `CONF_STATUS`; structure columns
//!   (`STRUCTURE`, `STRUCTURE_ID`, `STRUCTURE_NAME` in 2.0; `DATAFLOW`, `LAST UPDATE` in
//!   Eurostat's 1.0 exports); with labels, a coded column is followed by its label column
//!   (a header that is not an SDMX identifier, e.g. `geo`, `Geopolitical entity (reporting)`).
//!
//! A table read from either format can be written back to the same format; the tests
//! round-trip real Eurostat files byte for byte.

//!
//! `tsv` and `sdmx` read and write the two formats, `admin` reads administrative tables
//! through a mapping; this module holds the table and what they share.

mod admin;
mod sdmx;
mod tsv;

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use crate::DataError;

/// Eurostat tables shipped with incity (SDMX-CSV, `data/eurostat/national/`) that the
/// indicator catalogue compares computed figures with: (repository path, text).
pub const SHIPPED_TABLES: [(&str, &str); 2] = [
    (
        "data/eurostat/national/mean_and_median_income_by_citizenship.csv",
        include_str!(
            "../../../../data/eurostat/national/mean_and_median_income_by_citizenship.csv"
        ),
    ),
    (
        "data/eurostat/national/self_perceived_health_by_citizenship.csv",
        include_str!("../../../../data/eurostat/national/self_perceived_health_by_citizenship.csv"),
    ),
];

/// The records of a CSV table with their line numbers (the header is line 1); a record that
/// cannot be read is an error naming the file.
fn numbered_records<'r, R: std::io::Read>(
    reader: &'r mut csv::Reader<R>,
    path: &'r Path,
) -> impl Iterator<Item = Result<(u64, csv::StringRecord), DataError>> + 'r {
    reader.records().enumerate().map(move |(n, record)| {
        let record = record.map_err(|e| DataError::Unreadable {
            file: path.to_path_buf(),
            reason: e.to_string(),
        })?;
        let line = record.position().map(|p| p.line()).unwrap_or(n as u64 + 2);
        Ok((line, record))
    })
}

/// The file format of a published table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableFormat {
    EurostatTsv,
    SdmxCsv,
    /// An administrative table read through an admin-table mapping.
    AdminCsv,
}

impl TableFormat {
    pub fn name(self) -> &'static str {
        match self {
            TableFormat::EurostatTsv => "Eurostat TSV",
            TableFormat::SdmxCsv => "SDMX-CSV",
            TableFormat::AdminCsv => "administrative CSV",
        }
    }
}

/// One observation.
#[derive(Debug, Clone, PartialEq)]
pub struct Observation {
    /// Dimension codes, in the order of [`PublishedTable::dimensions`].
    pub key: Vec<String>,
    pub time: String,
    /// The value; `None` when not available (`:` or empty) or confidential.
    pub value: Option<f64>,
    /// The value as published (keeps the number of decimals).
    pub value_text: String,
    /// Observation flags as published (`OBS_FLAG`, or the letters after a TSV value).
    pub flags: String,
    /// Other attribute values (SDMX-CSV only), in the order of [`PublishedTable::attributes`].
    pub attributes: Vec<String>,
}

impl Observation {
    /// True if the observation is confidential (flag `c`, or `CONF_STATUS` other than `F`
    /// "free" / empty).
    pub fn is_confidential(&self, table: &PublishedTable) -> bool {
        self.flags.contains('c')
            || table
                .attributes
                .iter()
                .position(|a| a == "CONF_STATUS")
                .and_then(|i| self.attributes.get(i))
                .is_some_and(|s| !s.is_empty() && s != "F")
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Role {
    Structure(usize),
    Dimension(usize),
    Time,
    Value,
    Flags,
    Attribute(usize),
    /// The label column of the coded column at this index.
    Label(usize),
}

/// A published table.
#[derive(Debug, Clone, PartialEq)]
pub struct PublishedTable {
    pub format: TableFormat,
    /// Dataset code (e.g. `LFSA_ERGAN`), from the structure columns or the file name.
    pub dataset: String,
    /// Dimension identifiers (e.g. `freq`, `unit`, `sex`, `age`, `citizen`, `geo`).
    pub dimensions: Vec<String>,
    /// Attribute identifiers other than the flags (SDMX-CSV).
    pub attributes: Vec<String>,
    pub observations: Vec<Observation>,
    /// SDMX-CSV: the header as read, the role of each column, the structure values and the
    /// labels of codes (column index → code → label), so the table can be written back.
    header: Vec<String>,
    roles: Vec<Role>,
    structure: Vec<String>,
    labels: BTreeMap<usize, HashMap<String, String>>,
    /// TSV: the time periods in column order.
    periods: Vec<String>,
    /// The file's line ending was CRLF / it began with a byte-order mark.
    crlf: bool,
    bom: bool,
}

fn bad(file: &Path, line: u64, column: &str, value: &str, expected: &str) -> DataError {
    DataError::BadValue {
        file: file.to_path_buf(),
        line,
        column: column.to_string(),
        value: value.to_string(),
        expected: expected.to_string(),
    }
}

fn parse_number(text: &str) -> Option<f64> {
    text.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// True if `s` looks like an SDMX identifier (`geo`, `TIME_PERIOD`, `indic_ur`, `isced11`).
fn is_sdmx_id(s: &str) -> bool {
    let mut chars = s.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    let lower = first.is_ascii_lowercase()
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    let upper = first.is_ascii_uppercase()
        && s.chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
    lower || upper
}

const STRUCTURE_COLUMNS: [&str; 6] = [
    "STRUCTURE",
    "STRUCTURE_ID",
    "STRUCTURE_NAME",
    "ACTION",
    "DATAFLOW",
    "LAST UPDATE",
];
const ATTRIBUTE_COLUMNS: [&str; 6] = [
    "CONF_STATUS",
    "OBS_STATUS",
    "UNIT_MULT",
    "DECIMALS",
    "OBS_COM",
    "COMMENT_OBS",
];
/// Flag letters Eurostat uses: b break in series, c confidential, d definition differs, e estimated,
/// f forecast, i see metadata, m missing, n not significant, p provisional, r revised,
/// s Eurostat estimate, u low reliability, z not applicable.
const FLAG_LETTERS: &str = "bcdefimnprsuz";

impl PublishedTable {
    /// Reads a table, recognising the format from the first line.
    pub fn read(path: &Path) -> Result<PublishedTable, DataError> {
        let text = std::fs::read(path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => DataError::FileNotFound {
                file: path.to_path_buf(),
            },
            _ => DataError::io(path, e),
        })?;
        let text = String::from_utf8(text).map_err(|e| {
            let before = &e.as_bytes()[..e.utf8_error().valid_up_to()];
            let line = before.iter().filter(|b| **b == b'\n').count() as u64 + 1;
            DataError::Unreadable {
                file: path.to_path_buf(),
                reason: format!("line {line}: the file is not UTF-8 text"),
            }
        })?;
        let first = text.lines().next().unwrap_or("");
        if first.contains("\\TIME_PERIOD") || first.contains("\\time") {
            PublishedTable::parse_tsv(path, &text)
        } else {
            PublishedTable::parse_sdmx_csv(path, &text)
        }
    }

    fn dataset_from_name(path: &Path) -> String {
        path.file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("")
            .split(['.', '_'])
            .next()
            .unwrap_or("")
            .to_uppercase()
    }
    /// The index of a dimension.
    pub fn dimension(&self, id: &str) -> Option<usize> {
        self.dimensions.iter().position(|d| d == id)
    }

    /// The label of a code of a dimension, if the file carried labels.
    pub fn label(&self, dimension: &str, code: &str) -> Option<&str> {
        let d = self.dimension(dimension)?;
        let col = self.roles.iter().position(|r| *r == Role::Dimension(d))?;
        self.labels.get(&col)?.get(code).map(|s| s.as_str())
    }

    /// Writes the table in its own format.
    pub fn write(&self, path: &Path) -> Result<(), DataError> {
        let text = match self.format {
            TableFormat::EurostatTsv => self.to_tsv()?,
            TableFormat::SdmxCsv | TableFormat::AdminCsv => self.to_sdmx_csv()?,
        };
        std::fs::write(path, text).map_err(|e| DataError::io(path, e))
    }
}
