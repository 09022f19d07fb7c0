//! Calibration of the synthetic surveys' weights: post-stratification of EU-LFS persons by
//! region × sex × age band, and raking of EU-SILC household weights (one weight per
//! household) to the region's persons by sex × age band, with bounded factors.

use nalgebra::{DMatrix, DVector};
use rayon::prelude::*;

use super::*;
use crate::people::Cluster;

/// Calibrated weights: per region, LFS post-stratification factors by sex × band, or SILC
/// GREG λ vectors.
pub(super) enum Calibration {
    Lfs(Vec<[[f64; 6]; 2]>),
    /// Per region: the calibration level (3: one ratio factor, the fallback) and λ.
    Silc(Vec<(usize, DVector<f64>)>),
}

/// Calibration variables of a household: its persons by sex × five age bands (level 0), by
/// sex × under / over 45 (level 1, when level 0 cannot be met in a region's sample), or in
/// total (level 2). Levels 1 and 2 are sums of level-0 cells.
pub(super) fn silc_x(cluster: &Cluster, h: usize, level: usize) -> DVector<f64> {
    let mut x0 = [0.0; 10];
    for p in &cluster.households[h].persons {
        if let Some(b) = band(&SILC_BANDS, p.age) {
            x0[(p.sex as usize - 1) * 5 + b] += 1.0;
        }
    }
    collapse(&x0, level)
}

/// Level-`level` calibration variables from the level-0 cells (bands 0-2 are under 45).
fn collapse(x0: &[f64; 10], level: usize) -> DVector<f64> {
    match level {
        0 => DVector::from_column_slice(x0),
        1 => DVector::from_fn(4, |i, _| {
            let (sex, older) = (i / 2, i % 2 == 1);
            let bands = if older { 3..5 } else { 0..3 };
            bands.map(|b| x0[sex * 5 + b]).sum()
        }),
        2 => DVector::from_element(1, x0.iter().sum()),
        // The fallback: one constant, so that `exp(λ)` is the same factor for every household.
        _ => DVector::from_element(1, 1.0),
    }
}

const CALIBRATION_SIZES: [usize; 3] = [10, 4, 1];
/// Bounds of the EU-SILC calibration factors `g = exp(x'λ)`: a calibration level is used only
/// if every household's factor stays within them (without bounds, raking a region's sample of
/// 20-40 households to 10 sex × age cells gave weights 1,000 times apart).
const G_MIN: f64 = 0.25;
const G_MAX: f64 = 4.0;

/// Population totals of the calibration variables of `level`, from counts by sex × age.
fn silc_totals(counts: &[[u64; 101]; 2], level: usize, scale: f64) -> DVector<f64> {
    let mut t = DVector::zeros(CALIBRATION_SIZES[level]);
    for (sex, by_age) in counts.iter().enumerate() {
        for (age, n) in by_age.iter().enumerate() {
            let n = *n as f64 * scale;
            match level {
                0 => {
                    if let Some(b) = band(&SILC_BANDS, age as u8) {
                        t[sex * 5 + b] += n;
                    }
                }
                1 => t[sex * 2 + usize::from(age >= 45)] += n,
                _ => t[0] += n,
            }
        }
    }
    t
}

