//! Choropleth maps as SVG, drawn on the server from the shipped GISCO NUTS 2021 boundaries.
//!
//! The boundaries (1:60 million, WGS 84) are projected once per level with the Lambert
//! azimuthal equal-area projection centred at 52° N 10° E (the centre and kind of EPSG:3035,
//! ETRS89-LAEA, in its spherical form, which is within a fraction of a pixel of the
//! ellipsoidal one at this scale; Snyder 1987, *Map projections: a working manual*, eq. 24-2,
//! 24-3), simplified with Douglas-Peucker at [`SIMPLIFY_KM`], clipped to the European
//! mainland frame (the outermost regions, such as the Canaries or Martinique, are left out
//! and named under the map), and kept as SVG path data for every later map.
//!
//! A map is a [`Choropleth`]: classes of the shown values (quantiles), a fill per class,
//! hatching over figures of low reliability, a distinct pattern for "not published" and a
//! plain fill for areas without a figure; every area carries a text equivalent (its name,
//! figure, interval, flag and method) in its `<title>`.

use std::collections::HashMap;
use std::fmt::Write;
use std::sync::OnceLock;

use incity_estimation::Flag;
use incity_indicators::{Figure, FigureMethod, GeoLevel};
use incity_reference::geography::{Geography, BOUNDARIES_2021};
use maud::{html, Markup, PreEscaped};

/// Douglas-Peucker tolerance in kilometres on the projected plane (a map 1,000 units wide
/// spans about 5,500 km: 1.5 km is under a third of a unit).
const SIMPLIFY_KM: f64 = 1.5;
/// The frame: longitude and latitude of the mainland and near islands (a ring whose first
/// point falls outside is left out).
const FRAME_LON: (f64, f64) = (-25.0, 45.0);
const FRAME_LAT: (f64, f64) = (34.0, 72.0);
/// Width of the SVG coordinate system.
const WIDTH: f64 = 1000.0;
const EARTH_RADIUS_KM: f64 = 6371.0072;

/// Spherical Lambert azimuthal equal-area, centre 52° N 10° E; kilometres, y up.
fn project(lon: f64, lat: f64) -> (f64, f64) {
    let (phi0, lam0) = (52f64.to_radians(), 10f64.to_radians());
    let (phi, lam) = (lat.to_radians(), lon.to_radians());
    let cos_c = phi0.sin() * phi.sin() + phi0.cos() * phi.cos() * (lam - lam0).cos();
    let k = (2.0 / (1.0 + cos_c)).sqrt();
    (
        EARTH_RADIUS_KM * k * phi.cos() * (lam - lam0).sin(),
        EARTH_RADIUS_KM
            * k
            * (phi0.cos() * phi.sin() - phi0.sin() * phi.cos() * (lam - lam0).cos()),
    )
}

/// Douglas-Peucker on an open or closed line; keeps the end points.
fn simplify(points: &[(f64, f64)], tolerance: f64) -> Vec<(f64, f64)> {
    if points.len() < 3 {
        return points.to_vec();
    }
    let mut keep = vec![false; points.len()];
    keep[0] = true;
    keep[points.len() - 1] = true;
    let mut stack = vec![(0, points.len() - 1)];
    while let Some((a, b)) = stack.pop() {
        let (p, q) = (points[a], points[b]);
        let (dx, dy) = (q.0 - p.0, q.1 - p.1);
        let len = (dx * dx + dy * dy).sqrt();
        let mut worst = (0.0, a);
        for (i, r) in points.iter().enumerate().take(b).skip(a + 1) {
            let d = if len == 0.0 {
                ((r.0 - p.0).powi(2) + (r.1 - p.1).powi(2)).sqrt()
            } else {
                ((r.0 - p.0) * dy - (r.1 - p.1) * dx).abs() / len
            };
            if d > worst.0 {
                worst = (d, i);
            }
        }
        if worst.0 > tolerance {
            keep[worst.1] = true;
            stack.push((a, worst.1));
            stack.push((worst.1, b));
        }
    }
    points
        .iter()
        .zip(keep)
        .filter_map(|(p, k)| k.then_some(*p))
        .collect()
}

/// The projected areas of one NUTS level.
pub(crate) struct Layer {
    /// NUTS code → SVG path data.
    pub(crate) paths: Vec<(String, String)>,
    /// NUTS code → the centre of its largest ring (SVG coordinates).
    pub(crate) centres: HashMap<String, (f64, f64)>,
    /// Areas left out of the frame (outermost regions).
    pub(crate) outside: Vec<String>,
}

