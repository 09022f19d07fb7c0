//! `incity export`: the served release, or a filtered part, as CSV, JSON, Parquet or SDMX-CSV.

use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::ValueEnum;
use incity_store::Store;

use crate::DataDirArg;

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ExportFormat {
    Csv,
    Json,
    Parquet,
    SdmxCsv,
}

#[derive(clap::Args)]
pub(crate) struct ExportArgs {
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
    /// The administrative indicators (active citizenship: two tables of counts each, from the
    /// stored tables) instead of the release's survey figures; CSV only.
    #[arg(long)]
    administrative: bool,
}

pub(crate) async fn run(a: ExportArgs) -> anyhow::Result<()> {
    use incity_pipeline::export;
    let store = a.data.open_store().await?;
    if a.administrative {
        return export_administrative(&a, &store).await;
    }
    let release = store
        .current_release()
        .await?
        .context("no release has been published yet: run `incity compute`")?;
    let geo_level = match &a.level {
        Some(l) => Some(crate::parse_level(l)?),
        None => None,
    };
    let sex = match &a.sex {
        Some(s) => Some(crate::parse_sex(s)?),
        None => None,
    };
    let filter = incity_store::FigureFilter {
        indicator: a.indicator.clone(),
        geo_level,
        geo: a.geo.clone(),
        sex,
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
            let rows: Vec<serde_json::Value> = figures.iter().map(crate::figure_json).collect();
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

/// `export --administrative`: the administrative figures, filtered as the release's are.
async fn export_administrative(a: &ExportArgs, store: &Store) -> anyhow::Result<()> {
    if a.format != ExportFormat::Csv {
        bail!("administrative figures are exported as CSV (--format csv)");
    }
    let (figures, problems) = store
        .administrative_figures(incity_indicators::Catalogue::embedded())
        .await?;
    for (indicator, problem) in problems {
        eprintln!("administrative indicator {indicator} left out: {problem}");
    }
    let level = match &a.level {
        Some(l) => Some(crate::parse_level(l)?),
        None => None,
    };
    let figures: Vec<_> = figures
        .into_iter()
        .filter(|f| a.indicator.as_ref().is_none_or(|i| &f.indicator == i))
        .filter(|f| level.is_none_or(|l| f.geo_level == l))
        .filter(|f| a.geo.as_ref().is_none_or(|g| &f.geo == g))
        .filter(|f| a.sex.as_ref().is_none_or(|s| &f.sex == s))
        .collect();
    if figures.is_empty() {
        bail!(
            "no administrative figure matches the filter (load the tables with `incity import-table`; `serve` loads the synthetic ones on first start)"
        );
    }
    // Marked synthetic when the served release is: `serve` loads the generator's tables with
    // the synthetic Europe.
    let synthetic = store
        .current_release()
        .await?
        .is_some_and(|r| r.provenance.synthetic);
    incity_pipeline::export::write_administrative_csv(&a.out, synthetic, &figures)?;
    println!(
        "{} administrative figures written to {}",
        figures.len(),
        a.out.display()
    );
    Ok(())
}
