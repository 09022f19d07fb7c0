//! The declared first-stage structure of a sample: strata, their primary sampling units (PSUs),
//! finite population corrections, and the rule for strata with a single PSU.
//!
//! Variances are computed with the *ultimate cluster* (with-replacement first stage)
//! approximation that R `survey` uses by default (`svydesign(id = ~psu, strata = ~stratum)`):
//! only the first stage is represented here.

use crate::EstimationError;

/// What to do with a stratum that holds a single PSU, whose variance cannot be estimated from
/// the within-stratum spread. The names and meanings follow R `survey`'s
/// `options(survey.lonely.psu = ...)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LonelyPsuRule {
    /// Refuse to estimate: the design must be fixed (the default, as in R).
    #[default]
    Fail,
    /// The stratum is taken with certainty and contributes no variance.
    Certainty,
    /// The single PSU is centred at the grand mean of all PSU totals instead of its stratum
    /// mean (no `n/(n-1)` factor is applied to it).
    Adjust,
    /// The stratum gets the average variance contribution of the strata that have two or more
    /// PSUs (the total is scaled by `strata / strata_with_variance`).
    Average,
}

impl std::str::FromStr for LonelyPsuRule {
    type Err = EstimationError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "fail" => Ok(Self::Fail),
            "certainty" => Ok(Self::Certainty),
            "adjust" => Ok(Self::Adjust),
            "average" => Ok(Self::Average),
            other => Err(EstimationError::InvalidArgument(format!(
                "unknown lonely-PSU rule `{other}`: expected fail, certainty, adjust or average"
            ))),
        }
    }
}

/// One stratum of the first stage.
#[derive(Debug, Clone, PartialEq)]
pub struct Stratum {
    /// The stratum's label as it appears in the data (for error messages).
    pub label: String,
    /// Number of PSUs of this stratum in the whole sample (not only in a domain).
    pub psu_count: usize,
    /// First-stage sampling fraction `f_h = n_h / N_h`; 0 when no finite population correction
    /// was declared.
    pub sampling_fraction: f64,
}

/// Reference to one PSU: its stratum and its index within the stratum (`0..psu_count`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PsuRef {
    pub stratum: u32,
    pub psu: u32,
}

/// The first-stage design of a sample.
#[derive(Debug, Clone, PartialEq)]
pub struct SampleDesign {
    strata: Vec<Stratum>,
    lonely_psu: LonelyPsuRule,
}

impl SampleDesign {
    /// Builds a design and checks it: every stratum has at least one PSU, sampling fractions lie
    /// in `[0, 1]`, and a stratum with a single PSU is allowed only under a rule other than
    /// [`LonelyPsuRule::Fail`].
    pub fn new(strata: Vec<Stratum>, lonely_psu: LonelyPsuRule) -> Result<Self, EstimationError> {
        if strata.is_empty() {
            return Err(EstimationError::EmptySample);
        }
        for s in &strata {
            if s.psu_count == 0 {
                return Err(EstimationError::InvalidDesign(format!(
                    "stratum `{}` has no PSU",
                    s.label
                )));
            }
            if !(0.0..=1.0).contains(&s.sampling_fraction) || s.sampling_fraction.is_nan() {
                return Err(EstimationError::InvalidDesign(format!(
                    "stratum `{}`: sampling fraction {} is outside [0, 1] (is the finite population \
                     smaller than the number of sampled PSUs?)",
                    s.label, s.sampling_fraction
                )));
            }
            if s.psu_count == 1 && lonely_psu == LonelyPsuRule::Fail {
                return Err(EstimationError::LonelyPsu {
                    stratum: s.label.clone(),
                });
            }
        }
        Ok(Self { strata, lonely_psu })
    }

    pub fn strata(&self) -> &[Stratum] {
        &self.strata
    }

    pub fn lonely_psu(&self) -> LonelyPsuRule {
        self.lonely_psu
    }

    /// Total number of PSUs in the sample.
    pub fn psu_count(&self) -> usize {
        self.strata.iter().map(|s| s.psu_count).sum()
    }

    /// Design degrees of freedom: PSUs minus strata (R `survey`'s `degf`).
    pub fn degrees_of_freedom(&self) -> usize {
        self.psu_count().saturating_sub(self.strata.len())
    }

    /// Offset of each stratum's first PSU in a flat numbering of all PSUs.
    pub fn psu_offsets(&self) -> Vec<usize> {
        let mut offsets = Vec::with_capacity(self.strata.len());
        let mut acc = 0;
        for s in &self.strata {
            offsets.push(acc);
            acc += s.psu_count;
        }
        offsets
    }

    /// Converts a declared finite population correction into a sampling fraction the way
    /// R `survey` does: a value above 1 is the population number of PSUs `N_h` (fraction
    /// `n_h / N_h`), a value in `(0, 1]` is the sampling fraction itself.
    pub fn sampling_fraction_from_fpc(fpc: f64, psu_count: usize) -> Result<f64, EstimationError> {
        if fpc.is_nan() || fpc <= 0.0 || !fpc.is_finite() {
            return Err(EstimationError::InvalidDesign(format!(
                "finite population correction {fpc} must be a positive number"
            )));
        }
        if fpc > 1.0 {
            if (psu_count as f64) > fpc {
                return Err(EstimationError::InvalidDesign(format!(
                    "population size {fpc} is smaller than the {psu_count} sampled PSUs"
                )));
            }
            Ok(psu_count as f64 / fpc)
        } else {
            Ok(fpc)
        }
    }
}
