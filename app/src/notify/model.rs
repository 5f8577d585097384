//! Notification types shared by server and browser, and the retry schedule.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// How a notification travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Email,
    Webhook,
}

impl Channel {
    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Webhook => "webhook",
        }
    }
}

impl std::str::FromStr for Channel {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "email" => Ok(Channel::Email),
            "webhook" => Ok(Channel::Webhook),
            _ => Err(format!("unknown channel {s:?}")),
        }
    }
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Not sent yet, or being retried.
    Pending,
    Delivered,
    /// Out of attempts.
    Failed,
}

impl std::str::FromStr for DeliveryStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "pending" => Ok(DeliveryStatus::Pending),
            "delivered" => Ok(DeliveryStatus::Delivered),
            "failed" => Ok(DeliveryStatus::Failed),
            _ => Err(format!("unknown delivery status {s:?}")),
        }
    }
}

/// One delivery of a notification to one channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Delivery {
    pub channel: Channel,
    pub target: String,
    pub status: DeliveryStatus,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub delivered_at: Option<DateTime<Utc>>,
}

/// Someone told about an incident, why, and how it reached them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Notification {
    pub recipient: String,
    /// e.g. "lead, Payments" or "admin: checkout has no owner".
    pub reason: String,
    pub created_at: DateTime<Utc>,
    pub deliveries: Vec<Delivery>,
}

/// Who was notified about an incident, and what could not be routed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct IncidentNotifications {
    pub notifications: Vec<Notification>,
    /// Affected systems with no owning team lead: nobody specific was told.
    pub unowned_systems: Vec<String>,
}

/// Attempts before a delivery is given up.
pub const MAX_ATTEMPTS: i64 = 8;
/// The longest wait between two attempts.
pub const MAX_BACKOFF: Duration = Duration::from_secs(3600);

/// How long to wait after the `attempts`-th failed attempt: `base`, doubling each time.
pub fn backoff(attempts: i64, base: Duration) -> Duration {
    let exponent = u32::try_from(attempts.clamp(1, 30) - 1).unwrap_or(0);
    base.saturating_mul(2u32.saturating_pow(exponent))
        .min(MAX_BACKOFF)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        let base = Duration::from_secs(2);
        let waits: Vec<u64> = (1..=6).map(|n| backoff(n, base).as_secs()).collect();
        assert_eq!(waits, [2, 4, 8, 16, 32, 64]);
        assert_eq!(backoff(30, base), MAX_BACKOFF);
        assert_eq!(
            backoff(0, base),
            base,
            "defensive: never less than the base"
        );
    }
}
