//! Reading survey and register microdata through a [`Mapping`] onto the harmonised
//! [concepts](crate::concepts), with validation that loses nothing.
//!
//! Every record is read; each problem becomes a [`Rejection`] naming the file, the line (or,
//! for Parquet, the row), the column, the value found and what was expected: unknown codes,
//! missing or non-positive weights, ages out of range, duplicated person ids, households whose
//! members disagree on household-level variables, records of one EU-SILC file without their
//! household or person in another, wrong headers. The [`LoadReport`] counts rows read,
//! accepted and rejected per file. Rows are handed to a sink only while no row has been
//! rejected, and the caller commits only a clean load (see [`crate::inputs`]), so a load
//! either completes or changes nothing.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, Float64Builder, Int32Builder, StringBuilder,
};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::arrow::record_batch::RecordBatch;

use crate::concepts::{self, ConceptKind, CONCEPTS, DERIVED};
use crate::mapping::{Layout, Mapping};
use crate::DataError;

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

/// Where a value came from.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Origin {
    pub(crate) file: usize,
    pub(crate) line: u64,
}

/// The Arrow schema of harmonised files: the concepts, then the derived columns.
pub fn harmonised_schema() -> SchemaRef {
    let mut fields: Vec<Field> = CONCEPTS
        .iter()
        .map(|c| {
            let t = match c.kind {
                ConceptKind::Integer { .. } => DataType::Int32,
                ConceptKind::Weight | ConceptKind::Number => DataType::Float64,
                _ => DataType::Utf8,
            };
            Field::new(c.id, t, true)
        })
        .collect();
    fields.extend(
        DERIVED
            .iter()
            .map(|(id, _)| Field::new(*id, DataType::Utf8, true)),
    );
    Arc::new(Schema::new(fields))
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

/// Appends harmonised rows to Arrow builders and cuts record batches.
pub struct BatchBuilder {
    schema: SchemaRef,
    strings: Vec<Option<StringBuilder>>,
    ints: Vec<Option<Int32Builder>>,
    floats: Vec<Option<Float64Builder>>,
    rows: usize,
}

impl Default for BatchBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl BatchBuilder {
    pub fn new() -> BatchBuilder {
        let schema = harmonised_schema();
        let n = schema.fields().len();
        let mut b = BatchBuilder {
            schema: schema.clone(),
            strings: (0..n).map(|_| None).collect(),
            ints: (0..n).map(|_| None).collect(),
            floats: (0..n).map(|_| None).collect(),
            rows: 0,
        };
        for (i, f) in schema.fields().iter().enumerate() {
            match f.data_type() {
                DataType::Int32 => b.ints[i] = Some(Int32Builder::new()),
                DataType::Float64 => b.floats[i] = Some(Float64Builder::new()),
                _ => b.strings[i] = Some(StringBuilder::new()),
            }
        }
        b
    }

    pub fn len(&self) -> usize {
        self.rows
    }

    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// Appends a row (concept values followed by the derived values).
    pub fn push(&mut self, row: &HarmonisedRow) {
        let derived = derive(row);
        for i in 0..self.schema.fields().len() {
            let value: Option<&str> = if i < CONCEPTS.len() {
                row[i].as_deref()
            } else {
                derived[i - CONCEPTS.len()]
            };
            if let Some(b) = &mut self.strings[i] {
                b.append_option(value);
            } else if let Some(b) = &mut self.ints[i] {
                b.append_option(value.and_then(|v| v.parse().ok()));
            } else if let Some(b) = &mut self.floats[i] {
                b.append_option(value.and_then(|v| v.parse().ok()));
            }
        }
        self.rows += 1;
    }

    /// Cuts a record batch of the rows pushed so far.
    pub fn finish(&mut self) -> Result<RecordBatch, DataError> {
        let mut columns: Vec<ArrayRef> = Vec::with_capacity(self.schema.fields().len());
        for i in 0..self.schema.fields().len() {
            if let Some(b) = &mut self.strings[i] {
                columns.push(Arc::new(b.finish()));
            } else if let Some(b) = &mut self.ints[i] {
                columns.push(Arc::new(b.finish()));
            } else if let Some(b) = &mut self.floats[i] {
                columns.push(Arc::new(b.finish()));
            }
        }
        self.rows = 0;
        RecordBatch::try_new(self.schema.clone(), columns)
            .map_err(|e| DataError::Internal(e.to_string()))
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
    ]
}

/// A source file read row by row.
pub(crate) struct RawFile {
    pub(crate) path: PathBuf,
    pub(crate) header: Vec<String>,
    pub(crate) parquet: bool,
}

/// A consumer of records: `(line, fields)`; an empty field list means a record whose number
/// of fields differs from the header's.
pub(crate) type RecordFn<'a> = dyn FnMut(u64, &[Option<&str>]) -> Result<(), DataError> + 'a;

/// Calls `f(line, fields)` for every record; missing Parquet values are `None`.
pub(crate) fn for_each_record(
    file: &RawFile,
    progress: &mut dyn FnMut(u64),
    f: &mut RecordFn<'_>,
) -> Result<(), DataError> {
    if file.parquet {
        use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
        let handle = std::fs::File::open(&file.path).map_err(|e| DataError::io(&file.path, e))?;
        let reader = ParquetRecordBatchReaderBuilder::try_new(handle)
            .and_then(|b| b.with_batch_size(8192).build())
            .map_err(|e| DataError::Unreadable {
                file: file.path.clone(),
                reason: e.to_string(),
            })?;
        let mut row = 0u64;
        for batch in reader {
            let batch = batch.map_err(|e| DataError::Unreadable {
                file: file.path.clone(),
                reason: e.to_string(),
            })?;
            let columns: Vec<ArrayRef> = batch
                .columns()
                .iter()
                .map(|c| datafusion::arrow::compute::cast(c, &DataType::Utf8))
                .collect::<Result<_, _>>()
                .map_err(|e| DataError::Unreadable {
                    file: file.path.clone(),
                    reason: e.to_string(),
                })?;
            let strings: Vec<_> = columns.iter().map(|c| c.as_string::<i32>()).collect();
            let mut fields: Vec<Option<&str>> = vec![None; strings.len()];
            for i in 0..batch.num_rows() {
                row += 1;
                for (k, s) in strings.iter().enumerate() {
                    fields[k] = (!s.is_null(i)).then(|| s.value(i));
                }
                f(row, &fields)?;
            }
            progress(row);
        }
        Ok(())
    } else {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(true)
            .from_path(&file.path)
            .map_err(|e| DataError::Unreadable {
                file: file.path.clone(),
                reason: e.to_string(),
            })?;
        let mut record = csv::StringRecord::new();
        let mut n = 0u64;
        loop {
            match reader.read_record(&mut record) {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => {
                    let line = e.position().map(|p| p.line()).unwrap_or(0);
                    return Err(DataError::Unreadable {
                        file: file.path.clone(),
                        reason: match e.kind() {
                            csv::ErrorKind::Utf8 { .. } => {
                                format!("line {line}: the file is not UTF-8 text")
                            }
                            _ => format!("line {line}: {e}"),
                        },
                    });
                }
            }
            let line = record.position().map(|p| p.line()).unwrap_or(0);
            if record.len() != file.header.len() {
                // An empty field list: the caller rejects the whole record.
                f(line, &[])?;
            } else {
                let fields: Vec<Option<&str>> = record.iter().map(Some).collect();
                f(line, &fields)?;
            }
            n += 1;
            if n.is_multiple_of(65_536) {
                progress(record.position().map(|p| p.byte()).unwrap_or(0));
            }
        }
        Ok(())
    }
}

pub(crate) fn open_raw(path: &Path) -> Result<RawFile, DataError> {
    if !path.exists() {
        return Err(DataError::FileNotFound {
            file: path.to_path_buf(),
        });
    }
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(|e| e.to_ascii_lowercase());
    match ext.as_deref() {
        Some("parquet") => {
            use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
            let handle = std::fs::File::open(path).map_err(|e| DataError::io(path, e))?;
            let builder = ParquetRecordBatchReaderBuilder::try_new(handle).map_err(|e| {
                DataError::Unreadable {
                    file: path.to_path_buf(),
                    reason: e.to_string(),
                }
            })?;
            let header = builder
                .schema()
                .fields()
                .iter()
                .map(|f| f.name().clone())
                .collect();
            Ok(RawFile {
                path: path.to_path_buf(),
                header,
                parquet: true,
            })
        }
        Some("csv") => {
            let mut reader = csv::ReaderBuilder::new()
                .has_headers(true)
                .from_path(path)
                .map_err(|e| DataError::Unreadable {
                    file: path.to_path_buf(),
                    reason: e.to_string(),
                })?;
            let header: Vec<String> = reader
                .headers()
                .map_err(|e| DataError::Unreadable {
                    file: path.to_path_buf(),
                    reason: match e.kind() {
                        csv::ErrorKind::Utf8 { .. } => {
                            "line 1: the header is not UTF-8 text".to_string()
                        }
                        _ => e.to_string(),
                    },
                })?
                .iter()
                .map(|h| h.trim_start_matches('\u{feff}').to_string())
                .collect();
            if header.is_empty() || header.iter().all(|h| h.is_empty()) {
                return Err(DataError::Unreadable {
                    file: path.to_path_buf(),
                    reason: "line 1: expected a header naming the columns; the file is empty"
                        .into(),
                });
            }
            let mut seen = std::collections::HashSet::new();
            for h in &header {
                if !seen.insert(h) {
                    return Err(DataError::BadValue {
                        file: path.to_path_buf(),
                        line: 1,
                        column: h.clone(),
                        value: h.clone(),
                        expected: "each column named once in the header".into(),
                    });
                }
            }
            Ok(RawFile {
                path: path.to_path_buf(),
                header,
                parquet: false,
            })
        }
        _ => Err(DataError::UnsupportedFormat {
            file: path.to_path_buf(),
        }),
    }
}

/// 128-bit key of an identifier (SipHash and FNV-1a, 64 bits each), for duplicate detection
/// without keeping every identifier in memory.
fn key128(parts: &[&str]) -> u128 {
    #[allow(deprecated)]
    let mut a = std::hash::SipHasher::new();
    let mut b: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        p.hash(&mut a);
        for byte in p.bytes().chain(std::iter::once(0xff)) {
            b = (b ^ byte as u64).wrapping_mul(0x0100_0000_01b3);
        }
    }
    ((a.finish() as u128) << 64) | b as u128
}

