//! The at-risk-of-poverty-or-social-exclusion rate: the poverty rate with units at risk by
//! another condition (deprivation, very low work intensity) counted whatever their income.
//!
//! Checked by hand on a small sample, at the degenerate ends (everyone excluded: no variance;
//! no one excluded: the poverty rate), and over repeated samples of a population whose
//! excluded units are mostly poor or near the threshold: the linearised variance (threshold
//! derivative over the units the threshold decides) must match the estimator's Monte Carlo
//! variance, and the 95 % intervals must cover the population rate at about the nominal rate.

mod support;

use incity_estimation::*;
use support::lcg::Lcg;

fn one_stratum(psus: usize) -> SampleDesign {
    SampleDesign::new(
        vec![Stratum {
            label: "all".into(),
            psu_count: psus,
            sampling_fraction: 0.0,
        }],
        LonelyPsuRule::Fail,
    )
    .unwrap()
}

fn rate(design: &SampleDesign, units: &UnitData) -> PointAndVariance {
    let (domains, _) = estimate_nonlinear(
        design,
        units,
        1,
        NonlinearKind::PovertyRate { fraction: 0.6 },
        NonlinearVariance::Linearization,
        &[],
        0.95,
    )
    .unwrap();
    domains.into_iter().next().unwrap().unwrap().point
}

/// Ten units with equal weights, incomes 100..1000: the EU-SILC median is (500 + 600) / 2 =
/// 550, the threshold 330; 100, 200 and 300 are poor. Flagging 300 (already poor) and 800
/// (not poor) as excluded adds one unit: 4 of 10.
#[test]
fn the_rate_counts_the_poor_and_the_excluded_once() {
    let n = 10;
    let units = UnitData {
        psu: (0..n)
            .map(|i| PsuRef {
                stratum: 0,
                psu: i as u32 % 5,
            })
            .collect(),
        weight: vec![2.0; n],
        value: (1..=n).map(|i| 100.0 * i as f64).collect(),
        domain: vec![Some(0); n],
        group: vec![0; n],
        at_risk_otherwise: (1..=n).map(|i| i == 3 || i == 8).collect(),
    };
    let design = one_stratum(5);
    assert!((rate(&design, &units).estimate - 0.4).abs() < 1e-15);
    let plain = UnitData {
        at_risk_otherwise: Vec::new(),
        ..units.clone()
    };
    assert!((rate(&design, &plain).estimate - 0.3).abs() < 1e-15);
    // Everyone excluded: the rate is 1 whatever the sample, with no variance.
    let all = UnitData {
        at_risk_otherwise: vec![true; n],
        ..units.clone()
    };
    let p = rate(&design, &all);
    assert_eq!(p.estimate, 1.0);
    assert!(p.variance.abs() < 1e-20, "variance {}", p.variance);
    // A flag vector of the wrong length is refused.
    let bad = UnitData {
        at_risk_otherwise: vec![false; 3],
        ..units
    };
    assert!(estimate_nonlinear(
        &design,
        &bad,
        1,
        NonlinearKind::PovertyRate { fraction: 0.6 },
        NonlinearVariance::Linearization,
        &[],
        0.95,
    )
    .is_err());
}

/// A population of clusters; each unit has an income and an exclusion flag, more frequent at
/// low incomes (and present, less often, above the threshold).
struct Population {
    clusters: Vec<Vec<(f64, bool)>>,
}

impl Population {
    fn new(clusters: usize, size: usize, rng: &mut Lcg) -> Self {
        let clusters = (0..clusters)
            .map(|_| {
                let level = 0.25 * rng.normal();
                (0..size)
                    .map(|_| {
                        let y: f64 = (10.0 + level + 0.6 * rng.normal()).exp();
                        let p_excluded = if y < 15_000.0 { 0.35 } else { 0.06 };
                        (y, rng.uniform() < p_excluded)
                    })
                    .collect()
            })
            .collect();
        Population { clusters }
    }

    /// The population rate with the EU-SILC median of all units.
    fn rate(&self) -> f64 {
        let mut v: Vec<f64> = self.clusters.iter().flatten().map(|u| u.0).collect();
        v.sort_by(f64::total_cmp);
        let w = vec![1.0; v.len()];
        let t = 0.6 * weighted_quantile(&v, &w, 0.5, QuantileRule::EuSilc);
        let units: Vec<&(f64, bool)> = self.clusters.iter().flatten().collect();
        units.iter().filter(|(y, e)| *y < t || *e).count() as f64 / units.len() as f64
    }
}

const STRATA: usize = 4;

