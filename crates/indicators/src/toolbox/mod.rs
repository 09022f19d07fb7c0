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
mod validate;
mod vocabulary;

pub use vocabulary::{
    parse_code, Access, Audience, Evidence, GeoDetail, MigrantVariable, SourceType, ToolType, Topic,
};

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
                .map_err(|e| validate::err(&path.display().to_string(), e.to_string()))?;
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
            return Err(validate::err(
                "toolbox",
                format!("expected the four files {}", FILES.join(", ")),
            ));
        };
        Ok(Toolbox {
            sources: validate::sources(sources, catalogue)?,
            tools: validate::tools(tools, catalogue)?,
            glossary: validate::glossary(glossary, catalogue)?,
            recommendations: validate::recommendations(recommendations, catalogue)?,
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
