//! The true population values of the simulated indicators, in every domain.
//!
//! Computed directly from the generated persons with the indicator definitions written out
//! here (independently of the readers and of the estimation engine, so that comparing
//! estimates with these values tests both).
//!
//! Domains: geography (country, NUTS 1, NUTS 2, degree of urbanisation within a country, city)
//! × target group ([`TRUTH_GROUPS`]) × sex (`T`, `M`, `F`). Medians are given for country,
//! NUTS 2 and city × the groups total, native-born, foreign-born and non-EU-born, both sexes.
//! The at-risk-of-poverty threshold is 60 % of the **national** median equivalised income of
//! all persons (the EU definition).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use rayon::prelude::*;

use super::people::{Household, OriginGroup, Person};
use super::{Population, ILO_EMPLOYED, ILO_UNEMPLOYED};
use crate::SyntheticError;

/// Target groups of the truth table, in the harmonised codes of `incity-data::concepts`.
pub const TRUTH_GROUPS: [&str; 18] = [
    "total",
    "native",
    "foreign_born",
    "eu_born",
    "non_eu_born",
    "nationals",
    "foreign_citizens",
    "eu_citizens",
    "non_eu_citizens",
    "second_generation",
    "mixed_background",
    "native_parents",
    "recent_migrants",
    "settled_migrants",
    "long_settled_migrants",
    "children_native_parents",
    "children_eu_born_parent",
    "children_non_eu_born_parent",
];

/// Ratio indicators: the EU-LFS ones first ([`LFS_INDICATORS`] of them), then EU-SILC's.
const RATIO_INDICATORS: [&str; 25] = [
    "employment_rate_20_64",
    "unemployment_rate_20_64",
    "activity_rate_20_64",
    "unemployment_rate_15_74",
    "self_employment_rate_20_64",
    "overqualification_rate_20_64",
    "low_education_25_64",
    "medium_education_25_64",
    "tertiary_education_25_64",
    "tertiary_attainment_25_34",
    "early_leavers_18_24",
    "neet_15_29",
    "long_term_unemployment_rate_15_74",
    "temporary_employment_20_64",
    "involuntary_part_time_20_64",
    "learning_participation_25_64",
    "at_risk_of_poverty_18_plus",
    "good_health_16_plus",
    "home_owners_18_plus",
    "in_work_poverty_18_plus",
    "housing_cost_overburden_18_plus",
    "unmet_medical_need_16_plus",
    "child_poverty_0_17",
    "at_risk_of_poverty_or_social_exclusion_18_plus",
    "overcrowding_18_plus",
];
const LFS_INDICATORS: usize = 16;
const K: usize = RATIO_INDICATORS.len();
const G: usize = TRUTH_GROUPS.len();
/// Groups with a median: total, native, foreign_born, non_eu_born.
const MEDIAN_GROUPS: [usize; 4] = [0, 1, 2, 4];

/// One true value.
#[derive(Debug, Clone, PartialEq)]
pub struct TruthRow {
    pub indicator: String,
    /// `country`, `nuts1`, `nuts2`, `degurba` or `city`.
    pub geo_level: String,
    /// Country, NUTS or city code (for `degurba`, the country).
    pub geo: String,
    /// Degree of urbanisation (1-3) for `degurba` domains.
    pub degurba: Option<u8>,
    pub group: String,
    /// `T`, `M` or `F`.
    pub sex: String,
    /// Persons in the numerator and denominator (scaled to the real population); `None` for
    /// medians.
    pub numerator: Option<f64>,
    pub denominator: Option<f64>,
    pub value: f64,
}

/// The truth table.
#[derive(Debug, Clone)]
pub struct Truth {
    pub rows: Vec<TruthRow>,
    /// National poverty thresholds (60 % of the national median), by country code.
    pub poverty_thresholds: BTreeMap<String, f64>,
}

