//! Eurostat's bulk TSV format, read and written.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use crate::DataError;

use super::*;

impl PublishedTable {
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
}
