//! Strata and PSUs numbered as a scan meets them, with the lonely-PSU rule applied when the
//! design is built (shared with the release pipeline).

use std::collections::{BTreeMap, HashMap};

use incity_estimation::{LonelyPsuRule, PsuRef, SampleDesign, Stratum};

use crate::DataError;

/// Strata and PSU numbering built from the scan.
#[derive(Default)]
pub struct DesignBuilder {
    strata: BTreeMap<String, StratumBuild>,
}

#[derive(Default)]
struct StratumBuild {
    id: u32,
    /// Named PSUs (designs with a PSU column).
    psus: HashMap<String, u32>,
    /// PSUs that are single records (designs without a PSU column), numbered after the named.
    unit_psus: u32,
    fpc: Option<(f64, f64)>,
    /// Strata are collapsed (lonely-PSU rule `collapse`) only within one group; "" unless
    /// given with [`DesignBuilder::psu_in_group`].
    collapse_group: String,
}

impl DesignBuilder {
    fn stratum(&mut self, stratum: &str, fpc: Option<(f64, f64)>) -> &mut StratumBuild {
        let next = self.strata.len() as u32;
        let entry = self
            .strata
            .entry(stratum.to_string())
            .or_insert_with(|| StratumBuild {
                id: next,
                ..StratumBuild::default()
            });
        if let Some((lo, hi)) = fpc {
            entry.fpc = Some(match entry.fpc {
                Some((a, b)) => (a.min(lo), b.max(hi)),
                None => (lo, hi),
            });
        }
        entry
    }

    /// The PSU `psu` of stratum `stratum` (numbered on first sight).
    pub fn psu(&mut self, stratum: &str, psu: &str, fpc: Option<(f64, f64)>) -> PsuRef {
        let s = self.stratum(stratum, fpc);
        let next = s.psus.len() as u32;
        let j = match s.psus.get(psu) {
            Some(j) => *j,
            None => {
                s.psus.insert(psu.to_string(), next);
                next
            }
        };
        PsuRef {
            stratum: s.id,
            psu: j,
        }
    }

    /// As [`psu`](Self::psu), for a stratum that may be collapsed only with strata of the same
    /// `collapse_group` (e.g. one country's sample of one year).
    pub fn psu_in_group(&mut self, stratum: &str, collapse_group: &str, psu: &str) -> PsuRef {
        let r = self.psu(stratum, psu, None);
        let s = self.stratum(stratum, None);
        if s.collapse_group != collapse_group {
            s.collapse_group = collapse_group.to_string();
        }
        r
    }

    /// A new PSU made of one record.
    pub(super) fn unit_psu(&mut self, stratum: &str, fpc: Option<(f64, f64)>) -> PsuRef {
        let s = self.stratum(stratum, fpc);
        let j = s.psus.len() as u32 + s.unit_psus;
        s.unit_psus += 1;
        PsuRef {
            stratum: s.id,
            psu: j,
        }
    }

    /// The design of every stratum and PSU seen (for [`LonelyPsuRule::Collapse`], strata are
    /// merged only within their collapse group).
    pub fn build(
        self,
        rule: LonelyPsuRule,
        fpc_column: Option<&str>,
    ) -> Result<SampleDesign, DataError> {
        let mut group_ids: BTreeMap<String, u32> = BTreeMap::new();
        let mut strata: Vec<(u32, Stratum, u32)> = Vec::with_capacity(self.strata.len());
        for (label, s) in self.strata {
            let (id, fpc) = (s.id, s.fpc);
            let n = s.psus.len() + s.unit_psus as usize;
            let f = match (fpc_column, fpc) {
                (Some(col), Some((lo, hi))) => {
                    if lo != hi {
                        return Err(DataError::Design(format!(
                            "the finite population correction `{col}` varies within stratum \
                             `{label}` ({lo} to {hi}); it must be constant per stratum"
                        )));
                    }
                    SampleDesign::sampling_fraction_from_fpc(lo, n)
                        .map_err(|e| DataError::Design(format!("stratum `{label}`: {e}")))?
                }
                (Some(col), None) => {
                    return Err(DataError::Design(format!(
                        "the finite population correction `{col}` is missing in stratum `{label}`"
                    )))
                }
                _ => 0.0,
            };
            let next = group_ids.len() as u32;
            let group = *group_ids.entry(s.collapse_group).or_insert(next);
            strata.push((
                id,
                Stratum {
                    label,
                    psu_count: n,
                    sampling_fraction: f,
                },
                group,
            ));
        }
        strata.sort_by_key(|s| s.0);
        let groups: Vec<u32> = strata.iter().map(|s| s.2).collect();
        SampleDesign::with_collapse_groups(strata.into_iter().map(|s| s.1).collect(), rule, &groups)
            .map_err(DataError::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Collapsing merges a single-PSU stratum only with strata of its own group (one
    /// country's sample of one year in a release), and refuses one alone in its group.
    #[test]
    fn collapse_stays_within_the_group() {
        // In label order AT/z (one PSU) is followed by BE/a (one PSU): without groups the two
        // would be merged across the countries.
        let mut b = DesignBuilder::default();
        let at_a = b.psu_in_group("2024/AT/a", "2024/AT", "1");
        b.psu_in_group("2024/AT/a", "2024/AT", "2");
        let at_z = b.psu_in_group("2024/AT/z", "2024/AT", "1");
        let be_a = b.psu_in_group("2024/BE/a", "2024/BE", "1");
        let be_b = b.psu_in_group("2024/BE/b", "2024/BE", "1");
        b.psu_in_group("2024/BE/b", "2024/BE", "2");
        let design = b.build(LonelyPsuRule::Collapse, None).unwrap();
        let of = |p: PsuRef| design.variance_stratum_of(p.stratum);
        assert_eq!(
            of(at_z),
            of(at_a),
            "AT's single-PSU stratum joins AT's other one"
        );
        assert_eq!(
            of(be_a),
            of(be_b),
            "BE's single-PSU stratum joins BE's other one"
        );
        assert_ne!(of(at_z), of(be_a), "strata of two groups are never merged");
        // Without groups the same strata merge AT/z with BE/a.
        let mut ungrouped = DesignBuilder::default();
        for (s, p) in [("2024/AT/a", "1"), ("2024/AT/a", "2"), ("2024/AT/z", "1")] {
            ungrouped.psu(s, p, None);
        }
        let z = ungrouped.psu("2024/BE/a", "1", None);
        let at_z2 = PsuRef { stratum: 1, psu: 0 };
        ungrouped.psu("2024/BE/b", "1", None);
        ungrouped.psu("2024/BE/b", "2", None);
        let d = ungrouped.build(LonelyPsuRule::Collapse, None).unwrap();
        assert_eq!(
            d.variance_stratum_of(at_z2.stratum),
            d.variance_stratum_of(z.stratum)
        );
        // Austria's single-PSU stratum alone in its group: Belgium's strata do not rescue it.
        let mut alone = DesignBuilder::default();
        alone.psu_in_group("2024/AT/a", "2024/AT", "1");
        alone.psu_in_group("2024/BE/a", "2024/BE", "1");
        alone.psu_in_group("2024/BE/a", "2024/BE", "2");
        let err = alone.build(LonelyPsuRule::Collapse, None).unwrap_err();
        assert!(
            err.to_string()
                .contains("no other stratum of its collapse group"),
            "{err}"
        );
    }
}
