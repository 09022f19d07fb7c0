//! Households and persons of the synthetic population, generated cluster by cluster.
//!
//! All behavioural parameters here are plausible values (documented in
//! `data/synthetic/README.md`), anchored on the national figures of the parameter file.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};

use super::{
    Population, Stratum, HOUSEHOLDS_PER_CLUSTER, ILO_EMPLOYED, ILO_INACTIVE, ILO_UNEMPLOYED,
};
use incity_reference::geography::EU27;

/// Countries of birth drawn for persons born outside the EU (Eurostat codes).
pub const NON_EU_ORIGINS: [&str; 12] = [
    "TR", "MA", "UA", "SY", "AF", "IN", "CN", "DZ", "AL", "RS", "BR", "NG",
];

/// Group by country of birth (relative to the country of residence).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OriginGroup {
    Native,
    EuBorn,
    NonEuBorn,
}

/// One person.
#[derive(Debug, Clone, PartialEq)]
pub struct Person {
    /// Member number within the household, from 1.
    pub member: u8,
    pub age: u8,
    /// 1 male, 2 female.
    pub sex: u8,
    pub birth: OriginGroup,
    /// Country of birth (Eurostat code; the country of residence for the native-born).
    pub country_of_birth: &'static str,
    pub citizenship: &'static str,
    pub father_birth: &'static str,
    pub mother_birth: &'static str,
    /// Years of residence in the country (foreign-born only).
    pub years_of_residence: Option<u8>,
    /// Highest level of education, EU-LFS `HATLEV` coding (ISCED 2011); `None` under 15.
    pub isced: Option<u16>,
    /// In formal education in the last four weeks.
    pub formal_education: bool,
    /// In non-formal education or training in the last four weeks.
    pub training: bool,
    /// ILO status (1 employed, 2 unemployed, 3 outside the labour force); `None` under 15.
    pub ilostat: Option<u8>,
    /// Status in employment (`STAPRO`: 1 self-employed with employees, 2 without, 3 employee,
    /// 4 family worker), employed only.
    pub stapro: Option<u8>,
    /// ISCO-08 major group, employed only.
    pub isco: Option<u8>,
    /// Self-perceived general health (`PH010`: 1 very good ... 5 very bad).
    pub health: u8,
    /// Self-defined economic status (EU-SILC `PL032`), 16+.
    pub economic_status: Option<u8>,
    /// Duration of the search for work (EU-LFS `SEEKDUR`, 1-8), unemployed only
    /// ([`crate::conditions`]).
    pub seekdur: Option<u8>,
    /// Permanency of the job (EU-LFS `TEMP`: 1 permanent, 2 temporary), employees only.
    pub temp: Option<u8>,
    /// Full-time or part-time (EU-LFS `FTPT`: 1 full-time, 2 part-time), employed only.
    pub ftpt: Option<u8>,
    /// Main reason for part-time work (EU-LFS `FTPTREAS`, 1-6), part-time workers only.
    pub ftptreas: Option<u8>,
    /// Unmet need for medical examination in the last 12 months (EU-SILC `PH040`: 1 yes, 2
    /// no), 16+.
    pub unmet_medical: Option<u8>,
    /// Its main reason (EU-SILC `PH050`, 1-8).
    pub unmet_reason: Option<u8>,
    /// Member numbers of the father and the mother when they live in the household (EU-SILC
    /// `RB220`, `RB230` hold their person ids).
    pub father_member: Option<u8>,
    pub mother_member: Option<u8>,
    /// Member number of the spouse or partner living in the household (EU-SILC `RB240` holds
    /// the person id).
    pub partner_member: Option<u8>,
    /// Personal deprivation items (16+), [`crate::living::PERSONAL_ITEMS`].
    pub personal_items: Option<[u8; 6]>,
}

