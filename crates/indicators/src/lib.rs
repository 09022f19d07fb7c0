//! The indicator catalogue and the release pipeline.
//!
//! A [`Release`] is every figure of the catalogue computed from one input file, with its
//! provenance. The pipeline knows which indicators exist and how to ask the survey scanner for
//! them; it knows nothing of databases or HTTP.
//!
//! The catalogue is still small (the employment, unemployment and activity rates 20-64 from the
//! EU-LFS) and lives in code; the catalogue issue moves it to versioned data files.

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use incity_data::survey::{estimate, DesignColumns, EstimateRequest, Statistic, VarianceChoice};
use incity_data::DataError;
use incity_estimation::{Estimate, LonelyPsuRule, PublicationRules, QuantileRule};

/// Version of the built-in catalogue (recorded in every release).
pub const CATALOGUE_VERSION: &str = "2026.1-skeleton";

/// Groups of country of birth, as SQL over EU-LFS columns: the country itself is native; an
/// EU27 (from 2020) country is EU-born; any other is non-EU-born.
pub fn birth_group_sql() -> String {
    let eu = incity_data::geography::EU27
        .iter()
        .map(|c| format!("'{c}'"))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "CASE WHEN \"COUNTRYB\" IS NULL THEN NULL \
         WHEN \"COUNTRYB\" = \"COUNTRY\" THEN 'native' \
         WHEN \"COUNTRYB\" IN ({eu}) THEN 'eu_born' ELSE 'non_eu_born' END"
    )
}

/// One indicator of the catalogue: a share of a population.
#[derive(Debug, Clone, PartialEq)]
pub struct Indicator {
    pub id: &'static str,
    pub name: &'static str,
    pub area: &'static str,
    /// Who is counted in the denominator (SQL over EU-LFS columns).
    pub population: &'static str,
    /// Who is counted in the numerator, within the population.
    pub numerator: &'static str,
    pub population_label: &'static str,
    pub definition: &'static str,
}

/// The built-in catalogue.
pub fn catalogue() -> Vec<Indicator> {
    vec![
        Indicator {
            id: "employment_rate_20_64",
            name: "Employment rate",
            area: "Employment",
            population: "\"AGE\" BETWEEN 20 AND 64",
            numerator: "\"ILOSTAT\" = 1",
            population_label: "persons aged 20-64",
            definition: "Employed persons (ILO definition, ILOSTAT = 1) as a share of all persons aged 20 to 64.",
        },
        Indicator {
            id: "unemployment_rate_20_64",
            name: "Unemployment rate",
            area: "Employment",
            population: "\"AGE\" BETWEEN 20 AND 64 AND \"ILOSTAT\" IN (1, 2)",
            numerator: "\"ILOSTAT\" = 2",
            population_label: "labour force aged 20-64",
            definition: "Unemployed persons (ILO definition, ILOSTAT = 2) as a share of the labour force (employed and unemployed) aged 20 to 64.",
        },
        Indicator {
            id: "activity_rate_20_64",
            name: "Activity rate",
            area: "Employment",
            population: "\"AGE\" BETWEEN 20 AND 64",
            numerator: "\"ILOSTAT\" IN (1, 2)",
            population_label: "persons aged 20-64",
            definition: "Persons in the labour force (employed or unemployed) as a share of all persons aged 20 to 64.",
        },
    ]
}

/// Geographic level of a figure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum GeoLevel {
    Country,
    Nuts2,
}

impl GeoLevel {
    pub fn code(self) -> &'static str {
        match self {
            GeoLevel::Country => "country",
            GeoLevel::Nuts2 => "nuts2",
        }
    }
    pub fn from_code(s: &str) -> Option<Self> {
        match s {
            "country" => Some(GeoLevel::Country),
            "nuts2" => Some(GeoLevel::Nuts2),
            _ => None,
        }
    }
}

/// One figure of a release.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    pub indicator: String,
    pub geo_level: GeoLevel,
    pub geo: String,
    /// `total`, a group code (`native`, `eu_born`, `non_eu_born`), or for gaps
    /// `eu_born minus native` etc.
    pub group: String,
    pub is_gap: bool,
    pub estimate: Estimate,
}

