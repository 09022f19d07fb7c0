//! Properties of the estimators on random designs and data.

use std::collections::HashMap;

use incity_estimation::*;
use proptest::prelude::*;

/// A random stratified cluster sample: per stratum a number of PSUs, per PSU some units with
/// weight, value, denominator and domain membership.
#[derive(Debug, Clone)]
struct Sample {
    psu_counts: Vec<usize>,
    units: Vec<(PsuRef, f64, f64, f64, bool)>,
}

fn sample_strategy() -> impl Strategy<Value = Sample> {
    prop::collection::vec(2usize..6, 1..5).prop_flat_map(|psu_counts| {
        let psus: Vec<PsuRef> = psu_counts
            .iter()
            .enumerate()
            .flat_map(|(h, &n)| {
                (0..n).map(move |j| PsuRef {
                    stratum: h as u32,
                    psu: j as u32,
                })
            })
            .collect();
        let k = psus.len();
        (
            Just(psu_counts),
            prop::collection::vec(
                (
                    0..k,
                    0.5f64..50.0,
                    -10.0f64..100.0,
                    0.5f64..5.0,
                    any::<bool>(),
                ),
                k * 2..k * 6,
            )
            .prop_map(move |raw| {
                let mut units: Vec<_> = raw
                    .into_iter()
                    .map(|(p, w, y, x, d)| (psus[p], w, y, x, d))
                    .collect();
                // Every PSU has at least one unit, and the domain is never empty.
                for (i, p) in psus.iter().enumerate() {
                    units.push((*p, 1.0 + i as f64, i as f64, 1.0, i == 0));
                }
                units
            }),
        )
            .prop_map(|(psu_counts, units)| Sample { psu_counts, units })
    })
}

fn design(s: &Sample) -> SampleDesign {
    SampleDesign::new(
        s.psu_counts
            .iter()
            .enumerate()
            .map(|(h, &n)| Stratum {
                label: h.to_string(),
                psu_count: n,
                sampling_fraction: 0.0,
            })
            .collect(),
        LonelyPsuRule::Fail,
    )
    .unwrap()
}

fn domain(s: &Sample, keep: impl Fn(bool) -> bool) -> DomainSums {
    DomainSums::from_cells(
        s.units
            .iter()
            .filter(|u| keep(u.4))
            .map(|u| (u.0, CellSums::unit(u.1, u.2, u.3)))
            .collect(),
    )
}

/// Independent brute-force linearised variance of a domain ratio: unit-level z, PSU totals in a
/// hash map, explicit stratum loops (textbook formula, no shared code with the crate).
fn brute_ratio_variance(s: &Sample) -> (f64, f64) {
    let (mut y, mut x) = (0.0, 0.0);
    for u in s.units.iter().filter(|u| u.4) {
        y += u.1 * u.2;
        x += u.1 * u.3;
    }
    let r = y / x;
    let mut totals: HashMap<PsuRef, f64> = HashMap::new();
    for u in &s.units {
        let z = if u.4 { u.1 * (u.2 - r * u.3) / x } else { 0.0 };
        *totals.entry(u.0).or_default() += z;
    }
    let mut v = 0.0;
    for (h, &n) in s.psu_counts.iter().enumerate() {
        let zs: Vec<f64> = (0..n)
            .map(|j| {
                totals
                    .get(&PsuRef {
                        stratum: h as u32,
                        psu: j as u32,
                    })
                    .copied()
                    .unwrap_or(0.0)
            })
            .collect();
        let mean = zs.iter().sum::<f64>() / n as f64;
        v += n as f64 / (n as f64 - 1.0) * zs.iter().map(|z| (z - mean).powi(2)).sum::<f64>();
    }
    (r, v)
}

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * (1.0 + a.abs().max(b.abs()))
}

