//! Officially published figures beside the computed ones.
//!
//! An indicator's `[[published]]` entries ([`PublishedDefinition`]) say which slice of a
//! published table (Eurostat's, loaded with `incity import-table`) has exactly the indicator's
//! definition, and which of the table's codes or labels stand for the catalogue's target groups.
//! [`PublishedDefinition::select`] reads those observations as [`OfficialFigure`]s keyed like
//! computed figures (country, year, grouping, group, sex), with the table's flags kept. A
//! confidential observation stays without a number.

use std::collections::BTreeMap;

use crate::catalogue::PublishedDefinition;

/// One observation of a stored published table, as the selection reads it.
#[derive(Debug, Clone, Copy)]
pub struct TableObservation<'a> {
    /// Dimension codes (or labels) in the table's dimension order.
    pub key: &'a [String],
    pub time: &'a str,
    pub value: Option<f64>,
    pub flags: &'a str,
    pub confidential: bool,
}

/// A published figure matched to the catalogue's keys.
#[derive(Debug, Clone, PartialEq)]
pub struct OfficialFigure {
    pub dataset: String,
    pub label: String,
    /// Country code (`AT`), also when the table spells the name.
    pub geo: String,
    pub year: i32,
    pub grouping: String,
    /// A catalogue group code, or `total`.
    pub group: String,
    /// `T`, `M` or `F`.
    pub sex: String,
    /// In the indicator's unit (shares as fractions); `None` when not available or
    /// confidential.
    pub value: Option<f64>,
    /// The table's flags (`u`, `b`, `p`, `c`, ...), unchanged.
    pub flags: String,
}

/// The key of a computed figure an official one stands beside.
pub type OfficialKey = (String, i32, String, String, String);

impl OfficialFigure {
    pub fn key(&self) -> OfficialKey {
        (
            self.geo.clone(),
            self.year,
            self.grouping.clone(),
            self.group.clone(),
            self.sex.clone(),
        )
    }
}

/// A country code from a table's geography code or label (`AT`, `Austria`, `EL`, `Greece`).
fn country_code(value: &str) -> Option<&'static str> {
    incity_reference::geography::COUNTRY_NAMES
        .iter()
        .find(|(code, name)| *code == value || *name == value)
        .map(|(code, _)| *code)
}

fn sex_code(value: &str) -> Option<&'static str> {
    match value {
        "T" | "Total" => Some("T"),
        "M" | "Males" => Some("M"),
        "F" | "Females" => Some("F"),
        _ => None,
    }
}

/// A `[[published]]` definition names a dimension its table does not have.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("table {dataset} has no dimension `{dimension}` (it has {})", available.join(", "))]
pub struct MissingDimension {
    pub dataset: String,
    pub dimension: String,
    /// The table's dimensions.
    pub available: Vec<String>,
}

/// The slice of a stored table that a catalogue definition names: the observations that
/// match its `where`, with their area (as `geo_of` reads the `geo` dimension), year, catalogue
/// group and sex. Shared by the `[[published]]` figures and the administrative indicators.
pub(crate) struct SliceSpec<'d> {
    pub(crate) dataset: &'d str,
    pub(crate) filter: &'d BTreeMap<String, String>,
    pub(crate) sex_dimension: Option<&'d str>,
    pub(crate) group_dimension: &'d str,
    /// Catalogue group code → the table's code or label.
    pub(crate) groups: &'d BTreeMap<String, String>,
}

/// One selected observation: (observation, area, year, group code, sex code).
pub(crate) type Selected<'a, 'd> = (TableObservation<'a>, String, i32, &'d str, &'static str);

impl<'d> SliceSpec<'d> {
    pub(crate) fn select<'a>(
        &self,
        dimensions: &[String],
        observations: impl IntoIterator<Item = TableObservation<'a>>,
        geo_of: impl Fn(&str) -> Option<String>,
    ) -> Result<Vec<Selected<'a, 'd>>, MissingDimension> {
        let position = |name: &str| {
            dimensions
                .iter()
                .position(|d| d == name)
                .ok_or_else(|| MissingDimension {
                    dataset: self.dataset.to_string(),
                    dimension: name.to_string(),
                    available: dimensions.to_vec(),
                })
        };
        let filter: Vec<(usize, &str)> = self
            .filter
            .iter()
            .map(|(d, v)| Ok((position(d)?, v.as_str())))
            .collect::<Result<_, MissingDimension>>()?;
        let geo = position("geo")?;
        let sex = self.sex_dimension.map(position).transpose()?;
        let group = position(self.group_dimension)?;
        let groups: BTreeMap<&str, &'d str> = self
            .groups
            .iter()
            .map(|(code, published)| (published.as_str(), code.as_str()))
            .collect();
        let mut out = Vec::new();
        for o in observations {
            if filter
                .iter()
                .any(|(i, v)| o.key.get(*i).map(String::as_str) != Some(*v))
            {
                continue;
            }
            let Some(area) = o.key.get(geo).and_then(|g| geo_of(g)) else {
                continue;
            };
            let sex = match sex {
                Some(i) => match o.key.get(i).and_then(|s| sex_code(s)) {
                    Some(s) => s,
                    None => continue,
                },
                None => "T",
            };
            let Some(group) = o.key.get(group).and_then(|g| groups.get(g.as_str())) else {
                continue;
            };
            let Ok(year) = o.time.parse::<i32>() else {
                continue;
            };
            out.push((o, area, year, *group, sex));
        }
        Ok(out)
    }
}

