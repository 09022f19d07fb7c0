//! Ranks with uncertainty: for estimates with standard errors, each unit's rank and a
//! confidence interval for it, marginal (for one unit) or simultaneous (for all units at
//! once), after Mogstad, Romano, Shaikh & Wilhelm (2024), "Inference for ranks with
//! applications to mobility across neighbourhoods and academic achievement across countries",
//! *Review of Economic Studies* 91(1), 476-518, §3 (the single-step intervals).
//!
//! Rank 1 is the largest value (with [`Direction::Descending`]): the rank of unit `j` is
//! `r_j = 1 + #{k : θ_k > θ_j}`. From simultaneous confidence intervals for the differences
//! `θ_j − θ_k`, `C_jk = θ̂_j − θ̂_k ± ĉ · se_jk`, the rank interval is
//!
//! `[1 + #{k : C_jk lies below 0},  K − #{k : C_jk lies above 0}]`,
//!
//! i.e. only differences the intervals establish move a unit's rank bounds. For a
//! **marginal** interval of unit `j`, `ĉ` is the `1 − α` quantile of
//! `max_{k≠j} |(θ̂_j − θ̂_k) − (θ_j − θ_k)| / se_jk`; for the **simultaneous** set (all units'
//! intervals hold together with probability `1 − α`), of the maximum over all pairs. The
//! quantile is computed by simulation from the estimates' normal approximation with
//! independent errors, `se_jk = sqrt(se_j² + se_k²)` (the parametric bootstrap of the paper
//! under its independence case), with a seeded ChaCha stream so that answers repeat.
//!
//! Assumptions: the estimates are approximately normal and independent across units (true
//! for areas of different countries, whose samples are drawn independently; areas of one
//! country share strata and are treated as independent here, which the caller must state).
//! Two units whose difference interval contains 0 are "tied": neither is shown above the other.
//! Model-based estimates can be ranked with their root mean squared errors in place of
//! standard errors; the caller labels them.

use incity_indicators::{Figure, FigureMethod};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use rand_distr::{Distribution, StandardNormal};

/// One unit to rank.
#[derive(Debug, Clone, PartialEq)]
pub struct RankInput {
    pub id: String,
    pub estimate: f64,
    /// Standard error (or root mean squared error of a model-based estimate).
    pub se: f64,
}

/// Which end is rank 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Rank 1 is the largest value.
    Descending,
    /// Rank 1 is the smallest value.
    Ascending,
}

/// Marginal (per unit) or simultaneous (all units together).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coverage {
    Marginal,
    Simultaneous,
}

/// A unit's rank and its confidence interval (1-based, inclusive).
#[derive(Debug, Clone, PartialEq)]
pub struct RankInterval {
    pub id: String,
    /// The rank of the estimate (ties in the estimates share the best rank).
    pub rank: usize,
    pub lower: usize,
    pub upper: usize,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum RankError {
    #[error("at least two units are needed to rank")]
    TooFew,
    #[error("`{0}` has no finite estimate and positive standard error")]
    BadInput(String),
    #[error("the confidence level must lie strictly between 0 and 1, not {0}")]
    BadLevel(f64),
}

/// Simulated `1 − α` quantile of the maximum studentised pair difference, per unit
/// (marginal: pairs with that unit) or one for all (simultaneous).
fn critical_values(
    se: &[f64],
    level: f64,
    coverage: Coverage,
    draws: usize,
    seed: u64,
) -> Vec<f64> {
    let k = se.len();
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let pair_se: Vec<Vec<f64>> = (0..k)
        .map(|j| {
            (0..k)
                .map(|l| (se[j] * se[j] + se[l] * se[l]).sqrt())
                .collect()
        })
        .collect();
    let mut maxima: Vec<Vec<f64>> = vec![Vec::with_capacity(draws); k];
    let mut all = Vec::with_capacity(draws);
    let mut z = vec![0.0; k];
    for _ in 0..draws {
        for (zj, s) in z.iter_mut().zip(se) {
            let e: f64 = StandardNormal.sample(&mut rng);
            *zj = e * s;
        }
        let mut overall: f64 = 0.0;
        for j in 0..k {
            let mut m: f64 = 0.0;
            for l in 0..k {
                if l != j {
                    m = m.max((z[j] - z[l]).abs() / pair_se[j][l]);
                }
            }
            overall = overall.max(m);
            if coverage == Coverage::Marginal {
                maxima[j].push(m);
            }
        }
        all.push(overall);
    }
    let quantile = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        // The smallest value with at least `level` of the draws at or below it.
        let i = ((level * v.len() as f64).ceil() as usize).clamp(1, v.len()) - 1;
        v[i]
    };
    match coverage {
        Coverage::Marginal => maxima.into_iter().map(quantile).collect(),
        Coverage::Simultaneous => vec![quantile(all); k],
    }
}

