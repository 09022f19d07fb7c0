//! `incity`: the command-line tool and server of the incity toolbox.
//!
//! `main.rs` only wires the commands: each command's arguments and work live in its own
//! module (`serve`, `generate`, `compute`, `estimate`, `scan`, `import`, `export`, `sae`,
//! `plan`, `peers`, `profile`, `rank`, `trend`, `catalogue`, `exchange`); `tables` and `small_areas` are shared by the commands that load tables and fit
//! models. It holds no statistics and no SQL of its own: it calls the crates that do.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod catalogue;
mod compute;
mod estimate;
mod exchange;
mod export;
mod generate;
mod import;
mod peers;
mod plan;
mod profile;
mod rank;
mod sae;
mod scan;
mod serve;
mod small_areas;
mod tables;
mod trend;

#[derive(Parser)]
#[command(
    name = "incity",
    version,
    about = "Comparable, honest indicators of immigrant integration for European cities and regions",
    long_about = "incity computes the EU core integration indicators from survey microdata with \
                  design-based standard errors, confidence intervals and publication flags, keeps \
                  them as releases, and serves them in a web portal and a JSON API."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Start the portal. On first start, generate the synthetic demonstration data and compute
    /// a release from it.
    Serve(serve::ServeArgs),
    /// Write synthetic EU-LFS-layout microdata and the true population values.
    Generate(generate::GenerateArgs),
    /// Compute the indicator catalogue over the input store and publish it as a release.
    Compute(compute::ComputeArgs),
    /// Design-based estimate of one statistic from a survey file (CSV, Parquet, SAS, Stata,
    /// SPSS).
    Estimate(Box<estimate::EstimateArgs>),
    /// Read the given columns of a file once with the same engine (the baseline of benchmarks).
    Scan(scan::ScanArgs),
    /// Validate microdata through a mapping and store them as harmonised Parquet partitions
    /// (all or nothing: any rejected record and nothing is stored).
    Import(import::ImportArgs),
    /// Validate microdata through a mapping without storing anything.
    Validate(import::ValidateArgs),
    /// Load published tables (Eurostat TSV or SDMX-CSV) into the database, flags kept.
    ImportTable(import::ImportTableArgs),
    /// Export the served release, or a filtered part, as CSV, JSON, Parquet or SDMX-CSV.
    Export(export::ExportArgs),
    /// Small area estimation: a Fay-Herriot model over a table of areas (direct estimates,
    /// their variances, area covariates) with EBLUPs, MSEs and diagnostics.
    Sae(Box<sae::SaeArgs>),
    /// Precision planner: the respondents each city's migrant-group figures need for a target
    /// CV and to be published, the oversampling and the years of pooling this implies.
    Plan(Box<plan::PlanArgs>),
    /// Peer areas: the cities or regions most similar to one area on standardised context
    /// variables (from the served release's published figures), with distances.
    Peers(Box<peers::PeersArgs>),
    /// A city's or region's profile: every indicator by target group beside its country, and
    /// whether the area differs significantly from its country (jointly estimated difference).
    Profile(Box<profile::ProfileArgs>),
    /// Rank the areas of a level on one indicator and group, with marginal or simultaneous
    /// rank intervals (Mogstad, Romano, Shaikh & Wilhelm 2024).
    Rank(Box<rank::RankArgs>),
    /// One indicator for one area and group over the release's years: each year's level and
    /// the change between every two years, with the covariance of shared PSUs.
    Trend(Box<trend::TrendArgs>),
    /// The indicator catalogue and the toolbox: list, show, search and validate entries
    /// (indicators, sources, tools, glossary terms, recommendations), and write an
    /// indicator's ready-to-use module.
    Catalogue(catalogue::CatalogueArgs),
    /// The city-to-city exchange: create the first administrator, list accounts.
    Exchange(exchange::ExchangeArgs),
}

#[derive(clap::Args)]
pub(crate) struct DataDirArg {
    /// Directory for the database and the demonstration data.
    #[arg(long, env = "INCITY_DATA_DIR", default_value = "incity-data")]
    pub(crate) data_dir: PathBuf,
    /// The releases' database: `sqlite://FILE` or `postgres://USER:PASSWORD@HOST:PORT/DB`
    /// (default: incity.sqlite in the data directory).
    #[arg(long, env = "INCITY_DATABASE")]
    pub(crate) database: Option<String>,
}

