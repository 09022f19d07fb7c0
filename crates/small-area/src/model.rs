//! The area table and the fit of the Fay-Herriot model.
//!
//! # Estimating the area variance `σ²_u`
//!
//! All three methods maximise a likelihood in `σ²_u` by Fisher scoring,
//! `σ²_(k+1) = σ²_k + s(σ²_k) / I(σ²_k)`, with `β̂(σ²)` profiled out (Rao & Molina 2015,
//! *Small Area Estimation*, 2nd ed., §6.1.2). With `W = V⁻¹ = diag(1/(σ²_u + ψ_i))`,
//! `Q = (X'WX)⁻¹`, `r = y − Xβ̂` and `P = W − WXQX'W`:
//!
//! - **ML**: `s = −½ Σ w_i + ½ Σ w_i² r_i²`, `I = ½ Σ w_i²`;
//! - **REML**: `s = −½ tr(P) + ½ y'PPy`, `I = ½ tr(PP)`, where `Py = W r` and the traces are
//!   computed without forming the `m × m` matrix `P`:
//!   `tr(P) = Σ w_i − tr(Q X'W²X)`,
//!   `tr(PP) = Σ w_i² − 2 tr(Q X'W³X) + tr(Q X'W²X Q X'W²X)`;
//!   with unequal area-effect variances `σ²_u b_i²` ([`AreaData::with_effect_scale`]),
//!   `V_i = σ²_u b_i² + ψ_i`, `∂V/∂σ²_u = B = diag(b_i²)`, and the same formulas hold with
//!   `tr(PB)`, `y'PBPy = Σ b_i² w_i² r_i²` and `tr(PBPB)` (`c_i = w_i b_i²` in place of `w_i`
//!   where a `B` enters);
//! - **adjusted REML** (Li & Lahiri 2010, *J. Multivariate Analysis* 101, 882-892): maximises
//!   `log σ²_u + l_REML(σ²_u)`, so the score gains `1/σ²_u`; the adjusted likelihood is zero
//!   at `σ²_u = 0`, so the estimate is always positive and no area is shrunk entirely onto the
//!   regression line because the sample happened to look homogeneous. Its Fisher scoring adds
//!   the adjustment's curvature `1/σ⁴` to the REML information;
//! - **YL-adjusted REML** (Yoshimori & Lahiri 2014, *J. Multivariate Analysis* 124, 281-294):
//!   maximises `l_REML(σ²_u) + (1/m) log atan(t)`, `t = tr(I − B) = Σ γ_i`,
//!   `γ_i = σ²_u b_i² / (σ²_u b_i² + ψ_i)`. Also never zero (`atan(0) = 0`), but the adjustment
//!   shrinks as `1/m`, so its positive bias is of smaller order than Li-Lahiri's, which
//!   overstates `σ²_u` (and the MSEs) when the sampling variances are large relative to it.
//!   Score: `+ t' / (m atan(t) (1 + t²))`, `t' = Σ b_i² ψ_i w_i²`; the adjustment's
//!   curvature is added to the information where it is concave.
//!
//! A step that would lower the objective is halved until it does not (the likelihood can be
//! far from quadratic in `σ²_u`), and the iteration stops when the change of `σ²_u` is below
//! `1e-11 × (σ²_u + mean ψ)`: far below any figure's precision, above the rounding noise of
//! the scores. REML and ML are truncated at zero (when the score at zero is negative the maximum on
//! `[0, ∞)` is at the boundary). The start is the median of the sampling variances, as in
//! the independent R check shipped with the oracles.
//!
//! (About 710 lines: the area table's checks and the four variance estimators' scores and
//! information share one Fisher-scoring loop; they are kept in one file so the loop and every
//! estimator's terms read together.)

use std::sync::Arc;

use nalgebra::{Cholesky, DMatrix, DVector, Dyn};

use crate::SmallAreaError;

/// Name of the intercept column, as R prints it.
pub const INTERCEPT: &str = "(Intercept)";

