//! Material and social deprivation, work intensity and rooms of the generated households
//! (EU-SILC): the 13 deprivation items of the EU's 2021 definition, the household's work
//! intensity from its members' months at work, and the number of rooms beside the rooms
//! Eurostat's overcrowding rule requires.
//!
//! Drawn from a ChaCha stream of their own, after [`crate::conditions`], so that every value
//! generated before them stays as it was.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::people::{cluster_rng, expit, logit, normal, Cluster, Household, OriginGroup, Person};
use super::{ILO_EMPLOYED, ILO_UNEMPLOYED};

/// Mixed into the seed of this stream.
const STREAM_SALT: u64 = 0x6c69_7669_6e67_0001; // "living"

/// Household deprivation items as written, in [`HOUSEHOLD_ITEMS`] order: for arrears
/// (`HS011`, `HS021`, `HS031`) 1 once, 2 twice or more, 3 no, `None` where the household has no
/// such payment; for the others 1 yes (can afford), 2 no, cannot afford, 3 no, other reason.
pub const HOUSEHOLD_ITEMS: [&str; 9] = [
    "HS011", "HS021", "HS031", "HS040", "HS050", "HS060", "HH050", "HS110", "HD080",
];
/// Personal deprivation items (persons 16+), in [`Person::personal_items`] order: 1 yes,
/// 2 no, cannot afford, 3 no, other reason.
pub const PERSONAL_ITEMS: [&str; 6] = ["PD020", "PD030", "PD050", "PD060", "PD070", "PD080"];

/// The number of the 13 items of the EU's material and social deprivation the person lacks
/// (`None` without personal items: persons under 16).
pub fn deprivation_items(h: &Household, p: &Person) -> Option<u32> {
    let personal = p.personal_items?;
    let [hs011, hs021, hs031, rest @ ..] = h.items;
    let arrears = [hs011, hs021, hs031]
        .iter()
        .any(|c| matches!(c, Some(1 | 2)));
    let household = rest.iter().filter(|c| **c == Some(2)).count() as u32;
    let own = personal.iter().filter(|c| **c == 2).count() as u32;
    Some(u32::from(arrears) + household + own)
}

/// Whether a person is severely materially and socially deprived: 7 or more of the 13 items.
pub fn severely_deprived(h: &Household, p: &Person) -> Option<bool> {
    deprivation_items(h, p).map(|n| n >= 7)
}

/// Whether a member counts in the household's work intensity: aged 18-64, not a student aged
/// 18-24, not retired (Eurostat's 2021 definition, simplified to the generated statuses).
fn counts_for_work_intensity(p: &Person) -> bool {
    (18..=64).contains(&p.age)
        && !(p.age <= 24 && p.formal_education)
        && p.economic_status != Some(3)
}

/// Rooms Eurostat's overcrowding rule requires for the household: one for the household, one
/// per couple, one per other person 18+, one per two persons of the same sex aged 12-17 (and
/// one for an odd one), one per two children under 12 (and one for an odd one).
pub fn required_rooms(persons: &[Person]) -> u32 {
    let partnered = persons.iter().filter(|p| p.partner_member.is_some());
    let couples = partnered.count() as u32 / 2;
    let single = |p: &&Person| p.partner_member.is_none();
    let adults = persons
        .iter()
        .filter(single)
        .filter(|p| p.age >= 18)
        .count() as u32;
    let teens = |sex: u8| {
        let n = persons
            .iter()
            .filter(single)
            .filter(|p| (12..=17).contains(&p.age) && p.sex == sex)
            .count() as u32;
        n.div_ceil(2)
    };
    let young = persons.iter().filter(single).filter(|p| p.age < 12).count() as u32;
    1 + couples + adults + teens(1) + teens(2) + young.div_ceil(2)
}

fn item(rng: &mut ChaCha8Rng, base: f64, latent: f64, other_reason: f64) -> u8 {
    if rng.random::<f64>() < expit(logit(base) + 1.3 * latent) {
        2
    } else if rng.random::<f64>() < other_reason {
        3
    } else {
        1
    }
}

