//! `incity catalogue`: the indicator catalogue and the toolbox (sources, tools, glossary,
//! recommendations) on the command line: list, show, search, validate, and write an
//! indicator's ready-to-use module.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use incity_indicators::modules::{module, module_ids};
use incity_indicators::toolbox::{
    parse_code, Access, GeoDetail, Reference, SourceFilter, SourceType, ToolFilter, ToolType,
    Toolbox, Topic,
};
use incity_indicators::Catalogue;

#[derive(clap::Args)]
pub(crate) struct CatalogueArgs {
    #[command(subcommand)]
    command: CatalogueCommand,
}

#[derive(clap::Subcommand)]
enum CatalogueCommand {
    /// List the entries of one part of the catalogue, optionally filtered.
    List(ListArgs),
    /// Everything about one entry (an indicator, source, tool, term or recommendation id).
    Show { id: String },
    /// Entries whose text contains every word of the query (case-insensitive).
    Search {
        #[arg(required = true)]
        words: Vec<String>,
    },
    /// Validate a catalogue directory (catalogue.toml, indicators/, toolbox/) as `compute
    /// --catalogue` would read it; without a directory, the shipped one.
    Validate { dir: Option<PathBuf> },
    /// Write the ready-to-use module of an indicator (or of every indicator with --all) into a
    /// directory: definition, mapping template, example data, commands, expected output.
    Module {
        /// The indicator id.
        #[arg(required_unless_present = "all")]
        id: Option<String>,
        /// Every indicator's module, each in its own folder under --out.
        #[arg(long, conflicts_with = "id")]
        all: bool,
        /// Output directory (the module's files go into OUT/ID/).
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Part {
    Indicators,
    Sources,
    Tools,
    Terms,
    Recommendations,
}

#[derive(clap::Args)]
struct ListArgs {
    #[arg(value_enum)]
    part: Part,
    /// Topic (sources and tools): employment, education, income, poverty, housing, health,
    /// citizenship, participation, discrimination, demography, geography, policy, methods.
    #[arg(long)]
    topic: Option<String>,
    /// Geographic level: sources reaching at least it, tools covering it (country, nuts1,
    /// nuts2, degurba, nuts3, fua, city, lau, grid).
    #[arg(long)]
    level: Option<String>,
    /// Access (sources): public-tables, public-use-files, scientific-use-files,
    /// secure-access, on-request, open-download.
    #[arg(long)]
    access: Option<String>,
    /// Type: of source (survey, census, register, administrative, published-tables, monitor)
    /// or of tool (indicator-portal, policy-index, data-hub, atlas, guide, software, network).
    #[arg(long = "type")]
    kind: Option<String>,
}

/// A vocabulary option: none, or one of the allowed codes (else an error naming them).
fn code<T: Copy>(
    option: &str,
    value: Option<&str>,
    all: &[T],
    code_of: fn(T) -> &'static str,
) -> anyhow::Result<Option<T>> {
    parse_code(option, value, all, code_of).map_err(anyhow::Error::msg)
}

pub(crate) fn run(a: CatalogueArgs) -> anyhow::Result<()> {
    let catalogue = Catalogue::embedded();
    let toolbox = Toolbox::embedded();
    match a.command {
        CatalogueCommand::List(l) => list(catalogue, toolbox, &l),
        CatalogueCommand::Show { id } => show(catalogue, toolbox, &id),
        CatalogueCommand::Search { words } => {
            let hits = toolbox.search(catalogue, &words.join(" "));
            if hits.is_empty() {
                println!("nothing found for `{}`", words.join(" "));
            }
            for h in hits {
                println!("{:<15} {:<45} {}", h.kind.code(), h.id, h.title);
            }
            Ok(())
        }
        CatalogueCommand::Validate { dir } => validate(dir.as_deref()),
        CatalogueCommand::Module { id, all, out } => {
            let ids: Vec<String> = if all {
                module_ids(catalogue)
                    .into_iter()
                    .map(String::from)
                    .collect()
            } else {
                id.into_iter().collect()
            };
            for id in ids {
                write_module(catalogue, toolbox, &id, &out)?;
            }
            Ok(())
        }
    }
}

fn list(catalogue: &Catalogue, toolbox: &Toolbox, l: &ListArgs) -> anyhow::Result<()> {
    let topic = code("--topic", l.topic.as_deref(), Topic::ALL, Topic::code)?;
    let level = code(
        "--level",
        l.level.as_deref(),
        GeoDetail::ALL,
        GeoDetail::code,
    )?;
    match l.part {
        Part::Indicators => {
            for i in &catalogue.indicators {
                println!("{:<48} {:<5} {}", i.id, i.source.code(), i.name);
            }
            for x in &catalogue.administrative {
                println!("{:<48} {:<5} {}", x.id, "admin", x.name);
            }
            for x in &catalogue.external {
                println!(
                    "{:<48} {:<5} {} (external: {})",
                    x.id, "-", x.name, x.source
                );
            }
        }
        Part::Sources => {
            let filter = SourceFilter {
                topic,
                level,
                access: code("--access", l.access.as_deref(), Access::ALL, Access::code)?,
                kind: code(
                    "--type",
                    l.kind.as_deref(),
                    SourceType::ALL,
                    SourceType::code,
                )?,
                text: None,
            };
            for s in toolbox.sources.iter().filter(|s| s.matches(&filter)) {
                println!(
                    "{:<30} {:<17} {:<8} {}",
                    s.id,
                    s.kind.code(),
                    s.finest_level.code(),
                    s.name
                );
            }
        }
        Part::Tools => {
            if l.access.is_some() {
                bail!("--access applies to sources");
            }
            let filter = ToolFilter {
                topic,
                level,
                kind: code("--type", l.kind.as_deref(), ToolType::ALL, ToolType::code)?,
                text: None,
            };
            for t in toolbox.tools.iter().filter(|t| t.matches(&filter)) {
                println!("{:<38} {:<17} {}", t.id, t.kind.code(), t.name);
            }
        }
        Part::Terms => {
            for t in &toolbox.glossary {
                println!("{:<36} {}", t.id, t.term);
            }
        }
        Part::Recommendations => {
            for r in &toolbox.recommendations {
                println!("{:<36} {:<19} {}", r.id, r.audience.code(), r.title);
            }
        }
    }
    Ok(())
}

fn references(refs: &[Reference]) {
    for r in refs {
        match &r.checked {
            Some(d) => println!("  source: {} <{}> (checked {d})", r.title, r.url),
            None => println!("  source: {} <{}> (not verified)", r.title, r.url),
        }
    }
}

fn show(catalogue: &Catalogue, toolbox: &Toolbox, id: &str) -> anyhow::Result<()> {
    if let Some(i) = catalogue.indicator(id) {
        println!("{} ({})\n  {}", i.name, i.id, i.definition);
        println!(
            "  area: {}; source: {}; population: {}",
            i.area,
            i.source.code(),
            i.population_label
        );
        if let Some(e) = &i.eurostat {
            println!("  Eurostat dataset: {e}");
        }
        for t in toolbox.terms_for(catalogue, id) {
            println!("  concept: {} ({})", t.term, t.id);
        }
        for s in toolbox.sources_for(id) {
            println!("  fed by: {} ({})", s.name, s.id);
        }
        println!("  module: incity catalogue module {id} --out DIR");
    } else if let Some(a) = catalogue.administrative.iter().find(|a| a.id == id) {
        println!("{} ({})\n  {}", a.name, a.id, a.definition);
        println!(
            "  numerator {}, denominator {}; Eurostat {}",
            a.numerator.dataset, a.denominator.dataset, a.eurostat
        );
        println!("  module: incity catalogue module {id} --out DIR");
    } else if let Some(x) = catalogue.external.iter().find(|x| x.id == id) {
        println!(
            "{} ({})\n  {}\n  where: {}\n  not computed: {}",
            x.name, x.id, x.definition, x.source, x.why_not_computed
        );
    } else if let Some(s) = toolbox.source(id) {
        println!("{} ({}, {})", s.name, s.id, s.kind.label());
        println!(
            "  publisher: {}\n  coverage: {}\n  years: {}",
            s.publisher, s.coverage, s.years
        );
        let vars: Vec<_> = s.migrant_variables.iter().map(|v| v.label()).collect();
        println!("  migrant variables: {}", vars.join(", "));
        println!(
            "  finest level: {}; frequency: {}",
            s.finest_level.label(),
            s.frequency
        );
        println!("  sample: {}", s.sample);
        let access: Vec<_> = s.access.iter().map(|v| v.label()).collect();
        println!("  access: {}", access.join(", "));
        println!("  for a city: {}", s.city_use);
        if !s.limitations.is_empty() {
            println!("  limitations: {}", s.limitations);
        }
        if !s.indicators.is_empty() {
            println!("  feeds: {}", s.indicators.join(", "));
        }
        references(&s.references);
    } else if let Some(t) = toolbox.tool(id) {
        println!(
            "{} ({}, {})\n  publisher: {}\n  <{}>",
            t.name,
            t.id,
            t.kind.label(),
            t.publisher,
            t.url
        );
        println!("  a city gets: {}\n  it lacks: {}", t.city_gets, t.lacks);
        references(&t.references);
    } else if let Some(t) = toolbox.term(id) {
        println!("{} ({})\n  {}", t.term, t.id, t.definition);
        if !t.indicators.is_empty() {
            println!("  used by: {}", t.indicators.join(", "));
        }
        references(&t.references);
    } else if let Some(r) = toolbox.recommendation(id) {
        println!(
            "{} ({}, for {})\n  {}",
            r.title,
            r.id,
            r.audience.label(),
            r.text
        );
        if let Some(e) = r.evidence {
            println!(
                "  evidence: {} (computed from the served release in the portal)",
                e.label()
            );
        }
        references(&r.references);
    } else {
        bail!("`{id}` is no indicator, source, tool, term or recommendation of the catalogue (try `incity catalogue search`)");
    }
    Ok(())
}

fn validate(dir: Option<&Path>) -> anyhow::Result<()> {
    let (catalogue, toolbox) = match dir {
        None => (Catalogue::embedded().clone(), Toolbox::embedded().clone()),
        Some(d) => {
            let c = Catalogue::load(d)?;
            let t = Toolbox::load(d, &c)?;
            (c, t)
        }
    };
    println!(
        "catalogue {}: {} survey indicators, {} administrative, {} external; toolbox: {} sources, {} tools, {} glossary terms, {} recommendations; {} references not verified",
        catalogue.version,
        catalogue.indicators.len(),
        catalogue.administrative.len(),
        catalogue.external.len(),
        toolbox.sources.len(),
        toolbox.tools.len(),
        toolbox.glossary.len(),
        toolbox.recommendations.len(),
        toolbox.unverified().len(),
    );
    Ok(())
}

fn write_module(
    catalogue: &Catalogue,
    toolbox: &Toolbox,
    id: &str,
    out: &Path,
) -> anyhow::Result<()> {
    let Some(m) = module(catalogue, toolbox, id) else {
        bail!("`{id}` has no module: it is not a computed indicator of the catalogue (`incity catalogue list indicators`)");
    };
    let root = out.join(&m.id);
    for f in &m.files {
        let path = root.join(&f.path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating {}", parent.display()))?;
        }
        std::fs::write(&path, &f.contents)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    println!("{}: {} files in {}", m.id, m.files.len(), root.display());
    Ok(())
}