proptest! {
    // Failing cases are persisted (proptest's default, next to this file under
    // `proptest-regressions/`) and replayed first on every run: commit them.
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    /// A domain estimate keeps every PSU of the design (zero contributions outside the domain):
    /// it equals the brute-force formula on the full design, not the estimate on a design cut
    /// down to the domain's PSUs.
    #[test]
    fn domain_ratio_matches_brute_force(s in sample_strategy()) {
        let d = design(&s);
        let dom = domain(&s, |inside| inside);
        let pv = estimate_linear(&d, &LinearStatistic { kind: LinearKind::Ratio, domain: &dom, reference: None }, &LinearVariance::Linearization).unwrap();
        let (r, v) = brute_ratio_variance(&s);
        prop_assert!(close(pv.estimate, r, 1e-12));
        prop_assert!(close(pv.variance, v, 1e-9), "{} vs {}", pv.variance, v);
    }

    /// In a one-stage stratified design the JKn variance of a total equals its linearised
    /// variance exactly.
    #[test]
    fn jackknife_of_a_total_equals_linearisation(s in sample_strategy()) {
        let d = design(&s);
        let all = domain(&s, |_| true);
        let stat = LinearStatistic { kind: LinearKind::Total, domain: &all, reference: None };
        let lin = estimate_linear(&d, &stat, &LinearVariance::Linearization).unwrap();
        let rep = ReplicateDesign::new(&d, ReplicateMethod::Jkn, false)
        .unwrap();
        let jk = estimate_linear(&d, &stat, &LinearVariance::Replicates(&rep)).unwrap();
        prop_assert!(close(lin.variance, jk.variance, 1e-9), "{} vs {}", lin.variance, jk.variance);
    }

    /// The closed-form jackknife equals recomputing the statistic with explicit replicate
    /// weights for each deleted PSU (gap of two domain ratios).
    #[test]
    fn closed_form_jackknife_equals_explicit_replicates(s in sample_strategy()) {
        let d = design(&s);
        let a = domain(&s, |inside| inside);
        let b = domain(&s, |inside| !inside);
        prop_assume!(b.total().x > 0.0);
        let stat = LinearStatistic { kind: LinearKind::Ratio, domain: &a, reference: Some(&b) };
        let rep = ReplicateDesign::new(&d, ReplicateMethod::Jkn, false)
        .unwrap();
        let closed = estimate_linear(&d, &stat, &LinearVariance::Replicates(&rep)).unwrap();
        let offsets = d.psu_offsets();
        let mut m = Vec::new();
        let mut thetas = Vec::new();
        for r in 0..rep.replicate_count() {
            rep.multipliers(r, &mut m);
            let (mut ya, mut xa, mut yb, mut xb) = (0.0, 0.0, 0.0, 0.0);
            for u in &s.units {
                let w = u.1 * m[offsets[u.0.stratum as usize] + u.0.psu as usize];
                if u.4 { ya += w * u.2; xa += w * u.3 } else { yb += w * u.2; xb += w * u.3 }
            }
            thetas.push((ya / xa - yb / xb, rep.rscale(r), 1.0));
        }
        let explicit = rep.variance(closed.estimate, &thetas);
        // A replicate that deletes every unit of a domain leaves its ratio undefined.
        prop_assume!(explicit.is_finite());
        prop_assert!(close(closed.variance, explicit, 1e-9), "{} vs {}", closed.variance, explicit);
    }
}

#[test]
fn bootstrap_converges_to_linearisation() {
    // A fixed design with 6 strata × 8 PSUs.
    let mut units = Vec::new();
    for h in 0..6u32 {
        for j in 0..8u32 {
            for k in 0..5 {
                let v = ((h * 31 + j * 7 + k * 13) % 17) as f64;
                units.push((
                    PsuRef { stratum: h, psu: j },
                    1.0 + (h as f64),
                    v,
                    1.0,
                    k % 2 == 0,
                ));
            }
        }
    }
    let s = Sample {
        psu_counts: vec![8; 6],
        units,
    };
    let d = design(&s);
    let dom = domain(&s, |inside| inside);
    let stat = LinearStatistic {
        kind: LinearKind::Ratio,
        domain: &dom,
        reference: None,
    };
    let lin = estimate_linear(&d, &stat, &LinearVariance::Linearization).unwrap();
    let rep = ReplicateDesign::new(
        &d,
        ReplicateMethod::Bootstrap {
            replicates: 20_000,
            seed: 42,
        },
        false,
    )
    .unwrap();
    let boot = estimate_linear(&d, &stat, &LinearVariance::Replicates(&rep)).unwrap();
    let ratio = (boot.variance / lin.variance).sqrt();
    assert!(
        (ratio - 1.0).abs() < 0.03,
        "bootstrap se / linearised se = {ratio}"
    );
    // With few replicates the estimate is noisier but still in the right range.
    let rep = ReplicateDesign::new(
        &d,
        ReplicateMethod::Bootstrap {
            replicates: 200,
            seed: 42,
        },
        false,
    )
    .unwrap();
    let boot = estimate_linear(&d, &stat, &LinearVariance::Replicates(&rep)).unwrap();
    let ratio = (boot.variance / lin.variance).sqrt();
    assert!((ratio - 1.0).abs() < 0.2, "{ratio}");
}

