//! Variance estimation from PSU-level scores, and replicate designs.
//!
//! All formulas work on the design's *variance strata* (the declared strata, or strata
//! collapsed by [`LonelyPsuRule::Collapse`]; see [`crate::design`]).
//!
//! # Linearisation (with-replacement first stage)
//!
//! For a statistic whose linearised (influence) variable has PSU totals `u_hj`, the variance is
//! estimated as in R `survey` (`svyrecvar`, ultimate-cluster approximation; Wolter 2007, §6.11):
//!
//! ```text
//! v = Σ_h (1 - f_h) · n_h / (n_h - 1) · Σ_j (u_hj - ū_h)²
//! ```
//!
//! where `n_h` counts every PSU of stratum `h` in the sample (PSUs without units in a domain
//! contribute `u_hj = 0`: a domain is never treated as a separate sample), `ū_h` is the stratum
//! mean of the `u_hj` and `f_h` the first-stage sampling fraction (0 without FPC). Strata with a
//! single PSU follow the declared [`LonelyPsuRule`], as R `survey` 4.1 (`onestrat`, `onestage`):
//! certainty adds nothing; adjust adds `(1 - f_h) u_h1²`; average scales the sum by
//! `H / H_2` (`H` strata, `H_2` of them with two PSUs or more) and is NaN when `H_2 = 0`.
//!
//! # Replicates
//!
//! Replicate `r` multiplies the weight of every unit of PSU `j` by `m_rj`; a replicate total is
//! therefore the PSU totals times the multipliers, and no records × replicates weight matrix is
//! ever built. The variance is `scale · Σ_r rscale_r (θ_r - θ̄)²` with `θ̄` the mean of the
//! replicates (R's default `mse = FALSE`) or the full-sample estimate (`mse = TRUE`). A design
//! without any replicate (every stratum a certainty stratum) has a variance that cannot be
//! estimated: NaN.
//!
//! * **JK1** (delete-one-PSU jackknife ignoring strata, R `jk1weights`): `m = 0` for the
//!   deleted PSU, `n / (n - 1)` for every other PSU; `scale = (1 - f)(n - 1) / n`. The finite
//!   population correction needs one sampling fraction `f` for the whole sample (R refuses
//!   several); a design whose strata have different fractions is refused. Strata, and so the
//!   lonely-PSU rule, play no part.
//! * **JKn** (stratified delete-one-PSU, R `jknweights`): `m = 0` for the deleted PSU,
//!   `n_h / (n_h - 1)` for the other PSUs of its stratum, 1 elsewhere; `scale = 1`,
//!   `rscale = (1 - f_h)(n_h - 1) / n_h`. Single-PSU strata as R: *certainty* forms no replicate;
//!   *average* forms none and sets `scale = n / R` (`n` PSUs, `R` replicates formed);
//!   *adjust* forms one replicate deleting the single PSU with every other PSU multiplied by
//!   `H / (H - 1)` and `rscale = (1 - f_h)(H - 1) / H` (R omits the `1 - f_h`, which is 1
//!   without FPC).
//! * **Bootstrap** (Rao & Wu 1988 rescaled bootstrap, Rao, Wu & Yue 1992): in each stratum draw
//!   `m_h = n_h - 1` PSUs with replacement; with `r_hj` the times PSU `j` was drawn and
//!   `λ_h = sqrt(m_h (1 - f_h) / (n_h - 1))`, the multiplier is
//!   `1 - λ_h + λ_h (n_h / m_h) r_hj`; `scale = 1 / (R - 1)`, `rscale = 1`. Single-PSU strata:
//!   *certainty* and *average* keep multiplier 1 (average then scales the variance by
//!   `H / H_2` as linearisation does); *adjust* draws `1 ± sqrt(1 - f_h)` with equal
//!   probability, whose variance `(1 - f_h)` gives, for a linear statistic, the expected
//!   contribution `(1 - f_h) u_h1²` of the linearised *adjust* rule. Each replicate's draws come
//!   from its own ChaCha20 stream seeded by `(seed, replicate)`, so results do not depend on the
//!   order in which replicates are computed.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;

use crate::design::{LonelyPsuRule, PsuRef, SampleDesign};
use crate::EstimationError;

