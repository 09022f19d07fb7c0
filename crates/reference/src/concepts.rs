//! The harmonised concepts every input is mapped onto (product brief §2): one row per person,
//! with the survey design, demography, the target-group variables, labour market, education,
//! income, housing and health, in codes that do not depend on the source.
//!
//! Derived target groups are computed here, once, from the harmonised values:
//! * by country of birth: `native`, `eu_born`, `non_eu_born` (the EU is EU27 from 2020, and a
//!   country's "EU" group excludes the country itself);
//! * by citizenship: `nationals`, `eu_citizens`, `non_eu_citizens`;
//! * by parents' country of birth (native-born only): `second_generation` (both parents
//!   foreign-born), `mixed_background` (one), `native_parents`;
//! * by duration of residence (foreign-born only): `recent_migrants` (< 5 years),
//!   `settled_migrants` (5-9), `long_settled_migrants` (10+);
//! * education by ISCED 2011 level: `low` (0-2), `medium` (3-4), `high` (5-8).

use crate::geography::{self, Geography, NutsVersion};

/// What values a concept takes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ConceptKind {
    /// Free text (identifiers, stratum and PSU labels).
    Text,
    /// A European country code of the NUTS classification (`AT`, `EL`, ...).
    Country,
    /// A NUTS code (level 1-3) of the mapping's NUTS version, inside the record's country.
    Region,
    /// A city code of the EU city statistics (`AT001C`), inside the record's country.
    City,
    /// A country of birth or citizenship: a two-letter country code, or `@home` (the country
    /// of residence), `@eu` (another EU27 country), `@non_eu` (outside the EU27).
    Origin,
    /// A whole number in a range.
    Integer { min: i64, max: i64 },
    /// A weight: a finite number > 0.
    Weight,
    /// Any finite number (incomes may be negative).
    Number,
    /// One of a list of harmonised codes.
    Codes(&'static [&'static str]),
    /// An age band: `LO-HI` (both included) or `LO+`, in completed years ([`parse_age_band`]).
    AgeBand,
}

/// A harmonised concept.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Concept {
    /// Column name in harmonised files and in mapping files.
    pub id: &'static str,
    pub kind: ConceptKind,
    /// Level: household-level concepts must agree among the members of a household.
    pub household_level: bool,
    pub description: &'static str,
}

macro_rules! concept {
    ($id:literal, $kind:expr, $hh:literal, $desc:literal) => {
        Concept {
            id: $id,
            kind: $kind,
            household_level: $hh,
            description: $desc,
        }
    };
}

