//! Post-mortem rules: a draft is generated from the timeline (at resolution, or when
//! someone asks), people edit it as new versions, and a save made on top of an
//! older version than the newest is refused rather than overwriting someone's work.

use super::model::{
    CustomerRca, DiffLine, Origin, PostMortem, PostMortemEdit, RcaAccount, SectionRegeneration,
    SectionStatus, VersionDiff, VersionSummary,
};
use super::repo::{self, StoredVersion};
use super::{facts, sections, template};
use crate::error::{AppError, Invalid};
use crate::identity::model::{Action, User};
use crate::incidents::model::IncidentId;
use crate::state::AppState;
use crate::timeline::model::EntryKind;

/// Longest post-mortem text accepted (Markdown).
const MAX_BODY_BYTES: usize = 256 * 1024;

/// The incident's post-mortem, or `None` before the first draft.
pub async fn current(state: &AppState, id: IncidentId) -> Result<Option<PostMortem>, AppError> {
    let incident = crate::incidents::service::get_incident(state, id).await?;
    let pool = state.db.pool();
    let Some(latest) = repo::latest(pool, id).await? else {
        return Ok(None);
    };
    let versions = repo::versions(pool, id).await?;
    let review = super::review::read(pool, id, latest.summary.version).await?;
    let followups =
        repo::incident_followups(pool, id, super::followups::today(state.now())).await?;
    let timeline = crate::timeline::service::read_timeline(state, id).await?;
    let changed = timeline_changed(&timeline, latest.generated_from_seq);
    // Only a changed timeline can change what a section would say: the fresh draft
    // is drawn then alone.
    let stale = if changed {
        let zone = generated_zone(&latest, None);
        let (fresh, _) = draft(state, id, zone, latest.generated_template.as_deref()).await?;
        sections::changed(&latest.generated_body, &fresh)
    } else {
        Vec::new()
    };
    let sections = sections::split(&latest.body)
        .iter()
        .map(|section| SectionStatus {
            heading: section.heading.to_owned(),
            generated: sections::find(&latest.generated_body, section.heading).is_some(),
            timeline_changed: stale.iter().any(|h| h == section.heading),
        })
        .collect();
    let template = latest
        .generated_template
        .clone()
        .unwrap_or_else(|| incident.severity.as_str().to_owned());
    Ok(Some(PostMortem {
        template_chosen: latest.generated_template.is_some(),
        template,
        incident: incident.key,
        version: latest.summary.version,
        body_html: crate::markdown::to_safe_html(&latest.body),
        body: latest.body,
        origin: latest.summary.origin,
        author: latest.summary.author,
        created_at: latest.summary.created_at,
        generated_from_seq: latest.generated_from_seq,
        timeline_changed: changed,
        sections,
        versions,
        review,
        followups,
    }))
}

/// Whether anything but the post-mortem's own review steps happened on the timeline
/// after `seq`: every event (entry, correction, removal, change) takes one seq, and
/// each review step is one entry, so the seqs past `seq` not taken by review steps
/// are the changes.
fn timeline_changed(timeline: &crate::timeline::cache::Timeline, seq: i64) -> bool {
    let review_steps = timeline
        .entries
        .iter()
        .filter(|e| e.seq > seq && matches!(e.kind, EntryKind::PostMortem { .. }))
        .count() as i64;
    timeline.last_seq - seq > review_steps
}

