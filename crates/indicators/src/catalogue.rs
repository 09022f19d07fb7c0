//! The indicator catalogue as data: `catalogue/catalogue.toml` (version, target-group
//! groupings, small-area settings, administrative and external indicators) and one TOML file
//! per indicator in `catalogue/indicators/`. The shipped files are compiled in;
//! [`Catalogue::load`] reads a directory instead, so a city adds its own indicator by adding a
//! file. The glossary, sources, tools and recommendations are the toolbox
//! (`catalogue/toolbox/`, [`crate::toolbox`]), versioned with the catalogue.
//!
//! Every file is validated when loaded: required fields, known statistic, source and unit,
//! an id equal to the file name, and SQL conditions that use only harmonised columns. Each
//! error names the file and the field.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::{Measure, Source};

include!(concat!(env!("OUT_DIR"), "/catalogue_files.rs"));

/// Why a catalogue could not be loaded.
#[derive(Debug, thiserror::Error)]
#[error("{file}: {message}")]
pub struct CatalogueError {
    pub file: PathBuf,
    pub message: String,
}

fn err(file: &str, message: impl Into<String>) -> CatalogueError {
    CatalogueError {
        file: PathBuf::from(file),
        message: message.into(),
    }
}

/// What an indicator estimates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StatisticKind {
    /// Weighted share of the population satisfying the numerator condition.
    Share,
    /// Weighted median of `value` (EU-SILC rule).
    Median,
    /// Share with `value` below 60 % of the national median of all persons.
    AtRiskOfPoverty,
}

/// A target group of a grouping.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Group {
    pub code: String,
    pub label: String,
}

/// A target-group dimension (a harmonised derived column) and its reference group.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Grouping {
    pub id: String,
    pub name: String,
    /// The group every other group is compared with: one of `groups`, or, with
    /// `reference_grouping`, a group of that other grouping (the duration of residence of the
    /// foreign-born is compared with the native-born, a group of `birth_group`).
    pub reference: String,
    #[serde(default)]
    pub reference_grouping: Option<String>,
    pub groups: Vec<Group>,
}

impl Grouping {
    /// Whether the reference group is borrowed from another grouping (then the grouping's
    /// tasks estimate it only to form the gaps; its own figures belong to that grouping).
    pub fn borrows_reference(&self) -> bool {
        self.reference_grouping.is_some()
    }
}

/// One indicator.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Indicator {
    pub id: String,
    pub name: String,
    pub area: String,
    /// The input-store source it is computed from (`lfs`, `silc`; checked when read).
    pub source: Source,
    pub statistic: StatisticKind,
    /// Who is counted (SQL over harmonised columns).
    pub population: String,
    pub population_label: String,
    /// For shares: who is counted in the numerator, within the population.
    #[serde(default)]
    pub numerator: Option<String>,
    /// For medians and poverty rates: the value column.
    #[serde(default)]
    pub value: Option<String>,
    /// For poverty rates: who is counted as at risk whatever their income (SQL over harmonised
    /// columns), making the rate the "at risk of poverty or social exclusion" rate (severe
    /// material and social deprivation, very low work intensity).
    #[serde(default)]
    pub at_risk_otherwise: Option<String>,
    /// Weight column (`weight`, or `personal_weight` for EU-SILC P-file variables).
    #[serde(default = "default_weight")]
    pub weight: String,
    /// `percent` or `euro`.
    pub unit: String,
    pub definition: String,
    /// Source variables per source (`lfs = ["AGE", ...]`).
    #[serde(default)]
    pub variables: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    pub comparability: String,
    /// The Eurostat dataset that publishes the indicator (or, where Eurostat publishes it for
    /// all persons only, that dataset), in Eurostat's lower-case code (`lfsa_ergacob`); none for
    /// an indicator of a city's own.
    #[serde(default)]
    pub eurostat: Option<String>,
    /// How groups are compared with their reference group: `difference` (default), and
    /// `ratio` for incomes.
    #[serde(default = "default_gaps")]
    pub gaps: Vec<Measure>,
    /// Officially published figures of the same definition, shown beside the computed ones.
    #[serde(default)]
    pub published: Vec<PublishedDefinition>,
    /// The small-area model of the indicator: which area covariates it uses.
    #[serde(default)]
    pub small_area: Option<IndicatorModel>,
}

