//! Peer areas: the `k` areas of a level most similar to a target area on standardised context
//! variables, the user choosing the variables and their weights.
//!
//! Each variable is standardised over the areas of the level that have it (z-score: minus
//! the mean, over the standard deviation with divisor `m - 1`); sizes and incomes are
//! standardised on the log scale, since cities differ in size by orders of magnitude. The
//! distance of area `a` to the target `t` is the weighted Euclidean distance
//! `d = sqrt( Σ_j w_j (z_aj − z_tj)² / Σ_j w_j )`, so a distance of 1 is one standard deviation
//! on every variable. An area without a value of a chosen variable (not published, or not
//! computed) is left out and counted, never imputed.
//!
//! The context variables are read from the release's own published figures for the total
//! population, both sexes, one reference period (the direct figures only: a model-based
//! figure borrows from the other areas, which would make areas look alike by construction).
//! They describe the areas' sampled populations (for sizes: the estimated persons aged 20-64),
//! not official population counts.

use incity_estimation::Flag;
use incity_indicators::{Figure, FigureMethod, GeoLevel, Measure, Sex};
use std::collections::BTreeMap;

/// A context variable peers are matched on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ContextVariable {
    /// Estimated persons aged 20-64 (log scale).
    Population,
    /// Share of the foreign-born (EU and non-EU) among persons aged 20-64: one less the
    /// native-born share.
    ForeignBornShare,
    /// Share of the non-EU-born among persons aged 20-64.
    NonEuBornShare,
    /// Unemployment rate of persons aged 15-74.
    UnemploymentRate,
    /// Employment rate of persons aged 20-64.
    EmploymentRate,
    /// Median equivalised net income of persons aged 18 and over (log scale).
    MedianIncome,
}

impl ContextVariable {
    pub const ALL: [ContextVariable; 6] = [
        ContextVariable::Population,
        ContextVariable::ForeignBornShare,
        ContextVariable::NonEuBornShare,
        ContextVariable::UnemploymentRate,
        ContextVariable::EmploymentRate,
        ContextVariable::MedianIncome,
    ];

    /// The default set: size, composition, labour market, income (weights 1). The non-EU-born
    /// share is not in it: it is withheld for many cities' small samples.
    pub const DEFAULT: [ContextVariable; 4] = [
        ContextVariable::Population,
        ContextVariable::ForeignBornShare,
        ContextVariable::UnemploymentRate,
        ContextVariable::MedianIncome,
    ];

    pub fn code(self) -> &'static str {
        match self {
            ContextVariable::Population => "population",
            ContextVariable::ForeignBornShare => "foreign_born_share",
            ContextVariable::NonEuBornShare => "non_eu_born_share",
            ContextVariable::UnemploymentRate => "unemployment_rate",
            ContextVariable::EmploymentRate => "employment_rate",
            ContextVariable::MedianIncome => "median_income",
        }
    }

    pub fn from_code(code: &str) -> Option<ContextVariable> {
        ContextVariable::ALL.into_iter().find(|v| v.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            ContextVariable::Population => "persons aged 20-64 (estimated; log scale)",
            ContextVariable::ForeignBornShare => "foreign-born share, aged 20-64",
            ContextVariable::NonEuBornShare => "non-EU-born share, aged 20-64",
            ContextVariable::UnemploymentRate => "unemployment rate, 15-74",
            ContextVariable::EmploymentRate => "employment rate, 20-64",
            ContextVariable::MedianIncome => "median equivalised net income (log scale)",
        }
    }

    /// Standardised on the log scale.
    fn logarithmic(self) -> bool {
        matches!(
            self,
            ContextVariable::Population | ContextVariable::MedianIncome
        )
    }
}

/// One area's context: a value per variable where the release publishes it.
#[derive(Debug, Clone, PartialEq)]
pub struct AreaContext {
    pub geo: String,
    pub values: BTreeMap<ContextVariable, f64>,
}

