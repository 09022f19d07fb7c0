//! `incity`: the command-line tool and server of the incity toolbox.

use std::io::Write;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::{Parser, Subcommand, ValueEnum};
use incity_data::survey::{
    estimate, DesignColumns, EstimateRequest, EstimateTable, Statistic, VarianceChoice,
};
use incity_data::synthetic::{write_lfs, write_silc, write_truth_csv, Population, SyntheticConfig};
use incity_estimation::{LonelyPsuRule, ProportionRules, PublicationRules, QuantileRule};
use incity_indicators::{compute_release, ComputeSettings};
use incity_portal::AppState;
use incity_store::Store;

mod plan;
mod sae;
mod small_areas;
mod tables;

use small_areas::{load_covariates, report_models};
use tables::{import_table_files, load_shipped_tables};

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
    Serve(ServeArgs),
    /// Write synthetic EU-LFS-layout microdata and the true population values.
    Generate(GenerateArgs),
    /// Compute the indicator catalogue over the input store and publish it as a release.
    Compute(ComputeArgs),
    /// Design-based estimate of one statistic from a survey file (CSV or Parquet).
    Estimate(Box<EstimateArgs>),
    /// Read the given columns of a file once with the same engine (the baseline of benchmarks).
    Scan(ScanArgs),
    /// Validate microdata through a mapping and store them as harmonised Parquet partitions
    /// (all or nothing: any rejected record and nothing is stored).
    Import(ImportArgs),
    /// Validate microdata through a mapping without storing anything.
    Validate(ValidateArgs),
    /// Load published tables (Eurostat TSV or SDMX-CSV) into the database, flags kept.
    ImportTable(ImportTableArgs),
    /// Export the served release, or a filtered part, as CSV, JSON, Parquet or SDMX-CSV.
    Export(ExportArgs),
    /// Small area estimation: a Fay-Herriot model over a table of areas (direct estimates,
    /// their variances, area covariates) with EBLUPs, MSEs and diagnostics.
    Sae(Box<sae::SaeArgs>),
    /// Precision planner: the respondents each city's migrant-group figures need for a target
    /// CV and to be published, the oversampling and the years of pooling this implies.
    Plan(Box<plan::PlanArgs>),
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ExportFormat {
    Csv,
    Json,
    Parquet,
    SdmxCsv,
}

#[derive(clap::Args)]
struct ExportArgs {
    #[command(flatten)]
    data: DataDirArg,
    #[arg(long, value_enum)]
    format: ExportFormat,
    /// Output file.
    #[arg(long)]
    out: PathBuf,
    /// Only this indicator.
    #[arg(long)]
    indicator: Option<String>,
    /// Only this geographic level (country, nuts1, nuts2, degurba, city).
    #[arg(long)]
    level: Option<String>,
    /// Only this geography (a country, NUTS or city code).
    #[arg(long)]
    geo: Option<String>,
    /// Only this sex (T, M, F).
    #[arg(long)]
    sex: Option<String>,
}

#[derive(clap::Args)]
struct MicrodataArgs {
    /// A shipped mapping (eu-lfs, eu-silc, eu-silc-2020, laeken-eusilc) or a mapping file.
    #[arg(long)]
    mapping: String,
    /// Input files (CSV or Parquet); for eu-silc the D, R, H and P files.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Write every rejection (file, line, column, value, expected) to this CSV file.
    #[arg(long)]
    rejections: Option<PathBuf>,
    /// Rejections printed (all are counted, and all go to --rejections).
    #[arg(long, default_value_t = 20)]
    show: usize,
}

#[derive(clap::Args)]
struct ImportArgs {
    #[command(flatten)]
    data: DataDirArg,
    #[command(flatten)]
    input: MicrodataArgs,
}

#[derive(clap::Args)]
struct ValidateArgs {
    #[command(flatten)]
    input: MicrodataArgs,
}

#[derive(clap::Args)]
struct ImportTableArgs {
    #[command(flatten)]
    data: DataDirArg,
    /// Published table files (.tsv Eurostat bulk format, or SDMX-CSV), or administrative
    /// tables (CSV) with --mapping.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// An admin-table mapping file (TOML, `[admin_table]`) for administrative CSV tables.
    #[arg(long)]
    mapping: Option<PathBuf>,
}

#[derive(clap::Args)]
struct ScanArgs {
    #[arg(long)]
    data: PathBuf,
    /// Columns to read (comma separated).
    #[arg(long, value_delimiter = ',', required = true)]
    columns: Vec<String>,
}

#[derive(clap::Args)]
pub(crate) struct DataDirArg {
    /// Directory for the database and the demonstration data.
    #[arg(long, env = "INCITY_DATA_DIR", default_value = "incity-data")]
    pub(crate) data_dir: PathBuf,
}

