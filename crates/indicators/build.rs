//! Embeds the shipped catalogue (`catalogue/` at the repository root: indicators and toolbox)
//! and the indicator modules' example files and expected outputs (`modules/`), so that the
//! binary carries them; `--catalogue DIR` reads another catalogue directory at run time.
use std::fmt::Write;
use std::path::{Path, PathBuf};

fn absolute(p: &Path) -> String {
    p.canonicalize()
        .unwrap_or_else(|_| p.to_path_buf())
        .display()
        .to_string()
}

/// The `.toml` files of `dir`, sorted.
fn toml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().and_then(|e| e.to_str()) == Some("toml"))
        .collect();
    files.sort();
    files
}

/// Every file under `dir` (recursively), sorted; none when `dir` does not exist.
fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.filter_map(|e| e.ok()) {
        let p = e.path();
        if p.is_dir() {
            println!("cargo:rerun-if-changed={}", p.display());
            files_under(&p, out);
        } else {
            out.push(p);
        }
    }
    out.sort();
}

fn main() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let root = repo.join("catalogue");
    for dir in [root.clone(), root.join("indicators"), root.join("toolbox")] {
        println!("cargo:rerun-if-changed={}", dir.display());
    }
    let mut out = String::from("/// The shipped indicator files: (file name, text).\npub const INDICATOR_FILES: &[(&str, &str)] = &[\n");
    for f in toml_files(&root.join("indicators")) {
        println!("cargo:rerun-if-changed={}", f.display());
        let name = f.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        let _ = writeln!(out, "    ({name:?}, include_str!({:?})),", absolute(&f));
    }
    out.push_str("];\n");
    let _ = writeln!(
        out,
        "/// The shipped `catalogue.toml`.\npub const CATALOGUE_FILE: &str = include_str!({:?});",
        absolute(&root.join("catalogue.toml"))
    );
    let dest = Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR")).to_path_buf();
    std::fs::write(dest.join("catalogue_files.rs"), out).expect("write catalogue_files.rs");

    let mut toolbox = String::from("/// The shipped toolbox files, in the order of `FILES`: (file name, text).\npub const TOOLBOX_FILES: &[(&str, &str)] = &[\n");
    for name in [
        "sources.toml",
        "tools.toml",
        "glossary.toml",
        "recommendations.toml",
    ] {
        let f = root.join("toolbox").join(name);
        println!("cargo:rerun-if-changed={}", f.display());
        let _ = writeln!(toolbox, "    ({name:?}, include_str!({:?})),", absolute(&f));
    }
    toolbox.push_str("];\n");
    std::fs::write(dest.join("toolbox_files.rs"), toolbox).expect("write toolbox_files.rs");

    let modules = repo.join("modules");
    println!("cargo:rerun-if-changed={}", modules.display());
    let mut files = Vec::new();
    files_under(&modules, &mut files);
    let mut assets = String::from("/// The modules' example files and expected outputs: (path under modules/, bytes).\npub const MODULE_ASSETS: &[(&str, &[u8])] = &[\n");
    for f in &files {
        println!("cargo:rerun-if-changed={}", f.display());
        let rel = f
            .strip_prefix(&modules)
            .map(|p| p.to_string_lossy().replace('\\', "/"))
            .unwrap_or_default();
        let _ = writeln!(assets, "    ({rel:?}, include_bytes!({:?})),", absolute(f));
    }
    assets.push_str("];\n");
    std::fs::write(dest.join("module_files.rs"), assets).expect("write module_files.rs");
}
