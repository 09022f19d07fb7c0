//! Criterion benchmarks of the estimation step alone (after the scan): 120 domains over a
//! design of 200 strata × 100 PSUs, as after reducing an EU-LFS-sized file.

use criterion::{criterion_group, criterion_main, Criterion};
use incity_estimation::*;

fn setup() -> (SampleDesign, Vec<DomainSums>) {
    let strata: Vec<Stratum> = (0..200)
        .map(|h| Stratum {
            label: h.to_string(),
            psu_count: 100,
            sampling_fraction: 0.0,
        })
        .collect();
    let design = SampleDesign::new(strata, LonelyPsuRule::Fail).unwrap();
    let mut domains: Vec<Vec<(PsuRef, CellSums)>> = vec![Vec::new(); 120];
    let mut state: u64 = 1;
    for h in 0..200u32 {
        for j in 0..100u32 {
            // Each PSU touches three domains of its region (40 regions × 3 groups).
            let region = (h / 5) as usize;
            for g in 0..3usize {
                state = state.wrapping_mul(6364136223846793005).wrapping_add(1);
                let n = 1 + (state >> 60);
                let employed = (n as f64 * 0.7).round();
                let w = 300.0 + (h as f64);
                domains[region * 3 + g].push((
                    PsuRef { stratum: h, psu: j },
                    CellSums {
                        n,
                        w: w * n as f64,
                        y: w * employed,
                        x: w * n as f64,
                        yy: w * employed,
                        xy: w * employed,
                        xx: w * n as f64,
                    },
                ));
            }
        }
    }
    (
        design,
        domains.into_iter().map(DomainSums::from_cells).collect(),
    )
}

fn bench(c: &mut Criterion) {
    let (design, domains) = setup();
    let stats: Vec<LinearStatistic<'_>> = domains
        .iter()
        .map(|d| LinearStatistic {
            kind: LinearKind::Ratio,
            domain: d,
            reference: None,
        })
        .collect();
    c.bench_function("120 shares, linearisation", |b| {
        b.iter(|| estimate_linear_batch(&design, &stats, &LinearVariance::Linearization).unwrap())
    });
    let jkn = ReplicateDesign::new(&design, ReplicateMethod::Jkn, false).unwrap();
    c.bench_function("120 shares, JKn (20,000 replicates, closed form)", |b| {
        b.iter(|| {
            estimate_linear_batch(&design, &stats, &LinearVariance::Replicates(&jkn)).unwrap()
        })
    });
    let boot = ReplicateDesign::new(
        &design,
        ReplicateMethod::Bootstrap {
            replicates: 500,
            seed: 1,
        },
        false,
    )
    .unwrap();
    let mut group = c.benchmark_group("bootstrap");
    group.sample_size(10);
    group.bench_function("120 shares, bootstrap 500 replicates", |b| {
        b.iter(|| {
            estimate_linear_batch(&design, &stats, &LinearVariance::Replicates(&boot)).unwrap()
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
