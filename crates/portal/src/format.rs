//! One place for how numbers, intervals and flags are shown.

use incity_estimation::{Estimate, Flag};

use incity_indicators::{Figure, Measure};
use maud::{html, Markup};

pub(crate) fn pct(v: f64) -> String {
    format!("{:.1}", v * 100.0)
}

/// A value in the figure's unit: percentages with one decimal, euro as whole numbers, ratios
/// with two decimals.
pub(crate) fn shown(v: f64, euro: bool, measure: Measure) -> String {
    match (measure, euro) {
        (Measure::Ratio, _) => format!("{v:.2}"),
        (_, true) => format!("{v:.0}"),
        (_, false) => pct(v),
    }
}

/// An interval drawn on a 0-100 % scale (or -40..+40 pp for gaps; euro: 0-60,000 and
/// ±30,000; ratios 0-2 around 1), with a text equivalent.
pub(crate) fn interval_svg(f: &Figure, euro: bool) -> Markup {
    let Some(x) = f.estimate.figures else {
        return html! {};
    };
    let (lo, hi, reference) = match (f.measure, euro) {
        (Measure::Ratio, _) => (0.0, 2.0, Some(1.0)),
        (Measure::Difference, false) => (-0.4, 0.4, Some(0.0)),
        (Measure::Level, false) => (0.0, 1.0, None),
        (Measure::Difference, true) => (-30_000.0, 30_000.0, Some(0.0)),
        (Measure::Level, true) => (0.0, 60_000.0, None),
    };
    let w = 160.0;
    let pos = |v: f64| ((v - lo) / (hi - lo)).clamp(0.0, 1.0) * w;
    let label = format!(
        "{} {}, 95 % interval {} to {}",
        shown(x.estimate, euro, f.measure),
        match (f.measure, euro) {
            (Measure::Ratio, _) => "(ratio)",
            (_, true) => "euro",
            (Measure::Difference, false) => "percentage points",
            (Measure::Level, false) => "%",
        },
        shown(x.ci_low, euro, f.measure),
        shown(x.ci_high, euro, f.measure)
    );
    html! {
        svg width="160" height="14" viewBox="0 0 160 14" role="img" aria-label=(label) {
            title { (label) }
            line x1="0" y1="7" x2="160" y2="7" stroke="#dde3e8" {}
            @if let Some(r) = reference { line x1=(pos(r)) y1="1" x2=(pos(r)) y2="13" stroke="#98a4ae" {} }
            line x1=(pos(x.ci_low)) y1="7" x2=(pos(x.ci_high)) y2="7" stroke="#0b3d5c" stroke-width="3" {}
            circle cx=(pos(x.estimate)) cy="7" r="3.5" fill="#e07b00" {}
        }
    }
}

/// A flag's tooltip: what it means and which rule the figure failed.
pub(crate) fn flag_title(e: &Estimate) -> String {
    let status = match e.flag {
        Flag::Reliable => "published",
        Flag::LowReliability => "low reliability",
        Flag::Suppressed => "not published",
    };
    match e.reason {
        Some(r) => format!("{status}: {}", r.describe()),
        None => e.flag.describe().to_string(),
    }
}
