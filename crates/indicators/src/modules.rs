//! Ready-to-use indicator modules: for every computed indicator of the catalogue, a folder a
//! city can download and run with the incity command-line tool on the example data, then on
//! its own. A module holds the definition (README.md), a one-indicator catalogue, a mapping
//! template for its source, a small example file, the exact commands (`commands.txt`) and
//! the expected output of those commands on the example (`expected/`).
//!
//! The example files and expected outputs are compiled in from `modules/` (written by
//! `scripts/make-modules.sh`); everything else is assembled here from the catalogue, so a
//! module cannot drift from the indicator it describes. `crates/cli/tests/modules.rs` runs
//! every module's commands and compares their output with `expected/`.

use std::fmt::Write;

use crate::catalogue::{
    AdministrativeIndicator, Catalogue, Indicator, StatisticKind, INDICATOR_FILES,
};
use crate::toolbox::Toolbox;
use crate::Source;

include!(concat!(env!("OUT_DIR"), "/module_files.rs"));

/// The shipped EU-LFS and EU-SILC mappings, the modules' mapping templates.
const LFS_MAPPING: &str = include_str!("../../../mappings/eu-lfs.toml");
const SILC_MAPPING: &str = include_str!("../../../mappings/eu-silc.toml");

/// The country and year of the example files.
pub const EXAMPLE_COUNTRY: &str = "AT";
pub const EXAMPLE_YEAR: i32 = 2024;

/// One file of a module: its path inside the module folder and its contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModuleFile {
    pub path: String,
    pub contents: Vec<u8>,
}

/// A module: the folder `id/` with its files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Module {
    pub id: String,
    pub name: String,
    pub files: Vec<ModuleFile>,
}

/// The ids of the indicators that have a module: every survey and administrative indicator
/// of the catalogue (an external indicator has no data incity reads).
pub fn module_ids(catalogue: &Catalogue) -> Vec<&str> {
    catalogue
        .indicators
        .iter()
        .map(|i| i.id.as_str())
        .chain(catalogue.administrative.iter().map(|a| a.id.as_str()))
        .collect()
}

fn asset(path: &str) -> Option<&'static [u8]> {
    MODULE_ASSETS
        .iter()
        .find(|(p, _)| *p == path)
        .map(|(_, bytes)| *bytes)
}

/// Assets under `dir/` (path relative to `dir`, bytes), in path order.
fn assets_under(dir: &str) -> Vec<(&'static str, &'static [u8])> {
    let prefix = format!("{dir}/");
    MODULE_ASSETS
        .iter()
        .filter_map(|(p, b)| p.strip_prefix(prefix.as_str()).map(|rest| (rest, *b)))
        .collect()
}

fn text(path: &str, contents: impl Into<String>) -> ModuleFile {
    ModuleFile {
        path: path.to_string(),
        contents: contents.into().into_bytes(),
    }
}

/// A TOML string literal.
fn quoted(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// The module of indicator `id`, or `None` if the catalogue has no such computed indicator.
pub fn module(catalogue: &Catalogue, toolbox: &Toolbox, id: &str) -> Option<Module> {
    if let Some(i) = catalogue.indicator(id) {
        return Some(survey_module(catalogue, toolbox, i));
    }
    catalogue
        .administrative
        .iter()
        .find(|a| a.id == id)
        .map(|a| administrative_module(catalogue, toolbox, a))
}

/// The catalogue.toml of a one-indicator catalogue: the shipped version and groupings, no
/// small-area models (a module computes direct figures only).
fn module_catalogue(catalogue: &Catalogue) -> String {
    let mut out = String::from(
        "# A one-indicator catalogue: the target groups of the incity catalogue this module\n\
         # comes from. Add indicator files to indicators/ to compute more.\n\n",
    );
    let _ = writeln!(out, "version = {}", quoted(&catalogue.version));
    for g in &catalogue.groupings {
        let _ = writeln!(
            out,
            "\n[[grouping]]\nid = {}\nname = {}\nreference = {}",
            quoted(&g.id),
            quoted(&g.name),
            quoted(&g.reference)
        );
        if let Some(r) = &g.reference_grouping {
            let _ = writeln!(out, "reference_grouping = {}", quoted(r));
        }
        out.push_str("groups = [\n");
        for x in &g.groups {
            let _ = writeln!(
                out,
                "    {{ code = {}, label = {} }},",
                quoted(&x.code),
                quoted(&x.label)
            );
        }
        out.push_str("]\n");
    }
    out
}

/// The indicator's file as shipped, without its small-area model.
fn indicator_file(id: &str) -> String {
    let name = format!("{id}.toml");
    let shipped = INDICATOR_FILES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, t)| *t)
        .unwrap_or_default();
    // The `[small_area]` table is the file's last section (the catalogue's layout).
    let cut = shipped
        .find("\n[small_area]")
        .map(|at| {
            // Keep no comment block that introduces it.
            let before = &shipped[..at];
            before
                .rfind("\n\n")
                .filter(|&p| before[p..].lines().skip(2).all(|l| l.starts_with('#')))
                .unwrap_or(at)
        })
        .unwrap_or(shipped.len());
    format!("{}\n", shipped[..cut].trim_end())
}

