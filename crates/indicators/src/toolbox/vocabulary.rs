//! The toolbox's closed vocabularies (types, topics, geographic levels, access, migrant
//! variables, audiences, evidence): enums with the code the data files, URLs and the API use
//! and the label readers see.

use serde::Deserialize;

macro_rules! vocabulary {
    ($(#[$doc:meta])* $name:ident { $($variant:ident = $code:literal : $label:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
        pub enum $name {
            $(#[serde(rename = $code)] $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The code used in the data files, URLs and the API.
            pub fn code(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }

            /// As shown to readers.
            pub fn label(self) -> &'static str {
                match self { $($name::$variant => $label),+ }
            }

            pub fn from_code(code: &str) -> Option<$name> {
                Self::ALL.iter().copied().find(|v| v.code() == code)
            }
        }
    };
}

vocabulary!(
    /// What kind of source a data source is.
    SourceType {
        Survey = "survey": "Sample survey",
        Census = "census": "Census",
        Register = "register": "Register",
        Administrative = "administrative": "Administrative statistics",
        PublishedTables = "published-tables": "Published tables",
        Monitor = "monitor": "National integration monitor",
    }
);

vocabulary!(
    /// A variable that identifies migrants and their descendants.
    MigrantVariable {
        CountryOfBirth = "country_of_birth": "country of birth",
        Citizenship = "citizenship": "citizenship",
        ParentsCountryOfBirth = "parents_country_of_birth": "parents' country of birth",
        YearsOfResidence = "years_of_residence": "years of residence",
        ReasonForMigration = "reason_for_migration": "reason for migration",
    }
);

vocabulary!(
    /// A geographic level or unit a source or tool gives figures for.
    GeoDetail {
        Country = "country": "country",
        Nuts1 = "nuts1": "NUTS 1",
        Nuts2 = "nuts2": "NUTS 2",
        Degurba = "degurba": "degree of urbanisation",
        Nuts3 = "nuts3": "NUTS 3",
        Fua = "fua": "functional urban area",
        City = "city": "city",
        Lau = "lau": "municipality (LAU)",
        Grid = "grid": "1 km² grid",
    }
);

impl GeoDetail {
    /// How fine the level is (0 country … 6 grid cells): a source whose finest level is at
    /// least as fine as a city's can give figures for cities.
    pub fn fineness(self) -> u8 {
        match self {
            GeoDetail::Country => 0,
            GeoDetail::Nuts1 => 1,
            GeoDetail::Nuts2 | GeoDetail::Degurba => 2,
            GeoDetail::Nuts3 | GeoDetail::Fua => 3,
            GeoDetail::City => 4,
            GeoDetail::Lau => 5,
            GeoDetail::Grid => 6,
        }
    }
}

vocabulary!(
    /// How a source's data can be reached.
    Access {
        PublicTables = "public-tables": "public tables",
        PublicUseFiles = "public-use-files": "public-use files",
        ScientificUseFiles = "scientific-use-files": "scientific-use files",
        SecureAccess = "secure-access": "secure access",
        OnRequest = "on-request": "on request",
        OpenDownload = "open-download": "open download",
    }
);

vocabulary!(
    /// A topic of integration monitoring.
    Topic {
        Employment = "employment": "employment",
        Education = "education": "education",
        Income = "income": "income",
        Poverty = "poverty": "poverty and social exclusion",
        Housing = "housing": "housing",
        Health = "health": "health",
        Citizenship = "citizenship": "active citizenship",
        Participation = "participation": "participation and belonging",
        Discrimination = "discrimination": "discrimination",
        Demography = "demography": "population",
        Geography = "geography": "geography",
        Policy = "policy": "integration policy",
        Methods = "methods": "statistical methods",
    }
);

vocabulary!(
    /// What kind of tool an entry of the tools catalogue is.
    ToolType {
        IndicatorPortal = "indicator-portal": "Indicator portal",
        PolicyIndex = "policy-index": "Policy index",
        DataHub = "data-hub": "Database or data hub",
        Atlas = "atlas": "Atlas or mapping tool",
        Guide = "guide": "Methodological guide or study",
        Software = "software": "Statistical software",
        Network = "network": "City network",
    }
);

vocabulary!(
    /// Whom a recommendation addresses.
    Audience {
        Cities = "cities": "Cities",
        StatisticsOffices = "statistics-offices": "Statistics offices",
        EuLevel = "eu-level": "The EU level",
    }
);

vocabulary!(
    /// Evidence a recommendation takes from incity's own figures, computed from the served
    /// release by [`evidence`].
    Evidence {
        CityCellsPublished = "city-cells-published": "City figures for migrant groups published",
        RespondentsNeeded = "respondents-needed": "Respondents a city needs",
        PoolingGain = "pooling-gain": "What pooling years gains",
    }
);

/// An optional vocabulary code given by a person (a command-line option, a query parameter):
/// empty is none; an unknown code is an error naming `name` and the allowed codes.
pub fn parse_code<T: Copy>(
    name: &str,
    value: Option<&str>,
    all: &[T],
    code: fn(T) -> &'static str,
) -> Result<Option<T>, String> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => all
            .iter()
            .copied()
            .find(|x| code(*x) == v)
            .map(Some)
            .ok_or_else(|| {
                format!(
                    "{name} {v}: expected one of {}",
                    all.iter().map(|x| code(*x)).collect::<Vec<_>>().join(", ")
                )
            }),
    }
}
