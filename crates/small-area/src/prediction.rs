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
    let w = data
        .sampling_variance()
        .map(|psi| 1.0 / (fit.sigma2_u + psi));
    let sum_w2: f64 = w.iter().map(|v| v * v).sum();
    match fit.method {
        VarianceMethod::Reml => 0.0,
        VarianceMethod::Ml => {
            let x = data.design_matrix();
            let mut xtw2x = nalgebra::DMatrix::zeros(x.ncols(), x.ncols());
            for (i, wi) in w.iter().enumerate() {
                let row = x.row(i);
                xtw2x += row.transpose() * row * (wi * wi);
            }
            -(&fit.q * xtw2x).trace() / sum_w2
        }
        VarianceMethod::AdjustedReml => (2.0 / fit.sigma2_u) / sum_w2,
    }
}

/// EBLUPs and analytic MSEs of the areas of `data` under `fit` (which must have been fitted
/// on `data`).
pub fn predict(fit: &FayHerriotFit, data: &AreaData) -> Vec<AreaPrediction> {
    let pr = profile(data, fit.sigma2_u);
    let x = data.design_matrix();
    let sum_w2: f64 = pr.w.iter().map(|v| v * v).sum();
    let var_sigma2 = 2.0 / sum_w2;
    let bias = sigma2_bias(fit, data);
    let beta = DVector::from_column_slice(&fit.coefficients);
    (0..data.len())
        .map(|i| {
            let psi = data.sampling_variance()[i];
            let y = data.direct()[i];
            let v = fit.sigma2_u + psi;
            let gamma = fit.sigma2_u / v;
            let xi = x.row(i);
            let synthetic = (xi * &beta)[(0, 0)];
            let eblup = synthetic + gamma * (y - synthetic);
            let g1 = gamma * psi;
            let g2 = (1.0 - gamma).powi(2) * (xi * &fit.q * xi.transpose())[(0, 0)];
            let g3 = psi * psi / (v * v * v) * var_sigma2;
            let mse = g1 + g2 + 2.0 * g3 - bias * (1.0 - gamma).powi(2);
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
