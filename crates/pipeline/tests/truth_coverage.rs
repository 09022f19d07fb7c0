//! Known truth: the whole catalogue computed on the synthetic Europe (EU-LFS and EU-SILC drawn
//! from one population, through the import and the input store); the 95 % intervals of all
//! published figures — levels, differences and ratios to the reference group, single and
//! pooled years — must contain the true population value at about the nominal rate.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use incity_data::ingest::ReadOptions;
use incity_data::inputs::InputStore;
use incity_data::mapping::Mapping;
use incity_estimation::Flag;
use incity_indicators::rules::RuleSet;
use incity_indicators::{Catalogue, Figure, FigureMethod, GeoLevel, Measure, Release, Sex};
use incity_pipeline::small_area::{reliability_by_level, AreaCovariates};
use incity_pipeline::{compute_release, ComputeSettings, SourceInput};
use incity_synthetic::{
    register_table, write_lfs, write_silc, Population, SyntheticConfig, REGISTER_DATASET,
};

type TruthKey = (String, String, String, String, String);

fn truth_of(population: &Population) -> HashMap<TruthKey, f64> {
    population
        .truth()
        .rows
        .into_iter()
        .map(|t| {
            let geo = match t.degurba {
                Some(d) => format!("{}-DEG{d}", t.geo),
                None => t.geo,
            };
            ((t.indicator, t.geo_level, geo, t.group, t.sex), t.value)
        })
        .collect()
}

/// The true value of a figure: a level from the truth table, a gap from its two groups'.
fn true_value(truth: &HashMap<TruthKey, f64>, f: &Figure) -> Option<f64> {
    let key = |group: &str| {
        (
            f.indicator.clone(),
            f.geo_level.code().to_string(),
            f.geo.clone(),
            group.to_string(),
            f.sex.code().to_string(),
        )
    };
    let value = truth.get(&key(&f.group)).copied();
    match (f.measure, f.reference_group.as_deref()) {
        (Measure::Level, None) => value,
        (Measure::Difference, Some(r)) => Some(value? - truth.get(&key(r))?),
        (Measure::Ratio, Some(r)) => Some(value? / truth.get(&key(r))?),
        (Measure::CountryDifference, None) => {
            let country = f.geo.get(..2)?;
            let in_country = (
                f.indicator.clone(),
                "country".to_string(),
                country.to_string(),
                f.group.clone(),
                f.sex.code().to_string(),
            );
            Some(value? - truth.get(&in_country)?)
        }
        _ => panic!("a level with a reference group or a gap without one: {f:?}"),
    }
}

/// Imports files into an input store.
fn import(store: &InputStore, mapping: &str, files: Vec<PathBuf>) {
    let (report, _) = store
        .import(
            &Mapping::load(mapping).unwrap(),
            &files,
            &ReadOptions::default(),
            &mut |_, _| {},
        )
        .unwrap();
    assert!(report.is_clean());
}

/// The register table of the synthetic population as area covariates.
fn covariates_of(population: &Population) -> AreaCovariates {
    let mut c = AreaCovariates::new(REGISTER_DATASET);
    for (geo, group, measure, value) in register_table(population) {
        c.insert(measure, group, &geo, population.config.year, value);
    }
    c
}

async fn compute(
    store: &InputStore,
    pool_years: u32,
    covariates: Option<AreaCovariates>,
) -> Release {
    let mut sources: BTreeMap<String, Vec<PathBuf>> = BTreeMap::new();
    for p in store.manifest().unwrap().partition {
        sources
            .entry(p.source.clone())
            .or_default()
            .push(store.partition_path(&p));
    }
    let settings = ComputeSettings {
        inputs: sources
            .into_iter()
            .map(|(source, files)| SourceInput { source, files })
            .collect(),
        input_descriptions: Vec::new(),
        input_sha256: String::new(),
        synthetic: true,
        generator_seed: Some(4242),
        rules: RuleSet::load("default").unwrap(),
        pool_years,
        covariates,
    };
    compute_release(&settings, Catalogue::embedded(), &|_| {})
        .await
        .unwrap()
        .release
}

