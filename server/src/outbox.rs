//! The delivery worker: sends queued notifications by email (SMTP) and to webhooks,
//! retrying with backoff. Its state is the `deliveries` table, so it survives restarts,
//! and claims are leases, so several replicas never send the same delivery twice.

use app::clock::SharedClock;
use app::db::Db;
use app::notify::model::{backoff, Channel, MAX_ATTEMPTS};
use app::notify::repo::{self, ClaimedDelivery};
use lettre::message::{header::ContentType, Mailbox};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

/// How long a claim lasts; longer than the slowest attempt (timeouts are 10 s).
const LEASE: Duration = Duration::from_secs(60);
/// Deliveries attempted per pass.
const BATCH: i64 = 20;
/// Even with nothing due, look again this often (another replica may have queued work).
const IDLE_POLL: Duration = Duration::from_secs(30);
const SEND_TIMEOUT: Duration = Duration::from_secs(10);

/// Everything the worker needs.
pub struct Outbox {
    pub db: Db,
    pub clock: SharedClock,
    pub wake: Arc<Notify>,
    pub mailer: Option<Mailer>,
    pub http: reqwest::Client,
    /// Wait after the first failure; doubles after each further one.
    pub retry_base: Duration,
    /// Tells the incident's live viewers how each attempt went.
    pub live: app::live::hub::Hub,
}

/// An SMTP connection setting and the sender address.
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl Mailer {
    /// `url` as lettre reads it: `smtp://host:port` (plain), `smtp://host?tls=required`
    /// (STARTTLS) or `smtps://host` (TLS).
    pub fn new(url: &str, from: &str) -> anyhow::Result<Self> {
        use anyhow::Context;
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .with_context(|| format!("bad SMTP URL {url:?}"))?
            .timeout(Some(SEND_TIMEOUT))
            .build();
        let from = from
            .parse()
            .with_context(|| format!("bad sender address {from:?}"))?;
        Ok(Mailer { transport, from })
    }
}

impl Outbox {
    /// Runs until `shutdown` resolves: deliver what is due, then sleep until the next
    /// delivery falls due or new work is queued.
    pub async fn run(self, shutdown: impl std::future::Future<Output = ()>) {
        tokio::pin!(shutdown);
        loop {
            let wait = match self.pass().await {
                Ok(wait) => wait,
                Err(err) => {
                    tracing::warn!("delivery pass failed: {err}");
                    Duration::from_secs(5)
                }
            };
            tokio::select! {
                () = &mut shutdown => return,
                () = self.wake.notified() => {},
                () = tokio::time::sleep(wait) => {},
            }
        }
    }

    /// Delivers everything due now; returns how long to wait before the next pass.
    async fn pass(&self) -> Result<Duration, sqlx::Error> {
        loop {
            let now = self.clock.now();
            let lease_until = now + chrono::Duration::from_std(LEASE).unwrap_or_default();
            let claimed = repo::claim_due(self.db.pool(), now, lease_until, BATCH).await?;
            if claimed.is_empty() {
                break;
            }
            for delivery in claimed {
                self.attempt(delivery).await?;
            }
        }
        let next = repo::next_due(self.db.pool()).await?;
        let now = self.clock.now();
        Ok(match next {
            Some(at) if at > now => (at - now).to_std().unwrap_or(IDLE_POLL).min(IDLE_POLL),
            Some(_) => Duration::ZERO,
            None => IDLE_POLL,
        })
    }

    async fn attempt(&self, delivery: ClaimedDelivery) -> Result<(), sqlx::Error> {
        let result = match delivery.channel {
            Channel::Email => self.send_email(&delivery).await,
            Channel::Webhook => self.post_webhook(&delivery).await,
        };
        let now = self.clock.now();
        let incident = delivery.incident;
        let recorded = match result {
            Ok(()) => {
                tracing::info!(delivery = delivery.id, channel = delivery.channel.as_str(), target = %delivery.target, "delivered");
                repo::mark_delivered(self.db.pool(), delivery.id, now).await
            }
            Err(error) => {
                let retry_at = (delivery.attempt < MAX_ATTEMPTS).then(|| {
                    now + chrono::Duration::from_std(backoff(delivery.attempt, self.retry_base))
                        .unwrap_or_default()
                });
                tracing::warn!(
                    delivery = delivery.id,
                    attempt = delivery.attempt,
                    channel = delivery.channel.as_str(),
                    target = %delivery.target,
                    retry = retry_at.is_some(),
                    "delivery failed: {error}"
                );
                repo::mark_failed_attempt(self.db.pool(), delivery.id, &error, retry_at).await
            }
        };
        if recorded.is_ok() {
            self.live.notifications_changed(incident).await;
        }
        recorded
    }

    async fn send_email(&self, delivery: &ClaimedDelivery) -> Result<(), String> {
        let mailer = self
            .mailer
            .as_ref()
            .ok_or("no SMTP server configured (--smtp-url)")?;
        let to: Mailbox = delivery
            .target
            .parse()
            .map_err(|e| format!("bad address: {e}"))?;
        let (subject, _) = delivery
            .message
            .split_once('\n')
            .unwrap_or((&delivery.message, ""));
        let email = Message::builder()
            .from(mailer.from.clone())
            .to(to)
            .subject(subject)
            .header(ContentType::TEXT_PLAIN)
            .body(delivery.message.clone())
            .map_err(|e| format!("cannot build the email: {e}"))?;
        mailer
            .transport
            .send(email)
            .await
            .map(|_| ())
            .map_err(|e| format!("SMTP: {e}"))
    }

    async fn post_webhook(&self, delivery: &ClaimedDelivery) -> Result<(), String> {
        // Slack-compatible incoming webhook: a JSON object with `text`.
        let response = self
            .http
            .post(&delivery.target)
            .json(&serde_json::json!({ "text": delivery.message }))
            .timeout(SEND_TIMEOUT)
            .send()
            .await
            .map_err(|e| format!("webhook: {e}"))?;
        if response.status().is_success() {
            Ok(())
        } else {
            Err(format!("webhook answered {}", response.status()))
        }
    }
}
