//! `incity serve`: the portal; on first start it generates the demonstration data and computes a
//! release from them.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

use anyhow::{bail, Context};
use incity_portal::AppState;
use incity_synthetic::SyntheticConfig;

use crate::compute::{compute_and_publish, ComputeRequest};
use crate::generate::{write_demo, SurveysArg};
use crate::tables::{import_table_files, load_shipped_tables};
use crate::DataDirArg;

#[derive(clap::Args)]
pub(crate) struct ServeArgs {
    #[command(flatten)]
    data: DataDirArg,
    /// Address to listen on.
    #[arg(long, env = "INCITY_BIND", default_value = "127.0.0.1")]
    bind: IpAddr,
    /// Port to listen on.
    #[arg(long, env = "INCITY_PORT", default_value_t = 8080)]
    port: u16,
    /// Seed of the demonstration data generated on first start.
    #[arg(long, default_value_t = SyntheticConfig::default().seed)]
    seed: u64,
    #[command(flatten)]
    exchange: crate::exchange::ExchangeDatabaseArg,
    /// Mark session cookies `Secure` on every answer (behind a TLS-terminating proxy that
    /// does not send `X-Forwarded-Proto: https`).
    #[arg(long, env = "INCITY_SECURE_COOKIES")]
    secure_cookies: bool,
}

pub(crate) async fn run(a: ServeArgs) -> anyhow::Result<()> {
    let store = a.data.open_store().await?;
    if store.current_release().await?.is_none() {
        tracing::info!("no release yet: generating the synthetic demonstration data");
        let config = SyntheticConfig {
            seed: a.seed,
            ..SyntheticConfig::default()
        };
        let demo_dir = a.data.data_dir.join("demo");
        let demo = write_demo(&demo_dir, config, SurveysArg::Both, true, 0.0)?;
        let inputs = incity_data::inputs::InputStore::open(&a.data.data_dir.join("inputs"))?;
        let silc: Vec<PathBuf> = ["silc_d.csv", "silc_r.csv", "silc_h.csv", "silc_p.csv"]
            .iter()
            .map(|f| demo_dir.join(f))
            .collect();
        let lfs = vec![demo_dir.join(format!("lfs_{}.csv", config.year))];
        for (mapping, files) in [("eu-lfs", lfs), ("eu-silc", silc)] {
            let mapping = incity_data::mapping::Mapping::load(mapping)?;
            let (report, _) = inputs.import(
                &mapping,
                &files,
                &incity_data::ingest::ReadOptions::default(),
                &mut |_, _| {},
            )?;
            if !report.is_clean() {
                bail!(
                    "the demonstration data did not validate: {}",
                    report
                        .rejections
                        .first()
                        .map(|r| r.to_string())
                        .unwrap_or_default()
                );
            }
        }
        if let Some(register) = &demo.register {
            import_table_files(&store, std::slice::from_ref(register), None).await?;
        }
        if !demo.citizenship.is_empty() {
            import_table_files(&store, &demo.citizenship, None).await?;
        }
        let catalogue = incity_indicators::Catalogue::embedded();
        let rules = incity_indicators::rules::RuleSet::load("default")?;
        compute_and_publish(
            &store,
            &inputs,
            ComputeRequest {
                catalogue,
                synthetic: true,
                generator_seed: Some(a.seed),
                force: false,
                rule_set: &rules,
                pool_years: 0,
            },
        )
        .await?;
    }
    load_shipped_tables(&store).await?;
    let exchange =
        crate::exchange::open_exchange(&a.exchange.url(&a.data.data_dir), a.secure_cookies).await?;
    let addr = SocketAddr::new(a.bind, a.port);
    tracing::info!("incity portal on http://{addr}");
    incity_portal::serve(AppState::load(store).await?.with_exchange(exchange), addr)
        .await
        .with_context(|| format!("serving on {addr}"))
}
