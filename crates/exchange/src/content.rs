//! What city editors and coordinators write: city pages, practices, needs and offers, and the
//! network's recommendations; each checked before it is stored (lengths, required fields,
//! closed vocabularies), and each able to describe itself for the audit log.
//!
//! Free text is stored as written and escaped where it is shown (the portal's templates
//! escape every value): checking it here is about size and presence, not markup.

/// What a practice, need or offer is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Topic {
    Employment,
    Education,
    IncomeAndPoverty,
    Health,
    Housing,
    Citizenship,
    Language,
    SurveyData,
    AdministrativeData,
    SmallAreaEstimation,
    MonitoringReports,
}

impl Topic {
    pub const ALL: [Topic; 11] = [
        Topic::Employment,
        Topic::Education,
        Topic::IncomeAndPoverty,
        Topic::Health,
        Topic::Housing,
        Topic::Citizenship,
        Topic::Language,
        Topic::SurveyData,
        Topic::AdministrativeData,
        Topic::SmallAreaEstimation,
        Topic::MonitoringReports,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Topic::Employment => "employment",
            Topic::Education => "education",
            Topic::IncomeAndPoverty => "income-poverty",
            Topic::Health => "health",
            Topic::Housing => "housing",
            Topic::Citizenship => "citizenship",
            Topic::Language => "language",
            Topic::SurveyData => "survey-data",
            Topic::AdministrativeData => "administrative-data",
            Topic::SmallAreaEstimation => "small-area-estimation",
            Topic::MonitoringReports => "monitoring-reports",
        }
    }

    pub fn from_code(code: &str) -> Option<Topic> {
        Topic::ALL.into_iter().find(|t| t.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            Topic::Employment => "employment",
            Topic::Education => "education",
            Topic::IncomeAndPoverty => "income and poverty",
            Topic::Health => "health",
            Topic::Housing => "housing",
            Topic::Citizenship => "active citizenship",
            Topic::Language => "language learning",
            Topic::SurveyData => "survey data and local surveys",
            Topic::AdministrativeData => "administrative data and registers",
            Topic::SmallAreaEstimation => "small area estimation",
            Topic::MonitoringReports => "monitoring reports",
        }
    }
}

/// Whether an exchange item is something a city lacks or something it can share.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ItemKind {
    /// "What we lack."
    Need,
    /// "What we can share."
    Offer,
}

impl ItemKind {
    pub fn code(self) -> &'static str {
        match self {
            ItemKind::Need => "need",
            ItemKind::Offer => "offer",
        }
    }

    pub fn from_code(code: &str) -> Option<ItemKind> {
        [ItemKind::Need, ItemKind::Offer]
            .into_iter()
            .find(|k| k.code() == code)
    }
}

/// The longest title accepted, in characters.
pub const TITLE_MAX: usize = 200;
/// The longest free text accepted, in characters.
pub const TEXT_MAX: usize = 5000;

/// A field that failed its check, and why.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{field}: {problem}")]
pub struct FieldError {
    pub field: &'static str,
    pub problem: String,
}

fn check_text(
    errors: &mut Vec<FieldError>,
    field: &'static str,
    value: &str,
    max: usize,
    required: bool,
) {
    let n = value.chars().count();
    if required && value.trim().is_empty() {
        errors.push(FieldError {
            field,
            problem: "required".into(),
        });
    } else if n > max {
        errors.push(FieldError {
            field,
            problem: format!("{n} characters, at most {max}"),
        });
    } else if value
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        errors.push(FieldError {
            field,
            problem: "contains control characters".into(),
        });
    }
}

fn audit_lines(fields: &[(&str, String)]) -> String {
    fields
        .iter()
        .map(|(k, v)| format!("{k}: {}", v.replace('\n', "\n  ")))
        .collect::<Vec<_>>()
        .join("\n")
}

/// How a city monitors the integration of its immigrant residents, as its editors describe it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CityPage {
    /// The year the city's monitoring began.
    pub monitoring_since: Option<i32>,
    /// Which indicators it monitors.
    pub indicators: String,
    /// Which sources it uses.
    pub sources: String,
    /// How often it reports.
    pub frequency: String,
    /// Indicators of its own, beyond the common ones.
    pub local_indicators: String,
    /// Networks and projects it takes part in.
    pub networks: String,
}

impl CityPage {
    pub fn check(&self) -> Result<(), Vec<FieldError>> {
        let mut e = Vec::new();
        if let Some(y) = self.monitoring_since {
            if !(1950..=2100).contains(&y) {
                e.push(FieldError {
                    field: "monitoring_since",
                    problem: format!("{y}: expected a year from 1950 to 2100"),
                });
            }
        }
        check_text(&mut e, "indicators", &self.indicators, TEXT_MAX, false);
        check_text(&mut e, "sources", &self.sources, TEXT_MAX, false);
        check_text(&mut e, "frequency", &self.frequency, TITLE_MAX, false);
        check_text(
            &mut e,
            "local_indicators",
            &self.local_indicators,
            TEXT_MAX,
            false,
        );
        check_text(&mut e, "networks", &self.networks, TEXT_MAX, false);
        if e.is_empty() {
            Ok(())
        } else {
            Err(e)
        }
    }