impl Truth {
    /// The true value for one domain.
    pub fn value(
        &self,
        indicator: &str,
        geo_level: &str,
        geo: &str,
        group: &str,
        sex: &str,
    ) -> Option<f64> {
        self.rows
            .iter()
            .find(|r| {
                r.indicator == indicator
                    && r.geo_level == geo_level
                    && r.geo == geo
                    && r.group == group
                    && r.sex == sex
                    && r.degurba.is_none()
            })
            .map(|r| r.value)
    }
}

#[derive(Clone, Debug)]
struct GeoDomain {
    level: &'static str,
    code: String,
    degurba: Option<u8>,
}

/// The groups a person belongs to (indices into [`TRUTH_GROUPS`]).
pub(crate) fn groups_of(p: &Person, home: &str) -> Vec<usize> {
    let mut g = vec![0];
    match p.birth {
        OriginGroup::Native => g.push(1),
        OriginGroup::EuBorn => g.extend([2, 3]),
        OriginGroup::NonEuBorn => g.extend([2, 4]),
    }
    if p.citizenship == home {
        g.push(5);
    } else {
        g.push(6);
        g.push(if incity_reference::geography::is_eu27(p.citizenship) {
            7
        } else {
            8
        });
    }
    if p.birth == OriginGroup::Native {
        let foreign_parents = (p.father_birth != home) as u8 + (p.mother_birth != home) as u8;
        g.push(match foreign_parents {
            2 => 9,
            1 => 10,
            _ => 11,
        });
    }
    if let Some(y) = p.years_of_residence {
        g.push(match y {
            0..=4 => 12,
            5..=9 => 13,
            _ => 14,
        });
    }
    // Children by the parents they live with (the father's and mother's countries of birth
    // are those of the household's parents; a single parent counts once).
    if p.age < 18 && (p.father_member.is_some() || p.mother_member.is_some()) {
        let parents = [p.father_birth, p.mother_birth];
        let non_eu = parents
            .iter()
            .any(|c| *c != home && !incity_reference::geography::is_eu27(c));
        let eu = parents.iter().any(|c| *c != home);
        g.push(if non_eu {
            17
        } else if eu {
            16
        } else {
            15
        });
    }
    g
}

