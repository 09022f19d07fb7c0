//! The readers and the shipped mappings load the files the generator writes (EU-LFS, the four
//! EU-SILC files, as CSV and as Parquet) and laeken-style EU-SILC extracts, and what they store
//! is what the files say.

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use incity_data::ingest::ReadOptions;
use incity_data::inputs::InputStore;
use incity_data::mapping::Mapping;
use incity_reference::geography::is_eu27;
use incity_synthetic::{write_lfs, write_silc, Population, SyntheticConfig};
use support::{import, stored};

struct Generated {
    dir: tempfile::TempDir,
}

impl Generated {
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
    fn silc(&self) -> Vec<PathBuf> {
        ["silc_d.csv", "silc_r.csv", "silc_h.csv", "silc_p.csv"]
            .iter()
            .map(|n| self.path(n))
            .collect()
    }
}

fn generated() -> &'static Generated {
    static G: OnceLock<Generated> = OnceLock::new();
    G.get_or_init(|| {
        let pop = Population::generate(SyntheticConfig {
            population_scale: 0.002,
            sample_scale: 0.05,
            ..Default::default()
        });
        let dir = tempfile::tempdir().unwrap();
        write_lfs(&pop, 11, &dir.path().join("lfs.csv"), &|_| {}).unwrap();
        write_silc(&pop, 12, dir.path(), &|_| {}).unwrap();
        Generated { dir }
    })
}

fn csv_rows(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_path(path).unwrap();
    let header = r.headers().unwrap().iter().map(String::from).collect();
    let rows = r
        .records()
        .map(|x| x.unwrap().iter().map(String::from).collect())
        .collect();
    (header, rows)
}

#[test]
fn generated_eu_lfs_loads_with_every_value_harmonised() {
    let g = generated();
    let (_d, store) = import(&Mapping::load("eu-lfs").unwrap(), &[g.path("lfs.csv")]);
    let (header, rows) = csv_rows(&g.path("lfs.csv"));
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let s = stored(&store, "lfs");
    assert_eq!(s["country"].len(), rows.len());
    // Rows are stored per (country, year) partition in file order within each; index them.
    let mut by_person: BTreeMap<String, usize> = BTreeMap::new();
    for (i, id) in s["person_id"].iter().enumerate() {
        by_person.insert(id.clone().unwrap(), i);
    }
    let mut native = 0;
    for r in &rows {
        let i = by_person[&format!("{}/{}", r[col("HHNUM")], r[col("HHSEQNUM")])];
        let country = &r[col("COUNTRY")];
        assert_eq!(s["country"][i].as_deref(), Some(country.as_str()));
        assert_eq!(
            s["weight"][i].as_deref().unwrap().parse::<f64>().unwrap(),
            r[col("COEFFY")].parse::<f64>().unwrap()
        );
        assert_eq!(
            s["sex"][i].as_deref(),
            Some(if r[col("SEX")] == "1" { "M" } else { "F" })
        );
        assert_eq!(s["region"][i].as_deref(), Some(r[col("REGION")].as_str()));
        assert_eq!(s["nuts1"][i].as_deref(), Some(&r[col("REGION")][..3]));
        // Group by country of birth, from the EU27 list, independently of the reader.
        let cob = &r[col("COUNTRYB")];
        let expected = if cob == country {
            native += 1;
            "native"
        } else if is_eu27(cob) {
            "eu_born"
        } else {
            "non_eu_born"
        };
        assert_eq!(s["birth_group"][i].as_deref(), Some(expected));
        // Residence duration only for the foreign-born, education groups by ISCED level.
        let yr = &r[col("YEARESID")];
        if expected != "native" {
            let y: u32 = yr.parse().unwrap();
            let d = if y < 5 {
                "recent_migrants"
            } else if y < 10 {
                "settled_migrants"
            } else {
                "long_settled_migrants"
            };
            assert_eq!(s["residence_duration"][i].as_deref(), Some(d));
        } else {
            assert_eq!(s["residence_duration"][i], None);
        }
        let hat: u32 = r[col("HATLEV")].parse().unwrap();
        let edu = if hat <= 200 {
            "low"
        } else if hat < 500 {
            "medium"
        } else {
            "high"
        };
        assert_eq!(s["education"][i].as_deref(), Some(edu));
        // Missing values stay missing: STAPRO only for the employed.
        assert_eq!(
            s["employment_status"][i].is_some(),
            !r[col("STAPRO")].is_empty()
        );
    }
    assert!(native > rows.len() / 2);
}

