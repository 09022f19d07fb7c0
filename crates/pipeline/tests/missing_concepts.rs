//! An indicator the input cannot feed is not computed, and the compute says which and why; the
//! others are: an indicator whose columns no imported file provides (its mapping does not map
//! them), and, on a file that gives age in five-year bands only, an indicator whose age range
//! cuts a band.

mod support;

use std::sync::Mutex;

use incity_data::ingest::ReadOptions;
use incity_data::inputs::InputStore;
use incity_data::mapping::{Mapping, BUILTIN};
use incity_indicators::rules::RuleSet;
use incity_indicators::Catalogue;
use incity_pipeline::engine::compute_source;
use incity_pipeline::SourceInput;
use incity_synthetic::{write_lfs, Population, SyntheticConfig};
use support::computed::import_and_compute;

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
    assert_eq!(out.not_computed.len(), 1, "{:?}", out.not_computed);
    assert_eq!(out.not_computed[0].0, "long_term_unemployment_rate_15_74");
    assert!(out.not_computed[0]
        .1
        .contains("needs unemployment_duration"));
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

#[tokio::test(flavor = "multi_thread")]
async fn age_in_bands_gives_the_indicators_whose_range_fits_the_bands() {
    let pop = Population::generate(SyntheticConfig {
        population_scale: 0.002,
        sample_scale: 0.05,
        ..Default::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let lfs = dir.path().join("lfs.csv");
    write_lfs(&pop, 3, &lfs, &|_| {}).unwrap();
    let text = BUILTIN.iter().find(|(n, _)| *n == "eu-lfs").unwrap().1;
    // The same file read as if AGE held only five-year bands (15-19, ..., 70-74, 75+).
    let mut codes = String::from("\n[codes.age_range]\n");
    for age in 0..=120 {
        let band = match age {
            75.. => "75+".to_string(),
            _ => format!("{}-{}", age / 5 * 5, age / 5 * 5 + 4),
        };
        codes += &format!("\"{age}\" = \"{band}\"\n");
    }
    let banded = text.replace("age = \"AGE\"", "age_range = \"AGE\"") + &codes;
    let banded = Mapping::parse(&banded, "banded.toml").unwrap();
    let single = Mapping::parse(text, "eu-lfs.toml").unwrap();
    let files = [lfs];
    let by_year = import_and_compute(&dir.path().join("a"), &single, &files, "lfs").await;
    let by_band = import_and_compute(&dir.path().join("b"), &banded, &files, "lfs").await;
    let refused: Vec<&str> = by_band
        .not_computed
        .iter()
        .map(|(i, _)| i.as_str())
        .collect();
    // 18-24 cuts 15-19; every other EU-LFS range falls on five-year edges.
    assert_eq!(
        refused,
        ["early_leavers_18_24"],
        "{:?}",
        by_band.not_computed
    );
    assert!(
        by_band.not_computed[0].1.contains("age band 15-19"),
        "{}",
        by_band.not_computed[0].1
    );
    assert!(by_year.not_computed.is_empty());
    // The indicators that fit are the single-year figures exactly.
    for id in [
        "employment_rate_20_64",
        "neet_15_29",
        "tertiary_attainment_25_34",
    ] {
        let of = |out: &incity_pipeline::engine::SourceFigures| {
            format!(
                "{:?}",
                out.figures
                    .iter()
                    .filter(|f| f.indicator == id)
                    .collect::<Vec<_>>()
            )
        };
        assert!(of(&by_year).len() > 100, "{id} computed");
        assert_eq!(of(&by_band), of(&by_year), "{id}");
    }
    assert!(!by_band
        .figures
        .iter()
        .any(|f| f.indicator == "early_leavers_18_24"));
}
