//! Posts written while the server cannot be reached: kept in the browser (local
//! storage, per incident, so a reload loses nothing), shown as pending, and sent in
//! order once the page is live again. Each keeps the idempotency key it was first
//! sent with, so a post whose first attempt did reach the server is stored once.

use crate::incidents::api::{post_timeline_entry, PostTimelineEntry};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// One post waiting to be sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PendingPost {
    pub key: String,
    pub body: String,
    pub kind: Option<String>,
    pub outcome: Option<String>,
    pub root_cause: Option<String>,
    #[serde(default)]
    pub customer_visible: Option<String>,
    pub idempotency_key: String,
    /// Why the server refused it when it was finally sent (kept until discarded).
    pub refused: Option<String>,
}

impl PendingPost {
    pub fn of(post: PostTimelineEntry) -> Option<PendingPost> {
        Some(PendingPost {
            idempotency_key: post.idempotency_key?,
            key: post.key,
            body: post.body,
            kind: post.kind,
            outcome: post.outcome,
            root_cause: post.root_cause,
            customer_visible: post.customer_visible,
            refused: None,
        })
    }
}

/// The incident's pending posts.
#[derive(Clone, Copy)]
pub struct PendingPosts {
    incident: StoredValue<String>,
    pub list: RwSignal<Vec<PendingPost>>,
    sending: StoredValue<bool>,
}

impl PendingPosts {
    /// Those kept in this browser for `incident`.
    pub fn load(incident: &str) -> PendingPosts {
        let list = crate::ui::local_storage()
            .and_then(|s| s.get_item(&storage_key(incident)).ok().flatten())
            .and_then(|text| serde_json::from_str(&text).ok())
            .unwrap_or_default();
        PendingPosts {
            incident: StoredValue::new(incident.to_owned()),
            list: RwSignal::new(list),
            sending: StoredValue::new(false),
        }
    }

    pub fn add(self, post: PendingPost) {
        self.list.update(|list| list.push(post));
        self.save();
    }

    pub fn discard(self, idempotency_key: &str) {
        self.list
            .update(|list| list.retain(|p| p.idempotency_key != idempotency_key));
        self.save();
    }

    /// Sends what waits, oldest first; stops at the first that cannot reach the
    /// server (it stays, to try again when live). A refused one is marked and kept.
    pub fn send_all(self, on_posted: impl Fn() + 'static) {
        if self.sending.get_value()
            || self
                .list
                .with_untracked(|l| l.iter().all(|p| p.refused.is_some()))
        {
            return;
        }
        self.sending.set_value(true);
        leptos::task::spawn_local(async move {
            loop {
                let next = self
                    .list
                    .with_untracked(|l| l.iter().find(|p| p.refused.is_none()).cloned());
                let Some(post) = next else { break };
                let result = post_timeline_entry(
                    post.key.clone(),
                    post.body.clone(),
                    post.kind.clone(),
                    post.outcome.clone(),
                    post.root_cause.clone(),
                    Some(post.idempotency_key.clone()),
                    post.customer_visible.clone(),
                )
                .await;
                match result {
                    Ok(_) => {
                        self.discard(&post.idempotency_key);
                        on_posted();
                    }
                    Err(err) if err.is_retryable() => break,
                    Err(err) => {
                        self.list.update(|list| {
                            if let Some(p) = list
                                .iter_mut()
                                .find(|p| p.idempotency_key == post.idempotency_key)
                            {
                                p.refused = Some(err.to_string());
                            }
                        });
                        self.save();
                    }
                }
            }
            self.sending.set_value(false);
        });
    }

    fn save(self) {
        let key = storage_key(&self.incident.get_value());
        if let Some(storage) = crate::ui::local_storage() {
            let list = self.list.get_untracked();
            let _ = if list.is_empty() {
                storage.remove_item(&key)
            } else {
                storage.set_item(&key, &serde_json::to_string(&list).unwrap_or_default())
            };
        }
    }
}

fn storage_key(incident: &str) -> String {
    format!("sitrep.pending.{incident}")
}

/// A new idempotency key: 128 random bits, hex.
pub fn new_key() -> String {
    #[cfg(feature = "hydrate")]
    {
        let mut key = String::with_capacity(32);
        for _ in 0..4 {
            let word = (js_sys::Math::random() * f64::from(u32::MAX)) as u32;
            key.push_str(&format!("{word:08x}"));
        }
        key
    }
    #[cfg(not(feature = "hydrate"))]
    {
        #[cfg(feature = "ssr")]
        {
            uuid::Uuid::new_v4().simple().to_string()
        }
        #[cfg(not(feature = "ssr"))]
        {
            String::new()
        }
    }
}