/// How the variance of the area effects is estimated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VarianceMethod {
    /// Restricted (residual) maximum likelihood.
    Reml,
    /// Maximum likelihood.
    Ml,
    /// Li & Lahiri's (2010) adjusted residual maximum likelihood: never zero.
    AdjustedReml,
    /// Yoshimori & Lahiri's (2014) adjusted residual maximum likelihood: never zero, with a
    /// smaller bias than Li-Lahiri's.
    AdjustedRemlYl,
}

impl VarianceMethod {
    /// The short name used on the command line, in files and in figure labels.
    pub fn code(self) -> &'static str {
        match self {
            VarianceMethod::Reml => "reml",
            VarianceMethod::Ml => "ml",
            VarianceMethod::AdjustedReml => "adjusted-reml",
            VarianceMethod::AdjustedRemlYl => "adjusted-reml-yl",
        }
    }

    /// Parses [`VarianceMethod::code`].
    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "reml" => Some(VarianceMethod::Reml),
            "ml" => Some(VarianceMethod::Ml),
            "adjusted-reml" | "areml" => Some(VarianceMethod::AdjustedReml),
            "adjusted-reml-yl" | "yl" => Some(VarianceMethod::AdjustedRemlYl),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            VarianceMethod::Reml => "REML",
            VarianceMethod::Ml => "ML",
            VarianceMethod::AdjustedReml => "adjusted REML",
            VarianceMethod::AdjustedRemlYl => "YL-adjusted REML",
        }
    }
}

/// The areas of one model: direct estimates, their sampling variances and the covariates.
///
/// Built by [`AreaData::new`], which refuses what would give a meaningless fit: non-finite
/// values, non-positive sampling variances, duplicate areas, collinear covariates, fewer
/// areas than coefficients + 2.
#[derive(Debug, Clone)]
pub struct AreaData {
    areas: Arc<[String]>,
    direct: DVector<f64>,
    sampling_variance: DVector<f64>,
    /// `b_i²`: the area effect's variance is `σ²_u b_i²` (all 1 in the basic model).
    effect_scale: DVector<f64>,
    covariate_names: Arc<[String]>,
    x: Arc<DMatrix<f64>>,
}

impl AreaData {
    /// Areas with direct estimates `direct`, sampling variances `sampling_variance` (squared
    /// standard errors) and named covariates; an intercept is added first.
    pub fn new(
        areas: Vec<String>,
        direct: Vec<f64>,
        sampling_variance: Vec<f64>,
        covariates: Vec<(String, Vec<f64>)>,
    ) -> Result<Self, SmallAreaError> {
        let m = areas.len();
        for (name, values) in [
            ("direct estimate", &direct),
            ("sampling variance", &sampling_variance),
        ] {
            if values.len() != m {
                return Err(SmallAreaError::LengthMismatch {
                    covariate: name.to_string(),
                    found: values.len(),
                    expected: m,
                });
            }
        }
        let mut seen = std::collections::HashSet::with_capacity(m);
        for a in &areas {
            if !seen.insert(a.as_str()) {
                return Err(SmallAreaError::DuplicateArea { area: a.clone() });
            }
        }
        for i in 0..m {
            if !direct[i].is_finite() {
                return Err(SmallAreaError::NotFinite {
                    area: areas[i].clone(),
                    what: "the direct estimate",
                    value: direct[i],
                });
            }
            let v = sampling_variance[i];
            if !v.is_finite() {
                return Err(SmallAreaError::NotFinite {
                    area: areas[i].clone(),
                    what: "the sampling variance",
                    value: v,
                });
            }
            if v <= 0.0 {
                return Err(SmallAreaError::NonPositiveVariance {
                    area: areas[i].clone(),
                    value: v,
                });
            }
        }
        let x = design_matrix(&areas, &covariates)?;
        let p = x.ncols();
        if m < p + 2 {
            return Err(SmallAreaError::TooFewAreas {
                areas: m,
                parameters: p,
                needed: p + 2,
            });
        }
        let mut covariate_names = vec![INTERCEPT.to_string()];
        covariate_names.extend(covariates.into_iter().map(|(n, _)| n));
        check_full_rank(&x, &covariate_names)?;
        Ok(AreaData {
            areas: areas.into(),
            direct: DVector::from_vec(direct),
            effect_scale: DVector::from_element(m, 1.0),
            sampling_variance: DVector::from_vec(sampling_variance),
            covariate_names: covariate_names.into(),
            x: Arc::new(x),
        })
    }

