//! Totals, means, ratios and shares for domains, and differences between domains (gaps),
//! computed from per-(domain, PSU) sufficient statistics.
//!
//! A mean is the ratio of `Σ w·y` to `Σ w`, a share the mean of a 0/1 indicator, so every
//! estimator here is either a **total** `Ŷ = Σ w·y` or a **ratio** `R̂ = Ŷ / X̂`.
//!
//! Linearised variables (Woodruff 1971; Särndal, Swensson & Wretman 1992, §5.6), summed per PSU:
//!
//! * total: `u_j = Ŷ_j`;
//! * ratio: `u_j = (Ŷ_j - R̂ X̂_j) / X̂`;
//! * gap between domains `a` and `b` of the same sample: `u_j = u_aj - u_bj`, which accounts for
//!   the covariance of the two estimates (they share PSUs and strata).
//!
//! The design effect compares the variance with that of simple random sampling without
//! replacement of the same number of units, as R `survey`'s `deff = TRUE`:
//! `v_srs = (1 - n/N̂) · s² / n` with `s² = n/(n-1) · Σ w e² / N̂`, where `e = (y - R̂ x)/x̄` for a
//! ratio (`x̄ = X̂/N̂`); for a total `v_srs = N̂² (1 - n/N̂) s_y² / n`.

use rayon::prelude::*;

use crate::design::{LonelyPsuRule, PsuRef, SampleDesign};
use crate::variance::{
    linearized_variance, ReplicateDesign, ReplicateDeviations, ReplicateMethod, SuppliedReplicates,
};
use crate::EstimationError;

/// Weighted sums of the units of one domain in one PSU (or in a whole domain).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct CellSums {
    /// Unweighted number of units.
    pub n: u64,
    /// `Σ w`
    pub w: f64,
    /// `Σ w·y`
    pub y: f64,
    /// `Σ w·x` (equals `Σ w` for means and shares)
    pub x: f64,
    /// `Σ w·y²`
    pub yy: f64,
    /// `Σ w·x·y`
    pub xy: f64,
    /// `Σ w·x²`
    pub xx: f64,
}

impl CellSums {
    /// The contribution of one unit with weight `w` and values `y`, `x`.
    pub fn unit(w: f64, y: f64, x: f64) -> Self {
        Self {
            n: 1,
            w,
            y: w * y,
            x: w * x,
            yy: w * y * y,
            xy: w * x * y,
            xx: w * x * x,
        }
    }

    pub fn add(&mut self, o: &CellSums) {
        self.n += o.n;
        self.w += o.w;
        self.y += o.y;
        self.x += o.x;
        self.yy += o.yy;
        self.xy += o.xy;
        self.xx += o.xx;
    }
}

/// The sufficient statistics of one domain: its sums in each PSU where it has units.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DomainSums {
    cells: Vec<(PsuRef, CellSums)>,
    total: CellSums,
}

impl DomainSums {
    /// Builds the domain from cells in any order; cells of the same PSU are added.
    pub fn from_cells(mut cells: Vec<(PsuRef, CellSums)>) -> Self {
        cells.sort_unstable_by_key(|c| c.0);
        let mut merged: Vec<(PsuRef, CellSums)> = Vec::with_capacity(cells.len());
        let mut total = CellSums::default();
        for (psu, s) in cells {
            total.add(&s);
            match merged.last_mut() {
                Some((p, acc)) if *p == psu => acc.add(&s),
                _ => merged.push((psu, s)),
            }
        }
        Self {
            cells: merged,
            total,
        }
    }

    pub fn cells(&self) -> &[(PsuRef, CellSums)] {
        &self.cells
    }

    pub fn total(&self) -> &CellSums {
        &self.total
    }

    /// Number of distinct PSUs and strata in which the domain has units.
    pub fn psus_and_strata(&self) -> (usize, usize) {
        let mut strata: Vec<u32> = self.cells.iter().map(|c| c.0.stratum).collect();
        strata.dedup();
        (self.cells.len(), strata.len())
    }
}

