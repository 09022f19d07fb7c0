//! A person's path through the portal in headless Chromium (Debian's `chromium`, driven by
//! its `chromedriver` over WebDriver): search for Graz, read its profile, explore the
//! employment gap of non-EU-born residents across cities on the map, compare Graz with cities
//! of other countries. Every page is checked by axe-core (no serious or critical
//! violation) and saved as a screenshot in `target/tmp/browser-screenshots/`.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use incity_indicators::{FigureMethod, GeoLevel, Measure, Sex};
use incity_store::FigureFilter;
use serde_json::{json, Value};

use crate::{free_port, portal};

pub(crate) struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub(crate) async fn browser() -> (Driver, Client) {
    let port = free_port();
    let driver = Driver(
        Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver (Debian package chromium-driver; scripts/install-test-dependencies.sh installs it)"),
    );
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": "/usr/bin/chromium",
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                     "--no-first-run", "--disable-dev-shm-usage", "--window-size=1300,1500"]
        }),
    );
    let start = Instant::now();
    let client = loop {
        match ClientBuilder::rustls()
            .expect("TLS roots")
            .capabilities(caps.clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
        {
            Ok(c) => break c,
            Err(e) if start.elapsed() < Duration::from_secs(30) => {
                let _ = e;
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(e) => panic!("no WebDriver session: {e}"),
        }
    };
    (driver, client)
}

fn screenshots() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("browser-screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Saves a screenshot and runs axe-core on the page: no serious or critical violation.
pub(crate) async fn look(client: &Client, name: &str) {
    let png = client.screenshot().await.unwrap();
    std::fs::write(screenshots().join(format!("{name}.png")), png).unwrap();
    let axe = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/browser/node_modules/axe-core/axe.min.js"),
    )
    .expect("axe-core (scripts/install-test-dependencies.sh installs it)");
    client.execute(&axe, vec![]).await.unwrap();
    let violations = client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document, { resultTypes: ['violations'] }).then(r => done(r.violations.map(v =>
                 ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.length,
                    first: v.nodes[0] && v.nodes[0].html }))));",
            vec![],
        )
        .await
        .unwrap();
    let serious: Vec<&Value> = violations
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["impact"] == "serious" || v["impact"] == "critical")
        .collect();
    assert!(
        serious.is_empty(),
        "{name}: accessibility violations {serious:#?}"
    );
}

