//! The catalogue is data: the shipped files load; a city adds an indicator by adding a file;
//! every malformed file is refused with its name and what is wrong.

use std::path::Path;

use incity_indicators::catalogue::{Catalogue, StatisticKind};

fn repo(p: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(p)
}

/// A copy of the shipped catalogue in a temporary directory.
fn copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("indicators")).unwrap();
    std::fs::copy(
        repo("catalogue/catalogue.toml"),
        dir.path().join("catalogue.toml"),
    )
    .unwrap();
    for e in std::fs::read_dir(repo("catalogue/indicators")).unwrap() {
        let p = e.unwrap().path();
        std::fs::copy(
            &p,
            dir.path().join("indicators").join(p.file_name().unwrap()),
        )
        .unwrap();
    }
    dir
}

#[test]
fn the_shipped_catalogue_has_the_core_set() {
    let c = Catalogue::embedded();
    assert_eq!(c.indicators.len(), 26);
    for id in [
        "employment_rate_20_64",
        "unemployment_rate_20_64",
        "activity_rate_20_64",
        "self_employment_rate_20_64",
        "overqualification_rate_20_64",
        "low_education_25_64",
        "tertiary_attainment_25_34",
        "early_leavers_18_24",
        "neet_15_29",
        "median_income_18_plus",
        "at_risk_of_poverty_18_plus",
        "good_health_16_plus",
        "home_owners_18_plus",
        "long_term_unemployment_rate_15_74",
        "temporary_employment_20_64",
        "involuntary_part_time_20_64",
        "learning_participation_25_64",
        "in_work_poverty_18_plus",
        "housing_cost_overburden_18_plus",
        "unmet_medical_need_16_plus",
        "child_poverty_0_17",
        "at_risk_of_poverty_or_social_exclusion_18_plus",
        "overcrowding_18_plus",
    ] {
        assert!(c.indicator(id).is_some(), "{id}");
    }
    // Every shipped indicator names the Eurostat dataset it corresponds to.
    for i in &c.indicators {
        assert!(i.eurostat.is_some(), "{} names no Eurostat dataset", i.id);
    }
    assert_eq!(
        c.indicator("housing_cost_overburden_18_plus")
            .unwrap()
            .eurostat
            .as_deref(),
        Some("ilc_lvho25")
    );
    assert_eq!(
        c.indicator("at_risk_of_poverty_18_plus").unwrap().statistic,
        StatisticKind::AtRiskOfPoverty
    );
    assert_eq!(c.grouping("birth_group").unwrap().reference, "native");
    assert_eq!(
        c.grouping("citizenship_group").unwrap().reference,
        "nationals"
    );
    // Active citizenship: two indicators from administrative tables, and the Zaragoza
    // indicators no source in incity gives, with where their figures come from.
    let admin: Vec<&str> = c.administrative.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(
        admin,
        ["citizenship_acquisition_rate", "long_term_residents_share"]
    );
    let external: Vec<&str> = c.external.iter().map(|x| x.id.as_str()).collect();
    assert_eq!(
        external,
        ["elected_representatives_share", "low_achievers_15"]
    );
    assert_eq!(
        c.grouping("residence_duration")
            .unwrap()
            .reference_grouping
            .as_deref(),
        Some("birth_group")
    );
    // The directory and the compiled-in copy are the same catalogue.
    assert_eq!(&Catalogue::load(&repo("catalogue")).unwrap(), c);
}

#[test]
fn a_city_adds_an_indicator_by_adding_a_file() {
    let dir = copy();
    std::fs::write(
        dir.path().join("indicators/skilled_occupations_20_64.toml"),
        r#"
id = "skilled_occupations_20_64"
name = "Employed in ISCO major groups 1-3"
area = "Employment"
source = "lfs"
statistic = "share"
population = "age BETWEEN 20 AND 64 AND ilo_status = 'employed' AND occupation IS NOT NULL"
population_label = "employed persons aged 20-64"
numerator = "occupation IN ('1', '2', '3')"
unit = "percent"
definition = "Managers, professionals and technicians as a share of the employed (a city's own indicator)."
"#,
    )
    .unwrap();
    let c = Catalogue::load(dir.path()).unwrap();
    assert_eq!(c.indicators.len(), 27);
}

