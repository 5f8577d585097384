//! `/admin/catalog`: the teams, systems and customer accounts incidents are routed
//! and measured by, with forms to add them and the CRM import.

use super::api::{
    list_accounts, list_systems, list_teams, CreateAccount, CreateSystem, CreateTeam,
    ImportAccounts,
};
use super::import::{ImportReport, PlannedAccount};
use super::model::Tier;
use crate::sla::api::{list_sla_policies, SetAccountSlaPolicy};
use crate::ui::{
    clear_after_success, field_message, refusal_of, ChoiceSelect, Choices, FieldError,
};
use leptos::html::Form;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn CatalogPage() -> impl IntoView {
    let create_team = ServerAction::<CreateTeam>::new();
    let create_system = ServerAction::<CreateSystem>::new();
    let create_account = ServerAction::<CreateAccount>::new();
    let import = ServerAction::<ImportAccounts>::new();
    let set_policy = ServerAction::<SetAccountSlaPolicy>::new();
    let teams = Resource::new(move || create_team.version().get(), |_| list_teams());
    let systems = Resource::new(move || create_system.version().get(), |_| list_systems());
    let accounts = Resource::new(
        move || {
            (
                create_account.version().get(),
                import.version().get(),
                set_policy.version().get(),
            )
        },
        |_| list_accounts(),
    );
    // (slug, name) of every SLA policy: the contract an account can be put on.
    let policies: Choices = Resource::new(
        || (),
        |_| async {
            list_sla_policies()
                .await
                .map(|policies| policies.into_iter().map(|p| (p.slug, p.name)).collect())
                .unwrap_or_default()
        },
    );
    view! {
        <Title text="Catalog · Sitrep"/>
        <h1>"Catalog"</h1>
        <div class="admin-grid">
            <section class="card" id="teams" aria-labelledby="teams-heading">
                <h2 id="teams-heading">"Teams"</h2>
                <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                    {move || Suspend::new(async move {
                        let teams = teams.await.unwrap_or_default();
                        view! {
                            <table class="catalog-table">
                                <thead><tr><th>"Team"</th><th>"Engineering lead"</th><th>"Members"</th><th>"Channels"</th></tr></thead>
                                <tbody>
                                    {teams.into_iter().map(|t| { let slug = t.slug.clone(); view! {
                                        <tr data-slug=slug>
                                            <td>{t.name}<br/><code>{t.slug}</code></td>
                                            <td>{t.lead.map(|l| format!("{} <{}>", l.display_name, l.email)).unwrap_or_else(|| "none".into())}</td>
                                            <td>{t.members.iter().map(|m| m.display_name.as_str()).collect::<Vec<_>>().join(", ")}</td>
                                            <td>{[t.notify_email.map(|_| "email"), t.notify_webhook_url.map(|_| "webhook")].into_iter().flatten().collect::<Vec<_>>().join(", ")}</td>
                                        </tr>
                                    }}).collect_view()}
                                </tbody>
                            </table>
                        }
                    })}
                </Transition>
                <TeamForm action=create_team/>
            </section>
            <section class="card" id="systems" aria-labelledby="systems-heading">
                <h2 id="systems-heading">"Systems"</h2>
                <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                    {move || Suspend::new(async move {
                        let systems = systems.await.unwrap_or_default();
                        view! {
                            <table class="catalog-table">
                                <thead><tr><th>"System"</th><th>"Owner"</th></tr></thead>
                                <tbody>
                                    {systems.into_iter().map(|s| { let slug = s.slug.clone(); view! {
                                        <tr data-slug=slug>
                                            <td>{s.name}<br/><code>{s.slug}</code></td>
                                            <td>{s.team.unwrap_or_else(|| "nobody: admins are told".into())}</td>
                                        </tr>
                                    }}).collect_view()}
                                </tbody>
                            </table>
                        }
                    })}
                </Transition>
                <SystemForm action=create_system teams_changed=create_team.version()/>
            </section>
            <section class="card" id="accounts" aria-labelledby="accounts-heading">
                <h2 id="accounts-heading">"Customer accounts"</h2>
                <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                    {move || Suspend::new(async move {
                        let accounts = accounts.await.unwrap_or_default();
                        let policies = policies.await;
                        view! {
                            <table class="catalog-table" id="account-table">
                                <thead><tr><th>"Account"</th><th>"Tier"</th><th>"CRM id"</th><th>"CSM"</th><th>"SLA contract"</th></tr></thead>
                                <tbody>
                                    {accounts.into_iter().map(|a| { let slug = a.slug.clone(); view! {
                                        <tr data-slug=slug>
                                            <td>{a.name}<br/><code>{a.slug.clone()}</code></td>
                                            <td><span class=format!("badge tier tier-{}", a.tier)>{a.tier.as_str()}</span></td>
                                            <td>{a.crm_id.unwrap_or_default()}</td>
                                            <td>{a.csm.map(|c| c.display_name).unwrap_or_default()}</td>
                                            <td><AccountPolicyForm action=set_policy account=a.slug.clone() current=a.sla_policy policies=policies.clone()/></td>
                                        </tr>
                                    }}).collect_view()}
                                </tbody>
                            </table>
                        }
                    })}
                </Transition>
                <p class="field-error" id="account-policy-error" role="alert">
                    {move || match set_policy.value().get() {
                        Some(Err(err)) => err.to_string(),
                        _ => String::new(),
                    }}
                </p>
                <AccountForm action=create_account policies/>
            </section>
            <ImportForm action=import/>
        </div>
    }
}

