//! The classic Fay-Herriot example (milk expenditure, 43 areas, major-area dummies).
//!
//! - REML: against `samplics` 0.6.0 (`tests/data/oracles/milk_fh_expected.csv`), which the
//!   plain-R Fisher-scoring check `fh_reml_check.R` reproduces independently.
//! - ML and adjusted REML: against `tests/data/oracles/fh_ml_adjusted_check.R`, run here (R is
//!   a test dependency), which finds the root of each score with `uniroot` and uses explicit
//!   projection matrices. `samplics`' ML variance (0.0155446) is *not* the ML estimate: its
//!   Fisher scoring stops after two iterations, and the ML log-likelihood is higher at
//!   0.0155175 (the root of the score, which R and incity both find). So the samplics ML rows
//!   are used only to check the ML EBLUP and Datta-Lahiri MSE formulas *at samplics' variance*.

use std::collections::HashMap;
use std::path::PathBuf;

use incity_small_area::model::{fit_at, log_likelihood};
use incity_small_area::{fit, predict, AreaData, FitOptions, VarianceMethod};

fn oracle_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/oracles")
}

fn milk() -> AreaData {
    let mut r = csv::Reader::from_path(oracle_dir().join("milk.csv")).expect("milk.csv");
    let (mut areas, mut y, mut psi) = (Vec::new(), Vec::new(), Vec::new());
    let mut dummies = vec![Vec::new(), Vec::new(), Vec::new()];
    for row in r.records() {
        let row = row.expect("row");
        let major: usize = row[0].parse().expect("major area");
        areas.push(row[1].to_string());
        y.push(row[3].parse::<f64>().expect("direct"));
        let se: f64 = row[4].parse().expect("se");
        psi.push(se * se);
        for (k, d) in dummies.iter_mut().enumerate() {
            d.push(if major == k + 2 { 1.0 } else { 0.0 });
        }
    }
    let covariates = dummies
        .into_iter()
        .enumerate()
        .map(|(k, d)| (format!("major_area{}", k + 2), d))
        .collect();
    AreaData::new(areas, y, psi, covariates).expect("valid milk data")
}

struct Expected {
    sigma2_u: f64,
    beta: Vec<f64>,
    eblup: HashMap<String, f64>,
    mse: HashMap<String, f64>,
}

fn expected(method: &str) -> Expected {
    let mut r =
        csv::Reader::from_path(oracle_dir().join("milk_fh_expected.csv")).expect("expected");
    let mut out = Expected {
        sigma2_u: f64::NAN,
        beta: vec![],
        eblup: HashMap::new(),
        mse: HashMap::new(),
    };
    for row in r.records() {
        let row = row.expect("row");
        if &row[0] != method {
            continue;
        }
        out.sigma2_u = row[2].parse().expect("sigma2");
        out.beta = row[3]
            .split(' ')
            .map(|b| b.parse().expect("beta"))
            .collect();
        out.eblup
            .insert(row[1].to_string(), row[4].parse().expect("eblup"));
        out.mse
            .insert(row[1].to_string(), row[5].parse().expect("mse"));
    }
    assert_eq!(out.eblup.len(), 43, "43 areas for {method}");
    out
}

fn assert_rel(what: &str, got: f64, want: f64, tol: f64) {
    let rel = ((got - want) / want).abs();
    assert!(
        rel <= tol,
        "{what}: got {got:.15e}, want {want:.15e}, relative error {rel:e}"
    );
}

fn check(method: VarianceMethod, code: &str, mse_tol: f64) {
    let data = milk();
    let f = fit(&data, method, FitOptions::default()).expect("fit");
    let e = expected(code);
    assert_rel("sigma2_u", f.sigma2_u, e.sigma2_u, 1e-8);
    assert_eq!(f.coefficients.len(), 4);
    for (j, (b, want)) in f.coefficients.iter().zip(&e.beta).enumerate() {
        assert_rel(&format!("beta[{j}]"), *b, *want, 1e-8);
    }
    let preds = predict(&f, &data);
    for p in &preds {
        assert_rel(
            &format!("EBLUP of area {}", p.area),
            p.eblup,
            e.eblup[&p.area],
            1e-8,
        );
        assert_rel(
            &format!("MSE of area {}", p.area),
            p.mse,
            e.mse[&p.area],
            mse_tol,
        );
    }
}

