//! SAS (`.sas7bdat`), Stata (`.dta`) and SPSS (`.sav`, `.zsav`) data files, read through the
//! ReadStat C library (Evan Miller et al., MIT licence; the reader behind R `haven` and Python
//! `pyreadstat`), loaded when the first such file is read: Debian's `libreadstat1` package,
//! or the file named by `INCITY_READSTAT`. Without it, every other format works and such a
//! file is refused with the package to install (see ARCHITECTURE.md for why the library is
//! loaded rather than linked).
//!
//! A file is read whole into columns (Stata writes its value labels after the data, so a
//! value's label is known only at the end): numeric variables as numbers, string variables
//! as text, and each variable's value labels. **Missing values are respected**: SAS and Stata
//! system missing (`.`), Stata's extended missing values (`.a`-`.z`), SAS special missing
//! values (`.A`-`.Z`, `._`) and SPSS user-missing values and ranges declared in the file are
//! all missing, like an empty CSV field. A whole number is written as such (`1`, not `1.0`),
//! so mapping codes read the same as from CSV; a mapping's `value_labels` lists the columns
//! whose labelled values are read as their labels instead (e.g. a Stata `encode`d country).

use std::collections::HashMap;
use std::ffi::{c_char, c_int, c_void, CStr, CString};
use std::path::Path;
use std::sync::OnceLock;

use libloading::Library;

use crate::DataError;

/// The statistical-package formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatFormat {
    Sas,
    Stata,
    Spss,
}

impl StatFormat {
    /// The format of a file from its extension (`None`: not a statistical-package file).
    pub fn of(path: &Path) -> Option<Self> {
        match path
            .extension()
            .and_then(|e| e.to_str())
            .map(|e| e.to_ascii_lowercase())
            .as_deref()
        {
            Some("sas7bdat") => Some(Self::Sas),
            Some("dta") => Some(Self::Stata),
            Some("sav") | Some("zsav") => Some(Self::Spss),
            _ => None,
        }
    }

    fn parse_symbol(self) -> &'static [u8] {
        match self {
            Self::Sas => b"readstat_parse_sas7bdat\0",
            Self::Stata => b"readstat_parse_dta\0",
            Self::Spss => b"readstat_parse_sav\0",
        }
    }
}

/// One column's values.
#[derive(Debug, Clone, PartialEq)]
pub enum StatColumn {
    Numbers(Vec<Option<f64>>),
    Texts(Vec<Option<String>>),
}

/// A statistical-package file in memory.
#[derive(Debug, Clone, PartialEq)]
pub struct StatTable {
    pub names: Vec<String>,
    pub columns: Vec<StatColumn>,
    /// Per column: value (as [`value_text`] writes it) → label.
    pub labels: Vec<HashMap<String, String>>,
    pub rows: usize,
}

impl StatTable {
    /// The text of a cell: its label where `use_label` and the value has one, else the value.
    pub fn text(&self, column: usize, row: usize, use_label: bool) -> Option<String> {
        let value = match &self.columns[column] {
            StatColumn::Numbers(v) => v[row].map(value_text),
            StatColumn::Texts(v) => v[row].clone(),
        }?;
        if use_label {
            if let Some(label) = self.labels[column].get(&value) {
                return Some(label.clone());
            }
        }
        Some(value)
    }
}

/// A number as text: whole numbers without a decimal point, others in the shortest form that
/// reads back to the same number.
pub fn value_text(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        format!("{x}")
    }
}

// ReadStat's C interface (readstat.h, version 1.1): the value is a 16-byte struct passed by
// value (a union of 8 bytes, then the type, a tag and flags), handed back to the library's own
// accessors, never read here.
#[repr(C)]
#[derive(Clone, Copy)]
struct Value {
    words: [u64; 2],
}

const TYPE_STRING: c_int = 0;
const TYPE_FLOAT: c_int = 4;
const TYPE_STRING_REF: c_int = 6;
const HANDLER_OK: c_int = 0;
const HANDLER_ABORT: c_int = 1;

