//! Every endpoint over HTTP: status, content type, values against the store, no suppressed
//! number anywhere, errors as the caller's dialect, caching headers, the OpenAPI document.

use std::collections::{BTreeSet, HashMap};

use incity_estimation::Flag;
use incity_indicators::{Figure, FigureMethod, GeoLevel, Measure, Sex};
use incity_store::{FigureFilter, Store};
use reqwest::header;
use serde_json::Value;

use crate::portal;

pub(crate) async fn get(url: &str) -> reqwest::Response {
    reqwest::get(url).await.unwrap()
}

/// The body of a 200 answer of the given content type.
async fn body(url: &str, content_type: &str) -> reqwest::Response {
    let r = get(url).await;
    assert_eq!(r.status(), 200, "{url}");
    let ct = r.headers()[header::CONTENT_TYPE].to_str().unwrap();
    assert!(ct.starts_with(content_type), "{url}: {ct}");
    r
}

pub(crate) async fn json(url: &str) -> Value {
    body(url, "application/json").await.json().await.unwrap()
}

pub(crate) async fn html(url: &str) -> String {
    body(url, "text/html").await.text().await.unwrap()
}

pub(crate) async fn all_figures(store: &Store) -> Vec<Figure> {
    let release = store.current_release().await.unwrap().unwrap();
    store
        .figures(release.id, &FigureFilter::default())
        .await
        .unwrap()
}

/// Walks a JSON answer and checks every figure object: a suppressed one (flag `c`) carries no
/// number. Returns how many figures it saw and how many were suppressed.
pub(crate) fn check_no_suppressed_number(v: &Value, seen: &mut (usize, usize)) {
    match v {
        Value::Object(o) => {
            if o.contains_key("flag") && o.contains_key("measure") {
                seen.0 += 1;
                if o["flag"] == "c" {
                    seen.1 += 1;
                    for key in [
                        "estimate",
                        "se",
                        "rmse",
                        "ci_low",
                        "ci_high",
                        "cv",
                        "n",
                        "population",
                        "deff",
                        "df",
                    ] {
                        assert!(o.get(key).is_none(), "suppressed figure leaks {key}: {v}");
                    }
                }
            }
            o.values().for_each(|x| check_no_suppressed_number(x, seen));
        }
        Value::Array(a) => a.iter().for_each(|x| check_no_suppressed_number(x, seen)),
        _ => {}
    }
}

/// Checks a CSV download: the header of `incity export`, and no number in a suppressed row.
/// Returns its rows as maps.
fn csv_rows(text: &str) -> Vec<HashMap<String, String>> {
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let headers: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    for col in [
        "indicator",
        "geo",
        "group",
        "flag",
        "estimate",
        "ci_low",
        "method",
    ] {
        assert!(headers.iter().any(|h| h == col), "no column {col}");
    }
    let rows: Vec<HashMap<String, String>> = r
        .records()
        .map(|rec| {
            headers
                .iter()
                .cloned()
                .zip(rec.unwrap().iter().map(String::from))
                .collect()
        })
        .collect();
    for row in &rows {
        if row["flag"] == "c" {
            for col in ["estimate", "se", "ci_low", "ci_high", "cv", "n"] {
                assert!(
                    row.get(col).is_none_or(|v| v.is_empty()),
                    "suppressed row has {col}: {row:?}"
                );
            }
        }
    }
    rows
}

