//! Code shared by the tests and the examples (each uses part of it).
#![allow(dead_code)]

pub mod computed;
pub mod small_area_simulation;