/// Total or ratio.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinearKind {
    /// `Σ w·y`
    Total,
    /// `Σ w·y / Σ w·x` (means and shares set `x = 1`).
    Ratio,
}

/// One estimator over one domain, or the difference between two domains.
#[derive(Debug, Clone, Copy)]
pub struct LinearStatistic<'a> {
    pub kind: LinearKind,
    pub domain: &'a DomainSums,
    /// When set, the statistic is `θ(domain) - θ(reference)`.
    pub reference: Option<&'a DomainSums>,
}

/// How the variance of a linear statistic is estimated.
#[derive(Debug, Clone)]
pub enum LinearVariance<'a> {
    Linearization,
    Replicates(&'a ReplicateDesign),
}

/// A point estimate with its variance and the counts behind it, before publication rules.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PointAndVariance {
    pub estimate: f64,
    pub variance: f64,
    /// Unweighted number of units (both domains for a gap).
    pub n: u64,
    /// Sum of weights (both domains for a gap).
    pub population: f64,
    /// Variance under simple random sampling of the same size, for the design effect.
    pub srs_variance: Option<f64>,
    /// Design degrees of freedom of the domain (PSUs minus strata where it has units).
    pub degrees_of_freedom: usize,
}

fn value(kind: LinearKind, y: f64, x: f64) -> f64 {
    match kind {
        LinearKind::Total => y,
        LinearKind::Ratio => y / x,
    }
}

impl LinearStatistic<'_> {
    fn point(&self) -> Result<f64, EstimationError> {
        let a = self.domain_value(self.domain)?;
        match self.reference {
            Some(b) => Ok(a - self.domain_value(b)?),
            None => Ok(a),
        }
    }

    fn domain_value(&self, d: &DomainSums) -> Result<f64, EstimationError> {
        let t = d.total();
        if self.kind == LinearKind::Ratio && t.x == 0.0 {
            return Err(EstimationError::EmptyDomain);
        }
        Ok(value(self.kind, t.y, t.x))
    }

    /// The statistic's linearised variable summed per PSU, weights included (the PSU totals
    /// `z_hi` whose spread within strata is the variance; for a ratio `(y − R̂x) / X̂`), one
    /// entry per domain cell (a PSU may appear twice for a difference of two domains). What a
    /// covariance with another sample's estimate needs ([`crate::change`]).
    pub fn linearised_scores(&self) -> Result<Vec<(PsuRef, f64)>, EstimationError> {
        self.scores()
    }

    /// PSU totals of the linearised variable.
    fn scores(&self) -> Result<Vec<(PsuRef, f64)>, EstimationError> {
        let mut scores = Vec::new();
        self.push_scores(self.domain, 1.0, &mut scores)?;
        if let Some(b) = self.reference {
            self.push_scores(b, -1.0, &mut scores)?;
        }
        Ok(scores)
    }

    fn push_scores(
        &self,
        d: &DomainSums,
        sign: f64,
        out: &mut Vec<(PsuRef, f64)>,
    ) -> Result<(), EstimationError> {
        let t = d.total();
        match self.kind {
            LinearKind::Total => out.extend(d.cells().iter().map(|(p, c)| (*p, sign * c.y))),
            LinearKind::Ratio => {
                if t.x == 0.0 {
                    return Err(EstimationError::EmptyDomain);
                }
                let r = t.y / t.x;
                out.extend(
                    d.cells()
                        .iter()
                        .map(|(p, c)| (*p, sign * (c.y - r * c.x) / t.x)),
                );
            }
        }
        Ok(())
    }

    fn srs_variance(&self) -> Option<f64> {
        if self.reference.is_some() {
            return None;
        }
        let t = self.domain.total();
        let n = t.n as f64;
        if t.n < 2 || t.w <= 0.0 {
            return None;
        }
        let fpc = (1.0 - n / t.w).max(0.0);
        match self.kind {
            LinearKind::Total => {
                let ss = t.yy - t.y * t.y / t.w;
                let s2 = n / (n - 1.0) * ss / t.w;
                Some(t.w * t.w * fpc * s2 / n)
            }
            LinearKind::Ratio => {
                let r = t.y / t.x;
                let xbar = t.x / t.w;
                let ss = t.yy - 2.0 * r * t.xy + r * r * t.xx;
                let s2 = n / (n - 1.0) * ss / t.w / (xbar * xbar);
                Some(fpc * s2 / n)
            }
        }
    }

    /// Respondents, weighted population and degrees of freedom (PSUs minus variance strata
    /// where the domain, or either domain of a gap, has units).
    fn counts(&self, design: &SampleDesign) -> (u64, f64, usize) {
        let mut n = self.domain.total().n;
        let mut w = self.domain.total().w;
        let mut cells: Vec<PsuRef> = self.domain.cells().iter().map(|c| c.0).collect();
        if let Some(b) = self.reference {
            n += b.total().n;
            w += b.total().w;
            cells.extend(b.cells().iter().map(|c| c.0));
        }
        (n, w, design.domain_degrees_of_freedom(cells))
    }

    /// Replicate totals `(Ŷ, X̂)` of each domain under jackknife replicate `r`.
    fn value_with_totals(&self, ta: (f64, f64), tb: Option<(f64, f64)>) -> f64 {
        let a = value(self.kind, ta.0, ta.1);
        match tb {
            Some(tb) => a - value(self.kind, tb.0, tb.1),
            None => a,
        }
    }
}

