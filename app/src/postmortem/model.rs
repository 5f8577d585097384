//! A post-mortem as readers see it: its current version and the list of versions.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Where a version's text came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// Drawn from the timeline by the generator.
    Generated,
    /// Written by a person.
    Edited,
    /// One section drawn from the timeline again, the rest kept as it was.
    Regenerated,
}

impl Origin {
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::Generated => "generated",
            Origin::Edited => "edited",
            Origin::Regenerated => "regenerated",
        }
    }

    /// How the history says where a version came from.
    pub fn label(self) -> &'static str {
        match self {
            Origin::Generated => "generated from the timeline",
            Origin::Edited => "edited",
            Origin::Regenerated => "one section drawn again from the timeline",
        }
    }

    pub fn parse(text: &str) -> Option<Origin> {
        [Origin::Generated, Origin::Edited, Origin::Regenerated]
            .into_iter()
            .find(|o| o.as_str() == text)
    }
}

/// An incident's post-mortem: the newest version's text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PostMortem {
    /// The incident's key.
    pub incident: String,
    pub version: i64,
    /// Markdown.
    pub body: String,
    /// `body` rendered and sanitised on the server.
    pub body_html: String,
    pub origin: Origin,
    pub author: String,
    pub created_at: DateTime<Utc>,
    /// The timeline's newest seq when the text was last generated.
    pub generated_from_seq: i64,
    /// The team template the text is drawn with: `default`, `P1`, `P2` or `P3`.
    pub template: String,
    /// `template` was chosen for this incident rather than picked by its severity.
    pub template_chosen: bool,
    /// The timeline has entries (or corrections) newer than the generated text.
    pub timeline_changed: bool,
    /// The text's `## ` sections, in order.
    pub sections: Vec<SectionStatus>,
    /// Every version, newest first.
    pub versions: Vec<VersionSummary>,
    pub review: Review,
    /// The incident's follow-up actions, oldest first.
    pub followups: Vec<FollowUp>,
}

/// One `## ` section of the text: whether it came from the template (and so can be
/// drawn from the timeline again) and whether the timeline has changed what it
/// would say since.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SectionStatus {
    pub heading: String,
    /// The generated text has this section.
    pub generated: bool,
    /// Drawn again now, the section would say something else.
    pub timeline_changed: bool,
}

/// Draws one section from the timeline again, keeping the rest of `base_version`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SectionRegeneration {
    /// The section's heading, e.g. `What was tried`.
    pub section: String,
    pub base_version: i64,
}

/// One version in the history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct VersionSummary {
    pub version: i64,
    pub origin: Origin,
    pub author: String,
    pub created_at: DateTime<Utc>,
}

/// An edit: the whole new text, and the version it was made from (a save on top of
/// someone else's newer version is refused instead of overwriting it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PostMortemEdit {
    #[cfg_attr(feature = "ssr", schema(pattern = r"\S"))]
    pub body: String,
    pub base_version: i64,
}

/// Where a post-mortem stands: a draft, in review by named people, or published
/// (read-only until reopened for a new version).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ReviewState {
    Draft,
    InReview,
    Published,
}

impl ReviewState {
    pub fn as_str(self) -> &'static str {
        match self {
            ReviewState::Draft => "draft",
            ReviewState::InReview => "in_review",
            ReviewState::Published => "published",
        }
    }

    pub fn parse(text: &str) -> Option<ReviewState> {
        [
            ReviewState::Draft,
            ReviewState::InReview,
            ReviewState::Published,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }

    pub fn label(self) -> &'static str {
        match self {
            ReviewState::Draft => "Draft",
            ReviewState::InReview => "In review",
            ReviewState::Published => "Published",
        }
    }
}

/// The review: its state, who reviews, what they said.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Review {
    pub state: ReviewState,
    pub reviewers: Vec<Reviewer>,
    /// Oldest first.
    pub comments: Vec<ReviewComment>,
    pub published_version: Option<i64>,
}

/// A named reviewer and their approval, if any.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Reviewer {
    pub email: String,
    pub name: String,
    /// The version they approved (an approval of an older version no longer counts).
    pub approved_version: Option<i64>,
    /// They approved the newest version.
    pub approved: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ReviewComment {
    pub version: i64,
    pub author: String,
    pub body: String,
    pub created_at: DateTime<Utc>,
}