/// The published direct figure of total persons (or of `group`), both sexes, for a year.
fn published<'a>(
    figures: &'a [&'a Figure],
    indicator: &str,
    group: &str,
) -> Option<&'a incity_estimation::Figures> {
    figures
        .iter()
        .find(|f| f.indicator == indicator && f.group == group && f.measure == Measure::Level)
        .filter(|f| f.estimate.flag != Flag::Suppressed)
        .and_then(|f| f.estimate.figures.as_ref())
}

/// The context of every area of `level` in reference year `year`, from the release's
/// published direct single-year figures.
pub fn contexts<'a>(
    figures: impl IntoIterator<Item = &'a Figure>,
    level: GeoLevel,
    year: i32,
) -> Vec<AreaContext> {
    let mut by_geo: BTreeMap<&str, Vec<&Figure>> = BTreeMap::new();
    for f in figures {
        if f.geo_level == level
            && f.year == year
            && f.first_year == year
            && f.sex == Sex::Total
            && f.method == FigureMethod::Direct
        {
            by_geo.entry(f.geo.as_str()).or_default().push(f);
        }
    }
    by_geo
        .into_iter()
        .map(|(geo, fs)| {
            let mut values = BTreeMap::new();
            let employment = |group| published(&fs, "employment_rate_20_64", group);
            if let Some(total) = employment("total") {
                values.insert(ContextVariable::Population, total.population);
                values.insert(ContextVariable::EmploymentRate, total.estimate);
                // The foreign-born as all persons less the native-born: both are published
                // wherever the total is, while the EU- and non-EU-born may each be withheld.
                let native = employment("native").map(|x| x.population);
                let non_eu = employment("non_eu_born").map(|x| x.population);
                if total.population > 0.0 {
                    if let Some(native) = native {
                        values.insert(
                            ContextVariable::ForeignBornShare,
                            1.0 - native / total.population,
                        );
                    }
                    if let Some(non_eu) = non_eu {
                        values.insert(ContextVariable::NonEuBornShare, non_eu / total.population);
                    }
                }
            }
            if let Some(u) = published(&fs, "unemployment_rate_15_74", "total") {
                values.insert(ContextVariable::UnemploymentRate, u.estimate);
            }
            if let Some(m) = published(&fs, "median_income_18_plus", "total") {
                values.insert(ContextVariable::MedianIncome, m.estimate);
            }
            AreaContext {
                geo: geo.to_string(),
                values,
            }
        })
        .collect()
}

/// What a peer search failed on.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum PeerError {
    #[error("no context for `{0}` in this release")]
    UnknownArea(String),
    #[error("`{geo}` has no published {}: choose other variables", .variable.label())]
    TargetLacks {
        geo: String,
        variable: ContextVariable,
    },
    #[error("weights must be positive and finite; {} has {weight}", .variable.code())]
    BadWeight {
        variable: ContextVariable,
        weight: f64,
    },
    #[error("choose at least one variable")]
    NoVariables,
    #[error("variables: {0}")]
    BadVariables(String),
}

/// Reads `name:weight` pairs separated by commas (`population:2,median_income`; a missing
/// weight is 1); empty: [`ContextVariable::DEFAULT`] with weights 1.
pub fn parse_variables(s: &str) -> Result<Vec<(ContextVariable, f64)>, PeerError> {
    if s.trim().is_empty() {
        return Ok(ContextVariable::DEFAULT.iter().map(|v| (*v, 1.0)).collect());
    }
    let bad = |part: &str| {
        PeerError::BadVariables(format!(
            "`{part}` is not name or name:weight with a name among {}",
            ContextVariable::ALL.map(|v| v.code()).join(", ")
        ))
    };
    let mut out: Vec<(ContextVariable, f64)> = Vec::new();
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (name, weight) = part.split_once(':').unwrap_or((part, "1"));
        let v = ContextVariable::from_code(name.trim()).ok_or_else(|| bad(part))?;
        let w: f64 = weight.trim().parse().map_err(|_| bad(part))?;
        if out.iter().any(|(x, _)| *x == v) {
            return Err(PeerError::BadVariables(format!("`{name}` is named twice")));
        }
        out.push((v, w));
    }
    Ok(out)
}

