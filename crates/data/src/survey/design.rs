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

    /// The design of every stratum and PSU seen.
    pub fn build(
        self,
        rule: LonelyPsuRule,
        fpc_column: Option<&str>,
    ) -> Result<SampleDesign, DataError> {
        self.build_grouped(rule, fpc_column, |_| String::new())
    }

    /// As [`build`](Self::build), with the collapse group of each stratum label (for
    /// [`LonelyPsuRule::Collapse`] only strata of the same group are merged, e.g. the same
    /// country and year).
    pub fn build_grouped(
        self,
        rule: LonelyPsuRule,
        fpc_column: Option<&str>,
        group_of: impl Fn(&str) -> String,
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
            let group = *group_ids.entry(group_of(&label)).or_insert(next);
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