pub const ILO_STATUS: &[&str] = &["employed", "unemployed", "inactive"];
pub const EMPLOYMENT_STATUS: &[&str] = &[
    "self_employed_with_employees",
    "self_employed_without_employees",
    "employee",
    "family_worker",
];
pub const ECONOMIC_STATUS: &[&str] = &[
    "employed",
    "unemployed",
    "retired",
    "disabled",
    "student",
    "domestic",
    "military",
    "other",
];
pub const TENURE: &[&str] = &[
    "owner_outright",
    "owner_mortgage",
    "tenant_market",
    "tenant_reduced",
    "rent_free",
];
pub const YES_NO: &[&str] = &["yes", "no"];
pub const SEX: &[&str] = &["M", "F"];
pub const DEGURBA: &[&str] = &["1", "2", "3"];
pub const ISCO_MAJOR: &[&str] = &["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];
pub const ISCED_LEVEL: &[&str] = &["0", "1", "2", "3", "4", "5", "6", "7", "8"];
pub const HEALTH: &[&str] = &["1", "2", "3", "4", "5"];
pub const UNEMPLOYMENT_DURATION: &[&str] = &["less_than_12_months", "12_months_or_more"];
pub const CONTRACT: &[&str] = &["permanent", "temporary"];
pub const WORKING_TIME: &[&str] = &["full_time", "part_time"];
pub const PART_TIME_REASON: &[&str] = &[
    "education",
    "illness",
    "care",
    "other_family",
    "no_full_time_job",
    "other",
];
pub const UNMET_MEDICAL_REASON: &[&str] = &[
    "cost",
    "waiting_list",
    "no_time",
    "distance",
    "fear",
    "wait_and_see",
    "no_good_doctor",
    "other",
];

/// An age band's bounds: `20-24` is `(20, Some(24))`, `75+` is `(75, None)`; `None` for text
/// that is not a band (bounds 0-120, the lower at most the upper).
pub fn parse_age_band(band: &str) -> Option<(u32, Option<u32>)> {
    let band = band.trim();
    let (lo, hi) = match band.strip_suffix('+') {
        Some(lo) => (lo.trim().parse::<u32>().ok()?, None),
        None => {
            let (lo, hi) = band.split_once('-')?;
            let (lo, hi) = (
                lo.trim().parse::<u32>().ok()?,
                hi.trim().parse::<u32>().ok()?,
            );
            (lo <= hi).then_some(())?;
            (lo, Some(hi))
        }
    };
    (lo <= 120 && hi.is_none_or(|h| h <= 120)).then_some((lo, hi))
}

/// Every harmonised concept, in the column order of harmonised files.
pub const CONCEPTS: &[Concept] = &[
    concept!(
        "country",
        ConceptKind::Country,
        true,
        "Country of residence (Eurostat code)"
    ),
    concept!(
        "year",
        ConceptKind::Integer {
            min: 1950,
            max: 2100
        },
        true,
        "Survey or reference year"
    ),
    concept!(
        "region",
        ConceptKind::Region,
        true,
        "NUTS region of residence (most detailed level coded)"
    ),
    concept!(
        "degurba",
        ConceptKind::Codes(DEGURBA),
        true,
        "Degree of urbanisation: 1 cities, 2 towns and suburbs, 3 rural areas"
    ),
    concept!(
        "city",
        ConceptKind::City,
        true,
        "City of residence (EU city statistics code)"
    ),
    concept!(
        "household_id",
        ConceptKind::Text,
        true,
        "Household identifier (unique within country and year)"
    ),
    concept!(
        "person_id",
        ConceptKind::Text,
        false,
        "Person identifier (unique within country and year)"
    ),
    concept!("stratum", ConceptKind::Text, true, "Design stratum"),
    concept!("psu", ConceptKind::Text, true, "Primary sampling unit"),
    concept!(
        "weight",
        ConceptKind::Weight,
        false,
        "Survey weight (EU-LFS COEFFY, EU-SILC RB050)"
    ),
    concept!(
        "personal_weight",
        ConceptKind::Weight,
        false,
        "EU-SILC personal cross-sectional weight of persons 16+ (PB040)"
    ),
    concept!("sex", ConceptKind::Codes(SEX), false, "Sex: M, F"),
    concept!(
        "age",
        ConceptKind::Integer { min: 0, max: 120 },
        false,
        "Age in completed years"
    ),
    concept!(
        "age_range",
        ConceptKind::AgeBand,
        false,
        "Age band, where a file gives age in bands only (`20-24`, `75+`): the age is then the band's lower bound, and an indicator whose age range cuts a band is not computed"
    ),
    concept!(
        "country_of_birth",
        ConceptKind::Origin,
        false,
        "Country of birth"
    ),
    concept!(
        "citizenship",
        ConceptKind::Origin,
        false,
        "Country of citizenship"
    ),
    concept!(
        "father_country_of_birth",
        ConceptKind::Origin,
        false,
        "Father's country of birth"
    ),
    concept!(
        "mother_country_of_birth",
        ConceptKind::Origin,
        false,
        "Mother's country of birth"
    ),
    concept!(
        "years_of_residence",
        ConceptKind::Integer { min: 0, max: 120 },
        false,
        "Years of residence in the country"
    ),
    concept!(
        "ilo_status",
        ConceptKind::Codes(ILO_STATUS),
        false,
        "ILO labour status"
    ),
    concept!(
        "employment_status",
        ConceptKind::Codes(EMPLOYMENT_STATUS),
        false,
        "Status in employment"
    ),
    concept!(
        "occupation",
        ConceptKind::Codes(ISCO_MAJOR),
        false,
        "Occupation, ISCO-08 major group"
    ),
    concept!(
        "education_level",
        ConceptKind::Codes(ISCED_LEVEL),
        false,
        "Highest level of education attained, ISCED 2011 level"
    ),
    concept!(
        "formal_education_4w",
        ConceptKind::Codes(YES_NO),
        false,
        "In formal education in the last four weeks"
    ),
    concept!(
        "training_4w",
        ConceptKind::Codes(YES_NO),
        false,
        "In non-formal education or training in the last four weeks"
    ),
    concept!(
        "economic_status",
        ConceptKind::Codes(ECONOMIC_STATUS),
        false,
        "Self-defined current economic status"
    ),
    concept!(
        "equivalised_income",
        ConceptKind::Number,
        true,
        "Equivalised disposable household income (EU-SILC HX090), euro"
    ),
    concept!(
        "tenure",
        ConceptKind::Codes(TENURE),
        true,
        "Tenure status of the household"
    ),
    concept!(
        "health",
        ConceptKind::Codes(HEALTH),
        false,
        "Self-perceived general health: 1 very good ... 5 very bad"
    ),
    concept!(
        "resident_father_country_of_birth",
        ConceptKind::Origin,
        false,
        "Country of birth of the father living in the same household (EU-SILC: PB210 of the person RB220 names)"
    ),
    concept!(
        "resident_mother_country_of_birth",
        ConceptKind::Origin,
        false,
        "Country of birth of the mother living in the same household (EU-SILC: PB210 of the person RB230 names)"
    ),
    concept!(
        "unemployment_duration",
        ConceptKind::Codes(UNEMPLOYMENT_DURATION),
        false,
        "Duration of unemployment (of the search for work, or since the last job if shorter), unemployed persons"
    ),
    concept!(
        "contract",
        ConceptKind::Codes(CONTRACT),
        false,
        "Permanency of the job: permanent or temporary contract, employees"
    ),
    concept!(
        "working_time",
        ConceptKind::Codes(WORKING_TIME),
        false,
        "Full-time or part-time main job (self-declared), employed persons"
    ),
    concept!(
        "part_time_reason",
        ConceptKind::Codes(PART_TIME_REASON),
        false,
        "Main reason for working part-time; no_full_time_job: could not find a full-time job"
    ),
    concept!(
        "disposable_income",
        ConceptKind::Number,
        true,
        "Total disposable household income (EU-SILC HY020), euro per year"
    ),
    concept!(
        "housing_cost",
        ConceptKind::Number,
        true,
        "Total housing cost of the household (EU-SILC HH070), euro per month"
    ),
    concept!(
        "housing_allowance",
        ConceptKind::Number,
        true,
        "Housing allowances received by the household (EU-SILC HY070G), euro per year"
    ),
    concept!(
        "unmet_medical_need",
        ConceptKind::Codes(YES_NO),
        false,
        "Needed a medical examination or treatment in the last 12 months and did not receive it (EU-SILC PH040)"
    ),
    concept!(
        "deprivation_items",
        ConceptKind::Integer { min: 0, max: 13 },
        false,
        "Number of the 13 items of material and social deprivation the person lacks for want of money (EU 2021 definition: 7 household items, HS011-HS031, HS040, HS050, HS060, HH050, HS110, HD080; 6 personal items, PD020-PD080)"
    ),
    concept!(
        "work_intensity",
        ConceptKind::Number,
        true,
        "Work intensity of the household: months worked by its working-age members over the months they could have worked in the income reference year, 0-1 (EU-SILC RX040); missing where no member counts"
    ),
    concept!(
        "rooms",
        ConceptKind::Integer { min: 1, max: 99 },
        true,
        "Number of rooms at the household's disposal (EU-SILC HH030)"
    ),
    concept!(
        "required_rooms",
        ConceptKind::Integer { min: 1, max: 99 },
        true,
        "Rooms the household needs by Eurostat's overcrowding rule: one for the household, one per couple, one per other person 18+, one per two persons of the same sex aged 12-17, one per other person aged 12-17, one per two children under 12"
    ),
    concept!(
        "unmet_medical_reason",
        ConceptKind::Codes(UNMET_MEDICAL_REASON),
        false,
        "Main reason for the unmet need for medical examination (EU-SILC PH050)"
    ),
];

/// Columns derived at import, after the concepts.
pub const DERIVED: &[(&str, &str)] = &[
    ("nuts1", "NUTS 1 region (from region)"),
    (
        "nuts2",
        "NUTS 2 region (from region, when coded at level 2 or 3)",
    ),
    (
        "nuts3",
        "NUTS 3 region (from region, when coded at level 3)",
    ),
    (
        "age_band",
        "Eurostat five-year age band: Y0-4, Y5-9, ..., Y70-74, Y_GE75",
    ),
    ("birth_group", "native, eu_born, non_eu_born"),
    (
        "citizenship_group",
        "nationals, eu_citizens, non_eu_citizens",
    ),
    (
        "parents_background",
        "second_generation, mixed_background, native_parents (native-born)",
    ),
    (
        "residence_duration",
        "recent_migrants, settled_migrants, long_settled_migrants (foreign-born)",
    ),
    ("education", "low (ISCED 0-2), medium (3-4), high (5-8)"),
    (
        "children_parents_birth",
        "children_native_parents, children_eu_born_parent, children_non_eu_born_parent (persons under 18, by the parents they live with)",
    ),
];

/// The columns of the harmonised input store, in order: the concepts, then the derived columns.
pub fn harmonised_columns() -> impl Iterator<Item = &'static str> {
    CONCEPTS
        .iter()
        .map(|c| c.id)
        .chain(DERIVED.iter().map(|(id, _)| *id))
}

