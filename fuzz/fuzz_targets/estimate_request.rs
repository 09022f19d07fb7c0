//! `incity estimate` on a real survey file (R survey's apiclus1) with the input's first four
//! lines as `--stat`, `--where`, `--by` and `--derive NAME=SQL`: statistic and condition
//! parsing, DataFusion's planning of the user's SQL, the scan, the estimate.
#![no_main]
use std::sync::OnceLock;

use incity_data::survey::{estimate, DesignColumns, EstimateRequest, Statistic, VarianceChoice};
use incity_estimation::{LonelyPsuRule, PublicationRules, QuantileRule};
use libfuzzer_sys::fuzz_target;

fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a runtime")
    })
}

fuzz_target!(|text: &str| {
    let mut lines = text.splitn(4, '\n');
    let (stat, condition, by, derive) = (
        lines.next().unwrap_or_default(),
        lines.next().unwrap_or_default(),
        lines.next().unwrap_or_default(),
        lines.next().unwrap_or_default(),
    );
    let Ok(statistic) = stat.parse::<Statistic>() else {
        return;
    };
    let derived = derive
        .split_once('=')
        .map(|(n, e)| vec![(n.trim().to_string(), e.to_string())])
        .unwrap_or_default();
    let request = EstimateRequest {
        data: concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../tests/data/oracles/apiclus1.csv"
        )
        .into(),
        design: DesignColumns {
            weight: "pw".into(),
            strata: None,
            psu: Some("dnum".into()),
            fpc: None,
            lonely_psu: LonelyPsuRule::Certainty,
        },
        variance: VarianceChoice::Linearization,
        mse: false,
        statistic,
        quantile_rule: QuantileRule::InverseCdf,
        condition: (!condition.is_empty()).then(|| condition.to_string()),
        by: by
            .split(',')
            .filter(|b| !b.is_empty())
            .map(String::from)
            .collect(),
        gap: None,
        country: None,
        rules: PublicationRules::DEFAULT,
        confidence: 0.95,
        derived,
    };
    let _ = runtime().block_on(estimate(&request));
});