/// Ranks and rank intervals at confidence `level` (e.g. 0.95), from `draws` simulated
/// maxima (10,000 gives the critical value to about ±0.01).
pub fn rank_intervals(
    units: &[RankInput],
    level: f64,
    coverage: Coverage,
    direction: Direction,
    draws: usize,
    seed: u64,
) -> Result<Vec<RankInterval>, RankError> {
    if units.len() < 2 {
        return Err(RankError::TooFew);
    }
    if !(level > 0.0 && level < 1.0) {
        return Err(RankError::BadLevel(level));
    }
    if let Some(u) = units
        .iter()
        .find(|u| !(u.estimate.is_finite() && u.se.is_finite() && u.se > 0.0))
    {
        return Err(RankError::BadInput(u.id.clone()));
    }
    let sign = match direction {
        Direction::Descending => 1.0,
        Direction::Ascending => -1.0,
    };
    let x: Vec<f64> = units.iter().map(|u| sign * u.estimate).collect();
    let se: Vec<f64> = units.iter().map(|u| u.se).collect();
    let c = critical_values(&se, level, coverage, draws.max(100), seed);
    let k = units.len();
    Ok((0..k)
        .map(|j| {
            let mut surely_above = 0; // units established to be larger than j
            let mut surely_below = 0;
            for l in (0..k).filter(|&l| l != j) {
                let half = c[j] * (se[j] * se[j] + se[l] * se[l]).sqrt();
                let d = x[j] - x[l];
                if d + half < 0.0 {
                    surely_above += 1;
                } else if d - half > 0.0 {
                    surely_below += 1;
                }
            }
            RankInterval {
                id: units[j].id.clone(),
                rank: 1 + x.iter().filter(|&&v| v > x[j]).count(),
                lower: 1 + surely_above,
                upper: k - surely_below,
            }
        })
        .collect())
}

/// Seed and draws of the simulated critical values wherever incity shows ranks (fixed: a page,
/// an API answer and `incity rank` show the same intervals every time).
pub const RANK_SEED: u64 = 2024;
pub const RANK_DRAWS: usize = 10_000;

/// What a rank interval assumes and means, in words (shown with every ranking).
pub const ASSUMPTIONS: &str = "Rank 1 is the highest value. Intervals after Mogstad, Romano, \
Shaikh & Wilhelm (2024, Review of Economic Studies): a unit's rank moves only past units from \
which its difference is established by simultaneous confidence intervals for the pairwise \
differences; critical values simulated from the normal approximation (10,000 draws, fixed seed). \
Assumes approximately normal estimates, independent across areas (true across countries, whose \
samples are independent; areas of one country are treated as independent too). Two areas whose \
rank intervals overlap are not shown to differ (tied). A marginal interval covers one area's \
true rank with the stated probability; the simultaneous set covers all areas' ranks together. \
Model-based figures are ranked with their root mean squared errors and labelled so.";

/// A figure with its rank and rank interval.
#[derive(Debug, Clone)]
pub struct RankedFigure<'a> {
    pub figure: &'a Figure,
    pub interval: RankInterval,
}