#[derive(clap::Args)]
struct ServeArgs {
    #[command(flatten)]
    data: DataDirArg,
    /// Address to listen on.
    #[arg(long, env = "INCITY_BIND", default_value = "127.0.0.1")]
    bind: IpAddr,
    /// Port to listen on.
    #[arg(long, env = "INCITY_PORT", default_value_t = 8080)]
    port: u16,
    /// Seed of the demonstration data generated on first start.
    #[arg(long, default_value_t = SyntheticConfig::default().seed)]
    seed: u64,
}

#[derive(clap::Args)]
struct GenerateArgs {
    /// Output directory (receives lfs_<year>.csv, silc_{d,r,h,p}.csv and truth_<year>.csv).
    #[arg(long)]
    out: PathBuf,
    #[arg(long, default_value_t = SyntheticConfig::default().seed)]
    seed: u64,
    /// Fraction of the real population that is simulated.
    #[arg(long, default_value_t = SyntheticConfig::default().population_scale)]
    population_scale: f64,
    /// Multiplies every country's sample sizes.
    #[arg(long, default_value_t = SyntheticConfig::default().sample_scale)]
    sample_scale: f64,
    /// Which surveys to write.
    #[arg(long, value_enum, default_value = "both")]
    surveys: SurveysArg,
    /// Skip the truth table (two extra passes over the whole population).
    #[arg(long)]
    no_truth: bool,
    /// Survey year. The population is the same for every year (same seed); each year's
    /// samples are drawn independently, so pooled estimates have the same truth.
    #[arg(long, default_value_t = SyntheticConfig::default().year, value_parser = clap::value_parser!(i32).range(2000..=2100))]
    year: i32,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum SurveysArg {
    Lfs,
    Silc,
    Both,
}

#[derive(clap::Args)]
struct ComputeArgs {
    #[command(flatten)]
    data: DataDirArg,
    /// Mark the release as computed from synthetic data.
    #[arg(long)]
    synthetic: bool,
    /// A catalogue directory (catalogue.toml and indicators/*.toml) instead of the shipped one.
    #[arg(long)]
    catalogue: Option<PathBuf>,
    /// Compute even if the inputs, catalogue and rules are those of the served release.
    #[arg(long)]
    force: bool,
    /// Publication rules: a shipped rule set (default, eu-silc) or a rule file (TOML).
    #[arg(long, default_value = "default")]
    rules: String,
    /// Also compute pooled estimates over this many consecutive years (e.g. 3 for
    /// 2022-2024), for every run of years the input store holds.
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u32).range(0..=10))]
    pool_years: u32,
}

#[derive(Clone, Copy, ValueEnum)]
enum VarianceArg {
    Linearization,
    Jk1,
    Jkn,
    Bootstrap,
    Supplied,
}

#[derive(Clone, Copy, ValueEnum)]
enum LonelyArg {
    /// Refuse: a stratum with one PSU is an error (as R survey by default).
    Fail,
    /// The stratum contributes no variance.
    Certainty,
    /// The lonely PSU's total is a deviation from the grand mean (R survey's `adjust`).
    Adjust,
    /// The stratum gets the average variance of the other strata.
    Average,
    /// Merge with the neighbouring stratum in label order.
    Collapse,
}

#[derive(Clone, Copy, ValueEnum)]
enum ShareRulesArg {
    /// Shares judged by the NCHS proportion standards on the Korn-Graubard interval.
    Nchs,
    /// Shares judged by the CV bands like any other figure.
    Cv,
}

#[derive(Clone, Copy, ValueEnum)]
enum QuantileRuleArg {
    /// Inverse of the weighted distribution function (R survey `qrule = "math"`).
    Math,
    /// Weighted interpolation (R survey `qrule = "hf7"`).
    Hf7,
    /// EU-SILC rule: mean of the two values when the cumulative share hits p exactly.
    Eusilc,
}

#[derive(Clone, Copy, ValueEnum)]
enum OutputFormat {
    Csv,
    Json,
}