/// Generates a draft from the timeline as it stands, as the next version; times are
/// in `by`'s zone. `template` names the team template to draw it with for this
/// incident from now on ("automatic": by severity again); `None` keeps the choice
/// made before.
pub async fn generate(
    state: &AppState,
    id: IncidentId,
    template: Option<&str>,
    by: &User,
) -> Result<PostMortem, AppError> {
    crate::identity::service::require(by, Action::WritePostMortem)?;
    super::review::require_unpublished(state.db.pool(), id).await?;
    let chosen = match template.map(str::trim) {
        Some(super::model::AUTOMATIC_TEMPLATE) => None,
        Some(name) => match super::model::TEMPLATE_NAMES
            .into_iter()
            .find(|n| *n == name)
        {
            Some(known) => Some(known.to_owned()),
            None => {
                let mut invalid = Invalid::default();
                invalid.add(
                    "template",
                    format!("No template named {name:?}: choose automatic, default, P1, P2 or P3"),
                );
                return Err(AppError::Invalid(invalid));
            }
        },
        None => repo::latest(state.db.pool(), id)
            .await?
            .and_then(|latest| latest.generated_template),
    };
    let zone = crate::clock::parse_zone(&by.time_zone).unwrap_or(chrono_tz::UTC);
    let (body, last_seq) = draft(state, id, zone, chosen.as_deref()).await?;
    let baseline = Baseline::whole(&body, last_seq, zone, chosen);
    store(
        state,
        id,
        None,
        body,
        Origin::Generated,
        Some(baseline),
        &by.display_name,
    )
    .await
}

/// Draws one section from the timeline again as the next version, keeping every
/// other section of `base_version` (edits included) as it is.
pub async fn regenerate_section(
    state: &AppState,
    id: IncidentId,
    input: &SectionRegeneration,
    by: &User,
) -> Result<PostMortem, AppError> {
    crate::identity::service::require(by, Action::WritePostMortem)?;
    super::review::require_unpublished(state.db.pool(), id).await?;
    let latest = repo::latest(state.db.pool(), id).await?.ok_or_else(|| {
        AppError::NotFound(format!(
            "the post-mortem of {} (generate the draft first)",
            id.key()
        ))
    })?;
    let refuse = |message: String| {
        let mut invalid = Invalid::default();
        invalid.add("section", message);
        AppError::Invalid(invalid)
    };
    let heading = input.section.trim();
    let zone = generated_zone(&latest, Some(by));
    let chosen = latest.generated_template.clone();
    let (fresh, last_seq) = draft(state, id, zone, chosen.as_deref()).await?;
    let drawn = sections::find(&fresh, heading).ok_or_else(|| {
        refuse(format!(
            "The template has no section {heading:?} to draw again"
        ))
    })?;
    let body = sections::replace(&latest.body, heading, drawn.text).ok_or_else(|| {
        refuse(format!(
            "The post-mortem has no section {heading:?} any more (renamed or removed): \
             add its heading back to draw it again"
        ))
    })?;
    let generated_body = sections::replace(&latest.generated_body, heading, drawn.text)
        .unwrap_or_else(|| format!("{}{}", latest.generated_body, drawn.text));
    if body == latest.body && generated_body == latest.generated_body {
        // Nothing to draw again: no new version for an unchanged text.
        return current(state, id)
            .await?
            .ok_or_else(|| AppError::internal("regenerate a section", "post-mortem vanished"));
    }
    // The whole text counts as current once no section would say something else.
    let seq = if sections::changed(&generated_body, &fresh).is_empty() {
        last_seq
    } else {
        latest.generated_from_seq
    };
    let baseline = Baseline {
        seq,
        body: generated_body,
        zone: zone.name().to_owned(),
        template: chosen,
    };
    store(
        state,
        id,
        Some(input.base_version),
        body,
        Origin::Regenerated,
        Some(baseline),
        &by.display_name,
    )
    .await
}

/// The zone a version's generated times are in; for a version stored before zones
/// were kept, the reader's (or UTC).
fn generated_zone(version: &StoredVersion, reader: Option<&User>) -> chrono_tz::Tz {
    version
        .generated_zone
        .as_deref()
        .or(reader.map(|u| u.time_zone.as_str()))
        .and_then(|zone| crate::clock::parse_zone(zone).ok())
        .unwrap_or(chrono_tz::UTC)
}

