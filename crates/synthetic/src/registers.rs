//! Register-style area tables of the synthetic population: the covariates of the small-area
//! models, drawn from the same persons as the surveys but *measured as a register would*.
//!
//! Registers count concepts that differ from the survey's (Eurostat 2013, *Using EU indicators
//! of immigrant integration*, ch. 3; the differences are what makes them covariates rather than
//! substitutes):
//!
//! - **registered population** over-covers foreign citizens: people who left without
//!   deregistering (4 % of foreign citizens are counted twice, as a register's "ghosts");
//! - **registered unemployed** (public employment service): only some ILO-unemployed persons
//!   register (80 % of nationals, 65 % of EU citizens, 70 % of non-EU citizens), and 3 % of the
//!   inactive are registered jobseekers without searching;
//! - **employed in social-security records**: 95 % of employed nationals, 90 % of EU citizens,
//!   84 % of non-EU citizens are declared (undeclared work is not registered);
//! - **tertiary education in the education register**: qualifications earned abroad are often
//!   missing (recorded for 95 % of the native-born, 60 % of the foreign-born with a tertiary
//!   degree);
//! - **persons aged 65 or over** and the **group's share of the population** (from the
//!   registered population).
//!
//! Each draw is a deterministic function of the person's position in the frame (stratum,
//! cluster, household, member) and the seed, so the tables do not depend on the number of
//! threads. Values are percentages of the registered population of the group (20-64 for the
//! labour-market measures, 25-64 for education), by area (country, NUTS 2, city) and target
//! group (by country of birth and by citizenship). The file is SDMX-CSV, loaded with
//! `incity import-table` like a city's own register extract.

use std::io::Write;
use std::path::Path;

use rayon::prelude::*;

use super::people::OriginGroup;
use super::{Population, ILO_EMPLOYED, ILO_UNEMPLOYED};
use crate::SyntheticError;

/// The dataset identifier of the register table (its SDMX `DATAFLOW`).
pub const REGISTER_DATAFLOW: &str = "INCITY:INCITY_REGISTER(1.0)";

/// The dataset under which `incity import-table` stores the register table.
pub const REGISTER_DATASET: &str = "INCITY_REGISTER";

/// The measures of the register table (`indic` dimension).
pub const REGISTER_MEASURES: [&str; 5] = [
    "REG_EMP_RATE",
    "REG_UNEMP_RATE",
    "REG_TERTIARY_SHARE",
    "AGE65_SHARE",
    "GROUP_SHARE",
];

/// Groups of the register table: total, by country of birth, by citizenship.
const GROUPS: [&str; 7] = [
    "total",
    "native",
    "eu_born",
    "non_eu_born",
    "nationals",
    "eu_citizens",
    "non_eu_citizens",
];

/// Accumulators per (area, group): registered population (all, 20-64, 25-64), registered
/// unemployed, registered employed, registered tertiary, persons 65+.
#[derive(Clone, Copy, Default)]
struct Counts {
    all: f64,
    age_20_64: f64,
    age_25_64: f64,
    unemployed: f64,
    employed: f64,
    tertiary: f64,
    age_65: f64,
}

impl Counts {
    fn add(&mut self, o: &Counts) {
        self.all += o.all;
        self.age_20_64 += o.age_20_64;
        self.age_25_64 += o.age_25_64;
        self.unemployed += o.unemployed;
        self.employed += o.employed;
        self.tertiary += o.tertiary;
        self.age_65 += o.age_65;
    }
}

/// SplitMix64: a uniform draw in [0, 1) from a key (deterministic per person).
pub(crate) fn uniform(key: u64) -> f64 {
    let mut z = key.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64
}

/// Areas of a stratum: country, NUTS 2, city (when the stratum lies in one).
pub(crate) fn areas_of(pop: &Population, si: usize) -> Vec<String> {
    let s = &pop.strata[si];
    let mut a = vec![
        pop.parameters.country[s.country].code.clone(),
        pop.parameters.region[s.region].code.clone(),
    ];
    if let Some(c) = s.city {
        a.push(pop.parameters.city[c].code.clone());
    }
    a
}