pub fn concept(id: &str) -> Option<&'static Concept> {
    CONCEPTS.iter().find(|c| c.id == id)
}

/// The index of a concept in [`CONCEPTS`].
pub fn concept_index(id: &str) -> Option<usize> {
    CONCEPTS.iter().position(|c| c.id == id)
}

/// What a harmonised value should have been, when it is not a value of its concept
/// (`a whole number from 0 to 120`): the "expected" of a rejection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expected(pub String);

impl std::fmt::Display for Expected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Expected {}

/// Checks one (non-missing) harmonised value against its concept (codes, NUTS version and
/// country, city codes, number ranges, weights).
pub fn check_value(
    concept: &Concept,
    value: &str,
    country: Option<&str>,
    nuts_version: NutsVersion,
) -> Result<(), Expected> {
    expectation(concept, value, country, nuts_version).map_err(Expected)
}

fn expectation(
    concept: &Concept,
    value: &str,
    country: Option<&str>,
    nuts_version: NutsVersion,
) -> Result<(), String> {
    let geo = Geography::embedded();
    match concept.kind {
        ConceptKind::Text => Ok(()),
        ConceptKind::AgeBand => parse_age_band(value)
            .map(|_| ())
            .ok_or_else(|| "an age band: LO-HI or LO+ in years, e.g. 20-24 or 75+".to_string()),
        ConceptKind::Country => {
            if geo
                .region(NutsVersion::V2021, value)
                .is_some_and(|r| r.level == 0)
                || geography::country_name(value).is_some()
            {
                Ok(())
            } else {
                Err("a European country code (e.g. AT, EL)".into())
            }
        }
        ConceptKind::Region => match geo.region(nuts_version, value) {
            Some(r) if r.level == 0 => Err(format!(
                "a NUTS {} code of level 1-3, not a country",
                nuts_version.year()
            )),
            Some(_) if country.is_some_and(|c| !value.starts_with(c)) => Err(format!(
                "a NUTS region of the record's country {}",
                country.unwrap_or("")
            )),
            Some(_) => Ok(()),
            None => {
                let other: Vec<String> = geo
                    .versions_of(value)
                    .iter()
                    .map(|v| v.year().to_string())
                    .collect();
                Err(if other.is_empty() {
                    format!("a NUTS {} code", nuts_version.year())
                } else {
                    format!(
                        "a NUTS {} code (this code is NUTS {}; set nuts_version in the mapping)",
                        nuts_version.year(),
                        other.join(", ")
                    )
                })
            }
        },
        ConceptKind::City => {
            let b = value.as_bytes();
            let shaped = b.len() == 6
                && b[..2].iter().all(u8::is_ascii_uppercase)
                && b[2..5].iter().all(u8::is_ascii_digit)
                && matches!(b[5], b'C' | b'K' | b'F');
            if !shaped {
                Err("a city code like AT001C (country, three digits, C/K/F)".into())
            } else if country.is_some_and(|c| !value.starts_with(c)) {
                Err(format!(
                    "a city of the record's country {}",
                    country.unwrap_or("")
                ))
            } else {
                Ok(())
            }
        }
        ConceptKind::Origin => {
            let b = value.as_bytes();
            if matches!(value, "@home" | "@eu" | "@non_eu")
                || (b.len() == 2 && b.iter().all(u8::is_ascii_uppercase))
            {
                Ok(())
            } else {
                Err("a two-letter country code, or @home, @eu, @non_eu".into())
            }
        }
        ConceptKind::Integer { min, max } => match value.parse::<i64>() {
            Ok(v) if (min..=max).contains(&v) => Ok(()),
            Ok(_) => Err(format!("a whole number from {min} to {max}")),
            Err(_) => Err(format!("a whole number from {min} to {max}")),
        },
        ConceptKind::Weight => match value.parse::<f64>() {
            Ok(v) if v.is_finite() && v > 0.0 => Ok(()),
            Ok(v) if v.is_finite() => Err("a weight greater than 0".into()),
            _ => Err("a number (the weight)".into()),
        },
        ConceptKind::Number => match value.parse::<f64>() {
            Ok(v) if v.is_finite() => Ok(()),
            _ => Err("a number".into()),
        },
        ConceptKind::Codes(codes) => {
            if codes.contains(&value) {
                Ok(())
            } else {
                Err(format!("one of {}", codes.join(", ")))
            }
        }
    }
}

