//! The review of a post-mortem: a writer sends it to named reviewers, each approves
//! the newest version (or comments), and once all have approved it is published —
//! read-only until reopened for a new version. Every step but a comment is an entry
//! on the incident's timeline, written in the same transaction.

use super::model::{
    PostMortem, Review, ReviewComment, ReviewInput, ReviewMove, ReviewState, Reviewer,
};
use super::repo;
use crate::error::{AppError, Invalid};
use crate::identity::model::{Action, User};
use crate::incidents::model::IncidentId;
use crate::incidents::service::{append_entry, lock};
use crate::state::AppState;
use crate::timeline::model::{EntryKind, NewEntry, PostMortemStep};
use sqlx::{Any, Executor};

/// Longest review comment, in bytes.
const MAX_COMMENT_BYTES: usize = 10 * 1024;

/// The review as readers see it, judged against the newest `version`.
pub async fn read(
    ex: impl Executor<'_, Database = Any> + Copy,
    id: IncidentId,
    version: i64,
) -> Result<Review, sqlx::Error> {
    let (state, published_version) = repo::review_state(ex, id)
        .await?
        .unwrap_or((ReviewState::Draft, None));
    let reviewers = repo::reviewers(ex, id)
        .await?
        .into_iter()
        .map(|(_, email, name, approved_version)| Reviewer {
            email,
            name,
            approved: approved_version == Some(version),
            approved_version,
        })
        .collect();
    Ok(Review {
        state,
        reviewers,
        comments: repo::comments(ex, id).await?,
        published_version,
    })
}

/// Refuses a change to the text of a published post-mortem.
pub async fn require_unpublished(
    ex: impl Executor<'_, Database = Any>,
    id: IncidentId,
) -> Result<(), AppError> {
    if let Some((ReviewState::Published, Some(version))) = repo::review_state(ex, id).await? {
        return Err(AppError::Conflict(format!(
            "Version {version} is published and read-only: reopen it to write a new version"
        )));
    }
    Ok(())
}