#[test]
fn poverty_rate_linearisation_agrees_with_bootstrap() {
    // 40 PSUs in 4 strata; incomes log-normal-like; a national threshold; domain = half.
    let mut psu = Vec::new();
    let mut weight = Vec::new();
    let mut value = Vec::new();
    let mut dom = Vec::new();
    let mut state: u64 = 12345;
    let mut unif = || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((state >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    };
    for h in 0..4u32 {
        for j in 0..10u32 {
            let level = 0.3 * (unif() - 0.5);
            for _ in 0..40 {
                let u1 = unif();
                let u2 = unif();
                let z = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
                psu.push(PsuRef { stratum: h, psu: j });
                weight.push(50.0 + 10.0 * h as f64);
                value.push((10.0 + level + 0.6 * z).exp());
                dom.push(if j % 2 == 0 { Some(0) } else { Some(1) });
            }
        }
    }
    let n = value.len();
    let units = UnitData {
        psu,
        weight,
        value,
        domain: dom,
        group: vec![0; n],
        at_risk_otherwise: Vec::new(),
    };
    let d = SampleDesign::new(
        (0..4)
            .map(|h| Stratum {
                label: h.to_string(),
                psu_count: 10,
                sampling_fraction: 0.0,
            })
            .collect(),
        LonelyPsuRule::Fail,
    )
    .unwrap();
    let kind = NonlinearKind::PovertyRate { fraction: 0.6 };
    let (lin, _) = estimate_nonlinear(
        &d,
        &units,
        2,
        kind,
        NonlinearVariance::Linearization,
        &[],
        0.95,
    )
    .unwrap();
    let rep = ReplicateDesign::new(
        &d,
        ReplicateMethod::Bootstrap {
            replicates: 2000,
            seed: 9,
        },
        false,
    )
    .unwrap();
    let (boot, _) = estimate_nonlinear(
        &d,
        &units,
        2,
        kind,
        NonlinearVariance::Replicates(&rep),
        &[],
        0.95,
    )
    .unwrap();
    for k in 0..2 {
        let a = lin[k].clone().unwrap().point;
        let b = boot[k].clone().unwrap().point;
        assert_eq!(a.estimate, b.estimate);
        let ratio = (a.variance / b.variance).sqrt();
        assert!(
            (0.8..1.25).contains(&ratio),
            "domain {k}: linearised/bootstrap se = {ratio}"
        );
    }
    // Gini: same check.
    let (lin, _) = estimate_nonlinear(
        &d,
        &units,
        2,
        NonlinearKind::Gini,
        NonlinearVariance::Linearization,
        &[],
        0.95,
    )
    .unwrap();
    let (boot, _) = estimate_nonlinear(
        &d,
        &units,
        2,
        NonlinearKind::Gini,
        NonlinearVariance::Replicates(&rep),
        &[],
        0.95,
    )
    .unwrap();
    for k in 0..2 {
        let a = lin[k].clone().unwrap().point;
        let b = boot[k].clone().unwrap().point;
        let ratio = (a.variance / b.variance).sqrt();
        assert!(
            (0.8..1.25).contains(&ratio),
            "gini domain {k}: linearised/bootstrap se = {ratio}"
        );
    }
}
