//! Follow-up actions in the browser: the panel on a post-mortem (add one, move its
//! status), and `/follow-ups`, every incident's follow-ups filtered by owner, team
//! and overdue — by default the signed-in person's open ones.

use super::api::{list_followups, ChangeFollowup, CreateFollowup};
use super::model::{FollowUp, FollowUpFilter, FollowUpKind, FollowUpStatus, IncidentFollowUps};
use crate::identity::api::current_user;
use crate::identity::model::User;
use crate::ui::{failure_of, field_message, refusal_of, ChoiceSelect, FieldError};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::{Form, A};
use leptos_router::hooks::use_query_map;

/// The incident's follow-ups and, for writers, the form adding one — started from a
/// timeline entry when raised from the war room (`?from=seq`).
#[component]
pub fn FollowUpsPanel(
    key: String,
    followups: IncidentFollowUps,
    me: Option<User>,
    writer: bool,
    people: Vec<(String, String)>,
    changes: RwSignal<u32>,
) -> impl IntoView {
    let create = ServerAction::<CreateFollowup>::new();
    let change = ServerAction::<ChangeFollowup>::new();
    Effect::new(move |_| {
        if matches!(create.value().get(), Some(Ok(_)))
            || matches!(change.value().get(), Some(Ok(_)))
        {
            changes.update(|n| *n += 1);
        }
    });
    let refusal = refusal_of(move || create.value().get());
    let failure = failure_of(move || create.value().get());
    let raising = followups.raising;
    let from_seq = raising.as_ref().map(|r| r.from_seq);
    // A refused form shows what was typed; otherwise the entry's suggestion.
    let typed = move |field: &'static str| {
        let suggested = match (&raising, field) {
            (Some(r), "title") => r.title.clone(),
            (Some(r), "kind") => r.kind.as_str().to_owned(),
            _ => String::new(),
        };
        Signal::derive(move || {
            refusal.with(|r| match r.as_ref() {
                Some(r) => r.input(field).unwrap_or_default().to_owned(),
                None => suggested.clone(),
            })
        })
    };
    let my_email = me.map(|u| u.email).unwrap_or_default();
    let rows = followups.rows;
    let entry_link = |key: &str, seq: i64| format!("/incidents/{key}#entry-{seq}");
    view! {
        <section class="card" id="followups" aria-labelledby="followups-heading">
            <h2 id="followups-heading">"Follow-up actions"</h2>
            <p class="muted"><A href="/follow-ups">"Every incident's follow-ups"</A></p>
            {if rows.is_empty() {
                view! { <p class="muted">"None yet."</p> }.into_any()
            } else {
                view! { <FollowUpTable rows my_email=my_email.clone() writer change show_incident=false/> }.into_any()
            }}
            // Not folded in a <details>: Chromium left the date and link inputs without
            // a layout box (0×0, not fillable) when the page re-rendered them inside a
            // closed one after a save.
            {writer.then(|| view! {
                <h3 id="add-followup-heading">"Add a follow-up"</h3>
                <ActionForm action=create attr:id="followup-form" attr:aria-labelledby="add-followup-heading">
                        <input type="hidden" name="key" value=key.clone()/>
                        {from_seq.map(|seq| view! {
                            <input type="hidden" name="from_seq" value=seq/>
                            <p class="notice" id="followup-raising">
                                "Raised from " <a href=entry_link(&key, seq)>{format!("timeline entry #{seq}")}</a>
                                " in the war room."
                            </p>
                        })}
                        <p class="form-error" role="alert">{move || failure.get()}</p>
                        <div class="field">
                            <label for="followup-title">"What is to be done"</label>
                            <input id="followup-title" name="title" value=typed("title") aria-describedby="followup-title-error"/>
                            <FieldError id="followup-title-error" message=field_message(refusal, "title")/>
                        </div>
                        <div class="field">
                            <label for="followup-kind">"Type"</label>
                            <select id="followup-kind" name="kind">
                                {FollowUpKind::ALL.into_iter().map(|k| {
                                    let chosen = typed("kind");
                                    view! { <option value=k.as_str() selected=move || chosen.get() == k.as_str()>{k.label()}</option> }
                                }).collect_view()}
                            </select>
                        </div>
                        <div class="field">
                            <label for="followup-owner">"Owner"</label>
                            <select id="followup-owner" name="owner" aria-describedby="followup-owner-error">
                                <option value="">"Choose…"</option>
                                {people.into_iter().map(|(email, label)| {
                                    let (chosen, typed) = (email.clone(), typed("owner"));
                                    view! { <option value=email selected=move || typed.get() == chosen>{label}</option> }
                                }).collect_view()}
                            </select>
                            <FieldError id="followup-owner-error" message=field_message(refusal, "owner")/>
                        </div>
                        <div class="field">
                            <label for="followup-due">"Due on"</label>
                            <input id="followup-due" name="due_on" type="date" value=typed("due_on") aria-describedby="followup-due-error"/>
                            <FieldError id="followup-due-error" message=field_message(refusal, "due_on")/>
                        </div>
                        <div class="field">
                            <label for="followup-url">"Tracker link (optional)"</label>
                            <input id="followup-url" name="tracker_url" type="url" value=typed("tracker_url") aria-describedby="followup-url-error"/>
                            <FieldError id="followup-url-error" message=field_message(refusal, "tracker_url")/>
                        </div>
                        <button type="submit" class="primary">"Add the follow-up"</button>
                </ActionForm>
            })}
        </section>
    }
}