/// Where an origin lies relative to the country of residence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relative {
    Home,
    Eu,
    NonEu,
}

pub fn relative_origin(origin: &str, country: &str) -> Relative {
    match origin {
        "@home" => Relative::Home,
        "@eu" => Relative::Eu,
        "@non_eu" => Relative::NonEu,
        o if o == country => Relative::Home,
        o if geography::is_eu27(o) => Relative::Eu,
        _ => Relative::NonEu,
    }
}

pub fn birth_group(origin: &str, country: &str) -> &'static str {
    match relative_origin(origin, country) {
        Relative::Home => "native",
        Relative::Eu => "eu_born",
        Relative::NonEu => "non_eu_born",
    }
}

pub fn citizenship_group(origin: &str, country: &str) -> &'static str {
    match relative_origin(origin, country) {
        Relative::Home => "nationals",
        Relative::Eu => "eu_citizens",
        Relative::NonEu => "non_eu_citizens",
    }
}

/// Parents' background of a native-born person from the parents' countries of birth.
pub fn parents_background(father: &str, mother: &str, country: &str) -> &'static str {
    let foreign = (relative_origin(father, country) != Relative::Home) as u8
        + (relative_origin(mother, country) != Relative::Home) as u8;
    match foreign {
        2 => "second_generation",
        1 => "mixed_background",
        _ => "native_parents",
    }
}

