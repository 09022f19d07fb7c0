//! Published and administrative tables into the store: `import-table`, the shipped Eurostat
//! tables, and the synthetic register table on first start.

use std::path::{Path, PathBuf};

use incity_store::Store;

/// A published table as the store keeps it: every observation with its flags, and whether
/// it is confidential.
pub fn table_record(
    table: &incity_data::published::PublishedTable,
    source_file: String,
    sha256: String,
) -> incity_store::PublishedTableRecord {
    incity_store::PublishedTableRecord {
        dataset: table.dataset.clone(),
        format: table.format.name().to_string(),
        source_file,
        sha256,
        dimensions: table.dimensions.clone(),
        observations: table
            .observations
            .iter()
            .map(|o| incity_store::PublishedObservation {
                key: o.key.clone(),
                time: o.time.clone(),
                value: o.value,
                value_text: o.value_text.clone(),
                flags: o.flags.clone(),
                confidential: o.is_confidential(table),
            })
            .collect(),
    }
}

/// Loads the Eurostat tables shipped with incity that the catalogue compares computed figures
/// with, unless a table of the same dataset is already stored (a newer one loaded by
/// `incity import-table` is kept).
pub async fn load_shipped_tables(store: &Store) -> anyhow::Result<()> {
    use sha2::{Digest, Sha256};
    let stored = store.published_tables().await?;
    for (file, text) in incity_data::published::SHIPPED_TABLES {
        let table = incity_data::published::PublishedTable::parse_sdmx_csv(Path::new(file), text)?;
        if stored.iter().any(|t| t.dataset == table.dataset) {
            continue;
        }
        let sha = crate::compute::hex_digest(Sha256::digest(text.as_bytes()).as_slice());
        store
            .load_published(&table_record(&table, format!("shipped: {file}"), sha))
            .await?;
        tracing::info!(dataset = %table.dataset, "shipped Eurostat table loaded");
    }
    Ok(())
}

/// Reads every file first (one bad file and nothing is loaded), then loads each table.
pub async fn import_table_files(
    store: &Store,
    files: &[PathBuf],
    admin: Option<&incity_data::mapping::AdminTableMapping>,
) -> anyhow::Result<()> {
    use incity_data::published::PublishedTable;
    let mut records = Vec::new();
    for path in files {
        let table = match admin {
            Some(m) => PublishedTable::read_admin_csv(path, m)?,
            None => PublishedTable::read(path)?,
        };
        records.push(table_record(
            &table,
            path.display().to_string(),
            incity_data::sha256_file(path)?,
        ));
    }
    for r in &records {
        store.load_published(r).await?;
        let flagged = r
            .observations
            .iter()
            .filter(|o| !o.flags.is_empty())
            .count();
        println!(
            "{}: {} ({}) — {} observations, {} flagged, from {}",
            r.dataset,
            r.format,
            r.dimensions.join(","),
            r.observations.len(),
            flagged,
            r.source_file
        );
    }
    Ok(())
}
