//! The R `survey` reference values, reproduced through the real path: the CSV files are read
//! and reduced by DataFusion, then estimated.

use std::collections::BTreeMap;
use std::path::PathBuf;

use incity_data::survey::{estimate, DesignColumns, EstimateRequest, Statistic, VarianceChoice};
use incity_estimation::{LonelyPsuRule, PublicationRules, QuantileRule};

fn oracle(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/data/oracles")
        .join(name)
}

fn expected() -> BTreeMap<(String, String), (f64, f64)> {
    let mut rdr = csv::Reader::from_path(oracle("api_expected.csv")).unwrap();
    rdr.records()
        .map(|r| {
            let r = r.unwrap();
            (
                (r[0].to_string(), r[3].to_string()),
                (r[4].parse().unwrap(), r[5].parse().unwrap()),
            )
        })
        .collect()
}

/// Publication rules that publish everything (the oracles are about the numbers).
const PUBLISH_ALL: PublicationRules = PublicationRules {
    suppress_below_n: 0,
    flag_below_n: 0,
    flag_above_cv: None,
    suppress_above_cv: None,
    population_thresholds: None,
    proportions: None,
    flag_below_df: None,
};

fn request(
    file: &str,
    strata: Option<&str>,
    psu: Option<&str>,
    fpc: Option<&str>,
    stat: &str,
) -> EstimateRequest {
    EstimateRequest {
        data: oracle(file),
        design: DesignColumns {
            weight: "pw".into(),
            strata: strata.map(String::from),
            psu: psu.map(String::from),
            fpc: fpc.map(String::from),
            lonely_psu: LonelyPsuRule::Fail,
        },
        variance: VarianceChoice::Linearization,
        mse: false,
        statistic: stat.parse::<Statistic>().unwrap(),
        quantile_rule: QuantileRule::InverseCdf,
        condition: None,
        by: vec![],
        gap: None,
        country: None,
        rules: PUBLISH_ALL,
        confidence: 0.95,
        derived: vec![],
    }
}

fn rel(a: f64, b: f64) -> f64 {
    ((a - b) / b).abs()
}

async fn check(req: EstimateRequest, case: &str, exp: &BTreeMap<(String, String), (f64, f64)>) {
    let table = estimate(&req)
        .await
        .unwrap_or_else(|e| panic!("{case}: {e}"));
    let mut matched = 0;
    for row in &table.rows {
        let domain = if let Some(reference) = &row.reference {
            format!("{}-{reference}", row.domain.last().unwrap())
        } else if table.by.is_empty() {
            "all".to_string()
        } else {
            format!("{}={}", table.by[0], row.domain[0])
        };
        let Some(&(e, s)) = exp.get(&(case.to_string(), domain.clone())) else {
            continue;
        };
        matched += 1;
        let f = row.estimate.figures.unwrap();
        assert!(
            rel(f.estimate, e) < 1e-9,
            "{case} {domain}: estimate {} vs {e}",
            f.estimate
        );
        assert!(rel(f.se, s) < 1e-9, "{case} {domain}: se {} vs {s}", f.se);
    }
    // Every reference value of the case was compared (a row missing from our output, or a
    // domain labelled differently, fails here).
    let expected = exp.keys().filter(|(c, _)| c == case).count();
    assert!(expected > 0, "{case}: no reference values");
    assert_eq!(
        matched, expected,
        "{case}: {matched} of {expected} reference values matched"
    );
}