/// Linearised variance from PSU scores. `scores` may list a PSU several times (the entries are
/// added) and may omit PSUs (their score is 0). NaN when the variance cannot be estimated
/// (the *average* rule without any stratum of two PSUs).
///
/// The *average* rule scales by `H_d / H_d2`, where `H_d` counts the variance strata in which
/// the statistic has scores (for a domain: the strata where it has units) and `H_d2` those of
/// them with two or more PSUs, as R `survey` 4.1 does for a subset design (`onestage`:
/// `nstrat / nokstrat` over the strata present in the subset).
pub fn linearized_variance(design: &SampleDesign, scores: &[(PsuRef, f64)]) -> f64 {
    let strata = design.variance_strata();
    let mut by_stratum: Vec<Vec<(u32, f64)>> = vec![Vec::new(); strata.len()];
    for &(psu, u) in scores {
        let (v, position) = design.variance_place(psu);
        by_stratum[v as usize].push((position, u));
    }
    let mut v = 0.0;
    let (mut strata_present, mut strata_with_variance) = (0usize, 0usize);
    for (s, entries) in strata.iter().zip(&mut by_stratum) {
        entries.sort_unstable_by_key(|e| e.0);
        let mut totals: Vec<f64> = Vec::with_capacity(entries.len());
        let mut last: Option<u32> = None;
        for &(p, u) in entries.iter() {
            match totals.last_mut() {
                Some(t) if last == Some(p) => *t += u,
                _ => {
                    totals.push(u);
                    last = Some(p);
                }
            }
        }
        let n = s.psu_count as f64;
        let fpc = 1.0 - s.sampling_fraction;
        if !entries.is_empty() {
            strata_present += 1;
        }
        if s.psu_count >= 2 {
            let mean = totals.iter().sum::<f64>() / n;
            let absent = n - totals.len() as f64;
            let ss: f64 =
                totals.iter().map(|t| (t - mean) * (t - mean)).sum::<f64>() + absent * mean * mean;
            v += fpc * n / (n - 1.0) * ss;
            if !entries.is_empty() {
                strata_with_variance += 1;
            }
        } else {
            match design.lonely_psu() {
                LonelyPsuRule::Adjust => {
                    let t = totals.iter().sum::<f64>();
                    v += fpc * t * t;
                }
                // Fail is refused when the design is built and Collapse leaves no single-PSU
                // variance stratum; Certainty and Average add nothing here.
                LonelyPsuRule::Fail
                | LonelyPsuRule::Certainty
                | LonelyPsuRule::Collapse
                | LonelyPsuRule::Average => {}
            }
        }
    }
    if design.lonely_psu() == LonelyPsuRule::Average && strata_with_variance < strata_present {
        if strata_with_variance == 0 {
            return f64::NAN;
        }
        v *= strata_present as f64 / strata_with_variance as f64;
    }
    v
}

/// How replicates are formed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplicateMethod {
    Jk1,
    Jkn,
    Bootstrap { replicates: usize, seed: u64 },
}

/// One jackknife replicate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JackknifeReplicate {
    /// JK1: PSU `flat` (in the numbering of [`SampleDesign::psu_offsets`]) deleted.
    DeleteAnywhere { flat: u32 },
    /// JKn: the PSU at `position` of variance stratum `stratum` deleted.
    Delete { stratum: u32, position: u32 },
    /// JKn, lonely-PSU rule *adjust*: the single PSU of variance stratum `stratum` deleted, all
    /// other PSUs multiplied by `H / (H - 1)`.
    DeleteLonely { stratum: u32 },
}

/// A replicate design generated from a [`SampleDesign`].
#[derive(Debug, Clone)]
pub struct ReplicateDesign {
    method: ReplicateMethod,
    /// For jackknives: what each replicate deletes.
    jackknife: Vec<JackknifeReplicate>,
    scale: f64,
    rscales: Vec<f64>,
    /// Flat PSU indices of every variance stratum, in position order.
    stratum_psus: Vec<Vec<usize>>,
    /// Sampling fraction of every variance stratum.
    fractions: Vec<f64>,
    lonely_psu: LonelyPsuRule,
    psu_count: usize,
    /// PSUs of every declared stratum of the design the replicates were made for.
    stratum_sizes: Vec<usize>,
    /// Centre on the full-sample estimate instead of the replicate mean.
    pub mse: bool,
}

