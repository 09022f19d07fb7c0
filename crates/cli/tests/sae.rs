//! `incity sae` end to end: the milk oracle through the command line (CSV and Parquet in, CSV
//! and JSON out), and bad input named by file, line, column or area.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_incity");

fn oracles() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/oracles")
}

/// milk.csv with the sampling variance and the major-area dummies as columns.
fn milk_table(dir: &Path) -> PathBuf {
    let text = std::fs::read_to_string(oracles().join("milk.csv")).expect("milk.csv");
    let mut out = String::from("area,direct,variance,n,ma2,ma3,ma4\n");
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let se: f64 = f[4].parse().expect("se");
        let major = f[0];
        out.push_str(&format!(
            "{},{},{},{},{},{},{}\n",
            f[1],
            f[3],
            se * se,
            f[2],
            u8::from(major == "2"),
            u8::from(major == "3"),
            u8::from(major == "4")
        ));
    }
    let path = dir.join("milk_areas.csv");
    std::fs::write(&path, out).expect("write");
    path
}

fn sae(args: &[&str]) -> std::process::Output {
    Command::new(BIN)
        .arg("sae")
        .args(args)
        .output()
        .expect("run incity sae")
}

fn expected_reml() -> (f64, Vec<f64>, HashMap<String, (f64, f64)>) {
    let text = std::fs::read_to_string(oracles().join("milk_fh_expected.csv")).expect("oracle");
    let mut areas = HashMap::new();
    let (mut s2, mut beta) = (0.0, vec![]);
    for line in text.lines().skip(1).filter(|l| l.starts_with("reml,")) {
        let f: Vec<&str> = line.split(',').collect();
        s2 = f[2].parse().expect("s2");
        beta = f[3].split(' ').map(|b| b.parse().expect("beta")).collect();
        areas.insert(
            f[1].to_string(),
            (f[4].parse().expect("eblup"), f[5].parse().expect("mse")),
        );
    }
    (s2, beta, areas)
}

/// `--data FILE --area area --estimate direct --variance variance`, then `extra`.
fn args<'a>(data: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut v = vec![
        "--data",
        data,
        "--area",
        "area",
        "--estimate",
        "direct",
        "--variance",
        "variance",
    ];
    v.extend_from_slice(extra);
    v
}

fn close(got: f64, want: f64) -> bool {
    ((got - want) / want).abs() <= 1e-8
}

#[test]
fn milk_reml_through_the_cli_matches_the_oracle() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = milk_table(dir.path());
    let data = data.to_str().expect("path");
    let base = args(data, &["--covariates", "ma2,ma3,ma4"]);
    let out = sae(&base);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (s2, beta, want) = expected_reml();
    let text = String::from_utf8(out.stdout).expect("utf8");
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("area,direct,direct_se,estimate,mse,rmse,ci_low,ci_high,cv,gamma,method")
    );
    let mut seen = 0;
    for line in lines {
        let f: Vec<&str> = line.split(',').collect();
        let (eblup, mse) = want[f[0]];
        let est: f64 = f[3].parse().expect("estimate");
        let m: f64 = f[4].parse().expect("mse");
        assert!(close(est, eblup), "area {}: {est} vs {eblup}", f[0]);
        assert!(close(m, mse), "area {}: {m} vs {mse}", f[0]);
        assert_eq!(f[10], "fay-herriot:reml:prasad-rao");
        seen += 1;
    }
    assert_eq!(seen, 43);

    let json_path = dir.path().join("out.json");
    let mut args = base.to_vec();
    args.extend([
        "--output-format",
        "json",
        "--out",
        json_path.to_str().expect("path"),
    ]);
    let out = sae(&args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json_path).expect("json"))
            .expect("valid json");
    let model = &doc["model"];
    assert!(close(model["sigma2_u"].as_f64().expect("sigma2_u"), s2));
    for (name, want) in ["(Intercept)", "ma2", "ma3", "ma4"].iter().zip(&beta) {
        let got = model["coefficients"][name].as_f64().expect("coefficient");
        assert!(close(got, *want), "{name}: {got} vs {want}");
    }
    assert_eq!(model["method"], "reml");
    assert_eq!(doc["areas"].as_array().expect("areas").len(), 43);
}