#[test]
fn reml_matches_the_oracle_to_1e8() {
    check(VarianceMethod::Reml, "reml", 1e-8);
}

/// ML's coefficients and EBLUPs evaluated at samplics' variance equal samplics' values to 1e-8.
/// Its MSE column is a cross-check only (the oracle README says so): samplics takes the
/// variance of `σ̂²_u` in the Datta-Lahiri bias term from its last Fisher iteration, not at its
/// estimate, so the MSEs agree to 0.5 %, not to 1e-8.
#[test]
fn ml_formulas_at_samplics_variance_match_samplics() {
    let data = milk();
    let e = expected("ml");
    let f = fit_at(&data, VarianceMethod::Ml, e.sigma2_u).expect("fit at");
    for (j, (b, want)) in f.coefficients.iter().zip(&e.beta).enumerate() {
        assert_rel(&format!("beta[{j}]"), *b, *want, 1e-8);
    }
    for p in predict(&f, &data) {
        assert_rel(
            &format!("EBLUP of area {}", p.area),
            p.eblup,
            e.eblup[&p.area],
            1e-8,
        );
        assert_rel(
            &format!("MSE of area {}", p.area),
            p.mse,
            e.mse[&p.area],
            5e-3,
        );
    }
}

/// Runs the R check into a temporary directory: method → Expected.
fn r_check() -> HashMap<String, Expected> {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("fh_check.csv");
    let status = std::process::Command::new("Rscript")
        .arg(oracle_dir().join("fh_ml_adjusted_check.R"))
        .arg(oracle_dir().join("milk.csv"))
        .arg(&out)
        .status()
        .expect(
            "Rscript is needed for this reference check: run scripts/install-test-dependencies.sh",
        );
    assert!(status.success(), "fh_ml_adjusted_check.R failed");
    let mut r = csv::Reader::from_path(&out).expect("R output");
    let mut all: HashMap<String, Expected> = HashMap::new();
    for row in r.records() {
        let row = row.expect("row");
        let num = |i: usize| row[i].trim().parse::<f64>().expect("number");
        let e = all
            .entry(row[0].trim().to_string())
            .or_insert_with(|| Expected {
                sigma2_u: num(2),
                beta: row[3]
                    .split_whitespace()
                    .map(|b| b.parse().expect("beta"))
                    .collect(),
                eblup: HashMap::new(),
                mse: HashMap::new(),
            });
        e.eblup.insert(row[1].trim().to_string(), num(4));
        e.mse.insert(row[1].trim().to_string(), num(5));
    }
    all
}

#[test]
fn ml_and_adjusted_reml_match_the_independent_r_check_to_1e8() {
    let data = milk();
    let all = r_check();
    for (method, code) in [
        (VarianceMethod::Ml, "ml"),
        (VarianceMethod::AdjustedReml, "adjusted-reml"),
        (VarianceMethod::AdjustedRemlYl, "adjusted-reml-yl"),
    ] {
        let e = &all[code];
        let f = fit(&data, method, FitOptions::default()).expect("fit");
        assert_rel(&format!("{code} sigma2_u"), f.sigma2_u, e.sigma2_u, 1e-8);
        for (j, (b, want)) in f.coefficients.iter().zip(&e.beta).enumerate() {
            assert_rel(&format!("{code} beta[{j}]"), *b, *want, 1e-8);
        }
        for p in predict(&f, &data) {
            assert_rel(
                &format!("{code} EBLUP of {}", p.area),
                p.eblup,
                e.eblup[&p.area],
                1e-8,
            );
            assert_rel(
                &format!("{code} MSE of {}", p.area),
                p.mse,
                e.mse[&p.area],
                1e-8,
            );
        }
    }
}