fn small_hash(s: Option<&str>) -> u16 {
    let mut h: u32 = 0x811c_9dc5;
    for b in s.unwrap_or("\u{0}missing").bytes() {
        h = (h ^ b as u32).wrapping_mul(0x0100_0193);
    }
    (h ^ (h >> 16)) as u16
}

/// Household-level concepts that must agree between the members of a household.
fn household_concepts() -> Vec<usize> {
    let ids: Vec<usize> = CONCEPTS
        .iter()
        .enumerate()
        .filter(|(_, c)| c.household_level && !matches!(c.id, "household_id" | "country" | "year"))
        .map(|(i, _)| i)
        .collect();
    debug_assert!(ids.len() <= MAX_HOUSEHOLD_CONCEPTS);
    ids.into_iter().take(MAX_HOUSEHOLD_CONCEPTS).collect()
}

/// The first member seen of a household: where, and a 16-bit hash of each household-level
/// value (to name the value that differs).
struct HouseholdSeen {
    at: Packed,
    parts: [u16; MAX_HOUSEHOLD_CONCEPTS],
}

const MAX_HOUSEHOLD_CONCEPTS: usize = 8;

/// A file index (16 bits) and a line (48 bits) in one word.
#[derive(Clone, Copy)]
struct Packed(u64);

