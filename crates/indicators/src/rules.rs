//! Publication rules as data (`rules/*.toml`): the minimum respondents and the CV bands that
//! decide whether a figure is published, flagged or suppressed. The rule set used is recorded
//! in every release. Shipped: `default`, `eu-silc`.

use std::path::Path;

use incity_estimation::PublicationRules;
use serde::Deserialize;

use crate::catalogue::CatalogueError;

/// A named rule set.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleSet {
    pub name: String,
    pub description: String,
    pub rules: PublicationRules,
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
        Ok(RuleSet {
            name: f.name,
            description: f.description,
            rules: PublicationRules {
                suppress_below_n: f.suppress_below_n,
                flag_below_n: f.flag_below_n,
                flag_above_cv: f.flag_above_cv,
                suppress_above_cv: f.suppress_above_cv,
            },
        })
    }

    /// How the rule set is recorded in a release.
    pub fn describe(&self) -> String {
        let r = &self.rules;
        let cv = |v: Option<f64>| {
            v.map(|v| format!("{:.0} %", v * 100.0))
                .unwrap_or_else(|| "none".into())
        };
        format!(
            "{}: not published below {} respondents or CV above {}; low reliability below {} or CV above {}",
            self.name,
            r.suppress_below_n,
            cv(r.suppress_above_cv),
            r.flag_below_n,
            cv(r.flag_above_cv)
        )
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
        assert!(RuleSet::load("nope")
            .unwrap_err()
            .to_string()
            .contains("default, eu-silc"));
    }
}