#[test]
fn generated_eu_silc_udb_files_load_joined() {
    let g = generated();
    let (_d, store) = import(&Mapping::load("eu-silc").unwrap(), &g.silc());
    let s = stored(&store, "silc");
    let (rh, r_rows) = csv_rows(&g.path("silc_r.csv"));
    let (ph, p_rows) = csv_rows(&g.path("silc_p.csv"));
    let (hh, h_rows) = csv_rows(&g.path("silc_h.csv"));
    assert_eq!(
        s["person_id"].len(),
        r_rows.len(),
        "one row per person of the R file"
    );
    let idx = |h: &[String], n: &str| h.iter().position(|x| x == n).unwrap();
    let income: BTreeMap<&str, &str> = h_rows
        .iter()
        .map(|r| (r[idx(&hh, "HB030")].as_str(), r[idx(&hh, "HX090")].as_str()))
        .collect();
    let p_by: BTreeMap<&str, &Vec<String>> = p_rows
        .iter()
        .map(|r| (r[idx(&ph, "PB030")].as_str(), r))
        .collect();
    let mut pos: BTreeMap<String, usize> = BTreeMap::new();
    for (i, id) in s["person_id"].iter().enumerate() {
        pos.insert(id.clone().unwrap(), i);
    }
    for r in &r_rows {
        let id = &r[idx(&rh, "RB030")];
        let i = pos[id];
        let hid = &r[idx(&rh, "RB040")];
        assert_eq!(s["household_id"][i].as_deref(), Some(hid.as_str()));
        // Household income from H, for every member.
        assert_eq!(
            s["equivalised_income"][i]
                .as_deref()
                .unwrap()
                .parse::<f64>()
                .unwrap(),
            income[hid.as_str()].parse::<f64>().unwrap()
        );
        // P variables for persons 16+ only.
        match p_by.get(id.as_str()) {
            Some(p) => {
                let expected = match p[idx(&ph, "PB210")].as_str() {
                    "LOC" => "native",
                    "EU" => "eu_born",
                    _ => "non_eu_born",
                };
                assert_eq!(s["birth_group"][i].as_deref(), Some(expected));
                assert!(s["personal_weight"][i].is_some());
                assert!(r[idx(&rh, "RX010")].parse::<u32>().unwrap() >= 16);
            }
            None => {
                assert_eq!(s["birth_group"][i], None);
                assert_eq!(s["personal_weight"][i], None);
            }
        }
    }
    // Without the H and P files the load still works, and says what is unavailable.
    let dir = tempfile::tempdir().unwrap();
    let store2 = InputStore::open(dir.path()).unwrap();
    let (report, _) = store2
        .import(
            &Mapping::load("eu-silc").unwrap(),
            &g.silc()[..2],
            &ReadOptions::default(),
            &mut |_, _| {},
        )
        .unwrap();
    assert!(report.is_clean());
    for c in ["equivalised_income", "tenure", "country_of_birth", "health"] {
        assert!(
            report.unavailable_concepts.iter().any(|u| u == c),
            "{c}: {:?}",
            report.unavailable_concepts
        );
    }
}

