//! The declared first-stage structure of a sample: strata, their primary sampling units (PSUs),
//! finite population corrections, and the rule for strata with a single PSU.
//!
//! Variances are computed with the *ultimate cluster* (with-replacement first stage)
//! approximation that R `survey` uses by default (`svydesign(id = ~psu, strata = ~stratum)`):
//! only the first stage is represented here.
//!
//! # Variance strata
//!
//! Every variance formula works on *variance strata*. Normally each stratum is one. Under
//! [`LonelyPsuRule::Collapse`] a stratum with a single PSU is merged with a neighbour, as
//! statistics offices do when they build variance strata (Wolter 2007, §2.5, the collapsed
//! stratum estimator; it overstates the variance when the merged strata have different means,
//! so it errs on the safe side). **Neighbour rule**: strata may only be merged inside their
//! *collapse group* (in a release: the same survey year, because different years are
//! independent samples); within a group the strata are taken in the order of their labels (the
//! statistics office's stratum codes, which usually follow geography), and consecutive strata
//! are joined until the variance stratum holds at least two PSUs; a single-PSU stratum left at
//! the end of its group joins the variance stratum before it. A group whose strata hold a
//! single PSU altogether cannot be collapsed and is refused. The merged stratum's sampling
//! fraction is the smallest of its members' (the smaller finite population correction, again
//! the conservative choice).
//!
//! PSU references ([`PsuRef`]) always use the declared strata; the design maps them to
//! variance strata.

use crate::EstimationError;

/// What to do with a stratum that holds a single PSU, whose variance cannot be estimated from
/// the within-stratum spread. `Fail`, `Certainty`, `Adjust` and `Average` follow R `survey`'s
/// `options(survey.lonely.psu = ...)` (version 4.1); `Collapse` is the statistics offices'
/// collapsed-strata rule (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LonelyPsuRule {
    /// Refuse to estimate: the design must be fixed (the default, as in R).
    #[default]
    Fail,
    /// The stratum is taken with certainty and contributes no variance (it was not sampled).
    Certainty,
    /// The single PSU's total of the linearised variable is taken as a deviation from zero, as
    /// R `survey` 4.1 computes it. For estimators whose linearised variable sums to zero over
    /// the sample (means, ratios, shares, quantiles, poverty rate, Gini) zero is the grand
    /// mean, which is R's documented rule; for totals it is conservative.
    Adjust,
    /// The stratum gets the average variance contribution of the strata that have two or more
    /// PSUs (the variance is scaled by `strata / strata_with_variance`); when no stratum has
    /// two PSUs the variance cannot be estimated (NaN).
    Average,
    /// Single-PSU strata are merged with a neighbouring stratum of the same collapse group.
    Collapse,
}

impl LonelyPsuRule {
    pub const ALL: [LonelyPsuRule; 5] = [
        LonelyPsuRule::Fail,
        LonelyPsuRule::Certainty,
        LonelyPsuRule::Adjust,
        LonelyPsuRule::Average,
        LonelyPsuRule::Collapse,
    ];

    pub fn code(self) -> &'static str {
        match self {
            LonelyPsuRule::Fail => "fail",
            LonelyPsuRule::Certainty => "certainty",
            LonelyPsuRule::Adjust => "adjust",
            LonelyPsuRule::Average => "average",
            LonelyPsuRule::Collapse => "collapse",
        }
    }

    /// How the rule reads in a release's method text.
    pub fn describe(self) -> &'static str {
        match self {
            LonelyPsuRule::Fail => "single-PSU strata refused",
            LonelyPsuRule::Certainty => "single-PSU strata as certainty units (no variance)",
            LonelyPsuRule::Adjust => {
                "single-PSU strata centred at the grand mean (R survey's adjust rule)"
            }
            LonelyPsuRule::Average => {
                "single-PSU strata given the average variance of the other strata"
            }
            LonelyPsuRule::Collapse => {
                "single-PSU strata collapsed with the next stratum of the same year in code order"
            }
        }
    }
}

impl std::str::FromStr for LonelyPsuRule {
    type Err = EstimationError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        LonelyPsuRule::ALL
            .into_iter()
            .find(|r| r.code() == s)
            .ok_or_else(|| {
                EstimationError::InvalidArgument(format!(
                    "unknown lonely-PSU rule `{s}`: expected fail, certainty, adjust, average or \
                     collapse"
                ))
            })
    }
}

