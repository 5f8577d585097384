//! The war room's customer-communication panel: who owns it, when the next customer
//! update is due (counting down), each account's cadence, the message being worked
//! on (edit, regenerate when stale, ask for approval, approve or reject, send past
//! the guards), and what was sent, with each recipient's delivery.

use super::api::{
    ChangeCommsSchedule, DraftCustomerMessage, EditCustomerMessage, MoveCustomerMessage,
    RegenerateCustomerMessage,
};
use super::model::{CommsOverview, CustomerMessage, MessageState};
use crate::identity::model::{permits, Action, UserRole};
use crate::incidents::api::ChangeRoles;
use crate::live::now::{span, ServerNow};
use crate::notify::model::DeliveryStatus;
use crate::ui::{field_message, rcdata_text, refusal_of, FieldError, Timestamp};
use chrono::{DateTime, Utc};
use leptos::prelude::*;

/// The panel's server actions, created once by the page.
#[derive(Clone, Copy)]
pub struct CommsActions {
    pub draft: ServerAction<DraftCustomerMessage>,
    pub edit: ServerAction<EditCustomerMessage>,
    pub regenerate: ServerAction<RegenerateCustomerMessage>,
    pub move_message: ServerAction<MoveCustomerMessage>,
    pub schedule: ServerAction<ChangeCommsSchedule>,
    pub roles: ServerAction<ChangeRoles>,
    /// The message the latest move was for: its refusal is shown there only.
    moved: RwSignal<Option<i64>>,
}

impl CommsActions {
    pub fn new(roles: ServerAction<ChangeRoles>) -> Self {
        let move_message = ServerAction::<MoveCustomerMessage>::new();
        let moved = RwSignal::new(None);
        Effect::new(move |_| {
            if let Some(input) = move_message.input().get() {
                moved.set(Some(input.message));
            }
        });
        CommsActions {
            draft: ServerAction::new(),
            edit: ServerAction::new(),
            regenerate: ServerAction::new(),
            move_message,
            schedule: ServerAction::new(),
            roles,
            moved,
        }
    }

    /// Whether any of the panel's own actions just succeeded (the page reloads it).
    pub fn succeeded(self) -> bool {
        matches!(self.draft.value().get(), Some(Ok(_)))
            || matches!(self.edit.value().get(), Some(Ok(_)))
            || matches!(self.regenerate.value().get(), Some(Ok(_)))
            || matches!(self.move_message.value().get(), Some(Ok(_)))
            || matches!(self.schedule.value().get(), Some(Ok(_)))
    }
}

/// Now by the server's clock as the page knows it, never before `read_at`.
fn ticking_now(read_at: DateTime<Utc>) -> DateTime<Utc> {
    use_context::<ServerNow>().map_or(read_at, |now| now.get().max(read_at))
}

/// "due in 12 min", then "overdue by 4 min".
pub fn due_words(due: DateTime<Utc>, now: DateTime<Utc>) -> String {
    if due >= now {
        format!("due in {}", span(due - now))
    } else {
        format!("overdue by {}", span(now - due))
    }
}

/// The war-room header's "next customer update due in 12 min" (or paused), while
/// there is somebody to tell and the incident is open.
#[component]
pub fn NextUpdate(overview: CommsOverview) -> impl IntoView {
    let read_at = overview.read_at;
    overview.schedule.filter(|s| s.active).map(|schedule| {
        let due = schedule.next_due_at;
        match schedule.paused {
            Some(_) => view! { <span class="war-next-update">"Customer updates paused"</span> }.into_any(),
            None => view! {
                <span class=move || if due < ticking_now(read_at) { "war-next-update overdue" } else { "war-next-update" }
                    id="war-next-update">
                    {move || format!("Next customer update {}", due_words(due, ticking_now(read_at)))}
                </span>
            }
            .into_any(),
        }
    })
}

