//! Validation of the release's small-area models by simulation with known truth.
//!
//! One synthetic population (its true values known in every city and region), many independent
//! EU-LFS samples drawn from it (the generator's full design: stratified cluster sample with
//! oversampled cities, non-response, calibrated weights). For every sample: the direct
//! estimates (ratio estimator, Taylor-linearised variance, the `adjust` rule for lonely PSUs)
//! of three shares — employment rate 20-64, unemployment rate 15-74, tertiary education
//! 25-64 — for each migrant group (born in another EU country, born outside the EU, EU and
//! non-EU citizens), both sexes, by country, NUTS 2 region and city; then the release's own
//! models (`incity_pipeline::small_area::fit_area_models`: the embedded catalogue's
//! covariates, adjusted REML, arcsine scale, smoothed design effect, bootstrap MSE) with the
//! synthetic register table as covariates (it is measured on the population, so it is the same
//! in every sample, as a register would be).
//!
//! Per cell (indicator × level × area × group) the simulation accumulates the squared errors of
//! the direct and the model-based estimates against the truth, the model's estimated MSE and
//! whether its 95 % interval covered the truth; [`Summary`] groups the cells by their mean
//! number of respondents. Shared by the test `small_area_simulation` (a few samples) and the
//! example of the same name (the 200-sample run reported in `docs/small-areas.md`).

use std::collections::{BTreeMap, HashMap};

use incity_estimation::{
    estimate_linear_batch, CellSums, DomainSums, LinearKind, LinearStatistic, LinearVariance,
    LonelyPsuRule, PsuRef, SampleDesign, Stratum,
};
use incity_indicators::{Catalogue, GeoLevel, Sex};
use incity_pipeline::engine::{DirectInput, Period};
use incity_pipeline::small_area::{fit_area_models, AreaCovariates};
use incity_synthetic::{
    lfs_sample, lfs_share_membership, register_table, target_groups_of, LfsRespondent, Population,
    SyntheticConfig, REGISTER_DATASET,
};

/// The shares simulated (all three are modelled in the catalogue).
pub const INDICATORS: [&str; 3] = [
    "employment_rate_20_64",
    "unemployment_rate_15_74",
    "tertiary_education_25_64",
];

/// The migrant groups simulated, with their grouping.
pub const GROUPS: [(&str, &str); 4] = [
    ("birth_group", "eu_born"),
    ("birth_group", "non_eu_born"),
    ("citizenship_group", "eu_citizens"),
    ("citizenship_group", "non_eu_citizens"),
];

/// What a run simulates.
#[derive(Debug, Clone)]
pub struct Settings {
    pub samples: u64,
    pub population: SyntheticConfig,
    /// Seed of the first sample (sample `s` uses `first_sample_seed + s`).
    pub first_sample_seed: u64,
    /// The area-variance method, in place of the catalogue's (`reml`, `adjusted-reml`, ...).
    pub method: Option<String>,
}

/// One cell's accumulated results over the samples.
#[derive(Debug, Clone, Default)]
pub struct Cell {
    pub truth: f64,
    /// Samples in which the cell had respondents, and their total.
    pub draws: u64,
    pub respondents: u64,
    /// Squared errors over the samples that gave both a direct and a model-based estimate.
    pub paired: u64,
    pub direct_sq_error: f64,
    pub model_sq_error: f64,
    /// Estimated MSE and interval coverage of the model-based estimates.
    pub model_mse: f64,
    pub covered: u64,
    /// On the model scale: sums of the direct estimate and its square (for its variance over
    /// the samples), of the sampling variance the model assumed, and of `γ`.
    pub model_scale_sum: f64,
    pub model_scale_sum_sq: f64,
    pub assumed_variance: f64,
    pub gamma: f64,
}

impl Cell {
    pub fn mean_respondents(&self) -> f64 {
        self.respondents as f64 / self.draws.max(1) as f64
    }
}

/// (indicator, level, area, group).
pub type CellKey = (&'static str, GeoLevel, String, &'static str);

