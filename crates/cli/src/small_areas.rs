//! The small-area models of `compute`: their covariate table from the store, and the report
//! of what they added.

use anyhow::Context;
use incity_indicators::{Catalogue, GeoLevel};
use incity_pipeline::small_area::AreaCovariates;
use incity_pipeline::ComputedRelease;
use incity_store::Store;

/// The area covariates of the catalogue's small-area models, from the stored table the
/// catalogue names, with a line for the release's input description. `None` when the
/// catalogue has no models or the table is not loaded (then the release has no model-based
/// figures, and the run says so).
pub async fn load_covariates(
    store: &Store,
    catalogue: &Catalogue,
) -> anyhow::Result<Option<(AreaCovariates, String)>> {
    let Some(settings) = &catalogue.small_area else {
        return Ok(None);
    };
    let dataset = &settings.covariate_dataset;
    let tables = store.published_tables().await?;
    let Some(table) = tables.iter().find(|t| &t.dataset == dataset) else {
        println!(
            "no covariate table {dataset} is loaded: no model-based figures (load one with \
             `incity import-table`)"
        );
        return Ok(None);
    };
    let position = |d: &str| -> anyhow::Result<usize> {
        table
            .dimensions
            .iter()
            .position(|x| x == d)
            .with_context(|| {
                format!(
                "covariate table {dataset} ({}): has no dimension `{d}`; expected indic, group \
                 and geo (dimensions: {})",
                table.source_file,
                table.dimensions.join(", ")
            )
            })
    };
    let (indic, group, geo) = (position("indic")?, position("group")?, position("geo")?);
    let mut covariates = AreaCovariates::new(dataset);
    let mut measures = std::collections::BTreeSet::new();
    let mut without_value = 0usize;
    for o in store.published_observations(dataset, None).await? {
        measures.insert(o.key[indic].clone());
        // Confidential or missing (`:`): the area has no such covariate, so no model-based
        // figure from a model that uses it. Counted and reported below.
        let Some(value) = o.value else {
            without_value += 1;
            continue;
        };
        let year: i32 = o
            .time
            .get(..4)
            .and_then(|y| y.parse().ok())
            .with_context(|| {
                format!(
                    "covariate table {dataset}: time period `{}` does not begin with a year",
                    o.time
                )
            })?;
        covariates.insert(&o.key[indic], &o.key[group], &o.key[geo], year, value);
    }
    // Every covariate the catalogue names must be in the table: a misspelt name would
    // otherwise leave every model without areas.
    for ind in &catalogue.indicators {
        for c in ind.small_area.iter().flat_map(|m| &m.covariates) {
            if c != incity_indicators::catalogue::NATIONAL_ESTIMATE && !measures.contains(c) {
                anyhow::bail!(
                    "indicator {}: covariate `{c}` is not in the covariate table {dataset} ({}); \
                     its measures are: {}",
                    ind.id,
                    table.source_file,
                    measures.iter().cloned().collect::<Vec<_>>().join(", ")
                );
            }
        }
    }
    if without_value > 0 {
        println!(
            "covariate table {dataset}: {without_value} observations without a value (their \
             areas get no model-based figure from the models that use them)"
        );
    }
    let line = format!(
        "covariates {dataset} from {} sha256 {} observations {}",
        table.source_file, table.sha256, table.observations
    );
    Ok(Some((covariates, line)))
}

/// The small-area models of a run and the share of migrant-group cells published reliably
/// before (direct figures) and after (direct or model-based), per level.
pub fn report_models(catalogue: &Catalogue, computed: &ComputedRelease) {
    let (release, models) = (&computed.release, &computed.models);
    if models.is_empty() {
        return;
    }
    let fitted = models.iter().filter(|m| m.skipped.is_none()).count();
    let added: usize = models.iter().map(|m| m.figures).sum();
    println!(
        "small-area models: {fitted} fitted, {} not fitted; {added} model-based figures",
        models.len() - fitted
    );
    // Reasons grouped by their text without the numbers; the first model of each kind is
    // named with its full reason.
    let mut reasons: std::collections::BTreeMap<String, (usize, String)> = Default::default();
    for m in models {
        if let Some(r) = &m.skipped {
            let kind: String = r.chars().filter(|c| !c.is_ascii_digit()).collect();
            let entry = reasons.entry(kind).or_insert_with(|| {
                (
                    0,
                    format!(
                        "{} {} {} {}/{} {}-{}: {r}",
                        m.indicator,
                        m.level.code(),
                        m.grouping,
                        m.group,
                        m.sex.code(),
                        m.period.first,
                        m.period.last
                    ),
                )
            });
            entry.0 += 1;
        }
    }
    for (n, example) in reasons.into_values() {
        let more = if n > 1 {
            format!(" (and {} more like it)", n - 1)
        } else {
            String::new()
        };
        println!("  not fitted: {example}{more}");
    }
    let pct = |a: usize, b: usize| 100.0 * a as f64 / b.max(1) as f64;
    for (level, r) in incity_pipeline::small_area::reliability_by_level(catalogue, &release.figures)
    {
        if !matches!(level, GeoLevel::Nuts2 | GeoLevel::Nuts3 | GeoLevel::City) {
            continue;
        }
        println!(
            "  {}: {} migrant-group cells (levels, both sexes): published reliably {:.1} % direct \
             ({:.1} % flagged, {:.1} % suppressed) -> {:.1} % with model-based figures",
            level.code(),
            r.cells,
            pct(r.direct_reliable, r.cells),
            pct(r.direct_flagged, r.cells),
            pct(r.direct_suppressed, r.cells),
            pct(r.best_reliable, r.cells)
        );
    }
}