    /// The page as the audit log records it.
    pub fn audit(&self) -> String {
        audit_lines(&[
            (
                "monitoring_since",
                self.monitoring_since
                    .map(|y| y.to_string())
                    .unwrap_or_default(),
            ),
            ("indicators", self.indicators.clone()),
            ("sources", self.sources.clone()),
            ("frequency", self.frequency.clone()),
            ("local_indicators", self.local_indicators.clone()),
            ("networks", self.networks.clone()),
        ])
    }
}

/// A practice a city shares: what it did and what came of it.
#[derive(Debug, Clone, PartialEq)]
pub struct Practice {
    pub title: String,
    pub topic: Topic,
    pub description: String,
    pub results: String,
    /// Whom to ask (a name, an office, an address).
    pub contact: String,
}

impl Practice {
    pub fn check(&self) -> Result<(), Vec<FieldError>> {
        let mut e = Vec::new();
        check_text(&mut e, "title", &self.title, TITLE_MAX, true);
        check_text(&mut e, "description", &self.description, TEXT_MAX, true);
        check_text(&mut e, "results", &self.results, TEXT_MAX, false);
        check_text(&mut e, "contact", &self.contact, TITLE_MAX, true);
        if e.is_empty() {
            Ok(())
        } else {
            Err(e)
        }
    }

    pub fn audit(&self) -> String {
        audit_lines(&[
            ("title", self.title.clone()),
            ("topic", self.topic.code().into()),
            ("description", self.description.clone()),
            ("results", self.results.clone()),
            ("contact", self.contact.clone()),
        ])
    }
}

/// A need or an offer of a city.
#[derive(Debug, Clone, PartialEq)]
pub struct ExchangeItem {
    pub kind: ItemKind,
    pub topic: Topic,
    pub text: String,
}

impl ExchangeItem {
    pub fn check(&self) -> Result<(), Vec<FieldError>> {
        let mut e = Vec::new();
        check_text(&mut e, "text", &self.text, TEXT_MAX, true);
        if e.is_empty() {
            Ok(())
        } else {
            Err(e)
        }
    }

    pub fn audit(&self) -> String {
        audit_lines(&[
            ("kind", self.kind.code().into()),
            ("topic", self.topic.code().into()),
            ("text", self.text.clone()),
        ])
    }
}

/// A recommendation of the network, written by a coordinator.
#[derive(Debug, Clone, PartialEq)]
pub struct NetworkRecommendation {
    pub title: String,
    pub topic: Topic,
    pub text: String,
}

impl NetworkRecommendation {
    pub fn check(&self) -> Result<(), Vec<FieldError>> {
        let mut e = Vec::new();
        check_text(&mut e, "title", &self.title, TITLE_MAX, true);
        check_text(&mut e, "text", &self.text, TEXT_MAX, true);
        if e.is_empty() {
            Ok(())
        } else {
            Err(e)
        }
    }

    pub fn audit(&self) -> String {
        audit_lines(&[
            ("title", self.title.clone()),
            ("topic", self.topic.code().into()),
            ("text", self.text.clone()),
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_checked_for_presence_length_and_control_characters() {
        let p = Practice {
            title: " ".into(),
            topic: Topic::Housing,
            description: "x".repeat(TEXT_MAX + 1),
            results: "bell\u{7}".into(),
            contact: "office".into(),
        };
        let errors = p.check().unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["title", "description", "results"]);
        assert!(errors[1].problem.contains("5001 characters"));
        let page = CityPage {
            monitoring_since: Some(1800),
            ..CityPage::default()
        };
        assert_eq!(page.check().unwrap_err()[0].field, "monitoring_since");
        let markup = ExchangeItem {
            kind: ItemKind::Need,
            topic: Topic::Health,
            text: "<script>alert(1)</script>\nsecond line".into(),
        };
        assert_eq!(markup.check(), Ok(()), "markup is text, escaped when shown");
        assert_eq!(
            markup.audit(),
            "kind: need\ntopic: health\ntext: <script>alert(1)</script>\n  second line"
        );
    }

    #[test]
    fn vocabularies_round_trip() {
        for t in Topic::ALL {
            assert_eq!(Topic::from_code(t.code()), Some(t));
        }
        assert_eq!(Topic::from_code("sport"), None);
        assert_eq!(ItemKind::from_code("offer"), Some(ItemKind::Offer));
    }
}
