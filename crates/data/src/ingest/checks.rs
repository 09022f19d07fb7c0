//! Checks across the records of a load: duplicated persons, and households whose members
//! disagree on household-level variables.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::path::PathBuf;

use incity_reference::concepts::{self, CONCEPTS};

use super::harmonise::{value, HarmonisedRow, Origin};

/// 128-bit key of an identifier (SipHash and FNV-1a, 64 bits each), for duplicate detection
/// without keeping every identifier in memory.
fn key128(parts: &[&str]) -> u128 {
    #[allow(deprecated)]
    let mut a = std::hash::SipHasher::new();
    let mut b: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        p.hash(&mut a);
        for byte in p.bytes().chain(std::iter::once(0xff)) {
            b = (b ^ byte as u64).wrapping_mul(0x0100_0000_01b3);
        }
    }
    ((a.finish() as u128) << 64) | b as u128
}

fn small_hash(s: Option<&str>) -> u16 {
    let mut h: u32 = 0x811c_9dc5;
    for b in s.unwrap_or("\u{0}missing").bytes() {
        h = (h ^ b as u32).wrapping_mul(0x0100_0193);
    }
    (h ^ (h >> 16)) as u16
}

/// Household-level concepts that must agree between the members of a household.
fn household_concepts() -> Vec<usize> {
    let ids: Vec<usize> = CONCEPTS
        .iter()
        .enumerate()
        .filter(|(_, c)| c.household_level && !matches!(c.id, "household_id" | "country" | "year"))
        .map(|(i, _)| i)
        .collect();
    debug_assert!(ids.len() <= MAX_HOUSEHOLD_CONCEPTS);
    ids.into_iter().take(MAX_HOUSEHOLD_CONCEPTS).collect()
}

/// The first member seen of a household: where, and a 16-bit hash of each household-level
/// value (to name the value that differs).
struct HouseholdSeen {
    at: Packed,
    parts: [u16; MAX_HOUSEHOLD_CONCEPTS],
}

const MAX_HOUSEHOLD_CONCEPTS: usize = 16;

/// A file index (16 bits) and a line (48 bits) in one word.
#[derive(Clone, Copy)]
struct Packed(u64);

impl Packed {
    fn new(origin: Origin) -> Packed {
        Packed(((origin.file as u64) << 48) | (origin.line & 0xffff_ffff_ffff))
    }
    fn file(self) -> usize {
        (self.0 >> 48) as usize
    }
    fn line(self) -> u64 {
        self.0 & 0xffff_ffff_ffff
    }
}

/// State shared by the table and EU-SILC readers: duplicate and household checks.
pub(crate) struct Checks {
    persons: HashMap<u128, Packed>,
    households: HashMap<u128, HouseholdSeen>,
    household_concepts: Vec<usize>,
    /// Per concept: how to name it in a rejection (source columns and concept).
    labels: Vec<String>,
}

impl Checks {
    pub(crate) fn new(labels: Vec<String>) -> Checks {
        Checks {
            persons: HashMap::new(),
            households: HashMap::new(),
            household_concepts: household_concepts(),
            labels,
        }
    }

    /// Checks a harmonised row for a duplicated person and household consistency.
    pub(crate) fn check(
        &mut self,
        row: &HarmonisedRow,
        origin: Origin,
        files: &[PathBuf],
        rejections: &mut Vec<(Origin, String, String, String)>,
    ) {
        let country = row[0].as_deref().unwrap_or("");
        let year = value(row, "year").unwrap_or("");
        if let Some(person) = value(row, "person_id") {
            let k = key128(&[country, year, person]);
            if let Some(first) = self.persons.get(&k) {
                let (file, line) = (first.file(), first.line());
                rejections.push((
                    origin,
                    self.labels[concepts::concept_index("person_id").unwrap_or(0)].clone(),
                    person.to_string(),
                    format!(
                        "a person id not already used in {} {} (first at {}, line {})",
                        country,
                        year,
                        files[file].display(),
                        line
                    ),
                ));
            } else {
                self.persons.insert(k, Packed::new(origin));
            }
        }
        if let Some(household) = value(row, "household_id") {
            let k = key128(&[country, year, household]);
            let mut parts = [0u16; MAX_HOUSEHOLD_CONCEPTS];
            for (slot, &i) in parts.iter_mut().zip(&self.household_concepts) {
                *slot = small_hash(row[i].as_deref());
            }
            match self.households.get(&k) {
                Some(seen) => {
                    let n = self.household_concepts.len();
                    if let Some(j) = (0..n).find(|&j| parts[j] != seen.parts[j]) {
                        let c = &CONCEPTS[self.household_concepts[j]];
                        rejections.push((
                            origin,
                            self.labels[self.household_concepts[j]].clone(),
                            row[self.household_concepts[j]].clone().unwrap_or_default(),
                            format!(
                                "the same {} as the other members of household {} (first at {}, line {})",
                                c.id,
                                household,
                                files[seen.at.file()].display(),
                                seen.at.line()
                            ),
                        ));
                    }
                }
                None => {
                    self.households.insert(
                        k,
                        HouseholdSeen {
                            at: Packed::new(origin),
                            parts,
                        },
                    );
                }
            }
        }
    }
}
