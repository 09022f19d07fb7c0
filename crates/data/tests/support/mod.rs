//! Helpers shared by the reader tests: an import into a fresh input store that must be clean,
//! and the stored rows read back from the store's Parquet partitions.

use std::collections::BTreeMap;
use std::path::PathBuf;

use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::datatypes::{Float64Type, Int32Type};
use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use incity_data::ingest::ReadOptions;
use incity_data::inputs::InputStore;
use incity_data::mapping::Mapping;

/// Imports `files` into a new store; the load must be clean.
pub fn import(mapping: &Mapping, files: &[PathBuf]) -> (tempfile::TempDir, InputStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = InputStore::open(&dir.path().join("inputs")).unwrap();
    let (report, parts) = store
        .import(mapping, files, &ReadOptions::default(), &mut |_, _| {})
        .unwrap();
    assert!(
        report.is_clean(),
        "{}",
        report
            .rejections
            .first()
            .map(|r| r.to_string())
            .unwrap_or_default()
    );
    assert_eq!(report.rows_rejected(), 0);
    assert!(!parts.is_empty());
    (dir, store)
}

/// All stored rows of one source: column name → values as text (None = missing).
pub fn stored(store: &InputStore, source: &str) -> BTreeMap<String, Vec<Option<String>>> {
    let mut out: BTreeMap<String, Vec<Option<String>>> = BTreeMap::new();
    for p in store
        .manifest()
        .unwrap()
        .partition
        .iter()
        .filter(|p| p.source == source)
    {
        let file = std::fs::File::open(store.partition_path(p)).unwrap();
        assert_eq!(
            incity_data::sha256_file(&store.partition_path(p)).unwrap(),
            p.sha256
        );
        let reader = ParquetRecordBatchReaderBuilder::try_new(file)
            .unwrap()
            .build()
            .unwrap();
        let mut rows = 0;
        for batch in reader {
            let batch = batch.unwrap();
            rows += batch.num_rows() as u64;
            for (i, field) in batch.schema().fields().iter().enumerate() {
                let col = batch.column(i);
                let values = out.entry(field.name().clone()).or_default();
                for r in 0..col.len() {
                    values.push(if col.is_null(r) {
                        None
                    } else if let Some(s) = col.as_string_opt::<i32>() {
                        Some(s.value(r).to_string())
                    } else if let Some(x) = col.as_primitive_opt::<Int32Type>() {
                        Some(x.value(r).to_string())
                    } else {
                        Some(format!("{}", col.as_primitive::<Float64Type>().value(r)))
                    });
                }
            }
        }
        assert_eq!(rows, p.rows);
    }
    out
}
