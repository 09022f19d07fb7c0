//! Publishing is atomic and suppressed figures are stored without numbers.

mod support;

use incity_estimation::{Estimate, Figures, Flag, FlagReason};
use incity_indicators::{
    Figure, FigureMethod, GeoLevel, Measure, Provenance, Release, Sex, Source,
};
use incity_store::{FigureFilter, Store};

fn provenance(file: &str) -> Provenance {
    Provenance {
        input_file: file.into(),
        input_sha256: "ab".repeat(32),
        source: "EU-LFS layout".into(),
        synthetic: true,
        generator_seed: Some(1),
        catalogue_version: "test".into(),
        method: "test".into(),
        software_version: "0".into(),
        started_at: 1,
        finished_at: 2,
        inputs: vec!["lfs/AT/2024 part.parquet sha256 ab rows 10 mapping eu-lfs".into()],
        rules: "default".into(),
    }
}

fn figure(geo: &str, estimate: Estimate) -> Figure {
    Figure {
        indicator: "employment_rate_20_64".into(),
        source: Source::Lfs,
        first_year: 2024,
        year: 2024,
        geo_level: GeoLevel::Nuts2,
        geo: geo.into(),
        grouping: "total".into(),
        group: "total".into(),
        reference_group: None,
        sex: Sex::Total,
        measure: Measure::Level,
        estimate,
        method: FigureMethod::Direct,
    }
}

fn published(v: f64) -> Estimate {
    Estimate {
        flag: Flag::Reliable,
        reason: None,
        figures: Some(Figures {
            estimate: v,
            se: 0.01,
            ci_low: v - 0.02,
            ci_high: v + 0.02,
            cv: Some(0.01 / v),
            n: 500,
            population: 1e5,
            deff: Some(1.2),
            df: 40,
        }),
    }
}

fn suppressed() -> Estimate {
    Estimate {
        flag: Flag::Suppressed,
        reason: Some(FlagReason::Respondents),
        figures: None,
    }
}

#[tokio::test]
async fn a_failed_publish_changes_nothing() {
    for (store, _dir) in support::both().await {
        let first = Release {
            provenance: provenance("first.csv"),
            changes: Vec::new(),
            figures: vec![figure("AT13", published(0.7)), figure("AT11", suppressed())],
        };
        let id = store.publish(&first).await.unwrap();

        // The second release fails on its last figure (a duplicate key), after writing others.
        let second = Release {
            provenance: provenance("second.csv"),
            changes: Vec::new(),
            figures: vec![
                figure("AT13", published(0.5)),
                figure("AT12", published(0.6)),
                figure("AT12", published(0.6)),
            ],
        };
        assert!(store.publish(&second).await.is_err());

        let current = store.current_release().await.unwrap().unwrap();
        assert_eq!(current.id, id);
        assert_eq!(current.provenance.input_file, "first.csv");
        assert_eq!(
            store.release_count().await.unwrap(),
            1,
            "no trace of the failed release"
        );
        let figs = store.figures(id, &FigureFilter::default()).await.unwrap();
        assert_eq!(figs.len(), 2);
        let at13 = figs.iter().find(|f| f.geo == "AT13").unwrap();
        assert_eq!(at13.estimate, published(0.7));
        let at11 = figs.iter().find(|f| f.geo == "AT11").unwrap();
        assert_eq!(at11.estimate.flag, Flag::Suppressed);
        assert!(at11.estimate.figures.is_none());

        // A good second release replaces the first.
        let third = Release {
            provenance: provenance("third.csv"),
            changes: Vec::new(),
            figures: vec![figure("AT13", published(0.8))],
        };
        let id3 = store.publish(&third).await.unwrap();
        assert_eq!(store.current_release().await.unwrap().unwrap().id, id3);
    }
}

#[tokio::test]
async fn the_database_refuses_a_suppressed_figure_with_a_number() {
    for (store, _dir) in support::both().await {
        // A value that the type system would never produce: flag c with figures.
        let leaky = Estimate {
            flag: Flag::Suppressed,
            reason: Some(FlagReason::Respondents),
            figures: published(0.4).figures,
        };
        let r = Release {
            provenance: provenance("leak.csv"),
            changes: Vec::new(),
            figures: vec![figure("AT13", leaky)],
        };
        assert!(store.publish(&r).await.is_err());
        assert!(store.current_release().await.unwrap().is_none());
    }
}

