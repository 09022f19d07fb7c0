//! An import killed midway changes nothing: the manifest and the stored partitions are those
//! of the last completed import, and the next import takes over the dead process's lock,
//! removes its staged files and completes.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_incity");

fn files_under(root: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            let name = p.strip_prefix(root).unwrap().display().to_string();
            if p.is_dir() {
                if !name.starts_with(".staging-") {
                    stack.push(p);
                }
            } else if !name.starts_with(".import.lock") {
                out.insert(name, std::fs::read(&p).unwrap());
            }
        }
    }
    out
}

fn staging_has_parquet(inputs: &Path) -> bool {
    std::fs::read_dir(inputs)
        .into_iter()
        .flatten()
        .flatten()
        .any(|e| {
            e.file_name().to_string_lossy().starts_with(".staging-")
                && std::fs::read_dir(e.path())
                    .into_iter()
                    .flatten()
                    .flatten()
                    .any(|f| f.file_name().to_string_lossy().ends_with(".parquet"))
        })
}

#[test]
fn a_killed_import_leaves_the_store_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let small = dir.path().join("small");
    let big = dir.path().join("big");
    let ok = |args: &[&str]| {
        let out = Command::new(BIN).args(args).output().unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    ok(&[
        "generate",
        "--out",
        small.to_str().unwrap(),
        "--surveys",
        "lfs",
        "--no-truth",
        "--population-scale",
        "0.002",
        "--sample-scale",
        "0.05",
    ]);
    ok(&[
        "generate",
        "--out",
        big.to_str().unwrap(),
        "--surveys",
        "lfs",
        "--no-truth",
        "--population-scale",
        "0.01",
        "--sample-scale",
        "0.5",
    ]);
    let data = dir.path().join("data");
    let inputs = data.join("inputs");
    let small_lfs = small.join("lfs_2024.csv");
    ok(&[
        "import",
        "--data-dir",
        data.to_str().unwrap(),
        "--mapping",
        "eu-lfs",
        small_lfs.to_str().unwrap(),
    ]);
    let before = files_under(&inputs);
    assert!(before.contains_key("manifest.toml"));

    // Killed at the most delicate moment: the new partitions are in place, the manifest not
    // yet replaced (the crash-test pause point; independent of the machine's speed).
    let marker = dir.path().join("paused");
    let mut child = Command::new(BIN)
        .args([
            "import",
            "--data-dir",
            data.to_str().unwrap(),
            "--mapping",
            "eu-lfs",
            big.join("lfs_2024.csv").to_str().unwrap(),
        ])
        .env("INCITY_PAUSE_AT", "import-before-manifest")
        .env("INCITY_PAUSE_MARKER", &marker)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while !marker.exists() {
        assert!(
            start.elapsed() < Duration::from_secs(600),
            "the import never reached the pause point"
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "the import ended before reaching the pause point"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();

    // Killed midway: the manifest and every partition it lists are exactly as before; the new
    // partitions already moved into place are orphans no reader sees (the manifest is the
    // only way in), removed by the next import.
    assert!(
        inputs.join(".import.lock").exists(),
        "the killed import held the lock"
    );
    let killed = files_under(&inputs);
    let manifest = String::from_utf8(killed["manifest.toml"].clone()).unwrap();
    let orphans: Vec<&String> = killed.keys().filter(|k| !before.contains_key(*k)).collect();
    assert!(
        !orphans.is_empty(),
        "the import was killed after moving its partitions"
    );
    for o in &orphans {
        assert!(
            o.ends_with(".parquet") && !manifest.contains(o.as_str()),
            "{o}"
        );
    }
    let kept: BTreeMap<String, Vec<u8>> = killed
        .into_iter()
        .filter(|(k, _)| before.contains_key(k))
        .collect();
    assert_eq!(kept, before);

    // The next import takes over the lock, cleans up and completes.
    ok(&[
        "import",
        "--data-dir",
        data.to_str().unwrap(),
        "--mapping",
        "eu-lfs",
        small_lfs.to_str().unwrap(),
    ]);
    assert!(!inputs.join(".import.lock").exists());
    assert!(!staging_has_parquet(&inputs));
    let after = files_under(&inputs);
    let parquet = |m: &BTreeMap<String, Vec<u8>>| {
        m.keys()
            .filter(|k| k.ends_with(".parquet"))
            .cloned()
            .collect::<Vec<_>>()
    };
    // The same input gives the same content-addressed partitions.
    assert_eq!(parquet(&after), parquet(&before));
}
