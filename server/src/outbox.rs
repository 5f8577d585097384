//! The delivery worker: sends queued notifications and customer messages by email
//! (SMTP) and to webhooks, retrying with backoff. Its state is the delivery tables,
//! so it survives restarts; claims are leases, so several replicas never send the
//! same delivery at once; and each delivery carries its idempotency key (email
//! Message-ID, webhook header), so a redelivery after a crash can be dropped.

use app::clock::SharedClock;
use app::comms::repo::DeliveryContent;
use app::db::Db;
use app::incidents::model::IncidentId;
use app::notify::model::{backoff, Channel, MAX_ATTEMPTS};
use app::notify::repo::{self, ClaimedDelivery, Queue};
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

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
    /// How long a claim lasts; longer than the slowest attempt (timeouts are 10 s).
    pub lease: Duration,
    /// Tells the incident's live viewers how each attempt went.
    pub live: app::live::hub::Hub,
    /// This server's address, for the war-room links in team channels' messages.
    pub public_url: String,
    /// Counts failed attempts.
    pub metrics: crate::metrics::Metrics,
}

/// What some emails carry besides their text.
#[derive(Default, Clone, Copy)]
struct Email<'a> {
    /// Becomes the Message-ID, so a redelivery after a crash can be dropped.
    idempotency_key: Option<&'a str>,
    /// A subscriber's one-click unsubscribe link.
    unsubscribe_url: Option<&'a str>,
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
        let mut next: Option<chrono::DateTime<chrono::Utc>> = None;
        for queue in Queue::ALL {
            loop {
                let now = self.clock.now();
                let lease_until = now + chrono::Duration::from_std(self.lease).unwrap_or_default();
                let claimed =
                    repo::claim_due(self.db.pool(), queue, now, lease_until, BATCH).await?;
                if claimed.is_empty() {
                    break;
                }
                for delivery in claimed {
                    self.attempt(delivery).await?;
                }
            }
            if let Some(at) = repo::next_due(self.db.pool(), queue).await? {
                next = Some(next.map_or(at, |n| n.min(at)));
            }
        }
        let now = self.clock.now();
        Ok(match next {
            Some(at) if at > now => (at - now).to_std().unwrap_or(IDLE_POLL).min(IDLE_POLL),
            Some(_) => Duration::ZERO,
            None => IDLE_POLL,
        })
    }

    async fn attempt(&self, delivery: ClaimedDelivery) -> Result<(), sqlx::Error> {
        // The incident whose live viewers hear how it went (status emails have none).
        let (incident, result) = match delivery.queue {
            Queue::Notifications => {
                let Some((incident, message)) =
                    repo::notification_content(self.db.pool(), delivery.id).await?
                else {
                    return Ok(());
                };
                // Stable per delivery: what a crashed replica sent before it could
                // mark it delivered goes out again with the same key.
                let key = format!("notification-{}", delivery.id);
                let result = match delivery.channel {
                    Channel::Email => {
                        let (subject, _) = message.split_once('\n').unwrap_or((&message, ""));
                        let extra = Email {
                            idempotency_key: Some(&key),
                            unsubscribe_url: None,
                        };
                        self.send_email(&delivery.target, subject, &message, extra)
                            .await
                    }
                    Channel::Webhook => {
                        let body = self.slack_message(incident, &message).await?;
                        self.post_webhook(&delivery.target, body, &[("Idempotency-Key", key)])
                            .await
                    }
                };
                (Some(incident), result)
            }
            Queue::CustomerMessages => {
                let Some(content) =
                    app::comms::repo::delivery_content(self.db.pool(), delivery.id).await?
                else {
                    return Ok(());
                };
                (
                    Some(content.incident),
                    self.send_customer_message(&delivery, &content).await,
                )
            }
            Queue::StatusEmails => {
                let Some(email) =
                    app::statuspage::repo::status_email(self.db.pool(), delivery.id).await?
                else {
                    return Ok(());
                };
                let extra = Email {
                    idempotency_key: Some(&email.idempotency_key),
                    unsubscribe_url: email.unsubscribe_url.as_deref(),
                };
                let result = self
                    .send_email(&delivery.target, &email.subject, &email.body, extra)
                    .await;
                (None, result)
            }
        };
        let now = self.clock.now();
        let pool = self.db.pool();
        let recorded = match result {
            Ok(()) => {
                tracing::info!(delivery = delivery.id, queue = ?delivery.queue, channel = delivery.channel.as_str(), target = %delivery.target, "delivered");
                repo::mark_delivered(pool, delivery.queue, delivery.id, now).await
            }
            Err(error) => {
                self.metrics.delivery_failed(delivery.queue);
                let retry_at = (delivery.attempt < MAX_ATTEMPTS).then(|| {
                    now + chrono::Duration::from_std(backoff(delivery.attempt, self.retry_base))
                        .unwrap_or_default()
                });
                tracing::warn!(
                    delivery = delivery.id,
                    queue = ?delivery.queue,
                    attempt = delivery.attempt,
                    channel = delivery.channel.as_str(),
                    target = %delivery.target,
                    retry = retry_at.is_some(),
                    "delivery failed: {error}"
                );
                repo::mark_failed_attempt(pool, delivery.queue, delivery.id, &error, retry_at).await
            }
        };
        if let (Ok(()), Some(incident)) = (&recorded, incident) {
            self.live.notifications_changed(incident).await;
        }
        recorded
    }

    /// A team channel's message, drawn with the incident as it stands now.
    async fn slack_message(
        &self,
        incident: IncidentId,
        message: &str,
    ) -> Result<String, sqlx::Error> {
        let mut conn = self.db.pool().acquire().await?;
        let body = match app::incidents::repo::find(&mut conn, incident).await? {
            Some(shown) => {
                let link = app::notify::service::war_room_link(&self.public_url, &shown);
                app::notify::slack::block_kit(&shown, message, &link)
            }
            None => serde_json::json!({ "text": message }),
        };
        Ok(body.to_string())
    }

    /// A customer message: plain-text email with its idempotency key as Message-ID,
    /// or a JSON webhook signed with the account's secret.
    async fn send_customer_message(
        &self,
        delivery: &ClaimedDelivery,
        content: &DeliveryContent,
    ) -> Result<(), String> {
        match delivery.channel {
            Channel::Email => {
                let extra = Email {
                    idempotency_key: Some(&content.idempotency_key),
                    unsubscribe_url: None,
                };
                self.send_email(&delivery.target, &content.subject, &content.body, extra)
                    .await
            }
            Channel::Webhook => {
                let secret = content
                    .webhook_secret
                    .as_deref()
                    .ok_or("the account has no webhook secret")?;
                let body = customer_webhook_body(content).to_string();
                let timestamp = self.clock.now().timestamp().to_string();
                let signature = sign_webhook(secret, &timestamp, &body)?;
                self.post_webhook(
                    &delivery.target,
                    body,
                    &[
                        ("Idempotency-Key", content.idempotency_key.clone()),
                        ("X-Sitrep-Timestamp", timestamp),
                        ("X-Sitrep-Signature", format!("v1={signature}")),
                    ],
                )
                .await
            }
        }
    }

    async fn send_email(
        &self,
        to: &str,
        subject: &str,
        body: &str,
        extra: Email<'_>,
    ) -> Result<(), String> {
        let mailer = self
            .mailer
            .as_ref()
            .ok_or("no SMTP server configured (--smtp-url)")?;
        let to: Mailbox = to.parse().map_err(|e| format!("bad address: {e}"))?;
        let mut email = Message::builder()
            .from(mailer.from.clone())
            .to(to)
            .subject(subject)
            // The same message to the same person always has the same id.
            .message_id(extra.idempotency_key.map(|key| format!("<{key}@sitrep>")))
            .header(ContentType::TEXT_PLAIN);
        if let Some(url) = extra.unsubscribe_url {
            // RFC 2369 and RFC 8058: mail clients offer their own one-click button,
            // which POSTs to the link.
            email = email
                .raw_header(HeaderValue::new(
                    HeaderName::new_from_ascii_str("List-Unsubscribe"),
                    format!("<{url}>"),
                ))
                .raw_header(HeaderValue::new(
                    HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                    "List-Unsubscribe=One-Click".to_owned(),
                ));
        }
        let email = email
            .body(body.to_owned())
            .map_err(|e| format!("cannot build the email: {e}"))?;
        mailer
            .transport
            .send(email)
            .await
            .map(|_| ())
            .map_err(|e| format!("SMTP: {e}"))
    }

    async fn post_webhook(
        &self,
        url: &str,
        body: String,
        headers: &[(&str, String)],
    ) -> Result<(), String> {
        let mut request = self
            .http
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body)
            .timeout(SEND_TIMEOUT);
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        let response = request.send().await.map_err(|e| format!("webhook: {e}"))?;
        if response.status().is_success() {
            Ok(())
        } else {
            Err(format!("webhook answered {}", response.status()))
        }
    }
}

