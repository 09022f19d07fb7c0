//! Simulations with known truth: the EBLUP beats the direct estimator, the MSE estimators are
//! calibrated, intervals cover; plus the behaviours the modules promise (truncation at zero,
//! adjusted REML positive, bootstrap reproducible on any thread count, benchmarking adds up,
//! variance smoothing recovers a known design effect).

use incity_small_area::{
    bootstrap_mse, estimate_small_areas, fit, predict, ratio_benchmark, smooth_share_variances,
    synthetic, AreaData, AreaInput, FitOptions, MseMethod, SmallAreaModel, Transform,
    VarianceMethod,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Binomial, Distribution, StandardNormal};

const M: usize = 50;

fn design(rng: &mut ChaCha8Rng) -> (Vec<f64>, Vec<f64>) {
    let x: Vec<f64> = (0..M).map(|_| rng.random::<f64>()).collect();
    // Sampling variances from se 0.03 to 0.10, as for shares from 25 to 250 respondents.
    let psi: Vec<f64> = (0..M)
        .map(|i| (0.03 + 0.07 * i as f64 / (M - 1) as f64).powi(2))
        .collect();
    (x, psi)
}

fn names() -> Vec<String> {
    (0..M).map(|i| format!("A{i}")).collect()
}

/// Datta-Lahiri style simulation: area effects and sampling errors redrawn in each of 1,000
/// repetitions, covariates and sampling variances fixed.
#[test]
fn eblup_beats_direct_mse_is_calibrated_and_intervals_cover() {
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let (x, psi) = design(&mut rng);
    let sigma2_u = 0.05_f64.powi(2);
    let reps = 1000;
    for method in [
        VarianceMethod::Reml,
        VarianceMethod::Ml,
        VarianceMethod::AdjustedReml,
        VarianceMethod::AdjustedRemlYl,
    ] {
        let mut emp_eblup = vec![0.0; M];
        let mut emp_direct = vec![0.0; M];
        let mut est_mse = vec![0.0; M];
        let mut covered = 0usize;
        for _ in 0..reps {
            let mut theta = Vec::with_capacity(M);
            let mut y = Vec::with_capacity(M);
            for i in 0..M {
                let u: f64 = StandardNormal.sample(&mut rng);
                let e: f64 = StandardNormal.sample(&mut rng);
                let t = 0.3 + 0.4 * x[i] + sigma2_u.sqrt() * u;
                theta.push(t);
                y.push(t + psi[i].sqrt() * e);
            }
            let data = AreaData::new(
                names(),
                y.clone(),
                psi.clone(),
                vec![("x".into(), x.clone())],
            )
            .expect("data");
            let f = fit(&data, method, FitOptions::default()).expect("fit");
            for (i, p) in predict(&f, &data).iter().enumerate() {
                emp_eblup[i] += (p.eblup - theta[i]).powi(2) / reps as f64;
                emp_direct[i] += (y[i] - theta[i]).powi(2) / reps as f64;
                est_mse[i] += p.mse / reps as f64;
                if (p.eblup - theta[i]).abs() <= 1.959_964 * p.mse.max(0.0).sqrt() {
                    covered += 1;
                }
            }
        }
        let total_eblup: f64 = emp_eblup.iter().sum();
        let total_direct: f64 = emp_direct.iter().sum();
        assert!(
            total_eblup < 0.8 * total_direct,
            "{method:?}: EBLUP MSE {total_eblup} vs direct {total_direct}"
        );
        // Relative bias of the MSE estimator, averaged over areas.
        let rb: f64 = est_mse
            .iter()
            .zip(&emp_eblup)
            .map(|(e, t)| e / t - 1.0)
            .sum::<f64>()
            / M as f64;
        assert!(
            rb.abs() < 0.10,
            "{method:?}: relative bias of the MSE estimator {rb}"
        );
        let coverage = covered as f64 / (reps * M) as f64;
        assert!(
            (0.93..=0.97).contains(&coverage),
            "{method:?}: coverage {coverage}"
        );
    }
}

