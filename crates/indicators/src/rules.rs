//! Publication rules as data (`rules/*.toml`): the minimum respondents, the CV bands and the
//! per-country population thresholds (Eurostat's EU-LFS publication guidelines give, for each
//! country, the estimated number of persons below which a figure is not published or is of
//! low reliability) that decide whether a figure is published, flagged or suppressed. The rule
//! set used is recorded in every release. Shipped: `default`, `eu-silc`.
//!
//! ```toml
//! lonely_psu = "adjust"        # fail | certainty | adjust | average | collapse
//! flag_below_df = 8            # flag figures with fewer design degrees of freedom
//! [lonely_psu_by_source]       # per-source override: lfs or silc (the input store's sources)
//! lfs = "collapse"
//! [proportions]                # NCHS criteria for shares (replace the CV bands for shares)
//! min_effective_n = 30
//! max_width = 0.30
//! relative_width_from = 0.05
//! max_relative_width = 1.30
//! [population_thresholds]
//! basis = "numerator"          # or "population" (a rate's denominator)
//! source = "where the limits come from"
//! countries = { AT = { not_published_below = 3000, low_reliability_below = 6000 } }
//! ```

use std::collections::BTreeMap;
use std::path::Path;

use incity_estimation::{
    LonelyPsuRule, PopulationThresholds, ProportionRules, PublicationRules, ThresholdBasis,
};
use serde::Deserialize;

use crate::catalogue::CatalogueError;
use crate::Source;

/// A named rule set.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleSet {
    pub name: String,
    pub description: String,
    /// The rules of every country (without population thresholds).
    pub rules: PublicationRules,
    /// Per-country population thresholds, when the rule set has them.
    pub country_thresholds: Option<CountryThresholds>,
    /// How strata with a single PSU enter variances, unless a source overrides it.
    pub lonely_psu: LonelyPsuRule,
    /// Source of the input store (`lfs`, `silc`) → its lonely-PSU rule.
    pub lonely_psu_by_source: BTreeMap<String, LonelyPsuRule>,
    /// The rules for model-based (small-area) figures: the same rules with the RMSE in place
    /// of the standard error, and their own respondent limits (`[model_based]`).
    pub model_based: PublicationRules,
}

/// Population thresholds by country (persons, not thousands).
#[derive(Debug, Clone, PartialEq)]
pub struct CountryThresholds {
    pub basis: ThresholdBasis,
    pub source: String,
    /// Country code → (not published below, low reliability below).
    pub countries: BTreeMap<String, (f64, f64)>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    name: String,
    description: String,
    suppress_below_n: u64,
    flag_below_n: u64,
    flag_above_cv: Option<f64>,
    suppress_above_cv: Option<f64>,
    flag_below_df: Option<usize>,
    lonely_psu: Option<String>,
    lonely_psu_by_source: Option<BTreeMap<String, String>>,
    proportions: Option<ProportionsFile>,
    population_thresholds: Option<ThresholdsFile>,
    model_based: Option<ModelBasedFile>,
}

/// `[model_based]`: respondent limits of model-based figures (the CV bands and proportion
/// standards of the file apply to them with the RMSE in place of the standard error).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ModelBasedFile {
    suppress_below_n: u64,
    flag_below_n: u64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProportionsFile {
    min_effective_n: f64,
    max_width: f64,
    relative_width_from: f64,
    max_relative_width: f64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ThresholdsFile {
    basis: String,
    source: String,
    countries: BTreeMap<String, CountryLimits>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CountryLimits {
    not_published_below: f64,
    low_reliability_below: f64,
}

/// The shipped rule sets.
pub const BUILTIN: &[(&str, &str)] = &[
    ("default", include_str!("../../../rules/default.toml")),
    ("eu-silc", include_str!("../../../rules/eu-silc.toml")),
];

fn err(file: &str, message: String) -> CatalogueError {
    CatalogueError {
        file: file.into(),
        message,
    }
}

/// A rule set with population thresholds has none for a country whose figures are asked for:
/// its figures cannot be checked, so they are not computed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error(
    "publication rules `{rules}`: no population thresholds for country {country} (limits are \
     given for {}): add the country's limits to the rule file",
    countries.join(", ")
)]
pub struct MissingCountryLimits {
    /// The rule set's name.
    pub rules: String,
    pub country: String,
    /// The countries the rule set has limits for.
    pub countries: Vec<String>,
}