/// A laeken-style extract (one row per person, lower-case names, regions by name, NA for
/// missing) written from the generated Austrian EU-SILC files loads through the shipped
/// `laeken-eusilc` mapping and agrees with the user-database load of the same persons.
#[test]
fn laeken_style_extract_agrees_with_the_udb_load() {
    let g = generated();
    let read = |n: &str| csv_rows(&g.path(n));
    let ((dh, d), (rh, r), (hh, h), (ph, p)) = (
        read("silc_d.csv"),
        read("silc_r.csv"),
        read("silc_h.csv"),
        read("silc_p.csv"),
    );
    let i = |h: &[String], n: &str| h.iter().position(|x| x == n).unwrap();
    let region_name: BTreeMap<&str, &str> = [
        ("AT11", "Burgenland"),
        ("AT12", "Lower Austria"),
        ("AT13", "Vienna"),
        ("AT21", "Carinthia"),
        ("AT22", "Styria"),
        ("AT31", "Upper Austria"),
        ("AT32", "Salzburg"),
        ("AT33", "Tyrol"),
        ("AT34", "Vorarlberg"),
    ]
    .into_iter()
    .collect();
    let region: BTreeMap<&str, &str> = d
        .iter()
        .map(|x| (x[i(&dh, "DB030")].as_str(), x[i(&dh, "DB040")].as_str()))
        .collect();
    let income: BTreeMap<&str, &str> = h
        .iter()
        .map(|x| (x[i(&hh, "HB030")].as_str(), x[i(&hh, "HX090")].as_str()))
        .collect();
    let person: BTreeMap<&str, &Vec<String>> =
        p.iter().map(|x| (x[i(&ph, "PB030")].as_str(), x)).collect();
    let dir = tempfile::tempdir().unwrap();
    let extract = dir.path().join("eusilc.csv");
    let mut w = csv::Writer::from_path(&extract).unwrap();
    w.write_record([
        "db030", "hsize", "db040", "rb030", "age", "rb090", "pl030", "pb220a", "eqIncome", "db090",
        "rb050",
    ])
    .unwrap();
    let mut austrian = 0;
    for x in r.iter().filter(|x| x[i(&rh, "RB020")] == "AT") {
        austrian += 1;
        let hid = x[i(&rh, "RB040")].as_str();
        let pid = x[i(&rh, "RB030")].as_str();
        let (pl030, pb220a) = match person.get(pid) {
            Some(pr) => (
                // PL032 -> PL030 where the codes correspond.
                match pr[i(&ph, "PL032")].as_str() {
                    "1" => "1",
                    "2" => "3",
                    "3" => "5",
                    "4" => "6",
                    "5" => "4",
                    "6" => "7",
                    _ => "NA",
                },
                match pr[i(&ph, "PB220A")].as_str() {
                    "LOC" => "AT",
                    "EU" => "EU",
                    _ => "Other",
                },
            ),
            None => ("NA", "NA"),
        };
        let weight = &x[i(&rh, "RB050")];
        w.write_record([
            hid,
            "1",
            region_name[region[hid]],
            pid,
            &x[i(&rh, "RX010")],
            if x[i(&rh, "RB090")] == "1" {
                "male"
            } else {
                "female"
            },
            pl030,
            pb220a,
            income[hid],
            weight,
            weight,
        ])
        .unwrap();
    }
    w.flush().unwrap();
    assert!(austrian > 100);
    // The shipped mapping says the extract is of 2006 (laeken's data); a city's own copy of the
    // mapping file changes the constant.
    let text = incity_data::mapping::BUILTIN
        .iter()
        .find(|(n, _)| *n == "laeken-eusilc")
        .unwrap()
        .1;
    let mapping = Mapping::parse(
        &text.replace("year = \"2006\"", "year = \"2024\""),
        "my-laeken.toml",
    )
    .unwrap();
    let (_a, laeken_store) = import(&mapping, &[extract]);
    let (_b, udb_store) = import(&Mapping::load("eu-silc").unwrap(), &g.silc());
    let l = stored(&laeken_store, "silc");
    let u = stored(&udb_store, "silc");
    let upos: BTreeMap<&str, usize> = u["person_id"]
        .iter()
        .enumerate()
        .map(|(k, v)| (v.as_deref().unwrap(), k))
        .collect();
    assert_eq!(l["person_id"].len(), austrian);
    for k in 0..l["person_id"].len() {
        let j = upos[l["person_id"][k].as_deref().unwrap()];
        for c in [
            "country",
            "year",
            "region",
            "household_id",
            "weight",
            "sex",
            "age",
            "citizenship_group",
            "equivalised_income",
            "nuts2",
        ] {
            assert_eq!(l[c][k], u[c][j], "{c} of person {:?}", l["person_id"][k]);
        }
        if l["economic_status"][k].is_some() {
            assert_eq!(l["economic_status"][k], u["economic_status"][j]);
        }
    }
}