impl ReplicateDesign {
    /// The replicates of `method` for `design`, honouring its lonely-PSU rule (see the module
    /// documentation). Refused: JK1 with a finite population correction that differs between
    /// strata.
    pub fn new(
        design: &SampleDesign,
        method: ReplicateMethod,
        mse: bool,
    ) -> Result<Self, EstimationError> {
        let strata = design.variance_strata();
        let offsets = design.psu_offsets();
        let declared = design.strata();
        let stratum_psus: Vec<Vec<usize>> = strata
            .iter()
            .map(|vs| {
                vs.members
                    .iter()
                    .flat_map(|&m| {
                        let o = offsets[m as usize];
                        o..o + declared[m as usize].psu_count
                    })
                    .collect()
            })
            .collect();
        let fractions: Vec<f64> = strata.iter().map(|s| s.sampling_fraction).collect();
        let n_psu = design.psu_count();
        let h_all = strata.len() as f64;
        let mut jackknife = Vec::new();
        let mut rscales = Vec::new();
        let mut scale = 1.0;
        match method {
            ReplicateMethod::Jk1 => {
                let f = declared[0].sampling_fraction;
                if declared.iter().any(|s| s.sampling_fraction != f) {
                    return Err(EstimationError::InvalidDesign(
                        "the JK1 jackknife ignores strata and takes one finite population \
                         correction for the whole sample, but the strata have different \
                         sampling fractions: use JKn (stratified jackknife) or the bootstrap"
                            .into(),
                    ));
                }
                let n = n_psu as f64;
                jackknife = (0..n_psu as u32)
                    .map(|flat| JackknifeReplicate::DeleteAnywhere { flat })
                    .collect();
                rscales = vec![1.0; n_psu];
                scale = (1.0 - f) * (n - 1.0) / n;
            }
            ReplicateMethod::Jkn => {
                for (h, s) in strata.iter().enumerate() {
                    let f = s.sampling_fraction;
                    if s.psu_count >= 2 {
                        let n = s.psu_count as f64;
                        for j in 0..s.psu_count {
                            jackknife.push(JackknifeReplicate::Delete {
                                stratum: h as u32,
                                position: j as u32,
                            });
                            rscales.push((1.0 - f) * (n - 1.0) / n);
                        }
                    } else if design.lonely_psu() == LonelyPsuRule::Adjust && strata.len() > 1 {
                        jackknife.push(JackknifeReplicate::DeleteLonely { stratum: h as u32 });
                        rscales.push((1.0 - f) * (h_all - 1.0) / h_all);
                    }
                }
                if design.lonely_psu() == LonelyPsuRule::Average && jackknife.len() < n_psu {
                    scale = n_psu as f64 / jackknife.len() as f64;
                }
            }
            ReplicateMethod::Bootstrap { replicates, .. } => {
                rscales = vec![1.0; replicates];
                scale = if replicates > 1 {
                    1.0 / (replicates as f64 - 1.0)
                } else {
                    f64::NAN
                };
                let with_variance = strata.iter().filter(|s| s.psu_count >= 2).count();
                if design.lonely_psu() == LonelyPsuRule::Average && with_variance < strata.len() {
                    scale *= h_all / with_variance as f64;
                }
            }
        }
        Ok(Self {
            method,
            jackknife,
            scale,
            rscales,
            stratum_psus,
            fractions,
            lonely_psu: design.lonely_psu(),
            psu_count: n_psu,
            stratum_sizes: declared.iter().map(|s| s.psu_count).collect(),
            mse,
        })
    }

    /// Whether these replicates were made for `design`: the same strata with the same PSUs
    /// and the same lonely-PSU rule. Multipliers applied to another design's PSUs would give a
    /// variance without meaning, so the estimators refuse such a pair.
    pub fn is_for(&self, design: &SampleDesign) -> bool {
        self.lonely_psu == design.lonely_psu()
            && self.stratum_sizes.len() == design.strata().len()
            && self
                .stratum_sizes
                .iter()
                .zip(design.strata())
                .all(|(&n, s)| n == s.psu_count)
    }

    /// [`is_for`](Self::is_for) as the error the estimators return.
    pub fn check_design(&self, design: &SampleDesign) -> Result<(), EstimationError> {
        if self.is_for(design) {
            Ok(())
        } else {
            Err(EstimationError::InvalidArgument(
                "the replicate design was made for another sample design (strata, PSUs or \
                 lonely-PSU rule differ)"
                    .into(),
            ))
        }
    }

    pub fn method(&self) -> ReplicateMethod {
        self.method
    }

    pub fn replicate_count(&self) -> usize {
        self.rscales.len()
    }

    pub fn scale(&self) -> f64 {
        self.scale
    }

