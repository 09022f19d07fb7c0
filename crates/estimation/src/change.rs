//! Change between two periods whose samples share PSUs (the EU-LFS rotation, EU-SILC's
//! rotational panel), with the covariance of the two estimates taken from the shared PSUs.
//!
//! `Δ̂ = θ̂₂ − θ̂₁` and `V(Δ̂) = V(θ̂₁) + V(θ̂₂) − 2 Ĉov(θ̂₁, θ̂₂)`, where each `V` is the
//! period's own (linearised, ultimate-cluster) variance. With `z_k,hi` the linearised score
//! total of PSU `i` of stratum `h` in period `k` (weights included, as
//! [`crate::LinearStatistic::linearised_scores`] gives it), and `c_h` the PSUs stratum `h` holds
//! in both periods,
//!
//! `Ĉov = Σ_h c_h / (c_h − 1) · Σ_{i ∈ common_h} (z_1,hi − z̄_1,h)(z_2,hi − z̄_2,h)`,
//!
//! the means taken over the common PSUs. This is the with-replacement estimator of the
//! covariance of two totals whose samples of `m₁` and `m₂` draws share `c` draws,
//! `Cov = c/(m₁m₂) · σ₁₂`, with the per-draw covariance `σ₁₂` estimated on the common draws
//! (Tam 1984, *JRSS B* 46, "Optimal estimation of survey data over time"; Qualité & Tillé 2008,
//! *Survey Methodology* 34(2), the with-replacement case); it is the covariance term the
//! R package `vardpoor` (`vardchanges`) builds from the PSU totals both years share, after
//! Berger & Priam (2016, *Statistics in Transition* 17(1)). Strata are matched by label, PSUs by
//! label within their stratum; a stratum with fewer than two common PSUs adds nothing (its
//! covariance cannot be estimated), and with no common PSU at all the two samples are treated as
//! independent: [`Change::covariance_basis`] says which was used.

use std::collections::BTreeMap;

/// One period's estimate, its variance, and its PSU score totals keyed by (stratum, PSU)
/// labels that identify the same PSU in both periods.
#[derive(Debug, Clone)]
pub struct PeriodEstimate<'a, K> {
    pub estimate: f64,
    pub variance: f64,
    pub scores: &'a [((K, K), f64)],
}

/// Where the covariance of the two periods' estimates came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CovarianceBasis {
    /// Estimated from the PSUs both samples hold.
    SharedPsus,
    /// No PSU is in both samples (or none in a stratum with two): the samples are treated as
    /// independent, covariance 0.
    Independent,
}

impl CovarianceBasis {
    pub fn code(self) -> &'static str {
        match self {
            CovarianceBasis::SharedPsus => "shared-psus",
            CovarianceBasis::Independent => "independent",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        [CovarianceBasis::SharedPsus, CovarianceBasis::Independent]
            .into_iter()
            .find(|b| b.code() == code)
    }

    /// Short words for tables.
    pub fn label(self) -> &'static str {
        match self {
            CovarianceBasis::SharedPsus => "covariance from shared PSUs",
            CovarianceBasis::Independent => "no shared PSU: years treated as independent",
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            CovarianceBasis::SharedPsus => {
                "covariance of the two periods estimated from the PSUs both samples share"
            }
            CovarianceBasis::Independent => {
                "no PSU in both samples: the periods are treated as independent samples"
            }
        }
    }
}

/// A change `θ₂ − θ₁` with its variance.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Change {
    pub estimate: f64,
    pub variance: f64,
    /// `Ĉov(θ̂₁, θ̂₂)` (0 when the samples are treated as independent).
    pub covariance: f64,
    /// PSUs in both samples, in strata where the covariance could be estimated.
    pub shared_psus: usize,
    pub covariance_basis: CovarianceBasis,
}

/// Per (stratum, PSU) label: the score total (scores of one PSU added).
fn totals<K: Ord + Clone>(scores: &[((K, K), f64)]) -> BTreeMap<(K, K), f64> {
    let mut out = BTreeMap::new();
    for (key, z) in scores {
        *out.entry(key.clone()).or_insert(0.0) += z;
    }
    out
}

