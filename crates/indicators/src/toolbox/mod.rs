//! The toolbox: what a city needs to know beside the figures. Four data files in
//! `catalogue/toolbox/`, versioned with the indicator catalogue (each states the catalogue
//! version it belongs to) and compiled in like it:
//!
//! - `sources.toml`: sources and surveys for integration monitoring, assessed for city use
//!   (migrant variables, finest geography, sample, access, the catalogue indicators each
//!   feeds);
//! - `tools.toml`: tools, databases and instruments (indexes, portals, guides, software);
//! - `glossary.toml`: key concepts, each with the indicators and target groups that use it;
//! - `recommendations.toml`: for cities, statistics offices and the EU level, with the
//!   evidence incity computes for them from a release ([`evidence`]).
//!
//! Every entry carries at least one reference (title, URL and, when its facts were compared
//! with the page, the date); an entry without one is refused. Vocabularies (types, topics,
//! geographic levels, access, migrant variables) are closed enums, so a typo is an error
//! naming the file, line and the allowed values.

pub mod evidence;

use std::collections::BTreeSet;
use std::path::Path;

use serde::Deserialize;

use crate::catalogue::{Catalogue, CatalogueError};
use crate::Source;

include!(concat!(env!("OUT_DIR"), "/toolbox_files.rs"));

/// Where a fact comes from.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reference {
    pub title: String,
    pub url: String,
    /// The day the entry's facts were last compared with the page (`YYYY-MM-DD`); none when
    /// they have not been verified against it.
    #[serde(default)]
    pub checked: Option<String>,
}