/// The same EU-LFS records as Parquet give exactly the harmonised rows of the CSV.
#[test]
fn parquet_input_equals_csv_input() {
    use datafusion::arrow::csv::ReaderBuilder;
    use datafusion::arrow::datatypes::{DataType, Field, Schema};
    use datafusion::parquet::arrow::ArrowWriter;
    use std::sync::Arc;
    let g = generated();
    let csv_path = g.path("lfs.csv");
    let header: Vec<String> = csv_rows(&csv_path).0;
    let schema = Arc::new(Schema::new(
        header
            .iter()
            .map(|h| Field::new(h, DataType::Utf8, true))
            .collect::<Vec<_>>(),
    ));
    let reader = ReaderBuilder::new(schema.clone())
        .with_header(true)
        .build(std::fs::File::open(&csv_path).unwrap())
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let pq = dir.path().join("lfs.parquet");
    let mut w = ArrowWriter::try_new(std::fs::File::create(&pq).unwrap(), schema, None).unwrap();
    for b in reader {
        w.write(&b.unwrap()).unwrap();
    }
    w.close().unwrap();
    let mapping = Mapping::load("eu-lfs").unwrap();
    let (_a, from_csv) = import(&mapping, &[csv_path]);
    let (_b, from_parquet) = import(&mapping, &[pq]);
    assert_eq!(stored(&from_csv, "lfs"), stored(&from_parquet, "lfs"));
}

/// The real `eusilc` data set of the R package laeken (written by R itself) loads through the
/// shipped mapping; counts by region and citizenship equal R's own tables.
#[test]
fn r_laeken_eusilc_loads_through_the_shipped_mapping() {
    let dir = tempfile::tempdir().unwrap();
    let csv_path = dir.path().join("eusilc.csv");
    let tables = dir.path().join("tables.csv");
    let script = format!(
        "suppressMessages(library(laeken)); data(eusilc); \
         write.csv(eusilc, '{}', row.names = FALSE, na = 'NA'); \
         t <- as.data.frame(table(eusilc$db040, useNA = 'no')); \
         write.csv(t, '{}', row.names = FALSE)",
        csv_path.display(),
        tables.display()
    );
    let status = std::process::Command::new("Rscript")
        .arg("-e")
        .arg(&script)
        .status()
        .expect(
            "Rscript is needed for this reference check: run scripts/install-test-dependencies.sh",
        );
    assert!(
        status.success(),
        "R failed: is r-cran-laeken installed? (scripts/install-test-dependencies.sh)"
    );
    let (_d, store) = import(&Mapping::load("laeken-eusilc").unwrap(), &[csv_path]);
    let s = stored(&store, "silc");
    assert_eq!(s["person_id"].len(), 14_827);
    let names: BTreeMap<&str, &str> = [
        ("Burgenland", "AT11"),
        ("Lower Austria", "AT12"),
        ("Vienna", "AT13"),
        ("Carinthia", "AT21"),
        ("Styria", "AT22"),
        ("Upper Austria", "AT31"),
        ("Salzburg", "AT32"),
        ("Tyrol", "AT33"),
        ("Vorarlberg", "AT34"),
    ]
    .into_iter()
    .collect();
    let (_, r_table) = csv_rows(&tables);
    for row in r_table {
        let code = names[row[0].as_str()];
        let n = s["region"]
            .iter()
            .filter(|r| r.as_deref() == Some(code))
            .count();
        assert_eq!(n.to_string(), row[1], "{}", row[0]);
    }
    // Citizenship: R's table(pb220a) is AT 11073, EU 283, Other 751, NA 2720 (printed by R
    // for laeken 0.5.2; checked again here from the loaded rows).
    let count = |g: Option<&str>| {
        s["citizenship_group"]
            .iter()
            .filter(|v| v.as_deref() == g)
            .count()
    };
    assert_eq!(count(Some("nationals")), 11_073);
    assert_eq!(count(Some("eu_citizens")), 283);
    assert_eq!(count(Some("non_eu_citizens")), 751);
    assert_eq!(count(None), 2_720);
}

/// Files of 2020 and before carry PL031 instead of PL032: the shipped `eu-silc-2020` mapping
/// reads them, and the economic status agrees with the PL032 load where the codes correspond.
#[test]
fn eu_silc_files_before_2021_load_with_pl031() {
    let g = generated();
    let (ph, p_rows) = csv_rows(&g.path("silc_p.csv"));
    let col = ph.iter().position(|h| h == "PL032").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let old_p = dir.path().join("silc_p_2020.csv");
    let mut w = csv::Writer::from_path(&old_p).unwrap();
    let header: Vec<&str> = ph
        .iter()
        .map(|h| if h == "PL032" { "PL031" } else { h.as_str() })
        .collect();
    w.write_record(&header).unwrap();
    for r in &p_rows {
        // PL032 -> PL031: employed -> employee full-time (1), unemployed 5, retired 7,
        // disabled 8, student 6, domestic 10, military 9, other 11.
        let pl031 = match r[col].as_str() {
            "1" => "1",
            "2" => "5",
            "3" => "7",
            "4" => "8",
            "5" => "6",
            "6" => "10",
            "7" => "9",
            "8" => "11",
            other => other,
        };
        let mut out: Vec<&str> = r.iter().map(|s| s.as_str()).collect();
        out[col] = pl031;
        w.write_record(&out).unwrap();
    }
    w.flush().unwrap();
    let mut files = g.silc();
    files[3] = old_p;
    let (_a, old) = import(&Mapping::load("eu-silc-2020").unwrap(), &files);
    let (_b, new) = import(&Mapping::load("eu-silc").unwrap(), &g.silc());
    let (o, n) = (stored(&old, "silc"), stored(&new, "silc"));
    assert_eq!(o["economic_status"], n["economic_status"]);
    assert_eq!(o["age_band"], n["age_band"]);
    assert!(o["economic_status"]
        .iter()
        .any(|v| v.as_deref() == Some("retired")));
}