/// An indicator's small-area model.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndicatorModel {
    /// Covariates: measures of the catalogue's covariate table (`REG_EMP_RATE`, ...), taken
    /// for the figure's target group, or `national_estimate` (the direct estimate of the same
    /// indicator, group, sex and period for the area's country).
    pub covariates: Vec<String>,
}

/// The covariate named `national_estimate`: the country's direct estimate.
pub const NATIONAL_ESTIMATE: &str = "national_estimate";

/// Settings of the small-area models of a release (`[small_area]` in `catalogue.toml`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmallAreaSettings {
    /// The dataset (loaded with `incity import-table`) holding the area covariates, with
    /// dimensions `indic` (the covariate), `group` (target group or `total`) and `geo`.
    pub covariate_dataset: String,
    /// Levels at which models are fitted (`nuts2`, `nuts3`, `city`).
    pub levels: Vec<String>,
    /// Estimator of the area variance: `reml`, `ml`, `adjusted-reml` (Li-Lahiri) or
    /// `adjusted-reml-yl` (Yoshimori-Lahiri).
    pub method: String,
    /// Parametric-bootstrap replicates for the MSE on the original scale.
    pub replicates: usize,
    /// Fewest areas with a sample for a model to be fitted.
    pub min_areas: usize,
}

fn default_weight() -> String {
    "weight".into()
}

fn default_gaps() -> Vec<Measure> {
    vec![Measure::Difference]
}

/// Where a published table (loaded with `incity import-table`) holds figures of exactly an
/// indicator's definition: which dataset, which slice of it, and which codes (or labels, for
/// tables downloaded with labels only) stand for the catalogue's target groups.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublishedDefinition {
    /// The dataset as stored (`ILC_DI15`).
    pub dataset: String,
    /// Shown beside the computed figures ("Eurostat ilc_di15").
    pub label: String,
    /// Dimension → code (or label) fixing everything but geography, time, sex and group.
    #[serde(rename = "where", default)]
    pub filter: BTreeMap<String, String>,
    /// The dimension holding sex (`T`/`M`/`F` or `Total`/`Males`/`Females`); without it the
    /// figures are for both sexes.
    #[serde(default)]
    pub sex_dimension: Option<String>,
    /// The catalogue grouping the table's groups belong to.
    pub grouping: String,
    /// The dimension holding the groups.
    pub group_dimension: String,
    /// Catalogue group code (or `total`) → the table's code or label.
    pub groups: BTreeMap<String, String>,
    /// Factor from the table's unit to the indicator's (0.01 for a table in percent).
    #[serde(default = "one")]
    pub scale: f64,
}

fn one() -> f64 {
    1.0
}

/// A slice of a published or administrative table (loaded with `incity import-table`): which
/// dataset, which observations (`where`), and which of its codes stand for the catalogue's
/// target groups, by area (country, NUTS region or city code of the `geo` dimension), year
/// and sex.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TableSlice {
    pub dataset: String,
    #[serde(rename = "where", default)]
    pub filter: BTreeMap<String, String>,
    #[serde(default)]
    pub sex_dimension: Option<String>,
    pub group_dimension: String,
    /// Catalogue group code (or `total`) → the table's code or label.
    pub groups: BTreeMap<String, String>,
}

/// An indicator computed from two tables of counts, a numerator and a denominator (e.g.
/// citizenship acquisitions over the foreign citizens resident on 1 January): no sample, so
/// no standard error; the tables' flags are carried to the figure.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdministrativeIndicator {
    pub id: String,
    pub name: String,
    pub area: String,
    pub population_label: String,
    pub definition: String,
    /// Always `percent` (a ratio of two counts).
    pub unit: String,
    /// The grouping the tables' groups belong to.
    pub grouping: String,
    pub numerator: TableSlice,
    pub denominator: TableSlice,
    /// The denominator's year relative to the numerator's (0: the same reference year, e.g.
    /// a population on 1 January of the year of the acquisitions; −1: the year before).
    #[serde(default)]
    pub denominator_year_offset: i32,
    pub eurostat: String,
    #[serde(default)]
    pub comparability: String,
}

