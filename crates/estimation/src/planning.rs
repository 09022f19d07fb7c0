//! Sample sizes: how many respondents a domain needs for a target precision or to pass the
//! publication rules, directly or with a model-based estimate.
//!
//! # Direct estimates
//! The variance of a domain estimate is taken as inversely proportional to its respondents,
//! with the design held fixed (same clustering, same weighting, so the same design effect):
//!
//! `V(n) = u / n`, with `u = deff · p (1 - p)` for a share `p` (Kish 1965, §2.8; Cochran 1977,
//! §4.4 with the design effect), and `u = se² · n` from the current estimate otherwise (a
//! median's variance also falls as `1/n`).
//!
//! The respondents for a coefficient of variation `c` are then `n = u / (c p)²`, for a share
//! `n = deff (1 - p) / (p c²)`. The design degrees of freedom are taken to grow with the
//! sample (more PSUs of the same size): `df(n) = n · df/n` from the current estimate. The
//! respondents to pass the publication rules are the smallest `n` whose figure the rules
//! ([`PublicationRules`], NCHS criteria included) publish without a flag, found by applying
//! [`Estimate::publish_with`] itself to the planned precision (a bracketing search: the flag
//! is monotone in `n` for a fixed share and design effect).
//!
//! # Pooling years
//! Averaging `k` independent annual samples of about the same size multiplies the respondents
//! by `k` (Eurostat 2013, *Handbook on precision requirements and variance estimation for ESS
//! household surveys*, §3.6): `k = ⌈n_needed / n_per_year⌉`.
//!
//! # Model-based estimates
//! The MSE of an EBLUP is, to first order, the harmonic combination of the direct variance and
//! the error of the synthetic (regression) estimate: `g1 = γ ψ = 1 / (1/σ²ᵤ + 1/ψ)` (Rao &
//! Molina 2015, §6.1.2). The synthetic part is recovered from the current model MSE `m` and
//! the current direct variance `V(n₀)`: `s = 1 / (1/m - 1/V(n₀))` (no gain, `s = ∞`, when
//! `m ≥ V(n₀)`), and the planned MSE is `1 / (1/s + 1/V(n))`. This folds the estimation of the
//! model parameters (`g2`, `g3`) into `s`: an approximation, stated wherever a plan is shown.

use crate::linear::PointAndVariance;
use crate::publication::{Estimate, Flag, Interval, PublicationRules, RuleBasis};

/// Respondents beyond which a plan reports "not reachable".
pub const MAX_RESPONDENTS: u64 = 10_000_000;

/// What a plan starts from: a planning value of the estimate and its precision per respondent.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PlanningBasis {
    /// The anticipated value of the estimate (for a share, in `[0, 1]`).
    pub estimate: f64,
    pub share: bool,
    /// `u` of `V(n) = u / n`.
    pub unit_variance: f64,
    /// Design degrees of freedom per respondent.
    pub df_per_respondent: f64,
    /// Estimated persons in the domain (population thresholds of the rules).
    pub population: f64,
}

impl PlanningBasis {
    /// A share `p` with design effect `deff`.
    pub fn share(p: f64, deff: f64, df_per_respondent: f64, population: f64) -> Option<Self> {
        (p > 0.0 && p < 1.0 && deff.is_finite() && deff > 0.0).then_some(Self {
            estimate: p,
            share: true,
            unit_variance: deff * p * (1.0 - p),
            df_per_respondent,
            population,
        })
    }

    /// Any statistic from its current standard error with `n` respondents.
    pub fn from_standard_error(
        estimate: f64,
        se: f64,
        n: u64,
        df_per_respondent: f64,
        population: f64,
    ) -> Option<Self> {
        (se.is_finite() && se > 0.0 && n > 0 && estimate != 0.0).then_some(Self {
            estimate,
            share: false,
            unit_variance: se * se * n as f64,
            df_per_respondent,
            population,
        })
    }

    /// Any statistic from a relative variance per respondent `cv² · n` (e.g. the median over
    /// the published figures of a level).
    pub fn from_relative_variance(
        estimate: f64,
        relative_unit_variance: f64,
        df_per_respondent: f64,
        population: f64,
    ) -> Option<Self> {
        (relative_unit_variance.is_finite() && relative_unit_variance > 0.0 && estimate != 0.0)
            .then_some(Self {
                estimate,
                share: false,
                unit_variance: relative_unit_variance * estimate * estimate,
                df_per_respondent,
                population,
            })
    }

