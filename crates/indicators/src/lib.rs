//! The indicator catalogue and the release pipeline.
//!
//! A [`Release`] is every figure of the [catalogue](catalogue::Catalogue) computed from the
//! harmonised input store (one scan per source, [`engine`]), with its provenance. The pipeline
//! knows nothing of databases or HTTP.

pub mod catalogue;
pub mod engine;
pub mod export;
pub mod official;
pub mod planner;
pub mod rules;
pub mod small_area;

use std::time::{SystemTime, UNIX_EPOCH};

use incity_data::DataError;
use incity_estimation::Estimate;

pub use catalogue::{Catalogue, Indicator};
pub use engine::SourceInput;

/// The shipped catalogue's indicators.
pub fn catalogue() -> &'static [Indicator] {
    &Catalogue::embedded().indicators
}

/// Geographic level of a figure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum GeoLevel {
    Country,
    Nuts1,
    Nuts2,
    /// Where the input codes regions at NUTS 3.
    Nuts3,
    /// Degree of urbanisation within a country (geo `AT-DEG1`).
    Degurba,
    City,
}

impl GeoLevel {
    pub const ALL: [GeoLevel; 6] = [
        GeoLevel::Country,
        GeoLevel::Nuts1,
        GeoLevel::Nuts2,
        GeoLevel::Nuts3,
        GeoLevel::Degurba,
        GeoLevel::City,
    ];

    pub fn code(self) -> &'static str {
        match self {
            GeoLevel::Country => "country",
            GeoLevel::Nuts1 => "nuts1",
            GeoLevel::Nuts2 => "nuts2",
            GeoLevel::Nuts3 => "nuts3",
            GeoLevel::Degurba => "degurba",
            GeoLevel::City => "city",
        }
    }

    pub fn from_code(s: &str) -> Option<Self> {
        GeoLevel::ALL.into_iter().find(|l| l.code() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            GeoLevel::Country => "Countries",
            GeoLevel::Nuts1 => "NUTS 1 regions",
            GeoLevel::Nuts2 => "NUTS 2 regions",
            GeoLevel::Nuts3 => "NUTS 3 regions",
            GeoLevel::Degurba => "Degree of urbanisation",
            GeoLevel::City => "Cities",
        }
    }
}

/// What a figure measures: the indicator in a group, or a gap between a group and its
/// reference group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    /// The indicator's value in the group.
    Level,
    /// Group minus reference group (percentage points for shares, euro for incomes).
    Difference,
    /// Group divided by reference group (for incomes).
    Ratio,
}

impl Measure {
    pub const ALL: [Measure; 3] = [Measure::Level, Measure::Difference, Measure::Ratio];

    pub fn code(self) -> &'static str {
        match self {
            Measure::Level => "level",
            Measure::Difference => "difference",
            Measure::Ratio => "ratio",
        }
    }

    pub fn from_code(s: &str) -> Option<Self> {
        Measure::ALL.into_iter().find(|m| m.code() == s)
    }

    pub fn is_gap(self) -> bool {
        self != Measure::Level
    }

    /// The word between the two group codes of a gap's group (`eu_born minus native`,
    /// `eu_born over native`).
    pub fn gap_word(self) -> Option<&'static str> {
        match self {
            Measure::Level => None,
            Measure::Difference => Some("minus"),
            Measure::Ratio => Some("over"),
        }
    }
}

/// One figure of a release.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    pub indicator: String,
    /// Input-store source (`lfs`, `silc`).
    pub source: String,
    /// First year of the reference period: `year` itself, or the first of the years pooled.
    pub first_year: i32,
    /// (Last) year of the reference period.
    pub year: i32,
    pub geo_level: GeoLevel,
    pub geo: String,
    /// `total`, or the grouping the group belongs to (`birth_group`, `citizenship_group`).
    pub grouping: String,
    /// `total`, a group code (`native`, `non_eu_citizens`, ...), or for gaps
    /// `eu_born minus native` (difference), `eu_born over native` (ratio).
    pub group: String,
    /// `T`, `M` or `F`.
    pub sex: String,
    pub measure: Measure,
    pub estimate: Estimate,
    /// Direct (design-based) or model-based.
    pub method: FigureMethod,
}

/// How a figure was estimated. A model-based figure is stored beside the direct figure of the
/// same cell, never in its place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FigureMethod {
    /// Design-based, from the survey alone (pooled when [`Figure::is_pooled`]).
    Direct,
    /// A small-area model's estimate; `model` names the model, the estimator of its area
    /// variance, its scale, its covariates and the MSE method.
    ModelBased { model: String },
}