/// Where the figures came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Provenance {
    pub input_file: String,
    pub input_sha256: String,
    pub source: String,
    pub synthetic: bool,
    pub generator_seed: Option<u64>,
    pub catalogue_version: String,
    pub method: String,
    pub software_version: String,
    pub started_at: i64,
    pub finished_at: i64,
}

/// All figures of one run of the pipeline.
#[derive(Debug, Clone, PartialEq)]
pub struct Release {
    pub provenance: Provenance,
    pub figures: Vec<Figure>,
}

/// Settings of a pipeline run.
#[derive(Debug, Clone)]
pub struct ComputeSettings {
    pub input: PathBuf,
    pub synthetic: bool,
    pub generator_seed: Option<u64>,
    pub rules: PublicationRules,
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// The design of an EU-LFS-layout file as incity's generator writes it.
pub fn lfs_design() -> DesignColumns {
    DesignColumns {
        weight: "COEFFY".into(),
        strata: Some("STRATUM".into()),
        psu: Some("PSU".into()),
        fpc: None,
        lonely_psu: LonelyPsuRule::Certainty,
    }
}

/// Computes every indicator of the catalogue for every country and NUTS 2 region, in total and
/// by group of country of birth, with the gap of each migrant group to the native-born.
pub async fn compute_release(settings: &ComputeSettings) -> Result<Release, DataError> {
    let started_at = now();
    let sha = incity_data::sha256_file(&settings.input)?;
    let mut figures = Vec::new();
    for ind in catalogue() {
        for (level, geo_column) in [(GeoLevel::Country, "COUNTRY"), (GeoLevel::Nuts2, "REGION")] {
            for with_groups in [false, true] {
                let mut by = vec![geo_column.to_string()];
                if with_groups {
                    by.push("__group".to_string());
                }
                let request = EstimateRequest {
                    data: settings.input.clone(),
                    design: lfs_design(),
                    variance: VarianceChoice::Linearization,
                    mse: false,
                    statistic: Statistic::Share(ind.numerator.to_string()),
                    quantile_rule: QuantileRule::InverseCdf,
                    condition: Some(ind.population.to_string()),
                    by,
                    gap: with_groups.then(|| ("__group".to_string(), "native".to_string())),
                    country: None,
                    rules: settings.rules,
                    confidence: 0.95,
                    derived: vec![("__group".to_string(), birth_group_sql())],
                };
                let table = estimate(&request).await?;
                for row in table.rows {
                    let group = if with_groups {
                        row.domain[1].clone()
                    } else {
                        "total".to_string()
                    };
                    figures.push(Figure {
                        indicator: ind.id.to_string(),
                        geo_level: level,
                        geo: row.domain[0].clone(),
                        group,
                        is_gap: row.is_gap,
                        estimate: row.estimate,
                    });
                }
            }
        }
    }
    Ok(Release {
        provenance: Provenance {
            input_file: file_name(&settings.input),
            input_sha256: sha,
            source: "EU-LFS layout".into(),
            synthetic: settings.synthetic,
            generator_seed: settings.generator_seed,
            catalogue_version: CATALOGUE_VERSION.into(),
            method: "direct design-based estimates; Taylor linearisation, with-replacement first \
                     stage (strata = STRATUM, PSU = PSU, weight = COEFFY); 95 % logit intervals"
                .into(),
            software_version: env!("CARGO_PKG_VERSION").into(),
            started_at,
            finished_at: now(),
        },
        figures,
    })
}

fn file_name(p: &Path) -> String {
    p.file_name().map_or_else(
        || p.display().to_string(),
        |f| f.to_string_lossy().to_string(),
    )
}

/// The name of a country or NUTS 2 region known to incity.
pub fn geo_name(code: &str) -> Option<&'static str> {
    incity_data::synthetic::geo_name(code)
}

/// Human label of a target group code (or of a gap `A minus B`).
pub fn group_label(code: &str) -> String {
    fn one(c: &str) -> &str {
        match c {
            "total" => "All persons",
            "native" => "Native-born",
            "eu_born" => "Born in another EU country",
            "non_eu_born" => "Born outside the EU",
            other => other,
        }
    }
    match code.split_once(" minus ") {
        Some((a, b)) => format!("Gap: {} − {}", one(a), one(b).to_lowercase()),
        None => one(code).to_string(),
    }
}
