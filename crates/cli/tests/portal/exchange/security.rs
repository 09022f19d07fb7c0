//! The exchange's security tests. The threat model they test against: a reader (no account)
//! or a signed-in account trying to change what its role does not allow; another site making
//! a signed-in browser post a form (CSRF); an attacker planting a session token before the
//! victim signs in (session fixation); password guessing; uploads that are too large,
//! malformed or about other cities; and markup typed into any free-text field (stored XSS).

use incity_exchange::content::{ExchangeItem, ItemKind, Practice, Topic};
use incity_exchange::Role;
use incity_store::exchange::Actor;

use super::{multipart, register_mapping, site, Db, Session, Site, GRAZ_REGISTER, PASSWORD};

#[derive(Debug, Clone, Copy, PartialEq)]
enum Who {
    Reader,
    Revoked,
    GrazEditor,
    WienEditor,
    Coordinator,
    Administrator,
}

const EVERYONE: [Who; 6] = [
    Who::Reader,
    Who::Revoked,
    Who::GrazEditor,
    Who::WienEditor,
    Who::Coordinator,
    Who::Administrator,
];

/// A session of `who` (none for a reader; for a revoked account, the session it had before
/// an administrator revoked it).
async fn session_of(site: &Site, who: Who, serial: usize) -> Option<Session> {
    let (role, city) = match who {
        Who::Reader => return None,
        Who::Revoked | Who::GrazEditor => (Role::CityEditor, Some("AT002C")),
        Who::WienEditor => (Role::CityEditor, Some("AT001C")),
        Who::Coordinator => (Role::Coordinator, None),
        Who::Administrator => (Role::Administrator, None),
    };
    let name = format!("{who:?}-{serial}").to_lowercase();
    let account = site.account(&name, role, city).await;
    let session = site.sign_in(&name, PASSWORD).await.expect("signed in");
    if who == Who::Revoked {
        assert!(site
            .store
            .revoke_account(Actor::CommandLine, account.id)
            .await
            .unwrap());
    }
    Some(session)
}

/// What a mutating endpoint needs to exist before it is called: ids of a Graz practice, need
/// and staged table, and of an account to revoke.
struct Targets {
    practice: i64,
    item: i64,
    table: i64,
    account: i64,
}

async fn targets(site: &Site, serial: usize) -> Targets {
    let graz = site
        .account(&format!("owner-{serial}"), Role::CityEditor, Some("AT002C"))
        .await;
    let practice = site
        .store
        .add_practice(
            Actor::Account(&graz),
            "AT002C",
            &Practice {
                title: "Welcome desk".into(),
                topic: Topic::Employment,
                description: "One desk".into(),
                results: String::new(),
                contact: "office".into(),
            },
        )
        .await
        .unwrap();
    let item = site
        .store
        .add_item(
            Actor::Account(&graz),
            "AT002C",
            &ExchangeItem {
                kind: ItemKind::Need,
                topic: Topic::Housing,
                text: "overcrowding".into(),
            },
        )
        .await
        .unwrap();
    let record = incity_store::PublishedTableRecord {
        dataset: "EXAMPLE_CITY_REGISTER".into(),
        format: "admin-csv".into(),
        source_file: "graz.csv".into(),
        sha256: "0".repeat(64),
        dimensions: vec!["geo".into()],
        observations: vec![incity_store::PublishedObservation {
            key: vec!["AT002C".into()],
            time: "2024".into(),
            value: Some(1.0),
            value_text: "1".into(),
            flags: String::new(),
            confidential: false,
        }],
    };
    let table = site
        .store
        .stage_city_table(Actor::Account(&graz), "AT002C", &record)
        .await
        .unwrap();
    let account = site
        .account(&format!("target-{serial}"), Role::Coordinator, None)
        .await
        .id;
    Targets {
        practice,
        item,
        table,
        account,
    }
}

