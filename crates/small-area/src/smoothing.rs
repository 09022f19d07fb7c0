//! Smoothing of direct sampling variances.
//!
//! The Fay-Herriot model treats the sampling variances `ψ_i` as known. Direct variance
//! estimates of small areas are themselves very noisy, and for a share they are zero when
//! every respondent answers alike (a share of 0 % or 100 %), which the model would read as a
//! perfectly measured area. Two generalised variance functions (Wolter 2007, *Introduction to
//! Variance Estimation*, ch. 7; Rao & Molina 2015, §6.4.1) replace them by a smooth function
//! of the respondents:
//!
//! - **shares**, a design-effect model: `v_i = deff · p_i (1 − p_i) / n_i`. The common design
//!   effect is the ratio estimator `deff = Σ v_i / Σ p_i (1 − p_i) / n_i` over the areas with
//!   `0 < p_i < 1` and `v_i > 0` (each area weighted by its simple-random-sampling variance);
//!   the smoothed variance uses `p̄`, the respondent-weighted mean share of the areas, so that
//!   an area's own noisy share does not set its variance. (On the arcsine scale no share is
//!   needed at all: `ψ_i = deff / (4 n_i)`.)
//! - **positive statistics** (means, medians), a CV model: `log CV_i² = a + b log n_i` fitted by
//!   least squares over the areas with `v_i > 0`, and `v_i = θ̂_i² exp(a + b log n_i + s²/2)`,
//!   `s²` the residual variance of the fit (the log-normal mean correction).

use crate::SmallAreaError;

/// Smoothed sampling variances with the fitted variance function.
#[derive(Debug, Clone, PartialEq)]
pub struct SmoothedVariances {
    /// The variances, one per area.
    pub variances: Vec<f64>,
    /// For shares: the common design effect. For the CV model: `exp(a)`.
    pub design_effect: f64,
    /// For the CV model: the slope `b` on `log n` (`None` for shares).
    pub slope: Option<f64>,
    /// Areas that entered the fit of the variance function.
    pub areas_used: usize,
}

fn check_lengths(
    estimate: &[f64],
    variance: &[f64],
    respondents: &[f64],
) -> Result<(), SmallAreaError> {
    if estimate.len() != variance.len() || estimate.len() != respondents.len() {
        return Err(SmallAreaError::InvalidArgument(format!(
            "estimates ({}), variances ({}) and respondents ({}) differ in length",
            estimate.len(),
            variance.len(),
            respondents.len()
        )));
    }
    if let Some(n) = respondents.iter().find(|n| !(n.is_finite() && **n > 0.0)) {
        return Err(SmallAreaError::InvalidArgument(format!(
            "respondents {n} is not a positive number"
        )));
    }
    Ok(())
}

/// The design-effect model for shares (see the module docs).
pub fn smooth_share_variances(
    share: &[f64],
    variance: &[f64],
    respondents: &[f64],
) -> Result<SmoothedVariances, SmallAreaError> {
    check_lengths(share, variance, respondents)?;
    let (mut num, mut den, mut used) = (0.0, 0.0, 0usize);
    let (mut pn, mut nn) = (0.0, 0.0);
    for ((&p, &v), &n) in share.iter().zip(variance).zip(respondents) {
        pn += p * n;
        nn += n;
        if p > 0.0 && p < 1.0 && v > 0.0 && v.is_finite() {
            num += v;
            den += p * (1.0 - p) / n;
            used += 1;
        }
    }
    if used == 0 {
        return Err(SmallAreaError::InvalidArgument(
            "no area has a share strictly between 0 and 1 with a positive variance: the design \
             effect cannot be estimated"
                .into(),
        ));
    }
    let deff = num / den;
    let p_bar = pn / nn;
    let variances = respondents
        .iter()
        .map(|n| deff * p_bar * (1.0 - p_bar) / n)
        .collect();
    Ok(SmoothedVariances {
        variances,
        design_effect: deff,
        slope: None,
        areas_used: used,
    })
}

/// The CV model for positive statistics (see the module docs).
pub fn smooth_cv_variances(
    estimate: &[f64],
    variance: &[f64],
    respondents: &[f64],
) -> Result<SmoothedVariances, SmallAreaError> {
    check_lengths(estimate, variance, respondents)?;
    let points: Vec<(f64, f64)> = estimate
        .iter()
        .zip(variance)
        .zip(respondents)
        .filter(|((e, v), _)| **e != 0.0 && **v > 0.0 && v.is_finite() && e.is_finite())
        .map(|((e, v), n)| (n.ln(), (v / (e * e)).ln()))
        .collect();
    if points.len() < 3 {
        return Err(SmallAreaError::InvalidArgument(format!(
            "{} areas with a positive variance are too few for a CV model (need 3)",
            points.len()
        )));
    }
    let k = points.len() as f64;
    let mx = points.iter().map(|p| p.0).sum::<f64>() / k;
    let my = points.iter().map(|p| p.1).sum::<f64>() / k;
    let sxx: f64 = points.iter().map(|p| (p.0 - mx).powi(2)).sum();
    let sxy: f64 = points.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    let b = if sxx > 0.0 { sxy / sxx } else { 0.0 };
    let a = my - b * mx;
    let s2 = points
        .iter()
        .map(|p| (p.1 - a - b * p.0).powi(2))
        .sum::<f64>()
        / (k - 2.0).max(1.0);
    let variances = estimate
        .iter()
        .zip(respondents)
        .map(|(e, n)| e * e * (a + b * n.ln() + 0.5 * s2).exp())
        .collect();
    Ok(SmoothedVariances {
        variances,
        design_effect: a.exp(),
        slope: Some(b),
        areas_used: points.len(),
    })
}
