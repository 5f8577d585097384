//! `/incidents/:key/postmortem`: the incident's post-mortem, generated from the
//! timeline, edited as versions. Works without JavaScript (plain form posts).

use super::api::{
    get_incident_followups, get_postmortem, postmortem_diff, GeneratePostmortem,
    RegeneratePostmortemSection, ReviewPostmortem, SavePostmortem,
};
use super::editor::PostMortemEditor;
use super::followups_page::FollowUpsPanel;
use super::model::{PostMortem, Review, ReviewState};
use crate::identity::api::current_user;
use crate::identity::model::{Action, User};
use crate::ui::{failure_of, field_message, refusal_of, FieldError, Timestamp};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::{use_params_map, use_query_map};

#[component]
pub fn PostMortemPage() -> impl IntoView {
    let params = use_params_map();
    let key = move || params.read().get("key").unwrap_or_default();
    let generate = ServerAction::<GeneratePostmortem>::new();
    let save = ServerAction::<SavePostmortem>::new();
    let review = ServerAction::<ReviewPostmortem>::new();
    let redraw = ServerAction::<RegeneratePostmortemSection>::new();
    // Reload after a successful step only: a refused one changed nothing.
    let changes = RwSignal::new(0_u32);
    let reload_after = move |done: bool| {
        if done {
            changes.update(|n| *n += 1);
        }
    };
    Effect::new(move |_| reload_after(matches!(generate.value().get(), Some(Ok(_)))));
    Effect::new(move |_| reload_after(matches!(save.value().get(), Some(Ok(_)))));
    Effect::new(move |_| reload_after(matches!(review.value().get(), Some(Ok(_)))));
    Effect::new(move |_| reload_after(matches!(redraw.value().get(), Some(Ok(_)))));
    let document = Resource::new(
        move || (key(), changes.get()),
        |(key, _)| get_postmortem(key),
    );
    let me = Resource::new(|| (), |_| async { current_user().await.ok().flatten() });
    // `?from=seq`: a follow-up being raised from that timeline entry (the war room).
    let query = use_query_map();
    let followups = Resource::new(
        move || {
            let from = query.read().get("from").and_then(|v| v.parse::<i64>().ok());
            (key(), from, changes.get())
        },
        |(key, from, _)| get_incident_followups(key, from),
    );
    let people = Resource::new(|| (), |_| crate::catalog::api::people_choices());
    // `?diff=N`: what version N changed from the one before.
    let diff = Resource::new(
        move || {
            (
                key(),
                query.read().get("diff").and_then(|v| v.parse::<i64>().ok()),
            )
        },
        |(key, version)| async move {
            match version {
                Some(version) => Some(postmortem_diff(key, version).await),
                None => None,
            }
        },
    );
    let failure = failure_of(move || generate.value().get());
    view! {
        <Title text=move || format!("Post-mortem {} · Sitrep", key())/>
        <p><A href=move || format!("/incidents/{}", key())>"← The war room and its full timeline"</A></p>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let me = me.await;
                let writer = me.as_ref().is_some_and(|u| u.role.permits(Action::WritePostMortem));
                let formats = me.as_ref().is_some_and(|u| u.role.permits(Action::ManagePostMortemTemplates))
                    .then(|| view! { <p class="muted"><A href="/admin/postmortem-templates">"The team's post-mortem templates"</A></p> });
                let people = people.await;
                let followups = match followups.await {
                    Ok(followups) => view! { <FollowUpsPanel key=key() followups me=me.clone() writer people=people.clone() changes/> }.into_any(),
                    Err(err) => view! { <p class="card form-error" role="alert">{err.to_string()}</p> }.into_any(),
                };
                match document.await {
                    Err(err) => view! { <p class="card form-error" role="alert">{err.to_string()}</p> }.into_any(),
                    Ok(None) => view! {
                        <section class="card" id="postmortem-empty">
                            <h1>"Post-mortem of " {key()}</h1>
                            <p>"No draft yet. One is generated from the timeline when the incident is resolved, or now:"</p>
                            <p class="form-error" role="alert">{move || failure.get()}</p>
                            {writer.then(|| view! {
                                <ActionForm action=generate attr:id="generate-form">
                                    <input type="hidden" name="key" value=key()/>
                                    <TemplateChoice chosen=None/>
                                    <button type="submit" class="primary">"Generate the draft from the timeline"</button>
                                </ActionForm>
                            })}
                        </section>
                        {followups}
                    }.into_any(),
                    Ok(Some(document)) => {
                        let version_changes = diff.await.map(|diff| view! { <VersionChanges diff/> });
                        let review_panel = view! { <ReviewPanel document=document.clone() me=me.clone() writer people=people.clone() review/> };
                        view! { <Document document writer generate save redraw/> {version_changes} {review_panel} {followups} {formats} }.into_any()
                    }
                }
            })}
        </Transition>
    }
}

