//! European geography: NUTS regions (levels 0-3) in their 2016, 2021 and 2024 versions, the
//! 2016 → 2021 correspondence, degree of urbanisation, and the city list with Eurostat city
//! codes mapped to NUTS 3.
//!
//! The files are the real public ones shipped in `data/geo/` (see its README for source and
//! licence) and are compiled into the binary, so a fresh clone needs nothing else.

use std::collections::BTreeMap;
use std::sync::OnceLock;

/// A version of the NUTS classification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NutsVersion {
    V2016,
    V2021,
    V2024,
}

impl NutsVersion {
    pub const ALL: [NutsVersion; 3] = [NutsVersion::V2016, NutsVersion::V2021, NutsVersion::V2024];

    pub fn year(self) -> u16 {
        match self {
            NutsVersion::V2016 => 2016,
            NutsVersion::V2021 => 2021,
            NutsVersion::V2024 => 2024,
        }
    }

    pub fn from_year(year: u16) -> Option<NutsVersion> {
        NutsVersion::ALL.into_iter().find(|v| v.year() == year)
    }
}

/// One NUTS region of one version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NutsRegion {
    pub code: String,
    /// Name in Latin script (may be empty for NUTS 2016 codes that no longer exist).
    pub name: String,
    /// 0 country, 1, 2, 3.
    pub level: u8,
}

/// How a NUTS 2016 code became a NUTS 2021 code (Eurostat's change list).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NutsChange {
    pub code_2016: Option<String>,
    pub code_2021: Option<String>,
    pub level: u8,
    /// Eurostat's wording: `renamed`, `recoded`, `boundary change, recode`, `discontinued`,
    /// `new`, ...; empty when the region did not change.
    pub change: String,
}

/// Degree of urbanisation (DEGURBA) of the local administrative unit of residence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Degurba {
    Cities = 1,
    TownsAndSuburbs = 2,
    RuralAreas = 3,
}

impl Degurba {
    pub const ALL: [Degurba; 3] = [
        Degurba::Cities,
        Degurba::TownsAndSuburbs,
        Degurba::RuralAreas,
    ];

    pub fn code(self) -> u8 {
        self as u8
    }

    pub fn from_code(code: u8) -> Option<Degurba> {
        Degurba::ALL.into_iter().find(|d| d.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            Degurba::Cities => "Cities",
            Degurba::TownsAndSuburbs => "Towns and suburbs",
            Degurba::RuralAreas => "Rural areas",
        }
    }
}

/// A city of the EU city statistics ("Urban Audit").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct City {
    /// Eurostat city code, e.g. `AT001C`.
    pub code: String,
    pub name: String,
    pub country: String,
    /// The NUTS 3 (2021) region holding the city's core.
    pub nuts3: String,
}

/// The EU27 member states (from 2020), Eurostat country codes (`EL` for Greece).
pub const EU27: [&str; 27] = [
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "EL", "ES", "FI", "FR", "HR", "HU", "IE", "IT",
    "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
];

/// English names of the EU27 and EFTA countries (Eurostat codes).
pub const COUNTRY_NAMES: [(&str, &str); 31] = [
    ("AT", "Austria"),
    ("BE", "Belgium"),
    ("BG", "Bulgaria"),
    ("CY", "Cyprus"),
    ("CZ", "Czechia"),
    ("DE", "Germany"),
    ("DK", "Denmark"),
    ("EE", "Estonia"),
    ("EL", "Greece"),
    ("ES", "Spain"),
    ("FI", "Finland"),
    ("FR", "France"),
    ("HR", "Croatia"),
    ("HU", "Hungary"),
    ("IE", "Ireland"),
    ("IT", "Italy"),
    ("LT", "Lithuania"),
    ("LU", "Luxembourg"),
    ("LV", "Latvia"),
    ("MT", "Malta"),
    ("NL", "Netherlands"),
    ("PL", "Poland"),
    ("PT", "Portugal"),
    ("RO", "Romania"),
    ("SE", "Sweden"),
    ("SI", "Slovenia"),
    ("SK", "Slovakia"),
    ("IS", "Iceland"),
    ("LI", "Liechtenstein"),
    ("NO", "Norway"),
    ("CH", "Switzerland"),
];

/// Name of a country, a NUTS region or a city of the embedded geography.
pub fn geo_name(code: &str) -> Option<&'static str> {
    country_name(code).or_else(|| Geography::embedded().name(code))
}

/// The English name of a country code.
pub fn country_name(code: &str) -> Option<&'static str> {
    COUNTRY_NAMES
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, n)| *n)
}

/// True if `country` (a Eurostat two-letter code) is an EU27 member state.
pub fn is_eu27(country: &str) -> bool {
    EU27.contains(&country)
}