    /// The same areas and covariates with other direct estimates and variances (used by the
    /// bootstrap and by transforms); the checks on the covariates are not repeated.
    pub(crate) fn with_values(
        &self,
        direct: DVector<f64>,
        sampling_variance: DVector<f64>,
    ) -> Self {
        AreaData {
            areas: self.areas.clone(),
            direct,
            sampling_variance,
            effect_scale: self.effect_scale.clone(),
            covariate_names: self.covariate_names.clone(),
            x: self.x.clone(),
        }
    }

    /// Area effects with unequal variances, `Var(u_i) = σ²_u b_i²` with known `b_i² > 0`
    /// (Rao & Molina 2015, §6.1.1: `θ_i = x_i'β + b_i u_i`). Used when the true values of small
    /// populations scatter more around the regression than those of large ones, e.g.
    /// `b_i² = N̄ / N_i` for area populations `N_i`.
    pub fn with_effect_scale(mut self, effect_scale: Vec<f64>) -> Result<Self, SmallAreaError> {
        if effect_scale.len() != self.len() {
            return Err(SmallAreaError::LengthMismatch {
                covariate: "effect scale".into(),
                found: effect_scale.len(),
                expected: self.len(),
            });
        }
        if let Some(i) = effect_scale
            .iter()
            .position(|b| !(b.is_finite() && *b > 0.0))
        {
            return Err(SmallAreaError::InvalidArea {
                area: self.areas[i].clone(),
                message: format!("effect scale {} is not a positive number", effect_scale[i]),
            });
        }
        self.effect_scale = DVector::from_vec(effect_scale);
        Ok(self)
    }

    /// `b_i²` of every area.
    pub fn effect_scale(&self) -> &DVector<f64> {
        &self.effect_scale
    }

    pub fn len(&self) -> usize {
        self.areas.len()
    }

    pub fn is_empty(&self) -> bool {
        self.areas.is_empty()
    }

    pub fn areas(&self) -> &[String] {
        &self.areas
    }

    pub fn direct(&self) -> &DVector<f64> {
        &self.direct
    }

    pub fn sampling_variance(&self) -> &DVector<f64> {
        &self.sampling_variance
    }

    /// Names of the regression coefficients: `(Intercept)` then the covariates.
    pub fn covariate_names(&self) -> &[String] {
        &self.covariate_names
    }

    /// The `m × p` design matrix (intercept first).
    pub fn design_matrix(&self) -> &DMatrix<f64> {
        &self.x
    }
}

fn design_matrix(
    areas: &[String],
    covariates: &[(String, Vec<f64>)],
) -> Result<DMatrix<f64>, SmallAreaError> {
    let m = areas.len();
    let p = covariates.len() + 1;
    let mut x = DMatrix::from_element(m, p, 1.0);
    for (j, (name, values)) in covariates.iter().enumerate() {
        if values.len() != m {
            return Err(SmallAreaError::LengthMismatch {
                covariate: name.clone(),
                found: values.len(),
                expected: m,
            });
        }
        for (i, &v) in values.iter().enumerate() {
            if !v.is_finite() {
                return Err(SmallAreaError::InvalidArea {
                    area: areas[i].clone(),
                    message: format!("covariate `{name}` is {v}, expected a finite number"),
                });
            }
            x[(i, j + 1)] = v;
        }
    }
    Ok(x)
}

/// Modified Gram-Schmidt over the columns: a column whose residual after projection on the
/// columns before it is below 1e-9 of its norm is (numerically) in their span.
fn check_full_rank(x: &DMatrix<f64>, names: &[String]) -> Result<(), SmallAreaError> {
    let mut basis: Vec<DVector<f64>> = Vec::with_capacity(x.ncols());
    for (j, name) in names.iter().enumerate().take(x.ncols()) {
        let column = x.column(j).into_owned();
        let norm = column.norm();
        let mut r = column;
        for q in &basis {
            let c = q.dot(&r);
            r.axpy(-c, q, 1.0);
        }
        let rn = r.norm();
        if norm == 0.0 || rn <= 1e-9 * norm {
            return Err(SmallAreaError::Collinear {
                covariate: name.clone(),
            });
        }
        basis.push(r / rn);
    }
    Ok(())
}