/// Draws the items, months at work and rooms of every household of a generated cluster.
pub(crate) fn draw_living(seed: u64, cluster: &mut Cluster) {
    let mut rng = cluster_rng(seed ^ STREAM_SALT, cluster.stratum, cluster.index);
    for h in &mut cluster.households {
        let m = match h.origin {
            OriginGroup::Native => 0.0,
            OriginGroup::EuBorn => 0.4,
            OriginGroup::NonEuBorn => 0.9,
        };
        // Latent deprivation: falls with income, higher in migrant households.
        let latent = -1.1 * (h.income / 18_000.0).ln() + 0.5 * m + normal(&mut rng, 0.8);
        let arrears = |rng: &mut ChaCha8Rng, applies: bool| {
            if !applies {
                return None;
            }
            Some(if rng.random::<f64>() < expit(logit(0.06) + 1.3 * latent) {
                if rng.random::<f64>() < 0.5 {
                    1
                } else {
                    2
                }
            } else {
                3
            })
        };
        let pays_housing = !matches!(h.tenure, 1 | 5);
        let hs011 = arrears(&mut rng, pays_housing);
        let hs021 = arrears(&mut rng, true);
        let hire_purchase = rng.random::<f64>() < 0.3;
        let hs031 = arrears(&mut rng, hire_purchase);
        h.items = [
            hs011,
            hs021,
            hs031,
            Some(item(&mut rng, 0.25, latent, 0.05)),
            Some(item(&mut rng, 0.06, latent, 0.02)),
            Some(item(&mut rng, 0.28, latent, 0.0)),
            Some(item(&mut rng, 0.06, latent, 0.0)),
            Some(item(&mut rng, 0.05, latent, 0.1)),
            Some(item(&mut rng, 0.18, latent, 0.06)),
        ];
        for p in &mut h.persons {
            let own = latent + normal(&mut rng, 0.5);
            p.personal_items = (p.age >= 16).then(|| {
                [0.08, 0.03, 0.07, 0.14, 0.1, 0.03].map(|base| item(&mut rng, base, own, 0.04))
            });
        }
        // Months at work of the members who count; the household's work intensity.
        let (mut worked, mut possible) = (0u32, 0u32);
        for p in &h.persons {
            if !counts_for_work_intensity(p) {
                continue;
            }
            let months = match p.ilostat {
                Some(ILO_EMPLOYED) if rng.random::<f64>() < 0.85 => 12,
                Some(ILO_EMPLOYED) => rng.random_range(4..12),
                Some(ILO_UNEMPLOYED) => rng.random_range(0..=6),
                _ if rng.random::<f64>() < 0.1 => rng.random_range(1..=6),
                _ => 0,
            };
            worked += months;
            possible += 12;
        }
        h.work_intensity =
            (possible > 0).then(|| (worked as f64 / possible as f64 * 1e4).round() / 1e4);
        // Rooms: short of the requirement for some households (more often migrant, poorer and
        // urban ones), else the requirement plus a few.
        let required = required_rooms(&h.persons);
        let short = expit(
            logit(0.1) + 1.1 * m - 0.8 * (h.income / 18_000.0).ln()
                + if matches!(h.tenure, 3 | 4) { 0.6 } else { 0.0 },
        );
        h.rooms = if required > 1 && rng.random::<f64>() < short {
            required - 1 - u32::from(required > 2 && rng.random::<f64>() < 0.25)
        } else {
            required + rng.random_range(0..=2)
        } as u8;
    }
}

/// Whether the household is overcrowded: fewer rooms than the rule requires.
pub fn overcrowded(h: &Household) -> bool {
    u32::from(h.rooms) < required_rooms(&h.persons)
}

/// Whether a person lives in a household of very low work intensity (below 0.2; persons aged
/// 0-64, households where someone counts).
pub fn very_low_work_intensity(h: &Household, p: &Person) -> bool {
    p.age <= 64 && h.work_intensity.is_some_and(|w| w < 0.2)
}
