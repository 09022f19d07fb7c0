//! Rank intervals against known truth on the synthetic Europe: repeated EU-LFS samples of one
//! synthetic population, the NUTS 2 regions ranked on the employment rate of persons born
//! outside the EU (direct estimates with their linearised standard errors, regions with at
//! least 50 respondents, as a release would publish them), each sample's intervals compared
//! with the true ranks of the same regions from the population.
//!
//! Prints the marginal coverage (share of region × sample whose interval holds its true rank)
//! and the simultaneous coverage (share of samples whose intervals hold every true rank):
//! `cargo test -p incity-pipeline --test rank_coverage -- --nocapture`.

mod support;

use incity_benchmark::ranks::{rank_intervals, Coverage, Direction, RankInput};
use incity_indicators::GeoLevel;
use incity_synthetic::{Population, SyntheticConfig};
use support::small_area_simulation::direct_estimates;

const SAMPLES: u64 = 16;

#[test]
fn marginal_and_simultaneous_rank_intervals_cover_the_true_ranks() {
    let population = Population::generate(SyntheticConfig {
        seed: 4242,
        population_scale: 0.1,
        sample_scale: 1.0,
        ..SyntheticConfig::default()
    });
    let truth: std::collections::HashMap<String, f64> = population
        .truth()
        .rows
        .into_iter()
        .filter(|t| {
            t.indicator == "employment_rate_20_64"
                && t.geo_level == "nuts2"
                && t.group == "non_eu_born"
                && t.sex == "T"
                && t.degurba.is_none()
        })
        .map(|t| (t.geo, t.value))
        .collect();
    let (mut units_covered, mut units) = (0usize, 0usize);
    let mut sets_covered = 0usize;
    let mut regions = 0usize;
    for s in 0..SAMPLES {
        let ranked: Vec<RankInput> = direct_estimates(&population, 9_000 + s)
            .into_iter()
            .filter(|d| {
                d.indicator == "employment_rate_20_64"
                    && d.level == GeoLevel::Nuts2
                    && d.group == "non_eu_born"
                    && d.n >= 50
                    && d.variance > 0.0
                    && truth.contains_key(&d.geo)
            })
            .map(|d| RankInput {
                id: d.geo,
                estimate: d.estimate,
                se: d.variance.sqrt(),
            })
            .collect();
        regions = ranked.len();
        // The true rank among the regions ranked (1 = highest true rate).
        let true_rank = |id: &str| 1 + ranked.iter().filter(|u| truth[&u.id] > truth[id]).count();
        for (coverage, seed) in [(Coverage::Marginal, 1), (Coverage::Simultaneous, 2)] {
            let intervals =
                rank_intervals(&ranked, 0.95, coverage, Direction::Descending, 2_000, seed)
                    .unwrap();
            let held: Vec<bool> = intervals
                .iter()
                .map(|i| (i.lower..=i.upper).contains(&true_rank(&i.id)))
                .collect();
            match coverage {
                Coverage::Marginal => {
                    units += held.len();
                    units_covered += held.iter().filter(|h| **h).count();
                }
                Coverage::Simultaneous => sets_covered += usize::from(held.iter().all(|h| *h)),
            }
        }
    }
    let marginal = units_covered as f64 / units as f64;
    let simultaneous = sets_covered as f64 / SAMPLES as f64;
    eprintln!(
        "rank intervals over {SAMPLES} EU-LFS samples of the synthetic Europe ({regions} NUTS 2 \
         regions ranked on the non-EU-born employment rate): marginal coverage {:.1} % of \
         {units}, simultaneous coverage {:.1} % of {SAMPLES} samples (nominal 95 %)",
        100.0 * marginal,
        100.0 * simultaneous
    );
    assert!(regions >= 30, "{regions} regions ranked");
    assert!(marginal >= 0.95, "marginal coverage {marginal}");
    // Sixteen samples: one miss is allowed (15/16 = 0.94 is within sampling error of 0.95).
    assert!(
        simultaneous >= 15.0 / 16.0,
        "simultaneous coverage {simultaneous}"
    );
}
