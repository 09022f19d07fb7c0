//! The EU-LFS labour-market and learning indicators on a file written by hand, through the
//! shipped `eu-lfs` mapping and the compute, against values worked out by hand from the
//! definitions.
//!
//! Eight kinds of person, each repeated 100 times over 19 PSUs of one stratum (equal weights):
//!
//! | kind | age, sex | ILOSTAT | STAPRO | TEMP | FTPT | FTPTREAS | SEEKDUR | EDUCFED4, EDUCNFE4 |
//! |------|----------|---------|--------|------|------|----------|---------|--------------------|
//! | 1    | 30 M     | 1       | 3      | 2    | 1    |          |         | 2, 1               |
//! | 2    | 40 F     | 1       | 3      | 1    | 2    | 5        |         | 2, 2               |
//! | 3    | 50 M     | 1       | 3      | 1    | 2    | 3        |         | 2, 2               |
//! | 4    | 45 F     | 1       | 2      |      | 1    |          |         | 1, 2               |
//! | 5    | 35 M     | 2       |        |      |      |          | 6       | 2, 2               |
//! | 6    | 28 F     | 2       |        |      |      |          | 2       | 2, 2               |
//! | 7    | 60 M     | 3       |        |      |      |          |         | 2, 2               |
//! | 8    | 70 F     | 2       |        |      |      |          | 8       | 2, 2               |
//!
//! * long-term unemployment (15-74): the labour force is kinds 1-6 and 8 (7 persons), the
//!   long-term unemployed (SEEKDUR 5-8: 12 months or more) kinds 5 and 8: 2/7;
//! * temporary employees (20-64): employees 1, 2, 3, temporary 1: 1/3;
//! * involuntary part-time (20-64): part-time workers 2, 3, of whom 2 found no full-time job
//!   (FTPTREAS 5): 1/2;
//! * participation in education and training (25-64): kinds 1-7, in formal education (4) or
//!   training (1) in the last four weeks: 2/7.

mod support;

use incity_data::mapping::{Mapping, BUILTIN};
use incity_synthetic::LFS_HEADER;
use support::computed::{import_and_compute, national};

/// Per kind: AGE, SEX, ILOSTAT, STAPRO, TEMP, FTPT, FTPTREAS, SEEKDUR, EDUCFED4, EDUCNFE4.
const KINDS: [[&str; 10]; 8] = [
    ["30", "1", "1", "3", "2", "1", "", "", "2", "1"],
    ["40", "2", "1", "3", "1", "2", "5", "", "2", "2"],
    ["50", "1", "1", "3", "1", "2", "3", "", "2", "2"],
    ["45", "2", "1", "2", "", "1", "", "", "1", "2"],
    ["35", "1", "2", "", "", "", "", "6", "2", "2"],
    ["28", "2", "2", "", "", "", "", "2", "2", "2"],
    ["60", "1", "3", "", "", "", "", "", "2", "2"],
    ["70", "2", "2", "", "", "", "", "8", "2", "2"],
];

fn write_lfs(path: &std::path::Path) {
    let mut text = format!("{LFS_HEADER}\n");
    for copy in 0..100 {
        for (k, [age, sex, ilo, stapro, temp, ftpt, reason, seek, formal, training]) in
            KINDS.iter().enumerate()
        {
            let i = copy * KINDS.len() + k;
            let isco = if *ilo == "1" { "5" } else { "" };
            text += &format!(
                "AT,2024,AT13,1,,100,{sex},{age},AT,AT,AT,AT,,{ilo},{stapro},{isco},300,{formal},{training},S1,P{},H{i},1,{seek},{temp},{ftpt},{reason}\n",
                i % 19
            );
        }
    }
    std::fs::write(path, text).unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn labour_market_and_learning_indicators_match_the_hand_computed_values() {
    let dir = tempfile::tempdir().unwrap();
    let lfs = dir.path().join("lfs.csv");
    write_lfs(&lfs);
    let text = BUILTIN.iter().find(|(n, _)| *n == "eu-lfs").unwrap().1;
    let mapping = Mapping::parse(text, "eu-lfs.toml").unwrap();
    let out = import_and_compute(dir.path(), &mapping, &[lfs], "lfs").await;
    for (indicator, expected, respondents) in [
        ("long_term_unemployment_rate_15_74", 2.0 / 7.0, 700),
        ("temporary_employment_20_64", 1.0 / 3.0, 300),
        ("involuntary_part_time_20_64", 1.0 / 2.0, 200),
        ("learning_participation_25_64", 2.0 / 7.0, 700),
    ] {
        let figures = national(&out, indicator, "AT");
        assert!(
            (figures.estimate - expected).abs() < 1e-12,
            "{indicator}: {} (expected {expected})",
            figures.estimate
        );
        assert_eq!(figures.n, respondents, "{indicator}: respondents");
    }
}