/// What a version's generated text was drawn from: the timeline up to `seq`, in
/// `zone`, as `body` (section by section, since one can be drawn again alone), with
/// the team template chosen for the incident (`None`: by severity).
struct Baseline {
    seq: i64,
    body: String,
    zone: String,
    template: Option<String>,
}

impl Baseline {
    fn whole(body: &str, seq: i64, zone: chrono_tz::Tz, template: Option<String>) -> Baseline {
        Baseline {
            seq,
            body: body.to_owned(),
            zone: zone.name().to_owned(),
            template,
        }
    }
}

/// Who the drafts generated at resolution are by.
pub const GENERATOR: &str = "Sitrep";

/// At resolution: the first draft, when the incident has none yet (in the lead's
/// zone). `None` when there was nothing to do.
pub async fn draft_at_resolution(
    state: &AppState,
    id: IncidentId,
) -> Result<Option<PostMortem>, AppError> {
    let incident = crate::incidents::service::get_incident(state, id).await?;
    if incident.status != crate::incidents::model::IncidentStatus::Resolved
        || repo::latest(state.db.pool(), id).await?.is_some()
    {
        return Ok(None);
    }
    let zone = match &incident.lead {
        Some(lead) => crate::comms::repo::user_zone(state.db.pool(), lead.id)
            .await?
            .and_then(|zone| crate::clock::parse_zone(&zone).ok()),
        None => None,
    };
    let zone = zone.unwrap_or(chrono_tz::UTC);
    let (body, last_seq) = draft(state, id, zone, None).await?;
    let baseline = Baseline::whole(&body, last_seq, zone, None);
    match store(
        state,
        id,
        Some(0),
        body,
        Origin::Generated,
        Some(baseline),
        GENERATOR,
    )
    .await
    {
        Ok(document) => Ok(Some(document)),
        // Someone (or another replica) drafted it first.
        Err(AppError::Conflict(_)) => Ok(None),
        Err(err) => Err(err),
    }
}

/// The draft's text in `zone` and the newest seq it was drawn from (nothing is
/// stored), in the team template `chosen` for the incident, or else the one for its
/// severity.
pub async fn draft(
    state: &AppState,
    id: IncidentId,
    zone: chrono_tz::Tz,
    chosen: Option<&str>,
) -> Result<(String, i64), AppError> {
    let (facts, last_seq) = facts(state, id, zone).await?;
    let severity = facts.incident.severity.clone();
    let name = chosen.unwrap_or(&severity);
    let team_text = super::team_templates::text_of(state.db.pool(), name).await?;
    let body = match template::render(&team_text, &facts) {
        Ok(body) => body,
        // A saved template was checked on an example incident; should a real one
        // still trip it, the draft is the built-in format rather than none at all.
        Err(err) => {
            tracing::warn!(incident = %id.key(), template = %name, error = %err,
                "the team's post-mortem template failed; drafted with the built-in one");
            template::render(template::DEFAULT_TEMPLATE, &facts)
                .map_err(|err| AppError::internal("render the post-mortem template", err))?
        }
    };
    Ok((body, last_seq))
}

/// Everything a template can say about the incident, in `zone`, and the newest seq
/// of the timeline it was read from.
pub async fn facts(
    state: &AppState,
    id: IncidentId,
    zone: chrono_tz::Tz,
) -> Result<(facts::Facts, i64), AppError> {
    let incident = crate::incidents::service::get_incident(state, id).await?;
    let timeline = crate::timeline::service::read_timeline(state, id).await?;
    let clocks = crate::sla::engine::incident_clocks(state, id).await?;
    let mut facts = facts::gather(&incident, &timeline.entries, &clocks, zone, state.now());
    let today = super::followups::today(state.now());
    facts.followups = repo::incident_followups(state.db.pool(), id, today)
        .await?
        .iter()
        .map(facts::FollowUpLine::of)
        .collect();
    // The timeline's own newest seq, not its newest entry's: a correction takes one too.
    Ok((facts, timeline.last_seq))
}