#[component]
fn Document(
    document: PostMortem,
    writer: bool,
    generate: ServerAction<GeneratePostmortem>,
    save: ServerAction<SavePostmortem>,
    redraw: ServerAction<RegeneratePostmortemSection>,
) -> impl IntoView {
    let stored = document.body.clone();
    let origin = document.origin.label();
    let key = document.incident.clone();
    let form_key = key.clone();
    // Published text changes only through a new version: reopen it first.
    let writer = writer && document.review.state != ReviewState::Published;
    let state = document.review.state;
    let stale: Vec<String> = document
        .sections
        .iter()
        .filter(|s| s.timeline_changed)
        .map(|s| s.heading.clone())
        .collect();
    let chosen = document.template_chosen.then(|| document.template.clone());
    let drawn_with = format!(
        " · {} template ({})",
        document.template,
        if document.template_chosen {
            "chosen for this incident"
        } else {
            "by severity"
        }
    );
    let sections = writer.then(|| {
        view! { <SectionsPanel key=key.clone() version=document.version sections=document.sections.clone() redraw/> }
    });
    view! {
        <article class="card postmortem" id="postmortem" data-version=document.version>
            <p class="muted postmortem-meta">
                <span class=format!("review-state review-{}", state.as_str()) id="review-state">{state.label()}</span>
                {format!(" · Version {} · {origin} by {} · ", document.version, document.author)}
                <Timestamp at=document.created_at/>
                <span id="drawn-with">{drawn_with}</span>
                " · "
                <a href=format!("/api/v1/incidents/{key}/postmortem/markdown") download=format!("{key}-postmortem.md")>"Markdown"</a>
                " · "
                <A href=format!("/incidents/{key}/rca")>"Customer report"</A>
            </p>
            {document.timeline_changed.then(|| view! {
                <p class="notice" id="timeline-changed" role="status">
                    "The timeline changed since this text was generated"
                    {(!stale.is_empty()).then(|| format!(" (it changes {})", stale.join(", ")))}
                    ": draw those sections again below, or regenerate the whole text (earlier versions stay in the history)."
                </p>
            })}
            <div class="markdown" inner_html=document.body_html></div>
        </article>
        {sections}
        {writer.then(move || { let (save_key, generate_key) = (form_key.clone(), form_key); view! {
            <PostMortemEditor key=save_key version=document.version body=stored.clone() save/>
            <ActionForm action=generate attr:id="regenerate-form" attr:class="inline-form">
                <input type="hidden" name="key" value=generate_key/>
                <TemplateChoice chosen=chosen.clone()/>
                <button type="submit">"Regenerate from the timeline"</button>
                <span class="muted">" Replaces the text with a new draft; earlier versions stay below."</span>
            </ActionForm>
        }})}
        <section class="card" id="postmortem-versions">
            <h2>"Versions"</h2>
            <ol reversed=true>
                {document.versions.into_iter().map(|v| {
                    let changes = (v.version > 1).then(|| view! {
                        " · " <a href=format!("?diff={}#version-changes", v.version)>"What changed"</a>
                    });
                    view! {
                        <li>
                            {format!("Version {} · {} by {} · ", v.version, v.origin.label(), v.author)}
                            <Timestamp at=v.created_at/>
                            {changes}
                        </li>
                    }
                }).collect_view()}
            </ol>
        </section>
    }
}

/// Which team template the draft is drawn with: by severity, or one chosen for
/// this incident (kept for later regenerations and sections drawn again).
#[component]
fn TemplateChoice(chosen: Option<String>) -> impl IntoView {
    let selected = chosen.unwrap_or_else(|| super::model::AUTOMATIC_TEMPLATE.to_owned());
    let options = std::iter::once((super::model::AUTOMATIC_TEMPLATE, "By severity".to_owned()))
        .chain(
            super::model::TEMPLATE_NAMES
                .into_iter()
                .map(|name| (name, format!("{name} template"))),
        );
    view! {
        <label class="template-choice">
            "Template "
            <select name="template">
                {options.map(|(value, label)| view! {
                    <option value=value selected=value == selected>{label}</option>
                }).collect_view()}
            </select>
        </label>
    }
}

