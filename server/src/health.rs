//! Liveness and readiness probes for load balancers and orchestrators.

use app::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
}

/// The process is up.
async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// How long the database may take to answer the probe. Less than a pool acquire
/// (5 s): an orchestrator's probe gives up after a second or a few.
const PING_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

/// The process can serve: its database answers.
async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    let database = state.db.backend().name();
    let ping = tokio::time::timeout(PING_TIMEOUT, state.db.ping())
        .await
        .unwrap_or(Err(sqlx::Error::PoolTimedOut));
    match ping {
        Ok(()) => (
            StatusCode::OK,
            Json(json!({ "status": "ready", "database": database })),
        ),
        Err(err) => {
            tracing::warn!("readiness check failed: {err}");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(
                    json!({ "status": "unavailable", "database": database, "error": "database unreachable" }),
                ),
            )
        }
    }
}