/// Shares on the arcsine scale with binomial sampling: the bias-corrected back-transformed
/// EBLUP beats the direct share, and the bootstrap MSE tracks the empirical MSE.
#[test]
fn arcsine_model_for_shares_with_bootstrap_mse() {
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let x: Vec<f64> = (0..M).map(|_| rng.random::<f64>()).collect();
    let n: Vec<f64> = (0..M).map(|i| (15 + 4 * i) as f64).collect();
    let reps = 120;
    let mut emp_model = vec![0.0; M];
    let mut emp_direct = vec![0.0; M];
    let mut est = vec![0.0; M];
    for r in 0..reps {
        let mut truth = Vec::with_capacity(M);
        let mut share = Vec::with_capacity(M);
        for i in 0..M {
            let u: f64 = StandardNormal.sample(&mut rng);
            let t = (0.5 + 0.5 * x[i] + 0.08 * u).clamp(0.0, std::f64::consts::FRAC_PI_2);
            let p = t.sin().powi(2);
            truth.push(p);
            let k = Binomial::new(n[i] as u64, p)
                .expect("binomial")
                .sample(&mut rng);
            share.push(k as f64 / n[i]);
        }
        let variance: Vec<f64> = share
            .iter()
            .zip(&n)
            .map(|(p, n)| p * (1.0 - p) / n)
            .collect();
        let result = estimate_small_areas(
            AreaInput {
                areas: names(),
                direct: share.clone(),
                sampling_variance: variance,
                respondents: Some(n.clone()),
                design_effect: Some(1.0),
                covariates: vec![("x".into(), x.clone())],
                effect_scale: None,
            },
            SmallAreaModel {
                method: VarianceMethod::AdjustedReml,
                transform: Transform::ArcsinSqrt,
                mse: MseMethod::Bootstrap {
                    replicates: 100,
                    seed: r as u64,
                },
                options: FitOptions::default(),
            },
        )
        .expect("model");
        for (i, a) in result.areas.iter().enumerate() {
            assert!(
                (0.0..=1.0).contains(&a.estimate)
                    && a.ci_low <= a.estimate
                    && a.estimate <= a.ci_high
            );
            emp_model[i] += (a.estimate - truth[i]).powi(2) / reps as f64;
            emp_direct[i] += (share[i] - truth[i]).powi(2) / reps as f64;
            est[i] += a.mse / reps as f64;
        }
    }
    let (tm, td): (f64, f64) = (emp_model.iter().sum(), emp_direct.iter().sum());
    assert!(tm < 0.7 * td, "model {tm} vs direct {td}");
    let ratio = est.iter().sum::<f64>() / tm;
    assert!(
        (0.85..=1.15).contains(&ratio),
        "bootstrap MSE / empirical MSE = {ratio}"
    );
}

#[test]
fn bootstrap_is_identical_on_any_thread_count() {
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let (x, psi) = design(&mut rng);
    let y: Vec<f64> = x
        .iter()
        .map(|x| 0.2 + x + 0.05 * rng.random::<f64>())
        .collect();
    let data = AreaData::new(names(), y, psi, vec![("x".into(), x)]).expect("data");
    let f = fit(&data, VarianceMethod::Reml, FitOptions::default()).expect("fit");
    let run = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("pool")
            .install(|| {
                bootstrap_mse(
                    &data,
                    &f,
                    |t| t,
                    |d| {
                        let g = fit(d, VarianceMethod::Reml, FitOptions::default())?;
                        Ok(predict(&g, d).iter().map(|p| p.eblup).collect())
                    },
                    64,
                    9,
                )
                .expect("bootstrap")
            })
    };
    let one = run(1);
    for threads in [2, 3, 8] {
        let other = run(threads);
        assert!(
            one.mse
                .iter()
                .zip(&other.mse)
                .all(|(a, b)| a.to_bits() == b.to_bits()),
            "{threads} threads differ"
        );
    }
}

#[test]
fn reml_truncates_at_zero_and_adjusted_reml_stays_positive() {
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let (x, psi) = design(&mut rng);
    // True values exactly on the regression line, small sampling errors: no area variance.
    let y: Vec<f64> = x
        .iter()
        .zip(&psi)
        .map(|(x, v)| {
            let e: f64 = StandardNormal.sample(&mut rng);
            0.3 + 0.4 * x + 0.3 * v.sqrt() * e
        })
        .collect();
    let data = AreaData::new(names(), y, psi, vec![("x".into(), x)]).expect("data");
    let reml = fit(&data, VarianceMethod::Reml, FitOptions::default()).expect("reml");
    assert!(
        reml.at_boundary && reml.sigma2_u == 0.0,
        "REML {}",
        reml.sigma2_u
    );
    let p = predict(&reml, &data);
    assert!(p.iter().all(|a| a.gamma == 0.0 && a.mse > 0.0));
    let adj = fit(&data, VarianceMethod::AdjustedReml, FitOptions::default()).expect("adjusted");
    assert!(adj.sigma2_u > 0.0 && !adj.at_boundary);
}

#[test]
fn synthetic_estimates_for_areas_without_a_sample() {
    let mut rng = ChaCha8Rng::seed_from_u64(2);
    let (x, psi) = design(&mut rng);
    let y: Vec<f64> = x
        .iter()
        .map(|x| 0.3 + 0.4 * x + 0.05 * rng.random::<f64>())
        .collect();
    let data = AreaData::new(names(), y, psi, vec![("x".into(), x)]).expect("data");
    let f = fit(&data, VarianceMethod::Reml, FitOptions::default()).expect("fit");
    let s = synthetic(&f, &data, &[0.5]).expect("synthetic");
    assert!((s.estimate - (f.coefficients[0] + 0.5 * f.coefficients[1])).abs() < 1e-15);
    assert!(
        s.mse > f.sigma2_u,
        "the synthetic MSE includes the area variance"
    );
    assert!(synthetic(&f, &data, &[0.5, 1.0]).is_err());
}

