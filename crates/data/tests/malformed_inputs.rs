//! Bad input gets a clear error, nothing is dropped silently, and a failed load changes
//! nothing: more than 30 kinds of malformed input, each checked for its message (file, line,
//! column, value, what was expected) and for an unchanged input store.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use incity_data::ingest::ReadOptions;
use incity_data::inputs::InputStore;
use incity_data::mapping::Mapping;
use incity_synthetic::{write_lfs, write_silc, Population, SyntheticConfig};

struct Fixture {
    _dir: tempfile::TempDir,
    lfs: String,
    silc: [String; 4],
}

/// A small generated EU-LFS file and EU-SILC D, R, H, P files (text).
fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let pop = Population::generate(SyntheticConfig {
            population_scale: 0.001,
            sample_scale: 0.02,
            ..Default::default()
        });
        let dir = tempfile::tempdir().unwrap();
        let lfs = dir.path().join("lfs.csv");
        write_lfs(&pop, 3, &lfs, &|_| {}).unwrap();
        write_silc(&pop, 4, dir.path(), &|_| {}).unwrap();
        let lfs_text: String = std::fs::read_to_string(&lfs)
            .unwrap()
            .lines()
            .take(301)
            .map(|l| format!("{l}\n"))
            .collect();
        let read = |n: &str| std::fs::read_to_string(dir.path().join(n)).unwrap();
        Fixture {
            lfs: lfs_text,
            silc: [
                read("silc_d.csv"),
                read("silc_r.csv"),
                read("silc_h.csv"),
                read("silc_p.csv"),
            ],
            _dir: dir,
        }
    })
}

/// Every file under the store with its SHA-256: the state that must not change.
fn snapshot(root: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.insert(
                    p.strip_prefix(root).unwrap().display().to_string(),
                    incity_data::sha256_file(&p).unwrap(),
                );
            }
        }
    }
    out
}

/// A store holding one clean import of the fixture.
fn store_with_data() -> (tempfile::TempDir, InputStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = InputStore::open(&dir.path().join("inputs")).unwrap();
    let lfs = dir.path().join("good.csv");
    std::fs::write(&lfs, &fixture().lfs).unwrap();
    let (report, parts) = store
        .import(
            &Mapping::load("eu-lfs").unwrap(),
            &[lfs],
            &ReadOptions::default(),
            &mut |_, _| {},
        )
        .unwrap();
    assert!(report.is_clean(), "{:?}", report.rejections.first());
    assert!(!parts.is_empty());
    (dir, store)
}

/// Replaces the value of `column` on data line `line` (2 = first record).
fn set(text: &str, line: usize, column: &str, value: &str) -> String {
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let header: Vec<&str> = lines[0].split(',').collect();
    let k = header
        .iter()
        .position(|h| *h == column)
        .unwrap_or_else(|| panic!("{column}"));
    let mut fields: Vec<String> = lines[line - 1].split(',').map(String::from).collect();
    fields[k] = value.to_string();
    lines[line - 1] = fields.join(",");
    lines.join("\n") + "\n"
}

fn value_at(text: &str, line: usize, column: &str) -> String {
    let header: Vec<&str> = text.lines().next().unwrap().split(',').collect();
    let k = header.iter().position(|h| *h == column).unwrap();
    text.lines()
        .nth(line - 1)
        .unwrap()
        .split(',')
        .nth(k)
        .unwrap()
        .to_string()
}