/// Writes `rows` under `header` as a CSV file.
fn write_csv(path: &Path, header: &[String], rows: &[Vec<String>]) {
    let mut text = header.join(",");
    text.push('\n');
    for r in rows {
        text.push_str(&r.join(","));
        text.push('\n');
    }
    std::fs::write(path, text).unwrap();
}

/// The P and H files alone (as some public-use extracts are delivered) load through the
/// shipped `eu-silc-ph` mapping with no pre-processing: one row per person of P, the age
/// derived from the years and months of interview and birth equal to the R file's RX010, the
/// equivalised income derived as HY020 / HX050 where HX090 is blank, no region or design
/// variables, and the report says what the layout cannot give.
#[test]
fn eu_silc_p_and_h_alone_load_with_derived_age_and_income() {
    let g = generated();
    let dir = tempfile::tempdir().unwrap();
    let idx = |h: &[String], n: &str| h.iter().position(|x| x == n).unwrap();
    // A public-use H file without the derived variable in every other household.
    let (hh, mut h_rows) = csv_rows(&g.path("silc_h.csv"));
    let hx090: BTreeMap<String, f64> = h_rows
        .iter()
        .map(|r| {
            (
                r[idx(&hh, "HB030")].clone(),
                r[idx(&hh, "HX090")].parse().unwrap(),
            )
        })
        .collect();
    for r in h_rows.iter_mut().step_by(2) {
        r[idx(&hh, "HX090")] = String::new();
    }
    let h_path = dir.path().join("puf_h.csv");
    write_csv(&h_path, &hh, &h_rows);
    let store = InputStore::open(&dir.path().join("inputs")).unwrap();
    let files = vec![g.path("silc_p.csv"), h_path.clone()];
    let mapping = Mapping::load("eu-silc-ph").unwrap();
    let (report, _) = store
        .import(&mapping, &files, &ReadOptions::default(), &mut |_, _| {})
        .unwrap();
    assert!(report.is_clean(), "{}", report.rejections[0]);
    assert!(
        report
            .notes
            .iter()
            .any(|n| n.contains("persons aged 16 and over only")
                && n.contains("national figures only")
                && n.contains("households are the PSUs")),
        "{:?}",
        report.notes
    );
    let s = stored(&store, "silc");
    let (ph, p_rows) = csv_rows(&g.path("silc_p.csv"));
    assert_eq!(
        s["person_id"].len(),
        p_rows.len(),
        "one row per person of P"
    );
    let (rh, r_rows) = csv_rows(&g.path("silc_r.csv"));
    let rx010: BTreeMap<&str, &str> = r_rows
        .iter()
        .map(|r| (r[idx(&rh, "RB030")].as_str(), r[idx(&rh, "RX010")].as_str()))
        .collect();
    let mut blank_checked = 0;
    for (i, id) in s["person_id"].iter().enumerate() {
        let id = id.as_deref().unwrap();
        assert_eq!(
            s["age"][i].as_deref(),
            Some(rx010[id]),
            "age of person {id}"
        );
        let household = s["household_id"][i].as_deref().unwrap();
        let income: f64 = s["equivalised_income"][i]
            .as_deref()
            .unwrap()
            .parse()
            .unwrap();
        // HY020 is rounded to the cent: the derived value is HX090 to within a cent.
        assert!((income - hx090[household]).abs() < 0.01, "{id}: {income}");
        blank_checked += usize::from(income != hx090[household]);
        assert_eq!(s["region"][i], None);
        assert_eq!(s["stratum"][i], None);
    }
    assert!(blank_checked > 0, "some incomes were derived, not read");
    assert_eq!(p_rows.len(), s["sex"].iter().flatten().count());
    let _ = ph;

    // A missing operand and a division by zero are rejections naming the record, never a
    // silent null; nothing is stored.
    let (ph, mut p_bad) = csv_rows(&g.path("silc_p.csv"));
    p_bad[2][idx(&ph, "PB140")] = String::new();
    let p_path = dir.path().join("puf_p.csv");
    write_csv(&p_path, &ph, &p_bad);
    let mut h_bad = h_rows.clone();
    h_bad[0][idx(&hh, "HX050")] = "0".into();
    let h_bad_path = dir.path().join("puf_h_bad.csv");
    write_csv(&h_bad_path, &hh, &h_bad);
    let store = InputStore::open(&dir.path().join("inputs2")).unwrap();
    let (report, parts) = store
        .import(
            &mapping,
            &[p_path.clone(), h_bad_path.clone()],
            &ReadOptions::default(),
            &mut |_, _| {},
        )
        .unwrap();
    assert!(parts.is_empty());
    let text: Vec<String> = report.rejections.iter().map(|r| r.to_string()).collect();
    let age = text
        .iter()
        .find(|t| t.contains("PB140 (in age = PB110 - PB140"))
        .unwrap_or_else(|| panic!("{text:#?}"));
    assert!(
        age.contains("puf_p.csv") && age.contains("line 4,"),
        "{age}"
    );
    let zero = text
        .iter()
        .find(|t| t.contains("HX050") && t.contains("divisor other than 0"))
        .unwrap_or_else(|| panic!("{text:#?}"));
    assert!(
        zero.contains("puf_h_bad.csv") && zero.contains("line 2,"),
        "{zero}"
    );
}

