//! `/admin/status`: the status page's name, its components (customer-facing names
//! for systems, in groups), planned maintenance with its messages, and each
//! account's private page link. Customer success and admins edit it.

use super::api::{
    get_status_admin, PostStatusMaintenanceNotice, RotateStatusLink, SaveStatusComponents,
    ScheduleStatusMaintenance, SetStatusPageName,
};
use super::model::{AccountPage, ComponentInput, MaintenanceState, PageMaintenance, StatusAdmin};
use crate::error::{AppError, Invalid};
use crate::ui::{failure_of, field_message, rcdata_text, refusal_of, FieldError, Timestamp};
use leptos::html::Form;
use leptos::prelude::*;
use leptos_meta::Title;

/// Blank rows offered under the components, for adding.
const BLANK_ROWS: usize = 2;

#[component]
pub fn StatusAdminPage() -> impl IntoView {
    let name = ServerAction::<SetStatusPageName>::new();
    let components = ServerAction::<SaveStatusComponents>::new();
    let schedule = ServerAction::<ScheduleStatusMaintenance>::new();
    let notice = ServerAction::<PostStatusMaintenanceNotice>::new();
    let rotate = ServerAction::<RotateStatusLink>::new();
    // Each part is read again only after its own forms' saves went through, so a
    // save elsewhere never throws away what is being typed here.
    let (named, listed, scheduled, noticed, rotated) = (
        saves(move || name.value().get()),
        saves(move || components.value().get()),
        saves(move || schedule.value().get()),
        saves(move || notice.value().get()),
        saves(move || rotate.value().get()),
    );
    let page = Resource::new(move || (named.get(), listed.get()), |_| get_status_admin());
    let work = Resource::new(
        move || (scheduled.get(), noticed.get(), listed.get()),
        |_| get_status_admin(),
    );
    let links = Resource::new(move || rotated.get(), |_| get_status_admin());
    view! {
        <Title text="Status page · Sitrep"/>
        <h1>"Status page"</h1>
        <p class="muted">
            "What customers read at " <a href="/status">"/status"</a>
            " (and each account at its private link). It shows only customer messages that were sent, and the planned work announced here."
        </p>
        <div class="admin-grid status-admin">
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match page.await {
                        Ok(admin) => view! {
                            <PageNameForm action=name saved=admin.page_name.clone()/>
                            <ComponentsForm action=components admin/>
                        }.into_any(),
                        Err(err) => view! { <p class="form-error" role="alert">{err.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    work.await.ok().map(|admin| view! {
                        <MaintenanceSection admin schedule notice/>
                    })
                })}
            </Transition>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    links.await.ok().map(|admin| view! {
                        <PrivateLinks accounts=admin.accounts action=rotate/>
                    })
                })}
            </Transition>
        </div>
    }
}

/// Counts the saves that went through (a refused one does not count).
fn saves<T: Send + Sync + 'static>(
    latest: impl Fn() -> Option<Result<T, AppError>> + Send + Sync + 'static,
) -> Memo<usize> {
    Memo::new(move |count: Option<&usize>| {
        let count = count.copied().unwrap_or(0);
        if matches!(latest(), Some(Ok(_))) {
            count + 1
        } else {
            count
        }
    })
}

/// What a refused form typed into `field`, else `saved`: without JavaScript the
/// page is drawn again from the server's echo of the refused post.
fn typed_or(refusal: Memo<Option<Invalid>>, field: &str, saved: &str) -> String {
    refusal
        .get_untracked()
        .and_then(|r| r.input(field).map(str::to_owned))
        .unwrap_or_else(|| saved.to_owned())
}

#[component]
fn PageNameForm(action: ServerAction<SetStatusPageName>, saved: String) -> impl IntoView {
    let refusal = refusal_of(move || action.value().get());
    view! {
        <section class="card" id="status-name" aria-labelledby="status-name-heading">
            <h2 id="status-name-heading">"Page name"</h2>
            <ActionForm action attr:class="catalog-form" attr:id="status-name-form">
                <div class="field">
                    <label for="status-page-name">"Shown at the top of every status page"</label>
                    <input id="status-page-name" name="name" type="text" autocomplete="off"
                        value=typed_or(refusal, "name", &saved)
                        aria-describedby="status-page-name-error"/>
                    <FieldError id="status-page-name-error" message=field_message(refusal, "name")/>
                </div>
                <button type="submit" class="primary" disabled=move || action.pending().get()>"Save name"</button>
                <Show when=move || matches!(action.value().get(), Some(Ok(_)))>
                    <p class="saved" role="status">"Name saved"</p>
                </Show>
            </ActionForm>
        </section>
    }
}