/// Every mutating endpoint, the roles it allows, and the request.
const ENDPOINTS: [(&str, &[Who]); 16] = [
    (
        "/logout",
        &[
            Who::GrazEditor,
            Who::WienEditor,
            Who::Coordinator,
            Who::Administrator,
        ],
    ),
    (
        "/account/password",
        &[
            Who::GrazEditor,
            Who::WienEditor,
            Who::Coordinator,
            Who::Administrator,
        ],
    ),
    ("/admin/accounts", &[Who::Administrator]),
    ("/admin/accounts/{account}/revoke", &[Who::Administrator]),
    (
        "/exchange/recommendations",
        &[Who::Coordinator, Who::Administrator],
    ),
    (
        "/exchange/practices/{practice}/hide",
        &[Who::Coordinator, Who::Administrator],
    ),
    (
        "/exchange/practices/{practice}/show",
        &[Who::Coordinator, Who::Administrator],
    ),
    ("/cities/AT002C/page", &[Who::GrazEditor]),
    ("/cities/AT002C/practices", &[Who::GrazEditor]),
    ("/cities/AT002C/practices/{practice}", &[Who::GrazEditor]),
    (
        "/cities/AT002C/practices/{practice}/delete",
        &[Who::GrazEditor],
    ),
    ("/cities/AT002C/items", &[Who::GrazEditor]),
    ("/cities/AT002C/items/{item}/delete", &[Who::GrazEditor]),
    ("/cities/AT002C/tables", &[Who::GrazEditor]),
    ("/cities/AT002C/tables/{table}/publish", &[Who::GrazEditor]),
    ("/cities/AT002C/tables/{table}/discard", &[Who::GrazEditor]),
];

async fn call(
    site: &Site,
    template: &str,
    t: &Targets,
    session: Option<&Session>,
    serial: usize,
) -> u16 {
    let path = template
        .replace("{practice}", &t.practice.to_string())
        .replace("{item}", &t.item.to_string())
        .replace("{table}", &t.table.to_string())
        .replace("{account}", &t.account.to_string());
    let csrf = session.map(|s| s.csrf.as_str()).unwrap_or("");
    let new_name = format!("created-{serial}");
    let form: Vec<(&str, &str)> = match template {
        "/account/password" => vec![
            ("current", PASSWORD),
            ("new", PASSWORD),
            ("repeat", PASSWORD),
        ],
        "/admin/accounts" => vec![
            ("name", &new_name),
            ("display_name", "Created"),
            ("role", "coordinator"),
            ("city", ""),
            ("password", PASSWORD),
        ],
        "/exchange/recommendations" => vec![("title", "T"), ("topic", "housing"), ("text", "x")],
        "/cities/AT002C/page" => vec![("monitoring_since", "2015"), ("indicators", "all")],
        "/cities/AT002C/practices" | "/cities/AT002C/practices/{practice}" => vec![
            ("title", "A practice"),
            ("topic", "health"),
            ("description", "d"),
            ("results", "r"),
            ("contact", "c"),
        ],
        "/cities/AT002C/items" => vec![("kind", "offer"), ("topic", "health"), ("text", "t")],
        _ => vec![],
    };
    let r = if template == "/cities/AT002C/tables" {
        let mapping = register_mapping();
        let body = multipart(&[
            ("csrf", None, csrf.as_bytes()),
            ("file", Some("graz.csv"), GRAZ_REGISTER.as_bytes()),
            ("mapping", Some("register.toml"), mapping.as_bytes()),
        ]);
        site.post_multipart(&path, session, body).await
    } else {
        let mut form = form;
        form.push(("csrf", csrf));
        site.post(&path, session, &form).await
    };
    r.status().as_u16()
}

/// Whether a session is open (its account page answers).
async fn live(site: &Site, session: Option<&Session>) -> bool {
    match session {
        Some(s) => site.get("/account", Some(s)).await.0 == 200,
        None => false,
    }
}

