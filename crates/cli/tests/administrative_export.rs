//! `incity export --administrative`: the active-citizenship figures computed from two stored
//! tables, with a confidential observation leaving its figure without any number.

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_incity");

fn run(args: &[&str]) -> String {
    let out = Command::new(BIN).args(args).output().unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "incity {args:?}: {text}");
    text
}

#[test]
fn administrative_figures_are_exported_with_flags_and_no_number_when_confidential() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let acq = dir.path().join("migr_acq.csv");
    std::fs::write(
        &acq,
        "DATAFLOW,freq,citizen,agedef,age,unit,sex,geo,TIME_PERIOD,OBS_VALUE,OBS_FLAG\n\
         ESTAT:MIGR_ACQ(1.0),A,NEU27_2020_FOR,COMPLET,TOTAL,NR,T,AT,2024,1600,\n\
         ESTAT:MIGR_ACQ(1.0),A,NEU27_2020_FOR,COMPLET,TOTAL,NR,T,AT001C,2024,,c\n",
    )
    .unwrap();
    let pop = dir.path().join("migr_pop1ctz.csv");
    std::fs::write(
        &pop,
        "DATAFLOW,freq,citizen,age,unit,sex,geo,TIME_PERIOD,OBS_VALUE,OBS_FLAG\n\
         ESTAT:MIGR_POP1CTZ(1.0),A,NEU27_2020_FOR,TOTAL,NR,T,AT,2024,64000,\n\
         ESTAT:MIGR_POP1CTZ(1.0),A,NEU27_2020_FOR,TOTAL,NR,T,AT001C,2024,40000,e\n",
    )
    .unwrap();
    let d = data.to_str().unwrap();
    run(&[
        "import-table",
        "--data-dir",
        d,
        acq.to_str().unwrap(),
        pop.to_str().unwrap(),
    ]);
    let out = dir.path().join("administrative.csv");
    let said = run(&[
        "export",
        "--data-dir",
        d,
        "--administrative",
        "--format",
        "csv",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(said.contains("2 administrative figures"), "{said}");
    let mut r = csv::Reader::from_path(&out).unwrap();
    let header: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
    let row = |geo: &str| rows.iter().find(|x| &x[col("geo")] == geo).unwrap();
    let at = row("AT");
    assert_eq!(&at[col("indicator")], "citizenship_acquisition_rate");
    assert_eq!(&at[col("method")], "administrative");
    assert_eq!(&at[col("group")], "non_eu_citizens");
    assert_eq!(at[col("value")].parse::<f64>().unwrap(), 1600.0 / 64000.0);
    assert_eq!(&at[col("numerator")], "1600");
    assert_eq!(&at[col("denominator")], "64000");
    let city = row("AT001C");
    for c in ["value", "numerator", "denominator"] {
        assert_eq!(&city[col(c)], "", "{c} of a confidential figure");
    }
    assert!(city[col("flags")].contains('c') && city[col("flags")].contains('e'));
    assert!(!std::fs::read_to_string(&out).unwrap().contains("40000"));
    // Other formats are refused, not silently written as CSV.
    let json = Command::new(BIN)
        .args([
            "export",
            "--data-dir",
            d,
            "--administrative",
            "--format",
            "json",
        ])
        .args(["--out", dir.path().join("a.json").to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!json.status.success());
}