type MetadataHandler = extern "C" fn(*mut c_void, *mut c_void) -> c_int;
type VariableHandler = extern "C" fn(c_int, *mut c_void, *const c_char, *mut c_void) -> c_int;
type ValueHandler = extern "C" fn(c_int, *mut c_void, Value, *mut c_void) -> c_int;
type LabelHandler = extern "C" fn(*const c_char, Value, *const c_char, *mut c_void) -> c_int;

/// The library's functions used here.
struct Api {
    parser_init: unsafe extern "C" fn() -> *mut c_void,
    parser_free: unsafe extern "C" fn(*mut c_void),
    set_metadata: unsafe extern "C" fn(*mut c_void, MetadataHandler) -> c_int,
    set_variable: unsafe extern "C" fn(*mut c_void, VariableHandler) -> c_int,
    set_value: unsafe extern "C" fn(*mut c_void, ValueHandler) -> c_int,
    set_label: unsafe extern "C" fn(*mut c_void, LabelHandler) -> c_int,
    error_message: unsafe extern "C" fn(c_int) -> *const c_char,
    row_count: unsafe extern "C" fn(*mut c_void) -> c_int,
    variable_name: unsafe extern "C" fn(*const c_void) -> *const c_char,
    variable_type: unsafe extern "C" fn(*const c_void) -> c_int,
    variable_index: unsafe extern "C" fn(*const c_void) -> c_int,
    value_type: unsafe extern "C" fn(Value) -> c_int,
    is_missing: unsafe extern "C" fn(Value, *mut c_void) -> c_int,
    is_system_missing: unsafe extern "C" fn(Value) -> c_int,
    is_tagged_missing: unsafe extern "C" fn(Value) -> c_int,
    double_value: unsafe extern "C" fn(Value) -> f64,
    float_value: unsafe extern "C" fn(Value) -> f32,
    string_value: unsafe extern "C" fn(Value) -> *const c_char,
    parse: HashMap<
        &'static str,
        unsafe extern "C" fn(*mut c_void, *const c_char, *mut c_void) -> c_int,
    >,
    _library: Library,
}

/// Where the library is looked for.
fn library_names() -> Vec<String> {
    match std::env::var("INCITY_READSTAT") {
        Ok(path) if !path.is_empty() => vec![path],
        _ => vec!["libreadstat.so.1".into(), "libreadstat.so".into()],
    }
}

fn api() -> Result<&'static Api, String> {
    static API: OnceLock<Result<Api, String>> = OnceLock::new();
    API.get_or_init(|| {
        let names = library_names();
        let library = names
            .iter()
            // SAFETY: loading ReadStat runs no initialisation code with preconditions.
            .find_map(|n| unsafe { Library::new(n) }.ok())
            .ok_or_else(|| {
                format!(
                    "reading SAS, Stata and SPSS files needs the ReadStat library ({} not found; \
                     on Debian or Ubuntu: apt install libreadstat1, or set INCITY_READSTAT to \
                     the library's path)",
                    names.join(", ")
                )
            })?;
        macro_rules! symbol {
            ($name:literal) => {
                // SAFETY: the symbol's type is its declaration in readstat.h 1.1.
                *unsafe { library.get(concat!($name, "\0").as_bytes()) }
                    .map_err(|e| format!("the ReadStat library lacks {}: {e}", $name))?
            };
        }
        let mut parse = HashMap::new();
        for format in [StatFormat::Sas, StatFormat::Stata, StatFormat::Spss] {
            let name = format.parse_symbol();
            // SAFETY: as above.
            let f = *unsafe { library.get(name) }
                .map_err(|e| format!("the ReadStat library lacks a parser: {e}"))?;
            parse.insert(parser_key(format), f);
        }
        Ok(Api {
            parser_init: symbol!("readstat_parser_init"),
            parser_free: symbol!("readstat_parser_free"),
            set_metadata: symbol!("readstat_set_metadata_handler"),
            set_variable: symbol!("readstat_set_variable_handler"),
            set_value: symbol!("readstat_set_value_handler"),
            set_label: symbol!("readstat_set_value_label_handler"),
            error_message: symbol!("readstat_error_message"),
            row_count: symbol!("readstat_get_row_count"),
            variable_name: symbol!("readstat_variable_get_name"),
            variable_type: symbol!("readstat_variable_get_type"),
            variable_index: symbol!("readstat_variable_get_index"),
            value_type: symbol!("readstat_value_type"),
            is_missing: symbol!("readstat_value_is_missing"),
            is_system_missing: symbol!("readstat_value_is_system_missing"),
            is_tagged_missing: symbol!("readstat_value_is_tagged_missing"),
            double_value: symbol!("readstat_double_value"),
            float_value: symbol!("readstat_float_value"),
            string_value: symbol!("readstat_string_value"),
            parse,
            _library: library,
        })
    })
    .as_ref()
    .map_err(Clone::clone)
}