impl Packed {
    fn new(origin: Origin) -> Packed {
        Packed(((origin.file as u64) << 48) | (origin.line & 0xffff_ffff_ffff))
    }
    fn file(self) -> usize {
        (self.0 >> 48) as usize
    }
    fn line(self) -> u64 {
        self.0 & 0xffff_ffff_ffff
    }
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
                            if mapping.layout == Layout::EuSilcUdb {
                                // A column of a file that was not given is unavailable.
                                let letter = col.chars().next().unwrap_or(' ');
                                if !given.contains(letter) && "DRHP".contains(letter) {
                                    unavailable.push(c.id.to_string());
                                    idx.clear();
                                    break;
                                }
                            }
                            let mut names: Vec<&str> = owners.iter().map(|o| o.as_str()).collect();
                            names.dedup();
                            return Err(DataError::UnknownColumn {
                                file: PathBuf::from(names.join(", ")),
                                column: col.to_string(),
                                role: format!("column of `{}` in mapping {}", c.id, mapping.name),
                                available: header.join(", "),
                            });
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
        // Cross-field: years of residence cannot exceed age.
        if let (Some(y), Some(a)) = (
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
        Layout::Table => read_tables(mapping, files, options, sink, progress, &mut report)?,
        Layout::EuSilcUdb => {
            crate::silc::read_udb(mapping, files, options, sink, progress, &mut report)?
        }
    }
    Ok(report)
}