/// A child's group by the country of birth of the parents living with it: a parent born
/// outside the EU makes `children_non_eu_born_parent`, else a parent born in another EU
/// country `children_eu_born_parent`, else `children_native_parents` (one parent suffices
/// when only one lives in the household).
pub fn children_parents_birth(parents: &[&str], country: &str) -> Option<&'static str> {
    if parents.is_empty() {
        return None;
    }
    let rel: Vec<Relative> = parents
        .iter()
        .map(|p| relative_origin(p, country))
        .collect();
    Some(if rel.contains(&Relative::NonEu) {
        "children_non_eu_born_parent"
    } else if rel.contains(&Relative::Eu) {
        "children_eu_born_parent"
    } else {
        "children_native_parents"
    })
}

pub fn residence_duration(years: i64) -> &'static str {
    match years {
        ..=4 => "recent_migrants",
        5..=9 => "settled_migrants",
        _ => "long_settled_migrants",
    }
}

/// Eurostat's five-year age band code of an age (`Y20-24`; 75 and over `Y_GE75`).
pub fn age_band(age: i64) -> Option<&'static str> {
    const BANDS: [&str; 16] = [
        "Y0-4", "Y5-9", "Y10-14", "Y15-19", "Y20-24", "Y25-29", "Y30-34", "Y35-39", "Y40-44",
        "Y45-49", "Y50-54", "Y55-59", "Y60-64", "Y65-69", "Y70-74", "Y_GE75",
    ];
    (age >= 0).then(|| BANDS[((age / 5) as usize).min(15)])
}

