//! Administrative tables (CSV) read through an admin-table mapping.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use crate::DataError;

use super::*;

impl PublishedTable {
    /// Reads an administrative table (CSV) through an [`AdminTableMapping`]: dimensions are
    /// the mapping's further dimensions then `geo`; geo codes must be NUTS (any version) or
    /// city codes; values non-negative numbers or missing; every problem is an error naming
    /// the line, the column, the value and what was expected.
    ///
    /// Long (about 180 lines) because each of those checks is its own short rejection with its
    /// own message, made in the one pass that reads the file.
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
}