#[component]
fn TeamForm(action: ServerAction<CreateTeam>) -> impl IntoView {
    let form = NodeRef::<Form>::new();
    let refusal = refusal_of(move || action.value().get());
    let error = move |field| field_message(refusal, field);
    clear_after_success(form, move || action.value().get());
    view! {
        <ActionForm action node_ref=form attr:class="catalog-form" attr:id="team-form">
            <h3>"Add a team"</h3>
            <TextField id="team-slug" name="slug" label="Slug" error=error("slug")/>
            <TextField id="team-name" name="name" label="Name" error=error("name")/>
            <TextField id="team-lead-email" name="lead_email" label="Engineering lead's email" error=error("lead_email")/>
            <TextField id="team-lead-name" name="lead_name" label="Lead's name" error=error("lead_name")/>
            <TextField id="team-notify-email" name="notify_email" label="Team mailbox (optional)" error=error("notify_email")/>
            <TextField id="team-webhook" name="notify_webhook_url" label="Slack-compatible webhook URL (optional)" error=error("notify_webhook_url")/>
            <button type="submit" disabled=move || action.pending().get()>"Add team"</button>
            <Saved shown=move || matches!(action.value().get(), Some(Ok(_))) what="Team added"/>
        </ActionForm>
    }
}

#[component]
fn SystemForm(action: ServerAction<CreateSystem>, teams_changed: RwSignal<usize>) -> impl IntoView {
    let form = NodeRef::<Form>::new();
    let refusal = refusal_of(move || action.value().get());
    let error = move |field| field_message(refusal, field);
    clear_after_success(form, move || action.value().get());
    let teams = Resource::new(
        move || teams_changed.get(),
        |_| async {
            list_teams()
                .await
                .map(|teams| teams.into_iter().map(|t| (t.slug, t.name)).collect())
                .unwrap_or_default()
        },
    );
    view! {
        <ActionForm action node_ref=form attr:class="catalog-form" attr:id="system-form">
            <h3>"Add a system"</h3>
            <TextField id="system-slug" name="slug" label="Slug" error=error("slug")/>
            <TextField id="system-name" name="name" label="Name" error=error("name")/>
            <TextField id="system-description" name="description" label="Description" error=error("description")/>
            <div class="field">
                <label for="system-team">"Owning team"</label>
                <ChoiceSelect id="system-team" name="team" blank="No owner yet" choices=teams/>
                <FieldError id="system-team-error" message=error("team")/>
            </div>
            <button type="submit" disabled=move || action.pending().get()>"Add system"</button>
            <Saved shown=move || matches!(action.value().get(), Some(Ok(_))) what="System added"/>
        </ActionForm>
    }
}

/// An account's SLA contract, changed in place: a named policy or its tier's default.
#[component]
fn AccountPolicyForm(
    action: ServerAction<SetAccountSlaPolicy>,
    account: String,
    current: Option<String>,
    policies: Vec<(String, String)>,
) -> impl IntoView {
    let id = format!("account-policy-{account}");
    let current = current.unwrap_or_default();
    view! {
        <ActionForm action attr:class="inline-form account-policy">
            <input type="hidden" name="account" value=account.clone()/>
            <select id=id name="policy" aria-label=format!("SLA contract of {account}")>
                <option value="" selected=current.is_empty()>"Tier default"</option>
                {policies
                    .into_iter()
                    .map(|(slug, name)| {
                        let chosen = slug == current;
                        view! { <option value=slug selected=chosen>{name}</option> }
                    })
                    .collect_view()}
            </select>
            <button type="submit" disabled=move || action.pending().get()>"Set"</button>
        </ActionForm>
    }
}

#[component]
fn AccountForm(action: ServerAction<CreateAccount>, policies: Choices) -> impl IntoView {
    let form = NodeRef::<Form>::new();
    let refusal = refusal_of(move || action.value().get());
    let error = move |field| field_message(refusal, field);
    clear_after_success(form, move || action.value().get());
    view! {
        <ActionForm action node_ref=form attr:class="catalog-form" attr:id="account-form">
            <h3>"Add an account"</h3>
            <TextField id="account-slug" name="slug" label="Slug" error=error("slug")/>
            <TextField id="account-name" name="name" label="Name" error=error("name")/>
            <div class="field">
                <label for="account-tier">"Tier"</label>
                <select id="account-tier" name="tier">
                    {[Tier::Enterprise, Tier::Business, Tier::Standard]
                        .into_iter()
                        .map(|t| view! { <option value=t.as_str()>{t.as_str()}</option> })
                        .collect_view()}
                </select>
                <FieldError id="account-tier-error" message=error("tier")/>
            </div>
            <TextField id="account-crm-id" name="crm_id" label="CRM id" error=error("crm_id")/>
            <TextField id="account-csm-email" name="csm_email" label="CSM's email" error=error("csm_email")/>
            <TextField id="account-csm-name" name="csm_name" label="CSM's name" error=error("csm_name")/>
            <TextField id="account-contacts" name="contact_emails" label="Customer contacts (comma-separated)" error=error("contact_emails")/>
            <div class="field">
                <label for="account-sla-policy">"SLA contract"</label>
                <ChoiceSelect id="account-sla-policy" name="sla_policy" blank="Its tier's default" choices=policies/>
                <FieldError id="account-sla-policy-error" message=error("sla_policy")/>
            </div>
            <button type="submit" disabled=move || action.pending().get()>"Add account"</button>
            <Saved shown=move || matches!(action.value().get(), Some(Ok(_))) what="Account added"/>
        </ActionForm>
    }
}