/// One peer: its distance to the target and each variable's share of it.
#[derive(Debug, Clone, PartialEq)]
pub struct Peer {
    pub geo: String,
    pub distance: f64,
    /// Per chosen variable (in the request's order): the peer's value, and the weighted
    /// squared standardised difference `w_j (z_aj − z_tj)² / Σ w`, which sum to `distance²`.
    pub variables: Vec<(ContextVariable, f64, f64)>,
}

/// The answer of [`peers`].
#[derive(Debug, Clone, PartialEq)]
pub struct Peers {
    /// The target's values of the chosen variables.
    pub target: Vec<(ContextVariable, f64)>,
    pub peers: Vec<Peer>,
    /// Areas left out for a missing value (and, with `other_countries`, of the same country).
    pub left_out: usize,
    /// Areas the variables were standardised over, per variable.
    pub standardised_over: Vec<(ContextVariable, usize)>,
}

/// The `k` areas nearest to `target`, over `variables` with their weights. With
/// `other_countries`, only areas of another country (the first two letters of the code).
pub fn peers(
    contexts: &[AreaContext],
    target: &str,
    variables: &[(ContextVariable, f64)],
    k: usize,
    other_countries: bool,
) -> Result<Peers, PeerError> {
    if variables.is_empty() {
        return Err(PeerError::NoVariables);
    }
    for &(variable, weight) in variables {
        if !(weight.is_finite() && weight > 0.0) {
            return Err(PeerError::BadWeight { variable, weight });
        }
    }
    let t = contexts
        .iter()
        .find(|c| c.geo == target)
        .ok_or_else(|| PeerError::UnknownArea(target.to_string()))?;
    let scale = |v: ContextVariable, x: f64| if v.logarithmic() { x.ln() } else { x };
    let mut standardised_over = Vec::new();
    let mut moments = Vec::new();
    for &(v, _) in variables {
        let xs: Vec<f64> = contexts
            .iter()
            .filter_map(|c| c.values.get(&v))
            .map(|&x| scale(v, x))
            .filter(|x| x.is_finite())
            .collect();
        let m = xs.len();
        let mean = xs.iter().sum::<f64>() / m.max(1) as f64;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (m.max(2) - 1) as f64;
        // A variable equal in every area separates none: its differences count as 0.
        let sd = if var > 0.0 { var.sqrt() } else { f64::INFINITY };
        moments.push((mean, sd));
        standardised_over.push((v, m));
    }
    let target_values: Vec<(ContextVariable, f64)> = variables
        .iter()
        .map(|&(v, _)| {
            t.values
                .get(&v)
                .map(|&x| (v, x))
                .ok_or(PeerError::TargetLacks {
                    geo: target.to_string(),
                    variable: v,
                })
        })
        .collect::<Result<_, _>>()?;
    let total_weight: f64 = variables.iter().map(|(_, w)| w).sum();
    let country = target.get(..2);
    let mut left_out = 0;
    let mut found = Vec::new();
    for c in contexts.iter().filter(|c| c.geo != target) {
        if other_countries && c.geo.get(..2) == country {
            left_out += 1;
            continue;
        }
        let mut parts = Vec::with_capacity(variables.len());
        for (j, &(v, w)) in variables.iter().enumerate() {
            let Some(&x) = c.values.get(&v) else { break };
            let (_, sd) = moments[j];
            let dz = (scale(v, x) - scale(v, target_values[j].1)) / sd;
            parts.push((v, x, w * dz * dz / total_weight));
        }
        if parts.len() < variables.len() {
            left_out += 1;
            continue;
        }
        let distance = parts.iter().map(|p| p.2).sum::<f64>().sqrt();
        found.push(Peer {
            geo: c.geo.clone(),
            distance,
            variables: parts,
        });
    }
    found.sort_by(|a, b| a.distance.total_cmp(&b.distance).then(a.geo.cmp(&b.geo)));
    found.truncate(k);
    Ok(Peers {
        target: target_values,
        peers: found,
        left_out,
        standardised_over,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn area(geo: &str, population: f64, share: f64, unemployment: Option<f64>) -> AreaContext {
        let mut values = BTreeMap::from([
            (ContextVariable::Population, population),
            (ContextVariable::ForeignBornShare, share),
        ]);
        if let Some(u) = unemployment {
            values.insert(ContextVariable::UnemploymentRate, u);
        }
        AreaContext {
            geo: geo.into(),
            values,
        }
    }

    fn areas() -> Vec<AreaContext> {
        vec![
            area("AT002C", 200_000.0, 0.20, Some(0.06)),
            area("AT001C", 1_200_000.0, 0.35, Some(0.10)),
            area("BE004C", 210_000.0, 0.21, Some(0.12)),
            area("NL003C", 190_000.0, 0.30, Some(0.05)),
            area("FR001C", 6_000_000.0, 0.22, Some(0.08)),
            area("SE002C", 400_000.0, 0.19, None),
        ]
    }

    #[test]
    fn the_nearest_area_on_standardised_variables_comes_first() {
        let vars = [
            (ContextVariable::Population, 1.0),
            (ContextVariable::ForeignBornShare, 1.0),
        ];
        let p = peers(&areas(), "AT002C", &vars, 3, true).unwrap();
        assert_eq!(p.peers[0].geo, "BE004C");
        assert!(p.peers.iter().all(|x| !x.geo.starts_with("AT")));
        assert_eq!(p.left_out, 1, "Vienna: same country");
        // The distance by hand: z-differences over the standard deviations of 6 areas.
        let sd = |xs: &[f64]| {
            let m = xs.iter().sum::<f64>() / xs.len() as f64;
            (xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (xs.len() - 1) as f64).sqrt()
        };
        let logs: Vec<f64> = areas()
            .iter()
            .map(|a| a.values[&ContextVariable::Population].ln())
            .collect();
        let shares: Vec<f64> = areas()
            .iter()
            .map(|a| a.values[&ContextVariable::ForeignBornShare])
            .collect();
        let dz1 = ((210_000f64).ln() - (200_000f64).ln()) / sd(&logs);
        let dz2 = (0.21 - 0.20) / sd(&shares);
        let d = ((dz1 * dz1 + dz2 * dz2) / 2.0).sqrt();
        assert!((p.peers[0].distance - d).abs() < 1e-12);
        let parts: f64 = p.peers[0].variables.iter().map(|v| v.2).sum();
        assert!((parts - d * d).abs() < 1e-12, "the parts sum to d²");
    }

    #[test]
    fn weights_and_missing_values_change_the_answer() {
        let size_only = [(ContextVariable::Population, 1.0)];
        let p = peers(&areas(), "AT002C", &size_only, 1, false).unwrap();
        // On the log scale 210,000 is nearer to 200,000 than 190,000 is.
        assert_eq!(p.peers[0].geo, "BE004C");
        let with_unemployment = [
            (ContextVariable::Population, 1.0),
            (ContextVariable::UnemploymentRate, 10.0),
        ];
        let p = peers(&areas(), "AT002C", &with_unemployment, 5, false).unwrap();
        assert_eq!(p.peers[0].geo, "NL003C");
        assert!(
            p.peers.iter().all(|x| x.geo != "SE002C"),
            "no unemployment figure"
        );
        assert_eq!(p.left_out, 1);
    }

    fn figure(
        geo: &str,
        indicator: &str,
        group: &str,
        estimate: f64,
        population: f64,
        flag: Flag,
    ) -> Figure {
        Figure {
            indicator: indicator.into(),
            source: incity_indicators::Source::Lfs,
            first_year: 2024,
            year: 2024,
            geo_level: GeoLevel::City,
            geo: geo.into(),
            grouping: if group == "total" {
                "total"
            } else {
                "birth_group"
            }
            .into(),
            group: group.into(),
            reference_group: None,
            sex: Sex::Total,
            measure: Measure::Level,
            estimate: incity_estimation::Estimate {
                flag,
                reason: None,
                figures: (flag != Flag::Suppressed).then_some(incity_estimation::Figures {
                    estimate,
                    se: 0.01,
                    ci_low: estimate - 0.02,
                    ci_high: estimate + 0.02,
                    cv: None,
                    n: 100,
                    population,
                    deff: None,
                    df: 50,
                }),
            },
            method: FigureMethod::Direct,
        }
    }

    #[test]
    fn contexts_come_from_published_figures_only() {
        let figures = [
            figure(
                "AT002C",
                "employment_rate_20_64",
                "total",
                0.75,
                200_000.0,
                Flag::Reliable,
            ),
            figure(
                "AT002C",
                "employment_rate_20_64",
                "native",
                0.78,
                160_000.0,
                Flag::Reliable,
            ),
            figure(
                "AT002C",
                "employment_rate_20_64",
                "non_eu_born",
                0.0,
                0.0,
                Flag::Suppressed,
            ),
            figure(
                "AT002C",
                "unemployment_rate_15_74",
                "total",
                0.06,
                150_000.0,
                Flag::LowReliability,
            ),
            figure(
                "AT002C",
                "median_income_18_plus",
                "total",
                0.0,
                0.0,
                Flag::Suppressed,
            ),
        ];
        let c = contexts(figures.iter(), GeoLevel::City, 2024);
        assert_eq!(c.len(), 1);
        let v = &c[0].values;
        assert_eq!(v[&ContextVariable::Population], 200_000.0);
        assert!((v[&ContextVariable::ForeignBornShare] - 0.2).abs() < 1e-12);
        assert_eq!(v[&ContextVariable::UnemploymentRate], 0.06);
        assert!(!v.contains_key(&ContextVariable::NonEuBornShare));
        assert!(!v.contains_key(&ContextVariable::MedianIncome));
        assert!(contexts(figures.iter(), GeoLevel::City, 2023)[..].is_empty());
    }

    #[test]
    fn variables_are_read_with_their_weights() {
        assert_eq!(
            parse_variables("population:2, median_income").unwrap(),
            vec![
                (ContextVariable::Population, 2.0),
                (ContextVariable::MedianIncome, 1.0)
            ]
        );
        assert_eq!(
            parse_variables("").unwrap().len(),
            ContextVariable::DEFAULT.len()
        );
        for bad in ["shoe_size", "population:x", "population,population:2"] {
            assert!(
                matches!(parse_variables(bad), Err(PeerError::BadVariables(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn bad_requests_are_refused() {
        let vars = [(ContextVariable::UnemploymentRate, 1.0)];
        assert_eq!(
            peers(&areas(), "SE002C", &vars, 3, false),
            Err(PeerError::TargetLacks {
                geo: "SE002C".into(),
                variable: ContextVariable::UnemploymentRate
            })
        );
        assert_eq!(
            peers(&areas(), "XX", &vars, 3, false),
            Err(PeerError::UnknownArea("XX".into()))
        );
        assert!(matches!(
            peers(
                &areas(),
                "AT002C",
                &[(ContextVariable::Population, -1.0)],
                3,
                false
            ),
            Err(PeerError::BadWeight { .. })
        ));
        assert_eq!(
            peers(&areas(), "AT002C", &[], 3, false),
            Err(PeerError::NoVariables)
        );
    }
}