#[component]
fn ComponentsForm(action: ServerAction<SaveStatusComponents>, admin: StatusAdmin) -> impl IntoView {
    let refusal = refusal_of(move || action.value().get());
    let echoed_rows = refusal
        .get_untracked()
        .map(|r| {
            r.input
                .keys()
                .filter_map(|k| {
                    k.strip_prefix("rows[")?
                        .split(']')
                        .next()?
                        .parse::<usize>()
                        .ok()
                })
                .map(|i| i + 1)
                .max()
                .unwrap_or(0)
        })
        .unwrap_or(0);
    let rows = admin
        .components
        .len()
        .max(echoed_rows.saturating_sub(BLANK_ROWS))
        + BLANK_ROWS;
    let saved = move |i: usize| admin.components.get(i).cloned().unwrap_or_default();
    // Whole-list problems (an unknown system) are not any one row's.
    let list_problem = Signal::derive(move || {
        refusal.with(|r| {
            r.as_ref().and_then(|r| {
                let general: Vec<&str> = r
                    .fields
                    .iter()
                    .filter(|(k, _)| !k.starts_with("rows["))
                    .map(|(_, v)| v.as_str())
                    .collect();
                (!general.is_empty()).then(|| general.join("; "))
            })
        })
    });
    let systems = admin
        .systems
        .iter()
        .map(|(slug, name)| format!("{slug} ({name})"))
        .collect::<Vec<_>>()
        .join(", ");
    view! {
        <section class="card status-components" id="status-components" aria-labelledby="status-components-heading">
            <h2 id="status-components-heading">"Components"</h2>
            <p class="muted">
                "What customers see instead of your systems, in this order. Components in the same group show together. "
                "A message about an incident on a system sets its component's status. Clear a row's slug and name to remove it."
            </p>
            <ActionForm action attr:class="component-rows" attr:id="status-components-form">
                {(0..rows).map(|i| view! { <ComponentRowFields i saved=saved(i) refusal/> }).collect_view()}
                <p class="muted" id="known-systems">"Systems: " {if systems.is_empty() { "none yet (add them in the catalog)".to_owned() } else { systems }}</p>
                <FieldError id="status-components-error" message=list_problem/>
                <button type="submit" class="primary" disabled=move || action.pending().get()>"Save components"</button>
                <Show when=move || matches!(action.value().get(), Some(Ok(_)))>
                    <p class="saved" role="status">"Components saved"</p>
                </Show>
            </ActionForm>
        </section>
    }
}

/// One component's boxes, named `rows[i][…]` (the server reads them as a list).
#[component]
fn ComponentRowFields(
    i: usize,
    saved: ComponentInput,
    refusal: Memo<Option<Invalid>>,
) -> impl IntoView {
    let legend = if saved.slug.is_empty() {
        format!("New component {}", i + 1)
    } else {
        format!("Component {}: {}", i + 1, saved.name)
    };
    let systems = saved.systems.join(", ");
    let field = move |part: &'static str, label: &'static str, saved: String| {
        let id = format!("component-{i}-{part}");
        let error_id = format!("{id}-error");
        let key = format!("rows[{i}].{part}");
        let message = field_message(refusal, key.clone());
        view! {
            <div class="field">
                <label for=id.clone()>{label}</label>
                <input id=id name=format!("rows[{i}][{part}]") type="text" autocomplete="off" spellcheck="false"
                    value=typed_or(refusal, &key, &saved)
                    aria-invalid=move || message.get().is_some().to_string()
                    aria-describedby=error_id.clone()/>
                <FieldError id=error_id message/>
            </div>
        }
    };
    view! {
        <fieldset class="component-row" data-row=i>
            <legend>{legend}</legend>
            {field("slug", "Slug", saved.slug.clone())}
            {field("name", "Name customers read", saved.name.clone())}
            {field("group", "Group (optional)", saved.group.clone())}
            {field("systems", "Systems (slugs, comma-separated)", systems)}
            {field("description", "Description (optional)", saved.description.clone())}
        </fieldset>
    }
}

