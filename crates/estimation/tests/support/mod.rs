//! Code shared by the simulation tests (each uses part of it).
#![allow(dead_code)]

pub mod lcg;
pub mod small_domains;
