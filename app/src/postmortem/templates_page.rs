//! `/admin/postmortem-templates`: the team's post-mortem formats. One template per
//! severity (a severity without its own drafts with the default), each edited with a
//! live preview rendered on a real past incident, and refused naming the line when
//! it does not render.

use super::api::{
    list_postmortem_templates, preview_postmortem_template, ResetPostmortemTemplate,
    SavePostmortemTemplate,
};
use super::model::{PostMortemTemplate, TemplateSource};
use crate::incidents::api::{list_incidents, ListFilters};
use crate::ui::{field_message, rcdata_text, refusal_of, FieldError, TypingPause};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

/// The top-level names a template can use; README's table lists every field.
const PLACEHOLDERS: [(&str, &str); 9] = [
    (
        "incident",
        "key, title, severity, status, systems, accounts, lead, link…",
    ),
    (
        "times",
        "impact_started, detected, acknowledged, mitigated, resolved",
    ),
    (
        "metrics",
        "time_to_detect … time_to_resolve, customer_impact",
    ),
    (
        "timeline",
        "key_moments, actions, findings, root_causes, resolution…",
    ),
    ("sla", "per account: name, tier, response, resolution, met"),
    ("followups", "title, kind, owner, due_on, status"),
    ("participants", "everyone who wrote or held a role"),
    ("zone", "the zone every time is in"),
    ("generated_at", "when the draft was drawn"),
];

/// How long typing pauses before the preview is drawn again.
const PREVIEW_PAUSE_MS: u32 = 600;

