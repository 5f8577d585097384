//! Drafts the post-mortem when an incident is resolved: it listens to the hub's
//! notices of changed incidents (from every replica) and drafts for each resolved
//! incident that has no post-mortem yet.

use crate::incidents::model::IncidentId;
use crate::state::AppState;
use std::future::Future;
use tokio::sync::broadcast::error::RecvError;

async fn consider(state: &AppState, id: IncidentId) {
    match super::service::draft_at_resolution(state, id).await {
        Ok(Some(_)) => tracing::info!(incident = %id.key(), "post-mortem drafted at resolution"),
        Ok(None) => {}
        Err(err) => tracing::warn!(incident = %id.key(), "post-mortem not drafted: {err}"),
    }
}

/// Runs until `stop`.
pub async fn run(state: AppState, stop: impl Future<Output = ()>) {
    let mut changes = state.live.incident_changes();
    tokio::pin!(stop);
    loop {
        tokio::select! {
            () = &mut stop => return,
            changed = changes.recv() => match changed {
                Ok(Some(id)) => consider(&state, id).await,
                // Missed notices: the next change of those incidents drafts them,
                // and anyone can generate one from the page.
                Ok(None) | Err(RecvError::Lagged(_)) => {}
                Err(RecvError::Closed) => return,
            },
        }
    }
}
