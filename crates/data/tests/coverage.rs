//! Simulation with known truth: repeated EU-LFS samples from one synthetic finite population
//! (stratified cluster design, non-response, calibrated weights); the 95 % intervals of the
//! employment rate 20-64 (10 countries × 3 groups of country of birth, Taylor linearisation,
//! logit intervals) must cover the true population value 93-97 % of the time.

use std::collections::{BTreeMap, HashMap};

use incity_estimation::{
    estimate_linear_batch, CellSums, DomainSums, Estimate, Interval, LinearKind, LinearStatistic,
    LinearVariance, LonelyPsuRule, PsuRef, PublicationRules, SampleDesign, Stratum,
};
use incity_synthetic::{lfs_sample, OriginGroup, Population, SyntheticConfig, ILO_EMPLOYED};

const SAMPLES: u64 = 400;

#[test]
fn confidence_intervals_cover_the_truth_at_the_nominal_rate() {
    let config = SyntheticConfig {
        seed: 77,
        population_scale: 0.003,
        sample_scale: 0.06,
        year: 2024,
    };
    let population = Population::generate(config);
    let truth: HashMap<(String, String), f64> = population
        .truth()
        .rows
        .into_iter()
        .filter(|t| {
            t.indicator == "employment_rate_20_64"
                && t.geo_level == "country"
                && t.sex == "T"
                && ["native", "eu_born", "non_eu_born"].contains(&t.group.as_str())
        })
        .map(|t| ((t.geo, t.group), t.value))
        .collect();
    assert_eq!(truth.len(), 30);
    let country_of: Vec<&str> = population
        .strata
        .iter()
        .map(|s| population.parameters.country[s.country].code.as_str())
        .collect();

    let publish_all = PublicationRules {
        suppress_below_n: 0,
        flag_below_n: 0,
        flag_above_cv: None,
        suppress_above_cv: None,
        population_thresholds: None,
        proportions: None,
        flag_below_df: None,
    };
    let (mut covered, mut total) = (0usize, 0usize);
    let mut per_domain: BTreeMap<(String, String), (usize, usize)> = BTreeMap::new();
    for s in 0..SAMPLES {
        let sample = lfs_sample(&population, 10_000 + s).unwrap();
        // Design from the sample: strata and their sampled PSUs.
        let mut strata: BTreeMap<u32, BTreeMap<u32, u32>> = BTreeMap::new();
        for r in &sample {
            let psus = strata.entry(r.stratum.id).or_default();
            let next = psus.len() as u32;
            psus.entry(r.cluster).or_insert(next);
        }
        let index: HashMap<u32, u32> = strata
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
        for r in sample.iter().filter(|r| (20..=64).contains(&r.person.age)) {
            let h = index[&r.stratum.id];
            let psu = PsuRef {
                stratum: h,
                psu: strata[&r.stratum.id][&r.cluster],
            };
            let y = if r.person.ilostat == Some(ILO_EMPLOYED) {
                1.0
            } else {
                0.0
            };
            let group = match r.person.birth {
                OriginGroup::Native => "native",
                OriginGroup::EuBorn => "eu_born",
                OriginGroup::NonEuBorn => "non_eu_born",
            };
            cells
                .entry((country_of[r.stratum.id as usize], group))
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
        // Per domain (400 intervals) the Monte Carlo error is ~1.1 points; a domain far off
        // the nominal rate means a biased estimator or a wrong variance.
        assert!((0.90..=0.99).contains(&r), "{k:?}: coverage {r}");
    }
}