/// Iteration controls of the fit.
#[derive(Debug, Clone, Copy)]
pub struct FitOptions {
    pub max_iterations: usize,
    /// Convergence when the change of `σ²_u` is below `tolerance × (σ²_u + mean ψ)`.
    pub tolerance: f64,
    /// Starting value of `σ²_u` (default: the median sampling variance). The bootstrap starts
    /// its refits at the original estimate.
    pub start: Option<f64>,
}

impl Default for FitOptions {
    fn default() -> Self {
        FitOptions {
            max_iterations: 200,
            tolerance: 1e-11,
            start: None,
        }
    }
}

/// A fitted Fay-Herriot model.
#[derive(Debug, Clone)]
pub struct FayHerriotFit {
    pub method: VarianceMethod,
    /// Estimated variance of the area effects, `σ̂²_u`.
    pub sigma2_u: f64,
    /// Regression coefficients `β̂`, in the order of [`AreaData::covariate_names`].
    pub coefficients: Vec<f64>,
    /// Their standard errors, `sqrt(diag((X'V̂⁻¹X)⁻¹))`.
    pub coefficient_se: Vec<f64>,
    pub covariate_names: Vec<String>,
    /// Fisher-scoring iterations used.
    pub iterations: usize,
    /// True when REML or ML put `σ̂²_u` at the boundary 0 (every area is then shrunk fully
    /// onto the regression line: a warning sign, not a success).
    pub at_boundary: bool,
    /// The maximised (restricted, for REML) log-likelihood (for adjusted REML: the REML
    /// log-likelihood at the estimate).
    pub log_likelihood: f64,
    /// `(X'V̂⁻¹X)⁻¹`.
    pub(crate) q: DMatrix<f64>,
    /// Fisher information of `σ²_u` at the estimate (REML's for adjusted REML).
    pub(crate) information: f64,
}

impl FayHerriotFit {
    /// `x'β̂` for a row of covariates (without the intercept: it is added).
    pub fn linear_predictor(&self, covariates: &[f64]) -> f64 {
        self.coefficients[0]
            + self.coefficients[1..]
                .iter()
                .zip(covariates)
                .map(|(b, x)| b * x)
                .sum::<f64>()
    }

    /// Asymptotic variance of `σ̂²_u`, the inverse Fisher information.
    pub fn sigma2_u_variance(&self) -> f64 {
        1.0 / self.information
    }
}

/// Quantities of the profiled likelihood at one value of `σ²_u`.
pub(crate) struct Profile {
    pub w: DVector<f64>,
    pub q: DMatrix<f64>,
    pub beta: DVector<f64>,
    pub residual: DVector<f64>,
}

pub(crate) fn profile(data: &AreaData, sigma2: f64) -> Profile {
    let w = data
        .sampling_variance
        .zip_map(&data.effect_scale, |psi, b2| 1.0 / (sigma2 * b2 + psi));
    let x: &DMatrix<f64> = &data.x;
    let (m, p) = x.shape();
    let q = invert_spd(cross(x, &w));
    // X'Wy, β̂ = Q X'Wy and r = y − Xβ̂ without `p × m` temporaries (this runs for every Fisher
    // step of every bootstrap refit), over the contiguous columns of X.
    let xs = x.as_slice();
    let column = |j: usize| &xs[j * m..(j + 1) * m];
    let (wv, y) = (w.as_slice(), data.direct.as_slice());
    let mut xtwy = DVector::zeros(p);
    for j in 0..p {
        xtwy[j] = column(j)
            .iter()
            .zip(wv)
            .zip(y)
            .map(|((x, w), y)| x * w * y)
            .sum();
    }
    let beta = &q * xtwy;
    let mut fitted = vec![0.0; m];
    for j in 0..p {
        for (f, x) in fitted.iter_mut().zip(column(j)) {
            *f += x * beta[j];
        }
    }
    let residual = DVector::from_fn(m, |i, _| data.direct[i] - fitted[i]);
    Profile {
        w,
        q,
        beta,
        residual,
    }
}