    pub fn rscale(&self, r: usize) -> f64 {
        self.rscales[r]
    }

    /// What jackknife replicate `r` deletes (None for the bootstrap).
    pub fn jackknife_replicate(&self, r: usize) -> Option<JackknifeReplicate> {
        self.jackknife.get(r).copied()
    }

    /// Flat PSU indices of each variance stratum, in position order.
    pub fn stratum_psus(&self) -> &[Vec<usize>] {
        &self.stratum_psus
    }

    /// Writes the multipliers of replicate `r` for every PSU, indexed by the flat numbering of
    /// [`SampleDesign::psu_offsets`] of the design the replicates were made for.
    pub fn multipliers(&self, r: usize, out: &mut Vec<f64>) {
        out.clear();
        out.resize(self.psu_count, 1.0);
        match self.method {
            ReplicateMethod::Jk1 | ReplicateMethod::Jkn => match self.jackknife[r] {
                JackknifeReplicate::DeleteAnywhere { flat } => {
                    let n = self.psu_count as f64;
                    out.iter_mut().for_each(|m| *m = n / (n - 1.0));
                    out[flat as usize] = 0.0;
                }
                JackknifeReplicate::Delete { stratum, position } => {
                    let psus = &self.stratum_psus[stratum as usize];
                    let n = psus.len() as f64;
                    for &i in psus {
                        out[i] = n / (n - 1.0);
                    }
                    out[psus[position as usize]] = 0.0;
                }
                JackknifeReplicate::DeleteLonely { stratum } => {
                    let h = self.stratum_psus.len() as f64;
                    out.iter_mut().for_each(|m| *m = h / (h - 1.0));
                    for &i in &self.stratum_psus[stratum as usize] {
                        out[i] = 0.0;
                    }
                }
            },
            ReplicateMethod::Bootstrap { seed, .. } => {
                let mut rng = replicate_rng(seed, r);
                for (psus, f) in self.stratum_psus.iter().zip(&self.fractions) {
                    let n = psus.len();
                    if n < 2 {
                        if self.lonely_psu == LonelyPsuRule::Adjust {
                            let lambda = (1.0 - f).sqrt();
                            let sign = if rng.random::<bool>() { 1.0 } else { -1.0 };
                            out[psus[0]] = 1.0 + sign * lambda;
                        }
                        continue;
                    }
                    let m_h = (n - 1) as f64;
                    let lambda = (m_h * (1.0 - f) / (n as f64 - 1.0)).sqrt();
                    let mut drawn = vec![0u32; n];
                    for _ in 0..(n - 1) {
                        drawn[rng.random_range(0..n)] += 1;
                    }
                    for (&i, &d) in psus.iter().zip(&drawn) {
                        out[i] = 1.0 - lambda + lambda * (n as f64 / m_h) * f64::from(d);
                    }
                }
            }
        }
    }

    /// Replicate variance of one statistic from its replicate values, as
    /// `scale · Σ_r rscale_r · mult_r · (θ_r - centre)²` where `mult_r` is how many replicates
    /// share the value (jackknife replicates that delete PSUs outside a domain coincide). NaN
    /// when there is no replicate.
    pub fn variance(&self, full_sample: f64, replicates: &[(f64, f64, f64)]) -> f64 {
        let mut deviations = ReplicateDeviations::default();
        for &(theta, rscale, mult) in replicates {
            deviations.add(theta - full_sample, rscale, mult);
        }
        deviations.variance(self.scale, self.mse)
    }
}

/// The replicate variance formula, written once for every replicate method (jackknife,
/// bootstrap, replicate weights supplied with the data):
///
/// `v = scale · Σ_r rscale_r · mult_r · (θ_r − c)²`,
///
/// with `c = θ̂` (the full-sample estimate) for the MSE form and otherwise the replicates' mean
/// `Σ mult_r θ_r / Σ mult_r` (R `survey`'s `svrVar`, Lumley 2010 §2.3; `mult_r` counts replicates
/// that coincide). It is accumulated from the deviations `d_r = θ_r − θ̂`, so that replicates
/// need not be kept: with `w_r = rscale_r · mult_r` and `δ = c − θ̂`,
/// `Σ w_r (θ_r − c)² = Σ w_r d_r² − 2δ Σ w_r d_r + δ² Σ w_r`.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ReplicateDeviations {
    /// Σ mult_r
    count: f64,
    /// Σ mult_r d_r
    sum: f64,
    /// Σ w_r
    weight: f64,
    /// Σ w_r d_r
    weighted_sum: f64,
    /// Σ w_r d_r²
    weighted_squares: f64,
}