fn parser_key(format: StatFormat) -> &'static str {
    match format {
        StatFormat::Sas => "sas",
        StatFormat::Stata => "stata",
        StatFormat::Spss => "spss",
    }
}

/// What the callbacks fill.
struct Reading {
    api: &'static Api,
    rows: Option<usize>,
    names: Vec<String>,
    label_sets: Vec<Option<String>>,
    columns: Vec<StatColumn>,
    sets: HashMap<String, HashMap<String, String>>,
    /// The first problem met inside a callback (the parse is then aborted).
    problem: Option<String>,
}

/// Text from a C string the library owns (invalid UTF-8 replaced).
fn text(p: *const c_char) -> Option<String> {
    // SAFETY: ReadStat passes NUL-terminated strings valid for the callback's duration.
    (!p.is_null()).then(|| unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned())
}

fn reading<'a>(ctx: *mut c_void) -> &'a mut Reading {
    // SAFETY: `ctx` is the `Reading` that `read_table` passes to the parser, alive and not
    // otherwise borrowed while the parser runs.
    unsafe { &mut *(ctx as *mut Reading) }
}

extern "C" fn on_metadata(metadata: *mut c_void, ctx: *mut c_void) -> c_int {
    let r = reading(ctx);
    // SAFETY: a metadata pointer from the library, as its accessor expects.
    let n = unsafe { (r.api.row_count)(metadata) };
    r.rows = usize::try_from(n).ok();
    HANDLER_OK
}

extern "C" fn on_variable(
    index: c_int,
    variable: *mut c_void,
    label_set: *const c_char,
    ctx: *mut c_void,
) -> c_int {
    let r = reading(ctx);
    // SAFETY: a variable pointer from the library, as its accessors expect.
    let (name, kind) = unsafe {
        (
            (r.api.variable_name)(variable),
            (r.api.variable_type)(variable),
        )
    };
    if usize::try_from(index).ok() != Some(r.names.len()) {
        r.problem = Some(format!("variable {index} out of order"));
        return HANDLER_ABORT;
    }
    r.names.push(text(name).unwrap_or_default());
    r.label_sets.push(text(label_set).filter(|s| !s.is_empty()));
    let rows = r.rows.unwrap_or(0);
    r.columns
        .push(if matches!(kind, TYPE_STRING | TYPE_STRING_REF) {
            StatColumn::Texts(Vec::with_capacity(rows))
        } else {
            StatColumn::Numbers(Vec::with_capacity(rows))
        });
    HANDLER_OK
}

/// A numeric value as a number.
fn number(api: &Api, value: Value) -> f64 {
    // SAFETY: the value came from the library and goes back to its accessors.
    unsafe {
        if (api.value_type)(value) == TYPE_FLOAT {
            // The float's own shortest decimal form, not its binary expansion as a double.
            let f = (api.float_value)(value);
            f.to_string().parse().unwrap_or(f as f64)
        } else {
            (api.double_value)(value)
        }
    }
}

extern "C" fn on_value(
    _row: c_int,
    variable: *mut c_void,
    value: Value,
    ctx: *mut c_void,
) -> c_int {
    let r = reading(ctx);
    let api = r.api;
    // SAFETY: the value and the variable came from the library and go back to its accessors.
    let (index, missing) = unsafe {
        (
            (api.variable_index)(variable),
            (api.is_missing)(value, variable) != 0,
        )
    };
    let Some(column) = usize::try_from(index)
        .ok()
        .and_then(|i| r.columns.get_mut(i))
    else {
        r.problem = Some(format!("a value of unknown variable {index}"));
        return HANDLER_ABORT;
    };
    match column {
        StatColumn::Numbers(v) => v.push((!missing).then(|| number(api, value))),
        StatColumn::Texts(v) => {
            // SAFETY: as above.
            let s = text(unsafe { (api.string_value)(value) });
            v.push(if missing { None } else { s });
        }
    }
    HANDLER_OK
}

