//! Charts as SVG drawn on the server: the explorer's interval chart (each area's estimate and
//! 95 % interval, the reference group marked).

use incity_estimation::Flag;
use incity_indicators::{FigureMethod, Measure};
use maud::{html, Markup};

use crate::views::ExploreRow;

/// Width of the label column and of the whole chart, in SVG units.
const LABEL_WIDTH: f64 = 230.0;
const WIDTH: f64 = 760.0;
const ROW: f64 = 18.0;

/// A "nice" step (1, 2 or 5 times a power of ten) for about `ticks` ticks over `span`.
fn nice_step(span: f64, ticks: f64) -> f64 {
    let raw = span / ticks;
    let magnitude = 10f64.powf(raw.log10().floor());
    let r = raw / magnitude;
    magnitude
        * if r <= 1.0 {
            1.0
        } else if r <= 2.0 {
            2.0
        } else if r <= 5.0 {
            5.0
        } else {
            10.0
        }
}

/// The interval chart of the explorer's rows that have a published figure, in their order.
/// `shown` formats a value in the unit; `unit` names it for the axis.
pub(crate) fn interval_chart(
    rows: &[ExploreRow],
    measure: Measure,
    title: &str,
    unit: &str,
    shown: impl Fn(f64) -> String,
) -> Markup {
    let drawn: Vec<&ExploreRow> = rows
        .iter()
        .filter(|r| r.shown.and_then(|f| f.estimate.figures).is_some())
        .collect();
    if drawn.is_empty() {
        return html! { p { "No published figure to chart." } };
    }
    let mut lo = f64::MAX;
    let mut hi = f64::MIN;
    for r in &drawn {
        if let Some(x) = r.shown.and_then(|f| f.estimate.figures) {
            lo = lo.min(x.ci_low);
            hi = hi.max(x.ci_high);
        }
        if let Some(x) = r.reference.and_then(|f| f.estimate.figures) {
            lo = lo.min(x.estimate);
            hi = hi.max(x.estimate);
        }
    }
    if let Some(zero) = measure.no_difference() {
        lo = lo.min(zero);
        hi = hi.max(zero);
    } else {
        lo = lo.min(0.0);
    }
    if hi - lo < 1e-9 {
        hi = lo + 1.0;
    }
    let step = nice_step(hi - lo, 6.0);
    let (lo, hi) = ((lo / step).floor() * step, (hi / step).ceil() * step);
    let plot = WIDTH - LABEL_WIDTH - 20.0;
    let x_of = |v: f64| LABEL_WIDTH + (v - lo) / (hi - lo) * plot;
    let top = 30.0;
    let height = top + ROW * drawn.len() as f64 + 30.0;
    let ticks: Vec<f64> = (0..)
        .map(|k| lo + step * f64::from(k))
        .take_while(|v| *v <= hi + step * 1e-9)
        .collect();
    html! {
        figure.chart {
            svg viewBox={ "0 0 " (WIDTH) " " (height) } role="img" aria-labelledby="chart-title" {
                title #chart-title { (title) }
                g.axis aria-hidden="true" {
                    @for t in &ticks {
                        line x1=(fmt(x_of(*t))) y1=(top - 6.0) x2=(fmt(x_of(*t))) y2=(height - 26.0) stroke="#e3e8ec" {}
                        text x=(fmt(x_of(*t))) y=(top - 10.0) font-size="11" text-anchor="middle" fill="#4a5560" { (shown(*t)) }
                    }
                    @if let Some(zero) = measure.no_difference() {
                        line x1=(fmt(x_of(zero))) y1=(top - 6.0) x2=(fmt(x_of(zero))) y2=(height - 26.0) stroke="#5f6b75" stroke-width="1.2" {}
                    }
                    text x=(LABEL_WIDTH + plot / 2.0) y=(height - 8.0) font-size="12" text-anchor="middle" fill="#1b1f24" { (unit) }
                }
                @for (i, r) in drawn.iter().enumerate() {
                    @let y = top + ROW * i as f64 + ROW / 2.0;
                    @let f = r.shown.expect("drawn rows have a figure");
                    @let x = f.estimate.figures.expect("drawn rows are published");
                    @let model = f.method != FigureMethod::Direct;
                    @let low = f.estimate.flag == Flag::LowReliability;
                    g.row data-geo=(r.geo) {
                        title {
                            (r.name) " (" (r.geo) "): " (shown(x.estimate)) ", 95 % interval " (shown(x.ci_low)) " to " (shown(x.ci_high))
                            @if low { ", low reliability" }
                            ", " (f.method_label())
                            @if let Some(rf) = r.reference.and_then(|f| f.estimate.figures) { "; reference group " (shown(rf.estimate)) }
                        }
                        text x=(LABEL_WIDTH - 8.0) y=(fmt(y + 4.0)) font-size="12" text-anchor="end" fill="#1b1f24" {
                            (truncate(&r.name, 30)) @if model { " ◆" } @if low { " (u)" }
                        }
                        line x1=(fmt(x_of(x.ci_low))) y1=(fmt(y)) x2=(fmt(x_of(x.ci_high))) y2=(fmt(y))
                            stroke=(if model { "#5b3a8c" } else { "#0b3d5c" }) stroke-width="3"
                            stroke-dasharray=(if low { "4 2" } else { "none" }) {}
                        circle cx=(fmt(x_of(x.estimate))) cy=(fmt(y)) r="4" fill="#e07b00" {}
                        @if let Some(rf) = r.reference.and_then(|f| f.estimate.figures) {
                            @let rx = x_of(rf.estimate);
                            path.reference d=(format!("M{:.1} {:.1}l5 5l-5 5l-5 -5Z", rx, y - 5.0)) fill="none" stroke="#1b1f24" stroke-width="1.3" {}
                        }
                    }
                }
            }
            figcaption {
                "Estimate (orange dot) and 95 % interval (bar) of every area with a published figure, in the table's order. "
                "Dashed bar, (u): low reliability. Purple bar, ◆: model-based figure. "
                @if drawn.iter().any(|r| r.reference.is_some()) { "Hollow diamond: the reference group's figure in the same area. " }
                @let hidden = rows.len() - drawn.len();
                @if hidden > 0 { (hidden) " areas without a published figure are listed in the table only." }
            }
        }
    }
}

fn fmt(v: f64) -> String {
    format!("{v:.1}")
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(n - 1).collect::<String>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nice_steps() {
        let close = |a: f64, b: f64| (a / b - 1.0).abs() < 1e-9;
        assert!(close(nice_step(0.6, 6.0), 0.1));
        assert!(close(nice_step(30_000.0, 6.0), 5_000.0));
        assert!(close(nice_step(0.13, 6.0), 0.05));
        assert_eq!(truncate("Provence-Alpes-Côte d’Azur", 10), "Provence-…");
    }
}
