//! The REST API under `/api/v1`: JSON for integrations, the CLI and scripted checks.
//! Handlers are thin: parse, call the feature's service, map the result.

mod catalog;
mod error;
mod incidents;

use app::state::AppState;
use axum::Router;
pub use error::{ApiError, ApiJson, ApiQuery};

/// Every `/api/v1` route.
pub fn routes() -> Router<AppState> {
    Router::new().nest("/api/v1", incidents::routes().merge(catalog::routes()))
}
