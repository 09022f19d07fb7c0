//! The indicator catalogue and what a release is.
//!
//! The [catalogue](catalogue::Catalogue) defines every indicator, target group and grouping;
//! the [publication rules](rules::RuleSet) say when a figure is published, flagged or
//! suppressed; a [`Release`] is every [`Figure`] of one run with its [`Provenance`]. Beside
//! them: the precision [planner] (from a release's published figures) and the comparison
//! with [official] Eurostat tables.
//!
//! This crate computes nothing from microdata and reads no survey file: `incity-pipeline`
//! makes releases, `incity-store` keeps them, `incity-portal` shows them — all three share
//! these types. It must not know DataFusion, SQL databases or HTTP, so that the store and the
//! portal build without the query engine. Entry points: [`Catalogue::embedded`],
//! [`rules::RuleSet::load`], [`planner::plan`].

pub mod administrative;
pub mod age_bands;
pub mod catalogue;
pub mod figure_table;
pub mod modules;
pub mod official;
pub mod planner;
pub mod rules;
pub mod toolbox;

use incity_estimation::{CovarianceBasis, Estimate};

pub use catalogue::{Catalogue, Indicator};

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

/// What a figure measures: the indicator in a group, a gap between a group and its
/// reference group, or the difference between an area and its country.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    /// The indicator's value in the group.
    Level,
    /// Group minus reference group (percentage points for shares, euro for incomes).
    Difference,
    /// Group divided by reference group (for incomes).
    Ratio,
    /// The area's figure minus its country's, same group and sex (percentage points for
    /// shares). The area's sample is part of the country's, so its variance is that of the
    /// joint linearisation, `V(a) + V(c) − 2 Cov(a, c)`, not of two independent samples.
    CountryDifference,
}

impl Measure {
    pub const ALL: [Measure; 4] = [
        Measure::Level,
        Measure::Difference,
        Measure::Ratio,
        Measure::CountryDifference,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Measure::Level => "level",
            Measure::Difference => "difference",
            Measure::Ratio => "ratio",
            Measure::CountryDifference => "country_difference",
        }
    }

    pub fn from_code(s: &str) -> Option<Self> {
        Measure::ALL.into_iter().find(|m| m.code() == s)
    }

    /// A gap between a group and its reference group (difference or ratio).
    pub fn is_gap(self) -> bool {
        matches!(self, Measure::Difference | Measure::Ratio)
    }

    /// The value of "no difference" for a comparison (a gap or the difference from the
    /// country); `None` for a level.
    pub fn no_difference(self) -> Option<f64> {
        match self {
            Measure::Level => None,
            Measure::Difference | Measure::CountryDifference => Some(0.0),
            Measure::Ratio => Some(1.0),
        }
    }
}

/// The survey a figure is computed from: the input-store sources the catalogue computes
/// indicators from (`lfs`, `silc`). The input store may hold other sources (a register
/// extract); no indicator is computed from them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Source {
    /// EU-LFS.
    Lfs,
    /// EU-SILC.
    Silc,
}

impl Source {
    pub const ALL: [Source; 2] = [Source::Lfs, Source::Silc];

    /// `lfs` or `silc`, as mapping files, the input store and the catalogue write it.
    pub fn code(self) -> &'static str {
        match self {
            Source::Lfs => "lfs",
            Source::Silc => "silc",
        }
    }

    pub fn from_code(code: &str) -> Option<Source> {
        Source::ALL.into_iter().find(|s| s.code() == code)
    }

    /// `lfs, silc` (for messages).
    pub fn codes() -> String {
        Source::ALL.map(Source::code).join(", ")
    }
}

impl<'de> serde::Deserialize<'de> for Source {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Source, D::Error> {
        let code = String::deserialize(d)?;
        Source::from_code(&code).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "source = \"{code}\": expected one of {}",
                Source::codes()
            ))
        })
    }
}

/// Whom a figure counts by sex: both sexes, men or women (Eurostat's codes `T`, `M`, `F`).
/// Ordered as their codes (`F` < `M` < `T`), the order of the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Sex {
    Female,
    Male,
    Total,
}

