//! The toolbox: the shipped files (sizes the product promises, every survey indicator with a
//! source and a concept), the validation rules (each refusal with its file and entry), the
//! search and filters, and the evidence computed from a hand-made release.

use incity_estimation::{Estimate, Figures, Flag, FlagReason};
use incity_indicators::rules::RuleSet;
use incity_indicators::toolbox::evidence::{city_cells, pooling_gain, source_precision, TARGET_CV};
use incity_indicators::toolbox::{
    Access, EntryKind, GeoDetail, SourceFilter, ToolFilter, Toolbox, Topic, FILES,
};
use incity_indicators::{Catalogue, Figure, FigureMethod, GeoLevel, Measure, Sex, Source};

fn shipped_texts() -> Vec<(String, String)> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../catalogue/toolbox");
    FILES
        .iter()
        .map(|f| {
            let path = format!("{dir}/{f}");
            let text = std::fs::read_to_string(&path).expect("toolbox file");
            (f.to_string(), text)
        })
        .collect()
}

/// Parses the shipped texts with one file edited.
fn parse_with(file: &str, edit: impl Fn(&str) -> String) -> Result<Toolbox, String> {
    let texts: Vec<(String, String)> = shipped_texts()
        .into_iter()
        .map(|(n, t)| {
            let t = if n == file { edit(&t) } else { t };
            (n, t)
        })
        .collect();
    Toolbox::parse(&texts, Catalogue::embedded()).map_err(|e| e.to_string())
}

#[test]
fn the_shipped_toolbox_has_what_the_product_promises() {
    let t = Toolbox::embedded();
    let c = Catalogue::embedded();
    assert!(t.sources.len() >= 12, "{} sources", t.sources.len());
    assert!(t.tools.len() >= 25, "{} tools", t.tools.len());
    assert!(t.glossary.len() >= 40, "{} terms", t.glossary.len());
    for audience in incity_indicators::toolbox::Audience::ALL {
        assert!(t.recommendations.iter().any(|r| r.audience == *audience));
    }
    for i in &c.indicators {
        assert!(!t.sources_for(&i.id).is_empty(), "no source feeds {}", i.id);
        assert!(
            !t.terms_for(c, &i.id).is_empty(),
            "no glossary term for {}",
            i.id
        );
    }
    for a in &c.administrative {
        assert!(!t.sources_for(&a.id).is_empty(), "no source feeds {}", a.id);
    }
    // The sources the issue names are all in.
    for id in [
        "eu-lfs",
        "eu-silc",
        "ehis",
        "aes",
        "ess",
        "eu-midis",
        "pisa",
        "census-2021",
        "population-registers",
        "residence-permits",
        "citizenship-acquisition",
        "urban-audit",
    ] {
        assert!(t.source(id).is_some(), "missing source {id}");
    }
    for id in [
        "mipex",
        "intercultural-cities-index",
        "r-survey",
        "r-laeken",
        "r-emdi",
        "r-vardpoor",
        "python-samplics",
    ] {
        assert!(t.tool(id).is_some(), "missing tool {id}");
    }
    // The shipped files parse to the embedded toolbox.
    assert_eq!(&Toolbox::parse(&shipped_texts(), c).expect("valid"), t);
}

#[test]
fn an_entry_without_a_source_is_refused() {
    let e = parse_with("tools.toml", |t| {
        let start = t
            .find("references = [\n    { title = \"MIPEX: What is MIPEX\"")
            .expect("mipex refs");
        let end = start + t[start..].find("\n]\n").expect("end") + 3;
        format!("{}references = []\n{}", &t[..start], &t[end..])
    })
    .expect_err("refused");
    assert!(
        e.contains("tools.toml") && e.contains("tool `mipex`") && e.contains("no reference"),
        "{e}"
    );
    // A term without any references field is refused by the parser, naming the field.
    let e = parse_with("glossary.toml", |t| {
        t.replacen(
            "references = [{ title = \"Eurostat Statistics Explained: Glossary - Employment rate\", url = \"https://ec.europa.eu/eurostat/statistics-explained/index.php?title=Glossary:Employment_rate\" }]\n",
            "",
            1,
        )
    })
    .expect_err("refused");
    assert!(
        e.contains("glossary.toml") && e.contains("references"),
        "{e}"
    );
}

/// An edit of a file's text.
type Edit = Box<dyn Fn(&str) -> String>;