/// Runs an import of `files` (name, bytes) with `mapping` and returns every message it
/// produced (the error, or the rejections); asserts that the store did not change.
fn import_messages(
    mapping: Result<Mapping, incity_data::DataError>,
    files: &[(&str, Vec<u8>)],
) -> String {
    let (dir, store) = store_with_data();
    let before = snapshot(store.root());
    let paths: Vec<PathBuf> = files
        .iter()
        .map(|(name, bytes)| {
            let p = dir.path().join(name);
            std::fs::write(&p, bytes).unwrap();
            p
        })
        .collect();
    let message = match mapping {
        Err(e) => e.to_string(),
        Ok(mapping) => {
            match store.import(&mapping, &paths, &ReadOptions::default(), &mut |_, _| {}) {
                Err(e) => e.to_string(),
                Ok((report, parts)) => {
                    assert!(
                        !report.is_clean(),
                        "accepted: {files:?}",
                        files = files.iter().map(|f| f.0).collect::<Vec<_>>()
                    );
                    assert!(parts.is_empty());
                    assert_eq!(
                        report.rows_read(),
                        report.rows_accepted() + report.rows_rejected()
                    );
                    report
                        .rejections
                        .iter()
                        .map(|r| r.to_string())
                        .collect::<Vec<_>>()
                        .join("\n")
                }
            }
        }
    };
    assert_eq!(
        before,
        snapshot(store.root()),
        "the store changed after: {message}"
    );
    message
}

fn lfs_case(text: String) -> String {
    import_messages(Mapping::load("eu-lfs"), &[("bad.csv", text.into_bytes())])
}

fn expect(message: &str, parts: &[&str]) {
    for p in parts {
        assert!(message.contains(p), "expected `{p}` in:\n{message}");
    }
}

#[test]
fn wrong_headers_and_file_level_problems() {
    let f = &fixture().lfs;
    // 1. A mapped column is missing from the header.
    let m = lfs_case(f.replacen("COEFFY", "WEIGHT", 1));
    expect(
        &m,
        &["bad.csv", "COEFFY", "weight", "mapping eu-lfs", "WEIGHT"],
    );
    // 2. A column named twice.
    let m = lfs_case(f.replacen("SEX", "AGE", 1));
    expect(&m, &["bad.csv", "line 1", "AGE", "each column named once"]);
    // 3. An empty file.
    let m = lfs_case(String::new());
    expect(&m, &["bad.csv", "line 1", "empty"]);
    // 4. A header without records.
    let m = lfs_case(f.lines().next().unwrap().to_string() + "\n");
    expect(
        &m,
        &["bad.csv", "line 1", "no records", "at least one record"],
    );
    // 5. A record with too few fields.
    let mut lines: Vec<&str> = f.lines().collect();
    lines[6] = "AT,2024,AT11";
    let m = lfs_case(lines.join("\n") + "\n");
    expect(
        &m,
        &["bad.csv, line 7", "record", "fields as in the header"],
    );
    // 6. Not UTF-8.
    let mut bytes = f.clone().into_bytes();
    let at = f.lines().take(9).map(|l| l.len() + 1).sum::<usize>() + 3;
    bytes[at] = 0xff;
    let m = import_messages(Mapping::load("eu-lfs"), &[("bad.csv", bytes)]);
    expect(&m, &["bad.csv", "line 10", "not UTF-8"]);
    // 7. A file type that is not CSV or Parquet.
    let m = import_messages(
        Mapping::load("eu-lfs"),
        &[("data.xlsx", f.clone().into_bytes())],
    );
    expect(
        &m,
        &[
            "data.xlsx",
            "expected a .csv, .parquet, .sas7bdat (SAS), .dta (Stata) or .sav (SPSS) file",
        ],
    );
    // 8. A file that does not exist.
    let (_dir, store) = store_with_data();
    let before = snapshot(store.root());
    let e = store
        .import(
            &Mapping::load("eu-lfs").unwrap(),
            &[PathBuf::from("/nonexistent/lfs.csv")],
            &ReadOptions::default(),
            &mut |_, _| {},
        )
        .unwrap_err()
        .to_string();
    expect(&e, &["/nonexistent/lfs.csv", "no such file"]);
    assert_eq!(before, snapshot(store.root()));
}

