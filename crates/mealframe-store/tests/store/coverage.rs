//! The suite calls every public repository function: each `pub async fn NAME` of `src/` must
//! appear here as `MODULE::NAME(` (MODULE is its file's name, or its folder's for `mod.rs`), so
//! tests always call store functions through their module.

use std::{
    fs,
    path::{Path, PathBuf},
};

/// Functions deliberately not called, with the reason (none so far).
const NOT_CALLED: &[(&str, &str)] = &[];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `MODULE::NAME` of every `pub async fn` in `src/`.
fn public_functions(src: &Path) -> Vec<String> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let mut out = Vec::new();
    for file in files {
        let stem = file.file_stem().unwrap().to_str().unwrap();
        let module = if stem == "mod" {
            file.parent()
                .unwrap()
                .file_name()
                .unwrap()
                .to_str()
                .unwrap()
        } else {
            stem
        };
        for line in fs::read_to_string(&file).unwrap().lines() {
            if let Some(rest) = line.trim_start().strip_prefix("pub async fn ") {
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                out.push(format!("{module}::{name}"));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn every_public_store_function_is_called_by_the_suite() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let functions = public_functions(&root.join("src"));
    assert!(functions.len() > 100, "found only {functions:?}");
    let mut tests = Vec::new();
    rust_files(&root.join("tests/store"), &mut tests);
    let text: String = tests
        .iter()
        .filter(|p| !p.ends_with("coverage.rs"))
        .map(|p| fs::read_to_string(p).unwrap())
        .collect();
    let missing: Vec<&String> = functions
        .iter()
        .filter(|f| !NOT_CALLED.iter().any(|(n, _)| *n == f.as_str()))
        .filter(|f| !text.contains(&format!("{f}(")))
        .collect();
    assert!(
        missing.is_empty(),
        "store functions no test calls: {missing:?}"
    );
}
