//! `incity import`, `incity validate` and `incity import-table`: microdata through a mapping into
//! the input store (all or nothing), and published tables into the database.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};

use crate::tables::import_table_files;
use crate::DataDirArg;

#[derive(clap::Args)]
struct MicrodataArgs {
    /// A shipped mapping (eu-lfs, eu-silc, eu-silc-2020, laeken-eusilc) or a mapping file.
    #[arg(long)]
    mapping: String,
    /// Input files (CSV, Parquet, SAS .sas7bdat, Stata .dta or SPSS .sav); for eu-silc the D, R,
    /// H and P files.
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
pub(crate) struct ImportArgs {
    #[command(flatten)]
    data: DataDirArg,
    #[command(flatten)]
    input: MicrodataArgs,
}

#[derive(clap::Args)]
pub(crate) struct ValidateArgs {
    #[command(flatten)]
    input: MicrodataArgs,
}

#[derive(clap::Args)]
pub(crate) struct ImportTableArgs {
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
    for note in &report.notes {
        println!("note: {note}");
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

pub(crate) fn import(a: ImportArgs) -> anyhow::Result<()> {
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

pub(crate) fn validate(a: ValidateArgs) -> anyhow::Result<()> {
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

pub(crate) async fn import_table(a: ImportTableArgs) -> anyhow::Result<()> {
    let admin = match &a.mapping {
        Some(m) => Some(incity_data::mapping::AdminTableMapping::load(m)?),
        None => None,
    };
    let store = a.data.open_store().await?;
    import_table_files(&store, &a.files, admin.as_ref()).await
}
