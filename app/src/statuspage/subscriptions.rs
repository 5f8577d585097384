//! Email subscribers of a status page: sign-up with double opt-in (nothing is sent
//! but the confirmation until its link is followed), one-click unsubscribe, and the
//! fan-out that queues an email per subscriber for each message their page shows.
//! The fan-out runs on every replica; each email's idempotency key names what it
//! tells whom, so a message is queued once per subscriber however many run it.

use super::model::MaintenanceState;
use super::render::when;
use super::repo::{self, NewStatusEmail, Told, Unmailed};
use super::service::Reader;
use crate::catalog::model::check_email;
use crate::error::{AppError, Invalid};
use crate::identity::secrets::{new_secret, secret_hash};
use crate::state::AppState;
use std::future::Future;
use std::time::Duration;

/// A second sign-up for the same address sends a new confirmation only after this
/// long, so the form cannot be used to flood someone's inbox.
pub const RESEND_AFTER: chrono::Duration = chrono::Duration::minutes(10);
/// How far back the fan-out looks for messages not mailed yet.
const FAN_OUT_WINDOW: chrono::Duration = chrono::Duration::days(2);
/// Emails queued per query; the fan-out repeats until none are left.
const FAN_OUT_BATCH: i64 = 500;
/// How often the fan-out looks for local changes, and the longest it waits
/// between two passes (another replica may have sent something).
const CHANGE_POLL: Duration = Duration::from_secs(1);
const IDLE_PASS: Duration = Duration::from_secs(15);

fn base(state: &AppState) -> &str {
    state.public_url.trim_end_matches('/')
}

fn confirm_url(state: &AppState, token: &str) -> String {
    format!("{}/status/subscriptions/confirm?token={token}", base(state))
}

pub fn unsubscribe_url(state: &AppState, token: &str) -> String {
    format!(
        "{}/status/subscriptions/unsubscribe?token={token}",
        base(state)
    )
}

/// The page's title as its emails name it ("Acme status", "Acme status for Globex").
async fn page_title(state: &AppState, page_key: i64) -> Result<String, AppError> {
    let name = repo::page_name(state.db.pool()).await?;
    Ok(match repo::account_name(state.db.pool(), page_key).await? {
        Some(account) => format!("{name} for {account}"),
        None => name,
    })
}

/// Signs `email` up for the reader's page (`components`: slugs to follow, none
/// for everything) and mails the confirmation link. The answer is the same
/// whether or not the address was subscribed already, so the form tells nobody
/// who reads the page; a confirmed subscriber is left as they are.
pub async fn subscribe(
    state: &AppState,
    reader: &Reader,
    email: &str,
    components: &[String],
) -> Result<String, AppError> {
    let mut invalid = Invalid::default();
    invalid.echo("email", email);
    let email = check_email("email", email, &mut invalid).to_lowercase();
    let components = super::service::check_components(state, components, &mut invalid).await?;
    if !invalid.fields.is_empty() {
        return Err(AppError::Invalid(invalid));
    }
    let now = state.now();
    let page_key = reader.key();
    let (confirm_token, confirm_hash) = new_secret("sc_");
    let mut tx = state.db.begin_write().await?;
    let id = match repo::find_subscriber(&mut *tx, page_key, &email).await? {
        Some(found) if found.confirmed || now - found.confirm_sent_at < RESEND_AFTER => {
            return Ok(email);
        }
        Some(found) => {
            repo::renew_confirmation(&mut *tx, found.id, &confirm_hash, now).await?;
            found.id
        }
        None => {
            let (unsubscribe_token, _) = new_secret("su_");
            repo::insert_subscriber(
                &mut *tx,
                page_key,
                &email,
                &confirm_hash,
                &unsubscribe_token,
                now,
            )
            .await?
        }
    };
    repo::set_subscriber_components(&mut tx, id, &components).await?;
    let title = page_title(state, page_key).await?;
    let following = if components.is_empty() {
        "everything on the page".to_owned()
    } else {
        components.join(", ")
    };
    let body = format!(
        "Someone (we hope you) asked for email updates from {title} about {following}.\n\n\
         Confirm the subscription by opening this link:\n{}\n\n\
         If that was not you, ignore this email: nothing more is sent unless the link is opened.\n",
        confirm_url(state, &confirm_token)
    );
    repo::queue_status_email(
        &mut *tx,
        &NewStatusEmail {
            subscriber: id,
            to: &email,
            subject: &format!("Confirm your subscription to {title}"),
            body: &body,
            unsubscribe_url: None,
            idempotency_key: &format!("sc-{id}-{}", now.timestamp_millis()),
        },
        now,
    )
    .await?;
    tx.commit().await?;
    state.outbox.notify_one();
    Ok(email)
}

