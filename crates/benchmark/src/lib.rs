//! Benchmarking areas across countries from the figures of a release.
//!
//! Pure statistics over [`Figure`](incity_indicators::Figure)s already published: no files,
//! no SQL, no HTTP, and nothing a release withholds (a suppressed figure has no number, so it
//! cannot enter a comparison). The portal, the API and the CLI show what this crate computes.
//!
//! - [`peers`]: the areas most similar to one area on standardised context variables, with
//!   the variables, weights and each one's share of the distance.
//! - [`profile`]: an area's figures beside its country's, and whether it differs from its
//!   country (read from the jointly linearised difference the engine computes).
//! - [`ranks`]: each unit's rank with a marginal or simultaneous confidence interval (Mogstad,
//!   Romano, Shaikh & Wilhelm 2024), so that a sorted list never shows as different units
//!   whose intervals say otherwise.

pub mod peers;
pub mod profile;
pub mod ranks;

use incity_indicators::catalogue::Indicator;
use incity_indicators::GeoLevel;

/// What holds for every figure of an indicator in a comparison of areas (each with its level,
/// `None` where unknown): the areas' kinds and countries (independent national samples, the
/// release's thresholds) and the indicator's own comparability note. Shared by the portal's
/// comparisons and rankings and `incity rank`.
pub fn comparison_notes(indicator: &Indicator, areas: &[(&str, Option<GeoLevel>)]) -> Vec<String> {
    let mut notes = Vec::new();
    if areas.windows(2).any(|w| w[0].1 != w[1].1) {
        notes.push(
            "the areas are of different kinds (cities, regions, countries): their populations differ in size and urbanisation".into(),
        );
    }
    let mut countries: Vec<&str> = areas.iter().map(|(g, _)| g.get(..2).unwrap_or(g)).collect();
    countries.sort_unstable();
    countries.dedup();
    if countries.len() > 1 {
        notes.push(format!(
            "the figures come from the {} samples of {} countries ({}): one EU regulation, national questionnaires and sample designs; the samples are independent, and every figure is judged by the release's publication rules (see the release page)",
            indicator.source.code().to_uppercase(),
            countries.len(),
            countries.join(", ")
        ));
    }
    if !indicator.comparability.is_empty() {
        notes.push(indicator.comparability.clone());
    }
    notes
}
