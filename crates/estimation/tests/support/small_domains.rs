//! A simulation of small domains like a city's migrant-group cells: a finite population of
//! area clusters in 6 strata, of which a one-stage cluster sample takes 1, 2, 2, 3, 1 and 2
//! clusters (two strata with a single PSU; 11 PSUs, 5 degrees of freedom). The domain (persons
//! of a migrant group) makes up a cluster-varying share of each cluster, and its outcome varies
//! between strata and clusters (intra-cluster correlation). Repeated samples give the coverage
//! of 95 % intervals of the domain share:
//! - *before*: the lonely-PSU rule `certainty`, a logit interval on the normal quantile, a
//!   zero-width interval for a share of 0 % or 100 % (incity before issue 10);
//! - *after*: the configured rule (`adjust`, incity's default, or `collapse`), intervals on the
//!   design's degrees of freedom (logit; Korn-Graubard near 0 and 1 or with few effective
//!   respondents).

use incity_estimation::{
    estimate_linear_batch, CellSums, DomainSums, Estimate, Interval, LinearKind, LinearStatistic,
    LinearVariance, LonelyPsuRule, PsuRef, PublicationRules, RuleBasis, SampleDesign, Stratum,
};
use rand::seq::index::sample;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Beta, Distribution, Normal};

/// Sampled clusters per stratum.
pub const SAMPLED: [usize; 6] = [1, 2, 2, 3, 1, 2];
/// Clusters per stratum in the population.
const CLUSTERS: usize = 150;

/// One population cluster: per person (in the domain, outcome).
struct Cluster {
    persons: Vec<(bool, bool)>,
}

/// A finite population and its true domain share.
pub struct Population {
    strata: Vec<Vec<Cluster>>,
    pub truth: f64,
}

impl Population {
    /// `domain_size`: the expected number of domain respondents in a sample; `prevalence`: the
    /// outcome's share in the domain (about).
    pub fn new(domain_size: f64, prevalence: f64, seed: u64) -> Population {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let share = Beta::new(2.0, 6.0).unwrap(); // domain share of a cluster, mean 0.25
        let sampled: usize = SAMPLED.iter().sum();
        let mean_size = domain_size / (sampled as f64 * 0.25);
        let logit = (prevalence / (1.0 - prevalence)).ln();
        let stratum_effect = Normal::new(0.0, 0.3).unwrap();
        let cluster_effect = Normal::new(0.0, 0.6).unwrap();
        let mut strata = Vec::new();
        let (mut in_domain, mut with_outcome) = (0usize, 0usize);
        for _ in 0..SAMPLED.len() {
            let b = stratum_effect.sample(&mut rng);
            let mut clusters = Vec::with_capacity(CLUSTERS);
            for _ in 0..CLUSTERS {
                let size = rng
                    .random_range((0.5 * mean_size)..(1.5 * mean_size))
                    .round() as usize;
                let s = share.sample(&mut rng);
                let p = 1.0 / (1.0 + (-(logit + b + cluster_effect.sample(&mut rng))).exp());
                let persons: Vec<(bool, bool)> = (0..size.max(1))
                    .map(|_| {
                        let d = rng.random::<f64>() < s;
                        (d, d && rng.random::<f64>() < p)
                    })
                    .collect();
                in_domain += persons.iter().filter(|x| x.0).count();
                with_outcome += persons.iter().filter(|x| x.1).count();
                clusters.push(Cluster { persons });
            }
            strata.push(clusters);
        }
        Population {
            strata,
            truth: with_outcome as f64 / in_domain as f64,
        }
    }

    /// One sample: per sampled cluster its PSU and the domain's cell sums.
    pub fn sample(&self, rng: &mut ChaCha8Rng) -> Vec<(PsuRef, CellSums)> {
        let mut cells = Vec::new();
        for (h, clusters) in self.strata.iter().enumerate() {
            let weight = CLUSTERS as f64 / SAMPLED[h] as f64;
            for (j, c) in sample(rng, CLUSTERS, SAMPLED[h]).into_iter().enumerate() {
                let n = clusters[c].persons.iter().filter(|x| x.0).count();
                let yes = clusters[c].persons.iter().filter(|x| x.1).count();
                if n == 0 {
                    continue;
                }
                let (w, y) = (weight * n as f64, weight * yes as f64);
                cells.push((
                    PsuRef {
                        stratum: h as u32,
                        psu: j as u32,
                    },
                    CellSums {
                        n: n as u64,
                        w,
                        y,
                        x: w,
                        yy: y,
                        xy: y,
                        xx: w,
                    },
                ));
            }
        }
        cells
    }
}

