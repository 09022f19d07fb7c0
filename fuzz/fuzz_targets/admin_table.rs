//! An administrative CSV table through the shipped example mapping (`import-table --mapping`,
//! exchange uploads).
#![no_main]
use std::io::Write;
use std::sync::OnceLock;

use incity_data::mapping::AdminTableMapping;
use incity_data::published::PublishedTable;
use libfuzzer_sys::fuzz_target;

const MAPPING: &str = include_str!("../../data/admin/example-city-register.toml");

fn mapping() -> &'static AdminTableMapping {
    static MAPPING_PARSED: OnceLock<AdminTableMapping> = OnceLock::new();
    MAPPING_PARSED.get_or_init(|| {
        AdminTableMapping::parse(MAPPING, "example-city-register.toml")
            .expect("the shipped mapping parses")
    })
}

fuzz_target!(|data: &[u8]| {
    let mut file = tempfile::Builder::new()
        .suffix(".csv")
        .tempfile()
        .expect("a temporary file");
    file.write_all(data).expect("write");
    let _ = PublishedTable::read_admin_csv(file.path(), mapping());
});