/// Follows a confirmation link: the subscriber's page title, or `None` for a link
/// that is not (or no longer) one. Following it twice is fine.
pub async fn confirm(state: &AppState, token: &str) -> Result<Option<String>, AppError> {
    if token.len() > 128 {
        return Ok(None);
    }
    let mut tx = state.db.begin_write().await?;
    let page = repo::confirm_subscriber(&mut *tx, &secret_hash(token), state.now()).await?;
    tx.commit().await?;
    match page {
        Some(page_key) => Ok(Some(page_title(state, page_key).await?)),
        None => Ok(None),
    }
}

/// Follows an unsubscribe link: the address is forgotten and nothing more is sent
/// to it. The page title, or `None` for a link that is not (or no longer) one.
pub async fn unsubscribe(state: &AppState, token: &str) -> Result<Option<String>, AppError> {
    if token.len() > 128 {
        return Ok(None);
    }
    let mut tx = state.db.begin_write().await?;
    let page = repo::delete_subscriber(&mut tx, token).await?;
    tx.commit().await?;
    match page {
        Some(page_key) => Ok(Some(page_title(state, page_key).await?)),
        None => Ok(None),
    }
}

/// The subject and body of what `unmailed` tells its subscriber.
fn compose(state: &AppState, title: &str, unmailed: &Unmailed) -> (String, String) {
    let (subject, mut body) = match &unmailed.told {
        Told::Message { subject } => (format!("{title}: {subject}"), unmailed.body.clone()),
        Told::Maintenance {
            title: work,
            state: stage,
            scheduled_for,
            scheduled_until,
        } => {
            let label = match stage {
                MaintenanceState::Scheduled => "Scheduled maintenance",
                MaintenanceState::InProgress => "Maintenance in progress",
                MaintenanceState::Completed => "Maintenance completed",
            };
            (
                format!("{title}: [{label}] {work}"),
                format!(
                    "{}\n\nScheduled from {} to {}.",
                    unmailed.body,
                    when(*scheduled_for),
                    when(*scheduled_until)
                ),
            )
        }
    };
    let page = if unmailed.page_key == repo::PUBLIC {
        format!("{title}: {}/status\n", base(state))
    } else {
        format!("{title}: the private link your account team gave you\n")
    };
    body.push_str(&format!(
        "\n\n-- \n{page}You receive this because you subscribed. Unsubscribe in one click:\n{}\n",
        unsubscribe_url(state, &unmailed.unsubscribe_token)
    ));
    (subject, body)
}

/// Queues an email for every (message, subscriber) not mailed yet; returns how
/// many were queued here.
pub async fn fan_out(state: &AppState) -> Result<usize, AppError> {
    let since = state.now() - FAN_OUT_WINDOW;
    let mut queued = 0;
    let mut titles: std::collections::HashMap<i64, String> = Default::default();
    loop {
        let pool = state.db.pool();
        let mut batch = repo::unmailed_messages(pool, since, FAN_OUT_BATCH).await?;
        batch.extend(repo::unmailed_maintenance(pool, since, FAN_OUT_BATCH).await?);
        if batch.is_empty() {
            break;
        }
        let now = state.now();
        let mut fresh = 0;
        for unmailed in &batch {
            let title = match titles.get(&unmailed.page_key) {
                Some(title) => title.clone(),
                None => {
                    let title = page_title(state, unmailed.page_key).await?;
                    titles.insert(unmailed.page_key, title.clone());
                    title
                }
            };
            let (subject, body) = compose(state, &title, unmailed);
            let unsubscribe = unsubscribe_url(state, &unmailed.unsubscribe_token);
            let key = format!("{}-{}", unmailed.source, unmailed.subscriber);
            let email = NewStatusEmail {
                subscriber: unmailed.subscriber,
                to: &unmailed.email,
                subject: &subject,
                body: &body,
                unsubscribe_url: Some(&unsubscribe),
                idempotency_key: &key,
            };
            if repo::queue_status_email(pool, &email, now).await? {
                fresh += 1;
            }
        }
        queued += fresh;
        if fresh == 0 {
            // Another replica queued this batch first; it is done there.
            break;
        }
    }
    if queued > 0 {
        state.outbox.notify_one();
    }
    Ok(queued)
}

/// Runs the fan-out until `stop`: soon after anything customers can see changes
/// here, and every few seconds for changes made on other replicas.
pub async fn run(state: AppState, stop: impl Future<Output = ()>) {
    tokio::pin!(stop);
    let mut seen = None;
    let mut last_pass = std::time::Instant::now();
    loop {
        let generation = state.customer_facing.generation();
        if seen != Some(generation) || last_pass.elapsed() >= IDLE_PASS {
            if let Err(err) = fan_out(&state).await {
                tracing::warn!("status page emails could not be queued: {err}");
            }
            seen = Some(generation);
            last_pass = std::time::Instant::now();
        }
        tokio::select! {
            () = &mut stop => return,
            () = tokio::time::sleep(CHANGE_POLL) => {}
        }
    }
}