impl DataDirArg {
    /// Opens the releases' database (`--database`, else the data directory's SQLite file).
    pub(crate) async fn open_store(&self) -> anyhow::Result<incity_store::Store> {
        Ok(match &self.database {
            Some(url) => incity_store::Store::open_url(url).await?,
            None => incity_store::Store::open(&database_path(&self.data_dir)).await?,
        })
    }
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve(a) => serve::run(a).await,
        Command::Exchange(a) => exchange::run(a).await,
        Command::Generate(a) => generate::run(a),
        Command::Compute(a) => compute::run(a).await,
        Command::Estimate(a) => estimate::run(*a).await,
        Command::Scan(a) => scan::run(a).await,
        Command::Import(a) => import::import(a),
        Command::Validate(a) => import::validate(a),
        Command::ImportTable(a) => import::import_table(a).await,
        Command::Export(a) => export::run(a).await,
        Command::Sae(a) => sae::run(*a).await,
        Command::Plan(a) => plan::run(*a).await,
        Command::Peers(a) => peers::run(*a).await,
        Command::Profile(a) => profile::run(*a).await,
        Command::Rank(a) => rank::run(*a).await,
        Command::Trend(a) => trend::run(*a).await,
        Command::Catalogue(a) => catalogue::run(a),
    }
}

pub(crate) fn database_path(data_dir: &Path) -> PathBuf {
    data_dir.join("incity.sqlite")
}

/// A `--level` argument.
pub(crate) fn parse_level(code: &str) -> anyhow::Result<incity_indicators::GeoLevel> {
    use incity_indicators::GeoLevel;
    GeoLevel::from_code(code).ok_or_else(|| {
        anyhow::anyhow!(
            "--level {code}: expected one of {}",
            GeoLevel::ALL.map(|l| l.code()).join(", ")
        )
    })
}

/// A `--sex` argument.
pub(crate) fn parse_sex(code: &str) -> anyhow::Result<incity_indicators::Sex> {
    incity_indicators::Sex::from_code(code)
        .ok_or_else(|| anyhow::anyhow!("--sex {code}: expected T, M or F"))
}

/// The store of a data directory and the release it serves.
pub(crate) async fn served_release(
    data: &DataDirArg,
) -> anyhow::Result<(incity_store::Store, incity_store::StoredRelease)> {
    use anyhow::Context;
    let store = data.open_store().await?;
    let release = store
        .current_release()
        .await?
        .context("no release has been published yet: run `incity compute`")?;
    Ok((store, release))
}

/// How the analysis commands (`profile`, `rank`, `peers`) write their answer on standard
/// output.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum OutputFormat {
    Csv,
    Json,
}

/// A figure as JSON: its cell, flag and method, and its numbers only when published (the
/// standard error of a direct figure, the RMSE of a model-based one).
pub(crate) fn figure_json(f: &incity_indicators::Figure) -> serde_json::Value {
    use incity_indicators::figure_table::{direct_se, model_rmse};
    let mut o = serde_json::json!({
        "indicator": f.indicator, "source": f.source.code(),
        "first_year": f.first_year, "year": f.year,
        "geo_level": f.geo_level.code(), "geo": f.geo,
        "geo_name": incity_indicators::geo_name(&f.geo),
        "grouping": f.grouping, "group": f.group,
        "reference_group": f.reference_group, "sex": f.sex.code(),
        "measure": f.measure.code(), "method": f.method_label(),
        "flag": f.estimate.flag.code(),
    });
    if let Some(x) = f.estimate.figures {
        o["estimate"] = x.estimate.into();
        o["se"] = direct_se(f).into();
        o["rmse"] = model_rmse(f).into();
        o["ci_low"] = x.ci_low.into();
        o["ci_high"] = x.ci_high.into();
        o["cv"] = x.cv.into();
        o["n"] = x.n.into();
        o["population"] = x.population.into();
        o["deff"] = x.deff.into();
    }
    o
}

/// Writes a JSON document, pretty, on standard output.
pub(crate) fn print_json(doc: &serde_json::Value) -> anyhow::Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, doc)?;
    writeln!(out)?;
    Ok(())
}
