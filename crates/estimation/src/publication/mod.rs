//! Confidence intervals, coefficients of variation and publication flags.
//!
//! A figure that fails the confidentiality rule carries no number at all: [`Estimate::figures`]
//! is `None`, so nothing downstream can show, store or export the value by mistake.
//!
//! # Intervals
//!
//! Every interval uses the Student `t` quantile on the figure's design degrees of freedom
//! (PSUs minus strata where the domain has units, as R `survey`'s `degf` of a subset and
//! `svyciprop`), never the normal quantile. A figure without degrees of freedom (`df = 0`) has
//! no interval and is not published.
//!
//! * [`Interval::Normal`]: `θ̂ ± t·se` — totals, means, ratios, differences (gaps), ratios of
//!   medians.
//! * [`Interval::Logit`]: `expit(logit(p̂) ± t·se / (p̂(1 - p̂)))` (R `svyciprop(method =
//!   "xlogit")`), which stays inside (0, 1).
//! * [`Interval::KornGraubard`]: the Clopper-Pearson interval on the degrees-of-freedom adjusted
//!   effective sample size (Korn & Graubard 1998; NCHS *Data Presentation Standards for
//!   Proportions*, Parker et al. 2017; R `svyciprop(method = "beta")`):
//!   `n_eff = p̂(1 - p̂) / v(p̂)`, at most `n` (the respondents), and `n` when `p̂` is 0 or 1;
//!   `n* = n_eff · (t_{n-1} / t_df)²`; `x = n* p̂`; lower `= B⁻¹(α/2; x, n* - x + 1)` (0 when
//!   `x = 0`), upper `= B⁻¹(1 - α/2; x + 1, n* - x)` (1 when `p̂ = 1`).
//! * [`Interval::Share`]: what incity uses for shares: the logit interval, except when `p̂` is
//!   0 or 1 or fewer than [`FEW_EFFECTIVE_RESPONDENTS`] (5) effective respondents lie on the
//!   rarer side (`n_eff · min(p̂, 1 - p̂) < 5`, `n_eff` before the degrees-of-freedom adjustment,
//!   the classic `np ≥ 5` rule), where the normal approximation on the logit scale fails and
//!   Korn-Graubard is used. Korn-Graubard is conservative, so it is not used more widely: in
//!   the small-domain simulation (`examples/small_domain_coverage.rs`) switching on
//!   `n* · min(p̂, 1 - p̂) < 10` gave 96.5-99.6 % coverage for domains of 20-60 respondents.
//! * [`Interval::Given`]: an interval the estimator made itself (Woodruff's for quantiles).
//!
//! # Figures that cannot look exact
//!
//! A variance that is not a finite number (not estimable: e.g. the *average* lonely-PSU rule
//! without a stratum of two PSUs, a quantile whose Woodruff interval has zero width), or an
//! estimated variance of exactly 0 for anything but a share of 0 % or 100 %, or `df = 0`, makes
//! the figure suppressed with the reason [`FlagReason::VarianceNotEstimable`] or
//! [`FlagReason::NoDegreesOfFreedom`]. A share of 0 % or 100 % has no design-based variance (every
//! respondent answered alike): its standard error and CV are not given (NaN / `None`), its
//! interval is Korn-Graubard on the respondents, and rules without proportion criteria flag it as
//! of low reliability ([`FlagReason::BoundaryShare`]).
//!
//! `rules` holds the publication rules and what they judge, `intervals` the interval
//! formulas; this module the flags, the published numbers and [`Estimate::publish_with`],
//! which applies both.

use statrs::distribution::{Beta, ContinuousCDF, Normal, StudentsT};

mod intervals;
mod rules;

pub use intervals::*;
pub use rules::*;

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

