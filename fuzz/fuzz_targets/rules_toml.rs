//! Publication rule files (`compute --rules FILE`).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let _ = incity_indicators::rules::RuleSet::parse(text, "fuzz.toml");
});