#[tokio::test]
async fn many_figures_periods_and_measures_round_trip() {
    for (store, _dir) in support::both().await {
        // More figures than one INSERT statement carries, of every measure, single and pooled.
        let mut figures = Vec::new();
        for k in 0..2500 {
            let mut f = figure(&format!("X{k:05}"), published(0.5 + k as f64 / 10_000.0));
            f.measure = Measure::ALL[k % 3];
            if f.measure.is_gap() {
                f.group = "non_eu_born".into();
                f.reference_group = Some("native".into());
            }
            if k % 2 == 1 {
                f.first_year = 2022;
            }
            if k % 5 == 0 {
                // The normal quantile: infinite degrees of freedom.
                if let Some(x) = f.estimate.figures.as_mut() {
                    x.df = usize::MAX;
                }
            }
            if k % 11 == 0 {
                f.estimate.flag = Flag::LowReliability;
                f.estimate.reason = Some(FlagReason::ALL[k % FlagReason::ALL.len()]);
            }
            if k % 7 == 0 {
                f.estimate = suppressed();
            }
            figures.push(f);
        }
        let release = Release {
            provenance: provenance("many.csv"),
            changes: Vec::new(),
            figures,
        };
        let id = store.publish(&release).await.unwrap();
        let mut back = store.figures(id, &FigureFilter::default()).await.unwrap();
        back.sort_by(|a, b| a.geo.cmp(&b.geo));
        assert_eq!(back, release.figures);
    }
}

#[tokio::test]
async fn a_boundary_share_keeps_its_interval_without_a_standard_error() {
    for (store, _dir) in support::both().await {
        // A share of 0 %: no design-based standard error, a Korn-Graubard interval.
        let zero = Estimate {
            flag: Flag::LowReliability,
            reason: Some(FlagReason::BoundaryShare),
            figures: Some(Figures {
                estimate: 0.0,
                se: f64::NAN,
                ci_low: 0.0,
                ci_high: 0.07,
                cv: None,
                n: 52,
                population: 1e4,
                deff: None,
                df: 12,
            }),
        };
        let id = store
            .publish(&Release {
                provenance: provenance("zero.csv"),
                changes: Vec::new(),
                figures: vec![figure("AT13", zero)],
            })
            .await
            .unwrap();
        let back = store.figures(id, &FigureFilter::default()).await.unwrap();
        let f = back[0].estimate.figures.unwrap();
        assert!(f.se.is_nan());
        assert_eq!((f.ci_low, f.ci_high, f.df), (0.0, 0.07, 12));
        assert_eq!(back[0].estimate.reason, Some(FlagReason::BoundaryShare));
        // A flagged figure must say why: the database refuses one without a reason.
        let mut silent = figure("AT13", published(0.5));
        silent.estimate.flag = Flag::LowReliability;
        assert!(store
            .publish(&Release {
                provenance: provenance("silent.csv"),
                changes: Vec::new(),
                figures: vec![silent],
            })
            .await
            .is_err());
    }
}

/// A model-based figure is stored beside the direct figure of the same cell (not in its
/// place), keeps its model's description, and comes back as model-based.
#[tokio::test]
async fn model_based_figures_are_stored_beside_direct_ones() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("db.sqlite")).await.unwrap();
    let mut model = figure("AT13", published(0.62));
    model.method = FigureMethod::ModelBased {
        model: "Fay-Herriot over 40 NUTS 2 regions".into(),
    };
    let release = Release {
        provenance: provenance("models.csv"),
        changes: Vec::new(),
        figures: vec![figure("AT13", suppressed()), model],
    };
    let id = store.publish(&release).await.unwrap();
    let figs = store.figures(id, &FigureFilter::default()).await.unwrap();
    assert_eq!(figs.len(), 2);
    assert_eq!(figs[0].method, FigureMethod::Direct);
    assert!(
        figs[0].estimate.figures.is_none(),
        "the direct figure stays suppressed"
    );
    assert_eq!(
        figs[1].method.model(),
        Some("Fay-Herriot over 40 NUTS 2 regions")
    );
    assert_eq!(figs[1].estimate.figures.map(|x| x.estimate), Some(0.62));
    // The database itself refuses a model-based row without its model.
    let bad =
        sqlx::query("UPDATE figures SET model = NULL WHERE method = 'model' AND release_id = ?")
            .bind(id);
    let pool = sqlx::SqlitePool::connect(&format!(
        "sqlite://{}",
        dir.path().join("db.sqlite").display()
    ))
    .await
    .unwrap();
    assert!(bad.execute(&pool).await.is_err());
}

