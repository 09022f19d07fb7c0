//! Gaps between two domains of one sample: differences and ratios of nonlinear statistics.
//!
//! The ratio's linearised variance must equal the delta method applied to the two domains'
//! variances and their covariance (recovered from the difference's variance), and its 95 %
//! interval must cover the population ratio at about the nominal rate over repeated samples.

mod support;

use incity_estimation::*;
use support::lcg::Lcg;

/// A population of clusters (PSUs) whose units belong to domain 0 (a migrant group, lower
/// incomes) or domain 1 (the reference group), mixed within clusters.
struct Population {
    /// Per cluster: (value, domain) of its units.
    clusters: Vec<Vec<(f64, u32)>>,
}

impl Population {
    fn new(clusters: usize, size: usize, rng: &mut Lcg) -> Self {
        let clusters = (0..clusters)
            .map(|_| {
                let level = 0.3 * rng.normal();
                (0..size)
                    .map(|_| {
                        let migrant = rng.uniform() < 0.3;
                        let mean = if migrant { 9.7 } else { 10.0 };
                        (
                            (mean + level + 0.6 * rng.normal()).exp(),
                            u32::from(!migrant),
                        )
                    })
                    .collect()
            })
            .collect();
        Population { clusters }
    }

    fn domain_values(&self, d: u32) -> Vec<f64> {
        self.clusters
            .iter()
            .flatten()
            .filter(|(_, dom)| *dom == d)
            .map(|(v, _)| *v)
            .collect()
    }
}

const STRATA: usize = 4;

/// A stratified sample of `per_stratum` clusters per stratum (simple random, without
/// replacement), every unit of a drawn cluster observed.
fn draw(pop: &Population, per_stratum: usize, rng: &mut Lcg) -> (SampleDesign, UnitData) {
    let per = pop.clusters.len() / STRATA;
    let mut units = UnitData::default();
    for h in 0..STRATA {
        let mut ids: Vec<usize> = (h * per..(h + 1) * per).collect();
        for j in 0..per_stratum {
            let k = j + (rng.uniform() * (ids.len() - j) as f64) as usize;
            ids.swap(j, k);
            for (v, d) in &pop.clusters[ids[j]] {
                units.psu.push(PsuRef {
                    stratum: h as u32,
                    psu: j as u32,
                });
                units.weight.push(per as f64 / per_stratum as f64);
                units.value.push(*v);
                units.domain.push(Some(*d));
                units.group.push(0);
            }
        }
    }
    let design = SampleDesign::new(
        (0..STRATA)
            .map(|h| Stratum {
                label: h.to_string(),
                psu_count: per_stratum,
                sampling_fraction: per_stratum as f64 / per as f64,
            })
            .collect(),
        LonelyPsuRule::Fail,
    )
    .unwrap();
    (design, units)
}

const GAPS: [Gap; 2] = [
    Gap {
        domain: 0,
        reference: 1,
        kind: GapKind::Difference,
    },
    Gap {
        domain: 0,
        reference: 1,
        kind: GapKind::Ratio,
    },
];

#[test]
fn ratio_variance_is_the_delta_method_over_both_domains() {
    let mut rng = Lcg(7);
    let pop = Population::new(200, 30, &mut rng);
    let (design, units) = draw(&pop, 12, &mut rng);
    // The poverty rate's domain variances come from the same linearised variables as its
    // gaps, so the identity holds to rounding.
    let (domains, gaps) = estimate_nonlinear(
        &design,
        &units,
        2,
        NonlinearKind::PovertyRate { fraction: 0.6 },
        NonlinearVariance::Linearization,
        &GAPS,
        0.95,
    )
    .unwrap();
    let a = domains[0].clone().unwrap().point;
    let b = domains[1].clone().unwrap().point;
    let diff = gaps[0].clone().unwrap().point;
    let ratio = gaps[1].clone().unwrap().point;
    let r = a.estimate / b.estimate;
    assert!((ratio.estimate - r).abs() < 1e-15);
    assert!((diff.estimate - (a.estimate - b.estimate)).abs() < 1e-15);
    let covariance = (a.variance + b.variance - diff.variance) / 2.0;
    // Units of both domains share PSUs: the covariance is not zero.
    assert!(covariance.abs() > 1e-3 * a.variance, "{covariance}");
    let delta = (a.variance - 2.0 * r * covariance + r * r * b.variance) / b.estimate.powi(2);
    assert!(
        (ratio.variance / delta - 1.0).abs() < 1e-9,
        "ratio variance {} vs delta method {delta}",
        ratio.variance
    );
}

#[test]
fn ratio_with_replicates_is_recomputed_in_every_replicate() {
    let mut rng = Lcg(11);
    let pop = Population::new(200, 30, &mut rng);
    let (design, units) = draw(&pop, 12, &mut rng);
    let kind = NonlinearKind::Quantile {
        p: 0.5,
        rule: QuantileRule::EuSilc,
    };
    let rep = ReplicateDesign::new(
        &design,
        ReplicateMethod::Bootstrap {
            replicates: 1000,
            seed: 3,
        },
        false,
    )
    .unwrap();
    let (_, boot) = estimate_nonlinear(
        &design,
        &units,
        2,
        kind,
        NonlinearVariance::Replicates(&rep),
        &GAPS,
        0.95,
    )
    .unwrap();
    let (_, lin) = estimate_nonlinear(
        &design,
        &units,
        2,
        kind,
        NonlinearVariance::Linearization,
        &GAPS,
        0.95,
    )
    .unwrap();
    for k in 0..2 {
        let (l, b) = (
            lin[k].clone().unwrap().point,
            boot[k].clone().unwrap().point,
        );
        assert_eq!(l.estimate, b.estimate);
        let se_ratio = (l.variance / b.variance).sqrt();
        assert!(
            (0.8..1.25).contains(&se_ratio),
            "gap {k}: linearised / bootstrap se = {se_ratio}"
        );
    }
}

#[test]
fn median_gaps_cover_the_population_gaps() {
    let mut rng = Lcg(2026);
    let pop = Population::new(400, 25, &mut rng);
    let median = |v: Vec<f64>| {
        let w = vec![1.0; v.len()];
        let mut v = v;
        v.sort_by(f64::total_cmp);
        weighted_quantile(&v, &w, 0.5, QuantileRule::EuSilc)
    };
    let (m0, m1) = (median(pop.domain_values(0)), median(pop.domain_values(1)));
    let truth = [m0 - m1, m0 / m1];
    let kind = NonlinearKind::Quantile {
        p: 0.5,
        rule: QuantileRule::EuSilc,
    };
    let runs = 500;
    let mut covered = [0usize; 2];
    for _ in 0..runs {
        let (design, units) = draw(&pop, 15, &mut rng);
        let (_, gaps) = estimate_nonlinear(
            &design,
            &units,
            2,
            kind,
            NonlinearVariance::Linearization,
            &GAPS,
            0.95,
        )
        .unwrap();
        for (k, g) in gaps.into_iter().enumerate() {
            let p = g.unwrap().point;
            let half = 1.959964 * p.variance.sqrt();
            if (p.estimate - truth[k]).abs() <= half {
                covered[k] += 1;
            }
        }
    }
    for (k, name) in ["difference", "ratio"].iter().enumerate() {
        let rate = covered[k] as f64 / runs as f64;
        eprintln!("{name} of medians: coverage {:.1} %", rate * 100.0);
        // 500 runs: the binomial standard error at 95 % is about 1 point.
        assert!(
            (0.92..=0.985).contains(&rate),
            "{name} of medians: 95 % intervals cover the truth in {:.1} % of samples",
            rate * 100.0
        );
    }
}