pub(super) fn calibrate(
    pop: &Population,
    survey: Survey,
    seed: u64,
    plan: &[Vec<u32>],
) -> Calibration {
    let counts = pop
        .calibration_counts
        .get_or_init(|| population_counts(pop));
    let scale = 1.0 / pop.config.population_scale;
    let regions = pop.parameters.region.len();
    match survey {
        Survey::Lfs => {
            let sums = (0..pop.strata.len())
                .into_par_iter()
                .fold(
                    || vec![[[0.0f64; 6]; 2]; regions],
                    |mut acc, si| {
                        let s = &pop.strata[si];
                        for (cluster, hs) in stratum_respondents(pop, survey, seed, s, &plan[si]) {
                            for (h, w) in hs {
                                for p in &cluster.households[h].persons {
                                    if let Some(b) = band(&LFS_BANDS, p.age) {
                                        acc[s.region][(p.sex - 1) as usize][b] += w;
                                    }
                                }
                            }
                        }
                        acc
                    },
                )
                .reduce(
                    || vec![[[0.0; 6]; 2]; regions],
                    |mut a, b| {
                        for (x, y) in a.iter_mut().zip(b) {
                            for s in 0..2 {
                                for k in 0..6 {
                                    x[s][k] += y[s][k];
                                }
                            }
                        }
                        a
                    },
                );
            let mut factors = vec![[[1.0; 6]; 2]; regions];
            for r in 0..regions {
                for s in 0..2 {
                    for (b, (lo, hi)) in LFS_BANDS.iter().enumerate() {
                        let total: u64 = (*lo as usize..=(*hi as usize).min(100))
                            .map(|a| counts[r][s][a])
                            .sum();
                        if sums[r][s][b] > 0.0 {
                            factors[r][s][b] = total as f64 * scale / sums[r][s][b];
                        }
                    }
                }
            }
            Calibration::Lfs(factors)
        }
        Survey::Silc => {
            // (region, design weight, level-0 calibration cells) of every responding household.
            let households: Vec<(usize, f64, [f64; 10])> = (0..pop.strata.len())
                .into_par_iter()
                .flat_map_iter(|si| {
                    let s = &pop.strata[si];
                    stratum_respondents(pop, survey, seed, s, &plan[si])
                        .into_iter()
                        .flat_map(|(cluster, hs)| {
                            hs.into_iter()
                                .map(|(h, d)| {
                                    let x = silc_x(&cluster, h, 0);
                                    let mut cells = [0.0; 10];
                                    cells.copy_from_slice(x.as_slice());
                                    (s.region, d, cells)
                                })
                                .collect::<Vec<_>>()
                        })
                        .collect::<Vec<_>>()
                })
                .collect();
            let lambdas = (0..regions)
                .into_par_iter()
                .map(|r| {
                    let mine: Vec<&(usize, f64, [f64; 10])> =
                        households.iter().filter(|h| h.0 == r).collect();
                    for level in 0..CALIBRATION_SIZES.len() {
                        let xs: Vec<(f64, DVector<f64>)> = mine
                            .iter()
                            .map(|(_, d, cells)| (*d, collapse(cells, level)))
                            .collect();
                        let sample: Vec<(f64, &DVector<f64>)> =
                            xs.iter().map(|(d, x)| (*d, x)).collect();
                        if let Some(lambda) =
                            raking(&sample, &silc_totals(&counts[r], level, scale))
                        {
                            return (level, lambda);
                        }
                    }
                    // No level keeps its factors within the bounds: one factor for every
                    // household of the region, meeting its total of persons (a ratio
                    // adjustment), `exp(λ) = T / Σ d·n`.
                    let total = silc_totals(&counts[r], 2, scale)[0];
                    let estimated: f64 = mine
                        .iter()
                        .map(|(_, d, cells)| d * cells.iter().sum::<f64>())
                        .sum();
                    let lambda = if total > 0.0 && estimated > 0.0 {
                        (total / estimated).ln()
                    } else {
                        0.0
                    };
                    (CALIBRATION_SIZES.len(), DVector::from_element(1, lambda))
                })
                .collect();
            Calibration::Silc(lambdas)
        }
    }
}

/// Raking-ratio calibration (Deville & Särndal 1992, the exponential distance): finds `λ`
/// with `Σ d exp(x'λ) x = t`, so that weights stay positive. It minimises the convex dual
/// `F(λ) = Σ d exp(x'λ) − λ't` by Newton's method with step halving; a category with no
/// sampled person keeps `λ = 0` (pseudo-inverse of the Hessian).
fn raking(sample: &[(f64, &DVector<f64>)], target: &DVector<f64>) -> Option<DVector<f64>> {
    let k = target.len();
    let objective = |lambda: &DVector<f64>| -> f64 {
        sample
            .iter()
            .map(|(d, x)| d * x.dot(lambda).exp())
            .sum::<f64>()
            - lambda.dot(target)
    };
    let mut lambda = DVector::zeros(k);
    let mut current = objective(&lambda);
    for _ in 0..100 {
        let mut total = DVector::zeros(k);
        let mut hessian = DMatrix::zeros(k, k);
        for (d, x) in sample {
            let w = d * x.dot(&lambda).exp();
            total.axpy(w, x, 1.0);
            hessian.ger(w, x, x, 1.0);
        }
        let gradient = target - &total;
        let Ok(step) = hessian.svd(true, true).solve(&gradient, 1e-9) else {
            break;
        };
        if !step.iter().all(|v| v.is_finite()) {
            break;
        }
        let mut t = 1.0;
        let mut improved = false;
        for _ in 0..40 {
            let candidate = &lambda + &step * t;
            let value = objective(&candidate);
            if value.is_finite() && value <= current {
                lambda = candidate;
                current = value;
                improved = true;
                break;
            }
            t /= 2.0;
        }
        if !improved || (&step * t).amax() < 1e-12 {
            break;
        }
    }
    // Converged: every total met to 1e-8 relative, and every weight factor within
    // [G_MIN, G_MAX] (as statistics offices bound calibration factors; a level whose
    // factors would leave the bounds gives way to a coarser one).
    let mut total = DVector::zeros(k);
    let (mut smallest, mut largest) = (f64::INFINITY, 0.0f64);
    for (d, x) in sample {
        let g = x.dot(&lambda).exp();
        smallest = smallest.min(g);
        largest = largest.max(g);
        total.axpy(d * g, x, 1.0);
    }
    let met = (0..k).all(|i| (total[i] - target[i]).abs() <= 1e-8 * target[i].max(1.0));
    (met && smallest >= G_MIN && largest <= G_MAX).then_some(lambda)
}
