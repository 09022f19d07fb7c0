//! Releases on PostgreSQL: the same release as on SQLite, exported and served alike.

use std::path::Path;

use super::{get_text, import_silc, ok, start_server, start_server_with};

/// A release published to PostgreSQL (`--database postgres://…`, the server of
/// `INCITY_TEST_POSTGRES_URL`) is the release published to SQLite: the same export to the
/// byte, and the portal serving it answers the same.
#[tokio::test]
async fn a_release_published_to_postgres_equals_the_sqlite_one() {
    let server = std::env::var("INCITY_TEST_POSTGRES_URL").expect(
        "INCITY_TEST_POSTGRES_URL: the URL of a PostgreSQL server (scripts/test.sh starts one)",
    );
    let postgres = incity_store::exchange::new_postgres_database(&server)
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let demo = dir.path().join("demo");
    ok(&[
        "generate",
        "--out",
        demo.to_str().unwrap(),
        "--population-scale",
        "0.01",
        "--seed",
        "12",
    ]);
    let data_dir = dir.path().to_str().unwrap();
    ok(&[
        "import",
        "--data-dir",
        data_dir,
        "--mapping",
        "eu-lfs",
        demo.join("lfs_2024.csv").to_str().unwrap(),
    ]);
    import_silc(data_dir, &demo);
    let sqlite_run = ok(&["compute", "--data-dir", data_dir, "--synthetic"]);
    let postgres_run = ok(&[
        "compute",
        "--data-dir",
        data_dir,
        "--synthetic",
        "--database",
        &postgres,
    ]);
    assert!(postgres_run.contains("release 1:"), "{postgres_run}");
    let figures = |run: &str| {
        run.split_whitespace()
            .skip_while(|w| *w != "1:")
            .nth(1)
            .map(String::from)
    };
    assert_eq!(figures(&sqlite_run), figures(&postgres_run));
    let export = |database: Option<&str>, out: &Path| {
        let mut args = vec![
            "export",
            "--data-dir",
            data_dir,
            "--format",
            "csv",
            "--out",
            out.to_str().unwrap(),
        ];
        if let Some(d) = database {
            args.extend(["--database", d]);
        }
        ok(&args);
        std::fs::read(out).unwrap()
    };
    let from_sqlite = export(None, &dir.path().join("sqlite.csv"));
    let from_postgres = export(Some(&postgres), &dir.path().join("postgres.csv"));
    assert!(from_sqlite.len() > 10_000, "{} bytes", from_sqlite.len());
    assert!(
        from_sqlite == from_postgres,
        "the two exports differ ({} and {} bytes)",
        from_sqlite.len(),
        from_postgres.len()
    );

    // The portal on the PostgreSQL release answers as on the SQLite one.
    let mut server = start_server_with(dir.path(), &["--database", &postgres]);
    let mut sqlite_server = start_server(dir.path());
    let base = server.wait_until_up().await;
    let sqlite_base = sqlite_server.wait_until_up().await;
    for path in [
        "/api/v1/figures?indicator=employment_rate_20_64&level=city&limit=500",
        "/api/v1/profile/AT",
        "/explore.csv?indicator=employment_rate_20_64&level=nuts2&group=non_eu_born",
    ] {
        let a = get_text(&format!("{base}{path}")).await;
        let b = get_text(&format!("{sqlite_base}{path}")).await;
        assert!(a.len() > 200, "{path}: {a}");
        assert_eq!(a, b, "{path}");
    }
}