#[test]
fn malformed_entries_are_refused_with_their_file_and_entry() {
    let cases: Vec<(&str, Edit, &[&str])> = vec![
        (
            "sources.toml",
            Box::new(|t: &str| {
                t.replacen(
                    "topics = [\"employment\", \"education\", \"demography\"]",
                    "topics = [\"jobs\"]",
                    1,
                )
            }),
            &["sources.toml", "unknown variant `jobs`", "employment"],
        ),
        (
            "sources.toml",
            Box::new(|t: &str| {
                t.replacen("\"tertiary_attainment_25_34\", \"early_leavers_18_24\", \"neet_15_29\", \"learning_participation_25_64\",\n]", "\"no_such_indicator\",\n]", 1)
            }),
            &[
                "source `eu-lfs`",
                "indicator `no_such_indicator` is not in the catalogue",
            ],
        ),
        (
            "sources.toml",
            Box::new(|t: &str| {
                t.replacen(
                    "precision_indicator = \"employment_rate_20_64\"",
                    "precision_indicator = \"median_income_18_plus\"",
                    1,
                )
            }),
            &[
                "source `eu-lfs`",
                "computed from `silc`, not from release_source `lfs`",
            ],
        ),
        (
            "sources.toml",
            Box::new(|t: &str| {
                t.replacen("precision_indicator = \"employment_rate_20_64\"\n", "", 1)
            }),
            &[
                "source `eu-lfs`",
                "release_source and precision_indicator go together",
            ],
        ),
        (
            "sources.toml",
            Box::new(|t: &str| {
                t.replacen("catalogue_version = \"", "catalogue_version = \"1999.1-", 1)
            }),
            &["sources.toml", "versioned with its catalogue"],
        ),
        (
            "tools.toml",
            Box::new(|t: &str| {
                t.replacen(
                    "url = \"https://www.mipex.eu/\"",
                    "url = \"www.mipex.eu\"",
                    1,
                )
            }),
            &["tool `mipex`", "url `www.mipex.eu`"],
        ),
        (
            "tools.toml",
            Box::new(|t: &str| {
                t.replacen("checked = \"2026-12-05\"", "checked = \"5 December\"", 1)
            }),
            &["tool `mipex`", "expected a date YYYY-MM-DD"],
        ),
        (
            "tools.toml",
            Box::new(|t: &str| {
                t.replacen("id = \"intercultural-cities-index\"", "id = \"mipex\"", 1)
            }),
            &["tool `mipex` appears twice"],
        ),
        (
            "glossary.toml",
            Box::new(|t: &str| {
                t.replacen(
                    "groupings = [\"birth_group\"]",
                    "groupings = [\"origin\"]",
                    1,
                )
            }),
            &["term `native-foreign-born`", "grouping `origin`"],
        ),
        (
            "glossary.toml",
            Box::new(|t: &str| {
                t.replacen("term = \"Employment rate\"", "term = \"Activity rate\"", 1)
            }),
            &["defined twice"],
        ),
        (
            "recommendations.toml",
            Box::new(|t: &str| {
                t.replacen(
                    "evidence = \"city-cells-published\"",
                    "evidence = \"anecdote\"",
                    1,
                )
            }),
            &["recommendations.toml", "unknown variant `anecdote`"],
        ),
        (
            "recommendations.toml",
            Box::new(|t: &str| t.replacen("audience = \"cities\"", "audience = \"mayors\"", 1)),
            &["recommendations.toml", "unknown variant `mayors`"],
        ),
    ];
    for (file, edit, wanted) in cases {
        let edited = shipped_texts()
            .into_iter()
            .find(|(n, _)| n == file)
            .map(|(_, t)| edit(&t))
            .expect("file");
        assert_ne!(
            edited,
            shipped_texts()
                .into_iter()
                .find(|(n, _)| n == file)
                .expect("file")
                .1,
            "the edit for {wanted:?} changed nothing"
        );
        let e = parse_with(file, |t| edit(t)).expect_err("refused");
        for w in wanted {
            assert!(e.contains(w), "expected `{w}` in: {e}");
        }
    }
}

