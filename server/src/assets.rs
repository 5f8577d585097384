//! The site's static files: the browser bundle (JS, WASM, CSS) under a content-hashed
//! directory, served precompressed and cached for good; everything else in the site
//! root (favicon) with a short cache; anything else falls through to the 404 page.
//!
//! `scripts/build-site.sh` puts the bundle in `pkg/<hash>/` with `.br` and `.gz`
//! copies of each file, and writes the hash to `pkg/bundle`. A changed bundle has
//! a new directory name, so a browser never runs a stale one and never asks again
//! for one it has.

use app::state::AppState;
use axum::extract::Request;
use axum::handler::Handler;
use axum::http::header::{CACHE_CONTROL, VARY};
use axum::http::HeaderValue;
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::Router;
use std::path::Path;
use tower_http::services::ServeDir;

/// Where the bundle sits under the site root: `pkg/<hash>` once built, `pkg` for a
/// site built without a hash (or none at all, as in the integration tests).
pub fn bundle_dir(site_root: &Path) -> String {
    match std::fs::read_to_string(site_root.join("pkg").join("bundle")) {
        Ok(hash) if is_bundle_hash(hash.trim()) => format!("pkg/{}", hash.trim()),
        _ => "pkg".to_owned(),
    }
}

fn is_bundle_hash(hash: &str) -> bool {
    !hash.is_empty() && hash.len() <= 64 && hash.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The fallback service: static files from the site root, then the app's 404 page.
pub fn files(state: AppState) -> Router {
    let site_root = state.leptos_options.site_root.to_string();
    let not_found = leptos_axum::file_and_error_handler::<AppState, _>(app::shell);
    // Precompressed copies are chosen by Accept-Encoding; without them (a site built
    // by cargo-leptos) the plain file is served.
    let files = ServeDir::new(site_root)
        .precompressed_br()
        .precompressed_gzip()
        .append_index_html_on_directories(false)
        .fallback(not_found.with_state(state));
    Router::new()
        .fallback_service(files)
        .layer(middleware::from_fn(cache_for_good))
}

/// A hashed bundle file never changes: cache it for a year without asking again.
/// Other files (favicon) are kept for an hour.
async fn cache_for_good(request: Request, next: Next) -> Response {
    let hashed = is_hashed_bundle_path(request.uri().path());
    let mut response = next.run(request).await;
    if response.status().is_success() {
        let policy = if hashed {
            "public, max-age=31536000, immutable"
        } else {
            "public, max-age=3600"
        };
        let headers = response.headers_mut();
        headers.insert(CACHE_CONTROL, HeaderValue::from_static(policy));
        headers.insert(VARY, HeaderValue::from_static("accept-encoding"));
    }
    response
}

/// `/pkg/<hash>/<file>`.
fn is_hashed_bundle_path(path: &str) -> bool {
    let mut parts = path.trim_start_matches('/').split('/');
    matches!(
        (parts.next(), parts.next(), parts.next(), parts.next()),
        (Some("pkg"), Some(hash), Some(file), None) if is_bundle_hash(hash) && !file.is_empty()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_files_in_a_hashed_directory_are_immutable() {
        assert!(is_hashed_bundle_path(
            "/pkg/3fa9c2e01b7d4e55/sitrep_bg.wasm"
        ));
        assert!(!is_hashed_bundle_path("/pkg/sitrep_bg.wasm"));
        assert!(!is_hashed_bundle_path("/pkg/not-a-hash/sitrep.js"));
        assert!(!is_hashed_bundle_path("/pkg/3fa9c2e01b7d4e55/"));
        assert!(!is_hashed_bundle_path("/favicon.svg"));
        assert!(!is_hashed_bundle_path("/pkg/3fa9c2e01b7d4e55/a/b.js"));
    }

    #[test]
    fn the_bundle_directory_comes_from_the_build() {
        let site = tempfile::tempdir().unwrap();
        assert_eq!(bundle_dir(site.path()), "pkg", "no build yet");
        std::fs::create_dir_all(site.path().join("pkg")).unwrap();
        std::fs::write(site.path().join("pkg/bundle"), "3fa9c2e01b7d4e55\n").unwrap();
        assert_eq!(bundle_dir(site.path()), "pkg/3fa9c2e01b7d4e55");
        std::fs::write(site.path().join("pkg/bundle"), "../../etc\n").unwrap();
        assert_eq!(bundle_dir(site.path()), "pkg", "not a hash: ignored");
    }
}
