//! The toolbox in the portal: pages with filters, the precision and evidence computed from the
//! served release (checked against the store's figures), the glossary, and a module's zip
//! archive equal to what `incity catalogue module` writes.

use std::io::Read;

use incity_estimation::Flag;
use incity_indicators::{FigureMethod, GeoLevel, Measure, Sex};

use crate::http::{all_figures, get, html, json};
use crate::portal;

#[tokio::test]
async fn toolbox_pages_answer_and_filter() {
    let (base, _) = portal().await;
    for path in [
        "/toolbox",
        "/sources",
        "/tools",
        "/recommendations",
        "/modules",
        "/modules/employment_rate_20_64",
        "/sources?topic=income&access=secure-access",
        "/tools?type=software&q=small+area",
    ] {
        assert!(
            html(&format!("{base}{path}")).await.contains("<main>"),
            "{path}"
        );
    }
    let city = html(&format!("{base}/sources?level=city")).await;
    assert!(city.contains("id=\"census-2021\"") && city.contains("id=\"population-registers\""));
    assert!(!city.contains("id=\"eu-lfs\"") && !city.contains("id=\"ess\""));
    let software = json(&format!(
        "{base}/api/v1/toolbox/tools?type=software&q=small%20area"
    ))
    .await;
    let ids: Vec<&str> = software
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    assert!(
        ids.contains(&"r-emdi") && !ids.contains(&"r-laeken"),
        "{ids:?}"
    );
    // Unknown codes are refused, naming the allowed ones, in the caller's dialect.
    let r = get(&format!("{base}/api/v1/toolbox/sources?level=town")).await;
    assert_eq!(r.status(), 400);
    let e: serde_json::Value = r.json().await.unwrap();
    assert!(e["error"].as_str().unwrap().contains("nuts2"), "{e}");
    let r = get(&format!("{base}/sources?level=town")).await;
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("expected one of"));
    let r = get(&format!("{base}/modules/no_such_indicator")).await;
    assert_eq!(r.status(), 404);
    // Unverified references are marked as such.
    let tools = html(&format!("{base}/tools")).await;
    assert!(tools.contains("(checked 2026-12-05)") && tools.contains("(not yet verified)"));
    let glossary = json(&format!("{base}/api/v1/glossary")).await;
    let terms = glossary.as_array().unwrap();
    assert!(terms.len() >= 40);
    assert!(terms
        .iter()
        .all(|t| !t["references"].as_array().unwrap().is_empty()));
    let page = html(&format!("{base}/glossary")).await;
    assert!(
        page.contains("id=\"design-effect\"")
            && page.contains("/indicators/overcrowding_18_plus/about")
    );
    let about = html(&format!("{base}/indicators/overcrowding_18_plus/about")).await;
    assert!(
        about.contains("/glossary#overcrowding")
            && about.contains("/sources#eu-silc")
            && about.contains("/modules/overcrowding_18_plus")
    );
}

/// The lower median (the lower of the two middle values).
fn lower_median(mut v: Vec<u64>) -> Option<u64> {
    v.sort();
    v.get(v.len().saturating_sub(1) / 2).copied()
}

