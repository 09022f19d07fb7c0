//! Parsing and validating the four toolbox files: each file's entries against the rules every
//! entry shares (id, non-empty texts, references) and its own (indicators and groupings of the
//! catalogue, a source's precision indicator), each refusal naming the file and the entry.

use std::collections::BTreeSet;

use serde::Deserialize;

use super::{DataSource, Recommendation, Reference, Term, Tool, ALL_ADMINISTRATIVE, ALL_SURVEY};
use crate::catalogue::{Catalogue, CatalogueError};

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

pub(super) fn err(file: &str, message: impl Into<String>) -> CatalogueError {
    CatalogueError {
        file: file.into(),
        message: message.into(),
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

pub(super) fn sources(
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

pub(super) fn tools(
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

pub(super) fn glossary(
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

pub(super) fn recommendations(
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
