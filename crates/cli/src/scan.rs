//! `incity scan`: read the given columns of a file once (the baseline of benchmarks).

use std::path::PathBuf;

#[derive(clap::Args)]
pub(crate) struct ScanArgs {
    #[arg(long)]
    data: PathBuf,
    /// Columns to read (comma separated).
    #[arg(long, value_delimiter = ',', required = true)]
    columns: Vec<String>,
}

pub(crate) async fn run(a: ScanArgs) -> anyhow::Result<()> {
    let (records, seconds) = incity_data::scan::bare_scan(&a.data, &a.columns).await?;
    println!(
        "{records} records, {} columns read in {seconds:.3} s",
        a.columns.len()
    );
    Ok(())
}
