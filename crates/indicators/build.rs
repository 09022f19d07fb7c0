//! Embeds the shipped catalogue (`catalogue/` at the repository root) so that the binary
//! carries it; `--catalogue DIR` reads another directory at run time.
use std::fmt::Write;
use std::path::Path;

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../catalogue");
    println!("cargo:rerun-if-changed={}", root.display());
    println!(
        "cargo:rerun-if-changed={}",
        root.join("indicators").display()
    );
    let mut files: Vec<_> = std::fs::read_dir(root.join("indicators"))
        .expect("catalogue/indicators exists")
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().and_then(|e| e.to_str()) == Some("toml"))
        .collect();
    files.sort();
    let mut out = String::from("/// The shipped indicator files: (file name, text).\npub const INDICATOR_FILES: &[(&str, &str)] = &[\n");
    for f in &files {
        println!("cargo:rerun-if-changed={}", f.display());
        let name = f.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        let _ = writeln!(
            out,
            "    ({name:?}, include_str!({:?})),",
            f.canonicalize().unwrap_or(f.clone()).display().to_string()
        );
    }
    out.push_str("];\n");
    let _ = writeln!(
        out,
        "/// The shipped `catalogue.toml`.\npub const CATALOGUE_FILE: &str = include_str!({:?});",
        root.join("catalogue.toml")
            .canonicalize()
            .unwrap_or(root.join("catalogue.toml"))
            .display()
            .to_string()
    );
    let dest = Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR")).join("catalogue_files.rs");
    std::fs::write(dest, out).expect("write catalogue_files.rs");
}