#[derive(clap::Args)]
struct EstimateArgs {
    /// Survey file: .csv (header row; empty fields are missing values) or .parquet.
    #[arg(long)]
    data: PathBuf,
    /// Column of survey weights.
    #[arg(long)]
    weight: String,
    /// Column of strata.
    #[arg(long)]
    strata: Option<String>,
    /// Column of primary sampling units (without it, each record is its own PSU).
    #[arg(long)]
    psu: Option<String>,
    /// Column of the finite population correction: population number of PSUs in the stratum
    /// (> 1) or the sampling fraction (<= 1).
    #[arg(long)]
    fpc: Option<String>,
    /// Rule for strata with a single PSU.
    #[arg(long, value_enum, default_value = "fail")]
    lonely_psu: LonelyArg,
    /// Variance method.
    #[arg(long, value_enum, default_value = "linearization")]
    variance: VarianceArg,
    /// Number of bootstrap replicates.
    #[arg(long, default_value_t = 500)]
    replicates: usize,
    /// Seed of the bootstrap.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Replicate weight columns for `--variance supplied` (comma separated).
    #[arg(long, value_delimiter = ',')]
    replicate_weights: Vec<String>,
    /// Scale of supplied replicate weights (variance = scale · Σ (θ_r - θ̄)²).
    #[arg(long, default_value_t = 1.0)]
    replicate_scale: f64,
    /// Centre replicates on the full-sample estimate instead of their mean.
    #[arg(long)]
    mse: bool,
    /// total(X) | mean(X) | ratio(X, Y) | share(CONDITION) | quantile(X, P) | median(X) | arpr(X) | gini(X)
    #[arg(long)]
    stat: String,
    /// Rule for quantile(X, P).
    #[arg(long, value_enum, default_value = "math")]
    quantile_rule: QuantileRuleArg,
    /// SQL condition selecting the domain, e.g. "AGE BETWEEN 20 AND 64".
    #[arg(long = "where")]
    condition: Option<String>,
    /// Domain columns (comma separated).
    #[arg(long, value_delimiter = ',')]
    by: Vec<String>,
    /// Gap to a reference level: COL=REFERENCE_LEVEL.
    #[arg(long)]
    gap: Option<String>,
    /// Column whose levels each get their own poverty threshold (arpr).
    #[arg(long)]
    country: Option<String>,
    /// Derived column usable in --by: NAME=SQL expression (repeatable), e.g.
    /// "band=CASE WHEN AGE < 25 THEN 'young' ELSE 'older' END".
    #[arg(long = "derive")]
    derive: Vec<String>,
    /// Suppress figures with fewer respondents than this.
    #[arg(long, default_value_t = PublicationRules::DEFAULT.suppress_below_n)]
    min_n: u64,
    /// Flag figures with fewer respondents than this.
    #[arg(long, default_value_t = PublicationRules::DEFAULT.flag_below_n)]
    flag_n: u64,
    /// Flag figures whose CV exceeds this (fraction).
    #[arg(long, default_value_t = 0.20)]
    flag_cv: f64,
    /// Suppress figures whose CV exceeds this (fraction).
    #[arg(long, default_value_t = 0.35)]
    suppress_cv: f64,
    /// How shares are judged: NCHS proportion standards (effective sample size 30,
    /// Korn-Graubard width 0.30, relative width 130 % above 0.05) or the CV bands.
    #[arg(long, value_enum, default_value = "nchs")]
    share_rules: ShareRulesArg,
    /// Flag figures with fewer design degrees of freedom (0: no such rule).
    #[arg(long, default_value_t = 8)]
    flag_df: usize,
    /// Confidence level of the intervals.
    #[arg(long, default_value_t = 0.95)]
    confidence: f64,
    #[arg(long, value_enum, default_value = "csv")]
    output_format: OutputFormat,
    /// Write to this file instead of standard output.
    #[arg(long)]
    out: Option<PathBuf>,
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
        Command::Serve(a) => serve(a).await,
        Command::Generate(a) => generate(a),
        Command::Compute(a) => compute(a).await,
        Command::Estimate(a) => run_estimate(*a).await,
        Command::Scan(a) => {
            let (records, seconds) = incity_data::scan::bare_scan(&a.data, &a.columns).await?;
            println!(
                "{records} records, {} columns read in {seconds:.3} s",
                a.columns.len()
            );
            Ok(())
        }
        Command::Import(a) => import(a),
        Command::Validate(a) => validate(a),
        Command::ImportTable(a) => import_table(a).await,
        Command::Export(a) => export(a).await,
        Command::Sae(a) => sae::run(*a).await,
        Command::Plan(a) => plan::run(*a).await,
    }
}

fn file_progress_bar(files: &[PathBuf]) -> indicatif::ProgressBar {
    let total: u64 = files
        .iter()
        .filter_map(|f| std::fs::metadata(f).ok())
        .map(|m| m.len())
        .sum();
    let bar = indicatif::ProgressBar::new(total);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} {msg} [{bar:30}] {bytes}/{total_bytes} ({bytes_per_sec}, {eta})",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    bar
}