impl ReplicateDeviations {
    /// Adds `mult` replicates whose estimate deviates by `deviation` from the full-sample one.
    pub fn add(&mut self, deviation: f64, rscale: f64, mult: f64) {
        let w = rscale * mult;
        self.count += mult;
        self.sum += mult * deviation;
        self.weight += w;
        self.weighted_sum += w * deviation;
        self.weighted_squares += w * deviation * deviation;
    }

    /// Adds the replicates of another accumulator (for replicates summed in parallel blocks).
    pub fn merge(&mut self, other: &ReplicateDeviations) {
        self.count += other.count;
        self.sum += other.sum;
        self.weight += other.weight;
        self.weighted_sum += other.weighted_sum;
        self.weighted_squares += other.weighted_squares;
    }

    /// `scale · Σ w_r (θ_r − c)²` (see the type); NaN without replicates. Rounding can make
    /// the expanded sum of squares slightly negative when every replicate is equal: it is
    /// then 0.
    pub fn variance(&self, scale: f64, mse: bool) -> f64 {
        if self.count == 0.0 {
            return f64::NAN;
        }
        let delta = if mse { 0.0 } else { self.sum / self.count };
        let squares =
            self.weighted_squares - 2.0 * delta * self.weighted_sum + delta * delta * self.weight;
        scale * squares.max(0.0)
    }
}

fn replicate_rng(seed: u64, replicate: usize) -> ChaCha20Rng {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    rng.set_stream(replicate as u64);
    rng
}

/// Replicate weights supplied with the data (e.g. a statistics office's bootstrap weights).
/// Variance is `scale · Σ_r rscale_r (θ_r - centre)²`.
#[derive(Debug, Clone, PartialEq)]
pub struct SuppliedReplicates {
    pub scale: f64,
    pub rscales: Vec<f64>,
    pub mse: bool,
}

