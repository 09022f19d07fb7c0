//! A source record mapped onto the harmonised concepts ([`Harmoniser`]), the derived target
//! groups of a harmonised row ([`derive`]), and where harmonised rows go ([`RowSink`]).

use std::path::PathBuf;

use incity_reference::concepts::{self, CONCEPTS};

use crate::mapping::{Layout, Mapping};
use crate::DataError;

/// Where a value came from.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Origin {
    pub(crate) file: usize,
    pub(crate) line: u64,
}

/// A harmonised record: one optional value per concept.
pub type HarmonisedRow = Vec<Option<String>>;

/// Where harmonised rows go: called with the partition key (source, country, year) and the
/// row, only while the load has no rejection.
pub trait RowSink {
    fn accept(&mut self, country: &str, year: i32, row: &HarmonisedRow) -> Result<(), DataError>;
}

/// A sink that keeps nothing (validation only).
pub struct Discard;

impl RowSink for Discard {
    fn accept(&mut self, _: &str, _: i32, _: &HarmonisedRow) -> Result<(), DataError> {
        Ok(())
    }
}

pub(crate) fn value<'a>(row: &'a HarmonisedRow, id: &str) -> Option<&'a str> {
    concepts::concept_index(id).and_then(|i| row[i].as_deref())
}

/// Derived columns of a harmonised row, in the order of [`DERIVED`].
pub fn derive(row: &HarmonisedRow) -> Vec<Option<&str>> {
    let country = value(row, "country").unwrap_or("");
    let region = value(row, "region");
    let nuts = |len: usize| region.filter(|r| r.len() >= len).map(|r| &r[..len]);
    let birth = value(row, "country_of_birth").map(|o| concepts::birth_group(o, country));
    let citizenship = value(row, "citizenship").map(|o| concepts::citizenship_group(o, country));
    let parents = match (
        birth,
        value(row, "father_country_of_birth"),
        value(row, "mother_country_of_birth"),
    ) {
        (Some("native"), Some(f), Some(m)) => Some(concepts::parents_background(f, m, country)),
        _ => None,
    };
    let residence = match (birth, value(row, "years_of_residence")) {
        (Some("eu_born" | "non_eu_born"), Some(y)) => {
            y.parse().ok().map(concepts::residence_duration)
        }
        _ => None,
    };
    let education = value(row, "education_level").and_then(concepts::education_group);
    let child = value(row, "age")
        .and_then(|a| a.parse::<i64>().ok())
        .is_some_and(|a| a < 18);
    let resident_parents: Vec<&str> = [
        value(row, "resident_father_country_of_birth"),
        value(row, "resident_mother_country_of_birth"),
    ]
    .into_iter()
    .flatten()
    .collect();
    let children = child
        .then(|| concepts::children_parents_birth(&resident_parents, country))
        .flatten();
    let age_band = value(row, "age")
        .and_then(|a| a.parse().ok())
        .and_then(concepts::age_band);
    vec![
        nuts(3),
        nuts(4),
        nuts(5),
        age_band,
        birth,
        citizenship,
        parents,
        residence,
        education,
        children,
    ]
}

/// A mapped column the header lacks: unavailable (`Ok`) when it belongs to an EU-SILC file
/// that was not given (for a linked column `RB220>PB210`, the file of its target), else an
/// error naming the files, the column and its role.
fn missing_column(
    mapping: &Mapping,
    col: &str,
    given: &str,
    header: &[String],
    owners: &[String],
    role: String,
) -> Result<(), DataError> {
    let target = col.rsplit('>').next().unwrap_or(col);
    let letter = target.chars().next().unwrap_or(' ');
    if mapping.layout == Layout::EuSilcUdb && !given.contains(letter) && "DRHP".contains(letter) {
        return Ok(());
    }
    let mut names: Vec<&str> = owners.iter().map(|o| o.as_str()).collect();
    names.dedup();
    Err(DataError::UnknownColumn {
        file: PathBuf::from(names.join(", ")),
        column: col.to_string(),
        role,
        available: header.join(", "),
    })
}

/// The mapping applied to one row.
pub(crate) struct Harmoniser<'m> {
    mapping: &'m Mapping,
    /// Per concept: source column indices (in the unified header), or a constant.
    sources: Vec<Source>,
    /// Per concept: the source column name(s) used in rejections.
    columns: Vec<String>,
}

#[derive(Debug, Clone)]
enum Source {
    None,
    Columns(Vec<usize>),
    Constant(String),
    /// A `[derive]` expression and the header index of each of its columns.
    Derived(Vec<usize>),
}