#[test]
fn bad_weights_ages_and_codes_are_rejected_with_line_column_value_and_expectation() {
    let f = &fixture().lfs;
    let cases: Vec<(&str, &str, &[&str])> = vec![
        // 9-12. Weights: missing, negative, zero, not a number.
        ("COEFFY", "", &["line 5", "COEFFY", "found ``", "missing"]),
        (
            "COEFFY",
            "-12.5",
            &["line 5", "COEFFY", "`-12.5`", "greater than 0"],
        ),
        (
            "COEFFY",
            "0",
            &["line 5", "COEFFY", "`0`", "greater than 0"],
        ),
        ("COEFFY", "abc", &["line 5", "COEFFY", "`abc`", "a number"]),
        // 13-15. Ages: not a number, too old, negative.
        (
            "AGE",
            "abc",
            &["line 5", "AGE", "`abc`", "whole number from 0 to 120"],
        ),
        ("AGE", "130", &["line 5", "AGE", "`130`", "0 to 120"]),
        ("AGE", "-1", &["line 5", "AGE", "`-1`", "0 to 120"]),
        // 16. `NA` where the mapping says missing values are empty: never guessed.
        ("AGE", "NA", &["line 5", "AGE", "`NA`", "whole number"]),
        // 17. Unknown sex code.
        (
            "SEX",
            "3",
            &["line 5", "SEX", "`3`", "a code of sex (1, 2)"],
        ),
        // 18. Unknown country.
        (
            "COUNTRY",
            "XX",
            &["line 5", "COUNTRY", "`XX`", "European country code"],
        ),
        // 19. Year not a number.
        (
            "YEAR",
            "20x4",
            &["line 5", "YEAR", "`20x4`", "whole number from 1950"],
        ),
        // 20. Not a NUTS code.
        (
            "REGION",
            "ZZ99",
            &["line 5", "REGION", "`ZZ99`", "a NUTS 2021 code"],
        ),
        // 21. A region of another country.
        (
            "REGION",
            "BE10",
            &[
                "line 5",
                "REGION",
                "`BE10`",
                "region of the record's country AT",
            ],
        ),
        // 22. Unknown degree of urbanisation.
        (
            "DEGURBA",
            "4",
            &["line 5", "DEGURBA", "`4`", "one of 1, 2, 3"],
        ),
        // 23. A malformed city code.
        (
            "CITY",
            "Vienna",
            &["line 5", "CITY", "`Vienna`", "city code like AT001C"],
        ),
        // 24. A city of another country.
        (
            "CITY",
            "BE001C",
            &[
                "line 5",
                "CITY",
                "`BE001C`",
                "city of the record's country AT",
            ],
        ),
        // 25. A malformed country of birth.
        (
            "COUNTRYB",
            "tr",
            &["line 5", "COUNTRYB", "`tr`", "two-letter country code"],
        ),
        // 26. A malformed citizenship.
        (
            "CITIZENSHIP",
            "123",
            &["line 5", "CITIZENSHIP", "`123`", "two-letter country code"],
        ),
        // 27. Unknown ILO status.
        (
            "ILOSTAT",
            "7",
            &["line 5", "ILOSTAT", "`7`", "a code of ilo_status"],
        ),
        // 28. Unknown status in employment.
        (
            "STAPRO",
            "9",
            &["line 5", "STAPRO", "`9`", "a code of employment_status"],
        ),
        // 29. Occupation outside the ISCO major groups.
        (
            "ISCO08_1D",
            "X",
            &["line 5", "ISCO08_1D", "`X`", "one of 0, 1, 2"],
        ),
        // 30. Unknown education code.
        (
            "HATLEV",
            "250",
            &["line 5", "HATLEV", "`250`", "a code of education_level"],
        ),
        // 31. Unknown education-and-training code.
        (
            "EDUCFED4",
            "3",
            &["line 5", "EDUCFED4", "`3`", "a code of formal_education_4w"],
        ),
        // 32. Negative years of residence.
        (
            "YEARESID",
            "-2",
            &["line 5", "YEARESID", "`-2`", "whole number from 0"],
        ),
    ];
    for (column, value, parts) in cases {
        let m = lfs_case(set(f, 5, column, value));
        expect(&m, parts);
        expect(&m, &["bad.csv"]);
    }
    // 33. Years of residence longer than the age.
    let age = value_at(f, 5, "AGE");
    let m = lfs_case(set(
        f,
        5,
        "YEARESID",
        &(age.parse::<u32>().unwrap() + 3).to_string(),
    ));
    expect(
        &m,
        &[
            "bad.csv, line 5",
            "YEARESID",
            &format!("at most the age ({age})"),
        ],
    );
    // 34. A NUTS 2016 code no longer valid in NUTS 2021 (Croatia's regions were redrawn).
    let hr = set(&set(f, 5, "COUNTRY", "HR"), 5, "REGION", "HR04");
    let hr = set(&set(&hr, 5, "CITY", ""), 5, "STRATUM", "x");
    let m = lfs_case(hr);
    expect(
        &m,
        &["line 5", "REGION", "`HR04`", "this code is NUTS 2016"],
    );
}