macro_rules! vocabulary {
    ($(#[$doc:meta])* $name:ident { $($variant:ident = $code:literal : $label:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
        pub enum $name {
            $(#[serde(rename = $code)] $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The code used in the data files, URLs and the API.
            pub fn code(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }

            /// As shown to readers.
            pub fn label(self) -> &'static str {
                match self { $($name::$variant => $label),+ }
            }

            pub fn from_code(code: &str) -> Option<$name> {
                Self::ALL.iter().copied().find(|v| v.code() == code)
            }
        }
    };
}

vocabulary!(
    /// What kind of source a data source is.
    SourceType {
        Survey = "survey": "Sample survey",
        Census = "census": "Census",
        Register = "register": "Register",
        Administrative = "administrative": "Administrative statistics",
        PublishedTables = "published-tables": "Published tables",
        Monitor = "monitor": "National integration monitor",
    }
);

vocabulary!(
    /// A variable that identifies migrants and their descendants.
    MigrantVariable {
        CountryOfBirth = "country_of_birth": "country of birth",
        Citizenship = "citizenship": "citizenship",
        ParentsCountryOfBirth = "parents_country_of_birth": "parents' country of birth",
        YearsOfResidence = "years_of_residence": "years of residence",
        ReasonForMigration = "reason_for_migration": "reason for migration",
    }
);

vocabulary!(
    /// A geographic level or unit a source or tool gives figures for.
    GeoDetail {
        Country = "country": "country",
        Nuts1 = "nuts1": "NUTS 1",
        Nuts2 = "nuts2": "NUTS 2",
        Degurba = "degurba": "degree of urbanisation",
        Nuts3 = "nuts3": "NUTS 3",
        Fua = "fua": "functional urban area",
        City = "city": "city",
        Lau = "lau": "municipality (LAU)",
        Grid = "grid": "1 km² grid",
    }
);

impl GeoDetail {
    /// How fine the level is (0 country … 6 grid cells): a source whose finest level is at
    /// least as fine as a city's can give figures for cities.
    pub fn fineness(self) -> u8 {
        match self {
            GeoDetail::Country => 0,
            GeoDetail::Nuts1 => 1,
            GeoDetail::Nuts2 | GeoDetail::Degurba => 2,
            GeoDetail::Nuts3 | GeoDetail::Fua => 3,
            GeoDetail::City => 4,
            GeoDetail::Lau => 5,
            GeoDetail::Grid => 6,
        }
    }
}

vocabulary!(
    /// How a source's data can be reached.
    Access {
        PublicTables = "public-tables": "public tables",
        PublicUseFiles = "public-use-files": "public-use files",
        ScientificUseFiles = "scientific-use-files": "scientific-use files",
        SecureAccess = "secure-access": "secure access",
        OnRequest = "on-request": "on request",
        OpenDownload = "open-download": "open download",
    }
);

vocabulary!(
    /// A topic of integration monitoring.
    Topic {
        Employment = "employment": "employment",
        Education = "education": "education",
        Income = "income": "income",
        Poverty = "poverty": "poverty and social exclusion",
        Housing = "housing": "housing",
        Health = "health": "health",
        Citizenship = "citizenship": "active citizenship",
        Participation = "participation": "participation and belonging",
        Discrimination = "discrimination": "discrimination",
        Demography = "demography": "population",
        Geography = "geography": "geography",
        Policy = "policy": "integration policy",
        Methods = "methods": "statistical methods",
    }
);

vocabulary!(
    /// What kind of tool an entry of the tools catalogue is.
    ToolType {
        IndicatorPortal = "indicator-portal": "Indicator portal",
        PolicyIndex = "policy-index": "Policy index",
        DataHub = "data-hub": "Database or data hub",
        Atlas = "atlas": "Atlas or mapping tool",
        Guide = "guide": "Methodological guide or study",
        Software = "software": "Statistical software",
        Network = "network": "City network",
    }
);

vocabulary!(
    /// Whom a recommendation addresses.
    Audience {
        Cities = "cities": "Cities",
        StatisticsOffices = "statistics-offices": "Statistics offices",
        EuLevel = "eu-level": "The EU level",
    }
);

vocabulary!(
    /// Evidence a recommendation takes from incity's own figures, computed from the served
    /// release by [`evidence`].
    Evidence {
        CityCellsPublished = "city-cells-published": "City figures for migrant groups published",
        RespondentsNeeded = "respondents-needed": "Respondents a city needs",
        PoolingGain = "pooling-gain": "What pooling years gains",
    }
);

/// A source of data for integration monitoring.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataSource {
    pub id: String,
    pub name: String,
    #[serde(rename = "type")]
    pub kind: SourceType,
    pub publisher: String,
    pub coverage: String,
    pub years: String,
    pub topics: Vec<Topic>,
    pub migrant_variables: Vec<MigrantVariable>,
    /// The finest geography its data can be broken down to.
    pub finest_level: GeoDetail,
    /// Sample size, or how the data are counted.
    pub sample: String,
    pub frequency: String,
    pub access: Vec<Access>,
    /// Catalogue indicators (survey, administrative or external) it feeds.
    pub indicators: Vec<String>,
    /// The release source its figures are computed from (surveys incity reads), whose
    /// precision for a city is shown from the served release.
    #[serde(default)]
    pub release_source: Option<Source>,
    /// The indicator of `release_source` whose city figures show its precision.
    #[serde(default)]
    pub precision_indicator: Option<String>,
    /// What it gives a city.
    pub city_use: String,
    #[serde(default)]
    pub limitations: String,
    pub references: Vec<Reference>,
}

/// A tool, database or instrument.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tool {
    pub id: String,
    pub name: String,
    pub publisher: String,
    #[serde(rename = "type")]
    pub kind: ToolType,
    pub topics: Vec<Topic>,
    pub levels: Vec<GeoDetail>,
    /// What a city gets from it.
    pub city_gets: String,
    /// What it lacks.
    pub lacks: String,
    pub url: String,
    pub references: Vec<Reference>,
}

/// A glossary term.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Term {
    pub id: String,
    pub term: String,
    pub definition: String,
    /// Target-group groupings it defines.
    #[serde(default)]
    pub groupings: Vec<String>,
    /// Indicators that use it: catalogue ids, [`ALL_SURVEY`] or [`ALL_ADMINISTRATIVE`].
    pub indicators: Vec<String>,
    pub references: Vec<Reference>,
}