#[test]
fn search_and_filters_find_entries_by_words_topic_level_and_access() {
    let t = Toolbox::embedded();
    let c = Catalogue::embedded();
    let hits = t.search(c, "grid census");
    assert!(hits
        .iter()
        .any(|h| h.kind == EntryKind::Source && h.id == "census-2021"));
    assert!(hits.iter().all(|h| {
        let s = format!("{} {} {}", h.id, h.title, h.summary).to_lowercase();
        s.contains("grid") || s.contains("census") || h.kind != EntryKind::Indicator
    }));
    // Every word must match: a word found nowhere empties the result.
    assert!(t.search(c, "census zzzzqqq").is_empty());
    assert!(t.search(c, "   ").is_empty());
    // Indicators are found too.
    assert!(t
        .search(c, "overcrowding")
        .iter()
        .any(|h| h.kind == EntryKind::Indicator && h.id == "overcrowding_18_plus"));

    let city = SourceFilter {
        level: Some(GeoDetail::City),
        ..Default::default()
    };
    let at_city: Vec<&str> = t
        .sources
        .iter()
        .filter(|s| s.matches(&city))
        .map(|s| s.id.as_str())
        .collect();
    for id in ["census-2021", "population-registers", "urban-audit"] {
        assert!(at_city.contains(&id), "{id} reaches cities: {at_city:?}");
    }
    for id in ["eu-lfs", "eu-silc", "ess", "pisa"] {
        assert!(!at_city.contains(&id), "{id} does not reach cities");
    }
    let secure = SourceFilter {
        access: Some(Access::SecureAccess),
        topic: Some(Topic::Income),
        ..Default::default()
    };
    let ids: Vec<&str> = t
        .sources
        .iter()
        .filter(|s| s.matches(&secure))
        .map(|s| s.id.as_str())
        .collect();
    assert!(
        ids.contains(&"eu-silc") && !ids.contains(&"eu-lfs"),
        "{ids:?}"
    );
    let software = ToolFilter {
        kind: Some(incity_indicators::toolbox::ToolType::Software),
        text: Some("small area".into()),
        ..Default::default()
    };
    let ids: Vec<&str> = t
        .tools
        .iter()
        .filter(|x| x.matches(&software))
        .map(|x| x.id.as_str())
        .collect();
    assert!(
        ids.contains(&"r-emdi") && ids.contains(&"r-sae") && !ids.contains(&"r-laeken"),
        "{ids:?}"
    );
}

#[test]
fn glossary_terms_link_to_the_indicators_that_use_them() {
    let t = Toolbox::embedded();
    let c = Catalogue::embedded();
    let terms: Vec<&str> = t
        .terms_for(c, "overcrowding_18_plus")
        .iter()
        .map(|x| x.id.as_str())
        .collect();
    assert!(
        terms.contains(&"overcrowding") && terms.contains(&"design-effect"),
        "{terms:?}"
    );
    assert!(!terms.contains(&"long-term-unemployment"));
    let admin: Vec<&str> = t
        .terms_for(c, "citizenship_acquisition_rate")
        .iter()
        .map(|x| x.id.as_str())
        .collect();
    assert!(
        admin.contains(&"citizenship-acquisition") && admin.contains(&"administrative-figure"),
        "{admin:?}"
    );
    assert!(
        !admin.contains(&"design-effect"),
        "a survey-only term is not linked to a count"
    );
}

// --- Evidence from a hand-made release -------------------------------------------------

