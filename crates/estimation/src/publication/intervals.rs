//! Confidence intervals: normal and t quantiles, the logit interval and Korn-Graubard for
//! shares, the effective sample size.

use super::*;

/// Below this many effective respondents on the rarer side, [`Interval::Share`] uses
/// Korn-Graubard instead of the logit interval.
pub const FEW_EFFECTIVE_RESPONDENTS: f64 = 5.0;

/// How a confidence interval is formed (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Interval {
    /// `θ̂ ± t·se`.
    Normal,
    /// For shares: the logit interval on `t`.
    Logit,
    /// For shares: Korn-Graubard.
    KornGraubard,
    /// For shares: logit, or Korn-Graubard near 0 and 1 and with few effective respondents.
    Share,
    /// An interval computed by the estimator itself (e.g. Woodruff's for quantiles).
    Given { low: f64, high: f64 },
}

/// Standard normal quantile.
pub fn normal_quantile(p: f64) -> f64 {
    // Normal::new(0, 1) cannot fail.
    Normal::new(0.0, 1.0)
        .map(|n| n.inverse_cdf(p))
        .unwrap_or(f64::NAN)
}

/// Student t quantile with `df` degrees of freedom; NaN when `df` is 0 (no interval can be
/// formed), the normal quantile when `df` is `usize::MAX` (infinite).
pub fn t_quantile(p: f64, df: usize) -> f64 {
    if df == 0 {
        return f64::NAN;
    }
    if df == usize::MAX {
        return normal_quantile(p);
    }
    StudentsT::new(0.0, 1.0, df as f64)
        .map(|t| t.inverse_cdf(p))
        .unwrap_or(f64::NAN)
}

/// The effective sample size of a share (see the module documentation), before the
/// degrees-of-freedom adjustment.
pub fn effective_sample_size(p: f64, variance: f64, n: u64) -> f64 {
    let n = n as f64;
    if p <= 0.0 || p >= 1.0 || variance.is_nan() || variance <= 0.0 {
        return n;
    }
    (p * (1.0 - p) / variance).min(n)
}

/// The Korn-Graubard interval of a share `p` with variance `variance`, `n` respondents and `df`
/// design degrees of freedom, at level `confidence`; also returns the degrees-of-freedom
/// adjusted effective sample size. NaN bounds when `df` is 0. As the NCHS standard prescribes,
/// a design effect below 1 is set to 1 (the effective sample size is at most `n`), and a
/// share of 0 or 1 (no design-based variance) takes the effective sample size `n`.
pub fn korn_graubard_interval(
    p: f64,
    variance: f64,
    n: u64,
    df: usize,
    confidence: f64,
) -> (f64, f64, f64) {
    korn_graubard(p, effective_sample_size(p, variance, n), n, df, confidence)
}

/// The Korn-Graubard interval from a given effective sample size `n_eff` (R `svyciprop(method =
/// "beta")` uses `p(1-p)/v` without the NCHS cap at `n`): Clopper-Pearson on
/// `n* = n_eff · (t_{n-1} / t_df)²`, `x = n*·p`, bounds `Beta(α/2; x, n*-x+1)` and
/// `Beta(1-α/2; x+1, n*-x)` (Korn and Graubard 1998).
pub fn korn_graubard(p: f64, n_eff: f64, n: u64, df: usize, confidence: f64) -> (f64, f64, f64) {
    let alpha = 1.0 - confidence;
    let adjust = if n >= 2 {
        (t_quantile(1.0 - alpha / 2.0, (n - 1) as usize) / t_quantile(1.0 - alpha / 2.0, df))
            .powi(2)
    } else {
        f64::NAN
    };
    let n_star = n_eff * adjust;
    if !(n_star > 0.0 && n_star.is_finite()) {
        return (f64::NAN, f64::NAN, n_star);
    }
    let x = n_star * p;
    let q = |prob: f64, a: f64, b: f64| {
        Beta::new(a, b)
            .map(|d| d.inverse_cdf(prob))
            .unwrap_or(f64::NAN)
    };
    let low = if p <= 0.0 {
        0.0
    } else {
        q(alpha / 2.0, x, n_star - x + 1.0)
    };
    let high = if p >= 1.0 {
        1.0
    } else {
        q(1.0 - alpha / 2.0, x + 1.0, n_star - x)
    };
    (low, high, n_star)
}

/// Logit-transformed interval for a share with quantile `t` (NaN outside (0, 1)).
pub fn logit_interval(p: f64, se: f64, t: f64) -> (f64, f64) {
    if !(p > 0.0 && p < 1.0) {
        return (f64::NAN, f64::NAN);
    }
    let l = (p / (1.0 - p)).ln();
    let half = t * se / (p * (1.0 - p));
    let expit = |v: f64| 1.0 / (1.0 + (-v).exp());
    (expit(l - half), expit(l + half))
}