/// The document's sections from the template, each with whether the timeline has
/// changed what it would say, and a button drawing that one section again (the
/// rest, edits included, stays).
#[component]
fn SectionsPanel(
    key: String,
    version: i64,
    sections: Vec<super::model::SectionStatus>,
    redraw: ServerAction<RegeneratePostmortemSection>,
) -> impl IntoView {
    let failure = failure_of(move || redraw.value().get());
    let refusal = refusal_of(move || redraw.value().get());
    let refused = field_message(refusal, "section");
    let rows = sections
        .into_iter()
        .filter(|s| s.generated)
        .map(|section| {
            let status = if section.timeline_changed {
                view! { <span class="badge stale">"Timeline changed since generated"</span> }
                    .into_any()
            } else {
                view! { <span class="muted">"as generated, or edited"</span> }.into_any()
            };
            let label = format!("Draw “{}” again from the timeline", section.heading);
            let key = key.clone();
            view! {
                <li class:stale=section.timeline_changed>
                    <ActionForm action=redraw attr:class="inline-form">
                        <input type="hidden" name="key" value=key/>
                        <input type="hidden" name="base_version" value=version/>
                        <input type="hidden" name="section" value=section.heading.clone()/>
                        <span class="section-name">{section.heading.clone()}</span>
                        " " {status} " "
                        <button type="submit" aria-label=label>"Draw again"</button>
                    </ActionForm>
                </li>
            }
        })
        .collect_view();
    view! {
        <details class="card panel-toggle" id="postmortem-sections">
            <summary>"Sections"</summary>
            <p class="muted">"Drawing a section again replaces only that section with what the timeline says now; edits in the others stay."</p>
            <p class="form-error" role="alert">{move || refused.get().or_else(|| failure.get())}</p>
            <ul class="section-list">{rows}</ul>
        </details>
    }
}

