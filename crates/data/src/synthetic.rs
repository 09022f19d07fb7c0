//! A seeded generator of synthetic EU-LFS microdata, drawn from a simulated finite population
//! whose true values are known.
//!
//! **Everything this module produces is synthetic.** Region codes and names are real (NUTS 2021
//! level 2 for Austria, Belgium, the Netherlands and Sweden); population sizes are rounded
//! real figures; the national employment and unemployment levels by citizenship are set from
//! Eurostat's LFSA_ERGAN and LFSA_URGAN (2024, ages 15-64: "Source: Eurostat", see
//! `crates/data/README.md`); foreign-born shares by region, degree-of-urbanisation mixes and every
//! other parameter are plausible, documented values, not estimates.
//!
//! # Population
//! Each region is split into degree-of-urbanisation strata (1 cities, 2 towns and suburbs,
//! 3 rural areas); each stratum holds area clusters of ten households with one to four members
//! aged 15+. A cluster has its own share of foreign-born households (segregation: the regional
//! share times a log-normal factor) and a random employment effect (so that PSUs are
//! internally correlated and design effects exceed one). Groups by country of birth (native,
//! EU-born, non-EU-born) differ in education, employment, unemployment and activity; women's
//! and older people's employment is lower, more so for non-EU-born women.
//!
//! # Sample design
//! Stratified cluster sample: strata = region × degree of urbanisation; in each stratum a
//! simple random sample without replacement of clusters (PSUs), cities oversampled by 1.5;
//! all households of a sampled cluster are approached and respond with probability 0.85
//! (0.75 in cities, lower for non-EU-born households); weights are the stratum population
//! aged 15+ divided by the responding persons of the stratum (a post-stratified, hence
//! unequal-across-strata, weight), scaled to the real population size.

use std::io::Write;
use std::path::Path;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};
use rayon::prelude::*;

use crate::DataError;

/// A NUTS 2 region of the synthetic population.
#[derive(Debug, Clone, Copy)]
pub struct RegionSpec {
    pub code: &'static str,
    pub name: &'static str,
    /// Resident population, thousands (rounded, 2024).
    pub population_thousands: f64,
    /// Share of foreign-born residents (plausible value).
    pub foreign_born_share: f64,
    /// Population shares of degree of urbanisation 1, 2, 3.
    pub degurba: [f64; 3],
}

/// National parameters of the synthetic population.
#[derive(Debug, Clone, Copy)]
pub struct CountrySpec {
    pub code: &'static str,
    pub name: &'static str,
    /// Employment rate 15-64 of nationals and of foreign citizens (LFSA_ERGAN 2024).
    pub employment_nationals: f64,
    pub employment_foreigners: f64,
    /// Unemployment rate 15-64 of nationals and of foreign citizens (LFSA_URGAN 2024).
    pub unemployment_nationals: f64,
    pub unemployment_foreigners: f64,
    /// Share of the foreign-born who were born in another EU country (plausible value).
    pub eu_share_of_foreign_born: f64,
    /// Persons in the yearly synthetic sample at `sample_scale = 1`.
    pub sample_persons: usize,
}

pub const COUNTRIES: [CountrySpec; 4] = [
    CountrySpec {
        code: "AT",
        name: "Austria",
        employment_nationals: 0.757,
        employment_foreigners: 0.689,
        unemployment_nationals: 0.039,
        unemployment_foreigners: 0.098,
        eu_share_of_foreign_born: 0.45,
        sample_persons: 20_000,
    },
    CountrySpec {
        code: "BE",
        name: "Belgium",
        employment_nationals: 0.677,
        employment_foreigners: 0.610,
        unemployment_nationals: 0.051,
        unemployment_foreigners: 0.101,
        eu_share_of_foreign_born: 0.45,
        sample_persons: 20_000,
    },
    CountrySpec {
        code: "NL",
        name: "Netherlands",
        employment_nationals: 0.832,
        employment_foreigners: 0.720,
        unemployment_nationals: 0.034,
        unemployment_foreigners: 0.075,
        eu_share_of_foreign_born: 0.25,
        sample_persons: 30_000,
    },
    CountrySpec {
        code: "SE",
        name: "Sweden",
        employment_nationals: 0.776,
        employment_foreigners: 0.678,
        unemployment_nationals: 0.075,
        unemployment_foreigners: 0.186,
        eu_share_of_foreign_born: 0.25,
        sample_persons: 25_000,
    },
];