/// Every survey indicator of the catalogue, in a term's `indicators`.
pub const ALL_SURVEY: &str = "@survey";
/// Every administrative indicator of the catalogue, in a term's `indicators`.
pub const ALL_ADMINISTRATIVE: &str = "@administrative";

/// A recommendation.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Recommendation {
    pub id: String,
    pub audience: Audience,
    pub title: String,
    pub text: String,
    #[serde(default)]
    pub evidence: Option<Evidence>,
    pub references: Vec<Reference>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SourcesFile {
    catalogue_version: String,
    source: Vec<DataSource>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ToolsFile {
    catalogue_version: String,
    tool: Vec<Tool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GlossaryFile {
    catalogue_version: String,
    term: Vec<Term>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RecommendationsFile {
    catalogue_version: String,
    recommendation: Vec<Recommendation>,
}

/// The four files of a toolbox directory, in this order.
pub const FILES: [&str; 4] = [
    "sources.toml",
    "tools.toml",
    "glossary.toml",
    "recommendations.toml",
];

/// The whole toolbox, validated against its catalogue.
#[derive(Debug, Clone, PartialEq)]
pub struct Toolbox {
    pub sources: Vec<DataSource>,
    pub tools: Vec<Tool>,
    pub glossary: Vec<Term>,
    pub recommendations: Vec<Recommendation>,
}

fn err(file: &str, message: impl Into<String>) -> CatalogueError {
    CatalogueError {
        file: file.into(),
        message: message.into(),
    }
}

/// What kind of entry a search hit is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum EntryKind {
    Indicator,
    Source,
    Tool,
    Term,
    Recommendation,
}

impl EntryKind {
    pub fn code(self) -> &'static str {
        match self {
            EntryKind::Indicator => "indicator",
            EntryKind::Source => "source",
            EntryKind::Tool => "tool",
            EntryKind::Term => "term",
            EntryKind::Recommendation => "recommendation",
        }
    }

    pub fn from_code(code: &str) -> Option<EntryKind> {
        [
            EntryKind::Indicator,
            EntryKind::Source,
            EntryKind::Tool,
            EntryKind::Term,
            EntryKind::Recommendation,
        ]
        .into_iter()
        .find(|k| k.code() == code)
    }
}

/// One entry found by [`Toolbox::search`].
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub kind: EntryKind,
    pub id: String,
    pub title: String,
    /// The entry's main text (definition, what a city gets, ...).
    pub summary: String,
}

/// Which sources to list (every field that is set must match).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SourceFilter {
    pub topic: Option<Topic>,
    /// Sources whose data reach at least this detail.
    pub level: Option<GeoDetail>,
    pub access: Option<Access>,
    pub kind: Option<SourceType>,
    /// Words that must all occur in the entry's text (case-insensitive).
    pub text: Option<String>,
}

/// Which tools to list (every field that is set must match).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ToolFilter {
    pub topic: Option<Topic>,
    /// Tools that cover this level.
    pub level: Option<GeoDetail>,
    pub kind: Option<ToolType>,
    pub text: Option<String>,
}

/// Whether every word of `query` occurs in one of `texts` (case-insensitive).
fn matches_words(query: &str, texts: &[&str]) -> bool {
    let haystack: Vec<String> = texts.iter().map(|t| t.to_lowercase()).collect();
    query
        .split_whitespace()
        .map(str::to_lowercase)
        .all(|w| haystack.iter().any(|h| h.contains(&w)))
}

impl DataSource {
    fn texts(&self) -> Vec<&str> {
        vec![
            &self.id,
            &self.name,
            &self.publisher,
            &self.coverage,
            &self.sample,
            &self.city_use,
            &self.limitations,
        ]
    }

