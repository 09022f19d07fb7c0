//! Survey microdata (Parquet) through the shipped EU-LFS mapping: `incity validate` / `import`.
#![no_main]
use std::io::Write;

use incity_data::ingest::{read_microdata, Discard, ReadOptions};
use incity_data::mapping::Mapping;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
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
