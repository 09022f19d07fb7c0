//! `incity sae`: a Fay-Herriot model over a table of areas.

use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::ValueEnum;
use incity_data::area_table::{read_area_table, AreaColumn};
use incity_small_area::{
    diagnose, estimate_small_areas, smooth_share_variances, AreaInput, FitOptions, MseMethod,
    SmallAreaEstimate, SmallAreaModel, Transform, VarianceMethod,
};

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MethodArg {
    Reml,
    Ml,
    AdjustedReml,
    AdjustedRemlYl,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MseArg {
    Analytic,
    Bootstrap,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TransformArg {
    None,
    Arcsin,
    Log,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Csv,
    Json,
}

#[derive(clap::Args)]
pub struct SaeArgs {
    /// The table of areas, one row per area (CSV or Parquet).
    #[arg(long)]
    data: PathBuf,
    /// Column naming the area.
    #[arg(long)]
    area: String,
    /// Column of the direct estimates.
    #[arg(long)]
    estimate: String,
    /// Column of their sampling variances (squared standard errors).
    #[arg(long)]
    variance: String,
    /// Covariate columns, comma-separated (an intercept is always included).
    #[arg(long, value_delimiter = ',')]
    covariates: Vec<String>,
    /// Estimator of the area-effect variance.
    #[arg(long, value_enum, default_value = "reml")]
    method: MethodArg,
    /// MSE estimator: analytic (Prasad-Rao, Datta-Lahiri, Li-Lahiri) or parametric bootstrap.
    #[arg(long, value_enum, default_value = "analytic")]
    mse: MseArg,
    /// Bootstrap replicates.
    #[arg(long, default_value_t = 500)]
    replicates: usize,
    /// Seed of the bootstrap.
    #[arg(long, default_value_t = 20_261_204)]
    seed: u64,
    /// Scale of the model: none, arcsin (shares, needs --n) or log (positive statistics).
    #[arg(long, value_enum, default_value = "none")]
    transform: TransformArg,
    /// Column of the respondents per area (needed for --transform arcsin).
    #[arg(long)]
    n: Option<String>,
    /// Column of `b_i²`: area effects with unequal variances `σ²_u b_i²` (e.g. the median
    /// population over the area's population, when small areas scatter more).
    #[arg(long)]
    effect_scale: Option<String>,
    #[arg(long, value_enum, default_value = "csv")]
    output_format: OutputFormat,
    /// Output file (standard output when absent).
    #[arg(long)]
    out: Option<PathBuf>,
}

pub async fn run(a: SaeArgs) -> anyhow::Result<()> {
    let transform = match a.transform {
        TransformArg::None => Transform::None,
        TransformArg::Arcsin => Transform::ArcsinSqrt,
        TransformArg::Log => Transform::Log,
    };
    if transform == Transform::ArcsinSqrt && a.n.is_none() {
        bail!("--transform arcsin needs --n COLUMN (the respondents per area)");
    }
    if transform != Transform::None && a.mse == MseArg::Analytic {
        bail!(
            "with --transform {} the MSE on the original scale is estimated by the bootstrap: \
             add --mse bootstrap",
            transform.code()
        );
    }
    let method = match a.method {
        MethodArg::Reml => VarianceMethod::Reml,
        MethodArg::Ml => VarianceMethod::Ml,
        MethodArg::AdjustedReml => VarianceMethod::AdjustedReml,
        MethodArg::AdjustedRemlYl => VarianceMethod::AdjustedRemlYl,
    };
    let mut columns = vec![
        AreaColumn {
            name: &a.estimate,
            role: "direct estimate",
        },
        AreaColumn {
            name: &a.variance,
            role: "sampling variance",
        },
    ];
    if let Some(n) = &a.n {
        columns.push(AreaColumn {
            name: n,
            role: "respondents",
        });
    }
    if let Some(b) = &a.effect_scale {
        columns.push(AreaColumn {
            name: b,
            role: "effect scale",
        });
    }
    for c in &a.covariates {
        columns.push(AreaColumn {
            name: c,
            role: "covariate",
        });
    }
    let mut table = read_area_table(&a.data, &a.area, &columns).await?;
    let covariate_values = table
        .columns
        .split_off(2 + usize::from(a.n.is_some()) + usize::from(a.effect_scale.is_some()));
    let effect_scale = a
        .effect_scale
        .is_some()
        .then(|| table.columns.pop().unwrap_or_default());
    let respondents =
        a.n.is_some()
            .then(|| table.columns.pop().unwrap_or_default());
    let variance = table.columns.pop().unwrap_or_default();
    let direct = table.columns.pop().unwrap_or_default();
    let design_effect = match (&respondents, transform) {
        (Some(n), Transform::ArcsinSqrt) => Some(
            smooth_share_variances(&direct, &variance, n)
                .context("design effect for the arcsine transform")?
                .design_effect,
        ),
        _ => None,
    };
    let mse = match a.mse {
        MseArg::Analytic => MseMethod::Analytic,
        MseArg::Bootstrap => MseMethod::Bootstrap {
            replicates: a.replicates,
            seed: a.seed,
        },
    };
    let input = AreaInput {
        areas: table.areas,
        direct,
        sampling_variance: variance,
        respondents,
        design_effect,
        covariates: a.covariates.iter().cloned().zip(covariate_values).collect(),
        effect_scale,
    };
    let model = SmallAreaModel {
        method,
        transform,
        mse,
        options: FitOptions::default(),
    };
    let result = estimate_small_areas(input, model)
        .with_context(|| format!("Fay-Herriot model on {}", a.data.display()))?;
    let text = match a.output_format {
        OutputFormat::Csv => to_csv(&result)?,
        OutputFormat::Json => to_json(&result, design_effect)?,
    };
    match &a.out {
        Some(path) => std::fs::write(path, text)
            .with_context(|| format!("cannot write {}", path.display()))?,
        None => {
            use std::io::Write;
            std::io::stdout().write_all(text.as_bytes())?;
        }
    }
    for w in warnings(&result) {
        tracing::warn!("{w}");
    }
    Ok(())
}

/// The label every model-based figure carries: model, variance method, scale, MSE method.
pub fn method_label(model: &SmallAreaModel) -> String {
    let mse = match (model.mse, model.method) {
        (MseMethod::Bootstrap { replicates, .. }, _) => format!("bootstrap-{replicates}"),
        (MseMethod::Analytic, VarianceMethod::Reml) => "prasad-rao".into(),
        (MseMethod::Analytic, VarianceMethod::Ml) => "datta-lahiri".into(),
        (MseMethod::Analytic, VarianceMethod::AdjustedReml) => "li-lahiri".into(),
        (MseMethod::Analytic, VarianceMethod::AdjustedRemlYl) => "yoshimori-lahiri".into(),
    };
    let scale = match model.transform {
        Transform::None => String::new(),
        t => format!(":{}", t.code()),
    };
    format!("fay-herriot:{}{scale}:{mse}", model.method.code())
}

fn warnings(r: &SmallAreaEstimate) -> Vec<String> {
    let mut w = Vec::new();
    if r.fit.at_boundary {
        w.push(format!(
            "{} put the area variance at 0: every area is shrunk onto the regression line; \
             consider --method adjusted-reml",
            r.model.method.code()
        ));
    }
    if r.failed_replicates > 0 {
        w.push(format!(
            "{} bootstrap replicates failed and were dropped",
            r.failed_replicates
        ));
    }
    w
}

fn to_csv(r: &SmallAreaEstimate) -> anyhow::Result<String> {
    let label = method_label(&r.model);
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "area",
        "direct",
        "direct_se",
        "estimate",
        "mse",
        "rmse",
        "ci_low",
        "ci_high",
        "cv",
        "gamma",
        "method",
    ])?;
    for a in &r.areas {
        w.write_record([
            a.area.clone(),
            a.direct.to_string(),
            a.direct_se.to_string(),
            a.estimate.to_string(),
            a.mse.to_string(),
            a.rmse().to_string(),
            a.ci_low.to_string(),
            a.ci_high.to_string(),
            a.cv().to_string(),
            a.gamma.to_string(),
            label.clone(),
        ])?;
    }
    Ok(String::from_utf8(w.into_inner()?)?)
}