/// The geography incity knows.
#[derive(Debug)]
pub struct Geography {
    versions: BTreeMap<NutsVersion, BTreeMap<String, NutsRegion>>,
    changes: Vec<NutsChange>,
    cities: Vec<City>,
}

const NUTS_2021: &str = include_str!("../../../data/geo/NUTS2021_hilma-api.csv");
const NUTS_2024: &str = include_str!("../../../data/geo/NUTS2021-NUTS2024_arepnikov.csv");
const NUTS_CHANGES: &str = include_str!("../../../data/geo/NUTS2016-NUTS2021_changes.csv");
const CITIES: &str = include_str!("../../../data/geo/cities.csv");

/// NUTS 2021 boundaries (GISCO, 1:60 million, WGS 84), one GeoJSON per level 0-3.
/// Maps must show "© EuroGeographics for the administrative boundaries".
pub const BOUNDARIES_2021: [&str; 4] = [
    include_str!("../../../data/geo/boundaries/NUTS_RG_60M_2021_4326_LEVL_0.geojson"),
    include_str!("../../../data/geo/boundaries/NUTS_RG_60M_2021_4326_LEVL_1.geojson"),
    include_str!("../../../data/geo/boundaries/NUTS_RG_60M_2021_4326_LEVL_2.geojson"),
    include_str!("../../../data/geo/boundaries/NUTS_RG_60M_2021_4326_LEVL_3.geojson"),
];

/// The attribution every map of the boundaries must carry.
pub const BOUNDARIES_ATTRIBUTION: &str =
    "© EuroGeographics for the administrative boundaries; Source: Eurostat (GISCO)";

fn level_of(code: &str) -> u8 {
    (code.len().saturating_sub(2)).min(3) as u8
}

