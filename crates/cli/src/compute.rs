//! `incity compute`: the catalogue over the input store, published as a release (also used by
//! `serve` on first start).

use std::path::PathBuf;

use anyhow::bail;
use incity_pipeline::{compute_release, ComputeSettings};
use incity_store::Store;

use crate::small_areas::{load_covariates, report_models};
use crate::DataDirArg;

#[derive(clap::Args)]
pub(crate) struct ComputeArgs {
    #[command(flatten)]
    data: DataDirArg,
    /// Mark the release as computed from synthetic data.
    #[arg(long)]
    synthetic: bool,
    /// A catalogue directory (catalogue.toml and indicators/*.toml) instead of the shipped one.
    #[arg(long)]
    catalogue: Option<PathBuf>,
    /// Compute even if the inputs, catalogue and rules are those of the served release.
    #[arg(long)]
    force: bool,
    /// Publication rules: a shipped rule set (default, eu-silc) or a rule file (TOML).
    #[arg(long, default_value = "default")]
    rules: String,
    /// Also compute pooled estimates over this many consecutive years (e.g. 3 for
    /// 2022-2024), for every run of years the input store holds.
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u32).range(0..=10))]
    pool_years: u32,
}

/// What a compute run is asked to do.
pub(crate) struct ComputeRequest<'a> {
    pub(crate) catalogue: &'a incity_indicators::Catalogue,
    pub(crate) synthetic: bool,
    pub(crate) generator_seed: Option<u64>,
    pub(crate) force: bool,
    pub(crate) rule_set: &'a incity_indicators::rules::RuleSet,
    pub(crate) pool_years: u32,
}

/// Computes the catalogue over the input store and publishes the release, unless the served
/// release already has the same inputs, catalogue and rules (and `force` is off). Returns the
/// release id, or `None` when nothing changed.
pub(crate) async fn compute_and_publish(
    store: &Store,
    inputs: &incity_data::inputs::InputStore,
    request: ComputeRequest<'_>,
) -> anyhow::Result<Option<i64>> {
    let ComputeRequest {
        catalogue,
        synthetic,
        generator_seed,
        force,
        rule_set,
        pool_years,
    } = request;
    use sha2::{Digest, Sha256};
    let manifest = inputs.manifest()?;
    if manifest.partition.is_empty() {
        bail!(
            "the input store {} is empty: run `incity import` first",
            inputs.root().display()
        );
    }
    let mut sources: std::collections::BTreeMap<String, Vec<PathBuf>> = Default::default();
    let mut descriptions = Vec::new();
    for p in &manifest.partition {
        sources
            .entry(p.source.clone())
            .or_default()
            .push(inputs.partition_path(p));
        descriptions.push(format!(
            "{}/{}/{} {} sha256 {} rows {} mapping {}",
            p.source, p.country, p.year, p.file, p.sha256, p.rows, p.mapping
        ));
    }
    let covariates = load_covariates(store, catalogue).await?;
    if let Some((_, line)) = &covariates {
        descriptions.push(line.clone());
    }
    let rules_name = rule_set.describe();
    let method = incity_pipeline::method_description(pool_years, rule_set);
    let fingerprint = hex_digest(Sha256::digest(descriptions.join("\n").as_bytes()).as_slice());
    if !force {
        if let Some(current) = store.current_release().await? {
            let p = &current.provenance;
            if p.input_sha256 == fingerprint
                && p.catalogue_version == catalogue.version
                && p.rules == rules_name
                && p.method == method
            {
                println!(
                    "release {} is up to date (same inputs, catalogue {}, rules and method): nothing recomputed",
                    current.id, catalogue.version
                );
                return Ok(None);
            }
        }
    }
    let settings = ComputeSettings {
        inputs: sources
            .into_iter()
            .map(|(source, files)| incity_pipeline::SourceInput { source, files })
            .collect(),
        input_descriptions: descriptions,
        input_sha256: fingerprint,
        synthetic,
        generator_seed,
        rules: rule_set.clone(),
        pool_years,
        covariates: covariates.map(|(c, _)| c),
    };
    let bar = indicatif::ProgressBar::new_spinner();
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    let progress = |line: &str| bar.set_message(line.to_string());
    let computed = compute_release(&settings, catalogue, &progress).await?;
    let release = &computed.release;
    bar.finish_and_clear();
    let suppressed = release
        .figures
        .iter()
        .filter(|f| f.estimate.figures.is_none())
        .count();
    let flagged = release
        .figures
        .iter()
        .filter(|f| f.estimate.flag == incity_estimation::Flag::LowReliability)
        .count();
    let id = store
        .publish_with(release, || {
            incity_data::pause_point("publish-before-commit")
        })
        .await?;
    report_models(catalogue, &computed);
    println!(
        "release {id}: {} figures ({} suppressed, {} flagged low reliability) for {} indicators from {} partitions in {} s",
        release.figures.len(),
        suppressed,
        flagged,
        catalogue.indicators.len(),
        release.provenance.inputs.len(),
        release.provenance.finished_at - release.provenance.started_at
    );
    Ok(Some(id))
}

pub(crate) fn hex_digest(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub(crate) async fn run(a: ComputeArgs) -> anyhow::Result<()> {
    let store = a.data.open_store().await?;
    let inputs = incity_data::inputs::InputStore::open(&a.data.data_dir.join("inputs"))?;
    let loaded;
    let catalogue = match &a.catalogue {
        Some(dir) => {
            loaded = incity_indicators::Catalogue::load(dir)?;
            &loaded
        }
        None => incity_indicators::Catalogue::embedded(),
    };
    let rules = incity_indicators::rules::RuleSet::load(&a.rules)?;
    compute_and_publish(
        &store,
        &inputs,
        ComputeRequest {
            catalogue,
            synthetic: a.synthetic,
            generator_seed: None,
            force: a.force,
            rule_set: &rules,
            pool_years: a.pool_years,
        },
    )
    .await?;
    Ok(())
}