#[component]
fn MaintenanceSection(
    admin: StatusAdmin,
    schedule: ServerAction<ScheduleStatusMaintenance>,
    notice: ServerAction<PostStatusMaintenanceNotice>,
) -> impl IntoView {
    let (open, done): (Vec<PageMaintenance>, Vec<PageMaintenance>) = admin
        .maintenances
        .into_iter()
        .partition(|m| m.state != MaintenanceState::Completed);
    let names: Vec<(String, String)> = admin
        .components
        .iter()
        .map(|c| (c.slug.clone(), c.name.clone()))
        .collect();
    let label_of = {
        let names = names.clone();
        move |slugs: &[String]| {
            slugs
                .iter()
                .map(|s| {
                    names
                        .iter()
                        .find(|(slug, _)| slug == s)
                        .map_or(s.as_str(), |(_, n)| n.as_str())
                })
                .collect::<Vec<_>>()
                .join(", ")
        }
    };
    // Not about a field (completed meanwhile, gone): said above the list.
    let failure = failure_of(move || notice.value().get());
    view! {
        <section class="card status-maintenance" id="status-maintenance" aria-labelledby="status-maintenance-heading">
            <h2 id="status-maintenance-heading">"Planned maintenance"</h2>
            {move || failure.get().map(|f| view! { <p class="form-error" role="alert">{f}</p> })}
            {if open.is_empty() {
                view! { <p class="muted">"No planned work is open."</p> }.into_any()
            } else {
                view! {
                    <ul class="section-list maintenance-list">
                        {open.into_iter().map(|m| {
                            let on = label_of(&m.components);
                            view! { <MaintenanceItem work=m on action=notice/> }
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
            <ScheduleForm action=schedule components=names zone=admin.zone zone_from_browser=admin.zone_from_browser/>
            {(!done.is_empty()).then(|| view! {
                <h3>"Completed in the last 90 days"</h3>
                <ul class="maintenance-done">
                    {done.into_iter().map(|m| view! {
                        <li>{m.title}" — completed " {m.completed_at.map(|at| view! { <Timestamp at/> })}</li>
                    }).collect_view()}
                </ul>
            })}
        </section>
    }
}

/// Open planned work: where it stands, its latest message, and the form moving it on.
#[component]
fn MaintenanceItem(
    work: PageMaintenance,
    on: String,
    action: ServerAction<PostStatusMaintenanceNotice>,
) -> impl IntoView {
    let id = work.id;
    let refusal = refusal_of(move || action.value().get());
    let here = move || {
        refusal.with(|r| {
            r.as_ref()
                .and_then(|r| r.input("id"))
                .is_some_and(|echoed| echoed == id.to_string())
        })
    };
    let error = move |field: &'static str| {
        let message = field_message(refusal, field);
        Signal::derive(move || message.get().filter(|_| here()))
    };
    let body = if here() {
        typed_or(refusal, "body", "")
    } else {
        String::new()
    };
    let next: Vec<MaintenanceState> = [
        MaintenanceState::InProgress,
        MaintenanceState::Completed,
        MaintenanceState::Scheduled,
    ]
    .into_iter()
    .filter(|s| work.state.may_become(*s))
    .collect();
    let latest = work
        .updates
        .first()
        .map(|u| u.body.clone())
        .unwrap_or_default();
    let form_id = format!("maintenance-{id}");
    let (state_id, body_id) = (format!("{form_id}-state"), format!("{form_id}-body"));
    let (state_error, body_error) = (format!("{state_id}-error"), format!("{body_id}-error"));
    view! {
        <li class="maintenance-item" id=form_id data-state=work.state.as_str()>
            <p>
                <strong>{work.title.clone()}</strong>" "
                <span class=format!("badge maintenance-{}", work.state.as_str())>{work.state.label()}</span>
            </p>
            <p class="muted">
                <Timestamp at=work.scheduled_for/>" → "<Timestamp at=work.scheduled_until/>
                {(!on.is_empty()).then(|| format!(" · {on}"))}
            </p>
            <p class="maintenance-latest">{latest}</p>
            <ActionForm action attr:class="catalog-form maintenance-notice">
                <input type="hidden" name="id" value=id/>
                <div class="field">
                    <label for=state_id.clone()>"Move to"</label>
                    <select id=state_id name="state">
                        {next.into_iter().map(|s| view! { <option value=s.as_str()>{s.label()}</option> }).collect_view()}
                    </select>
                    <FieldError id=state_error message=error("state")/>
                </div>
                <div class="field">
                    <label for=body_id.clone()>"Message to customers"</label>
                    <textarea id=body_id name="body" rows="3"
                        aria-describedby=body_error.clone()>{rcdata_text(&body)}</textarea>
                    <FieldError id=body_error message=error("body")/>
                </div>
                <button type="submit" disabled=move || action.pending().get()>"Post update"</button>
            </ActionForm>
        </li>
    }
}

#[component]
fn ScheduleForm(
    action: ServerAction<ScheduleStatusMaintenance>,
    components: Vec<(String, String)>,
    zone: String,
    zone_from_browser: bool,
) -> impl IntoView {
    let form = NodeRef::<Form>::new();
    let refusal = refusal_of(move || action.value().get());
    let error = move |field: &'static str| field_message(refusal, field);
    crate::ui::clear_after_success(form, move || action.value().get());
    // Times are typed in the admin's zone: the one they chose, else their browser's.
    let zone = RwSignal::new(zone);
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        if zone_from_browser {
            let browsers = crate::ui::browsers_zone();
            if !browsers.is_empty() {
                zone.set(browsers);
            }
        }
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = zone_from_browser;
    let chosen: Vec<String> = typed_or(refusal, "components", "")
        .split(',')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    let text = move |id: &'static str,
                     name: &'static str,
                     label: &'static str,
                     kind: &'static str| {
        let error_id = format!("{id}-error");
        let message = error(name);
        view! {
            <div class="field">
                <label for=id>{label}</label>
                <input id=id name=name type=kind autocomplete="off" value=typed_or(refusal, name, "")
                    aria-invalid=move || message.get().is_some().to_string()
                    aria-describedby=error_id.clone()/>
                <FieldError id=error_id message/>
            </div>
        }
    };
    view! {
        <ActionForm action node_ref=form attr:class="catalog-form" attr:id="maintenance-form">
            <h3>"Schedule maintenance"</h3>
            {text("maintenance-title", "title", "Title customers read", "text")}
            <div class="field">
                <label for="maintenance-body">"First message: what will happen, what customers will notice"</label>
                <textarea id="maintenance-body" name="body" rows="3" aria-describedby="maintenance-body-error">{rcdata_text(&typed_or(refusal, "body", ""))}</textarea>
                <FieldError id="maintenance-body-error" message=error("body")/>
            </div>
            <div class="field-row">
                {text("maintenance-from", "scheduled_for", "Starts", "datetime-local")}
                {text("maintenance-until", "scheduled_until", "Ends", "datetime-local")}
            </div>
            <p class="muted" id="maintenance-zone">"Times in " {move || zone.get()}</p>
            <input type="hidden" name="zone" value=move || zone.get()/>
            <FieldError id="maintenance-zone-error" message=error("zone")/>
            <fieldset class="maintenance-components">
                <legend>"Components worked on"</legend>
                {components.into_iter().map(|(slug, name)| {
                    let checked = chosen.contains(&slug);
                    let id = format!("maintenance-component-{slug}");
                    let label_for = id.clone();
                    view! {
                        <label class="check" for=label_for>
                            <input type="checkbox" id=id name="components[]" value=slug checked=checked/>
                            {name}
                        </label>
                    }
                }).collect_view()}
            </fieldset>
            <FieldError id="maintenance-components-error" message=error("components")/>
            <button type="submit" class="primary" disabled=move || action.pending().get()>"Schedule"</button>
            <Show when=move || matches!(action.value().get(), Some(Ok(_)))>
                <p class="saved" role="status">"Scheduled: it is on the status pages now"</p>
            </Show>
        </ActionForm>
    }
}

#[component]
fn PrivateLinks(
    accounts: Vec<AccountPage>,
    action: ServerAction<RotateStatusLink>,
) -> impl IntoView {
    view! {
        <section class="card" id="status-links" aria-labelledby="status-links-heading">
            <h2 id="status-links-heading">"Private account pages"</h2>
            <p class="muted">
                "Each account's page also shows what was sent only to that account, and its SLA state in customer words. "
                "A new link replaces the old one at once: share it with the account's contacts."
            </p>
            {move || match action.value().get() {
                Some(Ok((account, url))) => Some(view! {
                    <div class="new-link" id="status-new-link" role="status">
                        <p>{format!("New link for {account} — copy it now, it is shown only once:")}</p>
                        <code>{url}</code>
                    </div>
                }.into_any()),
                Some(Err(err)) => Some(view! { <p class="form-error" role="alert">{err.to_string()}</p> }.into_any()),
                None => None,
            }}
            {if accounts.is_empty() {
                view! { <p class="muted">"No accounts yet (add them in the catalog)."</p> }.into_any()
            } else {
                view! {
                    <table class="catalog-table" id="status-link-table">
                        <thead><tr><th>"Account"</th><th>"Link"</th><th><span class="visually-hidden">"Action"</span></th></tr></thead>
                        <tbody>
                            {accounts.into_iter().map(|a| { let row_slug = a.slug.clone(); view! {
                                <tr data-slug=row_slug>
                                    <td>{a.name.clone()}</td>
                                    <td>{if a.linked { "shared" } else { "none yet" }}</td>
                                    <td>
                                        <ActionForm action attr:class="inline-form">
                                            <input type="hidden" name="account" value=a.slug.clone()/>
                                            <button type="submit" aria-label=format!("Make a new link for {}", a.name)>
                                                {if a.linked { "Replace link" } else { "Make link" }}
                                            </button>
                                        </ActionForm>
                                    </td>
                                </tr>
                            }}).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
        </section>
    }
}