pub fn education_group(isced_level: &str) -> Option<&'static str> {
    match isced_level {
        "0" | "1" | "2" => Some("low"),
        "3" | "4" => Some("medium"),
        "5" | "6" | "7" | "8" => Some("high"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_groups_follow_the_eu_definitions() {
        assert_eq!(birth_group("AT", "AT"), "native");
        assert_eq!(birth_group("@home", "AT"), "native");
        assert_eq!(birth_group("DE", "AT"), "eu_born");
        assert_eq!(birth_group("TR", "AT"), "non_eu_born");
        // The UK left the EU: EU27 from 2020.
        assert_eq!(birth_group("UK", "AT"), "non_eu_born");
        assert_eq!(citizenship_group("@eu", "BE"), "eu_citizens");
        assert_eq!(parents_background("TR", "MA", "NL"), "second_generation");
        assert_eq!(parents_background("NL", "DE", "NL"), "mixed_background");
        assert_eq!(parents_background("@home", "NL", "NL"), "native_parents");
        assert_eq!(residence_duration(4), "recent_migrants");
        assert_eq!(
            children_parents_birth(&["AT", "TR"], "AT"),
            Some("children_non_eu_born_parent")
        );
        assert_eq!(
            children_parents_birth(&["DE"], "AT"),
            Some("children_eu_born_parent")
        );
        assert_eq!(
            children_parents_birth(&["@home", "AT"], "AT"),
            Some("children_native_parents")
        );
        assert_eq!(children_parents_birth(&[], "AT"), None);
        assert_eq!(residence_duration(5), "settled_migrants");
        assert_eq!(residence_duration(10), "long_settled_migrants");
        assert_eq!(age_band(0), Some("Y0-4"));
        assert_eq!(age_band(24), Some("Y20-24"));
        assert_eq!(age_band(74), Some("Y70-74"));
        assert_eq!(age_band(75), Some("Y_GE75"));
        assert_eq!(age_band(-1), None);
        assert_eq!(education_group("2"), Some("low"));
        assert_eq!(education_group("4"), Some("medium"));
        assert_eq!(education_group("5"), Some("high"));
    }

    #[test]
    fn values_are_checked_against_their_concept() {
        let v = NutsVersion::V2021;
        let c = |id| concept(id).unwrap();
        assert!(check_value(c("region"), "AT13", Some("AT"), v).is_ok());
        assert!(check_value(c("region"), "AT13", Some("BE"), v)
            .unwrap_err()
            .0
            .contains("BE"));
        assert!(check_value(c("region"), "HR04", Some("HR"), v)
            .unwrap_err()
            .0
            .contains("NUTS 2016"));
        assert!(check_value(c("age"), "121", None, v).is_err());
        assert!(check_value(c("weight"), "0", None, v)
            .unwrap_err()
            .0
            .contains("greater than 0"));
        assert!(check_value(c("weight"), "-3", None, v).is_err());
        assert!(check_value(c("city"), "AT001C", Some("AT"), v).is_ok());
        assert!(check_value(c("city"), "AT01C", Some("AT"), v).is_err());
        assert!(check_value(c("country"), "XX", None, v).is_err());
        assert!(check_value(c("sex"), "X", None, v)
            .unwrap_err()
            .0
            .contains("M, F"));
    }
}
