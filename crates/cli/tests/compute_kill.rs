//! Publishing is atomic: a `compute` killed while it writes its release leaves the previous
//! release served, complete and unchanged; the next run publishes normally.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use incity_store::{FigureFilter, Store};

const BIN: &str = env!("CARGO_BIN_EXE_incity");

fn ok(args: &[&str]) -> String {
    let out = Command::new(BIN).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).to_string()
}

async fn snapshot(db: &Path) -> (i64, i64, usize) {
    let store = Store::open(db).await.unwrap();
    let current = store.current_release().await.unwrap().unwrap();
    let figures = store
        .figures(current.id, &FigureFilter::default())
        .await
        .unwrap();
    (
        current.id,
        store.release_count().await.unwrap(),
        figures.len(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn a_compute_killed_while_publishing_leaves_the_previous_release_served() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let demo = dir.path().join("demo");
    ok(&["generate", "--out", demo.to_str().unwrap(), "--no-truth"]);
    ok(&[
        "import",
        "--data-dir",
        data,
        "--mapping",
        "eu-lfs",
        demo.join("lfs_2024.csv").to_str().unwrap(),
    ]);
    let silc: Vec<String> = ["silc_d.csv", "silc_r.csv", "silc_h.csv", "silc_p.csv"]
        .iter()
        .map(|f| demo.join(f).display().to_string())
        .collect();
    let mut args = vec!["import", "--data-dir", data, "--mapping", "eu-silc"];
    args.extend(silc.iter().map(|s| s.as_str()));
    ok(&args);
    ok(&["compute", "--data-dir", data, "--synthetic"]);
    let db = dir.path().join("incity.sqlite");
    let before = snapshot(&db).await;
    assert_eq!((before.0, before.1), (1, 1));

    // Run again (forced) and kill it when it has written the whole release but not committed
    // it (the crash-test pause point; independent of the machine's speed).
    let marker = dir.path().join("paused");
    let mut child = Command::new(BIN)
        .args(["compute", "--data-dir", data, "--synthetic", "--force"])
        .env("INCITY_PAUSE_AT", "publish-before-commit")
        .env("INCITY_PAUSE_MARKER", &marker)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while !marker.exists() {
        assert!(
            child.try_wait().unwrap().is_none(),
            "compute ended before reaching the pause point"
        );
        assert!(
            start.elapsed() < Duration::from_secs(900),
            "compute never reached the pause point"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // The uncommitted release is in the write-ahead log.
    let wal = dir.path().join("incity.sqlite-wal");
    assert!(std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0) > 0);
    child.kill().unwrap();
    child.wait().unwrap();

    // The previous release is still the served one, with all its figures, and no half release.
    assert_eq!(snapshot(&db).await, before);
    // The next run publishes a complete release — the same figures to the last bit, also on
    // one thread (releases are reproducible).
    let out = Command::new(BIN)
        .args(["compute", "--data-dir", data, "--synthetic", "--force"])
        .env("RAYON_NUM_THREADS", "1")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("release 2:"));
    let after = snapshot(&db).await;
    assert_eq!((after.0, after.1, after.2), (2, 2, before.2));
    let store = Store::open(&db).await.unwrap();
    let all = FigureFilter::default();
    // Compared as text: a share of 0 % has no standard error (NaN), and NaN != NaN.
    let (one, two) = (
        store.figures(1, &all).await.unwrap(),
        store.figures(2, &all).await.unwrap(),
    );
    assert_eq!(one.len(), two.len());
    for (a, b) in one.iter().zip(&two) {
        assert_eq!(format!("{a:?}"), format!("{b:?}"));
    }
}
