//! Results that must not depend on how they are computed: the bootstrap is the same to the bit
//! whatever the number of threads, and the poverty rate's linearised variance does not change
//! when every weight is multiplied by the same constant (pooling three years divides them by 3).

use incity_estimation::*;

/// 30 PSUs in 3 strata (one stratum with a single PSU), incomes log-normal-like, two domains.
fn sample() -> (SampleDesign, UnitData, Vec<(PsuRef, CellSums)>) {
    let mut state: u64 = 2026;
    let mut unif = || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((state >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    };
    let psus_per_stratum = [14u32, 15, 1];
    let (mut psu, mut weight, mut value, mut domain) = (vec![], vec![], vec![], vec![]);
    let mut cells = Vec::new();
    for (h, &n) in psus_per_stratum.iter().enumerate() {
        for j in 0..n {
            let p = PsuRef {
                stratum: h as u32,
                psu: j,
            };
            let mut sums = CellSums::default();
            for _ in 0..25 {
                let (u1, u2) = (unif(), unif());
                let z = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
                let w = 40.0 + 30.0 * unif();
                let y = (10.0 + 0.7 * z).exp();
                psu.push(p);
                weight.push(w);
                value.push(y);
                domain.push(Some((unif() < 0.3) as u32));
                let poor = (y < 14_000.0) as u8 as f64;
                sums.n += 1;
                sums.w += w;
                sums.y += w * poor;
                sums.x += w;
                sums.yy += w * poor;
                sums.xy += w * poor;
                sums.xx += w;
            }
            cells.push((p, sums));
        }
    }
    let design = SampleDesign::new(
        psus_per_stratum
            .iter()
            .enumerate()
            .map(|(h, &n)| Stratum {
                label: format!("s{h}"),
                psu_count: n as usize,
                sampling_fraction: 0.0,
            })
            .collect(),
        LonelyPsuRule::Adjust,
    )
    .unwrap();
    let n = value.len();
    let units = UnitData {
        psu,
        weight,
        value,
        domain,
        group: vec![0; n],
        at_risk_otherwise: Vec::new(),
    };
    (design, units, cells)
}

/// Linear and nonlinear bootstrap variances, computed on a pool of `threads` threads.
fn bootstrap_on(threads: usize) -> Vec<u64> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    pool.install(|| {
        let (design, units, cells) = sample();
        let rep = ReplicateDesign::new(
            &design,
            ReplicateMethod::Bootstrap {
                replicates: 1000,
                seed: 11,
            },
            false,
        )
        .unwrap();
        let sums = DomainSums::from_cells(cells);
        let linear = estimate_linear_batch(
            &design,
            &[LinearStatistic {
                kind: LinearKind::Ratio,
                domain: &sums,
                reference: None,
            }],
            &LinearVariance::Replicates(&rep),
        )
        .unwrap();
        let mut bits = vec![linear[0].clone().unwrap().variance.to_bits()];
        for kind in [
            NonlinearKind::PovertyRate { fraction: 0.6 },
            NonlinearKind::Gini,
        ] {
            let (domains, _) = estimate_nonlinear(
                &design,
                &units,
                2,
                kind,
                NonlinearVariance::Replicates(&rep),
                &[],
                0.95,
            )
            .unwrap();
            bits.extend(
                domains
                    .iter()
                    .map(|d| d.clone().unwrap().point.variance.to_bits()),
            );
        }
        bits
    })
}

#[test]
fn the_bootstrap_is_the_same_to_the_bit_on_any_number_of_threads() {
    let one = bootstrap_on(1);
    assert_eq!(one.len(), 5);
    assert!(one.iter().all(|b| f64::from_bits(*b) > 0.0));
    for threads in [2, 3, 8] {
        assert_eq!(bootstrap_on(threads), one, "{threads} threads");
    }
}

#[test]
fn the_poverty_rate_variance_does_not_depend_on_the_scale_of_the_weights() {
    let (design, units, _) = sample();
    let variance = |scale: f64| -> Vec<(f64, f64)> {
        let scaled = UnitData {
            weight: units.weight.iter().map(|w| w * scale).collect(),
            ..units.clone()
        };
        let (domains, _) = estimate_nonlinear(
            &design,
            &scaled,
            2,
            NonlinearKind::PovertyRate { fraction: 0.6 },
            NonlinearVariance::Linearization,
            &[],
            0.95,
        )
        .unwrap();
        domains
            .into_iter()
            .map(|d| {
                let p = d.unwrap().point;
                (p.estimate, p.variance)
            })
            .collect()
    };
    let base = variance(1.0);
    for scale in [1.0 / 3.0, 0.5, 1000.0] {
        for ((e0, v0), (e, v)) in base.iter().zip(variance(scale)) {
            assert!((e - e0).abs() < 1e-12, "estimate at scale {scale}");
            assert!(
                ((v - v0) / v0).abs() < 1e-10,
                "variance at scale {scale}: {v} vs {v0}"
            );
        }
    }
}
