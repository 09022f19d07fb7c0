//! Benchmarking over HTTP and the CLI on the default data: a profile's verdict against the
//! country (the jointly estimated difference), and rankings with rank intervals.

use incity_estimation::Flag;
use incity_indicators::{FigureMethod, GeoLevel, Measure};
use serde_json::Value;

use crate::http::{all_figures, check_no_suppressed_number, get, html, json};
use crate::portal;

fn cli(args: &[&str]) -> Value {
    let out = std::process::Command::new(crate::BIN)
        .args(args)
        .args(["--data-dir", crate::fixture().to_str().unwrap()])
        .args(["--output-format", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn number(v: &Value, key: &str) -> f64 {
    v[key].as_f64().unwrap_or_else(|| panic!("{key} in {v}"))
}

#[tokio::test]
async fn the_profile_says_whether_a_city_differs_from_its_country_using_their_covariance() {
    let (base, store) = portal().await;
    let api = json(&format!("{base}/api/v1/profile/AT001C?method=direct")).await;
    let mut seen = (0, 0);
    check_no_suppressed_number(&api, &mut seen);
    let (mut tested, mut correlated, mut verdicts) = (0, 0, std::collections::BTreeSet::new());
    for row in api["rows"].as_array().unwrap() {
        let versus = &row["versus_country"];
        if row["measure"] != "level" {
            assert!(
                versus.is_null(),
                "a gap is not compared with the country: {row}"
            );
            continue;
        }
        let verdict = versus["verdict"].as_str().unwrap();
        verdicts.insert(verdict.to_string());
        let d = &versus["difference"];
        let (area, country) = (&row["figures"][0], &row["figures"][1]);
        match verdict {
            "not_computed" => assert!(d.is_null()),
            "not_published" => assert!(d["estimate"].is_null() && d["flag"] == "c"),
            _ => {
                let (lo, hi) = (number(d, "ci_low"), number(d, "ci_high"));
                let expected = if lo > 0.0 {
                    "higher"
                } else if hi < 0.0 {
                    "lower"
                } else {
                    "not_significant"
                };
                assert_eq!(verdict, expected, "{row}");
                // The difference is the two published figures' difference ...
                let diff = number(area, "estimate") - number(country, "estimate");
                assert!((number(d, "estimate") - diff).abs() < 1e-12, "{row}");
                // ... and its variance is not that of independent samples: the city's PSUs are
                // the country's, so the covariance is positive and the variance smaller.
                // (A share of 0 % or 100 % has no design-based variance: nothing to compare.)
                let Some(area_se) = area["se"].as_f64() else {
                    continue;
                };
                let independent = area_se.hypot(number(country, "se"));
                tested += 1;
                correlated += usize::from(number(d, "se") < independent);
            }
        }
    }
    assert!(tested >= 20, "{tested} differences tested");
    assert_eq!(
        correlated, tested,
        "every difference carries the covariance"
    );
    assert!(verdicts.contains("not_significant") && verdicts.contains("not_computed"));
    // Secondary suppression: no published difference beside a withheld area figure, and no
    // country is compared with itself.
    let figures = all_figures(&store).await;
    let withheld: std::collections::HashSet<_> = figures
        .iter()
        .filter(|f| {
            f.measure == Measure::Level
                && f.method == FigureMethod::Direct
                && f.estimate.flag == Flag::Suppressed
        })
        .map(|f| (&f.indicator, f.year, &f.geo, &f.group, f.sex))
        .collect();
    let differences: Vec<_> = figures
        .iter()
        .filter(|f| f.measure == Measure::CountryDifference)
        .collect();
    assert!(!differences.is_empty());
    for f in differences {
        assert_ne!(f.geo_level, GeoLevel::Country);
        if withheld.contains(&(&f.indicator, f.year, &f.geo, &f.group, f.sex)) {
            assert_eq!(f.estimate.flag, Flag::Suppressed, "{f:?}");
        }
    }
    let page = html(&format!("{base}/profile/AT001C")).await;
    assert!(page.contains("Versus the country"));
    assert!(page.contains("no significant difference"));
    // `incity profile` reads the same verdicts from the store.
    let out = cli(&["profile", "--geo", "AT001C"]);
    let api_verdicts: Vec<(String, String, String)> = api["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["measure"] == "level")
        .map(|r| {
            (
                r["indicator"].as_str().unwrap().to_string(),
                r["group"].as_str().unwrap().to_string(),
                r["versus_country"]["verdict"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    for (indicator, group, verdict) in &api_verdicts {
        let row = out["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| {
                r["area"]["indicator"] == *indicator
                    && r["area"]["group"] == *group
                    && r["area"]["measure"] == "level"
                    && r["area"]["method"] == "direct"
            })
            .unwrap_or_else(|| panic!("{indicator} {group} in the CLI profile"));
        assert_eq!(row["versus_country"], *verdict, "{indicator} {group}");
    }
}

#[tokio::test]
async fn rankings_nest_by_coverage_and_confidence_and_the_cli_agrees() {
    let (base, _) = portal().await;
    let url = |q: &str| format!("{base}/api/v1/rank/employment_rate_20_64/nuts2?group=total{q}");
    let marginal = json(&url("")).await;
    let simultaneous = json(&url("&coverage=simultaneous")).await;
    let narrow = json(&url("&confidence=0.9")).await;
    assert!(marginal["assumptions"]
        .as_str()
        .unwrap()
        .contains("Mogstad"));
    assert_eq!(marginal["model_based"], false);
    let ranked = marginal["ranked"].as_array().unwrap();
    let k = ranked.len() as u64;
    assert!(k > 100, "{k}");
    let interval = |answer: &Value, geo: &Value| {
        let r = answer["ranked"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["geo"] == *geo)
            .unwrap()
            .clone();
        (
            r["rank_lower"].as_u64().unwrap(),
            r["rank_upper"].as_u64().unwrap(),
        )
    };
    let mut previous = 0;
    for r in ranked {
        let rank = r["rank"].as_u64().unwrap();
        let (lo, hi) = interval(&marginal, &r["geo"]);
        assert!(1 <= lo && lo <= rank && rank <= hi && hi <= k, "{r}");
        assert!(rank >= previous, "best rank first");
        previous = rank;
        let (slo, shi) = interval(&simultaneous, &r["geo"]);
        assert!(
            slo <= lo && hi <= shi,
            "simultaneous contains marginal: {r}"
        );
        let (nlo, nhi) = interval(&narrow, &r["geo"]);
        assert!(lo <= nlo && nhi <= hi, "90 % within 95 %: {r}");
    }
    // What is not ranked is listed, withheld figures without a number.
    let mut seen = (0, 0);
    check_no_suppressed_number(&marginal, &mut seen);
    // Model-based figures are ranked with their RMSE, and say so.
    let model = json(&format!(
        "{base}/api/v1/rank/employment_rate_20_64/nuts2?group=non_eu_born&method=model"
    ))
    .await;
    assert_eq!(model["model_based"], true);
    assert!(model["ranked"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["figure"]["method"] == "model-based" && r["figure"]["rmse"].is_number()));
    for (q, status) in [
        ("&coverage=bogus", 400),
        ("&confidence=1.5", 400),
        ("&measure=x", 400),
    ] {
        assert_eq!(get(&url(q)).await.status().as_u16(), status, "{q}");
    }
    // `incity rank` gives the same ranks and intervals from the store.
    let out = cli(&[
        "rank",
        "--indicator",
        "employment_rate_20_64",
        "--level",
        "nuts2",
        "--group",
        "total",
    ]);
    assert_eq!(
        out["notes"], marginal["notes"],
        "the same comparability notes"
    );
    let cli_ranked = out["ranked"].as_array().unwrap();
    assert_eq!(cli_ranked.len(), ranked.len());
    for (c, a) in cli_ranked.iter().zip(ranked) {
        assert_eq!(c["figure"]["geo"], a["geo"]);
        assert_eq!(
            (&c["rank"], &c["rank_lower"], &c["rank_upper"]),
            (&a["rank"], &a["rank_lower"], &a["rank_upper"])
        );
    }
}

#[tokio::test]
async fn a_trend_lists_the_years_levels_and_refuses_what_the_release_lacks() {
    let (base, _) = portal().await;
    // The default release holds one year: its level and no change.
    let one = json(&format!(
        "{base}/api/v1/trend/employment_rate_20_64/AT002C?group=non_eu_born"
    ))
    .await;
    let levels = one["levels"].as_array().unwrap();
    assert_eq!(levels.len(), 1);
    assert_eq!(levels[0]["measure"], "level");
    assert_eq!(one["changes"].as_array().unwrap().len(), 0);
    for (path, status) in [
        ("employment_rate_20_64/XX999?group=total", 404),
        ("no_such_indicator/AT002C", 404),
        ("employment_rate_20_64/AT002C?sex=X", 400),
    ] {
        let r = get(&format!("{base}/api/v1/trend/{path}")).await;
        assert_eq!(r.status().as_u16(), status, "{path}");
    }
}

/// Active citizenship from two administrative tables: the profile gives, for a city, the
/// acquisition rate as the stored acquisitions over the stored foreign citizens on 1 January
/// (read independently from the store), labelled administrative, without any standard
/// error or interval; the page shows the section.
#[tokio::test]
async fn the_profile_shows_active_citizenship_from_two_tables_without_a_standard_error() {
    let (base, store) = portal().await;
    let api = json(&format!("{base}/api/v1/profile/AT001C")).await;
    let rows = api["administrative"].as_array().unwrap();
    assert!(rows.len() >= 4, "{rows:?}");
    let mut counts = Vec::new();
    for dataset in ["MIGR_ACQ", "MIGR_POP1CTZ"] {
        let obs = store
            .published_observations(dataset, Some("AT001C"))
            .await
            .unwrap();
        counts.push(
            obs.iter()
                .find(|o| o.key.iter().any(|k| k == "NEU27_2020_FOR"))
                .and_then(|o| o.value)
                .unwrap(),
        );
    }
    let rate = rows
        .iter()
        .find(|r| {
            r["indicator"] == "citizenship_acquisition_rate" && r["group"] == "non_eu_citizens"
        })
        .unwrap();
    let expected = counts[0] / counts[1];
    assert!((number(rate, "value") - expected).abs() < 1e-12, "{rate}");
    assert!(expected > 0.0 && expected < 0.1);
    assert_eq!(rate["method"], "administrative");
    assert!(rate.get("se").is_none() && rate.get("ci_low").is_none());
    let long_term = rows
        .iter()
        .find(|r| r["indicator"] == "long_term_residents_share")
        .unwrap();
    let share = number(long_term, "value");
    assert!((0.3..0.9).contains(&share), "{long_term}");
    let page = html(&format!("{base}/profile/AT001C")).await;
    assert!(
        page.contains("Citizenship acquisition rate")
            && page.contains("no sample, so no standard error")
    );
}