/// `X' diag(w) X` for a small `p`, accumulated column pair by column pair over the contiguous
/// columns of `X`.
fn cross(x: &DMatrix<f64>, w: &DVector<f64>) -> DMatrix<f64> {
    let (m, p) = x.shape();
    let xs = x.as_slice();
    let w = w.as_slice();
    let mut a = DMatrix::zeros(p, p);
    for j in 0..p {
        let xj = &xs[j * m..(j + 1) * m];
        for k in j..p {
            let xk = &xs[k * m..(k + 1) * m];
            let v: f64 = xj.iter().zip(w).zip(xk).map(|((a, w), b)| a * w * b).sum();
            a[(j, k)] = v;
            a[(k, j)] = v;
        }
    }
    a
}

/// `X' diag(a) X` and `X' diag(b) X` in one pass over the columns (each sum in the order of
/// [`cross`]).
fn cross_pair(
    x: &DMatrix<f64>,
    a: &DVector<f64>,
    b: &DVector<f64>,
) -> (DMatrix<f64>, DMatrix<f64>) {
    let (m, p) = x.shape();
    let xs = x.as_slice();
    let (a, b) = (a.as_slice(), b.as_slice());
    let mut ma = DMatrix::zeros(p, p);
    let mut mb = DMatrix::zeros(p, p);
    for j in 0..p {
        let xj = &xs[j * m..(j + 1) * m];
        for k in j..p {
            let xk = &xs[k * m..(k + 1) * m];
            let (mut sa, mut sb) = (0.0, 0.0);
            for i in 0..m {
                sa += xj[i] * a[i] * xk[i];
                sb += xj[i] * b[i] * xk[i];
            }
            (ma[(j, k)], ma[(k, j)]) = (sa, sa);
            (mb[(j, k)], mb[(k, j)]) = (sb, sb);
        }
    }
    (ma, mb)
}

/// Inverse of a symmetric positive definite `p × p` matrix. Full rank of `X` was checked
/// when the data were built and `V` is positive, so Cholesky cannot fail unless the
/// covariates are numerically degenerate; then the LU inverse is used.
fn invert_spd(a: DMatrix<f64>) -> DMatrix<f64> {
    match Cholesky::<f64, Dyn>::new(a.clone()) {
        Some(c) => c.inverse(),
        None => a
            .try_inverse()
            .unwrap_or_else(|| DMatrix::from_element(1, 1, f64::NAN)),
    }
}

/// Score and Fisher information of `σ²_u` for a method; `log_lik` is the (restricted) log
/// likelihood at `σ²`.
pub(crate) struct Scoring {
    pub score: f64,
    pub information: f64,
    pub log_lik: f64,
}

