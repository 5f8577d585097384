//! The customer-update scheduler: fires each schedule's due time once, across
//! restarts and replicas, by drafting the update for the comms owner. Its state is
//! the `comms_schedules` table; firing is a compare-and-set on the due time there.

use super::{repo, service};
use crate::error::AppError;
use crate::incidents::model::IncidentId;
use crate::state::AppState;
use chrono::{DateTime, Utc};
use std::future::Future;
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;

/// Even with nothing due, look again this often: another replica may have changed
/// a schedule this one did not hear of.
const IDLE_POLL: Duration = Duration::from_secs(30);

/// Fires every due schedule; returns how many fired here and the next due time.
pub async fn pass(state: &AppState) -> Result<(usize, Option<DateTime<Utc>>), AppError> {
    let mut fired = 0;
    for (id, due) in repo::due_schedules(state.db.pool(), state.now()).await? {
        if service::fire_due(state, id, due).await? {
            fired += 1;
        }
    }
    Ok((fired, repo::next_due(state.db.pool()).await?))
}

/// Re-derives the schedule of an incident that changed (impact, severity, status).
async fn sync(state: &AppState, id: IncidentId) {
    let synced = async {
        let incident = crate::incidents::service::get_incident(state, id).await?;
        service::ensure_schedule(state, &incident).await
    };
    if let Err(err) = synced.await {
        tracing::warn!(incident = %id.key(), "customer-update schedule not synced: {err}");
    }
}

/// Runs until `stop`: brings every schedule in line at start, then fires what is
/// due, sleeping on the server's clock until the next due time or a change.
pub async fn run(state: AppState, stop: impl Future<Output = ()>) {
    let mut changes = state.live.incident_changes();
    tokio::pin!(stop);
    match repo::incidents_to_schedule(state.db.pool()).await {
        Ok(ids) => {
            for id in ids {
                sync(&state, id).await;
            }
        }
        Err(err) => tracing::error!("customer-update scheduler cannot list incidents: {err}"),
    }
    loop {
        let next = match pass(&state).await {
            Ok((_, next)) => next,
            Err(err) => {
                tracing::warn!("customer-update pass failed: {err}");
                Some(state.now() + chrono::Duration::seconds(5))
            }
        };
        let due = async {
            match next {
                Some(at) => state.clock.sleep_until(at).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            () = &mut stop => return,
            () = due => {}
            () = state.comms_schedule.notified() => {}
            () = tokio::time::sleep(IDLE_POLL) => {}
            changed = changes.recv() => match changed {
                Ok(Some(id)) => sync(&state, id).await,
                Ok(None) | Err(RecvError::Lagged(_)) => {
                    if let Ok(ids) = repo::incidents_to_schedule(state.db.pool()).await {
                        for id in ids {
                            sync(&state, id).await;
                        }
                    }
                }
                Err(RecvError::Closed) => return,
            },
        }
    }
}
