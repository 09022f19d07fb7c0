//! **Synthetic Europe**: a seeded, streaming generator of EU-LFS and EU-SILC microdata drawn
//! from one simulated population of households, with the true population value of every
//! indicator it simulates in every domain.
//!
//! **Everything this crate produces is synthetic.** Countries, NUTS 2 regions and cities are
//! real (10 countries, all 127 of their NUTS 2021 level-2 regions, 46 cities with Eurostat city
//! codes); population sizes, foreign-born shares, employment and unemployment rates, median
//! incomes, self-reported health and the education of foreign citizens are set from the real
//! Eurostat tables shipped in `data/eurostat/` (see `data/synthetic/europe.toml`, derived from
//! them by `scripts/derive-synthetic-parameters.py`); every other parameter is a plausible,
//! documented value (`data/synthetic/README.md`).
//!
//! # Population ([`people`])
//! Each NUTS 2 region is split into strata by degree of urbanisation (1 cities, 2 towns and
//! suburbs, 3 rural areas); each listed city is a stratum of its own inside its region's
//! cities. A stratum holds area clusters (enumeration areas) of [`HOUSEHOLDS_PER_CLUSTER`]
//! households of all ages. Households are singles, couples with or without children, single
//! parents, or three-adult households; the household's origin (native-born, born in another EU
//! country, born outside the EU) follows the stratum's foreign-born share times a cluster
//! segregation factor. Children of foreign-born parents are mostly native-born (the second
//! generation). Every person has sex, age, country of birth, citizenship (naturalisation
//! depends on years of residence), parents' countries of birth, education, participation in
//! education and training, ILO labour status, status in employment, occupation, health and
//! an economic status; every household has a tenure status and an equivalised disposable
//! income that follows its members' employment (so household income and poverty are
//! consistent across the two surveys). A cluster is generated from its own ChaCha stream, so
//! any cluster can be regenerated alone: nothing is held in memory but the current cluster.
//!
//! # Surveys ([`surveys`])
//! Both surveys are stratified (region × degree of urbanisation, big cities separate) samples
//! of clusters (the PSUs) with unequal selection probabilities (cities oversampled), household
//! non-response that is higher in cities and among non-EU-born households, a non-response
//! adjustment within strata and calibration to the population by region × sex × age band
//! (post-stratification of persons in the EU-LFS; integrated linear calibration of household
//! weights, one weight per household, in EU-SILC). The EU-LFS takes every household of a
//! sampled cluster and records persons 15+; EU-SILC takes four households per sampled cluster
//! and writes the four user-database files D, R, H and P.

mod citizenship;
pub mod conditions;
pub mod living;
mod people;
mod registers;
mod surveys;
mod truth;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

pub use citizenship::{write_citizenship_tables, CITIZENSHIP_DATASETS};
pub use people::{Cluster, Household, OriginGroup, Person, NON_EU_ORIGINS};
pub use registers::{
    register_table, write_register_csv, REGISTER_DATAFLOW, REGISTER_DATASET, REGISTER_MEASURES,
};
pub use surveys::{
    lfs_sample, lfs_sample_rotating, write_lfs, write_lfs_rotating, write_silc, GeneratedFiles,
    LfsRespondent, Rotation, LFS_HEADER, SILC_D_HEADER, SILC_H_HEADER, SILC_P_HEADER,
    SILC_R_HEADER,
};
pub use truth::{
    lfs_share_membership, target_groups_of, write_truth_csv, Truth, TruthRow, TRUTH_GROUPS,
};