#[test]
fn duplicated_persons_and_inconsistent_households_are_rejected() {
    let f = &fixture().lfs;
    // 35. The same person twice.
    let mut lines: Vec<&str> = f.lines().collect();
    let dup = lines[3];
    lines.push(dup);
    let n = lines.len();
    let m = lfs_case(lines.join("\n") + "\n");
    expect(
        &m,
        &[
            &format!("bad.csv, line {n}"),
            "HHNUM+HHSEQNUM",
            "person id not already used",
            "first at",
            "line 4",
        ],
    );
    // 36-37. Members of one household that disagree on the household's region or stratum.
    let hh = value_at(f, 2, "HHNUM");
    assert_eq!(
        hh,
        value_at(f, 3, "HHNUM"),
        "fixture: lines 2 and 3 share a household"
    );
    let m = lfs_case(set(f, 3, "REGION", "AT12"));
    expect(
        &m,
        &[
            "bad.csv, line 3",
            "region",
            "AT12",
            &format!("household {hh}"),
            "line 2",
        ],
    );
    let m = lfs_case(set(f, 3, "STRATUM", "AT11-9"));
    expect(
        &m,
        &["bad.csv, line 3", "stratum", &format!("household {hh}")],
    );
}

#[test]
fn mapping_files_are_validated_before_any_data_is_read() {
    let base = incity_data::mapping::BUILTIN[0].1;
    // 38. TOML syntax error: line and column.
    let e = Mapping::parse(&base.replacen("[columns]", "[columns\n", 1), "my.toml")
        .unwrap_err()
        .to_string();
    expect(&e, &["my.toml", "line", "column"]);
    // 39. Unknown concept.
    let e = Mapping::parse(
        &base.replacen("[columns]", "[columns]\nreligion = \"REL\"", 1),
        "my.toml",
    )
    .unwrap_err()
    .to_string();
    expect(&e, &["my.toml", "`religion` is not a harmonised concept"]);
    // 40. A required concept is missing.
    let e = Mapping::parse(&base.replacen("weight = \"COEFFY\"\n", "", 1), "my.toml")
        .unwrap_err()
        .to_string();
    expect(&e, &["my.toml", "required concept `weight`"]);
    // 41. A code mapped to something that is not a harmonised code.
    let e = Mapping::parse(
        &base.replacen("\"1\" = \"M\"", "\"1\" = \"male\"", 1),
        "my.toml",
    )
    .unwrap_err()
    .to_string();
    expect(
        &e,
        &["my.toml", "[codes.sex] \"1\" = \"male\"", "one of M, F"],
    );
    // 42. A mapping that is neither shipped nor a file.
    let e = Mapping::load("no-such-mapping").unwrap_err().to_string();
    expect(
        &e,
        &[
            "no-such-mapping",
            "eu-lfs, eu-silc, eu-silc-ph, eu-silc-2020, laeken-eusilc",
        ],
    );
    // And a failing mapping leaves the store as it was.
    let m = import_messages(
        Mapping::parse("not toml", "x.toml"),
        &[("a.csv", fixture().lfs.clone().into_bytes())],
    );
    expect(&m, &["x.toml"]);
}