    pub fn matches(&self, f: &SourceFilter) -> bool {
        f.topic.is_none_or(|t| self.topics.contains(&t))
            && f.level
                .is_none_or(|l| self.finest_level.fineness() >= l.fineness())
            && f.access.is_none_or(|a| self.access.contains(&a))
            && f.kind.is_none_or(|k| self.kind == k)
            && f.text
                .as_deref()
                .is_none_or(|q| matches_words(q, &self.texts()))
    }
}

impl Tool {
    fn texts(&self) -> Vec<&str> {
        vec![
            &self.id,
            &self.name,
            &self.publisher,
            &self.city_gets,
            &self.lacks,
        ]
    }

    pub fn matches(&self, f: &ToolFilter) -> bool {
        f.topic.is_none_or(|t| self.topics.contains(&t))
            && f.level.is_none_or(|l| self.levels.contains(&l))
            && f.kind.is_none_or(|k| self.kind == k)
            && f.text
                .as_deref()
                .is_none_or(|q| matches_words(q, &self.texts()))
    }
}

impl Term {
    /// Whether the term is used by the indicator `id` of `catalogue`.
    pub fn used_by(&self, catalogue: &Catalogue, id: &str) -> bool {
        self.indicators.iter().any(|i| match i.as_str() {
            ALL_SURVEY => catalogue.indicator(id).is_some(),
            ALL_ADMINISTRATIVE => catalogue.administrative.iter().any(|a| a.id == id),
            other => other == id,
        })
    }
}

/// Checks one reference: a title, an http(s) URL without spaces, and a valid date.
fn check_reference(file: &str, entry: &str, r: &Reference) -> Result<(), CatalogueError> {
    if r.title.trim().is_empty() {
        return Err(err(file, format!("{entry}: a reference without a title")));
    }
    check_url(file, entry, &r.url)?;
    if let Some(d) = &r.checked {
        if !is_date(d) {
            return Err(err(
                file,
                format!("{entry}: checked = `{d}`: expected a date YYYY-MM-DD"),
            ));
        }
    }
    Ok(())
}

fn check_url(file: &str, entry: &str, url: &str) -> Result<(), CatalogueError> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    match rest {
        Some(r) if !r.is_empty() && !url.chars().any(char::is_whitespace) => Ok(()),
        _ => Err(err(
            file,
            format!("{entry}: url `{url}`: expected an http:// or https:// address"),
        )),
    }
}

/// `YYYY-MM-DD` with a month 01-12 and a day 01-31.
fn is_date(d: &str) -> bool {
    let parts: Vec<&str> = d.split('-').collect();
    let [y, m, day] = parts.as_slice() else {
        return false;
    };
    let number = |s: &str, len: usize| {
        (s.len() == len && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<u32>().ok())
            .flatten()
    };
    matches!(
        (number(y, 4), number(m, 2), number(day, 2)),
        (Some(_), Some(1..=12), Some(1..=31))
    )
}

/// Checks what every entry has: an id of lower-case letters, digits and hyphens, unique in
/// its file; non-empty texts; at least one reference, each valid.
fn check_entry(
    file: &str,
    kind: &str,
    id: &str,
    seen: &mut BTreeSet<String>,
    texts: &[(&str, &str)],
    references: &[Reference],
) -> Result<(), CatalogueError> {
    if id.is_empty()
        || !id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return Err(err(
            file,
            format!("{kind} `{id}`: an id is lower-case letters, digits and hyphens"),
        ));
    }
    if !seen.insert(id.to_string()) {
        return Err(err(file, format!("{kind} `{id}` appears twice")));
    }
    let entry = format!("{kind} `{id}`");
    for (field, text) in texts {
        if text.trim().is_empty() {
            return Err(err(file, format!("{entry}: `{field}` is empty")));
        }
    }
    if references.is_empty() {
        return Err(err(
            file,
            format!("{entry}: no reference (every entry needs at least one source of its facts: title and url)"),
        ));
    }
    references
        .iter()
        .try_for_each(|r| check_reference(file, &entry, r))
}

