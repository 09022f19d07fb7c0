//! The EU-SILC social-inclusion and housing indicators on a user database written by hand,
//! through the shipped `eu-silc` mapping (its derived deprivation count, the R file's work
//! intensity and the reader's required rooms) and the compute, against values worked out by
//! hand from the definitions.
//!
//! Six kinds of household, each repeated 100 times, spread over 19 PSUs so that the PSUs differ a little
//! (the figures then have a variance and pass the publication rules; equal weights keep every
//! share and the median those of the six):
//!
//! | household | members (age, sex)                 | HX090  | RX040 | rooms | items lacking |
//! |-----------|------------------------------------|--------|-------|-------|---------------|
//! | 1         | couple 40 M, 38 F; 13 M; 10 F      | 9,000  | 1.0   | 3     | 0             |
//! | 2         | 30 F                               | 30,000 | 0.1   | 2     | 0             |
//! | 3         | 70 M                               | 25,000 | —     | 1     | 7             |
//! | 4         | couple 50 M, 52 F                  | 20,000 | 0.6   | 4     | 6             |
//! | 5         | flatmates 25 M, 27 M               | 22,000 | 0.1   | 3     | 0             |
//! | 6         | couple 66 M, 62 F; son 20 M        | 40,000 | 0.15  | 3     | 0             |
//!
//! Thirteen persons per repetition; sorted incomes 9,000 ×4, 20,000 ×2, 22,000 ×2, 25,000,
//! 30,000, 40,000 ×3: the EU-SILC median is 22,000 (the 7th of 13, cumulative share 8/13 ≥ ½),
//! the threshold 13,200, and only household 1 is poor. Of the 11 adults:
//! * at risk of poverty: household 1's two adults, 2/11;
//! * AROPE: household 1 (poor, 2), 2 (very low work intensity, 1), 3 (7 items: severely
//!   deprived, 1), 5 (very low work intensity, 2), 6 (very low work intensity for the 62- and
//!   20-year-olds, not the 66-year-old: 2); household 4 lacks 6 items only: 8/11;
//! * overcrowding: household 1 needs 1 + 1 (couple) + 1 (13 M) + 1 (10 F) = 4 rooms and has
//!   3 (2 adults); household 3 needs 1 + 1 and has 1 (1 adult); household 5 needs 1 + 2 and
//!   has 3; household 6 needs 1 + 1 + 1 and has 3: 3/11;
//! * housing cost overburden: household 2 pays 1,100 a month, 13,200 a year, more than 40 % of
//!   its 30,000 (the others pay 500 a month, under 40 % of their income): 1/11;
//! * unmet need for medical examination: the 20-year-old of household 6 (for its cost; the
//!   50-year-old of household 4 reports one for lack of time, which does not count): 1/11;
//! * in-work poverty: household 1's two adults among the 10 employed (the 70-year-old is
//!   retired): 2/10.

mod support;

use incity_data::mapping::{Mapping, BUILTIN};
use incity_synthetic::{SILC_D_HEADER, SILC_H_HEADER, SILC_P_HEADER, SILC_R_HEADER};
use support::computed::{import_and_compute, national};

/// One member: age, sex (1 male, 2 female), partner's member number.
type Member = (u32, u8, Option<u32>);

/// Personal answers other than employed with no unmet medical need (PL032 1, PH040 2), by
/// (kind, member): economic status, unmet need, its reason.
fn answers(kind: usize, member: usize) -> (&'static str, &'static str, &'static str) {
    match (kind, member) {
        // The 70-year-old is retired.
        (2, 0) => ("3", "2", ""),
        // Unmet need for lack of time: not counted.
        (3, 0) => ("1", "1", "3"),
        // Unmet need because of the cost: counted.
        (5, 2) => ("1", "1", "1"),
        _ => ("1", "2", ""),
    }
}

struct Kind {
    members: Vec<Member>,
    income: f64,
    work_intensity: Option<f64>,
    rooms: u32,
    /// Housing cost, euro per month.
    housing_cost: f64,
    /// Items lacking: (household items of HS040, HS050, HS060, HH050, HS110, HD080 lacking,
    /// arrears, personal items lacking per adult).
    household_lacking: usize,
    arrears: bool,
    personal_lacking: usize,
}