#[test]
fn bootstrap_and_transforms_run_and_are_reproducible() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = milk_table(dir.path());
    let data = data.to_str().expect("path");
    let run_args = args(
        data,
        &[
            "--covariates",
            "ma2,ma3,ma4",
            "--transform",
            "log",
            "--mse",
            "bootstrap",
            "--replicates",
            "100",
            "--seed",
            "7",
        ],
    );
    let a = sae(&run_args);
    let b = sae(&run_args);
    assert!(a.status.success(), "{}", String::from_utf8_lossy(&a.stderr));
    assert_eq!(a.stdout, b.stdout, "same seed, same figures");
    let text = String::from_utf8(a.stdout).expect("utf8");
    assert!(text
        .lines()
        .nth(1)
        .expect("a row")
        .ends_with("fay-herriot:reml:log:bootstrap-100"));
    for line in text.lines().skip(1) {
        let f: Vec<f64> = line
            .split(',')
            .skip(3)
            .take(5)
            .map(|v| v.parse().expect("number"))
            .collect();
        let (est, mse, lo, hi) = (f[0], f[1], f[3], f[4]);
        assert!(mse > 0.0 && lo < est && est < hi, "{line}");
    }
}

fn fails_with(args: &[&str], needles: &[&str]) {
    let out = sae(args);
    assert!(!out.status.success(), "expected a failure for {args:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    for n in needles {
        assert!(err.contains(n), "`{n}` not in: {err}");
    }
}

#[test]
fn bad_input_is_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = milk_table(dir.path());
    let d = data.to_str().expect("path");
    fails_with(
        &args(d, &["--covariates", "ma9"]),
        &["ma9", "covariate", "ma2"],
    );
    // ma2 + ma3 + ma4 + a column equal to their sum is collinear.
    let text = std::fs::read_to_string(&data).expect("read");
    let mut collinear = String::new();
    for (i, line) in text.lines().enumerate() {
        if i == 0 {
            collinear.push_str(&format!("{line},any\n"));
        } else {
            let f: Vec<&str> = line.split(',').collect();
            let s: u8 = f[4..7]
                .iter()
                .map(|v| v.parse::<u8>().expect("dummy"))
                .sum();
            collinear.push_str(&format!("{line},{s}\n"));
        }
    }
    let c = dir.path().join("collinear.csv");
    std::fs::write(&c, collinear).expect("write");
    let cs = c.to_str().expect("path");
    fails_with(
        &args(cs, &["--covariates", "ma2,ma3,ma4,any"]),
        &["covariate `any` is collinear"],
    );
    // A missing value and a non-positive variance.
    let broken = text.replacen("\n7,1.257,", "\n7,,", 1);
    let b = dir.path().join("missing.csv");
    std::fs::write(&b, &broken).expect("write");
    fails_with(
        &args(b.to_str().expect("path"), &[]),
        &["missing.csv", "line 8", "`direct`"],
    );
    let mut zero = String::new();
    for (i, line) in text.lines().enumerate() {
        let mut f: Vec<String> = line.split(',').map(String::from).collect();
        if i == 5 {
            f[2] = "0".into();
        }
        zero.push_str(&f.join(","));
        zero.push('\n');
    }
    let z = dir.path().join("zero.csv");
    std::fs::write(&z, zero).expect("write");
    fails_with(
        &args(z.to_str().expect("path"), &[]),
        &["area `5`", "not positive"],
    );
    // Too few areas: 4 rows, 4 coefficients.
    let few: String = text.lines().take(5).map(|l| format!("{l}\n")).collect();
    let f = dir.path().join("few.csv");
    std::fs::write(&f, few).expect("write");
    fails_with(
        &args(f.to_str().expect("path"), &["--covariates", "ma2,ma3,ma4"]),
        &["4 areas are too few", "4 regression coefficients"],
    );
    fails_with(
        &args(d, &["--transform", "arcsin", "--mse", "bootstrap"]),
        &["--n"],
    );
    fails_with(&args(d, &["--transform", "log"]), &["--mse bootstrap"]);
}
