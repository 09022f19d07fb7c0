//! The store of imported microdata: harmonised Parquet files partitioned by source, country
//! and year, listed in a manifest with checksums, row counts and the mapping used.
//!
//! ```text
//! inputs/
//!   manifest.toml                                   the commit point
//!   source=lfs/country=AT/year=2024/part-1f2e3d4c5b6a7988.parquet
//!   .staging-<pid>-<nanos>/                         an import in progress
//! ```
//!
//! **Invariant: an import either completes or changes nothing.** Rows are written to a staging
//! directory; only a clean load is committed: its files are moved next to the live ones under
//! new, content-addressed names, and the manifest is replaced by writing a new file and
//! renaming it over the old one (atomic on POSIX file systems). Readers go through the
//! manifest, so they see either the old or the new set of partitions, never a mix. Files no
//! manifest refers to (from an interrupted import) are removed at the next import. One import
//! at a time: a lock file refuses a second (and is taken over if its process was killed).

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use datafusion::parquet::arrow::ArrowWriter;
use datafusion::parquet::basic::{Compression, ZstdLevel};
use datafusion::parquet::file::properties::WriterProperties;
use serde::{Deserialize, Serialize};

use crate::ingest::{
    read_microdata, BatchBuilder, HarmonisedRow, LoadReport, ReadOptions, RowSink,
};
use crate::mapping::Mapping;
use crate::DataError;

/// One input file of a partition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InputFile {
    pub path: String,
    pub sha256: String,
    pub rows: u64,
}

/// One partition of the store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Partition {
    pub source: String,
    pub country: String,
    pub year: i32,
    /// Path relative to the store root.
    pub file: String,
    pub rows: u64,
    pub sha256: String,
    pub mapping: String,
    pub mapping_origin: String,
    pub mapping_sha256: String,
    pub inputs: Vec<InputFile>,
    /// Seconds since the Unix epoch.
    pub imported_at: u64,
}

/// The manifest: every live partition.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Manifest {
    #[serde(default)]
    pub partition: Vec<Partition>,
}

/// The input store at a directory.
#[derive(Debug, Clone)]
pub struct InputStore {
    root: PathBuf,
}

const MANIFEST: &str = "manifest.toml";
const BATCH_ROWS: usize = 65_536;

