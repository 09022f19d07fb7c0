//! SDMX-CSV (`import-table`, exchange uploads): any text gives a table or an error.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let path = std::path::Path::new("fuzz.csv");
    if let Ok(table) = incity_data::published::PublishedTable::parse_sdmx_csv(path, text) {
        let written = table
            .to_sdmx_csv()
            .expect("a table read from SDMX-CSV writes as SDMX-CSV");
        incity_data::published::PublishedTable::parse_sdmx_csv(path, &written)
            .expect("a written SDMX-CSV table reads again");
    }
});
