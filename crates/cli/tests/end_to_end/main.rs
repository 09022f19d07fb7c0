//! The whole path: generate synthetic microdata → compute a release → serve it → fetch the page
//! and the JSON over HTTP → compare with what the store holds.

mod postgres;
mod pushdown;

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use incity_indicators::GeoLevel;
use incity_store::{FigureFilter, Store};

const BIN: &str = env!("CARGO_BIN_EXE_incity");

fn run(args: &[&str]) -> std::process::Output {
    Command::new(BIN)
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .expect("run incity")
}

/// Runs incity and returns its standard output; fails the test if it fails.
fn ok(args: &[&str]) -> String {
    let out = run(args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).to_string()
}

/// Imports a generated EU-SILC file set (D, R, H, P).
fn import_silc(data_dir: &str, demo: &Path) {
    let silc: Vec<String> = ["silc_d.csv", "silc_r.csv", "silc_h.csv", "silc_p.csv"]
        .iter()
        .map(|f| demo.join(f).display().to_string())
        .collect();
    let mut args = vec!["import", "--data-dir", data_dir, "--mapping", "eu-silc"];
    args.extend(silc.iter().map(|s| s.as_str()));
    ok(&args);
}

/// An `incity serve` process, killed when dropped; its standard error goes to a file that a
/// failed start prints.
struct Server {
    child: Child,
    port: u16,
    stderr: tempfile::NamedTempFile,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts `incity serve` on the release in `data_dir` with `extra` arguments.
fn start_server_with(data_dir: &Path, extra: &[&str]) -> Server {
    let port = free_port();
    let stderr = tempfile::NamedTempFile::new().expect("a file for the server's messages");
    let child = Command::new(BIN)
        .args(["serve", "--data-dir", data_dir.to_str().unwrap()])
        .args(extra)
        .args(["--port", &port.to_string()])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(stderr.reopen().expect("the server's message file"))
        .spawn()
        .expect("start server");
    Server {
        child,
        port,
        stderr,
    }
}

fn start_server(data_dir: &Path) -> Server {
    start_server_with(data_dir, &[])
}

impl Server {
    /// Waits until `/healthz` answers and returns the server's base URL. Fails with the server's
    /// messages if it exits or is not up within three minutes (a loaded 2-core CI machine starts
    /// it in tens of seconds while other tests compute).
    async fn wait_until_up(&mut self) -> String {
        let base = format!("http://127.0.0.1:{}", self.port);
        let start = Instant::now();
        loop {
            if let Ok(r) = reqwest::get(format!("{base}/healthz")).await {
                if r.status().is_success() {
                    return base;
                }
            }
            let exited = self.child.try_wait().expect("the server's status");
            let messages = || std::fs::read_to_string(self.stderr.path()).unwrap_or_default();
            assert!(
                exited.is_none(),
                "the server exited ({exited:?}): {}",
                messages()
            );
            assert!(
                start.elapsed() < Duration::from_secs(180),
                "the server did not start in 180 s: {}",
                messages()
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

async fn get_json(url: &str) -> serde_json::Value {
    reqwest::get(url).await.unwrap().json().await.unwrap()
}

async fn get_text(url: &str) -> String {
    reqwest::get(url).await.unwrap().text().await.unwrap()
}

#[tokio::test]
async fn generate_compute_serve_and_fetch() {
    let dir = tempfile::tempdir().unwrap();
    let demo = dir.path().join("demo");
    let out = run(&[
        "generate",
        "--out",
        demo.to_str().unwrap(),
        "--population-scale",
        "0.01",
        "--seed",
        "11",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let input = demo.join("lfs_2024.csv");
    assert!(input.is_file() && demo.join("truth_2024.csv").is_file());
    assert!(demo.join("SYNTHETIC-DATA.txt").is_file());
    let data_dir = dir.path().to_str().unwrap();
    ok(&[
        "import",
        "--data-dir",
        data_dir,
        "--mapping",
        "eu-lfs",
        input.to_str().unwrap(),
    ]);
    import_silc(data_dir, &demo);
    let stdout = ok(&["compute", "--data-dir", data_dir, "--synthetic"]);
    assert!(stdout.contains("release 1:"), "{stdout}");
    // Unchanged inputs, catalogue and rules: nothing is recomputed.
    let again = ok(&["compute", "--data-dir", data_dir, "--synthetic"]);
    assert!(again.contains("up to date"), "{again}");
    // Other publication rules are another release, and the release records them.
    let silc_rules = ok(&[
        "compute",
        "--data-dir",
        data_dir,
        "--synthetic",
        "--rules",
        "eu-silc",
    ]);
    assert!(silc_rules.contains("release 2:"), "{silc_rules}");

    // What the store holds.
    let store = Store::open(&dir.path().join("incity.sqlite"))
        .await
        .unwrap();
    let release = store.current_release().await.unwrap().expect("a release");
    assert!(release.provenance.synthetic);
    assert_eq!(
        release.provenance.inputs.len(),
        20,
        "10 countries × 2 sources"
    );
    assert!(
        release
            .provenance
            .rules
            .starts_with("eu-silc: not published below 20 respondents or CV above none"),
        "{}",
        release.provenance.rules
    );
    assert_eq!(store.release_count().await.unwrap(), 2);
    let stored = store
        .figures(
            release.id,
            &FigureFilter {
                indicator: Some("employment_rate_20_64".into()),
                geo_level: Some(GeoLevel::Nuts2),
                geo: None,
                sex: Some(incity_indicators::Sex::Total),
            },
        )
        .await
        .unwrap();
    assert!(
        stored.len() >= 127 * 7,
        "every region × group: {}",
        stored.len()
    );
    let suppressed = stored
        .iter()
        .filter(|f| f.estimate.figures.is_none())
        .count();
    assert!(
        suppressed > 0,
        "a small sample must suppress some region × group figures"
    );
    drop(store);

    // Exports round-trip: the same figures in CSV, JSON, Parquet and SDMX-CSV, and no number
    // for a suppressed figure in any of them.
    check_exports(data_dir, &dir.path().join("export"), &stored);

    let mut server = start_server(dir.path());
    let base = server.wait_until_up().await;

    // JSON equals the store, and suppressed figures carry no number.
    let json: serde_json::Value = get_json(&format!(
        "{base}/api/v1/indicators/employment_rate_20_64/figures?level=nuts2"
    ))
    .await;
    assert_eq!(json["release"], release.id);
    assert_eq!(json["synthetic"], true);
    let figures = json["figures"].as_array().unwrap();
    assert_eq!(figures.len(), stored.len());
    for s in &stored {
        let j = figures
            .iter()
            .find(|j| {
                j["geo"] == s.geo.as_str()
                    && j["group"] == s.group.as_str()
                    && j["measure"] == s.measure.code()
                    && j["year"] == s.year
            })
            .unwrap_or_else(|| panic!("{} {} missing from JSON", s.geo, s.group));
        assert_eq!(j["flag"], s.estimate.flag.code());
        match s.estimate.figures {
            Some(f) => {
                assert_eq!(j["estimate"].as_f64().unwrap(), f.estimate);
                assert_eq!(j["se"].as_f64().unwrap(), f.se);
                assert_eq!(j["n"].as_u64().unwrap(), f.n);
            }
            None => {
                for key in [
                    "estimate",
                    "se",
                    "ci_low",
                    "ci_high",
                    "cv",
                    "n",
                    "population",
                    "deff",
                ] {
                    assert!(j.get(key).is_none(), "suppressed figure leaks {key}: {j}");
                }
            }
        }
    }

    // The HTML page shows the published values and only the flag of suppressed ones.
    let html = get_text(&format!("{base}/indicators/employment_rate_20_64")).await;
    assert!(html.contains("Synthetic demonstration data"));
    let published = stored
        .iter()
        .find(|f| f.geo == "AT13" && f.group == "total")
        .unwrap();
    let f = published.estimate.figures.unwrap();
    assert!(
        html.contains(&format!("{:.1}", f.estimate * 100.0)),
        "AT13 total {} not on the page",
        f.estimate
    );
    assert!(html.contains("not published"));

    // The CSV download has the same rows; suppressed rows have empty numbers.
    let csv = get_text(&format!(
        "{base}/indicators/employment_rate_20_64/figures.csv?level=nuts2"
    ))
    .await;
    let mut rdr = csv::Reader::from_reader(csv.as_bytes());
    let header = rdr.headers().unwrap().clone();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let rows: Vec<csv::StringRecord> = rdr.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), stored.len());
    let suppressed_rows: Vec<_> = rows.iter().filter(|r| &r[col("flag")] == "c").collect();
    assert_eq!(suppressed_rows.len(), suppressed);
    for r in suppressed_rows {
        for name in [
            "estimate",
            "se",
            "ci_low",
            "ci_high",
            "cv",
            "n",
            "population",
            "deff",
        ] {
            assert!(r[col(name)].is_empty(), "suppressed row with {name}: {r:?}");
        }
    }

    // Unknown pages and bad parameters are answered, not crashed on.
    assert_eq!(
        reqwest::get(format!("{base}/indicators/nope"))
            .await
            .unwrap()
            .status(),
        404
    );
    assert_eq!(
        reqwest::get(format!(
            "{base}/indicators/employment_rate_20_64?level=galaxy"
        ))
        .await
        .unwrap()
        .status(),
        400
    );
    // The precision planner: one cell per city × migrant group; a suppressed cell is planned
    // from a published value (never its own), without a CV; errors are JSON.
    let plan = get_json(&format!(
        "{base}/api/v1/plan?level=city&indicator=employment_rate_20_64&target_cv=0.1,0.2"
    ))
    .await;
    let cells = plan["cells"].as_array().unwrap();
    assert!(!cells.is_empty());
    assert_eq!(plan["target_cvs"], serde_json::json!([0.1, 0.2]));
    for c in cells {
        assert_ne!(c["group"], "native");
        assert_eq!(c["targets"].as_array().unwrap().len(), 2);
        if c["flag"] == "c" {
            assert_ne!(c["planning_source"], "direct", "{c}");
            assert!(c.get("cv").is_none(), "{c}");
        }
    }
    let r = reqwest::get(format!("{base}/api/v1/plan?target_cv=2"))
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let e: serde_json::Value = r.json().await.unwrap();
    assert!(e["error"].as_str().unwrap().contains("target_cv"));
    let page = get_text(&format!(
        "{base}/plan?geo={}",
        cells[0]["geo"].as_str().unwrap()
    ))
    .await;
    assert!(page.contains("<h1>Precision planner</h1>") && page.contains("oversampling"));

    // NUTS boundaries for maps: the shipped GISCO files, with the attribution.
    let r = reqwest::get(format!("{base}/api/v1/geography/nuts/2.geojson"))
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["x-attribution"]
        .to_str()
        .unwrap()
        .contains("EuroGeographics"));
    let geo: serde_json::Value = r.json().await.unwrap();
    let features = geo["features"].as_array().unwrap();
    assert_eq!(features.len(), 334);
    assert!(features
        .iter()
        .any(|f| f["properties"]["NUTS_ID"] == "AT13"));
    assert_eq!(
        reqwest::get(format!("{base}/api/v1/geography/nuts/7"))
            .await
            .unwrap()
            .status(),
        404
    );
    assert!(reqwest::get(format!("{base}/healthz"))
        .await
        .unwrap()
        .status()
        .is_success());
}

#[test]
fn estimate_cli_reports_missing_and_malformed_files() {
    let out = run(&[
        "estimate",
        "--data",
        "/no/such/file.csv",
        "--weight",
        "w",
        "--stat",
        "mean(y)",
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("/no/such/file.csv: no such file"), "{err}");

    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("bad.csv");
    std::fs::write(&p, "h,psu,w,y\n1,1,10,1\n1,2,ten,2\n2,3,20,3\n2,4,20,4\n").unwrap();
    let out = run(&[
        "estimate",
        "--data",
        p.to_str().unwrap(),
        "--weight",
        "w",
        "--strata",
        "h",
        "--psu",
        "psu",
        "--stat",
        "mean(y)",
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad.csv, line 3, column `w`: found `ten`, expected a number"),
        "{err}"
    );

    let q = dir.path().join("ragged.csv");
    std::fs::write(&q, "h,psu,w,y\n1,1,10,1\n1,2,10,2,5\n").unwrap();
    let out = run(&[
        "estimate",
        "--data",
        q.to_str().unwrap(),
        "--weight",
        "w",
        "--stat",
        "mean(y)",
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("ragged.csv") && err.contains("line 3"),
        "{err}"
    );
}

#[test]
fn estimate_cli_matches_r_survey_and_writes_json() {
    let data = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/data/oracles/apistrat.csv"
    );
    let out = run(&[
        "estimate",
        "--data",
        data,
        "--weight",
        "pw",
        "--strata",
        "stype",
        "--stat",
        "mean(api00)",
        "--by",
        "stype",
        "--gap",
        "stype=H",
        "--min-n",
        "0",
        "--flag-n",
        "0",
        "--output-format",
        "json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let gap = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["stype"] == "E minus H")
        .expect("gap row");
    // R survey: svycontrast(E - H) = 48.61, SE 19.8951245455864
    assert!((gap["estimate"].as_f64().unwrap() - 48.61).abs() < 1e-9);
    assert!((gap["se"].as_f64().unwrap() / 19.8951245455864 - 1.0).abs() < 1e-9);

    let out = run(&[
        "estimate",
        "--data",
        data,
        "--weight",
        "pw",
        "--strata",
        "stype",
        "--stat",
        "mean(api00)",
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("estimate,se,ci_low,ci_high,cv,n,population,deff,df,flag,flag_reason")
    );
    let row: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert!((row[0].parse::<f64>().unwrap() / 662.287363159321 - 1.0).abs() < 1e-9);
    assert!((row[1].parse::<f64>().unwrap() / 9.53613229692516 - 1.0).abs() < 1e-9);
    assert_eq!(row[5], "200");
    // R: degf(dstrat) = 197; confint(svymean(~api00, dstrat), df = degf(dstrat)).
    assert_eq!(row[8], "197");
    assert!((row[2].parse::<f64>().unwrap() - 643.481356593217).abs() < 1e-8);
    assert!((row[3].parse::<f64>().unwrap() - 681.093369725425).abs() < 1e-8);
}

/// Eurostat's published value in a shipped SDMX-CSV table with labels, read independently of
/// incity (the csv crate and column names).
fn eurostat_value(file: &str, wanted: &[(&str, &str)]) -> (String, String) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(file);
    let mut rdr = csv::Reader::from_path(&path).unwrap();
    let header = rdr.headers().unwrap().clone();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    for r in rdr.records() {
        let r = r.unwrap();
        if wanted.iter().all(|(c, v)| &r[col(c)] == *v) {
            return (
                r[col("OBS_VALUE")].to_string(),
                r[col("OBS_FLAG")].to_string(),
            );
        }
    }
    panic!("{file}: no row {wanted:?}");
}

#[tokio::test]
async fn pooled_years_nuts3_ratios_thresholds_and_published_figures() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().to_str().unwrap();
    // Two survey years of one synthetic population; Vienna (AT13) coded at NUTS 3 (AT130).
    for year in ["2023", "2024"] {
        let demo = dir.path().join(format!("demo{year}"));
        let d = demo.to_str().unwrap();
        let surveys = if year == "2024" { "both" } else { "lfs" };
        ok(&[
            "generate",
            "--out",
            d,
            "--population-scale",
            "0.01",
            "--seed",
            "11",
            "--year",
            year,
            "--surveys",
            surveys,
            "--no-truth",
        ]);
        let lfs = demo.join(format!("lfs_{year}.csv"));
        let text = std::fs::read_to_string(&lfs).unwrap();
        assert!(text.contains(",AT13,"));
        std::fs::write(&lfs, text.replace(",AT13,", ",AT130,")).unwrap();
        ok(&[
            "import",
            "--data-dir",
            data_dir,
            "--mapping",
            "eu-lfs",
            lfs.to_str().unwrap(),
        ]);
        if year == "2024" {
            import_silc(data_dir, &demo);
        }
    }

    // Population thresholds per country: a rule file without a country of the data is
    // refused, naming the country; a complete one is applied.
    let rules = dir.path().join("thresholds.toml");
    let write_rules = |countries: &[&str]| {
        let limits: Vec<String> = countries
            .iter()
            .map(|c| {
                format!("{c} = {{ not_published_below = 40000, low_reliability_below = 80000 }}")
            })
            .collect();
        std::fs::write(
            &rules,
            format!(
                "name = \"test-thresholds\"\ndescription = \"test\"\nsuppress_below_n = 20\n\
                 flag_below_n = 50\n[population_thresholds]\nbasis = \"numerator\"\n\
                 source = \"test values\"\ncountries = {{ {} }}\n",
                limits.join(", ")
            ),
        )
        .unwrap();
    };
    write_rules(&["AT"]);
    let r = rules.to_str().unwrap();
    let out = run(&[
        "compute",
        "--data-dir",
        data_dir,
        "--synthetic",
        "--rules",
        r,
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no population thresholds for country"),
        "{err}"
    );
    let all: Vec<&str> = incity_reference::geography::COUNTRY_NAMES
        .iter()
        .map(|(c, _)| *c)
        .collect();
    write_rules(&all);
    let stdout = ok(&[
        "compute",
        "--data-dir",
        data_dir,
        "--synthetic",
        "--rules",
        r,
        "--pool-years",
        "2",
    ]);
    assert!(stdout.contains("release 1:"), "{stdout}");

    let store = Store::open(&dir.path().join("incity.sqlite"))
        .await
        .unwrap();
    let release = store.current_release().await.unwrap().unwrap();
    assert!(release.provenance.rules.contains("AT 40000/80000"));
    assert!(release
        .provenance
        .method
        .contains("pooled estimates over 2"));
    let all_figures = store
        .figures(release.id, &FigureFilter::default())
        .await
        .unwrap();
    // Shares: nothing published counts fewer than 40,000 persons; below 80,000 it is flagged.
    let mut thresholded = 0;
    for f in all_figures.iter().filter(|f| {
        f.measure == incity_indicators::Measure::Level && f.indicator != "median_income_18_plus"
    }) {
        if let Some(x) = f.estimate.figures {
            let persons = x.estimate * x.population;
            assert!(persons >= 40_000.0, "{f:?}");
            if persons < 80_000.0 {
                assert_eq!(
                    f.estimate.flag,
                    incity_estimation::Flag::LowReliability,
                    "{f:?}"
                );
                thresholded += 1;
            }
        }
    }
    assert!(thresholded > 0);
    // Pooled 2023-2024 figures beside each year's; NUTS 3 where coded.
    assert!(all_figures
        .iter()
        .any(|f| (f.first_year, f.year) == (2023, 2024)));
    assert!(all_figures.iter().any(|f| f.year == 2023 && !f.is_pooled()));
    let nuts3: Vec<_> = all_figures
        .iter()
        .filter(|f| f.geo_level == GeoLevel::Nuts3)
        .collect();
    assert!(!nuts3.is_empty() && nuts3.iter().all(|f| f.geo == "AT130"));
    // Exports keep the period and the measure: SDMX-CSV as an ISO 8601 range.
    let sdmx = dir.path().join("nuts3.sdmx.csv");
    ok(&[
        "export",
        "--data-dir",
        data_dir,
        "--format",
        "sdmx-csv",
        "--out",
        sdmx.to_str().unwrap(),
        "--level",
        "nuts3",
    ]);
    let t = incity_data::published::PublishedTable::read(&sdmx).unwrap();
    let pooled_nuts3 = nuts3.iter().filter(|f| f.is_pooled()).count();
    assert!(pooled_nuts3 > 0);
    assert_eq!(
        t.observations
            .iter()
            .filter(|o| o.time == "2023-01-01/P2Y")
            .count(),
        pooled_nuts3
    );
    let measure = t.dimension("measure").unwrap();
    assert_eq!(
        t.observations
            .iter()
            .filter(|o| o.key[measure] == "difference")
            .count(),
        nuts3
            .iter()
            .filter(|f| f.measure == incity_indicators::Measure::Difference)
            .count()
    );
    let csv_path = dir.path().join("nuts3.csv");
    ok(&[
        "export",
        "--data-dir",
        data_dir,
        "--format",
        "csv",
        "--out",
        csv_path.to_str().unwrap(),
        "--level",
        "nuts3",
    ]);
    let mut rdr = csv::Reader::from_path(&csv_path).unwrap();
    let header = rdr.headers().unwrap().clone();
    let col = |n: &str| header.iter().position(|h| h == n).unwrap();
    let rows: Vec<csv::StringRecord> = rdr.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), nuts3.len());
    assert_eq!(
        rows.iter()
            .filter(|r| &r[col("first_year")] == "2023" && &r[col("year")] == "2024")
            .count(),
        pooled_nuts3
    );
    // Median incomes: gaps as differences and as ratios, consistent with the levels, each
    // naming the reference group it is measured against.
    use incity_indicators::Measure;
    let at = |group: &str, measure: Measure| {
        let f = all_figures
            .iter()
            .find(|f| {
                f.indicator == "median_income_18_plus"
                    && f.geo_level == GeoLevel::Country
                    && f.geo == "AT"
                    && f.sex == incity_indicators::Sex::Total
                    && f.group == group
                    && f.measure == measure
            })
            .unwrap_or_else(|| panic!("AT {group} {measure:?} missing"));
        let expected_reference = measure.is_gap().then_some("nationals");
        assert_eq!(f.reference_group.as_deref(), expected_reference);
        f.estimate.figures.unwrap().estimate
    };
    let (level, reference) = (
        at("non_eu_citizens", Measure::Level),
        at("nationals", Measure::Level),
    );
    assert!((at("non_eu_citizens", Measure::Ratio) - level / reference).abs() < 1e-9);
    assert!((at("non_eu_citizens", Measure::Difference) - (level - reference)).abs() < 1e-6);
    drop(store);

    // The portal shows Eurostat's published figure beside the computed one, flags kept.
    let mut server = start_server(dir.path());
    let base = server.wait_until_up().await;
    let json: serde_json::Value = get_json(&format!(
        "{base}/api/v1/indicators/median_income_18_plus/figures?level=country&geo=BE"
    ))
    .await;
    let published = json["published"].as_array().unwrap();
    let (value, flag) = eurostat_value(
        "data/eurostat/national/mean_and_median_income_by_citizenship.csv",
        &[
            ("geo", "Belgium"),
            (
                "citizen",
                "Non-EU27 countries (from 2020) nor reporting country",
            ),
            ("TIME_PERIOD", "2024"),
        ],
    );
    let p = published
        .iter()
        .find(|p| p["group"] == "non_eu_citizens" && p["year"] == 2024)
        .expect("Eurostat's 2024 figure for non-EU citizens in Belgium");
    assert_eq!(p["value"].as_f64().unwrap(), value.parse::<f64>().unwrap());
    assert_eq!(p["flags"], flag.as_str());
    assert!(published.iter().all(|p| p["geo"] == "BE"));
    let html = get_text(&format!(
        "{base}/indicators/median_income_18_plus?level=country"
    ))
    .await;
    assert!(html.contains("Published (Eurostat)"));
    assert!(html.contains("Eurostat ilc_di15"));
    assert!(html.contains(&format!("{:.0}", value.parse::<f64>().unwrap())));
    assert!(html.contains("Ratio: Non-EU citizens / nationals"));
    // EU-LFS figures of 2023, 2024 and pooled 2023-2024.
    let html = get_text(&format!(
        "{base}/indicators/employment_rate_20_64?level=nuts3"
    ))
    .await;
    assert!(html.contains("2023-2024") && html.contains("AT130"));
    // Shares in percent: Eurostat's health figure is scaled like the computed one.
    let json: serde_json::Value = get_json(&format!(
        "{base}/api/v1/indicators/good_health_16_plus/figures?level=country&geo=BE"
    ))
    .await;
    let (value, _) = eurostat_value(
        "data/eurostat/national/self_perceived_health_by_citizenship.csv",
        &[
            ("geo", "Belgium"),
            ("citizen", "Reporting country"),
            ("lev_perc", "Very good or good"),
            ("TIME_PERIOD", "2024"),
        ],
    );
    let p = json["published"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["group"] == "nationals" && p["year"] == 2024)
        .unwrap();
    assert!((p["value"].as_f64().unwrap() - value.parse::<f64>().unwrap() / 100.0).abs() < 1e-12);
}

fn check_exports(data_dir: &str, out: &std::path::Path, stored: &[incity_indicators::Figure]) {
    use datafusion::arrow::array::{Array, AsArray};
    use datafusion::arrow::datatypes::Float64Type;
    std::fs::create_dir_all(out).unwrap();
    let export = |format: &str, file: &str| {
        let path = out.join(file);
        let o = run(&[
            "export",
            "--data-dir",
            data_dir,
            "--format",
            format,
            "--out",
            path.to_str().unwrap(),
            "--indicator",
            "employment_rate_20_64",
            "--level",
            "nuts2",
            "--sex",
            "T",
        ]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        path
    };
    // A level and the gaps of a group share the group code: the measure tells them apart.
    let find = |geo: &str, group: &str, measure: &str| {
        stored
            .iter()
            .find(|s| s.geo == geo && s.group == group && s.measure.code() == measure)
            .unwrap()
    };
    // CSV
    let mut rdr = csv::Reader::from_path(export("csv", "f.csv")).unwrap();
    let header = rdr.headers().unwrap().clone();
    let col = |n: &str| header.iter().position(|h| h == n).unwrap();
    let rows: Vec<csv::StringRecord> = rdr.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), stored.len());
    for r in &rows {
        let s = find(&r[col("geo")], &r[col("group")], &r[col("measure")]);
        assert_eq!(
            &r[col("reference_group")],
            s.reference_group.as_deref().unwrap_or("")
        );
        assert_eq!(&r[col("flag")], s.estimate.flag.code());
        match s.estimate.figures {
            Some(x) => assert_eq!(r[col("estimate")].parse::<f64>().unwrap(), x.estimate),
            None => assert!(
                r[col("estimate")].is_empty() && r[col("se")].is_empty() && r[col("n")].is_empty()
            ),
        }
    }
    // JSON
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(export("json", "f.json")).unwrap()).unwrap();
    let figures = json["figures"].as_array().unwrap();
    assert_eq!(figures.len(), stored.len());
    for j in figures {
        let s = find(
            j["geo"].as_str().unwrap(),
            j["group"].as_str().unwrap(),
            j["measure"].as_str().unwrap(),
        );
        assert_eq!(j["reference_group"].as_str(), s.reference_group.as_deref());
        match s.estimate.figures {
            Some(x) => assert_eq!(j["estimate"].as_f64().unwrap(), x.estimate),
            None => assert!(
                j.get("estimate").is_none() && j.get("se").is_none() && j.get("n").is_none()
            ),
        }
    }
    // Parquet
    let file = std::fs::File::open(export("parquet", "f.parquet")).unwrap();
    let reader =
        datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
            .unwrap()
            .build()
            .unwrap();
    let mut n = 0;
    for b in reader {
        let b = b.unwrap();
        let idx = |name: &str| b.schema().index_of(name).unwrap();
        let (geo, group, measure) = (
            b.column(idx("geo")).as_string::<i32>(),
            b.column(idx("group")).as_string::<i32>(),
            b.column(idx("measure")).as_string::<i32>(),
        );
        let est = b.column(idx("estimate")).as_primitive::<Float64Type>();
        for r in 0..b.num_rows() {
            let s = find(geo.value(r), group.value(r), measure.value(r));
            match s.estimate.figures {
                Some(x) => assert_eq!(est.value(r), x.estimate),
                None => assert!(est.is_null(r)),
            }
            n += 1;
        }
    }
    assert_eq!(n, stored.len());
    // SDMX-CSV, read back with incity's own reader.
    let t =
        incity_data::published::PublishedTable::read(&export("sdmx-csv", "f.sdmx.csv")).unwrap();
    assert!(t.dataset.starts_with("INCITY_RELEASE_"));
    assert_eq!(t.observations.len(), stored.len());
    let (g, grp, m) = (
        t.dimension("geo").unwrap(),
        t.dimension("group").unwrap(),
        t.dimension("measure").unwrap(),
    );
    let se = t.attributes.iter().position(|a| a == "OBS_SE").unwrap();
    for o in &t.observations {
        let s = find(&o.key[g], &o.key[grp], &o.key[m]);
        assert_eq!(o.time, s.year.to_string());
        assert_eq!(o.flags, s.estimate.flag.code());
        match s.estimate.figures {
            Some(x) => {
                assert_eq!(o.value, Some(x.estimate));
                assert_eq!(o.attributes[se].parse::<f64>().unwrap(), x.se);
            }
            None => assert!(o.value.is_none() && o.attributes.iter().all(|a| a.is_empty())),
        }
    }
}
