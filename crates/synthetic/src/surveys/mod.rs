//! The two surveys drawn from the synthetic population: sample selection, non-response,
//! weighting and calibration, and the files in the user-database layouts.
//!
//! Selection is stratified SRSWOR of clusters (`m_h` of `M_h`), oversampling cities; the
//! EU-LFS takes every household of a sampled cluster, EU-SILC a simple random sample of
//! [`SILC_HOUSEHOLDS_PER_CLUSTER`] of its households. Households respond with a probability
//! that is lower in cities and for non-EU-born households. Weights:
//!
//! 1. design weight `d = M_h / m_h` (× `12 / 4` households in EU-SILC);
//! 2. non-response adjustment within the stratum: `× households approached / responding`;
//! 3. calibration to the population by region × sex × age band: post-stratification of
//!    persons 15+ for the EU-LFS (six age bands); for EU-SILC integrated calibration of
//!    household weights with `x` the household's persons by
//!    sex × five age bands (collapsed to fewer bands where a region's sample cannot meet
//!    them), raking ratio `w = d exp(x'λ)` with `Σ w x = t_x` (Deville &
//!    Särndal 1992), so that every member of a household has the same, positive, weight
//!    (integrated calibration, Lemaître & Dufour 1987).
//!
//! Each pass regenerates the clusters it needs from their streams, so memory does not grow
//! with the population or the sample; files are written in stratum order in parallel chunks.

use std::io::Write;
use std::path::{Path, PathBuf};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use super::people::{Cluster, OriginGroup, Person};
use super::{Population, Stratum, HOUSEHOLDS_PER_CLUSTER, PERSONS_PER_HOUSEHOLD};
use crate::SyntheticError;

mod calibration;
use calibration::{calibrate, silc_x, Calibration};

/// Households sampled per sampled cluster in EU-SILC.
pub const SILC_HOUSEHOLDS_PER_CLUSTER: usize = 4;

/// The header of generated EU-LFS files (user-database names; `CITY`, `STRATUM`, `PSU`,
/// `HHNUM` and single years of `AGE` are what a national extract adds to the UDB).
pub const LFS_HEADER: &str = "COUNTRY,YEAR,REGION,DEGURBA,CITY,COEFFY,SEX,AGE,COUNTRYB,CITIZENSHIP,\
COUNTRYBFATH,COUNTRYBMOTH,YEARESID,ILOSTAT,STAPRO,ISCO08_1D,HATLEV,EDUCFED4,EDUCNFE4,STRATUM,PSU,HHNUM,HHSEQNUM,SEEKDUR,TEMP,FTPT,FTPTREAS";
/// EU-SILC household register (D file).
pub const SILC_D_HEADER: &str = "DB010,DB020,DB030,DB040,DB050,DB060,DB090,DB100,CITY";
/// EU-SILC personal register (R file).
pub const SILC_R_HEADER: &str =
    "RB010,RB020,RB030,RB040,RB050,RB080,RB090,RX010,RB220,RB230,RB240,RX040";
/// EU-SILC household data (H file).
pub const SILC_H_HEADER: &str = "HB010,HB020,HB030,HX090,HH021,HY020,HH070,HY070G,HX050,HH030,\
HS011,HS021,HS031,HS040,HS050,HS060,HH050,HS110,HD080";
/// EU-SILC personal data, persons 16+ (P file).
pub const SILC_P_HEADER: &str =
    "PB010,PB020,PB030,PX030,PB040,PB210,PB220A,PE040,PL032,PH010,PH040,PH050,PB100,PB110,PB130,PB140,PB150,\
PD020,PD030,PD050,PD060,PD070,PD080";

#[derive(Clone, Copy, PartialEq, Eq)]
enum Survey {
    Lfs,
    Silc,
}

const LFS_BANDS: [(u8, u8); 6] = [(15, 24), (25, 34), (35, 44), (45, 54), (55, 64), (65, 200)];
const SILC_BANDS: [(u8, u8); 5] = [(0, 15), (16, 24), (25, 44), (45, 64), (65, 200)];

fn band(bands: &[(u8, u8)], age: u8) -> Option<usize> {
    bands.iter().position(|(lo, hi)| (*lo..=*hi).contains(&age))
}

