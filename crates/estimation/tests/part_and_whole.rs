//! A city compared with its country: the city's sample is part of the country's, so the
//! difference of the two shares must be linearised jointly (`domain` = city, `reference` =
//! country over the same PSUs). Known truth over repeated samples: the estimated variance of
//! the difference matches the variance of the differences across samples, the 95 % interval
//! covers the population difference at about the nominal rate, and treating the two estimates
//! as independent would overstate the variance.

mod support;

use incity_estimation::*;
use support::lcg::Lcg;

const STRATA: usize = 6;
/// The city is strata 0 and 1 (a city as self-representing strata, as in the EU-LFS designs
/// of big cities); the country is all strata.
const CITY_STRATA: usize = 2;
const CLUSTERS_PER_STRATUM: usize = 150;
const CLUSTER_SIZE: usize = 20;
const DRAWN_PER_STRATUM: usize = 15;

/// Per stratum and cluster, each unit's indicator (employed or not): the city's rate is lower,
/// and clusters differ (intra-cluster correlation).
fn population(rng: &mut Lcg) -> Vec<Vec<Vec<f64>>> {
    (0..STRATA)
        .map(|h| {
            let base = if h < CITY_STRATA { 0.55 } else { 0.68 };
            (0..CLUSTERS_PER_STRATUM)
                .map(|_| {
                    let p: f64 = (base + 0.3 * (rng.uniform() - 0.5)).clamp(0.05, 0.95);
                    (0..CLUSTER_SIZE)
                        .map(|_| f64::from(u8::from(rng.uniform() < p)))
                        .collect()
                })
                .collect()
        })
        .collect()
}

fn share(units: impl Iterator<Item = f64> + Clone) -> f64 {
    units.clone().sum::<f64>() / units.count() as f64
}

#[test]
fn city_minus_country_variance_and_coverage_match_repeated_samples() {
    let mut rng = Lcg(2024);
    let pop = population(&mut rng);
    let city = share(pop[..CITY_STRATA].iter().flatten().flatten().copied());
    let country = share(pop.iter().flatten().flatten().copied());
    let truth = city - country;
    let design = SampleDesign::new(
        (0..STRATA)
            .map(|h| Stratum {
                label: h.to_string(),
                psu_count: DRAWN_PER_STRATUM,
                sampling_fraction: 0.0,
            })
            .collect(),
        LonelyPsuRule::Fail,
    )
    .unwrap();
    let weight = (CLUSTERS_PER_STRATUM / DRAWN_PER_STRATUM) as f64;
    let samples = 2000;
    let (mut estimates, mut variances, mut independent, mut covered) =
        (Vec::new(), Vec::new(), Vec::new(), 0);
    for _ in 0..samples {
        let (mut in_city, mut in_country) = (Vec::new(), Vec::new());
        for (h, clusters) in pop.iter().enumerate() {
            // Clusters drawn with replacement: the ultimate-cluster variance is then unbiased.
            for j in 0..DRAWN_PER_STRATUM {
                let c = (rng.uniform() * CLUSTERS_PER_STRATUM as f64) as usize;
                let mut sums = CellSums::default();
                for &y in &clusters[c] {
                    sums.add(&CellSums::unit(weight, y, 1.0));
                }
                let psu = PsuRef {
                    stratum: h as u32,
                    psu: j as u32,
                };
                in_country.push((psu, sums));
                if h < CITY_STRATA {
                    in_city.push((psu, sums));
                }
            }
        }
        let (city, country) = (
            DomainSums::from_cells(in_city),
            DomainSums::from_cells(in_country),
        );
        let stat = |domain, reference| LinearStatistic {
            kind: LinearKind::Ratio,
            domain,
            reference,
        };
        let results = estimate_linear_batch(
            &design,
            &[
                stat(&city, Some(&country)),
                stat(&city, None),
                stat(&country, None),
            ],
            &LinearVariance::Linearization,
        )
        .unwrap();
        let [d, a, c] = [0, 1, 2].map(|i| results[i].clone().unwrap());
        let half = 1.96 * d.variance.sqrt();
        covered += usize::from((d.estimate - truth).abs() <= half);
        estimates.push(d.estimate);
        variances.push(d.variance);
        independent.push(a.variance + c.variance);
    }
    let n = samples as f64;
    let mean = estimates.iter().sum::<f64>() / n;
    let empirical = estimates.iter().map(|e| (e - mean).powi(2)).sum::<f64>() / (n - 1.0);
    let estimated = variances.iter().sum::<f64>() / n;
    let naive = independent.iter().sum::<f64>() / n;
    let coverage = covered as f64 / n;
    eprintln!(
        "city − country over {samples} samples: empirical sd {:.5}, mean estimated se {:.5}, \
         se if independent {:.5}, 95 % coverage {:.1} %",
        empirical.sqrt(),
        estimated.sqrt(),
        naive.sqrt(),
        100.0 * coverage
    );
    assert!(
        (estimated.sqrt() / empirical.sqrt() - 1.0).abs() < 0.10,
        "estimated se {} vs empirical sd {}",
        estimated.sqrt(),
        empirical.sqrt()
    );
    assert!((0.93..=0.97).contains(&coverage), "coverage {coverage}");
    assert!((mean - truth).abs() < 0.1 * empirical.sqrt() + 1e-3, "bias");
    // Independence would overstate the variance: the city is a third of the country's sample.
    assert!(
        naive > 1.2 * empirical,
        "naive {naive} vs empirical {empirical}"
    );
}