/// A gap is stored as its parts and comes back as them; the database refuses a gap without a
/// reference group, a level with one, and a group name with a space (an old `a minus b`).
#[tokio::test]
async fn gaps_are_stored_as_group_and_reference_group() {
    for (store, _dir) in support::both().await {
        let mut level = figure("AT13", published(0.6));
        level.grouping = "birth_group".into();
        level.group = "non_eu_born".into();
        let mut difference = level.clone();
        difference.measure = Measure::Difference;
        difference.reference_group = Some("native".into());
        let mut ratio = difference.clone();
        ratio.measure = Measure::Ratio;
        let release = Release {
            provenance: provenance("gaps.csv"),
            changes: Vec::new(),
            figures: vec![difference.clone(), level.clone(), ratio.clone()],
        };
        let id = store.publish(&release).await.unwrap();
        let back = store.figures(id, &FigureFilter::default()).await.unwrap();
        assert_eq!(back, release.figures, "a level and both gaps of one group");

        let mut without_reference = difference.clone();
        without_reference.reference_group = None;
        let mut level_with_reference = level.clone();
        level_with_reference.reference_group = Some("native".into());
        let mut named = level.clone();
        named.group = "non_eu_born minus native".into();
        for bad in [without_reference, level_with_reference, named] {
            assert!(
                store
                    .publish(&Release {
                        provenance: provenance("bad.csv"),
                        changes: Vec::new(),
                        figures: vec![bad.clone()],
                    })
                    .await
                    .is_err(),
                "{bad:?} was stored"
            );
        }
    }
}

#[tokio::test]
async fn changes_round_trip_with_their_covariance_basis_and_withheld_ones_without_numbers() {
    use incity_estimation::CovarianceBasis;
    use incity_indicators::ChangeFigure;
    for (store, _dir) in support::both().await {
        let change = |geo: &str, estimate: Estimate, covariance, shared_psus| ChangeFigure {
            indicator: "employment_rate_20_64".into(),
            source: Source::Lfs,
            from_year: 2023,
            to_year: 2024,
            geo_level: GeoLevel::Nuts2,
            geo: geo.into(),
            grouping: "total".into(),
            group: "total".into(),
            sex: Sex::Total,
            estimate,
            covariance,
            shared_psus,
        };
        // A change has no CV or design effect.
        let mut difference = published(0.02);
        if let Some(x) = difference.figures.as_mut() {
            x.cv = None;
            x.deff = None;
        }
        let changes = vec![
            change("AT13", difference, CovarianceBasis::SharedPsus, 40),
            change("AT11", suppressed(), CovarianceBasis::Independent, 0),
        ];
        let id = store
            .publish(&Release {
                provenance: provenance("changes.csv"),
                changes: changes.clone(),
                figures: vec![figure("AT13", published(0.7))],
            })
            .await
            .unwrap();
        let mut back = store.changes(id, None, None).await.unwrap();
        back.sort_by(|a, b| b.geo.cmp(&a.geo));
        assert_eq!(back, changes);
        assert_eq!(
            store.changes(id, None, Some("AT11")).await.unwrap().len(),
            1,
            "filtered by area"
        );
        // A basis that contradicts the PSU count is refused, and the release with it.
        let bad = change("AT12", published(0.01), CovarianceBasis::Independent, 5);
        assert!(store
            .publish(&Release {
                provenance: provenance("bad-change.csv"),
                changes: vec![bad],
                figures: vec![figure("AT13", published(0.7))],
            })
            .await
            .is_err());
        assert_eq!(store.current_release().await.unwrap().unwrap().id, id);
    }
}