/// Estimates one linear statistic with the given variance method. For bootstrap replicates of
/// many statistics at once prefer [`estimate_linear_batch`], which draws each replicate once.
pub fn estimate_linear(
    design: &SampleDesign,
    stat: &LinearStatistic<'_>,
    method: &LinearVariance<'_>,
) -> Result<PointAndVariance, EstimationError> {
    let mut out = estimate_linear_batch(design, std::slice::from_ref(stat), method)?;
    out.pop().ok_or(EstimationError::EmptySample)?
}

/// Estimates many linear statistics of the same sample. Bootstrap replicates are generated once
/// and shared by all statistics; memory stays proportional to the number of statistics.
pub fn estimate_linear_batch(
    design: &SampleDesign,
    stats: &[LinearStatistic<'_>],
    method: &LinearVariance<'_>,
) -> Result<Vec<Result<PointAndVariance, EstimationError>>, EstimationError> {
    if let LinearVariance::Replicates(rep) = method {
        rep.check_design(design)?;
    }
    let points: Vec<Result<f64, EstimationError>> = stats.iter().map(|s| s.point()).collect();
    let variances: Vec<Result<f64, EstimationError>> = match method {
        LinearVariance::Linearization => stats
            .iter()
            .map(|s| s.scores().map(|sc| linearized_variance(design, &sc)))
            .collect(),
        LinearVariance::Replicates(rep) => match rep.method() {
            ReplicateMethod::Jk1 | ReplicateMethod::Jkn => stats
                .iter()
                .zip(&points)
                .map(|(s, p)| match p {
                    Ok(p) => Ok(jackknife_variance(design, rep, s, *p)),
                    Err(e) => Err(e.clone()),
                })
                .collect(),
            ReplicateMethod::Bootstrap { .. } => bootstrap_variances(design, rep, stats, &points),
        },
    };
    Ok(stats
        .iter()
        .zip(points)
        .zip(variances)
        .map(|((s, p), v)| {
            let estimate = p?;
            let variance = v?;
            let (n, population, degrees_of_freedom) = s.counts(design);
            Ok(PointAndVariance {
                estimate,
                variance,
                n,
                population,
                srs_variance: s.srs_variance(),
                degrees_of_freedom,
            })
        })
        .collect())
}

/// Jackknife variance in closed form: deleting PSU `j` of variance stratum `h` turns a domain
/// total `T` into `T + (c_h - 1) T_h - c_h T_j` with `c_h = n_h / (n_h - 1)` (JKn), or
/// `c (T - T_j)` with `c = n / (n - 1)` over the whole sample (JK1); the *adjust* replicate of a
/// single-PSU stratum gives `H/(H-1) (T - T_h)`. Deleting a PSU where the domain has no units
/// gives the same replicate for every such PSU of the stratum, so the cost is proportional to
/// the domain's cells, not to the number of replicates.
fn jackknife_variance(
    design: &SampleDesign,
    rep: &ReplicateDesign,
    stat: &LinearStatistic<'_>,
    full: f64,
) -> f64 {
    let domains: Vec<&DomainSums> = std::iter::once(stat.domain).chain(stat.reference).collect();
    let totals: Vec<(f64, f64)> = domains.iter().map(|d| (d.total().y, d.total().x)).collect();
    let eval = |t: &[(f64, f64)]| stat.value_with_totals(t[0], t.get(1).copied());
    let nd = domains.len();
    let cell_of = |k: usize, psu: PsuRef| -> (f64, f64) {
        match domains[k].cells().binary_search_by_key(&psu, |c| c.0) {
            Ok(i) => {
                let c = domains[k].cells()[i].1;
                (c.y, c.x)
            }
            Err(_) => (0.0, 0.0),
        }
    };

    let mut reps: Vec<(f64, f64, f64)> = Vec::new();
    let mut buf = vec![(0.0, 0.0); nd];
    match rep.method() {
        ReplicateMethod::Jk1 => {
            let n = design.psu_count() as f64;
            let c = n / (n - 1.0);
            let mut touched: Vec<PsuRef> = domains
                .iter()
                .flat_map(|d| d.cells().iter().map(|c| c.0))
                .collect();
            touched.sort_unstable();
            touched.dedup();
            for &psu in &touched {
                for k in 0..nd {
                    let cj = cell_of(k, psu);
                    buf[k] = (c * (totals[k].0 - cj.0), c * (totals[k].1 - cj.1));
                }
                reps.push((eval(&buf), 1.0, 1.0));
            }
            let untouched = n - touched.len() as f64;
            if untouched > 0.0 {
                for k in 0..nd {
                    buf[k] = (c * totals[k].0, c * totals[k].1);
                }
                reps.push((eval(&buf), 1.0, untouched));
            }
        }
        ReplicateMethod::Jkn => {
            let strata = design.variance_strata();
            // Per variance stratum: the PSUs touched by any domain, and each domain's totals.
            let mut touched: Vec<Vec<PsuRef>> = vec![Vec::new(); strata.len()];
            let mut stratum_totals = vec![vec![(0.0f64, 0.0f64); nd]; strata.len()];
            for (k, d) in domains.iter().enumerate() {
                for (p, c) in d.cells() {
                    let v = design.variance_place(*p).0 as usize;
                    touched[v].push(*p);
                    stratum_totals[v][k].0 += c.y;
                    stratum_totals[v][k].1 += c.x;
                }
            }
            for t in &mut touched {
                t.sort_unstable();
                t.dedup();
            }
            let h_all = strata.len() as f64;
            for (h, s) in strata.iter().enumerate() {
                let f = s.sampling_fraction;
                if s.psu_count < 2 {
                    if design.lonely_psu() == LonelyPsuRule::Adjust && strata.len() > 1 {
                        let c = h_all / (h_all - 1.0);
                        for k in 0..nd {
                            let th = stratum_totals[h][k];
                            buf[k] = (c * (totals[k].0 - th.0), c * (totals[k].1 - th.1));
                        }
                        reps.push((eval(&buf), (1.0 - f) * (h_all - 1.0) / h_all, 1.0));
                    }
                    continue;
                }
                let n = s.psu_count as f64;
                let c = n / (n - 1.0);
                let rscale = (1.0 - f) * (n - 1.0) / n;
                for &psu in &touched[h] {
                    for k in 0..nd {
                        let cj = cell_of(k, psu);
                        let th = stratum_totals[h][k];
                        buf[k] = (
                            totals[k].0 + (c - 1.0) * th.0 - c * cj.0,
                            totals[k].1 + (c - 1.0) * th.1 - c * cj.1,
                        );
                    }
                    reps.push((eval(&buf), rscale, 1.0));
                }
                let untouched = n - touched[h].len() as f64;
                if untouched > 0.0 {
                    for k in 0..nd {
                        let th = stratum_totals[h][k];
                        buf[k] = (
                            totals[k].0 + (c - 1.0) * th.0,
                            totals[k].1 + (c - 1.0) * th.1,
                        );
                    }
                    reps.push((eval(&buf), rscale, untouched));
                }
            }
        }
        ReplicateMethod::Bootstrap { .. } => unreachable!("bootstrap handled separately"),
    }
    rep.variance(full, &reps)
}

/// Replicates per block of the bootstrap: blocks are computed in parallel and added in block
/// order, so the sums (and the variances, to the last bit) do not depend on the thread count.
const BOOTSTRAP_BLOCK: usize = 32;

/// Bootstrap variances of many statistics: blocks of replicates are processed in parallel; each
/// replicate draws its PSU multipliers once and evaluates every statistic from its domains'
/// cells. Per statistic only running sums of `θ_r - θ̂` and `(θ_r - θ̂)²` are kept.
fn bootstrap_variances(
    design: &SampleDesign,
    rep: &ReplicateDesign,
    stats: &[LinearStatistic<'_>],
    points: &[Result<f64, EstimationError>],
) -> Vec<Result<f64, EstimationError>> {
    let offsets = design.psu_offsets();
    let flat = |p: &PsuRef| offsets[p.stratum as usize] + p.psu as usize;
    // Flattened cell indices per domain, computed once.
    let prepared: Vec<(Vec<usize>, Option<Vec<usize>>)> = stats
        .iter()
        .map(|s| {
            (
                s.domain.cells().iter().map(|c| flat(&c.0)).collect(),
                s.reference
                    .map(|b| b.cells().iter().map(|c| flat(&c.0)).collect()),
            )
        })
        .collect();
    let replicated = |d: &DomainSums, idx: &[usize], m: &[f64]| -> (f64, f64) {
        let mut y = 0.0;
        let mut x = 0.0;
        for (c, &i) in d.cells().iter().zip(idx) {
            y += m[i] * c.1.y;
            x += m[i] * c.1.x;
        }
        (y, x)
    };
    let count = rep.replicate_count();
    let blocks: Vec<Vec<ReplicateDeviations>> = (0..count.div_ceil(BOOTSTRAP_BLOCK))
        .into_par_iter()
        .map(|b| {
            let mut acc = vec![ReplicateDeviations::default(); stats.len()];
            let mut m = Vec::new();
            for r in b * BOOTSTRAP_BLOCK..((b + 1) * BOOTSTRAP_BLOCK).min(count) {
                rep.multipliers(r, &mut m);
                for (k, s) in stats.iter().enumerate() {
                    let Ok(full) = points[k] else { continue };
                    let (ia, ib) = &prepared[k];
                    let ta = replicated(s.domain, ia, &m);
                    let tb = match (s.reference, ib) {
                        (Some(b), Some(ib)) => Some(replicated(b, ib, &m)),
                        _ => None,
                    };
                    acc[k].add(s.value_with_totals(ta, tb) - full, rep.rscale(r), 1.0);
                }
            }
            acc
        })
        .collect();
    let mut sums = vec![ReplicateDeviations::default(); stats.len()];
    for block in blocks {
        for (x, y) in sums.iter_mut().zip(&block) {
            x.merge(y);
        }
    }
    points
        .iter()
        .zip(sums)
        .map(|(p, deviations)| {
            p.as_ref().map_err(|e| e.clone())?;
            Ok(deviations.variance(rep.scale(), rep.mse))
        })
        .collect()
}

/// Replicate totals `(Ŷ_r, X̂_r)` of a domain, and of its reference domain for a gap.
pub type ReplicateTotals = ((f64, f64), Option<(f64, f64)>);

/// Variance from replicate weights supplied with the data: `replicate_totals[r]` holds the
/// replicate totals `(Ŷ_r, X̂_r)` of the domain (and of the reference domain for a gap).
pub fn supplied_replicate_variance(
    kind: LinearKind,
    full: f64,
    replicate_totals: &[ReplicateTotals],
    supplied: &SuppliedReplicates,
) -> f64 {
    let thetas: Vec<f64> = replicate_totals
        .iter()
        .map(|(a, b)| {
            let va = value(kind, a.0, a.1);
            match b {
                Some(b) => va - value(kind, b.0, b.1),
                None => va,
            }
        })
        .collect();
    supplied.variance(full, &thetas)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::design::{LonelyPsuRule, Stratum};

    /// A mean computed by hand. Two strata of two PSUs, one unit per PSU:
    ///
    /// | stratum | PSU | w | y |
    /// |---------|-----|---|---|
    /// | A       | 1   | 1 | 2 |
    /// | A       | 2   | 1 | 4 |
    /// | B       | 1   | 2 | 6 |
    /// | B       | 2   | 2 | 8 |
    ///
    /// Mean = (2 + 4 + 12 + 16) / 6 = 34/6 = 17/3.
    /// Linearised scores z = w (y - 17/3) / 6: A: (2 - 17/3)/6 = -11/18, (4 - 17/3)/6 = -5/18;
    /// B: 2 (6 - 17/3)/6 = 1/9, 2 (8 - 17/3)/6 = 7/9.
    /// Stratum A: mean -8/18, deviations ∓3/18, SS = 2 · 9/324 = 1/18, × 2/(2-1) = 1/9.
    /// Stratum B: mean 4/9, deviations ∓3/9, SS = 2/9, × 2 = 4/9.
    /// Variance = 1/9 + 4/9 = 5/9; se = √5/3.
    #[test]
    fn mean_by_hand() {
        let design = SampleDesign::new(
            vec![
                Stratum {
                    label: "A".into(),
                    psu_count: 2,
                    sampling_fraction: 0.0,
                },
                Stratum {
                    label: "B".into(),
                    psu_count: 2,
                    sampling_fraction: 0.0,
                },
            ],
            LonelyPsuRule::Fail,
        )
        .unwrap();
        let p = |h, j| PsuRef { stratum: h, psu: j };
        let d = DomainSums::from_cells(vec![
            (p(0, 0), CellSums::unit(1.0, 2.0, 1.0)),
            (p(0, 1), CellSums::unit(1.0, 4.0, 1.0)),
            (p(1, 0), CellSums::unit(2.0, 6.0, 1.0)),
            (p(1, 1), CellSums::unit(2.0, 8.0, 1.0)),
        ]);
        let stat = LinearStatistic {
            kind: LinearKind::Ratio,
            domain: &d,
            reference: None,
        };
        let pv = estimate_linear(&design, &stat, &LinearVariance::Linearization).unwrap();
        assert!((pv.estimate - 17.0 / 3.0).abs() < 1e-12);
        assert!((pv.variance - 5.0 / 9.0).abs() < 1e-12);
        assert_eq!(pv.n, 4);
        assert_eq!(pv.population, 6.0);
        assert_eq!(pv.degrees_of_freedom, 2);
    }
}
