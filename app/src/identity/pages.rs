//! `/login`, `/setup` (first run), `/settings`, `/admin/audit`, and the signed-in
//! user's corner of the top bar.

use super::api::{
    audit_entries, current_user, time_zones, CompleteSetup, SetTimeZone, SignIn, SignOut,
};
use super::model::{permits, Action, UserRole};
use crate::ui::{failure_of, field_message, refusal_of, typed_value, FieldError, Timestamp};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::{Form, A};
use leptos_router::hooks::{use_location, use_query_map};

/// Sign-in form. Works without JavaScript (the server redirects back with the error).
#[component]
pub fn LoginPage() -> impl IntoView {
    let action = ServerAction::<SignIn>::new();
    let refusal = refusal_of(move || action.value().get());
    let failure = failure_of(move || action.value().get());
    // Where the sign-in came from: the page asked for before signing in.
    let next = use_query_map()
        .with_untracked(|q| q.get("next"))
        .unwrap_or_default();
    view! {
        <Title text="Sign in · Sitrep"/>
        <ActionForm action attr:class="card narrow" attr:id="login-form">
            <h1>"Sign in"</h1>
            <input type="hidden" name="next" value=next/>
            <p class="form-error" role="alert">{move || failure.get()}</p>
            <div class="field">
                <label for="login-email">"Email"</label>
                <input id="login-email" name="email" type="email" autocomplete="username" required=true/>
                <FieldError id="login-email-error" message=field_message(refusal, "email")/>
            </div>
            <div class="field">
                <label for="login-password">"Password"</label>
                <input id="login-password" name="password" type="password" autocomplete="current-password" required=true/>
            </div>
            <button type="submit" class="primary" disabled=move || action.pending().get()>"Sign in"</button>
        </ActionForm>
    }
}

/// First run: create the first admin with the token from the server's log.
#[component]
pub fn SetupPage() -> impl IntoView {
    let action = ServerAction::<CompleteSetup>::new();
    let refusal = refusal_of(move || action.value().get());
    let error = move |field| field_message(refusal, field);
    let failure = failure_of(move || action.value().get());
    view! {
        <Title text="Set up Sitrep"/>
        <ActionForm action attr:class="card narrow" attr:id="setup-form">
            <h1>"Set up Sitrep"</h1>
            <p class="muted">
                "Create the first admin. The setup token is in the server's log (or in "
                <code>"SITREP_SETUP_TOKEN"</code>"): only someone who runs this server can claim it."
            </p>
            <p class="form-error" role="alert">{move || failure.get()}</p>
            <div class="field">
                <label for="setup-token">"Setup token"</label>
                <input id="setup-token" name="token" type="password" autocomplete="off" required=true/>
                <FieldError id="setup-token-error" message=error("token")/>
            </div>
            <div class="field">
                <label for="setup-email">"Your email"</label>
                <input id="setup-email" name="email" type="email" autocomplete="username" required=true/>
                <FieldError id="setup-email-error" message=error("email")/>
            </div>
            <div class="field">
                <label for="setup-name">"Your name"</label>
                <input id="setup-name" name="display_name" type="text" autocomplete="name"/>
                <FieldError id="setup-name-error" message=error("display_name")/>
            </div>
            <div class="field">
                <label for="setup-password">"Password (12 characters or more)"</label>
                <input id="setup-password" name="password" type="password" autocomplete="new-password" required=true/>
                <FieldError id="setup-password-error" message=error("password")/>
            </div>
            <button type="submit" class="primary" disabled=move || action.pending().get()>"Create admin and sign in"</button>
        </ActionForm>
    }
}

