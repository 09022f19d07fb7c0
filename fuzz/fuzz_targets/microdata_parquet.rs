//! Survey microdata (Parquet) through the shipped EU-LFS mapping: `incity validate` / `import`.
#![no_main]
use std::io::Write;

use incity_data::ingest::{read_microdata, Discard, ReadOptions};
use incity_data::mapping::Mapping;
use libfuzzer_sys::fuzz_target;

fuzz_target!(
    // The ingest reader turns a panic of the Parquet decoder into an error naming the file
    // (`guarded` in crates/data/src/ingest/raw.rs). libFuzzer's panic hook would abort on that
    // caught panic; the default hook reports it and lets it be caught. An uncaught panic
    // still aborts the run (libfuzzer-sys catches it at the boundary and aborts).
    init: {
        let _ = std::panic::take_hook();
    },
    |data: &[u8]| {
    let mapping = Mapping::load("eu-lfs").expect("the shipped mapping");
    let mut file = tempfile::Builder::new()
        .suffix(".parquet")
        .tempfile()
        .expect("a temporary file");
    file.write_all(data).expect("write");
    let _ = read_microdata(
        &mapping,
        &[file.path().to_path_buf()],
        &ReadOptions::default(),
        &mut Discard,
        &mut |_, _| {},
    );
});