#[component]
pub fn PostMortemTemplatesPage() -> impl IntoView {
    let query = use_query_map();
    let chosen = move || {
        query
            .read()
            .get("name")
            .filter(|n| super::model::TEMPLATE_NAMES.contains(&n.as_str()))
            .unwrap_or_else(|| "default".to_owned())
    };
    let save = ServerAction::<SavePostmortemTemplate>::new();
    let reset = ServerAction::<ResetPostmortemTemplate>::new();
    // Read again after a step that went through: a refused save keeps the text typed.
    let changes = RwSignal::new(0_u32);
    Effect::new(move |_| {
        if matches!(save.value().get(), Some(Ok(_))) || matches!(reset.value().get(), Some(Ok(_))) {
            changes.update(|n| *n += 1);
        }
    });
    let templates = Resource::new(move || changes.get(), |_| list_postmortem_templates());
    // Resolved incidents, newest first: what a preview is drawn on.
    let incidents = Resource::new(
        || (),
        |_| {
            list_incidents(ListFilters {
                status: "resolved".to_owned(),
                ..ListFilters::default()
            })
        },
    );
    view! {
        <Title text="Post-mortem templates · Sitrep"/>
        <section class="card pm-templates" aria-labelledby="pm-templates-heading">
            <h1 id="pm-templates-heading">"Post-mortem templates"</h1>
            <p class="muted">"A P1's draft is written with the P1 template, and so on; a severity \
                without its own uses the default. Each "<code>"## heading"</code>" is a section \
                the post-mortem page can draw again alone. Placeholders are minijinja: "
                <code>"{{ incident.title }}"</code>", "<code>"{% for m in timeline.actions %}"</code>"."
            </p>
            <details class="pm-placeholders">
                <summary>"Placeholders"</summary>
                <dl>
                    {PLACEHOLDERS.into_iter().map(|(name, what)| view! {
                        <dt><code>{name}</code></dt><dd>{what}</dd>
                    }).collect_view()}
                </dl>
            </details>
            <Transition fallback=|| view! { <p class="muted">"Loading templates…"</p> }>
                {move || Suspend::new(async move {
                    let incidents = incidents.await.unwrap_or_default();
                    match templates.await {
                        Ok(templates) => {
                            let name = chosen();
                            let tabs = templates.iter().map(|t| (t.name.clone(), t.source)).collect::<Vec<_>>();
                            let tabs = tabs.into_iter().map(|(tab, source)| {
                                let current = tab == name;
                                view! {
                                    <li>
                                        <A href=format!("/admin/postmortem-templates?name={tab}")
                                            attr:aria-current=current.then_some("page")>
                                            {tab.clone()}
                                            <span class="muted">{format!(" · {}", source_label(source))}</span>
                                        </A>
                                    </li>
                                }
                            }).collect_view();
                            let editing = templates.into_iter().find(|t| t.name == name);
                            view! {
                                <nav aria-label="Templates"><ul class="pm-template-tabs">{tabs}</ul></nav>
                                {editing.map(|template| view! {
                                    <TemplateEditor template incidents save reset/>
                                })}
                            }.into_any()
                        }
                        Err(err) => view! { <p class="form-error" role="alert">{err.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

fn source_label(source: TemplateSource) -> &'static str {
    match source {
        TemplateSource::Custom => "the team's",
        TemplateSource::BuiltIn => "built in",
        TemplateSource::Default => "uses the default",
    }
}

#[component]
fn TemplateEditor(
    template: PostMortemTemplate,
    incidents: Vec<crate::incidents::model::Incident>,
    save: ServerAction<SavePostmortemTemplate>,
    reset: ServerAction<ResetPostmortemTemplate>,
) -> impl IntoView {
    let refusal = refusal_of(move || save.value().get());
    // Refused: the text as it was typed (also without JavaScript, from the echo).
    let typed = refusal
        .get_untracked()
        .and_then(|r| r.input("body").map(str::to_owned))
        .unwrap_or_else(|| template.body.clone());
    let text = RwSignal::new(typed.clone());
    // What the preview was last drawn from: follows `text` once typing pauses.
    let settled = RwSignal::new(typed.clone());
    let pause = TypingPause::new(PREVIEW_PAUSE_MS);
    let on_input = move |ev: leptos::ev::Event| {
        text.set(event_target_value(&ev));
        pause.restart(move || settled.set(text.get_untracked()));
    };
    let first_incident = incidents.first().map(|i| i.key.clone()).unwrap_or_default();
    let on = RwSignal::new(first_incident);
    let preview = Resource::new(
        move || (settled.get(), on.get()),
        |(body, incident)| async move {
            if incident.is_empty() {
                None
            } else {
                Some(preview_postmortem_template(body, incident).await)
            }
        },
    );
    let name = template.name.clone();
    let described = match template.source {
        TemplateSource::Custom => format!(
            "Saved by {}",
            template.updated_by.clone().unwrap_or_default()
        ),
        TemplateSource::BuiltIn => "Sitrep's built-in format".to_owned(),
        TemplateSource::Default => "Not saved: drafts use the default's text".to_owned(),
    };
    let saved_at = template
        .updated_at
        .map(|at| view! { " · " <crate::ui::Timestamp at/> });
    let custom = template.source == TemplateSource::Custom;
    let reset_name = name.clone();
    let reset_note = if name == "default" {
        "Back to the built-in format"
    } else {
        "Use the default again"
    };
    view! {
        <div class="pm-template-editor">
            <ActionForm action=save attr:id="pm-template-form" attr:class="pm-template-form">
                <h2>{format!("Template: {name}")}</h2>
                <p class="muted" id="pm-template-source">{described}{saved_at}</p>
                <input type="hidden" name="name" value=name.clone()/>
                <div class="field">
                    <label for="pm-template-body">"Markdown with placeholders"</label>
                    <textarea id="pm-template-body" name="body" rows="28" spellcheck="false"
                        aria-describedby="pm-template-body-error"
                        on:input=on_input>{rcdata_text(&typed)}</textarea>
                    <FieldError id="pm-template-body-error" message=field_message(refusal, "body")/>
                </div>
                <button type="submit" class="primary">"Save template"</button>
            </ActionForm>
            {custom.then(move || view! {
                <ActionForm action=reset attr:id="pm-template-reset">
                    <input type="hidden" name="name" value=reset_name/>
                    <button type="submit">{reset_note}</button>
                </ActionForm>
            })}
            <div class="pm-template-preview" id="pm-template-preview">
                <div class="field">
                    <label for="pm-template-incident">"Preview on"</label>
                    <select id="pm-template-incident"
                        on:change=move |ev| on.set(event_target_value(&ev))>
                        {incidents.into_iter().map(|i| {
                            let label = format!("{} · {} · {}", i.key, i.severity, i.title);
                            view! { <option value=i.key.clone()>{label}</option> }
                        }).collect_view()}
                    </select>
                </div>
                <Transition fallback=|| view! { <p class="muted">"Drawing the preview…"</p> }>
                    {move || Suspend::new(async move {
                        match preview.await {
                            None => view! {
                                <p class="muted">"No resolved incident yet to preview on."</p>
                            }.into_any(),
                            Some(Ok(drawn)) => view! {
                                <article class="postmortem-body" aria-live="polite" inner_html=drawn.html></article>
                            }.into_any(),
                            Some(Err(err)) => {
                                let message = err.invalid()
                                    .and_then(|i| i.field("body").map(str::to_owned))
                                    .unwrap_or_else(|| err.to_string());
                                view! {
                                    <p class="form-error" role="alert" id="pm-template-preview-error">
                                        {format!("The preview does not render: {message}")}
                                    </p>
                                }.into_any()
                            }
                        }
                    })}
                </Transition>
            </div>
        </div>
    }
}
