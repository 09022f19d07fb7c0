//! The expressions of `incity estimate` and of mappings, without data: the statistic
//! (`--stat`), a mapping's `[derive]` expression, and the pushed-down SQL (`--emit-sql`) of a
//! request whose `--stat`, `--where` and `--derive` are the input's first three lines.
#![no_main]
use incity_data::derive::Expression;
use incity_data::survey::{
    aggregation_sql, DesignColumns, EstimateRequest, SqlDialect, Statistic, VarianceChoice,
};
use incity_estimation::{LonelyPsuRule, PublicationRules, QuantileRule};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let mut lines = text.splitn(3, '\n');
    let (stat, condition, derive) = (
        lines.next().unwrap_or_default(),
        lines.next().unwrap_or_default(),
        lines.next().unwrap_or_default(),
    );
    let _ = Expression::parse(stat);
    let _ = Expression::parse(derive);
    let Ok(statistic) = stat.parse::<Statistic>() else {
        return;
    };
    let request = EstimateRequest {
        data: "fuzz.csv".into(),
        design: DesignColumns {
            weight: "w".into(),
            strata: Some("s".into()),
            psu: Some("p".into()),
            fpc: None,
            lonely_psu: LonelyPsuRule::Certainty,
        },
        variance: VarianceChoice::Linearization,
        mse: false,
        statistic,
        quantile_rule: QuantileRule::InverseCdf,
        condition: (!condition.is_empty()).then(|| condition.to_string()),
        by: vec!["group".into()],
        gap: Some(("group".into(), "a".into())),
        country: None,
        rules: PublicationRules::DEFAULT,
        confidence: 0.95,
        derived: vec![("group".into(), derive.to_string())],
    };
    for dialect in [SqlDialect::Postgres, SqlDialect::Ansi] {
        let _ = aggregation_sql(&request, "schema.table", dialect);
    }
});