/// A Zaragoza indicator no European microdata or table in incity can give, with where its
/// figures come from.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExternalIndicator {
    pub id: String,
    pub name: String,
    pub area: String,
    pub definition: String,
    /// Where a city finds the figure.
    pub source: String,
    /// Why incity does not compute it.
    pub why_not_computed: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogueFile {
    version: String,
    grouping: Vec<Grouping>,
    #[serde(default)]
    small_area: Option<SmallAreaSettings>,
    #[serde(default)]
    administrative: Vec<AdministrativeIndicator>,
    #[serde(default)]
    external: Vec<ExternalIndicator>,
}

/// The whole catalogue.
#[derive(Debug, Clone, PartialEq)]
pub struct Catalogue {
    pub version: String,
    pub groupings: Vec<Grouping>,
    pub indicators: Vec<Indicator>,
    /// The small-area models (none without a `[small_area]` section).
    pub small_area: Option<SmallAreaSettings>,
    /// Indicators computed from two tables of counts (`[[administrative]]`).
    pub administrative: Vec<AdministrativeIndicator>,
    /// Indicators of the set that come from elsewhere (`[[external]]`).
    pub external: Vec<ExternalIndicator>,
}

const UNITS: [&str; 2] = ["percent", "euro"];
const WEIGHTS: [&str; 2] = ["weight", "personal_weight"];

/// The identifiers an SQL condition uses (unquoted words that are not SQL keywords, and
/// double-quoted names).
fn identifiers(sql: &str) -> Result<Vec<String>, String> {
    use sqlparser::dialect::GenericDialect;
    use sqlparser::keywords::Keyword;
    use sqlparser::tokenizer::{Token, Tokenizer};
    let tokens = Tokenizer::new(&GenericDialect {}, sql)
        .tokenize()
        .map_err(|e| e.to_string())?;
    Ok(tokens
        .into_iter()
        .filter_map(|t| match t {
            Token::Word(w) if w.quote_style == Some('"') => Some(w.value),
            Token::Word(w) if w.quote_style.is_none() && w.keyword == Keyword::NoKeyword => {
                Some(w.value)
            }
            _ => None,
        })
        .collect())
}

impl Indicator {
    /// The harmonised columns the indicator reads: those of its population, numerator and
    /// value conditions, and its weight.
    pub fn columns(&self) -> Vec<String> {
        let mut out: Vec<String> = [
            Some(self.population.as_str()),
            self.numerator.as_deref(),
            self.value.as_deref(),
            self.at_risk_otherwise.as_deref(),
            Some(self.weight.as_str()),
        ]
        .into_iter()
        .flatten()
        .flat_map(|sql| identifiers(sql).unwrap_or_default())
        .collect();
        out.sort();
        out.dedup();
        out
    }
}