/// Reads microdata with a progress bar; `store` imports, otherwise validates only.
fn read_with_progress(
    input: &MicrodataArgs,
    store: Option<&incity_data::inputs::InputStore>,
) -> anyhow::Result<(
    incity_data::ingest::LoadReport,
    Vec<incity_data::inputs::Partition>,
)> {
    use incity_data::ingest::ReadOptions;
    let mapping = incity_data::mapping::Mapping::load(&input.mapping)?;
    let bar = file_progress_bar(&input.files);
    // Bytes of the files already finished, so the bar covers all files.
    let sizes: Vec<(PathBuf, u64)> = input
        .files
        .iter()
        .map(|f| {
            (
                f.clone(),
                std::fs::metadata(f).map(|m| m.len()).unwrap_or(0),
            )
        })
        .collect();
    let mut progress = |path: &Path, done: u64| {
        let before: u64 = sizes
            .iter()
            .take_while(|(p, _)| p != path)
            .map(|(_, s)| *s)
            .sum();
        bar.set_message(path.display().to_string());
        bar.set_position(before + done);
    };
    let options = ReadOptions {
        report_limit: input.show.max(if input.rejections.is_some() {
            usize::MAX
        } else {
            0
        }),
    };
    let result = match store {
        Some(s) => s.import(&mapping, &input.files, &options, &mut progress)?,
        None => (
            incity_data::inputs::validate(&mapping, &input.files, &options, &mut progress)?,
            Vec::new(),
        ),
    };
    bar.finish_and_clear();
    Ok(result)
}

fn print_report(
    report: &incity_data::ingest::LoadReport,
    input: &MicrodataArgs,
) -> anyhow::Result<()> {
    println!("mapping {}", report.mapping);
    for f in &report.files {
        println!(
            "{}: {} rows read, {} accepted, {} rejected (sha256 {})",
            f.file.display(),
            f.rows_read,
            f.rows_accepted,
            f.rows_rejected,
            &f.sha256[..16.min(f.sha256.len())]
        );
    }
    if !report.unavailable_concepts.is_empty() {
        println!(
            "not available (their file was not given): {}",
            report.unavailable_concepts.join(", ")
        );
    }
    if report.rejections_total > 0 {
        println!("{} rejections:", report.rejections_total);
        for r in report.rejections.iter().take(input.show) {
            println!("  {r}");
        }
        if report.rejections_total as usize > input.show {
            println!("  ... by column:");
            for (column, n) in &report.rejections_by_column {
                println!("    {column}: {n}");
            }
        }
    }
    if let Some(path) = &input.rejections {
        let mut w =
            csv::Writer::from_path(path).with_context(|| format!("writing {}", path.display()))?;
        w.write_record(["file", "line", "column", "value", "expected"])?;
        for r in &report.rejections {
            w.write_record([
                r.file.display().to_string(),
                r.line.to_string(),
                r.column.clone(),
                r.value.clone(),
                r.expected.clone(),
            ])?;
        }
        w.flush()?;
        println!("rejections written to {}", path.display());
    }
    Ok(())
}

fn import(a: ImportArgs) -> anyhow::Result<()> {
    let store = incity_data::inputs::InputStore::open(&a.data.data_dir.join("inputs"))?;
    let (report, partitions) = read_with_progress(&a.input, Some(&store))?;
    print_report(&report, &a.input)?;
    if !report.is_clean() {
        bail!(
            "{} of {} rows rejected: nothing was imported, the stored data are unchanged",
            report.rows_rejected(),
            report.rows_read()
        );
    }
    for p in &partitions {
        println!("stored {} ({} rows)", p.file, p.rows);
    }
    Ok(())
}

fn validate(a: ValidateArgs) -> anyhow::Result<()> {
    let (report, _) = read_with_progress(&a.input, None)?;
    print_report(&report, &a.input)?;
    if !report.is_clean() {
        bail!(
            "{} of {} rows rejected",
            report.rows_rejected(),
            report.rows_read()
        );
    }
    println!("valid: {} rows", report.rows_read());
    Ok(())
}

async fn import_table(a: ImportTableArgs) -> anyhow::Result<()> {
    let admin = match &a.mapping {
        Some(m) => Some(incity_data::mapping::AdminTableMapping::load(m)?),
        None => None,
    };
    let store = Store::open(&database_path(&a.data.data_dir)).await?;
    import_table_files(&store, &a.files, admin.as_ref()).await
}

fn database_path(data_dir: &Path) -> PathBuf {
    data_dir.join("incity.sqlite")
}

/// What [`write_demo`] wrote.
struct Demo {
    lfs: Option<PathBuf>,
    /// The register table (area covariates of the small-area models).
    register: Option<PathBuf>,
}

fn progress_bar(message: &'static str) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new_spinner();
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} {msg}: {human_pos} records ({per_sec}, {elapsed})",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
    );
    bar.set_message(message);
    bar
}