pub(crate) fn scoring(
    data: &AreaData,
    method: VarianceMethod,
    sigma2: f64,
    pr: &Profile,
) -> Scoring {
    let m = data.len() as f64;
    let p = data.x.ncols() as f64;
    let w = &pr.w;
    let b2 = &data.effect_scale;
    // c_i = w_i b_i² = ∂V_i/∂σ² / V_i (b_i = 1: c = w).
    let c = w.component_mul(b2);
    let sum_c: f64 = c.sum();
    let sum_c2: f64 = c.iter().map(|v| v * v).sum();
    // y'PBPy = Σ b_i² (w_i r_i)².
    let ypbpy: f64 = w
        .iter()
        .zip(pr.residual.iter())
        .zip(b2.iter())
        .map(|((w, r), b2)| b2 * (w * r).powi(2))
        .sum();
    let rwr: f64 = w
        .iter()
        .zip(pr.residual.iter())
        .map(|(w, r)| w * r * r)
        .sum();
    let log_det_v: f64 = w.iter().map(|w| -w.ln()).sum();
    let ln2pi = (2.0 * std::f64::consts::PI).ln();
    match method {
        VarianceMethod::Ml => Scoring {
            score: -0.5 * sum_c + 0.5 * ypbpy,
            information: 0.5 * sum_c2,
            log_lik: -0.5 * (m * ln2pi + log_det_v + rwr),
        },
        VarianceMethod::Reml | VarianceMethod::AdjustedReml | VarianceMethod::AdjustedRemlYl => {
            // tr(PB) = Σ c − tr(Q X' diag(w c) X);
            // tr(PBPB) = Σ c² − 2 tr(Q X' diag(w c²) X) + tr((Q X' diag(w c) X)²).
            let wc = w.component_mul(&c);
            let wc2 = wc.component_mul(&c);
            let (xwcx, xwc2x) = cross_pair(&data.x, &wc, &wc2);
            let qx = &pr.q * xwcx;
            let tr_pb = sum_c - qx.trace();
            let tr_pbpb = sum_c2 - 2.0 * (&pr.q * xwc2x).trace() + (&qx * &qx).trace();
            let log_det_a = -pr.q.determinant().ln();
            let log_lik = -0.5 * ((m - p) * ln2pi + log_det_v + log_det_a + rwr);
            let mut score = -0.5 * tr_pb + 0.5 * ypbpy;
            match method {
                VarianceMethod::AdjustedReml => score += 1.0 / sigma2,
                VarianceMethod::AdjustedRemlYl => score += yl_adjustment(data, sigma2).1,
                _ => {}
            }
            Scoring {
                score,
                information: 0.5 * tr_pbpb,
                log_lik,
            }
        }
    }
}

/// Yoshimori-Lahiri adjustment `(1/m) log atan(t)`, `t = Σ γ_i`, with its first and second
/// derivatives in `σ²_u` (see the module docs).
pub(crate) fn yl_adjustment(data: &AreaData, sigma2: f64) -> (f64, f64, f64) {
    let m = data.len() as f64;
    let (mut t, mut dt, mut d2t) = (0.0, 0.0, 0.0);
    for (psi, b2) in data.sampling_variance.iter().zip(data.effect_scale.iter()) {
        let w = 1.0 / (sigma2 * b2 + psi);
        t += sigma2 * b2 * w;
        dt += b2 * psi * w * w;
        d2t -= 2.0 * b2 * b2 * psi * w * w * w;
    }
    let a = t.atan();
    let u = 1.0 + t * t;
    let value = a.ln() / m;
    let first = dt / (m * a * u);
    let second = (d2t * a * u - dt * dt * (1.0 + 2.0 * t * a)) / (m * (a * u).powi(2));
    (value, first, second)
}