/// Checks that each of `ids` is an indicator of the catalogue (survey, administrative or
/// external), or, where `allow_all`, one of the `@` sets.
fn check_indicators(
    file: &str,
    entry: &str,
    ids: &[String],
    catalogue: &Catalogue,
    allow_all: bool,
) -> Result<(), CatalogueError> {
    for id in ids {
        let known = catalogue.indicator(id).is_some()
            || catalogue.administrative.iter().any(|a| &a.id == id)
            || catalogue.external.iter().any(|x| &x.id == id)
            || (allow_all && (id == ALL_SURVEY || id == ALL_ADMINISTRATIVE));
        if !known {
            return Err(err(
                file,
                format!(
                    "{entry}: indicator `{id}` is not in the catalogue (version {})",
                    catalogue.version
                ),
            ));
        }
    }
    Ok(())
}

fn parse<T: serde::de::DeserializeOwned>(file: &str, text: &str) -> Result<T, CatalogueError> {
    toml::from_str(text).map_err(|e| err(file, e.to_string().trim().to_string()))
}

fn check_version(file: &str, found: &str, catalogue: &Catalogue) -> Result<(), CatalogueError> {
    if found == catalogue.version {
        Ok(())
    } else {
        Err(err(
            file,
            format!(
                "catalogue_version = `{found}`, but the catalogue is version `{}`: the toolbox is versioned with its catalogue",
                catalogue.version
            ),
        ))
    }
}