/// Population counts by region × sex × single year of age (0-100+).
fn population_counts(pop: &Population) -> Vec<[[u64; 101]; 2]> {
    (0..pop.strata.len())
        .into_par_iter()
        .fold(
            || vec![[[0u64; 101]; 2]; pop.parameters.region.len()],
            |mut acc, si| {
                let s = &pop.strata[si];
                for c in 0..s.clusters {
                    for h in pop.cluster(s, c).households {
                        for p in h.persons {
                            acc[s.region][(p.sex - 1) as usize][(p.age as usize).min(100)] += 1;
                        }
                    }
                }
                acc
            },
        )
        .reduce(
            || vec![[[0u64; 101]; 2]; pop.parameters.region.len()],
            |mut a, b| {
                for (x, y) in a.iter_mut().zip(b) {
                    for s in 0..2 {
                        for k in 0..101 {
                            x[s][k] += y[s][k];
                        }
                    }
                }
                a
            },
        )
}

/// Sampled clusters per stratum (sorted indices).
fn select(pop: &Population, survey: Survey, seed: u64) -> Vec<Vec<u32>> {
    let over = |s: &Stratum| match (s.city.is_some(), s.degurba) {
        (true, _) => 2.0,
        (false, 1) => 1.4,
        (false, 2) => 1.0,
        _ => 0.8,
    };
    let mut plan = vec![Vec::new(); pop.strata.len()];
    for (ci, country) in pop.parameters.country.iter().enumerate() {
        let strata: Vec<&Stratum> = pop.strata.iter().filter(|s| s.country == ci).collect();
        // Expected clusters needed, before non-response (~0.78).
        let clusters_needed = match survey {
            Survey::Lfs => {
                country.lfs_persons / (HOUSEHOLDS_PER_CLUSTER as f64 * PERSONS_PER_HOUSEHOLD * 0.85)
            }
            Survey::Silc => country.silc_households / SILC_HOUSEHOLDS_PER_CLUSTER as f64,
        } * pop.config.sample_scale
            / 0.78;
        let weighted: f64 = strata.iter().map(|s| s.clusters as f64 * over(s)).sum();
        for s in strata {
            let m = (s.clusters as f64 * over(s) * clusters_needed / weighted).round() as u32;
            let m = m.clamp(2.min(s.clusters), s.clusters);
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            rng.set_stream(((survey as u64) << 40) | s.id as u64);
            plan[s.id as usize] = floyd_sample(&mut rng, s.clusters, m);
        }
    }
    plan
}

/// How one year's sample keeps PSUs of the year before, as rotating designs do (the EU-LFS
/// rotation pattern, EU-SILC's four-year panel): in every stratum a simple random `kept` share
/// of the earlier sample's clusters stays, and the rest is drawn from the clusters the earlier
/// sample did not hold. Each cluster's inclusion probability stays `m_h / M_h`:
/// `k/M + (1 − m/M)(m − k)/(M − m) = m/M`, so the design weights are unchanged. The earlier
/// sample is itself the end of a chain: the first seed's sample is drawn independently and
/// every later one rotates from the one before.
#[derive(Debug, Clone, PartialEq)]
pub struct Rotation {
    /// The sample seeds of the earlier years' samples, the first (independent) one first.
    pub earlier_seeds: Vec<u64>,
    /// The share of the previous sample's clusters kept (0 to 1).
    pub kept: f64,
}

/// Sampled clusters per stratum of a sample that rotates from earlier ones.
fn select_rotating(
    pop: &Population,
    survey: Survey,
    seed: u64,
    rotation: &Rotation,
) -> Vec<Vec<u32>> {
    let Some((&first, later)) = rotation.earlier_seeds.split_first() else {
        return select(pop, survey, seed);
    };
    let mut plan = select(pop, survey, first);
    for &s in later.iter().chain(std::iter::once(&seed)) {
        plan = rotate(pop, survey, s, rotation.kept, &plan);
    }
    plan
}

