//! The release pipeline: every catalogue indicator computed from the harmonised input store,
//! with the small-area models beside the direct figures, and the release's export files.
//!
//! [`compute_release`] runs [`engine::compute_source`] once per source (one DataFusion scan of
//! its partitions: the per-stratum, per-PSU sums every domain needs), estimates every domain,
//! gap and pooled period with `incity-estimation`, applies the publication rules, and then fits
//! the [small-area models](small_area) where the catalogue asks for them. [`export`] writes a
//! release's published figures as CSV, Parquet or SDMX-CSV.
//!
//! This is the only crate above `incity-data` that knows DataFusion. It must not know the
//! database (`incity-store` publishes what it returns) or HTTP. Entry point:
//! [`compute_release`].

pub mod engine;
pub mod export;
pub mod small_area;

use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use incity_data::DataError;
use incity_estimation::EstimationError;
use incity_indicators::catalogue::Catalogue;
use incity_indicators::rules::{MissingCountryLimits, RuleSet};
use incity_indicators::{Provenance, Release};

pub use engine::SourceInput;

/// Why a release could not be computed or exported.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    /// Reading or scanning the input store failed (the error names the file and the cause).
    #[error(transparent)]
    Data(#[from] DataError),
    /// The publication rules cannot check a country's figures.
    #[error(transparent)]
    Rules(#[from] MissingCountryLimits),
    #[error("{0}")]
    Estimation(#[from] EstimationError),
    /// A broken invariant of the pipeline itself (a bug, not a problem of the input).
    #[error("internal error: {0}")]
    Internal(String),
    /// An export file could not be written.
    #[error("{file}: cannot be written: {reason}")]
    Export { file: PathBuf, reason: String },
}

/// A computed release and the report of its small-area models (fitted or not, with the
/// reason), which is shown by the run and not stored.
#[derive(Debug, Clone)]
pub struct ComputedRelease {
    pub release: Release,
    pub models: Vec<small_area::ModelRun>,
}

/// Settings of a pipeline run over the input store.
#[derive(Debug, Clone)]
pub struct ComputeSettings {
    pub inputs: Vec<SourceInput>,
    /// Lines describing every input partition (recorded in the provenance).
    pub input_descriptions: Vec<String>,
    /// Fingerprint of the inputs (see [`Provenance::input_sha256`]).
    pub input_sha256: String,
    pub synthetic: bool,
    pub generator_seed: Option<u64>,
    pub rules: RuleSet,
    /// Also compute pooled estimates over this many consecutive years (0 or 1: none).
    pub pool_years: u32,
    /// Area covariates for the small-area models (`None`: no model-based figures).
    pub covariates: Option<small_area::AreaCovariates>,
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Computes every catalogue indicator × geography × target group × sex × year for every
/// source, one scan per source.
pub async fn compute_release(
    settings: &ComputeSettings,
    catalogue: &Catalogue,
    progress: &(dyn Fn(&str) + Sync),
) -> Result<ComputedRelease, PipelineError> {
    let started_at = now();
    let mut figures = Vec::new();
    let mut direct_inputs = Vec::new();
    let mut changes = Vec::new();
    for input in &settings.inputs {
        let source = engine::compute_source(
            input,
            catalogue,
            &settings.rules,
            settings.pool_years,
            progress,
        )
        .await?;
        figures.extend(source.figures);
        direct_inputs.extend(source.direct_inputs);
        changes.extend(source.changes);
    }
    let mut models = Vec::new();
    if let (Some(covariates), Some(_)) = (&settings.covariates, &catalogue.small_area) {
        progress("small-area models");
        let (model_figures, runs) = small_area::model_based_figures(
            catalogue,
            &figures,
            &direct_inputs,
            covariates,
            &settings.rules,
        );
        figures.extend(model_figures);
        models = runs;
    }
    let with_models = models.iter().any(|m| m.skipped.is_none());
    let sources: Vec<&str> = settings.inputs.iter().map(|i| i.source.as_str()).collect();
    let release = Release {
        provenance: Provenance {
            input_file: format!(
                "input store ({} partitions)",
                settings.input_descriptions.len()
            ),
            input_sha256: settings.input_sha256.clone(),
            source: sources.join(", "),
            synthetic: settings.synthetic,
            generator_seed: settings.generator_seed,
            catalogue_version: catalogue.version.clone(),
            method: method_description(settings.pool_years, &settings.rules)
                + &if with_models {
                    small_area_description(catalogue, settings)
                } else {
                    String::new()
                },
            software_version: env!("CARGO_PKG_VERSION").into(),
            started_at,
            finished_at: now(),
            inputs: settings.input_descriptions.clone(),
            rules: settings.rules.describe(),
        },
        figures,
        changes,
    };
    Ok(ComputedRelease { release, models })
}

/// How the model-based figures of a release were made (appended to the method text).
fn small_area_description(catalogue: &Catalogue, settings: &ComputeSettings) -> String {
    let Some(sa) = &catalogue.small_area else {
        return String::new();
    };
    format!(
        "; model-based figures beside flagged or suppressed direct figures at the {} levels: \
         Fay-Herriot area-level models ({}, arcsine-square-root scale, bias-corrected \
         back-transformation, RMSE by parametric bootstrap with {} replicates), covariates from \
         {} and the national direct estimate, as named per indicator in the catalogue",
        sa.levels.join(", "),
        sa.method,
        sa.replicates,
        settings
            .covariates
            .as_ref()
            .map_or("no table", |c| c.dataset.as_str())
    )
}

/// How a release's figures are estimated (recorded in its provenance), with the lonely-PSU
/// rule of each source.
pub fn method_description(pool_years: u32, rules: &RuleSet) -> String {
    let mut lonely = format!("single-PSU strata: {}", rules.lonely_psu.describe());
    for (source, rule) in &rules.lonely_psu_by_source {
        lonely.push_str(&format!(", {source}: {}", rule.describe()));
    }
    let mut text = format!(
        "direct design-based estimates from the harmonised input store, one scan per source; \
         Taylor linearisation, with-replacement first stage (strata and PSUs of the input; \
         {lonely}); 95 % intervals on the design degrees of freedom (PSUs minus strata where \
         the domain has respondents): logit for shares, Korn-Graubard for shares of 0 % or \
         100 % or with fewer than 5 effective respondents on the rarer side, Woodruff for \
         medians, t for gaps; a variance that cannot be estimated is not published; gaps with \
         the covariance of both groups, ratios of medians by the delta method; poverty \
         threshold 60 % of the national median",
    );
    if pool_years >= 2 {
        text.push_str(&format!(
            "; pooled estimates over {pool_years} consecutive years (strata by year, weights \
             divided by the years, each year's poverty threshold)"
        ));
    }
    text
}
