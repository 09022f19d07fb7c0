//! Simulation with known truth: repeated samples from one synthetic finite population; the 95 %
//! intervals of the employment rate 20-64 (by country × group of country of birth, Taylor
//! linearisation, logit intervals) must cover the true population value 93-97 % of the time.

use std::collections::{BTreeMap, HashMap};

use incity_data::synthetic::{Population, SyntheticConfig, ILO_EMPLOYED};
use incity_estimation::{
    estimate_linear_batch, CellSums, DomainSums, Estimate, Interval, LinearKind, LinearStatistic,
    LinearVariance, LonelyPsuRule, PsuRef, PublicationRules, SampleDesign, Stratum,
};

const SAMPLES: u64 = 1000;

#[test]
fn confidence_intervals_cover_the_truth_at_the_nominal_rate() {
    let config = SyntheticConfig {
        seed: 77,
        population_scale: 0.01,
        sample_scale: 0.15,
        year: 2024,
    };
    let population = Population::generate(config);
    let truth: HashMap<(String, String), f64> = population
        .truth()
        .into_iter()
        .filter(|t| {
            t.indicator == "employment_rate_20_64" && t.nuts_level == 0 && t.group != "total"
        })
        .map(|t| ((t.geo, t.group), t.value))
        .collect();
    assert_eq!(truth.len(), 12);

    let publish_all = PublicationRules {
        suppress_below_n: 0,
        flag_below_n: 0,
        flag_above_cv: None,
        suppress_above_cv: None,
    };
    let (mut covered, mut total) = (0usize, 0usize);
    let mut per_domain: BTreeMap<(String, String), (usize, usize)> = BTreeMap::new();
    for s in 0..SAMPLES {
        let sample = population.draw_sample(10_000 + s);
        // Design from the sample.
        let mut strata: BTreeMap<&str, BTreeMap<&str, u32>> = BTreeMap::new();
        for r in &sample {
            let psus = strata.entry(r.stratum.as_str()).or_default();
            let next = psus.len() as u32;
            psus.entry(r.psu.as_str()).or_insert(next);
        }
        let index: HashMap<&str, u32> = strata
            .keys()
            .enumerate()
            .map(|(i, k)| (*k, i as u32))
            .collect();
        let design = SampleDesign::new(
            strata
                .iter()
                .map(|(k, p)| Stratum {
                    label: k.to_string(),
                    psu_count: p.len(),
                    sampling_fraction: 0.0,
                })
                .collect(),
            LonelyPsuRule::Certainty,
        )
        .unwrap();
        let mut cells: BTreeMap<(&str, &str), Vec<(PsuRef, CellSums)>> = BTreeMap::new();
        for r in sample.iter().filter(|r| (20..=64).contains(&r.age)) {
            let h = index[r.stratum.as_str()];
            let psu = PsuRef {
                stratum: h,
                psu: strata[r.stratum.as_str()][r.psu.as_str()],
            };
            let y = if r.ilostat == ILO_EMPLOYED { 1.0 } else { 0.0 };
            cells
                .entry((r.country, r.group.code()))
                .or_default()
                .push((psu, CellSums::unit(r.weight, y, 1.0)));
        }
        let keys: Vec<(&str, &str)> = cells.keys().copied().collect();
        let sums: Vec<DomainSums> = cells.into_values().map(DomainSums::from_cells).collect();
        let stats: Vec<LinearStatistic<'_>> = sums
            .iter()
            .map(|d| LinearStatistic {
                kind: LinearKind::Ratio,
                domain: d,
                reference: None,
            })
            .collect();
        let results =
            estimate_linear_batch(&design, &stats, &LinearVariance::Linearization).unwrap();
        for (key, res) in keys.iter().zip(results) {
            let pv = res.unwrap();
            let e = Estimate::publish(&pv, Interval::Logit, 0.95, &publish_all, pv.n, true);
            let f = e.figures.unwrap();
            let t = truth[&(key.0.to_string(), key.1.to_string())];
            let hit = f.ci_low <= t && t <= f.ci_high;
            covered += hit as usize;
            total += 1;
            let d = per_domain
                .entry((key.0.to_string(), key.1.to_string()))
                .or_default();
            d.0 += hit as usize;
            d.1 += 1;
        }
    }
    let rate = covered as f64 / total as f64;
    eprintln!("coverage over {total} intervals from {SAMPLES} samples: {rate:.4}");
    for (k, (c, n)) in &per_domain {
        eprintln!("  {k:?}: {:.3}", *c as f64 / *n as f64);
    }
    assert!((0.93..=0.97).contains(&rate), "coverage {rate}");
    for (k, (c, n)) in per_domain {
        let r = c as f64 / n as f64;
        // Per domain (1,000 intervals) the Monte Carlo error is ~0.7 points.
        assert!((0.91..=0.98).contains(&r), "{k:?}: coverage {r}");
    }
}