/// The change from `before` to `after`, with the covariance from their shared PSUs.
pub fn change_with_shared_psus<K: Ord + Clone>(
    before: &PeriodEstimate<'_, K>,
    after: &PeriodEstimate<'_, K>,
) -> Change {
    let (first, second) = (totals(before.scores), totals(after.scores));
    // Common PSUs per stratum: (z₁, z₂) pairs.
    let mut strata: BTreeMap<&K, Vec<(f64, f64)>> = BTreeMap::new();
    for (key, z1) in &first {
        if let Some(z2) = second.get(key) {
            strata.entry(&key.0).or_default().push((*z1, *z2));
        }
    }
    let (mut covariance, mut shared) = (0.0, 0usize);
    for pairs in strata.values().filter(|p| p.len() >= 2) {
        let c = pairs.len() as f64;
        let (m1, m2) = pairs
            .iter()
            .fold((0.0, 0.0), |(a, b), (x, y)| (a + x / c, b + y / c));
        let products: f64 = pairs.iter().map(|(x, y)| (x - m1) * (y - m2)).sum();
        covariance += c / (c - 1.0) * products;
        shared += pairs.len();
    }
    let covariance_basis = if shared > 0 {
        CovarianceBasis::SharedPsus
    } else {
        CovarianceBasis::Independent
    };
    Change {
        estimate: after.estimate - before.estimate,
        variance: (before.variance + after.variance - 2.0 * covariance).max(0.0),
        covariance,
        shared_psus: shared,
        covariance_basis,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(h: &'static str, i: &'static str) -> (&'static str, &'static str) {
        (h, i)
    }

    #[test]
    fn without_shared_psus_the_periods_are_independent() {
        let a = [(key("s", "1"), 1.0), (key("s", "2"), -1.0)];
        let b = [(key("s", "3"), 2.0), (key("s", "4"), -2.0)];
        let c = change_with_shared_psus(
            &PeriodEstimate {
                estimate: 0.5,
                variance: 2.0,
                scores: &a,
            },
            &PeriodEstimate {
                estimate: 0.7,
                variance: 8.0,
                scores: &b,
            },
        );
        assert_eq!(c.covariance_basis, CovarianceBasis::Independent);
        assert!((c.estimate - 0.2).abs() < 1e-15);
        assert_eq!(c.variance, 10.0);
    }

    #[test]
    fn the_covariance_is_that_of_the_shared_psus_by_stratum() {
        // Stratum s: PSUs 1, 2, 3 in both periods; PSU 4 only before. Stratum t: one shared
        // PSU (no covariance estimable there).
        let a = [
            (key("s", "1"), 1.0),
            (key("s", "2"), 2.0),
            (key("s", "2"), 1.0), // a second score of PSU 2 is added to it
            (key("s", "3"), 5.0),
            (key("s", "4"), 9.0),
            (key("t", "1"), 4.0),
        ];
        let b = [
            (key("s", "1"), 2.0),
            (key("s", "2"), 2.0),
            (key("s", "3"), 8.0),
            (key("t", "1"), 1.0),
        ];
        let c = change_with_shared_psus(
            &PeriodEstimate {
                estimate: 0.0,
                variance: 30.0,
                scores: &a,
            },
            &PeriodEstimate {
                estimate: 1.0,
                variance: 20.0,
                scores: &b,
            },
        );
        // Common in s: z₁ = (1, 3, 5), mean 3; z₂ = (2, 2, 8), mean 4;
        // Σ (z₁ − 3)(z₂ − 4) = (−2)(−2) + 0 + (2)(4) = 12; × 3/2 = 18.
        assert!((c.covariance - 18.0).abs() < 1e-12);
        assert_eq!(c.shared_psus, 3);
        assert_eq!(c.covariance_basis, CovarianceBasis::SharedPsus);
        assert!((c.variance - (30.0 + 20.0 - 36.0)).abs() < 1e-12);
    }
}