macro_rules! region {
    ($code:literal, $name:literal, $pop:literal, $fb:literal, [$d1:literal, $d2:literal, $d3:literal]) => {
        RegionSpec {
            code: $code,
            name: $name,
            population_thousands: $pop,
            foreign_born_share: $fb,
            degurba: [$d1, $d2, $d3],
        }
    };
}

pub const REGIONS: [RegionSpec; 40] = [
    region!("AT11", "Burgenland", 301.0, 0.13, [0.0, 0.35, 0.65]),
    region!("AT12", "Niederösterreich", 1720.0, 0.14, [0.05, 0.45, 0.50]),
    region!("AT13", "Wien", 2006.0, 0.40, [1.0, 0.0, 0.0]),
    region!("AT21", "Kärnten", 570.0, 0.13, [0.20, 0.30, 0.50]),
    region!("AT22", "Steiermark", 1270.0, 0.14, [0.25, 0.30, 0.45]),
    region!("AT31", "Oberösterreich", 1530.0, 0.16, [0.15, 0.40, 0.45]),
    region!("AT32", "Salzburg", 570.0, 0.20, [0.27, 0.33, 0.40]),
    region!("AT33", "Tirol", 775.0, 0.19, [0.17, 0.38, 0.45]),
    region!("AT34", "Vorarlberg", 405.0, 0.23, [0.0, 0.60, 0.40]),
    region!(
        "BE10",
        "Région de Bruxelles-Capitale/ Brussels Hoofdstedelijk Gewest",
        1250.0,
        0.47,
        [1.0, 0.0, 0.0]
    ),
    region!("BE21", "Prov. Antwerpen", 1900.0, 0.20, [0.45, 0.45, 0.10]),
    region!(
        "BE22",
        "Prov. Limburg (BE)",
        890.0,
        0.17,
        [0.10, 0.60, 0.30]
    ),
    region!(
        "BE23",
        "Prov. Oost-Vlaanderen",
        1560.0,
        0.12,
        [0.30, 0.50, 0.20]
    ),
    region!(
        "BE24",
        "Prov. Vlaams-Brabant",
        1180.0,
        0.16,
        [0.15, 0.65, 0.20]
    ),
    region!(
        "BE25",
        "Prov. West-Vlaanderen",
        1220.0,
        0.08,
        [0.15, 0.55, 0.30]
    ),
    region!(
        "BE31",
        "Prov. Brabant Wallon",
        410.0,
        0.17,
        [0.10, 0.60, 0.30]
    ),
    region!("BE32", "Prov. Hainaut", 1350.0, 0.16, [0.35, 0.45, 0.20]),
    region!("BE33", "Prov. Liège", 1120.0, 0.16, [0.35, 0.35, 0.30]),
    region!(
        "BE34",
        "Prov. Luxembourg (BE)",
        290.0,
        0.13,
        [0.0, 0.30, 0.70]
    ),
    region!("BE35", "Prov. Namur", 500.0, 0.11, [0.20, 0.30, 0.50]),
    region!("NL11", "Groningen", 590.0, 0.10, [0.40, 0.30, 0.30]),
    region!("NL12", "Friesland (NL)", 655.0, 0.07, [0.15, 0.40, 0.45]),
    region!("NL13", "Drenthe", 500.0, 0.06, [0.0, 0.50, 0.50]),
    region!("NL21", "Overijssel", 1180.0, 0.09, [0.30, 0.45, 0.25]),
    region!("NL22", "Gelderland", 2150.0, 0.10, [0.30, 0.50, 0.20]),
    region!("NL23", "Flevoland", 440.0, 0.18, [0.50, 0.40, 0.10]),
    region!("NL31", "Utrecht", 1400.0, 0.15, [0.60, 0.35, 0.05]),
    region!("NL32", "Noord-Holland", 2960.0, 0.22, [0.70, 0.25, 0.05]),
    region!("NL33", "Zuid-Holland", 3830.0, 0.21, [0.70, 0.25, 0.05]),
    region!("NL34", "Zeeland", 390.0, 0.10, [0.0, 0.55, 0.45]),
    region!("NL41", "Noord-Brabant", 2650.0, 0.13, [0.45, 0.45, 0.10]),
    region!("NL42", "Limburg (NL)", 1130.0, 0.12, [0.30, 0.55, 0.15]),
    region!("SE11", "Stockholm", 2450.0, 0.27, [0.80, 0.15, 0.05]),
    region!(
        "SE12",
        "Östra Mellansverige",
        1750.0,
        0.19,
        [0.40, 0.35, 0.25]
    ),
    region!("SE21", "Småland med öarna", 880.0, 0.17, [0.20, 0.35, 0.45]),
    region!("SE22", "Sydsverige", 1550.0, 0.23, [0.45, 0.30, 0.25]),
    region!("SE23", "Västsverige", 2050.0, 0.21, [0.45, 0.30, 0.25]),
    region!(
        "SE31",
        "Norra Mellansverige",
        870.0,
        0.15,
        [0.20, 0.35, 0.45]
    ),
    region!(
        "SE32",
        "Mellersta Norrland",
        370.0,
        0.13,
        [0.10, 0.40, 0.50]
    ),
    region!("SE33", "Övre Norrland", 520.0, 0.12, [0.20, 0.35, 0.45]),
];