/// Generates the demonstration data set into `dir`.
fn write_demo(
    dir: &Path,
    config: SyntheticConfig,
    surveys: SurveysArg,
    truth: bool,
) -> anyhow::Result<Demo> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let population = Population::generate(config);
    // Independent samples per year (the default year keeps the seed's historic samples).
    let year_offset = (config.year - SyntheticConfig::default().year) as i64 as u64;
    let sample_seed = config
        .seed
        .wrapping_add(1)
        .wrapping_add(year_offset.wrapping_mul(1_000_003));
    let notice = dir.join("SYNTHETIC-DATA.txt");
    std::fs::write(
        &notice,
        format!(
            "The files in this directory are SYNTHETIC: drawn by `incity generate` (seed {}, \
             population scale {}, sample scale {}) from a simulated population whose parameters \
             are set from real Eurostat tables (Source: Eurostat; see data/synthetic/README.md \
             in the incity repository). They describe no real person or household. Never \
             present figures computed from them as statistics of the real population.\n",
            config.seed, config.population_scale, config.sample_scale
        ),
    )
    .with_context(|| format!("writing {}", notice.display()))?;
    let mut demo = Demo {
        lfs: None,
        register: None,
    };
    if surveys != SurveysArg::Silc {
        let lfs = dir.join(format!("lfs_{}.csv", config.year));
        let bar = progress_bar("synthetic EU-LFS");
        let written = write_lfs(&population, sample_seed, &lfs, &|n| bar.set_position(n))?;
        bar.finish();
        tracing::info!(records = written.records[0], file = %lfs.display(), "synthetic EU-LFS written");
        demo.lfs = Some(lfs);
    }
    if surveys != SurveysArg::Lfs {
        let bar = progress_bar("synthetic EU-SILC (R file)");
        let written = write_silc(&population, sample_seed.wrapping_add(1), dir, &|n| {
            bar.set_position(n)
        })?;
        bar.finish();
        tracing::info!(
            households = written.records[0],
            persons = written.records[1],
            "synthetic EU-SILC D, R, H, P files written"
        );
    }
    let register = dir.join(format!("register_{}.csv", config.year));
    let rows = incity_data::synthetic::write_register_csv(&population, &register)?;
    tracing::info!(rows, file = %register.display(), "synthetic register table written (small-area covariates)");
    demo.register = Some(register);
    if truth {
        let truth_path = dir.join(format!("truth_{}.csv", config.year));
        write_truth_csv(&population.truth(), &truth_path)?;
        tracing::info!(file = %truth_path.display(), "true population values written");
    }
    Ok(demo)
}

async fn serve(a: ServeArgs) -> anyhow::Result<()> {
    let db = database_path(&a.data.data_dir);
    let store = Store::open(&db).await?;
    if store.current_release().await?.is_none() {
        tracing::info!("no release yet: generating the synthetic demonstration data");
        let config = SyntheticConfig {
            seed: a.seed,
            ..SyntheticConfig::default()
        };
        let demo_dir = a.data.data_dir.join("demo");
        let demo = write_demo(&demo_dir, config, SurveysArg::Both, true)?;
        let inputs = incity_data::inputs::InputStore::open(&a.data.data_dir.join("inputs"))?;
        let silc: Vec<PathBuf> = ["silc_d.csv", "silc_r.csv", "silc_h.csv", "silc_p.csv"]
            .iter()
            .map(|f| demo_dir.join(f))
            .collect();
        let lfs = vec![demo_dir.join(format!("lfs_{}.csv", config.year))];
        for (mapping, files) in [("eu-lfs", lfs), ("eu-silc", silc)] {
            let mapping = incity_data::mapping::Mapping::load(mapping)?;
            let (report, _) = inputs.import(
                &mapping,
                &files,
                &incity_data::ingest::ReadOptions::default(),
                &mut |_, _| {},
            )?;
            if !report.is_clean() {
                bail!(
                    "the demonstration data did not validate: {}",
                    report
                        .rejections
                        .first()
                        .map(|r| r.to_string())
                        .unwrap_or_default()
                );
            }
        }
        if let Some(register) = &demo.register {
            import_table_files(&store, std::slice::from_ref(register), None).await?;
        }
        let catalogue = incity_indicators::Catalogue::embedded();
        let rules = incity_indicators::rules::RuleSet::load("default")?;
        compute_and_publish(
            &store,
            &inputs,
            ComputeRequest {
                catalogue,
                synthetic: true,
                generator_seed: Some(a.seed),
                force: false,
                rule_set: &rules,
                pool_years: 0,
            },
        )
        .await?;
    }
    load_shipped_tables(&store).await?;
    let addr = SocketAddr::new(a.bind, a.port);
    tracing::info!("incity portal on http://{addr}");
    incity_portal::serve(AppState { store }, addr)
        .await
        .with_context(|| format!("serving on {addr}"))
}

/// Computes the catalogue over the input store and publishes the release, unless the served
/// release already has the same inputs, catalogue and rules (and `force` is off). Returns the
/// release id, or `None` when nothing changed.
/// What a compute run is asked to do.
struct ComputeRequest<'a> {
    catalogue: &'a incity_indicators::Catalogue,
    synthetic: bool,
    generator_seed: Option<u64>,
    force: bool,
    rule_set: &'a incity_indicators::rules::RuleSet,
    pool_years: u32,
}

