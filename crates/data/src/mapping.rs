//! Mapping files: how a survey or register extract's columns and codes map onto the harmonised
//! [concepts](incity_reference::concepts).
//!
//! A mapping is a TOML file:
//!
//! ```toml
//! [mapping]
//! name = "eu-lfs"                  # recorded with every imported partition
//! description = "EU-LFS user database, yearly file"
//! source = "lfs"                   # partition of the input store: lfs, silc, or a register name
//! layout = "table"                 # or "eu-silc-udb": the four EU-SILC files D, R, H, P joined
//! nuts_version = 2021              # NUTS version of the region codes
//! missing = [""]                   # how missing values are written (the reader never guesses)
//!
//! [columns]                        # concept = column, or a list of columns joined by "/"
//! country = "COUNTRY"
//! person_id = ["HHNUM", "HHSEQNUM"]
//!
//! [constants]                      # concept = value for every record
//! year = "2024"
//!
//! [codes.sex]                      # source code = harmonised code
//! "1" = "M"
//! "2" = "F"
//! ```
//!
//! A `[derive]` table computes a concept from the record's columns with a typed expression
//! ([`crate::derive`]), checked when the mapping is read and evaluated for every record:
//!
//! ```toml
//! [derive]
//! age = "PB110 - PB140 - if(PB100 < PB130, 1, 0)"   # age at the interview
//! equivalised_income = "HY020 / HX050"
//! ```
//!
//! A concept with a `[codes.*]` table accepts only the listed source codes; one without takes
//! the source value as the harmonised value (checked against the concept). A `[recode.*]`
//! table replaces some values and lets the others through (e.g. `"-1" = "0"` for an age). The shipped
//! mappings are in `mappings/` at the repository root and compiled in (names `eu-lfs`,
//! `eu-silc`, `eu-silc-ph`, `eu-silc-2020`, `laeken-eusilc`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::derive::{Expression, ValueType};
use crate::DataError;
use incity_reference::concepts::{self, ConceptKind, CONCEPTS};
use incity_reference::geography::NutsVersion;

/// The file layout a mapping reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Layout {
    /// One file (or several with the same columns), one row per person.
    #[default]
    Table,
    /// The EU-SILC user database: D, R, H and P files joined by their ids.
    EuSilcUdb,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum ColumnSpec {
    One(String),
    Joined(Vec<String>),
}

