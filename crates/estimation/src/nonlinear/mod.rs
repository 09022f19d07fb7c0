//! Quantiles, medians, the at-risk-of-poverty rate and the Gini coefficient: statistics that
//! need the unit-level values of their domain (memory is proportional to the units involved,
//! never to units × replicates).
//!
//! # Quantile rules
//!
//! With the units of a domain sorted by value, cumulative weights `C_k` and total `W`:
//!
//! * [`QuantileRule::InverseCdf`] — R `survey`'s `qrule = "math"` (Hyndman-Fan type 1): the
//!   smallest value whose cumulative weight share reaches `p`; computed as R does, from the last
//!   position `k` with `C_k ≤ p·W`: `x_k` if `p - C_k/W = 0`, else `x_{k+1}`.
//! * [`QuantileRule::Interpolated`] — R `survey`'s `qrule = "hf7"` (version 4.1), the weighted
//!   analogue of Hyndman & Fan's type 7: the value `x_k` sits at `p_k = C_{k-1} / C_{n-1}`
//!   (`C_0 = 0`), quantiles in between are interpolated linearly, and outside `[0, 1]` the
//!   extreme values are returned. With equal weights this is R's `quantile(type = 7)`.
//! * [`QuantileRule::EuSilc`] — the EU-SILC convention (Eurostat, *Methodological guidelines*
//!   DocSILC065; R `laeken::weightedQuantile`): with `k` the first position whose cumulative share
//!   `C_k/W ≥ p`, the quantile is `(x_k + x_{k+1}) / 2` when `C_k/W = p` exactly, else `x_k`.
//!
//! Units with zero weight (e.g. in a deleted jackknife PSU) are ignored, as in R.
//!
//! # Variances
//!
//! * Quantiles: Woodruff's (1952) interval, as R `svyquantile(interval.type = "mean")`: the
//!   share `p̂ = F̂(q̂)` of the domain at or below the estimate and its standard error `s` (by
//!   linearisation or replicates), the interval `[Q(p̂ - t·s), Q(p̂ + t·s)]` with `t` the Student
//!   quantile on the design degrees of freedom, and `se = (upper - lower) / (2t)`. For a gap
//!   between two quantiles the linearised variable of each is the share's, times `-se_q / s`
//!   (the interval's implied slope of the quantile function, i.e. `-1/f̂(q̂)`).
//! * At-risk-of-poverty rate `ARPR_d = Σ_{i∈d} w_i 1(y_i < t_g(i)) / N̂_d`, with the threshold
//!   `t_g = 0.6 · median_g` estimated in each threshold group `g` (the whole file, or each
//!   country) over all units, whatever the domain. Linearised variable (Deville 1999;
//!   Osier 2009, eq. 3.14, extended to several thresholds):
//!
//!   ```text
//!   z_i = 1_d(i) [1(y_i < t_g(i)) - ARPR_d] / N̂_d
//!         - Σ_g D_dg · 0.6 · 1_g(i) [1(y_i ≤ m_g) - 0.5] / (N̂_g f̂_g(m_g))
//!   D_dg = Σ_{j ∈ d∩g} w_j K_h(t_g - y_j) / N̂_d,   f̂_g(m) = Σ_{j∈g} w_j K_h(m - y_j) / N̂_g
//!   ```
//!
//!   with the Gaussian kernel `K_h(u) = φ(u/h)/h` and bandwidth `h_g = σ̂_g n_g^(-1/5)`
//!   (Silverman's rule as in Osier 2009, with `σ̂_g` the weighted standard deviation of the
//!   group). `n_g` is the group's number of units: R `vardpoor` and `convey` use the sum of the
//!   weights `N̂_g`, which makes the bandwidth, and so the variance, change when all weights are
//!   multiplied by a constant (as pooling years does); with `n_g` it does not.
//! * At risk of poverty **or** another condition (the EU's "at risk of poverty or social
//!   exclusion", AROPE: poor, or severely materially and socially deprived, or living in a
//!   household of very low work intensity): `R_d = Σ_{i∈d} w_i 1(y_i < t_g(i) ∨ e_i) / N̂_d`
//!   with `e_i` the other condition ([`UnitData::at_risk_otherwise`]). Only units with
//!   `e_i = 0` move in or out of the count when the threshold moves, so the threshold's
//!   derivative is taken over them: `D_dg = Σ_{j ∈ d∩g, e_j = 0} w_j K_h(t_g - y_j) / N̂_d`,
//!   and the first term of `z_i` counts `1(y_i < t_g(i) ∨ e_i)`; the median's influence is that
//!   of all units of the group, as before (the derivation of Osier 2009, eq. 3.14, with the
//!   indicator `1(y < t) (1 - e)` + `e` in place of `1(y < t)`).
//! * Gini, in the EU-SILC form `G = (2 Σ_k w_k y_k C_k - Σ_k w_k² y_k) / (N̂ Ŷ) - 1`
//!   (Eurostat; `laeken::gini` divided by 100). Its derivative with respect to the weight of
//!   unit `k` (sorted order, `Ŷ_{≤k}` the cumulative weighted income) is the linearised variable
//!   `z_k = 2 (y_k C_k + Ŷ - Ŷ_{≤k}) / (N̂ Ŷ) - (G + 1)(1/N̂ + y_k/Ŷ)` (Deville 1999; cf.
//!   Osier 2009 §3.3).
//! * Gaps between two domains `a` and `b` of the same sample: the difference `θ_a - θ_b` has
//!   the linearised variable `z_a - z_b`; the ratio `R = θ_a / θ_b` (e.g. a migrant group's
//!   median income relative to the native-born's) has `(z_a - R z_b) / θ_b` (first-order Taylor
//!   expansion; Wolter 2007, §6.2). Both carry the covariance of the two domains, whose units
//!   share strata and PSUs. With replicates, the gap is recomputed in every replicate.
//! * Replicates (jackknife, bootstrap): the statistic is recomputed with each replicate's
//!   weights `w_i · m_r(psu_i)` (thresholds included); one replicate's weights live in memory
//!   at a time per thread.
//!
//! `quantile` holds the quantile rules and Woodruff intervals, `scores` each statistic's value
//! and linearised variable; this module the unit data, gaps and the estimation itself.

