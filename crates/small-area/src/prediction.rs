//! EBLUPs, their analytic MSE, and synthetic estimates for areas without a sample.
//!
//! # MSE of the EBLUP
//!
//! With `γ_i = σ̂²_u / V_i`, `V_i = σ̂²_u + ψ_i`, `Q = (X'V̂⁻¹X)⁻¹` and
//! `V̄(σ̂²_u) = 2 / Σ_j V_j⁻²` (the asymptotic variance of REML and ML):
//!
//! ```text
//! g1_i = γ_i ψ_i                       (uncertainty of θ_i given the model)
//! g2_i = (1 − γ_i)² x_i' Q x_i         (estimating β)
//! g3_i = ψ_i² / V_i³ · V̄(σ̂²_u)        (estimating σ²_u)
//! ```
//!
//! - **REML**, Prasad & Rao (1990, *JASA* 85, 163-171), Datta & Lahiri (2000, *Statistica
//!   Sinica* 10, 613-627): `mse_i = g1_i + g2_i + 2 g3_i`, second-order unbiased.
//! - **ML**, Datta & Lahiri (2000): ML's `σ̂²_u` has a first-order bias
//!   `b_ML = −tr(Q X'V̂⁻²X) / Σ_j V_j⁻²`, corrected through `∂g1/∂σ² = (1 − γ_i)²`:
//!   `mse_i = g1_i + g2_i + 2 g3_i − b_ML (1 − γ_i)²`.
//! - **Adjusted REML**, Li & Lahiri (2010): the adjustment's bias is
//!   `b_adj = (2 / σ̂²_u) / Σ_j V_j⁻²`, and `mse_i = g1_i + g2_i + 2 g3_i − b_adj (1 − γ_i)²`
//!   (the formula of R `emdi`'s `li_lahiri`).
//!
//! With unequal area-effect variances `σ²_u b_i²`: `V_i = σ̂²_u b_i² + ψ_i`,
//! `γ_i = σ̂²_u b_i² / V_i`, `g3_i = ψ_i² b_i⁴ / V_i³ · V̄`, `V̄ = 2 / Σ_j (b_j² / V_j)²`, and the
//! bias correction is multiplied by `b_i²` (`∂g1/∂σ² = b_i² (1 − γ_i)²`).
//!
//! An area without a sample gets the synthetic estimate `x'β̂` with
//! `mse = σ̂²_u − b + x'Qx` (Rao & Molina 2015, §6.2.3; `b` the method's first-order bias of
//! `σ̂²_u`, zero for REML).

use nalgebra::DVector;

use crate::model::{profile, AreaData, FayHerriotFit, VarianceMethod};

/// One area's model-based estimate with its MSE decomposition.
#[derive(Debug, Clone, PartialEq)]
pub struct AreaPrediction {
    pub area: String,
    pub direct: f64,
    pub sampling_variance: f64,
    /// `x_i'β̂`.
    pub synthetic: f64,
    pub eblup: f64,
    /// Weight of the direct estimate, `γ_i`.
    pub gamma: f64,
    pub g1: f64,
    pub g2: f64,
    pub g3: f64,
    /// Analytic MSE for the fit's method (see the module docs).
    pub mse: f64,
}

/// Bias of `σ̂²_u` to first order, by method (zero for REML).
pub(crate) fn sigma2_bias(fit: &FayHerriotFit, data: &AreaData) -> f64 {
    let c: Vec<f64> = data
        .sampling_variance()
        .iter()
        .zip(data.effect_scale().iter())
        .map(|(psi, b2)| b2 / (fit.sigma2_u * b2 + psi))
        .collect();
    let sum_c2: f64 = c.iter().map(|v| v * v).sum();
    match fit.method {
        VarianceMethod::Reml => 0.0,
        VarianceMethod::Ml => {
            // −tr(Q X' diag(w c) X) / Σ c²  (b = 1: −tr(Q X'W²X) / Σ w²).
            let x = data.design_matrix();
            let mut m = nalgebra::DMatrix::zeros(x.ncols(), x.ncols());
            for (i, (ci, b2)) in c.iter().zip(data.effect_scale().iter()).enumerate() {
                let row = x.row(i);
                m += row.transpose() * row * (ci * ci / b2);
            }
            -(&fit.q * m).trace() / sum_c2
        }
        VarianceMethod::AdjustedReml => (2.0 / fit.sigma2_u) / sum_c2,
        // The adjustment's score over the REML information (Yoshimori & Lahiri 2014, Thm 2).
        VarianceMethod::AdjustedRemlYl => {
            2.0 * crate::model::yl_adjustment(data, fit.sigma2_u).1 / sum_c2
        }
    }
}

