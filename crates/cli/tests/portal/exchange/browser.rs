//! Two city editors (Graz and Utrecht, statistical peers in two countries) and a network
//! coordinator use the exchange in headless Chromium, each in a browser of their own: sign
//! in, describe the city's monitoring, share a practice, say what the city lacks and can
//! share, upload and publish a table, find each other among the cities to talk to, curate.
//! Every page is checked by axe-core and saved as a screenshot (`exchange-*.png`).

use std::time::{Duration, Instant};

use fantoccini::{Client, Locator};
use incity_exchange::Role;

use super::{register_mapping, site, Db, GRAZ_REGISTER, PASSWORD};
use crate::browser::{browser, look, text};

/// Clicks the element and waits until the browser shows the next page (a new document:
/// the marker set on the old one is gone).
async fn submit(c: &Client, locator: Locator<'_>) {
    c.execute("window.__incity_old_page = true;", vec![])
        .await
        .unwrap();
    c.find(locator).await.unwrap().click().await.unwrap();
    let start = Instant::now();
    loop {
        let old = c
            .execute("return window.__incity_old_page === true;", vec![])
            .await
            .map(|v| v.as_bool() == Some(true))
            .unwrap_or(true);
        if !old && c.find(Locator::Css("footer")).await.is_ok() {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(30), "no new page");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn fill(c: &Client, css: &str, value: &str) {
    let e = c.find(Locator::Css(css)).await.unwrap();
    e.clear().await.unwrap();
    e.send_keys(value).await.unwrap();
}

async fn choose(c: &Client, css: &str, value: &str) {
    c.find(Locator::Css(css))
        .await
        .unwrap()
        .select_by_value(value)
        .await
        .unwrap();
}

/// Opens the `<details>` whose summary says `summary`.
async fn open(c: &Client, summary: &str) {
    c.find(Locator::XPath(&format!(
        "//summary[contains(., '{summary}')]"
    )))
    .await
    .unwrap()
    .click()
    .await
    .unwrap();
}

async fn sign_in(c: &Client, base: &str, name: &str) {
    c.goto(&format!("{base}/login")).await.unwrap();
    fill(c, "#name", name).await;
    fill(c, "#password", PASSWORD).await;
    submit(c, Locator::Css("main form button")).await;
}

async fn body(c: &Client) -> String {
    text(c, Locator::Css("main")).await
}

#[tokio::test]
async fn two_city_editors_and_a_coordinator_use_the_exchange() {
    let site = site(Db::Sqlite).await;
    let base = site.base.clone();
    site.account("graz-editor", Role::CityEditor, Some("AT002C"))
        .await;
    site.account("utrecht-editor", Role::CityEditor, Some("NL042C"))
        .await;
    site.account("coordinator", Role::Coordinator, None).await;
    let dir = tempfile::tempdir().unwrap();
    let table = dir.path().join("graz-register-2024.csv");
    let mapping = dir.path().join("register.toml");
    std::fs::write(&table, GRAZ_REGISTER).unwrap();
    std::fs::write(&mapping, register_mapping()).unwrap();

    // Graz's editor signs in and lands on the city's page.
    let (_d1, graz) = browser().await;
    sign_in(&graz, &base, "graz-editor").await;
    assert!(graz
        .current_url()
        .await
        .unwrap()
        .path()
        .ends_with("/cities/AT002C"));
    assert!(text(&graz, Locator::Css(".account-bar"))
        .await
        .contains("city editor of Graz"));
    open(&graz, "Edit the monitoring description").await;
    fill(&graz, "#since", "2012").await;
    fill(
        &graz,
        "#indicators",
        "Employment, education and housing of foreign citizens",
    )
    .await;
    fill(
        &graz,
        "#sources",
        "Population register; city survey every three years",
    )
    .await;
    fill(&graz, "#frequency", "yearly report").await;
    submit(
        &graz,
        Locator::XPath("//form[@action='/cities/AT002C/page']//button"),
    )
    .await;
    open(&graz, "Share a practice").await;
    fill(&graz, "#p-title-new", "One-stop welcome desk").await;
    choose(&graz, "#p-topic-new", "employment").await;
    fill(
        &graz,
        "#p-description-new",
        "Newcomers register, get language courses and job advice at one desk.",
    )
    .await;
    fill(&graz, "#p-results-new", "Waiting time halved").await;
    fill(&graz, "#p-contact-new", "Integration office of Graz").await;
    submit(
        &graz,
        Locator::XPath("//form[@action='/cities/AT002C/practices']//button"),
    )
    .await;
    for (kind, topic, what) in [
        (
            "need",
            "housing",
            "Overcrowding of migrant households by district",
        ),
        (
            "offer",
            "survey-data",
            "Our city survey's questionnaire and weights",
        ),
    ] {
        open(&graz, "Add a need or an offer").await;
        choose(&graz, "#item-kind", kind).await;
        choose(&graz, "#item-topic", topic).await;
        fill(&graz, "#item-text", what).await;
        submit(
            &graz,
            Locator::XPath("//form[@action='/cities/AT002C/items']//button"),
        )
        .await;
    }
    // The city's register table: checked, shown, then published.
    open(&graz, "Upload a table").await;
    graz.find(Locator::Css("#table-file"))
        .await
        .unwrap()
        .send_keys(table.to_str().unwrap())
        .await
        .unwrap();
    graz.find(Locator::Css("#mapping-file"))
        .await
        .unwrap()
        .send_keys(mapping.to_str().unwrap())
        .await
        .unwrap();
    submit(
        &graz,
        Locator::XPath("//form[@action='/cities/AT002C/tables']//button"),
    )
    .await;
    let page = body(&graz).await;
    assert!(
        page.contains("Not published.") && page.contains("4 observations"),
        "{page}"
    );
    look(&graz, "exchange-1-graz-table-to-confirm").await;
    submit(&graz, Locator::XPath("//button[.='Publish']")).await;
    graz.goto(&format!("{base}/cities/AT002C")).await.unwrap();
    let page = body(&graz).await;
    let since = text(
        &graz,
        Locator::XPath("//dt[.='Since']/following-sibling::dd[1]"),
    )
    .await;
    assert_eq!(since, "2012");
    for part in [
        "One-stop welcome desk",
        "Overcrowding of migrant households",
        "EXAMPLE_CITY_REGISTER",
    ] {
        assert!(page.contains(part), "`{part}` on Graz's page: {page}");
    }
    look(&graz, "exchange-2-graz-page-by-its-editor").await;

    // Utrecht's editor, in another browser, sees Graz's page without its forms and says what
    // Utrecht can share and lacks.
    let (_d2, utrecht) = browser().await;
    sign_in(&utrecht, &base, "utrecht-editor").await;
    utrecht
        .goto(&format!("{base}/cities/AT002C"))
        .await
        .unwrap();
    assert!(utrecht
        .find(Locator::XPath(
            "//summary[contains(., 'Edit the monitoring')]"
        ))
        .await
        .is_err());
    assert!(utrecht
        .find(Locator::Css("form[action='/cities/AT002C/items']"))
        .await
        .is_err());
    utrecht
        .goto(&format!("{base}/cities/NL042C"))
        .await
        .unwrap();
    for (kind, topic, what) in [
        (
            "offer",
            "housing",
            "Register-based overcrowding by neighbourhood, with code",
        ),
        (
            "need",
            "survey-data",
            "A questionnaire for a local integration survey",
        ),
    ] {
        open(&utrecht, "Add a need or an offer").await;
        choose(&utrecht, "#item-kind", kind).await;
        choose(&utrecht, "#item-topic", topic).await;
        fill(&utrecht, "#item-text", what).await;
        submit(
            &utrecht,
            Locator::XPath("//form[@action='/cities/NL042C/items']//button"),
        )
        .await;
    }
    look(&utrecht, "exchange-3-utrecht-page").await;

    // Graz finds Utrecht first among the cities to talk to: both exchange reasons, and a peer.
    graz.goto(&format!("{base}/cities/AT002C/talk-to"))
        .await
        .unwrap();
    let first = text(&graz, Locator::Css("main ol > li")).await;
    assert!(first.starts_with("Utrecht"), "{first}");
    assert!(
        first.contains("Offers what you lack (housing): “Register-based overcrowding"),
        "{first}"
    );
    assert!(
        first.contains("Lacks what you can share (survey data and local surveys)"),
        "{first}"
    );
    assert!(first.contains("Statistical peer, number"), "{first}");
    look(&graz, "exchange-4-graz-cities-to-talk-to").await;

    // The coordinator publishes a recommendation and hides a practice from readers.
    let (_d3, coordinator) = browser().await;
    sign_in(&coordinator, &base, "coordinator").await;
    assert!(coordinator
        .current_url()
        .await
        .unwrap()
        .path()
        .ends_with("/exchange"));
    open(&coordinator, "Add a recommendation").await;
    fill(
        &coordinator,
        "#rec-title",
        "Share survey instruments across borders",
    )
    .await;
    choose(&coordinator, "#rec-topic", "survey-data").await;
    fill(
        &coordinator,
        "#rec-text",
        "Cities with a local survey should publish its questionnaire.",
    )
    .await;
    submit(
        &coordinator,
        Locator::XPath("//form[@action='/exchange/recommendations']//button"),
    )
    .await;
    submit(
        &coordinator,
        Locator::XPath("//button[starts-with(@aria-label, 'Hide One-stop')]"),
    )
    .await;
    let page = body(&coordinator).await;
    assert!(page.contains("(hidden from readers)"), "{page}");
    look(&coordinator, "exchange-5-coordinator-overview").await;
    // The coordinator has no account pages and edits no city.
    coordinator
        .goto(&format!("{base}/admin/accounts"))
        .await
        .unwrap();
    assert!(body(&coordinator).await.contains("Only an administrator"));

    // A reader (signed out) sees the recommendation, Graz's page without the hidden practice,
    // and the published table.
    submit(&graz, Locator::XPath("//form[@action='/logout']//button")).await;
    graz.goto(&format!("{base}/exchange")).await.unwrap();
    let page = body(&graz).await;
    assert!(
        page.contains("Share survey instruments across borders"),
        "{page}"
    );
    assert!(!page.contains("One-stop welcome desk"), "hidden: {page}");
    assert!(text(&graz, Locator::Css(".account-bar"))
        .await
        .contains("Sign in"));
    look(&graz, "exchange-6-reader-overview").await;
    graz.goto(&format!("{base}/cities/AT002C")).await.unwrap();
    let page = body(&graz).await;
    assert!(
        !page.contains("One-stop welcome desk") && page.contains("EXAMPLE_CITY_REGISTER"),
        "{page}"
    );
    look(&graz, "exchange-7-reader-graz").await;

    // Graz's profile of figures leads to its page in the exchange.
    graz.goto(&format!("{base}/profile/AT002C")).await.unwrap();
    submit(
        &graz,
        Locator::XPath("//a[starts-with(., 'The city in the exchange')]"),
    )
    .await;
    assert!(graz
        .current_url()
        .await
        .unwrap()
        .path()
        .ends_with("/cities/AT002C"));

    // Every change is in the audit log with its author.
    let log = site.store.audit_log(100).await.unwrap();
    let by = |actor: &str| log.iter().filter(|e| e.actor == actor).count();
    assert_eq!(
        (by("graz-editor"), by("utrecht-editor"), by("coordinator")),
        (6, 2, 2),
        "{log:#?}"
    );
    for client in [graz, utrecht, coordinator] {
        client.close().await.unwrap();
    }
}
