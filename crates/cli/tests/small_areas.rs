//! Model-based figures through the command line: generate (with the register table) → import
//! → import-table → compute → export. A catalogue naming a covariate the table lacks is
//! refused and publishes nothing; the shipped catalogue adds labelled model-based figures
//! beside flagged or suppressed direct ones, with an RMSE and no standard error.

use std::path::Path;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_incity");

fn run(args: &[&str]) -> std::process::Output {
    Command::new(BIN)
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .expect("run incity")
}

fn ok(args: &[&str]) -> String {
    let out = run(args);
    assert!(
        out.status.success(),
        "incity {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf8")
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read_dir") {
        let e = e.expect("entry");
        let target = to.join(e.file_name());
        if e.file_type().expect("type").is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).expect("copy");
        }
    }
}

#[test]
fn compute_adds_labelled_model_based_figures_and_refuses_an_unknown_covariate() {
    let dir = tempfile::tempdir().expect("tempdir");
    let demo = dir.path().join("demo");
    let data = dir.path().join("data");
    let (demo_s, data_s) = (demo.to_str().expect("path"), data.to_str().expect("path"));
    ok(&[
        "generate",
        "--out",
        demo_s,
        "--population-scale",
        "0.05",
        "--seed",
        "11",
        "--surveys",
        "lfs",
        "--no-truth",
    ]);
    let lfs = demo.join("lfs_2024.csv");
    let register = demo.join("register_2024.csv");
    ok(&[
        "import",
        "--data-dir",
        data_s,
        "--mapping",
        "eu-lfs",
        lfs.to_str().expect("path"),
    ]);
    ok(&[
        "import-table",
        "--data-dir",
        data_s,
        register.to_str().expect("path"),
    ]);

    // A misspelt covariate: refused with the indicator, the name and the table's measures.
    let catalogue = dir.path().join("catalogue");
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../../catalogue"),
        &catalogue,
    );
    let file = catalogue.join("indicators/employment_rate_20_64.toml");
    let text = std::fs::read_to_string(&file).expect("read");
    std::fs::write(
        &file,
        text.replace("\"REG_EMP_RATE\"]", "\"REG_EMPLOYMENT\"]"),
    )
    .expect("write");
    let out = run(&[
        "compute",
        "--data-dir",
        data_s,
        "--synthetic",
        "--catalogue",
        catalogue.to_str().expect("path"),
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    for part in [
        "employment_rate_20_64",
        "`REG_EMPLOYMENT`",
        "INCITY_REGISTER",
        "REG_EMP_RATE",
    ] {
        assert!(err.contains(part), "`{part}` not in: {err}");
    }
    let csv = dir.path().join("none.csv");
    let out = run(&[
        "export",
        "--data-dir",
        data_s,
        "--format",
        "csv",
        "--out",
        csv.to_str().expect("path"),
    ]);
    assert!(
        !out.status.success(),
        "nothing was published, so there is nothing to export"
    );

    // The shipped catalogue: models fitted, reported, and their figures labelled.
    let report = ok(&["compute", "--data-dir", data_s, "--synthetic"]);
    assert!(report.contains("small-area models:"), "{report}");
    assert!(
        report.contains("city: ") && report.contains("with model-based figures"),
        "{report}"
    );
    ok(&[
        "export",
        "--data-dir",
        data_s,
        "--format",
        "csv",
        "--out",
        csv.to_str().expect("path"),
    ]);
    let mut r = csv::Reader::from_path(&csv).expect("export");
    let header = r.headers().expect("header").clone();
    let col = |name: &str| header.iter().position(|h| h == name).expect(name);
    let (method, model, se, rmse, estimate, flag, geo, group, ind, sex, level) = (
        col("method"),
        col("model"),
        col("se"),
        col("rmse"),
        col("estimate"),
        col("flag"),
        col("geo"),
        col("group"),
        col("indicator"),
        col("sex"),
        col("geo_level"),
    );
    let rows: Vec<csv::StringRecord> = r.records().map(|x| x.expect("row")).collect();
    let direct_flag: std::collections::HashMap<(String, String, String, String, String), String> =
        rows.iter()
            .filter(|x| &x[method] != "model-based" && &x[col("measure")] == "level")
            .map(|x| {
                (
                    (
                        x[ind].into(),
                        x[level].into(),
                        x[geo].into(),
                        x[group].into(),
                        x[sex].into(),
                    ),
                    x[flag].into(),
                )
            })
            .collect();
    let models: Vec<&csv::StringRecord> = rows
        .iter()
        .filter(|x| &x[method] == "model-based")
        .collect();
    assert!(models.len() > 100, "{} model-based figures", models.len());
    for m in models {
        assert!(m[model].starts_with("Fay-Herriot"), "{:?}", m);
        assert!(
            m[se].is_empty(),
            "a model-based figure has an RMSE, not an SE"
        );
        let key = (
            m[ind].to_string(),
            m[level].to_string(),
            m[geo].to_string(),
            m[group].to_string(),
            m[sex].to_string(),
        );
        assert_ne!(
            direct_flag[&key], "",
            "a model-based figure beside a reliable direct one"
        );
        if &m[flag] == "c" {
            assert!(
                m[estimate].is_empty() && m[rmse].is_empty(),
                "suppressed with a number"
            );
        } else {
            assert!(m[rmse].parse::<f64>().expect("rmse") > 0.0);
        }
    }
    check_plan(data_s, &dir.path().join("plan.csv"), &rows, &header);
}

/// `incity plan` over the same release: one row per city × migrant group, planning values
/// that are published figures (never a suppressed one), the textbook sample size, bounds for
/// cells suppressed for too few respondents, and clear errors for bad options.
fn check_plan(data: &str, out: &Path, export: &[csv::StringRecord], header: &csv::StringRecord) {
    let col = |name: &str| header.iter().position(|h| h == name).expect(name);
    let published = |ind: &str, level: &str, geo: &str, group: &str, method: &str| {
        export
            .iter()
            .find(|x| {
                &x[col("indicator")] == ind
                    && &x[col("geo_level")] == level
                    && &x[col("geo")] == geo
                    && &x[col("group")] == group
                    && &x[col("sex")] == "T"
                    && &x[col("measure")] == "level"
                    && &x[col("method")] == method
                    && x[col("first_year")] == x[col("year")]
            })
            .map(|x| x[col("estimate")].to_string())
    };
    let indicator = "employment_rate_20_64";
    ok(&[
        "plan",
        "--data-dir",
        data,
        "--indicator",
        indicator,
        "--target-cv",
        "0.1,0.2",
        "--out",
        out.to_str().expect("path"),
    ]);
    let mut r = csv::Reader::from_path(out).expect("plan");
    let h = r.headers().expect("header").clone();
    let c = |name: &str| h.iter().position(|x| x == name).expect(name);
    let rows: Vec<csv::StringRecord> = r.records().map(|x| x.expect("row")).collect();
    // Reference groups are not planned for (they are what the groups are compared with).
    let references: Vec<String> = incity_indicators::Catalogue::embedded()
        .groupings
        .iter()
        .map(|g| g.reference.clone())
        .collect();
    let cells = export
        .iter()
        .filter(|x| {
            &x[col("indicator")] == indicator
                && &x[col("geo_level")] == "city"
                && &x[col("sex")] == "T"
                && &x[col("measure")] == "level"
                && &x[col("method")] == "direct"
                && x[col("first_year")] == x[col("year")]
                && x[col("group")] != *"total"
                && !references.contains(&x[col("group")].to_string())
        })
        .count();
    assert_eq!(rows.len(), cells);
    let (mut from_model, mut bounded) = (0, 0);
    for row in &rows {
        let (geo, group) = (&row[c("geo")], &row[c("group")]);
        let value = &row[c("planning_value")];
        let p: Option<f64> = value.parse().ok();
        // The planning value (written to 6 decimals) is the published estimate.
        let is_published = |method: &str, level: &str, geo: &str| {
            let e =
                published(indicator, level, geo, group, method).and_then(|e| e.parse::<f64>().ok());
            matches!((p, e), (Some(p), Some(e)) if (p - e).abs() < 1e-6)
        };
        match &row[c("planning_source")] {
            "direct" => {
                assert_ne!(&row[c("flag")], "c");
                assert!(is_published("direct", "city", geo), "{row:?}");
            }
            "model-based" => {
                assert_eq!(&row[c("flag")], "c", "{row:?}");
                from_model += 1;
                assert!(is_published("model-based", "city", geo), "{row:?}");
            }
            "country" => assert!(is_published("direct", "country", &geo[..2]), "{row:?}"),
            other => assert!(other.is_empty() && value.is_empty()),
        }
        if &row[c("lower_bounds")] == "true" {
            bounded += 1;
            assert_eq!(&row[c("respondents")], "<20");
        }
        // n = deff (1 - p) / (p c²), from the rounded values written.
        if let (Some(p), Ok(deff), Ok(n)) = (
            p,
            row[c("deff")].parse::<f64>(),
            row[c("n_cv_10")].parse::<f64>(),
        ) {
            let expected = deff * (1.0 - p) / (p * 0.01);
            assert!((n - expected).abs() <= 1.0 + 1e-3 * expected, "{row:?}");
            let n20: f64 = row[c("n_cv_20")].parse().expect("n_cv_20");
            assert!((n20 - n / 4.0).abs() <= 1.0, "{row:?}");
        }
    }
    assert!(from_model > 0 && bounded > 0, "{from_model} {bounded}");
    for (args, message) in [
        (vec!["--level", "galaxy"], "--level galaxy"),
        (vec!["--target-cv", "2"], "--target-cv 2"),
        (vec!["--indicator", "nope"], "--indicator nope"),
    ] {
        let mut all = vec!["plan", "--data-dir", data, "--out", "/dev/null"];
        all.extend(args);
        let o = run(&all);
        assert!(!o.status.success());
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(message), "{err}");
    }
}