fn to_json(r: &SmallAreaEstimate, design_effect: Option<f64>) -> anyhow::Result<String> {
    use serde_json::{json, Map, Value};
    let d = diagnose(&r.fit, &r.model_data, &r.areas);
    let label = method_label(&r.model);
    let mut coefficients = Map::new();
    let mut coefficient_se = Map::new();
    for (i, name) in r.fit.covariate_names.iter().enumerate() {
        coefficients.insert(name.clone(), r.fit.coefficients[i].into());
        coefficient_se.insert(name.clone(), r.fit.coefficient_se[i].into());
    }
    let (mse, replicates) = match r.model.mse {
        MseMethod::Analytic => ("analytic", Value::Null),
        MseMethod::Bootstrap { replicates, .. } => ("bootstrap", replicates.into()),
    };
    let areas: Vec<Value> = r
        .areas
        .iter()
        .zip(&d.standardised_residuals)
        .map(|(a, z)| {
            json!({
                "area": a.area, "direct": a.direct, "direct_se": a.direct_se,
                "estimate": a.estimate, "mse": a.mse, "rmse": a.rmse(),
                "ci_low": a.ci_low, "ci_high": a.ci_high, "cv": a.cv(), "gamma": a.gamma,
                "synthetic": a.model_scale.synthetic, "g1": a.model_scale.g1,
                "g2": a.model_scale.g2, "g3": a.model_scale.g3,
                "standardised_residual": z, "method": label,
            })
        })
        .collect();
    let doc = json!({
        "model": {
            "name": "Fay-Herriot",
            "method": r.model.method.code(),
            "transform": r.model.transform.code(),
            "mse": mse,
            "replicates": replicates,
            "failed_replicates": r.failed_replicates,
            "sigma2_u": r.fit.sigma2_u,
            "sigma2_u_at_boundary": r.fit.at_boundary,
            "coefficients": coefficients,
            "coefficient_se": coefficient_se,
            "iterations": r.fit.iterations,
            "log_likelihood": r.fit.log_likelihood,
            "design_effect": design_effect,
            "areas": r.areas.len(),
            "diagnostics": {
                "goodness_of_fit": d.goodness_of_fit,
                "goodness_of_fit_df": d.goodness_of_fit_df,
                "goodness_of_fit_p": d.goodness_of_fit_p,
                "aic": d.aic, "bic": d.bic,
                "poorly_fitted_areas": d.poorly_fitted,
                "median_direct_cv": d.median_direct_cv,
                "median_model_cv": d.median_model_cv,
            },
            "warnings": warnings(r),
        },
        "areas": areas,
    });
    Ok(serde_json::to_string_pretty(&doc)? + "\n")
}