impl PublishedDefinition {
    /// The observations of this definition in a table with `dimensions`. Observations of
    /// other slices, of geographies that are not countries incity knows, or of non-annual
    /// periods are not selected. An error names a dimension the definition refers to that the
    /// table lacks.
    pub fn select<'a>(
        &self,
        dimensions: &[String],
        observations: impl IntoIterator<Item = TableObservation<'a>>,
    ) -> Result<Vec<OfficialFigure>, MissingDimension> {
        let slice = SliceSpec {
            dataset: &self.dataset,
            filter: &self.filter,
            sex_dimension: self.sex_dimension.as_deref(),
            group_dimension: &self.group_dimension,
            groups: &self.groups,
        };
        let mut out = Vec::new();
        for (o, geo, year, group, sex) in slice.select(dimensions, observations, |g| {
            country_code(g).map(String::from)
        })? {
            out.push(OfficialFigure {
                dataset: self.dataset.clone(),
                label: self.label.clone(),
                geo,
                year,
                grouping: if group == "total" {
                    "total".to_string()
                } else {
                    self.grouping.clone()
                },
                group: group.to_string(),
                sex: sex.to_string(),
                value: if o.confidential {
                    None
                } else {
                    o.value.map(|v| v * self.scale)
                },
                flags: o.flags.to_string(),
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Catalogue;

    #[test]
    fn the_shipped_income_definition_selects_by_label_and_keeps_flags() {
        let def = &Catalogue::embedded()
            .indicator("median_income_18_plus")
            .unwrap()
            .published[0];
        let dims: Vec<String> = ["freq", "unit", "indic_il", "citizen", "sex", "age", "geo"]
            .map(String::from)
            .to_vec();
        let row = |citizen: &str, geo: &str| -> Vec<String> {
            [
                "Annual",
                "Euro",
                "Median equivalised net income",
                citizen,
                "Total",
                "18 years or over",
                geo,
            ]
            .map(String::from)
            .to_vec()
        };
        let keys = [
            row("Reporting country", "Austria"),
            row(
                "Non-EU27 countries (from 2020) nor reporting country",
                "Austria",
            ),
            row("Foreign country", "Austria"),
            row("Reporting country", "Euro area - 18 countries (2014)"),
        ];
        let obs: Vec<TableObservation> = keys
            .iter()
            .zip([
                (Some(30000.0), ""),
                (Some(20000.0), "u"),
                (Some(1.0), ""),
                (Some(2.0), ""),
            ])
            .map(|(k, (value, flags))| TableObservation {
                key: k,
                time: "2024",
                value,
                flags,
                confidential: false,
            })
            .collect();
        let got = def.select(&dims, obs).unwrap();
        // "Foreign country" is not a catalogue group; the euro area is not a country.
        assert_eq!(got.len(), 2);
        assert_eq!(
            got[1].key(),
            (
                "AT".into(),
                2024,
                "citizenship_group".into(),
                "non_eu_citizens".into(),
                "T".into()
            )
        );
        assert_eq!((got[1].value, got[1].flags.as_str()), (Some(20000.0), "u"));
        // A table without a dimension the definition needs is an error naming it.
        let e = def.select(&dims[..6], []).unwrap_err();
        assert_eq!(e.dimension, "geo");
        assert!(e.to_string().contains("no dimension `geo`"), "{e}");
    }

    #[test]
    fn confidential_observations_have_no_number_and_shares_are_scaled() {
        let def = &Catalogue::embedded()
            .indicator("good_health_16_plus")
            .unwrap()
            .published[0];
        let dims: Vec<String> = ["sex", "age", "citizen", "lev_perc", "unit", "geo"]
            .map(String::from)
            .to_vec();
        let key: Vec<String> = [
            "Females",
            "16 years or over",
            "Reporting country",
            "Very good or good",
            "Percentage",
            "AT",
        ]
        .map(String::from)
        .to_vec();
        let mk = |confidential| TableObservation {
            key: &key,
            time: "2023",
            value: Some(70.0),
            flags: if confidential { "c" } else { "" },
            confidential,
        };
        let got = def.select(&dims, [mk(false), mk(true)]).unwrap();
        assert_eq!(got[0].sex, "F");
        assert!((got[0].value.unwrap() - 0.70).abs() < 1e-12);
        assert_eq!((got[1].value, got[1].flags.as_str()), (None, "c"));
    }
}
