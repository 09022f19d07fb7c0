//! Pushdown to where the data are: `incity estimate --emit-sql` run inside a real PostgreSQL
//! server (the one of `INCITY_TEST_POSTGRES_URL`), its per-PSU sums fed back with
//! `--from-aggregates`, equal to the estimate from the file.

use std::path::Path;

use datafusion::arrow::datatypes::DataType;
use datafusion::prelude::{CsvReadOptions, SessionContext};
use futures::StreamExt;
use sqlx::{Connection, PgConnection};

use super::{ok, run};

/// Loads a CSV file into a new table `name`, with the column types DataFusion infers (the types
/// `incity estimate --data` reads the file with).
async fn load_table(conn: &mut PgConnection, name: &str, csv: &Path) {
    let ctx = SessionContext::new();
    let schema = ctx
        .read_csv(
            csv.to_str().unwrap(),
            CsvReadOptions::new().has_header(true),
        )
        .await
        .unwrap()
        .schema()
        .clone();
    let columns: Vec<String> = schema
        .fields()
        .iter()
        .map(|f| {
            let sql_type = match f.data_type() {
                DataType::Int64 => "BIGINT",
                DataType::Float64 => "DOUBLE PRECISION",
                DataType::Boolean => "BOOLEAN",
                _ => "TEXT",
            };
            format!("\"{}\" {sql_type}", f.name())
        })
        .collect();
    sqlx::query(&format!("CREATE TABLE {name} ({})", columns.join(", ")))
        .execute(&mut *conn)
        .await
        .unwrap();
    let mut copy = conn
        .copy_in_raw(&format!(
            "COPY {name} FROM STDIN WITH (FORMAT csv, HEADER true)"
        ))
        .await
        .unwrap();
    copy.send(std::fs::read(csv).unwrap()).await.unwrap();
    copy.finish().await.unwrap();
}

/// Runs a query inside PostgreSQL and saves its result as CSV with a header, as an office would
/// with `\copy (…) TO 'aggregates.csv' CSV HEADER`.
async fn copy_out(conn: &mut PgConnection, sql: &str, to: &Path) {
    let query = sql.trim().trim_end_matches(';');
    let mut stream = conn
        .copy_out_raw(&format!(
            "COPY ({query}) TO STDOUT WITH (FORMAT csv, HEADER true)"
        ))
        .await
        .unwrap_or_else(|e| panic!("PostgreSQL refused the emitted query: {e}\n{query}"));
    let mut bytes = Vec::new();
    while let Some(chunk) = stream.next().await {
        bytes.extend_from_slice(&chunk.unwrap());
    }
    std::fs::write(to, bytes).unwrap();
}

/// The largest relative difference between two estimate tables (JSON rows); text fields (the
/// domain, the flags) must be equal.
fn largest_difference(a: &serde_json::Value, b: &serde_json::Value) -> f64 {
    let (a, b) = (a.as_array().unwrap(), b.as_array().unwrap());
    assert_eq!(a.len(), b.len(), "different numbers of rows");
    let mut largest: f64 = 0.0;
    for (ra, rb) in a.iter().zip(b) {
        let (ra, rb) = (ra.as_object().unwrap(), rb.as_object().unwrap());
        assert_eq!(ra.keys().collect::<Vec<_>>(), rb.keys().collect::<Vec<_>>());
        for (key, va) in ra {
            let vb = &rb[key];
            match (va.as_f64(), vb.as_f64()) {
                (Some(x), Some(y)) => {
                    let scale = x.abs().max(y.abs());
                    if scale > 0.0 {
                        largest = largest.max((x - y).abs() / scale);
                    }
                }
                _ => assert_eq!(va, vb, "{key} differs in {ra:?}"),
            }
        }
    }
    largest
}

fn estimate_json(args: &[&str]) -> serde_json::Value {
    let mut all = vec!["estimate", "--output-format", "json"];
    all.extend(args);
    serde_json::from_str(&ok(&all)).unwrap()
}

/// One request three ways: from the file, and from the per-PSU sums that PostgreSQL computed
/// with the PostgreSQL and with the standard-SQL query. Returns the file's estimates.
async fn pushed_down_equals_file(
    conn: &mut PgConnection,
    dir: &Path,
    table: &str,
    file: &Path,
    request: &[&str],
) -> serde_json::Value {
    let mut from_file = vec!["--data", file.to_str().unwrap()];
    from_file.extend(request);
    let expected = estimate_json(&from_file);
    assert!(!expected.as_array().unwrap().is_empty());
    for dialect in ["postgres", "ansi"] {
        let mut emit = vec!["estimate", "--emit-sql", dialect, "--table", table];
        emit.extend(request);
        let sql = ok(&emit);
        let aggregates = dir.join(format!("{table}-{dialect}.csv"));
        copy_out(conn, &sql, &aggregates).await;
        // Only sums per (domain, stratum, PSU) leave the database, never a record.
        let text = std::fs::read_to_string(&aggregates).unwrap();
        assert!(
            text.starts_with("__by0,"),
            "{}",
            &text[..text.len().min(200)]
        );
        let mut from_sums = vec!["--from-aggregates", aggregates.to_str().unwrap()];
        from_sums.extend(request);
        let pushed = estimate_json(&from_sums);
        let difference = largest_difference(&expected, &pushed);
        // PostgreSQL adds the records of a PSU in another order than DataFusion, so the sums
        // differ in the last bits; the variances (sums of squared deviations of PSU totals)
        // carry that to about 1e-12 of the standard error.
        eprintln!("{table} ({dialect}, {request:?}): largest relative difference {difference:e}");
        assert!(
            difference <= 1e-10,
            "{table} ({dialect}): relative difference {difference:e}"
        );
    }
    expected
}

