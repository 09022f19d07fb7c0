//! Indicators on files that give age in bands only: where the indicator's age range cuts the
//! input's bands it cannot be computed (a band `15-19` against `age >= 18` holds persons on
//! both sides), and it is refused with the range and the band named.
//!
//! The age range is read from the indicator's conditions (population, numerator, and the
//! poverty rate's other condition): comparisons of `age` with a whole number (`age >= 18`,
//! `age < 65`, `age = 16`, `age BETWEEN 20 AND 64`). Each comparison sets a cut: a whole number
//! `c` such that ages below `c` and from `c` on are told apart. A band `[lo, hi]` is cut by `c`
//! when `lo < c <= hi`.

use sqlparser::dialect::GenericDialect;
use sqlparser::keywords::Keyword;
use sqlparser::tokenizer::{Token, Tokenizer};

use crate::catalogue::Indicator;

/// An age band: lower bound and upper bound (`None`: open, `75+`).
pub type AgeBand = (u32, Option<u32>);

/// The cuts an SQL condition makes in age (see the module documentation).
pub fn age_cuts(sql: &str) -> Vec<u32> {
    let Ok(tokens) = Tokenizer::new(&GenericDialect {}, sql).tokenize() else {
        return Vec::new();
    };
    let tokens: Vec<Token> = tokens
        .into_iter()
        .filter(|t| !matches!(t, Token::Whitespace(_)))
        .collect();
    let number = |t: Option<&Token>| match t {
        Some(Token::Number(n, _)) => n.parse::<u32>().ok(),
        _ => None,
    };
    let mut cuts = Vec::new();
    for (i, t) in tokens.iter().enumerate() {
        let Token::Word(w) = t else { continue };
        if !w.value.eq_ignore_ascii_case("age") || w.quote_style.is_some_and(|q| q != '"') {
            continue;
        }
        let next = tokens.get(i + 1);
        let operand = number(tokens.get(i + 2));
        match (next, operand) {
            (Some(Token::GtEq), Some(c)) => cuts.push(c),
            (Some(Token::Gt), Some(c)) => cuts.push(c + 1),
            (Some(Token::LtEq), Some(c)) => cuts.push(c + 1),
            (Some(Token::Lt), Some(c)) => cuts.push(c),
            (Some(Token::Eq), Some(c)) => cuts.extend([c, c + 1]),
            (Some(Token::Word(b)), Some(lo)) if b.keyword == Keyword::BETWEEN => {
                cuts.push(lo);
                if let Some(hi) = number(tokens.get(i + 4)) {
                    cuts.push(hi + 1);
                }
            }
            _ => {}
        }
    }
    cuts
}

impl Indicator {
    /// Why the indicator cannot be computed on an input whose ages are these bands (`None`:
    /// every band falls wholly inside or outside its age range).
    pub fn age_band_conflict(&self, bands: &[AgeBand]) -> Option<String> {
        let conditions = [
            Some(self.population.as_str()),
            self.numerator.as_deref(),
            self.at_risk_otherwise.as_deref(),
        ];
        for sql in conditions.into_iter().flatten() {
            for cut in age_cuts(sql) {
                if let Some(band) = bands
                    .iter()
                    .find(|(lo, hi)| *lo < cut && hi.is_none_or(|h| cut <= h))
                {
                    return Some(format!(
                        "its age range (`{sql}`) separates ages {} and {cut}, inside the input's age band {}; the input gives age in bands only ({})",
                        cut - 1,
                        band_text(band),
                        bands.iter().map(band_text).collect::<Vec<_>>().join(", ")
                    ));
                }
            }
        }
        None
    }
}

fn band_text(band: &AgeBand) -> String {
    match band {
        (lo, Some(hi)) => format!("{lo}-{hi}"),
        (lo, None) => format!("{lo}+"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_from_the_comparisons_of_age() {
        assert_eq!(age_cuts("age BETWEEN 20 AND 64 AND x = 1"), [20, 65]);
        assert_eq!(age_cuts("age >= 18 AND y IS NOT NULL"), [18]);
        assert_eq!(age_cuts("age > 17"), [18]);
        assert_eq!(age_cuts("age < 18"), [18]);
        assert_eq!(age_cuts("age <= 64 AND work_intensity < 0.2"), [65]);
        assert_eq!(age_cuts("age = 16"), [16, 17]);
        // Other columns whose name contains "age" are not age.
        assert!(age_cuts("wage > 100 AND age_band IS NOT NULL").is_empty());
    }

    #[test]
    fn catalogue_indicators_against_five_year_bands() {
        let bands: Vec<AgeBand> = (3..15)
            .map(|k| (5 * k, Some(5 * k + 4)))
            .chain(std::iter::once((75, None)))
            .collect();
        let c = crate::Catalogue::embedded();
        let conflict = |id: &str| c.indicator(id).unwrap().age_band_conflict(&bands);
        for fits in [
            "employment_rate_20_64",
            "unemployment_rate_15_74",
            "neet_15_29",
            "tertiary_attainment_25_34",
        ] {
            assert_eq!(conflict(fits), None, "{fits}");
        }
        let early = conflict("early_leavers_18_24").unwrap();
        assert!(
            early.contains("15-19") && early.contains("separates ages 17 and 18"),
            "{early}"
        );
        // AROPE: 18+ cuts 15-19 before its work-intensity condition (age <= 64) is looked at.
        assert!(conflict("at_risk_of_poverty_or_social_exclusion_18_plus")
            .unwrap()
            .contains("15-19"));
        // Ten-year bands from 16: 16+ fits, 18+ does not.
        let tens: Vec<AgeBand> = vec![(0, Some(15)), (16, Some(25)), (26, None)];
        assert_eq!(
            c.indicator("good_health_16_plus")
                .unwrap()
                .age_band_conflict(&tens),
            None
        );
        assert!(c
            .indicator("home_owners_18_plus")
            .unwrap()
            .age_band_conflict(&tens)
            .is_some());
    }
}
