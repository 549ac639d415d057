//! Static assets embedded in the binary: stylesheet, ES modules, icons, the web manifest and the
//! service worker. Asset URLs carry a content hash (`/static/app.css?v=…`) so they can be cached
//! for a year; the service worker and manifest are served from the root without long caching.

use std::{collections::HashMap, sync::OnceLock};

use axum::{
    extract::Path,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use rust_embed::RustEmbed;

#[derive(RustEmbed)]
#[folder = "static/"]
struct Static;

fn hashes() -> &'static HashMap<String, String> {
    static H: OnceLock<HashMap<String, String>> = OnceLock::new();
    H.get_or_init(|| {
        Static::iter()
            .filter_map(|name| {
                let file = Static::get(&name)?;
                let hash: String = file
                    .metadata
                    .sha256_hash()
                    .iter()
                    .take(5)
                    .map(|b| format!("{b:02x}"))
                    .collect();
                Some((name.into_owned(), hash))
            })
            .collect()
    })
}

/// The ES modules pages import by name (`mf/today` → `today.js`). `meals.js` is loaded by its
/// page's own `<script>` and imports nothing, so it is precached but not mapped.
const MODULES: [&str; 8] = [
    "today", "queue", "app", "capture", "sync", "grocery", "week", "setup",
];

/// The `<script type="importmap">` of every page: the versioned URLs of the ES modules. The same
/// text for the life of the process, so the security policy can allow it by its hash.
pub fn importmap() -> &'static str {
    static MAP: OnceLock<String> = OnceLock::new();
    MAP.get_or_init(|| {
        let imports: serde_json::Map<String, serde_json::Value> = MODULES
            .iter()
            .map(|m| (format!("mf/{m}"), url(&format!("{m}.js")).into()))
            .collect();
        serde_json::json!({ "imports": imports }).to_string()
    })
}

/// The cache-busting URL of a static file, e.g. `/static/app.css?v=1a2b3c4d5e`.
pub fn url(name: &str) -> String {
    match hashes().get(name) {
        Some(h) => format!("/static/{name}?v={h}"),
        None => format!("/static/{name}"),
    }
}

/// A version string for the service worker's caches: changes whenever any asset changes.
pub fn bundle_version() -> &'static str {
    static V: OnceLock<String> = OnceLock::new();
    V.get_or_init(|| {
        let mut all: Vec<(&String, &String)> = hashes().iter().collect();
        all.sort();
        let joined: String = all.iter().map(|(n, h)| format!("{n}{h}")).collect();
        crate::accounts::secret_tokens::sha256_hex(&joined)[..12].to_owned()
    })
}

fn serve(name: &str, cache: &'static str) -> Response {
    match Static::get(name) {
        Some(file) => {
            let mime = file.metadata.mimetype().to_owned();
            let mut resp = (StatusCode::OK, file.data.into_owned()).into_response();
            let headers = resp.headers_mut();
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_str(&mime)
                    .unwrap_or(HeaderValue::from_static("application/octet-stream")),
            );
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
            headers.insert(
                "x-content-type-options",
                HeaderValue::from_static("nosniff"),
            );
            resp
        }
        None => (StatusCode::NOT_FOUND, "not found").into_response(),
    }
}

/// `GET /static/{*path}`
pub async fn static_file(Path(path): Path<String>) -> Response {
    serve(&path, "public, max-age=31536000, immutable")
}

/// `GET /sw.js` — the service worker, at the root so that it controls every page.
pub async fn service_worker() -> Response {
    match Static::get("sw.js") {
        Some(file) => {
            let text = String::from_utf8_lossy(&file.data)
                .replace("__VERSION__", bundle_version())
                .replace(
                    "__PRECACHE__",
                    &MODULES
                        .iter()
                        .map(|m| format!("{m}.js"))
                        .chain(
                            [
                                "meals.js",
                                "app.css",
                                "icons/icon.svg",
                                "icons/icon-192.png",
                            ]
                            .map(String::from),
                        )
                        .map(|n| format!("\"{}\"", url(&n)))
                        .collect::<Vec<_>>()
                        .join(", "),
                );
            (
                [
                    (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
                    (header::CACHE_CONTROL, "no-cache"),
                ],
                text,
            )
                .into_response()
        }
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// `GET /manifest.webmanifest`
pub async fn manifest() -> Response {
    let mut resp = serve("manifest.webmanifest", "public, max-age=3600");
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/manifest+json"),
    );
    resp
}
