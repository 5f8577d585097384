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
}

impl Origin {
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::Generated => "generated",
            Origin::Edited => "edited",
        }
    }

    pub fn parse(text: &str) -> Option<Origin> {
        [Origin::Generated, Origin::Edited]
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
    /// The timeline has entries (or corrections) newer than the generated text.
    pub timeline_changed: bool,
    /// Every version, newest first.
    pub versions: Vec<VersionSummary>,
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
    pub body: String,
    pub base_version: i64,
}