impl FigureMethod {
    /// `direct` or `model`, as stored.
    pub fn code(&self) -> &'static str {
        match self {
            FigureMethod::Direct => "direct",
            FigureMethod::ModelBased { .. } => "model",
        }
    }

    /// The model's description, for a model-based figure.
    pub fn model(&self) -> Option<&str> {
        match self {
            FigureMethod::Direct => None,
            FigureMethod::ModelBased { model } => Some(model),
        }
    }
}

/// A figure's cell: indicator, first and last year, level, area, grouping, group, sex. A direct
/// and a model-based figure of the same cell share it.
pub type CellKey<'a> = (
    &'a str,
    i32,
    i32,
    GeoLevel,
    &'a str,
    &'a str,
    &'a str,
    &'a str,
);

impl Figure {
    /// The cell this figure is a figure of (its measure and method aside).
    pub fn cell(&self) -> CellKey<'_> {
        (
            self.indicator.as_str(),
            self.first_year,
            self.year,
            self.geo_level,
            self.geo.as_str(),
            self.grouping.as_str(),
            self.group.as_str(),
            self.sex.as_str(),
        )
    }

    /// The method as shown beside the figure: `direct`, `pooled direct` or `model-based`.
    pub fn method_label(&self) -> &'static str {
        match (&self.method, self.is_pooled()) {
            (FigureMethod::ModelBased { .. }, _) => "model-based",
            (FigureMethod::Direct, true) => "pooled direct",
            (FigureMethod::Direct, false) => "direct",
        }
    }

    /// Whether the figure pools several years.
    pub fn is_pooled(&self) -> bool {
        self.first_year != self.year
    }

    /// The reference period: `2024`, or `2022-2024` for pooled years.
    pub fn period(&self) -> String {
        if self.is_pooled() {
            format!("{}-{}", self.first_year, self.year)
        } else {
            self.year.to_string()
        }
    }
}

/// Where the figures came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Provenance {
    /// What was read: for a run over the input store, "input store (N partitions)".
    pub input_file: String,
    /// SHA-256 over the sorted partition checksums (the release's input fingerprint).
    pub input_sha256: String,
    pub source: String,
    pub synthetic: bool,
    pub generator_seed: Option<u64>,
    pub catalogue_version: String,
    pub method: String,
    pub software_version: String,
    pub started_at: i64,
    pub finished_at: i64,
    /// Every input partition: `source/country/year file sha256 rows mapping`.
    pub inputs: Vec<String>,
    /// The publication rules applied.
    pub rules: String,
}

/// All figures of one run of the pipeline.
#[derive(Debug, Clone, PartialEq)]
pub struct Release {
    pub provenance: Provenance,
    pub figures: Vec<Figure>,
    /// Every small-area model of the run, fitted or skipped (not stored: reported by the run).
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
    pub rules: rules::RuleSet,
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
) -> Result<Release, DataError> {
    let started_at = now();
    let mut figures = Vec::new();
    let mut direct_inputs = Vec::new();
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
    Ok(Release {
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
        models,
    })
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
pub fn method_description(pool_years: u32, rules: &rules::RuleSet) -> String {
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

/// The name of a country, NUTS region or city known to incity; degree-of-urbanisation
/// domains (`AT-DEG1`) are named by their country.
pub fn geo_name(code: &str) -> Option<String> {
    if let Some((country, d)) = code.split_once("-DEG") {
        let label = incity_data::geography::Degurba::from_code(d.parse().ok()?)?.label();
        return Some(format!(
            "{}: {}",
            incity_data::geography::geo_name(country)?,
            label.to_lowercase()
        ));
    }
    incity_data::geography::geo_name(code).map(str::to_string)
}

/// Human label of a target group code (or of a gap `A minus B`, `A over B`).
pub fn group_label(code: &str) -> String {
    fn one(c: &str) -> &str {
        Catalogue::embedded().group_label(c).unwrap_or(c)
    }
    if let Some((a, b)) = code.split_once(" minus ") {
        format!("Gap: {} − {}", one(a), one(b).to_lowercase())
    } else if let Some((a, b)) = code.split_once(" over ") {
        format!("Ratio: {} / {}", one(a), one(b).to_lowercase())
    } else {
        one(code).to_string()
    }
}