impl InputStore {
    pub fn open(root: &Path) -> Result<InputStore, DataError> {
        fs::create_dir_all(root).map_err(|e| DataError::io(root, e))?;
        Ok(InputStore {
            root: root.to_path_buf(),
        })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn manifest(&self) -> Result<Manifest, DataError> {
        let path = self.root.join(MANIFEST);
        match fs::read_to_string(&path) {
            Ok(text) => toml::from_str(&text).map_err(|e| DataError::Mapping {
                file: path,
                message: e.to_string(),
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Manifest::default()),
            Err(e) => Err(DataError::io(&path, e)),
        }
    }

    /// Absolute path of a partition's file.
    pub fn partition_path(&self, p: &Partition) -> PathBuf {
        self.root.join(&p.file)
    }

    /// Validates `files` through `mapping` and, if every record is accepted, commits their
    /// harmonised rows as partitions (replacing partitions with the same source, country and
    /// year). Otherwise nothing is stored; the report says why.
    pub fn import(
        &self,
        mapping: &Mapping,
        files: &[PathBuf],
        options: &ReadOptions,
        progress: &mut dyn FnMut(&Path, u64),
    ) -> Result<(LoadReport, Vec<Partition>), DataError> {
        let _lock = Lock::acquire(&self.root)?;
        self.collect_garbage()?;
        let staging = self
            .root
            .join(format!(".staging-{}-{}", std::process::id(), now_nanos()));
        fs::create_dir_all(&staging).map_err(|e| DataError::io(&staging, e))?;
        let result = self.import_staged(mapping, files, options, progress, &staging);
        let _ = fs::remove_dir_all(&staging);
        result
    }

    fn import_staged(
        &self,
        mapping: &Mapping,
        files: &[PathBuf],
        options: &ReadOptions,
        progress: &mut dyn FnMut(&Path, u64),
        staging: &Path,
    ) -> Result<(LoadReport, Vec<Partition>), DataError> {
        let mut sink = PartitionSink {
            dir: staging.to_path_buf(),
            writers: BTreeMap::new(),
        };
        let report = read_microdata(mapping, files, options, &mut sink, progress)?;
        if !report.is_clean() {
            return Ok((report, Vec::new()));
        }
        let staged = sink.finish()?;
        if staged.is_empty() {
            return Ok((report, Vec::new()));
        }
        let imported_at = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let inputs: Vec<InputFile> = report
            .files
            .iter()
            .map(|f| InputFile {
                path: f.file.display().to_string(),
                sha256: f.sha256.clone(),
                rows: f.rows_read,
            })
            .collect();
        let mut new_partitions = Vec::new();
        for ((country, year), (path, rows)) in staged {
            let sha = crate::sha256_file(&path)?;
            let rel = format!(
                "source={}/country={}/year={}/part-{}.parquet",
                mapping.source,
                country,
                year,
                &sha[..16]
            );
            let dest = self.root.join(&rel);
            if let Some(parent) = dest.parent() {
                fs::create_dir_all(parent).map_err(|e| DataError::io(parent, e))?;
            }
            fs::rename(&path, &dest).map_err(|e| DataError::io(&dest, e))?;
            new_partitions.push(Partition {
                source: mapping.source.clone(),
                country,
                year,
                file: rel,
                rows,
                sha256: sha,
                mapping: mapping.name.clone(),
                mapping_origin: mapping.origin.clone(),
                mapping_sha256: mapping.sha256.clone(),
                inputs: inputs.clone(),
                imported_at,
            });
        }
        crate::pause_point("import-before-manifest");
        // Commit: the new manifest replaces the old one in one rename.
        let mut manifest = self.manifest()?;
        manifest.partition.retain(|p| {
            !new_partitions
                .iter()
                .any(|n| n.source == p.source && n.country == p.country && n.year == p.year)
        });
        manifest.partition.extend(new_partitions.iter().cloned());
        manifest
            .partition
            .sort_by(|a, b| (&a.source, &a.country, a.year).cmp(&(&b.source, &b.country, b.year)));
        self.write_manifest(&manifest)?;
        self.collect_garbage()?;
        Ok((report, new_partitions))
    }

    fn write_manifest(&self, manifest: &Manifest) -> Result<(), DataError> {
        let text = toml::to_string(manifest).map_err(|e| DataError::Internal(e.to_string()))?;
        let tmp = self.root.join(format!("{MANIFEST}.tmp"));
        let path = self.root.join(MANIFEST);
        {
            use std::io::Write;
            let mut f = fs::File::create(&tmp).map_err(|e| DataError::io(&tmp, e))?;
            f.write_all(
                b"# incity input store: the live partitions. Written by `incity import`.\n",
            )
            .and_then(|_| f.write_all(text.as_bytes()))
            .and_then(|_| f.sync_all())
            .map_err(|e| DataError::io(&tmp, e))?;
        }
        fs::rename(&tmp, &path).map_err(|e| DataError::io(&path, e))
    }

    /// Removes Parquet files no manifest entry refers to, and stale staging directories.
    fn collect_garbage(&self) -> Result<(), DataError> {
        let manifest = self.manifest()?;
        let live: std::collections::HashSet<PathBuf> = manifest
            .partition
            .iter()
            .map(|p| self.root.join(&p.file))
            .collect();
        let mut stack = vec![self.root.clone()];
        while let Some(dir) = stack.pop() {
            let entries = fs::read_dir(&dir).map_err(|e| DataError::io(&dir, e))?;
            for entry in entries.flatten() {
                let path = entry.path();
                let name = entry.file_name().to_string_lossy().to_string();
                if path.is_dir() {
                    if name.starts_with(".staging-") {
                        let _ = fs::remove_dir_all(&path);
                    } else {
                        stack.push(path);
                    }
                } else if name.ends_with(".parquet") && !live.contains(&path) {
                    fs::remove_file(&path).map_err(|e| DataError::io(&path, e))?;
                }
            }
        }
        Ok(())
    }
}

fn now_nanos() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0)
}

/// An exclusive lock on the store: a file created with `create_new` holding the process id.
/// A lock left by a process that no longer runs (a killed import) is taken over.
struct Lock(PathBuf);