/// The frame every map shares (from the level-0 boundaries): minimum x, maximum y, scale.
struct Frame {
    min_x: f64,
    max_y: f64,
    scale: f64,
    height: f64,
}

type Rings = Vec<(String, Vec<Vec<(f64, f64)>>)>;

/// Projected rings per area of a level, inside the frame, simplified.
fn projected_rings(level: usize) -> (Rings, Vec<String>) {
    let mut out = Vec::new();
    let mut outside = Vec::new();
    let Some(text) = BOUNDARIES_2021.get(level) else {
        return (out, outside);
    };
    let Ok(json) = serde_json::from_str::<serde_json::Value>(text) else {
        tracing::error!("the shipped NUTS boundaries of level {level} do not parse");
        return (out, outside);
    };
    let features = json["features"].as_array().cloned().unwrap_or_default();
    for feature in features {
        let Some(code) = feature["properties"]["NUTS_ID"].as_str() else {
            continue;
        };
        let geometry = &feature["geometry"];
        let polygons: Vec<&serde_json::Value> = match geometry["type"].as_str() {
            Some("Polygon") => vec![&geometry["coordinates"]],
            Some("MultiPolygon") => geometry["coordinates"]
                .as_array()
                .map(|a| a.iter().collect())
                .unwrap_or_default(),
            _ => Vec::new(),
        };
        let mut rings = Vec::new();
        for polygon in polygons {
            for ring in polygon.as_array().into_iter().flatten() {
                let lonlat: Vec<(f64, f64)> = ring
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|p| Some((p[0].as_f64()?, p[1].as_f64()?)))
                    .collect();
                let Some(&(lon, lat)) = lonlat.first() else {
                    continue;
                };
                if !(FRAME_LON.0..=FRAME_LON.1).contains(&lon)
                    || !(FRAME_LAT.0..=FRAME_LAT.1).contains(&lat)
                {
                    continue;
                }
                let projected: Vec<(f64, f64)> =
                    lonlat.iter().map(|&(lo, la)| project(lo, la)).collect();
                let simplified = simplify(&projected, SIMPLIFY_KM);
                if simplified.len() >= 4 {
                    rings.push(simplified);
                }
            }
        }
        if rings.is_empty() {
            outside.push(code.to_string());
        } else {
            out.push((code.to_string(), rings));
        }
    }
    (out, outside)
}

fn frame() -> &'static Frame {
    static FRAME: OnceLock<Frame> = OnceLock::new();
    FRAME.get_or_init(|| {
        let (rings, _) = projected_rings(0);
        let points = rings.iter().flat_map(|(_, r)| r.iter().flatten());
        let (mut min_x, mut max_x, mut min_y, mut max_y) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
        for &(x, y) in points {
            min_x = min_x.min(x);
            max_x = max_x.max(x);
            min_y = min_y.min(y);
            max_y = max_y.max(y);
        }
        if min_x > max_x {
            (min_x, max_x, min_y, max_y) = (-3000.0, 3000.0, -2500.0, 3000.0);
        }
        let scale = WIDTH / (max_x - min_x);
        Frame {
            min_x,
            max_y,
            scale,
            height: ((max_y - min_y) * scale).ceil(),
        }
    })
}

fn to_svg(f: &Frame, (x, y): (f64, f64)) -> (f64, f64) {
    ((x - f.min_x) * f.scale, (f.max_y - y) * f.scale)
}

/// Ring area (shoelace, any unit) and centroid.
fn area_and_centre(ring: &[(f64, f64)]) -> (f64, (f64, f64)) {
    let (mut a, mut cx, mut cy) = (0.0, 0.0, 0.0);
    for w in ring.windows(2) {
        let cross = w[0].0 * w[1].1 - w[1].0 * w[0].1;
        a += cross;
        cx += (w[0].0 + w[1].0) * cross;
        cy += (w[0].1 + w[1].1) * cross;
    }
    if a.abs() < 1e-12 {
        return (0.0, ring.first().copied().unwrap_or((0.0, 0.0)));
    }
    (a.abs() / 2.0, (cx / (3.0 * a), cy / (3.0 * a)))
}

