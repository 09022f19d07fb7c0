//! Variance estimation from PSU-level scores, and replicate designs.
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
//! single PSU follow the declared [`LonelyPsuRule`].
//!
//! # Replicates
//!
//! Replicate `r` multiplies the weight of every unit of PSU `j` by `m_rj`; a replicate total is
//! therefore the PSU totals times the multipliers, and no records × replicates weight matrix is
//! ever built. The variance is `scale · Σ_r rscale_r (θ_r - θ̄)²` with `θ̄` the mean of the
//! replicates (R's default `mse = FALSE`) or the full-sample estimate (`mse = TRUE`).
//!
//! * **JK1** (delete-one-PSU jackknife ignoring strata): `m = 0` for the deleted PSU,
//!   `n / (n - 1)` for every other PSU; `scale = (n - 1) / n`, `rscale = 1`.
//! * **JKn** (stratified delete-one-PSU): `m = 0` for the deleted PSU, `n_h / (n_h - 1)` for the
//!   other PSUs of its stratum, 1 elsewhere; `scale = 1`, `rscale = (1 - f_h)(n_h - 1) / n_h`.
//!   Strata with a single PSU produce no replicate (they are treated as certainty strata).
//! * **Bootstrap** (Rao & Wu 1988 rescaled bootstrap, Rao, Wu & Yue 1992): in each stratum draw
//!   `m_h = n_h - 1` PSUs with replacement; with `r_hj` the times PSU `j` was drawn and
//!   `λ_h = sqrt(m_h (1 - f_h) / (n_h - 1))`, the multiplier is
//!   `1 - λ_h + λ_h (n_h / m_h) r_hj`; `scale = 1 / (R - 1)`, `rscale = 1`. Each replicate's
//!   draws come from its own ChaCha20 stream seeded by `(seed, replicate)`, so results do not
//!   depend on the order in which replicates are computed.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;

use crate::design::{LonelyPsuRule, PsuRef, SampleDesign};