fn silc_case(d: &str, r: &str, h: &str, p: &str) -> String {
    import_messages(
        Mapping::load("eu-silc"),
        &[
            ("d.csv", d.as_bytes().to_vec()),
            ("r.csv", r.as_bytes().to_vec()),
            ("h.csv", h.as_bytes().to_vec()),
            ("p.csv", p.as_bytes().to_vec()),
        ],
    )
}

#[test]
fn eu_silc_files_must_fit_together() {
    let [d, r, h, p] = &fixture().silc;
    // The unchanged files are accepted.
    let (dir, store) = store_with_data();
    let files: Vec<PathBuf> = [("d.csv", d), ("r.csv", r), ("h.csv", h), ("p.csv", p)]
        .iter()
        .map(|(n, t)| {
            let path = dir.path().join(n);
            std::fs::write(&path, t).unwrap();
            path
        })
        .collect();
    let (report, _) = store
        .import(
            &Mapping::load("eu-silc").unwrap(),
            &files,
            &ReadOptions::default(),
            &mut |_, _| {},
        )
        .unwrap();
    assert!(report.is_clean(), "{}", report.rejections[0]);
    // 43. A person whose household is not in the D file.
    let r_bad = set(r, 4, "RB040", "999");
    let m = silc_case(d, &r_bad, h, p);
    expect(
        &m,
        &[
            "r.csv, line 4",
            "RB040",
            "`999`",
            "a household of the D file",
        ],
    );
    // 44. A P record without its person in R.
    let p_bad = set(p, 3, "PB030", "12345");
    let m = silc_case(d, r, h, &p_bad);
    expect(
        &m,
        &[
            "p.csv, line 3",
            "PB030",
            "`12345`",
            "a person of the R file",
        ],
    );
    // 45. The same household twice in D.
    let mut lines: Vec<&str> = d.lines().collect();
    lines.push(lines[2]);
    let n = lines.len();
    let m = silc_case(&(lines.join("\n") + "\n"), r, h, p);
    expect(
        &m,
        &[
            &format!("d.csv, line {n}"),
            "DB030",
            "not already used",
            "first on line 3",
        ],
    );
    // 46. A P person living in another household than in R.
    let other = value_at(d, 5, "DB030");
    let p_moved = set(p, 2, "PX030", &other);
    let m = silc_case(d, r, h, &p_moved);
    expect(
        &m,
        &[
            "p.csv, line 2",
            "PX030",
            &format!("`{other}`"),
            "the household of person",
        ],
    );
    // 47. An H household that is not in D.
    let h_bad = set(h, 3, "HB030", "4242");
    let m = silc_case(d, r, &h_bad, p);
    expect(
        &m,
        &[
            "h.csv, line 3",
            "HB030",
            "`4242`",
            "a household of the D file",
        ],
    );
    // 48. Without the D file.
    let m = import_messages(
        Mapping::load("eu-silc"),
        &[("r.csv", r.clone().into_bytes())],
    );
    expect(&m, &["D file is required", "DB030"]);
    // 49. A file that is none of D, R, H, P.
    let m = import_messages(
        Mapping::load("eu-silc"),
        &[("x.csv", fixture().lfs.clone().into_bytes())],
    );
    expect(&m, &["x.csv", "line 1", "EU-SILC D, R, H or P file"]);
    // 50. An unknown code in a joined file is reported at that file's line.
    let p_code = set(p, 6, "PB210", "XYZ");
    let m = silc_case(d, r, h, &p_code);
    expect(
        &m,
        &[
            "p.csv, line 6",
            "PB210",
            "`XYZ`",
            "a code of country_of_birth (EU, LOC, OTH)",
        ],
    );
}

