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
}
