//! Domains and their gaps: which domain a gap compares with which, and how the figure of a
//! domain or a gap is published.
//!
//! A *gap* is the difference (or ratio) between the estimate of a group and that of its
//! reference group **in the same other coordinates** (the same geography, sex, period...):
//! `non_eu_born − native` in Vienna for women. Both the one-file estimator (`incity estimate
//! --gap`) and the release pipeline pair domains with this one function, so that a gap means
//! the same in both.

use std::collections::BTreeMap;

use crate::publication::Interval;

/// The at-risk-of-poverty threshold as a share of the national median equivalised disposable
/// income: 60 % (Eurostat, EU-SILC methodology, indicator `ilc_li02`; Laeken indicators,
/// European Council 2001).
pub const POVERTY_THRESHOLD_SHARE_OF_MEDIAN: f64 = 0.6;

/// Pairs every domain that is not of the reference group with the domain of the reference
/// group that agrees with it in every other coordinate. `group_of` gives a domain's group;
/// `others_of` the rest of its key. Returns `(domain, reference)` index pairs in the order of
/// `domains`; a domain whose reference domain is absent (no respondent of the reference group
/// there) has no gap.
pub fn gap_pairs<'d, K, R: Ord>(
    domains: &'d [K],
    reference: &str,
    group_of: impl Fn(&'d K) -> &'d str,
    others_of: impl Fn(&'d K) -> R,
) -> Vec<(usize, usize)> {
    let reference_domains: BTreeMap<R, usize> = domains
        .iter()
        .enumerate()
        .filter(|(_, k)| group_of(k) == reference)
        .map(|(i, k)| (others_of(k), i))
        .collect();
    domains
        .iter()
        .enumerate()
        .filter(|(_, k)| group_of(k) != reference)
        .filter_map(|(i, k)| reference_domains.get(&others_of(k)).map(|&r| (i, r)))
        .collect()
}

/// The interval a figure is published with: a gap's on the t scale (its estimate is a
/// difference or ratio, not a share); a level's as its estimator gave it (Woodruff's for a
/// quantile), else the share interval (logit, or Korn-Graubard near 0 and 1) for a share, else
/// the t interval.
pub fn figure_interval(gap: bool, share: bool, given: Option<(f64, f64)>) -> Interval {
    match (gap, given, share) {
        (true, _, _) => Interval::Normal,
        (false, Some((low, high)), _) => Interval::Given { low, high },
        (false, None, true) => Interval::Share,
        (false, None, false) => Interval::Normal,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gaps_pair_a_group_with_the_reference_of_the_same_other_coordinates() {
        // (geo, group, sex)
        let domains = [
            ("AT", "eu_born", "F"),
            ("AT", "native", "F"),
            ("AT", "native", "M"),
            ("AT", "non_eu_born", "M"),
            ("BE", "non_eu_born", "F"), // no native women in BE: no gap
            ("AT", "non_eu_born", "F"),
        ];
        let pairs = gap_pairs(&domains, "native", |k| k.1, |k| (k.0, k.2));
        assert_eq!(pairs, vec![(0, 1), (3, 2), (5, 1)]);
        assert!(gap_pairs(&domains, "nobody", |k| k.1, |k| (k.0, k.2)).is_empty());
    }

    #[test]
    fn a_gap_is_never_given_a_share_or_an_estimator_interval() {
        assert_eq!(
            figure_interval(true, true, Some((0.1, 0.2))),
            Interval::Normal
        );
        assert_eq!(
            figure_interval(false, true, Some((0.1, 0.2))),
            Interval::Given {
                low: 0.1,
                high: 0.2
            }
        );
        assert_eq!(figure_interval(false, true, None), Interval::Share);
        assert_eq!(figure_interval(false, false, None), Interval::Normal);
    }
}