/// The customer-facing report of the incident, for every customer or for the
/// impacted `account` (slug), with times in `zone` (an IANA name; default the
/// reader's); nothing is stored.
pub async fn customer_rca(
    state: &AppState,
    id: IncidentId,
    account: Option<&str>,
    zone: Option<&str>,
    by: &User,
) -> Result<CustomerRca, AppError> {
    let zone = match zone.map(str::trim).filter(|z| !z.is_empty()) {
        Some(name) => crate::clock::parse_zone(name).map_err(|message| {
            let mut invalid = Invalid::default();
            invalid.add("zone", message);
            AppError::Invalid(invalid)
        })?,
        None => crate::clock::parse_zone(&by.time_zone).unwrap_or(chrono_tz::UTC),
    };
    let incident = crate::incidents::service::get_incident(state, id).await?;
    let known = crate::catalog::service::list_accounts(state).await?;
    let accounts: Vec<RcaAccount> = incident
        .accounts
        .iter()
        .map(|slug| RcaAccount {
            slug: slug.clone(),
            name: known
                .iter()
                .find(|a| &a.slug == slug)
                .map_or_else(|| slug.clone(), |a| a.name.clone()),
        })
        .collect();
    let account = account.map(str::trim).filter(|a| !a.is_empty());
    let chosen = match account {
        None => None,
        Some(slug) => Some(accounts.iter().find(|a| a.slug == slug).ok_or_else(|| {
            let mut invalid = Invalid::default();
            invalid.add(
                "account",
                format!(
                    "{slug:?} is not an impacted account of {}: choose one of {}",
                    incident.key,
                    if accounts.is_empty() {
                        "none (it has no impacted accounts)".to_owned()
                    } else {
                        accounts
                            .iter()
                            .map(|a| a.slug.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    }
                ),
            );
            AppError::Invalid(invalid)
        })?),
    };
    let timeline = crate::timeline::service::read_timeline(state, id).await?;
    let clocks = crate::sla::engine::incident_clocks(state, id).await?;
    let messages = crate::comms::service::messages(state, &incident).await?;
    let material = super::rca::Material {
        lifecycle: &incident.lifecycle,
        entries: &timeline.entries,
        messages: &messages,
        clocks: &clocks,
        zone,
    };
    let reader = match chosen {
        Some(a) => super::rca::Reader::Account {
            slug: &a.slug,
            name: &a.name,
        },
        None => super::rca::Reader::Everyone,
    };
    let markdown = super::rca::report(&material, &reader, state.now());
    Ok(CustomerRca {
        incident: incident.key,
        account: chosen.map(|a| a.slug.clone()),
        zone: zone.name().to_owned(),
        html: crate::markdown::to_safe_html(&markdown),
        markdown,
        accounts,
    })
}

/// `body` as the page would show it, nothing saved (for the editor's preview).
pub fn preview(body: &str) -> Result<String, AppError> {
    if body.len() > MAX_BODY_BYTES {
        let mut invalid = Invalid::default();
        invalid.add(
            "body",
            format!("Too long: at most {} KB", MAX_BODY_BYTES / 1024),
        );
        return Err(AppError::Invalid(invalid));
    }
    Ok(crate::markdown::to_safe_html(body))
}

/// Saves an edit as the next version.
pub async fn edit(
    state: &AppState,
    id: IncidentId,
    edit: &PostMortemEdit,
    by: &User,
) -> Result<PostMortem, AppError> {
    crate::identity::service::require(by, Action::WritePostMortem)?;
    let mut invalid = Invalid::default();
    if edit.body.trim().is_empty() {
        invalid.add("body", "Write the post-mortem (it is empty)");
    } else if edit.body.len() > MAX_BODY_BYTES {
        invalid.add(
            "body",
            format!("Too long: at most {} KB", MAX_BODY_BYTES / 1024),
        );
    }
    if !invalid.fields.is_empty() {
        invalid.echo("body", &edit.body);
        return Err(AppError::Invalid(invalid));
    }
    super::review::require_unpublished(state.db.pool(), id).await?;
    // A browser's plain form post sends CRLF line ends: stored as LF, so versions
    // compare line by line and the Markdown export is the same whichever way it came.
    let body = edit.body.replace("\r\n", "\n");
    store(
        state,
        id,
        Some(edit.base_version),
        body,
        Origin::Edited,
        None,
        &by.display_name,
    )
    .await
}

/// What `version` changed from the one before it.
pub async fn diff(state: &AppState, id: IncidentId, version: i64) -> Result<VersionDiff, AppError> {
    let pool = state.db.pool();
    let missing = || {
        AppError::NotFound(format!(
            "version {version} of the post-mortem of {}",
            id.key()
        ))
    };
    let to = repo::version(pool, id, version)
        .await?
        .ok_or_else(missing)?;
    if version < 2 {
        let mut invalid = Invalid::default();
        invalid.add(
            "version",
            "Version 1 is the first: there is nothing before it to compare with",
        );
        return Err(AppError::Invalid(invalid));
    }
    let from = repo::version(pool, id, version - 1)
        .await?
        .ok_or_else(missing)?;
    Ok(VersionDiff {
        hunks: line_changes(&from.body, &to.body),
        from: from.summary,
        to: to.summary,
    })
}

/// Lines changed between two texts, grouped with two lines of context.
fn line_changes(before: &str, after: &str) -> Vec<Vec<DiffLine>> {
    let diff = similar::TextDiff::from_lines(before, after);
    diff.grouped_ops(2)
        .iter()
        .map(|group| {
            group
                .iter()
                .flat_map(|op| diff.iter_changes(op))
                .map(|change| DiffLine {
                    change: match change.tag() {
                        similar::ChangeTag::Insert => "added",
                        similar::ChangeTag::Delete => "removed",
                        similar::ChangeTag::Equal => "same",
                    }
                    .to_owned(),
                    text: change.value().trim_end_matches('\n').to_owned(),
                })
                .collect()
        })
        .collect()
}

/// Stores the next version; with `base`, only if that is still the newest. An edit
/// (`baseline` `None`) keeps what its text was last generated from.
async fn store(
    state: &AppState,
    id: IncidentId,
    base: Option<i64>,
    body: String,
    origin: Origin,
    baseline: Option<Baseline>,
    author: &str,
) -> Result<PostMortem, AppError> {
    let mut conn = state.db.pool().acquire().await?;
    let latest = repo::latest(&mut *conn, id).await?;
    let newest = latest.as_ref().map_or(0, |v| v.summary.version);
    let (generated_from_seq, generated_body, generated_zone, generated_template) =
        match (baseline, &latest) {
            (Some(b), _) => (b.seq, b.body, Some(b.zone), b.template),
            (None, Some(v)) => (
                v.generated_from_seq,
                v.generated_body.clone(),
                v.generated_zone.clone(),
                v.generated_template.clone(),
            ),
            (None, None) => (0, body.clone(), None, None),
        };
    if let Some(base) = base.filter(|base| *base != newest) {
        return Err(AppError::Conflict(format!(
            "Version {newest} was saved after version {base}, which this edit started from: \
             reload to see it, then apply your change again"
        )));
    }
    let version = StoredVersion {
        summary: VersionSummary {
            version: newest + 1,
            origin,
            author: author.to_owned(),
            created_at: state.now(),
        },
        body,
        generated_from_seq,
        generated_body,
        generated_zone,
        generated_template,
    };
    if !repo::insert(&mut conn, id, &version).await? {
        return Err(AppError::Conflict(format!(
            "Someone saved version {} at the same moment: reload to see it",
            newest + 1
        )));
    }
    drop(conn);
    current(state, id)
        .await?
        .ok_or_else(|| AppError::internal("save post-mortem", "saved version not found"))
}