/// Fits the model by Fisher scoring (see the module docs).
pub fn fit(
    data: &AreaData,
    method: VarianceMethod,
    options: FitOptions,
) -> Result<FayHerriotFit, SmallAreaError> {
    let psi = &data.sampling_variance;
    let mut sorted: Vec<f64> = psi.iter().copied().collect();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    let median = if n % 2 == 1 {
        sorted[n / 2]
    } else {
        0.5 * (sorted[n / 2 - 1] + sorted[n / 2])
    };
    let scale = psi.mean();
    let mut sigma2 = options
        .start
        .filter(|s| s.is_finite() && *s > 0.0)
        .unwrap_or(median);
    let mut at_boundary = false;
    let mut iterations = 0;
    let mut last_change = f64::INFINITY;
    let mut converged = false;
    let objective = |v: f64, log_lik: f64| match method {
        VarianceMethod::AdjustedReml => log_lik + v.ln(),
        VarianceMethod::AdjustedRemlYl => log_lik + yl_adjustment(data, v).0,
        _ => log_lik,
    };
    // The profile and scores at the current `σ²_u`, kept for the result.
    let mut pr = profile(data, sigma2);
    let mut s = scoring(data, method, sigma2, &pr);
    while iterations < options.max_iterations {
        iterations += 1;
        // For adjusted REML the curvature of the adjustment `log σ²`, `1/σ⁴`, is added to the
        // information: without it the steps oscillate when the REML maximum is near zero.
        let curvature = match method {
            VarianceMethod::AdjustedReml => s.information + 1.0 / (sigma2 * sigma2),
            VarianceMethod::AdjustedRemlYl => {
                s.information + (-yl_adjustment(data, sigma2).2).max(0.0)
            }
            _ => s.information,
        };
        let step = s.score / curvature;
        let mut next = sigma2 + step;
        if next <= 0.0 {
            match method {
                VarianceMethod::AdjustedReml | VarianceMethod::AdjustedRemlYl => {
                    next = 0.5 * sigma2
                }
                VarianceMethod::Reml | VarianceMethod::Ml => {
                    let pr0 = profile(data, 0.0);
                    let s0 = scoring(data, method, 0.0, &pr0);
                    if s0.score <= 0.0 {
                        (sigma2, pr, s) = (0.0, pr0, s0);
                        at_boundary = true;
                        converged = true;
                        break;
                    }
                    next = 0.5 * sigma2;
                }
            }
        }
        // Safeguard: a step that lowers the objective (a Fisher step overshooting where the
        // likelihood is far from quadratic) is halved until it does not. The evaluation at the
        // accepted point is the next iteration's.
        let current = objective(sigma2, s.log_lik);
        let mut pr_next = profile(data, next);
        let mut s_next = scoring(data, method, next, &pr_next);
        for _ in 0..40 {
            let at_next = objective(next, s_next.log_lik);
            if at_next >= current - 1e-12 * current.abs() {
                break;
            }
            next = sigma2 + 0.5 * (next - sigma2);
            pr_next = profile(data, next);
            s_next = scoring(data, method, next, &pr_next);
        }
        last_change = (next - sigma2).abs();
        (sigma2, pr, s) = (next, pr_next, s_next);
        if last_change <= options.tolerance * (sigma2 + scale) {
            converged = true;
            break;
        }
    }
    if !converged || !sigma2.is_finite() {
        return Err(SmallAreaError::NoConvergence {
            method: method.name(),
            iterations,
            last_change,
        });
    }
    // Adjusted REML's curvature includes −1/σ⁴ from the adjustment; its MSE (Li & Lahiri)
    // uses the REML information, which is what `scoring` returns for it.
    let information = s.information;
    let coefficient_se = (0..pr.q.nrows()).map(|j| pr.q[(j, j)].sqrt()).collect();
    Ok(FayHerriotFit {
        method,
        sigma2_u: sigma2,
        coefficients: pr.beta.iter().copied().collect(),
        coefficient_se,
        covariate_names: data.covariate_names.to_vec(),
        iterations,
        at_boundary,
        log_likelihood: s.log_lik,
        q: pr.q,
        information,
    })
}

/// The log-likelihood of `σ²_u` for a method with `β` profiled out: ML's, or the restricted
/// one for REML and adjusted REML (without the adjustment term `log σ²_u`).
pub fn log_likelihood(data: &AreaData, method: VarianceMethod, sigma2: f64) -> f64 {
    let pr = profile(data, sigma2);
    scoring(data, method, sigma2, &pr).log_lik
}

/// The model at a given area variance `sigma2` (no estimation of `σ²_u`): the coefficients,
/// EBLUPs and MSE formulas of `method` evaluated there. For comparing with other software
/// at its estimate, and for sensitivity analyses.
pub fn fit_at(
    data: &AreaData,
    method: VarianceMethod,
    sigma2: f64,
) -> Result<FayHerriotFit, SmallAreaError> {
    if !(sigma2.is_finite() && sigma2 >= 0.0) {
        return Err(SmallAreaError::InvalidArgument(format!(
            "the area variance must be a non-negative number, got {sigma2}"
        )));
    }
    let pr = profile(data, sigma2);
    let s = scoring(data, method, sigma2, &pr);
    Ok(FayHerriotFit {
        method,
        sigma2_u: sigma2,
        coefficients: pr.beta.iter().copied().collect(),
        coefficient_se: (0..pr.q.nrows()).map(|j| pr.q[(j, j)].sqrt()).collect(),
        covariate_names: data.covariate_names.to_vec(),
        iterations: 0,
        at_boundary: sigma2 == 0.0,
        log_likelihood: s.log_lik,
        q: pr.q,
        information: s.information,
    })
}