/// Children are linked to the parents they live with through the R file's father and mother
/// ids (`RB220>PB210` in the shipped mapping): each child gets the parents' countries of
/// birth from their P records, and its group by them.
#[test]
fn children_get_their_resident_parents_country_of_birth_through_the_r_file_links() {
    let g = generated();
    let (_d, store) = import(&Mapping::load("eu-silc").unwrap(), &g.silc());
    let s = stored(&store, "silc");
    let idx = |h: &[String], n: &str| h.iter().position(|x| x == n).unwrap();
    let (rh, r_rows) = csv_rows(&g.path("silc_r.csv"));
    let (ph, p_rows) = csv_rows(&g.path("silc_p.csv"));
    let born: BTreeMap<&str, &str> = p_rows
        .iter()
        .map(|r| (r[idx(&ph, "PB030")].as_str(), r[idx(&ph, "PB210")].as_str()))
        .collect();
    let harmonised = |code: &str| match code {
        "LOC" => "@home",
        "EU" => "@eu",
        _ => "@non_eu",
    };
    let pos: BTreeMap<String, usize> = s["person_id"]
        .iter()
        .enumerate()
        .map(|(i, id)| (id.clone().unwrap(), i))
        .collect();
    let mut children = 0;
    for r in &r_rows {
        let i = pos[&r[idx(&rh, "RB030")]];
        let father = &r[idx(&rh, "RB220")];
        let expected = (!father.is_empty()).then(|| harmonised(born[father.as_str()]));
        assert_eq!(
            s["resident_father_country_of_birth"][i].as_deref(),
            expected
        );
        let mother = &r[idx(&rh, "RB230")];
        let expected_m = (!mother.is_empty()).then(|| harmonised(born[mother.as_str()]));
        assert_eq!(
            s["resident_mother_country_of_birth"][i].as_deref(),
            expected_m
        );
        let age: u32 = r[idx(&rh, "RX010")].parse().unwrap();
        let group = s["children_parents_birth"][i].as_deref();
        if age < 18 && (expected.is_some() || expected_m.is_some()) {
            children += 1;
            let parents: Vec<&str> = [expected, expected_m].into_iter().flatten().collect();
            let want = if parents.contains(&"@non_eu") {
                "children_non_eu_born_parent"
            } else if parents.contains(&"@eu") {
                "children_eu_born_parent"
            } else {
                "children_native_parents"
            };
            assert_eq!(group, Some(want));
        } else {
            assert_eq!(group, None);
        }
    }
    assert!(children > 100, "{children} children linked");
}
