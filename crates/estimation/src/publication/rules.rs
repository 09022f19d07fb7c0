//! The publication rules: when a figure is published, flagged or suppressed (respondents, CV
//! bands, the NCHS proportion criteria, degrees of freedom, population thresholds), and what
//! they look at (`RuleBasis`, `RuleFacts`).

use super::*;

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

/// Criteria for shares from the NCHS *Data Presentation Standards for Proportions* (Parker et
/// al. 2017), judged on the Korn-Graubard interval, because a CV misjudges shares near 0 and 1
/// (the CV of a share of 2 % is large however precise it is; that of 98 % small however
/// imprecise). A share is suppressed when its effective sample size is below
/// `min_effective_n`, when its interval is wider than `max_width`, or when the width lies
/// between `relative_width_from` and `max_width` and exceeds `max_relative_width` times the
/// share. When a rule set has these criteria, shares are judged by them instead of the CV bands.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProportionRules {
    pub min_effective_n: f64,
    pub max_width: f64,
    pub relative_width_from: f64,
    pub max_relative_width: f64,
}

impl ProportionRules {
    /// The NCHS values: 30, 0.30, 0.05, 1.30.
    pub const NCHS: Self = Self {
        min_effective_n: 30.0,
        max_width: 0.30,
        relative_width_from: 0.05,
        max_relative_width: 1.30,
    };
}

/// Configurable publication rules. A figure is suppressed when its unweighted number of
/// respondents is below `suppress_below_n`, its CV exceeds `suppress_above_cv`, its weighted
/// count is below the population threshold, or (shares, with `proportions`) it fails the NCHS
/// criteria; it is flagged as of low reliability when `n < flag_below_n`, `cv > flag_above_cv`,
/// the weighted count is below the flag threshold, or it has fewer than `flag_below_df` degrees
/// of freedom. A figure whose variance or degrees of freedom are not estimable is always
/// suppressed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PublicationRules {
    pub suppress_below_n: u64,
    pub flag_below_n: u64,
    pub flag_above_cv: Option<f64>,
    pub suppress_above_cv: Option<f64>,
    pub population_thresholds: Option<PopulationThresholds>,
    /// NCHS criteria for shares (replace the CV bands for shares).
    pub proportions: Option<ProportionRules>,
    /// Flag figures with fewer design degrees of freedom (NCHS: 8).
    pub flag_below_df: Option<usize>,
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
    /// Whether the figure is a share (a proportion of persons), judged by the proportion rules
    /// and given a share interval.
    pub share: bool,
}

impl RuleBasis {
    /// A domain's basis. `share`: the figure is a proportion of persons (its numerator counts
    /// persons, `estimate × population`).
    pub fn level(pv: &PointAndVariance, share: bool) -> RuleBasis {
        RuleBasis {
            n: pv.n,
            use_cv: true,
            population: pv.population,
            numerator: share.then_some(pv.estimate * pv.population),
            share,
        }
    }

    /// A gap's basis from its two domains' bases: the smaller group's respondents, population
    /// and numerator, no CV bands (a difference has no meaningful CV) and no share rules (a
    /// difference of shares is not a proportion of persons). A ratio that wants CV bands sets
    /// `use_cv` itself.
    pub fn gap(a: &RuleBasis, b: &RuleBasis) -> RuleBasis {
        RuleBasis {
            n: a.n.min(b.n),
            use_cv: false,
            population: a.population.min(b.population),
            numerator: a.numerator.zip(b.numerator).map(|(x, y)| x.min(y)),
            share: false,
        }
    }
}

/// What [`PublicationRules::judge`] looks at, computed by [`Estimate::publish_with`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RuleFacts {
    pub basis: RuleBasis,
    pub cv: Option<f64>,
    pub df: usize,
    /// Shares: the effective sample size and the Korn-Graubard interval.
    pub share: Option<ShareFacts>,
}