/// Why a figure is flagged or suppressed: the first rule it failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FlagReason {
    /// Fewer respondents than the rule's minimum.
    Respondents,
    /// Coefficient of variation above the rule's band.
    CoefficientOfVariation,
    /// Estimated persons below the country's population threshold.
    PopulationThreshold,
    /// The variance could not be estimated (or was estimated as exactly 0).
    VarianceNotEstimable,
    /// No degrees of freedom: the domain lies in as many PSUs as strata.
    NoDegreesOfFreedom,
    /// Fewer degrees of freedom than the rule asks (NCHS: 8).
    FewDegreesOfFreedom,
    /// Effective sample size below the rule's minimum (NCHS: 30).
    EffectiveSampleSize,
    /// Korn-Graubard interval wider than the rule allows (NCHS: 30 points).
    IntervalWidth,
    /// Korn-Graubard interval too wide relative to the share (NCHS: 130 %).
    RelativeIntervalWidth,
    /// A share of 0 % or 100 %: no design-based variance.
    BoundaryShare,
    /// A model-based figure (small area estimation) judged by its RMSE.
    ModelBased,
    /// Secondary suppression: a gap one of whose two groups is not published (the group's
    /// figure would follow from the gap and the other group's).
    PartNotPublished,
}

impl FlagReason {
    pub const ALL: [FlagReason; 12] = [
        FlagReason::Respondents,
        FlagReason::CoefficientOfVariation,
        FlagReason::PopulationThreshold,
        FlagReason::VarianceNotEstimable,
        FlagReason::NoDegreesOfFreedom,
        FlagReason::FewDegreesOfFreedom,
        FlagReason::EffectiveSampleSize,
        FlagReason::IntervalWidth,
        FlagReason::RelativeIntervalWidth,
        FlagReason::BoundaryShare,
        FlagReason::ModelBased,
        FlagReason::PartNotPublished,
    ];

    /// The code stored and exported (`respondents`, `cv`, ...).
    pub fn code(self) -> &'static str {
        match self {
            FlagReason::Respondents => "respondents",
            FlagReason::CoefficientOfVariation => "cv",
            FlagReason::PopulationThreshold => "population",
            FlagReason::VarianceNotEstimable => "variance-not-estimable",
            FlagReason::NoDegreesOfFreedom => "no-degrees-of-freedom",
            FlagReason::FewDegreesOfFreedom => "few-degrees-of-freedom",
            FlagReason::EffectiveSampleSize => "effective-sample-size",
            FlagReason::IntervalWidth => "interval-width",
            FlagReason::RelativeIntervalWidth => "relative-interval-width",
            FlagReason::BoundaryShare => "boundary-share",
            FlagReason::ModelBased => "model-based",
            FlagReason::PartNotPublished => "part-not-published",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        FlagReason::ALL.into_iter().find(|r| r.code() == code)
    }

    pub fn describe(self) -> &'static str {
        match self {
            FlagReason::Respondents => "too few respondents",
            FlagReason::CoefficientOfVariation => "coefficient of variation too high",
            FlagReason::PopulationThreshold => "estimated persons below the country's threshold",
            FlagReason::VarianceNotEstimable => "variance not estimable",
            FlagReason::NoDegreesOfFreedom => "no degrees of freedom",
            FlagReason::FewDegreesOfFreedom => "few degrees of freedom",
            FlagReason::EffectiveSampleSize => "effective sample size too small",
            FlagReason::IntervalWidth => "confidence interval too wide",
            FlagReason::RelativeIntervalWidth => "confidence interval too wide for the share",
            FlagReason::BoundaryShare => "share of 0 % or 100 %: no design-based variance",
            FlagReason::ModelBased => "model-based figure",
            FlagReason::PartNotPublished => {
                "a group it compares is not published (its figure would follow from the gap)"
            }
        }
    }
}

/// The published numbers of an estimate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Figures {
    pub estimate: f64,
    /// NaN for a share of 0 % or 100 % (no design-based variance).
    pub se: f64,
    pub ci_low: f64,
    pub ci_high: f64,
    /// `se / |estimate|`; `None` when the estimate is 0 or the statistic is a difference.
    pub cv: Option<f64>,
    pub n: u64,
    pub population: f64,
    pub deff: Option<f64>,
    /// Design degrees of freedom the interval uses.
    pub df: usize,
}

impl Figures {
    /// The standard error when there is one (not for a share of 0 % or 100 %).
    pub fn standard_error(&self) -> Option<f64> {
        self.se.is_finite().then_some(self.se)
    }

    /// The interval's degrees of freedom; `None` for the normal quantile.
    pub fn degrees_of_freedom(&self) -> Option<usize> {
        (self.df != usize::MAX).then_some(self.df)
    }
}