/// Runs the simulation; cells that never had a model-based estimate are left out.
pub fn simulate(settings: &Settings, progress: &dyn Fn(u64)) -> BTreeMap<CellKey, Cell> {
    let population = Population::generate(settings.population);
    let mut catalogue = Catalogue::embedded().clone();
    if let (Some(method), Some(models)) = (&settings.method, catalogue.small_area.as_mut()) {
        models.method = method.clone();
    }
    let catalogue = &catalogue;
    let mut covariates = AreaCovariates::new(REGISTER_DATASET);
    for (geo, group, measure, value) in register_table(&population) {
        covariates.insert(measure, group, &geo, population.config.year, value);
    }
    let truth: HashMap<(String, String, String, String), f64> = population
        .truth()
        .rows
        .into_iter()
        .filter(|t| t.sex == "T" && t.degurba.is_none())
        .map(|t| ((t.indicator, t.geo_level, t.geo, t.group), t.value))
        .collect();
    let mut cells: BTreeMap<CellKey, Cell> = BTreeMap::new();
    for s in 0..settings.samples {
        let inputs = direct_estimates(&population, settings.first_sample_seed + s);
        let direct: HashMap<(&str, GeoLevel, &str, &str), &DirectInput> = inputs
            .iter()
            .map(|i| {
                (
                    (
                        i.indicator.as_str(),
                        i.level,
                        i.geo.as_str(),
                        i.group.as_str(),
                    ),
                    i,
                )
            })
            .collect();
        for (run, fit) in fit_area_models(catalogue, &inputs, &covariates) {
            let Some(fit) = fit else {
                continue;
            };
            let indicator = INDICATORS
                .into_iter()
                .find(|i| *i == run.indicator)
                .expect("only simulated indicators are modelled");
            let group = GROUPS
                .into_iter()
                .map(|(_, g)| g)
                .find(|g| *g == run.group)
                .expect("only simulated groups are modelled");
            for a in &fit.areas {
                let Some(&t) = truth.get(&(
                    run.indicator.clone(),
                    run.level.code().to_string(),
                    a.geo.clone(),
                    run.group.clone(),
                )) else {
                    continue;
                };
                let cell = cells
                    .entry((indicator, run.level, a.geo.clone(), group))
                    .or_default();
                cell.truth = t;
                cell.draws += 1;
                cell.respondents += a.respondents;
                cell.model_mse += a.mse;
                cell.covered += (a.ci_low <= t && t <= a.ci_high) as u64;
                cell.model_scale_sum += a.model_scale_direct;
                cell.model_scale_sum_sq += a.model_scale_direct * a.model_scale_direct;
                cell.assumed_variance += a.sampling_variance;
                cell.gamma += a.gamma;
                if let Some(d) = direct.get(&(indicator, run.level, a.geo.as_str(), group)) {
                    cell.paired += 1;
                    cell.direct_sq_error += (d.estimate - t).powi(2);
                    cell.model_sq_error += (a.estimate - t).powi(2);
                }
            }
        }
        progress(s + 1);
    }
    cells
}

/// Direct estimates of one EU-LFS sample: every simulated share × migrant group × country,
/// NUTS 2 region and city, both sexes.
/// The design as an EU-LFS sample shows it (its strata and sampled clusters, single-PSU
/// strata adjusted), and each respondent's PSU in it.
pub fn sample_design(sample: &[LfsRespondent]) -> (SampleDesign, Vec<PsuRef>) {
    let mut strata: BTreeMap<u32, BTreeMap<u32, u32>> = BTreeMap::new();
    for r in sample {
        let psus = strata.entry(r.stratum.id).or_default();
        let next = psus.len() as u32;
        psus.entry(r.cluster).or_insert(next);
    }
    let index: HashMap<u32, u32> = strata
        .keys()
        .enumerate()
        .map(|(i, k)| (*k, i as u32))
        .collect();
    let design = SampleDesign::new(
        strata
            .iter()
            .map(|(k, p)| Stratum {
                label: k.to_string(),
                psu_count: p.len(),
                sampling_fraction: 0.0,
            })
            .collect(),
        LonelyPsuRule::Adjust,
    )
    .expect("the sample's design is valid");
    let psus = sample
        .iter()
        .map(|r| PsuRef {
            stratum: index[&r.stratum.id],
            psu: strata[&r.stratum.id][&r.cluster],
        })
        .collect();
    (design, psus)
}