/// (numerator, denominator) contributions of one person to each ratio indicator; `h` is the
/// person's household (`None` for EU-LFS-only uses: the EU-SILC entries are then meaningless).
fn contributions(p: &Person, h: Option<&Household>, threshold: f64) -> [(bool, bool); K] {
    use crate::conditions::{overburdened, COUNTED_PH050, INVOLUNTARY_FTPTREAS, LONG_TERM_SEEKDUR};
    let a = p.age;
    let employed = p.ilostat == Some(ILO_EMPLOYED);
    let unemployed = p.ilostat == Some(ILO_UNEMPLOYED);
    let active = employed || unemployed;
    let low = p.isced.is_some_and(|i| i <= 200);
    let high = p.isced.is_some_and(|i| i >= 500);
    let medium = p.isced.is_some() && !low && !high;
    let in_edu = p.formal_education || p.training;
    let w2064 = (20..=64).contains(&a);
    let w2564 = (25..=64).contains(&a);
    let w1574 = (15..=74).contains(&a);
    let employee = w2064 && employed && p.stapro == Some(3);
    let part_time = w2064 && employed && p.ftpt == Some(2);
    let (income, tenure, overburden) = match h {
        Some(h) => (
            h.income,
            h.tenure,
            overburdened(h.disposable_income, h.housing_cost, h.housing_allowance),
        ),
        None => (f64::NAN, 0, false),
    };
    let at_work = a >= 18 && p.economic_status == Some(1);
    // Severe material and social deprivation or very low work intensity (the social
    // exclusion of "at risk of poverty or social exclusion"), and overcrowding.
    let (excluded, overcrowded) = match h {
        Some(h) => (
            crate::living::severely_deprived(h, p) == Some(true)
                || crate::living::very_low_work_intensity(h, p),
            crate::living::overcrowded(h),
        ),
        None => (false, false),
    };
    [
        (w2064 && employed, w2064),
        (w2064 && unemployed, w2064 && active),
        (w2064 && active, w2064),
        (w1574 && unemployed, w1574 && active),
        (
            w2064 && employed && matches!(p.stapro, Some(1 | 2)),
            w2064 && employed,
        ),
        (
            w2064 && employed && high && p.isco.is_some_and(|i| i >= 4),
            w2064 && employed && high,
        ),
        (w2564 && low, w2564),
        (w2564 && medium, w2564),
        (w2564 && high, w2564),
        ((25..=34).contains(&a) && high, (25..=34).contains(&a)),
        (
            (18..=24).contains(&a) && low && !in_edu,
            (18..=24).contains(&a),
        ),
        (
            (15..=29).contains(&a) && !employed && !in_edu,
            (15..=29).contains(&a),
        ),
        (
            w1574 && unemployed && p.seekdur.is_some_and(|d| LONG_TERM_SEEKDUR.contains(&d)),
            w1574 && active,
        ),
        (employee && p.temp == Some(2), employee),
        (
            part_time && p.ftptreas == Some(INVOLUNTARY_FTPTREAS),
            part_time,
        ),
        (w2564 && in_edu, w2564),
        (a >= 18 && income < threshold, a >= 18),
        (a >= 16 && p.health <= 2, a >= 16),
        (a >= 18 && tenure <= 2, a >= 18),
        (at_work && income < threshold, at_work),
        (a >= 18 && overburden, a >= 18),
        (
            a >= 16
                && p.unmet_medical == Some(1)
                && p.unmet_reason.is_some_and(|r| COUNTED_PH050.contains(&r)),
            a >= 16,
        ),
        (a < 18 && income < threshold, a < 18),
        (a >= 18 && (income < threshold || excluded), a >= 18),
        (a >= 18 && overcrowded, a >= 18),
    ]
}

/// The target groups a person belongs to, as codes of [`TRUTH_GROUPS`] (the definitions of the
/// truth table, for simulations that estimate from a sample drawn in memory).
pub fn target_groups_of(p: &Person, home: &str) -> impl Iterator<Item = &'static str> {
    groups_of(p, home).into_iter().map(|g| TRUTH_GROUPS[g])
}

/// Whether a person of the EU-LFS is in the numerator and in the denominator of a labour-market
/// or education share of the truth table (`None` for an indicator that is not one of them or
/// needs EU-SILC household data).
pub fn lfs_share_membership(p: &Person, indicator: &str) -> Option<(bool, bool)> {
    let k = RATIO_INDICATORS[..LFS_INDICATORS]
        .iter()
        .position(|i| *i == indicator)?;
    // The household and the poverty threshold enter only the EU-SILC indicators.
    Some(contributions(p, None, 0.0)[k])
}

struct Frame {
    geos: Vec<GeoDomain>,
    /// Per stratum: indices of its geo domains (country, nuts1, nuts2, degurba, city).
    stratum_geos: Vec<Vec<usize>>,
    /// Geo domains that carry medians (country, nuts2, city).
    median_geo: Vec<Option<usize>>,
}

fn frame(pop: &Population) -> Frame {
    let mut index: BTreeMap<(&'static str, String, Option<u8>), usize> = BTreeMap::new();
    let mut geos = Vec::new();
    let mut median_geo = Vec::new();
    let mut median_count = 0;
    let mut id = |level: &'static str, code: String, degurba: Option<u8>| -> usize {
        *index
            .entry((level, code.clone(), degurba))
            .or_insert_with(|| {
                geos.push(GeoDomain {
                    level,
                    code,
                    degurba,
                });
                median_geo.push(matches!(level, "country" | "nuts2" | "city").then(|| {
                    median_count += 1;
                    median_count - 1
                }));
                geos.len() - 1
            })
    };
    let mut stratum_geos = Vec::new();
    for s in &pop.strata {
        let country = pop.parameters.country[s.country].code.clone();
        let region = pop.parameters.region[s.region].code.clone();
        let mut g = vec![
            id("country", country.clone(), None),
            id("nuts1", s.nuts1.clone(), None),
            id("nuts2", region, None),
            id("degurba", country, Some(s.degurba)),
        ];
        if let Some(c) = s.city {
            g.push(id("city", pop.parameters.city[c].code.clone(), None));
        }
        stratum_geos.push(g);
    }
    Frame {
        geos,
        stratum_geos,
        median_geo,
    }
}

