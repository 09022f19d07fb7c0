//! Published tables: the Eurostat TSV and SDMX-CSV readers round-trip real files with every
//! flag kept, and refuse malformed tables with the line and what was expected.

use std::path::{Path, PathBuf};

use incity_data::published::{PublishedTable, TableFormat};
use incity_data::DataError;

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path)
}

/// Every real Eurostat file shipped in `data/eurostat/` (SDMX-CSV 1.0 with labels only, and
/// SDMX-CSV 2.0 with code and label columns, LF and CRLF line endings) is written back byte
/// for byte.
#[test]
fn real_sdmx_csv_files_round_trip_byte_for_byte() {
    let mut files = 0;
    for dir in ["data/eurostat/national", "data/eurostat/cities"] {
        for entry in std::fs::read_dir(repo(dir)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().and_then(|e| e.to_str()) != Some("csv") {
                continue;
            }
            let table = PublishedTable::read(&path).unwrap();
            assert_eq!(table.format, TableFormat::SdmxCsv);
            assert!(!table.observations.is_empty());
            let original = std::fs::read_to_string(&path).unwrap();
            let written = table.to_sdmx_csv().unwrap();
            assert!(
                written == original,
                "{} differs after a round trip",
                path.display()
            );
            files += 1;
        }
    }
    assert!(files >= 13, "{files} files");
}

#[test]
fn sdmx_csv_keeps_codes_labels_and_flags() {
    let t =
        PublishedTable::read(&repo("data/eurostat/national/employment_rates_yearly.csv")).unwrap();
    assert_eq!(t.dataset, "LFSA_ERGAN");
    assert_eq!(
        t.dimensions,
        ["freq", "unit", "sex", "age", "citizen", "geo"]
    );
    assert_eq!(t.label("geo", "AT"), Some("Austria"));
    assert_eq!(t.label("citizen", "FOR"), Some("Foreign country"));
    let geo = t.dimension("geo").unwrap();
    let at_1995 = t
        .observations
        .iter()
        .find(|o| o.key[geo] == "AT" && o.time == "1995" && o.key[2] == "F" && o.key[4] == "FOR")
        .unwrap();
    assert_eq!(at_1995.value, Some(59.3));
    // The file has flagged observations; every flag is a known Eurostat letter.
    let flagged = t
        .observations
        .iter()
        .filter(|o| !o.flags.is_empty())
        .count();
    assert!(flagged > 100, "{flagged} flagged observations");
    // City file (2.0, CRLF): confidential and missing values keep no number.
    let c =
        PublishedTable::read(&repo("data/eurostat/cities/urb_cpopcb_page_linear_2_0.csv")).unwrap();
    assert_eq!(c.dataset, "URB_CPOPCB");
    assert_eq!(
        c.label("cities", "BE001C"),
        Some("Bruxelles/Brussel (greater city)")
    );
    for o in &c.observations {
        if o.is_confidential(&c) {
            assert_eq!(o.value, None);
        }
    }
}

#[test]
fn eurostat_tsv_reads_values_missing_and_flags_and_round_trips() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/published/lfsa_ergan_sample.tsv");
    let t = PublishedTable::read(&path).unwrap();
    assert_eq!(t.format, TableFormat::EurostatTsv);
    assert_eq!(
        t.dimensions,
        ["freq", "unit", "sex", "age", "citizen", "geo"]
    );
    assert_eq!(t.observations.len(), 9);
    let find = |geo: &str, time: &str| {
        t.observations
            .iter()
            .find(|o| o.key[5] == geo && o.time == time)
            .unwrap()
    };
    assert_eq!(find("AT", "2022").value, Some(67.1));
    assert_eq!(find("AT", "2022").flags, "");
    assert_eq!(
        (find("LU", "2022").value, find("LU", "2022").flags.as_str()),
        (Some(72.4), "b")
    );
    assert_eq!(
        (find("LU", "2023").value, find("LU", "2023").flags.as_str()),
        (None, "")
    );
    assert_eq!(
        (find("LU", "2024").value, find("LU", "2024").flags.as_str()),
        (None, "c")
    );
    assert!(find("LU", "2024").is_confidential(&t));
    assert_eq!(
        (find("MT", "2022").value, find("MT", "2022").flags.as_str()),
        (None, "z")
    );
    assert_eq!(
        (find("MT", "2023").value, find("MT", "2023").flags.as_str()),
        (Some(12.3), "u")
    );
    assert_eq!(find("MT", "2024").flags, "ep");
    let original = std::fs::read_to_string(&path).unwrap();
    assert_eq!(t.to_tsv().unwrap(), original);
}