impl Sex {
    /// `T`, `M` or `F`.
    pub fn code(self) -> &'static str {
        match self {
            Sex::Total => "T",
            Sex::Male => "M",
            Sex::Female => "F",
        }
    }

    /// The sex of a code `T`, `M` or `F` (the harmonised data code men and women `M`, `F`).
    pub fn from_code(code: &str) -> Option<Sex> {
        match code {
            "T" => Some(Sex::Total),
            "M" => Some(Sex::Male),
            "F" => Some(Sex::Female),
            _ => None,
        }
    }
}

/// One figure of a release.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    pub indicator: String,
    pub source: Source,
    /// First year of the reference period: `year` itself, or the first of the years pooled.
    pub first_year: i32,
    /// (Last) year of the reference period.
    pub year: i32,
    pub geo_level: GeoLevel,
    pub geo: String,
    /// `total`, or the grouping the group belongs to (`birth_group`, `citizenship_group`).
    pub grouping: String,
    /// `total` or a target group code (`native`, `non_eu_citizens`, ...); for a gap, the group
    /// whose gap to [`reference_group`](Self::reference_group) it is.
    pub group: String,
    /// For a gap (measure difference or ratio): the reference group of the grouping it is
    /// measured against (`native`, `nationals`); `None` for a level.
    pub reference_group: Option<String>,
    pub sex: Sex,
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

/// A figure's cell: indicator, first and last year, level, area, grouping, group, sex and
/// measure. A direct and a model-based figure of the same cell share it.
pub type CellKey<'a> = (
    &'a str,
    i32,
    i32,
    GeoLevel,
    &'a str,
    &'a str,
    &'a str,
    Sex,
    Measure,
);

impl Figure {
    /// The cell this figure is a figure of (its method aside).
    pub fn cell(&self) -> CellKey<'_> {
        (
            self.indicator.as_str(),
            self.first_year,
            self.year,
            self.geo_level,
            self.geo.as_str(),
            self.grouping.as_str(),
            self.group.as_str(),
            self.sex,
            self.measure,
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
    /// Changes of share levels between the single years the release holds.
    pub changes: Vec<ChangeFigure>,
}

/// The change of a direct share level between two single years (`to_year` minus
/// `from_year`), with its standard error and 95 % interval; withheld (flag only) where either
/// year's level is. Its variance is `V₁ + V₂ − 2 Ĉov`, the covariance estimated from the PSUs
/// both years' samples share, or 0 where they share none ([`CovarianceBasis`], named on every
/// change; see `incity_estimation::change`).
#[derive(Debug, Clone, PartialEq)]
pub struct ChangeFigure {
    pub indicator: String,
    pub source: Source,
    pub from_year: i32,
    pub to_year: i32,
    pub geo_level: GeoLevel,
    pub geo: String,
    pub grouping: String,
    pub group: String,
    pub sex: Sex,
    pub estimate: Estimate,
    pub covariance: CovarianceBasis,
    /// PSUs in both samples where the covariance was estimated.
    pub shared_psus: usize,
}

/// The name of a country, NUTS region or city known to incity; degree-of-urbanisation
/// domains (`AT-DEG1`) are named by their country.
pub fn geo_name(code: &str) -> Option<String> {
    if let Some((country, d)) = code.split_once("-DEG") {
        let label = incity_reference::geography::Degurba::from_code(d.parse().ok()?)?.label();
        return Some(format!(
            "{}: {}",
            incity_reference::geography::geo_name(country)?,
            label.to_lowercase()
        ));
    }
    incity_reference::geography::geo_name(code).map(str::to_string)
}

/// Human label of a target group code (`non_eu_born` → "Born outside the EU").
pub fn group_label(code: &str) -> String {
    Catalogue::embedded()
        .group_label(code)
        .unwrap_or(code)
        .to_string()
}

/// Human label of what a figure is about: its group, or for a gap the group and its
/// reference ("Gap: born outside the EU − native-born", "Ratio: ... / ...").
pub fn subject_label(group: &str, measure: Measure, reference_group: Option<&str>) -> String {
    match (measure, reference_group) {
        (Measure::Difference, Some(r)) => {
            format!(
                "Gap: {} − {}",
                group_label(group),
                group_label(r).to_lowercase()
            )
        }
        (Measure::Ratio, Some(r)) => {
            format!(
                "Ratio: {} / {}",
                group_label(group),
                group_label(r).to_lowercase()
            )
        }
        _ => group_label(group),
    }
}
