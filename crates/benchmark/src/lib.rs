//! Benchmarking areas across countries from the figures of a release.
//!
//! Pure statistics over [`Figure`](incity_indicators::Figure)s already published: no files,
//! no SQL, no HTTP, and nothing a release withholds (a suppressed figure has no number, so it
//! cannot enter a comparison). The portal, the API and the CLI show what this crate computes.
//!
//! - [`peers`]: the areas most similar to one area on standardised context variables, with
//!   the variables, weights and each one's share of the distance.
//! - [`profile`]: an area's figures beside its country's, and whether it differs from its
//!   country (read from the jointly linearised difference the engine computes).
//! - [`ranks`]: each unit's rank with a marginal or simultaneous confidence interval (Mogstad,
//!   Romano, Shaikh & Wilhelm 2024), so that a sorted list never shows as different units
//!   whose intervals say otherwise.

pub mod peers;
pub mod profile;
pub mod ranks;
