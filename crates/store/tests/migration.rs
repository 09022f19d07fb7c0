//! A store written before gaps were stored as their parts (migration 0007) is migrated on
//! open: every gap's group name is split into the group and its reference group, once, and
//! the figures read back as structured gaps.

use std::borrow::Cow;
use std::str::FromStr;

use incity_indicators::Measure;
use incity_store::{FigureFilter, Store};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};

/// A store as it was after migration 0006, holding one release with these (grp, measure,
/// estimate) rows as releases wrote them then.
async fn legacy_store(path: &std::path::Path, rows: &[(&str, &str, f64)]) {
    let options = SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))
        .unwrap()
        .create_if_missing(true);
    let pool = SqlitePoolOptions::new()
        .connect_with(options)
        .await
        .unwrap();
    let mut before = sqlx::migrate!("./migrations");
    let first_six: Vec<_> = before.migrations.iter().take(6).cloned().collect();
    assert_eq!(first_six.last().unwrap().version, 6);
    before.migrations = Cow::Owned(first_six);
    before.run(&pool).await.unwrap();
    sqlx::query(
        "INSERT INTO releases (input_file, input_sha256, source, synthetic, catalogue_version, \
         method, software_version, started_at, finished_at) \
         VALUES ('f', 'ab', 'lfs', 1, 'c', 'm', '0', 1, 2)",
    )
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query("INSERT INTO current_release (singleton, release_id) VALUES (1, 1)")
        .execute(&pool)
        .await
        .unwrap();
    for (grp, measure, estimate) in rows {
        sqlx::query(
            "INSERT INTO figures (release_id, indicator, source, first_year, year, geo_level, \
             geo, grouping, grp, sex, measure, method, flag, estimate, se, ci_low, ci_high, n, \
             population) \
             VALUES (1, 'employment_rate_20_64', 'lfs', 2024, 2024, 'country', 'AT', \
             'birth_group', ?, 'T', ?, 'direct', '', ?, 0.01, ?, ?, 500, 1.2e6)",
        )
        .bind(grp)
        .bind(measure)
        .bind(estimate)
        .bind(estimate - 0.02)
        .bind(estimate + 0.02)
        .execute(&pool)
        .await
        .unwrap();
    }
    pool.close().await;
}

#[tokio::test]
async fn gaps_written_as_names_are_split_into_group_and_reference() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.sqlite");
    legacy_store(
        &path,
        &[
            ("non_eu_born", "level", 0.61),
            ("native", "level", 0.74),
            ("non_eu_born minus native", "difference", -0.13),
            ("non_eu_born over native", "ratio", 0.824),
        ],
    )
    .await;

    let store = Store::open(&path).await.unwrap();
    let figures = store.figures(1, &FigureFilter::default()).await.unwrap();
    let parts: Vec<(&str, Option<&str>, Measure)> = figures
        .iter()
        .map(|f| (f.group.as_str(), f.reference_group.as_deref(), f.measure))
        .collect();
    assert_eq!(
        parts,
        vec![
            ("non_eu_born", Some("native"), Measure::Difference),
            ("native", None, Measure::Level),
            ("non_eu_born", None, Measure::Level),
            ("non_eu_born", Some("native"), Measure::Ratio),
        ]
    );
    let ratio = figures
        .iter()
        .find(|f| f.measure == Measure::Ratio)
        .unwrap();
    assert_eq!(ratio.estimate.figures.unwrap().estimate, 0.824);
}

/// A gap row whose name cannot be split (no `minus`) stops the migration: opening fails with
/// an error and the store keeps its old table and rows.
#[tokio::test]
async fn a_gap_name_that_cannot_be_split_leaves_the_store_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.sqlite");
    legacy_store(&path, &[("non_eu_born", "difference", -0.13)]).await;
    assert!(Store::open(&path).await.is_err());
    let pool = SqlitePoolOptions::new()
        .connect_with(
            SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display())).unwrap(),
        )
        .await
        .unwrap();
    let (grp, columns): (String, i64) = sqlx::query_as(
        "SELECT (SELECT grp FROM figures), \
         (SELECT count(*) FROM pragma_table_info('figures') WHERE name = 'reference_group')",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!((grp.as_str(), columns), ("non_eu_born", 0));
}