impl SuppliedReplicates {
    /// The replicate variance ([`ReplicateDeviations`]) of replicate estimates `thetas`, one
    /// per replicate weight column.
    pub fn variance(&self, full_sample: f64, thetas: &[f64]) -> f64 {
        let mut deviations = ReplicateDeviations::default();
        for (theta, &rscale) in thetas.iter().zip(&self.rscales) {
            deviations.add(theta - full_sample, rscale, 1.0);
        }
        deviations.variance(self.scale, self.mse)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::design::Stratum;

    fn stratum(label: &str, n: usize, f: f64) -> Stratum {
        Stratum {
            label: label.into(),
            psu_count: n,
            sampling_fraction: f,
        }
    }

    fn p(h: u32, j: u32) -> PsuRef {
        PsuRef { stratum: h, psu: j }
    }

    #[test]
    fn stratified_variance_by_hand() {
        // Stratum A: PSU totals 1, 3 (n=2): 2/1 * ((1-2)^2 + (3-2)^2) = 4.
        // Stratum B: totals 2, 0(absent), 4 (n=3): mean 2; 3/2 * (0 + 4 + 4) = 12; fpc 0.5 -> 6.
        let d = SampleDesign::new(
            vec![stratum("A", 2, 0.0), stratum("B", 3, 0.5)],
            LonelyPsuRule::Fail,
        )
        .unwrap();
        let v = linearized_variance(
            &d,
            &[
                (p(0, 0), 1.0),
                (p(0, 1), 3.0),
                (p(1, 0), 2.0),
                (p(1, 2), 4.0),
            ],
        );
        assert!((v - 10.0).abs() < 1e-12, "{v}");
        // Entries for the same PSU are added.
        let v2 = linearized_variance(
            &d,
            &[
                (p(0, 0), 0.5),
                (p(0, 0), 0.5),
                (p(0, 1), 3.0),
                (p(1, 0), 2.0),
                (p(1, 2), 4.0),
            ],
        );
        assert!((v2 - 10.0).abs() < 1e-12);
    }

    #[test]
    fn lonely_psu_rules_by_hand() {
        let strata = vec![stratum("A", 2, 0.0), stratum("L", 1, 0.0)];
        assert!(SampleDesign::new(strata.clone(), LonelyPsuRule::Fail).is_err());
        let scores = [(p(0, 0), 1.0), (p(0, 1), 3.0), (p(1, 0), 5.0)];
        let certain = SampleDesign::new(strata.clone(), LonelyPsuRule::Certainty).unwrap();
        assert!((linearized_variance(&certain, &scores) - 4.0).abs() < 1e-12);
        // Adjust (R survey 4.1): the lonely PSU's total is a deviation from zero: 5^2 = 25.
        let adjust = SampleDesign::new(strata.clone(), LonelyPsuRule::Adjust).unwrap();
        assert!((linearized_variance(&adjust, &scores) - 29.0).abs() < 1e-12);
        // Average: 4 from stratum A, scaled by 2 strata / 1 stratum with variance = 8.
        let average = SampleDesign::new(strata.clone(), LonelyPsuRule::Average).unwrap();
        assert!((linearized_variance(&average, &scores) - 8.0).abs() < 1e-12);
        // Collapse: one stratum of totals 1, 3, 5: mean 3, 3/2 * (4 + 0 + 4) = 12.
        let collapsed = SampleDesign::new(strata, LonelyPsuRule::Collapse).unwrap();
        assert!((linearized_variance(&collapsed, &scores) - 12.0).abs() < 1e-12);
        // Average without any stratum of two PSUs: not estimable.
        let lonely_only = SampleDesign::new(
            vec![stratum("L1", 1, 0.0), stratum("L2", 1, 0.0)],
            LonelyPsuRule::Average,
        )
        .unwrap();
        assert!(linearized_variance(&lonely_only, &[(p(0, 0), 1.0), (p(1, 0), 2.0)]).is_nan());
    }

    #[test]
    fn bootstrap_multipliers_average_one_and_are_reproducible() {
        let d = SampleDesign::new(
            vec![stratum("A", 4, 0.0), stratum("B", 7, 0.2)],
            LonelyPsuRule::Fail,
        )
        .unwrap();
        let rep = ReplicateDesign::new(
            &d,
            ReplicateMethod::Bootstrap {
                replicates: 2000,
                seed: 7,
            },
            false,
        )
        .unwrap();
        let mut m = Vec::new();
        let mut mean = vec![0.0; d.psu_count()];
        for r in 0..2000 {
            rep.multipliers(r, &mut m);
            for (a, b) in mean.iter_mut().zip(&m) {
                *a += b / 2000.0;
            }
        }
        for v in mean {
            assert!((v - 1.0).abs() < 0.06, "mean multiplier {v}");
        }
        let mut a = Vec::new();
        let mut b = Vec::new();
        rep.multipliers(17, &mut a);
        rep.multipliers(17, &mut b);
        assert_eq!(a, b);
        rep.multipliers(18, &mut b);
        assert_ne!(a, b);
    }

    /// The streaming form equals the two-pass definition `scale · Σ rscale·mult·(θ − c)²`,
    /// for the centred and the MSE form, also when parallel blocks are merged.
    #[test]
    fn replicate_deviations_equal_the_two_pass_formula() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let full = 0.42;
        let reps: Vec<(f64, f64, f64)> = (0..57)
            .map(|_| {
                (
                    full + rng.random_range(-0.05..0.08),
                    rng.random_range(0.5..1.5),
                    f64::from(rng.random_range(1u8..4)),
                )
            })
            .collect();
        for mse in [false, true] {
            let centre = if mse {
                full
            } else {
                reps.iter().map(|r| r.0 * r.2).sum::<f64>() / reps.iter().map(|r| r.2).sum::<f64>()
            };
            let two_pass: f64 = 0.3
                * reps
                    .iter()
                    .map(|&(t, rs, m)| rs * m * (t - centre) * (t - centre))
                    .sum::<f64>();
            let (mut a, mut b) = (
                ReplicateDeviations::default(),
                ReplicateDeviations::default(),
            );
            for (i, &(t, rs, m)) in reps.iter().enumerate() {
                if i % 2 == 0 { &mut a } else { &mut b }.add(t - full, rs, m);
            }
            a.merge(&b);
            let streamed = a.variance(0.3, mse);
            assert!(
                ((streamed - two_pass) / two_pass).abs() < 1e-12,
                "mse {mse}: {streamed} vs {two_pass}"
            );
        }
        assert!(ReplicateDeviations::default().variance(1.0, false).is_nan());
        let mut equal = ReplicateDeviations::default();
        for _ in 0..10 {
            equal.add(0.1, 1.0, 1.0);
        }
        assert!(equal.variance(1.0, false).abs() < 1e-15);
    }
}