extern "C" fn on_label(
    label_set: *const c_char,
    value: Value,
    label: *const c_char,
    ctx: *mut c_void,
) -> c_int {
    let r = reading(ctx);
    let api = r.api;
    // SAFETY: the value came from the library and goes back to its accessors.
    let (kind, system, tagged) = unsafe {
        (
            (api.value_type)(value),
            (api.is_system_missing)(value) != 0,
            (api.is_tagged_missing)(value) != 0,
        )
    };
    // Labels of missing values (Stata's `.a` "refused") label nothing that is read.
    if system || tagged {
        return HANDLER_OK;
    }
    let key = if matches!(kind, TYPE_STRING | TYPE_STRING_REF) {
        // SAFETY: as above.
        text(unsafe { (api.string_value)(value) })
    } else {
        Some(value_text(number(api, value)))
    };
    if let (Some(set), Some(key), Some(label)) = (text(label_set), key, text(label)) {
        r.sets.entry(set).or_default().insert(key, label);
    }
    HANDLER_OK
}

/// Reads a SAS, Stata or SPSS file whole.
pub fn read_table(path: &Path, format: StatFormat) -> Result<StatTable, DataError> {
    let unreadable = |reason: String| DataError::Unreadable {
        file: path.to_path_buf(),
        reason,
    };
    let api = api().map_err(unreadable)?;
    let c_path = CString::new(path.to_string_lossy().as_bytes())
        .map_err(|_| unreadable("the path contains a NUL byte".into()))?;
    let mut r = Reading {
        api,
        rows: None,
        names: Vec::new(),
        label_sets: Vec::new(),
        columns: Vec::new(),
        sets: HashMap::new(),
        problem: None,
    };
    // SAFETY: the parser is created, given handlers of the declared types and a context that
    // outlives the parse, used once and freed.
    let code = unsafe {
        let parser = (api.parser_init)();
        if parser.is_null() {
            return Err(unreadable(
                "the ReadStat parser could not be created".into(),
            ));
        }
        (api.set_metadata)(parser, on_metadata);
        (api.set_variable)(parser, on_variable);
        (api.set_value)(parser, on_value);
        (api.set_label)(parser, on_label);
        let code = api.parse[parser_key(format)](
            parser,
            c_path.as_ptr(),
            &mut r as *mut Reading as *mut c_void,
        );
        (api.parser_free)(parser);
        code
    };
    if let Some(problem) = r.problem {
        return Err(unreadable(problem));
    }
    if code != 0 {
        // SAFETY: the library's static message for its own error code.
        let message = text(unsafe { (api.error_message)(code) }).unwrap_or_default();
        return Err(unreadable(format!(
            "not a readable {} file: {message}",
            match format {
                StatFormat::Sas => "SAS (.sas7bdat)",
                StatFormat::Stata => "Stata (.dta)",
                StatFormat::Spss => "SPSS (.sav)",
            }
        )));
    }
    let rows = r.columns.first().map_or(0, |c| match c {
        StatColumn::Numbers(v) => v.len(),
        StatColumn::Texts(v) => v.len(),
    });
    for (name, c) in r.names.iter().zip(&r.columns) {
        let n = match c {
            StatColumn::Numbers(v) => v.len(),
            StatColumn::Texts(v) => v.len(),
        };
        if n != rows {
            return Err(unreadable(format!(
                "variable {name} has {n} values where the first has {rows}"
            )));
        }
    }
    let labels = r
        .label_sets
        .iter()
        .map(|set| {
            set.as_ref()
                .and_then(|s| r.sets.get(s).cloned())
                .unwrap_or_default()
        })
        .collect();
    Ok(StatTable {
        names: r.names,
        columns: r.columns,
        labels,
        rows,
    })
}
