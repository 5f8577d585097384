//! Server functions for notifications.

use super::model::IncidentNotifications;
use crate::error::AppError;
use leptos::prelude::*;

/// Who was told about an incident and how the deliveries went.
#[server(prefix = "/api/fn", endpoint = "get_notifications")]
pub async fn get_notifications(key: String) -> Result<IncidentNotifications, AppError> {
    use crate::incidents::model::IncidentId;
    let state = crate::state::AppState::from_context()?;
    let id = IncidentId::from_key(&key).ok_or_else(|| AppError::NotFound(key.clone()))?;
    super::service::incident_notifications(&state, id).await
}
