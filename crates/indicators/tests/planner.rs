//! The precision planner on a small hand-made release: planning values, respondents for a
//! target CV (the textbook formula), respondents to pass the shipped default rules (checked
//! by publishing a figure with that precision), bounds for suppressed cells, model-based plans.

use incity_estimation::{Estimate, Figures, Flag, FlagReason, PlanningBasis};
use incity_indicators::planner::{plan, PlanRequest, PlanningSource, Respondents};
use incity_indicators::rules::RuleSet;
use incity_indicators::{Catalogue, Figure, FigureMethod, GeoLevel, Measure, Sex, Source};

const INDICATOR: &str = "employment_rate_20_64";

fn figure(geo_level: GeoLevel, geo: &str, group: &str, estimate: Estimate) -> Figure {
    Figure {
        indicator: INDICATOR.into(),
        source: Source::Lfs,
        first_year: 2024,
        year: 2024,
        geo_level,
        geo: geo.into(),
        grouping: "birth_group".into(),
        group: group.into(),
        reference_group: None,
        sex: Sex::Total,
        measure: Measure::Level,
        estimate,
        method: FigureMethod::Direct,
    }
}

fn published(p: f64, se: f64, n: u64, deff: Option<f64>, df: usize) -> Estimate {
    Estimate {
        flag: Flag::Reliable,
        reason: None,
        figures: Some(Figures {
            estimate: p,
            se,
            ci_low: p - 2.0 * se,
            ci_high: p + 2.0 * se,
            cv: Some(se / p),
            n,
            population: 50_000.0,
            deff,
            df,
        }),
    }
}

fn suppressed(reason: FlagReason) -> Estimate {
    Estimate {
        flag: Flag::Suppressed,
        reason: Some(reason),
        figures: None,
    }
}

fn release() -> Vec<Figure> {
    let mut model = figure(
        GeoLevel::City,
        "AT002C",
        "non_eu_born",
        published(0.55, 0.04, 14, None, usize::MAX),
    );
    model.method = FigureMethod::ModelBased {
        model: "Fay-Herriot".into(),
    };
    vec![
        // The country: planning values for cells without a published figure.
        figure(
            GeoLevel::Country,
            "AT",
            "non_eu_born",
            published(0.60, 0.01, 3000, Some(1.5), 300),
        ),
        figure(
            GeoLevel::Country,
            "AT",
            "eu_born",
            published(0.72, 0.01, 2000, Some(1.4), 200),
        ),
        // A published city cell.
        figure(
            GeoLevel::City,
            "AT001C",
            "non_eu_born",
            published(0.50, 0.05, 150, Some(1.5), 30),
        ),
        // Suppressed, with a published model-based figure.
        figure(
            GeoLevel::City,
            "AT002C",
            "non_eu_born",
            suppressed(FlagReason::Respondents),
        ),
        model,
        // Suppressed for too few respondents, no model-based figure.
        figure(
            GeoLevel::City,
            "AT003C",
            "eu_born",
            suppressed(FlagReason::Respondents),
        ),
        // The reference group is not planned.
        figure(
            GeoLevel::City,
            "AT001C",
            "native",
            published(0.75, 0.01, 900, Some(1.3), 30),
        ),
    ]
}

#[test]
fn plans_every_migrant_group_cell_from_published_figures_only() {
    let rules = RuleSet::load("default").unwrap();
    let request = PlanRequest {
        level: GeoLevel::City,
        geo: None,
        indicator: None,
        group: None,
        target_cvs: vec![0.10, 0.20],
    };
    let rows = plan(Catalogue::embedded(), &release(), &rules, &request);
    assert_eq!(rows.len(), 3, "{rows:#?}");
    let row = |geo: &str| rows.iter().find(|r| r.geo == geo).unwrap();

    // A published cell: its own value and design effect; n = deff (1 - p) / (p c²).
    let a = row("AT001C");
    assert_eq!(a.respondents, Respondents::Known(150));
    assert_eq!(a.planning_value, Some((0.50, PlanningSource::Direct)));
    assert_eq!(a.for_cv[0].1.unwrap().respondents, 150); // 1.5 · 0.5 / (0.5 · 0.01)
    assert_eq!(a.for_cv[1].1.unwrap().respondents, 38); // ⌈37.5⌉
    let over = a.for_cv[0].1.unwrap().oversampling.unwrap();
    assert!((over - 1.0).abs() < 1e-12);
    // To be published: the shipped rules publish a figure of that precision without a flag,
    // and not one with a respondent fewer.
    let needed = a.to_publish.unwrap().respondents;
    let direct_rules = rules.rules_for("AT").unwrap();
    let basis = PlanningBasis::share(0.5, 1.5, 30.0 / 150.0, 50_000.0).unwrap();
    assert_eq!(
        basis.direct_figure(needed, &direct_rules).flag,
        Flag::Reliable
    );
    assert_ne!(
        basis.direct_figure(needed - 1, &direct_rules).flag,
        Flag::Reliable
    );
    assert!(needed >= direct_rules.flag_below_n);

    // Suppressed with a model-based figure: the model's estimate and respondents, the level's
    // design effect; the model-based figure needs fewer respondents than the direct one.
    let b = row("AT002C");
    assert_eq!(b.planning_value, Some((0.55, PlanningSource::ModelBased)));
    assert_eq!(b.respondents, Respondents::Known(14));
    assert_eq!(b.deff, Some(1.5));
    let model = b.model.unwrap();
    assert_eq!(model.rmse, Some(0.04));
    let m = model.to_publish.unwrap().respondents;
    assert!(m < b.to_publish.unwrap().respondents);
    // Suppressed for too few respondents without a model: the country's value, and the
    // oversampling and pooling as lower bounds over "fewer than 20".
    let c = row("AT003C");
    assert_eq!(c.respondents, Respondents::FewerThan(20));
    assert_eq!(c.planning_value, Some((0.72, PlanningSource::Country)));
    let r = c.for_cv[0].1.unwrap();
    assert!(r.lower_bounds);
    assert_eq!(r.pooled_years, Some(r.respondents.div_ceil(19)));
    assert!(c.model.is_none());
}

#[test]
fn a_request_selects_cells_and_a_cell_without_any_published_value_says_why() {
    let rules = RuleSet::load("default").unwrap();
    let mut figures = release();
    figures.retain(|f| f.geo_level != GeoLevel::Country);
    let request = PlanRequest {
        level: GeoLevel::City,
        geo: Some("AT003C".into()),
        indicator: Some(INDICATOR.into()),
        group: None,
        target_cvs: vec![0.1],
    };
    let rows = plan(Catalogue::embedded(), &figures, &rules, &request);
    assert_eq!(rows.len(), 1);
    assert!(rows[0].planning_value.is_none());
    assert!(rows[0].for_cv[0].1.is_none() && rows[0].to_publish.is_none());
    assert!(rows[0].note.as_deref().unwrap().contains("planning value"));
}