/// One stratum of the first stage.
#[derive(Debug, Clone, PartialEq)]
pub struct Stratum {
    /// The stratum's label as it appears in the data (for error messages and the collapse
    /// order).
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

/// A stratum as the variance formulas see it: one declared stratum, or several collapsed.
#[derive(Debug, Clone, PartialEq)]
pub struct VarianceStratum {
    /// The declared strata it holds (one unless collapsed).
    pub members: Vec<u32>,
    pub psu_count: usize,
    pub sampling_fraction: f64,
}

/// The first-stage design of a sample.
#[derive(Debug, Clone, PartialEq)]
pub struct SampleDesign {
    strata: Vec<Stratum>,
    lonely_psu: LonelyPsuRule,
    variance_strata: Vec<VarianceStratum>,
    /// For each declared stratum: its variance stratum and the position of its first PSU there.
    placement: Vec<(u32, u32)>,
}

impl SampleDesign {
    /// Builds a design and checks it: every stratum has at least one PSU, sampling fractions lie
    /// in `[0, 1]`, and a stratum with a single PSU is allowed only under a rule other than
    /// [`LonelyPsuRule::Fail`]. Under `Collapse` all strata form one collapse group.
    pub fn new(strata: Vec<Stratum>, lonely_psu: LonelyPsuRule) -> Result<Self, EstimationError> {
        let groups = vec![0; strata.len()];
        Self::with_collapse_groups(strata, lonely_psu, &groups)
    }