/// A ranking of figures: those ranked, best rank first, and those left out (withheld, or
/// without a standard error, as a share of 0 % or 100 %).
#[derive(Debug, Clone)]
pub struct Ranking<'a> {
    pub ranked: Vec<RankedFigure<'a>>,
    pub left_out: Vec<&'a Figure>,
}

impl Ranking<'_> {
    /// Whether any ranked figure is model-based: its uncertainty is then its root mean
    /// squared error, and the label must say so.
    pub fn has_model_based(&self) -> bool {
        self.ranked
            .iter()
            .any(|r| r.figure.method != FigureMethod::Direct)
    }
}

/// Ranks published figures (rank 1 = highest value) with their rank intervals at `level`
/// (e.g. 0.95). A direct figure's uncertainty is its standard error, a model-based figure's
/// its root mean squared error (the figure keeps its method for the label). Figures are
/// identified by their area code.
pub fn rank_figures<'a>(
    figures: &[&'a Figure],
    level: f64,
    coverage: Coverage,
) -> Result<Ranking<'a>, RankError> {
    // Units in area-code order: the simulated critical values then do not depend on the
    // order the caller lists the figures in (the page, the API and the CLI agree).
    let (mut usable, left_out): (Vec<&'a Figure>, Vec<&'a Figure>) =
        figures.iter().copied().partition(|f| {
            f.estimate
                .figures
                .and_then(|x| x.standard_error())
                .is_some_and(|s| s > 0.0 && f.estimate.flag != incity_estimation::Flag::Suppressed)
        });
    usable.sort_by(|a, b| a.geo.cmp(&b.geo));
    let units: Vec<RankInput> = usable
        .iter()
        .filter_map(|f| {
            let x = f.estimate.figures?;
            Some(RankInput {
                id: f.geo.clone(),
                estimate: x.estimate,
                se: x.standard_error()?,
            })
        })
        .collect();
    let intervals = rank_intervals(
        &units,
        level,
        coverage,
        Direction::Descending,
        RANK_DRAWS,
        RANK_SEED,
    )?;
    let mut ranked: Vec<RankedFigure<'a>> = usable
        .into_iter()
        .zip(intervals)
        .map(|(figure, interval)| RankedFigure { figure, interval })
        .collect();
    ranked.sort_by(|a, b| (a.interval.rank, &a.figure.geo).cmp(&(b.interval.rank, &b.figure.geo)));
    Ok(Ranking { ranked, left_out })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(id: &str, estimate: f64, se: f64) -> RankInput {
        RankInput {
            id: id.into(),
            estimate,
            se,
        }
    }

    #[test]
    fn well_separated_units_get_exact_ranks_and_close_ones_share_them() {
        let units = [
            unit("a", 0.80, 0.01),
            unit("b", 0.50, 0.01),
            unit("c", 0.20, 0.01),
            unit("d", 0.21, 0.01),
        ];
        let r = rank_intervals(
            &units,
            0.95,
            Coverage::Marginal,
            Direction::Descending,
            4000,
            1,
        )
        .unwrap();
        assert_eq!((r[0].rank, r[0].lower, r[0].upper), (1, 1, 1));
        assert_eq!((r[1].rank, r[1].lower, r[1].upper), (2, 2, 2));
        // c and d are 1 point apart with a difference SE of 1.4 points: tied for 3-4.
        assert_eq!((r[2].rank, r[2].lower, r[2].upper), (4, 3, 4));
        assert_eq!((r[3].rank, r[3].lower, r[3].upper), (3, 3, 4));
        let asc = rank_intervals(
            &units,
            0.95,
            Coverage::Marginal,
            Direction::Ascending,
            4000,
            1,
        )
        .unwrap();
        assert_eq!((asc[0].rank, asc[0].lower, asc[0].upper), (4, 4, 4));
    }

    #[test]
    fn critical_values_match_the_normal_distribution_for_two_units() {
        // With two units the maximum is one |N(0,1)|: its 95 % quantile is 1.95996.
        let c = critical_values(&[0.02, 0.05], 0.95, Coverage::Marginal, 200_000, 7);
        assert!((c[0] - 1.959964).abs() < 0.02, "{}", c[0]);
        assert_eq!(c[0], c[1]);
        // Simultaneous over more pairs needs a larger value than marginal.
        let se = [0.01; 8];
        let m = critical_values(&se, 0.95, Coverage::Marginal, 20_000, 7);
        let s = critical_values(&se, 0.95, Coverage::Simultaneous, 20_000, 7);
        assert!(s[0] > m[0] && m[0] > 1.96);
    }

    /// Repeated samples from known values: the marginal intervals contain each unit's true rank
    /// at least at their nominal rate, the simultaneous set all ranks at once.
    #[test]
    fn rank_intervals_cover_the_true_ranks_at_their_nominal_rate() {
        let truth = [0.70, 0.66, 0.64, 0.60, 0.55, 0.55, 0.50, 0.42, 0.40, 0.30];
        let se = [0.02, 0.03, 0.015, 0.04, 0.02, 0.03, 0.05, 0.02, 0.03, 0.02];
        let true_rank: Vec<usize> = truth
            .iter()
            .map(|t| 1 + truth.iter().filter(|&&v| v > *t).count())
            .collect();
        // Ties in the truth (0.55, 0.55): either rank 5 or 6 is true for both.
        let covers = |r: &RankInterval, j: usize| {
            let tied = truth.iter().filter(|&&v| v == truth[j]).count();
            (r.lower..=r.upper).contains(&true_rank[j])
                || (tied > 1 && (r.lower..=r.upper).contains(&(true_rank[j] + tied - 1)))
        };
        let mut rng = ChaCha20Rng::seed_from_u64(2024);
        let samples: u32 = 400;
        let (mut marginal_hits, mut joint_hits) = (vec![0; truth.len()], 0);
        for s in 0..samples {
            let units: Vec<RankInput> = truth
                .iter()
                .zip(&se)
                .enumerate()
                .map(|(j, (t, e))| {
                    let z: f64 = StandardNormal.sample(&mut rng);
                    unit(&format!("u{j}"), t + e * z, *e)
                })
                .collect();
            let m = rank_intervals(
                &units,
                0.95,
                Coverage::Marginal,
                Direction::Descending,
                1000,
                u64::from(s),
            )
            .unwrap();
            for (j, r) in m.iter().enumerate() {
                marginal_hits[j] += usize::from(covers(r, j));
            }
            let all = rank_intervals(
                &units,
                0.95,
                Coverage::Simultaneous,
                Direction::Descending,
                1000,
                u64::from(s),
            )
            .unwrap();
            joint_hits += usize::from(all.iter().enumerate().all(|(j, r)| covers(r, j)));
        }
        // 0.95 less three Monte Carlo standard errors of a rate over 400 samples (0.033).
        let floor = 0.95 - 3.0 * (0.95f64 * 0.05 / f64::from(samples)).sqrt();
        for (j, hits) in marginal_hits.iter().enumerate() {
            let rate = *hits as f64 / f64::from(samples);
            assert!(rate >= floor, "unit {j}: marginal coverage {rate}");
        }
        let joint = joint_hits as f64 / f64::from(samples);
        assert!(joint >= floor, "simultaneous coverage {joint}");
    }

    #[test]
    fn bad_inputs_are_refused() {
        assert_eq!(
            rank_intervals(
                &[unit("a", 1.0, 0.1)],
                0.95,
                Coverage::Marginal,
                Direction::Descending,
                100,
                1
            ),
            Err(RankError::TooFew)
        );
        assert_eq!(
            rank_intervals(
                &[unit("a", 1.0, 0.1), unit("b", 1.0, 0.0)],
                0.95,
                Coverage::Marginal,
                Direction::Descending,
                100,
                1
            ),
            Err(RankError::BadInput("b".into()))
        );
        assert_eq!(
            rank_intervals(
                &[unit("a", 1.0, 0.1), unit("b", 1.0, 0.1)],
                1.0,
                Coverage::Marginal,
                Direction::Descending,
                100,
                1
            ),
            Err(RankError::BadLevel(1.0))
        );
    }
}