/// A share's effective sample size and Korn-Graubard interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ShareFacts {
    pub p: f64,
    pub effective_n: f64,
    pub low: f64,
    pub high: f64,
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
        proportions: None,
        flag_below_df: None,
    };

    /// incity's default (`rules/default.toml`): the EU-SILC observation rules; shares judged by
    /// the NCHS proportion criteria, other figures by CV bands (flag above 20 %, suppress above
    /// 35 %); fewer than 8 degrees of freedom flagged.
    pub const DEFAULT: Self = Self {
        suppress_below_n: 20,
        flag_below_n: 50,
        flag_above_cv: Some(0.20),
        suppress_above_cv: Some(0.35),
        population_thresholds: None,
        proportions: Some(ProportionRules::NCHS),
        flag_below_df: Some(8),
    };

    /// The flag of a figure with `n` respondents and coefficient of variation `cv`
    /// (`None` when undefined, e.g. for a gap or an estimate of zero: only `n` rules apply).
    pub fn flag(&self, n: u64, cv: Option<f64>) -> Flag {
        self.flag_weighted(n, cv, None)
    }

    /// As [`flag`](Self::flag), with the weighted count the population thresholds compare
    /// (`None`: no population threshold applies).
    pub fn flag_weighted(&self, n: u64, cv: Option<f64>, weighted: Option<f64>) -> Flag {
        let basis = RuleBasis {
            n,
            use_cv: true,
            population: weighted.unwrap_or(f64::INFINITY),
            numerator: weighted,
            share: false,
        };
        let rules = match (self.population_thresholds, weighted) {
            (Some(_), None) => Self {
                population_thresholds: None,
                ..*self
            },
            _ => *self,
        };
        rules
            .judge(&RuleFacts {
                basis,
                cv,
                df: usize::MAX,
                share: None,
            })
            .0
    }

    /// The flag of a figure and the first rule it failed.
    pub fn judge(&self, f: &RuleFacts) -> (Flag, Option<FlagReason>) {
        use FlagReason as R;
        let b = &f.basis;
        let weighted = self.population_thresholds.map(|t| {
            let w = match t.basis {
                ThresholdBasis::Population => b.population,
                ThresholdBasis::Numerator => b.numerator.unwrap_or(b.population),
            };
            (t, w)
        });
        let nchs = self.proportions.zip(f.share);
        // CV bands apply unless the figure is a share judged by the proportion criteria.
        let cv = if nchs.is_some() || !b.use_cv {
            None
        } else {
            f.cv
        };
        if weighted.is_some_and(|(t, w)| w < t.suppress_below) {
            return (Flag::Suppressed, Some(R::PopulationThreshold));
        }
        if b.n < self.suppress_below_n {
            return (Flag::Suppressed, Some(R::Respondents));
        }
        if let (Some(limit), Some(cv)) = (self.suppress_above_cv, cv) {
            if cv > limit {
                return (Flag::Suppressed, Some(R::CoefficientOfVariation));
            }
        }
        if let Some((rules, s)) = nchs {
            if s.effective_n < rules.min_effective_n {
                return (Flag::Suppressed, Some(R::EffectiveSampleSize));
            }
            let width = s.high - s.low;
            if width > rules.max_width {
                return (Flag::Suppressed, Some(R::IntervalWidth));
            }
            if width > rules.relative_width_from
                && (s.p <= 0.0 || width / s.p > rules.max_relative_width)
            {
                return (Flag::Suppressed, Some(R::RelativeIntervalWidth));
            }
        }
        if b.n < self.flag_below_n {
            return (Flag::LowReliability, Some(R::Respondents));
        }
        if weighted.is_some_and(|(t, w)| w < t.flag_below) {
            return (Flag::LowReliability, Some(R::PopulationThreshold));
        }
        if let (Some(limit), Some(cv)) = (self.flag_above_cv, cv) {
            if cv > limit {
                return (Flag::LowReliability, Some(R::CoefficientOfVariation));
            }
        }
        if self.flag_below_df.is_some_and(|min| f.df < min) {
            return (Flag::LowReliability, Some(R::FewDegreesOfFreedom));
        }
        if f.share.is_some_and(|s| s.p <= 0.0 || s.p >= 1.0) && nchs.is_none() {
            return (Flag::LowReliability, Some(R::BoundaryShare));
        }
        (Flag::Reliable, None)
    }
}

impl Default for PublicationRules {
    fn default() -> Self {
        Self::DEFAULT
    }
}