use rayon::prelude::*;

mod quantile;
mod scores;

pub use quantile::weighted_quantile;
use quantile::{kernel_density, quantile_of, woodruff_variances};
use scores::{evaluate, weighted_scores};

use crate::design::{PsuRef, SampleDesign};
use crate::linear::{
    estimate_linear, CellSums, DomainSums, LinearKind, LinearStatistic, LinearVariance,
    PointAndVariance,
};
use crate::publication::t_quantile;
use crate::variance::{linearized_variance, ReplicateDesign};
use crate::EstimationError;

/// Rule for weighted quantiles (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuantileRule {
    InverseCdf,
    Interpolated,
    EuSilc,
}

/// A statistic computed from unit-level values.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum NonlinearKind {
    Quantile {
        p: f64,
        rule: QuantileRule,
    },
    /// At-risk-of-poverty rate with threshold `fraction` × median (0.6 in the EU definition).
    PovertyRate {
        fraction: f64,
    },
    Gini,
}

/// How a gap compares a domain with its reference domain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GapKind {
    /// `θ_domain - θ_reference` (percentage points for shares, euro for incomes).
    Difference,
    /// `θ_domain / θ_reference`.
    Ratio,
}

/// A gap between two domains (indices into the domains of [`estimate_nonlinear`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Gap {
    pub domain: usize,
    pub reference: usize,
    pub kind: GapKind,
}

impl Gap {
    pub fn difference(domain: usize, reference: usize) -> Self {
        Gap {
            domain,
            reference,
            kind: GapKind::Difference,
        }
    }

    pub fn ratio(domain: usize, reference: usize) -> Self {
        Gap {
            domain,
            reference,
            kind: GapKind::Ratio,
        }
    }

    /// The gap from the domains' values.
    pub fn value(&self, values: &[f64]) -> f64 {
        let (a, b) = (values[self.domain], values[self.reference]);
        match self.kind {
            GapKind::Difference => a - b,
            GapKind::Ratio => a / b,
        }
    }

    /// Coefficients of the domain's and the reference's linearised variables in the gap's.
    fn score_coefficients(&self, values: &[f64]) -> (f64, f64) {
        match self.kind {
            GapKind::Difference => (1.0, -1.0),
            GapKind::Ratio => {
                let b = values[self.reference];
                (1.0 / b, -values[self.domain] / (b * b))
            }
        }
    }
}