/// Computes the register table: (area, group, measure, value in percent).
pub fn register_table(pop: &Population) -> Vec<(String, &'static str, &'static str, f64)> {
    let seed = pop.config.seed;
    let per_stratum: Vec<(Vec<String>, [Counts; GROUPS.len()])> = (0..pop.strata.len())
        .into_par_iter()
        .map(|si| {
            let s = &pop.strata[si];
            let home = pop.parameters.country[s.country].code.as_str();
            let mut counts = [Counts::default(); GROUPS.len()];
            for c in 0..s.clusters {
                let cluster = pop.cluster(s, c);
                for h in &cluster.households {
                    for p in &h.persons {
                        let key = seed
                            ^ ((si as u64) << 40)
                            ^ ((c as u64) << 16)
                            ^ ((h.number as u64) << 8)
                            ^ p.member as u64;
                        let national = p.citizenship == home;
                        let eu_citizen =
                            !national && incity_reference::geography::is_eu27(p.citizenship);
                        let foreign_born = p.birth != OriginGroup::Native;
                        // Ghost registrations of foreign citizens.
                        let count = if !national && uniform(key ^ 0x01) < 0.04 {
                            2.0
                        } else {
                            1.0
                        };
                        let (reg_unemployed, declared) = if national {
                            (0.80, 0.95)
                        } else if eu_citizen {
                            (0.65, 0.90)
                        } else {
                            (0.70, 0.84)
                        };
                        let a = p.age;
                        let mut x = Counts {
                            all: count,
                            age_65: if a >= 65 { count } else { 0.0 },
                            ..Counts::default()
                        };
                        if (20..=64).contains(&a) {
                            x.age_20_64 = count;
                            let u = uniform(key ^ 0x02);
                            x.unemployed = match p.ilostat {
                                Some(ILO_UNEMPLOYED) if u < reg_unemployed => 1.0,
                                Some(s) if s != ILO_EMPLOYED && s != ILO_UNEMPLOYED && u < 0.03 => {
                                    1.0
                                }
                                _ => 0.0,
                            };
                            if p.ilostat == Some(ILO_EMPLOYED) && uniform(key ^ 0x03) < declared {
                                x.employed = 1.0;
                            }
                        }
                        if (25..=64).contains(&a) {
                            x.age_25_64 = count;
                            let recorded = if foreign_born { 0.60 } else { 0.95 };
                            if p.isced.is_some_and(|i| i >= 500) && uniform(key ^ 0x04) < recorded {
                                x.tertiary = 1.0;
                            }
                        }
                        let birth = match p.birth {
                            OriginGroup::Native => 1,
                            OriginGroup::EuBorn => 2,
                            OriginGroup::NonEuBorn => 3,
                        };
                        let citizenship = if national {
                            4
                        } else if eu_citizen {
                            5
                        } else {
                            6
                        };
                        for g in [0, birth, citizenship] {
                            counts[g].add(&x);
                        }
                    }
                }
            }
            (areas_of(pop, si), counts)
        })
        .collect();
    let mut by_area: std::collections::BTreeMap<String, [Counts; GROUPS.len()]> =
        Default::default();
    for (areas, counts) in &per_stratum {
        for a in areas {
            let acc = by_area
                .entry(a.clone())
                .or_insert([Counts::default(); GROUPS.len()]);
            for (t, c) in acc.iter_mut().zip(counts) {
                t.add(c);
            }
        }
    }
    let mut rows = Vec::new();
    for (area, counts) in &by_area {
        let total = counts[0].all;
        for (g, c) in counts.iter().enumerate() {
            if c.age_20_64 <= 0.0 {
                continue;
            }
            let pct = |num: f64, den: f64| 100.0 * num / den;
            let values = [
                pct(c.employed, c.age_20_64),
                pct(c.unemployed, c.age_20_64),
                if c.age_25_64 > 0.0 {
                    pct(c.tertiary, c.age_25_64)
                } else {
                    f64::NAN
                },
                pct(c.age_65, c.all),
                pct(c.all, total),
            ];
            for (m, v) in REGISTER_MEASURES.iter().zip(values) {
                if v.is_finite() {
                    rows.push((area.clone(), GROUPS[g], *m, v));
                }
            }
        }
    }
    rows
}

/// Writes the register table as SDMX-CSV (`DATAFLOW,freq,indic,group,geo,TIME_PERIOD,OBS_VALUE`).
pub fn write_register_csv(pop: &Population, path: &Path) -> Result<usize, SyntheticError> {
    let rows = register_table(pop);
    let file = std::fs::File::create(path).map_err(|e| SyntheticError::io(path, e))?;
    let mut out = std::io::BufWriter::new(file);
    let year = pop.config.year;
    let mut write = || -> std::io::Result<()> {
        writeln!(out, "DATAFLOW,freq,indic,group,geo,TIME_PERIOD,OBS_VALUE")?;
        for (area, group, measure, value) in &rows {
            writeln!(
                out,
                "{REGISTER_DATAFLOW},A,{measure},{group},{area},{year},{value:.6}"
            )?;
        }
        out.flush()
    };
    write().map_err(|e| SyntheticError::io(path, e))?;
    Ok(rows.len())
}