/// A move in the review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ReviewMove {
    /// Draft → in review, naming `reviewers` (writers).
    RequestReview,
    /// A named reviewer approves the newest version.
    Approve,
    /// A named reviewer comments (the state does not change).
    Comment,
    /// In review → published, once every reviewer approved the newest version (writers).
    Publish,
    /// Published → draft, to write a new version (writers).
    Reopen,
}

impl ReviewMove {
    pub fn parse(text: &str) -> Option<ReviewMove> {
        use ReviewMove::*;
        [RequestReview, Approve, Comment, Publish, Reopen]
            .into_iter()
            .find(|m| m.as_str() == text)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ReviewMove::RequestReview => "request_review",
            ReviewMove::Approve => "approve",
            ReviewMove::Comment => "comment",
            ReviewMove::Publish => "publish",
            ReviewMove::Reopen => "reopen",
        }
    }
}

/// A review move as sent: reviewers' emails for `request_review`, text for
/// `comment` (optional with `approve`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ReviewInput {
    #[serde(rename = "move")]
    pub action: ReviewMove,
    #[serde(default)]
    pub reviewers: Vec<String>,
    #[serde(default)]
    pub comment: Option<String>,
}

/// What a follow-up action is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum FollowUpKind {
    Mitigate,
    Prevent,
    Process,
    Other,
}

impl FollowUpKind {
    pub const ALL: [FollowUpKind; 4] = [
        FollowUpKind::Mitigate,
        FollowUpKind::Prevent,
        FollowUpKind::Process,
        FollowUpKind::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FollowUpKind::Mitigate => "mitigate",
            FollowUpKind::Prevent => "prevent",
            FollowUpKind::Process => "process",
            FollowUpKind::Other => "other",
        }
    }

    pub fn parse(text: &str) -> Option<FollowUpKind> {
        FollowUpKind::ALL.into_iter().find(|k| k.as_str() == text)
    }

    pub fn label(self) -> &'static str {
        match self {
            FollowUpKind::Mitigate => "Mitigate",
            FollowUpKind::Prevent => "Prevent",
            FollowUpKind::Process => "Process",
            FollowUpKind::Other => "Other",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum FollowUpStatus {
    Open,
    InProgress,
    Done,
    WontDo,
}

impl FollowUpStatus {
    pub const ALL: [FollowUpStatus; 4] = [
        FollowUpStatus::Open,
        FollowUpStatus::InProgress,
        FollowUpStatus::Done,
        FollowUpStatus::WontDo,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FollowUpStatus::Open => "open",
            FollowUpStatus::InProgress => "in_progress",
            FollowUpStatus::Done => "done",
            FollowUpStatus::WontDo => "wont_do",
        }
    }

    pub fn parse(text: &str) -> Option<FollowUpStatus> {
        FollowUpStatus::ALL.into_iter().find(|s| s.as_str() == text)
    }

    pub fn label(self) -> &'static str {
        match self {
            FollowUpStatus::Open => "Open",
            FollowUpStatus::InProgress => "In progress",
            FollowUpStatus::Done => "Done",
            FollowUpStatus::WontDo => "Won't do",
        }
    }

    /// Still to be done (and so can be overdue).
    pub fn is_pending(self) -> bool {
        matches!(self, FollowUpStatus::Open | FollowUpStatus::InProgress)
    }
}

/// A follow-up action from an incident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct FollowUp {
    pub id: i64,
    /// The incident's key and title.
    pub incident: String,
    pub incident_title: String,
    pub title: String,
    pub kind: FollowUpKind,
    pub owner_email: String,
    pub owner_name: String,
    /// The last day it is due on (overdue once that day has ended, UTC).
    pub due_on: chrono::NaiveDate,
    pub status: FollowUpStatus,
    pub tracker_url: Option<String>,
    /// The timeline entry it was raised from (its seq), when raised in the war room.
    pub from_seq: Option<i64>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Pending and past its due date.
    pub overdue: bool,
}