/// A real SDMX-CSV table written as TSV and read back has the same observations and flags.
#[test]
fn real_sdmx_table_survives_conversion_to_tsv() {
    let sdmx = PublishedTable::read(&repo(
        "data/eurostat/national/unemployment_rates_yearly.csv",
    ))
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let tsv_path = dir.path().join("lfsa_urgan.tsv");
    std::fs::write(&tsv_path, sdmx.to_tsv().unwrap()).unwrap();
    let tsv = PublishedTable::read(&tsv_path).unwrap();
    assert_eq!(tsv.dataset, "LFSA");
    let key = |o: &incity_data::published::Observation| (o.key.clone(), o.time.clone());
    let mut a: Vec<_> = sdmx
        .observations
        .iter()
        .map(|o| (key(o), o.value, o.flags.clone()))
        .collect();
    // Series × periods absent from the SDMX file appear in the TSV as `:`; compare the rest.
    let mut b: Vec<_> = tsv
        .observations
        .iter()
        .filter(|o| {
            o.value.is_some()
                || !o.flags.is_empty()
                || sdmx.observations.iter().any(|s| key(s) == key(o))
        })
        .map(|o| (key(o), o.value, o.flags.clone()))
        .collect();
    a.sort_by(|x, y| x.0.cmp(&y.0));
    b.sort_by(|x, y| x.0.cmp(&y.0));
    assert_eq!(a, b);
}

fn parse_error(name: &str, content: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, content).unwrap();
    match PublishedTable::read(&path) {
        Err(e) => e.to_string(),
        Ok(t) => panic!("{name} was accepted: {} observations", t.observations.len()),
    }
}

#[test]
fn malformed_published_tables_are_refused_with_line_and_expectation() {
    let e = parse_error("a.tsv", "unit,geo\\TIME_PERIOD\t2020 \nPC,AT\t12.x \n");
    assert!(
        e.contains("line 2") && e.contains("12.x") && e.contains("a number or `:`"),
        "{e}"
    );
    let e = parse_error("a.tsv", "unit,geo\\TIME_PERIOD\t2020 \t2021 \nPC,AT\t1 \n");
    assert!(
        e.contains("line 2") && e.contains("3 tab-separated cells"),
        "{e}"
    );
    let e = parse_error("a.tsv", "unit,geo\\TIME_PERIOD\t2020 \nPC\t1 \n");
    assert!(
        e.contains("line 2") && e.contains("2 comma-separated codes"),
        "{e}"
    );
    let e = parse_error("a.tsv", "unit,geo\\TIME_PERIOD\t2020 \nPC,AT\t1 x\n");
    assert!(e.contains("line 2") && e.contains("found `x`"), "{e}");
    let e = parse_error(
        "a.tsv",
        "unit,geo\\TIME_PERIOD\t2020 \nPC,AT\t1 \nPC,AT\t2 \n",
    );
    assert!(e.contains("line 3") && e.contains("line 2"), "{e}");
    let e = parse_error("a.csv", "geo,TIME_PERIOD,OBS_VALUE\nAT,2020,abc\n");
    assert!(
        e.contains("line 2") && e.contains("OBS_VALUE") && e.contains("abc"),
        "{e}"
    );
    let e = parse_error("a.csv", "geo,TIME_PERIOD\nAT,2020\n");
    assert!(e.contains("OBS_VALUE"), "{e}");
    let e = parse_error("a.csv", "geo,TIME_PERIOD,OBS_VALUE,OBS_FLAG\nAT,2020,1,q\n");
    assert!(e.contains("line 2") && e.contains("found `q`"), "{e}");
    let e = parse_error("a.csv", "geo,TIME_PERIOD,OBS_VALUE\nAT,2020,1\nAT,2020,2\n");
    assert!(e.contains("line 3") && e.contains("line 2"), "{e}");
    let e = parse_error("a.csv", "geo,TIME_PERIOD,OBS_VALUE\nAT,2020\n");
    assert!(e.contains("line 2") && e.contains("3 fields"), "{e}");
    let err = PublishedTable::read(Path::new("/nonexistent/table.tsv")).unwrap_err();
    assert!(matches!(err, DataError::FileNotFound { .. }));
}