/// Why a module has no `incity estimate` step, if it has none: `estimate` has no statistic
/// for a poverty rate with another way to be at risk (AROPE), and it needs a weight on every
/// record of the file, which EU-SILC's personal weight is not (only persons interviewed
/// personally, aged 16 and over, have one).
pub fn no_estimate_step(i: &Indicator) -> Option<&'static str> {
    if i.statistic == StatisticKind::AtRiskOfPoverty && i.at_risk_otherwise.is_some() {
        Some("`incity estimate` has no statistic for a poverty rate in which some persons are at risk whatever their income")
    } else if i.weight != "weight" {
        Some("`incity estimate` needs a weight on every record of the file, and the EU-SILC personal weight exists only for the persons interviewed personally (aged 16 and over)")
    } else {
        None
    }
}

/// The `incity estimate` line that computes the indicator's country figures by country of
/// birth straight from the imported records (the release computes them through the
/// catalogue), unless [`no_estimate_step`].
fn estimate_command(i: &Indicator) -> Option<String> {
    if no_estimate_step(i).is_some() {
        return None;
    }
    let grouping = if i.id == "child_poverty_0_17" {
        ("children_parents_birth", "children_native_parents")
    } else {
        ("birth_group", "native")
    };
    let stat = match i.statistic {
        StatisticKind::Share => format!("share({})", i.numerator.as_deref()?),
        StatisticKind::Median => format!("median({})", i.value.as_deref()?),
        StatisticKind::AtRiskOfPoverty => format!("arpr({})", i.value.as_deref()?),
    };
    let quantile = if i.statistic == StatisticKind::Median {
        " --quantile-rule eusilc"
    } else {
        ""
    };
    Some(format!(
        "incity estimate --input-store work --partition {source}/{EXAMPLE_COUNTRY}/{EXAMPLE_YEAR} \
         --weight {weight} --strata stratum --psu psu --lonely-psu adjust --stat \"{stat}\"{quantile} \
         --where \"({population}) AND {group} IS NOT NULL\" --by {group} --gap {group}={reference} --out estimate.csv",
        source = i.source.code(),
        weight = i.weight,
        population = i.population,
        group = grouping.0,
        reference = grouping.1,
    ))
}