/// The projected, simplified areas of a NUTS level (0-3), computed once.
pub(crate) fn layer(level: usize) -> &'static Layer {
    static LAYERS: [OnceLock<Layer>; 4] = [
        OnceLock::new(),
        OnceLock::new(),
        OnceLock::new(),
        OnceLock::new(),
    ];
    LAYERS[level.min(3)].get_or_init(|| {
        let f = frame();
        let (rings, outside) = projected_rings(level.min(3));
        let mut paths = Vec::with_capacity(rings.len());
        let mut centres = HashMap::new();
        for (code, rings) in rings {
            let mut d = String::new();
            let mut largest = (0.0, (0.0, 0.0));
            for ring in &rings {
                let svg: Vec<(f64, f64)> = ring.iter().map(|&p| to_svg(f, p)).collect();
                let (area, centre) = area_and_centre(&svg);
                if area > largest.0 {
                    largest = (area, centre);
                }
                for (i, (x, y)) in svg.iter().enumerate() {
                    let _ = write!(d, "{}{x:.1} {y:.1}", if i == 0 { "M" } else { "L" });
                }
                d.push('Z');
            }
            centres.insert(code.clone(), largest.1);
            paths.push((code, d));
        }
        Layer {
            paths,
            centres,
            outside,
        }
    })
}

/// The NUTS level of a geographic level's areas (`None`: not drawn as regions).
fn nuts_level(level: GeoLevel) -> Option<usize> {
    match level {
        GeoLevel::Country => Some(0),
        GeoLevel::Nuts1 => Some(1),
        GeoLevel::Nuts2 => Some(2),
        GeoLevel::Nuts3 => Some(3),
        GeoLevel::Degurba | GeoLevel::City => None,
    }
}

/// Sequential fills of the classes, light to dark (ColorBrewer "Blues", 5 classes; readable
/// by the colour-blind and in grey print).
const FILLS: [&str; 5] = ["#eff3ff", "#bdd7e7", "#6baed6", "#3182bd", "#08519c"];

/// One area on a map: its code, its figure (if the release has one) and how the figure is
/// described in words.
pub(crate) struct MapArea<'a> {
    pub(crate) geo: &'a str,
    pub(crate) figure: Option<&'a Figure>,
    pub(crate) text: String,
}

/// Class breaks of the published values: quantiles into up to 5 classes.
pub(crate) fn class_breaks(values: &[f64]) -> Vec<f64> {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    v.sort_by(f64::total_cmp);
    v.dedup();
    if v.len() < 2 {
        return v;
    }
    let classes = v.len().min(FILLS.len());
    let mut breaks: Vec<f64> = (0..=classes)
        .map(|k| v[((v.len() - 1) * k) / classes])
        .collect();
    breaks.dedup();
    breaks
}

/// The class of a value given the breaks (0-based; the last break closes the top class).
pub(crate) fn class_of(value: f64, breaks: &[f64]) -> usize {
    let classes = breaks.len().saturating_sub(1).max(1);
    breaks
        .iter()
        .skip(1)
        .position(|&b| value <= b)
        .unwrap_or(classes - 1)
        .min(classes - 1)
}

