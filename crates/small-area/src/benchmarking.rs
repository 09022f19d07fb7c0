//! Benchmarking: making area estimates add up to the enclosing area's direct estimate.
//!
//! A city's model-based figures should not contradict the country's direct figure, which is
//! precise. Ratio benchmarking (Pfeffermann 2013, *Statistical Science* 28, 40-68, §5;
//! Rao & Molina 2015, §6.3) multiplies every area estimate by one factor,
//!
//! ```text
//! θ̂ᵇ_i = θ̂_i · T / Σ_j w_j θ̂_j
//! ```
//!
//! where `T` is the direct estimate of the enclosing area and `w_j` the areas' population
//! shares in it (they must cover it: `Σ w_j = 1`).
//!
//! **Effect on the MSE.** The benchmarked estimator's MSE is
//! `MSE(θ̂_i) + E[(θ̂ᵇ_i − θ̂_i)²] + 2 E[(θ̂_i − θ_i)(θ̂ᵇ_i − θ̂_i)]`. Steorts & Ghosh (2013,
//! *Statistica Sinica* 23, 749-767) show that for benchmarked EBLUPs the cross term is of lower
//! order; incity estimates the added term by the squared adjustment itself,
//! `mseᵇ_i = mse_i + (θ̂ᵇ_i − θ̂_i)²`, so benchmarking never makes a figure look more precise.

use crate::SmallAreaError;

/// A benchmarked estimate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BenchmarkedEstimate {
    pub estimate: f64,
    pub mse: f64,
    /// `θ̂ᵇ_i − θ̂_i`.
    pub adjustment: f64,
}

/// Ratio benchmarking of `estimates` (with MSEs `mse` and population shares `weights`) to the
/// enclosing area's direct estimate `target`.
pub fn ratio_benchmark(
    estimates: &[f64],
    mse: &[f64],
    weights: &[f64],
    target: f64,
) -> Result<(f64, Vec<BenchmarkedEstimate>), SmallAreaError> {
    if estimates.len() != mse.len() || estimates.len() != weights.len() || estimates.is_empty() {
        return Err(SmallAreaError::InvalidArgument(
            "benchmarking needs one estimate, MSE and weight per area".into(),
        ));
    }
    let total_weight: f64 = weights.iter().sum();
    if (total_weight - 1.0).abs() > 1e-6 || weights.iter().any(|w| w.is_nan() || *w < 0.0) {
        return Err(SmallAreaError::InvalidArgument(format!(
            "the areas' population shares must be non-negative and sum to 1 (they sum to \
             {total_weight})"
        )));
    }
    let weighted: f64 = estimates.iter().zip(weights).map(|(e, w)| e * w).sum();
    if !(weighted.is_finite() && weighted != 0.0 && target.is_finite()) {
        return Err(SmallAreaError::InvalidArgument(format!(
            "cannot benchmark: weighted sum of the area estimates {weighted}, target {target}"
        )));
    }
    let factor = target / weighted;
    let out = estimates
        .iter()
        .zip(mse)
        .map(|(e, m)| {
            let estimate = e * factor;
            let adjustment = estimate - e;
            BenchmarkedEstimate {
                estimate,
                mse: m + adjustment * adjustment,
                adjustment,
            }
        })
        .collect();
    Ok((factor, out))
}