/// Units needed by a nonlinear statistic.
#[derive(Debug, Clone, Default)]
pub struct UnitData {
    pub psu: Vec<PsuRef>,
    pub weight: Vec<f64>,
    pub value: Vec<f64>,
    /// Domain of each unit (`None`: outside every domain, but still part of the thresholds).
    pub domain: Vec<Option<u32>>,
    /// Threshold group (e.g. country) of each unit; all 0 for a single national threshold.
    pub group: Vec<u32>,
    /// For the poverty rate: units counted as at risk whatever their value (another condition
    /// of the "at risk of poverty or social exclusion" rate); empty for none.
    pub at_risk_otherwise: Vec<bool>,
}

impl UnitData {
    pub fn len(&self) -> usize {
        self.value.len()
    }

    /// Whether unit `i` is counted as at risk whatever its value.
    pub fn otherwise_at_risk(&self, i: usize) -> bool {
        self.at_risk_otherwise.get(i).copied().unwrap_or(false)
    }

    /// Checks the units against the design and the number of domains they are estimated
    /// for: one PSU, weight, value, domain and threshold group per unit; every PSU in the
    /// design; weights finite and non-negative; domains below `n_domains`. The fields are
    /// public so that callers can fill them column by column; [`estimate_nonlinear`] checks
    /// them before anything is computed.
    pub fn check(&self, design: &SampleDesign, n_domains: usize) -> Result<(), EstimationError> {
        let n = self.value.len();
        if [
            self.psu.len(),
            self.weight.len(),
            self.domain.len(),
            self.group.len(),
        ]
        .iter()
        .any(|&len| len != n)
        {
            return Err(EstimationError::InvalidArgument(format!(
                "unit data of unequal lengths: {} PSUs, {} weights, {n} values, {} domains, \
                 {} threshold groups",
                self.psu.len(),
                self.weight.len(),
                self.domain.len(),
                self.group.len()
            )));
        }
        if !self.at_risk_otherwise.is_empty() && self.at_risk_otherwise.len() != n {
            return Err(EstimationError::InvalidArgument(format!(
                "{} flags of another condition for {n} units (expected none or one per unit)",
                self.at_risk_otherwise.len()
            )));
        }
        let strata = design.strata();
        let bad = |i: usize, what: String| {
            Err(EstimationError::InvalidArgument(format!(
                "unit {i}: {what}"
            )))
        };
        for i in 0..n {
            let p = self.psu[i];
            if strata
                .get(p.stratum as usize)
                .is_none_or(|s| p.psu as usize >= s.psu_count)
            {
                return bad(
                    i,
                    format!("PSU {}/{} is not in the design", p.stratum, p.psu),
                );
            }
            if !(self.weight[i].is_finite() && self.weight[i] >= 0.0) {
                return bad(i, format!("weight {} (expected ≥ 0)", self.weight[i]));
            }
            if self.domain[i].is_some_and(|d| d as usize >= n_domains) {
                return bad(i, format!("domain {:?} of {n_domains}", self.domain[i]));
            }
        }
        Ok(())
    }

    pub fn is_empty(&self) -> bool {
        self.value.is_empty()
    }
}

/// Result of a nonlinear statistic: point, variance and an interval when the estimator makes
/// its own (Woodruff for quantiles).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NonlinearEstimate {
    pub point: PointAndVariance,
    pub interval: Option<(f64, f64)>,
}

/// Sorted views of the units, computed once and shared by point estimates and replicates.
struct Sorted {
    /// Per domain: unit indices in ascending value order.
    domains: Vec<Vec<usize>>,
    /// Per threshold group: unit indices in ascending value order.
    groups: Vec<Vec<usize>>,
}

impl Sorted {
    fn new(units: &UnitData, n_domains: usize) -> Self {
        let mut order: Vec<usize> = (0..units.len()).collect();
        order.sort_by(|&a, &b| units.value[a].total_cmp(&units.value[b]));
        let n_groups = units
            .group
            .iter()
            .copied()
            .max()
            .map_or(0, |g| g as usize + 1);
        let mut domains = vec![Vec::new(); n_domains];
        let mut groups = vec![Vec::new(); n_groups];
        for &i in &order {
            if let Some(d) = units.domain[i] {
                domains[d as usize].push(i);
            }
            groups[units.group[i] as usize].push(i);
        }
        Self { domains, groups }
    }
}