/// The next sample of a rotation: `kept` of `previous`'s clusters per stratum, the rest new.
fn rotate(
    pop: &Population,
    survey: Survey,
    seed: u64,
    kept: f64,
    previous: &[Vec<u32>],
) -> Vec<Vec<u32>> {
    previous
        .iter()
        .enumerate()
        .map(|(si, before)| {
            let s = &pop.strata[si];
            let m = before.len() as u32;
            let keep = ((kept.clamp(0.0, 1.0) * f64::from(m)).round() as u32).min(m);
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            rng.set_stream((1 << 62) | ((survey as u64) << 40) | s.id as u64);
            let mut plan: Vec<u32> = floyd_sample(&mut rng, m, keep)
                .into_iter()
                .map(|i| before[i as usize])
                .collect();
            // New clusters from those the earlier sample did not hold (from all others where
            // the stratum has too few).
            let outside: Vec<u32> = (0..s.clusters)
                .filter(|c| before.binary_search(c).is_err())
                .collect();
            let pool: Vec<u32> = if outside.len() as u32 >= m - keep {
                outside
            } else {
                (0..s.clusters).filter(|c| !plan.contains(c)).collect()
            };
            plan.extend(
                floyd_sample(&mut rng, pool.len() as u32, m - keep)
                    .into_iter()
                    .map(|i| pool[i as usize]),
            );
            plan.sort_unstable();
            plan
        })
        .collect()
}

/// Robert Floyd's algorithm: a simple random sample of `m` of `0..n` without replacement.
fn floyd_sample(rng: &mut ChaCha8Rng, n: u32, m: u32) -> Vec<u32> {
    let mut chosen = std::collections::BTreeSet::new();
    for j in (n - m)..n {
        let t = rng.random_range(0..=j);
        if !chosen.insert(t) {
            chosen.insert(j);
        }
    }
    chosen.into_iter().collect()
}

/// Which households of a sampled cluster are selected and respond.
fn responding(survey: Survey, seed: u64, s: &Stratum, cluster: &Cluster) -> (usize, Vec<usize>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5eed);
    rng.set_stream(((survey as u64) << 60) | ((s.id as u64) << 32) | cluster.index as u64);
    let selected: Vec<usize> = match survey {
        Survey::Lfs => (0..cluster.households.len()).collect(),
        Survey::Silc => floyd_sample(
            &mut rng,
            cluster.households.len() as u32,
            SILC_HOUSEHOLDS_PER_CLUSTER.min(cluster.households.len()) as u32,
        )
        .into_iter()
        .map(|i| i as usize)
        .collect(),
    };
    let approached = selected.len();
    let responding = selected
        .into_iter()
        .filter(|&h| {
            let hh = &cluster.households[h];
            let p = if s.degurba == 1 { 0.72 } else { 0.84 }
                * if hh.origin == OriginGroup::NonEuBorn {
                    0.88
                } else {
                    1.0
                };
            rng.random::<f64>() < p
        })
        .collect();
    (approached, responding)
}

/// Responding households of one stratum with their non-response-adjusted design weights.
fn stratum_respondents(
    pop: &Population,
    survey: Survey,
    seed: u64,
    s: &Stratum,
    clusters: &[u32],
) -> Vec<(Cluster, Vec<(usize, f64)>)> {
    let m = clusters.len() as f64;
    let within = match survey {
        Survey::Lfs => 1.0,
        Survey::Silc => (HOUSEHOLDS_PER_CLUSTER / SILC_HOUSEHOLDS_PER_CLUSTER) as f64,
    };
    let design = s.clusters as f64 / m * within;
    let mut approached = 0usize;
    let mut responded = 0usize;
    let mut out = Vec::with_capacity(clusters.len());
    for &c in clusters {
        let cluster = pop.cluster(s, c);
        let (a, r) = responding(survey, seed, s, &cluster);
        approached += a;
        responded += r.len();
        out.push((cluster, r));
    }
    let adjust = if responded > 0 {
        approached as f64 / responded as f64
    } else {
        0.0
    };
    out.into_iter()
        .map(|(c, r)| (c, r.into_iter().map(|h| (h, design * adjust)).collect()))
        .collect()
}

