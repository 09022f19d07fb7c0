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
        (Measure::Difference | Measure::CountryDifference, false) => (-0.4, 0.4, Some(0.0)),
        (Measure::Level, false) => (0.0, 1.0, None),
        (Measure::Difference | Measure::CountryDifference, true) => {
            (-30_000.0, 30_000.0, Some(0.0))
        }
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
            (Measure::Difference | Measure::CountryDifference, false) => "percentage points",
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

/// The unit a figure's values are shown in, in words (for axes and text equivalents).
pub(crate) fn unit_words(euro: bool, measure: Measure) -> &'static str {
    match (measure, euro) {
        (Measure::Ratio, _) => "ratio to the reference group",
        (Measure::Difference, true) => "euro (difference to the reference group)",
        (Measure::Difference, false) => "percentage points (difference to the reference group)",
        (Measure::CountryDifference, true) => "euro (difference from the country)",
        (Measure::CountryDifference, false) => "percentage points (difference from the country)",
        (Measure::Level, true) => "euro",
        (Measure::Level, false) => "%",
    }
}

/// A figure in words: value, interval, flag and method ("not published" for a suppressed one).
pub(crate) fn figure_words(f: &Figure, euro: bool) -> String {
    match f.estimate.figures {
        None => format!("not published ({})", flag_title(&f.estimate)),
        Some(x) => format!(
            "{} {}, 95 % interval {} to {}{}, {}",
            shown(x.estimate, euro, f.measure),
            match (f.measure, euro) {
                (Measure::Level, false) => "%",
                (Measure::Difference | Measure::CountryDifference, false) => "pp",
                (Measure::Ratio, _) => "(ratio)",
                (_, true) => "euro",
            },
            shown(x.ci_low, euro, f.measure),
            shown(x.ci_high, euro, f.measure),
            match f.estimate.flag {
                Flag::LowReliability => ", low reliability",
                _ => "",
            },
            f.method_label()
        ),
    }
}

/// Table cells of one figure: estimate, 95 % interval, flag, method. A suppressed figure shows
/// "not published" and nothing else; a missing one a dash.
pub(crate) fn figure_cells(f: Option<&Figure>, euro: bool) -> Markup {
    match f {
        None => html! { td.num { "–" } td {} td {} td {} },
        Some(f) => html! {
            @match f.estimate.figures {
                Some(x) => {
                    td.num { (shown(x.estimate, euro, f.measure)) }
                    td.num { (shown(x.ci_low, euro, f.measure)) " – " (shown(x.ci_high, euro, f.measure)) }
                }
                None => { td.num.flag-c colspan="2" { "not published" } }
            }
            td class={ "flag-" (f.estimate.flag.code()) } title=(flag_title(&f.estimate)) { (f.estimate.flag.code()) }
            td { (method_badge(f)) }
        },
    }
}

/// The method of a figure, with the model named on hover for a model-based one.
pub(crate) fn method_badge(f: &Figure) -> Markup {
    match f.method.model() {
        Some(model) => html! { span.model-based title=(model) { "model-based" } },
        None => html! { (f.method_label()) },
    }
}

/// Unix seconds as an RFC 3339 UTC time.
pub(crate) fn utc(seconds: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(seconds)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| seconds.to_string())
}

/// Two cells of one figure for wide comparisons: the estimate over its interval, then flag
/// and method.
pub(crate) fn figure_cells_compact(f: Option<&Figure>, euro: bool) -> Markup {
    match f {
        None => html! { td.num { "–" } td {} },
        Some(f) => html! {
            @match f.estimate.figures {
                Some(x) => {
                    td.num {
                        (shown(x.estimate, euro, f.measure)) br;
                        small { (shown(x.ci_low, euro, f.measure)) " – " (shown(x.ci_high, euro, f.measure)) }
                    }
                }
                None => { td.num.flag-c { "not published" } }
            }
            td {
                span class={ "flag-" (f.estimate.flag.code()) } title=(flag_title(&f.estimate)) { (f.estimate.flag.code()) }
                " " (method_badge(f))
            }
        },
    }
}
