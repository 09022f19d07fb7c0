//! Working and living conditions of the generated persons and households: duration of
//! unemployment, contract type, working time and the reason for part-time work (EU-LFS), and
//! housing costs, housing allowances, total disposable income and unmet medical needs
//! (EU-SILC).
//!
//! Drawn after a cluster's households are complete, from a ChaCha stream of their own (the
//! cluster's stream under a different seed), so that adding them left every draw of the
//! people model, and every file generated before them, unchanged.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::people::{cluster_rng, expit, logit, normal, Cluster, OriginGroup, Person};
use super::{ILO_EMPLOYED, ILO_UNEMPLOYED};

/// Mixed into the seed of the conditions' stream.
const STREAM_SALT: u64 = 0x636f_6e64_6974_696f; // "conditio"

/// Duration-of-search codes of the EU-LFS (`SEEKDUR`): 1 less than a month, 2 1-2 months,
/// 3 3-5, 4 6-11, 5 12-17, 6 18-23, 7 24-47, 8 four years or more. Codes 5-8 are long-term.
pub const LONG_TERM_SEEKDUR: std::ops::RangeInclusive<u8> = 5..=8;

/// Reason for part-time work, EU-LFS `FTPTREAS` as written by the generator: 1 education or
/// training, 2 own illness or disability, 3 care of children or incapacitated adults, 4 other
/// family or personal reasons, 5 could not find a full-time job, 6 other.
pub const INVOLUNTARY_FTPTREAS: u8 = 5;

/// Reasons for an unmet need for medical examination (EU-SILC `PH050`) that count in
/// Eurostat's indicator: 1 could not afford it, 2 waiting list, 4 too far to travel.
pub const COUNTED_PH050: [u8; 3] = [1, 2, 4];

fn pick_weighted(rng: &mut ChaCha8Rng, weights: &[f64]) -> u8 {
    let total: f64 = weights.iter().sum();
    let mut u = rng.random::<f64>() * total;
    for (i, w) in weights.iter().enumerate() {
        if u < *w {
            return i as u8 + 1;
        }
        u -= w;
    }
    weights.len() as u8
}

/// Extra vulnerability of a group in these conditions (0 native-born, 1 non-EU-born).
fn migrant_weight(p: &Person) -> f64 {
    match p.birth {
        OriginGroup::Native if p.father_birth != p.country_of_birth => 0.4,
        OriginGroup::Native => 0.0,
        OriginGroup::EuBorn => 0.5,
        OriginGroup::NonEuBorn => 1.0,
    }
}

fn labour_conditions(rng: &mut ChaCha8Rng, p: &mut Person) {
    let m = migrant_weight(p);
    let recent = p.years_of_residence.is_some_and(|y| y < 5);
    match p.ilostat {
        Some(ILO_UNEMPLOYED) => {
            let long = expit(
                logit(0.36) + 0.45 * m + if p.age >= 50 { 0.5 } else { 0.0 }
                    - if recent { 0.4 } else { 0.0 },
            );
            p.seekdur = Some(if rng.random::<f64>() < long {
                pick_weighted(rng, &[0.0, 0.0, 0.0, 0.0, 0.35, 0.2, 0.3, 0.15])
            } else {
                pick_weighted(rng, &[0.2, 0.3, 0.3, 0.2])
            });
        }
        Some(ILO_EMPLOYED) => {
            if p.stapro == Some(3) {
                let temporary = expit(
                    logit(0.11) + 0.8 * m + if p.age < 25 { 1.4 } else { 0.0 }
                        - if p.age >= 45 { 0.5 } else { 0.0 }
                        + if recent { 0.5 } else { 0.0 },
                );
                p.temp = Some(if rng.random::<f64>() < temporary {
                    2
                } else {
                    1
                });
            }
            let part = expit(
                logit(if p.sex == 2 { 0.28 } else { 0.08 })
                    + 0.3 * m
                    + if p.age < 25 { 0.6 } else { 0.0 },
            );
            let part_time = rng.random::<f64>() < part;
            p.ftpt = Some(if part_time { 2 } else { 1 });
            if part_time {
                let involuntary = 0.22 + 0.22 * m;
                let care = if p.sex == 2 { 0.3 } else { 0.08 };
                let education = if p.formal_education { 0.5 } else { 0.05 };
                p.ftptreas = Some(pick_weighted(
                    rng,
                    &[education, 0.06, care, 0.15, involuntary, 0.12],
                ));
            }
        }
        _ => {}
    }
    if p.age >= 16 {
        let unmet = expit(logit(0.035) + 0.5 * m + if p.health >= 4 { 1.0 } else { 0.0 });
        let has_need = rng.random::<f64>() < unmet;
        p.unmet_medical = Some(if has_need { 1 } else { 2 });
        if has_need {
            p.unmet_reason = Some(pick_weighted(
                rng,
                &[
                    0.3 + 0.1 * m,
                    0.3,
                    0.12,
                    0.05 + 0.03 * m,
                    0.05,
                    0.08,
                    0.03,
                    0.07,
                ],
            ));
        }
    }
}

/// The modified OECD equivalence scale of a household: 1 for the first adult, 0.5 for each
/// further person aged 14 or over, 0.3 for each child under 14 (EU-SILC HX050).
pub fn equivalised_size(persons: &[Person]) -> f64 {
    let older = persons.iter().filter(|p| p.age >= 14).count() as f64;
    let children = persons.iter().filter(|p| p.age < 14).count() as f64;
    1.0 + 0.5 * (older - 1.0).max(0.0) + 0.3 * children
}

/// Draws the conditions of every person and household of a generated cluster.
pub(crate) fn draw_conditions(seed: u64, cluster: &mut Cluster) {
    let mut rng = cluster_rng(seed ^ STREAM_SALT, cluster.stratum, cluster.index);
    for h in &mut cluster.households {
        for p in &mut h.persons {
            labour_conditions(&mut rng, p);
        }
        let size = equivalised_size(&h.persons);
        let disposable = (h.income * size * 100.0).round() / 100.0;
        h.disposable_income = disposable;
        // Monthly housing costs: a share of income by tenure (tenants and owners paying a
        // mortgage pay most), higher for migrant households and in cities, log-normal.
        let m = match h.origin {
            OriginGroup::Native => 0.0,
            OriginGroup::EuBorn => 0.5,
            OriginGroup::NonEuBorn => 1.0,
        };
        let base_share: f64 = match h.tenure {
            1 => 0.07,
            2 => 0.2,
            3 => 0.25,
            4 => 0.16,
            _ => 0.05,
        };
        let share = (base_share.ln() + 0.2 * m + normal(&mut rng, 0.45)).exp();
        let monthly = (share * disposable.max(6000.0) / 12.0 * 100.0).round() / 100.0;
        h.housing_cost = monthly;
        // Housing allowances for some low-income tenants (annual, euro).
        let low_income = h.income < 12_000.0;
        h.housing_allowance =
            if matches!(h.tenure, 3 | 4) && low_income && rng.random::<f64>() < 0.35 {
                (monthly * 12.0 * rng.random_range(0.15..0.45) * 100.0).round() / 100.0
            } else {
                0.0
            };
    }
}

/// Whether a household is overburdened by its housing costs: annual housing costs net of
/// housing allowances above 40 % of disposable income net of housing allowances (Eurostat's
/// definition, ilc_lvho07).
pub fn overburdened(disposable_income: f64, housing_cost: f64, housing_allowance: f64) -> bool {
    housing_cost * 12.0 - housing_allowance > 0.4 * (disposable_income - housing_allowance)
}