#[test]
fn administrative_tables_load_through_an_admin_mapping() {
    use incity_data::mapping::AdminTableMapping;
    let mapping = AdminTableMapping::load(&repo("data/admin/example-city-register.toml")).unwrap();
    let t = PublishedTable::read_admin_csv(&repo("data/admin/example-city-register.csv"), &mapping)
        .unwrap();
    assert_eq!(t.dataset, "EXAMPLE_CITY_REGISTER");
    assert_eq!(t.dimensions, ["indic", "citizen", "geo"]);
    assert_eq!(t.observations.len(), 11);
    let o = &t.observations[2];
    assert_eq!(
        (o.key.join(","), o.time.as_str(), o.value, o.flags.as_str()),
        (
            "POP,NEU27_2020_FOR,AT001C".to_string(),
            "2023",
            Some(340000.0),
            "e"
        )
    );
    // `.` is declared missing.
    assert_eq!(t.observations[7].value, None);
    // Malformed administrative tables: line, column, value, expectation.
    let dir = tempfile::tempdir().unwrap();
    let good = std::fs::read_to_string(repo("data/admin/example-city-register.csv")).unwrap();
    let cases = [
        (
            "AT001C,2023,residents,national,1370000,",
            "XX001C,2023,residents,national,1370000,",
            &["line 2", "city_code", "XX001C", "a NUTS code"][..],
        ),
        (
            "AT001C,2023,residents,eu,270000,",
            "AT001C,23,residents,eu,270000,",
            &["line 3", "year", "`23`", "a year from 1950"],
        ),
        (
            "SE003C,2024,residents,non-eu,58000,",
            "SE003C,2024,residents,stateless,58000,",
            &["line 11", "citizen", "stateless", "a code of citizen"],
        ),
        (
            "SE003C,2024,naturalisations,non-eu,2100,",
            "SE003C,2024,naturalisations,non-eu,-5,",
            &["line 12", "persons", "`-5`", "a number >= 0"],
        ),
        (
            "SE003C,2024,naturalisations,non-eu,2100,",
            "SE003C,2024,naturalisations,non-eu,2100,q",
            &["line 12", "flag", "found `q`"],
        ),
        (
            "SE003C,2024,residents,national,290000,",
            "SE003C,2024,residents,non-eu,290000,",
            &["line 11", "also on line 10"],
        ),
    ];
    for (from, to, parts) in cases {
        let path = dir.path().join("bad.csv");
        std::fs::write(&path, good.replacen(from, to, 1)).unwrap();
        let e = PublishedTable::read_admin_csv(&path, &mapping)
            .unwrap_err()
            .to_string();
        for p in parts {
            assert!(e.contains(p), "expected `{p}` in {e}");
        }
    }
    let e = AdminTableMapping::parse(
        "[admin_table]\ndataset = \"A B\"\ngeo = \"g\"\ntime = \"t\"\nvalue = \"v\"\n",
        "m.toml",
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("m.toml") && e.contains("letters, digits and _"),
        "{e}"
    );
}
