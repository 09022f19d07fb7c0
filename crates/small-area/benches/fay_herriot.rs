//! Fay-Herriot fit with analytic MSE for 1,000 areas, and the bootstrap MSE with 500 replicates.

use criterion::{criterion_group, criterion_main, Criterion};
use incity_small_area::{bootstrap_mse, fit, predict, AreaData, FitOptions, VarianceMethod};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};

/// 1,000 areas from a known Fay-Herriot model with three covariates.
pub fn synthetic_areas(m: usize, seed: u64) -> AreaData {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let normal = Normal::new(0.0, 1.0).expect("normal");
    let mut x = vec![
        Vec::with_capacity(m),
        Vec::with_capacity(m),
        Vec::with_capacity(m),
    ];
    let (mut y, mut psi, mut names) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..m {
        let xs: Vec<f64> = (0..3).map(|_| rng.random::<f64>()).collect();
        let theta = 0.5 + 0.3 * xs[0] - 0.2 * xs[1] + 0.1 * xs[2] + 0.05 * normal.sample(&mut rng);
        let v = 0.0005 + 0.01 * rng.random::<f64>();
        y.push(theta + v.sqrt() * normal.sample(&mut rng));
        psi.push(v);
        names.push(format!("A{i:04}"));
        for (k, col) in x.iter_mut().enumerate() {
            col.push(xs[k]);
        }
    }
    let covariates = x
        .into_iter()
        .enumerate()
        .map(|(k, c)| (format!("x{}", k + 1), c))
        .collect();
    AreaData::new(names, y, psi, covariates).expect("valid areas")
}

fn benches(c: &mut Criterion) {
    let data = synthetic_areas(1000, 7);
    c.bench_function("fay_herriot_reml_fit_and_analytic_mse_1000_areas", |b| {
        b.iter(|| {
            let f = fit(&data, VarianceMethod::Reml, FitOptions::default()).expect("fit");
            predict(&f, &data)
        })
    });
    let f = fit(&data, VarianceMethod::Reml, FitOptions::default()).expect("fit");
    let mut group = c.benchmark_group("bootstrap");
    group.sample_size(10);
    group.bench_function("fay_herriot_bootstrap_mse_500_replicates_1000_areas", |b| {
        b.iter(|| {
            bootstrap_mse(
                &data,
                &f,
                |t| t,
                |d| {
                    let g = fit(d, VarianceMethod::Reml, FitOptions::default())?;
                    Ok(predict(&g, d).iter().map(|p| p.eblup).collect())
                },
                500,
                1,
            )
            .expect("bootstrap")
        })
    });
    group.finish();
}

criterion_group!(fay_herriot, benches);
criterion_main!(fay_herriot);