/// Simple random sampling of `per_stratum` clusters in each of four strata.
fn draw(pop: &Population, per_stratum: usize, rng: &mut Lcg) -> (SampleDesign, UnitData) {
    let per = pop.clusters.len() / STRATA;
    let mut units = UnitData::default();
    for h in 0..STRATA {
        let mut ids: Vec<usize> = (h * per..(h + 1) * per).collect();
        for j in 0..per_stratum {
            let k = j + rng.below(ids.len() - j);
            ids.swap(j, k);
            for (y, e) in &pop.clusters[ids[j]] {
                units.psu.push(PsuRef {
                    stratum: h as u32,
                    psu: j as u32,
                });
                units.weight.push(per as f64 / per_stratum as f64);
                units.value.push(*y);
                units.domain.push(Some(0));
                units.group.push(0);
                units.at_risk_otherwise.push(*e);
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

#[test]
fn linearised_intervals_cover_the_population_rate() {
    let mut rng = Lcg(9090);
    let pop = Population::new(800, 12, &mut rng);
    let truth = pop.rate();
    let runs = 600;
    let (mut covered, mut estimates, mut variances) = (0usize, Vec::new(), Vec::new());
    for _ in 0..runs {
        let (design, units) = draw(&pop, 25, &mut rng);
        let p = rate(&design, &units);
        if (p.estimate - truth).abs() <= 1.959964 * p.variance.sqrt() {
            covered += 1;
        }
        estimates.push(p.estimate);
        variances.push(p.variance);
    }
    let mean = estimates.iter().sum::<f64>() / runs as f64;
    let mc_variance =
        estimates.iter().map(|e| (e - mean).powi(2)).sum::<f64>() / (runs as f64 - 1.0);
    let mean_variance = variances.iter().sum::<f64>() / runs as f64;
    let coverage = covered as f64 / runs as f64;
    eprintln!(
        "AROPE {truth:.4}: mean estimate {mean:.4}, linearised / Monte Carlo variance {:.3}, \
         coverage {:.1} %",
        mean_variance / mc_variance,
        coverage * 100.0
    );
    assert!((mean - truth).abs() < 0.005, "bias {}", mean - truth);
    // 600 runs: the Monte Carlo variance itself is known to about ±6 %.
    assert!(
        (0.85..=1.15).contains(&(mean_variance / mc_variance)),
        "linearised variance {mean_variance:.3e} against the Monte Carlo variance {mc_variance:.3e}"
    );
    assert!(
        (0.925..=0.975).contains(&coverage),
        "95 % intervals cover the truth in {:.1} % of samples",
        coverage * 100.0
    );
}

/// The threshold's derivative must skip the excluded units: with it taken over all units, the
/// variance is wrong when many units near the threshold are excluded anyway. Here every unit
/// below 5 × the threshold (3 × the median) is excluded, so moving the threshold changes
/// nothing (the kernel's weight at the nearest unexcluded unit, many bandwidths away, is
/// nil) and the rate's variance is that of the share of those units, which a direct share
/// estimate gives.
#[test]
fn excluded_units_near_the_threshold_do_not_move_with_it() {
    let mut rng = Lcg(77);
    let pop = Population::new(400, 10, &mut rng);
    let (design, mut units) = draw(&pop, 30, &mut rng);
    let mut v = units.value.clone();
    let w = units.weight.clone();
    let mut order: Vec<usize> = (0..v.len()).collect();
    order.sort_by(|a, b| v[*a].total_cmp(&v[*b]));
    let sorted_w: Vec<f64> = order.iter().map(|&i| w[i]).collect();
    v.sort_by(f64::total_cmp);
    let t = 0.6 * weighted_quantile(&v, &sorted_w, 0.5, QuantileRule::EuSilc);
    units.at_risk_otherwise = units.value.iter().map(|y| *y < 5.0 * t).collect();
    let p = rate(&design, &units);
    // The same rate as a linear share of the flagged units.
    let cells: Vec<(PsuRef, CellSums)> = (0..units.len())
        .map(|i| {
            let flagged = if units.at_risk_otherwise[i] { 1.0 } else { 0.0 };
            (units.psu[i], CellSums::unit(units.weight[i], flagged, 1.0))
        })
        .collect();
    let sums = DomainSums::from_cells(cells);
    let share = estimate_linear(
        &design,
        &LinearStatistic {
            kind: LinearKind::Ratio,
            domain: &sums,
            reference: None,
        },
        &LinearVariance::Linearization,
    )
    .unwrap();
    assert!((p.estimate - share.estimate).abs() < 1e-12);
    assert!(
        (p.variance / share.variance - 1.0).abs() < 1e-9,
        "rate variance {} against the share's {}",
        p.variance,
        share.variance
    );
}