async fn compute_and_publish(
    store: &Store,
    inputs: &incity_data::inputs::InputStore,
    request: ComputeRequest<'_>,
) -> anyhow::Result<Option<i64>> {
    let ComputeRequest {
        catalogue,
        synthetic,
        generator_seed,
        force,
        rule_set,
        pool_years,
    } = request;
    use sha2::{Digest, Sha256};
    let manifest = inputs.manifest()?;
    if manifest.partition.is_empty() {
        bail!(
            "the input store {} is empty: run `incity import` first",
            inputs.root().display()
        );
    }
    let mut sources: std::collections::BTreeMap<String, Vec<PathBuf>> = Default::default();
    let mut descriptions = Vec::new();
    for p in &manifest.partition {
        sources
            .entry(p.source.clone())
            .or_default()
            .push(inputs.partition_path(p));
        descriptions.push(format!(
            "{}/{}/{} {} sha256 {} rows {} mapping {}",
            p.source, p.country, p.year, p.file, p.sha256, p.rows, p.mapping
        ));
    }
    let covariates = load_covariates(store, catalogue).await?;
    if let Some((_, line)) = &covariates {
        descriptions.push(line.clone());
    }
    let rules_name = rule_set.describe();
    let method = incity_indicators::method_description(pool_years, rule_set);
    let fingerprint = hex_digest(Sha256::digest(descriptions.join("\n").as_bytes()).as_slice());
    if !force {
        if let Some(current) = store.current_release().await? {
            let p = &current.provenance;
            if p.input_sha256 == fingerprint
                && p.catalogue_version == catalogue.version
                && p.rules == rules_name
                && p.method == method
            {
                println!(
                    "release {} is up to date (same inputs, catalogue {}, rules and method): nothing recomputed",
                    current.id, catalogue.version
                );
                return Ok(None);
            }
        }
    }
    let settings = ComputeSettings {
        inputs: sources
            .into_iter()
            .map(|(source, files)| incity_indicators::SourceInput { source, files })
            .collect(),
        input_descriptions: descriptions,
        input_sha256: fingerprint,
        synthetic,
        generator_seed,
        rules: rule_set.clone(),
        pool_years,
        covariates: covariates.map(|(c, _)| c),
    };
    let bar = indicatif::ProgressBar::new_spinner();
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    let progress = |line: &str| bar.set_message(line.to_string());
    let release = compute_release(&settings, catalogue, &progress).await?;
    bar.finish_and_clear();
    let suppressed = release
        .figures
        .iter()
        .filter(|f| f.estimate.figures.is_none())
        .count();
    let flagged = release
        .figures
        .iter()
        .filter(|f| f.estimate.flag == incity_estimation::Flag::LowReliability)
        .count();
    let id = store.publish(&release).await?;
    report_models(catalogue, &release);
    println!(
        "release {id}: {} figures ({} suppressed, {} flagged low reliability) for {} indicators from {} partitions in {} s",
        release.figures.len(),
        suppressed,
        flagged,
        catalogue.indicators.len(),
        release.provenance.inputs.len(),
        release.provenance.finished_at - release.provenance.started_at
    );
    Ok(Some(id))
}

