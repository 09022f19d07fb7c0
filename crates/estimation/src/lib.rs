//! Design-based estimation for complex surveys: the statistics behind every incity figure.
//!
//! This crate is pure statistics. It knows nothing of files, SQL, HTTP or JSON: callers hand
//! it a declared [`SampleDesign`] and *sufficient statistics* (per domain and PSU weighted sums,
//! [`DomainSums`], or unit-level values for quantile-type statistics, [`UnitData`]), and get
//! back point estimates with variances, which [`Estimate::publish`] turns into published
//! figures or a suppression flag.
//!
//! Conventions follow R `survey` (Lumley 2004, 2010) so that figures can be checked against it:
//! with-replacement (ultimate cluster) linearisation, jackknife scales, centring of replicates on
//! their mean, `svyquantile` rules and Woodruff intervals. Formulas and sources are stated in
//! each module.
//!
//! Entry points: [`estimate_linear_batch`] (domain sums), [`estimate_nonlinear`] (unit data),
//! [`gap_pairs`] and [`figure_interval`] (what both of incity's estimation paths share),
//! [`change_with_shared_psus`] (the change between two periods of a rotating sample), and
//! [`Estimate::publish_with`] (the publication rules).

pub mod change;
pub mod design;
pub mod domains;
pub mod linear;
pub mod nonlinear;
pub mod planning;
pub mod publication;
pub mod variance;

pub use change::{change_with_shared_psus, Change, CovarianceBasis, PeriodEstimate};
pub use design::{LonelyPsuRule, PsuRef, SampleDesign, Stratum};
pub use domains::{figure_interval, gap_pairs, POVERTY_THRESHOLD_SHARE_OF_MEDIAN};
pub use linear::{
    estimate_linear, estimate_linear_batch, supplied_replicate_variance, CellSums, DomainSums,
    LinearKind, LinearStatistic, LinearVariance, PointAndVariance, ReplicateTotals,
};
pub use nonlinear::{
    estimate_nonlinear, weighted_quantile, Gap, GapKind, NonlinearEstimate, NonlinearKind,
    NonlinearResults, NonlinearVariance, QuantileRule, UnitData,
};
pub use planning::{pooled_years, ModelPlanning, PlanningBasis};
pub use publication::{
    effective_sample_size, korn_graubard, korn_graubard_interval, t_quantile, Estimate, Figures,
    Flag, FlagReason, Interval, PopulationThresholds, ProportionRules, PublicationRules, RuleBasis,
    RuleFacts, ShareFacts, ThresholdBasis,
};
pub use variance::{
    linearized_variance, ReplicateDesign, ReplicateDeviations, ReplicateMethod, SuppliedReplicates,
};

/// Why an estimate could not be computed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EstimationError {
    #[error("the sample is empty")]
    EmptySample,
    #[error("the domain has no units (or a zero denominator)")]
    EmptyDomain,
    #[error(
        "stratum `{stratum}` has a single PSU; declare a lonely-PSU rule (certainty, adjust or \
         average) or merge strata"
    )]
    LonelyPsu { stratum: String },
    #[error("invalid design: {0}")]
    InvalidDesign(String),
    #[error("{0}")]
    InvalidArgument(String),
}
