//! Indicators computed from two tables of counts ([`AdministrativeIndicator`]): the
//! citizenship acquisition rate (acquisitions in a year over the foreign citizens resident on
//! 1 January) and the share of long-term residents among non-EU citizens holding a residence
//! permit. Each figure is the ratio of a numerator and a denominator observation of the same
//! area, group and sex; the tables count every case, so there is no sampling error and no
//! standard error is claimed. The tables' flags are carried: a figure gets the union of both
//! observations' flags, and a confidential observation on either side leaves the figure
//! without a number (flag `c`), as a missing one does.

use std::collections::BTreeMap;

use crate::catalogue::{AdministrativeIndicator, TableSlice};
use crate::official::{MissingDimension, SliceSpec, TableObservation};
use crate::GeoLevel;

/// One figure of an administrative indicator.
#[derive(Debug, Clone, PartialEq)]
pub struct AdministrativeFigure {
    pub indicator: String,
    pub geo_level: GeoLevel,
    /// Country, NUTS or city code.
    pub geo: String,
    pub year: i32,
    /// A catalogue group code, or `total`.
    pub group: String,
    /// `T`, `M` or `F`.
    pub sex: String,
    /// Numerator / denominator (a fraction); `None` when either is missing or confidential, or
    /// the denominator is 0.
    pub value: Option<f64>,
    pub numerator: Option<f64>,
    pub denominator: Option<f64>,
    /// The union of both observations' flags (`c` when either is confidential).
    pub flags: String,
}

/// Why a table does not fit an administrative indicator's definition.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AdministrativeError {
    #[error(transparent)]
    MissingDimension(#[from] MissingDimension),
    /// Several observations for one area, year, group and sex: the slice's `where` leaves a
    /// dimension open (one value would silently replace another).
    #[error("table {dataset}: several observations for {geo} {year} {group} {sex}; fix the other dimensions with `where`")]
    Ambiguous {
        dataset: String,
        geo: String,
        year: i32,
        group: String,
        sex: String,
    },
}

/// (area, year, group, sex) → (value, flags, confidential).
type Slice = BTreeMap<(String, i32, String, String), (Option<f64>, String, bool)>;

/// The level of an area code: a country (`AT`), a NUTS 1-3 region (`AT1`, `AT13`, `AT130`) or a
/// city (`AT001C`).
fn level_of(geo: &str) -> Option<GeoLevel> {
    let b = geo.as_bytes();
    if b.len() < 2 || !b[..2].iter().all(u8::is_ascii_uppercase) {
        return None;
    }
    match b.len() {
        2 => Some(GeoLevel::Country),
        6 if b[2..5].iter().all(u8::is_ascii_digit) && matches!(b[5], b'C' | b'K' | b'F') => {
            Some(GeoLevel::City)
        }
        3 => Some(GeoLevel::Nuts1),
        4 => Some(GeoLevel::Nuts2),
        5 => Some(GeoLevel::Nuts3),
        _ => None,
    }
}

fn geo_code(value: &str) -> Option<String> {
    if level_of(value).is_some() {
        return Some(value.to_string());
    }
    incity_reference::geography::COUNTRY_NAMES
        .iter()
        .find(|(_, name)| *name == value)
        .map(|(code, _)| code.to_string())
}

impl TableSlice {
    fn select<'a>(
        &self,
        dimensions: &[String],
        observations: impl IntoIterator<Item = TableObservation<'a>>,
    ) -> Result<Slice, AdministrativeError> {
        let spec = SliceSpec {
            dataset: &self.dataset,
            filter: &self.filter,
            sex_dimension: self.sex_dimension.as_deref(),
            group_dimension: &self.group_dimension,
            groups: &self.groups,
        };
        let mut out = Slice::new();
        for (o, geo, year, group, sex) in spec.select(dimensions, observations, geo_code)? {
            let key = (geo, year, group.to_string(), sex.to_string());
            if out.contains_key(&key) {
                return Err(AdministrativeError::Ambiguous {
                    dataset: self.dataset.clone(),
                    geo: key.0,
                    year,
                    group: key.2,
                    sex: key.3,
                });
            }
            out.insert(key, (o.value, o.flags.to_string(), o.confidential));
        }
        Ok(out)
    }
}