/// The month of the personal interview (`PB100`), and the month and year of birth (`PB130`,
/// `PB140`) of a person of age `age` at that interview in `year`: months fixed by the person id,
/// the year of birth one earlier when the birthday falls after the interview month (so that
/// `PB110 − PB140 − [PB100 < PB130]` is the age, as `RX010`).
pub fn interview_and_birth(person_id: u64, year: i32, age: u8) -> (u8, u8, i32) {
    let interview = (person_id % 12) as u8 + 1;
    let birth = ((person_id / 12) % 12) as u8 + 1;
    let born = year - age as i32 - i32::from(interview < birth);
    (interview, birth, born)
}

/// Counts of what was written.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GeneratedFiles {
    pub files: Vec<PathBuf>,
    /// Records per file, in the same order.
    pub records: Vec<u64>,
}

fn create(path: &Path) -> Result<std::io::BufWriter<std::fs::File>, SyntheticError> {
    let file = std::fs::File::create(path).map_err(|e| SyntheticError::io(path, e))?;
    Ok(std::io::BufWriter::with_capacity(1 << 22, file))
}

fn opt<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map(|x| x.to_string()).unwrap_or_default()
}

/// Strata are processed in parallel chunks of this many, written in order.
const CHUNK: usize = 64;

/// One respondent of the EU-LFS sample.
#[derive(Debug, Clone)]
pub struct LfsRespondent<'a> {
    pub stratum: &'a Stratum,
    pub cluster: u32,
    pub household: u8,
    pub person: Person,
    /// Calibrated weight.
    pub weight: f64,
}

/// Plan and calibration of one EU-LFS draw.
struct LfsDraw {
    plan: Vec<Vec<u32>>,
    factors: Vec<[[f64; 6]; 2]>,
}

fn lfs_draw(
    pop: &Population,
    sample_seed: u64,
    rotation: Option<&Rotation>,
) -> Result<LfsDraw, SyntheticError> {
    let plan = match rotation {
        None => select(pop, Survey::Lfs, sample_seed),
        Some(r) => select_rotating(pop, Survey::Lfs, sample_seed, r),
    };
    let Calibration::Lfs(factors) = calibrate(pop, Survey::Lfs, sample_seed, &plan) else {
        return Err(SyntheticError::Calibration("EU-LFS"));
    };
    Ok(LfsDraw { plan, factors })
}

/// The respondents (persons 15+) of one stratum, in file order.
fn lfs_stratum<'a>(
    pop: &'a Population,
    draw: &LfsDraw,
    sample_seed: u64,
    si: usize,
) -> Vec<LfsRespondent<'a>> {
    let s = &pop.strata[si];
    let mut out = Vec::new();
    for (cluster, hs) in stratum_respondents(pop, Survey::Lfs, sample_seed, s, &draw.plan[si]) {
        for (h, d) in hs {
            let hh = &cluster.households[h];
            for p in hh.persons.iter().filter(|p| p.age >= 15) {
                let Some(b) = band(&LFS_BANDS, p.age) else {
                    continue;
                };
                out.push(LfsRespondent {
                    stratum: s,
                    cluster: cluster.index,
                    household: hh.number,
                    person: p.clone(),
                    weight: d * draw.factors[s.region][(p.sex - 1) as usize][b],
                });
            }
        }
    }
    out
}

/// Draws an EU-LFS sample in memory (what [`write_lfs`] writes, as records).
pub fn lfs_sample(
    pop: &Population,
    sample_seed: u64,
) -> Result<Vec<LfsRespondent<'_>>, SyntheticError> {
    lfs_sample_rotating(pop, sample_seed, None)
}

/// Draws an EU-LFS sample in memory that keeps part of an earlier sample's clusters (its
/// households are approached again; who responds is drawn anew).
pub fn lfs_sample_rotating<'p>(
    pop: &'p Population,
    sample_seed: u64,
    rotation: Option<&Rotation>,
) -> Result<Vec<LfsRespondent<'p>>, SyntheticError> {
    let draw = lfs_draw(pop, sample_seed, rotation)?;
    let per_stratum: Vec<Vec<LfsRespondent>> = (0..pop.strata.len())
        .into_par_iter()
        .map(|si| lfs_stratum(pop, &draw, sample_seed, si))
        .collect();
    Ok(per_stratum.into_iter().flatten().collect())
}