/// An estimate after publication rules: a flag, why, and figures unless suppressed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    pub flag: Flag,
    /// The first rule the figure failed (`None` for a reliable figure).
    pub reason: Option<FlagReason>,
    pub figures: Option<Figures>,
}

impl Estimate {
    /// Secondary suppression of a gap: not published when either of the two figures it is the
    /// difference or ratio of is not published, since that figure would follow from the gap
    /// and the other (Hundepool et al. 2012, *Statistical Disclosure Control*, §5.2, applied
    /// here to figures withheld for their precision as well as for their size).
    pub fn with_parts(self, group: Flag, reference: Flag) -> Estimate {
        if self.flag != Flag::Suppressed
            && (group == Flag::Suppressed || reference == Flag::Suppressed)
        {
            return Estimate {
                flag: Flag::Suppressed,
                reason: Some(FlagReason::PartNotPublished),
                figures: None,
            };
        }
        self
    }

    /// Applies `rules` to a point estimate and variance. `confidence` is the interval's level
    /// (e.g. 0.95); `n_for_rules` is the count the rules look at (for a gap, the smaller of the
    /// two groups); `use_cv` says whether CV bands apply (not for differences). Shares are
    /// recognised by their interval ([`Interval::Logit`], [`Interval::KornGraubard`],
    /// [`Interval::Share`]).
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
            share: matches!(
                interval,
                Interval::Logit | Interval::KornGraubard | Interval::Share
            ),
        };
        Estimate::publish_with(pv, interval, confidence, rules, &basis)
    }

    /// A model-based figure (a small-area estimate): its MSE takes the place of the design
    /// variance in the rules, the model's interval `(low, high)` is shown, and there are no
    /// design degrees of freedom. For a share the effective sample size is the model's
    /// equivalent sample size `p(1-p)/MSE`, *not* capped at the cell's respondents as for a
    /// direct estimate (the NCHS cap): the model borrows strength from other areas, which its
    /// MSE accounts for. The figure records the cell's respondents.
    pub fn publish_model_based(
        estimate: f64,
        mse: f64,
        (low, high): (f64, f64),
        respondents: u64,
        population: f64,
        share: bool,
        rules: &PublicationRules,
    ) -> Estimate {
        let equivalent_n = if share && mse > 0.0 && estimate > 0.0 && estimate < 1.0 {
            ((estimate * (1.0 - estimate) / mse).ceil() as u64).max(respondents)
        } else {
            respondents
        };
        let pv = PointAndVariance {
            estimate,
            variance: mse,
            n: equivalent_n,
            population,
            srs_variance: None,
            degrees_of_freedom: usize::MAX,
        };
        let basis = RuleBasis {
            n: respondents,
            use_cv: true,
            population,
            numerator: share.then_some(estimate * population),
            share,
        };
        let mut e = Estimate::publish_with(&pv, Interval::Given { low, high }, 0.95, rules, &basis);
        if let Some(f) = e.figures.as_mut() {
            f.n = respondents;
            f.deff = None;
        }
        e
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
        let suppressed = |reason| Estimate {
            flag: Flag::Suppressed,
            reason: Some(reason),
            figures: None,
        };
        let df = pv.degrees_of_freedom;
        let p = pv.estimate;
        let boundary = basis.share && (p <= 0.0 || p >= 1.0);
        if !pv.estimate.is_finite() || !pv.variance.is_finite() || pv.variance < 0.0 {
            return suppressed(FlagReason::VarianceNotEstimable);
        }
        if df == 0 {
            return suppressed(FlagReason::NoDegreesOfFreedom);
        }
        // An estimated variance of exactly 0 is not a precision: only a share of 0 % or 100 %
        // (every respondent alike) is published without one, on its Korn-Graubard interval.
        if pv.variance == 0.0 && !boundary {
            return suppressed(FlagReason::VarianceNotEstimable);
        }
        let t = t_quantile(0.5 + confidence / 2.0, df);
        let se = if boundary {
            f64::NAN
        } else {
            pv.variance.sqrt()
        };
        let cv = (basis.use_cv && p != 0.0 && se.is_finite()).then(|| se / p.abs());
        let share = basis.share.then(|| {
            let (low, high, effective_n) =
                korn_graubard_interval(p, pv.variance, pv.n, df, confidence);
            ShareFacts {
                p,
                effective_n,
                low,
                high,
            }
        });
        if share.is_some_and(|s| !(s.low.is_finite() && s.high.is_finite())) {
            return suppressed(FlagReason::VarianceNotEstimable);
        }
        if let Interval::Given { low, high } = interval {
            if !(low.is_finite() && high.is_finite() && low <= high) {
                return suppressed(FlagReason::VarianceNotEstimable);
            }
        }
        let (flag, reason) = rules.judge(&RuleFacts {
            basis: *basis,
            cv,
            df,
            share,
        });
        if flag == Flag::Suppressed {
            return suppressed(reason.unwrap_or(FlagReason::Respondents));
        }
        let kg = share.map(|s| (s.low, s.high));
        let (ci_low, ci_high) = match (interval, kg) {
            (Interval::Given { low, high }, _) => (low, high),
            (Interval::KornGraubard, Some(kg)) => kg,
            (Interval::Share, Some(kg)) => {
                // Respondents on the rarer side, on the effective sample size before the
                // degrees-of-freedom adjustment (which already widens the logit interval
                // through t): Korn-Graubard only where the logit interval's normal
                // approximation fails, since it is conservative (Korn and Graubard 1998).
                let rare = effective_sample_size(p, pv.variance, pv.n) * p.min(1.0 - p);
                if boundary || rare < FEW_EFFECTIVE_RESPONDENTS {
                    kg
                } else {
                    logit_interval(p, se, t)
                }
            }
            (Interval::Logit, Some(kg)) if boundary => kg,
            (Interval::Logit, _) => logit_interval(p, se, t),
            _ => (p - t * se, p + t * se),
        };
        let deff = pv
            .srs_variance
            .filter(|v| *v > 0.0 && pv.variance > 0.0)
            .map(|v| pv.variance / v);
        Estimate {
            flag,
            reason,
            figures: Some(Figures {
                estimate: p,
                se,
                ci_low,
                ci_high,
                cv,
                n: pv.n,
                population: pv.population,
                deff,
                df,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_gap_is_withheld_with_either_of_its_groups() {
        let published = Estimate {
            flag: Flag::LowReliability,
            reason: Some(FlagReason::CoefficientOfVariation),
            figures: Some(Figures {
                estimate: 0.1,
                se: 0.02,
                ci_low: 0.06,
                ci_high: 0.14,
                cv: None,
                n: 80,
                population: 5000.0,
                deff: None,
                df: 40,
            }),
        };
        for (group, reference, withheld) in [
            (Flag::Reliable, Flag::Reliable, false),
            (Flag::LowReliability, Flag::Reliable, false),
            (Flag::Suppressed, Flag::Reliable, true),
            (Flag::Reliable, Flag::Suppressed, true),
        ] {
            let e = published.with_parts(group, reference);
            assert_eq!(
                e.flag == Flag::Suppressed,
                withheld,
                "{group:?} {reference:?}"
            );
            if withheld {
                assert!(e.figures.is_none());
                assert_eq!(e.reason, Some(FlagReason::PartNotPublished));
            } else {
                assert_eq!(e, published);
            }
        }
    }

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
            share: true,
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
        // se = 0.1, t(0.975, 10 df) = 2.2281388519862739 (R: qt(0.975, 10))
        let e = Estimate::publish(
            &pv(2.0, 0.01, 100),
            Interval::Normal,
            0.95,
            &PublicationRules::DEFAULT,
            100,
            true,
        );
        let f = e.figures.unwrap();
        assert!((f.ci_low - (2.0 - 0.22281388519862739)).abs() < 1e-12);
        assert_eq!(f.df, 10);
        assert!((f.cv.unwrap() - 0.05).abs() < 1e-12);
        assert!((f.deff.unwrap() - 2.0).abs() < 1e-12);
        // logit interval is asymmetric and inside (0, 1)
        let (lo, hi) = logit_interval(0.05, 0.02, 1.96);
        assert!(lo > 0.0 && hi < 1.0 && (0.05 - lo) < (hi - 0.05));
    }

    #[test]
    fn no_figure_looks_exact_by_accident() {
        let rules = PublicationRules::EU_SILC;
        // df = 0: no interval can be formed.
        let mut p0 = pv(0.4, 0.001, 500);
        p0.degrees_of_freedom = 0;
        let e = Estimate::publish(&p0, Interval::Share, 0.95, &rules, 500, true);
        assert_eq!(
            (e.flag, e.reason),
            (Flag::Suppressed, Some(FlagReason::NoDegreesOfFreedom))
        );
        // An estimated variance of exactly 0 for a share strictly inside (0, 1) or a mean.
        for interval in [Interval::Share, Interval::Normal] {
            let e = Estimate::publish(&pv(0.4, 0.0, 500), interval, 0.95, &rules, 500, true);
            assert_eq!(e.reason, Some(FlagReason::VarianceNotEstimable));
            assert!(e.figures.is_none());
        }
        // A share of 0 %: no SE or CV, a Korn-Graubard interval on the respondents, flagged
        // under rules without proportion criteria.
        let e = Estimate::publish(&pv(0.0, 0.0, 500), Interval::Share, 0.95, &rules, 500, true);
        assert_eq!(
            (e.flag, e.reason),
            (Flag::LowReliability, Some(FlagReason::BoundaryShare))
        );
        let f = e.figures.unwrap();
        assert!(f.se.is_nan() && f.cv.is_none());
        assert_eq!(f.ci_low, 0.0);
        // Clopper-Pearson upper bound for 0 of n* is 1 - 0.025^(1/n*).
        let adjust = (t_quantile(0.975, 499) / t_quantile(0.975, 10)).powi(2);
        let n_star = 500.0 * adjust;
        assert!((f.ci_high - (1.0 - 0.025f64.powf(1.0 / n_star))).abs() < 1e-10);
        // 100 %: the mirror image.
        let e = Estimate::publish(&pv(1.0, 0.0, 500), Interval::Share, 0.95, &rules, 500, true);
        let g = e.figures.unwrap();
        assert_eq!(g.ci_high, 1.0);
        assert!((g.ci_low - (1.0 - f.ci_high)).abs() < 1e-10);
    }

    #[test]
    fn nchs_criteria_judge_shares_and_cv_bands_the_rest() {
        let rules = PublicationRules::DEFAULT;
        // A share of 3 % from 2,000 respondents with deff 2: CV = 0.0054/0.03 = 18 % would be
        // fine, and 6 % with the same SE would be too; here the CV band does not apply to
        // shares, the NCHS widths do.
        let var = 0.03 * 0.97 / 1000.0;
        let mut share = pv(0.03, var, 2000);
        share.degrees_of_freedom = 60;
        let e = Estimate::publish(&share, Interval::Share, 0.95, &rules, 2000, true);
        assert_eq!(e.flag, Flag::Reliable, "{e:?}");
        // Few effective respondents: n_eff = p(1-p)/v = 20 < 30.
        let mut few = pv(0.5, 0.25 / 20.0, 200);
        few.degrees_of_freedom = 60;
        let e = Estimate::publish(&few, Interval::Share, 0.95, &rules, 200, true);
        assert_eq!(e.reason, Some(FlagReason::EffectiveSampleSize));
        // A relative width above 130 %: p = 0.02 with a wide interval.
        let mut rel = pv(0.02, 0.02 * 0.98 / 40.0, 400);
        rel.degrees_of_freedom = 60;
        let e = Estimate::publish(&rel, Interval::Share, 0.95, &rules, 400, true);
        assert_eq!(e.reason, Some(FlagReason::RelativeIntervalWidth), "{e:?}");
        // Fewer than 8 degrees of freedom: flagged.
        let mut low_df = pv(0.5, 0.25 / 1000.0, 1000);
        low_df.degrees_of_freedom = 5;
        let e = Estimate::publish(&low_df, Interval::Share, 0.95, &rules, 1000, true);
        assert_eq!(
            (e.flag, e.reason),
            (Flag::LowReliability, Some(FlagReason::FewDegreesOfFreedom))
        );
        // A median with CV 25 %: flagged by the CV band.
        let mut median = pv(1000.0, 250.0 * 250.0, 1000);
        median.degrees_of_freedom = 60;
        let e = Estimate::publish(&median, Interval::Normal, 0.95, &rules, 1000, true);
        assert_eq!(e.reason, Some(FlagReason::CoefficientOfVariation));
    }
}
