//! Profiles: an area's figures beside its country's, and whether the area differs from its
//! country.
//!
//! A city's or region's sample is part of its country's sample, so the two estimates are
//! positively correlated and comparing their intervals as if they were independent is wrong
//! (it understates how often they differ). The engine therefore estimates the **difference
//! from the country** (measure [`Measure::CountryDifference`]) by linearising both domains
//! jointly over the same PSUs: `V(a − c) = V(a) + V(c) − 2 Cov(a, c)`, the covariance from the
//! PSUs the area and its country share (all of the area's). The verdict here only reads that
//! figure: the area differs significantly (5 % level, two-sided) when the difference's 95 %
//! interval excludes zero. Where the difference is withheld (too few respondents, or the area
//! or country figure itself withheld) there is no verdict, only the flag.

use incity_estimation::Flag;
use incity_indicators::{Figure, FigureMethod, Measure, Sex};

/// Whether an area's figure differs from its country's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VersusCountry {
    /// Higher than the country's, the difference's 95 % interval above zero.
    Higher,
    /// Lower, the interval below zero.
    Lower,
    /// The interval contains zero.
    NotSignificant,
    /// The release withholds the difference (its flag says why).
    NotPublished,
    /// The release has no difference for this figure: a country itself, a gap, a model-based
    /// figure, or a median (whose joint linearisation with the country is not computed).
    NotComputed,
}

impl VersusCountry {
    /// The verdict read from the difference-from-the-country figure.
    pub fn of(difference: Option<&Figure>) -> VersusCountry {
        let Some(d) = difference else {
            return VersusCountry::NotComputed;
        };
        match d.estimate.figures {
            _ if d.estimate.flag == Flag::Suppressed => VersusCountry::NotPublished,
            None => VersusCountry::NotPublished,
            Some(x) if x.ci_low > 0.0 => VersusCountry::Higher,
            Some(x) if x.ci_high < 0.0 => VersusCountry::Lower,
            Some(_) => VersusCountry::NotSignificant,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            VersusCountry::Higher => "higher",
            VersusCountry::Lower => "lower",
            VersusCountry::NotSignificant => "not_significant",
            VersusCountry::NotPublished => "not_published",
            VersusCountry::NotComputed => "not_computed",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            VersusCountry::Higher => "higher than the country",
            VersusCountry::Lower => "lower than the country",
            VersusCountry::NotSignificant => "no significant difference",
            VersusCountry::NotPublished => "difference not published",
            VersusCountry::NotComputed => "not tested",
        }
    }
}

/// One row of a profile: a figure of the area, the same cell in its country, and the
/// difference from the country with its verdict.
#[derive(Debug, Clone)]
pub struct ProfileRow<'a> {
    pub area: &'a Figure,
    /// The country's direct figure of the same cell (indicator, period, group, measure, sex).
    pub country: Option<&'a Figure>,
    /// The area's direct level minus the country's (levels of direct figures only).
    pub versus_country: Option<&'a Figure>,
    pub verdict: VersusCountry,
}

/// The profile of `geo` of sex `sex` from `figures` (which must hold the area's figures and
/// its country's; others are ignored): one row per figure of the area, direct and
/// model-based, in the order given; the differences from the country are not rows of their
/// own but each level's [`ProfileRow::versus_country`].
pub fn profile<'a>(figures: &'a [Figure], geo: &str, sex: Sex) -> Vec<ProfileRow<'a>> {
    let country = geo.get(..2).filter(|c| *c != geo);
    let same_cell = |a: &Figure, b: &Figure| {
        (a.indicator == b.indicator)
            && (a.first_year, a.year) == (b.first_year, b.year)
            && a.group == b.group
            && a.reference_group == b.reference_group
            && a.sex == b.sex
    };
    let direct = |f: &Figure| f.method == FigureMethod::Direct;
    figures
        .iter()
        .filter(|f| f.geo == geo && f.sex == sex && f.measure != Measure::CountryDifference)
        .map(|area| {
            let in_country =
                |f: &&Figure| Some(f.geo.as_str()) == country && direct(f) && same_cell(area, f);
            let country_figure = figures
                .iter()
                .find(|f| in_country(f) && f.measure == area.measure);
            let versus_country = (direct(area) && area.measure == Measure::Level)
                .then(|| {
                    figures.iter().find(|f| {
                        f.geo == geo
                            && f.measure == Measure::CountryDifference
                            && direct(f)
                            && same_cell(area, f)
                    })
                })
                .flatten();
            ProfileRow {
                area,
                country: country_figure,
                versus_country,
                verdict: VersusCountry::of(versus_country),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use incity_estimation::{Estimate, Figures};
    use incity_indicators::{GeoLevel, Source};

    fn figure(geo: &str, measure: Measure, value: Option<(f64, f64, f64)>) -> Figure {
        Figure {
            indicator: "employment_rate_20_64".into(),
            source: Source::Lfs,
            first_year: 2024,
            year: 2024,
            geo_level: if geo.len() == 2 {
                GeoLevel::Country
            } else {
                GeoLevel::City
            },
            geo: geo.into(),
            grouping: "birth_group".into(),
            group: "non_eu_born".into(),
            reference_group: None,
            sex: Sex::Total,
            measure,
            estimate: match value {
                Some((estimate, ci_low, ci_high)) => Estimate {
                    figures: Some(Figures {
                        estimate,
                        se: (ci_high - ci_low) / 3.92,
                        ci_low,
                        ci_high,
                        cv: None,
                        n: 400,
                        population: 1e5,
                        deff: None,
                        df: 60,
                    }),
                    flag: Flag::Reliable,
                    reason: None,
                },
                None => Estimate {
                    figures: None,
                    flag: Flag::Suppressed,
                    reason: None,
                },
            },
            method: FigureMethod::Direct,
        }
    }

    #[test]
    fn the_verdict_reads_the_interval_of_the_difference() {
        let cases = [
            (Some((0.05, 0.01, 0.09)), VersusCountry::Higher),
            (Some((-0.05, -0.09, -0.01)), VersusCountry::Lower),
            (Some((0.02, -0.01, 0.05)), VersusCountry::NotSignificant),
            (None, VersusCountry::NotPublished),
        ];
        for (value, verdict) in cases {
            let d = figure("AT001C", Measure::CountryDifference, value);
            assert_eq!(VersusCountry::of(Some(&d)), verdict, "{value:?}");
        }
        assert_eq!(VersusCountry::of(None), VersusCountry::NotComputed);
    }

    #[test]
    fn rows_pair_the_area_with_its_country_and_its_difference() {
        let figures = vec![
            figure("AT001C", Measure::Level, Some((0.60, 0.55, 0.65))),
            figure("AT", Measure::Level, Some((0.66, 0.65, 0.67))),
            figure(
                "AT001C",
                Measure::CountryDifference,
                Some((-0.06, -0.1, -0.02)),
            ),
            figure("BE", Measure::Level, Some((0.5, 0.4, 0.6))),
        ];
        let rows = profile(&figures, "AT001C", Sex::Total);
        assert_eq!(rows.len(), 1, "the difference is no row of its own");
        assert_eq!(rows[0].country.map(|f| f.geo.as_str()), Some("AT"));
        assert_eq!(rows[0].verdict, VersusCountry::Lower);
        // The country's own profile has no country beside it and nothing to test.
        let rows = profile(&figures, "AT", Sex::Total);
        assert_eq!(rows.len(), 1);
        assert!(rows[0].country.is_none());
        assert_eq!(rows[0].verdict, VersusCountry::NotComputed);
    }
}