/// Why a synthetic population or its files could not be made.
#[derive(Debug, thiserror::Error)]
pub enum SyntheticError {
    /// A parameter file is invalid (`origin` names it; TOML errors carry line and column).
    #[error("{origin}: {message}")]
    Parameters { origin: String, message: String },
    #[error("{file}: {source}")]
    Io {
        file: PathBuf,
        source: std::io::Error,
    },
    /// A survey's weight calibration did not converge (a parameter set the generator cannot
    /// serve, not a user error in a file).
    #[error("the {0} weight calibration did not converge")]
    Calibration(&'static str),
}

impl SyntheticError {
    pub fn io(file: &Path, source: std::io::Error) -> Self {
        SyntheticError::Io {
            file: file.to_path_buf(),
            source,
        }
    }
}

/// Households per area cluster (the PSU of both surveys).
pub const HOUSEHOLDS_PER_CLUSTER: usize = 12;
/// Average persons per household in the simulated population (used to size strata).
const PERSONS_PER_HOUSEHOLD: f64 = 2.2;

/// ILO labour status codes of the EU-LFS (`ILOSTAT`).
pub const ILO_EMPLOYED: u8 = 1;
pub const ILO_UNEMPLOYED: u8 = 2;
pub const ILO_INACTIVE: u8 = 3;

/// National parameters (one `[[country]]` of `data/synthetic/europe.toml`).
#[derive(Debug, Clone, Deserialize)]
pub struct CountryParameters {
    pub code: String,
    pub name: String,
    pub population: f64,
    pub foreign_born_share: f64,
    pub eu_share_of_foreign_born: f64,
    pub employment_nationals: f64,
    pub employment_foreigners: f64,
    pub unemployment_nationals: f64,
    pub unemployment_foreigners: f64,
    pub median_income_nationals: f64,
    pub median_income_foreigners: f64,
    pub good_health_nationals: f64,
    pub good_health_foreigners: f64,
    pub low_education_foreigners: f64,
    pub tertiary_education_foreigners: f64,
    pub lfs_persons: f64,
    pub silc_households: f64,
}

/// A NUTS 2 region (`[[region]]`).
#[derive(Debug, Clone, Deserialize)]
pub struct RegionParameters {
    pub code: String,
    pub name: String,
    /// Number of NUTS 3 regions (a proxy of population: NUTS 3 regions hold 150,000 to
    /// 800,000 people by the NUTS regulation).
    pub nuts3: u32,
    /// Counts of its NUTS 3 regions that are predominantly urban, intermediate, rural.
    pub urban_rural: [u32; 3],
}

/// A city (`[[city]]`).
#[derive(Debug, Clone, Deserialize)]
pub struct CityParameters {
    pub code: String,
    pub name: String,
    pub nuts3: String,
    pub population: f64,
    pub foreign_born_share: f64,
}

/// The parameter file.
#[derive(Debug, Clone, Deserialize)]
pub struct Parameters {
    pub country: Vec<CountryParameters>,
    pub region: Vec<RegionParameters>,
    pub city: Vec<CityParameters>,
}

/// The parameters shipped with incity (`data/synthetic/europe.toml`).
pub const EMBEDDED_PARAMETERS: &str = include_str!("../../../data/synthetic/europe.toml");

impl Parameters {
    /// Parses a parameter file; errors name the line and column.
    pub fn parse(text: &str, origin: &str) -> Result<Parameters, SyntheticError> {
        toml::from_str(text).map_err(|e| SyntheticError::Parameters {
            origin: origin.into(),
            message: e.to_string(),
        })
    }

    pub fn embedded() -> Parameters {
        // The embedded file is checked by this crate's tests.
        Parameters::parse(EMBEDDED_PARAMETERS, "data/synthetic/europe.toml")
            .expect("embedded synthetic parameters are valid")
    }
}

/// Generator settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SyntheticConfig {
    pub seed: u64,
    /// Fraction of the real population simulated (weights are scaled back to real sizes).
    pub population_scale: f64,
    /// Multiplies every country's sample sizes.
    pub sample_scale: f64,
    pub year: i32,
}

impl Default for SyntheticConfig {
    fn default() -> Self {
        Self {
            seed: 20_240_101,
            population_scale: 0.01,
            sample_scale: 0.25,
            year: 2024,
        }
    }
}

impl SyntheticConfig {
    /// The sample seed of a year's surveys: the default year keeps the seed's historic
    /// samples, other years get their own (`seed + 1 + offset × 1,000,003`).
    pub fn sample_seed(&self, year: i32) -> u64 {
        let offset = (year - SyntheticConfig::default().year) as i64 as u64;
        self.seed
            .wrapping_add(1)
            .wrapping_add(offset.wrapping_mul(1_000_003))
    }

    /// The EU-LFS rotation of `self.year`'s sample when each year keeps `kept` of the
    /// previous year's clusters: a chain from the default year's (independent) sample to
    /// this year, forward for later years and backward for earlier ones, so that any two
    /// consecutive years share about `kept` of their clusters. `None` for the default year.
    pub fn lfs_rotation(&self, kept: f64) -> Option<Rotation> {
        let anchor = SyntheticConfig::default().year;
        let step = if self.year > anchor { 1 } else { -1 };
        let earlier_seeds: Vec<u64> = std::iter::successors(Some(anchor), |y| Some(y + step))
            .take_while(|y| *y != self.year)
            .map(|y| self.sample_seed(y))
            .collect();
        (!earlier_seeds.is_empty()).then_some(Rotation {
            earlier_seeds,
            kept,
        })
    }
}