/// Where the review stands, and the step the signed-in person can take: send for
/// review (writers, naming reviewers), approve or comment (named reviewers),
/// publish (writers, once all approved), reopen (writers, once published).
#[component]
fn ReviewPanel(
    document: PostMortem,
    me: Option<User>,
    writer: bool,
    people: Vec<(String, String)>,
    review: ServerAction<ReviewPostmortem>,
) -> impl IntoView {
    let refusal = refusal_of(move || review.value().get());
    let failure = failure_of(move || review.value().get());
    let Review {
        state,
        reviewers,
        comments,
        published_version,
    } = document.review;
    let version = document.version;
    let key = document.incident;
    let my_email = me.as_ref().map(|u| u.email.clone()).unwrap_or_default();
    let reviewing = state == ReviewState::InReview && reviewers.iter().any(|r| r.email == my_email);
    let all_approved = !reviewers.is_empty() && reviewers.iter().all(|r| r.approved);
    let step_key = key.clone();
    let step_form = move |action: &'static str, label: &'static str, id: &'static str| {
        let key = step_key.clone();
        view! {
            <ActionForm action=review attr:id=id attr:class="inline-form">
                <input type="hidden" name="key" value=key/>
                <input type="hidden" name="action" value=action/>
                <button type="submit" class="primary">{label}</button>
            </ActionForm>
        }
    };
    let request_form = (writer && state == ReviewState::Draft).then(|| {
        let key = key.clone();
        let candidates: Vec<(String, String)> =
            people.into_iter().filter(|(email, _)| *email != my_email).collect();
        view! {
            <ActionForm action=review attr:id="request-review-form">
                <input type="hidden" name="key" value=key/>
                <input type="hidden" name="action" value="request_review"/>
                <fieldset class="choices" aria-describedby="reviewers-error">
                    <legend>"Reviewers"</legend>
                    {candidates.into_iter().map(|(email, label)| view! {
                        <label><input type="checkbox" name="reviewers[]" value=email/>" " {label}</label>
                    }).collect_view()}
                </fieldset>
                <FieldError id="reviewers-error" message=field_message(refusal, "reviewers")/>
                <button type="submit" class="primary">"Send for review"</button>
            </ActionForm>
        }
    });
    let verdict_form = reviewing.then(|| {
        let key = key.clone();
        view! {
            <ActionForm action=review attr:id="verdict-form">
                <input type="hidden" name="key" value=key/>
                <div class="field">
                    <label for="review-comment">"Comment (optional when approving)"</label>
                    <textarea id="review-comment" name="comment" rows="3" aria-describedby="comment-error"></textarea>
                    <FieldError id="comment-error" message=field_message(refusal, "comment")/>
                </div>
                <button type="submit" name="action" value="approve" class="primary">{format!("Approve version {version}")}</button>
                " "
                <button type="submit" name="action" value="comment">"Comment"</button>
            </ActionForm>
        }
    });
    let publish_form = (writer && state == ReviewState::InReview && all_approved)
        .then(|| step_form("publish", "Publish", "publish-form"));
    let reopen_form = (writer && state == ReviewState::Published)
        .then(|| step_form("reopen", "Reopen for a new version", "reopen-form"));
    view! {
        <section class="card" id="postmortem-review" aria-labelledby="review-heading">
            <h2 id="review-heading">"Review"</h2>
            <p>{match state {
                ReviewState::Draft => "A draft: send it to reviewers when it is ready.".to_owned(),
                ReviewState::InReview if all_approved => format!("Every reviewer approved version {version}: it can be published."),
                ReviewState::InReview => format!("In review: version {version} is published once every reviewer approved it."),
                ReviewState::Published => format!("Version {} is published and read-only; reopen it to write a new version.", published_version.unwrap_or(version)),
            }}</p>
            {(!reviewers.is_empty()).then(|| view! {
                <ul class="reviewers" id="reviewers">
                    {reviewers.into_iter().map(|r| {
                        let verdict = match (r.approved, r.approved_version) {
                            (true, _) => format!("approved version {version}"),
                            (false, Some(older)) => format!("approved version {older}; version {version} awaits"),
                            (false, None) => "has not approved yet".to_owned(),
                        };
                        view! { <li class:approved=r.approved>{format!("{} — {verdict}", r.name)}</li> }
                    }).collect_view()}
                </ul>
            })}
            <p class="form-error" role="alert">{move || failure.get()}</p>
            {request_form}
            {verdict_form}
            {publish_form}
            {reopen_form}
            {(!comments.is_empty()).then(|| view! {
                <h3>"Comments"</h3>
                <ol class="review-comments" id="review-comments">
                    {comments.into_iter().map(|c| view! {
                        <li>
                            <p class="muted">{format!("{} on version {} · ", c.author, c.version)}<Timestamp at=c.created_at/></p>
                            <p>{c.body}</p>
                        </li>
                    }).collect_view()}
                </ol>
            })}
        </section>
    }
}

/// What one version changed: removed lines struck out, added ones marked, with a
/// little context.
#[component]
fn VersionChanges(
    diff: Result<super::model::VersionDiff, crate::error::AppError>,
) -> impl IntoView {
    view! {
        <section class="card" id="version-changes" aria-labelledby="changes-heading">
            {match diff {
                Err(err) => view! {
                    <h2 id="changes-heading">"What changed"</h2>
                    <p class="form-error" role="alert">{err.to_string()}</p>
                }.into_any(),
                Ok(diff) => view! {
                    <h2 id="changes-heading">{format!("What version {} changed", diff.to.version)}</h2>
                    <p class="muted">
                        {format!("From version {} ({} by {}) to version {} ({} by {}). ",
                            diff.from.version, diff.from.origin.as_str(), diff.from.author,
                            diff.to.version, diff.to.origin.as_str(), diff.to.author)}
                        <a href="?">"Close"</a>
                    </p>
                    {if diff.hunks.is_empty() {
                        view! { <p>"The text is the same."</p> }.into_any()
                    } else {
                        diff.hunks.into_iter().map(|hunk| view! {
                            <pre class="diff">
                                {hunk.into_iter().map(|line| {
                                    let (mark, class) = match line.change.as_str() {
                                        "added" => ("+ ", "diff-added"),
                                        "removed" => ("- ", "diff-removed"),
                                        _ => ("  ", "diff-same"),
                                    };
                                    view! { <span class=class>{mark}{line.text}"\n"</span> }
                                }).collect_view()}
                            </pre>
                        }).collect_view().into_any()
                    }}
                }.into_any(),
            }}
        </section>
    }
}
