//! Every indicator module, as a city gets it: `incity catalogue module --all` writes the
//! folders, each module's `commands.txt` is run line by line from its folder with the incity
//! binary, and what the commands write must equal the module's `expected/` files byte for
//! byte. Where a module has an `incity estimate` step (country figures by group straight
//! from the imported records), its estimates and standard errors must also equal the country
//! rows of the release's export, which come through the catalogue and the release pipeline.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_incity");

/// Splits a command line into words: blanks separate words, double quotes group them (the
/// quoting `commands.txt` uses).
fn words(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let (mut quoted, mut started) = (false, false);
    for c in line.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                started = true;
            }
            c if c.is_whitespace() && !quoted => {
                if started {
                    out.push(std::mem::take(&mut word));
                    started = false;
                }
            }
            c => {
                word.push(c);
                started = true;
            }
        }
    }
    assert!(!quoted, "unbalanced quotes in `{line}`");
    if started {
        out.push(word);
    }
    out
}

/// Runs the module's commands from its folder; panics with the command and its error output
/// when one fails.
fn run_commands(dir: &Path) {
    let text = std::fs::read_to_string(dir.join("commands.txt")).expect("commands.txt");
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .collect();
    assert!(lines.len() >= 2, "{}: too few commands", dir.display());
    for line in lines {
        let w = words(line);
        assert_eq!(
            w[0],
            "incity",
            "{}: `{line}` is not an incity command",
            dir.display()
        );
        let out = Command::new(BIN)
            .args(&w[1..])
            .current_dir(dir)
            .output()
            .expect("run incity");
        assert!(
            out.status.success(),
            "{}: `{line}` failed:\n{}",
            dir.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// The first line where two texts differ, for the failure message.
fn first_difference(a: &str, b: &str) -> String {
    a.lines()
        .zip(b.lines())
        .enumerate()
        .find(|(_, (x, y))| x != y)
        .map(|(i, (x, y))| format!("line {}:\n  expected {y}\n  got      {x}", i + 1))
        .unwrap_or_else(|| format!("{} lines against {}", a.lines().count(), b.lines().count()))
}

/// Whether two CSV texts have the same fields, numbers equal to 1e-12 relative.
fn same_numbers(a: &str, b: &str) -> bool {
    a.lines().count() == b.lines().count()
        && a.lines().zip(b.lines()).all(|(x, y)| {
            let (x, y): (Vec<&str>, Vec<&str>) = (x.split(',').collect(), y.split(',').collect());
            x.len() == y.len()
                && x.iter()
                    .zip(&y)
                    .all(|(p, q)| match (p.parse::<f64>(), q.parse::<f64>()) {
                        (Ok(p), Ok(q)) => (p - q).abs() <= 1e-12 * p.abs().max(q.abs()),
                        _ => p == q,
                    })
        })
}

type Csv = Vec<BTreeMap<String, String>>;

fn read_csv(path: &Path) -> Csv {
    let mut r = csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let header = r.headers().expect("header").clone();
    r.records()
        .map(|rec| {
            let rec = rec.expect("record");
            header
                .iter()
                .zip(rec.iter())
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

fn number(row: &BTreeMap<String, String>, column: &str) -> Option<f64> {
    row.get(column).and_then(|v| v.parse().ok())
}

/// The estimate step's rows against the export's country rows of the same groups (levels and
/// differences, both sexes, direct). Returns how many figures were compared.
fn check_estimate_against_release(dir: &Path) -> usize {
    let estimate = read_csv(&dir.join("estimate.csv"));
    let figures = read_csv(&dir.join("figures.csv"));
    let by = estimate
        .first()
        .and_then(|r| {
            r.keys()
                .find(|k| k.ends_with("_group") || k.as_str() == "children_parents_birth")
                .cloned()
        })
        .expect("the estimate's group column");
    let mut compared = 0;
    for row in &estimate {
        let domain = &row[&by];
        let (group, measure) = match domain.split_once(" minus ") {
            Some((g, _)) => (g, "difference"),
            None => (domain.as_str(), "level"),
        };
        let Some(fig) = figures.iter().find(|f| {
            f["geo_level"] == "country"
                && f["grouping"] == by
                && f["group"] == group
                && f["sex"] == "T"
                && f["measure"] == measure
                && f["method"] == "direct"
        }) else {
            panic!(
                "{}: no country figure of {by} = {domain} in figures.csv",
                dir.display()
            );
        };
        // Both withheld, or both published with the same numbers (to 1e-9 relative: the two
        // paths sum in different orders).
        match (number(row, "estimate"), number(fig, "estimate")) {
            (Some(e), Some(f)) => {
                let scale = if (f - 100.0 * e).abs() < (f - e).abs() {
                    100.0
                } else {
                    1.0
                };
                for (a, b, what) in [
                    (scale * e, f, "estimate"),
                    (
                        scale * number(row, "se").expect("se"),
                        number(fig, "se").expect("se"),
                        "standard error",
                    ),
                ] {
                    assert!(
                        (a - b).abs() <= 1e-9 * b.abs().max(1e-12),
                        "{}: {by} = {domain}: {what} {a} by incity estimate, {b} in the release",
                        dir.display()
                    );
                }
                compared += 1;
            }
            (e, f) => assert!(
                e.is_none() || f.is_none(),
                "{}: {by} = {domain}: published by one path only",
                dir.display()
            ),
        }
    }
    compared
}

#[test]
fn every_module_runs_its_commands_and_gives_its_expected_output() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = Command::new(BIN)
        .args(["catalogue", "module", "--all", "--out"])
        .arg(tmp.path())
        .output()
        .expect("run incity");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(tmp.path())
        .expect("modules")
        .map(|e| e.expect("entry").path())
        .collect();
    dirs.sort();
    let catalogue = incity_indicators::Catalogue::embedded();
    assert_eq!(
        dirs.len(),
        catalogue.indicators.len() + catalogue.administrative.len(),
        "one module per computed indicator"
    );
    // Two modules at a time (CI has two cores); each runs in its own folder.
    let results: Vec<(String, usize)> = std::thread::scope(|s| {
        let halves: Vec<_> = dirs
            .chunks(dirs.len().div_ceil(2))
            .map(|chunk| {
                s.spawn(move || {
                    chunk
                        .iter()
                        .map(|dir| {
                            run_commands(dir);
                            let expected: Vec<PathBuf> = std::fs::read_dir(dir.join("expected"))
                                .unwrap_or_else(|e| panic!("{}: no expected/ ({e})", dir.display()))
                                .map(|e| e.expect("entry").path())
                                .collect();
                            assert!(
                                expected.iter().any(|p| p.ends_with("figures.csv")),
                                "{}: no expected/figures.csv",
                                dir.display()
                            );
                            for e in &expected {
                                let name = e.file_name().expect("name");
                                let want = std::fs::read_to_string(e).expect("expected file");
                                let got =
                                    std::fs::read_to_string(dir.join(name)).unwrap_or_else(|_| {
                                        panic!("{}: the commands wrote no {name:?}", dir.display())
                                    });
                                // The release is reproducible to the bit; `incity estimate`
                                // scans with one partition per core, so its sums may differ
                                // in the last digits between machines.
                                let same = if name == "estimate.csv" {
                                    same_numbers(&got, &want)
                                } else {
                                    got == want
                                };
                                assert!(
                                    same,
                                    "{}: {name:?} differs from expected/: {}",
                                    dir.display(),
                                    first_difference(&got, &want)
                                );
                            }
                            let compared = if dir.join("estimate.csv").exists() {
                                check_estimate_against_release(dir)
                            } else {
                                0
                            };
                            (dir.display().to_string(), compared)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        halves
            .into_iter()
            .flat_map(|h| h.join().expect("module thread"))
            .collect()
    });
    // Every module with an estimate step compared published figures with the release.
    let with_step = catalogue
        .indicators
        .iter()
        .filter(|i| incity_indicators::modules::no_estimate_step(i).is_none())
        .count();
    assert!(with_step >= 20, "{with_step} modules with an estimate step");
    // On the small example some country figures are withheld by both paths (early leavers,
    // the smaller EU-SILC groups); most modules still compare several published figures.
    let with_estimate = results.iter().filter(|(_, n)| *n > 0).count();
    let compared: usize = results.iter().map(|(_, n)| n).sum();
    assert!(
        with_estimate >= 18 && compared >= 60,
        "modules whose estimate matched published release figures: {results:?}"
    );
}

#[test]
fn a_module_of_an_unknown_indicator_is_refused_with_the_way_to_list_them() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = Command::new(BIN)
        .args(["catalogue", "module", "no_such_indicator", "--out"])
        .arg(tmp.path())
        .output()
        .expect("run incity");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no_such_indicator") && err.contains("catalogue list indicators"),
        "{err}"
    );
}

#[test]
fn an_estimate_over_the_input_store_names_what_is_wrong_with_the_partition() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let run = |args: &[&str]| {
        let out = Command::new(BIN)
            .args([
                "estimate",
                "--weight",
                "weight",
                "--stat",
                "share(age > 20)",
            ])
            .args(args)
            .output()
            .expect("run incity");
        assert!(!out.status.success(), "{args:?} succeeded");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let dir = tmp.path().to_str().expect("path");
    let e = run(&["--input-store", dir, "--partition", "lfs/AT"]);
    assert!(e.contains("expected SOURCE/COUNTRY/YEAR"), "{e}");
    let e = run(&["--input-store", dir, "--partition", "lfs/AT/last"]);
    assert!(e.contains("the year `last` is not a number"), "{e}");
    let e = run(&["--input-store", dir, "--partition", "lfs/AT/2024"]);
    assert!(
        e.contains("holds no input store") && e.contains("incity import"),
        "{e}"
    );
    assert!(
        !tmp.path().join("inputs").exists(),
        "a failed estimate created an input store"
    );
    // An empty store names what it holds.
    std::fs::create_dir(tmp.path().join("inputs")).expect("inputs");
    let e = run(&["--input-store", dir, "--partition", "silc/BE/2023"]);
    assert!(
        e.contains("no such partition") && e.contains("it holds: nothing"),
        "{e}"
    );
    let e = run(&["--partition", "lfs/AT/2024"]);
    assert!(e.contains("--input-store"), "{e}");
}