/// One stratum of the population frame.
#[derive(Debug, Clone)]
pub struct Stratum {
    pub id: u32,
    pub country: usize,
    pub region: usize,
    /// NUTS 1 code (the region code without its last character).
    pub nuts1: String,
    pub degurba: u8,
    pub city: Option<usize>,
    /// Clusters in the stratum (`M_h`).
    pub clusters: u32,
    /// Share of households whose reference person is foreign-born.
    pub foreign_share: f64,
    /// Label written as the stratum (`DB050`, `STRATUM`): region, degree of urbanisation and
    /// city code.
    pub label: String,
}

/// The simulated population: parameters and the frame of strata and clusters. Persons are
/// generated on demand, cluster by cluster (see [`people::generate_cluster`]).
#[derive(Debug, Clone)]
pub struct Population {
    pub config: SyntheticConfig,
    pub parameters: Parameters,
    pub strata: Vec<Stratum>,
    /// Regional effect on employment (logit scale), per region.
    pub(crate) region_effect: Vec<f64>,
    /// Population by region × sex × age (computed once, for calibration).
    pub(crate) calibration_counts: std::sync::OnceLock<Vec<[[u64; 101]; 2]>>,
}

/// Degree-of-urbanisation population mix of a NUTS 3 region by its urban-rural type
/// (plausible values: predominantly urban regions are mostly cities, rural ones mostly rural
/// areas).
const DEGURBA_MIX_BY_URBAN_RURAL: [[f64; 3]; 3] =
    [[0.62, 0.28, 0.10], [0.28, 0.42, 0.30], [0.10, 0.35, 0.55]];
/// Relative foreign-born share by degree of urbanisation outside the listed cities.
const FOREIGN_FACTOR_BY_DEGURBA: [f64; 3] = [1.35, 1.0, 0.55];

impl Population {
    /// Builds the frame of the population from parameters (fast: no persons are generated).
    pub fn new(
        config: SyntheticConfig,
        parameters: Parameters,
    ) -> Result<Population, SyntheticError> {
        let mut strata = Vec::new();
        let mut region_effect = vec![0.0; parameters.region.len()];
        for (ci, country) in parameters.country.iter().enumerate() {
            let regions: Vec<usize> = (0..parameters.region.len())
                .filter(|&r| parameters.region[r].code.starts_with(&country.code))
                .collect();
            if regions.is_empty() {
                return Err(SyntheticError::Parameters {
                    origin: "synthetic parameters".into(),
                    message: format!("country {} has no [[region]]", country.code),
                });
            }
            let nuts3_total: f64 = regions
                .iter()
                .map(|&r| parameters.region[r].nuts3 as f64)
                .sum();
            // Population by region: proportional to its NUTS 3 count, but at least the
            // population of its listed cities / 0.7; the other regions share the rest.
            let cities_in = |r: usize| -> Vec<usize> {
                (0..parameters.city.len())
                    .filter(|&c| {
                        parameters.city[c]
                            .nuts3
                            .starts_with(&parameters.region[r].code)
                    })
                    .collect()
            };
            let mut pops: Vec<f64> = regions
                .iter()
                .map(|&r| country.population * parameters.region[r].nuts3 as f64 / nuts3_total)
                .collect();
            let mut fixed = vec![false; regions.len()];
            for (k, &r) in regions.iter().enumerate() {
                let city_pop: f64 = cities_in(r)
                    .iter()
                    .map(|&c| parameters.city[c].population)
                    .sum();
                if city_pop / 0.7 > pops[k] {
                    pops[k] = city_pop / 0.7;
                    fixed[k] = true;
                }
            }
            let fixed_total: f64 = (0..regions.len())
                .filter(|&k| fixed[k])
                .map(|k| pops[k])
                .sum();
            let free_total: f64 = (0..regions.len())
                .filter(|&k| !fixed[k])
                .map(|k| pops[k])
                .sum();
            let factor = ((country.population - fixed_total) / free_total).max(0.2);
            for k in 0..regions.len() {
                if !fixed[k] {
                    pops[k] *= factor;
                }
            }
            // Foreign-born share outside the listed cities, so that the national share holds.
            let city_pop: f64 = regions
                .iter()
                .flat_map(|&r| cities_in(r))
                .map(|c| parameters.city[c].population)
                .sum();
            let city_foreign: f64 = regions
                .iter()
                .flat_map(|&r| cities_in(r))
                .map(|c| parameters.city[c].population * parameters.city[c].foreign_born_share)
                .sum();
            let total: f64 = pops.iter().sum();
            let rest_share = ((country.foreign_born_share * total - city_foreign)
                / (total - city_pop).max(1.0))
            .clamp(0.01, 0.6);
            for (k, &r) in regions.iter().enumerate() {
                let region = &parameters.region[r];
                region_effect[r] = region_offset(&region.code, 0.25);
                let n3: f64 = region.urban_rural.iter().sum::<u32>().max(1) as f64;
                let mut mix = [0.0; 3];
                for (t, count) in region.urban_rural.iter().enumerate() {
                    for d in 0..3 {
                        mix[d] += DEGURBA_MIX_BY_URBAN_RURAL[t][d] * *count as f64 / n3;
                    }
                }
                let cities = cities_in(r);
                let listed: f64 = cities.iter().map(|&c| parameters.city[c].population).sum();
                let mut deg_pop = mix.map(|m| m * pops[k]);
                if listed > deg_pop[0] {
                    let rest = pops[k] - listed;
                    let others = deg_pop[1] + deg_pop[2];
                    deg_pop[1] *= rest / others;
                    deg_pop[2] *= rest / others;
                    deg_pop[0] = listed;
                }
                let nuts1 = region.code[..region.code.len() - 1].to_string();
                let mut push = |degurba: u8, city: Option<usize>, persons: f64, share: f64| {
                    let clusters = (persons * config.population_scale
                        / (HOUSEHOLDS_PER_CLUSTER as f64 * PERSONS_PER_HOUSEHOLD))
                        .round() as u32;
                    if persons < 1.0 {
                        return;
                    }
                    let label = match city {
                        Some(c) => {
                            format!("{}-{}-{}", region.code, degurba, parameters.city[c].code)
                        }
                        None => format!("{}-{}", region.code, degurba),
                    };
                    strata.push(Stratum {
                        id: strata.len() as u32,
                        country: ci,
                        region: r,
                        nuts1: nuts1.clone(),
                        degurba,
                        city,
                        clusters: clusters.max(6),
                        foreign_share: share.min(0.8),
                        label,
                    });
                };
                for &c in &cities {
                    let city = &parameters.city[c];
                    push(1, Some(c), city.population, city.foreign_born_share);
                }
                let rest_cities = deg_pop[0] - listed;
                if rest_cities > 1.0 {
                    push(
                        1,
                        None,
                        rest_cities,
                        rest_share * FOREIGN_FACTOR_BY_DEGURBA[0],
                    );
                }
                push(
                    2,
                    None,
                    deg_pop[1],
                    rest_share * FOREIGN_FACTOR_BY_DEGURBA[1],
                );
                push(
                    3,
                    None,
                    deg_pop[2],
                    rest_share * FOREIGN_FACTOR_BY_DEGURBA[2],
                );
            }
        }
        Ok(Population {
            config,
            parameters,
            strata,
            region_effect,
            calibration_counts: std::sync::OnceLock::new(),
        })
    }