/// What a customer's webhook receives (documented in the README).
pub fn customer_webhook_body(content: &DeliveryContent) -> serde_json::Value {
    serde_json::json!({
        "type": "customer_message",
        "id": content.idempotency_key,
        "message": content.message,
        "incident": content.incident.key(),
        "account": content.account,
        "account_name": content.account_name,
        "status": content.customer_status,
        "subject": content.subject,
        "body": content.body,
        "short_text": content.short_text,
        "sent_at": content.sent_at,
        "corrects": content.retracts,
    })
}

/// HMAC-SHA256 of "<timestamp>.<body>" with the account's secret, hex: what the
/// `X-Sitrep-Signature: v1=<hex>` header carries.
pub fn sign_webhook(secret: &str, timestamp: &str, body: &str) -> Result<String, String> {
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes())
        .map_err(|e| format!("webhook secret: {e}"))?;
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    Ok(hex::encode(mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::sign_webhook;

    #[test]
    fn the_signature_is_hmac_sha256_of_timestamp_dot_body() {
        // Checked with: printf '1700000000.{"a":1}' | openssl dgst -sha256 -hmac whsec_test
        assert_eq!(
            sign_webhook("whsec_test", "1700000000", r#"{"a":1}"#).unwrap(),
            "38877139021993b830af32feea6e18a8da83eb2f6e49ee50bd9e4cf4ca4d3789"
        );
    }
}