/// Every role × every mutating endpoint: allowed → 303 and one audit-log row (logout: the
/// session ends); a reader or a revoked account → 401; any other → 403 and nothing changed.
async fn authorisation_matrix(db: Db) {
    let site = site(db).await;
    let mut serial = 0;
    let mut failures = Vec::new();
    for (template, allowed) in ENDPOINTS {
        for who in EVERYONE {
            serial += 1;
            let t = targets(&site, serial).await;
            let session = session_of(&site, who, serial).await;
            let before = site.audit_len().await;
            let live_before = live(&site, session.as_ref()).await;
            let status = call(&site, template, &t, session.as_ref(), serial).await;
            let changed = if template == "/logout" {
                live_before && !live(&site, session.as_ref()).await
            } else {
                site.audit_len().await > before
            };
            let expected = if allowed.contains(&who) {
                (303, true)
            } else if matches!(who, Who::Reader | Who::Revoked) {
                (401, false)
            } else {
                (403, false)
            };
            if (status, changed) != expected {
                failures.push(format!(
                    "{who:?} {template}: status {status}, changed {changed}; expected {expected:?}"
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{db:?}:\n{}", failures.join("\n"));
    assert_eq!(serial, 96);
}

#[tokio::test]
async fn authorisation_matrix_on_sqlite() {
    authorisation_matrix(Db::Sqlite).await;
}

#[tokio::test]
async fn authorisation_matrix_on_postgres() {
    authorisation_matrix(Db::Postgres).await;
}

#[tokio::test]
async fn forms_need_their_sessions_token_and_a_sign_in_never_adopts_a_planted_session() {
    let site = site(Db::Sqlite).await;
    site.account("graz", Role::CityEditor, Some("AT002C")).await;
    site.account("wien", Role::CityEditor, Some("AT001C")).await;
    let graz = site.sign_in("graz", PASSWORD).await.unwrap();
    let wien = site.sign_in("wien", PASSWORD).await.unwrap();
    assert_ne!(graz.csrf, wien.csrf, "each session has its own token");
    let item = [("kind", "need"), ("topic", "health"), ("text", "x")];
    let before = site.audit_len().await;
    for (label, token) in [
        ("no token", None),
        ("empty token", Some("")),
        ("another session's token", Some(wien.csrf.as_str())),
        ("a made-up token", Some(&*"0".repeat(64))),
    ] {
        let mut form = item.to_vec();
        if let Some(t) = token {
            form.push(("csrf", t));
        }
        let r = site.post("/cities/AT002C/items", Some(&graz), &form).await;
        assert_eq!(r.status(), 403, "{label}");
    }
    // The right token, but posted from another site's page.
    let mut form = item.to_vec();
    form.push(("csrf", &graz.csrf));
    for (header, value) in [
        ("origin", "http://attacker.example"),
        ("sec-fetch-site", "cross-site"),
    ] {
        let r = site
            .http
            .post(format!("{}/cities/AT002C/items", site.base))
            .header("cookie", &graz.cookie)
            .header(header, value)
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403, "{header}: {value}");
    }
    assert_eq!(
        site.audit_len().await,
        before,
        "no refused form changed anything"
    );
    let ok = site.post("/cities/AT002C/items", Some(&graz), &form).await;
    assert_eq!(ok.status(), 303);
    assert_eq!(site.audit_len().await, before + 1);

    // Session fixation: a token planted in the victim's browser (made up, or the attacker's
    // own live session) is never the session the victim gets.
    site.account("victim", Role::Coordinator, None).await;
    let attacker = site.sign_in("wien", PASSWORD).await.unwrap();
    for planted in [
        format!("incity_session={}", "ab".repeat(32)),
        attacker.cookie.clone(),
    ] {
        let r = site
            .http
            .post(format!("{}/login", site.base))
            .header("cookie", &planted)
            .form(&[("name", "victim"), ("password", PASSWORD)])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        let issued = super::set_cookie(&r).unwrap();
        assert_ne!(issued, planted);
        let planted_session = Session {
            cookie: planted.clone(),
            csrf: String::new(),
        };
        let (status, page) = site.get("/account", Some(&planted_session)).await;
        assert_eq!(status, 401, "the planted token opens no session: {page}");
        let victim = Session {
            cookie: issued,
            csrf: String::new(),
        };
        let (status, page) = site.get("/account", Some(&victim)).await;
        assert_eq!(status, 200);
        assert!(page.contains("victim display"));
    }

    // Cookie attributes; Secure behind TLS; sign-out ends the session on the server.
    let r = site
        .http
        .post(format!("{}/login", site.base))
        .header("x-forwarded-proto", "https")
        .form(&[("name", "graz"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    let set = r.headers()["set-cookie"].to_str().unwrap().to_string();
    for attribute in ["HttpOnly", "SameSite=Strict", "Secure", "Path=/"] {
        assert!(set.contains(attribute), "{attribute} in {set}");
    }
    let plain = site
        .post("/login", None, &[("name", "graz"), ("password", PASSWORD)])
        .await;
    assert!(!plain.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .contains("Secure"));
    let r = site
        .post("/logout", Some(&graz), &[("csrf", &graz.csrf)])
        .await;
    assert_eq!(r.status(), 303);
    assert!(r.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .contains("Max-Age=0"));
    assert_eq!(site.get("/account", Some(&graz)).await.0, 401);
    let (_, page) = site.get("/exchange", Some(&wien)).await;
    assert!(page.contains("wien display"), "other sessions live on");
}

#[tokio::test]
async fn sign_in_is_rate_limited_per_name_and_per_address() {
    let site = site(Db::Sqlite).await;
    let revoked = site.account("revoked", Role::Coordinator, None).await;
    site.store
        .revoke_account(Actor::CommandLine, revoked.id)
        .await
        .unwrap();
    assert!(site.sign_in("revoked", PASSWORD).await.is_none(), "revoked");
    site.account("graz", Role::CityEditor, Some("AT002C")).await;
    site.account("wien", Role::CityEditor, Some("AT001C")).await;
    let attempt = |name: &str, password: &'static str| {
        let site = &site;
        let name = name.to_string();
        async move {
            let name = name.as_str();
            let r = site
                .post("/login", None, &[("name", name), ("password", password)])
                .await;
            (
                r.status().as_u16(),
                r.headers()
                    .get("retry-after")
                    .map(|v| v.to_str().unwrap().to_string()),
            )
        }
    };
    for _ in 0..5 {
        assert_eq!(attempt("graz", "wrong password!").await.0, 401);
    }
    // The sixth attempt is refused before the password is looked at, even the right one.
    assert_eq!(
        attempt("graz", PASSWORD).await,
        (429, Some("900".to_string()))
    );
    // Another name from the same address still signs in...
    assert_eq!(attempt("wien", PASSWORD).await.0, 303);
    // ...until the address has 20 failures (the revoked account's counts too: 1 + 5 so far),
    // whichever names they tried.
    for i in 0..14 {
        let name = format!("nobody-{i}");
        assert_eq!(
            attempt(&name, "wrong password!").await.0,
            401,
            "failure {i}"
        );
    }
    assert_eq!(attempt("wien", PASSWORD).await.0, 429);
    assert_eq!(attempt("somebody", "x").await.0, 429);
}

async fn upload(
    site: &Site,
    s: &Session,
    file: (&str, &[u8]),
    mapping: Option<&str>,
) -> (u16, String, Option<String>) {
    let mut parts: Vec<(&str, Option<&str>, &[u8])> = vec![
        ("csrf", None, s.csrf.as_bytes()),
        ("file", Some(file.0), file.1),
    ];
    if let Some(m) = mapping {
        parts.push(("mapping", Some("register.toml"), m.as_bytes()));
    }
    let r = site
        .post_multipart("/cities/AT002C/tables", Some(s), multipart(&parts))
        .await;
    let location = r
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_string());
    (r.status().as_u16(), r.text().await.unwrap(), location)
}

#[tokio::test]
async fn uploads_are_checked_like_import_table_and_published_only_when_confirmed() {
    for db in [Db::Sqlite, Db::Postgres] {
        let site = site(db).await;
        site.account("graz", Role::CityEditor, Some("AT002C")).await;
        site.account("wien", Role::CityEditor, Some("AT001C")).await;
        let graz = site.sign_in("graz", PASSWORD).await.unwrap();
        let wien = site.sign_in("wien", PASSWORD).await.unwrap();
        let mapping = register_mapping();
        let staged = || async { site.store.city_tables("AT002C", true).await.unwrap().len() };

        // Over the file limit (2 MB): refused while reading, nothing stored.
        let big = GRAZ_REGISTER.repeat(1 + (2 * 1024 * 1024 + 1024) / GRAZ_REGISTER.len());
        let (status, page, _) =
            upload(&site, &graz, ("big.csv", big.as_bytes()), Some(&mapping)).await;
        assert_eq!(status, 413, "{db:?}: {page}");
        // Not multipart at all, and a multipart body cut off in the middle.
        let r = site
            .http
            .post(format!("{}/cities/AT002C/tables", site.base))
            .header("cookie", &graz.cookie)
            .header("content-type", format!("multipart/form-data; boundary={}", super::BOUNDARY))
            .body("--incity-test-boundary-7d1e\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\nabc")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "{db:?}");
        // A bad value: the reader's message with line, column, value and expectation.
        let bad = GRAZ_REGISTER.replace("41000", "forty-one");
        let (status, page, _) =
            upload(&site, &graz, ("graz.csv", bad.as_bytes()), Some(&mapping)).await;
        assert_eq!(status, 422, "{db:?}");
        for part in ["graz.csv", "line 4", "persons", "forty-one"] {
            assert!(page.contains(part), "{db:?}: `{part}` in {page}");
        }
        // A broken mapping.
        let (status, page, _) = upload(
            &site,
            &graz,
            ("graz.csv", GRAZ_REGISTER.as_bytes()),
            Some("[admin_table"),
        )
        .await;
        assert_eq!(status, 422, "{db:?}");
        assert!(page.contains("the uploaded mapping"), "{page}");
        // The example register holds Vienna's and Uppsala's rows: each is listed, none stored.
        let example = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../data/admin/example-city-register.csv"),
        )
        .unwrap();
        let (status, page, _) = upload(
            &site,
            &graz,
            ("register.csv", example.as_bytes()),
            Some(&mapping),
        )
        .await;
        assert_eq!(status, 422, "{db:?}");
        assert!(
            page.contains("11 of 11 observations are not of AT002C"),
            "{page}"
        );
        assert!(
            page.contains("POP,NAT,AT001C 2023") && page.contains("ACQ,NEU27_2020_FOR,SE003C 2024"),
            "{page}"
        );
        assert_eq!(
            staged().await,
            0,
            "{db:?}: nothing stored by a refused upload"
        );

        // A valid table: staged, visible to its city's editors only, then published.
        let (status, _, location) = upload(
            &site,
            &graz,
            ("graz register.csv", GRAZ_REGISTER.as_bytes()),
            Some(&mapping),
        )
        .await;
        assert_eq!(status, 303, "{db:?}");
        let location = location.unwrap();
        let (status, page) = site.get(&location, Some(&graz)).await;
        assert_eq!(status, 200);
        assert!(
            page.contains("Not published.") && page.contains("graz_register.csv"),
            "{page}"
        );
        assert!(
            page.contains("confidential") && !page.contains("777"),
            "the confidential cell has no number: {page}"
        );
        assert_eq!(
            site.get(&location, Some(&wien)).await.0,
            404,
            "another city's editor"
        );
        assert_eq!(site.get(&location, None).await.0, 404, "a reader");
        let (_, city) = site.get("/cities/AT002C", None).await;
        assert!(
            !city.contains("EXAMPLE_CITY_REGISTER"),
            "not shown before confirmation"
        );
        let r = site
            .post(
                &format!("{location}/publish"),
                Some(&graz),
                &[("csrf", &graz.csrf)],
            )
            .await;
        assert_eq!(r.status(), 303);
        let (status, page) = site.get(&location, None).await;
        assert_eq!(status, 200, "published: readers see it");
        assert!(
            page.contains("41000") && !page.contains("777") && !page.contains("Not published.")
        );
        let (_, city) = site.get("/cities/AT002C", None).await;
        assert!(
            city.contains("EXAMPLE_CITY_REGISTER") && city.contains("4 observations"),
            "{city}"
        );
    }
}

/// Markup typed into every free-text field comes back escaped on every page that shows it.
#[tokio::test]
async fn markup_in_every_free_text_field_is_shown_escaped() {
    const PAYLOAD: &str = "<script>alert('x')</script><img src=x onerror=alert(1)>";
    const ESCAPED: &str =
        "&lt;script&gt;alert('x')&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;";
    let site = site(Db::Sqlite).await;
    site.account("admin", Role::Administrator, None).await;
    site.account("graz", Role::CityEditor, Some("AT002C")).await;
    site.account("coord", Role::Coordinator, None).await;
    let admin = site.sign_in("admin", PASSWORD).await.unwrap();
    let graz = site.sign_in("graz", PASSWORD).await.unwrap();
    let coord = site.sign_in("coord", PASSWORD).await.unwrap();
    let p = PAYLOAD;
    type Post<'a> = (&'a Session, &'a str, Vec<(&'a str, &'a str)>);
    let posts: [Post; 6] = [
        (
            &admin,
            "/admin/accounts",
            vec![
                ("name", "newperson"),
                ("display_name", p),
                ("role", "coordinator"),
                ("city", ""),
                ("password", PASSWORD),
            ],
        ),
        (
            &graz,
            "/cities/AT002C/page",
            vec![
                ("monitoring_since", "2010"),
                ("indicators", p),
                ("sources", p),
                ("frequency", p),
                ("local_indicators", p),
                ("networks", p),
            ],
        ),
        (
            &graz,
            "/cities/AT002C/practices",
            vec![
                ("title", p),
                ("topic", "health"),
                ("description", p),
                ("results", p),
                ("contact", p),
            ],
        ),
        (
            &graz,
            "/cities/AT002C/items",
            vec![("kind", "need"), ("topic", "health"), ("text", p)],
        ),
        (
            &graz,
            "/cities/AT002C/items",
            vec![("kind", "offer"), ("topic", "housing"), ("text", p)],
        ),
        (
            &coord,
            "/exchange/recommendations",
            vec![("title", p), ("topic", "health"), ("text", p)],
        ),
    ];
    for (s, path, mut form) in posts {
        form.push(("csrf", &s.csrf));
        assert_eq!(
            site.post(path, Some(s), &form).await.status(),
            303,
            "{path}"
        );
    }
    // Every field holds the payload in the store, as typed.
    let (page, _, _) = site.store.city_page("AT002C").await.unwrap().unwrap();
    assert_eq!(page.networks, PAYLOAD);
    let pages = [
        ("/cities/AT002C", None, 9),
        ("/cities/AT002C", Some(&graz), 9),
        ("/exchange", None, 3),
        ("/admin/accounts", Some(&admin), 1),
        ("/admin/audit", Some(&admin), 1),
    ];
    for (path, session, at_least) in pages {
        let (status, html) = site.get(path, session).await;
        assert_eq!(status, 200, "{path}");
        assert!(
            !html.contains("<script>alert") && !html.contains("<img src=x"),
            "{path} shows markup"
        );
        let shown = html.matches(ESCAPED).count();
        assert!(
            shown >= at_least,
            "{path}: the payload shown escaped {shown} times, expected at least {at_least}"
        );
    }
    // Talk-to shows the other city's texts: Wien offers what Graz lacks.
    site.account("wien", Role::CityEditor, Some("AT001C")).await;
    let wien = site.sign_in("wien", PASSWORD).await.unwrap();
    let r = site
        .post(
            "/cities/AT001C/items",
            Some(&wien),
            &[
                ("kind", "offer"),
                ("topic", "health"),
                ("text", p),
                ("csrf", &wien.csrf),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let (_, html) = site.get("/cities/AT002C/talk-to", None).await;
    assert!(!html.contains("<script>alert"));
    assert!(html.matches(ESCAPED).count() >= 2, "{html}");
}