/// Draws an EU-LFS sample and writes it as a CSV file in the user-database layout.
/// `progress` is called with the number of records written so far.
pub fn write_lfs(
    pop: &Population,
    sample_seed: u64,
    path: &Path,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<GeneratedFiles, SyntheticError> {
    write_lfs_rotating(pop, sample_seed, None, path, progress)
}

/// [`write_lfs`] for a sample that rotates from earlier years' samples.
pub fn write_lfs_rotating(
    pop: &Population,
    sample_seed: u64,
    rotation: Option<&Rotation>,
    path: &Path,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<GeneratedFiles, SyntheticError> {
    let draw = lfs_draw(pop, sample_seed, rotation)?;
    let mut out = create(path)?;
    let io = |e| SyntheticError::io(path, e);
    writeln!(out, "{LFS_HEADER}").map_err(io)?;
    let year = pop.config.year;
    let mut written = 0u64;
    for chunk in (0..pop.strata.len()).collect::<Vec<_>>().chunks(CHUNK) {
        let buffers: Vec<(Vec<u8>, u64)> = chunk
            .par_iter()
            .map(|&si| {
                let s = &pop.strata[si];
                let country = &pop.parameters.country[s.country].code;
                let region = &pop.parameters.region[s.region].code;
                let city = s.city.map(|c| pop.parameters.city[c].code.as_str()).unwrap_or("");
                let mut buf = Vec::new();
                let respondents = lfs_stratum(pop, &draw, sample_seed, si);
                for r in &respondents {
                    let p = &r.person;
                    let _ = writeln!(
                        buf,
                        "{country},{year},{region},{},{city},{:.4},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}-{:05},{}-{:05}-{:02},{},{},{},{},{}",
                        s.degurba,
                        r.weight,
                        p.sex,
                        p.age,
                        p.country_of_birth,
                        p.citizenship,
                        p.father_birth,
                        p.mother_birth,
                        opt(p.years_of_residence),
                        opt(p.ilostat),
                        opt(p.stapro),
                        opt(p.isco),
                        opt(p.isced),
                        if p.formal_education { 1 } else { 2 },
                        if p.training { 1 } else { 2 },
                        s.label,
                        s.label,
                        r.cluster,
                        s.label,
                        r.cluster,
                        r.household,
                        p.member,
                        opt(p.seekdur),
                        opt(p.temp),
                        opt(p.ftpt),
                        opt(p.ftptreas),
                    );
                }
                (buf, respondents.len() as u64)
            })
            .collect();
        for (buf, n) in buffers {
            out.write_all(&buf).map_err(io)?;
            written += n;
        }
        progress(written);
    }
    out.flush().map_err(io)?;
    Ok(GeneratedFiles {
        files: vec![path.to_path_buf()],
        records: vec![written],
    })
}

/// Draws an EU-SILC sample and writes the four user-database files `silc_d.csv`,
/// `silc_r.csv`, `silc_h.csv`, `silc_p.csv` into `dir`.
pub fn write_silc(
    pop: &Population,
    sample_seed: u64,
    dir: &Path,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<GeneratedFiles, SyntheticError> {
    let plan = select(pop, Survey::Silc, sample_seed);
    let Calibration::Silc(lambdas) = calibrate(pop, Survey::Silc, sample_seed, &plan) else {
        return Err(SyntheticError::Calibration("EU-SILC"));
    };
    let names = ["silc_d.csv", "silc_r.csv", "silc_h.csv", "silc_p.csv"];
    let headers = [SILC_D_HEADER, SILC_R_HEADER, SILC_H_HEADER, SILC_P_HEADER];
    let paths: Vec<PathBuf> = names.iter().map(|n| dir.join(n)).collect();
    let mut outs = Vec::new();
    for (p, h) in paths.iter().zip(headers) {
        let mut o = create(p)?;
        writeln!(o, "{h}").map_err(|e| SyntheticError::io(p, e))?;
        outs.push(o);
    }
    let year = pop.config.year;
    let mut counts = [0u64; 4];
    for chunk in (0..pop.strata.len()).collect::<Vec<_>>().chunks(CHUNK) {
        let buffers: Vec<([Vec<u8>; 4], [u64; 4])> = chunk
            .par_iter()
            .map(|&si| {
                let s = &pop.strata[si];
                let country = &pop.parameters.country[s.country].code;
                let region = &pop.parameters.region[s.region].code;
                let city = s
                    .city
                    .map(|c| pop.parameters.city[c].code.as_str())
                    .unwrap_or("");
                let mut bufs: [Vec<u8>; 4] = Default::default();
                let mut n = [0u64; 4];
                for (cluster, hs) in
                    stratum_respondents(pop, Survey::Silc, sample_seed, s, &plan[si])
                {
                    for (h, d) in hs {
                        let (level, lambda) = &lambdas[s.region];
                        let w = d * silc_x(&cluster, h, *level).dot(lambda).exp();
                        let hh = &cluster.households[h];
                        let hid = (s.id as u64 + 1) * 10_000_000
                            + cluster.index as u64 * 100
                            + hh.number as u64;
                        let psu = format!("{}-{:05}", s.label, cluster.index);
                        let _ = writeln!(
                            bufs[0],
                            "{year},{country},{hid},{region},{},{psu},{w:.4},{},{city}",
                            s.label, s.degurba
                        );
                        let items: Vec<String> = hh.items.iter().map(|c| opt(*c)).collect();
                        let _ = writeln!(
                            bufs[2],
                            "{year},{country},{hid},{:.2},{},{:.2},{:.2},{:.2},{:.1},{},{}",
                            hh.income,
                            hh.tenure,
                            hh.disposable_income,
                            hh.housing_cost,
                            hh.housing_allowance,
                            crate::conditions::equivalised_size(&hh.persons),
                            hh.rooms,
                            items.join(",")
                        );
                        n[0] += 1;
                        n[2] += 1;
                        for p in &hh.persons {
                            let pid = hid * 100 + p.member as u64;
                            let _ = writeln!(
                                bufs[1],
                                "{year},{country},{pid},{hid},{w:.4},{},{},{},{},{},{},{}",
                                interview_and_birth(pid, year, p.age).2,
                                p.sex,
                                p.age,
                                opt(p.father_member.map(|m| hid * 100 + m as u64)),
                                opt(p.mother_member.map(|m| hid * 100 + m as u64)),
                                opt(p.partner_member.map(|m| hid * 100 + m as u64)),
                                opt(hh.work_intensity),
                            );
                            n[1] += 1;
                            if p.age >= 16 {
                                let code = |c: &str| {
                                    if c == country {
                                        "LOC"
                                    } else if incity_reference::geography::is_eu27(c) {
                                        "EU"
                                    } else {
                                        "OTH"
                                    }
                                };
                                let (interview_month, birth_month, birth_year) =
                                    interview_and_birth(pid, year, p.age);
                                let _ = writeln!(
                                    bufs[3],
                                    "{year},{country},{pid},{hid},{w:.4},{},{},{},{},{},{},{},{interview_month},{year},{birth_month},{birth_year},{},{}",
                                    code(p.country_of_birth),
                                    code(p.citizenship),
                                    opt(p.isced),
                                    opt(p.economic_status),
                                    p.health,
                                    opt(p.unmet_medical),
                                    opt(p.unmet_reason),
                                    p.sex,
                                    p.personal_items
                                        .map(|items| items.map(|c| c.to_string()).join(","))
                                        .unwrap_or_else(|| ",,,,,".into())
                                );
                                n[3] += 1;
                            }
                        }
                    }
                }
                (bufs, n)
            })
            .collect();
        for (bufs, n) in buffers {
            for k in 0..4 {
                outs[k]
                    .write_all(&bufs[k])
                    .map_err(|e| SyntheticError::io(&paths[k], e))?;
                counts[k] += n[k];
            }
        }
        progress(counts[1]);
    }
    for (o, p) in outs.iter_mut().zip(&paths) {
        o.flush().map_err(|e| SyntheticError::io(p, e))?;
    }
    Ok(GeneratedFiles {
        files: paths,
        records: counts.to_vec(),
    })
}
