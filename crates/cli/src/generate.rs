//! `incity generate`: the synthetic Europe's survey files, register tables and true values.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use incity_synthetic::{
    write_lfs_rotating, write_silc, write_truth_csv, Population, SyntheticConfig,
};

#[derive(clap::Args)]
pub(crate) struct GenerateArgs {
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
    /// Survey year. The population is the same for every year (same seed), so pooled
    /// estimates have the same truth; each year's samples are drawn independently unless
    /// `--lfs-rotation` is given.

    #[arg(long, default_value_t = SyntheticConfig::default().year, value_parser = clap::value_parser!(i32).range(2000..=2100))]
    year: i32,
    /// Share of the EU-LFS clusters two consecutive years share (e.g. 0.5, as the EU-LFS
    /// rotation keeps about half of a quarter's households a year later); 0 draws each
    /// year's sample independently. Years are chained from 2024 (the default year).
    #[arg(long, default_value_t = 0.0)]
    lfs_rotation: f64,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum SurveysArg {
    Lfs,
    Silc,
    Both,
}

pub(crate) fn run(a: GenerateArgs) -> anyhow::Result<()> {
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
    if !(0.0..=1.0).contains(&a.lfs_rotation) {
        bail!(
            "--lfs-rotation {}: expected a share from 0 to 1",
            a.lfs_rotation
        );
    }
    write_demo(&a.out, config, a.surveys, !a.no_truth, a.lfs_rotation)?;
    Ok(())
}

/// What [`write_demo`] wrote.
pub(crate) struct Demo {
    pub(crate) lfs: Option<PathBuf>,
    /// The register table (area covariates of the small-area models).
    pub(crate) register: Option<PathBuf>,
    /// The administrative tables of the active-citizenship indicators.
    pub(crate) citizenship: Vec<PathBuf>,
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
pub(crate) fn write_demo(
    dir: &Path,
    config: SyntheticConfig,
    surveys: SurveysArg,
    truth: bool,
    lfs_rotation: f64,
) -> anyhow::Result<Demo> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let population = Population::generate(config);
    let sample_seed = config.sample_seed(config.year);
    let rotation = config
        .lfs_rotation(lfs_rotation)
        .filter(|_| lfs_rotation > 0.0);
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
        citizenship: Vec::new(),
    };
    if surveys != SurveysArg::Silc {
        let lfs = dir.join(format!("lfs_{}.csv", config.year));
        let bar = progress_bar("synthetic EU-LFS");
        let written =
            write_lfs_rotating(&population, sample_seed, rotation.as_ref(), &lfs, &|n| {
                bar.set_position(n)
            })?;
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
    let rows = incity_synthetic::write_register_csv(&population, &register)?;
    tracing::info!(rows, file = %register.display(), "synthetic register table written (small-area covariates)");
    demo.register = Some(register);
    demo.citizenship = incity_synthetic::write_citizenship_tables(&population, dir)?;
    tracing::info!(
        files = demo.citizenship.len(),
        "synthetic administrative tables written (citizenship acquisitions, residence permits)"
    );
    if truth {
        let truth_path = dir.join(format!("truth_{}.csv", config.year));
        write_truth_csv(&population.truth(), &truth_path)?;
        tracing::info!(file = %truth_path.display(), "true population values written");
    }
    Ok(demo)
}