impl<'m> Harmoniser<'m> {
    /// `given`: for the EU-SILC layout, the letters of the files given (`DRHP`); `owners`:
    /// the file name of each header column.
    pub(crate) fn new(
        mapping: &'m Mapping,
        header: &[String],
        unavailable: &mut Vec<String>,
        given: &str,
        owners: &[String],
    ) -> Result<Harmoniser<'m>, DataError> {
        let mut sources = vec![Source::None; CONCEPTS.len()];
        for (i, c) in CONCEPTS.iter().enumerate() {
            if let Some(v) = mapping.constants.get(c.id) {
                sources[i] = Source::Constant(v.clone());
            } else if let Some(expression) = mapping.derive.get(c.id) {
                // Every column of the expression must be in the header before a record is read.
                let mut idx = Vec::new();
                for col in &expression.columns {
                    match header.iter().position(|h| h == col) {
                        Some(k) => idx.push(k),
                        None => {
                            let role = format!(
                                "column of `{} = {}` ([derive] of mapping {})",
                                c.id, expression.text, mapping.name
                            );
                            missing_column(mapping, col, given, header, owners, role)?;
                            unavailable.push(c.id.to_string());
                            idx.clear();
                            break;
                        }
                    }
                }
                if !idx.is_empty() || expression.columns.is_empty() {
                    sources[i] = Source::Derived(idx);
                }
            } else if let Some(spec) = mapping.columns.get(c.id) {
                let mut idx = Vec::new();
                for col in spec.columns() {
                    let found: Vec<usize> = header
                        .iter()
                        .enumerate()
                        .filter(|(_, h)| h.as_str() == col)
                        .map(|(k, _)| k)
                        .collect();
                    match found.as_slice() {
                        [k] => idx.push(*k),
                        [] => {
                            let role = format!("column of `{}` in mapping {}", c.id, mapping.name);
                            missing_column(mapping, col, given, header, owners, role)?;
                            unavailable.push(c.id.to_string());
                            idx.clear();
                            break;
                        }
                        many => {
                            let which: Vec<&str> =
                                many.iter().map(|k| owners[*k].as_str()).collect();
                            return Err(DataError::Mapping {
                                file: PathBuf::from(&mapping.origin),
                                message: format!(
                                    "column `{col}` of `{}` is in several files: {}",
                                    c.id,
                                    which.join(", ")
                                ),
                            });
                        }
                    }
                }
                if !idx.is_empty() {
                    sources[i] = Source::Columns(idx);
                }
            }
        }
        let columns = sources
            .iter()
            .zip(CONCEPTS)
            .map(|(s, c)| match s {
                Source::Columns(cols) => cols
                    .iter()
                    .map(|k| header[*k].as_str())
                    .collect::<Vec<_>>()
                    .join("+"),
                Source::Constant(_) => format!("{} (constant)", c.id),
                Source::Derived(_) => format!(
                    "{} = {}",
                    c.id,
                    mapping
                        .derive
                        .get(c.id)
                        .map(|e| e.text.as_str())
                        .unwrap_or("")
                ),
                Source::None => c.id.to_string(),
            })
            .collect();
        Ok(Harmoniser {
            mapping,
            sources,
            columns,
        })
    }

    /// How each concept is named in rejections: `COLUMN (concept)`.
    pub(crate) fn labels(&self, header: &[String]) -> Vec<String> {
        self.sources
            .iter()
            .zip(CONCEPTS)
            .map(|(s, c)| match s {
                Source::Columns(cols) => {
                    let names: Vec<&str> = cols.iter().map(|k| header[*k].as_str()).collect();
                    format!("{} ({})", names.join("+"), c.id)
                }
                _ => c.id.to_string(),
            })
            .collect()
    }

    /// Harmonises one row; pushes rejections (with their origin) and returns the row.
    pub(crate) fn apply(
        &self,
        fields: &[Option<&str>],
        origin_of: &dyn Fn(usize) -> Origin,
        row_origin: Origin,
        rejections: &mut Vec<(Origin, String, String, String)>,
    ) -> HarmonisedRow {
        let mut row: HarmonisedRow = vec![None; CONCEPTS.len()];
        // Country first: regions and cities are checked against it.
        let order = std::iter::once(0).chain(1..CONCEPTS.len());
        for i in order {
            let c = &CONCEPTS[i];
            let column = || self.columns[i].clone();
            let (raw, origin): (Option<String>, Origin) = match &self.sources[i] {
                Source::None => continue,
                Source::Constant(v) => (Some(v.clone()), row_origin),
                Source::Derived(cols) => {
                    let Some(expression) = self.mapping.derive.get(c.id) else {
                        continue;
                    };
                    let value = |j: usize| {
                        fields
                            .get(cols[j])
                            .copied()
                            .flatten()
                            .filter(|v| !self.mapping.is_missing(v))
                    };
                    let origin = cols.first().map_or(row_origin, |k| origin_of(*k));
                    match expression.evaluate(&value) {
                        Ok(Some(v)) => {
                            // A derived value is harmonised as it is (no code tables).
                            let country = row[0].as_deref();
                            if let Err(expected) =
                                concepts::check_value(c, &v, country, self.mapping.nuts_version)
                            {
                                rejections.push((
                                    origin,
                                    column(),
                                    v,
                                    format!("{expected} ({})", c.id),
                                ));
                            } else {
                                row[i] = Some(v);
                            }
                            continue;
                        }
                        Ok(None) => (None, origin),
                        Err(e) => {
                            let at = e
                                .column
                                .as_ref()
                                .and_then(|name| expression.columns.iter().position(|x| x == name))
                                .map_or(origin, |j| origin_of(cols[j]));
                            let label = match &e.column {
                                Some(name) => format!("{name} (in {})", column()),
                                None => column(),
                            };
                            rejections.push((at, label, e.found, e.expected));
                            continue;
                        }
                    }
                }
                Source::Columns(cols) => {
                    let value = |k: usize| {
                        fields
                            .get(k)
                            .copied()
                            .flatten()
                            .filter(|v| !self.mapping.is_missing(v))
                    };
                    let raw = if let [k] = cols.as_slice() {
                        value(*k).map(str::to_string)
                    } else {
                        let parts: Option<Vec<&str>> = cols.iter().map(|k| value(*k)).collect();
                        parts.map(|p| p.join("/"))
                    };
                    (raw, origin_of(cols[0]))
                }
            };
            let Some(raw) = raw else {
                if crate::mapping::REQUIRED.contains(&c.id) {
                    rejections.push((
                        origin,
                        column(),
                        String::new(),
                        format!(
                            "a value ({}: {}); the field is missing",
                            c.id, c.description
                        ),
                    ));
                }
                continue;
            };
            let harmonised = match self.mapping.codes.get(c.id) {
                Some(map) => match map.get(raw.as_str()) {
                    Some(h) => h.clone(),
                    None => {
                        let mut known: Vec<&str> = map.keys().map(|k| k.as_str()).collect();
                        known.truncate(20);
                        rejections.push((
                            origin,
                            column(),
                            raw,
                            format!("a code of {} ({})", c.id, known.join(", ")),
                        ));
                        continue;
                    }
                },
                None => match self
                    .mapping
                    .recode
                    .get(c.id)
                    .and_then(|m| m.get(raw.as_str()))
                {
                    Some(h) => h.clone(),
                    None => raw.clone(),
                },
            };
            let country = row[0].as_deref();
            if let Err(expected) =
                concepts::check_value(c, &harmonised, country, self.mapping.nuts_version)
            {
                rejections.push((origin, column(), raw, format!("{expected} ({})", c.id)));
                continue;
            }
            row[i] = Some(harmonised);
        }
        // Age in bands only: the age is the band's lower bound (indicators whose age range cuts
        // a band are not computed; see incity-indicators' `age_cuts`).
        let mut age_from_band = false;
        if let (Some(ai), Some(bi)) = (
            concepts::concept_index("age"),
            concepts::concept_index("age_range"),
        ) {
            if row[ai].is_none() {
                if let Some((lo, _)) = row[bi].as_deref().and_then(concepts::parse_age_band) {
                    row[ai] = Some(lo.to_string());
                    age_from_band = true;
                }
            }
        }
        // Cross-field: years of residence cannot exceed age (known to the year).
        if let (false, Some(y), Some(a)) = (
            age_from_band,
            value(&row, "years_of_residence").and_then(|v| v.parse::<i64>().ok()),
            value(&row, "age").and_then(|v| v.parse::<i64>().ok()),
        ) {
            if y > a {
                let i = concepts::concept_index("years_of_residence").unwrap_or(0);
                let (origin, column) = match &self.sources[i] {
                    Source::Columns(cols) => (origin_of(cols[0]), self.columns[i].clone()),
                    _ => (row_origin, "years_of_residence".into()),
                };
                rejections.push((
                    origin,
                    column,
                    y.to_string(),
                    format!("years of residence at most the age ({a})"),
                ));
            }
        }
        row
    }
}