/// Clicks the element and waits until the browser has loaded the page it leads to (a click
/// returns before the navigation; reading the old page then fails as stale).
async fn follow(client: &Client, locator: Locator<'_>) {
    let before = client.current_url().await.unwrap();
    client.find(locator).await.unwrap().click().await.unwrap();
    let start = Instant::now();
    while client.current_url().await.unwrap() == before {
        assert!(start.elapsed() < Duration::from_secs(30), "no navigation");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    client
        .wait()
        .for_element(Locator::Css("footer"))
        .await
        .unwrap();
}

/// The text of the first element matching.
pub(crate) async fn text(client: &Client, locator: Locator<'_>) -> String {
    client.find(locator).await.unwrap().text().await.unwrap()
}

#[tokio::test]
async fn a_person_compares_graz_with_cities_of_other_countries() {
    let (base, store) = portal().await;
    let release = store.current_release().await.unwrap().unwrap();
    let graz = store
        .figures(
            release.id,
            &FigureFilter {
                geo: Some("AT002C".into()),
                sex: Some(Sex::Total),
                ..FigureFilter::default()
            },
        )
        .await
        .unwrap();
    let (_driver, c) = browser().await;

    // Home → search → Graz's profile.
    c.goto(&base).await.unwrap();
    look(&c, "1-home").await;
    c.find(Locator::Css("#home-search"))
        .await
        .unwrap()
        .send_keys("Graz")
        .await
        .unwrap();
    follow(&c, Locator::Css("main form button")).await;
    follow(&c, Locator::LinkText("Graz (city, AT002C)")).await;
    let h1 = text(&c, Locator::Css("h1")).await;
    assert!(h1.starts_with("Graz"), "{h1}");
    look(&c, "2-profile-graz").await;
    // The employment rate of all persons, as the store has it.
    let total = graz
        .iter()
        .find(|f| {
            f.indicator == "employment_rate_20_64"
                && f.group == "total"
                && f.method == FigureMethod::Direct
                && f.measure == Measure::Level
        })
        .unwrap();
    let cell = c
        .find(Locator::XPath(
            "//section[@aria-labelledby='ind-employment_rate_20_64']//tbody/tr[th='All persons']/td[1]",
        ))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(
        cell,
        format!("{:.1}", total.estimate.figures.unwrap().estimate * 100.0)
    );

    // The explorer: the gap of the non-EU-born across cities, on the map.
    c.goto(&format!(
        "{base}/explore?indicator=employment_rate_20_64&level=city&group=non_eu_born&measure=difference&method=direct"
    ))
    .await
    .unwrap();
    look(&c, "3-explorer-cities-gap").await;
    let cities = store
        .figures(
            release.id,
            &FigureFilter {
                indicator: Some("employment_rate_20_64".into()),
                geo_level: Some(GeoLevel::City),
                sex: Some(Sex::Total),
                ..FigureFilter::default()
            },
        )
        .await
        .unwrap();
    let gaps: Vec<_> = cities
        .iter()
        .filter(|f| f.group == "non_eu_born" && f.measure == Measure::Difference)
        .collect();
    let markers = c.find_all(Locator::Css("figure.map g.area")).await.unwrap();
    assert_eq!(markers.len(), gaps.len(), "a marker per city");
    // Suppressed cells show no number.
    for f in gaps.iter().filter(|f| f.estimate.figures.is_none()) {
        let row = c
            .find(Locator::Css(&format!("tr[data-geo='{}']", f.geo)))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(row.contains("not published"), "{row}");
        assert!(
            !row.chars().any(|ch| ch == '.'),
            "a suppressed row shows a number: {row}"
        );
    }

    // Model-based figures show their label (levels of the non-EU-born in cities).
    c.goto(&format!(
        "{base}/explore?indicator=employment_rate_20_64&level=city&group=non_eu_born&method=best"
    ))
    .await
    .unwrap();
    let labels = c
        .find_all(Locator::Css("td span.model-based"))
        .await
        .unwrap();
    let models = cities
        .iter()
        .filter(|f| {
            f.group == "non_eu_born"
                && f.measure == Measure::Level
                && f.method != FigureMethod::Direct
        })
        .count();
    assert!(!labels.is_empty() && labels.len() <= models);
    assert_eq!(labels[0].text().await.unwrap(), "model-based");
    look(&c, "4-explorer-cities-best").await;

    // Graz beside similar cities of other countries: the profile's link.
    c.goto(&format!("{base}/profile/AT002C")).await.unwrap();
    follow(&c, Locator::LinkText("Compare Graz with these")).await;
    let h1 = text(&c, Locator::Css("h1")).await;
    assert!(h1.starts_with("Compare Graz, "), "{h1}");
    let gap_row = c
        .find(Locator::XPath(
            "//section[h2[starts-with(., 'Employment rate')]]//tbody/tr[th='Gap: Born outside the EU − native-born']",
        ))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        gap_row.contains("not published") || gap_row.contains(" – "),
        "{gap_row}"
    );
    look(&c, "5-compare-peers").await;

    // Compare Graz with cities of other countries, chosen on the form.
    c.goto(&format!("{base}/compare")).await.unwrap();
    for city in ["AT002C", "BE001C", "NL001C"] {
        c.find(Locator::Css(&format!("input[name='geo'][value='{city}']")))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
    }
    c.find(Locator::Css(
        "form.selector select[name='indicator'] option[value='employment_rate_20_64']",
    ))
    .await
    .unwrap()
    .click()
    .await
    .unwrap();
    follow(&c, Locator::Css("form.selector button")).await;
    let h1 = text(&c, Locator::Css("h1")).await;
    assert_eq!(
        h1,
        "Compare Graz, Bruxelles/Brussel (greater city), Amsterdam (greater city)"
    );
    let notes = c.find_all(Locator::Css("ul.notes li")).await.unwrap();
    assert!(!notes.is_empty(), "comparability notes");
    look(&c, "6-compare-chosen").await;
    c.close().await.unwrap();
}