fn kinds() -> Vec<Kind> {
    let k = |members: Vec<Member>, income, wi, rooms, hl, arrears, pl| Kind {
        members,
        income,
        work_intensity: wi,
        rooms,
        housing_cost: if income == 30_000.0 { 1_100.0 } else { 500.0 },
        household_lacking: hl,
        arrears,
        personal_lacking: pl,
    };
    vec![
        k(
            vec![
                (40, 1, Some(2)),
                (38, 2, Some(1)),
                (13, 1, None),
                (10, 2, None),
            ],
            9_000.0,
            Some(1.0),
            3,
            0,
            false,
            0,
        ),
        k(vec![(30, 2, None)], 30_000.0, Some(0.1), 2, 0, false, 0),
        // 7 items: 4 household items, arrears, 2 personal items.
        k(vec![(70, 1, None)], 25_000.0, None, 1, 4, true, 2),
        // 6 items: 3 household items, 3 personal items.
        k(
            vec![(50, 1, Some(2)), (52, 2, Some(1))],
            20_000.0,
            Some(0.6),
            4,
            3,
            false,
            3,
        ),
        k(
            vec![(25, 1, None), (27, 1, None)],
            22_000.0,
            Some(0.1),
            3,
            0,
            false,
            0,
        ),
        k(
            vec![(66, 1, Some(2)), (62, 2, Some(1)), (20, 1, None)],
            40_000.0,
            Some(0.15),
            3,
            0,
            false,
            0,
        ),
    ]
}

/// Writes the four files: every kind repeated `copies` times; household `i` (in writing
/// order) in PSU `i mod 19` of one stratum.
fn write_udb(dir: &std::path::Path, copies: u32) -> Vec<std::path::PathBuf> {
    let (mut d, mut r, mut h, mut p) = (
        format!("{SILC_D_HEADER}\n"),
        format!("{SILC_R_HEADER}\n"),
        format!("{SILC_H_HEADER}\n"),
        format!("{SILC_P_HEADER}\n"),
    );
    for copy in 0..copies {
        for (n, kind) in kinds().iter().enumerate() {
            let hid = 1000 * (copy + 1) + n as u32 + 1;
            let psu = (copy as usize * 6 + n) % 19;
            d += &format!("2024,AT,{hid},AT13,S1,P{psu},1,1,\n");
            let size = kind.members.len() as f64;
            // HS011, HS021, HS031, then HS040, HS050, HS060, HH050, HS110, HD080.
            let arrears = if kind.arrears { "1" } else { "3" };
            let items: Vec<&str> = (0..6)
                .map(|i| if i < kind.household_lacking { "2" } else { "1" })
                .collect();
            h += &format!(
                "2024,AT,{hid},{:.2},3,{:.2},{:.2},0,{size:.1},{},{arrears},3,,{}\n",
                kind.income,
                kind.income * size,
                kind.housing_cost,
                kind.rooms,
                items.join(",")
            );
            for (m, (age, sex, partner)) in kind.members.iter().enumerate() {
                let pid = hid * 100 + m as u32 + 1;
                let partner = partner
                    .map(|q| (hid * 100 + q).to_string())
                    .unwrap_or_default();
                let wi = kind
                    .work_intensity
                    .map(|w| w.to_string())
                    .unwrap_or_default();
                r += &format!(
                    "2024,AT,{pid},{hid},100,{},{sex},{age},,,{partner},{wi}\n",
                    2024 - age
                );
                if *age >= 16 {
                    let personal: Vec<&str> = (0..6)
                        .map(|i| if i < kind.personal_lacking { "2" } else { "3" })
                        .collect();
                    let (pl032, ph040, ph050) = answers(n, m);
                    p += &format!(
                        "2024,AT,{pid},{hid},100,LOC,LOC,300,{pl032},2,{ph040},{ph050},6,2024,1,{},{sex},{}\n",
                        2024 - age,
                        personal.join(",")
                    );
                }
            }
        }
    }
    let files: Vec<_> = [("d", d), ("r", r), ("h", h), ("p", p)]
        .into_iter()
        .map(|(k, text)| {
            let path = dir.join(format!("silc_{k}.csv"));
            std::fs::write(&path, text).unwrap();
            path
        })
        .collect();
    files
}

#[tokio::test(flavor = "multi_thread")]
async fn social_inclusion_and_housing_indicators_match_the_hand_computed_values() {
    let dir = tempfile::tempdir().unwrap();
    let files = write_udb(dir.path(), 100);
    let text = BUILTIN.iter().find(|(n, _)| *n == "eu-silc").unwrap().1;
    let mapping = Mapping::parse(text, "eu-silc.toml").unwrap();
    let out = import_and_compute(dir.path(), &mapping, &files, "silc").await;
    for (indicator, expected) in [
        ("at_risk_of_poverty_18_plus", 2.0 / 11.0),
        ("at_risk_of_poverty_or_social_exclusion_18_plus", 8.0 / 11.0),
        ("overcrowding_18_plus", 3.0 / 11.0),
        ("housing_cost_overburden_18_plus", 1.0 / 11.0),
        ("unmet_medical_need_16_plus", 1.0 / 11.0),
        ("in_work_poverty_18_plus", 2.0 / 10.0),
    ] {
        let f = national(&out, indicator, "AT");
        let (value, n) = (f.estimate, f.n);
        assert!(
            (value - expected).abs() < 1e-12,
            "{indicator}: {value} (expected {expected})"
        );
        let respondents = if indicator.starts_with("in_work") {
            10
        } else {
            11
        };
        assert_eq!(n, respondents * 100, "{indicator}: respondents");
    }
}
