//! An indicator whose columns no imported file provides (its mapping does not map them) is
//! not computed, and the compute says which indicator and which columns; the others are.

use std::sync::Mutex;

use incity_data::ingest::ReadOptions;
use incity_data::inputs::InputStore;
use incity_data::mapping::{Mapping, BUILTIN};
use incity_indicators::rules::RuleSet;
use incity_indicators::Catalogue;
use incity_pipeline::engine::compute_source;
use incity_pipeline::SourceInput;
use incity_synthetic::{write_lfs, Population, SyntheticConfig};

#[tokio::test(flavor = "multi_thread")]
async fn an_indicator_the_mapping_cannot_feed_is_named_not_silently_dropped() {
    let pop = Population::generate(SyntheticConfig {
        population_scale: 0.002,
        sample_scale: 0.05,
        ..Default::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let lfs = dir.path().join("lfs.csv");
    write_lfs(&pop, 3, &lfs, &|_| {}).unwrap();
    // The shipped EU-LFS mapping without the duration of unemployment.
    let text = BUILTIN.iter().find(|(n, _)| *n == "eu-lfs").unwrap().1;
    let without = text
        .replace("unemployment_duration = \"SEEKDUR\"\n", "")
        .split("[codes.unemployment_duration]")
        .next()
        .unwrap()
        .to_string()
        + &text[text.find("# TEMP:").unwrap()..];
    let mapping = Mapping::parse(&without, "no-duration.toml").unwrap();
    assert!(!mapping.columns.contains_key("unemployment_duration"));
    let store = InputStore::open(&dir.path().join("inputs")).unwrap();
    let (report, _) = store
        .import(&mapping, &[lfs], &ReadOptions::default(), &mut |_, _| {})
        .unwrap();
    assert!(report.is_clean());
    let files = store
        .manifest()
        .unwrap()
        .partition
        .iter()
        .map(|p| store.partition_path(p))
        .collect();
    let input = SourceInput {
        source: "lfs".into(),
        files,
    };
    let messages = Mutex::new(Vec::new());
    let out = compute_source(
        &input,
        Catalogue::embedded(),
        &RuleSet::load("default").unwrap(),
        1,
        &|m| messages.lock().unwrap().push(m.to_string()),
    )
    .await
    .unwrap();
    assert_eq!(
        out.not_computed,
        [(
            "long_term_unemployment_rate_15_74".to_string(),
            vec!["unemployment_duration".to_string()]
        )]
    );
    let messages = messages.into_inner().unwrap();
    assert!(
        messages.iter().any(
            |m| m.contains("long_term_unemployment_rate_15_74 not computed")
                && m.contains("needs unemployment_duration")
        ),
        "{messages:?}"
    );
    assert!(!out
        .figures
        .iter()
        .any(|f| f.indicator == "long_term_unemployment_rate_15_74"));
    assert!(out
        .figures
        .iter()
        .any(|f| f.indicator == "employment_rate_20_64"));
    assert!(out
        .figures
        .iter()
        .any(|f| f.indicator == "temporary_employment_20_64"));
}