impl Catalogue {
    /// The shipped catalogue (compiled in; validated by this crate's tests).
    pub fn embedded() -> &'static Catalogue {
        use std::sync::OnceLock;
        static C: OnceLock<Catalogue> = OnceLock::new();
        C.get_or_init(|| {
            Catalogue::parse(
                ("catalogue/catalogue.toml", CATALOGUE_FILE),
                INDICATOR_FILES
                    .iter()
                    .map(|(n, t)| (format!("catalogue/indicators/{n}"), t.to_string()))
                    .collect(),
            )
            .unwrap_or_else(|e| panic!("the shipped catalogue is invalid: {e}"))
        })
    }

    /// Reads a catalogue directory (`catalogue.toml` and `indicators/*.toml`).
    pub fn load(dir: &Path) -> Result<Catalogue, CatalogueError> {
        let read = |p: &Path| {
            std::fs::read_to_string(p).map_err(|e| err(&p.display().to_string(), e.to_string()))
        };
        let main = dir.join("catalogue.toml");
        let main_text = read(&main)?;
        let ind_dir = dir.join("indicators");
        let mut files: Vec<PathBuf> = std::fs::read_dir(&ind_dir)
            .map_err(|e| err(&ind_dir.display().to_string(), e.to_string()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().and_then(|e| e.to_str()) == Some("toml"))
            .collect();
        files.sort();
        let mut texts = Vec::new();
        for f in files {
            texts.push((f.display().to_string(), read(&f)?));
        }
        Catalogue::parse((&main.display().to_string(), &main_text), texts)
    }

    /// Parses and validates a catalogue from texts: (file name, text).
    ///
    /// Long (about 250 lines) because it is the catalogue's list of rules, each a few lines
    /// with its own message naming the file and field: groupings, indicator ids, sources,
    /// units, SQL columns, published tables, small-area settings. Read top to bottom, it is
    /// the specification of a valid catalogue file.
    pub fn parse(
        main: (&str, &str),
        indicator_files: Vec<(String, String)>,
    ) -> Result<Catalogue, CatalogueError> {
        let file: CatalogueFile =
            toml::from_str(main.1).map_err(|e| err(main.0, e.to_string().trim().to_string()))?;
        let columns: Vec<String> = incity_reference::concepts::harmonised_columns()
            .map(String::from)
            .collect();
        for g in &file.grouping {
            if !columns.contains(&g.id) {
                return Err(err(
                    main.0,
                    format!("grouping `{}` is not a harmonised column", g.id),
                ));
            }
            match &g.reference_grouping {
                None if !g.groups.iter().any(|x| x.code == g.reference) => {
                    return Err(err(
                        main.0,
                        format!(
                            "grouping `{}`: the reference `{}` is not one of its groups (a reference from another grouping needs reference_grouping)",
                            g.id, g.reference
                        ),
                    ));
                }
                None => {}
                Some(other) => {
                    let Some(o) = file
                        .grouping
                        .iter()
                        .find(|o| &o.id == other && o.id != g.id)
                    else {
                        return Err(err(
                            main.0,
                            format!(
                                "grouping `{}`: reference_grouping `{other}` is not another grouping of this catalogue",
                                g.id
                            ),
                        ));
                    };
                    if !o.groups.iter().any(|x| x.code == g.reference) {
                        return Err(err(
                            main.0,
                            format!(
                                "grouping `{}`: the reference `{}` is not a group of `{other}`",
                                g.id, g.reference
                            ),
                        ));
                    }
                    if o.reference_grouping.is_some() {
                        return Err(err(
                            main.0,
                            format!(
                                "grouping `{}`: reference_grouping `{other}` itself borrows its reference; name the grouping that holds it",
                                g.id
                            ),
                        ));
                    }
                }
            }
        }
        // Group codes name figures across groupings: each is used once.
        let mut seen = std::collections::BTreeSet::new();
        for code in file
            .grouping
            .iter()
            .flat_map(|g| &g.groups)
            .map(|x| &x.code)
        {
            if code == "total" || !seen.insert(code) {
                return Err(err(
                    main.0,
                    format!("group code `{code}` is used twice (or is `total`): codes must be unique across groupings"),
                ));
            }
        }
        if indicator_files.is_empty() {
            return Err(err(main.0, "no indicator files (indicators/*.toml)"));
        }
        let mut indicators: Vec<Indicator> = Vec::new();
        for (name, text) in &indicator_files {
            let ind: Indicator =
                toml::from_str(text).map_err(|e| err(name, e.to_string().trim().to_string()))?;
            let stem = Path::new(name)
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or("");
            if ind.id != stem {
                return Err(err(
                    name,
                    format!("id = \"{}\": expected the file name, \"{stem}\"", ind.id),
                ));
            }
            if ind.id.is_empty()
                || !ind
                    .id
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            {
                return Err(err(
                    name,
                    format!(
                        "id = \"{}\": expected lower-case letters, digits and _",
                        ind.id
                    ),
                ));
            }
            if indicators.iter().any(|i| i.id == ind.id) {
                return Err(err(name, format!("id \"{}\" is used twice", ind.id)));
            }
            if !UNITS.contains(&ind.unit.as_str()) {
                return Err(err(
                    name,
                    format!(
                        "unit = \"{}\": expected one of {}",
                        ind.unit,
                        UNITS.join(", ")
                    ),
                ));
            }
            if !WEIGHTS.contains(&ind.weight.as_str()) {
                return Err(err(
                    name,
                    format!(
                        "weight = \"{}\": expected one of {}",
                        ind.weight,
                        WEIGHTS.join(", ")
                    ),
                ));
            }
            match ind.statistic {
                StatisticKind::Share if ind.numerator.is_none() => {
                    return Err(err(
                        name,
                        "statistic = \"share\" needs a numerator condition",
                    ));
                }
                StatisticKind::Median | StatisticKind::AtRiskOfPoverty if ind.value.is_none() => {
                    return Err(err(
                        name,
                        "this statistic needs a value column (value = \"...\")",
                    ));
                }
                _ => {}
            }
            if ind.at_risk_otherwise.is_some() && ind.statistic != StatisticKind::AtRiskOfPoverty {
                return Err(err(
                    name,
                    "at_risk_otherwise is a condition of a poverty rate (statistic = \"at_risk_of_poverty\")",
                ));
            }
            if let Some(code) = &ind.eurostat {
                if code.is_empty()
                    || !code
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
                {
                    return Err(err(
                        name,
                        format!(
                            "eurostat = \"{code}\": expected a Eurostat dataset code in lower case (e.g. lfsa_ergacob)"
                        ),
                    ));
                }
            }
            if ind.gaps.iter().any(|m| !m.is_gap()) {
                return Err(err(
                    name,
                    "gaps: only `difference` and `ratio` are gaps to the reference group \
                     (the difference from the country is computed for every share indicator)",
                ));
            }
            if ind.gaps.contains(&Measure::Ratio) && ind.statistic != StatisticKind::Median {
                return Err(err(
                    name,
                    "gaps: a `ratio` gap is computed for medians (incomes) only",
                ));
            }
            for p in &ind.published {
                let Some(grouping) = file.grouping.iter().find(|g| g.id == p.grouping) else {
                    return Err(err(
                        name,
                        format!(
                            "published ({}): grouping `{}` is not in catalogue.toml",
                            p.dataset, p.grouping
                        ),
                    ));
                };
                if let Some(code) = p
                    .groups
                    .keys()
                    .find(|c| *c != "total" && !grouping.groups.iter().any(|g| &g.code == *c))
                {
                    return Err(err(
                        name,
                        format!(
                            "published ({}): `{code}` is not a group of `{}`",
                            p.dataset, p.grouping
                        ),
                    ));
                }
                if !(p.scale.is_finite() && p.scale > 0.0) {
                    return Err(err(
                        name,
                        format!("published ({}): scale must be positive", p.dataset),
                    ));
                }
            }
            if let Some(model) = &ind.small_area {
                if model.covariates.is_empty() {
                    return Err(err(
                        name,
                        "small_area: covariates is empty; name at least one",
                    ));
                }
                if let Some(c) = model.covariates.iter().find(|c| {
                    c.is_empty()
                        || c.chars()
                            .any(|ch| !(ch.is_ascii_alphanumeric() || ch == '_'))
                }) {
                    return Err(err(
                        name,
                        format!("small_area: covariate `{c}`: expected letters, digits and _"),
                    ));
                }
            }
            for source in ind.variables.keys() {
                if Source::from_code(source).is_none() {
                    return Err(err(
                        name,
                        format!(
                            "variables: `{source}` is not a source ({})",
                            Source::codes()
                        ),
                    ));
                }
            }
            let mut fields = vec![("population", ind.population.as_str())];
            if let Some(n) = &ind.numerator {
                fields.push(("numerator", n));
            }
            if let Some(v) = &ind.value {
                fields.push(("value", v));
            }
            if let Some(c) = &ind.at_risk_otherwise {
                fields.push(("at_risk_otherwise", c));
            }
            for (field, sql) in fields {
                let ids = identifiers(sql).map_err(|e| err(name, format!("{field}: {e}")))?;
                if let Some(unknown) = ids.iter().find(|i| !columns.contains(i)) {
                    return Err(err(
                        name,
                        format!(
                            "{field}: `{unknown}` is not a harmonised column (they are: {})",
                            columns.join(", ")
                        ),
                    ));
                }
            }
            indicators.push(ind);
        }
        if let Some(sa) = &file.small_area {
            const MODEL_LEVELS: [&str; 3] = ["nuts2", "nuts3", "city"];
            if let Some(l) = sa
                .levels
                .iter()
                .find(|l| !MODEL_LEVELS.contains(&l.as_str()))
            {
                return Err(err(
                    main.0,
                    format!(
                        "small_area.levels: `{l}`: expected one of {}",
                        MODEL_LEVELS.join(", ")
                    ),
                ));
            }
            if incity_small_area::VarianceMethod::from_code(&sa.method).is_none() {
                return Err(err(
                    main.0,
                    format!(
                        "small_area.method = \"{}\": expected reml, ml, adjusted-reml or adjusted-reml-yl",
                        sa.method
                    ),
                ));
            }
            if sa.replicates < 50 {
                return Err(err(
                    main.0,
                    format!(
                        "small_area.replicates = {}: expected at least 50 bootstrap replicates",
                        sa.replicates
                    ),
                ));
            }
            if sa.min_areas < 5 {
                return Err(err(
                    main.0,
                    format!(
                        "small_area.min_areas = {}: expected at least 5",
                        sa.min_areas
                    ),
                ));
            }
        }
        let id_ok = |id: &str| {
            !id.is_empty()
                && id
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        };
        let mut ids: Vec<&str> = indicators.iter().map(|i| i.id.as_str()).collect();
        for a in &file.administrative {
            let at = |m: String| err(main.0, format!("administrative `{}`: {m}", a.id));
            if !id_ok(&a.id) || ids.contains(&a.id.as_str()) {
                return Err(at(
                    "expected a new id of lower-case letters, digits and _".into()
                ));
            }
            ids.push(&a.id);
            if a.unit != "percent" {
                return Err(at(format!(
                    "unit = \"{}\": a ratio of two counts is in percent",
                    a.unit
                )));
            }
            let Some(grouping) = file.grouping.iter().find(|g| g.id == a.grouping) else {
                return Err(at(format!(
                    "grouping `{}` is not in catalogue.toml",
                    a.grouping
                )));
            };
            for (part, slice) in [("numerator", &a.numerator), ("denominator", &a.denominator)] {
                if let Some(code) = slice
                    .groups
                    .keys()
                    .find(|c| *c != "total" && !grouping.groups.iter().any(|g| &g.code == *c))
                {
                    return Err(at(format!(
                        "{part}: `{code}` is not a group of `{}`",
                        a.grouping
                    )));
                }
            }
            if a.numerator.groups.keys().ne(a.denominator.groups.keys()) {
                return Err(at(
                    "numerator and denominator must name the same groups".into()
                ));
            }
            if !id_ok(&a.eurostat) {
                return Err(at(format!(
                    "eurostat = \"{}\": expected a Eurostat dataset code in lower case",
                    a.eurostat
                )));
            }
        }
        for x in &file.external {
            if !id_ok(&x.id) || ids.contains(&x.id.as_str()) {
                return Err(err(
                    main.0,
                    format!(
                        "external `{}`: expected a new id of lower-case letters, digits and _",
                        x.id
                    ),
                ));
            }
            ids.push(&x.id);
            if x.source.trim().is_empty() || x.why_not_computed.trim().is_empty() {
                return Err(err(main.0, format!("external `{}`: say where the figure comes from (source) and why incity does not compute it (why_not_computed)", x.id)));
            }
        }
        Ok(Catalogue {
            version: file.version,
            groupings: file.grouping,
            indicators,
            small_area: file.small_area,
            administrative: file.administrative,
            external: file.external,
        })
    }

    pub fn indicator(&self, id: &str) -> Option<&Indicator> {
        self.indicators.iter().find(|i| i.id == id)
    }

    pub fn grouping(&self, id: &str) -> Option<&Grouping> {
        self.groupings.iter().find(|g| g.id == id)
    }

    /// The label of a group code in any grouping (`total` → "All persons").
    pub fn group_label(&self, code: &str) -> Option<&str> {
        if code == "total" {
            return Some("All persons");
        }
        self.groupings
            .iter()
            .flat_map(|g| &g.groups)
            .find(|g| g.code == code)
            .map(|g| g.label.as_str())
    }
}