/// `/settings`: which zone the signed-in person reads times in, their browser's (the
/// default) or one they name. Saved, the page reloads so every time on it follows.
#[component]
pub fn SettingsPage() -> impl IntoView {
    let me = Resource::new(|| (), |_| current_user());
    let zones = Resource::new(|| (), |_| time_zones());
    let save = ServerAction::<SetTimeZone>::new();
    let refusal = refusal_of(move || save.value().get());
    let failure = failure_of(move || save.value().get());
    let typed = typed_value(refusal, "time_zone");
    // The browser's own zone: sent along, so text the server writes for this person
    // (customer-message drafts) uses it too. Empty without JavaScript.
    let browser_zone = RwSignal::new(String::new());
    // Typing a zone means showing times in it.
    let zone_radio = NodeRef::<leptos::html::Input>::new();
    #[cfg(feature = "hydrate")]
    {
        Effect::new(move |_| browser_zone.set(crate::ui::browsers_zone()));
        Effect::new(move |_| {
            if matches!(save.value().get(), Some(Ok(_))) {
                let _ = window().location().reload();
            }
        });
    }
    view! {
        <Title text="Your settings · Sitrep"/>
        <h1>"Your settings"</h1>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let Some(user) = me.await.ok().flatten() else {
                    return view! { <p class="card">"Sign in to see your settings."</p> }.into_any();
                };
                let chosen = user.chosen_zone().map(str::to_owned);
                let now_shown = chosen.clone().map_or_else(
                    || "your browser's zone".to_owned(),
                    |zone| zone.clone(),
                );
                let from_browser = chosen.is_none() && typed.get_untracked().is_empty();
                let zone_value = move || {
                    let typed = typed.get();
                    if typed.is_empty() { chosen.clone().unwrap_or_default() } else { typed }
                };
                view! {
                    <ActionForm action=save attr:class="card narrow" attr:id="zone-form">
                        <h2>"Time zone"</h2>
                        <p id="zone-now">"Times are shown in " <strong>{now_shown}</strong> "."</p>
                        <p class="form-error" role="alert">{move || failure.get()}</p>
                        <fieldset class="choices">
                            <legend>"Show times in"</legend>
                            <label>
                                <input type="radio" name="shown_in" value="browser" checked=from_browser/>
                                " My browser's zone "
                                <span class="muted" id="browser-zone">{move || browser_zone.get()}</span>
                            </label>
                            <label>
                                <input type="radio" name="shown_in" value="zone" id="shown-in-zone" checked=!from_browser node_ref=zone_radio/>
                                " This zone, on every device"
                            </label>
                        </fieldset>
                        <div class="field">
                            <label for="settings-zone">"Zone (an IANA name, e.g. Europe/Berlin)"</label>
                            <input type="text" id="settings-zone" name="time_zone" list="zone-names" autocomplete="off"
                                spellcheck="false" value=zone_value on:input=move |_| {
                                    if let Some(radio) = zone_radio.get() { radio.set_checked(true) }
                                }
                                aria-invalid=move || field_message(refusal, "time_zone").get().is_some().then_some("true")
                                aria-describedby="settings-zone-error"/>
                            <FieldError id="settings-zone-error" message=field_message(refusal, "time_zone")/>
                        </div>
                        <input type="hidden" name="browser_zone" value=move || browser_zone.get()/>
                        <p class="muted">
                            "Customer-message drafts you write give times in " {user.time_zone.clone()} "."
                        </p>
                        <button type="submit" class="primary" disabled=move || save.pending().get()>"Save"</button>
                    </ActionForm>
                }.into_any()
            })}
        </Transition>
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let names = zones.await.unwrap_or_default();
                view! {
                    <datalist id="zone-names">
                        {names.into_iter().map(|z| view! { <option value=z></option> }).collect_view()}
                    </datalist>
                }
            })}
        </Transition>
    }
}

