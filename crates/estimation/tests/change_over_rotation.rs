//! The change of a domain share between two years of a rotating sample (half of each
//! stratum's PSUs kept from one year to the next, as in the EU-LFS rotation), against known
//! truth over repeated samples: the standard error with the covariance from the shared PSUs
//! matches the empirical standard deviation of the change (the issue asks for ±15 %), its
//! 95 % interval covers the true change at about the nominal rate, and assuming independent
//! years would overstate the standard error.

mod support;

use incity_estimation::*;
use support::lcg::Lcg;

const STRATA: usize = 5;
const CLUSTERS: usize = 300;
const CLUSTER_SIZE: usize = 15;
const DRAWN: usize = 16;
const KEPT: usize = 8;

/// A person: in the domain (foreign-born) or not, and employed in year 1 and year 2. Status
/// persists (most of the employed stay employed), and clusters differ, so a PSU's totals of
/// the two years are strongly correlated.
type Person = (bool, bool, bool);

fn population(rng: &mut Lcg) -> Vec<Vec<Vec<Person>>> {
    (0..STRATA)
        .map(|_| {
            (0..CLUSTERS)
                .map(|_| {
                    let foreign_share = 0.4 * rng.uniform();
                    let p = 0.45 + 0.35 * rng.uniform();
                    (0..CLUSTER_SIZE)
                        .map(|_| {
                            let foreign = rng.uniform() < foreign_share;
                            let p1 = if foreign { p - 0.1 } else { p };
                            let employed = rng.uniform() < p1;
                            // Year 2: the foreign-born gain 4 points on balance.
                            let stays = if employed { 0.9 } else { 0.2 };
                            let employed2 =
                                rng.uniform() < stays + if foreign { 0.04 } else { 0.0 };
                            (foreign, employed, employed2)
                        })
                        .collect()
                })
                .collect()
        })
        .collect()
}

/// Domain sums of one year's sample (`year` 0 or 1), PSU labels kept for matching.
fn domain(
    pop: &[Vec<Vec<Person>>],
    sample: &[Vec<usize>],
    year: usize,
) -> (DomainSums, Vec<(usize, usize)>) {
    let weight = (CLUSTERS / DRAWN) as f64;
    let mut cells = Vec::new();
    let mut labels = Vec::new();
    for (h, clusters) in sample.iter().enumerate() {
        for (j, &c) in clusters.iter().enumerate() {
            let mut sums = CellSums::default();
            for &(foreign, e1, e2) in &pop[h][c] {
                if foreign {
                    let y = if year == 0 { e1 } else { e2 };
                    sums.add(&CellSums::unit(weight, f64::from(u8::from(y)), 1.0));
                }
            }
            let psu = PsuRef {
                stratum: h as u32,
                psu: j as u32,
            };
            cells.push((psu, sums));
            labels.push((h, c));
        }
    }
    (DomainSums::from_cells(cells), labels)
}

fn design() -> SampleDesign {
    SampleDesign::new(
        (0..STRATA)
            .map(|h| Stratum {
                label: h.to_string(),
                psu_count: DRAWN,
                sampling_fraction: 0.0,
            })
            .collect(),
        LonelyPsuRule::Fail,
    )
    .unwrap()
}

/// PSU scores keyed by (stratum, cluster) labels.
type KeyedScores = Vec<((String, String), f64)>;

/// One year's estimate, variance and scores keyed by (stratum, cluster) labels.
fn year_estimate(
    design: &SampleDesign,
    pop: &[Vec<Vec<Person>>],
    sample: &[Vec<usize>],
    year: usize,
) -> (f64, f64, KeyedScores) {
    let (sums, labels) = domain(pop, sample, year);
    let stat = LinearStatistic {
        kind: LinearKind::Ratio,
        domain: &sums,
        reference: None,
    };
    let pv = estimate_linear(design, &stat, &LinearVariance::Linearization).unwrap();
    let scores = stat.linearised_scores().unwrap();
    let keyed = scores
        .into_iter()
        .map(|(psu, z)| {
            let (h, c) = labels[psu.stratum as usize * DRAWN + psu.psu as usize];
            ((h.to_string(), c.to_string()), z)
        })
        .collect();
    (pv.estimate, pv.variance, keyed)
}

#[test]
fn change_se_with_shared_psus_matches_the_spread_of_changes_over_rotating_samples() {
    let mut rng = Lcg(77);
    let pop = population(&mut rng);
    let share = |year: usize| {
        let (mut y, mut n) = (0.0, 0.0);
        for &(foreign, e1, e2) in pop.iter().flatten().flatten() {
            if foreign {
                n += 1.0;
                y += f64::from(u8::from(if year == 0 { e1 } else { e2 }));
            }
        }
        y / n
    };
    let truth = share(1) - share(0);
    let design = design();
    let samples = 1500;
    let (mut changes, mut variances, mut independent, mut covered) =
        (Vec::new(), Vec::new(), Vec::new(), 0usize);
    for _ in 0..samples {
        // Year 1: clusters drawn with replacement; year 2 keeps the first KEPT draws and
        // draws the others anew.
        let first: Vec<Vec<usize>> = (0..STRATA)
            .map(|_| (0..DRAWN).map(|_| rng.below(CLUSTERS)).collect())
            .collect();
        let second: Vec<Vec<usize>> = first
            .iter()
            .map(|s| {
                s.iter()
                    .enumerate()
                    .map(|(j, &c)| if j < KEPT { c } else { rng.below(CLUSTERS) })
                    .collect()
            })
            .collect();
        let (e1, v1, z1) = year_estimate(&design, &pop, &first, 0);
        let (e2, v2, z2) = year_estimate(&design, &pop, &second, 1);
        let change = change_with_shared_psus(
            &PeriodEstimate {
                estimate: e1,
                variance: v1,
                scores: &z1,
            },
            &PeriodEstimate {
                estimate: e2,
                variance: v2,
                scores: &z2,
            },
        );
        assert_eq!(change.covariance_basis, CovarianceBasis::SharedPsus);
        covered += usize::from((change.estimate - truth).abs() <= 1.96 * change.variance.sqrt());
        changes.push(change.estimate);
        variances.push(change.variance);
        independent.push(v1 + v2);
    }
    let n = samples as f64;
    let mean = changes.iter().sum::<f64>() / n;
    let empirical = (changes.iter().map(|c| (c - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
    let estimated = (variances.iter().sum::<f64>() / n).sqrt();
    let naive = (independent.iter().sum::<f64>() / n).sqrt();
    let coverage = covered as f64 / n;
    eprintln!(
        "change over {samples} rotating samples (true change {truth:.4}): empirical sd {empirical:.5}, \
         mean estimated se {estimated:.5} (ratio {:.3}), se if independent {naive:.5}, \
         95 % coverage {:.1} %",
        estimated / empirical,
        100.0 * coverage
    );
    assert!(
        (estimated / empirical - 1.0).abs() < 0.15,
        "estimated se {estimated} vs empirical sd {empirical}"
    );
    assert!((0.925..=0.975).contains(&coverage), "coverage {coverage}");
    assert!(
        naive > 1.2 * empirical,
        "independence would overstate: {naive}"
    );
}