/// EU countries of birth and citizenship drawn for EU-born migrants (EU27 from 2020).
const EU_ORIGINS: [&str; 10] = ["RO", "PL", "DE", "IT", "HR", "HU", "BG", "FR", "ES", "PT"];
/// Non-EU countries of birth and citizenship drawn for non-EU-born migrants.
const NON_EU_ORIGINS: [&str; 10] = ["TR", "SY", "UA", "MA", "RS", "AF", "IQ", "IN", "BA", "SO"];
/// The EU27 (from 2020) member states, for classifying country of birth.
pub const EU27: [&str; 27] = [
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "EL", "ES", "FI", "FR", "HR", "HU", "IE", "IT",
    "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
];

/// Group by country of birth.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BirthGroup {
    Native,
    EuBorn,
    NonEuBorn,
}

impl BirthGroup {
    pub const ALL: [BirthGroup; 3] = [
        BirthGroup::Native,
        BirthGroup::EuBorn,
        BirthGroup::NonEuBorn,
    ];

    /// The harmonised code used in indicators (`native`, `eu_born`, `non_eu_born`).
    pub fn code(self) -> &'static str {
        match self {
            BirthGroup::Native => "native",
            BirthGroup::EuBorn => "eu_born",
            BirthGroup::NonEuBorn => "non_eu_born",
        }
    }
}

/// ILO labour status codes of the EU-LFS (`ILOSTAT`).
pub const ILO_EMPLOYED: u8 = 1;
pub const ILO_UNEMPLOYED: u8 = 2;
pub const ILO_INACTIVE: u8 = 3;

/// One person of the population (aged 15+).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Person {
    pub household: u8,
    pub age: u8,
    /// 1 male, 2 female (EU-LFS `SEX`).
    pub sex: u8,
    pub group: BirthGroup,
    /// Index into the origin lists (ignored for natives).
    pub origin: u8,
    /// Holds the citizenship of the country of residence.
    pub national: bool,
    pub ilostat: u8,
    /// Highest level of education (EU-LFS `HATLEV`, ISCED 2011 coded): 200, 300 or 600.
    pub hatlev: u16,
}

/// An area cluster (PSU) of the population.
#[derive(Debug, Clone)]
pub struct Cluster {
    pub region: u16,
    pub degurba: u8,
    pub index: u32,
    pub persons: Vec<Person>,
}

/// Generator settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SyntheticConfig {
    pub seed: u64,
    /// Fraction of the real population simulated (weights are scaled back to real sizes).
    pub population_scale: f64,
    /// Multiplies every country's sample size.
    pub sample_scale: f64,
    pub year: i32,
}

impl Default for SyntheticConfig {
    fn default() -> Self {
        Self {
            seed: 20_240_101,
            population_scale: 0.05,
            sample_scale: 1.0,
            year: 2024,
        }
    }
}

/// The simulated finite population.
#[derive(Debug, Clone)]
pub struct Population {
    pub config: SyntheticConfig,
    pub clusters: Vec<Cluster>,
}

