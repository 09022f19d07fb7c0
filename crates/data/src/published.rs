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

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use crate::DataError;

/// Eurostat tables shipped with incity (SDMX-CSV, `data/eurostat/national/`) that the
/// indicator catalogue compares computed figures with: (repository path, text).
pub const SHIPPED_TABLES: [(&str, &str); 2] = [
    (
        "data/eurostat/national/mean_and_median_income_by_citizenship.csv",
        include_str!("../../../data/eurostat/national/mean_and_median_income_by_citizenship.csv"),
    ),
    (
        "data/eurostat/national/self_perceived_health_by_citizenship.csv",
        include_str!("../../../data/eurostat/national/self_perceived_health_by_citizenship.csv"),
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

    /// Parses Eurostat's bulk TSV format.
    pub fn parse_tsv(path: &Path, text: &str) -> Result<PublishedTable, DataError> {
        let text = text.trim_start_matches('\u{feff}');
        let mut lines = text.lines().enumerate();
        let Some((_, header)) = lines.next() else {
            return Err(DataError::NoRecords {
                file: path.to_path_buf(),
            });
        };
        let mut cells = header.split('\t');
        let keys = cells.next().unwrap_or("");
        let Some((dims, _)) = keys.split_once('\\') else {
            return Err(bad(
                path,
                1,
                "header",
                keys,
                "a first cell like `unit,sex,age,geo\\TIME_PERIOD`",
            ));
        };
        let dimensions: Vec<String> = dims.split(',').map(|d| d.trim().to_string()).collect();
        if dimensions.iter().any(|d| d.is_empty()) {
            return Err(bad(
                path,
                1,
                "header",
                keys,
                "comma-separated dimension names",
            ));
        }
        let periods: Vec<String> = cells.map(|c| c.trim().to_string()).collect();
        if periods.is_empty() || periods.iter().any(|p| p.is_empty()) {
            return Err(bad(
                path,
                1,
                "header",
                header,
                "time periods after the first cell, separated by tabs",
            ));
        }
        let mut observations = Vec::new();
        let mut seen: HashMap<String, u64> = HashMap::new();
        for (i, line) in lines {
            let line_no = i as u64 + 1;
            if line.trim().is_empty() {
                continue;
            }
            let cells: Vec<&str> = line.split('\t').collect();
            if cells.len() != periods.len() + 1 {
                return Err(bad(
                    path,
                    line_no,
                    "row",
                    &format!("{} cells", cells.len()),
                    &format!(
                        "{} tab-separated cells (the key and {} periods)",
                        periods.len() + 1,
                        periods.len()
                    ),
                ));
            }
            let key: Vec<String> = cells[0].split(',').map(|c| c.trim().to_string()).collect();
            if key.len() != dimensions.len() {
                return Err(bad(
                    path,
                    line_no,
                    &dimensions.join(","),
                    cells[0],
                    &format!("{} comma-separated codes", dimensions.len()),
                ));
            }
            if let Some(first) = seen.insert(cells[0].to_string(), line_no) {
                return Err(bad(
                    path,
                    line_no,
                    &dimensions.join(","),
                    cells[0],
                    &format!("a series key not already given on line {first}"),
                ));
            }
            for (cell, period) in cells[1..].iter().zip(&periods) {
                let (value_text, flags) = match cell.split_once(' ') {
                    Some((v, f)) => (v.trim(), f.trim()),
                    None => (cell.trim(), ""),
                };
                if let Some(bad_flag) = flags.chars().find(|c| !FLAG_LETTERS.contains(*c)) {
                    return Err(bad(
                        path,
                        line_no,
                        period,
                        cell,
                        &format!(
                            "a value followed by flags from `{FLAG_LETTERS}` (found `{bad_flag}`)"
                        ),
                    ));
                }
                let value = if value_text == ":" {
                    None
                } else {
                    Some(parse_number(value_text).ok_or_else(|| {
                        bad(
                            path,
                            line_no,
                            period,
                            cell,
                            "a number or `:`, optionally followed by a space and flags",
                        )
                    })?)
                };
                observations.push(Observation {
                    key: key.clone(),
                    time: period.clone(),
                    value,
                    value_text: value_text.to_string(),
                    flags: flags.to_string(),
                    attributes: Vec::new(),
                });
            }
        }
        Ok(PublishedTable {
            format: TableFormat::EurostatTsv,
            dataset: PublishedTable::dataset_from_name(path),
            dimensions,
            attributes: Vec::new(),
            observations,
            header: Vec::new(),
            roles: Vec::new(),
            structure: Vec::new(),
            labels: BTreeMap::new(),
            periods,
            crlf: text.lines().next().is_some_and(|l| l.ends_with('\r')),
            bom: false,
        })
    }

    /// Parses SDMX-CSV (1.0 or 2.0, with or without labels).
    ///
    /// Long (about 200 lines) because it recognises the variant from the header (1.0 or 2.0,
    /// `STRUCTURE` columns, `code: label` cells, attribute and measure columns) and keeps
    /// what the byte-for-byte round trip needs (BOM, line ends, column order) in one pass;
    /// each rejection names the line and column.
    pub fn parse_sdmx_csv(path: &Path, text: &str) -> Result<PublishedTable, DataError> {
        let bom = text.starts_with('\u{feff}');
        let text = text.trim_start_matches('\u{feff}');
        let crlf = text.split('\n').next().is_some_and(|l| l.ends_with('\r'));
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(true)
            .from_reader(text.as_bytes());
        let header: Vec<String> = reader
            .headers()
            .map_err(|e| DataError::Unreadable {
                file: path.to_path_buf(),
                reason: e.to_string(),
            })?
            .iter()
            .map(|h| h.to_string())
            .collect();
        let mut roles = Vec::with_capacity(header.len());
        let (mut dims, mut attrs, mut structure_names) = (Vec::new(), Vec::new(), Vec::new());
        for (i, h) in header.iter().enumerate() {
            let role = if STRUCTURE_COLUMNS.contains(&h.as_str()) {
                structure_names.push(h.clone());
                Role::Structure(structure_names.len() - 1)
            } else if h == "TIME_PERIOD" {
                Role::Time
            } else if h == "OBS_VALUE" {
                Role::Value
            } else if h == "OBS_FLAG" {
                Role::Flags
            } else if ATTRIBUTE_COLUMNS.contains(&h.as_str()) || h.starts_with("OBS_") {
                attrs.push(h.clone());
                Role::Attribute(attrs.len() - 1)
            } else if !is_sdmx_id(h)
                && i > 0
                && !matches!(
                    roles.last(),
                    Some(Role::Label(_)) | Some(Role::Structure(_)) | None
                )
            {
                Role::Label(i - 1)
            } else if is_sdmx_id(h) {
                dims.push(h.clone());
                Role::Dimension(dims.len() - 1)
            } else {
                return Err(bad(path, 1, h, h, "an SDMX identifier (letters, digits, `_`) or the label column following a coded column"));
            };
            roles.push(role);
        }
        for required in ["TIME_PERIOD", "OBS_VALUE"] {
            if !header.iter().any(|h| h == required) {
                return Err(DataError::UnknownColumn {
                    file: path.to_path_buf(),
                    column: required.to_string(),
                    role: "SDMX-CSV column".to_string(),
                    available: header.join(", "),
                });
            }
        }
        if dims.is_empty() {
            return Err(bad(
                path,
                1,
                "header",
                &header.join(","),
                "at least one dimension column",
            ));
        }
        let mut structure = vec![String::new(); structure_names.len()];
        let mut labels: BTreeMap<usize, HashMap<String, String>> = BTreeMap::new();
        let mut observations = Vec::new();
        let mut seen: HashMap<(Vec<String>, String), u64> = HashMap::new();
        for (n, record) in numbered_records(&mut reader, path).enumerate() {
            let (line, record) = record?;
            if record.len() != header.len() {
                return Err(bad(
                    path,
                    line,
                    "row",
                    &format!("{} fields", record.len()),
                    &format!("{} fields as in the header", header.len()),
                ));
            }
            let mut obs = Observation {
                key: vec![String::new(); dims.len()],
                time: String::new(),
                value: None,
                value_text: String::new(),
                flags: String::new(),
                attributes: vec![String::new(); attrs.len()],
            };
            for (i, cell) in record.iter().enumerate() {
                match &roles[i] {
                    Role::Structure(k) => {
                        if n == 0 {
                            structure[*k] = cell.to_string();
                        } else if structure[*k] != cell {
                            return Err(bad(
                                path,
                                line,
                                &header[i],
                                cell,
                                &format!(
                                    "`{}` as on every other row (one dataset per file)",
                                    structure[*k]
                                ),
                            ));
                        }
                    }
                    Role::Dimension(k) => obs.key[*k] = cell.to_string(),
                    Role::Time => obs.time = cell.to_string(),
                    Role::Value => {
                        obs.value_text = cell.to_string();
                        if !cell.is_empty() {
                            obs.value = Some(parse_number(cell).ok_or_else(|| {
                                bad(
                                    path,
                                    line,
                                    "OBS_VALUE",
                                    cell,
                                    "a number, or an empty field for a missing value",
                                )
                            })?);
                        }
                    }
                    Role::Flags => {
                        if let Some(c) = cell.chars().find(|c| !FLAG_LETTERS.contains(*c)) {
                            return Err(bad(
                                path,
                                line,
                                "OBS_FLAG",
                                cell,
                                &format!("flags from `{FLAG_LETTERS}` (found `{c}`)"),
                            ));
                        }
                        obs.flags = cell.to_string()
                    }
                    Role::Attribute(k) => obs.attributes[*k] = cell.to_string(),
                    Role::Label(of) => {
                        let code = record.get(*of).unwrap_or("");
                        let map = labels.entry(*of).or_default();
                        match map.get(code) {
                            Some(existing) if existing != cell => {
                                return Err(bad(
                                    path,
                                    line,
                                    &header[i],
                                    cell,
                                    &format!("the label `{existing}` given to `{code}` earlier"),
                                ));
                            }
                            Some(_) => {}
                            None => {
                                map.insert(code.to_string(), cell.to_string());
                            }
                        }
                    }
                }
            }
            if obs.time.is_empty() {
                return Err(bad(path, line, "TIME_PERIOD", "", "a time period"));
            }
            if let Some(first) = seen.insert((obs.key.clone(), obs.time.clone()), line) {
                return Err(bad(
                    path,
                    line,
                    &dims.join(","),
                    &format!("{} {}", obs.key.join(","), obs.time),
                    &format!("an observation not already given on line {first}"),
                ));
            }
            observations.push(obs);
        }
        let dataset = ["STRUCTURE_ID", "DATAFLOW"]
            .iter()
            .find_map(|name| {
                structure_names
                    .iter()
                    .position(|s| s == name)
                    .map(|k| structure[k].clone())
            })
            .map(|id| {
                // `ESTAT:LFSA_ERGAN(1.0)` or `ESTAT:ILC_DI15$DEFAULTVIEW(1.0)` -> the code.
                let id = id.split(':').nth(1).unwrap_or(&id).to_string();
                id.split(['(', '$']).next().unwrap_or("").to_string()
            })
            .filter(|d| !d.is_empty())
            .unwrap_or_else(|| PublishedTable::dataset_from_name(path));
        Ok(PublishedTable {
            format: TableFormat::SdmxCsv,
            dataset,
            dimensions: dims,
            attributes: attrs,
            observations,
            header,
            roles,
            structure,
            labels,
            periods: Vec::new(),
            crlf,
            bom,
        })
    }

    /// Reads an administrative table (CSV) through an [`AdminTableMapping`]: dimensions are
    /// the mapping's further dimensions then `geo`; geo codes must be NUTS (any version) or
    /// city codes; values non-negative numbers or missing; every problem is an error naming
    /// the line, the column, the value and what was expected.
    pub fn read_admin_csv(
        path: &Path,
        mapping: &crate::mapping::AdminTableMapping,
    ) -> Result<PublishedTable, DataError> {
        use incity_reference::geography::Geography;
        let geo = Geography::embedded();
        let mut reader = csv::Reader::from_path(path).map_err(|e| match e.kind() {
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
        let header: Vec<String> = reader
            .headers()
            .map_err(|e| DataError::Unreadable {
                file: path.to_path_buf(),
                reason: e.to_string(),
            })?
            .iter()
            .map(|h| h.trim_start_matches('\u{feff}').to_string())
            .collect();
        let col = |name: &str, role: &str| {
            header
                .iter()
                .position(|h| h == name)
                .ok_or_else(|| DataError::UnknownColumn {
                    file: path.to_path_buf(),
                    column: name.to_string(),
                    role: format!("{role} in {}", mapping.origin),
                    available: header.join(", "),
                })
        };
        let geo_col = col(&mapping.geo, "geo column")?;
        let time_col = col(&mapping.time, "time column")?;
        let value_col = col(&mapping.value, "value column")?;
        let flag_col = match &mapping.flags {
            Some(f) => Some(col(f, "flags column")?),
            None => None,
        };
        let dim_cols: Vec<usize> = mapping
            .dimensions
            .iter()
            .map(|(id, c)| col(c, &format!("column of dimension {id}")))
            .collect::<Result<_, _>>()?;
        let mut dimensions: Vec<String> = mapping
            .dimensions
            .iter()
            .map(|(id, _)| id.clone())
            .collect();
        dimensions.push("geo".to_string());
        let mut observations = Vec::new();
        let mut seen: HashMap<(Vec<String>, String), u64> = HashMap::new();
        for record in numbered_records(&mut reader, path) {
            let (line, record) = record?;
            let cell = |i: usize| record.get(i).unwrap_or("");
            let translate = |id: &str, v: &str| -> Result<String, DataError> {
                match mapping.codes.get(id) {
                    Some(map) => map.get(v).cloned().ok_or_else(|| {
                        let known: Vec<&str> = map.keys().map(|k| k.as_str()).collect();
                        bad(
                            path,
                            line,
                            id,
                            v,
                            &format!("a code of {id} ({})", known.join(", ")),
                        )
                    }),
                    None => Ok(v.to_string()),
                }
            };
            let mut key = Vec::with_capacity(dimensions.len());
            for ((id, column), &i) in mapping.dimensions.iter().zip(&dim_cols) {
                let v = cell(i);
                if v.is_empty() {
                    return Err(bad(path, line, column, v, &format!("a code of {id}")));
                }
                key.push(translate(id, v)?);
            }
            let g = translate("geo", cell(geo_col))?;
            let known_geo = !geo.versions_of(&g).is_empty() || geo.city(&g).is_some();
            if !known_geo {
                return Err(bad(
                    path,
                    line,
                    &mapping.geo,
                    cell(geo_col),
                    "a NUTS code (2016, 2021 or 2024) or a city code of the EU city statistics",
                ));
            }
            key.push(g);
            let time = cell(time_col).to_string();
            if time
                .parse::<i32>()
                .map(|y| !(1950..=2100).contains(&y))
                .unwrap_or(true)
            {
                return Err(bad(
                    path,
                    line,
                    &mapping.time,
                    &time,
                    "a year from 1950 to 2100",
                ));
            }
            let text = cell(value_col);
            let value = if mapping.missing.iter().any(|m| m == text) {
                None
            } else {
                match parse_number(text) {
                    Some(v) if v >= 0.0 => Some(v),
                    _ => {
                        return Err(bad(
                            path,
                            line,
                            &mapping.value,
                            text,
                            "a number >= 0, or a missing value as declared in the mapping",
                        ))
                    }
                }
            };
            let flags = flag_col.map(|i| cell(i).to_string()).unwrap_or_default();
            if let Some(c) = flags.chars().find(|c| !FLAG_LETTERS.contains(*c)) {
                return Err(bad(
                    path,
                    line,
                    mapping.flags.as_deref().unwrap_or("flags"),
                    &flags,
                    &format!("flags from `{FLAG_LETTERS}` (found `{c}`)"),
                ));
            }
            if let Some(first) = seen.insert((key.clone(), time.clone()), line) {
                return Err(bad(
                    path,
                    line,
                    "row",
                    &format!("{} {time}", key.join(",")),
                    &format!("one row per dimensions and year (also on line {first})"),
                ));
            }
            observations.push(Observation {
                key,
                time,
                value,
                value_text: if value.is_some() {
                    text.to_string()
                } else {
                    String::new()
                },
                flags,
                attributes: Vec::new(),
            });
        }
        if observations.is_empty() {
            return Err(DataError::NoRecords {
                file: path.to_path_buf(),
            });
        }
        Ok(PublishedTable {
            format: TableFormat::AdminCsv,
            dataset: mapping.dataset.clone(),
            dimensions,
            attributes: Vec::new(),
            observations,
            header: Vec::new(),
            roles: Vec::new(),
            structure: Vec::new(),
            labels: BTreeMap::new(),
            periods: Vec::new(),
            crlf: false,
            bom: false,
        })
    }

    /// A new table, written as SDMX-CSV 2.0 (`STRUCTURE`, `STRUCTURE_ID`, the dimensions,
    /// `TIME_PERIOD`, `OBS_VALUE`, `OBS_FLAG`, then the attributes; attribute ids should start
    /// with `OBS_` so that readers recognise them).
    pub fn new_sdmx(
        dataset: &str,
        dimensions: Vec<String>,
        attributes: Vec<String>,
        observations: Vec<Observation>,
    ) -> PublishedTable {
        PublishedTable {
            format: TableFormat::SdmxCsv,
            dataset: dataset.to_string(),
            dimensions,
            attributes,
            observations,
            header: Vec::new(),
            roles: Vec::new(),
            structure: Vec::new(),
            labels: BTreeMap::new(),
            periods: Vec::new(),
            crlf: false,
            bom: false,
        }
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

    /// The table in Eurostat's TSV format (current style: a space after every value, periods
    /// in the order first seen).
    pub fn to_tsv(&self) -> Result<String, DataError> {
        let mut periods = self.periods.clone();
        if periods.is_empty() {
            for o in &self.observations {
                if !periods.contains(&o.time) {
                    periods.push(o.time.clone());
                }
            }
        }
        let index: HashMap<&str, usize> = periods
            .iter()
            .enumerate()
            .map(|(i, p)| (p.as_str(), i))
            .collect();
        let mut series: Vec<(String, Vec<Option<&Observation>>)> = Vec::new();
        let mut position: HashMap<String, usize> = HashMap::new();
        for o in &self.observations {
            let key = o.key.join(",");
            let k = *position.entry(key.clone()).or_insert_with(|| {
                series.push((key, vec![None; periods.len()]));
                series.len() - 1
            });
            series[k].1[index[o.time.as_str()]] = Some(o);
        }
        let eol = if self.crlf { "\r\n" } else { "\n" };
        let mut out = format!("{}\\TIME_PERIOD", self.dimensions.join(","));
        for p in &periods {
            out.push('\t');
            out.push_str(p);
            out.push(' ');
        }
        out.push_str(eol);
        for (key, cells) in series {
            out.push_str(&key);
            for cell in cells {
                out.push('\t');
                match cell {
                    Some(o) if o.value.is_some() => {
                        out.push_str(&o.value_text);
                        out.push(' ');
                        out.push_str(&o.flags);
                    }
                    Some(o) => {
                        out.push_str(": ");
                        out.push_str(&o.flags);
                    }
                    None => out.push_str(": "),
                }
            }
            out.push_str(eol);
        }
        Ok(out)
    }

    /// The table as SDMX-CSV with the columns it was read with (a table read from TSV is
    /// written as SDMX-CSV 2.0 without labels).
    pub fn to_sdmx_csv(&self) -> Result<String, DataError> {
        let (header, roles, structure) = if self.header.is_empty() {
            let mut header = vec!["STRUCTURE".to_string(), "STRUCTURE_ID".to_string()];
            let mut roles = vec![Role::Structure(0), Role::Structure(1)];
            for (i, d) in self.dimensions.iter().enumerate() {
                header.push(d.clone());
                roles.push(Role::Dimension(i));
            }
            header.extend(["TIME_PERIOD", "OBS_VALUE", "OBS_FLAG"].map(String::from));
            roles.extend([Role::Time, Role::Value, Role::Flags]);
            for (i, a) in self.attributes.iter().enumerate() {
                header.push(a.clone());
                roles.push(Role::Attribute(i));
            }
            let structure = vec![
                "dataflow".to_string(),
                format!("ESTAT:{}(1.0)", self.dataset),
            ];
            (header, roles, structure)
        } else {
            (
                self.header.clone(),
                self.roles.clone(),
                self.structure.clone(),
            )
        };
        let mut writer = csv::WriterBuilder::new()
            .terminator(if self.crlf {
                csv::Terminator::CRLF
            } else {
                csv::Terminator::Any(b'\n')
            })
            .from_writer(if self.bom {
                "\u{feff}".as_bytes().to_vec()
            } else {
                Vec::new()
            });
        let internal = |e: csv::Error| DataError::Internal(e.to_string());
        writer.write_record(&header).map_err(internal)?;
        for o in &self.observations {
            let mut row: Vec<&str> = Vec::with_capacity(roles.len());
            for role in &roles {
                let cell: &str = match role {
                    Role::Structure(k) => &structure[*k],
                    Role::Dimension(k) => &o.key[*k],
                    Role::Time => &o.time,
                    Role::Value => {
                        if o.value.is_some() {
                            &o.value_text
                        } else {
                            ""
                        }
                    }
                    Role::Flags => &o.flags,
                    Role::Attribute(k) => &o.attributes[*k],
                    Role::Label(of) => {
                        let code = match &roles[*of] {
                            Role::Dimension(k) => o.key[*k].as_str(),
                            Role::Time => o.time.as_str(),
                            Role::Value => o.value_text.as_str(),
                            Role::Flags => o.flags.as_str(),
                            Role::Attribute(k) => o.attributes[*k].as_str(),
                            Role::Structure(k) => structure[*k].as_str(),
                            Role::Label(_) => "",
                        };
                        self.labels
                            .get(of)
                            .and_then(|m| m.get(code))
                            .map(|s| s.as_str())
                            .unwrap_or("")
                    }
                };
                row.push(cell);
            }
            writer.write_record(&row).map_err(internal)?;
        }
        let bytes = writer
            .into_inner()
            .map_err(|e| DataError::Internal(e.to_string()))?;
        String::from_utf8(bytes).map_err(|e| DataError::Internal(e.to_string()))
    }
}