/// The data files of a survey module, and the arguments naming them.
fn survey_data(source: Source) -> (Vec<ModuleFile>, String, &'static str, &'static str) {
    let dir = match source {
        Source::Lfs => "examples/lfs",
        Source::Silc => "examples/silc",
    };
    let files: Vec<ModuleFile> = assets_under(dir)
        .into_iter()
        .map(|(name, bytes)| ModuleFile {
            path: format!("data/{name}"),
            contents: bytes.to_vec(),
        })
        .collect();
    let args = files
        .iter()
        .map(|f| f.path.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    let (mapping_path, mapping) = match source {
        Source::Lfs => ("mapping/eu-lfs.toml", LFS_MAPPING),
        Source::Silc => ("mapping/eu-silc.toml", SILC_MAPPING),
    };
    (files, args, mapping_path, mapping)
}

fn expected_files(id: &str) -> Vec<ModuleFile> {
    assets_under(&format!("expected/{id}"))
        .into_iter()
        .map(|(name, bytes)| ModuleFile {
            path: format!("expected/{name}"),
            contents: bytes.to_vec(),
        })
        .collect()
}

fn survey_module(catalogue: &Catalogue, toolbox: &Toolbox, i: &Indicator) -> Module {
    let (data, data_args, mapping_path, mapping) = survey_data(i.source);
    let mut commands = format!(
        "# The {name} module: run these commands from this folder, one after the other.\n\
         # `incity` is the incity binary. Lines starting with # are comments.\n\
         # 1. Check the example file against the mapping (nothing is stored).\n\
         incity validate --mapping {mapping_path} {data_args}\n\
         # 2. Import it into a new input store in work/ (all or nothing).\n\
         incity import --data-dir work --mapping {mapping_path} {data_args}\n\
         # 3. Compute the one-indicator catalogue and publish it as a release.\n\
         incity compute --data-dir work --catalogue catalogue\n\
         # 4. Export the figures for both sexes together (compare with expected/figures.csv;\n\
         #    without --sex T, men and women too).\n\
         incity export --data-dir work --indicator {id} --sex T --format csv --out figures.csv\n",
        name = i.name,
        id = i.id,
    );
    let estimate = estimate_command(i);
    if let Some(line) = &estimate {
        let _ = write!(
            commands,
            "# 5. The same country figures by group straight from the imported records\n\
             #    (compare with expected/estimate.csv and with the country rows of figures.csv).\n\
             {line}\n"
        );
    }
    let mut files = vec![
        text(
            "README.md",
            survey_readme(catalogue, toolbox, i, mapping_path, estimate.is_some()),
        ),
        text("commands.txt", commands),
        text("catalogue/catalogue.toml", module_catalogue(catalogue)),
        text(
            &format!("catalogue/indicators/{}.toml", i.id),
            indicator_file(&i.id),
        ),
        text(mapping_path, mapping),
    ];
    files.extend(data);
    files.extend(expected_files(&i.id));
    Module {
        id: i.id.clone(),
        name: i.name.clone(),
        files,
    }
}

fn glossary_lines(catalogue: &Catalogue, toolbox: &Toolbox, id: &str) -> String {
    let mut out = String::new();
    for t in toolbox.terms_for(catalogue, id) {
        let _ = writeln!(out, "- **{}**: {}", t.term, t.definition);
    }
    out
}

fn survey_readme(
    catalogue: &Catalogue,
    toolbox: &Toolbox,
    i: &Indicator,
    mapping_path: &str,
    has_estimate: bool,
) -> String {
    let mut out = format!("# {} (`{}`)\n\n", i.name, i.id);
    let _ = writeln!(out, "{}\n", i.definition);
    let _ = writeln!(out, "- Policy area: {}", i.area);
    let _ = writeln!(out, "- Source: {}", i.source.code().to_uppercase());
    let _ = writeln!(
        out,
        "- Population: {} (`{}`)",
        i.population_label, i.population
    );
    if let Some(n) = &i.numerator {
        let _ = writeln!(out, "- Counted: `{n}`");
    }
    if let Some(v) = &i.value {
        let _ = writeln!(out, "- Value: `{v}`");
    }
    if let Some(x) = &i.at_risk_otherwise {
        let _ = writeln!(out, "- Also at risk: `{x}`");
    }
    let _ = writeln!(out, "- Weight: `{}`; unit: {}", i.weight, i.unit);
    if let Some(e) = &i.eurostat {
        let _ = writeln!(out, "- Eurostat dataset: `{e}`");
    }
    if !i.comparability.is_empty() {
        let _ = writeln!(out, "- Comparability: {}", i.comparability);
    }
    out.push_str("\n## Variables needed\n\n");
    for (source, vars) in &i.variables {
        let _ = writeln!(out, "- {}: {}", source.to_uppercase(), vars.join(", "));
    }
    let _ = writeln!(
        out,
        "- Harmonised concepts read (the mapping's targets): {}",
        i.columns().join(", ")
    );
    let _ = writeln!(
        out,
        "- Target groups: country of birth and citizenship; parents' country of birth and years of residence where the input codes them.\n"
    );
    let _ = writeln!(
        out,
        "## What is in this folder\n\n\
         - `commands.txt`: the commands, to run from this folder.\n\
         - `catalogue/`: a catalogue with this one indicator (`incity compute --catalogue catalogue`).\n\
         - `{mapping_path}`: the mapping template: your file's column names and codes onto incity's concepts. Change the right-hand sides to your columns.\n\
         - `data/`: a small example ({EXAMPLE_COUNTRY}, {EXAMPLE_YEAR}) from incity's synthetic Europe: SYNTHETIC records that describe no real person.\n\
         - `expected/`: what the commands write for the example.\n"
    );
    out.push_str(
        "## On your own data\n\n\
         Replace the files in `data/` with your own (CSV, Parquet, SAS, Stata or SPSS), adapt the \
         mapping, and run the same commands. `incity validate` names every record it rejects \
         (file, line, column, value and what was expected); nothing is imported unless every \
         record passes. Figures below the publication thresholds are exported with their flag \
         only.\n\n",
    );
    if has_estimate {
        out.push_str(
            "The last command computes the country figures by group with `incity estimate`, \
             directly from the imported records: they equal the country rows of `figures.csv` \
             (the release computes them through the catalogue), a check that the catalogue does \
             what its definition says.\n\n",
        );
    } else if let Some(why) = no_estimate_step(i) {
        let _ = writeln!(out, "The module has no `incity estimate` step: {why}.\n");
    }
    let terms = glossary_lines(catalogue, toolbox, &i.id);
    if !terms.is_empty() {
        let _ = writeln!(out, "## Concepts\n\n{terms}");
    }
    let sources: Vec<&str> = toolbox
        .sources_for(&i.id)
        .iter()
        .map(|s| s.name.as_str())
        .collect();
    if !sources.is_empty() {
        let _ = writeln!(
            out,
            "## Sources that feed it\n\n- {}\n",
            sources.join("\n- ")
        );
    }
    out
}

fn administrative_module(
    catalogue: &Catalogue,
    toolbox: &Toolbox,
    a: &AdministrativeIndicator,
) -> Module {
    let data: Vec<ModuleFile> = assets_under(&format!("examples/administrative/{}", a.id))
        .into_iter()
        .map(|(name, bytes)| ModuleFile {
            path: format!("data/{name}"),
            contents: bytes.to_vec(),
        })
        .collect();
    let data_args = data
        .iter()
        .map(|f| f.path.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    let commands = format!(
        "# The {name} module: run these commands from this folder, one after the other.\n\
         # `incity` is the incity binary. Lines starting with # are comments.\n\
         # 1. Load the numerator and denominator tables (Eurostat TSV; flags kept).\n\
         incity import-table --data-dir work {data_args}\n\
         # 2. Export the indicator computed from the two tables (compare with expected/figures.csv).\n\
         incity export --data-dir work --administrative --format csv --out figures.csv\n",
        name = a.name,
    );
    let mut readme = format!("# {} (`{}`)\n\n{}\n\n", a.name, a.id, a.definition);
    let _ = writeln!(readme, "- Policy area: {}", a.area);
    let _ = writeln!(readme, "- Population: {}", a.population_label);
    let _ = writeln!(
        readme,
        "- Numerator: table `{}`, where {:?}",
        a.numerator.dataset, a.numerator.filter
    );
    let _ = writeln!(
        readme,
        "- Denominator: table `{}`, where {:?} (year offset {})",
        a.denominator.dataset, a.denominator.filter, a.denominator_year_offset
    );
    let _ = writeln!(readme, "- Eurostat dataset: `{}`", a.eurostat);
    if !a.comparability.is_empty() {
        let _ = writeln!(readme, "- Comparability: {}", a.comparability);
    }
    readme.push_str(
        "\nComputed from counts of every case, so without sampling error: no standard error or \
         interval is claimed, and the tables' flags (confidential, estimated, provisional) are \
         carried to each figure; a figure from a confidential count has no number.\n\n\
         ## What is in this folder\n\n\
         - `commands.txt`: the commands, to run from this folder.\n\
         - `data/`: the two tables for one country in Eurostat's TSV layout, from incity's \
         synthetic Europe (SYNTHETIC counts). Your own register extract in the same layout, or \
         as CSV with an admin-table mapping (`incity import-table --mapping`), works the same \
         way.\n\
         - `expected/`: what the commands write for the example.\n\n",
    );
    let terms = glossary_lines(catalogue, toolbox, &a.id);
    if !terms.is_empty() {
        let _ = writeln!(readme, "## Concepts\n\n{terms}");
    }
    let mut files = vec![text("README.md", readme), text("commands.txt", commands)];
    files.extend(data);
    files.extend(expected_files(&a.id));
    Module {
        id: a.id.clone(),
        name: a.name.clone(),
        files,
    }
}

/// Whether the compiled-in assets hold an example for `source` (`lfs`, `silc`) and the
/// expected output of module `id`.
pub fn has_expected_output(id: &str) -> bool {
    asset(&format!("expected/{id}/figures.csv")).is_some()
}
