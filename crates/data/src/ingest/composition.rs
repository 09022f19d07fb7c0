//! Values of a household computed from all its members in the EU-SILC personal register (R):
//! the rooms it needs by Eurostat's overcrowding rule, offered to mappings as the computed
//! column [`REQUIRED_ROOMS`].
//!
//! Eurostat (EU-SILC, "overcrowding rate", ilc_lvho05a; Regulation (EU) 2019/1700 glossary): a
//! household needs one room for the household, one per couple, one per other person aged 18
//! or over, one per pair of persons of the same sex aged 12-17, one per other person aged
//! 12-17, and one per pair of children under 12. A couple is two members each naming the
//! other as spouse or partner (`RB240`). An odd child under 12 takes a room of its own (the
//! regulation's "pair" rounded up, as for the 12-17-year-olds). The members' ages are `RX010`
//! (age at the interview) and sexes `RB090` (1 male, 2 female).
//!
//! The R file is read once before the join to collect each household's members; a household
//! with a member whose age or sex is not readable has no value (its record is rejected for that
//! age or sex anyway when the mapping reads them).

use std::collections::HashMap;
use std::path::Path;

use super::raw::{for_each_record, RawFile};
use crate::mapping::Mapping;
use crate::DataError;

/// The computed column a mapping names to read a household's required rooms.
pub const REQUIRED_ROOMS: &str = "@required_rooms";

/// (country, year, household id).
pub(crate) type HouseholdKey = (String, String, String);

/// One member as the rule needs it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Member {
    pub age: u32,
    /// 1 male, 2 female.
    pub sex: u8,
    /// Lives with a spouse or partner in the household.
    pub in_couple: bool,
}

/// Rooms a household of these members needs (Eurostat's rule, see the module documentation).
pub fn required_rooms(members: &[Member]) -> u32 {
    let couples = members.iter().filter(|m| m.in_couple).count() as u32 / 2;
    let single_adults = members
        .iter()
        .filter(|m| !m.in_couple && m.age >= 18)
        .count() as u32;
    let teens = |sex: u8| {
        members
            .iter()
            .filter(|m| !m.in_couple && (12..18).contains(&m.age) && m.sex == sex)
            .count() as u32
    };
    let children = members
        .iter()
        .filter(|m| !m.in_couple && m.age < 12)
        .count() as u32;
    1 + couples + single_adults + teens(1).div_ceil(2) + teens(2).div_ceil(2) + children.div_ceil(2)
}

/// Reads the R file once and gives each household's required rooms, as text (the joined
/// record borrows its fields). Households with an unreadable member are left out.
pub(crate) fn required_rooms_by_household(
    r: &RawFile,
    path: &Path,
    mapping: &Mapping,
    progress: &mut dyn FnMut(&Path, u64),
) -> Result<HashMap<HouseholdKey, String>, DataError> {
    let column = |name: &str| {
        r.header
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| DataError::UnknownColumn {
                file: path.to_path_buf(),
                column: name.to_string(),
                role: format!("R-file column that {REQUIRED_ROOMS} needs"),
                available: r.header.join(", "),
            })
    };
    let [country, year, household, person, partner, age, sex] = [
        "RB020", "RB010", "RB040", "RB030", "RB240", "RX010", "RB090",
    ]
    .map(column);
    let (country, year, household, person, partner, age, sex) =
        (country?, year?, household?, person?, partner?, age?, sex?);
    // Per household: (person id, partner id, age, sex), or None once a member is unreadable.
    type Raw = (String, Option<String>, u32, u8);
    let mut households: HashMap<HouseholdKey, Option<Vec<Raw>>> = HashMap::new();
    for_each_record(r, &mut |done| progress(path, done), &mut |_, fields| {
        if fields.is_empty() {
            return Ok(());
        }
        let get = |i: usize| fields[i].filter(|v| !mapping.is_missing(v));
        let key = (
            get(country).unwrap_or("").to_string(),
            get(year).unwrap_or("").to_string(),
            get(household).unwrap_or("").to_string(),
        );
        let member = (|| {
            let a = get(age)?.trim().parse::<u32>().ok()?;
            let s = match get(sex)?.trim() {
                "1" => 1,
                "2" => 2,
                _ => return None,
            };
            Some((
                get(person).unwrap_or("").to_string(),
                get(partner).map(str::to_string),
                a,
                s,
            ))
        })();
        let entry = households.entry(key).or_insert_with(|| Some(Vec::new()));
        match (entry.as_mut(), member) {
            (Some(list), Some(m)) => list.push(m),
            _ => *entry = None,
        }
        Ok(())
    })?;
    Ok(households
        .into_iter()
        .filter_map(|(key, members)| {
            let members = members?;
            let rule: Vec<Member> = members
                .iter()
                .map(|(id, partner, age, sex)| Member {
                    age: *age,
                    sex: *sex,
                    in_couple: partner.as_ref().is_some_and(|p| {
                        members
                            .iter()
                            .any(|(other, their, _, _)| other == p && their.as_ref() == Some(id))
                    }),
                })
                .collect();
            Some((key, required_rooms(&rule).to_string()))
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(age: u32, sex: u8, in_couple: bool) -> Member {
        Member {
            age,
            sex,
            in_couple,
        }
    }

    /// Cases worked by hand from the rule's wording.
    #[test]
    fn rooms_by_eurostat_rule() {
        // One person: the household's room and their own (a one-room studio is overcrowded,
        // as in Eurostat's tables).
        assert_eq!(required_rooms(&[m(40, 1, false)]), 2);
        // Two flatmates aged 18+: the household's room and one each.
        assert_eq!(required_rooms(&[m(30, 1, false), m(31, 1, false)]), 3);
        // A couple: the household's room and the couple's.
        assert_eq!(required_rooms(&[m(30, 1, true), m(31, 2, true)]), 2);
        // A couple, a son of 14, a daughter of 13, two children of 5 and 8: 1 + 1 + 1 + 1 + 1.
        let family = [
            m(40, 1, true),
            m(38, 2, true),
            m(14, 1, false),
            m(13, 2, false),
            m(5, 1, false),
            m(8, 2, false),
        ];
        assert_eq!(required_rooms(&family), 5);
        // Two sons of 12 and 17 share; a third child of 3 alone; an adult son of 19.
        let family = [
            m(45, 2, false),
            m(17, 1, false),
            m(12, 1, false),
            m(3, 2, false),
            m(19, 1, false),
        ];
        assert_eq!(required_rooms(&family), 1 + 1 + 1 + 1 + 1);
        // Three children under 12: two rooms.
        let three = [
            m(35, 2, false),
            m(1, 1, false),
            m(4, 2, false),
            m(7, 1, false),
        ];
        assert_eq!(required_rooms(&three), 1 + 1 + 2);
    }
}