    /// Sampling variance with `n` respondents.
    pub fn variance(&self, n: u64) -> f64 {
        self.unit_variance / n as f64
    }

    pub fn cv(&self, n: u64) -> f64 {
        self.variance(n).sqrt() / self.estimate.abs()
    }

    /// Respondents for a coefficient of variation at most `target`.
    pub fn respondents_for_cv(&self, target: f64) -> Option<u64> {
        let n = (self.unit_variance / (target * self.estimate).powi(2)).ceil();
        (target > 0.0 && n.is_finite() && n <= MAX_RESPONDENTS as f64).then(|| (n as u64).max(1))
    }

    /// The direct figure the rules would publish with `n` respondents.
    pub fn direct_figure(&self, n: u64, rules: &PublicationRules) -> Estimate {
        let df = (self.df_per_respondent * n as f64).floor();
        let pv = PointAndVariance {
            estimate: self.estimate,
            variance: self.variance(n),
            n,
            population: self.population,
            srs_variance: None,
            degrees_of_freedom: if df.is_finite() {
                (df as usize).max(1)
            } else {
                usize::MAX
            },
        };
        let basis = RuleBasis {
            n,
            use_cv: true,
            population: self.population,
            numerator: self.share.then_some(self.estimate * self.population),
            share: self.share,
        };
        let interval = if self.share {
            Interval::Share
        } else {
            Interval::Normal
        };
        Estimate::publish_with(&pv, interval, 0.95, rules, &basis)
    }

    /// The fewest respondents whose direct figure is published without a flag.
    pub fn respondents_to_publish(&self, rules: &PublicationRules) -> Option<u64> {
        smallest_respondents(|n| self.direct_figure(n, rules).flag == Flag::Reliable)
    }
}

/// A model-based estimate's planned MSE (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ModelPlanning {
    pub basis: PlanningBasis,
    /// MSE of the synthetic part (`f64::INFINITY` when the model adds nothing).
    pub synthetic_mse: f64,
}

impl ModelPlanning {
    /// From the model's current MSE with `n` respondents in the cell.
    pub fn from_current(basis: PlanningBasis, model_mse: f64, n: u64) -> Option<Self> {
        if !(model_mse.is_finite() && model_mse > 0.0 && n > 0) {
            return None;
        }
        let direct = basis.variance(n);
        let synthetic_mse = if model_mse < direct {
            1.0 / (1.0 / model_mse - 1.0 / direct)
        } else {
            f64::INFINITY
        };
        Some(Self {
            basis,
            synthetic_mse,
        })
    }

    pub fn mse(&self, n: u64) -> f64 {
        1.0 / (1.0 / self.synthetic_mse + 1.0 / self.basis.variance(n))
    }

    /// The model-based figure the rules would publish with `n` respondents (interval
    /// `estimate ± 1.96 · RMSE`, clipped to `[0, 1]` for a share).
    pub fn figure(&self, n: u64, rules: &PublicationRules) -> Estimate {
        let (p, mse) = (self.basis.estimate, self.mse(n));
        let half = 1.959_963_984_540_054 * mse.sqrt();
        let (mut low, mut high) = (p - half, p + half);
        if self.basis.share {
            (low, high) = (low.max(0.0), high.min(1.0));
        }
        Estimate::publish_model_based(
            p,
            mse,
            (low, high),
            n,
            self.basis.population,
            self.basis.share,
            rules,
        )
    }

    /// The fewest respondents whose model-based figure is published without a flag.
    pub fn respondents_to_publish(&self, rules: &PublicationRules) -> Option<u64> {
        smallest_respondents(|n| self.figure(n, rules).flag == Flag::Reliable)
    }
}

/// Years of about `per_year` respondents to pool for `needed` respondents.
pub fn pooled_years(needed: u64, per_year: u64) -> Option<u64> {
    (per_year > 0).then(|| needed.div_ceil(per_year).max(1))
}