    /// As [`new`](Self::new), with the collapse group of every stratum (only strata of the same
    /// group are merged by [`LonelyPsuRule::Collapse`]; ignored by the other rules).
    pub fn with_collapse_groups(
        strata: Vec<Stratum>,
        lonely_psu: LonelyPsuRule,
        groups: &[u32],
    ) -> Result<Self, EstimationError> {
        if strata.is_empty() {
            return Err(EstimationError::EmptySample);
        }
        if groups.len() != strata.len() {
            return Err(EstimationError::InvalidDesign(format!(
                "{} collapse groups given for {} strata",
                groups.len(),
                strata.len()
            )));
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
        let variance_strata = if lonely_psu == LonelyPsuRule::Collapse {
            collapse(&strata, groups)?
        } else {
            strata
                .iter()
                .enumerate()
                .map(|(h, s)| VarianceStratum {
                    members: vec![h as u32],
                    psu_count: s.psu_count,
                    sampling_fraction: s.sampling_fraction,
                })
                .collect()
        };
        let mut placement = vec![(0u32, 0u32); strata.len()];
        for (v, vs) in variance_strata.iter().enumerate() {
            let mut offset = 0u32;
            for &m in &vs.members {
                placement[m as usize] = (v as u32, offset);
                offset += strata[m as usize].psu_count as u32;
            }
        }
        Ok(Self {
            strata,
            lonely_psu,
            variance_strata,
            placement,
        })
    }

    pub fn strata(&self) -> &[Stratum] {
        &self.strata
    }

    pub fn lonely_psu(&self) -> LonelyPsuRule {
        self.lonely_psu
    }

    /// The strata the variance formulas use (see the module documentation).
    pub fn variance_strata(&self) -> &[VarianceStratum] {
        &self.variance_strata
    }

    /// The variance stratum of a PSU and its position there.
    pub fn variance_place(&self, psu: PsuRef) -> (u32, u32) {
        let (v, offset) = self.placement[psu.stratum as usize];
        (v, offset + psu.psu)
    }

    /// The variance stratum of a declared stratum.
    pub fn variance_stratum_of(&self, stratum: u32) -> u32 {
        self.placement[stratum as usize].0
    }

    /// Total number of PSUs in the sample.
    pub fn psu_count(&self) -> usize {
        self.strata.iter().map(|s| s.psu_count).sum()
    }

    /// Design degrees of freedom: PSUs minus variance strata (R `survey`'s `degf`).
    pub fn degrees_of_freedom(&self) -> usize {
        self.psu_count().saturating_sub(self.variance_strata.len())
    }

    /// Degrees of freedom of a domain whose units lie in `psus` (any order, repeats allowed):
    /// the distinct PSUs minus the distinct variance strata among them, as R `survey`'s `degf`
    /// of a subset (units outside the domain have zero weight there).
    pub fn domain_degrees_of_freedom(&self, psus: impl IntoIterator<Item = PsuRef>) -> usize {
        let mut places: Vec<(u32, u32)> =
            psus.into_iter().map(|p| self.variance_place(p)).collect();
        places.sort_unstable();
        places.dedup();
        let mut strata: Vec<u32> = places.iter().map(|p| p.0).collect();
        strata.dedup();
        places.len().saturating_sub(strata.len())
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

/// The neighbour rule of [`LonelyPsuRule::Collapse`].
fn collapse(strata: &[Stratum], groups: &[u32]) -> Result<Vec<VarianceStratum>, EstimationError> {
    let mut by_group: std::collections::BTreeMap<u32, Vec<usize>> = Default::default();
    for (h, g) in groups.iter().enumerate() {
        by_group.entry(*g).or_default().push(h);
    }
    let mut out: Vec<VarianceStratum> = Vec::new();
    for mut members in by_group.into_values() {
        members.sort_by(|&a, &b| strata[a].label.cmp(&strata[b].label).then(a.cmp(&b)));
        let first = out.len();
        let mut open: Option<VarianceStratum> = None;
        for h in members {
            let s = &strata[h];
            let vs = open.get_or_insert_with(|| VarianceStratum {
                members: Vec::new(),
                psu_count: 0,
                sampling_fraction: 1.0,
            });
            vs.members.push(h as u32);
            vs.psu_count += s.psu_count;
            vs.sampling_fraction = vs.sampling_fraction.min(s.sampling_fraction);
            if vs.psu_count >= 2 {
                out.extend(open.take());
            }
        }
        // A single-PSU stratum left at the end of its group joins the variance stratum before.
        if let Some(rest) = open {
            if out.len() == first {
                let label = &strata[rest.members[0] as usize].label;
                return Err(EstimationError::InvalidDesign(format!(
                    "stratum `{label}` has a single PSU and no other stratum of its collapse \
                     group to be merged with; declare another lonely-PSU rule (certainty, adjust \
                     or average)"
                )));
            }
            let last = out.last_mut().expect("checked non-empty");
            last.members.extend(rest.members);
            last.psu_count += rest.psu_count;
            last.sampling_fraction = last.sampling_fraction.min(rest.sampling_fraction);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn st(label: &str, n: usize, f: f64) -> Stratum {
        Stratum {
            label: label.into(),
            psu_count: n,
            sampling_fraction: f,
        }
    }

    fn members(d: &SampleDesign) -> Vec<Vec<u32>> {
        d.variance_strata()
            .iter()
            .map(|v| v.members.clone())
            .collect()
    }

    #[test]
    fn collapse_joins_the_next_stratum_in_label_order_within_a_group() {
        // Declared order differs from label order: B(1) C(3) A(2) | D(1) E(1) | F(1) G(2)
        let strata = vec![
            st("B", 1, 0.1),
            st("C", 3, 0.0),
            st("A", 2, 0.0),
            st("D", 1, 0.0),
            st("E", 1, 0.0),
            st("F", 1, 0.0),
            st("G", 2, 0.3),
        ];
        let groups = [0, 0, 0, 1, 1, 2, 2];
        let d =
            SampleDesign::with_collapse_groups(strata, LonelyPsuRule::Collapse, &groups).unwrap();
        // Group 0 in label order A(2) | B(1)+C(3); group 1: D+E; group 2: F+G.
        assert_eq!(
            members(&d),
            vec![vec![2], vec![0, 1], vec![3, 4], vec![5, 6]]
        );
        assert_eq!(d.variance_strata()[1].psu_count, 4);
        // The smaller sampling fraction of the merged strata.
        assert_eq!(d.variance_strata()[1].sampling_fraction, 0.0);
        // PSU 0 of C sits after B's PSU in the merged stratum.
        assert_eq!(d.variance_place(PsuRef { stratum: 1, psu: 0 }), (1, 1));
        assert_eq!(d.degrees_of_freedom(), 11 - 4);
    }

    #[test]
    fn a_lonely_stratum_at_the_end_of_its_group_joins_the_one_before() {
        let strata = vec![
            st("A", 2, 0.0),
            st("B", 3, 0.0),
            st("C", 1, 0.0),
            st("X", 2, 0.0),
        ];
        let d = SampleDesign::with_collapse_groups(strata, LonelyPsuRule::Collapse, &[0, 0, 0, 1])
            .unwrap();
        assert_eq!(members(&d), vec![vec![0], vec![1, 2], vec![3]]);
    }

    #[test]
    fn a_group_with_a_single_psu_cannot_be_collapsed() {
        let strata = vec![st("A", 2, 0.0), st("L", 1, 0.0)];
        let e = SampleDesign::with_collapse_groups(strata, LonelyPsuRule::Collapse, &[0, 1])
            .unwrap_err();
        assert!(
            e.to_string().contains("stratum `L` has a single PSU"),
            "{e}"
        );
    }

    #[test]
    fn rules_parse_from_their_codes() {
        for r in LonelyPsuRule::ALL {
            assert_eq!(r.code().parse::<LonelyPsuRule>().unwrap(), r);
        }
        assert!("remove".parse::<LonelyPsuRule>().is_err());
    }
}
