//! The at-risk-of-poverty rate and the Gini coefficient, with their linearised standard errors,
//! against an independent implementation in plain R (`tests/data/oracles/poverty_gini.R`: the
//! influence functions written out, no shared code) on laeken's real `eusilc` extract, through
//! the real path (CSV scanned by DataFusion, then estimated). Tolerance 1e-8 relative: a
//! missing or wrong term (e.g. the threshold's derivative) fails.

use std::collections::BTreeMap;
use std::path::PathBuf;

use incity_data::survey::{estimate, DesignColumns, EstimateRequest, VarianceChoice};
use incity_estimation::{LonelyPsuRule, PublicationRules, QuantileRule};

const PUBLISH_ALL: PublicationRules = PublicationRules {
    suppress_below_n: 0,
    flag_below_n: 0,
    flag_above_cv: None,
    suppress_above_cv: None,
    population_thresholds: None,
    proportions: None,
    flag_below_df: None,
};

fn rel(a: f64, b: f64) -> f64 {
    ((a - b) / b).abs()
}

#[tokio::test]
async fn poverty_rate_and_gini_match_plain_r_influence_functions() {
    let dir = tempfile::tempdir().unwrap();
    let script =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/oracles/poverty_gini.R");
    let status = std::process::Command::new("Rscript")
        .arg(&script)
        .arg(dir.path())
        .status()
        .expect(
            "Rscript is needed for this reference check: run scripts/install-test-dependencies.sh",
        );
    assert!(
        status.success(),
        "{} failed (is r-cran-laeken installed?)",
        script.display()
    );
    let mut expected: BTreeMap<(String, String), (f64, Option<f64>)> = BTreeMap::new();
    let mut rdr = csv::Reader::from_path(dir.path().join("poverty_gini_expected.csv")).unwrap();
    for r in rdr.records() {
        let r = r.unwrap();
        expected.insert(
            (r[0].to_string(), r[1].to_string()),
            (r[2].parse().unwrap(), r[3].parse().ok()),
        );
    }
    // laeken's own points agree with the plain-R ones.
    for stat in ["arpr", "gini"] {
        let plain = expected[&(stat.to_string(), "all".to_string())].0;
        let laeken = expected[&(format!("laeken-{stat}"), "all".to_string())].0;
        assert!(
            rel(plain, laeken) < 1e-12,
            "{stat}: {plain} vs laeken {laeken}"
        );
    }
    let mut matched = 0;
    for stat in ["arpr", "gini"] {
        for by in [false, true] {
            let table = estimate(&EstimateRequest {
                data: dir.path().join("eusilc_units.csv"),
                design: DesignColumns {
                    weight: "rb050".into(),
                    strata: Some("db040".into()),
                    psu: Some("db030".into()),
                    fpc: None,
                    lonely_psu: LonelyPsuRule::Fail,
                },
                variance: VarianceChoice::Linearization,
                mse: false,
                statistic: format!("{stat}(eqIncome)").parse().unwrap(),
                quantile_rule: QuantileRule::EuSilc,
                condition: None,
                by: if by { vec!["rb090".into()] } else { vec![] },
                gap: by.then(|| ("rb090".to_string(), "male".to_string())),
                country: None,
                rules: PUBLISH_ALL,
                confidence: 0.95,
                derived: vec![],
            })
            .await
            .unwrap();
            for row in &table.rows {
                let level = row.domain.first().cloned().unwrap_or_else(|| "all".into());
                // The R script names the gap `female minus male`.
                let domain = match &row.reference {
                    Some(reference) => format!("{level} minus {reference}"),
                    None => level,
                };
                let (e, se) = expected[&(stat.to_string(), domain.clone())];
                let f = row.estimate.figures.unwrap();
                assert!(
                    rel(f.estimate, e) < 1e-10,
                    "{stat} {domain}: {} vs R {e}",
                    f.estimate
                );
                let se = se.unwrap();
                assert!(
                    rel(f.se, se) < 1e-8,
                    "{stat} {domain}: se {} vs R {se} (ratio {})",
                    f.se,
                    f.se / se
                );
                matched += 1;
            }
        }
    }
    // 2 statistics × (all, female, male, female minus male).
    assert_eq!(matched, 8);
}