#[tokio::test]
async fn the_profile_shows_the_stores_figures_and_hides_suppressed_ones() {
    let (base, store) = portal().await;
    let figures = all_figures(&store).await;
    let graz: Vec<&Figure> = figures
        .iter()
        .filter(|f| f.geo == "AT002C" && f.sex == Sex::Total)
        .collect();
    assert!(graz.len() > 100, "Graz has {} figures", graz.len());

    let page = html(&format!("{base}/profile/AT002C")).await;
    assert!(page.contains("<h1>Graz"), "title");
    assert!(page.contains("Austria"), "the country beside the city");
    assert!(
        page.contains("model-based"),
        "model-based figures are labelled"
    );
    assert!(page.contains("not published"));

    let api = json(&format!("{base}/api/v1/profile/AT002C?method=direct")).await;
    assert_eq!(api["geos"], serde_json::json!(["AT002C", "AT"]));
    let mut seen = (0, 0);
    check_no_suppressed_number(&api, &mut seen);
    assert!(seen.1 > 0, "Graz has suppressed figures");
    // Every direct figure of Graz (both sexes) is in the profile with the store's values (the
    // differences from Austria beside their levels, not as rows).
    let rows = api["rows"].as_array().unwrap();
    let direct: Vec<&&Figure> = graz
        .iter()
        .filter(|f| f.method == FigureMethod::Direct && f.measure != Measure::CountryDifference)
        .collect();
    assert_eq!(rows.len(), direct.len());
    for f in direct {
        let row = rows
            .iter()
            .find(|r| {
                r["indicator"] == f.indicator.as_str()
                    && r["group"] == f.group.as_str()
                    && r["measure"] == f.measure.code()
            })
            .unwrap_or_else(|| panic!("{f:?} not in the profile"));
        let shown = &row["figures"][0];
        assert_eq!(shown["flag"], f.estimate.flag.code());
        match f.estimate.figures {
            Some(x) => {
                assert_eq!(shown["estimate"].as_f64(), Some(x.estimate));
                assert_eq!(shown["ci_low"].as_f64(), Some(x.ci_low));
                // The HTML page shows the number (with --method=best it may show the
                // model-based one instead; the direct page must show it).
                if f.estimate.flag == Flag::Reliable {
                    let text = match f.measure {
                        Measure::Ratio => format!("{:.2}", x.estimate),
                        _ if f.indicator.starts_with("median") => format!("{:.0}", x.estimate),
                        _ => format!("{:.1}", x.estimate * 100.0),
                    };
                    assert!(page.contains(&text), "{text} of {f:?} not on the page");
                }
            }
            None => assert!(shown.get("estimate").is_none()),
        }
    }
}

