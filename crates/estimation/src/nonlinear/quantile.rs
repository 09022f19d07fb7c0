//! Weighted quantiles under the three rules, and the Woodruff interval and variance of a
//! quantile (with the kernel density its gap scores need).

use super::*;

/// Weighted quantile. The values need not be sorted: callers that keep them sorted pay one
/// pass to confirm it; otherwise the (value, weight) pairs are sorted first (ties keep their
/// order).
pub fn weighted_quantile(values: &[f64], weights: &[f64], p: f64, rule: QuantileRule) -> f64 {
    let mut pairs: Vec<(f64, f64)> = values
        .iter()
        .zip(weights)
        .filter(|(_, w)| **w != 0.0)
        .map(|(x, w)| (*x, *w))
        .collect();
    if !pairs.is_sorted_by(|a, b| a.0 <= b.0) {
        pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
    }
    let (x, w): (Vec<f64>, Vec<f64>) = pairs.into_iter().unzip();
    if x.is_empty() {
        return f64::NAN;
    }
    let total: f64 = w.iter().sum();
    let mut cum = Vec::with_capacity(w.len());
    let mut acc = 0.0;
    for wi in &w {
        acc += wi;
        cum.push(acc);
    }
    let n = x.len();
    // R's `qs()`: last position with cumw <= p * W (None when the first already exceeds it).
    let qs = |p: f64| -> (usize, usize, f64, f64) {
        let target = p * total;
        let pos = cum.partition_point(|c| *c <= target);
        let pos = pos.saturating_sub(1);
        let next = if pos + 1 >= n { pos } else { pos + 1 };
        let wlow = p - cum[pos] / total;
        let wup = cum[next] / total - p;
        (pos, next, wlow, wup)
    };
    match rule {
        QuantileRule::InverseCdf => {
            if p * total < cum[0] {
                return x[0];
            }
            let (pos, next, wlow, _) = qs(p);
            if wlow == 0.0 {
                x[pos]
            } else {
                x[next]
            }
        }
        QuantileRule::Interpolated => {
            if n == 1 {
                return x[0];
            }
            // Abscissae p_k = C_{k-1} / C_{n-1} (C_0 = 0), linear in between, constant outside.
            let denom = cum[n - 2];
            let pk = |k: usize| if k == 0 { 0.0 } else { cum[k - 1] / denom };
            if p <= 0.0 {
                return x[0];
            }
            let k = (1..n).find(|&k| pk(k) >= p);
            match k {
                None => x[n - 1],
                Some(k) => {
                    let (p0, p1) = (pk(k - 1), pk(k));
                    if p1 == p0 {
                        x[k]
                    } else {
                        x[k - 1] + (x[k] - x[k - 1]) * (p - p0) / (p1 - p0)
                    }
                }
            }
        }
        QuantileRule::EuSilc => {
            if p <= 0.0 {
                return x[0];
            }
            if p >= 1.0 {
                return x[n - 1];
            }
            let k = cum.partition_point(|c| c / total < p).min(n - 1);
            if cum[k] / total == p && k + 1 < n {
                (x[k] + x[k + 1]) / 2.0
            } else {
                x[k]
            }
        }
    }
}

pub(super) fn quantile_of(
    units: &UnitData,
    idx: &[usize],
    w: &[f64],
    p: f64,
    rule: QuantileRule,
) -> f64 {
    let x: Vec<f64> = idx.iter().map(|&i| units.value[i]).collect();
    let ww: Vec<f64> = idx.iter().map(|&i| w[i]).collect();
    weighted_quantile(&x, &ww, p, rule)
}

/// Gaussian kernel density of the weighted values at `at`, bandwidth `h`.
pub(super) fn kernel_density(units: &UnitData, idx: &[usize], at: f64, h: f64, norm: f64) -> f64 {
    let c = 1.0 / (2.0 * std::f64::consts::PI).sqrt();
    idx.iter()
        .map(|&i| {
            let u = (at - units.value[i]) / h;
            units.weight[i] * c * (-0.5 * u * u).exp()
        })
        .sum::<f64>()
        / (norm * h)
}

/// Variances implied by Woodruff intervals: `((upper - lower) / (2t))²`.
pub(super) fn woodruff_variances(
    woodruff: &[Option<(f64, f64, f64)>],
    counts: &[(u64, f64, usize)],
    confidence: f64,
) -> Vec<f64> {
    woodruff
        .iter()
        .zip(counts)
        .map(|(w, c)| {
            w.map_or(f64::NAN, |(lo, hi, _)| {
                let t = t_quantile(0.5 + confidence / 2.0, c.2);
                ((hi - lo) / (2.0 * t)).powi(2)
            })
        })
        .collect()
}
