//! Trends end to end: two EU-LFS years of the synthetic Europe whose samples rotate (half of
//! each stratum's clusters kept), imported and computed; `incity trend` shows each year's
//! level and the change with the covariance from the shared PSUs, and the release withholds
//! every change whose levels are withheld.

use std::collections::HashMap;
use std::process::Command;

use incity_estimation::{CovarianceBasis, Flag};
use incity_indicators::{FigureMethod, Measure, Sex};
use incity_store::{FigureFilter, Store};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_incity");

fn ok(args: &[&str]) -> Vec<u8> {
    let out = Command::new(BIN)
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

#[tokio::test]
async fn changes_between_rotating_years_carry_the_covariance_of_shared_psus() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let demo = dir.path().join("demo");
    let demo = demo.to_str().unwrap();
    for year in ["2023", "2024"] {
        ok(&[
            "generate",
            "--out",
            demo,
            "--surveys",
            "lfs",
            "--no-truth",
            "--year",
            year,
            "--lfs-rotation",
            "0.5",
        ]);
    }
    let (a, b) = (
        format!("{demo}/lfs_2023.csv"),
        format!("{demo}/lfs_2024.csv"),
    );
    ok(&["import", "--data-dir", data, "--mapping", "eu-lfs", &a, &b]);
    ok(&["compute", "--data-dir", data, "--synthetic"]);

    let store = Store::open(&dir.path().join("incity.sqlite"))
        .await
        .unwrap();
    let release = store.current_release().await.unwrap().unwrap();
    let changes = store.changes(release.id, None, None).await.unwrap();
    let levels: HashMap<_, _> = store
        .figures(release.id, &FigureFilter::default())
        .await
        .unwrap()
        .into_iter()
        .filter(|f| f.measure == Measure::Level && f.method == FigureMethod::Direct)
        .map(|f| {
            (
                (
                    f.indicator.clone(),
                    f.geo.clone(),
                    f.group.clone(),
                    f.sex,
                    f.year,
                ),
                f,
            )
        })
        .collect();
    assert!(changes.len() > 1000, "{} changes", changes.len());
    let (mut published, mut smaller) = (0, 0);
    for c in &changes {
        assert_eq!((c.from_year, c.to_year), (2023, 2024));
        let level = |year| {
            &levels[&(
                c.indicator.clone(),
                c.geo.clone(),
                c.group.clone(),
                c.sex,
                year,
            )]
        };
        let (before, after) = (level(2023), level(2024));
        if before.estimate.flag == Flag::Suppressed || after.estimate.flag == Flag::Suppressed {
            assert_eq!(c.estimate.flag, Flag::Suppressed, "{c:?}");
            continue;
        }
        let Some(x) = c.estimate.figures else {
            continue;
        };
        let (b, a) = (
            before.estimate.figures.unwrap(),
            after.estimate.figures.unwrap(),
        );
        assert!(
            (x.estimate - (a.estimate - b.estimate)).abs() < 1e-12,
            "{c:?}"
        );
        published += 1;
        if c.covariance == CovarianceBasis::SharedPsus {
            assert!(c.shared_psus >= 2);
            smaller += usize::from(x.se < a.se.hypot(b.se));
        } else {
            assert_eq!(c.shared_psus, 0);
        }
    }
    assert!(published > 500, "{published} published changes");
    // Half the clusters are shared and a cluster's people are the same in both years: the
    // covariance is positive almost everywhere.
    assert!(
        smaller as f64 > 0.9 * published as f64,
        "{smaller} of {published}"
    );
    // Every country's total is estimated with shared PSUs.
    for c in changes
        .iter()
        .filter(|c| c.geo.len() == 2 && c.group == "total" && c.sex == Sex::Total)
    {
        assert_eq!(c.covariance, CovarianceBasis::SharedPsus, "{c:?}");
    }

    // `incity trend` shows the levels and the change, and names the covariance.
    let out = ok(&[
        "trend",
        "--data-dir",
        data,
        "--indicator",
        "employment_rate_20_64",
        "--geo",
        "AT",
        "--output-format",
        "json",
    ]);
    let trend: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(trend["levels"].as_array().unwrap().len(), 2);
    let change = &trend["changes"][0];
    assert_eq!(change["covariance"], "shared-psus");
    let level = |i: usize| trend["levels"][i]["estimate"].as_f64().unwrap();
    assert!((change["estimate"].as_f64().unwrap() - (level(1) - level(0))).abs() < 1e-12);
    let csv = String::from_utf8(ok(&[
        "trend",
        "--data-dir",
        data,
        "--indicator",
        "employment_rate_20_64",
        "--geo",
        "AT",
        "--group",
        "non_eu_born",
    ]))
    .unwrap();
    assert_eq!(csv.lines().count(), 4, "{csv}");
    assert!(csv.lines().nth(3).unwrap().starts_with("change,2023,2024,"));

    // The API gives the same change, and the profile shows it beside the 2024 level.
    let state = incity_portal::AppState::load(store.clone()).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(incity_portal::serve_on(state, listener));
    let api: Value = reqwest::get(format!("{base}/api/v1/trend/employment_rate_20_64/AT"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(api["changes"][0]["estimate"], change["estimate"]);
    assert_eq!(api["changes"][0]["se"], change["se"]);
    let page = reqwest::get(format!("{base}/profile/AT001C"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Change from the year before"));
    assert!(page.contains("since 2023"));
    assert!(page.contains("covariance from shared PSUs"));
}