fn hex_digest(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn generate(a: GenerateArgs) -> anyhow::Result<()> {
    if !(a.population_scale > 0.0 && a.population_scale <= 1.0) {
        bail!("--population-scale must lie in (0, 1]");
    }
    if a.sample_scale.is_nan() || a.sample_scale <= 0.0 {
        bail!("--sample-scale must be positive");
    }
    let config = SyntheticConfig {
        seed: a.seed,
        population_scale: a.population_scale,
        sample_scale: a.sample_scale,
        year: a.year,
    };
    write_demo(&a.out, config, a.surveys, !a.no_truth)?;
    Ok(())
}

async fn compute(a: ComputeArgs) -> anyhow::Result<()> {
    let store = Store::open(&database_path(&a.data.data_dir)).await?;
    let inputs = incity_data::inputs::InputStore::open(&a.data.data_dir.join("inputs"))?;
    let loaded;
    let catalogue = match &a.catalogue {
        Some(dir) => {
            loaded = incity_indicators::Catalogue::load(dir)?;
            &loaded
        }
        None => incity_indicators::Catalogue::embedded(),
    };
    let rules = incity_indicators::rules::RuleSet::load(&a.rules)?;
    compute_and_publish(
        &store,
        &inputs,
        ComputeRequest {
            catalogue,
            synthetic: a.synthetic,
            generator_seed: None,
            force: a.force,
            rule_set: &rules,
            pool_years: a.pool_years,
        },
    )
    .await?;
    Ok(())
}

async fn run_estimate(a: EstimateArgs) -> anyhow::Result<()> {
    let statistic: Statistic = a.stat.parse()?;
    let gap = match &a.gap {
        None => None,
        Some(g) => match g.split_once('=') {
            Some((col, level)) if !col.is_empty() && !level.is_empty() => {
                Some((col.to_string(), level.to_string()))
            }
            _ => bail!("--gap `{g}`: expected COLUMN=REFERENCE_LEVEL"),
        },
    };
    if matches!(a.variance, VarianceArg::Bootstrap) && a.replicates < 2 {
        bail!("--replicates must be at least 2");
    }
    if !(a.confidence > 0.0 && a.confidence < 1.0) {
        bail!("--confidence must lie strictly between 0 and 1");
    }
    let mut derived = Vec::new();
    for d in &a.derive {
        match d.split_once('=') {
            Some((name, sql)) if !name.trim().is_empty() && !sql.trim().is_empty() => {
                derived.push((name.trim().to_string(), sql.to_string()))
            }
            _ => bail!("--derive `{d}`: expected NAME=SQL_EXPRESSION"),
        }
    }
    let request = EstimateRequest {
        data: a.data.clone(),
        design: DesignColumns {
            weight: a.weight.clone(),
            strata: a.strata.clone(),
            psu: a.psu.clone(),
            fpc: a.fpc.clone(),
            lonely_psu: match a.lonely_psu {
                LonelyArg::Fail => LonelyPsuRule::Fail,
                LonelyArg::Certainty => LonelyPsuRule::Certainty,
                LonelyArg::Adjust => LonelyPsuRule::Adjust,
                LonelyArg::Average => LonelyPsuRule::Average,
                LonelyArg::Collapse => LonelyPsuRule::Collapse,
            },
        },
        variance: match a.variance {
            VarianceArg::Linearization => VarianceChoice::Linearization,
            VarianceArg::Jk1 => VarianceChoice::Jk1,
            VarianceArg::Jkn => VarianceChoice::Jkn,
            VarianceArg::Bootstrap => VarianceChoice::Bootstrap {
                replicates: a.replicates,
                seed: a.seed,
            },
            VarianceArg::Supplied => VarianceChoice::Supplied {
                columns: a.replicate_weights.clone(),
                scale: a.replicate_scale,
            },
        },
        mse: a.mse,
        statistic,
        quantile_rule: match a.quantile_rule {
            QuantileRuleArg::Math => QuantileRule::InverseCdf,
            QuantileRuleArg::Hf7 => QuantileRule::Interpolated,
            QuantileRuleArg::Eusilc => QuantileRule::EuSilc,
        },
        condition: a.condition.clone(),
        by: a.by.clone(),
        gap,
        country: a.country.clone(),
        rules: PublicationRules {
            suppress_below_n: a.min_n,
            flag_below_n: a.flag_n,
            flag_above_cv: Some(a.flag_cv),
            suppress_above_cv: Some(a.suppress_cv),
            population_thresholds: None,
            proportions: match a.share_rules {
                ShareRulesArg::Nchs => Some(ProportionRules::NCHS),
                ShareRulesArg::Cv => None,
            },
            flag_below_df: (a.flag_df > 0).then_some(a.flag_df),
        },
        confidence: a.confidence,
        derived,
    };
    let table = estimate(&request).await?;
    let text = match a.output_format {
        OutputFormat::Csv => to_csv(&table)?,
        OutputFormat::Json => to_json(&table)?,
    };
    match &a.out {
        Some(path) => {
            std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?
        }
        None => std::io::stdout().write_all(text.as_bytes())?,
    }
    Ok(())
}

const RESULT_COLUMNS: [&str; 11] = [
    "estimate",
    "se",
    "ci_low",
    "ci_high",
    "cv",
    "n",
    "population",
    "deff",
    "df",
    "flag",
    "flag_reason",
];

fn result_fields(row: &incity_data::survey::EstimateRow) -> Vec<String> {
    // Not estimable (a 0 % share's standard error) and infinite degrees of freedom (the
    // normal quantile) are empty fields.
    let num = |v: Option<f64>| {
        v.filter(|v| v.is_finite())
            .map(|v| v.to_string())
            .unwrap_or_default()
    };
    let reason = row
        .estimate
        .reason
        .map(|r| r.code().to_string())
        .unwrap_or_default();
    match row.estimate.figures {
        Some(f) => vec![
            f.estimate.to_string(),
            num(Some(f.se)),
            f.ci_low.to_string(),
            f.ci_high.to_string(),
            num(f.cv),
            f.n.to_string(),
            f.population.to_string(),
            num(f.deff),
            degrees_of_freedom(f.df),
            row.estimate.flag.code().to_string(),
            reason,
        ],
        None => {
            let mut v = vec![String::new(); 9];
            v.push(row.estimate.flag.code().to_string());
            v.push(reason);
            v
        }
    }
}

/// Degrees of freedom as written: empty for the normal quantile (infinite).
fn degrees_of_freedom(df: usize) -> String {
    if df == usize::MAX {
        String::new()
    } else {
        df.to_string()
    }
}

fn to_csv(t: &EstimateTable) -> anyhow::Result<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header: Vec<&str> = t.by.iter().map(String::as_str).collect();
    header.extend(RESULT_COLUMNS);
    w.write_record(&header)?;
    for row in &t.rows {
        let mut rec = row.domain.clone();
        rec.extend(result_fields(row));
        w.write_record(&rec)?;
    }
    Ok(String::from_utf8(w.into_inner()?)?)
}

