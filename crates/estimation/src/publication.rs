//! Confidence intervals, coefficients of variation and publication flags.
//!
//! A figure that fails the confidentiality rule carries no number at all: [`Estimate::figures`]
//! is `None`, so nothing downstream can show, store or export the value by mistake.

use statrs::distribution::{ContinuousCDF, Normal, StudentsT};

use crate::linear::PointAndVariance;

/// Publication status of a figure, with Eurostat's flag letters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Flag {
    /// Reliable: published without flag.
    Reliable,
    /// Low reliability: published with flag `u`.
    LowReliability,
    /// Not published (too few respondents or too imprecise): flag `c`, no value anywhere.
    Suppressed,
}

impl Flag {
    /// The flag letter used in tables and exports (`""`, `"u"`, `"c"`).
    pub fn code(self) -> &'static str {
        match self {
            Flag::Reliable => "",
            Flag::LowReliability => "u",
            Flag::Suppressed => "c",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "" => Some(Flag::Reliable),
            "u" => Some(Flag::LowReliability),
            "c" => Some(Flag::Suppressed),
            _ => None,
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Flag::Reliable => "reliable",
            Flag::LowReliability => "low reliability",
            Flag::Suppressed => "not published: too few respondents or too imprecise",
        }
    }
}

/// Which weighted count the population thresholds look at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThresholdBasis {
    /// The estimated number of persons in the figure's population (a rate's denominator).
    Population,
    /// The estimated number of persons counted by the figure (a share's numerator; for a
    /// median, its population).
    Numerator,
}

/// Thresholds on an estimated number of persons, as in Eurostat's EU-LFS publication
/// guidelines: below `suppress_below` a figure is not published, below `flag_below` it is
/// published with the flag of low reliability. The limits are set per country (see the
/// indicator crate's rule files).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PopulationThresholds {
    pub suppress_below: f64,
    pub flag_below: f64,
    pub basis: ThresholdBasis,
}

/// Configurable publication rules. A figure is suppressed when its unweighted number of
/// respondents is below `suppress_below_n`, its CV exceeds `suppress_above_cv`, or its
/// weighted count is below the population threshold; it is flagged as of low reliability when
/// `n < flag_below_n`, `cv > flag_above_cv`, or the weighted count is below the flag threshold.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PublicationRules {
    pub suppress_below_n: u64,
    pub flag_below_n: u64,
    pub flag_above_cv: Option<f64>,
    pub suppress_above_cv: Option<f64>,
    pub population_thresholds: Option<PopulationThresholds>,
}

/// What the rules look at for one figure.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RuleBasis {
    /// Respondents (for a gap, the smaller group's).
    pub n: u64,
    /// Whether CV bands apply (not for differences).
    pub use_cv: bool,
    /// Estimated persons in the figure's population (for a gap, the smaller group's).
    pub population: f64,
    /// Estimated persons counted by the figure (a share's numerator), when defined.
    pub numerator: Option<f64>,
}

impl PublicationRules {
    /// EU-SILC observation rules (Commission Regulation (EU) 2019/2242 practice): fewer than 20
    /// observations not published, 20 to 49 published with flag.
    pub const EU_SILC: Self = Self {
        suppress_below_n: 20,
        flag_below_n: 50,
        flag_above_cv: None,
        suppress_above_cv: None,
        population_thresholds: None,
    };

    /// incity's default: the EU-SILC observation rules plus CV bands (flag above 20 %,
    /// suppress above 35 %), the bands many statistics offices use for survey estimates.
    pub const DEFAULT: Self = Self {
        suppress_below_n: 20,
        flag_below_n: 50,
        flag_above_cv: Some(0.20),
        suppress_above_cv: Some(0.35),
        population_thresholds: None,
    };

    /// The flag of a figure with `n` respondents and coefficient of variation `cv`
    /// (`None` when undefined, e.g. for a gap or an estimate of zero: only `n` rules apply).
    pub fn flag(&self, n: u64, cv: Option<f64>) -> Flag {
        self.flag_weighted(n, cv, None)
    }

    /// As [`flag`](Self::flag), with the weighted count the population thresholds compare
    /// (`None`: no population threshold applies).
    pub fn flag_weighted(&self, n: u64, cv: Option<f64>, weighted: Option<f64>) -> Flag {
        let thresholds = self.population_thresholds.zip(weighted);
        if thresholds.is_some_and(|(t, w)| w < t.suppress_below) {
            return Flag::Suppressed;
        }
        if n < self.suppress_below_n {
            return Flag::Suppressed;
        }
        if let (Some(limit), Some(cv)) = (self.suppress_above_cv, cv) {
            if cv > limit {
                return Flag::Suppressed;
            }
        }
        if n < self.flag_below_n || thresholds.is_some_and(|(t, w)| w < t.flag_below) {
            return Flag::LowReliability;
        }
        if let (Some(limit), Some(cv)) = (self.flag_above_cv, cv) {
            if cv > limit {
                return Flag::LowReliability;
            }
        }
        Flag::Reliable
    }
}

