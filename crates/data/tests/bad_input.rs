//! Bad input gets a clear error naming the file, the line, the column and what was expected.

use std::path::{Path, PathBuf};

use incity_data::survey::{estimate, DesignColumns, EstimateRequest, VarianceChoice};
use incity_data::DataError;
use incity_estimation::{LonelyPsuRule, PublicationRules, QuantileRule};

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn req(path: PathBuf, stat: &str) -> EstimateRequest {
    EstimateRequest {
        data: path,
        design: DesignColumns {
            weight: "w".into(),
            strata: Some("h".into()),
            psu: Some("psu".into()),
            fpc: None,
            lonely_psu: LonelyPsuRule::Fail,
        },
        variance: VarianceChoice::Linearization,
        mse: false,
        statistic: stat.parse().unwrap(),
        quantile_rule: QuantileRule::InverseCdf,
        condition: None,
        by: vec![],
        gap: None,
        country: None,
        rules: PublicationRules::DEFAULT,
        confidence: 0.95,
        derived: vec![],
    }
}

const GOOD: &str = "h,psu,w,y,g\n1,1,10,1,a\n1,2,10,2,b\n2,3,20,3,a\n2,4,20,4,b\n";

#[tokio::test]
async fn a_good_file_estimates() {
    let dir = tempfile::tempdir().unwrap();
    let t = estimate(&req(write(dir.path(), "ok.csv", GOOD), "mean(y)"))
        .await
        .unwrap();
    // (10*1 + 10*2 + 20*3 + 20*4) / 60 = 170/60
    let f = t.rows[0].estimate;
    assert_eq!(
        f.flag,
        incity_estimation::Flag::Suppressed,
        "4 respondents are below the default minimum"
    );
    assert!(f.figures.is_none());
}

#[tokio::test]
async fn missing_file() {
    let e = estimate(&req("/nonexistent/x.csv".into(), "mean(y)"))
        .await
        .unwrap_err();
    assert!(matches!(e, DataError::FileNotFound { .. }), "{e}");
    assert!(e.to_string().contains("/nonexistent/x.csv"));
}

#[tokio::test]
async fn non_numeric_weight_names_line_column_and_value() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        dir.path(),
        "bad.csv",
        "h,psu,w,y\n1,1,10,1\n1,2,ten,2\n2,3,20,3\n2,4,20,4\n",
    );
    let e = estimate(&req(p, "mean(y)")).await.unwrap_err().to_string();
    assert!(e.contains("bad.csv"), "{e}");
    assert!(e.contains("line 3"), "{e}");
    assert!(e.contains("`w`"), "{e}");
    assert!(e.contains("`ten`"), "{e}");
    assert!(e.contains("a number"), "{e}");
}

#[tokio::test]
async fn negative_and_missing_weights() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        dir.path(),
        "neg.csv",
        "h,psu,w,y\n1,1,10,1\n1,2,10,2\n2,3,-20,3\n2,4,20,4\n",
    );
    let e = estimate(&req(p, "mean(y)")).await.unwrap_err().to_string();
    assert!(e.contains("line 4") && e.contains("non-negative"), "{e}");
    let p = write(
        dir.path(),
        "miss.csv",
        "h,psu,w,y\n1,1,10,1\n1,2,,2\n2,3,20,3\n2,4,20,4\n",
    );
    let e = estimate(&req(p, "mean(y)")).await.unwrap_err().to_string();
    assert!(e.contains("line 3") && e.contains("empty"), "{e}");
}

#[tokio::test]
async fn unknown_column_lists_the_columns() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "ok.csv", GOOD);
    let mut r = req(p, "mean(y)");
    r.by = vec!["region".into()];
    let e = estimate(&r).await.unwrap_err().to_string();
    assert!(
        e.contains("no column `region`") && e.contains("h, psu, w, y, g"),
        "{e}"
    );
}

#[tokio::test]
async fn missing_value_inside_the_domain() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        dir.path(),
        "m.csv",
        "h,psu,w,y\n1,1,10,1\n1,2,10,\n2,3,20,3\n2,4,20,4\n",
    );
    let e = estimate(&req(p.clone(), "mean(y)"))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("line 3") && e.contains("`y`") && e.contains("--where"),
        "{e}"
    );
    // Excluding the record with --where makes it valid.
    let mut r = req(p, "mean(y)");
    r.condition = Some("y IS NOT NULL".into());
    assert!(estimate(&r).await.is_ok());
}

#[tokio::test]
async fn lonely_psu_under_fail_and_the_declared_rules() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        dir.path(),
        "l.csv",
        "h,psu,w,y\n1,1,10,1\n1,2,10,2\n2,3,20,3\n",
    );
    let e = estimate(&req(p.clone(), "mean(y)"))
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("stratum `2`") && e.contains("single PSU"), "{e}");
    for rule in [
        LonelyPsuRule::Certainty,
        LonelyPsuRule::Adjust,
        LonelyPsuRule::Average,
    ] {
        let mut r = req(p.clone(), "mean(y)");
        r.design.lonely_psu = rule;
        assert!(estimate(&r).await.is_ok(), "{rule:?}");
    }
}

#[tokio::test]
async fn empty_domain_and_bad_statistic() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "ok.csv", GOOD);
    let mut r = req(p.clone(), "mean(y)");
    r.condition = Some("y > 100".into());
    let e = estimate(&r).await.unwrap_err();
    assert!(matches!(e, DataError::EmptyResult), "{e}");
    assert!("avg(y)".parse::<incity_data::survey::Statistic>().is_err());
    assert!("quantile(y, 1.5)"
        .parse::<incity_data::survey::Statistic>()
        .is_err());
    assert!("ratio(y)"
        .parse::<incity_data::survey::Statistic>()
        .is_err());
    let mut r = req(p, "mean(y)");
    r.condition = Some("nosuchcolumn > 1".into());
    let e = estimate(&r).await.unwrap_err().to_string();
    assert!(e.contains("ok.csv") && e.contains("nosuchcolumn"), "{e}");
}

#[tokio::test]
async fn header_only_and_unsupported_format() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "empty.csv", "h,psu,w,y\n");
    let e = estimate(&req(p, "mean(y)")).await.unwrap_err().to_string();
    assert!(e.contains("empty.csv"), "{e}");
    let p = write(dir.path(), "data.txt", GOOD);
    let e = estimate(&req(p, "mean(y)")).await.unwrap_err();
    assert!(matches!(e, DataError::UnsupportedFormat { .. }), "{e}");
}

#[tokio::test]
async fn malformed_row_in_a_numeric_column_beyond_type_inference() {
    // The weight column is numeric in the first 10,000 records used to infer types; a bad value
    // after that must still be reported with its line.
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("h,psu,w,y\n");
    for i in 0..12_000 {
        text.push_str(&format!("{},{},10,1\n", i % 2, i % 40));
    }
    text.push_str("1,3,abc,1\n");
    let p = write(dir.path(), "late.csv", &text);
    let e = estimate(&req(p, "mean(y)")).await.unwrap_err().to_string();
    // Header is line 1, the 12,000 good records lines 2-12001, the bad one line 12002.
    assert!(
        e.contains("late.csv, line 12002, column `w`: found `abc`"),
        "{e}"
    );
}