/// Linearised variance from PSU scores. `scores` may list a PSU several times (the entries are
/// added) and may omit PSUs (their score is 0).
pub fn linearized_variance(design: &SampleDesign, scores: &[(PsuRef, f64)]) -> f64 {
    let strata = design.strata();
    // Accumulate per stratum: present PSU totals.
    let mut by_stratum: Vec<Vec<(u32, f64)>> = vec![Vec::new(); strata.len()];
    for &(psu, u) in scores {
        by_stratum[psu.stratum as usize].push((psu.psu, u));
    }
    let mut grand_total = 0.0;
    let mut per_stratum_totals: Vec<Vec<f64>> = Vec::with_capacity(strata.len());
    for entries in &mut by_stratum {
        entries.sort_unstable_by_key(|e| e.0);
        let mut totals: Vec<f64> = Vec::with_capacity(entries.len());
        let mut last: Option<u32> = None;
        for &(p, u) in entries.iter() {
            if last == Some(p) {
                if let Some(t) = totals.last_mut() {
                    *t += u;
                }
            } else {
                totals.push(u);
                last = Some(p);
            }
            grand_total += u;
        }
        per_stratum_totals.push(totals);
    }
    let grand_mean = grand_total / design.psu_count() as f64;

    let mut v = 0.0;
    let mut strata_with_variance = 0usize;
    for (s, totals) in strata.iter().zip(&per_stratum_totals) {
        let n = s.psu_count as f64;
        let fpc = 1.0 - s.sampling_fraction;
        if s.psu_count >= 2 {
            let mean = totals.iter().sum::<f64>() / n;
            let absent = n - totals.len() as f64;
            let ss: f64 =
                totals.iter().map(|t| (t - mean) * (t - mean)).sum::<f64>() + absent * mean * mean;
            v += fpc * n / (n - 1.0) * ss;
            strata_with_variance += 1;
        } else {
            match design.lonely_psu() {
                // `Fail` designs are refused at construction; treat defensively as certainty.
                LonelyPsuRule::Fail | LonelyPsuRule::Certainty => strata_with_variance += 1,
                LonelyPsuRule::Adjust => {
                    let t = totals.iter().sum::<f64>();
                    v += fpc * (t - grand_mean) * (t - grand_mean);
                    strata_with_variance += 1;
                }
                LonelyPsuRule::Average => {}
            }
        }
    }
    if design.lonely_psu() == LonelyPsuRule::Average && strata_with_variance > 0 {
        v *= strata.len() as f64 / strata_with_variance as f64;
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

/// A replicate design generated from a [`SampleDesign`].
#[derive(Debug, Clone)]
pub struct ReplicateDesign {
    method: ReplicateMethod,
    /// For jackknives: the deleted PSU of each replicate.
    deleted: Vec<PsuRef>,
    scale: f64,
    rscales: Vec<f64>,
    /// Centre on the full-sample estimate instead of the replicate mean.
    pub mse: bool,
}

impl ReplicateDesign {
    pub fn new(design: &SampleDesign, method: ReplicateMethod, mse: bool) -> Self {
        let strata = design.strata();
        match method {
            ReplicateMethod::Jk1 => {
                let n = design.psu_count() as f64;
                let mut deleted = Vec::new();
                for (h, s) in strata.iter().enumerate() {
                    for j in 0..s.psu_count {
                        deleted.push(PsuRef {
                            stratum: h as u32,
                            psu: j as u32,
                        });
                    }
                }
                let r = deleted.len();
                Self {
                    method,
                    deleted,
                    scale: (n - 1.0) / n,
                    rscales: vec![1.0; r],
                    mse,
                }
            }
            ReplicateMethod::Jkn => {
                let mut deleted = Vec::new();
                let mut rscales = Vec::new();
                for (h, s) in strata.iter().enumerate() {
                    if s.psu_count < 2 {
                        continue;
                    }
                    let n = s.psu_count as f64;
                    for j in 0..s.psu_count {
                        deleted.push(PsuRef {
                            stratum: h as u32,
                            psu: j as u32,
                        });
                        rscales.push((1.0 - s.sampling_fraction) * (n - 1.0) / n);
                    }
                }
                Self {
                    method,
                    deleted,
                    scale: 1.0,
                    rscales,
                    mse,
                }
            }
            ReplicateMethod::Bootstrap { replicates, .. } => Self {
                method,
                deleted: Vec::new(),
                scale: if replicates > 1 {
                    1.0 / (replicates as f64 - 1.0)
                } else {
                    0.0
                },
                rscales: vec![1.0; replicates],
                mse,
            },
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

    /// The PSU deleted by jackknife replicate `r` (None for the bootstrap).
    pub fn deleted_psu(&self, r: usize) -> Option<PsuRef> {
        self.deleted.get(r).copied()
    }

    /// Writes the multipliers of replicate `r` for every PSU, indexed by the flat numbering of
    /// [`SampleDesign::psu_offsets`].
    pub fn multipliers(&self, design: &SampleDesign, r: usize, out: &mut Vec<f64>) {
        let strata = design.strata();
        out.clear();
        out.resize(design.psu_count(), 1.0);
        let offsets = design.psu_offsets();
        match self.method {
            ReplicateMethod::Jk1 => {
                let n = design.psu_count() as f64;
                out.iter_mut().for_each(|m| *m = n / (n - 1.0));
                let d = self.deleted[r];
                out[offsets[d.stratum as usize] + d.psu as usize] = 0.0;
            }
            ReplicateMethod::Jkn => {
                let d = self.deleted[r];
                let h = d.stratum as usize;
                let n = strata[h].psu_count as f64;
                for m in &mut out[offsets[h]..offsets[h] + strata[h].psu_count] {
                    *m = n / (n - 1.0);
                }
                out[offsets[h] + d.psu as usize] = 0.0;
            }
            ReplicateMethod::Bootstrap { seed, .. } => {
                let mut rng = replicate_rng(seed, r);
                for (h, s) in strata.iter().enumerate() {
                    let n = s.psu_count;
                    if n < 2 {
                        continue;
                    }
                    let m_h = (n - 1) as f64;
                    let lambda = (m_h * (1.0 - s.sampling_fraction) / (n as f64 - 1.0)).sqrt();
                    let slice = &mut out[offsets[h]..offsets[h] + n];
                    slice.iter_mut().for_each(|m| *m = 0.0);
                    for _ in 0..(n - 1) {
                        let j = rng.random_range(0..n);
                        slice[j] += 1.0;
                    }
                    for m in slice.iter_mut() {
                        *m = 1.0 - lambda + lambda * (n as f64 / m_h) * *m;
                    }
                }
            }
        }
    }

    /// Replicate variance of one statistic from its replicate values, as
    /// `scale · Σ_r rscale_r · mult_r · (θ_r - centre)²` where `mult_r` is how many replicates
    /// share the value (jackknife replicates that delete PSUs outside a domain coincide).
    pub fn variance(&self, full_sample: f64, replicates: &[(f64, f64, f64)]) -> f64 {
        let centre = if self.mse {
            full_sample
        } else {
            let count: f64 = replicates.iter().map(|r| r.2).sum();
            replicates.iter().map(|r| r.0 * r.2).sum::<f64>() / count
        };
        self.scale
            * replicates
                .iter()
                .map(|&(theta, rscale, mult)| rscale * mult * (theta - centre) * (theta - centre))
                .sum::<f64>()
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
    pub fn variance(&self, full_sample: f64, thetas: &[f64]) -> f64 {
        let centre = if self.mse {
            full_sample
        } else {
            thetas.iter().sum::<f64>() / thetas.len() as f64
        };
        self.scale
            * thetas
                .iter()
                .zip(&self.rscales)
                .map(|(t, rs)| rs * (t - centre) * (t - centre))
                .sum::<f64>()
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
        // Adjust: grand mean of PSU totals = 9/3 = 3; lonely contributes (5-3)^2 = 4.
        let adjust = SampleDesign::new(strata.clone(), LonelyPsuRule::Adjust).unwrap();
        assert!((linearized_variance(&adjust, &scores) - 8.0).abs() < 1e-12);
        // Average: 4 from stratum A, scaled by 2 strata / 1 stratum with variance = 8.
        let average = SampleDesign::new(strata, LonelyPsuRule::Average).unwrap();
        assert!((linearized_variance(&average, &scores) - 8.0).abs() < 1e-12);
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
        );
        let mut m = Vec::new();
        let mut mean = vec![0.0; d.psu_count()];
        for r in 0..2000 {
            rep.multipliers(&d, r, &mut m);
            for (a, b) in mean.iter_mut().zip(&m) {
                *a += b / 2000.0;
            }
        }
        for v in mean {
            assert!((v - 1.0).abs() < 0.06, "mean multiplier {v}");
        }
        let mut a = Vec::new();
        let mut b = Vec::new();
        rep.multipliers(&d, 17, &mut a);
        rep.multipliers(&d, 17, &mut b);
        assert_eq!(a, b);
        rep.multipliers(&d, 18, &mut b);
        assert_ne!(a, b);
    }
}