#[test]
fn ratio_benchmarking_adds_up_and_never_lowers_the_mse() {
    let est = [0.40, 0.55, 0.62];
    let mse = [0.001, 0.002, 0.0015];
    let w = [0.5, 0.3, 0.2];
    let (factor, b) = ratio_benchmark(&est, &mse, &w, 0.50).expect("benchmark");
    let sum: f64 = b.iter().zip(&w).map(|(b, w)| b.estimate * w).sum();
    assert!((sum - 0.50).abs() < 1e-12);
    assert!((factor - 0.50 / (0.2 + 0.165 + 0.124)).abs() < 1e-12);
    for (b, m) in b.iter().zip(&mse) {
        assert!(b.mse >= *m && (b.mse - m - b.adjustment.powi(2)).abs() < 1e-15);
    }
    assert!(ratio_benchmark(&est, &mse, &[0.5, 0.3, 0.3], 0.5).is_err());
}

#[test]
fn share_variance_smoothing_recovers_a_known_design_effect() {
    let mut rng = ChaCha8Rng::seed_from_u64(4);
    let deff = 1.8;
    let (mut p, mut v, mut n) = (vec![], vec![], vec![]);
    for i in 0..400 {
        let ni = (20 + i % 200) as f64;
        let pi = 0.2 + 0.6 * rng.random::<f64>();
        // A direct variance estimate with the noise of a chi-square on 10 df.
        let chi: f64 = (0..10)
            .map(|_| StandardNormal.sample(&mut rng))
            .map(|z: f64| z * z)
            .sum();
        v.push(deff * pi * (1.0 - pi) / ni * chi / 10.0);
        p.push(pi);
        n.push(ni);
    }
    p[0] = 0.0;
    v[0] = 0.0; // a share of 0 with variance 0: not used for the fit, but smoothed
    let s = smooth_share_variances(&p, &v, &n).expect("smoothing");
    assert!(
        (s.design_effect / deff - 1.0).abs() < 0.05,
        "deff {}",
        s.design_effect
    );
    assert_eq!(s.areas_used, 399);
    assert!(s.variances[0] > 0.0);
}

/// True values of small populations scatter more: `Var(u_i) ∝ 1 / N_i`. A model with one area
/// variance then understates the MSE of the small areas; declaring `b_i² = N̄ / N_i`
/// ([`AreaData::with_effect_scale`]) restores it.
#[test]
fn unequal_area_effect_variances_are_modelled_by_the_effect_scale() {
    let mut rng = ChaCha8Rng::seed_from_u64(21);
    let x: Vec<f64> = (0..M).map(|_| rng.random::<f64>()).collect();
    // Populations from 2,000 to 200,000: b_i² = median / N_i from about 0.2 to 20.
    let population: Vec<f64> = (0..M)
        .map(|i| 2_000.0 * 100f64.powf(i as f64 / (M - 1) as f64))
        .collect();
    let median = population[M / 2];
    let b2: Vec<f64> = population.iter().map(|n| median / n).collect();
    let psi = vec![0.04_f64.powi(2); M];
    let sigma2_u = 0.03_f64.powi(2);
    let reps = 600;
    let small: Vec<usize> = (0..M / 5).collect(); // the 10 smallest populations
    let mut mse_ratio = [(0.0, 0.0); 2]; // (estimated, empirical) over the small areas
    for _ in 0..reps {
        let mut theta = Vec::with_capacity(M);
        let mut y = Vec::with_capacity(M);
        for i in 0..M {
            let u: f64 = StandardNormal.sample(&mut rng);
            let e: f64 = StandardNormal.sample(&mut rng);
            let t = 0.3 + 0.4 * x[i] + (sigma2_u * b2[i]).sqrt() * u;
            theta.push(t);
            y.push(t + psi[i].sqrt() * e);
        }
        let plain = AreaData::new(
            names(),
            y.clone(),
            psi.clone(),
            vec![("x".into(), x.clone())],
        )
        .expect("data");
        let scaled = plain.clone().with_effect_scale(b2.clone()).expect("scale");
        for (k, data) in [plain, scaled].iter().enumerate() {
            let f = fit(data, VarianceMethod::Reml, FitOptions::default()).expect("fit");
            let p = predict(&f, data);
            for &i in &small {
                mse_ratio[k].0 += p[i].mse;
                mse_ratio[k].1 += (p[i].eblup - theta[i]).powi(2);
            }
        }
    }
    let plain = mse_ratio[0].0 / mse_ratio[0].1;
    let scaled = mse_ratio[1].0 / mse_ratio[1].1;
    assert!(
        plain < 0.75,
        "one area variance: estimated / empirical MSE {plain}"
    );
    assert!(
        (0.85..=1.15).contains(&scaled),
        "with the effect scale: {scaled}"
    );
}