#[tokio::test]
async fn a_surveys_city_precision_is_read_from_the_served_figures() {
    let (base, store) = portal().await;
    let figures = all_figures(&store).await;
    let sources = json(&format!("{base}/api/v1/toolbox/sources?type=survey")).await;
    let lfs = sources
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == "eu-lfs")
        .unwrap();
    let p = &lfs["precision"];
    assert_eq!(p["indicator"], "employment_rate_20_64");
    let cells: Vec<_> = figures
        .iter()
        .filter(|f| {
            f.indicator == "employment_rate_20_64"
                && f.geo_level == GeoLevel::City
                && f.group == "non_eu_born"
                && f.sex == Sex::Total
                && f.measure == Measure::Level
                && f.method == FigureMethod::Direct
                && !f.is_pooled()
        })
        .collect();
    let year = cells.iter().map(|f| f.year).max().unwrap();
    let cells: Vec<_> = cells.into_iter().filter(|f| f.year == year).collect();
    assert_eq!(p["year"], year);
    assert_eq!(p["cities"], cells.len());
    assert_eq!(
        p["reliable"],
        cells
            .iter()
            .filter(|f| f.estimate.flag == Flag::Reliable)
            .count()
    );
    // Respondents are known from the direct figure or, where it is withheld, from the
    // published model-based figure of the same cell (it carries the cell's sample size).
    let respondents: Vec<u64> = cells
        .iter()
        .filter_map(|f| {
            f.estimate.figures.map(|x| x.n).or_else(|| {
                figures
                    .iter()
                    .find(|m| {
                        matches!(m.method, FigureMethod::ModelBased { .. })
                            && m.indicator == f.indicator
                            && m.geo == f.geo
                            && m.group == f.group
                            && m.year == f.year
                            && m.first_year == f.first_year
                            && m.sex == f.sex
                            && m.measure == f.measure
                    })
                    .and_then(|m| m.estimate.figures.map(|x| x.n))
            })
        })
        .collect();
    assert_eq!(p["median_respondents"].as_u64(), lower_median(respondents));
    // Where the planner has a basis, more respondents than now are needed for a 16.6 % CV
    // than for the CV a published city figure has.
    assert!(p["median_respondents_for_target_cv"].as_u64().unwrap() > 0);
    // Sources incity does not compute from have no precision.
    let ess = json(&format!("{base}/api/v1/toolbox/sources?q=social%20survey")).await;
    assert!(ess
        .as_array()
        .unwrap()
        .iter()
        .all(|s| s["precision"].is_null()));

    // The evidence of the recommendations counts the same figures.
    let recs = json(&format!("{base}/api/v1/toolbox/recommendations")).await;
    let read = recs
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "cities-read-uncertainty")
        .unwrap();
    let text = read["evidence_from_release"].as_str().unwrap();
    let catalogue = incity_indicators::Catalogue::embedded();
    let references: Vec<(&str, &str)> = catalogue
        .groupings
        .iter()
        .map(|g| (g.id.as_str(), g.reference.as_str()))
        .collect();
    let mut latest = std::collections::BTreeMap::new();
    let migrant_city: Vec<_> = figures
        .iter()
        .filter(|f| {
            f.geo_level == GeoLevel::City
                && f.measure == Measure::Level
                && f.sex == Sex::Total
                && !f.is_pooled()
                && f.method == FigureMethod::Direct
                && f.grouping != "total"
                && !references.contains(&(f.grouping.as_str(), f.group.as_str()))
        })
        .collect();
    for f in &migrant_city {
        let y = latest.entry(f.indicator.clone()).or_insert(f.year);
        *y = (*y).max(f.year);
    }
    let latest_cells: Vec<_> = migrant_city
        .iter()
        .filter(|f| latest[&f.indicator] == f.year)
        .collect();
    let reliable = latest_cells
        .iter()
        .filter(|f| f.estimate.flag == Flag::Reliable)
        .count();
    assert!(
        text.contains(&format!(
            "{reliable} of {} city figures",
            latest_cells.len()
        )),
        "{text}"
    );
}

#[tokio::test]
async fn a_modules_zip_holds_what_the_command_line_writes() {
    let (base, _) = portal().await;
    let r = get(&format!("{base}/modules/in_work_poverty_18_plus/download")).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/zip");
    assert!(r.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains("in_work_poverty_18_plus.zip"));
    let bytes = r.bytes().await.unwrap();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_incity"))
        .args(["catalogue", "module", "in_work_poverty_18_plus", "--out"])
        .arg(tmp.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut names = Vec::new();
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).unwrap();
        let name = entry.name().to_string();
        let mut content = Vec::new();
        entry.read_to_end(&mut content).unwrap();
        let written = std::fs::read(tmp.path().join(&name)).unwrap();
        assert!(
            content == written,
            "{name} differs between the zip and the command line"
        );
        names.push(name);
    }
    for f in [
        "README.md",
        "commands.txt",
        "catalogue/catalogue.toml",
        "mapping/eu-silc.toml",
        "expected/figures.csv",
    ] {
        assert!(
            names.contains(&format!("in_work_poverty_18_plus/{f}")),
            "{f} in {names:?}"
        );
    }
    let list = json(&format!("{base}/api/v1/modules")).await;
    let catalogue = incity_indicators::Catalogue::embedded();
    assert_eq!(
        list.as_array().unwrap().len(),
        catalogue.indicators.len() + catalogue.administrative.len()
    );
}