/// State shared by the table and EU-SILC readers: duplicate and household checks.
pub(crate) struct Checks {
    persons: HashMap<u128, Packed>,
    households: HashMap<u128, HouseholdSeen>,
    household_concepts: Vec<usize>,
    /// Per concept: how to name it in a rejection (source columns and concept).
    labels: Vec<String>,
}

impl Checks {
    pub(crate) fn new(labels: Vec<String>) -> Checks {
        Checks {
            persons: HashMap::new(),
            households: HashMap::new(),
            household_concepts: household_concepts(),
            labels,
        }
    }

    /// Checks a harmonised row for a duplicated person and household consistency.
    pub(crate) fn check(
        &mut self,
        row: &HarmonisedRow,
        origin: Origin,
        files: &[PathBuf],
        rejections: &mut Vec<(Origin, String, String, String)>,
    ) {
        let country = row[0].as_deref().unwrap_or("");
        let year = value(row, "year").unwrap_or("");
        if let Some(person) = value(row, "person_id") {
            let k = key128(&[country, year, person]);
            if let Some(first) = self.persons.get(&k) {
                let (file, line) = (first.file(), first.line());
                rejections.push((
                    origin,
                    self.labels[concepts::concept_index("person_id").unwrap_or(0)].clone(),
                    person.to_string(),
                    format!(
                        "a person id not already used in {} {} (first at {}, line {})",
                        country,
                        year,
                        files[file].display(),
                        line
                    ),
                ));
            } else {
                self.persons.insert(k, Packed::new(origin));
            }
        }
        if let Some(household) = value(row, "household_id") {
            let k = key128(&[country, year, household]);
            let mut parts = [0u16; MAX_HOUSEHOLD_CONCEPTS];
            for (slot, &i) in parts.iter_mut().zip(&self.household_concepts) {
                *slot = small_hash(row[i].as_deref());
            }
            match self.households.get(&k) {
                Some(seen) => {
                    let n = self.household_concepts.len();
                    if let Some(j) = (0..n).find(|&j| parts[j] != seen.parts[j]) {
                        let c = &CONCEPTS[self.household_concepts[j]];
                        rejections.push((
                            origin,
                            self.labels[self.household_concepts[j]].clone(),
                            row[self.household_concepts[j]].clone().unwrap_or_default(),
                            format!(
                                "the same {} as the other members of household {} (first at {}, line {})",
                                c.id,
                                household,
                                files[seen.at.file()].display(),
                                seen.at.line()
                            ),
                        ));
                    }
                }
                None => {
                    self.households.insert(
                        k,
                        HouseholdSeen {
                            at: Packed::new(origin),
                            parts,
                        },
                    );
                }
            }
        }
    }
}

fn read_tables(
    mapping: &Mapping,
    files: &[PathBuf],
    options: &ReadOptions,
    sink: &mut dyn RowSink,
    progress: &mut dyn FnMut(&Path, u64),
    report: &mut LoadReport,
) -> Result<(), DataError> {
    let mut checks: Option<Checks> = None;
    for (fi, path) in files.iter().enumerate() {
        let raw = open_raw(path)?;
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

/// For the EU-SILC reader: the pieces of the generic machinery it reuses.
pub(crate) mod shared {
    pub(crate) use super::{for_each_record, open_raw, Checks, Harmoniser, Origin};
}