/// Follow-ups as a table; the owner (or a writer) moves each one's status.
#[component]
fn FollowUpTable(
    rows: Vec<FollowUp>,
    my_email: String,
    writer: bool,
    change: ServerAction<ChangeFollowup>,
    show_incident: bool,
) -> impl IntoView {
    let failure = failure_of(move || change.value().get());
    view! {
        <p class="form-error" role="alert">{move || failure.get()}</p>
        <div class="table-scroll">
            <table class="board followups">
                <thead>
                    <tr>
                        {show_incident.then(|| view! { <th scope="col">"Incident"</th> })}
                        <th scope="col">"Follow-up"</th>
                        <th scope="col">"Type"</th>
                        <th scope="col">"Owner"</th>
                        <th scope="col">"Due"</th>
                        <th scope="col">"Status"</th>
                    </tr>
                </thead>
                <tbody>
                    {rows.into_iter().map(|f| {
                        let movable = writer || f.owner_email == my_email;
                        let id = f.id;
                        let status = f.status;
                        let raised_from = f.from_seq.map(|seq| (seq, format!("/incidents/{}#entry-{seq}", f.incident)));
                        view! {
                            <tr id=format!("followup-{id}") class:overdue=f.overdue>
                                {show_incident.then(|| view! {
                                    <td><A href=format!("/incidents/{}/postmortem#followups", f.incident)>{f.incident.clone()}</A>" " <span class="muted">{f.incident_title.clone()}</span></td>
                                })}
                                <td class="followup-title">
                                    {f.title.clone()}
                                    {f.tracker_url.clone().map(|url| view! { " " <a href=url rel="noopener noreferrer">"tracker"</a> })}
                                    {raised_from.map(|(seq, href)| view! {
                                        " " <a class="muted" href=href>{format!("from entry #{seq}")}</a>
                                    })}
                                </td>
                                <td data-label="Type">{f.kind.label()}</td>
                                <td data-label="Owner">{f.owner_name.clone()}</td>
                                <td data-label="Due">
                                    {f.due_on.format("%Y-%m-%d").to_string()}
                                    {f.overdue.then(|| view! { " " <strong class="overdue-flag">"overdue"</strong> })}
                                </td>
                                <td data-label="Status">
                                    {if movable {
                                        view! {
                                            <ActionForm action=change attr:class="status-form">
                                                <input type="hidden" name="id" value=id/>
                                                <label class="visually-hidden" for=format!("followup-status-{id}")>"Status"</label>
                                                <select id=format!("followup-status-{id}") name="status">
                                                    {FollowUpStatus::ALL.into_iter().map(|s| view! {
                                                        <option value=s.as_str() selected=s == status>{s.label()}</option>
                                                    }).collect_view()}
                                                </select>
                                                <button type="submit">"Save"</button>
                                            </ActionForm>
                                        }.into_any()
                                    } else {
                                        view! { <span>{status.label()}</span> }.into_any()
                                    }}
                                </td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

/// `/follow-ups`: follow-ups across incidents, soonest due first.
#[component]
pub fn FollowUpsPage() -> impl IntoView {
    let query = use_query_map();
    let me = Resource::new(|| (), |_| async { current_user().await.ok().flatten() });
    let change = ServerAction::<ChangeFollowup>::new();
    let changes = RwSignal::new(0_u32);
    Effect::new(move |_| {
        if matches!(change.value().get(), Some(Ok(_))) {
            changes.update(|n| *n += 1);
        }
    });
    let people = Resource::new(|| (), |_| crate::catalog::api::people_choices());
    let teams = Resource::new(|| (), |_| crate::catalog::api::team_choices());
    let param = move |name: &str| query.read().get(name).unwrap_or_default();
    let rows = Resource::new(
        move || {
            (
                param("owner"),
                param("team"),
                param("overdue"),
                param("closed"),
                param("anyone"),
                changes.get(),
            )
        },
        move |(owner, team, overdue, closed, anyone, _)| async move {
            // Without an owner in the address, the signed-in person's own.
            let owner = if owner.is_empty() && anyone.is_empty() && team.is_empty() {
                current_user().await.ok().flatten().map(|u| u.email)
            } else {
                Some(owner).filter(|o| !o.is_empty())
            };
            let filter = FollowUpFilter {
                owner: owner.clone(),
                team: Some(team).filter(|t| !t.is_empty()),
                overdue: !overdue.is_empty(),
                closed: !closed.is_empty(),
            };
            list_followups(filter).await.map(|rows| (owner, rows))
        },
    );
    view! {
        <Title text="Follow-ups · Sitrep"/>
        <section class="card" aria-labelledby="followups-heading">
            <h1 id="followups-heading">"Follow-up actions"</h1>
            <Form method="GET" action="" attr:class="filters" attr:id="followup-filters">
                <div class="field-row">
                    <div class="field">
                        <label for="filter-owner">"Owner"</label>
                        <ChoiceSelect id="filter-owner" name="owner" blank="Me" choices=people
                            selected=Signal::derive(move || param("owner"))/>
                    </div>
                    <div class="field">
                        <label for="filter-team">"Owners on team"</label>
                        <ChoiceSelect id="filter-team" name="team" blank="Any team" choices=teams
                            selected=Signal::derive(move || param("team"))/>
                    </div>
                </div>
                <div class="button-row">
                    <label class="check"><input type="checkbox" name="overdue" value="1" checked=move || !param("overdue").is_empty()/>"Overdue only"</label>
                    <label class="check"><input type="checkbox" name="closed" value="1" checked=move || !param("closed").is_empty()/>"Done and won't do too"</label>
                </div>
                <div class="button-row">
                    <button type="submit">"Show"</button>
                    <A href="/follow-ups?anyone=1">"Everyone's follow-ups"</A>
                </div>
            </Form>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    let me = me.await;
                    let writer = me.as_ref().is_some_and(|u| u.role.permits(crate::identity::model::Action::WritePostMortem));
                    let my_email = me.map(|u| u.email).unwrap_or_default();
                    match rows.await {
                        Err(err) => view! { <p class="form-error" role="alert">{err.to_string()}</p> }.into_any(),
                        Ok((owner, rows)) => {
                            let whose = match owner {
                                Some(owner) if owner == my_email => "Yours".to_owned(),
                                Some(owner) => format!("Owned by {owner}"),
                                None => "Everyone's".to_owned(),
                            };
                            let overdue = rows.iter().filter(|f| f.overdue).count();
                            view! {
                                <p id="followups-summary" role="status">
                                    {format!("{whose}: {} shown, {overdue} overdue.", rows.len())}
                                </p>
                                {if rows.is_empty() {
                                    view! { <p class="muted">"No follow-up matches."</p> }.into_any()
                                } else {
                                    view! { <FollowUpTable rows my_email writer change show_incident=true/> }.into_any()
                                }}
                            }.into_any()
                        }
                    }
                })}
            </Transition>
        </section>
    }
}
