//! `/login`, `/setup` (first run) and `/admin/audit`, and the signed-in user's corner
//! of the top bar.

use super::api::{audit_entries, current_user, CompleteSetup, SignIn, SignOut};
use super::model::{permits, Action, UserRole};
use crate::ui::{failure_of, field_message, refusal_of, FieldError, Timestamp};
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
                        {permits(Some(user.role), Action::ManageCatalog)
                            .then(|| view! { <A href="/admin/catalog">"Catalog"</A> <A href="/admin/sla">"SLA policies"</A> })}
                        {permits(Some(user.role), Action::ViewAudit)
                            .then(|| view! { <A href="/admin/audit">"Audit log"</A> })}
                        <span class="user-menu" id="user-menu">
                            <span class="muted">{format!("{} ({})", user.display_name, user.role)}</span>
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
