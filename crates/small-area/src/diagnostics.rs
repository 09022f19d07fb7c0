//! Diagnostics of a Fay-Herriot fit.
//!
//! - shrinkage factors `γ_i` (the weight of the direct estimate);
//! - standardised residuals `(y_i − x_i'β̂) / √(σ̂²_u + ψ_i)`, which are approximately standard
//!   normal under the model; areas beyond ±3 are listed as areas the model does not fit
//!   (Rao & Molina 2015, §6.2.6);
//! - a goodness-of-fit statistic `Σ (y_i − x_i'β̂)² / (σ̂²_u + ψ_i)`, approximately χ² on
//!   `m − p` degrees of freedom under the model (Rao & Molina 2015, §6.2.6), with its p-value;
//! - the direct CV against the model CV (`√mse / θ̂`), per area and as medians;
//! - information criteria `AIC = −2 l + 2 (p + 1)`, `BIC = −2 l + (p + 1) log m` from the
//!   (restricted) log-likelihood.

use statrs::distribution::{ChiSquared, ContinuousCDF};

use crate::model::{AreaData, FayHerriotFit};
use crate::transform::AreaEstimate;

/// Diagnostics of one fit.
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostics {
    pub standardised_residuals: Vec<f64>,
    /// Areas whose standardised residual exceeds 3 in absolute value.
    pub poorly_fitted: Vec<String>,
    pub goodness_of_fit: f64,
    pub goodness_of_fit_df: usize,
    pub goodness_of_fit_p: f64,
    pub median_direct_cv: f64,
    pub median_model_cv: f64,
    pub aic: f64,
    pub bic: f64,
}

fn median(mut v: Vec<f64>) -> f64 {
    v.retain(|x| x.is_finite());
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        0.5 * (v[n / 2 - 1] + v[n / 2])
    }
}

/// Diagnostics of `fit` on its model-scale `data` and the resulting original-scale estimates.
pub fn diagnose(fit: &FayHerriotFit, data: &AreaData, estimates: &[AreaEstimate]) -> Diagnostics {
    let x = data.design_matrix();
    let beta = nalgebra::DVector::from_column_slice(&fit.coefficients);
    let fitted = x * beta;
    let mut chi2 = 0.0;
    let mut standardised_residuals = Vec::with_capacity(data.len());
    let mut poorly_fitted = Vec::new();
    for i in 0..data.len() {
        let v = fit.sigma2_u + data.sampling_variance()[i];
        let r = data.direct()[i] - fitted[i];
        chi2 += r * r / v;
        let z = r / v.sqrt();
        if z.abs() > 3.0 {
            poorly_fitted.push(data.areas()[i].clone());
        }
        standardised_residuals.push(z);
    }
    let m = data.len();
    let p = fit.coefficients.len();
    let df = m.saturating_sub(p).max(1);
    let p_value = ChiSquared::new(df as f64)
        .map(|d| 1.0 - d.cdf(chi2))
        .unwrap_or(f64::NAN);
    let k = (p + 1) as f64;
    Diagnostics {
        standardised_residuals,
        poorly_fitted,
        goodness_of_fit: chi2,
        goodness_of_fit_df: df,
        goodness_of_fit_p: p_value,
        median_direct_cv: median(
            estimates
                .iter()
                .map(|e| e.direct_se / e.direct.abs())
                .collect(),
        ),
        median_model_cv: median(estimates.iter().map(|e| e.cv()).collect()),
        aic: -2.0 * fit.log_likelihood + 2.0 * k,
        bic: -2.0 * fit.log_likelihood + k * (m as f64).ln(),
    }
}