/// The audit log, newest first, filtered by action (admins).
#[component]
pub fn AuditPage() -> impl IntoView {
    let query = use_query_map();
    let action = Memo::new(move |_| query.read().get("action").unwrap_or_default());
    let entries = Resource::new(move || action.get(), audit_entries);
    view! {
        <Title text="Audit log · Sitrep"/>
        <section class="card" aria-labelledby="audit-heading">
            <h1 id="audit-heading">"Audit log"</h1>
            <Form method="GET" action="/admin/audit" attr:class="filters" attr:role="search">
                <label for="audit-action">"Action starts with"</label>
                <input id="audit-action" name="action" type="search" prop:value=move || action.get()
                    placeholder="login, token, user, accounts"/>
                <button type="submit">"Filter"</button>
            </Form>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match entries.await {
                        Ok(entries) => view! {
                            <table class="catalog-table" id="audit-table">
                                <thead><tr><th>"When"</th><th>"Who"</th><th>"Action"</th><th>"Target"</th><th>"From"</th></tr></thead>
                                <tbody>
                                    {entries.into_iter().map(|e| view! {
                                        <tr>
                                            <td><Timestamp at=e.at/></td>
                                            <td>{e.actor}</td>
                                            <td><code>{e.action}</code></td>
                                            <td>{e.target}</td>
                                            <td>{e.ip.unwrap_or_default()}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any(),
                        Err(err) => view! { <p class="form-error" role="alert">{err.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// The signed-in user's role, loaded once per page: pages show only the forms the
/// role may use (the server checks every call regardless).
pub fn role_resource() -> Resource<Option<UserRole>> {
    Resource::new(
        || (),
        |_| async { current_user().await.ok().flatten().map(|user| user.role) },
    )
}

/// The admin pages `role` may open, in the order the admin bar lists them.
fn admin_pages(role: UserRole) -> Vec<(&'static str, &'static str)> {
    [
        ("/admin/catalog", "Catalog", Action::ManageCatalog),
        ("/admin/sla", "SLA policies", Action::ManageCatalog),
        (
            "/admin/integrations",
            "Alert integrations",
            Action::ManageCatalog,
        ),
        (
            "/admin/comms",
            "Customer message templates",
            Action::ManageComms,
        ),
        (
            "/admin/postmortem-templates",
            "Post-mortem templates",
            Action::ManagePostMortemTemplates,
        ),
        ("/admin/status", "Status page", Action::ManageStatusPage),
        ("/admin/audit", "Audit log", Action::ViewAudit),
    ]
    .into_iter()
    .filter(|(_, _, needs)| permits(Some(role), *needs))
    .map(|(href, label, _)| (href, label))
    .collect()
}

/// Under the top bar on every `/admin/…` page: the admin pages the role may open
/// (one "Admin" entry in the top bar keeps it on one line).
#[component]
pub fn AdminBar() -> impl IntoView {
    let location = use_location();
    let on_admin = move || location.pathname.get().starts_with("/admin");
    let user = Resource::new(on_admin, |on| async move {
        if on {
            current_user().await.ok().flatten()
        } else {
            None
        }
    });
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                user.await.map(|user| view! {
                    <nav class="admin-bar" aria-label="Admin pages">
                        {admin_pages(user.role).into_iter().map(|(href, label)| view! {
                            <A href=href>{label}</A>
                        }).collect_view()}
                    </nav>
                })
            })}
        </Transition>
    }
}

/// The links the signed-in role can use, "signed in as …" with a sign-out button;
/// or a sign-in link.
#[component]
pub fn UserMenu() -> impl IntoView {
    let sign_out = ServerAction::<SignOut>::new();
    // Asked again on every navigation: signing in or out ends with one.
    let location = use_location();
    let user = Resource::new(move || location.pathname.get(), |_| current_user());
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match user.await.ok().flatten() {
                    Some(user) => view! {
                        {permits(Some(user.role), Action::ReportCustomerIssue)
                            .then(|| view! { <A href="/report">"Report a customer issue"</A> })}
                        {admin_pages(user.role).first().map(|(href, _)| view! {
                            <a href=*href class="admin-link"
                                aria-current=move || location.pathname.get().starts_with("/admin").then_some("page")>"Admin"</a>
                        })}
                        <span class="user-menu" id="user-menu">
                            <A href="/settings" attr:class="muted" attr:title="Your settings">{format!("{} ({})", user.display_name, user.role)}</A>
                            <ActionForm action=sign_out attr:class="inline-form">
                                <button type="submit" class="link-button">"Sign out"</button>
                            </ActionForm>
                        </span>
                    }.into_any(),
                    None => view! { <A href="/login">"Sign in"</A> }.into_any(),
                }
            })}
        </Transition>
    }
}
