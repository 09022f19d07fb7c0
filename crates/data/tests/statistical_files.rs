//! SAS, Stata and SPSS files, written by R `haven` (tests/data/statistical/make.R, kept with
//! the files), read through the ReadStat library: imported, they store exactly what the same
//! records as CSV store; value labels are read where the mapping asks for them; declared
//! missing values (SPSS user-missing, Stata `.a`, SAS missing) are missing; `estimate` reads
//! them as it reads CSV.

mod support;

use std::path::PathBuf;

use incity_data::ingest::ReadOptions;
use incity_data::inputs::InputStore;
use incity_data::mapping::Mapping;
use incity_data::statistical::{read_table, StatColumn, StatFormat};
use incity_data::survey::{estimate, DesignColumns, EstimateRequest, VarianceChoice};
use incity_estimation::{LonelyPsuRule, PublicationRules, QuantileRule};
use support::{import, stored};

fn file(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/statistical")
        .join(name)
}

const MAPPING: &str = r#"
[mapping]
name = "statistical-test"
source = "lfs"
nuts_version = 2021
# Stata and SPSS hold COUNTRY as 1, 2 labelled "AT", "BE".
value_labels = ["COUNTRY"]

[columns]
country = "COUNTRY"
year = "YEAR"
region = "REGION"
weight = "WEIGHT"
sex = "SEX"
age = "AGE"
ilo_status = "ILOSTAT"

[codes.sex]
"1" = "M"
"2" = "F"

[codes.ilo_status]
"1" = "employed"
"2" = "unemployed"
"3" = "inactive"
"#;

#[test]
fn sas_stata_and_spss_files_store_what_the_csv_stores() {
    let mapping = Mapping::parse(MAPPING, "statistical-test.toml").unwrap();
    let (_c, from_csv) = import(&mapping, &[file("survey.csv")]);
    let expected = stored(&from_csv, "lfs");
    // The declared missing ILOSTAT of rows 4 and 8 is missing, not a code.
    assert_eq!(expected["ilo_status"][3], None);
    assert_eq!(expected["ilo_status"][7], None);
    for name in ["survey.sas7bdat", "survey.dta", "survey.sav"] {
        let (_d, store) = import(&mapping, &[file(name)]);
        assert_eq!(stored(&store, "lfs"), expected, "{name}");
    }
}

#[test]
fn the_reader_keeps_labels_and_missing_values_apart_from_codes() {
    let sav = read_table(&file("survey.sav"), StatFormat::Spss).unwrap();
    assert_eq!(
        sav.names,
        ["COUNTRY", "YEAR", "REGION", "SEX", "AGE", "WEIGHT", "ILOSTAT"]
    );
    assert_eq!(sav.rows, 10);
    let country = sav.names.iter().position(|n| n == "COUNTRY").unwrap();
    assert_eq!(sav.text(country, 0, false).as_deref(), Some("1"));
    assert_eq!(sav.text(country, 0, true).as_deref(), Some("AT"));
    assert_eq!(sav.text(country, 9, true).as_deref(), Some("BE"));
    let ilo = sav.names.iter().position(|n| n == "ILOSTAT").unwrap();
    // SPSS user-missing 9: missing, though labelled "no answer".
    assert_eq!(sav.text(ilo, 3, false), None);
    assert_eq!(sav.text(ilo, 3, true), None);
    assert_eq!(sav.text(ilo, 0, true).as_deref(), Some("employed"));
    let dta = read_table(&file("survey.dta"), StatFormat::Stata).unwrap();
    // Stata writes value labels after the data: still attached.
    assert_eq!(dta.text(country, 5, true).as_deref(), Some("BE"));
    assert_eq!(dta.text(ilo, 7, false), None);
    let StatColumn::Numbers(weights) = &dta.columns[5] else {
        panic!("WEIGHT is numeric");
    };
    assert_eq!(weights[4], Some(875.125));
    let sas = read_table(&file("survey.sas7bdat"), StatFormat::Sas).unwrap();
    assert!(matches!(sas.columns[country], StatColumn::Texts(_)));
    assert_eq!(sas.text(ilo, 3, false), None);
    assert_eq!(sas.text(2, 0, false).as_deref(), Some("AT13"));
}

#[test]
fn without_value_labels_a_labelled_code_is_refused_as_the_code_it_is() {
    let mapping = Mapping::parse(
        &MAPPING.replace("value_labels = [\"COUNTRY\"]", ""),
        "no-labels.toml",
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = InputStore::open(&dir.path().join("inputs")).unwrap();
    let (report, parts) = store
        .import(
            &mapping,
            &[file("survey.dta")],
            &ReadOptions::default(),
            &mut |_, _| {},
        )
        .unwrap();
    assert!(parts.is_empty(), "nothing stored from a rejected load");
    let first = report.rejections.first().expect("a rejection").to_string();
    assert!(
        first.contains("survey.dta") && first.contains("row 1") && first.contains("`1`"),
        "{first}"
    );
}

#[test]
fn a_damaged_file_is_refused_naming_the_file_and_format() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("damaged.sav");
    let bytes = std::fs::read(file("survey.sav")).unwrap();
    std::fs::write(&bad, &bytes[..bytes.len() / 3]).unwrap();
    let err = read_table(&bad, StatFormat::Spss).unwrap_err().to_string();
    assert!(
        err.contains("damaged.sav") && err.contains("SPSS (.sav)"),
        "{err}"
    );
    std::fs::write(dir.path().join("text.dta"), "COUNTRY,YEAR\nAT,2024\n").unwrap();
    let err = read_table(&dir.path().join("text.dta"), StatFormat::Stata)
        .unwrap_err()
        .to_string();
    assert!(err.contains("Stata (.dta)"), "{err}");
}

#[tokio::test]
async fn estimate_reads_them_as_it_reads_csv() {
    let request = |name: &str| EstimateRequest {
        data: file(name),
        design: DesignColumns {
            weight: "WEIGHT".into(),
            strata: None,
            psu: None,
            fpc: None,
            lonely_psu: LonelyPsuRule::Fail,
        },
        variance: VarianceChoice::Linearization,
        mse: false,
        statistic: "mean(AGE)".parse().unwrap(),
        quantile_rule: QuantileRule::InverseCdf,
        condition: Some("ILOSTAT = 1".into()),
        by: vec!["REGION".into()],
        gap: None,
        country: None,
        rules: PublicationRules {
            suppress_below_n: 0,
            flag_below_n: 0,
            flag_above_cv: None,
            suppress_above_cv: None,
            population_thresholds: None,
            proportions: None,
            flag_below_df: None,
        },
        confidence: 0.95,
        derived: vec![],
    };
    let csv = estimate(&request("survey.csv")).await.unwrap();
    for name in ["survey.sas7bdat", "survey.dta", "survey.sav"] {
        let other = estimate(&request(name)).await.unwrap();
        assert_eq!(
            format!("{:?}", other.rows),
            format!("{:?}", csv.rows),
            "{name}"
        );
    }
    // Persons with ILOSTAT 1 in AT13: ages 25 and 47, weights 1234.5 and 1500.
    let at = csv.rows.iter().find(|r| r.domain == ["AT13"]).unwrap();
    let mean = at.estimate.figures.as_ref().unwrap().estimate;
    assert!((mean - (25.0 * 1234.5 + 47.0 * 1500.0) / 2734.5).abs() < 1e-12);
}