fn country_of(region: &RegionSpec) -> &'static CountrySpec {
    COUNTRIES
        .iter()
        .find(|c| region.code.starts_with(c.code))
        .unwrap_or(&COUNTRIES[0])
}

fn logit(p: f64) -> f64 {
    (p / (1.0 - p)).ln()
}

fn expit(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// Deterministic per-region offset in `[-a, a]` from the region code (regional variation).
fn region_offset(code: &str, salt: u64, a: f64) -> f64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ salt;
    for b in code.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    ((h >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0) * a
}

const HOUSEHOLDS_PER_CLUSTER: usize = 10;

fn generate_cluster(region_index: usize, degurba: u8, index: u32, rng: &mut ChaCha8Rng) -> Cluster {
    let region = &REGIONS[region_index];
    let country = country_of(region);
    let segregation: f64 = Normal::new(0.0, 0.6).map(|n| n.sample(rng)).unwrap_or(0.0);
    let city_boost = if degurba == 1 {
        1.25
    } else if degurba == 3 {
        0.6
    } else {
        1.0
    };
    let foreign_share = (region.foreign_born_share * city_boost * segregation.exp()).min(0.9);
    let cluster_effect: f64 = Normal::new(0.0, 0.25).map(|n| n.sample(rng)).unwrap_or(0.0);
    // National anchors: natives ~ nationals' rate + 4 points for ages 20-64.
    let base_native = logit((country.employment_nationals + 0.04).min(0.95));
    let foreign = logit((country.employment_foreigners + 0.03).min(0.95));
    let reg = region_offset(region.code, 1, 0.15);
    let mut persons = Vec::with_capacity(HOUSEHOLDS_PER_CLUSTER * 2);
    for household in 0..HOUSEHOLDS_PER_CLUSTER {
        let u: f64 = rng.random();
        let group = if u < foreign_share {
            if rng.random::<f64>() < country.eu_share_of_foreign_born {
                BirthGroup::EuBorn
            } else {
                BirthGroup::NonEuBorn
            }
        } else {
            BirthGroup::Native
        };
        let origin = rng.random_range(0..10u8);
        let size = match rng.random_range(0..100) {
            0..=34 => 1,
            35..=74 => 2,
            75..=89 => 3,
            _ => 4,
        };
        for _ in 0..size {
            let age: u8 = match rng.random_range(0..100) {
                0..=7 => rng.random_range(15..20),
                8..=15 => rng.random_range(20..25),
                16..=67 => rng.random_range(25..55),
                68..=84 => rng.random_range(55..65),
                _ => rng.random_range(65..90),
            };
            let sex = if rng.random::<bool>() { 1 } else { 2 };
            let national = match group {
                BirthGroup::Native => true,
                BirthGroup::EuBorn => rng.random::<f64>() < 0.2,
                BirthGroup::NonEuBorn => rng.random::<f64>() < 0.45,
            };
            let edu_u: f64 = rng.random();
            let (low, medium) = match group {
                BirthGroup::Native => (0.15, 0.45),
                BirthGroup::EuBorn => (0.20, 0.40),
                BirthGroup::NonEuBorn => (0.38, 0.32),
            };
            let hatlev = if edu_u < low {
                200
            } else if edu_u < low + medium {
                300
            } else {
                600
            };
            // Employment: group, sex, age, education, region, cluster.
            let mut eta = match group {
                BirthGroup::Native => base_native,
                BirthGroup::EuBorn => base_native - 0.15 + 0.5 * (foreign - base_native),
                BirthGroup::NonEuBorn => foreign - 0.35,
            };
            eta += reg + cluster_effect;
            if sex == 2 {
                eta -= match group {
                    BirthGroup::NonEuBorn => 0.75,
                    _ => 0.35,
                };
            } else {
                eta += 0.2;
            }
            eta += match hatlev {
                200 => -0.6,
                600 => 0.5,
                _ => 0.0,
            };
            eta += match age {
                15..=19 => -2.2,
                20..=24 => -0.6,
                25..=54 => 0.35,
                55..=64 => -0.55,
                _ => -3.5,
            };
            if degurba == 1 && group == BirthGroup::NonEuBorn {
                eta -= 0.15;
            }
            let p_employed = expit(eta);
            let u_rate = match group {
                BirthGroup::Native => country.unemployment_nationals,
                _ => {
                    country.unemployment_foreigners
                        * if group == BirthGroup::NonEuBorn {
                            1.15
                        } else {
                            0.8
                        }
                }
            } * if age < 25 { 2.0 } else { 1.0 };
            let p_unemployed = (p_employed * u_rate / (1.0 - u_rate)).min(1.0 - p_employed);
            let draw: f64 = rng.random();
            let ilostat = if draw < p_employed {
                ILO_EMPLOYED
            } else if draw < p_employed + p_unemployed {
                ILO_UNEMPLOYED
            } else {
                ILO_INACTIVE
            };
            persons.push(Person {
                household: household as u8,
                age,
                sex,
                group,
                origin,
                national,
                ilostat,
                hatlev,
            });
        }
    }
    Cluster {
        region: region_index as u16,
        degurba,
        index,
        persons,
    }
}

impl Population {
    /// Generates the population (parallel over regions; the result does not depend on the
    /// number of threads).
    pub fn generate(config: SyntheticConfig) -> Population {
        let clusters: Vec<Cluster> = REGIONS
            .par_iter()
            .enumerate()
            .flat_map_iter(|(ri, region)| {
                let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
                rng.set_stream(ri as u64 + 1);
                // Persons 15+ are ~85 % of residents; ~2 persons 15+ per household.
                let persons = region.population_thousands * 1000.0 * 0.85 * config.population_scale;
                let mut out = Vec::new();
                for (d, share) in region.degurba.iter().enumerate() {
                    let n_clusters =
                        (persons * share / (2.0 * HOUSEHOLDS_PER_CLUSTER as f64)).round() as u32;
                    let n_clusters = if *share > 0.0 { n_clusters.max(4) } else { 0 };
                    for c in 0..n_clusters {
                        out.push(generate_cluster(ri, d as u8 + 1, c, &mut rng));
                    }
                }
                out
            })
            .collect();
        Population { config, clusters }
    }

    pub fn person_count(&self) -> usize {
        self.clusters.iter().map(|c| c.persons.len()).sum()
    }

    /// The true population values of the employment, unemployment and activity rates 20-64
    /// for every country and region, by group of country of birth (and all groups together).
    pub fn truth(&self) -> Vec<TruthRow> {
        use std::collections::BTreeMap;
        // (geo, group) -> (population 20-64, employed, unemployed)
        let mut acc: BTreeMap<(String, String), (u64, u64, u64)> = BTreeMap::new();
        for c in &self.clusters {
            let region = &REGIONS[c.region as usize];
            let country = country_of(region).code;
            for p in &c.persons {
                if !(20..=64).contains(&p.age) {
                    continue;
                }
                for geo in [country, region.code] {
                    for group in [p.group.code(), "total"] {
                        let e = acc.entry((geo.to_string(), group.to_string())).or_default();
                        e.0 += 1;
                        e.1 += (p.ilostat == ILO_EMPLOYED) as u64;
                        e.2 += (p.ilostat == ILO_UNEMPLOYED) as u64;
                    }
                }
            }
        }
        let mut rows = Vec::new();
        for ((geo, group), (pop, emp, unemp)) in acc {
            let level = if geo.len() == 2 { 0 } else { 2 };
            let lf = emp + unemp;
            for (indicator, num, den) in [
                ("employment_rate_20_64", emp, pop),
                ("unemployment_rate_20_64", unemp, lf),
                ("activity_rate_20_64", lf, pop),
            ] {
                if den > 0 {
                    rows.push(TruthRow {
                        indicator: indicator.to_string(),
                        nuts_level: level,
                        geo: geo.clone(),
                        group: group.clone(),
                        numerator: num,
                        denominator: den,
                        value: num as f64 / den as f64,
                    });
                }
            }
        }
        rows
    }

    /// Draws one sample (see the module documentation for the design).
    pub fn draw_sample(&self, sample_seed: u64) -> Vec<LfsRecord> {
        use std::collections::BTreeMap;
        let cfg = self.config;
        // Group clusters by stratum.
        let mut strata: BTreeMap<(u16, u8), Vec<&Cluster>> = BTreeMap::new();
        for c in &self.clusters {
            strata.entry((c.region, c.degurba)).or_default().push(c);
        }
        let mut rng = ChaCha8Rng::seed_from_u64(sample_seed);
        let mut records = Vec::new();
        for ((ri, d), clusters) in strata {
            let region = &REGIONS[ri as usize];
            let country = country_of(region);
            let country_persons: f64 = REGIONS
                .iter()
                .filter(|r| r.code.starts_with(country.code))
                .map(|r| r.population_thousands * 1000.0 * 0.85 * cfg.population_scale)
                .sum();
            let rate = country.sample_persons as f64 * cfg.sample_scale / country_persons
                * if d == 1 { 1.5 } else { 1.0 };
            let m = ((clusters.len() as f64 * rate).round() as usize).clamp(2, clusters.len());
            // SRSWOR of m clusters (partial Fisher-Yates).
            let mut idx: Vec<usize> = (0..clusters.len()).collect();
            for i in 0..m {
                let j = rng.random_range(i..idx.len());
                idx.swap(i, j);
            }
            let stratum_population: usize = clusters.iter().map(|c| c.persons.len()).sum();
            let mut respondents: Vec<(&Cluster, &Person)> = Vec::new();
            for &ci in &idx[..m] {
                let c = clusters[ci];
                let mut responds = [false; HOUSEHOLDS_PER_CLUSTER];
                for (h, r) in responds.iter_mut().enumerate() {
                    let migrant = c
                        .persons
                        .iter()
                        .any(|p| p.household as usize == h && p.group == BirthGroup::NonEuBorn);
                    let p = if d == 1 { 0.75 } else { 0.85 } * if migrant { 0.9 } else { 1.0 };
                    *r = rng.random::<f64>() < p;
                }
                respondents.extend(
                    c.persons
                        .iter()
                        .filter(|p| responds[p.household as usize])
                        .map(|p| (c, p)),
                );
            }
            if respondents.is_empty() {
                continue;
            }
            let weight =
                stratum_population as f64 / respondents.len() as f64 / cfg.population_scale;
            for (c, p) in respondents {
                let (birth, citizenship) = match p.group {
                    BirthGroup::Native => (country.code, country.code),
                    BirthGroup::EuBorn => {
                        let o = EU_ORIGINS[p.origin as usize];
                        let o = if o == country.code { "FR" } else { o };
                        (o, if p.national { country.code } else { o })
                    }
                    BirthGroup::NonEuBorn => {
                        let o = NON_EU_ORIGINS[p.origin as usize];
                        (o, if p.national { country.code } else { o })
                    }
                };
                records.push(LfsRecord {
                    country: country.code,
                    year: cfg.year,
                    region: region.code,
                    degurba: d,
                    weight,
                    sex: p.sex,
                    age: p.age,
                    country_of_birth: birth,
                    citizenship,
                    ilostat: p.ilostat,
                    hatlev: p.hatlev,
                    stratum: format!("{}-{}", region.code, d),
                    psu: format!("{}-{}-{:05}", region.code, d, c.index),
                    household: format!("{}-{}-{:05}-{}", region.code, d, c.index, p.household),
                    group: p.group,
                });
            }
        }
        records
    }
}

/// One record in the EU-LFS user-database layout (plus design columns).
#[derive(Debug, Clone, PartialEq)]
pub struct LfsRecord {
    pub country: &'static str,
    pub year: i32,
    pub region: &'static str,
    pub degurba: u8,
    pub weight: f64,
    pub sex: u8,
    pub age: u8,
    pub country_of_birth: &'static str,
    pub citizenship: &'static str,
    pub ilostat: u8,
    pub hatlev: u16,
    pub stratum: String,
    pub psu: String,
    pub household: String,
    /// Not written to the file (derivable from COUNTRYB); kept for tests.
    pub group: BirthGroup,
}

/// The header of generated EU-LFS files.
pub const LFS_HEADER: &str =
    "COUNTRY,YEAR,REGION,DEGURBA,COEFFY,SEX,AGE,COUNTRYB,CITIZENSHIP,ILOSTAT,HATLEV,STRATUM,PSU,HHNUM";

/// Writes records as an EU-LFS-layout CSV file.
pub fn write_lfs_csv(records: &[LfsRecord], path: &Path) -> Result<(), DataError> {
    let file = std::fs::File::create(path).map_err(|e| DataError::io(path, e))?;
    let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
    let mut write = || -> std::io::Result<()> {
        writeln!(out, "{LFS_HEADER}")?;
        for r in records {
            writeln!(
                out,
                "{},{},{},{},{:.4},{},{},{},{},{},{},{},{},{}",
                r.country,
                r.year,
                r.region,
                r.degurba,
                r.weight,
                r.sex,
                r.age,
                r.country_of_birth,
                r.citizenship,
                r.ilostat,
                r.hatlev,
                r.stratum,
                r.psu,
                r.household
            )?;
        }
        out.flush()
    };
    write().map_err(|e| DataError::io(path, e))
}

/// A true population value.
#[derive(Debug, Clone, PartialEq)]
pub struct TruthRow {
    pub indicator: String,
    pub nuts_level: u8,
    pub geo: String,
    pub group: String,
    pub numerator: u64,
    pub denominator: u64,
    pub value: f64,
}

pub fn write_truth_csv(rows: &[TruthRow], path: &Path) -> Result<(), DataError> {
    let file = std::fs::File::create(path).map_err(|e| DataError::io(path, e))?;
    let mut out = std::io::BufWriter::new(file);
    let mut write = || -> std::io::Result<()> {
        writeln!(
            out,
            "indicator,nuts_level,geo,group,numerator,denominator,value"
        )?;
        for r in rows {
            writeln!(
                out,
                "{},{},{},{},{},{},{:.10}",
                r.indicator, r.nuts_level, r.geo, r.group, r.numerator, r.denominator, r.value
            )?;
        }
        out.flush()
    };
    write().map_err(|e| DataError::io(path, e))
}

/// Name of a NUTS 2 region of the synthetic population, or of a country.
pub fn geo_name(code: &str) -> Option<&'static str> {
    REGIONS
        .iter()
        .find(|r| r.code == code)
        .map(|r| r.name)
        .or_else(|| COUNTRIES.iter().find(|c| c.code == code).map(|c| c.name))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> Population {
        Population::generate(SyntheticConfig {
            population_scale: 0.01,
            ..Default::default()
        })
    }

    #[test]
    fn generation_is_reproducible_and_seed_dependent() {
        let a = small();
        let b = small();
        assert_eq!(a.person_count(), b.person_count());
        assert_eq!(a.clusters[100].persons, b.clusters[100].persons);
        assert_eq!(a.draw_sample(1), b.draw_sample(1));
        assert_ne!(a.draw_sample(1), a.draw_sample(2));
        let c = Population::generate(SyntheticConfig {
            population_scale: 0.01,
            seed: 9,
            ..Default::default()
        });
        assert_ne!(a.clusters[100].persons, c.clusters[100].persons);
    }

    #[test]
    fn population_has_realistic_gaps_and_design() {
        let pop = small();
        let truth = pop.truth();
        let rate = |geo: &str, group: &str| {
            truth
                .iter()
                .find(|t| {
                    t.indicator == "employment_rate_20_64" && t.geo == geo && t.group == group
                })
                .map(|t| t.value)
                .unwrap()
        };
        for c in ["AT", "BE", "NL", "SE"] {
            let native = rate(c, "native");
            let non_eu = rate(c, "non_eu_born");
            assert!((0.6..0.9).contains(&native), "{c} native {native}");
            assert!(native - non_eu > 0.05, "{c}: gap {native} vs {non_eu}");
        }
        let sample = pop.draw_sample(7);
        let strata: std::collections::BTreeSet<&str> =
            sample.iter().map(|r| r.stratum.as_str()).collect();
        assert!(strata.len() > 80, "strata: {}", strata.len());
        let weights: std::collections::BTreeSet<u64> =
            sample.iter().map(|r| r.weight as u64).collect();
        assert!(weights.len() > 50, "weights should differ between strata");
        // Weighted persons 15+ approximate the real population (within 15 %).
        let total: f64 = sample.iter().map(|r| r.weight).sum();
        let real: f64 = REGIONS
            .iter()
            .map(|r| r.population_thousands * 1000.0 * 0.85)
            .sum();
        assert!((total / real - 1.0).abs() < 0.15, "{total} vs {real}");
    }
}
