//! `incity`: the command-line tool and server of the incity toolbox.
//!
//! `main.rs` only wires the commands: each command's arguments and work live in its own
//! module (`serve`, `generate`, `compute`, `estimate`, `scan`, `import`, `export`, `sae`,
//! `plan`); `tables` and `small_areas` are shared by the commands that load tables and fit
//! models. It holds no statistics and no SQL of its own: it calls the crates that do.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod compute;
mod estimate;
mod export;
mod generate;
mod import;
mod peers;
mod plan;
mod sae;
mod scan;
mod serve;
mod small_areas;
mod tables;

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
    /// Design-based estimate of one statistic from a survey file (CSV or Parquet).
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
}

#[derive(clap::Args)]
pub(crate) struct DataDirArg {
    /// Directory for the database and the demonstration data.
    #[arg(long, env = "INCITY_DATA_DIR", default_value = "incity-data")]
    pub(crate) data_dir: PathBuf,
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
    }
}

pub(crate) fn database_path(data_dir: &Path) -> PathBuf {
    data_dir.join("incity.sqlite")
}