impl Lock {
    fn acquire(root: &Path) -> Result<Lock, DataError> {
        let path = root.join(".import.lock");
        for _ in 0..2 {
            match fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
            {
                Ok(mut f) => {
                    use std::io::Write;
                    let _ = write!(f, "{}", std::process::id());
                    return Ok(Lock(path));
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let holder = fs::read_to_string(&path)
                        .ok()
                        .and_then(|t| t.trim().parse::<u32>().ok());
                    if holder.is_some_and(process_is_gone) {
                        // The import that held it was killed: its staged files are garbage.
                        let _ = fs::remove_file(&path);
                        continue;
                    }
                    return Err(DataError::Design(format!(
                        "another import (process {}) is running on {}",
                        holder
                            .map(|p| p.to_string())
                            .unwrap_or_else(|| "unknown".into()),
                        root.display()
                    )));
                }
                Err(e) => return Err(DataError::io(&path, e)),
            }
        }
        Err(DataError::Design(format!(
            "cannot take the import lock {}",
            path.display()
        )))
    }
}

/// True if no process with this id runs (Linux `/proc`; elsewhere a lock is never taken over).
fn process_is_gone(pid: u32) -> bool {
    let proc = Path::new("/proc");
    proc.is_dir() && !proc.join(pid.to_string()).exists()
}

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.0);
    }
}

struct PartitionWriter {
    path: PathBuf,
    builder: BatchBuilder,
    writer: ArrowWriter<fs::File>,
    rows: u64,
}

/// Writes harmonised rows into one staged Parquet file per (country, year).
struct PartitionSink {
    dir: PathBuf,
    writers: BTreeMap<(String, i32), PartitionWriter>,
}

impl RowSink for PartitionSink {
    fn accept(&mut self, country: &str, year: i32, row: &HarmonisedRow) -> Result<(), DataError> {
        let key = (country.to_string(), year);
        if !self.writers.contains_key(&key) {
            let path = self.dir.join(format!("{country}-{year}.parquet"));
            let file = fs::File::create(&path).map_err(|e| DataError::io(&path, e))?;
            let props = WriterProperties::builder()
                .set_compression(Compression::ZSTD(ZstdLevel::default()))
                .build();
            let writer =
                ArrowWriter::try_new(file, crate::ingest::harmonised_schema(), Some(props))
                    .map_err(|e| DataError::Internal(e.to_string()))?;
            self.writers.insert(
                key.clone(),
                PartitionWriter {
                    path,
                    builder: BatchBuilder::new(),
                    writer,
                    rows: 0,
                },
            );
        }
        let Some(w) = self.writers.get_mut(&key) else {
            return Err(DataError::Internal("partition writer".into()));
        };
        w.builder.push(row);
        w.rows += 1;
        if w.builder.len() >= BATCH_ROWS {
            let batch = w.builder.finish()?;
            w.writer
                .write(&batch)
                .map_err(|e| DataError::io(&w.path, std::io::Error::other(e.to_string())))?;
        }
        Ok(())
    }
}

/// Staged files by (country, year), with their row counts.
type Staged = BTreeMap<(String, i32), (PathBuf, u64)>;

impl PartitionSink {
    fn finish(self) -> Result<Staged, DataError> {
        let mut out = BTreeMap::new();
        for (key, mut w) in self.writers {
            if !w.builder.is_empty() {
                let batch = w.builder.finish()?;
                w.writer
                    .write(&batch)
                    .map_err(|e| DataError::io(&w.path, std::io::Error::other(e.to_string())))?;
            }
            w.writer
                .close()
                .map_err(|e| DataError::io(&w.path, std::io::Error::other(e.to_string())))?;
            out.insert(key, (w.path, w.rows));
        }
        Ok(out)
    }
}

/// Validates without storing anything.
pub fn validate(
    mapping: &Mapping,
    files: &[PathBuf],
    options: &ReadOptions,
    progress: &mut dyn FnMut(&Path, u64),
) -> Result<LoadReport, DataError> {
    read_microdata(
        mapping,
        files,
        options,
        &mut crate::ingest::Discard,
        progress,
    )
}