fn silc_files(dir: &Path) -> Vec<PathBuf> {
    ["silc_d.csv", "silc_r.csv", "silc_h.csv", "silc_p.csv"]
        .iter()
        .map(|f| dir.join(f))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn published_intervals_cover_the_truth_at_about_the_nominal_rate() {
    let population = Population::generate(SyntheticConfig {
        seed: 4242,
        ..SyntheticConfig::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let lfs = dir.path().join("lfs.csv");
    write_lfs(&population, 1, &lfs, &|_| {}).unwrap();
    write_silc(&population, 2, dir.path(), &|_| {}).unwrap();
    let store = InputStore::open(&dir.path().join("inputs")).unwrap();
    import(&store, "eu-lfs", vec![lfs]);
    import(&store, "eu-silc", silc_files(dir.path()));
    let catalogue = Catalogue::embedded();
    let release = compute(&store, 0, Some(covariates_of(&population))).await;
    let truth = truth_of(&population);
    check_model_based_figures(catalogue, &release, &truth);

    let mut per_indicator: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    let mut per_measure: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    let mut per_group: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    let (mut covered, mut total, mut suppressed) = (0usize, 0usize, 0usize);
    for f in release
        .figures
        .iter()
        .filter(|f| f.method == FigureMethod::Direct)
    {
        let Some(x) = f.estimate.figures else {
            suppressed += 1;
            continue;
        };
        let Some(t) = true_value(&truth, f) else {
            continue;
        };
        let hit = x.ci_low <= t && t <= x.ci_high;
        let m = per_measure.entry(f.measure.code()).or_default();
        m.0 += hit as usize;
        m.1 += 1;
        if f.measure != Measure::Level {
            continue;
        }
        covered += hit as usize;
        total += 1;
        let e = per_indicator.entry(f.indicator.as_str()).or_default();
        e.0 += hit as usize;
        e.1 += 1;
        let e = per_group.entry(f.group.as_str()).or_default();
        e.0 += hit as usize;
        e.1 += 1;
    }
    let rate = covered as f64 / total as f64;
    eprintln!("{} figures, {suppressed} suppressed; coverage of the truth by {total} published intervals: {rate:.4}", release.figures.len());
    for (ind, (c, n)) in &per_indicator {
        eprintln!("  {ind}: {n} intervals, {:.3}", *c as f64 / *n as f64);
    }
    for (m, (c, n)) in &per_measure {
        eprintln!("  measure {m}: {n} intervals, {:.3}", *c as f64 / *n as f64);
    }
    // Gaps of both kinds, and the differences from the country (whose variance holds the
    // covariance of the part with the whole), cover their truth about as well as the levels.
    for m in ["difference", "ratio", "country_difference"] {
        let (c, n) = per_measure[m];
        let r = c as f64 / n as f64;
        assert!(
            n > 50 && (0.90..=0.985).contains(&r),
            "{m}: coverage {r} over {n} intervals"
        );
    }
    for (group, (c, n)) in &per_group {
        eprintln!(
            "  group {group}: {n} intervals, {:.3}",
            *c as f64 / *n as f64
        );
    }
    // Every target grouping of the catalogue is estimated (the second generation and the
    // duration of residence from the EU-LFS, which codes parents' countries of birth and
    // years of residence; children by their parents from the EU-SILC links), every group has
    // published figures, and the grouping's intervals cover the truth. (Children's groups
    // feed one indicator, child poverty: few of their figures pass the rules at this sample
    // size, hence the grouping, not the group.)
    for grouping in &catalogue.groupings {
        let (mut c, mut n) = (0, 0);
        for g in &grouping.groups {
            let (gc, gn) = per_group.get(g.code.as_str()).copied().unwrap_or_default();
            assert!(gn > 0, "{}: no published interval", g.code);
            c += gc;
            n += gn;
        }
        let r = c as f64 / n as f64;
        assert!(
            n >= 100 && (0.90..=0.99).contains(&r),
            "{}: coverage {r} over {n} intervals",
            grouping.id
        );
    }
    // Every catalogue indicator is computed and compared.
    assert_eq!(per_indicator.len(), catalogue.indicators.len());
    // One sample: intervals are correlated, small domains have few PSUs (linearised variances
    // then run low), and calibrated weights are treated as fixed (variances then run high).
    assert!((0.92..=0.975).contains(&rate), "coverage {rate}");
    // Per indicator, one sample cannot support [0.92, 0.97]: an indicator's intervals are
    // nested (city in region in country, groups in totals) and share the same PSUs, so their
    // effective number is far below their count. Measured with seed 4242: 0.930 (housing
    // cost overburden) to 0.981 (early leavers); the band catches a missing variance term or a
    // wrong quantile (coverage 0.75-0.85) without failing on the sample's luck.
    for (ind, (c, n)) in per_indicator {
        let r = c as f64 / n as f64;
        assert!(
            (0.90..=0.99).contains(&r),
            "{ind}: coverage {r} over {n} intervals"
        );
    }
}

/// Model-based figures against the truth (one sample of the default, quarter-size surveys):
/// where the direct figure is flagged or not published, the model-based figure is closer to
/// the truth than the direct estimate (compared where the direct one has a number, i.e. is
/// flagged), its intervals cover the truth at about the nominal rate, and more city and
/// NUTS 2 migrant-group cells are published reliably.
fn check_model_based_figures(
    catalogue: &Catalogue,
    release: &Release,
    truth: &HashMap<TruthKey, f64>,
) {
    let direct: HashMap<(&str, GeoLevel, &str, &str, Sex, i32), &Figure> = release
        .figures
        .iter()
        .filter(|f| f.method == FigureMethod::Direct && f.measure == Measure::Level)
        .map(|f| {
            (
                (
                    f.indicator.as_str(),
                    f.geo_level,
                    f.geo.as_str(),
                    f.group.as_str(),
                    f.sex,
                    f.year,
                ),
                f,
            )
        })
        .collect();
    let (mut covered, mut total) = (0usize, 0usize);
    let (mut se_model, mut se_direct, mut paired) = (0.0, 0.0, 0usize);
    let mut published_model = 0usize;
    for f in release
        .figures
        .iter()
        .filter(|f| matches!(f.method, FigureMethod::ModelBased { .. }))
    {
        let d = direct[&(
            f.indicator.as_str(),
            f.geo_level,
            f.geo.as_str(),
            f.group.as_str(),
            f.sex,
            f.year,
        )];
        assert_ne!(
            d.estimate.flag,
            Flag::Reliable,
            "a model-based figure beside a reliable direct one"
        );
        let Some(x) = f.estimate.figures else {
            continue;
        };
        published_model += 1;
        let Some(t) = true_value(truth, f) else {
            continue;
        };
        total += 1;
        covered += (x.ci_low <= t && t <= x.ci_high) as usize;
        // Errors compared on the percentage indicators (medians are in euro).
        let percent = catalogue
            .indicator(&f.indicator)
            .is_some_and(|i| i.unit == "percent");
        if let (Some(dx), true) = (d.estimate.figures, percent) {
            se_model += (x.estimate - t).powi(2);
            se_direct += (dx.estimate - t).powi(2);
            paired += 1;
        }
    }
    let rate = covered as f64 / total as f64;
    let (rmse_model, rmse_direct) = (
        (se_model / paired as f64).sqrt(),
        (se_direct / paired as f64).sqrt(),
    );
    eprintln!(
        "model-based: {published_model} published, coverage {rate:.3} over {total}; \
         empirical RMSE {rmse_model:.4} vs direct {rmse_direct:.4} over {paired} flagged cells \
         (shares)"
    );
    assert!(total > 1000, "{total} model-based figures with a truth");
    assert!((0.90..=0.99).contains(&rate), "model-based coverage {rate}");
    assert!(
        rmse_model < 0.8 * rmse_direct,
        "model {rmse_model} vs direct {rmse_direct}"
    );
    let by_level = reliability_by_level(catalogue, &release.figures);
    for level in [GeoLevel::Nuts2, GeoLevel::City] {
        let r = by_level[&level];
        eprintln!(
            "{}: reliable {} -> {} of {} migrant-group cells",
            level.code(),
            r.direct_reliable,
            r.best_reliable,
            r.cells
        );
        assert!(r.best_reliable as f64 >= 1.5 * r.direct_reliable as f64);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn pooled_years_cover_the_truth_with_smaller_standard_errors() {
    // One population (the truth does not change), three independent EU-LFS samples.
    let mut population = Population::generate(SyntheticConfig {
        seed: 4242,
        ..SyntheticConfig::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let store = InputStore::open(&dir.path().join("inputs")).unwrap();
    for (k, year) in [2022, 2023, 2024].into_iter().enumerate() {
        population.config.year = year;
        let lfs = dir.path().join(format!("lfs_{year}.csv"));
        write_lfs(&population, 10 + k as u64, &lfs, &|_| {}).unwrap();
        import(&store, "eu-lfs", vec![lfs]);
    }
    let release = compute(&store, 3, None).await;
    let truth = truth_of(&population);
    let pooled: Vec<&Figure> = release.figures.iter().filter(|f| f.is_pooled()).collect();
    assert!(!pooled.is_empty());
    assert!(pooled
        .iter()
        .all(|f| (f.first_year, f.year) == (2022, 2024)));
    let key = |f: &Figure| {
        (
            f.indicator.clone(),
            f.geo_level,
            f.geo.clone(),
            f.group.clone(),
            f.sex,
            f.measure,
        )
    };
    let single: HashMap<_, &Figure> = release
        .figures
        .iter()
        .filter(|f| !f.is_pooled() && f.year == 2024)
        .map(|f| (key(f), f))
        .collect();
    let (mut covered, mut total) = (0usize, 0usize);
    let mut se_ratios = Vec::new();
    let mut newly_published = 0usize;
    for f in &pooled {
        // A domain of the pooled sample may have no respondent in 2024 alone.
        let one = single.get(&key(f)).and_then(|s| s.estimate.figures);
        match (f.estimate.figures, one) {
            (Some(p), Some(s)) if f.measure == Measure::Level && s.se > 0.0 => {
                se_ratios.push(p.se / s.se)
            }
            (Some(_), None) => newly_published += 1,
            _ => {}
        }
        let (Some(x), Some(t)) = (f.estimate.figures, true_value(&truth, f)) else {
            continue;
        };
        covered += (x.ci_low <= t && t <= x.ci_high) as usize;
        total += 1;
    }
    let rate = covered as f64 / total as f64;
    se_ratios.sort_by(f64::total_cmp);
    let median_ratio = se_ratios[se_ratios.len() / 2];
    eprintln!(
        "pooled 2022-2024: {total} published intervals, coverage {rate:.4}; median se ratio \
         pooled / 2024 {median_ratio:.3} (1/sqrt(3) = 0.577); {newly_published} figures \
         suppressed for 2024 alone are published pooled"
    );
    assert!((0.92..=0.975).contains(&rate), "pooled coverage {rate}");
    assert!(
        (0.50..=0.66).contains(&median_ratio),
        "se ratio {median_ratio}"
    );
    assert!(newly_published > 0);
}
