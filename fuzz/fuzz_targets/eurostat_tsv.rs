//! Eurostat bulk TSV (`import-table`, exchange uploads): any text gives a table or an error.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let path = std::path::Path::new("fuzz.tsv");
    if let Ok(table) = incity_data::published::PublishedTable::parse_tsv(path, text) {
        // What was read can be written and read again.
        let written = table.to_tsv().expect("a table read from TSV writes as TSV");
        incity_data::published::PublishedTable::parse_tsv(path, &written)
            .expect("a written TSV table reads again");
    }
});
