//! Area-level small area estimation: the Fay-Herriot model, for the figures a survey cannot
//! give directly (a city's migrant group with thirty respondents).
//!
//! # The model
//!
//! Fay & Herriot (1979, *JASA* 74, 269-277). For areas `i = 1..m` the direct (design-based)
//! estimate `y_i` of the area's true value `θ_i` has a sampling error with known variance
//! `ψ_i`, and the true values follow a linear model in area covariates `x_i` (register data):
//!
//! ```text
//! y_i = θ_i + e_i,   e_i ~ N(0, ψ_i)          (sampling model)
//! θ_i = x_i'β + u_i, u_i ~ N(0, σ²_u)         (linking model)
//! ```
//!
//! so that `y_i ~ N(x_i'β, V_i)` independently with `V_i = σ²_u + ψ_i`. Given `σ²_u`, the
//! best linear unbiased predictor of `θ_i` shrinks the direct estimate towards the regression
//! ("synthetic") estimate with the factor `γ_i = σ²_u / (σ²_u + ψ_i)`:
//!
//! ```text
//! θ̂_i = x_i'β̂ + γ_i (y_i − x_i'β̂),   β̂ = (X'V⁻¹X)⁻¹ X'V⁻¹y
//! ```
//!
//! and the EBLUP plugs in an estimate of `σ²_u` ([`VarianceMethod`]: REML, ML, or the adjusted
//! REML of Li & Lahiri 2010 that never returns zero). References for each formula are in the
//! modules:
//!
//! - [`model`]: the area table ([`AreaData`]) with its checks, and the fit ([`fit`]) by Fisher
//!   scoring;
//! - [`prediction`]: EBLUPs and their analytic MSE (Prasad & Rao 1990, Datta & Lahiri 2000,
//!   Li & Lahiri 2010), synthetic estimates for areas without a sample;
//! - [`bootstrap`]: the parametric bootstrap MSE of González-Manteiga, Lombardía, Molina,
//!   Morales & Santamaría (2008), seeded and bit-reproducible on any number of threads;
//! - [`transform`]: the arcsine square-root transform for shares and the log transform for
//!   medians, with bias-corrected back-transformation;
//! - [`smoothing`]: smoothing of noisy direct sampling variances (design-effect and CV models);
//! - [`benchmarking`]: agreement of area estimates with the enclosing area's direct estimate;
//! - [`diagnostics`]: shrinkage factors, standardised residuals, a goodness-of-fit statistic,
//!   direct vs model CV.
//!
//! This crate is pure statistics: no files, SQL, HTTP or JSON. Callers hand it numbers and
//! names; errors name the area or covariate at fault. Entry points: [`estimate_small_areas`]
//! (a whole table of areas, with scale and MSE method) and [`fit`] / [`predict`] (the model
//! alone).

pub mod benchmarking;
pub mod bootstrap;
pub mod diagnostics;
pub mod model;
pub mod prediction;
pub mod smoothing;
pub mod transform;

pub use benchmarking::{ratio_benchmark, BenchmarkedEstimate};
pub use bootstrap::{bootstrap_mse, BootstrapMse};
pub use diagnostics::{diagnose, Diagnostics};
pub use model::{fit, AreaData, FayHerriotFit, FitOptions, VarianceMethod};
pub use prediction::{eblups, predict, synthetic, AreaPrediction, SyntheticPrediction};
pub use smoothing::{smooth_cv_variances, smooth_share_variances, SmoothedVariances};
pub use transform::{
    estimate_small_areas, AreaEstimate, AreaInput, MseMethod, SmallAreaEstimate, SmallAreaModel,
    Transform,
};

/// Why a small area model could not be fitted or used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SmallAreaError {
    #[error("area `{area}`: {what} is {value}, expected a finite number")]
    NotFinite {
        area: String,
        what: &'static str,
        value: f64,
    },
    #[error("area `{area}`: sampling variance {value} is not positive (smooth the variances or drop the area)")]
    NonPositiveVariance { area: String, value: f64 },
    #[error("area `{area}` appears twice")]
    DuplicateArea { area: String },
    #[error("covariate `{covariate}` has {found} values for {expected} areas")]
    LengthMismatch {
        covariate: String,
        found: usize,
        expected: usize,
    },
    #[error("{areas} areas are too few for a model with {parameters} regression coefficients (need at least {needed})")]
    TooFewAreas {
        areas: usize,
        parameters: usize,
        needed: usize,
    },
    #[error(
        "covariate `{covariate}` is collinear with the intercept and the covariates before it"
    )]
    Collinear { covariate: String },
    #[error("{method} did not converge in {iterations} Fisher-scoring iterations (last change of the area variance {last_change:e})")]
    NoConvergence {
        method: &'static str,
        iterations: usize,
        last_change: f64,
    },
    #[error("area `{area}`: {message}")]
    InvalidArea { area: String, message: String },
    #[error("{0}")]
    InvalidArgument(String),
}