fn home_of(pop: &Population, stratum: usize) -> &str {
    &pop.parameters.country[pop.strata[stratum].country].code
}

/// Weighted median of `(value)` with unit weights (all persons count once): the EU-SILC rule
/// on a census (mean of the two middle values when the count is even).
fn median(values: &mut [f32]) -> f64 {
    let n = values.len();
    values.sort_unstable_by(|a, b| a.total_cmp(b));
    if n % 2 == 1 {
        values[n / 2] as f64
    } else {
        (values[n / 2 - 1] as f64 + values[n / 2] as f64) / 2.0
    }
}

impl Population {
    /// Computes the truth table (two passes over every cluster of the population, parallel
    /// over strata; the result does not depend on the number of threads).
    pub fn truth(&self) -> Truth {
        let frame = frame(self);
        let n_median_geos = frame.median_geo.iter().flatten().count();
        let n_countries = self.parameters.country.len();
        // Pass 1: incomes of persons 18+ by (median geo, median group) and of every person by
        // country (for the poverty threshold).
        let slots = n_median_geos * MEDIAN_GROUPS.len();
        let (mut incomes, national) = (0..self.strata.len())
            .into_par_iter()
            .fold(
                || {
                    (
                        vec![Vec::<f32>::new(); slots],
                        vec![Vec::<f32>::new(); n_countries],
                    )
                },
                |(mut inc, mut nat), si| {
                    let s = &self.strata[si];
                    let home = home_of(self, si);
                    for c in 0..s.clusters {
                        let cluster = self.cluster(s, c);
                        for h in &cluster.households {
                            for p in &h.persons {
                                nat[s.country].push(h.income as f32);
                                if p.age < 18 {
                                    continue;
                                }
                                let groups = groups_of(p, home);
                                for &g in &frame.stratum_geos[si] {
                                    if let Some(m) = frame.median_geo[g] {
                                        for (k, mg) in MEDIAN_GROUPS.iter().enumerate() {
                                            if groups.contains(mg) {
                                                inc[m * MEDIAN_GROUPS.len() + k]
                                                    .push(h.income as f32);
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                    (inc, nat)
                },
            )
            .reduce(
                || (vec![Vec::new(); slots], vec![Vec::new(); n_countries]),
                |(mut a, mut an), (b, bn)| {
                    for (x, y) in a.iter_mut().zip(b) {
                        x.extend(y);
                    }
                    for (x, y) in an.iter_mut().zip(bn) {
                        x.extend(y);
                    }
                    (a, an)
                },
            );
        let thresholds: Vec<f64> = national
            .into_iter()
            .map(|mut v| {
                if v.is_empty() {
                    0.0
                } else {
                    0.6 * median(&mut v)
                }
            })
            .collect();
        // Pass 2: counts.
        let cells = frame.geos.len() * G * 3;
        let counts = (0..self.strata.len())
            .into_par_iter()
            .fold(
                || vec![[0u64; 2 * K]; cells],
                |mut acc, si| {
                    let s = &self.strata[si];
                    let home = home_of(self, si);
                    let threshold = thresholds[s.country];
                    for c in 0..s.clusters {
                        let cluster = self.cluster(s, c);
                        for h in &cluster.households {
                            for p in &h.persons {
                                let contrib = contributions(p, Some(h), threshold);
                                if contrib.iter().all(|(_, d)| !d) {
                                    continue;
                                }
                                let groups = groups_of(p, home);
                                for &geo in &frame.stratum_geos[si] {
                                    for &g in &groups {
                                        for sex in [0, p.sex as usize] {
                                            let cell = &mut acc[(geo * G + g) * 3 + sex];
                                            for (k, (num, den)) in contrib.iter().enumerate() {
                                                cell[2 * k] += *num as u64;
                                                cell[2 * k + 1] += *den as u64;
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                    acc
                },
            )
            .reduce(
                || vec![[0u64; 2 * K]; cells],
                |mut a, b| {
                    for (x, y) in a.iter_mut().zip(b) {
                        for (u, v) in x.iter_mut().zip(y) {
                            *u += v;
                        }
                    }
                    a
                },
            );
        let scale = 1.0 / self.config.population_scale;
        let mut rows = Vec::new();
        for (gi, geo) in frame.geos.iter().enumerate() {
            for (g, group) in TRUTH_GROUPS.iter().enumerate() {
                for (sx, sex) in ["T", "M", "F"].iter().enumerate() {
                    let cell = &counts[(gi * G + g) * 3 + sx];
                    for (k, indicator) in RATIO_INDICATORS.iter().enumerate() {
                        let (num, den) = (cell[2 * k], cell[2 * k + 1]);
                        if den == 0 {
                            continue;
                        }
                        rows.push(TruthRow {
                            indicator: indicator.to_string(),
                            geo_level: geo.level.to_string(),
                            geo: geo.code.clone(),
                            degurba: geo.degurba,
                            group: group.to_string(),
                            sex: sex.to_string(),
                            numerator: Some(num as f64 * scale),
                            denominator: Some(den as f64 * scale),
                            value: num as f64 / den as f64,
                        });
                    }
                }
            }
            if let Some(m) = frame.median_geo[gi] {
                for (k, &g) in MEDIAN_GROUPS.iter().enumerate() {
                    let mut values = std::mem::take(&mut incomes[m * MEDIAN_GROUPS.len() + k]);
                    if values.is_empty() {
                        continue;
                    }
                    rows.push(TruthRow {
                        indicator: "median_income_18_plus".into(),
                        geo_level: geo.level.to_string(),
                        geo: geo.code.clone(),
                        degurba: None,
                        group: TRUTH_GROUPS[g].to_string(),
                        sex: "T".into(),
                        numerator: None,
                        denominator: None,
                        value: median(&mut values),
                    });
                }
            }
        }
        let poverty_thresholds = self
            .parameters
            .country
            .iter()
            .zip(thresholds)
            .map(|(c, t)| (c.code.clone(), t))
            .collect();
        Truth {
            rows,
            poverty_thresholds,
        }
    }
}

/// Writes the truth table as CSV.
pub fn write_truth_csv(truth: &Truth, path: &Path) -> Result<(), SyntheticError> {
    let file = std::fs::File::create(path).map_err(|e| SyntheticError::io(path, e))?;
    let mut out = std::io::BufWriter::new(file);
    let mut write = || -> std::io::Result<()> {
        writeln!(
            out,
            "indicator,geo_level,geo,degurba,group,sex,numerator,denominator,value"
        )?;
        let opt = |v: Option<f64>| v.map(|x| format!("{x:.1}")).unwrap_or_default();
        for r in &truth.rows {
            writeln!(
                out,
                "{},{},{},{},{},{},{},{},{:.10}",
                r.indicator,
                r.geo_level,
                r.geo,
                r.degurba.map(|d| d.to_string()).unwrap_or_default(),
                r.group,
                r.sex,
                opt(r.numerator),
                opt(r.denominator),
                r.value
            )?;
        }
        out.flush()
    };
    write().map_err(|e| SyntheticError::io(path, e))
}