impl Geography {
    /// The geography compiled into the binary (parsed once).
    pub fn embedded() -> &'static Geography {
        static GEO: OnceLock<Geography> = OnceLock::new();
        GEO.get_or_init(Geography::parse_embedded)
    }

    fn parse_embedded() -> Geography {
        let mut versions = BTreeMap::new();
        let mut v2021 = BTreeMap::new();
        for line in NUTS_2021.lines().skip(1) {
            if let Some((code, name)) = line.split_once(';') {
                let code = code.trim().to_string();
                v2021.insert(
                    code.clone(),
                    NutsRegion {
                        level: level_of(&code),
                        code,
                        name: name.trim().to_string(),
                    },
                );
            }
        }
        let mut v2024 = BTreeMap::new();
        for line in NUTS_2024.trim_start_matches('\u{feff}').lines().skip(1) {
            let fields: Vec<&str> = line.split(';').collect();
            if fields.len() >= 4 && !fields[1].is_empty() {
                let code = fields[1].trim().to_string();
                let level = fields[3].trim().parse().unwrap_or_else(|_| level_of(&code));
                v2024.insert(
                    code.clone(),
                    NutsRegion {
                        code,
                        name: fields[2].trim().to_string(),
                        level,
                    },
                );
            }
        }
        // The 2024 list covers the EU27 only; countries (level 0) are added from 2021.
        for (code, region) in &v2021 {
            if region.level == 0 && is_eu27(code) {
                v2024.entry(code.clone()).or_insert_with(|| region.clone());
            }
        }
        let mut changes = Vec::new();
        let mut v2016 = BTreeMap::new();
        let mut reader = csv::Reader::from_reader(NUTS_CHANGES.as_bytes());
        for record in reader.records().flatten() {
            let opt = |i: usize| {
                let s = record.get(i).unwrap_or("").trim();
                (!s.is_empty()).then(|| s.to_string())
            };
            let level = record.get(2).and_then(|l| l.parse().ok()).unwrap_or(0);
            let change = NutsChange {
                code_2016: opt(0),
                code_2021: opt(1),
                level,
                change: record.get(3).unwrap_or("").trim().to_string(),
            };
            if let Some(code) = &change.code_2016 {
                let name = change
                    .code_2021
                    .as_ref()
                    .filter(|c| *c == code)
                    .and_then(|c| v2021.get(c))
                    .map(|r: &NutsRegion| r.name.clone())
                    .unwrap_or_default();
                v2016.insert(
                    code.clone(),
                    NutsRegion {
                        code: code.clone(),
                        name,
                        level,
                    },
                );
            }
            changes.push(change);
        }
        versions.insert(NutsVersion::V2016, v2016);
        versions.insert(NutsVersion::V2021, v2021);
        versions.insert(NutsVersion::V2024, v2024);
        let mut cities = Vec::new();
        let mut reader = csv::Reader::from_reader(CITIES.as_bytes());
        for record in reader.records().flatten() {
            cities.push(City {
                code: record.get(0).unwrap_or("").to_string(),
                name: record.get(1).unwrap_or("").to_string(),
                country: record.get(2).unwrap_or("").to_string(),
                nuts3: record.get(3).unwrap_or("").to_string(),
            });
        }
        Geography {
            versions,
            changes,
            cities,
        }
    }

    /// The region with this code in this version.
    pub fn region(&self, version: NutsVersion, code: &str) -> Option<&NutsRegion> {
        self.versions.get(&version).and_then(|v| v.get(code))
    }

    /// All regions of one version and level, in code order.
    pub fn regions(&self, version: NutsVersion, level: u8) -> impl Iterator<Item = &NutsRegion> {
        self.versions
            .get(&version)
            .into_iter()
            .flat_map(|v| v.values())
            .filter(move |r| r.level == level)
    }

    /// The versions in which `code` is a valid NUTS code.
    pub fn versions_of(&self, code: &str) -> Vec<NutsVersion> {
        NutsVersion::ALL
            .into_iter()
            .filter(|v| self.region(*v, code).is_some())
            .collect()
    }

    /// The name of a NUTS code (the newest version that has it), of a city code, or of a
    /// country.
    pub fn name(&self, code: &str) -> Option<&str> {
        for v in [NutsVersion::V2021, NutsVersion::V2024] {
            if let Some(r) = self.region(v, code) {
                return Some(r.name.as_str());
            }
        }
        self.city(code).map(|c| c.name.as_str())
    }

    /// The change record of a NUTS 2016 code (how it maps to NUTS 2021).
    pub fn change_from_2016(&self, code_2016: &str) -> Option<&NutsChange> {
        self.changes
            .iter()
            .find(|c| c.code_2016.as_deref() == Some(code_2016))
    }

    /// Translates a NUTS 2016 code to its NUTS 2021 code where the region kept its boundaries
    /// (unchanged, renamed or recoded). Boundary changes and discontinued regions have no
    /// one-to-one translation and give `None`.
    pub fn translate_2016_to_2021(&self, code_2016: &str) -> Option<&str> {
        let change = self.change_from_2016(code_2016)?;
        let unchanged_boundaries =
            change.change.is_empty() || change.change == "renamed" || change.change == "recoded";
        if unchanged_boundaries {
            change.code_2021.as_deref()
        } else {
            None
        }
    }

    pub fn cities(&self) -> &[City] {
        &self.cities
    }

    pub fn city(&self, code: &str) -> Option<&City> {
        self.cities.iter().find(|c| c.code == code)
    }

    /// The NUTS parent of a region code (`AT130` → `AT13`), or `None` for a country.
    pub fn parent(code: &str) -> Option<&str> {
        (code.len() > 2).then(|| &code[..code.len() - 1])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knows_nuts_versions_and_names() {
        let g = Geography::embedded();
        assert_eq!(g.name("AT13"), Some("Wien"));
        assert_eq!(
            g.region(NutsVersion::V2021, "AT130").map(|r| r.level),
            Some(3)
        );
        // Counts of the shipped 60M boundaries (EU27 + others): the code list has at least as
        // many level-2 regions in the EU27.
        let eu_nuts2 = g
            .regions(NutsVersion::V2021, 2)
            .filter(|r| is_eu27(&r.code[..2]))
            .count();
        assert!(
            (240..=250).contains(&eu_nuts2),
            "EU27 NUTS 2 regions: {eu_nuts2}"
        );
        // Croatia's NUTS 2 regions were redrawn in 2021: HR04 (2016) is discontinued.
        assert!(g.versions_of("HR04").contains(&NutsVersion::V2016));
        assert!(!g.versions_of("HR04").contains(&NutsVersion::V2021));
        assert_eq!(g.translate_2016_to_2021("HR04"), None);
        assert_eq!(g.translate_2016_to_2021("AT13"), Some("AT13"));
        // Belgian Limburg districts were recoded with a boundary change in 2021.
        assert_eq!(
            g.change_from_2016("BE221").map(|c| c.change.as_str()),
            Some("boundary change, recode")
        );
        assert_eq!(g.translate_2016_to_2021("BE221"), None);
    }

    #[test]
    fn every_city_lies_in_a_nuts3_region_of_its_country() {
        let g = Geography::embedded();
        assert!(g.cities().len() >= 40);
        for c in g.cities() {
            let r = g
                .region(NutsVersion::V2021, &c.nuts3)
                .unwrap_or_else(|| panic!("{}: {} is not NUTS 2021", c.code, c.nuts3));
            assert_eq!(r.level, 3);
            assert_eq!(&c.nuts3[..2], c.country);
            assert!(c.code.starts_with(&c.country) && c.code.ends_with('C'));
        }
    }
}