#[tokio::test]
async fn r_survey_values_through_the_scan() {
    let exp = expected();
    check(
        request("apistrat.csv", Some("stype"), None, None, "mean(api00)"),
        "strat_mean",
        &exp,
    )
    .await;
    check(
        request(
            "apistrat.csv",
            Some("stype"),
            None,
            Some("fpc"),
            "mean(api00)",
        ),
        "strat_fpc_mean",
        &exp,
    )
    .await;
    check(
        request(
            "apistrat.csv",
            Some("stype"),
            None,
            Some("fpc"),
            "total(enroll)",
        ),
        "strat_fpc_total",
        &exp,
    )
    .await;
    check(
        request(
            "apistrat.csv",
            Some("stype"),
            None,
            None,
            "ratio(api.stu, enroll)",
        ),
        "strat_ratio",
        &exp,
    )
    .await;

    let mut r = request("apistrat.csv", Some("stype"), None, None, "mean(api00)");
    r.condition = Some("cname IN ('Los Angeles', 'San Diego', 'Orange')".into());
    r.by = vec!["cname".into()];
    let t = estimate(&r).await.unwrap();
    assert_eq!(t.rows.len(), 3);
    check(r, "strat_mean_by_cname_subset", &exp).await;

    let mut r = request(
        "apistrat.csv",
        Some("stype"),
        None,
        None,
        "share(\"sch.wide\" = 'Yes')",
    );
    r.by = vec!["stype".into()];
    check(r, "strat_prop_by_stype", &exp).await;

    let mut r = request("apistrat.csv", Some("stype"), None, None, "mean(api00)");
    r.by = vec!["stype".into()];
    r.gap = Some(("stype".into(), "H".into()));
    let t = estimate(&r).await.unwrap();
    assert_eq!(
        t.rows.iter().filter(|x| x.is_gap()).count(),
        2,
        "E minus H and M minus H"
    );
    check(r, "strat_gap_E_minus_H", &exp).await;

    let mut r = request("apistrat.csv", Some("stype"), None, None, "mean(api00)");
    r.variance = VarianceChoice::Jkn;
    check(r, "strat_jkn_mean", &exp).await;

    check(
        request("apiclus1.csv", None, Some("dnum"), None, "mean(api00)"),
        "clus1_mean",
        &exp,
    )
    .await;
    check(
        request(
            "apiclus1.csv",
            None,
            Some("dnum"),
            None,
            "ratio(api.stu, enroll)",
        ),
        "clus1_ratio",
        &exp,
    )
    .await;
    let mut r = request("apiclus1.csv", None, Some("dnum"), None, "mean(api00)");
    r.by = vec!["stype".into()];
    check(r.clone(), "clus1_mean_by_stype", &exp).await;
    r.variance = VarianceChoice::Jk1;
    check(r, "clus1_jk1_mean_by_stype", &exp).await;
    let mut r = request("apiclus1.csv", None, Some("dnum"), None, "mean(api00)");
    r.variance = VarianceChoice::Jk1;
    check(r, "clus1_jk1_mean", &exp).await;
    check(
        request("apiclus2.csv", None, Some("dnum"), None, "mean(api00)"),
        "clus2_mean",
        &exp,
    )
    .await;
}

#[tokio::test]
async fn quantiles_through_the_scan() {
    let mut r = request("apistrat.csv", Some("stype"), None, None, "median(api00)");
    r.statistic = "quantile(api00, 0.5)".parse().unwrap();
    let t = estimate(&r).await.unwrap();
    let f = t.rows[0].estimate.figures.unwrap();
    assert_eq!(f.estimate, 668.0);
    assert!(rel(f.ci_low, 641.0) < 1e-6 && rel(f.ci_high, 695.0) < 1e-6);
    assert!(rel(f.se, 13.6911348569373) < 1e-6, "{}", f.se);
    r.statistic = "quantile(api00, 0.75)".parse().unwrap();
    r.quantile_rule = QuantileRule::Interpolated;
    let f = estimate(&r).await.unwrap().rows[0]
        .estimate
        .figures
        .unwrap();
    assert!(rel(f.estimate, 755.723353281801) < 1e-9);
    assert!(rel(f.ci_low, 724.0) < 1e-6 && rel(f.ci_high, 776.640631592958) < 1e-6);
}

#[tokio::test]
async fn replicate_methods_agree_with_linearisation_on_a_linear_statistic() {
    // For a stratified one-stage design, the JKn variance of a total equals the linearised
    // variance exactly; the bootstrap's converges to it.
    let lin = estimate(&request(
        "apistrat.csv",
        Some("stype"),
        None,
        None,
        "total(enroll)",
    ))
    .await
    .unwrap();
    let mut r = request("apistrat.csv", Some("stype"), None, None, "total(enroll)");
    r.variance = VarianceChoice::Jkn;
    let jkn = estimate(&r).await.unwrap();
    let (a, b) = (
        lin.rows[0].estimate.figures.unwrap().se,
        jkn.rows[0].estimate.figures.unwrap().se,
    );
    assert!(rel(a, b) < 1e-12, "{a} vs {b}");
    r.variance = VarianceChoice::Bootstrap {
        replicates: 4000,
        seed: 3,
    };
    let boot = estimate(&r).await.unwrap();
    let c = boot.rows[0].estimate.figures.unwrap().se;
    assert!(rel(c, a) < 0.05, "bootstrap {c} vs linearised {a}");
}

