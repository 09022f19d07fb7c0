//! Serves the portal on an existing incity database, without the CLI (and so without the
//! query engine): `cargo run --release -p incity-portal --example serve_database -- DB PORT`.
//! `scripts/load-test.sh` uses it to measure the portal alone, in a release build that takes
//! minutes rather than the whole workspace's.

use std::net::SocketAddr;
use std::path::PathBuf;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(db), Some(port)) = (args.next(), args.next()) else {
        return Err("usage: serve_database DATABASE PORT".into());
    };
    let store = incity_store::Store::open(&PathBuf::from(db)).await?;
    let state = incity_portal::AppState::load(store).await?;
    let addr = SocketAddr::from(([127, 0, 0, 1], port.parse::<u16>()?));
    incity_portal::serve(state, addr).await?;
    Ok(())
}
