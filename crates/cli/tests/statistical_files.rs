//! `incity validate` and `incity estimate` on a Stata file written by R haven, and the message
//! a user gets when the ReadStat library is not installed.

use std::path::PathBuf;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_incity");

fn data(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../data/tests/data/statistical")
        .join(name)
        .display()
        .to_string()
}

fn mapping(dir: &std::path::Path) -> String {
    let path = dir.join("stata.toml");
    std::fs::write(
        &path,
        r#"
[mapping]
name = "stata"
source = "lfs"
value_labels = ["COUNTRY"]

[columns]
country = "COUNTRY"
year = "YEAR"
region = "REGION"
weight = "WEIGHT"
sex = "SEX"
age = "AGE"

[codes.sex]
"1" = "M"
"2" = "F"
"#,
    )
    .unwrap();
    path.display().to_string()
}

#[test]
fn validate_and_estimate_read_a_stata_file() {
    let dir = tempfile::tempdir().unwrap();
    let m = mapping(dir.path());
    let out = Command::new(BIN)
        .args(["validate", "--mapping", &m, &data("survey.dta")])
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("10"), "{text}");
    let out = Command::new(BIN)
        .args([
            "estimate",
            "--data",
            &data("survey.sav"),
            "--weight",
            "WEIGHT",
            "--stat",
            "mean(AGE)",
            "--min-n",
            "5",
            "--flag-n",
            "5",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The weighted mean age of the ten persons, by hand from make.R's columns.
    let ages = [25.0, 34.0, 47.0, 52.0, 61.0, 19.0, 38.0, 44.0, 29.0, 70.0];
    let weights = [
        1234.5, 980.25, 1500.0, 1100.75, 875.125, 2100.0, 1999.5, 2400.25, 1800.0, 1650.5,
    ];
    let mean: f64 =
        ages.iter().zip(&weights).map(|(a, w)| a * w).sum::<f64>() / weights.iter().sum::<f64>();
    let value: f64 = text
        .lines()
        .nth(1)
        .and_then(|l| l.split(',').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no estimate in {text}"));
    assert!((value - mean).abs() < 1e-9, "{value} against {mean}");
}

#[test]
fn without_readstat_the_user_is_told_what_to_install() {
    let dir = tempfile::tempdir().unwrap();
    let m = mapping(dir.path());
    let out = Command::new(BIN)
        .env("INCITY_READSTAT", dir.path().join("no-such-library.so"))
        .args(["validate", "--mapping", &m, &data("survey.dta")])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("survey.dta") && err.contains("apt install libreadstat1"),
        "{err}"
    );
}
