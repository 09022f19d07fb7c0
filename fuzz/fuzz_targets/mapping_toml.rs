//! Mapping files: survey mappings (with `[derive]` expressions) and administrative table
//! mappings.
#![no_main]
use incity_data::mapping::{AdminTableMapping, Mapping};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let _ = Mapping::parse(text, "fuzz.toml");
    let _ = AdminTableMapping::parse(text, "fuzz.toml");
});