fn domain_counts(design: &SampleDesign, units: &UnitData, idx: &[usize]) -> (u64, f64, usize) {
    let w: f64 = idx.iter().map(|&i| units.weight[i]).sum();
    let df = design.domain_degrees_of_freedom(idx.iter().map(|&i| units.psu[i]));
    (idx.len() as u64, w, df)
}

/// Variance method for nonlinear statistics.
#[derive(Debug, Clone, Copy)]
pub enum NonlinearVariance<'a> {
    Linearization,
    Replicates(&'a ReplicateDesign),
}

/// Per-domain results and per-gap results of [`estimate_nonlinear`].
pub type NonlinearResults = (
    Vec<Result<NonlinearEstimate, EstimationError>>,
    Vec<Result<NonlinearEstimate, EstimationError>>,
);

/// Estimates `kind` in each of `n_domains` domains, and the `gaps` between pairs of them
/// (differences or ratios). `confidence` sets the Woodruff interval's level.
///
/// Long (about 180 lines) because points, Woodruff intervals, linearised or replicate
/// variances and gap scores are computed over one sorted index of the units and share it;
/// each step is commented where it starts.
pub fn estimate_nonlinear(
    design: &SampleDesign,
    units: &UnitData,
    n_domains: usize,
    kind: NonlinearKind,
    method: NonlinearVariance<'_>,
    gaps: &[Gap],
    confidence: f64,
) -> Result<NonlinearResults, EstimationError> {
    if units.is_empty() {
        return Err(EstimationError::EmptySample);
    }
    units.check(design, n_domains)?;
    if let Some(g) = gaps
        .iter()
        .find(|g| g.domain >= n_domains || g.reference >= n_domains || g.domain == g.reference)
    {
        return Err(EstimationError::InvalidArgument(format!(
            "gap of domain {} to domain {}: both must be distinct domains below {n_domains}",
            g.domain, g.reference
        )));
    }
    if let NonlinearVariance::Replicates(rep) = &method {
        rep.check_design(design)?;
    }
    let sorted = Sorted::new(units, n_domains);
    let points = evaluate(kind, units, &sorted, &units.weight);
    let counts: Vec<(u64, f64, usize)> = sorted
        .domains
        .iter()
        .map(|idx| domain_counts(design, units, idx))
        .collect();

    // Woodruff intervals for quantiles (also give the slopes used by gap scores).
    let mut woodruff: Vec<Option<(f64, f64, f64)>> = vec![None; n_domains];
    if let NonlinearKind::Quantile { p, rule } = kind {
        for (d, idx) in sorted.domains.iter().enumerate() {
            if idx.is_empty() {
                continue;
            }
            let q = points[d];
            let cells: Vec<(PsuRef, CellSums)> = idx
                .iter()
                .map(|&i| {
                    let ind = if units.value[i] <= q { 1.0 } else { 0.0 };
                    (units.psu[i], CellSums::unit(units.weight[i], ind, 1.0))
                })
                .collect();
            let sums = DomainSums::from_cells(cells);
            let stat = LinearStatistic {
                kind: LinearKind::Ratio,
                domain: &sums,
                reference: None,
            };
            let lin = match method {
                NonlinearVariance::Linearization => LinearVariance::Linearization,
                NonlinearVariance::Replicates(r) => LinearVariance::Replicates(r),
            };
            let share = estimate_linear(design, &stat, &lin)?;
            let t = t_quantile(0.5 + confidence / 2.0, counts[d].2);
            let s = share.variance.sqrt();
            debug_assert!((0.0..=1.0).contains(&p));
            // Without degrees of freedom, or when the share's variance or the interval's width
            // is zero or unknown, the quantile's variance cannot be estimated: no interval.
            if !(t.is_finite() && s.is_finite() && s > 0.0) {
                continue;
            }
            let lo = (share.estimate - t * s).clamp(0.0, 1.0);
            let hi = (share.estimate + t * s).clamp(0.0, 1.0);
            let low = quantile_of(units, idx, &units.weight, lo, rule);
            let high = quantile_of(units, idx, &units.weight, hi, rule);
            // Not a proper interval (equal bounds, or NaN).
            if high.partial_cmp(&low) != Some(std::cmp::Ordering::Greater) {
                continue;
            }
            let se = (high - low) / (2.0 * t);
            woodruff[d] = Some((low, high, se / s));
        }
    }

    // Variances of the domain statistics (and the scores or replicate values for gaps).
    let domain_variance: Vec<f64>;
    let mut gap_variance: Vec<f64> = Vec::with_capacity(gaps.len());
    match method {
        NonlinearVariance::Linearization => {
            // A quantile without a Woodruff interval has no slope: its gaps are not estimable.
            let slopes: Vec<f64> = woodruff
                .iter()
                .map(|w| w.map_or(f64::NAN, |w| w.2))
                .collect();
            let scores = weighted_scores(kind, units, &sorted, &points, &slopes);
            domain_variance = match kind {
                NonlinearKind::Quantile { .. } => {
                    woodruff_variances(&woodruff, &counts, confidence)
                }
                _ => scores
                    .iter()
                    .map(|s| linearized_variance(design, s))
                    .collect(),
            };
            for gap in gaps {
                let (ca, cb) = gap.score_coefficients(&points);
                let s: Vec<(PsuRef, f64)> = scores[gap.domain]
                    .iter()
                    .map(|(p, v)| (*p, ca * v))
                    .chain(scores[gap.reference].iter().map(|(p, v)| (*p, cb * v)))
                    .collect();
                gap_variance.push(linearized_variance(design, &s));
            }
        }
        NonlinearVariance::Replicates(rep) => {
            let count = rep.replicate_count();
            let offsets = design.psu_offsets();
            let flat: Vec<usize> = units
                .psu
                .iter()
                .map(|p| offsets[p.stratum as usize] + p.psu as usize)
                .collect();
            // Replicate values: replicates × (domains + gaps); aggregates only.
            let values: Vec<Vec<f64>> = (0..count)
                .into_par_iter()
                .map_init(
                    || (Vec::new(), Vec::new()),
                    |(m, w), r| {
                        rep.multipliers(r, m);
                        w.clear();
                        w.extend(units.weight.iter().zip(&flat).map(|(wi, &f)| wi * m[f]));
                        let mut v = evaluate(kind, units, &sorted, w);
                        let gap_values: Vec<f64> = gaps.iter().map(|g| g.value(&v)).collect();
                        v.extend(gap_values);
                        v
                    },
                )
                .collect();
            let var_of = |k: usize, full: f64| -> f64 {
                let reps: Vec<(f64, f64, f64)> = values
                    .iter()
                    .enumerate()
                    .map(|(r, v)| (v[k], rep.rscale(r), 1.0))
                    .collect();
                rep.variance(full, &reps)
            };
            domain_variance = match kind {
                NonlinearKind::Quantile { .. } => {
                    woodruff_variances(&woodruff, &counts, confidence)
                }
                _ => (0..n_domains).map(|d| var_of(d, points[d])).collect(),
            };
            for (k, gap) in gaps.iter().enumerate() {
                gap_variance.push(var_of(n_domains + k, gap.value(&points)));
            }
        }
    }

    let domain_results = (0..n_domains)
        .map(|d| {
            if sorted.domains[d].is_empty() || !points[d].is_finite() {
                return Err(EstimationError::EmptyDomain);
            }
            Ok(NonlinearEstimate {
                point: PointAndVariance {
                    estimate: points[d],
                    variance: domain_variance[d],
                    n: counts[d].0,
                    population: counts[d].1,
                    srs_variance: None,
                    degrees_of_freedom: counts[d].2,
                },
                interval: woodruff[d].map(|(lo, hi, _)| (lo, hi)),
            })
        })
        .collect();
    let gap_results = gaps
        .iter()
        .zip(gap_variance)
        .map(|(gap, v)| {
            let (a, b) = (gap.domain, gap.reference);
            if sorted.domains[a].is_empty() || sorted.domains[b].is_empty() {
                return Err(EstimationError::EmptyDomain);
            }
            Ok(NonlinearEstimate {
                point: PointAndVariance {
                    estimate: gap.value(&points),
                    variance: v,
                    n: counts[a].0 + counts[b].0,
                    population: counts[a].1 + counts[b].1,
                    srs_variance: None,
                    // PSUs minus strata where either group has respondents, as for the
                    // gaps of linear statistics (`LinearStatistic::counts`).
                    degrees_of_freedom: design.domain_degrees_of_freedom(
                        sorted.domains[a]
                            .iter()
                            .chain(&sorted.domains[b])
                            .map(|&i| units.psu[i]),
                    ),
                },
                interval: None,
            })
        })
        .collect();
    Ok((domain_results, gap_results))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantile_rules_by_hand() {
        let x = [1.0, 2.0, 3.0, 4.0];
        let w = [1.0, 1.0, 1.0, 1.0];
        // Cumulative shares .25 .5 .75 1: the median hits .5 exactly.
        assert_eq!(
            weighted_quantile(&x, &w, 0.5, QuantileRule::InverseCdf),
            2.0
        );
        assert_eq!(weighted_quantile(&x, &w, 0.5, QuantileRule::EuSilc), 2.5);
        assert_eq!(
            weighted_quantile(&x, &w, 0.6, QuantileRule::InverseCdf),
            3.0
        );
        assert_eq!(weighted_quantile(&x, &w, 0.6, QuantileRule::EuSilc), 3.0);
        // hf7 with equal weights is R's type-7 quantile: 1 + 0.3 * (4 - 1) = 1.9.
        assert!((weighted_quantile(&x, &w, 0.3, QuantileRule::Interpolated) - 1.9).abs() < 1e-12);
        // Unequal weights: p_k = 0, 1/4, 3/4, 4/4 (C = 1, 3, 4, 6; C_{n-1} = 4);
        // p = 0.5 lies halfway between 1/4 (x=2) and 3/4 (x=3).
        let wu = [1.0, 2.0, 1.0, 2.0];
        assert!((weighted_quantile(&x, &wu, 0.5, QuantileRule::Interpolated) - 2.5).abs() < 1e-12);
        // Zero weights are ignored.
        let w0 = [1.0, 0.0, 1.0, 1.0];
        assert_eq!(
            weighted_quantile(&x, &w0, 0.5, QuantileRule::InverseCdf),
            3.0
        );
    }

    #[test]
    fn gini_of_equal_incomes_is_zero_and_of_one_rich_is_high() {
        let units = UnitData {
            psu: (0..4).map(|j| PsuRef { stratum: 0, psu: j }).collect(),
            weight: vec![1.0; 4],
            value: vec![5.0; 4],
            domain: vec![Some(0); 4],
            group: vec![0; 4],
            at_risk_otherwise: Vec::new(),
        };
        let sorted = Sorted::new(&units, 1);
        let g = evaluate(NonlinearKind::Gini, &units, &sorted, &units.weight)[0];
        // (2 * 5 * (1+2+3+4) - 4*5) / (4 * 20) - 1 = (100 - 20)/80 - 1 = 0
        assert!(g.abs() < 1e-12);
        let mut rich = units.clone();
        rich.value = vec![0.0, 0.0, 0.0, 8.0];
        let g = evaluate(NonlinearKind::Gini, &rich, &sorted, &rich.weight)[0];
        // (2 * 8 * 4 - 8) / (4 * 8) - 1 = 56/32 - 1 = 0.75
        assert!((g - 0.75).abs() < 1e-12);
    }

    fn two_strata(psus: usize) -> SampleDesign {
        let stratum = |label: &str| crate::design::Stratum {
            label: label.into(),
            psu_count: psus,
            sampling_fraction: 0.0,
        };
        SampleDesign::new(
            vec![stratum("A"), stratum("B")],
            crate::design::LonelyPsuRule::Fail,
        )
        .unwrap()
    }

    fn units(n: u32) -> UnitData {
        UnitData {
            psu: (0..n)
                .map(|j| PsuRef {
                    stratum: j % 2,
                    psu: j / 2 % 2,
                })
                .collect(),
            weight: vec![1.5; n as usize],
            value: (0..n).map(f64::from).collect(),
            domain: (0..n).map(|j| Some(j % 2)).collect(),
            group: vec![0; n as usize],
            at_risk_otherwise: Vec::new(),
        }
    }

    /// Unit data, gaps and replicate designs that do not fit the design are refused with a
    /// message, before anything is computed.
    #[test]
    fn inputs_that_do_not_fit_the_design_are_refused() {
        let design = two_strata(2);
        let median = NonlinearKind::Quantile {
            p: 0.5,
            rule: QuantileRule::EuSilc,
        };
        let run = |u: &UnitData, gaps: &[Gap], method: NonlinearVariance<'_>| {
            estimate_nonlinear(&design, u, 2, median, method, gaps, 0.95)
        };
        let lin = || NonlinearVariance::Linearization;
        assert!(run(&units(8), &[Gap::difference(1, 0)], lin()).is_ok());
        let refused = |r: Result<NonlinearResults, EstimationError>, what: &str| match r {
            Err(EstimationError::InvalidArgument(m)) => assert!(m.contains(what), "{m}"),
            other => panic!("{what}: {other:?}"),
        };
        let mut short = units(8);
        short.weight.pop();
        refused(run(&short, &[], lin()), "unequal lengths");
        let mut outside = units(8);
        outside.psu[3] = PsuRef { stratum: 1, psu: 2 };
        refused(
            run(&outside, &[], lin()),
            "unit 3: PSU 1/2 is not in the design",
        );
        let mut negative = units(8);
        negative.weight[5] = -1.0;
        refused(run(&negative, &[], lin()), "unit 5: weight -1");
        let mut domain = units(8);
        domain.domain[2] = Some(2);
        refused(run(&domain, &[], lin()), "unit 2: domain");
        refused(
            run(&units(8), &[Gap::difference(1, 2)], lin()),
            "gap of domain 1",
        );
        refused(run(&units(8), &[Gap::difference(1, 1)], lin()), "distinct");
        // Replicates made for a design with three PSUs per stratum.
        let other =
            ReplicateDesign::new(&two_strata(3), crate::variance::ReplicateMethod::Jkn, false)
                .unwrap();
        refused(
            run(&units(8), &[], NonlinearVariance::Replicates(&other)),
            "another sample design",
        );
        let own =
            ReplicateDesign::new(&design, crate::variance::ReplicateMethod::Jkn, false).unwrap();
        assert!(own.is_for(&design) && !other.is_for(&design));
        assert!(run(&units(8), &[], NonlinearVariance::Replicates(&own)).is_ok());
    }

    /// The quantile of unsorted values is the quantile of the same values sorted.
    #[test]
    fn weighted_quantile_sorts_what_is_not_sorted() {
        let (x, w) = ([4.0, 1.0, 3.0, 2.0, 2.5], [2.0, 1.0, 1.0, 2.0, 0.5]);
        let mut pairs: Vec<(f64, f64)> = x.iter().copied().zip(w).collect();
        pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
        let (xs, ws): (Vec<f64>, Vec<f64>) = pairs.into_iter().unzip();
        for rule in [
            QuantileRule::InverseCdf,
            QuantileRule::EuSilc,
            QuantileRule::Interpolated,
        ] {
            for p in [0.1, 0.25, 0.5, 0.6, 0.9] {
                assert_eq!(
                    weighted_quantile(&x, &w, p, rule),
                    weighted_quantile(&xs, &ws, p, rule),
                    "{rule:?} {p}"
                );
            }
        }
    }

    /// A gap's degrees of freedom are the PSUs minus the strata where either group has
    /// respondents, as for linear gaps: here each group lies in one stratum (1 each), the
    /// pair in both (4 PSUs − 2 strata = 2).
    #[test]
    fn a_gap_has_the_degrees_of_freedom_of_both_groups_together() {
        let design = two_strata(2);
        let median = NonlinearKind::Quantile {
            p: 0.5,
            rule: QuantileRule::EuSilc,
        };
        let (domains, gaps) = estimate_nonlinear(
            &design,
            &units(8),
            2,
            median,
            NonlinearVariance::Linearization,
            &[Gap::difference(1, 0)],
            0.95,
        )
        .unwrap();
        let df = |r: &Result<NonlinearEstimate, EstimationError>| {
            r.as_ref().unwrap().point.degrees_of_freedom
        };
        assert_eq!((df(&domains[0]), df(&domains[1])), (1, 1));
        assert_eq!(df(&gaps[0]), 2);
    }
}