#[component]
fn ImportForm(action: ServerAction<ImportAccounts>) -> impl IntoView {
    let refusal = refusal_of(move || action.value().get());
    let error = move |field| field_message(refusal, field);
    view! {
        <section class="card import" id="import" aria-labelledby="import-heading">
            <h2 id="import-heading">"Import accounts from your CRM"</h2>
            <p class="muted">
                "Paste a CSV export. Columns are recognised by name (Account ID / CRM ID, Account Name, Tier, CSM Email, "
                "CSM Name, Contact Emails); other columns are ignored. Preview first: nothing is written until you import. "
                "Accounts are matched by CRM id, so importing again updates them."
            </p>
            <ActionForm action attr:class="import-form" attr:id="import-form">
                <label for="import-csv">"CSV"</label>
                // Not cleared after a preview: the next step is importing the same text.
                <textarea id="import-csv" name="csv" rows="8" spellcheck="false"></textarea>
                <FieldError id="import-csv-error" message=error("csv")/>
                <div class="button-row">
                    <button type="submit" name="apply" value="false" disabled=move || action.pending().get()>"Preview"</button>
                    <button type="submit" name="apply" value="true" class="primary" disabled=move || action.pending().get()>"Import"</button>
                </div>
            </ActionForm>
            {move || match action.value().get() {
                Some(Ok(report)) => Some(view! { <ImportReportView report/> }.into_any()),
                Some(Err(err)) if err.invalid().is_none() => Some(view! { <p class="form-error" role="alert">{err.to_string()}</p> }.into_any()),
                _ => None,
            }}
        </section>
    }
}

#[component]
fn ImportReportView(report: ImportReport) -> impl IntoView {
    let summary = format!(
        "{} {} created, {} updated, {} unchanged, {} rejected",
        if report.applied {
            "Imported:"
        } else {
            "Preview:"
        },
        report.created.len(),
        report.updated.len(),
        report.unchanged.len(),
        report.rejected.len()
    );
    let rows = |title: &'static str, class: &'static str, planned: Vec<PlannedAccount>| {
        (!planned.is_empty()).then(|| view! {
            <h3>{title}</h3>
            <ul class=format!("import-rows {class}")>
                {planned.into_iter().map(|p| {
                    let changes: Vec<&str> = p.changes.iter().map(|c| c.as_str()).collect();
                    view! {
                        <li>
                            {format!("line {}: {} ({}, {}) — CRM {}", p.line, p.name, p.slug, p.tier, p.crm_id)}
                            {(!changes.is_empty()).then(|| format!(" — changes {}", changes.join(", ")))}
                        </li>
                    }
                }).collect_view()}
            </ul>
        })
    };
    let mapping = report
        .columns
        .iter()
        .map(|c| {
            format!(
                "{} → {}",
                c.header,
                c.field.map_or("ignored", |f| f.as_str())
            )
        })
        .collect::<Vec<_>>()
        .join(" · ");
    view! {
        <div class="import-report" id="import-report" role="status">
            <p class="import-summary"><strong>{summary}</strong></p>
            <p class="muted">"Columns: " {mapping}</p>
            {(!report.rejected.is_empty()).then(|| view! {
                <h3>"Rejected"</h3>
                <ul class="import-rows rejected">
                    {report.rejected.into_iter().map(|r| view! {
                        <li>{format!("line {}: {}", r.line, r.reasons.join("; "))}</li>
                    }).collect_view()}
                </ul>
            })}
            {rows("To create", "created", report.created)}
            {rows("To update", "updated", report.updated)}
            {rows("Unchanged", "unchanged", report.unchanged)}
        </div>
    }
}

#[component]
fn TextField(
    id: &'static str,
    name: &'static str,
    label: &'static str,
    error: Signal<Option<String>>,
) -> impl IntoView {
    let error_id = format!("{id}-error");
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <input id=id name=name type="text" autocomplete="off"
                aria-invalid=move || error.get().is_some().to_string()
                aria-describedby=error_id.clone()/>
            <FieldError id=error_id message=error/>
        </div>
    }
}

#[component]
fn Saved(shown: impl Fn() -> bool + Send + Sync + 'static, what: &'static str) -> impl IntoView {
    view! { <Show when=shown><p class="saved" role="status">{what}</p></Show> }
}