/// Supplied replicate weights: the JK1 replicate weights of the one-stage cluster sample,
/// written as columns, with scale (n-1)/n, reproduce R's JK1 standard error.
#[tokio::test]
async fn supplied_replicate_weights_reproduce_r_jk1() {
    let mut rdr = csv::Reader::from_path(oracle("apiclus1.csv")).unwrap();
    let header: Vec<String> = rdr.headers().unwrap().iter().map(String::from).collect();
    let rows: Vec<Vec<String>> = rdr
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect();
    let col = |n: &str| header.iter().position(|h| h == n).unwrap();
    let (dnum, pw, api) = (col("dnum"), col("pw"), col("api00"));
    let mut psus: Vec<String> = rows.iter().map(|r| r[dnum].clone()).collect();
    psus.sort();
    psus.dedup();
    let n = psus.len() as f64;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("clus1_rep.csv");
    let mut w = csv::Writer::from_path(&path).unwrap();
    let mut head = vec!["dnum".to_string(), "pw".to_string(), "api00".to_string()];
    head.extend((0..psus.len()).map(|k| format!("rw{k}")));
    w.write_record(&head).unwrap();
    for r in &rows {
        let weight: f64 = r[pw].parse().unwrap();
        let mut rec = vec![r[dnum].clone(), r[pw].clone(), r[api].clone()];
        for p in &psus {
            let m = if &r[dnum] == p { 0.0 } else { n / (n - 1.0) };
            rec.push(format!("{:.17e}", weight * m));
        }
        w.write_record(&rec).unwrap();
    }
    w.flush().unwrap();
    drop(w);
    let mut req = request("apiclus1.csv", None, Some("dnum"), None, "mean(api00)");
    req.data = path;
    req.variance = VarianceChoice::Supplied {
        columns: (0..psus.len()).map(|k| format!("rw{k}")).collect(),
        scale: (n - 1.0) / n,
    };
    let f = estimate(&req).await.unwrap().rows[0]
        .estimate
        .figures
        .unwrap();
    let (e, s) = expected()[&("clus1_jk1_mean".to_string(), "all".to_string())];
    assert!(rel(f.estimate, e) < 1e-9);
    assert!(rel(f.se, s) < 1e-9, "{} vs {s}", f.se);
}

/// The poverty threshold is 60 % of the median of the whole file (or of each country), whatever
/// the domain: incomes 1..10 with equal weights have the EU-SILC median (5 + 6) / 2 = 5.5 and
/// threshold 3.3, so in the domain income <= 6 the poor are {1, 2, 3}: 3/6 = 0.5 (a threshold
/// from the domain itself, 0.6 × 3.5 = 2.1, would give 2/6).
#[tokio::test]
async fn poverty_threshold_ignores_where_and_by() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("inc.csv");
    let mut text = String::from("cntry,w,inc\n");
    for i in 1..=10 {
        text.push_str(&format!("A,1,{i}\n"));
    }
    // Country B: incomes 10..100 (median 55, threshold 33): poor are 10, 20, 30.
    for i in 1..=10 {
        text.push_str(&format!("B,1,{}\n", 10 * i));
    }
    std::fs::write(&path, text).unwrap();
    let mut req = EstimateRequest {
        data: path,
        design: DesignColumns {
            weight: "w".into(),
            strata: None,
            psu: None,
            fpc: None,
            lonely_psu: LonelyPsuRule::Fail,
        },
        variance: VarianceChoice::Linearization,
        mse: false,
        statistic: "arpr(inc)".parse().unwrap(),
        quantile_rule: QuantileRule::InverseCdf,
        condition: Some("inc <= 6".into()),
        by: vec![],
        gap: None,
        country: Some("cntry".into()),
        rules: PUBLISH_ALL,
        confidence: 0.95,
        derived: vec![],
    };
    let f = estimate(&req).await.unwrap().rows[0]
        .estimate
        .figures
        .unwrap();
    assert_eq!(f.estimate, 0.5);
    // By country, no condition: 3/10 in each.
    req.condition = None;
    req.by = vec!["cntry".into()];
    let t = estimate(&req).await.unwrap();
    assert_eq!(t.rows.len(), 2);
    for r in &t.rows {
        assert_eq!(r.estimate.figures.unwrap().estimate, 0.3);
    }
    // One national threshold over both (median of the 20 incomes: (9 + 10) / 2 = 9.5 -> 5.7):
    // in A the poor are 1..5 (5/10), in B none.
    req.country = None;
    let t = estimate(&req).await.unwrap();
    assert_eq!(t.rows[0].estimate.figures.unwrap().estimate, 0.5);
    assert_eq!(t.rows[1].estimate.figures.unwrap().estimate, 0.0);
}
