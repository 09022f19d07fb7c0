//! The small reference data every other crate agrees on: the European geography
//! ([`geography`]: countries, NUTS regions in their versions, degree of urbanisation, cities,
//! the shipped GISCO boundaries) and the harmonised concepts ([`concepts`]: the columns of the
//! input store, their codes and the derived target groups).
//!
//! It is usable alone: its one dependency is `csv` (to read its own tables); it reads no file
//! at run time (the public files of `data/geo/` are compiled in) and knows nothing of survey
//! files, estimation, storage or HTTP. Entry points: [`geography::Geography::embedded`] and
//! [`concepts::CONCEPTS`].

pub mod concepts;
pub mod geography;
