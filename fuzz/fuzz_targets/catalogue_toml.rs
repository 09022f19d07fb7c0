//! The indicator catalogue and the toolbox files (`--catalogue DIR`): the input is the main
//! file, then NUL-separated files: indicator files, or, when the first part starts with
//! `#toolbox`, the toolbox's four files checked against the shipped catalogue.
#![no_main]
use incity_indicators::catalogue::Catalogue;
use incity_indicators::toolbox::Toolbox;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let mut parts = text.split('\0');
    let main = parts.next().unwrap_or_default();
    let rest: Vec<(String, String)> = parts
        .enumerate()
        .map(|(i, t)| (format!("part{i}.toml"), t.to_string()))
        .collect();
    if main.starts_with("#toolbox") {
        let mut files = vec![("sources.toml".to_string(), main.to_string())];
        files.extend(rest);
        let _ = Toolbox::parse(&files, Catalogue::embedded());
    } else {
        let _ = Catalogue::parse(("catalogue.toml", main), rest);
    }
});
