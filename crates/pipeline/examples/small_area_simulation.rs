//! Validation of the small-area models by simulation: repeated EU-LFS samples from one
//! synthetic population with known truth (see `tests/support/small_area_simulation.rs`).
//!
//! `cargo run --release -p incity-indicators --example small_area_simulation [samples]
//! [sample-scale] [population-scale] [method]`
//!
//! Defaults: 200 samples at real sample sizes (`sample-scale` 1; the demonstration release
//! uses 0.25) from a population of a tenth of the real one (`population-scale` 0.1, so that
//! sampling fractions are realistic), with the catalogue's area-variance method (or `reml`,
//! `ml`, `adjusted-reml`, `adjusted-reml-yl`). Prints, per level and size class (mean respondents of the cell), the empirical
//! RMSE of the direct and the model-based estimates, the mean estimated MSE over the
//! empirical MSE and the coverage of the 95 % intervals; then the cells where the model fails.

#[path = "../tests/support/small_area_simulation.rs"]
mod small_area_simulation;

use incity_synthetic::SyntheticConfig;
use small_area_simulation::{by_level_and_size, simulate, summarise, Settings};

fn main() {
    let mut args = std::env::args().skip(1);
    let samples: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(200);
    let sample_scale: f64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(1.0);
    let population_scale: f64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(0.1);
    let method: Option<String> = args.next();
    let settings = Settings {
        samples,
        population: SyntheticConfig {
            seed: 4242,
            sample_scale,
            population_scale,
            ..SyntheticConfig::default()
        },
        first_sample_seed: 1_000,
        method: method.clone(),
    };
    let started = std::time::Instant::now();
    let cells = simulate(&settings, &|s| {
        if s % 10 == 0 {
            eprintln!("{s} samples, {:.0} s", started.elapsed().as_secs_f64());
        }
    });
    println!(
        "{samples} EU-LFS samples (sample scale {sample_scale}) of one synthetic population \
         (seed 4242, population scale {population_scale}), area variance by {}; {} cells \
         (indicator × area × migrant group, both sexes)\n",
        method.as_deref().unwrap_or("the catalogue's method"),
        cells.len()
    );
    println!("| level | respondents (class) | cells | mean n | RMSE direct | RMSE model | estimated / empirical MSE | 95 % coverage |");
    println!("|---|---|---|---|---|---|---|---|");
    for (level, class, s) in by_level_and_size(&cells) {
        println!(
            "| {} | {class} | {} | {:.1} | {:.4} | {:.4} | {:.2} | {:.3} |",
            level.code(),
            s.cells,
            s.mean_respondents,
            s.direct_rmse,
            s.model_rmse,
            s.mse_ratio,
            s.coverage
        );
    }
    println!("\nSampling variances on the model scale (cells under 100 respondents): mean assumed (smoothed design effect) over the variance of the direct estimates across samples, and mean γ:\n");
    println!("| level | respondents (class) | cells | median of assumed / empirical sampling variance | mean γ |");
    println!("|---|---|---|---|---|");
    for level in [
        incity_indicators::GeoLevel::Nuts2,
        incity_indicators::GeoLevel::City,
    ] {
        for (label, low, high) in small_area_simulation::SIZE_CLASSES {
            let class: Vec<_> = cells
                .iter()
                .filter(|(k, c)| {
                    k.1 == level && (low..high).contains(&c.mean_respondents()) && c.draws > 2
                })
                .map(|(_, c)| c)
                .collect();
            if class.is_empty() {
                continue;
            }
            let mut ratios: Vec<f64> = class
                .iter()
                .map(|c| c.assumed_variance / c.draws as f64 / c.empirical_sampling_variance())
                .filter(|r| r.is_finite())
                .collect();
            ratios.sort_by(f64::total_cmp);
            let gamma =
                class.iter().map(|c| c.gamma / c.draws as f64).sum::<f64>() / class.len() as f64;
            println!(
                "| {} | {label} | {} | {:.2} | {gamma:.2} |",
                level.code(),
                class.len(),
                ratios.get(ratios.len() / 2).copied().unwrap_or(f64::NAN)
            );
        }
    }
    println!("\nBy indicator, cells under 100 respondents (cities and NUTS 2):\n");
    println!("| indicator | cells | RMSE direct | RMSE model | estimated / empirical MSE | 95 % coverage |");
    println!("|---|---|---|---|---|---|");
    for indicator in small_area_simulation::INDICATORS {
        let s = summarise(
            cells
                .iter()
                .filter(|(k, c)| k.0 == indicator && c.mean_respondents() < 100.0)
                .map(|(_, c)| c),
        );
        println!(
            "| {indicator} | {} | {:.4} | {:.4} | {:.2} | {:.3} |",
            s.cells, s.direct_rmse, s.model_rmse, s.mse_ratio, s.coverage
        );
    }
    // Where the model fails: the cells whose intervals cover least, with their truth.
    let mut worst: Vec<_> = cells
        .iter()
        .filter(|(_, c)| c.mean_respondents() < 100.0 && c.draws >= samples / 2)
        .map(|(k, c)| (c.covered as f64 / c.draws as f64, k, c))
        .collect();
    worst.sort_by(|a, b| a.0.total_cmp(&b.0));
    println!("\nCells under 100 respondents whose intervals cover least:\n");
    println!("| indicator | level | area | group | mean n | truth | RMSE direct | RMSE model | mean estimated RMSE | coverage |");
    println!("|---|---|---|---|---|---|---|---|---|---|");
    for (coverage, k, c) in worst.iter().take(12) {
        println!(
            "| {} | {} | {} | {} | {:.1} | {:.3} | {:.4} | {:.4} | {:.4} | {coverage:.2} |",
            k.0,
            k.1.code(),
            k.2,
            k.3,
            c.mean_respondents(),
            c.truth,
            (c.direct_sq_error / c.paired.max(1) as f64).sqrt(),
            (c.model_sq_error / c.paired.max(1) as f64).sqrt(),
            (c.model_mse / c.draws as f64).sqrt(),
        );
    }
    let below = worst.iter().filter(|w| w.0 < 0.85).count();
    println!(
        "\n{below} of {} cells under 100 respondents cover below 85 %; {:.0} s",
        worst.len(),
        started.elapsed().as_secs_f64()
    );
}
