//! The R `survey` reference values, reproduced through the real path: the CSV files are read
//! and reduced by DataFusion, then estimated.

use std::collections::BTreeMap;
use std::path::PathBuf;

use incity_data::survey::{estimate, DesignColumns, EstimateRequest, Statistic, VarianceChoice};
use incity_estimation::{LonelyPsuRule, PublicationRules, QuantileRule};

fn oracle(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/oracles").join(name)
}

fn expected() -> BTreeMap<(String, String), (f64, f64)> {
    let mut rdr = csv::Reader::from_path(oracle("api_expected.csv")).unwrap();
    rdr.records()
        .map(|r| {
            let r = r.unwrap();
            ((r[0].to_string(), r[3].to_string()), (r[4].parse().unwrap(), r[5].parse().unwrap()))
        })
        .collect()
}

/// Publication rules that publish everything (the oracles are about the numbers).
const PUBLISH_ALL: PublicationRules = PublicationRules {
    suppress_below_n: 0,
    flag_below_n: 0,
    flag_above_cv: None,
    suppress_above_cv: None,
};

fn request(file: &str, strata: Option<&str>, psu: Option<&str>, fpc: Option<&str>, stat: &str) -> EstimateRequest {
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
    let table = estimate(&req).await.unwrap_or_else(|e| panic!("{case}: {e}"));
    for row in &table.rows {
        let domain = if row.is_gap {
            row.domain.last().unwrap().replace(" minus ", "-")
        } else if table.by.is_empty() {
            "all".to_string()
        } else {
            format!("{}={}", table.by[0], row.domain[0])
        };
        let Some(&(e, s)) = exp.get(&(case.to_string(), domain.clone())) else {
            continue;
        };
        let f = row.estimate.figures.unwrap();
        assert!(rel(f.estimate, e) < 1e-9, "{case} {domain}: estimate {} vs {e}", f.estimate);
        assert!(rel(f.se, s) < 1e-9, "{case} {domain}: se {} vs {s}", f.se);
    }
    let matched = table.rows.len();
    assert!(matched > 0, "{case}: no rows");
}

#[tokio::test]
async fn r_survey_values_through_the_scan() {
    let exp = expected();
    check(request("apistrat.csv", Some("stype"), None, None, "mean(api00)"), "strat_mean", &exp).await;
    check(request("apistrat.csv", Some("stype"), None, Some("fpc"), "mean(api00)"), "strat_fpc_mean", &exp).await;
    check(request("apistrat.csv", Some("stype"), None, Some("fpc"), "total(enroll)"), "strat_fpc_total", &exp).await;
    check(request("apistrat.csv", Some("stype"), None, None, "ratio(api.stu, enroll)"), "strat_ratio", &exp).await;

    let mut r = request("apistrat.csv", Some("stype"), None, None, "mean(api00)");
    r.condition = Some("cname IN ('Los Angeles', 'San Diego', 'Orange')".into());
    r.by = vec!["cname".into()];
    let t = estimate(&r).await.unwrap();
    assert_eq!(t.rows.len(), 3);
    check(r, "strat_mean_by_cname_subset", &exp).await;

    let mut r = request("apistrat.csv", Some("stype"), None, None, "share(\"sch.wide\" = 'Yes')");
    r.by = vec!["stype".into()];
    check(r, "strat_prop_by_stype", &exp).await;

    let mut r = request("apistrat.csv", Some("stype"), None, None, "mean(api00)");
    r.by = vec!["stype".into()];
    r.gap = Some(("stype".into(), "H".into()));
    let t = estimate(&r).await.unwrap();
    assert_eq!(t.rows.iter().filter(|x| x.is_gap).count(), 2, "E minus H and M minus H");
    check(r, "strat_gap_E_minus_H", &exp).await;

    let mut r = request("apistrat.csv", Some("stype"), None, None, "mean(api00)");
    r.variance = VarianceChoice::Jkn;
    check(r, "strat_jkn_mean", &exp).await;

    check(request("apiclus1.csv", None, Some("dnum"), None, "mean(api00)"), "clus1_mean", &exp).await;
    check(request("apiclus1.csv", None, Some("dnum"), None, "ratio(api.stu, enroll)"), "clus1_ratio", &exp).await;
    let mut r = request("apiclus1.csv", None, Some("dnum"), None, "mean(api00)");
    r.by = vec!["stype".into()];
    check(r.clone(), "clus1_mean_by_stype", &exp).await;
    r.variance = VarianceChoice::Jk1;
    check(r, "clus1_jk1_mean_by_stype", &exp).await;
    let mut r = request("apiclus1.csv", None, Some("dnum"), None, "mean(api00)");
    r.variance = VarianceChoice::Jk1;
    check(r, "clus1_jk1_mean", &exp).await;
    check(request("apiclus2.csv", None, Some("dnum"), None, "mean(api00)"), "clus2_mean", &exp).await;
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
    let f = estimate(&r).await.unwrap().rows[0].estimate.figures.unwrap();
    assert!(rel(f.estimate, 755.723353281801) < 1e-9);
    assert!(rel(f.ci_low, 724.0) < 1e-6 && rel(f.ci_high, 776.640631592958) < 1e-6);
}

#[tokio::test]
async fn replicate_methods_agree_with_linearisation_on_a_linear_statistic() {
    // For a stratified one-stage design, the JKn variance of a total equals the linearised
    // variance exactly; the bootstrap's converges to it.
    let lin = estimate(&request("apistrat.csv", Some("stype"), None, None, "total(enroll)")).await.unwrap();
    let mut r = request("apistrat.csv", Some("stype"), None, None, "total(enroll)");
    r.variance = VarianceChoice::Jkn;
    let jkn = estimate(&r).await.unwrap();
    let (a, b) = (lin.rows[0].estimate.figures.unwrap().se, jkn.rows[0].estimate.figures.unwrap().se);
    assert!(rel(a, b) < 1e-12, "{a} vs {b}");
    r.variance = VarianceChoice::Bootstrap { replicates: 4000, seed: 3 };
    let boot = estimate(&r).await.unwrap();
    let c = boot.rows[0].estimate.figures.unwrap().se;
    assert!(rel(c, a) < 0.05, "bootstrap {c} vs linearised {a}");
}