    /// The population on the embedded parameters.
    pub fn generate(config: SyntheticConfig) -> Population {
        Population::new(config, Parameters::embedded())
            .expect("embedded synthetic parameters build a population")
    }

    /// Number of clusters in the frame.
    pub fn cluster_count(&self) -> u64 {
        self.strata.iter().map(|s| s.clusters as u64).sum()
    }

    /// Generates one cluster (deterministic in the seed, the stratum and the index).
    pub fn cluster(&self, stratum: &Stratum, index: u32) -> Cluster {
        people::generate_cluster(self, stratum, index)
    }

    /// Names of countries, regions and cities of the population, by code.
    pub fn names(&self) -> BTreeMap<String, String> {
        let mut names = BTreeMap::new();
        for c in &self.parameters.country {
            names.insert(c.code.clone(), c.name.clone());
        }
        for r in &self.parameters.region {
            names.insert(r.code.clone(), r.name.clone());
        }
        for c in &self.parameters.city {
            names.insert(c.code.clone(), c.name.clone());
        }
        names
    }
}

/// Deterministic offset in `[-a, a]` from a code (regional variation that does not depend on
/// the seed).
fn region_offset(code: &str, a: f64) -> f64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in code.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    ((h >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0) * a
}

#[cfg(test)]
mod tests {
    use super::*;
    use incity_reference::geography::Geography;

    fn small() -> Population {
        Population::generate(SyntheticConfig {
            population_scale: 0.002,
            sample_scale: 0.1,
            ..Default::default()
        })
    }

