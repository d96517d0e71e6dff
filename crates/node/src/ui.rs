//! The web dashboard, served at `/` with its files under `/ui/…`.
//!
//! Plain HTML, CSS and JavaScript modules, embedded in the binary with `include_str!`, and the
//! charting library (uPlot) that `build.rs` installs from npm at build time (`vendored`): no CDN,
//! nothing fetched from elsewhere, so it works offline. The pages read the same
//! public API as any client (`/v1/…`, `/metrics`, the `/v1/events` stream); every path they call
//! is written in `ui/api.js`, which the node tests read to check that each one answers.

use crate::node::Shared;
use axum::Router;
use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use std::sync::Arc;

/// One embedded file.
#[derive(Debug)]
pub struct Asset {
    /// Its name under `/ui/`.
    pub name: &'static str,
    /// Its media type.
    pub content_type: &'static str,
    /// Its contents.
    pub body: &'static str,
    /// Third-party code bundled by `build.rs` (not in the repository).
    pub vendored: bool,
}

macro_rules! assets {
    ($( $name:literal => $ty:literal ),* $(,)?) => {
        /// Every file of the dashboard.
        pub const ASSETS: &[Asset] = &[
            $( Asset { name: $name, content_type: $ty, body: include_str!(concat!("../ui/", $name)), vendored: false }, )*
            Asset {
                name: "uPlot.esm.js",
                content_type: "text/javascript; charset=utf-8",
                body: include_str!(concat!(env!("OUT_DIR"), "/uPlot.esm.js")),
                vendored: true,
            },
            Asset {
                name: "uPlot.min.css",
                content_type: "text/css; charset=utf-8",
                body: include_str!(concat!(env!("OUT_DIR"), "/uPlot.min.css")),
                vendored: true,
            },
        ];
    };
}

assets! {
    "index.html" => "text/html; charset=utf-8",
    "style.css" => "text/css; charset=utf-8",
    "app.js" => "text/javascript; charset=utf-8",
    "api.js" => "text/javascript; charset=utf-8",
    "format.js" => "text/javascript; charset=utf-8",
    "views.js" => "text/javascript; charset=utf-8",
    "security.js" => "text/javascript; charset=utf-8",
    "account.js" => "text/javascript; charset=utf-8",
    "chart.js" => "text/javascript; charset=utf-8",
    "charts.js" => "text/javascript; charset=utf-8",
    "roles.js" => "text/javascript; charset=utf-8",
    "consensus.js" => "text/javascript; charset=utf-8",
    "wallet.js" => "text/javascript; charset=utf-8",
    "vaults.js" => "text/javascript; charset=utf-8",
    "governance.js" => "text/javascript; charset=utf-8",
}

/// The dashboard's routes: `/` and `/ui/{file}`.
pub fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/", get(index))
        .route("/ui/{file}", get(file))
}

fn serve(asset: &Asset) -> Response {
    (
        [
            (header::CONTENT_TYPE, asset.content_type),
            (header::CACHE_CONTROL, "no-cache"),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:",
            ),
        ],
        asset.body,
    )
        .into_response()
}

async fn index() -> Response {
    match ASSETS.iter().find(|a| a.name == "index.html") {
        Some(a) => serve(a),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn file(Path(name): Path<String>) -> Response {
    match ASSETS.iter().find(|a| a.name == name) {
        Some(a) => serve(a),
        None => crate::http::HttpError(rampart_api::ApiError::new(
            rampart_api::codes::NOT_FOUND,
            format!("no dashboard file `{name}`"),
        ))
        .into_response(),
    }
}
