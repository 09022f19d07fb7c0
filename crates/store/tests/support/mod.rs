//! The databases store tests run on: SQLite in a temporary folder, and a fresh database on the
//! PostgreSQL server of `INCITY_TEST_POSTGRES_URL` (`scripts/test.sh` starts one).

use incity_store::Store;

/// A fresh store on SQLite and one on PostgreSQL (with the folder the SQLite one lives in).
pub async fn both() -> Vec<(Store, Option<tempfile::TempDir>)> {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = Store::open(&dir.path().join("db.sqlite")).await.unwrap();
    let server = std::env::var("INCITY_TEST_POSTGRES_URL").expect(
        "INCITY_TEST_POSTGRES_URL: the URL of a PostgreSQL server (scripts/test.sh starts one)",
    );
    let url = incity_store::exchange::new_postgres_database(&server)
        .await
        .unwrap();
    let postgres = Store::open_url(&url).await.unwrap();
    vec![(sqlite, Some(dir)), (postgres, None)]
}