/// One household.
#[derive(Debug, Clone, PartialEq)]
pub struct Household {
    /// Household number within the cluster, from 0.
    pub number: u8,
    /// Origin of the reference person.
    pub origin: OriginGroup,
    pub persons: Vec<Person>,
    /// Equivalised disposable income (`HX090`), euro per year.
    pub income: f64,
    /// Tenure status (`HH021`: 1 outright owner, 2 owner paying a mortgage, 3 tenant at market
    /// rent, 4 tenant at reduced rent, 5 rent free).
    pub tenure: u8,
    /// Total disposable household income (`HY020`): the equivalised income times the modified
    /// OECD scale, euro per year.
    pub disposable_income: f64,
    /// Total housing cost (`HH070`), euro per month.
    pub housing_cost: f64,
    /// Housing allowances (`HY070G`), euro per year.
    pub housing_allowance: f64,
    /// Household deprivation items, [`crate::living::HOUSEHOLD_ITEMS`].
    pub items: [Option<u8>; 9],
    /// Work intensity (`RX040`), `None` where no member counts.
    pub work_intensity: Option<f64>,
    /// Rooms at the household's disposal (`HH030`).
    pub rooms: u8,
}

/// An area cluster: the PSU of both surveys.
#[derive(Debug, Clone, PartialEq)]
pub struct Cluster {
    pub stratum: u32,
    pub index: u32,
    pub households: Vec<Household>,
}

pub(crate) fn logit(p: f64) -> f64 {
    let p = p.clamp(1e-6, 1.0 - 1e-6);
    (p / (1.0 - p)).ln()
}

pub(crate) fn expit(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

pub(crate) fn normal(rng: &mut ChaCha8Rng, sd: f64) -> f64 {
    Normal::new(0.0, sd).map(|n| n.sample(rng)).unwrap_or(0.0)
}

fn pick<T: Copy>(rng: &mut ChaCha8Rng, items: &[T]) -> T {
    items[rng.random_range(0..items.len())]
}

fn pick_weighted(rng: &mut ChaCha8Rng, weights: &[f64]) -> usize {
    let total: f64 = weights.iter().sum();
    let mut u = rng.random::<f64>() * total;
    for (i, w) in weights.iter().enumerate() {
        if u < *w {
            return i;
        }
        u -= w;
    }
    weights.len() - 1
}

/// The ChaCha stream of one cluster: the seed and the (stratum, cluster) pair.
pub(crate) fn cluster_rng(seed: u64, stratum: u32, index: u32) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(((stratum as u64) << 32) | index as u64);
    rng
}

/// Generates cluster `index` of `stratum`.
pub(crate) fn generate_cluster(pop: &Population, stratum: &Stratum, index: u32) -> Cluster {
    let mut rng = cluster_rng(pop.config.seed, stratum.id, index);
    let country = &pop.parameters.country[stratum.country];
    let home: &'static str = EU27
        .iter()
        .copied()
        .find(|c| *c == country.code)
        .unwrap_or("EU");
    let segregation = normal(&mut rng, 0.5).exp();
    let foreign_share = (stratum.foreign_share * segregation).min(0.9);
    let cluster_effect = normal(&mut rng, 0.25);
    let region_effect = pop.region_effect[stratum.region];
    let mut households = Vec::with_capacity(HOUSEHOLDS_PER_CLUSTER);
    for number in 0..HOUSEHOLDS_PER_CLUSTER {
        let origin = if rng.random::<f64>() < foreign_share {
            if rng.random::<f64>() < country.eu_share_of_foreign_born {
                OriginGroup::EuBorn
            } else {
                OriginGroup::NonEuBorn
            }
        } else {
            OriginGroup::Native
        };
        let ctx = Context {
            home,
            country,
            origin,
            foreign_share,
            degurba: stratum.degurba,
            effect: region_effect + cluster_effect,
        };
        households.push(generate_household(&mut rng, &ctx, number as u8));
    }
    let mut cluster = Cluster {
        stratum: stratum.id,
        index,
        households,
    };
    crate::conditions::draw_conditions(pop.config.seed, &mut cluster);
    crate::living::draw_living(pop.config.seed, &mut cluster);
    cluster
}

struct Context<'a> {
    home: &'static str,
    country: &'a super::CountryParameters,
    origin: OriginGroup,
    foreign_share: f64,
    degurba: u8,
    effect: f64,
}

/// The demographic skeleton of an adult or child before attributes are drawn.
struct Skeleton {
    age: u8,
    sex: u8,
    birth: OriginGroup,
    country_of_birth: &'static str,
    father_birth: &'static str,
    mother_birth: &'static str,
    years_of_residence: Option<u8>,
}

