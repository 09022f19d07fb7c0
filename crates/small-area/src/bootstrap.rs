//! Parametric bootstrap MSE for the Fay-Herriot EBLUP.
//!
//! González-Manteiga, Lombardía, Molina, Morales & Santamaría (2008), "Analytic and bootstrap
//! approximations of prediction errors under a multivariate Fay-Herriot model", *Computational
//! Statistics & Data Analysis* 52, 5242-5252 (§3, univariate case); Rao & Molina (2015, §6.2.4).
//! From the fitted `β̂`, `σ̂²_u`, replicate `b = 1..B`:
//!
//! 1. draw `u*_i ~ N(0, σ̂²_u b_i²)`, `e*_i ~ N(0, ψ_i)`; the bootstrap truth is
//!    `θ*_i = h⁻¹(x_i'β̂ + u*_i)` and the bootstrap data `y*_i = x_i'β̂ + u*_i + e*_i`
//!    (`h` the transform, identity without one);
//! 2. refit the same model on `y*` (same method, same transform) and compute the estimator
//!    `θ̂*_i` on the original scale;
//! 3. `mse*_i = (1/B) Σ_b (θ̂*_i − θ*_i)²`.
//!
//! Replicate `b` draws from ChaCha8 seeded with `seed` on stream `b`, and the replicates are
//! summed in replicate order, so the result is identical to the bit on any number of threads.
//! A replicate whose refit fails (no convergence) is dropped and counted; more than 1 % failed
//! replicates is an error.

use nalgebra::DVector;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use rayon::prelude::*;

use crate::model::{AreaData, FayHerriotFit};
use crate::SmallAreaError;

/// Bootstrap MSE per area.
#[derive(Debug, Clone, PartialEq)]
pub struct BootstrapMse {
    pub mse: Vec<f64>,
    pub replicates: usize,
    /// Replicates dropped because their refit failed.
    pub failed: usize,
}

/// Parametric bootstrap MSE of an estimator.
///
/// `data` and `fit` are on the model (transformed) scale; `back` maps the model scale to the
/// original scale (identity without a transform); `estimator` refits on bootstrap data and
/// returns the estimates on the original scale, one per area, in the order of `data`.
pub fn bootstrap_mse<E>(
    data: &AreaData,
    fit: &FayHerriotFit,
    back: fn(f64) -> f64,
    estimator: E,
    replicates: usize,
    seed: u64,
) -> Result<BootstrapMse, SmallAreaError>
where
    E: Fn(&AreaData) -> Result<Vec<f64>, SmallAreaError> + Sync,
{
    if replicates == 0 {
        return Err(SmallAreaError::InvalidArgument(
            "the bootstrap needs at least one replicate".into(),
        ));
    }
    let m = data.len();
    let x = data.design_matrix();
    let beta = DVector::from_column_slice(&fit.coefficients);
    let mean = x * beta;
    let sd_u: Vec<f64> = data
        .effect_scale()
        .iter()
        .map(|b2| (fit.sigma2_u * b2).sqrt())
        .collect();
    let sd_e: Vec<f64> = data.sampling_variance().iter().map(|v| v.sqrt()).collect();
    let squared_errors: Vec<Option<Vec<f64>>> = (0..replicates)
        .into_par_iter()
        .map(|b| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            rng.set_stream(b as u64);
            let mut truth = Vec::with_capacity(m);
            let mut y = DVector::zeros(m);
            for i in 0..m {
                let u: f64 = StandardNormal.sample(&mut rng);
                let e: f64 = StandardNormal.sample(&mut rng);
                let theta = mean[i] + sd_u[i] * u;
                truth.push(back(theta));
                y[i] = theta + sd_e[i] * e;
            }
            let boot = data.with_values(y, data.sampling_variance().clone());
            estimator(&boot).ok().map(|est| {
                est.iter()
                    .zip(&truth)
                    .map(|(e, t)| (e - t) * (e - t))
                    .collect()
            })
        })
        .collect();
    let failed = squared_errors.iter().filter(|r| r.is_none()).count();
    if failed * 100 > replicates {
        return Err(SmallAreaError::InvalidArgument(format!(
            "{failed} of {replicates} bootstrap refits failed to converge; the model is not \
             stable enough for a bootstrap MSE"
        )));
    }
    let mut sum = vec![0.0; m];
    for r in squared_errors.iter().flatten() {
        for (s, v) in sum.iter_mut().zip(r) {
            *s += v;
        }
    }
    let used = (replicates - failed) as f64;
    Ok(BootstrapMse {
        mse: sum.into_iter().map(|s| s / used).collect(),
        replicates,
        failed,
    })
}