impl Default for PublicationRules {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// How a confidence interval is formed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Interval {
    /// `θ̂ ± z·se`.
    Normal,
    /// For shares: `expit(logit(p̂) ± z·se / (p̂(1 - p̂)))`, which stays inside (0, 1)
    /// (Korn & Graubard 1998; R `svyciprop(method = "logit")` with normal quantiles).
    Logit,
    /// An interval computed by the estimator itself (e.g. Woodruff's for quantiles).
    Given { low: f64, high: f64 },
}

/// The published numbers of an estimate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Figures {
    pub estimate: f64,
    pub se: f64,
    pub ci_low: f64,
    pub ci_high: f64,
    /// `se / |estimate|`; `None` when the estimate is 0 or the statistic is a difference.
    pub cv: Option<f64>,
    pub n: u64,
    pub population: f64,
    pub deff: Option<f64>,
}

/// An estimate after publication rules: a flag, and figures unless suppressed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    pub flag: Flag,
    pub figures: Option<Figures>,
}

/// Standard normal quantile.
pub fn normal_quantile(p: f64) -> f64 {
    // Normal::new(0, 1) cannot fail.
    Normal::new(0.0, 1.0)
        .map(|n| n.inverse_cdf(p))
        .unwrap_or(f64::NAN)
}

/// Student t quantile with `df` degrees of freedom (normal when `df` is 0 or infinite).
pub fn t_quantile(p: f64, df: usize) -> f64 {
    if df == 0 {
        return normal_quantile(p);
    }
    StudentsT::new(0.0, 1.0, df as f64)
        .map(|t| t.inverse_cdf(p))
        .unwrap_or(f64::NAN)
}

impl Estimate {
    /// Applies `rules` to a point estimate and variance. `confidence` is the interval's level
    /// (e.g. 0.95); `n_for_rules` is the count the rules look at (for a gap, the smaller of the
    /// two groups); `use_cv` says whether CV bands apply (not for differences).
    pub fn publish(
        pv: &PointAndVariance,
        interval: Interval,
        confidence: f64,
        rules: &PublicationRules,
        n_for_rules: u64,
        use_cv: bool,
    ) -> Estimate {
        let basis = RuleBasis {
            n: n_for_rules,
            use_cv,
            population: pv.population,
            numerator: None,
        };
        Estimate::publish_with(pv, interval, confidence, rules, &basis)
    }

    /// As [`publish`](Self::publish), with everything the rules look at given explicitly
    /// (population thresholds need the weighted counts).
    pub fn publish_with(
        pv: &PointAndVariance,
        interval: Interval,
        confidence: f64,
        rules: &PublicationRules,
        basis: &RuleBasis,
    ) -> Estimate {
        let (n_for_rules, use_cv) = (basis.n, basis.use_cv);
        let weighted = rules.population_thresholds.map(|t| match t.basis {
            ThresholdBasis::Population => basis.population,
            ThresholdBasis::Numerator => basis.numerator.unwrap_or(basis.population),
        });
        let se = pv.variance.max(0.0).sqrt();
        let cv = if use_cv && pv.estimate != 0.0 && pv.estimate.is_finite() {
            Some(se / pv.estimate.abs())
        } else {
            None
        };
        // A figure whose precision cannot be estimated (e.g. a replicate left its domain empty)
        // is not published.
        let flag = if pv.variance.is_finite() && pv.estimate.is_finite() {
            rules.flag_weighted(n_for_rules, cv, weighted)
        } else {
            Flag::Suppressed
        };
        if flag == Flag::Suppressed {
            return Estimate {
                flag,
                figures: None,
            };
        }
        let z = normal_quantile(0.5 + confidence / 2.0);
        let (ci_low, ci_high) = match interval {
            Interval::Normal => (pv.estimate - z * se, pv.estimate + z * se),
            Interval::Logit => logit_interval(pv.estimate, se, z),
            Interval::Given { low, high } => (low, high),
        };
        let deff = pv
            .srs_variance
            .filter(|v| *v > 0.0)
            .map(|v| pv.variance / v);
        Estimate {
            flag,
            figures: Some(Figures {
                estimate: pv.estimate,
                se,
                ci_low,
                ci_high,
                cv: if use_cv { cv } else { None },
                n: pv.n,
                population: pv.population,
                deff,
            }),
        }
    }
}