fn figure(level: GeoLevel, geo: &str, group: &str, first_year: i32, estimate: Estimate) -> Figure {
    Figure {
        indicator: "employment_rate_20_64".into(),
        source: Source::Lfs,
        first_year,
        year: 2024,
        geo_level: level,
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

fn published(flag: Flag, p: f64, se: f64, n: u64, deff: f64) -> Estimate {
    Estimate {
        flag,
        reason: (flag != Flag::Reliable).then_some(FlagReason::Respondents),
        figures: Some(Figures {
            estimate: p,
            se,
            ci_low: p - 2.0 * se,
            ci_high: p + 2.0 * se,
            cv: Some(se / p),
            n,
            population: 10_000.0,
            deff: Some(deff),
            df: 50,
        }),
    }
}

fn withheld() -> Estimate {
    Estimate {
        flag: Flag::Suppressed,
        reason: Some(FlagReason::Respondents),
        figures: None,
    }
}

#[test]
fn city_cells_count_migrant_groups_of_the_latest_year_with_and_without_models() {
    let c = Catalogue::embedded();
    let mut old = figure(GeoLevel::City, "AT001C", "non_eu_born", 2023, withheld());
    old.first_year = 2023;
    old.year = 2023;
    let mut model = figure(
        GeoLevel::City,
        "AT002C",
        "non_eu_born",
        2024,
        published(Flag::Reliable, 0.5, 0.03, 40, 1.2),
    );
    model.method = FigureMethod::ModelBased {
        model: "Fay-Herriot".into(),
    };
    let figures = vec![
        figure(
            GeoLevel::City,
            "AT001C",
            "non_eu_born",
            2024,
            published(Flag::Reliable, 0.6, 0.03, 300, 1.4),
        ),
        figure(GeoLevel::City, "AT002C", "non_eu_born", 2024, withheld()),
        figure(
            GeoLevel::City,
            "AT003C",
            "eu_born",
            2024,
            published(Flag::LowReliability, 0.7, 0.09, 60, 1.4),
        ),
        model,
        // Not counted: the reference group, an older year, a pooled figure, a region.
        figure(
            GeoLevel::City,
            "AT001C",
            "native",
            2024,
            published(Flag::Reliable, 0.75, 0.01, 2000, 1.4),
        ),
        old,
        figure(
            GeoLevel::City,
            "AT003C",
            "eu_born",
            2022,
            published(Flag::Reliable, 0.7, 0.04, 180, 1.4),
        ),
        figure(
            GeoLevel::Nuts2,
            "AT13",
            "non_eu_born",
            2024,
            published(Flag::Reliable, 0.6, 0.02, 500, 1.4),
        ),
    ];
    let cells = city_cells(c, &figures);
    assert_eq!(
        (
            cells.cells,
            cells.reliable_direct,
            cells.reliable_with_models
        ),
        (3, 1, 2)
    );
}

#[test]
fn source_precision_is_the_planner_for_non_eu_born_city_figures() {
    let c = Catalogue::embedded();
    let rules = RuleSet::load("default").expect("default rules");
    let figures = vec![
        figure(
            GeoLevel::Country,
            "AT",
            "non_eu_born",
            2024,
            published(Flag::Reliable, 0.6, 0.01, 3000, 1.5),
        ),
        figure(
            GeoLevel::City,
            "AT001C",
            "non_eu_born",
            2024,
            published(Flag::Reliable, 0.6, 0.04, 250, 1.5),
        ),
        figure(
            GeoLevel::City,
            "AT002C",
            "non_eu_born",
            2024,
            published(Flag::LowReliability, 0.5, 0.08, 70, 1.5),
        ),
        figure(GeoLevel::City, "AT003C", "non_eu_born", 2024, withheld()),
        figure(
            GeoLevel::City,
            "AT001C",
            "eu_born",
            2024,
            published(Flag::Reliable, 0.7, 0.04, 250, 1.5),
        ),
    ];
    let p = source_precision(c, &figures, &rules, "employment_rate_20_64").expect("cities");
    assert_eq!((p.cities, p.reliable, p.year), (3, 1, 2024));
    // Lower median of the published respondents (70, 250) and CVs (0.04/0.6, 0.08/0.5).
    assert_eq!(p.median_respondents, Some(70));
    assert!((p.median_cv.expect("cv") - 0.04 / 0.6).abs() < 1e-12);
    // For a target CV: n = deff (1 - p) / (p CV²), per city from its own p and deff; the third
    // city plans from the country's figure.
    let need = |p: f64| (1.5 * (1.0 - p) / (p * TARGET_CV * TARGET_CV)).ceil() as u64;
    let mut wanted = [need(0.6), need(0.5), need(0.6)];
    wanted.sort();
    assert_eq!(p.median_for_target_cv, Some(wanted[1]));
    assert!(source_precision(c, &figures, &rules, "median_income_18_plus").is_none());
}

#[test]
fn pooling_gain_compares_pooled_and_single_year_standard_errors() {
    let c = Catalogue::embedded();
    assert!(pooling_gain(
        c,
        &[figure(
            GeoLevel::City,
            "AT001C",
            "non_eu_born",
            2024,
            withheld()
        )]
    )
    .is_none());
    let figures = vec![
        figure(
            GeoLevel::City,
            "AT001C",
            "non_eu_born",
            2024,
            published(Flag::LowReliability, 0.6, 0.06, 80, 1.4),
        ),
        figure(
            GeoLevel::City,
            "AT001C",
            "non_eu_born",
            2022,
            published(Flag::Reliable, 0.6, 0.036, 240, 1.4),
        ),
        figure(
            GeoLevel::Nuts2,
            "AT13",
            "non_eu_born",
            2024,
            published(Flag::Reliable, 0.6, 0.02, 500, 1.4),
        ),
        figure(
            GeoLevel::Nuts2,
            "AT13",
            "non_eu_born",
            2022,
            published(Flag::Reliable, 0.6, 0.012, 1500, 1.4),
        ),
        figure(GeoLevel::City, "AT002C", "non_eu_born", 2024, withheld()),
        figure(
            GeoLevel::City,
            "AT002C",
            "non_eu_born",
            2022,
            published(Flag::LowReliability, 0.6, 0.07, 60, 1.4),
        ),
    ];
    let g = pooling_gain(c, &figures).expect("pooled figures");
    assert_eq!(
        (g.years, g.pairs, g.reliable_single, g.reliable_pooled),
        (3, 2, 1, 2)
    );
    assert!(
        (g.median_se_ratio - 0.6).abs() < 1e-12,
        "{}",
        g.median_se_ratio
    );
}