#[test]
fn parquet_rows_are_named_in_errors() {
    use datafusion::arrow::array::{ArrayRef, StringArray};
    use datafusion::arrow::datatypes::{DataType, Field, Schema};
    use datafusion::arrow::record_batch::RecordBatch;
    use datafusion::parquet::arrow::ArrowWriter;
    use std::sync::Arc;
    // 51. A bad value in a Parquet file: the row number is given.
    let text = set(&fixture().lfs, 8, "AGE", "old");
    let lines: Vec<Vec<&str>> = text.lines().map(|l| l.split(',').collect()).collect();
    let schema = Arc::new(Schema::new(
        lines[0]
            .iter()
            .map(|h| Field::new(*h, DataType::Utf8, true))
            .collect::<Vec<_>>(),
    ));
    let columns: Vec<ArrayRef> = (0..lines[0].len())
        .map(|k| {
            Arc::new(StringArray::from(
                lines[1..].iter().map(|l| Some(l[k])).collect::<Vec<_>>(),
            )) as ArrayRef
        })
        .collect();
    let batch = RecordBatch::try_new(schema.clone(), columns).unwrap();
    let mut bytes = Vec::new();
    let mut w = ArrowWriter::try_new(&mut bytes, schema, None).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
    let m = import_messages(Mapping::load("eu-lfs"), &[("bad.parquet", bytes)]);
    expect(&m, &["bad.parquet, row 7", "AGE", "`old`", "whole number"]);
}

/// Found by fuzzing (`fuzz/fuzz_targets/microdata_parquet.rs`): a Parquet file whose embedded
/// Arrow schema (optional writer metadata) is a malformed flatbuffer made the Arrow IPC decoder
/// panic ("Type NONE not supported") and so aborted `incity validate` and `import`. The file
/// is now read by its Parquet schema; this one's data pages are corrupt too, which is an
/// error naming the file.
#[test]
fn a_parquet_file_with_a_malformed_embedded_arrow_schema_gives_an_error_not_an_abort() {
    use incity_data::ingest::{read_microdata, Discard};
    let file = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/fuzz/malformed-arrow-schema.parquet"
    ));
    let result = read_microdata(
        &Mapping::load("eu-lfs").unwrap(),
        std::slice::from_ref(&file),
        &ReadOptions::default(),
        &mut Discard,
        &mut |_, _| {},
    );
    match result {
        Err(incity_data::DataError::Unreadable {
            file: named,
            reason,
        }) => {
            assert_eq!(named, file);
            assert!(reason.contains("corrupt"), "{reason}");
        }
        other => panic!("expected an unreadable file, got {other:?}"),
    }
}

/// Found by fuzzing: a Parquet file whose column chunk metadata gives a negative start makes
/// the parquet crate panic ("column start and length should not be negative") while it reads
/// the records; the reader's steps run under a guard that turns the panic into an error
/// naming the file.
#[test]
fn a_parquet_file_whose_decoder_panics_gives_an_error_naming_the_file() {
    use incity_data::ingest::{read_microdata, Discard};
    let file = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/fuzz/negative-column-start.parquet"
    ));
    let result = read_microdata(
        &Mapping::load("eu-lfs").unwrap(),
        std::slice::from_ref(&file),
        &ReadOptions::default(),
        &mut Discard,
        &mut |_, _| {},
    );
    match result {
        Err(incity_data::DataError::Unreadable {
            file: named,
            reason,
        }) => {
            assert_eq!(named, file);
            assert!(
                reason.starts_with("not a readable Parquet file"),
                "{reason}"
            );
        }
        other => panic!("expected an unreadable file, got {other:?}"),
    }
}