/// A choropleth of a level's areas (regions filled, or cities as markers at the centre of the
/// NUTS 3 region holding their core), with its legend. `shown` formats a value in the
/// figure's unit.
pub(crate) fn choropleth(
    level: GeoLevel,
    areas: &[MapArea],
    title: &str,
    shown: impl Fn(f64) -> String,
) -> Markup {
    let values: Vec<f64> = areas
        .iter()
        .filter_map(|a| {
            a.figure
                .and_then(|f| f.estimate.figures)
                .map(|x| x.estimate)
        })
        .collect();
    let breaks = class_breaks(&values);
    let f = frame();
    let fill_of = |fig: Option<&Figure>| -> (String, bool, bool) {
        match fig {
            None => ("#f7f7f7".into(), false, false),
            Some(fig) => match fig.estimate.figures {
                None => ("url(#not-published)".into(), false, false),
                Some(x) => (
                    FILLS[class_of(x.estimate, &breaks)].into(),
                    fig.estimate.flag == Flag::LowReliability,
                    fig.method != FigureMethod::Direct,
                ),
            },
        }
    };
    let by_geo: HashMap<&str, &MapArea> = areas.iter().map(|a| (a.geo, a)).collect();
    let countries = layer(0);
    let (drawn, outside): (Markup, Vec<&str>) = match nuts_level(level) {
        Some(n) => {
            let layer = layer(n);
            let outside = areas
                .iter()
                .filter(|a| layer.outside.iter().any(|o| o == a.geo))
                .map(|a| a.geo)
                .collect();
            (
                html! {
                    @for (code, d) in &layer.paths {
                        @if let Some(area) = by_geo.get(code.as_str()) {
                            @let (fill, hatched, model) = fill_of(area.figure);
                            g.area data-geo=(code) {
                                path d=(d) fill=(fill) stroke=(if model { "#5b3a8c" } else { "#5f6b75" }) stroke-width=(if model { "1.6" } else { "0.4" }) {
                                    title { (area.text) }
                                }
                                @if hatched { path d=(d) fill="url(#low-reliability)" stroke="none" aria-hidden="true" {} }
                            }
                        }
                    }
                },
                outside,
            )
        }
        None => {
            let geography = Geography::embedded();
            let nuts3 = layer(3);
            let mut outside = Vec::new();
            let markers = html! {
                @for area in areas {
                    @let centre = geography.city(area.geo).and_then(|c| nuts3.centres.get(&c.nuts3));
                    @match centre {
                        Some(&(x, y)) => {
                            @let (fill, hatched, model) = fill_of(area.figure);
                            g.area data-geo=(area.geo) {
                                circle cx=(format!("{x:.1}")) cy=(format!("{y:.1}")) r="7" fill=(fill) stroke=(if model { "#5b3a8c" } else { "#1b1f24" }) stroke-width=(if model { "2.2" } else { "0.8" }) {
                                    title { (area.text) }
                                }
                                @if hatched { circle cx=(format!("{x:.1}")) cy=(format!("{y:.1}")) r="7" fill="url(#low-reliability)" stroke="none" aria-hidden="true" {} }
                            }
                        }
                        None => { @if level == GeoLevel::City { (PreEscaped("")) } }
                    }
                }
            };
            for a in areas {
                if geography
                    .city(a.geo)
                    .and_then(|c| nuts3.centres.get(&c.nuts3))
                    .is_none()
                {
                    outside.push(a.geo);
                }
            }
            (markers, outside)
        }
    };
    let legend_classes: Vec<(usize, String)> = breaks
        .windows(2)
        .enumerate()
        .map(|(i, w)| (i, format!("{} – {}", shown(w[0]), shown(w[1]))))
        .collect();
    let legend_top = f.height + 14.0;
    let height = legend_top + 24.0 * (legend_classes.len() as f64 + 4.0);
    html! {
        figure.map {
            svg viewBox={ "0 0 " (WIDTH) " " (height) } role="img" aria-labelledby="map-title" {
                title #map-title { (title) }
                defs {
                    pattern #low-reliability patternUnits="userSpaceOnUse" width="6" height="6" patternTransform="rotate(45)" {
                        line x1="0" y1="0" x2="0" y2="6" stroke="#1b1f24" stroke-width="1.6" {}
                    }
                    pattern #not-published patternUnits="userSpaceOnUse" width="8" height="8" {
                        rect width="8" height="8" fill="#fde0dd" {}
                        path d="M0 0L8 8M8 0L0 8" stroke="#8a1c1c" stroke-width="0.9" {}
                    }
                }
                g.context aria-hidden="true" {
                    @for (_, d) in &countries.paths { path d=(d) fill="#fbfbfb" stroke="#c4ccd3" stroke-width="0.5" {} }
                }
                (drawn)
                g.legend transform={ "translate(10," (legend_top) ")" } {
                    @for (i, label) in &legend_classes {
                        rect x="0" y=(24 * i) width="22" height="16" fill=(FILLS[*i]) stroke="#5f6b75" {}
                        text x="30" y=(24 * i + 13) font-size="14" { (label) }
                    }
                    @let n = legend_classes.len();
                    rect x="0" y=(24 * n) width="22" height="16" fill="#bdd7e7" stroke="#5f6b75" {}
                    rect x="0" y=(24 * n) width="22" height="16" fill="url(#low-reliability)" stroke="#5f6b75" {}
                    text x="30" y=(24 * n + 13) font-size="14" { "hatched: low reliability (flag u)" }
                    rect x="0" y=(24 * (n + 1)) width="22" height="16" fill="url(#not-published)" stroke="#5f6b75" {}
                    text x="30" y=(24 * (n + 1) + 13) font-size="14" { "not published (flag c)" }
                    rect x="0" y=(24 * (n + 2)) width="22" height="16" fill="#bdd7e7" stroke="#5b3a8c" stroke-width="2.5" {}
                    text x="30" y=(24 * (n + 2) + 13) font-size="14" { "purple outline: model-based figure" }
                    rect x="0" y=(24 * (n + 3)) width="22" height="16" fill="#f7f7f7" stroke="#5f6b75" {}
                    text x="30" y=(24 * (n + 3) + 13) font-size="14" { "no figure in this release" }
                }
            }
            figcaption {
                (title) ". Classes: quantiles of the figures shown. "
                @if level == GeoLevel::City { "Each city is drawn at the centre of the NUTS 3 region holding its core. " }
                @if !outside.is_empty() { "Not on the map (outside the frame): " (outside.join(", ")) ". " }
                "Boundaries: © EuroGeographics for the administrative boundaries; Source: Eurostat (GISCO), NUTS 2021, 1:60 million; equal-area projection centred at 52° N 10° E."
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn projection_is_centred_and_equal_area() {
        let (x, y) = project(10.0, 52.0);
        assert!(x.abs() < 1e-9 && y.abs() < 1e-9);
        // East is +x, north is +y.
        assert!(project(20.0, 52.0).0 > 0.0 && project(10.0, 60.0).1 > 0.0);
        // Equal area: a 1°×1° cell near the centre and one far from it keep the spherical
        // area R² Δλ (sin φ2 − sin φ1).
        for (lon, lat) in [(10.0, 52.0), (-20.0, 38.0), (40.0, 68.0)] {
            let corners = [
                (lon, lat),
                (lon + 1.0, lat),
                (lon + 1.0, lat + 1.0),
                (lon, lat + 1.0),
                (lon, lat),
            ];
            // Densify the edges so the straight lines follow the projected curves.
            let mut ring: Vec<(f64, f64)> = corners
                .windows(2)
                .flat_map(|w| {
                    (0..50).map(move |k| {
                        let t = f64::from(k) / 50.0;
                        project(
                            w[0].0 + t * (w[1].0 - w[0].0),
                            w[0].1 + t * (w[1].1 - w[0].1),
                        )
                    })
                })
                .collect();
            ring.push(ring[0]);
            let (area, _) = area_and_centre(&ring);
            let truth = EARTH_RADIUS_KM.powi(2)
                * 1f64.to_radians()
                * ((lat + 1.0f64).to_radians().sin() - lat.to_radians().sin());
            assert!(
                (area / truth - 1.0).abs() < 0.01,
                "at {lon},{lat}: {area} vs {truth}"
            );
        }
    }

    #[test]
    fn douglas_peucker_drops_only_points_within_tolerance() {
        let line = [(0.0, 0.0), (1.0, 0.1), (2.0, -0.1), (3.0, 5.0), (4.0, 0.0)];
        let s = simplify(&line, 0.5);
        assert_eq!(s, vec![(0.0, 0.0), (2.0, -0.1), (3.0, 5.0), (4.0, 0.0)]);
        assert_eq!(simplify(&line, 10.0), vec![(0.0, 0.0), (4.0, 0.0)]);
    }

    #[test]
    fn every_level_2_region_of_the_mainland_is_drawn() {
        let l = layer(2);
        let codes: Vec<&str> = l.paths.iter().map(|(c, _)| c.as_str()).collect();
        for code in [
            "AT22", "BE10", "FI1B", "ES30", "PT17", "SE11", "HU11", "NL32", "ITC4",
        ] {
            assert!(codes.contains(&code), "{code} missing");
        }
        for code in ["ES70", "PT20", "PT30", "FRY1"] {
            assert!(
                l.outside.iter().any(|o| o == code),
                "{code} should be outside"
            );
        }
        for (code, d) in &l.paths {
            assert!(d.starts_with('M') && d.ends_with('Z'), "{code}");
        }
        // Graz (AT221) lies east of Innsbruck's region (AT332) and south of Vienna (AT130).
        let c = &layer(3).centres;
        assert!(c["AT221"].0 > c["AT332"].0 && c["AT221"].1 > c["AT130"].1);
    }

    #[test]
    fn class_breaks_split_values_into_quantile_classes() {
        let v: Vec<f64> = (0..100).map(f64::from).collect();
        let b = class_breaks(&v);
        assert_eq!(b.len(), 6);
        assert_eq!(class_of(0.0, &b), 0);
        assert_eq!(class_of(99.0, &b), 4);
        assert_eq!(class_of(50.0, &b), 2);
        assert_eq!(class_breaks(&[3.0, 3.0]), vec![3.0]);
    }
}