/// EBLUPs and analytic MSEs of the areas of `data` under `fit` (which must have been fitted
/// on `data`).
pub fn predict(fit: &FayHerriotFit, data: &AreaData) -> Vec<AreaPrediction> {
    let pr = profile(data, fit.sigma2_u);
    let x = data.design_matrix();
    let b2 = data.effect_scale();
    let sum_c2: f64 =
        pr.w.iter()
            .zip(b2.iter())
            .map(|(w, b2)| (w * b2).powi(2))
            .sum();
    let var_sigma2 = 2.0 / sum_c2;
    let bias = sigma2_bias(fit, data);
    let beta = DVector::from_column_slice(&fit.coefficients);
    (0..data.len())
        .map(|i| {
            let psi = data.sampling_variance()[i];
            let y = data.direct()[i];
            let effect = fit.sigma2_u * b2[i];
            let v = effect + psi;
            let gamma = effect / v;
            // x_i'β̂ and x_i'Q x_i without allocating (p is small; this runs for every area
            // of every bootstrap replicate).
            let p = beta.len();
            let synthetic: f64 = (0..p).map(|j| x[(i, j)] * beta[j]).sum();
            let leverage: f64 = (0..p)
                .map(|j| x[(i, j)] * (0..p).map(|k| fit.q[(j, k)] * x[(i, k)]).sum::<f64>())
                .sum();
            let eblup = synthetic + gamma * (y - synthetic);
            let g1 = gamma * psi;
            let g2 = (1.0 - gamma).powi(2) * leverage;
            let g3 = psi * psi * b2[i] * b2[i] / (v * v * v) * var_sigma2;
            let mse = g1 + g2 + 2.0 * g3 - bias * b2[i] * (1.0 - gamma).powi(2);
            AreaPrediction {
                area: data.areas()[i].clone(),
                direct: y,
                sampling_variance: psi,
                synthetic,
                eblup,
                gamma,
                g1,
                g2,
                g3,
                mse,
            }
        })
        .collect()
}

/// A synthetic estimate for an area without a sample.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SyntheticPrediction {
    pub estimate: f64,
    pub mse: f64,
}

/// Synthetic estimate `x'β̂` and its MSE for an area outside the sample, from its covariates
/// (without the intercept, in the order of the fit's covariates).
pub fn synthetic(
    fit: &FayHerriotFit,
    data: &AreaData,
    covariates: &[f64],
) -> Result<SyntheticPrediction, crate::SmallAreaError> {
    let p = fit.coefficients.len();
    if covariates.len() + 1 != p {
        return Err(crate::SmallAreaError::InvalidArgument(format!(
            "a synthetic estimate needs {} covariates, got {}",
            p - 1,
            covariates.len()
        )));
    }
    let mut x = DVector::from_element(p, 1.0);
    for (j, &c) in covariates.iter().enumerate() {
        x[j + 1] = c;
    }
    let estimate = fit.linear_predictor(covariates);
    let h = (x.transpose() * &fit.q * &x)[(0, 0)];
    let bias = sigma2_bias(fit, data);
    Ok(SyntheticPrediction {
        estimate,
        mse: (fit.sigma2_u - bias).max(0.0) + h,
    })
}

/// EBLUPs and their `g1` only (no MSE, no names): what a bootstrap refit needs, without the
/// allocations of [`predict`].
pub fn eblups(fit: &FayHerriotFit, data: &AreaData) -> Vec<(f64, f64)> {
    let x = data.design_matrix();
    let p = fit.coefficients.len();
    (0..data.len())
        .map(|i| {
            let psi = data.sampling_variance()[i];
            let effect = fit.sigma2_u * data.effect_scale()[i];
            let gamma = effect / (effect + psi);
            let synthetic: f64 = (0..p).map(|j| x[(i, j)] * fit.coefficients[j]).sum();
            (
                synthetic + gamma * (data.direct()[i] - synthetic),
                gamma * psi,
            )
        })
        .collect()
}