/// The scores in the Fisher scoring are checked against central finite differences of the
/// log-likelihoods, which are computed by different code (determinants, not traces).
#[test]
fn estimates_are_stationary_points_of_their_likelihoods() {
    let data = milk();
    for method in [
        VarianceMethod::Reml,
        VarianceMethod::Ml,
        VarianceMethod::AdjustedReml,
        VarianceMethod::AdjustedRemlYl,
    ] {
        let f = fit(&data, method, FitOptions::default()).expect("fit");
        let objective = |s: f64| {
            let l = log_likelihood(&data, method, s);
            match method {
                VarianceMethod::AdjustedReml => l + s.ln(),
                VarianceMethod::AdjustedRemlYl => {
                    let t: f64 = data
                        .sampling_variance()
                        .iter()
                        .map(|psi| s / (s + psi))
                        .sum();
                    l + t.atan().ln() / data.len() as f64
                }
                _ => l,
            }
        };
        let h = f.sigma2_u * 1e-4;
        let slope = (objective(f.sigma2_u + h) - objective(f.sigma2_u - h)) / (2.0 * h);
        let curvature = (objective(f.sigma2_u + h) - 2.0 * objective(f.sigma2_u)
            + objective(f.sigma2_u - h))
            / (h * h);
        assert!(
            slope.abs() < 1e-6 * curvature.abs() * f.sigma2_u,
            "{method:?}: slope {slope:e} at the estimate"
        );
        assert!(curvature < 0.0, "{method:?}: not a maximum");
    }
}

#[test]
fn adjusted_reml_lies_above_reml() {
    let data = milk();
    let reml = fit(&data, VarianceMethod::Reml, FitOptions::default()).expect("reml");
    let adj = fit(&data, VarianceMethod::AdjustedReml, FitOptions::default()).expect("adjusted");
    let yl = fit(&data, VarianceMethod::AdjustedRemlYl, FitOptions::default()).expect("yl");
    // The adjusted scores are the REML score plus a positive term, so their roots lie above
    // REML's; Yoshimori-Lahiri's term is O(1/m) smaller than Li-Lahiri's 1/σ².
    assert!(
        reml.sigma2_u < yl.sigma2_u && yl.sigma2_u < adj.sigma2_u,
        "REML {}, YL {}, Li-Lahiri {}",
        reml.sigma2_u,
        yl.sigma2_u,
        adj.sigma2_u
    );
}

/// With the same `b_i² = c` for every area the model is the basic one with `σ²_u c`: the
/// variance scales by `1/c`, and EBLUPs and MSEs are unchanged (for every method, which checks
/// the `b_i` terms of the scores, `g3` and the bias corrections against the oracle-checked
/// basic formulas).
#[test]
fn a_constant_effect_scale_only_rescales_the_area_variance() {
    for method in [
        VarianceMethod::Reml,
        VarianceMethod::Ml,
        VarianceMethod::AdjustedReml,
        VarianceMethod::AdjustedRemlYl,
    ] {
        let plain = milk();
        let scaled = milk().with_effect_scale(vec![2.5; 43]).expect("scale");
        let a = fit(&plain, method, FitOptions::default()).expect("fit");
        let b = fit(&scaled, method, FitOptions::default()).expect("fit");
        assert_rel(
            &format!("{method:?} sigma2"),
            b.sigma2_u * 2.5,
            a.sigma2_u,
            1e-9,
        );
        for (p, q) in predict(&a, &plain).iter().zip(predict(&b, &scaled)) {
            assert_rel(
                &format!("{method:?} EBLUP {}", p.area),
                q.eblup,
                p.eblup,
                1e-9,
            );
            assert_rel(&format!("{method:?} MSE {}", p.area), q.mse, p.mse, 1e-8);
        }
    }
}