/// The smallest `n` in `1..=MAX_RESPONDENTS` for which `passes` holds, assuming it holds for
/// every larger `n` once it holds (doubling, then bisection).
pub fn smallest_respondents(passes: impl Fn(u64) -> bool) -> Option<u64> {
    let mut high = 1u64;
    while !passes(high) {
        if high >= MAX_RESPONDENTS {
            return None;
        }
        high = (high * 2).min(MAX_RESPONDENTS);
    }
    let mut low = high / 2; // fails (or 0)
    while high - low > 1 {
        let mid = low + (high - low) / 2;
        if passes(mid) {
            high = mid;
        } else {
            low = mid;
        }
    }
    Some(high)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CV_ONLY: PublicationRules = PublicationRules {
        suppress_below_n: 0,
        flag_below_n: 0,
        flag_above_cv: Some(0.2),
        suppress_above_cv: None,
        population_thresholds: None,
        proportions: None,
        flag_below_df: None,
    };

    #[test]
    fn respondents_for_a_cv_follow_the_textbook_formula() {
        // p = 0.2, deff = 1.5, CV 10 %: n = 1.5 · 0.8 / (0.2 · 0.01) = 600.
        let b = PlanningBasis::share(0.2, 1.5, 0.1, 1e6).unwrap();
        assert_eq!(b.respondents_for_cv(0.10), Some(600));
        assert!((b.cv(600) - 0.10).abs() < 1e-12);
        // Four times the precision needs sixteen times the sample.
        assert_eq!(b.respondents_for_cv(0.025), Some(9600));
    }

    #[test]
    fn the_rules_are_passed_at_the_smallest_such_sample() {
        // CV ≤ 20 % and not flagged: n ≥ 1.5 · 0.8 / (0.2 · 0.04) = 150 (CV exactly 0.2 is
        // not above the limit).
        let b = PlanningBasis::share(0.2, 1.5, f64::INFINITY, 1e6).unwrap();
        let n = b.respondents_to_publish(&CV_ONLY).unwrap();
        assert_eq!(n, 150);
        assert_eq!(b.direct_figure(n - 1, &CV_ONLY).flag, Flag::LowReliability);
        // Under the default rules (NCHS for shares, at least 50 respondents, 8 df) the
        // answer passes and one respondent fewer does not.
        let b = PlanningBasis::share(0.2, 1.5, 0.1, 1e6).unwrap();
        let n = b
            .respondents_to_publish(&PublicationRules::DEFAULT)
            .unwrap();
        assert!(n >= 80, "{n}");
        assert_eq!(
            b.direct_figure(n, &PublicationRules::DEFAULT).flag,
            Flag::Reliable
        );
        assert_ne!(
            b.direct_figure(n - 1, &PublicationRules::DEFAULT).flag,
            Flag::Reliable
        );
    }

    #[test]
    fn a_model_needs_fewer_respondents_and_never_more() {
        let b = PlanningBasis::share(0.3, 1.4, f64::INFINITY, 1e6).unwrap();
        // The model's current MSE is half the direct variance at 40 respondents.
        let m = ModelPlanning::from_current(b, 0.5 * b.variance(40), 40).unwrap();
        assert!((m.mse(40) - 0.5 * b.variance(40)).abs() < 1e-15);
        // With many respondents the model converges to the direct estimate.
        assert!(m.mse(1_000_000) / b.variance(1_000_000) > 0.99);
        let rules = PublicationRules {
            suppress_below_n: 10,
            ..CV_ONLY
        };
        let direct = b.respondents_to_publish(&rules).unwrap();
        let model = m.respondents_to_publish(&rules).unwrap();
        assert!(model < direct, "model {model}, direct {direct}");
        // A model no better than the direct estimate plans as the direct estimate.
        let none = ModelPlanning::from_current(b, 2.0 * b.variance(40), 40).unwrap();
        assert_eq!(none.synthetic_mse, f64::INFINITY);
        assert_eq!(none.respondents_to_publish(&rules), Some(direct));
    }

    #[test]
    fn pooled_years_round_up() {
        assert_eq!(pooled_years(100, 40), Some(3));
        assert_eq!(pooled_years(30, 40), Some(1));
        assert_eq!(pooled_years(30, 0), None);
    }

    #[test]
    fn the_search_finds_the_threshold_and_reports_unreachable() {
        for t in [1, 2, 3, 1000, 65_537, MAX_RESPONDENTS] {
            assert_eq!(smallest_respondents(|n| n >= t), Some(t));
        }
        assert_eq!(smallest_respondents(|_| false), None);
    }
}