impl RuleSet {
    /// A shipped rule set by name, or a rule file by path.
    pub fn load(name_or_path: &str) -> Result<RuleSet, CatalogueError> {
        if let Some((name, text)) = BUILTIN.iter().find(|(n, _)| *n == name_or_path) {
            return RuleSet::parse(text, &format!("builtin:{name}"));
        }
        let text = std::fs::read_to_string(Path::new(name_or_path)).map_err(|e| {
            err(
                name_or_path,
                format!(
                    "{e}; the shipped rule sets are {}",
                    BUILTIN
                        .iter()
                        .map(|(n, _)| *n)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
        })?;
        RuleSet::parse(&text, name_or_path)
    }

    /// The shipped rule set a release was published with, recognised by its description
    /// (recorded in the release's provenance); `None` for a rule file of the user's.
    pub fn of_release(description: &str) -> Option<RuleSet> {
        BUILTIN.iter().find_map(|(name, text)| {
            let rules = RuleSet::parse(text, &format!("builtin:{name}")).ok()?;
            (rules.describe() == description).then_some(rules)
        })
    }

    /// Parses and validates a rule file; `origin` names it in messages.
    ///
    /// Long (about 175 lines) because it is the list of rules a rule file must satisfy
    /// (ordered respondent and CV thresholds, lonely-PSU codes and sources, the proportion
    /// criteria, the population thresholds' basis, countries and ordered limits, the
    /// model-based rules), each with its own message; read top to bottom it specifies the
    /// format.
    pub fn parse(text: &str, origin: &str) -> Result<RuleSet, CatalogueError> {
        let f: RuleFile =
            toml::from_str(text).map_err(|e| err(origin, e.to_string().trim().to_string()))?;
        if f.flag_below_n < f.suppress_below_n {
            return Err(err(
                origin,
                format!(
                    "flag_below_n = {} is below suppress_below_n = {}: expected flag_below_n >= suppress_below_n",
                    f.flag_below_n, f.suppress_below_n
                ),
            ));
        }
        for (field, v) in [
            ("flag_above_cv", f.flag_above_cv),
            ("suppress_above_cv", f.suppress_above_cv),
        ] {
            if let Some(v) = v {
                if !(v.is_finite() && v > 0.0) {
                    return Err(err(
                        origin,
                        format!("{field} = {v}: expected a fraction greater than 0 (0.2 for 20 %)"),
                    ));
                }
            }
        }
        if let (Some(flag), Some(suppress)) = (f.flag_above_cv, f.suppress_above_cv) {
            if flag > suppress {
                return Err(err(
                    origin,
                    format!("flag_above_cv = {flag} is above suppress_above_cv = {suppress}"),
                ));
            }
        }
        let lonely = |field: &str, code: &str| -> Result<LonelyPsuRule, CatalogueError> {
            code.parse().map_err(|_| {
                err(
                    origin,
                    format!(
                        "{field} = \"{code}\": expected one of {}",
                        LonelyPsuRule::ALL.map(|r| r.code()).join(", ")
                    ),
                )
            })
        };
        // The conservative default: a lonely PSU's total counts as a deviation from zero.
        let lonely_psu = match &f.lonely_psu {
            Some(code) => lonely("lonely_psu", code)?,
            None => LonelyPsuRule::Adjust,
        };
        let mut lonely_psu_by_source = BTreeMap::new();
        for (source, code) in f.lonely_psu_by_source.unwrap_or_default() {
            // A key that is no source would silently never apply.
            if Source::from_code(&source).is_none() {
                return Err(err(
                    origin,
                    format!(
                        "lonely_psu_by_source.{source}: no such source; expected one of {}",
                        Source::codes()
                    ),
                ));
            }
            let rule = lonely(&format!("lonely_psu_by_source.{source}"), &code)?;
            lonely_psu_by_source.insert(source, rule);
        }
        let proportions = match f.proportions {
            None => None,
            Some(p) => {
                let fraction = |v: f64| v.is_finite() && v > 0.0 && v <= 1.0;
                let valid = p.min_effective_n.is_finite()
                    && p.min_effective_n >= 0.0
                    && fraction(p.max_width)
                    && fraction(p.relative_width_from)
                    && p.relative_width_from <= p.max_width
                    && p.max_relative_width.is_finite()
                    && p.max_relative_width > 0.0;
                if !valid {
                    return Err(err(
                        origin,
                        format!(
                            "proportions: expected min_effective_n >= 0 ({}), 0 < relative_width_from ({}) <= max_width ({}) <= 1 and max_relative_width > 0 ({}); NCHS uses 30, 0.05, 0.30, 1.30",
                            p.min_effective_n, p.relative_width_from, p.max_width, p.max_relative_width
                        ),
                    ));
                }
                Some(ProportionRules {
                    min_effective_n: p.min_effective_n,
                    max_width: p.max_width,
                    relative_width_from: p.relative_width_from,
                    max_relative_width: p.max_relative_width,
                })
            }
        };
        let country_thresholds = match f.population_thresholds {
            None => None,
            Some(t) => {
                let basis = match t.basis.as_str() {
                    "numerator" => ThresholdBasis::Numerator,
                    "population" => ThresholdBasis::Population,
                    other => {
                        return Err(err(
                            origin,
                            format!(
                                "population_thresholds.basis = \"{other}\": expected \"numerator\" or \"population\""
                            ),
                        ))
                    }
                };
                if t.countries.is_empty() {
                    return Err(err(
                        origin,
                        "population_thresholds.countries is empty: give each country's limits"
                            .into(),
                    ));
                }
                let mut countries = BTreeMap::new();
                for (code, l) in t.countries {
                    if incity_reference::geography::country_name(&code).is_none() {
                        return Err(err(
                            origin,
                            format!("population_thresholds.countries: `{code}` is not a country code (AT, BE, ..., EL for Greece)"),
                        ));
                    }
                    let ok = |v: f64| v.is_finite() && v >= 0.0;
                    if !(ok(l.not_published_below) && ok(l.low_reliability_below))
                        || l.low_reliability_below < l.not_published_below
                    {
                        return Err(err(
                            origin,
                            format!(
                                "population_thresholds.countries.{code}: expected 0 <= not_published_below ({}) <= low_reliability_below ({})",
                                l.not_published_below, l.low_reliability_below
                            ),
                        ));
                    }
                    countries.insert(code, (l.not_published_below, l.low_reliability_below));
                }
                Some(CountryThresholds {
                    basis,
                    source: t.source,
                    countries,
                })
            }
        };
        let rules = PublicationRules {
            suppress_below_n: f.suppress_below_n,
            flag_below_n: f.flag_below_n,
            flag_above_cv: f.flag_above_cv,
            suppress_above_cv: f.suppress_above_cv,
            population_thresholds: None,
            proportions,
            flag_below_df: f.flag_below_df,
        };
        // Without a `[model_based]` section, model-based figures meet the same respondent
        // limits as direct ones.
        let model_based = match f.model_based {
            None => rules,
            Some(m) => {
                if m.flag_below_n < m.suppress_below_n && m.flag_below_n != 0 {
                    return Err(err(
                        origin,
                        format!(
                            "model_based: flag_below_n = {} is below suppress_below_n = {}",
                            m.flag_below_n, m.suppress_below_n
                        ),
                    ));
                }
                PublicationRules {
                    suppress_below_n: m.suppress_below_n,
                    flag_below_n: m.flag_below_n,
                    // The design degrees of freedom do not describe a model's MSE.
                    flag_below_df: None,
                    ..rules
                }
            }
        };
        Ok(RuleSet {
            name: f.name,
            description: f.description,
            rules,
            country_thresholds,
            lonely_psu,
            lonely_psu_by_source,
            model_based,
        })
    }

    /// The rules for figures of one country. A rule set with population thresholds refuses a
    /// country it has no limits for, rather than publishing its figures unchecked.
    pub fn rules_for(&self, country: &str) -> Result<PublicationRules, MissingCountryLimits> {
        let Some(t) = &self.country_thresholds else {
            return Ok(self.rules);
        };
        let &(suppress_below, flag_below) =
            t.countries
                .get(country)
                .ok_or_else(|| MissingCountryLimits {
                    rules: self.name.clone(),
                    country: country.to_string(),
                    countries: t.countries.keys().cloned().collect(),
                })?;
        Ok(PublicationRules {
            population_thresholds: Some(PopulationThresholds {
                suppress_below,
                flag_below,
                basis: t.basis,
            }),
            ..self.rules
        })
    }

    /// The rules for model-based figures of one country (population thresholds as for direct
    /// figures).
    pub fn model_rules_for(&self, country: &str) -> Result<PublicationRules, MissingCountryLimits> {
        let direct = self.rules_for(country)?;
        Ok(PublicationRules {
            population_thresholds: direct.population_thresholds,
            ..self.model_based
        })
    }

    /// The lonely-PSU rule of a source.
    pub fn lonely_psu_for(&self, source: &str) -> LonelyPsuRule {
        self.lonely_psu_by_source
            .get(source)
            .copied()
            .unwrap_or(self.lonely_psu)
    }

    /// How the rule set is recorded in a release.
    pub fn describe(&self) -> String {
        let r = &self.rules;
        let cv = |v: Option<f64>| {
            v.map(|v| format!("{:.0} %", v * 100.0))
                .unwrap_or_else(|| "none".into())
        };
        let mut text = format!(
            "{}: not published below {} respondents or CV above {}; low reliability below {} or CV above {}",
            self.name,
            r.suppress_below_n,
            cv(r.suppress_above_cv),
            r.flag_below_n,
            cv(r.flag_above_cv)
        );
        if let Some(p) = &r.proportions {
            text.push_str(&format!(
                "; shares judged by the NCHS proportion standards instead of the CV: not published with an effective sample size below {}, a Korn-Graubard interval wider than {} or, above a width of {}, wider than {:.0} % of the share",
                p.min_effective_n,
                p.max_width,
                p.relative_width_from,
                p.max_relative_width * 100.0
            ));
        }
        if let Some(df) = r.flag_below_df {
            text.push_str(&format!(
                "; low reliability with fewer than {df} design degrees of freedom"
            ));
        }
        text.push_str(&format!("; lonely PSUs: {}", self.lonely_psu.describe()));
        for (source, rule) in &self.lonely_psu_by_source {
            text.push_str(&format!("; {source}: {}", rule.describe()));
        }
        if let Some(t) = &self.country_thresholds {
            text.push_str(&format!(
                "; population thresholds on the {} ({}): {}",
                match t.basis {
                    ThresholdBasis::Numerator => "estimated persons counted",
                    ThresholdBasis::Population => "estimated population",
                },
                t.source,
                t.countries
                    .iter()
                    .map(|(c, (a, b))| format!("{c} {a}/{b}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        if self.model_based != self.rules {
            text.push_str(&format!(
                "; model-based figures: the RMSE in place of the standard error, {}{}",
                match self.model_based.suppress_below_n {
                    0 => "published also without respondents (synthetic estimates)".to_string(),
                    1 => "not published without a respondent in the cell".to_string(),
                    n => format!("not published below {n} respondents"),
                },
                if self.model_based.flag_below_n > 0 {
                    format!(", low reliability below {}", self.model_based.flag_below_n)
                } else {
                    String::new()
                }
            ));
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_rule_sets_load_and_bad_ones_are_refused() {
        let d = RuleSet::load("default").unwrap();
        assert_eq!(d.rules, PublicationRules::DEFAULT);
        assert_eq!(
            RuleSet::load("eu-silc").unwrap().rules,
            PublicationRules::EU_SILC
        );
        assert!(d
            .describe()
            .starts_with("default: not published below 20 respondents or CV above 35 %"));
        let bad = |t: &str| RuleSet::parse(t, "r.toml").unwrap_err().to_string();
        let base = "name = \"x\"\ndescription = \"x\"\n";
        assert!(
            bad(&format!("{base}suppress_below_n = 50\nflag_below_n = 20\n"))
                .contains("flag_below_n = 20 is below")
        );
        assert!(bad(&format!("{base}suppress_below_n = 5\nflag_below_n = 20\nflag_above_cv = 20\nsuppress_above_cv = 0.3\n")).contains("is above"));
        assert!(bad(&format!(
            "{base}suppress_below_n = 5\nflag_below_n = 20\nflag_above_cv = -1\n"
        ))
        .contains("greater than 0"));
        assert!(bad(&format!("{base}flag_below_n = 20\n")).contains("suppress_below_n"));
        let thresholds = |countries: &str| {
            format!("{base}suppress_below_n = 1\nflag_below_n = 1\n[population_thresholds]\nbasis = \"numerator\"\nsource = \"test\"\ncountries = {{ {countries} }}\n")
        };
        assert!(bad(&thresholds(
            "XX = { not_published_below = 1, low_reliability_below = 2 }"
        ))
        .contains("`XX` is not a country code"));
        assert!(bad(&thresholds(
            "AT = { not_published_below = 5, low_reliability_below = 2 }"
        ))
        .contains("not_published_below (5) <= low_reliability_below (2)"));
        assert!(bad(&thresholds("")).contains("is empty"));
        assert!(
            bad(&thresholds("AT = { not_published_below = 5 }")).contains("low_reliability_below")
        );
        let r = RuleSet::parse(
            &thresholds("AT = { not_published_below = 3000, low_reliability_below = 6000 }"),
            "r.toml",
        )
        .unwrap();
        let at = r.rules_for("AT").unwrap().population_thresholds.unwrap();
        assert_eq!((at.suppress_below, at.flag_below), (3000.0, 6000.0));
        let missing = r.rules_for("BE").unwrap_err();
        assert_eq!(missing.country, "BE");
        assert!(missing
            .to_string()
            .contains("no population thresholds for country BE (limits are given for AT)"));
        assert!(r.describe().contains("AT 3000/6000"));
        assert_eq!(d.rules_for("BE").unwrap(), PublicationRules::DEFAULT);
        assert_eq!(d.lonely_psu_for("lfs"), LonelyPsuRule::Adjust);
        assert!(d.describe().contains("NCHS") && d.describe().contains("lonely PSUs"));
        let lonely = RuleSet::parse(
            &format!("{base}suppress_below_n = 1\nflag_below_n = 1\nlonely_psu = \"certainty\"\n[lonely_psu_by_source]\nlfs = \"collapse\"\n"),
            "r.toml",
        )
        .unwrap();
        assert_eq!(lonely.lonely_psu_for("lfs"), LonelyPsuRule::Collapse);
        assert_eq!(lonely.lonely_psu_for("silc"), LonelyPsuRule::Certainty);
        assert!(bad(&format!(
            "{base}suppress_below_n = 1\nflag_below_n = 1\nlonely_psu = \"drop\"\n"
        ))
        .contains(
            "lonely_psu = \"drop\": expected one of fail, certainty, adjust, average, collapse"
        ));
        assert!(bad(&format!(
            "{base}suppress_below_n = 1\nflag_below_n = 1\n[lonely_psu_by_source]\nlfs = \"x\"\n"
        ))
        .contains("lonely_psu_by_source.lfs = \"x\""));
        // A source the input store does not have (the mapping's `source`, not the survey's
        // name) would never apply: refused.
        assert!(bad(&format!("{base}suppress_below_n = 1\nflag_below_n = 1\n[lonely_psu_by_source]\neu-lfs = \"collapse\"\n"))
            .contains("lonely_psu_by_source.eu-lfs: no such source; expected one of lfs, silc"));
        assert!(bad(&format!("{base}suppress_below_n = 1\nflag_below_n = 1\n[proportions]\nmin_effective_n = 30\nmax_width = 0.03\nrelative_width_from = 0.05\nmax_relative_width = 1.3\n"))
            .contains("NCHS uses 30, 0.05, 0.30, 1.30"));
        assert!(RuleSet::load("nope")
            .unwrap_err()
            .to_string()
            .contains("default, eu-silc"));
    }
}
