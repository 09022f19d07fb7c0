//! Administrative tables of the synthetic Europe for the active-citizenship indicators, in the
//! layout of Eurostat's migration statistics (SDMX-CSV, dimension codes as Eurostat's):
//!
//! * `MIGR_POP1CTZ`: foreign citizens resident on 1 January, by citizenship (`EU27_2020_FOR`,
//!   `NEU27_2020_FOR`, `FOR`);
//! * `MIGR_ACQ`: acquisitions of citizenship in the year, by former citizenship;
//! * `MIGR_RESVALID`: non-EU citizens holding a valid residence permit on 31 December;
//! * `MIGR_RESLONG`: of them, long-term residents.
//!
//! For every country, NUTS 2 region and city. **Synthetic**: counted from the simulated
//! persons, scaled to the real population, with plausible rates (documented in
//! `data/synthetic/README.md`): a foreign citizen with five years of residence or more
//! acquires citizenship in the year with probability 0.035 (non-EU) or 0.012 (EU); a non-EU
//! citizen holds a permit with probability 0.95, and a permit holder with five years or more
//! is a long-term resident with probability 0.7. Draws are fixed by the person (a hash of the
//! seed and the person's place in the population), so the tables are reproducible.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::registers::{areas_of, uniform};
use super::Population;
use crate::SyntheticError;

/// The datasets written, with their file stem.
pub const CITIZENSHIP_DATASETS: [&str; 4] =
    ["MIGR_POP1CTZ", "MIGR_ACQ", "MIGR_RESVALID", "MIGR_RESLONG"];

#[derive(Default, Clone, Copy)]
struct Counts {
    /// Foreign citizens (EU, non-EU).
    foreign: [f64; 2],
    acquisitions: [f64; 2],
    permits: f64,
    long_term: f64,
}

fn counts(pop: &Population) -> BTreeMap<String, Counts> {
    let seed = pop.config.seed ^ 0x6369_7469_7a65_6e73; // "citizens"
    let per_stratum: Vec<(Vec<String>, Counts)> = (0..pop.strata.len())
        .into_par_iter()
        .map(|si| {
            let s = &pop.strata[si];
            let home = pop.parameters.country[s.country].code.as_str();
            let mut c = Counts::default();
            for k in 0..s.clusters {
                let cluster = pop.cluster(s, k);
                for h in &cluster.households {
                    for p in &h.persons {
                        if p.citizenship == home {
                            continue;
                        }
                        let key = seed
                            ^ ((si as u64) << 40)
                            ^ ((k as u64) << 16)
                            ^ ((h.number as u64) << 8)
                            ^ p.member as u64;
                        let eu = incity_reference::geography::is_eu27(p.citizenship);
                        let g = usize::from(!eu);
                        let settled = p.years_of_residence.is_none_or(|y| y >= 5);
                        c.foreign[g] += 1.0;
                        let rate = if eu { 0.012 } else { 0.035 };
                        if settled && uniform(key ^ 0x11) < rate {
                            c.acquisitions[g] += 1.0;
                        }
                        if !eu && uniform(key ^ 0x12) < 0.95 {
                            c.permits += 1.0;
                            if settled && uniform(key ^ 0x13) < 0.7 {
                                c.long_term += 1.0;
                            }
                        }
                    }
                }
            }
            (areas_of(pop, si), c)
        })
        .collect();
    let mut by_area: BTreeMap<String, Counts> = BTreeMap::new();
    for (areas, c) in per_stratum {
        for a in areas {
            let t = by_area.entry(a).or_default();
            for g in 0..2 {
                t.foreign[g] += c.foreign[g];
                t.acquisitions[g] += c.acquisitions[g];
            }
            t.permits += c.permits;
            t.long_term += c.long_term;
        }
    }
    by_area
}

/// Writes the four tables as SDMX-CSV files `<dataset>_<year>.csv` in `dir`; returns their
/// paths.
pub fn write_citizenship_tables(
    pop: &Population,
    dir: &Path,
) -> Result<Vec<PathBuf>, SyntheticError> {
    let by_area = counts(pop);
    let scale = 1.0 / pop.config.population_scale;
    let year = pop.config.year;
    let mut paths = Vec::new();
    for dataset in CITIZENSHIP_DATASETS {
        let path = dir.join(format!("{}_{year}.csv", dataset.to_lowercase()));
        let file = std::fs::File::create(&path).map_err(|e| SyntheticError::io(&path, e))?;
        let mut out = std::io::BufWriter::new(file);
        let flow = format!("ESTAT:{dataset}(1.0)");
        let mut write = || -> std::io::Result<()> {
            match dataset {
                "MIGR_POP1CTZ" => {
                    writeln!(
                        out,
                        "DATAFLOW,freq,citizen,age,unit,sex,geo,TIME_PERIOD,OBS_VALUE"
                    )?;
                    for (area, c) in &by_area {
                        for (code, n) in [
                            ("EU27_2020_FOR", c.foreign[0]),
                            ("NEU27_2020_FOR", c.foreign[1]),
                            ("FOR", c.foreign[0] + c.foreign[1]),
                        ] {
                            writeln!(
                                out,
                                "{flow},A,{code},TOTAL,NR,T,{area},{year},{}",
                                (n * scale).round()
                            )?;
                        }
                    }
                }
                "MIGR_ACQ" => {
                    writeln!(
                        out,
                        "DATAFLOW,freq,citizen,agedef,age,unit,sex,geo,TIME_PERIOD,OBS_VALUE"
                    )?;
                    for (area, c) in &by_area {
                        for (code, n) in [
                            ("EU27_2020_FOR", c.acquisitions[0]),
                            ("NEU27_2020_FOR", c.acquisitions[1]),
                            ("FOR", c.acquisitions[0] + c.acquisitions[1]),
                        ] {
                            writeln!(
                                out,
                                "{flow},A,{code},COMPLET,TOTAL,NR,T,{area},{year},{}",
                                (n * scale).round()
                            )?;
                        }
                    }
                }
                "MIGR_RESVALID" => {
                    writeln!(
                        out,
                        "DATAFLOW,freq,reason,duration,citizen,unit,geo,TIME_PERIOD,OBS_VALUE"
                    )?;
                    for (area, c) in &by_area {
                        writeln!(
                            out,
                            "{flow},A,TOTAL,TOTAL,TOTAL,PER,{area},{year},{}",
                            (c.permits * scale).round()
                        )?;
                    }
                }
                _ => {
                    writeln!(out, "DATAFLOW,freq,citizen,unit,geo,TIME_PERIOD,OBS_VALUE")?;
                    for (area, c) in &by_area {
                        writeln!(
                            out,
                            "{flow},A,TOTAL,PER,{area},{year},{}",
                            (c.long_term * scale).round()
                        )?;
                    }
                }
            }
            out.flush()
        };
        write().map_err(|e| SyntheticError::io(&path, e))?;
        paths.push(path);
    }
    Ok(paths)
}