/// A new follow-up, as typed (the due date as YYYY-MM-DD, the owner by email).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct FollowUpInput {
    #[cfg_attr(feature = "ssr", schema(pattern = r"^\s*\S([\s\S]{0,198}\S)?\s*$"))]
    pub title: String,
    #[cfg_attr(
        feature = "ssr",
        schema(pattern = r"^(mitigate|prevent|process|other)$")
    )]
    pub kind: String,
    #[cfg_attr(feature = "ssr", schema(pattern = r"\S"))]
    pub owner: String,
    #[cfg_attr(feature = "ssr", schema(format = Date))]
    pub due_on: String,
    #[serde(default)]
    pub tracker_url: Option<String>,
    /// The seq of the incident's timeline entry it is raised from.
    #[serde(default)]
    pub from_seq: Option<i64>,
}

/// The incident's follow-ups and, when one is being raised from a timeline entry in
/// the war room, what the new one's form starts with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentFollowUps {
    pub rows: Vec<FollowUp>,
    pub raising: Option<FollowUpSuggestion>,
}

/// A follow-up's form as raised from one timeline entry: its first line as the
/// title, and a type from its kind (a finding: prevent; an action: mitigate).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FollowUpSuggestion {
    pub from_seq: i64,
    pub title: String,
    pub kind: FollowUpKind,
}

/// A change to a follow-up: only the fields given change.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct FollowUpChange {
    #[serde(default)]
    #[cfg_attr(
        feature = "ssr",
        schema(pattern = r"^(open|in_progress|done|wont_do)$")
    )]
    pub status: Option<String>,
    #[serde(default)]
    pub owner: Option<String>,
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(format = Date))]
    pub due_on: Option<String>,
}

/// Which follow-ups to list across incidents.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::IntoParams, utoipa::ToSchema))]
#[cfg_attr(feature = "ssr", into_params(parameter_in = Query))]
pub struct FollowUpFilter {
    /// The owner's email.
    #[serde(default)]
    pub owner: Option<String>,
    /// A team's slug: follow-ups owned by its members.
    #[serde(default)]
    pub team: Option<String>,
    /// Only overdue ones.
    #[serde(default)]
    pub overdue: bool,
    /// Done and won't-do ones too.
    #[serde(default)]
    pub closed: bool,
}

/// What changed from one version to the next: the changed lines with a little
/// context around each change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct VersionDiff {
    pub from: VersionSummary,
    pub to: VersionSummary,
    /// Groups of lines around each change, in order.
    pub hunks: Vec<Vec<DiffLine>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DiffLine {
    /// added, removed or same.
    pub change: String,
    pub text: String,
}

/// Where a post-mortem template's text comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TemplateSource {
    /// Saved by the team.
    Custom,
    /// The default as Sitrep ships it (the team has not saved its own).
    BuiltIn,
    /// A severity without its own template: drafted with the default's text.
    Default,
}

/// The team's template names, in the order the templates page shows them: `default`,
/// then one per severity.
pub const TEMPLATE_NAMES: [&str; 4] = ["default", "P1", "P2", "P3"];

/// The template choice for an incident that goes back to picking by severity.
pub const AUTOMATIC_TEMPLATE: &str = "automatic";

/// One of the team's post-mortem templates: `default`, or the one a severity's
/// incidents are drafted with (`P1`, `P2`, `P3`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PostMortemTemplate {
    pub name: String,
    /// The template text (Markdown with minijinja placeholders), as drafts use it.
    pub body: String,
    pub source: TemplateSource,
    pub updated_by: Option<String>,
    pub updated_at: Option<DateTime<Utc>>,
}

/// A template's new text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TemplateInput {
    #[cfg_attr(feature = "ssr", schema(pattern = r"\S"))]
    pub body: String,
}

/// A template text to try on a real incident, without saving it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TemplatePreviewInput {
    pub body: String,
    /// The incident's key, e.g. INC-42.
    pub incident: String,
}

/// A template rendered on an incident, as its draft would read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TemplatePreview {
    pub incident: String,
    pub markdown: String,
    /// `markdown` rendered and sanitised on the server.
    pub html: String,
}

/// The customer-facing incident report (RCA), for every customer or one account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CustomerRca {
    /// The incident's key.
    pub incident: String,
    /// The account it is for (slug); `None`: every customer.
    pub account: Option<String>,
    /// The zone its times are in.
    pub zone: String,
    pub markdown: String,
    /// `markdown` rendered and sanitised on the server.
    pub html: String,
    /// The incident's impacted accounts, to choose whose report.
    pub accounts: Vec<RcaAccount>,
}

/// An impacted account a report can be for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RcaAccount {
    pub slug: String,
    pub name: String,
}