fn error_of(file: &str, from: &str, to: &str) -> String {
    let dir = copy();
    let path = dir.path().join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(from), "{file} has no `{from}`");
    std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
    Catalogue::load(dir.path()).unwrap_err().to_string()
}

#[test]
fn malformed_catalogue_files_are_refused_with_file_and_reason() {
    let f = "indicators/employment_rate_20_64.toml";
    let cases: Vec<(&str, &str, &str, Vec<&str>)> = vec![
        (
            f,
            "id = \"employment_rate_20_64\"",
            "id = \"employment\"",
            vec![f, "expected the file name"],
        ),
        (
            f,
            "statistic = \"share\"",
            "statistic = \"average\"",
            vec![f, "unknown variant `average`"],
        ),
        (
            f,
            "source = \"lfs\"",
            "source = \"census\"",
            vec![f, "source = \"census\"", "lfs, silc"],
        ),
        (
            f,
            "unit = \"percent\"",
            "unit = \"pounds\"",
            vec![f, "unit = \"pounds\""],
        ),
        (
            f,
            "numerator = \"ilo_status = 'employed'\"\n",
            "",
            vec![f, "needs a numerator"],
        ),
        (
            f,
            "ilo_status = 'employed'\"",
            "ilostat = 1\"",
            vec![f, "numerator", "`ilostat` is not a harmonised column"],
        ),
        (
            f,
            "population = \"age BETWEEN",
            "population = \"AGE BETWEEN",
            vec![f, "population", "`AGE`"],
        ),
        (
            f,
            "eurostat = \"lfsa_ergacob\"",
            "eurostat = \"LFSA ERGACOB\"",
            vec![f, "eurostat = \"LFSA ERGACOB\"", "lower case"],
        ),
        (
            f,
            "name = \"Employment rate\"\n",
            "",
            vec![f, "missing field `name`"],
        ),
        (
            f,
            "area = \"Employment\"",
            "area = \"Employment\"\ncolour = \"red\"",
            vec![f, "unknown field `colour`"],
        ),
        (
            f,
            "[\"AGE\", \"ILOSTAT\", \"COEFFY\"] }",
            "[\"AGE\"], census = [\"X\"] }",
            vec![f, "`census` is not a source"],
        ),
        (
            "indicators/median_income_18_plus.toml",
            "value = \"equivalised_income\"\n",
            "",
            vec!["median_income_18_plus.toml", "needs a value column"],
        ),
        (
            "indicators/median_income_18_plus.toml",
            "gaps = [\"difference\", \"ratio\"]",
            "gaps = [\"level\"]",
            vec![
                "median_income_18_plus.toml",
                "only `difference` and `ratio` are gaps",
            ],
        ),
        (
            f,
            "unit = \"percent\"",
            "unit = \"percent\"\ngaps = [\"ratio\"]",
            vec![f, "for medians (incomes) only"],
        ),
        (
            "indicators/median_income_18_plus.toml",
            "grouping = \"citizenship_group\"",
            "grouping = \"religion\"",
            vec![
                "median_income_18_plus.toml",
                "grouping `religion` is not in catalogue.toml",
            ],
        ),
        (
            "indicators/median_income_18_plus.toml",
            "groups = { nationals",
            "groups = { citizens",
            vec![
                "median_income_18_plus.toml",
                "`citizens` is not a group of `citizenship_group`",
            ],
        ),
        (
            "indicators/good_health_16_plus.toml",
            "scale = 0.01",
            "scale = -1",
            vec!["good_health_16_plus.toml", "scale must be positive"],
        ),
        (
            "catalogue.toml",
            "reference = \"native\"",
            "reference = \"autochthonous\"",
            vec!["catalogue.toml", "reference `autochthonous`"],
        ),
        (
            "catalogue.toml",
            "groups = { non_eu_citizens = \"TOTAL\" }\n[administrative.denominator]",
            "groups = { eu_citizens = \"TOTAL\" }\n[administrative.denominator]",
            vec![
                "catalogue.toml",
                "administrative `long_term_residents_share`",
                "same groups",
            ],
        ),
        (
            "catalogue.toml",
            "reference_grouping = \"birth_group\"",
            "reference_grouping = \"residence_duration\"",
            vec!["catalogue.toml", "is not another grouping"],
        ),
        (
            "catalogue.toml",
            "why_not_computed = \"No survey",
            "why_not_computed = \" \"\nnote = \"No survey",
            vec!["catalogue.toml", "unknown field `note`"],
        ),
        (
            "indicators/overcrowding_18_plus.toml",
            "numerator = \"rooms < required_rooms\"",
            "numerator = \"rooms < required_rooms\"\nat_risk_otherwise = \"rooms < 2\"",
            vec![
                "overcrowding_18_plus.toml",
                "at_risk_otherwise is a condition of a poverty rate",
            ],
        ),
        (
            "indicators/at_risk_of_poverty_or_social_exclusion_18_plus.toml",
            "deprivation_items >= 7 OR",
            "deprived >= 7 OR",
            vec!["at_risk_otherwise: `deprived` is not a harmonised column"],
        ),
        (
            "catalogue.toml",
            "version = \"2026.7\"",
            "version = 2026",
            vec!["catalogue.toml", "invalid type"],
        ),
        (
            "catalogue.toml",
            "method = \"adjusted-reml\"",
            "method = \"bayes\"",
            vec!["catalogue.toml", "small_area.method = \"bayes\""],
        ),
        (
            "catalogue.toml",
            "levels = [\"nuts2\", \"nuts3\", \"city\"]",
            "levels = [\"nuts2\", \"country\"]",
            vec!["catalogue.toml", "small_area.levels: `country`"],
        ),
        (
            "catalogue.toml",
            "replicates = 200",
            "replicates = 10",
            vec!["catalogue.toml", "at least 50 bootstrap replicates"],
        ),
        (
            f,
            "covariates = [\"national_estimate\", \"REG_EMP_RATE\"]",
            "covariates = []",
            vec![f, "small_area: covariates is empty"],
        ),
        (
            "indicators/median_income_18_plus.toml",
            "covariates = [\"national_estimate\", \"REG_EMP_RATE\", \"REG_UNEMP_RATE\"]",
            "covariates = [\"REG EMP\"]",
            vec![
                "median_income_18_plus.toml",
                "covariate `REG EMP`: expected letters",
            ],
        ),
        (
            "catalogue.toml",
            "id = \"citizenship_group\"",
            "id = \"nationality\"",
            vec!["catalogue.toml", "`nationality` is not a harmonised column"],
        ),
    ];
    for (file, from, to, parts) in cases {
        let e = error_of(file, from, to);
        for p in parts {
            assert!(e.contains(p), "expected `{p}` in: {e}");
        }
    }
    // A copied file keeps the id of its original: refused, because an id is its file name (so
    // no id can appear twice).
    let dir = copy();
    let text = std::fs::read_to_string(dir.path().join(f)).unwrap();
    std::fs::write(
        dir.path().join("indicators/zz_copy.toml"),
        text.replace("employment_rate_20_64", "zz_copy"),
    )
    .unwrap();
    assert!(Catalogue::load(dir.path()).is_ok());
    std::fs::write(dir.path().join("indicators/zz_copy.toml"), text).unwrap();
    let e = Catalogue::load(dir.path()).unwrap_err().to_string();
    assert!(
        e.contains("zz_copy.toml") && e.contains("expected the file name"),
        "{e}"
    );
}
