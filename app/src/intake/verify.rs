//! Is a delivery from the integration's source? Each vendor's own way, compared in
//! constant time: PagerDuty's `X-PagerDuty-Signature` (`v1=` HMAC-SHA256 of the body,
//! several during a secret's rotation), Grafana's `X-Grafana-Alerting-Signature`
//! (HMAC-SHA256 of the body, or of `timestamp:body` with `X-Grafana-Alerting-Timestamp`, which
//! must be recent), and otherwise the secret as a bearer token (or `X-Sitrep-Token`).
//! PagerDuty's signature carries no time, but the signed body does: an event that
//! happened too long ago is refused as a replay.

use super::model::SourceKind;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use subtle::ConstantTimeEq;

/// The headers verification reads, lower-cased names.
pub trait Headers {
    fn header(&self, name: &str) -> Option<&str>;
}

/// How old a timestamped Grafana signature may be (replays beyond are refused).
pub const MAX_SIGNATURE_AGE_SECS: i64 = 5 * 60;
/// How long ago a signed PagerDuty event (`event.occurred_at`) may have happened:
/// long enough for PagerDuty's own retries of a failed delivery, short enough that a
/// captured delivery cannot be replayed later.
pub const MAX_EVENT_AGE_SECS: i64 = 60 * 60;

/// Why a delivery was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    Missing(&'static str),
    Wrong,
    Stale,
    /// A signed event that happened too long ago to be a delivery, not a replay.
    OldEvent,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::Missing(what) => write!(f, "no {what} on the request"),
            Refusal::Wrong => f.write_str("the signature or token does not match"),
            Refusal::Stale => write!(
                f,
                "the signature's timestamp is more than {} minutes old (a replay?)",
                MAX_SIGNATURE_AGE_SECS / 60
            ),
            Refusal::OldEvent => write!(
                f,
                "the event's occurred_at is more than {} minutes old (a replay?)",
                MAX_EVENT_AGE_SECS / 60
            ),
        }
    }
}

fn hmac_sha256(secret: &str, parts: &[&[u8]]) -> Vec<u8> {
    let mut mac =
        Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key");
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().to_vec()
}

fn same(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

fn hex_matches(given: &str, expected: &[u8]) -> bool {
    hex::decode(given.trim()).is_ok_and(|given| same(&given, expected))
}

pub fn verify(
    kind: SourceKind,
    secret: &str,
    headers: &impl Headers,
    body: &[u8],
    now: DateTime<Utc>,
) -> Result<(), Refusal> {
    match kind {
        SourceKind::Pagerduty => {
            let header = headers
                .header("x-pagerduty-signature")
                .ok_or(Refusal::Missing("X-PagerDuty-Signature header"))?;
            let expected = hmac_sha256(secret, &[body]);
            let any = header
                .split(',')
                .filter_map(|s| s.trim().strip_prefix("v1="))
                .any(|given| hex_matches(given, &expected));
            any.then_some(()).ok_or(Refusal::Wrong)
        }
        SourceKind::Grafana if headers.header("x-grafana-alerting-signature").is_some() => {
            let given = headers.header("x-grafana-alerting-signature").unwrap_or("");
            let expected = match headers.header("x-grafana-alerting-timestamp") {
                Some(stamp) => {
                    let secs: i64 = stamp.trim().parse().map_err(|_| Refusal::Wrong)?;
                    if (now.timestamp() - secs).abs() > MAX_SIGNATURE_AGE_SECS {
                        return Err(Refusal::Stale);
                    }
                    hmac_sha256(secret, &[stamp.trim().as_bytes(), b":", body])
                }
                None => hmac_sha256(secret, &[body]),
            };
            hex_matches(given, &expected)
                .then_some(())
                .ok_or(Refusal::Wrong)
        }
        _ => {
            let token = headers
                .header("authorization")
                .and_then(|h| {
                    h.strip_prefix("Bearer ")
                        .or_else(|| h.strip_prefix("bearer "))
                })
                .or_else(|| headers.header("x-sitrep-token"))
                .ok_or(Refusal::Missing("Authorization: Bearer token"))?;
            same(token.trim().as_bytes(), secret.as_bytes())
                .then_some(())
                .ok_or(Refusal::Wrong)
        }
    }
}

/// Refuses a verified delivery whose signed body says its event happened too long
/// ago (PagerDuty's `event.occurred_at`); formats without an event time pass.
pub fn check_fresh(
    kind: SourceKind,
    body: &serde_json::Value,
    now: DateTime<Utc>,
) -> Result<(), Refusal> {
    if kind != SourceKind::Pagerduty {
        return Ok(());
    }
    let occurred = body
        .pointer("/event/occurred_at")
        .and_then(serde_json::Value::as_str)
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok());
    match occurred {
        Some(at) if (now - at.with_timezone(&Utc)).num_seconds() > MAX_EVENT_AGE_SECS => {
            Err(Refusal::OldEvent)
        }
        // Without a readable time the parser names the problem.
        _ => Ok(()),
    }
}

/// What a source would send as its signature header for `body` (tests and the
/// integration page's example `curl`).
pub fn pagerduty_signature(secret: &str, body: &[u8]) -> String {
    format!("v1={}", hex::encode(hmac_sha256(secret, &[body])))
}

pub fn grafana_signature(secret: &str, timestamp: Option<i64>, body: &[u8]) -> String {
    let signed = match timestamp {
        Some(ts) => hmac_sha256(secret, &[ts.to_string().as_bytes(), b":", body]),
        None => hmac_sha256(secret, &[body]),
    };
    hex::encode(signed)
}
