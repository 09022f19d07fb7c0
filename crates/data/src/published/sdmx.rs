//! SDMX-CSV 1.0 and 2.0 (with or without label columns), read and written.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use crate::DataError;

use super::*;

impl PublishedTable {
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