#[component]
pub fn CommsPanel(
    key: String,
    overview: CommsOverview,
    role: Option<UserRole>,
    actions: CommsActions,
) -> impl IntoView {
    let can = move |action| permits(role, action);
    let read_at = overview.read_at;
    let (open, sent): (Vec<CustomerMessage>, Vec<CustomerMessage>) = overview
        .messages
        .into_iter()
        .partition(|m| m.state.is_open() || m.state == MessageState::Rejected);
    let owner = overview.owner.clone();
    let nothing_to_say = overview.schedule.is_none();
    let (key_owner, key_schedule, key_draft, key_open, key_sent) =
        (key.clone(), key.clone(), key.clone(), key.clone(), key);
    view! {
        <section class="card comms" id="comms" aria-labelledby="comms-heading">
            <h2 id="comms-heading">"Customer communication"</h2>
            <p class="comms-owner">
                "Owner: "
                <strong>{owner.as_ref().map_or_else(|| "nobody yet".to_owned(), |o| o.display_name.clone())}</strong>
            </p>
            {overview.owner_missing.then(|| view! {
                <p class="warning" role="status" id="comms-owner-missing">
                    "Customers are impacted and nobody owns customer communication: assign an owner."
                </p>
            })}
            {can(Action::AssignCommsOwner).then(|| view! { <OwnerForm key=key_owner.clone() action=actions.roles open=overview.owner_missing choices=overview.owner_choices.clone()/> })}
            {nothing_to_say.then(|| view! {
                <p class="muted">"No customer account is impacted: there is nobody to tell yet."</p>
            })}
            {overview.schedule.map(|schedule| {
                let due = schedule.next_due_at;
                let paused = schedule.paused.clone();
                let interval = if schedule.interval_overridden {
                    format!("every {} min (set by CS; SLA default {} min)", schedule.interval_min, schedule.default_interval_min)
                } else {
                    format!("every {} min (the tightest SLA update target)", schedule.interval_min)
                };
                view! {
                    <div class="comms-schedule" id="comms-schedule">
                        {match (&paused, schedule.active) {
                            (_, false) => view! { <p class="muted">"Resolved: no more updates are scheduled."</p> }.into_any(),
                            (Some(p), true) => view! {
                                <p class="warning" id="comms-due">{format!("Updates paused by {}: {}", p.by, p.reason)}</p>
                            }.into_any(),
                            (None, true) => view! {
                                <p class=move || if due < ticking_now(read_at) { "comms-due overdue" } else { "comms-due" } id="comms-due">
                                    {move || format!("Next customer update {}", due_words(due, ticking_now(read_at)))}
                                </p>
                            }.into_any(),
                        }}
                        <p class="muted">{interval}</p>
                        {can(Action::ManageComms).then(|| view! { <ScheduleForm key=key_schedule.clone() action=actions.schedule paused=paused.is_some()/> })}
                    </div>
                }
            })}
            {(!overview.cadence.is_empty()).then(|| view! {
                <table class="cadence" id="cadence">
                    <caption>"Update cadence per account"</caption>
                    <thead><tr><th scope="col">"Account"</th><th scope="col">"Every"</th><th scope="col">"Last told"</th><th scope="col">"Next"</th><th scope="col">"Met / missed"</th></tr></thead>
                    <tbody>
                        {overview.cadence.into_iter().map(|c| {
                            let due = c.due_at;
                            view! {
                                <tr data-account=c.account.clone()>
                                    <td>{c.account_name}</td>
                                    <td>{format!("{} min", c.update_min)}</td>
                                    <td>{c.last_message_at.map_or_else(|| "not yet".to_owned(), |t| t.format("%H:%M UTC").to_string())}</td>
                                    <td>{move || due_words(due, ticking_now(read_at))}</td>
                                    <td>{format!("{} / {}", c.met, c.missed)}</td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            })}
            {(can(Action::DraftCustomerMessage) && !nothing_to_say && open.is_empty()).then(|| view! {
                <ActionForm action=actions.draft attr:class="comms-draft-new">
                    <input type="hidden" name="key" value=key_draft.clone()/>
                    <button type="submit" id="comms-draft-now">"Draft an update now"</button>
                </ActionForm>
            })}
            {open.into_iter().map(|message| view! {
                <OpenMessage key=key_open.clone() message role actions/>
            }).collect_view()}
            {(!sent.is_empty()).then(|| view! {
                <h3>"Sent"</h3>
                <ol class="comms-sent" id="comms-sent">
                    {sent.into_iter().map(|message| view! { <SentMessage key=key_sent.clone() message role actions/> }).collect_view()}
                </ol>
            })}
        </section>
    }
}

/// Hands the role over. The choices come with the overview: a resource made inside
/// the panel's own transition would be numbered differently on the server and in the
/// browser, and break hydration.
#[component]
fn OwnerForm(
    key: String,
    action: ServerAction<ChangeRoles>,
    open: bool,
    choices: Vec<(String, String)>,
) -> impl IntoView {
    let refusal = refusal_of(move || action.value().get());
    view! {
        <details class="comms-owner-change" open=open>
            <summary>"Hand over customer communication"</summary>
            <ActionForm action attr:class="comms-owner-form">
                <input type="hidden" name="key" value=key/>
                <label for="comms-owner-pick">"Communications owner"</label>
                <select id="comms-owner-pick" name="comms_owner">
                    <option value="">"Choose someone…"</option>
                    {choices.into_iter().map(|(email, label)| view! { <option value=email>{label}</option> }).collect_view()}
                </select>
                <button type="submit" disabled=move || action.pending().get()>"Assign"</button>
                <FieldError id="comms-owner-pick-error" message=field_message(refusal, "comms_owner")/>
            </ActionForm>
        </details>
    }
}

#[component]
fn ScheduleForm(
    key: String,
    action: ServerAction<ChangeCommsSchedule>,
    paused: bool,
) -> impl IntoView {
    let refusal = refusal_of(move || action.value().get());
    let error = move |field| field_message(refusal, field);
    view! {
        <details class="comms-schedule-change">
        <summary>"Change the schedule"</summary>
        <ActionForm action attr:class="comms-schedule-form" attr:id="comms-schedule-form">
            <input type="hidden" name="key" value=key/>
            <div class="field">
                <label for="comms-interval">"Minutes between updates (0: SLA default)"</label>
                <input id="comms-interval" name="interval_min" type="number" min="0" max="1440"/>
                <FieldError id="comms-interval-error" message=error("interval_min")/>
            </div>
            {if paused {
                view! {
                    <input type="hidden" name="pause" value="resume"/>
                    <button type="submit" id="comms-resume">"Resume updates"</button>
                }.into_any()
            } else {
                view! {
                    <div class="field">
                        <label for="comms-pause-reason">"Pause because (to pause)"</label>
                        <input id="comms-pause-reason" name="reason" type="text"/>
                        <FieldError id="comms-pause-reason-error" message=error("reason")/>
                    </div>
                    <button type="submit" name="pause" value="" id="comms-set-interval">"Set interval"</button>
                    <button type="submit" name="pause" value="pause" id="comms-pause">"Pause updates"</button>
                }.into_any()
            }}
            <FieldError id="comms-paused-error" message=error("paused")/>
        </ActionForm>
        </details>
    }
}

#[component]
fn OpenMessage(
    key: String,
    message: CustomerMessage,
    role: Option<UserRole>,
    actions: CommsActions,
) -> impl IntoView {
    let can = move |action| permits(role, action);
    let id = message.id;
    let (key_edit, key_regen, key_submit, key_review, key_send) =
        (key.clone(), key.clone(), key.clone(), key.clone(), key);
    let edit_refusal = refusal_of(move || actions.edit.value().get());
    let edit_error = move |field| field_message(edit_refusal, field);
    let refused = Memo::new(move |_| match actions.move_message.value().get() {
        Some(Err(err)) => Some(err),
        _ => None,
    });
    let stale = message.is_stale();
    let newer = message.newer_entries.len();
    let guards = message.guards.clone();
    let state = message.state;
    let editable = matches!(state, MessageState::Draft | MessageState::Rejected)
        && can(Action::DraftCustomerMessage);
    let sendable = can(Action::SendCustomerMessage)
        && (state == MessageState::Approved
            || (state == MessageState::Draft && !message.needs_approval));
    let last_rejection = message
        .transitions
        .iter()
        .rev()
        .find(|t| t.to == MessageState::Rejected)
        .map(|t| {
            format!(
                "Rejected by {}: {}",
                t.actor,
                t.comment.clone().unwrap_or_default()
            )
        });
    let earlier = message
        .versions
        .iter()
        .rev()
        .nth(1)
        .filter(|v| v.origin == "edited" && stale)
        .map(|v| v.body.clone());
    view! {
        <article class=format!("comms-message open state-{}", state.as_str()) id=format!("message-{id}") data-state=state.as_str()>
            <p class="comms-message-meta">
                <span class=format!("badge message-state message-state-{}", state.as_str())>{state.label()}</span>
                " " {format!("#{id} to {} · {} · v{}", message.audience_label, message.customer_status.label(), message.version)}
                {message.needs_approval.then(|| view! { <span class="muted">" · needs a second person's approval"</span> })}
                " · drafted by " {message.created_by.clone()}
            </p>
            {last_rejection.filter(|_| state == MessageState::Rejected).map(|r| view! { <p class="warning">{r}</p> })}
            {stale.then(|| view! {
                <p class="warning stale" role="status" id=format!("message-{id}-stale")>
                    {format!("Engineering posted {newer} update{} since this was drafted.", if newer == 1 { "" } else { "s" })}
                </p>
            })}
            {earlier.map(|body| view! {
                <details class="comms-earlier"><summary>"Your edited text (before regenerating)"</summary><pre>{body}</pre></details>
            })}
            {(!message.sources.is_empty()).then(|| view! {
                <p class="comms-sources">"From entries: "
                    {message.sources.iter().map(|seq| view! { <a href=format!("#entry-{seq}")>{format!("#{seq} ")}</a> }).collect_view()}
                </p>
            })}
            {if editable {
                view! {
                    <ActionForm action=actions.edit attr:class="comms-edit">
                        <input type="hidden" name="key" value=key_edit.clone()/>
                        <input type="hidden" name="message" value=id/>
                        <div class="field">
                            <label for=format!("message-{id}-subject")>"Subject"</label>
                            <input id=format!("message-{id}-subject") name="subject" type="text" value=message.subject.clone()/>
                            <FieldError id=format!("message-{id}-subject-error") message=edit_error("subject")/>
                        </div>
                        <div class="field">
                            <label for=format!("message-{id}-body")>"Message (email body)"</label>
                            <textarea id=format!("message-{id}-body") name="body" rows="8">{rcdata_text(&message.body)}</textarea>
                            <FieldError id=format!("message-{id}-body-error") message=edit_error("body")/>
                        </div>
                        <div class="field">
                            <label for=format!("message-{id}-short")>"Short text (status line, SMS)"</label>
                            <input id=format!("message-{id}-short") name="short_text" type="text" value=message.short_text.clone()/>
                            <FieldError id=format!("message-{id}-short-error") message=edit_error("short_text")/>
                        </div>
                        <button type="submit" id=format!("message-{id}-save")>"Save edits"</button>
                    </ActionForm>
                }.into_any()
            } else {
                view! {
                    <div class="comms-preview">
                        <p class="comms-subject"><strong>{message.subject.clone()}</strong></p>
                        <pre class="comms-body">{message.body.clone()}</pre>
                        <p class="muted">{message.short_text.clone()}</p>
                    </div>
                }.into_any()
            }}
            {(editable && stale).then(|| view! {
                <ActionForm action=actions.regenerate attr:class="comms-regenerate">
                    <input type="hidden" name="key" value=key_regen.clone()/>
                    <input type="hidden" name="message" value=id/>
                    <button type="submit" id=format!("message-{id}-regenerate")>"Regenerate from the timeline"</button>
                </ActionForm>
            })}
            {(!guards.is_empty()).then(|| view! {
                <ul class="comms-guards" id=format!("message-{id}-guards")>
                    {guards.iter().map(|g| view! {
                        <li class=format!("guard guard-{}", g.guard.as_str())><strong>{g.guard.label()}</strong>": " {g.reason.clone()}</li>
                    }).collect_view()}
                </ul>
            })}
            <div class="comms-moves">
                {(state == MessageState::Draft && message.needs_approval && can(Action::DraftCustomerMessage)).then(|| view! {
                    <MoveButton key=key_submit.clone() id action="submit" label="Ask for approval" actions/>
                })}
                {(state == MessageState::InReview && message.written_by_you).then(|| view! {
                    <p class="muted">"Waiting for someone else's approval."</p>
                })}
                {(state == MessageState::InReview && can(Action::ApproveCustomerMessage) && !message.written_by_you).then(|| view! {
                    <MoveButton key=key_review.clone() id action="approve" label="Approve" actions/>
                    <ActionForm action=actions.move_message attr:class="comms-reject">
                        <input type="hidden" name="key" value=key_review.clone()/>
                        <input type="hidden" name="message" value=id/>
                        <input type="hidden" name="action" value="reject"/>
                        <label for=format!("message-{id}-reject-comment")>"Why reject?"</label>
                        <input id=format!("message-{id}-reject-comment") name="comment" type="text"/>
                        <button type="submit" class="danger" id=format!("message-{id}-reject")>"Reject"</button>
                    </ActionForm>
                })}
                {sendable.then(|| view! {
                    <ActionForm action=actions.move_message attr:class="comms-send">
                        <input type="hidden" name="key" value=key_send.clone()/>
                        <input type="hidden" name="message" value=id/>
                        <input type="hidden" name="action" value="send"/>
                        {(!guards.is_empty()).then(|| view! {
                            <fieldset class="comms-overrides">
                                <legend>"Send anyway despite"</legend>
                                {guards.iter().map(|g| view! {
                                    <label><input type="checkbox" name="overrides[]" value=g.guard.as_str()/>" " {g.guard.label()}</label>
                                }).collect_view()}
                                <label for=format!("message-{id}-override-reason")>"Why (logged)"</label>
                                <input id=format!("message-{id}-override-reason") name="override_reason" type="text"/>
                            </fieldset>
                        })}
                        <button type="submit" class="primary" id=format!("message-{id}-send")>"Send to customers"</button>
                    </ActionForm>
                })}
            </div>
            <p class="form-error" role="alert" id=format!("message-{id}-error")>
                {move || refused.get().filter(|_| actions.moved.get() == Some(id)).map(|err| match err.invalid() {
                    Some(invalid) => invalid.fields.values().cloned().collect::<Vec<_>>().join(" · "),
                    None => err.to_string(),
                })}
            </p>
        </article>
    }
}

#[component]
fn MoveButton(
    key: String,
    id: i64,
    action: &'static str,
    label: &'static str,
    actions: CommsActions,
) -> impl IntoView {
    view! {
        <ActionForm action=actions.move_message attr:class=format!("comms-{action}")>
            <input type="hidden" name="key" value=key/>
            <input type="hidden" name="message" value=id/>
            <input type="hidden" name="action" value=action/>
            <button type="submit" id=format!("message-{id}-{action}")>{label}</button>
        </ActionForm>
    }
}

#[component]
fn SentMessage(
    key: String,
    message: CustomerMessage,
    role: Option<UserRole>,
    actions: CommsActions,
) -> impl IntoView {
    let id = message.id;
    let retractable =
        message.state == MessageState::Sent && permits(role, Action::SendCustomerMessage);
    view! {
        <li class=format!("comms-message state-{}", message.state.as_str()) id=format!("message-{id}") data-state=message.state.as_str()>
            <p class="comms-message-meta">
                <span class=format!("badge message-state message-state-{}", message.state.as_str())>{message.state.label()}</span>
                " " {format!("#{id} to {} · {}", message.audience_label, message.customer_status.label())}
                {message.retracts.map(|r| format!(" · corrects #{r}"))}
                {message.sent_at.map(|at| view! { " · sent " <Timestamp at/> })}
            </p>
            <p class="comms-subject"><strong>{message.subject.clone()}</strong></p>
            <details>
                <summary>"Text, approvals and deliveries"</summary>
                <pre class="comms-body">{message.body.clone()}</pre>
                <ul class="comms-transitions">
                    {message.transitions.iter().map(|t| {
                        let line = format!(
                            "{} → {} by {} at {}{}{}",
                            t.from.map_or("new", |f| f.as_str()),
                            t.to.as_str(),
                            t.actor,
                            t.at.format("%H:%M:%S UTC"),
                            t.comment.as_ref().map(|c| format!(": {c}")).unwrap_or_default(),
                            if t.overrides.is_empty() { String::new() } else {
                                format!(" (overrode {})", t.overrides.iter().map(|o| format!("{}: {}", o.guard, o.reason)).collect::<Vec<_>>().join("; "))
                            },
                        );
                        view! { <li>{line}</li> }
                    }).collect_view()}
                </ul>
                <ul class="comms-deliveries" id=format!("message-{id}-deliveries")>
                    {message.deliveries.iter().map(|d| {
                        let outcome = match d.status {
                            DeliveryStatus::Delivered => "delivered".to_owned(),
                            DeliveryStatus::Pending if d.attempts == 0 => "queued".to_owned(),
                            DeliveryStatus::Pending => format!("retrying ({} attempts)", d.attempts),
                            DeliveryStatus::Failed => format!("failed: {}", d.last_error.clone().unwrap_or_default()),
                        };
                        view! {
                            <li class=format!("delivery delivery-{}", outcome.split([' ', ':']).next().unwrap_or_default())>
                                {format!("{} · {} {} — {outcome}", d.account, d.channel.as_str(), d.target)}
                            </li>
                        }
                    }).collect_view()}
                </ul>
            </details>
            {retractable.then(|| view! {
                <ActionForm action=actions.move_message attr:class="comms-retract">
                    <input type="hidden" name="key" value=key/>
                    <input type="hidden" name="message" value=id/>
                    <input type="hidden" name="action" value="retract"/>
                    <label for=format!("message-{id}-correction")>"Correction to send"</label>
                    <input id=format!("message-{id}-correction") name="comment" type="text"/>
                    <button type="submit" class="danger" id=format!("message-{id}-retract")>"Retract with a correction"</button>
                </ActionForm>
            })}
        </li>
    }
}