/// Takes one review step as `by`.
pub async fn take(
    state: &AppState,
    id: IncidentId,
    input: &ReviewInput,
    by: &User,
) -> Result<PostMortem, AppError> {
    let now = state.now();
    let mut tx = state.db.begin_write().await?;
    lock(&mut tx, id).await?;
    let latest = repo::latest(&mut *tx, id).await?.ok_or_else(|| {
        AppError::NotFound(format!(
            "a post-mortem of {} (generate one first)",
            id.key()
        ))
    })?;
    let version = latest.summary.version;
    let (current, published) = repo::review_state(&mut *tx, id)
        .await?
        .unwrap_or((ReviewState::Draft, None));
    let reviewers = repo::reviewers(&mut *tx, id).await?;
    let comment = input
        .comment
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty());
    if comment.is_some_and(|c| c.len() > MAX_COMMENT_BYTES) {
        return Err(invalid(
            "comment",
            format!("Too long: at most {} KB", MAX_COMMENT_BYTES / 1024),
            input,
        ));
    }
    let wrong_state = |wanted: &str| {
        AppError::Conflict(format!(
            "The post-mortem is {}: it can be {} only when {wanted}",
            current.label().to_lowercase(),
            match input.action {
                ReviewMove::RequestReview => "sent for review",
                ReviewMove::Approve => "approved",
                ReviewMove::Comment => "commented on",
                ReviewMove::Publish => "published",
                ReviewMove::Reopen => "reopened",
            }
        ))
    };
    let (step, text) = match (input.action, current) {
        (ReviewMove::RequestReview, ReviewState::Draft) => {
            crate::identity::service::require(by, Action::WritePostMortem)?;
            let named = named_reviewers(&mut tx, input, by).await?;
            let ids: Vec<i64> = named.iter().map(|u| u.id.0).collect();
            repo::replace_reviewers(&mut tx, id, &ids).await?;
            repo::set_review_state(&mut tx, id, ReviewState::InReview, None, now).await?;
            let names: Vec<&str> = named.iter().map(|u| u.display_name.as_str()).collect();
            (
                Some(PostMortemStep::SentForReview),
                format!(
                    "Post-mortem version {version} sent for review to {}",
                    names.join(", ")
                ),
            )
        }
        (ReviewMove::RequestReview, _) => return Err(wrong_state("a draft")),
        (ReviewMove::Approve | ReviewMove::Comment, ReviewState::InReview) => {
            if !reviewers.iter().any(|(user, ..)| *user == by.id.0) {
                return Err(AppError::Forbidden(format!(
                    "Only the named reviewers approve or comment on the post-mortem of {}",
                    id.key()
                )));
            }
            if input.action == ReviewMove::Comment && comment.is_none() {
                return Err(invalid("comment", "Write the comment (it is empty)", input));
            }
            if let Some(body) = comment {
                let comment = ReviewComment {
                    version,
                    author: by.display_name.clone(),
                    body: body.to_owned(),
                    created_at: now,
                };
                repo::insert_comment(&mut tx, id, &comment).await?;
            }
            if input.action == ReviewMove::Approve {
                repo::approve(&mut tx, id, by.id.0, version, now).await?;
                let said = comment.map(|c| format!(": {c}")).unwrap_or_default();
                (
                    Some(PostMortemStep::Approved),
                    format!(
                        "Post-mortem version {version} approved by {}{said}",
                        by.display_name
                    ),
                )
            } else {
                (None, String::new())
            }
        }
        (ReviewMove::Approve | ReviewMove::Comment, _) => return Err(wrong_state("in review")),
        (ReviewMove::Publish, ReviewState::InReview) => {
            crate::identity::service::require(by, Action::WritePostMortem)?;
            let waiting: Vec<&str> = reviewers
                .iter()
                .filter(|(.., approved)| *approved != Some(version))
                .map(|(_, _, name, _)| name.as_str())
                .collect();
            if !waiting.is_empty() {
                return Err(AppError::Conflict(format!(
                    "Version {version} is not approved by {} yet: it is published once every reviewer approved it",
                    waiting.join(", ")
                )));
            }
            repo::set_review_state(&mut tx, id, ReviewState::Published, Some(version), now).await?;
            (
                Some(PostMortemStep::Published),
                format!("Post-mortem version {version} published"),
            )
        }
        (ReviewMove::Publish, _) => return Err(wrong_state("in review")),
        (ReviewMove::Reopen, ReviewState::Published) => {
            crate::identity::service::require(by, Action::WritePostMortem)?;
            repo::set_review_state(&mut tx, id, ReviewState::Draft, None, now).await?;
            let was = published.unwrap_or(version);
            (
                Some(PostMortemStep::Reopened),
                format!(
                    "Post-mortem reopened after version {was} was published, for a new version"
                ),
            )
        }
        (ReviewMove::Reopen, _) => return Err(wrong_state("published")),
    };
    if let Some(step) = step {
        let entry = NewEntry {
            kind: EntryKind::PostMortem { step, version },
            author: by.display_name.clone(),
            body: text.clone(),
            occurred_at: None,
            customer_visible: false,
            idempotency_key: None,
        };
        let html = crate::markdown::to_safe_html(&text);
        append_entry(&mut tx, id, entry, html, now).await?;
    }
    tx.commit().await?;
    state.live.notify(id);
    super::service::current(state, id)
        .await?
        .ok_or_else(|| AppError::internal("post-mortem review", "document not found"))
}

/// The people named in a review request: known, able to review, not the requester.
async fn named_reviewers(
    conn: &mut sqlx::AnyConnection,
    input: &ReviewInput,
    by: &User,
) -> Result<Vec<User>, AppError> {
    let mut problems = Vec::new();
    let mut named: Vec<User> = Vec::new();
    for email in input
        .reviewers
        .iter()
        .map(|e| e.trim())
        .filter(|e| !e.is_empty())
    {
        match crate::identity::repo::find_login(&mut *conn, email).await? {
            None => problems.push(format!("nobody signs in as {email}")),
            Some((user, _)) if user.id == by.id => {
                problems.push("name someone other than yourself".to_owned())
            }
            Some((user, _)) if !user.role.permits(Action::ReviewPostMortem) => problems.push(
                format!("{} is a {} and cannot review", user.display_name, user.role),
            ),
            Some((user, _)) => {
                if !named.iter().any(|u| u.id == user.id) {
                    named.push(user);
                }
            }
        }
    }
    if named.is_empty() && problems.is_empty() {
        problems.push("name at least one reviewer".to_owned());
    }
    if !problems.is_empty() {
        let sentence = problems.join("; ");
        let mut chars = sentence.chars();
        let capitalised: String = chars
            .next()
            .map(|first| first.to_uppercase().chain(chars).collect())
            .unwrap_or_default();
        return Err(invalid("reviewers", capitalised, input));
    }
    Ok(named)
}

fn invalid(field: &str, message: impl Into<String>, input: &ReviewInput) -> AppError {
    let mut invalid = Invalid::default();
    invalid.add(field, message);
    invalid.echo("reviewers", &input.reviewers.join(", "));
    if let Some(comment) = &input.comment {
        invalid.echo("comment", comment);
    }
    AppError::Invalid(invalid)
}