impl Toolbox {
    /// The shipped toolbox (compiled in), validated against the shipped catalogue.
    pub fn embedded() -> &'static Toolbox {
        use std::sync::OnceLock;
        static T: OnceLock<Toolbox> = OnceLock::new();
        T.get_or_init(|| {
            let texts: Vec<(String, String)> = TOOLBOX_FILES
                .iter()
                .map(|(n, t)| (format!("catalogue/toolbox/{n}"), t.to_string()))
                .collect();
            Toolbox::parse(&texts, Catalogue::embedded())
                .unwrap_or_else(|e| panic!("the shipped toolbox is invalid: {e}"))
        })
    }

    /// Reads the toolbox of a catalogue directory (`DIR/toolbox/*.toml`).
    pub fn load(catalogue_dir: &Path, catalogue: &Catalogue) -> Result<Toolbox, CatalogueError> {
        let dir = catalogue_dir.join("toolbox");
        let mut texts = Vec::new();
        for name in FILES {
            let path = dir.join(name);
            let text = std::fs::read_to_string(&path)
                .map_err(|e| err(&path.display().to_string(), e.to_string()))?;
            texts.push((path.display().to_string(), text));
        }
        Toolbox::parse(&texts, catalogue)
    }

    /// Parses and validates the four files (in the order of [`FILES`]: (file name, text)).
    pub fn parse(
        texts: &[(String, String)],
        catalogue: &Catalogue,
    ) -> Result<Toolbox, CatalogueError> {
        let [sources, tools, glossary, recommendations] = texts else {
            return Err(err(
                "toolbox",
                format!("expected the four files {}", FILES.join(", ")),
            ));
        };
        Ok(Toolbox {
            sources: parse_sources(sources, catalogue)?,
            tools: parse_tools(tools, catalogue)?,
            glossary: parse_glossary(glossary, catalogue)?,
            recommendations: parse_recommendations(recommendations, catalogue)?,
        })
    }

    pub fn source(&self, id: &str) -> Option<&DataSource> {
        self.sources.iter().find(|s| s.id == id)
    }

    pub fn tool(&self, id: &str) -> Option<&Tool> {
        self.tools.iter().find(|t| t.id == id)
    }

    pub fn term(&self, id: &str) -> Option<&Term> {
        self.glossary.iter().find(|t| t.id == id)
    }

    pub fn recommendation(&self, id: &str) -> Option<&Recommendation> {
        self.recommendations.iter().find(|r| r.id == id)
    }

    /// The glossary terms an indicator uses.
    pub fn terms_for<'a>(&'a self, catalogue: &Catalogue, indicator: &str) -> Vec<&'a Term> {
        self.glossary
            .iter()
            .filter(|t| t.used_by(catalogue, indicator))
            .collect()
    }

    /// The sources that feed an indicator.
    pub fn sources_for(&self, indicator: &str) -> Vec<&DataSource> {
        self.sources
            .iter()
            .filter(|s| s.indicators.iter().any(|i| i == indicator))
            .collect()
    }

    /// Every entry (and every indicator of `catalogue`) whose text contains all the words of
    /// `query`, case-insensitive: indicators first, then sources, tools, terms and
    /// recommendations, each in file order.
    pub fn search(&self, catalogue: &Catalogue, query: &str) -> Vec<Hit> {
        if query.split_whitespace().next().is_none() {
            return Vec::new();
        }
        let mut hits = Vec::new();
        let mut add = |kind, id: &str, title: &str, summary: &str, texts: &[&str]| {
            if matches_words(query, texts) {
                hits.push(Hit {
                    kind,
                    id: id.to_string(),
                    title: title.to_string(),
                    summary: summary.to_string(),
                });
            }
        };
        for i in &catalogue.indicators {
            let texts = [
                i.id.as_str(),
                &i.name,
                &i.area,
                &i.definition,
                &i.population_label,
            ];
            add(EntryKind::Indicator, &i.id, &i.name, &i.definition, &texts);
        }
        for a in &catalogue.administrative {
            let texts = [a.id.as_str(), &a.name, &a.area, &a.definition];
            add(EntryKind::Indicator, &a.id, &a.name, &a.definition, &texts);
        }
        for x in &catalogue.external {
            let texts = [x.id.as_str(), &x.name, &x.area, &x.definition, &x.source];
            add(EntryKind::Indicator, &x.id, &x.name, &x.definition, &texts);
        }
        for s in &self.sources {
            add(EntryKind::Source, &s.id, &s.name, &s.city_use, &s.texts());
        }
        for t in &self.tools {
            add(EntryKind::Tool, &t.id, &t.name, &t.city_gets, &t.texts());
        }
        for t in &self.glossary {
            let texts = [t.id.as_str(), &t.term, &t.definition];
            add(EntryKind::Term, &t.id, &t.term, &t.definition, &texts);
        }
        for r in &self.recommendations {
            let texts = [r.id.as_str(), &r.title, &r.text];
            add(EntryKind::Recommendation, &r.id, &r.title, &r.text, &texts);
        }
        hits
    }

    /// References whose facts have not been compared with their page (no `checked` date):
    /// (entry kind, entry id, reference), in file order.
    pub fn unverified(&self) -> Vec<(EntryKind, &str, &Reference)> {
        let entries = self
            .sources
            .iter()
            .map(|s| (EntryKind::Source, s.id.as_str(), &s.references))
            .chain(
                self.tools
                    .iter()
                    .map(|t| (EntryKind::Tool, t.id.as_str(), &t.references)),
            )
            .chain(
                self.glossary
                    .iter()
                    .map(|t| (EntryKind::Term, t.id.as_str(), &t.references)),
            )
            .chain(
                self.recommendations
                    .iter()
                    .map(|r| (EntryKind::Recommendation, r.id.as_str(), &r.references)),
            );
        entries
            .flat_map(|(kind, id, refs)| {
                refs.iter()
                    .filter(|r| r.checked.is_none())
                    .map(move |r| (kind, id, r))
            })
            .collect()
    }
}