#[tokio::test]
async fn the_explorer_table_chart_map_and_downloads_agree_with_the_store() {
    let (base, store) = portal().await;
    let figures = all_figures(&store).await;
    let query = "indicator=employment_rate_20_64&level=nuts2&group=non_eu_born&measure=level&sex=T&period=2024&method=direct";
    let expected: Vec<&Figure> = figures
        .iter()
        .filter(|f| {
            f.indicator == "employment_rate_20_64"
                && f.geo_level == GeoLevel::Nuts2
                && f.group == "non_eu_born"
                && f.measure == Measure::Level
                && f.sex == Sex::Total
                && f.method == FigureMethod::Direct
        })
        .collect();
    assert!(expected.len() > 100);

    let api = json(&format!("{base}/api/v1/explore?{query}")).await;
    let rows = api["rows"].as_array().unwrap();
    assert_eq!(rows.len(), expected.len());
    let mut seen = (0, 0);
    check_no_suppressed_number(&api, &mut seen);
    for f in &expected {
        let row = rows.iter().find(|r| r["geo"] == f.geo.as_str()).unwrap();
        assert_eq!(
            row["figure"]["estimate"].as_f64(),
            f.estimate.figures.map(|x| x.estimate),
            "{}",
            f.geo
        );
    }

    let page = html(&format!("{base}/explore?{query}")).await;
    // The map has one area per region (all NUTS 2 regions of the release lie in the frame
    // but the outermost ones, which the caption names).
    let on_map = page.matches("<g class=\"area\" data-geo=").count();
    let outside = expected
        .iter()
        .filter(|f| {
            ["ES70", "FRY", "PT20", "PT30"]
                .iter()
                .any(|o| f.geo.starts_with(o))
        })
        .count();
    assert_eq!(on_map + outside, expected.len(), "map areas");
    for f in &expected {
        assert!(
            page.contains(&format!("<tr data-geo=\"{}\"", f.geo)),
            "{}",
            f.geo
        );
    }
    // The chart draws exactly the published figures; the table says "not published" for the
    // others.
    let published = expected
        .iter()
        .filter(|f| f.estimate.figures.is_some())
        .count();
    assert_eq!(page.matches("<g class=\"row\"").count(), published);
    assert_eq!(
        page.matches(">not published</td>").count(),
        expected.len() - published
    );

    let csv = get(&format!("{base}/explore.csv?{query}")).await;
    assert_eq!(csv.status(), 200);
    assert!(csv.headers()[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let rows = csv_rows(&csv.text().await.unwrap());
    assert_eq!(rows.len(), expected.len());
    let geos: BTreeSet<&str> = rows.iter().map(|r| r["geo"].as_str()).collect();
    assert_eq!(geos, expected.iter().map(|f| f.geo.as_str()).collect());

    // Sorted by estimate, descending: published figures in order, then the others.
    let sorted = json(&format!(
        "{base}/api/v1/explore?{query}&sort=estimate&order=desc"
    ))
    .await;
    let values: Vec<Option<f64>> = sorted["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["figure"]["estimate"].as_f64())
        .collect();
    let n = values.iter().filter(|v| v.is_some()).count();
    assert!(values[..n].windows(2).all(|w| w[0] >= w[1]));
    assert!(values[n..].iter().all(Option::is_none));
}

#[tokio::test]
async fn the_best_figure_is_model_based_only_where_the_direct_one_is_not_published() {
    let (base, _) = portal().await;
    let api = json(&format!(
        "{base}/api/v1/explore?level=city&group=non_eu_born&method=best"
    ))
    .await;
    let mut models = 0;
    for row in api["rows"].as_array().unwrap() {
        let f = &row["figure"];
        if f["method"] == "model-based" {
            models += 1;
            assert!(f["model"].is_string(), "the model is named: {f}");
            assert!(f["rmse"].is_number() || f["flag"] == "c");
            assert_ne!(row["direct"]["flag"], "", "direct figure published: {row}");
        } else {
            assert_eq!(f["method"], "direct");
        }
    }
    assert!(models > 0, "no model-based figure at city level");
}

#[tokio::test]
async fn comparison_across_countries_carries_notes_and_downloads() {
    let (base, _) = portal().await;
    let q = "geo=AT002C,BE001C,NL001C&indicator=employment_rate_20_64";
    let api = json(&format!("{base}/api/v1/compare?{q}")).await;
    assert_eq!(
        api["geos"],
        serde_json::json!(["AT002C", "BE001C", "NL001C"])
    );
    let rows = api["rows"].as_array().unwrap();
    assert!(!rows.is_empty());
    assert!(rows
        .iter()
        .all(|r| r["figures"].as_array().unwrap().len() == 3));
    assert_eq!(api["notes"][0]["indicator"], "employment_rate_20_64");
    assert!(api["notes"][0]["notes"][0]
        .as_str()
        .unwrap()
        .contains("samples of 3 countries (AT, BE, NL)"));
    // A row notes differing methods exactly where its figures' methods differ.
    for r in rows {
        let methods: BTreeSet<&str> = r["figures"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|f| f["method"].as_str())
            .collect();
        let noted = r["notes"].as_array().is_some_and(|n| {
            n.iter()
                .any(|x| x.as_str().unwrap().starts_with("methods differ"))
        });
        assert_eq!(noted, methods.len() > 1, "{r}");
    }
    let mut seen = (0, 0);
    check_no_suppressed_number(&api, &mut seen);
    let page = html(&format!("{base}/compare?{q}")).await;
    assert!(page.contains("Graz") && page.contains("Comparability:"));
    let csv = get(&format!("{base}/compare/figures.csv?{q}")).await;
    let rows = csv_rows(&csv.text().await.unwrap());
    assert_eq!(rows.len(), seen.0);
    // Repeated parameters work like the comma list.
    let repeated = json(&format!(
        "{base}/api/v1/compare?geo=AT002C&geo=BE001C&geo=NL001C&indicator=employment_rate_20_64"
    ))
    .await;
    assert_eq!(repeated["rows"], api["rows"]);
}

#[tokio::test]
async fn no_published_gap_reveals_a_withheld_group() {
    let (_, store) = portal().await;
    let figures = all_figures(&store).await;
    let flag_of: HashMap<(String, String, String, Sex, String), Flag> = figures
        .iter()
        .filter(|f| f.measure == Measure::Level && f.method == FigureMethod::Direct)
        .map(|f| {
            (
                (
                    f.indicator.clone(),
                    f.geo.clone(),
                    f.group.clone(),
                    f.sex,
                    f.period(),
                ),
                f.estimate.flag,
            )
        })
        .collect();
    let mut gaps = 0;
    for f in figures.iter().filter(|f| f.measure.is_gap()) {
        let part = |g: &str| {
            flag_of[&(
                f.indicator.clone(),
                f.geo.clone(),
                g.to_string(),
                f.sex,
                f.period(),
            )]
        };
        let reference = f.reference_group.as_deref().unwrap();
        if part(&f.group) == Flag::Suppressed || part(reference) == Flag::Suppressed {
            assert_eq!(f.estimate.flag, Flag::Suppressed, "{f:?}");
        } else {
            gaps += 1;
        }
    }
    assert!(gaps > 1000, "{gaps} gaps with both groups published");
}

#[tokio::test]
async fn every_page_answers_and_search_finds_graz() {
    let (base, _) = portal().await;
    for path in [
        "/",
        "/indicators",
        "/indicators/employment_rate_20_64",
        "/indicators/employment_rate_20_64/about",
        "/indicators/median_income_18_plus?level=country",
        "/explore",
        "/explore?level=city&indicator=median_income_18_plus&measure=ratio",
        "/explore?level=degurba",
        "/explore?level=country&sex=F",
        "/profile/AT22",
        "/profile/BE",
        "/compare",
        "/glossary",
        "/toolbox",
        "/sources",
        "/tools",
        "/recommendations",
        "/modules",
        "/methods",
        "/release",
        "/plan",
        "/search?q=graz",
    ] {
        let page = html(&format!("{base}{path}")).await;
        assert!(page.contains("<main>"), "{path}");
    }
    let hits = json(&format!("{base}/api/v1/search?q=graz")).await;
    assert_eq!(hits[0]["kind"], "city");
    assert_eq!(hits[0]["url"], "/profile/AT002C");
    let hits = json(&format!("{base}/api/v1/search?q=employment")).await;
    assert!(hits
        .as_array()
        .unwrap()
        .iter()
        .any(|h| h["code"] == "employment_rate_20_64"));
    let hits = json(&format!("{base}/api/v1/search?q=malmo")).await;
    assert!(
        hits.as_array()
            .unwrap()
            .iter()
            .any(|h| h["code"] == "SE003C"),
        "{hits}"
    );
}

#[tokio::test]
async fn bad_requests_are_answered_in_the_callers_dialect() {
    let (base, _) = portal().await;
    for (path, status, fragment) in [
        (
            "/api/v1/explore?level=galaxy",
            400,
            "unknown level `galaxy`",
        ),
        (
            "/api/v1/explore?group=martians",
            400,
            "unknown group `martians`",
        ),
        (
            "/api/v1/explore?group=native&measure=difference",
            400,
            "reference group",
        ),
        ("/api/v1/explore?period=1999", 400, "unknown period `1999`"),
        ("/api/v1/explore?sort=shoe", 400, "unknown sort"),
        ("/api/v1/figures?limit=0", 400, "limit 0"),
        ("/api/v1/figures?offset=minus", 400, "bad query parameters"),
        ("/api/v1/figures?flag=x", 400, "unknown flag"),
        ("/api/v1/profile/XX999", 404, "no figure for `XX999`"),
        ("/api/v1/compare?geo=AT002C", 400, "choose 2 to 6"),
        ("/api/v1/compare?geo=A,B,C,D,E,F,G", 400, "at most 6"),
        (
            "/api/v1/indicators/nope/figures",
            404,
            "no indicator `nope`",
        ),
        ("/api/v1/plan?target_cv=2", 400, "target_cv"),
        ("/api/v1/geography/nuts/7", 404, "no such NUTS level"),
        ("/api/v1/no/such/path", 404, "no such API path"),
        ("/api/v2/anything", 404, "no such API path"),
    ] {
        let r = get(&format!("{base}{path}")).await;
        assert_eq!(r.status().as_u16(), status, "{path}");
        assert!(
            r.headers()[header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("application/json"),
            "{path}"
        );
        let body: Value = r.json().await.unwrap();
        let message = body["error"].as_str().unwrap_or_default();
        assert!(message.contains(fragment), "{path}: {message}");
    }
    for (path, status) in [
        ("/explore?level=galaxy", 400),
        ("/profile/XX999", 404),
        ("/compare?geo=AT002C,NOWHERE", 400),
        ("/nowhere", 404),
    ] {
        let r = get(&format!("{base}{path}")).await;
        assert_eq!(r.status().as_u16(), status, "{path}");
        assert!(r.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/html"));
    }
}

#[tokio::test]
async fn answers_carry_the_release_as_entity_tag_and_compress() {
    let (base, store) = portal().await;
    let release = store.current_release().await.unwrap().unwrap();
    let client = reqwest::Client::new();
    let url = format!("{base}/explore");
    let first = client.get(&url).send().await.unwrap();
    let etag = first.headers()[header::ETAG].to_str().unwrap().to_string();
    assert_eq!(etag, format!("\"release-{}\"", release.id));
    assert!(first.headers()[header::CACHE_CONTROL]
        .to_str()
        .unwrap()
        .contains("max-age"));
    let body = first.text().await.unwrap();
    // Answered again from memory: the same bytes.
    let again = client.get(&url).send().await.unwrap().text().await.unwrap();
    assert_eq!(body, again);
    let revalidated = client
        .get(&url)
        .header(header::IF_NONE_MATCH, &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(revalidated.status(), 304);
    let stale = client
        .get(&url)
        .header(header::IF_NONE_MATCH, "\"release-0\"")
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), 200);
    let gzip = client
        .get(format!("{base}/api/v1/figures?level=country"))
        .header(header::ACCEPT_ENCODING, "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(gzip.headers()[header::CONTENT_ENCODING], "gzip");
}

#[tokio::test]
async fn figures_api_filters_and_pages() {
    let (base, store) = portal().await;
    let figures = all_figures(&store).await;
    let expected = figures
        .iter()
        .filter(|f| {
            f.geo_level == GeoLevel::City && f.group == "non_eu_born" && f.sex == Sex::Female
        })
        .count();
    let mut seen = 0;
    let mut offset = 0;
    loop {
        let page = json(&format!(
            "{base}/api/v1/figures?level=city&group=non_eu_born&sex=F&limit=500&offset={offset}"
        ))
        .await;
        assert_eq!(page["total"].as_u64(), Some(expected as u64));
        let got = page["figures"].as_array().unwrap();
        assert!(got
            .iter()
            .all(|f| f["geo_level"] == "city" && f["sex"] == "F"));
        let mut s = (0, 0);
        check_no_suppressed_number(&page, &mut s);
        seen += got.len();
        match page["next"].as_str() {
            Some(_) => offset += 500,
            None => break,
        }
    }
    assert_eq!(seen, expected);
    let suppressed = json(&format!(
        "{base}/api/v1/figures?level=country&flag=c&limit=10000"
    ))
    .await;
    assert!(suppressed["figures"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["flag"] == "c" && f.get("estimate").is_none()));
}

#[tokio::test]
async fn the_openapi_document_describes_every_api_route_and_each_answers() {
    let (base, _) = portal().await;
    let doc = json(&format!("{base}/api/v1/openapi.json")).await;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    let paths: BTreeSet<String> = doc["paths"].as_object().unwrap().keys().cloned().collect();
    let expected: BTreeSet<String> = [
        "/api/v1/release",
        "/api/v1/indicators",
        "/api/v1/indicators/{id}/figures",
        "/api/v1/figures",
        "/api/v1/geography/nuts/{level}",
        "/api/v1/explore",
        "/api/v1/profile/{geo}",
        "/api/v1/compare",
        "/api/v1/peers/{geo}",
        "/api/v1/rank/{indicator}/{level}",
        "/api/v1/trend/{indicator}/{geo}",
        "/api/v1/search",
        "/api/v1/glossary",
        "/api/v1/toolbox/sources",
        "/api/v1/toolbox/tools",
        "/api/v1/toolbox/recommendations",
        "/api/v1/modules",
        "/api/v1/plan",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    assert_eq!(paths, expected);
    for path in &paths {
        let url = path
            .replace("{id}", "employment_rate_20_64")
            .replace("{indicator}", "employment_rate_20_64")
            .replace("{geo}", "AT002C");
        let url = if url.starts_with("/api/v1/rank/") {
            url.replace("{level}", "nuts2")
        } else {
            url.replace("{level}", "2")
        };
        let url = if url.ends_with("/compare") {
            format!("{url}?geo=AT002C,BE001C")
        } else {
            url
        };
        let r = get(&format!("{base}{url}")).await;
        assert_eq!(r.status(), 200, "{url}");
        // Every 200 answer's schema is documented.
        assert!(
            doc["paths"][path]["get"]["responses"]["200"].is_object(),
            "{path}"
        );
    }
}

#[tokio::test]
async fn peers_are_the_nearest_cities_of_other_countries_on_the_chosen_variables() {
    let (base, store) = portal().await;
    let figures = all_figures(&store).await;
    let api = json(&format!("{base}/api/v1/peers/AT002C")).await;
    let peers = api["peers"].as_array().unwrap();
    assert_eq!(peers.len(), 5);
    assert!(api["values_are"].as_str().unwrap().contains("point values"));
    assert!(peers
        .iter()
        .all(|p| !p["geo"].as_str().unwrap().starts_with("AT")));
    let distances: Vec<f64> = peers
        .iter()
        .map(|p| p["distance"].as_f64().unwrap())
        .collect();
    assert!(distances.windows(2).all(|w| w[0] <= w[1]));
    for p in peers {
        let parts: f64 = p["contributions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_f64().unwrap())
            .sum();
        assert!((parts - p["distance"].as_f64().unwrap().powi(2)).abs() < 1e-9);
    }
    // The population variable is the published estimate of persons aged 20-64.
    let graz_total = figures
        .iter()
        .find(|f| {
            f.geo == "AT002C"
                && f.indicator == "employment_rate_20_64"
                && f.group == "total"
                && f.sex == Sex::Total
                && f.method == FigureMethod::Direct
                && f.measure == Measure::Level
        })
        .unwrap();
    assert_eq!(api["variables"][0]["variable"], "population");
    assert_eq!(
        api["variables"][0]["value"].as_f64(),
        graz_total.estimate.figures.map(|x| x.population)
    );
    // Size alone, with Austria allowed: another answer, the weights echoed.
    let size = json(&format!(
        "{base}/api/v1/peers/AT002C?variables=population:2&other_countries=false&k=3"
    ))
    .await;
    assert_eq!(size["variables"][0]["weight"], 2.0);
    assert_eq!(size["peers"].as_array().unwrap().len(), 3);
    for (query, status) in [
        ("variables=shoe_size", 400),
        ("variables=population:-1", 400),
        ("k=0", 400),
    ] {
        let r = get(&format!("{base}/api/v1/peers/AT002C?{query}")).await;
        assert_eq!(r.status().as_u16(), status, "{query}");
    }
    // `incity peers` gives the same answer from the store.
    let out = std::process::Command::new(crate::BIN)
        .args(["peers", "--data-dir", crate::fixture().to_str().unwrap()])
        .args(["--geo", "AT002C", "--output-format", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let cli: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        cli["peers"],
        serde_json::to_value(
            peers
                .iter()
                .map(|p| {
                    serde_json::json!({
                        "geo": p["geo"], "geo_name": p["geo_name"], "distance": p["distance"],
                        "values": p["values"], "contributions": p["contributions"],
                    })
                })
                .collect::<Vec<_>>()
        )
        .unwrap()
    );
    let bad = std::process::Command::new(crate::BIN)
        .args(["peers", "--data-dir", crate::fixture().to_str().unwrap()])
        .args(["--geo", "AT002C", "--variables", "shoe_size"])
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("`shoe_size` is not name"));
    // The profile names the peers and links the comparison with them.
    let page = html(&format!("{base}/profile/AT002C")).await;
    let first = peers[0]["geo"].as_str().unwrap();
    assert!(page.contains(&format!("href=\"/profile/{first}\"")));
    assert!(page.contains("/compare?geo=AT002C%2C"));
}

#[tokio::test]
async fn explorer_ranks_carry_intervals_that_never_order_overlapping_areas() {
    let (base, _) = portal().await;
    let q = "indicator=employment_rate_20_64&level=nuts2&group=total&method=direct&sort=estimate&order=desc";
    let marginal = json(&format!("{base}/api/v1/explore?{q}")).await;
    let simultaneous = json(&format!("{base}/api/v1/explore?{q}&ranks=simultaneous")).await;
    let rows = marginal["rows"].as_array().unwrap();
    let ranked: Vec<&Value> = rows.iter().filter(|r| r.get("rank").is_some()).collect();
    assert!(ranked.len() > 100, "{} ranked", ranked.len());
    let k = ranked.len() as u64;
    for (i, r) in ranked.iter().enumerate() {
        assert!(
            r["figure"]["estimate"].is_number(),
            "only published figures are ranked"
        );
        let (rank, lo, hi) = (
            r["rank"].as_u64().unwrap(),
            r["rank_lower"].as_u64().unwrap(),
            r["rank_upper"].as_u64().unwrap(),
        );
        assert!(1 <= lo && lo <= rank && rank <= hi && hi <= k, "{r}");
        // Sorted by estimate, descending: the point rank is the position (no ties here).
        assert_eq!(rank, i as u64 + 1);
        let s = simultaneous["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["geo"] == r["geo"])
            .unwrap();
        assert!(
            s["rank_lower"].as_u64().unwrap() <= lo && s["rank_upper"].as_u64().unwrap() >= hi,
            "simultaneous intervals contain the marginal ones"
        );
    }
    // Two areas whose 95 % intervals overlap by a wide margin are never ranked apart for sure.
    for pair in ranked.windows(2) {
        let (a, b) = (&pair[0]["figure"], &pair[1]["figure"]);
        if a["ci_low"].as_f64() < b["ci_high"].as_f64() {
            assert!(
                pair[0]["rank_upper"].as_u64() >= pair[1]["rank"].as_u64(),
                "{pair:?}"
            );
        }
    }
    assert!(rows
        .iter()
        .filter(|r| r["figure"]["flag"] == "c")
        .all(|r| r.get("rank").is_none()));
    let page = html(&format!("{base}/explore?{q}")).await;
    assert!(page.contains("Rank (95 % interval)"));
    let r = get(&format!("{base}/api/v1/explore?ranks=sometimes")).await;
    assert_eq!(r.status(), 400);
}
