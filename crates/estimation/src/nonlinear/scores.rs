//! The statistics' values in each domain and their linearised variables (influence
//! functions): quantiles, the poverty rate with its estimated threshold, the Gini coefficient.

use super::*;

/// Point values of `kind` for every domain with weights `w` (full-sample or replicate).
pub(super) fn evaluate(
    kind: NonlinearKind,
    units: &UnitData,
    sorted: &Sorted,
    w: &[f64],
) -> Vec<f64> {
    match kind {
        NonlinearKind::Quantile { p, rule } => sorted
            .domains
            .iter()
            .map(|idx| quantile_of(units, idx, w, p, rule))
            .collect(),
        NonlinearKind::PovertyRate { fraction } => {
            let thresholds: Vec<f64> = sorted
                .groups
                .iter()
                .map(|idx| fraction * quantile_of(units, idx, w, 0.5, QuantileRule::EuSilc))
                .collect();
            sorted
                .domains
                .iter()
                .map(|idx| {
                    let (mut poor, mut all) = (0.0, 0.0);
                    for &i in idx {
                        all += w[i];
                        if units.value[i] < thresholds[units.group[i] as usize]
                            || units.otherwise_at_risk(i)
                        {
                            poor += w[i];
                        }
                    }
                    poor / all
                })
                .collect()
        }
        NonlinearKind::Gini => sorted
            .domains
            .iter()
            .map(|idx| gini_of(units, idx, w))
            .collect(),
    }
}

pub(super) fn gini_of(units: &UnitData, idx: &[usize], w: &[f64]) -> f64 {
    let (mut cw, mut num, mut sq, mut total_w, mut total_wy) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for &i in idx {
        let (wi, yi) = (w[i], units.value[i]);
        cw += wi;
        num += wi * yi * cw;
        sq += wi * wi * yi;
        total_w += wi;
        total_wy += wi * yi;
    }
    (2.0 * num - sq) / (total_w * total_wy) - 1.0
}

/// Linearised variables (per unit, multiplied by the weight) of each domain's statistic.
pub(super) fn weighted_scores(
    kind: NonlinearKind,
    units: &UnitData,
    sorted: &Sorted,
    points: &[f64],
    quantile_slopes: &[f64],
) -> Vec<Vec<(PsuRef, f64)>> {
    let w = &units.weight;
    match kind {
        NonlinearKind::Quantile { .. } => sorted
            .domains
            .iter()
            .zip(points)
            .zip(quantile_slopes)
            .map(|((idx, q), slope)| {
                let n_d: f64 = idx.iter().map(|&i| w[i]).sum();
                let below: f64 = idx
                    .iter()
                    .filter(|&&i| units.value[i] <= *q)
                    .map(|&i| w[i])
                    .sum();
                let share = below / n_d;
                idx.iter()
                    .map(|&i| {
                        let ind = if units.value[i] <= *q { 1.0 } else { 0.0 };
                        (units.psu[i], -slope * w[i] * (ind - share) / n_d)
                    })
                    .collect()
            })
            .collect(),
        NonlinearKind::PovertyRate { fraction } => {
            // Per threshold group: median, threshold, size, bandwidth, density at the median.
            struct G {
                median: f64,
                threshold: f64,
                h: f64,
                size: f64,
                f_median: f64,
            }
            let groups: Vec<G> = sorted
                .groups
                .iter()
                .map(|idx| {
                    let median = quantile_of(units, idx, w, 0.5, QuantileRule::EuSilc);
                    let size: f64 = idx.iter().map(|&i| w[i]).sum();
                    let mean = idx.iter().map(|&i| w[i] * units.value[i]).sum::<f64>() / size;
                    let var = idx
                        .iter()
                        .map(|&i| w[i] * (units.value[i] - mean).powi(2))
                        .sum::<f64>()
                        / size;
                    // The bandwidth uses the number of units, not the sum of weights, so that
                    // it does not change with the scale of the weights (pooled years divide
                    // them by the number of years).
                    let units_in_group = idx.iter().filter(|&&i| w[i] != 0.0).count() as f64;
                    let h = var.sqrt() * units_in_group.powf(-0.2);
                    let f_median = kernel_density(units, idx, median, h, size);
                    G {
                        median,
                        threshold: fraction * median,
                        h,
                        size,
                        f_median,
                    }
                })
                .collect();
            sorted
                .domains
                .iter()
                .zip(points)
                .enumerate()
                .map(|(d, (idx, rate))| {
                    let n_d: f64 = idx.iter().map(|&i| w[i]).sum();
                    // D_dg for each group, over the units whose count the threshold decides
                    // (not those at risk by another condition).
                    let mut by_group: Vec<Vec<usize>> = vec![Vec::new(); groups.len()];
                    for &i in idx {
                        if !units.otherwise_at_risk(i) {
                            by_group[units.group[i] as usize].push(i);
                        }
                    }
                    let d_dg: Vec<f64> = groups
                        .iter()
                        .zip(&by_group)
                        .map(|(g, members)| {
                            if members.is_empty() {
                                0.0
                            } else {
                                kernel_density(units, members, g.threshold, g.h, 1.0) / n_d
                            }
                        })
                        .collect();
                    let mut scores: Vec<(PsuRef, f64)> = Vec::new();
                    for (i, &di) in units.domain.iter().enumerate() {
                        let g = units.group[i] as usize;
                        let gr = &groups[g];
                        let mut z = 0.0;
                        if di == Some(d as u32) {
                            let poor =
                                if units.value[i] < gr.threshold || units.otherwise_at_risk(i) {
                                    1.0
                                } else {
                                    0.0
                                };
                            z += (poor - rate) / n_d;
                        }
                        if d_dg[g] != 0.0 {
                            let below_median = if units.value[i] <= gr.median {
                                1.0
                            } else {
                                0.0
                            };
                            z -=
                                d_dg[g] * fraction * (below_median - 0.5) / (gr.size * gr.f_median);
                        }
                        if z != 0.0 {
                            scores.push((units.psu[i], w[i] * z));
                        }
                    }
                    scores
                })
                .collect()
        }
        NonlinearKind::Gini => sorted
            .domains
            .iter()
            .zip(points)
            .map(|(idx, g)| {
                let n: f64 = idx.iter().map(|&i| w[i]).sum();
                let y: f64 = idx.iter().map(|&i| w[i] * units.value[i]).sum();
                let (mut c, mut y_le) = (0.0, 0.0);
                idx.iter()
                    .map(|&i| {
                        let yi = units.value[i];
                        c += w[i];
                        y_le += w[i] * yi;
                        let z =
                            2.0 * (yi * c + y - y_le) / (n * y) - (g + 1.0) * (1.0 / n + yi / y);
                        (units.psu[i], w[i] * z)
                    })
                    .collect()
            })
            .collect(),
    }
}