/// Logit-transformed interval for a share; degenerate shares (0 or 1) get the point itself.
pub fn logit_interval(p: f64, se: f64, z: f64) -> (f64, f64) {
    if !(p > 0.0 && p < 1.0) {
        return (p, p);
    }
    let l = (p / (1.0 - p)).ln();
    let half = z * se / (p * (1.0 - p));
    let expit = |v: f64| 1.0 / (1.0 + (-v).exp());
    (expit(l - half), expit(l + half))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pv(estimate: f64, variance: f64, n: u64) -> PointAndVariance {
        PointAndVariance {
            estimate,
            variance,
            n,
            population: 1000.0,
            srs_variance: Some(variance / 2.0),
            degrees_of_freedom: 10,
        }
    }

    #[test]
    fn suppressed_figures_carry_no_number() {
        let e = Estimate::publish(
            &pv(0.5, 0.0001, 19),
            Interval::Logit,
            0.95,
            &PublicationRules::EU_SILC,
            19,
            true,
        );
        assert_eq!(e.flag, Flag::Suppressed);
        assert!(e.figures.is_none());
        let e = Estimate::publish(
            &pv(0.5, 0.0001, 20),
            Interval::Logit,
            0.95,
            &PublicationRules::EU_SILC,
            20,
            true,
        );
        assert_eq!(e.flag, Flag::LowReliability);
        let e = Estimate::publish(
            &pv(0.5, 0.0001, 50),
            Interval::Logit,
            0.95,
            &PublicationRules::EU_SILC,
            50,
            true,
        );
        assert_eq!(e.flag, Flag::Reliable);
    }

    #[test]
    fn undefined_precision_is_not_published() {
        let e = Estimate::publish(
            &pv(0.5, f64::NAN, 500),
            Interval::Logit,
            0.95,
            &PublicationRules::DEFAULT,
            500,
            true,
        );
        assert_eq!(e.flag, Flag::Suppressed);
        assert!(e.figures.is_none());
    }

    #[test]
    fn cv_bands() {
        let r = PublicationRules::DEFAULT;
        assert_eq!(r.flag(1000, Some(0.1)), Flag::Reliable);
        assert_eq!(r.flag(1000, Some(0.25)), Flag::LowReliability);
        assert_eq!(r.flag(1000, Some(0.4)), Flag::Suppressed);
        assert_eq!(r.flag(1000, None), Flag::Reliable);
    }

    #[test]
    fn population_thresholds_on_the_chosen_basis() {
        let rules = PublicationRules {
            population_thresholds: Some(PopulationThresholds {
                suppress_below: 3000.0,
                flag_below: 6000.0,
                basis: ThresholdBasis::Numerator,
            }),
            ..PublicationRules::EU_SILC
        };
        assert_eq!(
            rules.flag_weighted(500, None, Some(2999.0)),
            Flag::Suppressed
        );
        assert_eq!(
            rules.flag_weighted(500, None, Some(3000.0)),
            Flag::LowReliability
        );
        assert_eq!(rules.flag_weighted(500, None, Some(6000.0)), Flag::Reliable);
        // Respondent rules still apply.
        assert_eq!(rules.flag_weighted(10, None, Some(1e6)), Flag::Suppressed);
        // A share of 10 % of 40,000 persons counts 4,000: flagged on the numerator basis,
        // reliable on the population basis.
        let mut p = pv(0.1, 0.0001, 500);
        p.population = 40_000.0;
        let basis = RuleBasis {
            n: 500,
            use_cv: true,
            population: 40_000.0,
            numerator: Some(4_000.0),
        };
        let e = Estimate::publish_with(&p, Interval::Logit, 0.95, &rules, &basis);
        assert_eq!(e.flag, Flag::LowReliability);
        let by_population = PublicationRules {
            population_thresholds: Some(PopulationThresholds {
                basis: ThresholdBasis::Population,
                ..rules.population_thresholds.unwrap()
            }),
            ..rules
        };
        let e = Estimate::publish_with(&p, Interval::Logit, 0.95, &by_population, &basis);
        assert_eq!(e.flag, Flag::Reliable);
        let small = RuleBasis {
            numerator: Some(2_000.0),
            ..basis
        };
        let e = Estimate::publish_with(&p, Interval::Logit, 0.95, &rules, &small);
        assert_eq!(e.flag, Flag::Suppressed);
        assert!(e.figures.is_none());
    }

    #[test]
    fn intervals_and_deff() {
        // se = 0.1, z(0.975) = 1.959963984540054
        let e = Estimate::publish(
            &pv(2.0, 0.01, 100),
            Interval::Normal,
            0.95,
            &PublicationRules::DEFAULT,
            100,
            true,
        );
        let f = e.figures.unwrap();
        assert!((f.ci_low - (2.0 - 0.1959963984540054)).abs() < 1e-12);
        assert!((f.cv.unwrap() - 0.05).abs() < 1e-12);
        assert!((f.deff.unwrap() - 2.0).abs() < 1e-12);
        // logit interval is asymmetric and inside (0, 1)
        let (lo, hi) = logit_interval(0.05, 0.02, 1.96);
        assert!(lo > 0.0 && hi < 1.0 && (0.05 - lo) < (hi - 0.05));
    }
}
