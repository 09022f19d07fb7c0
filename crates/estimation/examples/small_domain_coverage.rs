//! Coverage of 95 % intervals for small domains (20-100 respondents, 11 PSUs in 6 strata, two
//! of them with a single PSU), before and after honest small-domain uncertainty (issue 10).
//!
//! `cargo run --release -p incity-estimation --example small_domain_coverage [samples]`

#[path = "../tests/support/small_domains.rs"]
mod small_domains;

fn main() {
    let samples: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(4000);
    println!(
        "| domain size (mean n) | outcome share | samples | before (certainty, z) | after: adjust, t(df), logit/KG | after: collapse | mean df | no interval (df 0) |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for (k, size) in [20.0, 40.0, 60.0, 100.0].into_iter().enumerate() {
        for (j, prevalence) in [0.6, 0.1].into_iter().enumerate() {
            let pop = small_domains::Population::new(size, prevalence, 100 + (k * 2 + j) as u64);
            let c = small_domains::coverage(&pop, samples, 7 + (k * 2 + j) as u64);
            println!(
                "| {size:.0} ({:.1}) | {:.3} | {} | {:.3} | {:.3} | {:.3} | {:.1} | {:.1} % |",
                c.mean_n,
                pop.truth,
                c.samples,
                c.before,
                c.adjust,
                c.collapse,
                c.mean_df,
                100.0 * c.adjust_missing as f64 / c.samples as f64
            );
        }
    }
}