    #[test]
    fn frame_covers_ten_countries_all_their_regions_and_the_cities() {
        let pop = small();
        assert_eq!(pop.parameters.country.len(), 10);
        assert_eq!(pop.parameters.region.len(), 127);
        let geo = Geography::embedded();
        // Every NUTS 2 (2021) region of the ten countries, except extra-regio, has strata.
        for c in &pop.parameters.country {
            let expected: Vec<&str> = geo
                .regions(incity_reference::geography::NutsVersion::V2021, 2)
                .filter(|r| r.code.starts_with(&c.code) && !r.code.ends_with("ZZ"))
                .map(|r| r.code.as_str())
                .collect();
            for code in expected {
                let ri = pop.parameters.region.iter().position(|r| r.code == code);
                let ri = ri.unwrap_or_else(|| panic!("{code} missing"));
                assert!(
                    pop.strata.iter().any(|s| s.region == ri),
                    "{code} has no stratum"
                );
            }
        }
        let cities: std::collections::BTreeSet<usize> =
            pop.strata.iter().filter_map(|s| s.city).collect();
        assert_eq!(cities.len(), pop.parameters.city.len());
        assert!(cities.len() >= 40);
    }

    #[test]
    fn clusters_are_reproducible_and_seed_dependent() {
        let pop = small();
        let s = &pop.strata[17];
        assert_eq!(pop.cluster(s, 3), pop.cluster(s, 3));
        assert_ne!(pop.cluster(s, 3), pop.cluster(s, 4));
        let other = Population::generate(SyntheticConfig {
            seed: 1,
            ..pop.config
        });
        assert_ne!(pop.cluster(s, 3), other.cluster(&other.strata[17], 3));
    }
}

#[cfg(test)]
mod survey_tests {
    use super::*;

    /// Weighted persons of the generated files equal the population by region × sex × age band
    /// (calibration), every weight is positive, and every household member shares its
    /// household's EU-SILC weight.
    #[test]
    fn samples_are_calibrated_to_the_population() {
        let pop = Population::generate(SyntheticConfig {
            population_scale: 0.002,
            sample_scale: 0.1,
            ..Default::default()
        });
        let dir = tempfile::tempdir().unwrap();
        let lfs = dir.path().join("lfs.csv");
        write_lfs(&pop, 5, &lfs, &|_| {}).unwrap();
        let silc = write_silc(&pop, 6, dir.path(), &|_| {}).unwrap();
        assert_eq!(silc.files.len(), 4);
        // Population by country and sex from the frame (all ages / 15+).
        let mut all = BTreeMap::new();
        let mut adults = BTreeMap::new();
        for s in &pop.strata {
            let country = pop.parameters.country[s.country].code.clone();
            for c in 0..s.clusters {
                for h in pop.cluster(s, c).households {
                    for p in h.persons {
                        *all.entry(country.clone()).or_insert(0.0) +=
                            1.0 / pop.config.population_scale;
                        if p.age >= 15 {
                            *adults.entry(country.clone()).or_insert(0.0) +=
                                1.0 / pop.config.population_scale;
                        }
                    }
                }
            }
        }
        let sum_weights = |path: &std::path::Path, country_col: usize, weight_col: usize| {
            let mut sums: BTreeMap<String, f64> = BTreeMap::new();
            let mut reader = csv::Reader::from_path(path).unwrap();
            for r in reader.records() {
                let r = r.unwrap();
                let w: f64 = r[weight_col].parse().unwrap();
                assert!(w > 0.0, "weight {w} in {}", path.display());
                *sums.entry(r[country_col].to_string()).or_default() += w;
            }
            sums
        };
        let lfs_sums = sum_weights(&lfs, 0, 5);
        let silc_sums = sum_weights(&dir.path().join("silc_r.csv"), 1, 4);
        for (country, total) in &adults {
            let rel = (lfs_sums[country] / total - 1.0).abs();
            assert!(
                rel < 1e-6,
                "LFS {country}: {} vs {total}",
                lfs_sums[country]
            );
        }
        for (country, total) in &all {
            let rel = (silc_sums[country] / total - 1.0).abs();
            assert!(
                rel < 1e-6,
                "SILC {country}: {} vs {total}",
                silc_sums[country]
            );
        }
        // Household weights: the D file's weight equals each member's R weight.
        let mut d_weights = BTreeMap::new();
        let mut reader = csv::Reader::from_path(dir.path().join("silc_d.csv")).unwrap();
        for r in reader.records() {
            let r = r.unwrap();
            d_weights.insert(r[2].to_string(), r[6].to_string());
        }
        let mut reader = csv::Reader::from_path(dir.path().join("silc_r.csv")).unwrap();
        for r in reader.records() {
            let r = r.unwrap();
            assert_eq!(d_weights[&r[3]], r[4].to_string());
        }
    }
}