pub fn direct_estimates(population: &Population, seed: u64) -> Vec<DirectInput> {
    let sample = lfs_sample(population, seed).expect("the synthetic sample is drawn");
    let (design, psus) = sample_design(&sample);
    let parameters = &population.parameters;
    type Domain<'a> = (&'static str, GeoLevel, &'a str, &'static str, &'static str);
    let mut domains: BTreeMap<Domain<'_>, Vec<(PsuRef, CellSums)>> = BTreeMap::new();
    for (r, &psu) in sample.iter().zip(&psus) {
        let s = r.stratum;
        let home = parameters.country[s.country].code.as_str();
        let mut geos = vec![
            (GeoLevel::Country, home),
            (GeoLevel::Nuts2, parameters.region[s.region].code.as_str()),
        ];
        if let Some(c) = s.city {
            geos.push((GeoLevel::City, parameters.city[c].code.as_str()));
        }
        let groups: Vec<(&'static str, &'static str)> = target_groups_of(&r.person, home)
            .filter_map(|g| GROUPS.into_iter().find(|(_, code)| *code == g))
            .collect();
        for indicator in INDICATORS {
            let Some((numerator, true)) = lfs_share_membership(&r.person, indicator) else {
                continue;
            };
            let unit = CellSums::unit(r.weight, f64::from(u8::from(numerator)), 1.0);
            for &(level, geo) in &geos {
                for &(grouping, group) in &groups {
                    domains
                        .entry((indicator, level, geo, grouping, group))
                        .or_default()
                        .push((psu, unit));
                }
            }
        }
    }
    let keys: Vec<Domain<'_>> = domains.keys().copied().collect();
    let sums: Vec<DomainSums> = domains.into_values().map(DomainSums::from_cells).collect();
    let statistics: Vec<LinearStatistic<'_>> = sums
        .iter()
        .map(|d| LinearStatistic {
            kind: LinearKind::Ratio,
            domain: d,
            reference: None,
        })
        .collect();
    let results = estimate_linear_batch(&design, &statistics, &LinearVariance::Linearization)
        .expect("the sample's estimates are computed");
    keys.into_iter()
        .zip(results)
        .filter_map(|((indicator, level, geo, grouping, group), result)| {
            let pv = result.ok()?;
            Some(DirectInput {
                indicator: indicator.to_string(),
                period: Period {
                    first: population.config.year,
                    last: population.config.year,
                },
                level,
                geo: geo.to_string(),
                grouping: grouping.to_string(),
                group: group.to_string(),
                sex: Sex::Total,
                estimate: pv.estimate,
                variance: pv.variance,
                n: pv.n,
                population: pv.population,
            })
        })
        .collect()
}

/// The cells of one size class pooled.
#[derive(Debug, Clone, Copy, Default)]
pub struct ClassSummary {
    pub cells: usize,
    pub mean_respondents: f64,
    pub direct_rmse: f64,
    pub model_rmse: f64,
    /// Mean estimated MSE over the mean squared error (1 = the MSE is right on average).
    pub mse_ratio: f64,
    pub coverage: f64,
}

/// Size classes by a cell's mean number of respondents.
pub const SIZE_CLASSES: [(&str, f64, f64); 5] = [
    ("< 10", 0.0, 10.0),
    ("10-19", 10.0, 20.0),
    ("20-49", 20.0, 50.0),
    ("50-99", 50.0, 100.0),
    (">= 100", 100.0, f64::INFINITY),
];

/// Pools the cells that `keep` selects.
pub fn summarise<'a>(cells: impl Iterator<Item = &'a Cell>) -> ClassSummary {
    let (mut n, mut count, mut paired, mut draws) = (0.0, 0usize, 0u64, 0u64);
    let (mut direct, mut model, mut mse, mut covered) = (0.0, 0.0, 0.0, 0u64);
    for c in cells {
        count += 1;
        n += c.mean_respondents();
        paired += c.paired;
        draws += c.draws;
        direct += c.direct_sq_error;
        model += c.model_sq_error;
        mse += c.model_mse;
        covered += c.covered;
    }
    ClassSummary {
        cells: count,
        mean_respondents: n / count.max(1) as f64,
        direct_rmse: (direct / paired.max(1) as f64).sqrt(),
        model_rmse: (model / paired.max(1) as f64).sqrt(),
        mse_ratio: (mse / draws.max(1) as f64) / (model / paired.max(1) as f64),
        coverage: covered as f64 / draws.max(1) as f64,
    }
}

/// Summaries by level and size class.
pub fn by_level_and_size(
    cells: &BTreeMap<CellKey, Cell>,
) -> Vec<(GeoLevel, &'static str, ClassSummary)> {
    let mut out = Vec::new();
    for level in [GeoLevel::Nuts2, GeoLevel::City] {
        for (label, low, high) in SIZE_CLASSES {
            let s = summarise(cells.iter().filter_map(|(k, c)| {
                (k.1 == level && (low..high).contains(&c.mean_respondents())).then_some(c)
            }));
            if s.cells > 0 {
                out.push((level, label, s));
            }
        }
    }
    out
}

impl Cell {
    /// Variance of the direct estimate over the samples, on the model scale.
    pub fn empirical_sampling_variance(&self) -> f64 {
        let d = self.draws as f64;
        let mean = self.model_scale_sum / d;
        (self.model_scale_sum_sq / d - mean * mean) * d / (d - 1.0).max(1.0)
    }
}