fn parse_sources(
    (file, text): &(String, String),
    catalogue: &Catalogue,
) -> Result<Vec<DataSource>, CatalogueError> {
    let parsed: SourcesFile = parse(file, text)?;
    check_version(file, &parsed.catalogue_version, catalogue)?;
    let mut seen = BTreeSet::new();
    for s in &parsed.source {
        check_entry(
            file,
            "source",
            &s.id,
            &mut seen,
            &[
                ("name", &s.name),
                ("publisher", &s.publisher),
                ("coverage", &s.coverage),
                ("years", &s.years),
                ("sample", &s.sample),
                ("frequency", &s.frequency),
                ("city_use", &s.city_use),
            ],
            &s.references,
        )?;
        let entry = format!("source `{}`", s.id);
        if s.topics.is_empty() || s.access.is_empty() {
            return Err(err(
                file,
                format!("{entry}: topics and access need at least one value each"),
            ));
        }
        check_indicators(file, &entry, &s.indicators, catalogue, false)?;
        match (s.release_source, &s.precision_indicator) {
            (None, None) => {}
            (Some(source), Some(id)) => match catalogue.indicator(id) {
                Some(i) if i.source == source => {}
                Some(i) => {
                    return Err(err(
                        file,
                        format!(
                            "{entry}: precision_indicator `{id}` is computed from `{}`, not from release_source `{}`",
                            i.source.code(),
                            source.code()
                        ),
                    ))
                }
                None => {
                    return Err(err(
                        file,
                        format!("{entry}: precision_indicator `{id}` is not a survey indicator of the catalogue"),
                    ))
                }
            },
            _ => {
                return Err(err(
                    file,
                    format!("{entry}: release_source and precision_indicator go together (the indicator whose city figures show the source's precision)"),
                ))
            }
        }
    }
    Ok(parsed.source)
}

fn parse_tools(
    (file, text): &(String, String),
    catalogue: &Catalogue,
) -> Result<Vec<Tool>, CatalogueError> {
    let parsed: ToolsFile = parse(file, text)?;
    check_version(file, &parsed.catalogue_version, catalogue)?;
    let mut seen = BTreeSet::new();
    for t in &parsed.tool {
        check_entry(
            file,
            "tool",
            &t.id,
            &mut seen,
            &[
                ("name", &t.name),
                ("publisher", &t.publisher),
                ("city_gets", &t.city_gets),
                ("lacks", &t.lacks),
            ],
            &t.references,
        )?;
        let entry = format!("tool `{}`", t.id);
        check_url(file, &entry, &t.url)?;
        if t.topics.is_empty() || t.levels.is_empty() {
            return Err(err(
                file,
                format!("{entry}: topics and levels need at least one value each"),
            ));
        }
    }
    Ok(parsed.tool)
}

fn parse_glossary(
    (file, text): &(String, String),
    catalogue: &Catalogue,
) -> Result<Vec<Term>, CatalogueError> {
    let parsed: GlossaryFile = parse(file, text)?;
    check_version(file, &parsed.catalogue_version, catalogue)?;
    let mut seen = BTreeSet::new();
    let mut names = BTreeSet::new();
    for t in &parsed.term {
        check_entry(
            file,
            "term",
            &t.id,
            &mut seen,
            &[("term", &t.term), ("definition", &t.definition)],
            &t.references,
        )?;
        let entry = format!("term `{}`", t.id);
        if !names.insert(t.term.to_lowercase()) {
            return Err(err(
                file,
                format!("{entry}: the term `{}` is defined twice", t.term),
            ));
        }
        check_indicators(file, &entry, &t.indicators, catalogue, true)?;
        for g in &t.groupings {
            if catalogue.grouping(g).is_none() {
                return Err(err(
                    file,
                    format!("{entry}: grouping `{g}` is not a grouping of the catalogue"),
                ));
            }
        }
    }
    Ok(parsed.term)
}

fn parse_recommendations(
    (file, text): &(String, String),
    catalogue: &Catalogue,
) -> Result<Vec<Recommendation>, CatalogueError> {
    let parsed: RecommendationsFile = parse(file, text)?;
    check_version(file, &parsed.catalogue_version, catalogue)?;
    let mut seen = BTreeSet::new();
    for r in &parsed.recommendation {
        check_entry(
            file,
            "recommendation",
            &r.id,
            &mut seen,
            &[("title", &r.title), ("text", &r.text)],
            &r.references,
        )?;
    }
    Ok(parsed.recommendation)
}
