//! The city-to-city exchange through `incity serve` (the real binary, its upload reader and
//! its client addresses), on SQLite and on a real PostgreSQL server.
//!
//! `security`: the authorisation matrix (every role × every mutating endpoint, on both
//! databases), CSRF, session fixation, the sign-in rate limit, uploads (oversized, malformed,
//! of another city, valid), markup in every free-text field, forms of other sites.
//! `browser`: two city editors and a coordinator use the exchange end to end in Chromium.

mod browser;
mod security;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use incity_exchange::{password, Account, Role};
use incity_store::exchange::{new_postgres_database, Actor, ExchangeStore, NewAccount};

use crate::{fixture, free_port, BIN};

/// Which database the exchange runs on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Db {
    Sqlite,
    Postgres,
}

/// An `incity serve` of the fixture's release with an exchange database of its own.
pub(crate) struct Site {
    pub(crate) base: String,
    pub(crate) store: ExchangeStore,
    pub(crate) http: reqwest::Client,
    child: Child,
    _dir: tempfile::TempDir,
}

impl Drop for Site {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The password of every account the tests create.
pub(crate) const PASSWORD: &str = "a long enough password";

pub(crate) async fn site(db: Db) -> Site {
    let dir = tempfile::tempdir().unwrap();
    let url = match db {
        Db::Sqlite => format!("sqlite://{}/exchange.sqlite", dir.path().display()),
        Db::Postgres => {
            let server = std::env::var("INCITY_TEST_POSTGRES_URL").expect(
                "INCITY_TEST_POSTGRES_URL: the URL of a PostgreSQL server (scripts/test.sh starts one)",
            );
            new_postgres_database(&server).await.unwrap()
        }
    };
    let store = ExchangeStore::open(&url).await.unwrap();
    let port = free_port();
    let child = Command::new(BIN)
        .args(["serve", "--data-dir", fixture().to_str().unwrap()])
        .args(["--port", &port.to_string(), "--exchange-database", &url])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start incity serve");
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let start = Instant::now();
    loop {
        if let Ok(r) = http.get(format!("{base}/healthz")).send().await {
            if r.status() == 200 {
                break;
            }
        }
        assert!(
            start.elapsed() < Duration::from_secs(300),
            "incity serve did not come up"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    Site {
        base,
        store,
        http,
        child,
        _dir: dir,
    }
}

/// A signed-in browser-less visitor: the session cookie and the CSRF token of its forms.
#[derive(Debug, Clone)]
pub(crate) struct Session {
    pub(crate) cookie: String,
    pub(crate) csrf: String,
}

impl Site {
    /// Creates an account (by the command line, as the first administrator is).
    pub(crate) async fn account(&self, name: &str, role: Role, city: Option<&str>) -> Account {
        self.store
            .create_account(
                Actor::CommandLine,
                &NewAccount {
                    name: name.into(),
                    display_name: format!("{name} display"),
                    role,
                    city: city.map(String::from),
                    password_hash: password::hash(PASSWORD).unwrap(),
                },
            )
            .await
            .unwrap();
        self.store.account_by_name(name).await.unwrap().unwrap().0
    }

    /// Signs in through the login form; `None` if it is refused.
    pub(crate) async fn sign_in(&self, name: &str, password: &str) -> Option<Session> {
        let r = self
            .http
            .post(format!("{}/login", self.base))
            .form(&[("name", name), ("password", password)])
            .send()
            .await
            .unwrap();
        if r.status() != 303 {
            return None;
        }
        let cookie = set_cookie(&r).expect("a session cookie");
        let csrf = self.csrf(&cookie).await;
        Some(Session { cookie, csrf })
    }

    /// The CSRF token the pages give a session.
    pub(crate) async fn csrf(&self, cookie: &str) -> String {
        let page = self
            .http
            .get(format!("{}/account", self.base))
            .header("cookie", cookie)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        page.split("name=\"csrf\" value=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .expect("a form with the CSRF token")
            .to_string()
    }

    /// POSTs a form (with the session's cookie when given).
    pub(crate) async fn post(
        &self,
        path: &str,
        session: Option<&Session>,
        form: &[(&str, &str)],
    ) -> reqwest::Response {
        let mut r = self.http.post(format!("{}{path}", self.base)).form(form);
        if let Some(s) = session {
            r = r.header("cookie", &s.cookie);
        }
        r.send().await.unwrap()
    }

    /// POSTs a multipart body (built by [`multipart`]).
    pub(crate) async fn post_multipart(
        &self,
        path: &str,
        session: Option<&Session>,
        body: Vec<u8>,
    ) -> reqwest::Response {
        let mut r = self
            .http
            .post(format!("{}{path}", self.base))
            .header(
                "content-type",
                format!("multipart/form-data; boundary={BOUNDARY}"),
            )
            .body(body);
        if let Some(s) = session {
            r = r.header("cookie", &s.cookie);
        }
        r.send().await.unwrap()
    }

    pub(crate) async fn get(&self, path: &str, session: Option<&Session>) -> (u16, String) {
        let mut r = self.http.get(format!("{}{path}", self.base));
        if let Some(s) = session {
            r = r.header("cookie", &s.cookie);
        }
        let r = r.send().await.unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    }

    pub(crate) async fn audit_len(&self) -> usize {
        self.store.audit_log(100_000).await.unwrap().len()
    }
}

/// The `name=value` of a response's session cookie.
pub(crate) fn set_cookie(r: &reqwest::Response) -> Option<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("incity_session="))
        .and_then(|v| v.split(';').next())
        .map(String::from)
}

pub(crate) const BOUNDARY: &str = "incity-test-boundary-7d1e";

/// A multipart body: (field, file name, content) parts.
pub(crate) fn multipart(parts: &[(&str, Option<&str>, &[u8])]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, file, content) in parts {
        body.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        match file {
            Some(f) => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\nContent-Type: text/csv\r\n\r\n").as_bytes(),
            ),
            None => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes(),
            ),
        }
        body.extend_from_slice(content);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

/// The admin-table mapping shipped as an example (`data/admin/`).
pub(crate) fn register_mapping() -> String {
    std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../data/admin/example-city-register.toml"),
    )
    .unwrap()
}

/// A register table of Graz in that mapping's layout, with one confidential cell.
pub(crate) const GRAZ_REGISTER: &str = "city_code,year,measure,citizenship,persons,flag
AT002C,2024,residents,national,230000,
AT002C,2024,residents,eu,28000,
AT002C,2024,residents,non-eu,41000,
AT002C,2024,naturalisations,non-eu,777,c
";