fn to_json(t: &EstimateTable) -> anyhow::Result<String> {
    let rows: Vec<serde_json::Value> = t
        .rows
        .iter()
        .map(|row| {
            let mut m = serde_json::Map::new();
            for (k, v) in t.by.iter().zip(&row.domain) {
                m.insert(k.clone(), serde_json::Value::String(v.clone()));
            }
            m.insert("is_gap".into(), row.is_gap.into());
            if let Some(f) = row.estimate.figures {
                m.insert("estimate".into(), f.estimate.into());
                m.insert("se".into(), f.se.into());
                m.insert("ci_low".into(), f.ci_low.into());
                m.insert("ci_high".into(), f.ci_high.into());
                m.insert("cv".into(), f.cv.into());
                m.insert("n".into(), f.n.into());
                m.insert("population".into(), f.population.into());
                m.insert("deff".into(), f.deff.into());
                // Infinite degrees of freedom (normal quantile): null.
                m.insert(
                    "df".into(),
                    (f.df != usize::MAX).then_some(f.df as u64).into(),
                );
            }
            m.insert("flag".into(), row.estimate.flag.code().into());
            m.insert(
                "flag_reason".into(),
                row.estimate.reason.map(|r| r.code()).into(),
            );
            serde_json::Value::Object(m)
        })
        .collect();
    Ok(serde_json::to_string_pretty(&rows)? + "\n")
}

async fn export(a: ExportArgs) -> anyhow::Result<()> {
    use incity_indicators::{export, GeoLevel};
    let store = Store::open(&database_path(&a.data.data_dir)).await?;
    let release = store
        .current_release()
        .await?
        .context("no release has been published yet: run `incity compute`")?;
    let geo_level = match &a.level {
        Some(l) => Some(GeoLevel::from_code(l).with_context(|| {
            format!(
                "--level {l}: expected one of {}",
                GeoLevel::ALL.map(|l| l.code()).join(", ")
            )
        })?),
        None => None,
    };
    if let Some(s) = &a.sex {
        if !["T", "M", "F"].contains(&s.as_str()) {
            bail!("--sex {s}: expected T, M or F");
        }
    }
    let filter = incity_store::FigureFilter {
        indicator: a.indicator.clone(),
        geo_level,
        geo: a.geo.clone(),
        sex: a.sex.clone(),
    };
    let figures = store.figures(release.id, &filter).await?;
    if figures.is_empty() {
        bail!("no figure matches the filter");
    }
    let synthetic = release.provenance.synthetic;
    match a.format {
        ExportFormat::Csv => export::write_csv(&a.out, release.id, synthetic, &figures)?,
        ExportFormat::Parquet => export::write_parquet(&a.out, release.id, synthetic, &figures)?,
        ExportFormat::SdmxCsv => export::sdmx_table(release.id, &figures).write(&a.out)?,
        ExportFormat::Json => {
            let rows: Vec<serde_json::Value> = figures
                .iter()
                .map(|f| {
                    let mut o = serde_json::json!({
                        "indicator": f.indicator, "source": f.source,
                        "first_year": f.first_year, "year": f.year,
                        "geo_level": f.geo_level.code(), "geo": f.geo,
                        "geo_name": incity_indicators::geo_name(&f.geo),
                        "grouping": f.grouping, "group": f.group, "sex": f.sex,
                        "measure": f.measure.code(), "flag": f.estimate.flag.code(),
                    });
                    if let Some(x) = f.estimate.figures {
                        o["estimate"] = x.estimate.into();
                        o["se"] = x.se.into();
                        o["ci_low"] = x.ci_low.into();
                        o["ci_high"] = x.ci_high.into();
                        o["cv"] = x.cv.into();
                        o["n"] = x.n.into();
                        o["population"] = x.population.into();
                        o["deff"] = x.deff.into();
                    }
                    o
                })
                .collect();
            let doc = serde_json::json!({
                "release": release.id,
                "synthetic": synthetic,
                "catalogue_version": release.provenance.catalogue_version,
                "rules": release.provenance.rules,
                "figures": rows,
            });
            std::fs::write(&a.out, serde_json::to_string_pretty(&doc)?)
                .with_context(|| format!("writing {}", a.out.display()))?;
        }
    }
    println!(
        "{} figures of release {} written to {}{}",
        figures.len(),
        release.id,
        a.out.display(),
        if synthetic { " (synthetic data)" } else { "" }
    );
    Ok(())
}