fn origin_country(rng: &mut ChaCha8Rng, group: OriginGroup, home: &'static str) -> &'static str {
    match group {
        OriginGroup::Native => home,
        OriginGroup::EuBorn => loop {
            let c = pick(rng, &EU27);
            if c != home {
                break c;
            }
        },
        OriginGroup::NonEuBorn => pick(rng, &NON_EU_ORIGINS),
    }
}

fn adult(rng: &mut ChaCha8Rng, ctx: &Context, group: OriginGroup, age: u8, sex: u8) -> Skeleton {
    let country_of_birth = origin_country(rng, group, ctx.home);
    let (father_birth, mother_birth) = if group == OriginGroup::Native {
        // Native-born adults with foreign-born parents (second generation / mixed).
        let u: f64 = rng.random();
        if u < 0.35 * ctx.foreign_share {
            let g = if rng.random::<f64>() < ctx.country.eu_share_of_foreign_born {
                OriginGroup::EuBorn
            } else {
                OriginGroup::NonEuBorn
            };
            let c = origin_country(rng, g, ctx.home);
            (c, c)
        } else if u < 0.55 * ctx.foreign_share {
            let c = origin_country(rng, OriginGroup::EuBorn, ctx.home);
            if rng.random::<bool>() {
                (c, ctx.home)
            } else {
                (ctx.home, c)
            }
        } else {
            (ctx.home, ctx.home)
        }
    } else {
        (country_of_birth, country_of_birth)
    };
    let years_of_residence = (group != OriginGroup::Native).then(|| {
        let arrival = if age > 18 {
            rng.random_range(16..=age.min(50))
        } else {
            rng.random_range(0..=age)
        };
        age - arrival
    });
    Skeleton {
        age,
        sex,
        birth: group,
        country_of_birth,
        father_birth,
        mother_birth,
        years_of_residence,
    }
}

fn generate_household(rng: &mut ChaCha8Rng, ctx: &Context, number: u8) -> Household {
    let kind = pick_weighted(rng, &[0.30, 0.27, 0.25, 0.08, 0.10]);
    let ref_sex = if rng.random::<bool>() { 1 } else { 2 };
    let ref_age: u8 = match kind {
        0 => rng.random_range(18..=92),
        1 => rng.random_range(22..=88),
        2 | 3 => rng.random_range(24..=56),
        _ => rng.random_range(45..=70),
    };
    let mut members = vec![adult(rng, ctx, ctx.origin, ref_age, ref_sex)];
    if matches!(kind, 1 | 2 | 4) {
        let partner_group = if ctx.origin != OriginGroup::Native && rng.random::<f64>() < 0.75 {
            ctx.origin
        } else {
            OriginGroup::Native
        };
        let age = (ref_age as i32 + rng.random_range(-5..=5)).clamp(18, 95) as u8;
        members.push(adult(rng, ctx, partner_group, age, 3 - ref_sex));
    }
    let children = match kind {
        2 => pick_weighted(rng, &[0.4, 0.42, 0.18]) + 1,
        3 => pick_weighted(rng, &[0.6, 0.4]) + 1,
        _ => 0,
    };
    let (father, mother) = if members.len() > 1 {
        if members[0].sex == 1 {
            (0, 1)
        } else {
            (1, 0)
        }
    } else {
        (0, 0)
    };
    // Everyone added after the reference person and the partner is their child.
    let parents_in_household = members.len();
    let young_parent = members.iter().map(|m| m.age).min().unwrap_or(30);
    for _ in 0..children {
        let age = rng.random_range(0..=(young_parent.saturating_sub(18)).min(17));
        let parent_res = members[0].years_of_residence;
        let born_here = ctx.origin == OriginGroup::Native || parent_res.is_none_or(|y| age < y);
        let f = members[father].country_of_birth;
        let m = members[mother].country_of_birth;
        let (birth, cob) = if born_here {
            (OriginGroup::Native, ctx.home)
        } else {
            (ctx.origin, members[0].country_of_birth)
        };
        members.push(Skeleton {
            age,
            sex: if rng.random::<bool>() { 1 } else { 2 },
            birth,
            country_of_birth: cob,
            father_birth: f,
            mother_birth: m,
            years_of_residence: (!born_here).then_some(age),
        });
    }
    if kind == 4 {
        let age = rng.random_range(18..=30u8);
        let born_here = ctx.origin == OriginGroup::Native
            || members[0].years_of_residence.is_none_or(|y| age < y);
        let (birth, cob) = if born_here {
            (OriginGroup::Native, ctx.home)
        } else {
            (ctx.origin, members[0].country_of_birth)
        };
        let f = members[father].country_of_birth;
        let m = members[mother].country_of_birth;
        members.push(Skeleton {
            age,
            sex: if rng.random::<bool>() { 1 } else { 2 },
            birth,
            country_of_birth: cob,
            father_birth: f,
            mother_birth: m,
            years_of_residence: (!born_here).then(|| rng.random_range(0..=age)),
        });
    }
    let mut persons: Vec<Person> = members
        .into_iter()
        .enumerate()
        .map(|(i, s)| person(rng, ctx, i as u8 + 1, s))
        .collect();
    let (first, second) = (persons[0].sex, persons.get(1).map(|p| p.sex));
    for child in persons.iter_mut().skip(parents_in_household) {
        let (mut father, mut mother) = (None, None);
        for (member, sex) in [(1u8, Some(first)), (2, second)]
            .into_iter()
            .take(parents_in_household)
        {
            match sex {
                Some(1) => father = Some(member),
                Some(_) => mother = Some(member),
                None => {}
            }
        }
        child.father_member = father;
        child.mother_member = mother;
    }
    // The reference person and the partner, when there is one, are a couple.
    if parents_in_household == 2 {
        persons[0].partner_member = Some(2);
        persons[1].partner_member = Some(1);
    }
    // Household income follows the members' employment and the origin of the household.
    let adults = persons.iter().filter(|p| p.age >= 18).count().max(1) as f64;
    let workers = persons
        .iter()
        .filter(|p| p.ilostat == Some(ILO_EMPLOYED))
        .count() as f64;
    let unemployed = persons
        .iter()
        .filter(|p| p.ilostat == Some(ILO_UNEMPLOYED))
        .count() as f64;
    let ratio = (ctx.country.median_income_foreigners / ctx.country.median_income_nationals).ln();
    let group_effect = match ctx.origin {
        OriginGroup::Native => 0.0,
        OriginGroup::EuBorn => 0.45 * ratio,
        OriginGroup::NonEuBorn => 1.05 * ratio,
    };
    let retired = persons.iter().all(|p| p.age >= 65);
    let work_effect = if retired {
        -0.12
    } else {
        0.75 * (workers / adults - 0.6) - 0.35 * unemployed / adults
    };
    let log_income = ctx.country.median_income_nationals.ln() - 0.12
        + group_effect
        + work_effect
        + 0.4 * ctx.effect
        + if kind == 3 { -0.15 } else { 0.0 }
        + normal(rng, 0.42);
    let income = (log_income.exp() * 100.0).round() / 100.0;
    let owner_base = match ctx.origin {
        OriginGroup::Native => 0.72,
        OriginGroup::EuBorn => 0.45,
        OriginGroup::NonEuBorn => 0.28,
    };
    let owner_eta = logit(owner_base)
        + if ctx.degurba == 1 { -0.6 } else { 0.25 }
        + 0.6 * (log_income - ctx.country.median_income_nationals.ln());
    let tenure = if rng.random::<f64>() < expit(owner_eta) {
        if rng.random::<f64>() < 0.5 {
            1
        } else {
            2
        }
    } else {
        1 + 2 + pick_weighted(rng, &[0.7, 0.25, 0.05]) as u8
    };
    Household {
        number,
        origin: ctx.origin,
        persons,
        income,
        tenure,
        disposable_income: 0.0,
        housing_cost: 0.0,
        housing_allowance: 0.0,
        items: [None; 9],
        work_intensity: None,
        rooms: 0,
    }
}

/// Draws education, labour market, health and citizenship for one person.
///
/// Long (about 240 lines) on purpose: it is one fixed sequence of draws from the cluster's
/// stream, and the generated files of a seed are only reproducible if that sequence never
/// changes. Split into functions, a change of order (or a draw moved behind a condition)
/// would be easy to make and hard to see.
fn person(rng: &mut ChaCha8Rng, ctx: &Context, member: u8, s: Skeleton) -> Person {
    let country = ctx.country;
    let national = match s.birth {
        OriginGroup::Native => {
            s.father_birth == ctx.home || s.mother_birth == ctx.home || rng.random::<f64>() < 0.75
        }
        OriginGroup::EuBorn => s.years_of_residence.is_some_and(|y| {
            y >= 5 && rng.random::<f64>() < (0.15 + 0.01 * (y - 5) as f64).min(0.45)
        }),
        OriginGroup::NonEuBorn => s.years_of_residence.is_some_and(|y| {
            y >= 5 && rng.random::<f64>() < (0.2 + 0.03 * (y - 5) as f64).min(0.8)
        }),
    };
    let citizenship = if national {
        ctx.home
    } else if s.birth == OriginGroup::Native {
        if s.father_birth != ctx.home {
            s.father_birth
        } else {
            s.mother_birth
        }
    } else {
        s.country_of_birth
    };
    let second_generation = s.birth == OriginGroup::Native && s.father_birth != ctx.home;
    let migrant_like = match s.birth {
        OriginGroup::Native if second_generation => 0.5,
        OriginGroup::Native => 0.0,
        OriginGroup::EuBorn => 0.6,
        OriginGroup::NonEuBorn => 1.0,
    };
    let age = s.age;
    // Education.
    let (mut isced, mut formal_education) = (None, false);
    if age >= 15 {
        let (low, high) = match s.birth {
            OriginGroup::NonEuBorn => (
                (country.low_education_foreigners * 1.2).min(0.7),
                country.tertiary_education_foreigners * 0.85,
            ),
            OriginGroup::EuBorn => (
                country.low_education_foreigners * 0.7,
                (country.tertiary_education_foreigners * 1.2).min(0.6),
            ),
            OriginGroup::Native => (0.16 + 0.04 * migrant_like, 0.36 - 0.05 * migrant_like),
        };
        let older = if age >= 55 { 0.08 } else { 0.0 };
        if age < 18 {
            formal_education = rng.random::<f64>() < 0.93;
            isced = Some(if age < 16 {
                200
            } else {
                pick(rng, &[200, 200, 303])
            });
        } else if age < 25 {
            let p_low = 0.08 + 0.16 * migrant_like;
            if rng.random::<f64>() < p_low {
                isced = Some(pick(rng, &[100, 200, 200]));
                formal_education = rng.random::<f64>() < 0.2;
            } else {
                let tertiary = age >= 21 && rng.random::<f64>() < 0.32;
                isced = Some(if tertiary {
                    600
                } else {
                    pick(rng, &[302, 303, 304, 400])
                });
                formal_education = rng.random::<f64>() < if age <= 20 { 0.65 } else { 0.4 };
            }
        } else {
            let u: f64 = rng.random();
            isced = Some(if u < low + older {
                pick(rng, &[0, 100, 200, 200])
            } else if u < 1.0 - (high - older).max(0.05) {
                pick(rng, &[302, 303, 303, 304, 400])
            } else {
                pick(rng, &[500, 600, 600, 700, 800])
            });
            formal_education = age < 35 && rng.random::<f64>() < 0.06;
        }
    }
    let training = age >= 15 && rng.random::<f64>() < if age < 65 { 0.11 } else { 0.03 };
    // Labour status (15+).
    let (mut ilostat, mut stapro, mut isco) = (None, None, None);
    if age >= 15 {
        let nat = logit((country.employment_nationals + 0.06).min(0.95));
        let foreign = logit((country.employment_foreigners + 0.05).min(0.95));
        let mut eta = match s.birth {
            OriginGroup::Native => nat - 0.25 * migrant_like,
            OriginGroup::EuBorn => nat + 0.6 * (foreign - nat),
            OriginGroup::NonEuBorn => foreign - 0.3,
        } + ctx.effect;
        let low_edu = isced.is_some_and(|i| i <= 200);
        let high_edu = isced.is_some_and(|i| i >= 500);
        eta += if s.sex == 2 {
            if s.birth == OriginGroup::NonEuBorn {
                -0.8
            } else {
                -0.3
            }
        } else {
            0.2
        };
        eta += if low_edu {
            -0.6
        } else if high_edu {
            0.5
        } else {
            0.0
        };
        eta += match age {
            15..=19 => -2.0,
            20..=24 => -0.5,
            25..=54 => 0.35,
            55..=59 => -0.2,
            60..=64 => -1.1,
            65..=69 => -3.0,
            _ => -5.5,
        };
        if formal_education {
            eta -= 1.2;
        }
        if let Some(y) = s.years_of_residence {
            if y < 5 {
                eta -= 0.5;
            }
        }
        if ctx.degurba == 1 && s.birth == OriginGroup::NonEuBorn {
            eta -= 0.15;
        }
        let p_employed = expit(eta);
        let u_rate = match s.birth {
            OriginGroup::Native => country.unemployment_nationals * (1.0 + 0.5 * migrant_like),
            OriginGroup::EuBorn => country.unemployment_foreigners * 0.8,
            OriginGroup::NonEuBorn => country.unemployment_foreigners * 1.15,
        } * if age < 25 { 2.0 } else { 1.0 }
            * if low_edu { 1.4 } else { 1.0 };
        let u_rate = u_rate.min(0.6);
        let p_unemployed = if age < 75 {
            (p_employed * u_rate / (1.0 - u_rate)).min(1.0 - p_employed)
        } else {
            0.0
        };
        let draw: f64 = rng.random();
        let status = if draw < p_employed {
            ILO_EMPLOYED
        } else if draw < p_employed + p_unemployed {
            ILO_UNEMPLOYED
        } else {
            ILO_INACTIVE
        };
        ilostat = Some(status);
        if status == ILO_EMPLOYED {
            let p_self = match s.birth {
                OriginGroup::Native => 0.11,
                OriginGroup::EuBorn => 0.14,
                OriginGroup::NonEuBorn => 0.12,
            };
            let u: f64 = rng.random();
            stapro = Some(if u < 0.3 * p_self {
                1
            } else if u < p_self {
                2
            } else if u < p_self + 0.01 {
                4
            } else {
                3
            });
            let p_skilled = if high_edu {
                match s.birth {
                    OriginGroup::Native => 0.80 - 0.1 * migrant_like,
                    OriginGroup::EuBorn => 0.66,
                    OriginGroup::NonEuBorn => 0.52,
                }
            } else if low_edu {
                0.05
            } else {
                0.25
            };
            isco = Some(if rng.random::<f64>() < p_skilled {
                1 + pick_weighted(rng, &[0.15, 0.5, 0.35]) as u8
            } else if low_edu {
                4 + pick_weighted(rng, &[0.08, 0.25, 0.05, 0.15, 0.15, 0.32]) as u8
            } else {
                4 + pick_weighted(rng, &[0.22, 0.26, 0.05, 0.16, 0.14, 0.17]) as u8
            });
        }
    }
    // Health: national level by citizenship, falling with age.
    let base = if national {
        country.good_health_nationals
    } else {
        country.good_health_foreigners
    };
    let good = expit(logit(base) - 0.045 * (age as f64 - 48.0));
    let health = if rng.random::<f64>() < good {
        if rng.random::<f64>() < 0.45 {
            1
        } else {
            2
        }
    } else {
        3 + pick_weighted(rng, &[0.7, 0.22, 0.08]) as u8
    };
    let economic_status = (age >= 16).then(|| match ilostat {
        Some(ILO_EMPLOYED) => 1,
        Some(ILO_UNEMPLOYED) => 2,
        _ if formal_education => 5,
        _ if age >= 60 => 3,
        _ => {
            if rng.random::<f64>() < 0.1 {
                4
            } else if s.sex == 2 && rng.random::<f64>() < 0.35 {
                6
            } else {
                8
            }
        }
    });
    Person {
        member,
        age,
        sex: s.sex,
        birth: s.birth,
        country_of_birth: s.country_of_birth,
        citizenship,
        father_birth: s.father_birth,
        mother_birth: s.mother_birth,
        years_of_residence: s.years_of_residence,
        isced,
        formal_education,
        training,
        ilostat,
        stapro,
        isco,
        health,
        economic_status,
        seekdur: None,
        temp: None,
        ftpt: None,
        ftptreas: None,
        unmet_medical: None,
        unmet_reason: None,
        father_member: None,
        mother_member: None,
        partner_member: None,
        personal_items: None,
    }
}