#[tokio::test]
async fn estimates_from_sums_computed_inside_postgres_equal_the_file_estimates() {
    let server = std::env::var("INCITY_TEST_POSTGRES_URL").expect(
        "INCITY_TEST_POSTGRES_URL: the URL of a PostgreSQL server (scripts/test.sh starts one)",
    );
    let url = incity_store::exchange::new_postgres_database(&server)
        .await
        .unwrap();
    let mut conn = PgConnection::connect(&url).await.unwrap();
    let dir = tempfile::tempdir().unwrap();

    // R survey's one-stage cluster sample of California schools (tests/data/oracles).
    let apiclus1 =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/oracles/apiclus1.csv");
    load_table(&mut conn, "apiclus1", &apiclus1).await;
    let request = [
        "--weight",
        "pw",
        "--psu",
        "dnum",
        "--stat",
        "mean(api00)",
        "--by",
        "stype",
        "--min-n",
        "0",
        "--flag-n",
        "0",
    ];
    let rows =
        pushed_down_equals_file(&mut conn, dir.path(), "apiclus1", &apiclus1, &request).await;
    // And both are R's: svyby(~api00, ~stype, dclus1, svymean) for elementary schools.
    let e = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["stype"] == "E")
        .unwrap();
    assert!((e["estimate"].as_f64().unwrap() / 648.868055555556 - 1.0).abs() < 1e-12);
    assert!((e["se"].as_f64().unwrap() / 22.5873130662433 - 1.0).abs() < 1e-9);

    // A synthetic EU-LFS file: strata, PSUs, a derived group, a condition, a gap, replicates.
    let demo = dir.path().join("demo");
    ok(&[
        "generate",
        "--out",
        demo.to_str().unwrap(),
        "--population-scale",
        "0.01",
        "--surveys",
        "lfs",
        "--no-truth",
        "--seed",
        "5",
    ]);
    let lfs = demo.join("lfs_2024.csv");
    load_table(&mut conn, "lfs_2024", &lfs).await;
    let cob = "cob=CASE WHEN COUNTRYB = COUNTRY THEN 'native' WHEN COUNTRYB IN ('AT','BE','DE','FR','IT','NL','SE') THEN 'eu_born' ELSE 'non_eu_born' END";
    for variance in ["linearization", "jkn"] {
        let request = [
            "--weight",
            "COEFFY",
            "--strata",
            "STRATUM",
            "--psu",
            "PSU",
            "--lonely-psu",
            "certainty",
            "--variance",
            variance,
            "--stat",
            "share(ILOSTAT = 1)",
            "--where",
            "AGE BETWEEN 20 AND 64",
            "--derive",
            cob,
            "--by",
            "COUNTRY,cob",
            "--gap",
            "cob=native",
        ];
        let rows = pushed_down_equals_file(&mut conn, dir.path(), "lfs_2024", &lfs, &request).await;
        assert!(rows.as_array().unwrap().len() > 20, "{rows}");
    }

    // Sums of another request are refused, naming the file, line 1 and the header expected.
    let aggregates = dir.path().join("lfs_2024-postgres.csv");
    let out = run(&[
        "estimate",
        "--from-aggregates",
        aggregates.to_str().unwrap(),
        "--weight",
        "COEFFY",
        "--strata",
        "STRATUM",
        "--psu",
        "PSU",
        "--stat",
        "share(ILOSTAT = 1)",
        "--by",
        "COUNTRY",
    ]);
    let message = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        message.contains("lfs_2024-postgres.csv, line 1") && message.contains("--emit-sql"),
        "{message}"
    );
}

#[test]
fn what_cannot_be_pushed_down_is_refused() {
    let emit_for = |table: &str, extra: &[&str]| {
        let mut args = vec![
            "estimate",
            "--emit-sql",
            "postgres",
            "--table",
            table,
            "--weight",
            "COEFFY",
        ];
        args.extend(extra);
        let out = run(&args);
        assert!(!out.status.success(), "{extra:?} was pushed down");
        String::from_utf8_lossy(&out.stderr).to_string()
    };
    let emit = |extra: &[&str]| emit_for("lfs", extra);
    // The median needs the records.
    let message = emit(&["--psu", "PSU", "--stat", "median(INCOME)"]);
    assert!(message.contains("need the records"), "{message}");
    // Without PSUs the per-PSU sums would be the records.
    let message = emit(&["--stat", "mean(AGE)"]);
    assert!(message.contains("needs --psu"), "{message}");
    // A table name that is not NAME or SCHEMA.NAME.
    let message = emit_for("stats..lfs", &["--psu", "PSU", "--stat", "mean(AGE)"]);
    assert!(
        message.contains("expected NAME or SCHEMA.NAME"),
        "{message}"
    );
}
