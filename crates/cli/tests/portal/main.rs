//! The portal as a person and a program use it, on the README's default data: the first start
//! of `incity serve` (synthetic Europe generated, imported, computed, published) builds the
//! fixture once; each test then serves that database in-process on its own port.
//!
//! `http`: every endpoint's status, content type and values against the store, confidentiality
//! in HTML, CSV and JSON, errors, caching headers, the OpenAPI document. `browser`: headless
//! Chromium driven through ChromeDriver (WebDriver), with axe-core's accessibility check.
//! `toolbox`: sources, tools, glossary, recommendations and modules, with the precision and
//! evidence they read from the release checked against the store. `exchange`: the
//! city-to-city exchange's security (on SQLite and PostgreSQL) and a browser session of two
//! city editors and a coordinator.

mod benchmark;
mod browser;
mod exchange;
mod http;
mod toolbox;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use incity_portal::AppState;
use incity_store::Store;

const BIN: &str = env!("CARGO_BIN_EXE_incity");

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The data directory of a first `incity serve` start (built once per test run).
fn fixture() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("portal-fixture");
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let port = free_port();
        let mut child = Command::new(BIN)
            .args(["serve", "--data-dir", dir.to_str().unwrap()])
            .args(["--port", &port.to_string()])
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start incity serve");
        let start = Instant::now();
        let up = loop {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                break true;
            }
            if start.elapsed() > Duration::from_secs(900)
                || child.try_wait().ok().flatten().is_some()
            {
                break false;
            }
            std::thread::sleep(Duration::from_millis(250));
        };
        let _ = child.kill();
        let _ = child.wait();
        assert!(up, "the first start of `incity serve` did not come up");
        dir
    })
}

/// A portal serving the fixture's database in this test's runtime; its base URL.
async fn portal() -> (String, Store) {
    let dir = fixture();
    let store = Store::open(&dir.join("incity.sqlite")).await.unwrap();
    let state = AppState::load(store.clone()).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(incity_portal::serve_on(state, listener));
    (format!("http://{addr}"), store)
}
