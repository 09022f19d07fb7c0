//! The release's small-area models against known truth, over repeated EU-LFS samples of one
//! synthetic population (a smaller version of
//! `cargo run --release -p incity-indicators --example small_area_simulation`, whose
//! 200-sample figures are in `docs/small-areas.md`).

mod support;

use incity_indicators::GeoLevel;
use incity_synthetic::SyntheticConfig;
use support::small_area_simulation::{simulate, summarise, Settings};

#[test]
fn model_based_estimates_beat_direct_ones_and_do_not_overstate_their_precision() {
    // Population scale 0.1: a synthetic population of a tenth of the real one, so that real
    // sample sizes are drawn with realistic sampling fractions (at 0.01 the city strata
    // would be sampled at up to half their clusters and the direct variances, computed
    // without a finite population correction, overstate the sampling variance twofold).
    let settings = Settings {
        samples: 12,
        population: SyntheticConfig {
            seed: 4242,
            population_scale: 0.1,
            sample_scale: 1.0,
            ..SyntheticConfig::default()
        },
        first_sample_seed: 5_000,
        method: None,
    };
    let cells = simulate(&settings, &|_| {});
    for level in [GeoLevel::Nuts2, GeoLevel::City] {
        let small = summarise(
            cells
                .iter()
                .filter(|(k, c)| k.1 == level && c.mean_respondents() < 100.0)
                .map(|(_, c)| c),
        );
        eprintln!("{}: {small:?}", level.code());
        assert!(small.cells > 150, "{small:?}");
        // Where direct figures are small, the model's errors are far smaller ...
        assert!(
            small.model_rmse < 0.5 * small.direct_rmse,
            "{}: model {} vs direct {}",
            level.code(),
            small.model_rmse,
            small.direct_rmse
        );
        // ... and it does not claim more precision than it has: the estimated MSE is not
        // materially below the empirical one and the intervals cover at least nominally. The shipped method (Li
        // & Lahiri's adjusted REML) is conservative: in the 200-sample run the estimated MSE is
        // 2.1-2.8 times the empirical one below 100 respondents and coverage 0.99; the bounds
        // catch an MSE understated by a fifth or overstated beyond that.
        assert!(
            (0.8..=3.5).contains(&small.mse_ratio),
            "{}: estimated / empirical MSE {}",
            level.code(),
            small.mse_ratio
        );
        assert!(
            (0.93..=1.0).contains(&small.coverage),
            "{}: coverage {}",
            level.code(),
            small.coverage
        );
    }
}