/// The union of flags, each letter once, in order.
fn union(a: &str, b: &str, confidential: bool) -> String {
    let mut letters: Vec<char> = a
        .chars()
        .chain(b.chars())
        .filter(|c| c.is_ascii_alphabetic())
        .collect();
    if confidential {
        letters.push('c');
    }
    letters.sort_unstable();
    letters.dedup();
    letters.into_iter().collect()
}

impl AdministrativeIndicator {
    /// The figures of every (area, year, group, sex) with a numerator observation and a
    /// denominator observation (of the year `denominator_year_offset` away). An area, group or
    /// sex with only one of them gives no figure.
    pub fn compute<'a>(
        &self,
        numerator: (&[String], impl IntoIterator<Item = TableObservation<'a>>),
        denominator: (&[String], impl IntoIterator<Item = TableObservation<'a>>),
    ) -> Result<Vec<AdministrativeFigure>, AdministrativeError> {
        let num = self.numerator.select(numerator.0, numerator.1)?;
        let den = self.denominator.select(denominator.0, denominator.1)?;
        let mut out = Vec::new();
        for ((geo, year, group, sex), (n, n_flags, n_conf)) in &num {
            let key = (
                geo.clone(),
                year + self.denominator_year_offset,
                group.clone(),
                sex.clone(),
            );
            let Some((d, d_flags, d_conf)) = den.get(&key) else {
                continue;
            };
            let Some(geo_level) = level_of(geo) else {
                continue;
            };
            let confidential = *n_conf || *d_conf;
            let (n, d) = if confidential { (None, None) } else { (*n, *d) };
            let value = match (n, d) {
                (Some(n), Some(d)) if d > 0.0 => Some(n / d),
                _ => None,
            };
            out.push(AdministrativeFigure {
                indicator: self.id.clone(),
                geo_level,
                geo: geo.clone(),
                year: *year,
                group: group.clone(),
                sex: sex.clone(),
                value,
                numerator: n,
                denominator: d,
                flags: union(n_flags, d_flags, confidential),
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Catalogue;

    /// (key, time, value, flags, confidential).
    type Row<'a> = (Vec<String>, &'a str, Option<f64>, &'a str, bool);

    fn obs<'a>(rows: &'a [Row<'a>]) -> Vec<TableObservation<'a>> {
        rows.iter()
            .map(|(key, time, value, flags, confidential)| TableObservation {
                key,
                time,
                value: *value,
                flags,
                confidential: *confidential,
            })
            .collect()
    }

    fn key(parts: &[&str]) -> Vec<String> {
        parts.iter().map(|s| s.to_string()).collect()
    }

    /// Hand-computed: 1,200 acquisitions in 2023 over 60,000 non-EU citizens on 1 January
    /// 2023 is 2 %; flags are united; a confidential side leaves no number.
    #[test]
    fn the_acquisition_rate_is_acquisitions_over_foreign_citizens_with_flags_carried() {
        let ind = Catalogue::embedded()
            .administrative
            .iter()
            .find(|a| a.id == "citizenship_acquisition_rate")
            .unwrap();
        let num_dims = key(&["freq", "agedef", "age", "unit", "sex", "citizen", "geo"]);
        let den_dims = key(&["freq", "age", "unit", "sex", "citizen", "geo"]);
        let num_rows = vec![
            (
                key(&["A", "COMPLET", "TOTAL", "NR", "T", "NEU27_2020_FOR", "AT"]),
                "2023",
                Some(1200.0),
                "p",
                false,
            ),
            (
                key(&["A", "COMPLET", "TOTAL", "NR", "T", "EU27_2020_FOR", "AT"]),
                "2023",
                None,
                "",
                true,
            ),
            (
                key(&[
                    "A",
                    "COMPLET",
                    "TOTAL",
                    "NR",
                    "T",
                    "NEU27_2020_FOR",
                    "AT001C",
                ]),
                "2023",
                Some(300.0),
                "",
                false,
            ),
            // Another age class: not selected.
            (
                key(&["A", "COMPLET", "Y_LT15", "NR", "T", "NEU27_2020_FOR", "AT"]),
                "2023",
                Some(100.0),
                "",
                false,
            ),
        ];
        let den_rows = vec![
            (
                key(&["A", "TOTAL", "NR", "T", "NEU27_2020_FOR", "AT"]),
                "2023",
                Some(60_000.0),
                "b",
                false,
            ),
            (
                key(&["A", "TOTAL", "NR", "T", "EU27_2020_FOR", "AT"]),
                "2023",
                Some(40_000.0),
                "",
                false,
            ),
            (
                key(&["A", "TOTAL", "NR", "T", "NEU27_2020_FOR", "AT001C"]),
                "2023",
                Some(0.0),
                "",
                false,
            ),
        ];
        let figures = ind
            .compute((&num_dims, obs(&num_rows)), (&den_dims, obs(&den_rows)))
            .unwrap();
        assert_eq!(figures.len(), 3);
        let at = |geo: &str, group: &str| {
            figures
                .iter()
                .find(|f| f.geo == geo && f.group == group)
                .unwrap()
        };
        let f = at("AT", "non_eu_citizens");
        assert_eq!(f.value, Some(0.02));
        assert_eq!((f.numerator, f.denominator), (Some(1200.0), Some(60_000.0)));
        assert_eq!((f.flags.as_str(), f.geo_level), ("bp", GeoLevel::Country));
        let c = at("AT", "eu_citizens");
        assert_eq!(
            (c.value, c.numerator, c.denominator, c.flags.as_str()),
            (None, None, None, "c")
        );
        let zero = at("AT001C", "non_eu_citizens");
        assert_eq!((zero.value, zero.geo_level), (None, GeoLevel::City));
    }

    #[test]
    fn a_slice_that_leaves_a_dimension_open_is_an_error_not_a_silent_choice() {
        let ind = Catalogue::embedded()
            .administrative
            .iter()
            .find(|a| a.id == "long_term_residents_share")
            .unwrap();
        // A sex dimension the definition does not fix: three observations per area and year.
        let dims = key(&["freq", "citizen", "unit", "sex", "geo"]);
        let rows = vec![
            (
                key(&["A", "TOTAL", "PER", "M", "AT"]),
                "2023",
                Some(10.0),
                "",
                false,
            ),
            (
                key(&["A", "TOTAL", "PER", "F", "AT"]),
                "2023",
                Some(12.0),
                "",
                false,
            ),
        ];
        let den_dims = key(&["freq", "reason", "duration", "citizen", "unit", "geo"]);
        let den = vec![(
            key(&["A", "TOTAL", "TOTAL", "TOTAL", "PER", "AT"]),
            "2023",
            Some(40.0),
            "",
            false,
        )];
        let e = ind
            .compute((&dims, obs(&rows)), (&den_dims, obs(&den)))
            .unwrap_err();
        assert!(
            e.to_string().contains("several observations for AT 2023"),
            "{e}"
        );
    }

    #[test]
    fn a_slice_naming_a_missing_dimension_is_an_error() {
        let ind = &Catalogue::embedded().administrative[0];
        let dims = key(&["freq", "geo"]);
        let rows: Vec<Row> = Vec::new();
        let e = ind
            .compute((&dims, obs(&rows)), (&dims, obs(&rows)))
            .unwrap_err();
        assert!(e.to_string().contains("has no dimension"), "{e}");
    }
}
