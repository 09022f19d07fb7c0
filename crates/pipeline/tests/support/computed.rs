//! Import files through a mapping into a fresh input store and compute their source, as
//! `incity import` and `incity compute` do; read a national figure back.

use std::path::{Path, PathBuf};

use incity_data::ingest::ReadOptions;
use incity_data::inputs::InputStore;
use incity_data::mapping::Mapping;
use incity_estimation::publication::Figures;
use incity_indicators::rules::RuleSet;
use incity_indicators::{Catalogue, Measure, Sex};
use incity_pipeline::engine::{compute_source, SourceFigures};
use incity_pipeline::SourceInput;

/// Imports `files` (the load must be clean) into a store under `dir` and computes `source`
/// with the shipped catalogue and the default rules, single years.
pub async fn import_and_compute(
    dir: &Path,
    mapping: &Mapping,
    files: &[PathBuf],
    source: &str,
) -> SourceFigures {
    let store = InputStore::open(&dir.join("inputs")).unwrap();
    let (report, _) = store
        .import(mapping, files, &ReadOptions::default(), &mut |_, _| {})
        .unwrap();
    assert!(report.is_clean(), "{:?}", report.rejections.first());
    let input = SourceInput {
        source: source.into(),
        files: store
            .manifest()
            .unwrap()
            .partition
            .iter()
            .map(|p| store.partition_path(p))
            .collect(),
    };
    compute_source(
        &input,
        Catalogue::embedded(),
        &RuleSet::load("default").unwrap(),
        1,
        &|_| {},
    )
    .await
    .unwrap()
}

/// The published national level of `indicator` for all persons of `country` (panics when
/// there is none or it is not published).
pub fn national<'a>(out: &'a SourceFigures, indicator: &str, country: &str) -> &'a Figures {
    let f = out
        .figures
        .iter()
        .find(|f| {
            f.indicator == indicator
                && f.geo == country
                && f.group == "total"
                && f.sex == Sex::Total
                && f.measure == Measure::Level
        })
        .unwrap_or_else(|| panic!("no national figure of {indicator}"));
    f.estimate
        .figures
        .as_ref()
        .unwrap_or_else(|| panic!("{indicator} not published: {:?}", f.estimate))
}
