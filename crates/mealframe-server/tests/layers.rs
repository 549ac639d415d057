//! The server's layers call downwards only (docs/architecture.md): the two front doors (`api/`,
//! `web/`) never import each other, and the use cases (`app/`) and the state know nothing of
//! HTTP or pages. Read from the source, so a new import that breaks the rule fails here.

use std::{fs, path::Path};

/// Every `.rs` file below `dir`, with its text.
fn sources(dir: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).expect("source folder") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            out.extend(sources(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            let text = fs::read_to_string(&path).expect("source file");
            out.push((path.display().to_string(), text));
        }
    }
    out
}

/// Files below `folder` (or the one file) whose code (comments aside) mentions any of `words`.
fn offenders(folder: &str, words: &[&str]) -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("src")
        .join(folder);
    let files = if root.is_dir() {
        sources(&root)
    } else {
        let text = fs::read_to_string(&root).expect("source file");
        vec![(root.display().to_string(), text)]
    };
    let mut found = Vec::new();
    for (path, text) in files {
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            if let Some(w) = words.iter().find(|w| code.contains(**w)) {
                found.push(format!("{path}:{}: `{w}`", n + 1));
            }
        }
    }
    found
}

#[test]
fn the_pages_never_import_the_api() {
    assert_eq!(
        offenders("web", &["crate::api", "super::super::api"]),
        Vec::<String>::new()
    );
}

#[test]
fn the_api_never_imports_the_pages() {
    assert_eq!(offenders("api", &["crate::web"]), Vec::<String>::new());
}

#[test]
fn use_cases_and_state_know_no_http_or_pages() {
    let http = [
        "crate::api",
        "crate::web",
        "crate::router",
        "axum",
        "askama",
        "http::",
    ];
    assert_eq!(offenders("app", &http), Vec::<String>::new());
    assert_eq!(offenders("state.rs", &http), Vec::<String>::new());
}