pub fn design(rule: LonelyPsuRule) -> SampleDesign {
    SampleDesign::new(
        SAMPLED
            .iter()
            .enumerate()
            .map(|(h, &n)| Stratum {
                label: format!("s{h}"),
                psu_count: n,
                sampling_fraction: 0.0,
            })
            .collect(),
        rule,
    )
    .unwrap()
}

/// A domain share's interval: `None` when it cannot be formed (variance not estimable).
pub type Ci = Option<(f64, f64)>;

/// The interval before issue 10: certainty rule, logit on the normal quantile, zero width at
/// 0 % and 100 % or with a zero variance.
pub fn interval_before(cells: &[(PsuRef, CellSums)]) -> (Ci, u64) {
    let d = design(LonelyPsuRule::Certainty);
    let sums = DomainSums::from_cells(cells.to_vec());
    let pv = point(&d, &sums);
    let (p, se) = (pv.estimate, pv.variance.sqrt());
    if p <= 0.0 || p >= 1.0 || se <= 0.0 {
        return (Some((p, p)), pv.n);
    }
    let z = 1.959_963_984_540_054;
    let l = (p / (1.0 - p)).ln();
    let half = z * se / (p * (1.0 - p));
    let back = |x: f64| 1.0 / (1.0 + (-x).exp());
    (Some((back(l - half), back(l + half))), pv.n)
}

/// The interval after issue 10 under `rule`, and the domain's degrees of freedom.
pub fn interval_after(cells: &[(PsuRef, CellSums)], rule: LonelyPsuRule) -> (Ci, usize) {
    let d = design(rule);
    let sums = DomainSums::from_cells(cells.to_vec());
    let pv = point(&d, &sums);
    let rules = PublicationRules {
        suppress_below_n: 0,
        flag_below_n: 0,
        flag_above_cv: None,
        suppress_above_cv: None,
        population_thresholds: None,
        proportions: None,
        flag_below_df: None,
    };
    let basis = RuleBasis {
        n: pv.n,
        use_cv: false,
        population: pv.population,
        numerator: None,
        share: true,
    };
    let e = Estimate::publish_with(&pv, Interval::Share, 0.95, &rules, &basis);
    (
        e.figures.map(|f| (f.ci_low, f.ci_high)),
        pv.degrees_of_freedom,
    )
}

fn point(d: &SampleDesign, sums: &DomainSums) -> incity_estimation::PointAndVariance {
    let stat = LinearStatistic {
        kind: LinearKind::Ratio,
        domain: sums,
        reference: None,
    };
    estimate_linear_batch(d, &[stat], &LinearVariance::Linearization)
        .unwrap()
        .remove(0)
        .unwrap()
}

/// Coverage results of one setting.
#[derive(Debug, Clone, Copy, Default)]
pub struct Coverage {
    pub samples: usize,
    pub mean_n: f64,
    pub before: f64,
    pub adjust: f64,
    pub collapse: f64,
    /// Samples whose interval could not be formed (no degrees of freedom: the domain's
    /// respondents all in one PSU), under `adjust` and `collapse`; the coverages are over the
    /// other samples.
    pub adjust_missing: usize,
    pub collapse_missing: usize,
    pub mean_df: f64,
}

/// Coverage of the domain share over `samples` samples of the population.
pub fn coverage(pop: &Population, samples: usize, seed: u64) -> Coverage {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut c = Coverage {
        samples,
        ..Coverage::default()
    };
    let hit = |ci: Ci| ci.is_some_and(|(lo, hi)| lo <= pop.truth && pop.truth <= hi);
    let mut drawn = 0usize;
    while drawn < samples {
        let cells = pop.sample(&mut rng);
        if cells.is_empty() {
            continue;
        }
        drawn += 1;
        let (before, n) = interval_before(&cells);
        let (adjust, df) = interval_after(&cells, LonelyPsuRule::Adjust);
        let (collapse, _) = interval_after(&cells, LonelyPsuRule::Collapse);
        c.mean_n += n as f64;
        c.mean_df += df as f64;
        c.before += hit(before) as u8 as f64;
        c.adjust += hit(adjust) as u8 as f64;
        c.collapse += hit(collapse) as u8 as f64;
        c.adjust_missing += adjust.is_none() as usize;
        c.collapse_missing += collapse.is_none() as usize;
    }
    let s = samples as f64;
    c.mean_n /= s;
    c.mean_df /= s;
    c.before /= s;
    c.adjust /= (samples - c.adjust_missing) as f64;
    c.collapse /= (samples - c.collapse_missing) as f64;
    c
}