impl ColumnSpec {
    pub fn columns(&self) -> Vec<&str> {
        match self {
            ColumnSpec::One(c) => vec![c.as_str()],
            ColumnSpec::Joined(cs) => cs.iter().map(|c| c.as_str()).collect(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Header {
    name: String,
    #[serde(default)]
    description: String,
    source: String,
    #[serde(default)]
    layout: Layout,
    #[serde(default = "default_nuts")]
    nuts_version: u16,
    #[serde(default = "default_missing")]
    missing: Vec<String>,
    #[serde(default)]
    value_labels: Vec<String>,
}

fn default_nuts() -> u16 {
    2021
}

fn default_missing() -> Vec<String> {
    vec![String::new()]
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct MappingFile {
    mapping: Header,
    #[serde(default)]
    columns: BTreeMap<String, ColumnSpec>,
    #[serde(default)]
    constants: BTreeMap<String, String>,
    #[serde(default)]
    codes: BTreeMap<String, BTreeMap<String, String>>,
    #[serde(default)]
    recode: BTreeMap<String, BTreeMap<String, String>>,
    #[serde(default)]
    derive: BTreeMap<String, String>,
}

/// A validated mapping.
#[derive(Debug, Clone, PartialEq)]
pub struct Mapping {
    pub name: String,
    pub description: String,
    pub source: String,
    pub layout: Layout,
    pub nuts_version: NutsVersion,
    /// Strings that mean "missing".
    pub missing: Vec<String>,
    /// Columns of SAS, Stata or SPSS files whose labelled values are read as their labels
    /// instead of their codes (`*`: every column).
    pub value_labels: Vec<String>,
    /// Concept → source column(s).
    pub columns: BTreeMap<String, ColumnSpec>,
    /// Concept → constant value.
    pub constants: BTreeMap<String, String>,
    /// Concept → (source code → harmonised code): only the listed codes are accepted.
    pub codes: BTreeMap<String, BTreeMap<String, String>>,
    /// Concept → (source value → harmonised value) for some values; others pass unchanged.
    pub recode: BTreeMap<String, BTreeMap<String, String>>,
    /// Concept → expression over the record's columns ([`crate::derive`]).
    pub derive: BTreeMap<String, Expression>,
    /// Where the mapping came from (file path or `builtin:NAME`) and its text's SHA-256.
    pub origin: String,
    pub sha256: String,
}

/// Concepts every mapping must provide.
pub const REQUIRED: &[&str] = &["country", "year", "weight", "sex", "age"];

/// The mappings shipped with incity.
pub const BUILTIN: &[(&str, &str)] = &[
    ("eu-lfs", include_str!("../../../mappings/eu-lfs.toml")),
    ("eu-silc", include_str!("../../../mappings/eu-silc.toml")),
    (
        "eu-silc-ph",
        include_str!("../../../mappings/eu-silc-ph.toml"),
    ),
    (
        "eu-silc-2020",
        include_str!("../../../mappings/eu-silc-2020.toml"),
    ),
    (
        "laeken-eusilc",
        include_str!("../../../mappings/laeken-eusilc.toml"),
    ),
];

fn mapping_error(origin: &str, message: impl Into<String>) -> DataError {
    DataError::Mapping {
        file: PathBuf::from(origin),
        message: message.into(),
    }
}

impl Mapping {
    /// A shipped mapping by name, or a mapping file by path.
    pub fn load(name_or_path: &str) -> Result<Mapping, DataError> {
        if let Some((name, text)) = BUILTIN.iter().find(|(n, _)| *n == name_or_path) {
            return Mapping::parse(text, &format!("builtin:{name}"));
        }
        let path = Path::new(name_or_path);
        let text = std::fs::read_to_string(path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => mapping_error(
                name_or_path,
                format!(
                    "no such mapping file, and not a shipped mapping ({})",
                    BUILTIN
                        .iter()
                        .map(|(n, _)| *n)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ),
            _ => DataError::io(path, e),
        })?;
        Mapping::parse(&text, name_or_path)
    }

    /// Parses and validates a mapping; every error names the file and, for syntax errors,
    /// the line and column.
    pub fn parse(text: &str, origin: &str) -> Result<Mapping, DataError> {
        let file: MappingFile = toml::from_str(text)
            .map_err(|e| mapping_error(origin, e.to_string().trim().to_string()))?;
        let nuts_version = NutsVersion::from_year(file.mapping.nuts_version).ok_or_else(|| {
            mapping_error(
                origin,
                format!(
                    "[mapping] nuts_version = {}: expected 2016, 2021 or 2024",
                    file.mapping.nuts_version
                ),
            )
        })?;
        if file.mapping.source.is_empty()
            || !file
                .mapping
                .source
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
        {
            return Err(mapping_error(
                origin,
                format!(
                    "[mapping] source = \"{}\": expected lower-case letters, digits, - or _ (it names a storage partition)",
                    file.mapping.source
                ),
            ));
        }
        let known = || CONCEPTS.iter().map(|c| c.id).collect::<Vec<_>>().join(", ");
        for (section, keys) in [
            ("columns", file.columns.keys().collect::<Vec<_>>()),
            ("constants", file.constants.keys().collect()),
            ("codes", file.codes.keys().collect()),
            ("recode", file.recode.keys().collect()),
            ("derive", file.derive.keys().collect()),
        ] {
            for key in keys {
                if concepts::concept(key).is_none() {
                    return Err(mapping_error(
                        origin,
                        format!(
                            "[{section}] `{key}` is not a harmonised concept; the concepts are: {}",
                            known()
                        ),
                    ));
                }
            }
        }
        for key in file.constants.keys() {
            if file.columns.contains_key(key) {
                return Err(mapping_error(
                    origin,
                    format!("`{key}` is given both in [columns] and in [constants]; keep one"),
                ));
            }
        }
        let mut derive = BTreeMap::new();
        for (key, text) in &file.derive {
            if file.columns.contains_key(key) || file.constants.contains_key(key) {
                return Err(mapping_error(
                    origin,
                    format!("`{key}` is given both in [derive] and in [columns] or [constants]; keep one"),
                ));
            }
            if file.codes.contains_key(key) || file.recode.contains_key(key) {
                return Err(mapping_error(
                    origin,
                    format!("[derive] {key}: a derived value is a harmonised value; it takes no [codes.{key}] or [recode.{key}] (write the codes in the expression)"),
                ));
            }
            let expression = Expression::parse(text)
                .map_err(|e| mapping_error(origin, format!("[derive] {key} = \"{text}\": {e}")))?;
            let concept =
                concepts::concept(key).ok_or_else(|| mapping_error(origin, "unknown concept"))?;
            let numeric = matches!(
                concept.kind,
                ConceptKind::Integer { .. } | ConceptKind::Weight | ConceptKind::Number
            );
            let fits = match expression.result {
                ValueType::Column => true,
                ValueType::Number => numeric,
                ValueType::Text => !numeric,
                ValueType::Condition | ValueType::Null => false,
            };
            if !fits {
                return Err(mapping_error(
                    origin,
                    format!(
                        "[derive] {key} = \"{text}\": gives {}, but `{key}` ({}) takes {}",
                        expression.result,
                        concept.description,
                        if numeric { "a number" } else { "text (a code)" }
                    ),
                ));
            }
            derive.insert(key.clone(), expression);
        }
        for key in file.recode.keys() {
            if file.codes.contains_key(key) {
                return Err(mapping_error(
                    origin,
                    format!("`{key}` has both [codes.{key}] and [recode.{key}]; keep one"),
                ));
            }
        }
        for key in file.codes.keys().chain(file.recode.keys()) {
            if !file.columns.contains_key(key) && !file.constants.contains_key(key) {
                return Err(mapping_error(
                    origin,
                    format!("[codes.{key}] maps codes of a concept that is neither in [columns] nor in [constants]"),
                ));
            }
        }
        let given = |c: &str| {
            file.columns.contains_key(c)
                || file.constants.contains_key(c)
                || file.derive.contains_key(c)
        };
        for required in REQUIRED {
            // Age in bands stands for the age (its lower bound).
            let stands_in = *required == "age" && given("age_range");
            if !(given(required) || stands_in) {
                return Err(mapping_error(
                    origin,
                    format!("the required concept `{required}` is missing: give it in [columns], [constants] or [derive]"),
                ));
            }
        }
        for (concept_id, spec) in &file.columns {
            if spec.columns().is_empty() || spec.columns().iter().any(|c| c.is_empty()) {
                return Err(mapping_error(
                    origin,
                    format!("[columns] `{concept_id}`: expected a column name or a list of column names"),
                ));
            }
        }
        // Targets of code maps and constants must be valid harmonised values (geography is
        // checked per record, against the record's country).
        for (concept_id, map) in file.codes.iter().chain(&file.recode) {
            let concept = concepts::concept(concept_id)
                .ok_or_else(|| mapping_error(origin, "unknown concept"))?;
            for (from, to) in map {
                if matches!(concept.kind, ConceptKind::Region | ConceptKind::City) {
                    continue;
                }
                concepts::check_value(concept, to, None, nuts_version).map_err(|expected| {
                    mapping_error(
                        origin,
                        format!("[codes.{concept_id}] \"{from}\" = \"{to}\": expected {expected}"),
                    )
                })?;
            }
        }
        for (concept_id, value) in &file.constants {
            let concept = concepts::concept(concept_id)
                .ok_or_else(|| mapping_error(origin, "unknown concept"))?;
            let harmonised = file
                .codes
                .get(concept_id)
                .and_then(|m| m.get(value))
                .unwrap_or(value);
            if matches!(concept.kind, ConceptKind::Region | ConceptKind::City) {
                continue;
            }
            concepts::check_value(concept, harmonised, None, nuts_version).map_err(|expected| {
                mapping_error(
                    origin,
                    format!("[constants] {concept_id} = \"{value}\": expected {expected}"),
                )
            })?;
        }
        use sha2::{Digest, Sha256};
        Ok(Mapping {
            name: file.mapping.name,
            description: file.mapping.description,
            source: file.mapping.source,
            layout: file.mapping.layout,
            nuts_version,
            missing: file.mapping.missing,
            value_labels: file.mapping.value_labels,
            columns: file.columns,
            constants: file.constants,
            codes: file.codes,
            recode: file.recode,
            derive,
            origin: origin.to_string(),
            sha256: hex::encode(Sha256::digest(text.as_bytes())),
        })
    }

    /// True if `value` means "missing" under this mapping.
    pub fn is_missing(&self, value: &str) -> bool {
        self.missing.iter().any(|m| m == value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_mappings_are_valid() {
        for (name, _) in BUILTIN {
            let m = Mapping::load(name).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(&m.name, name);
        }
        assert_eq!(Mapping::load("eu-silc").unwrap().layout, Layout::EuSilcUdb);
        assert_eq!(
            Mapping::load("laeken-eusilc").unwrap().missing,
            vec!["NA".to_string()]
        );
        assert_eq!(
            Mapping::load("eu-silc-ph").unwrap().derive["age"].columns,
            ["PB110", "PB140", "PB100", "PB130"]
        );
    }

    /// `[derive]` is checked before any data is read: syntax, types against the concept,
    /// and conflicts with the other sections.
    #[test]
    fn derived_values_are_validated_when_the_mapping_is_read() {
        let base = "[mapping]\nname = \"t\"\nsource = \"lfs\"\n[columns]\ncountry = \"C\"\nyear = \"Y\"\nweight = \"W\"\nsex = \"S\"\n";
        let parse = |extra: &str| Mapping::parse(&format!("{base}{extra}"), "t.toml");
        let ok = parse("[derive]\nage = \"Y - B\"\n").unwrap();
        assert_eq!(ok.derive["age"].columns, ["Y", "B"]);
        for (extra, expected) in [
            (
                "[derive]\nage = \"Y -\"\n",
                "[derive] age = \"Y -\": the expression ends too early",
            ),
            ("[derive]\nage = \"'old'\"\n", "gives text, but `age`"),
            ("[derive]\nsex = \"if(Y > 1, 1, 2)\"\n", "already"),
            (
                "[derive]\ncitizenship = \"Y * 2\"\n",
                "gives a number, but `citizenship`",
            ),
            ("[derive]\nage = \"Y > B\"\n", "gives a condition"),
            (
                "[derive]\nage = \"Y - B\"\n[codes.age]\n\"1\" = \"1\"\n",
                "takes no [codes.age]",
            ),
            (
                "[derive]\nincome = \"Y\"\n",
                "`income` is not a harmonised concept",
            ),
        ] {
            let e = parse(extra).unwrap_err().to_string();
            let expected = if expected == "already" {
                "both in [derive] and in [columns]"
            } else {
                expected
            };
            assert!(e.contains("t.toml") && e.contains(expected), "{extra}: {e}");
        }
        // The required age may come from [derive]; without it the mapping is refused.
        let e = Mapping::parse(base, "t.toml").unwrap_err().to_string();
        assert!(
            e.contains("`age` is missing: give it in [columns], [constants] or [derive]"),
            "{e}"
        );
    }
}

/// A mapping for an administrative table (population by citizenship or country of birth,
/// acquisitions of citizenship, residence permits, ... by city or region and year): which
/// columns are the dimensions, the time, the value and (optionally) the flags, and how codes
/// translate. The table is stored like a published table, as dataset `dataset`.
///
/// ```toml
/// [admin_table]
/// dataset = "CITY_POP_CTZ"
/// description = "Registered population by citizenship group"
/// geo = "city"            # column with NUTS or city codes (checked against the geography)
/// time = "year"
/// value = "persons"
/// flags = "flag"          # optional
/// missing = [""]
///
/// [dimensions]            # further dimensions: id = column
/// citizen = "citizenship"
///
/// [codes.citizen]         # optional code translation per dimension
/// "national" = "NAT"
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct AdminTableMapping {
    pub dataset: String,
    pub description: String,
    pub geo: String,
    pub time: String,
    pub value: String,
    pub flags: Option<String>,
    pub missing: Vec<String>,
    /// (dimension id, column), in order.
    pub dimensions: Vec<(String, String)>,
    pub codes: BTreeMap<String, BTreeMap<String, String>>,
    pub origin: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct AdminHeader {
    dataset: String,
    #[serde(default)]
    description: String,
    geo: String,
    time: String,
    value: String,
    flags: Option<String>,
    #[serde(default = "default_missing")]
    missing: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct AdminFile {
    admin_table: AdminHeader,
    /// In file order (`toml::Table` keeps it).
    #[serde(default)]
    dimensions: toml::Table,
    #[serde(default)]
    codes: BTreeMap<String, BTreeMap<String, String>>,
}

impl AdminTableMapping {
    pub fn load(path: &Path) -> Result<AdminTableMapping, DataError> {
        let text = std::fs::read_to_string(path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => {
                mapping_error(&path.display().to_string(), "no such mapping file")
            }
            _ => DataError::io(path, e),
        })?;
        AdminTableMapping::parse(&text, &path.display().to_string())
    }

    pub fn parse(text: &str, origin: &str) -> Result<AdminTableMapping, DataError> {
        let file: AdminFile = toml::from_str(text)
            .map_err(|e| mapping_error(origin, e.to_string().trim().to_string()))?;
        let h = file.admin_table;
        let id_ok =
            |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !id_ok(&h.dataset) {
            return Err(mapping_error(
                origin,
                format!(
                    "[admin_table] dataset = \"{}\": expected letters, digits and _",
                    h.dataset
                ),
            ));
        }
        let mut dimensions = Vec::new();
        for (id, column) in &file.dimensions {
            if !id_ok(id) || matches!(id.as_str(), "geo" | "time") {
                return Err(mapping_error(
                    origin,
                    format!("[dimensions] `{id}`: expected an identifier other than geo and time"),
                ));
            }
            let Some(column) = column.as_str() else {
                return Err(mapping_error(
                    origin,
                    format!("[dimensions] {id} = {column}: expected a column name in quotes"),
                ));
            };
            dimensions.push((id.clone(), column.to_string()));
        }
        for id in file.codes.keys() {
            if id != "geo" && !file.dimensions.contains_key(id) {
                return Err(mapping_error(
                    origin,
                    format!("[codes.{id}] translates a dimension that is not in [dimensions]"),
                ));
            }
        }
        Ok(AdminTableMapping {
            dataset: h.dataset,
            description: h.description,
            geo: h.geo,
            time: h.time,
            value: h.value,
            flags: h.flags,
            missing: h.missing,
            dimensions,
            codes: file.codes,
            origin: origin.to_string(),
        })
    }
}
