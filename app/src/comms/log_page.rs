//! `/comms`: customer success's view across incidents: every open incident's next
//! customer update (counting down), and the log of what customers were told,
//! filtered by account or tier ("what did we tell Acme, and when"), with each
//! message's deliveries and a CSV export.

use super::api::{get_due_updates, get_message_log};
use super::model::{CustomerMessage, DueUpdate};
use super::panel::due_words;
use crate::catalog::api::account_choices;
use crate::catalog::model::Tier;
use crate::live::now::ServerNow;
use crate::notify::model::DeliveryStatus;
use crate::ui::{ChoiceSelect, SeverityBadge};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::{Form, A};
use leptos_router::hooks::use_query_map;

#[component]
pub fn CommsLogPage() -> impl IntoView {
    let query = use_query_map();
    let filter = Memo::new(move |_| {
        let q = query.read();
        (
            q.get("account").unwrap_or_default(),
            q.get("tier").unwrap_or_default(),
        )
    });
    let log = Resource::new(
        move || filter.get(),
        |(account, tier)| get_message_log(account, tier),
    );
    let due = Resource::new(|| (), |_| get_due_updates());
    let accounts = Resource::new(|| (), |_| account_choices());
    let csv = move || {
        let (account, tier) = filter.get();
        format!("/api/v1/messages?format=csv&account={account}&tier={tier}")
    };
    view! {
        <Title text="Customer communication · Sitrep"/>
        <section class="card comms-due-list" aria-labelledby="due-heading">
            <h1 id="due-heading">"Customer updates due"</h1>
            <p class="muted"><A href="/admin/comms">"Message templates and approvals"</A></p>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match due.await {
                        Ok(rows) if rows.is_empty() => view! { <p class="muted">"No open incident has customers to update."</p> }.into_any(),
                        Ok(rows) => view! { <DueTable rows/> }.into_any(),
                        Err(err) => view! { <p class="form-error" role="alert">{err.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
        <section class="card comms-log" aria-labelledby="log-heading">
            <h2 id="log-heading">"What customers were told"</h2>
            <Form method="GET" action="" attr:class="filters" attr:id="log-filters">
                <div class="field">
                    <label for="log-account">"Account"</label>
                    <ChoiceSelect id="log-account" name="account" blank="Any account" choices=accounts
                        selected=Signal::derive(move || filter.get().0)/>
                </div>
                <div class="field">
                    <label for="log-tier">"Tier"</label>
                    <select id="log-tier" name="tier">
                        <option value="">"Any tier"</option>
                        {Tier::ALL.into_iter().map(|t| view! {
                            <option value=t.as_str() selected=move || filter.get().1 == t.as_str()>{t.as_str()}</option>
                        }).collect_view()}
                    </select>
                </div>
                <button type="submit">"Show"</button>
                <a href=csv download="customer-messages.csv">"Download CSV"</a>
            </Form>
            <Transition fallback=|| view! { <p class="muted">"Loading messages…"</p> }>
                {move || Suspend::new(async move {
                    match log.await {
                        Ok(messages) if messages.is_empty() => view! { <p class="muted">"No message matches."</p> }.into_any(),
                        Ok(messages) => view! { <LogTable messages/> }.into_any(),
                        Err(err) => view! { <p class="form-error" role="alert">{err.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn DueTable(rows: Vec<DueUpdate>) -> impl IntoView {
    let now = use_context::<ServerNow>();
    view! {
        <table class="board" id="comms-due-table">
            <thead><tr>
                <th scope="col">"Next update"</th><th scope="col">"Incident"</th>
                <th scope="col">"Owner"</th><th scope="col">"Every"</th>
            </tr></thead>
            <tbody>
                {rows.into_iter().map(|row| {
                    let due = row.next_due_at;
                    let when = move || match (&row.paused, now) {
                        (Some(reason), _) => format!("paused: {reason}"),
                        (None, Some(now)) => due_words(due, now.get()),
                        (None, None) => due.format("%H:%M UTC").to_string(),
                    };
                    view! {
                        <tr>
                            <td class="comms-due">{when}</td>
                            <td><SeverityBadge severity=row.severity/> " "
                                <A href=format!("/incidents/{}", row.incident)>{format!("{} {}", row.incident, row.title)}</A></td>
                            <td>{row.owner.clone().unwrap_or_else(|| "nobody".to_owned())}</td>
                            <td>{format!("{} min", row.interval_min)}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}

#[component]
fn LogTable(messages: Vec<CustomerMessage>) -> impl IntoView {
    view! {
        <table class="board" id="comms-log-table">
            <thead><tr>
                <th scope="col">"Sent"</th><th scope="col">"Incident"</th><th scope="col">"To"</th>
                <th scope="col">"Message"</th><th scope="col">"State"</th><th scope="col">"Deliveries"</th>
            </tr></thead>
            <tbody>
                {messages.into_iter().map(|m| {
                    let count = |status| m.deliveries.iter().filter(|d| d.status == status).count();
                    let deliveries = format!(
                        "{} delivered, {} failed, {} waiting",
                        count(DeliveryStatus::Delivered),
                        count(DeliveryStatus::Failed),
                        count(DeliveryStatus::Pending)
                    );
                    let detail: Vec<String> = m.deliveries.iter().map(|d| format!(
                        "{} {} {}: {:?}", d.account, d.channel.as_str(), d.target, d.status
                    ).to_lowercase()).collect();
                    let to = if m.accounts.is_empty() { m.audience_label.clone() } else { m.accounts.join(", ") };
                    view! {
                        <tr data-message=m.id>
                            <td>{m.sent_at.map_or_else(|| "not sent".to_owned(), |t| t.format("%Y-%m-%d %H:%M UTC").to_string())}</td>
                            <td><A href=format!("/incidents/{}#message-{}", m.incident, m.id)>{m.incident.clone()}</A></td>
                            <td>{to}</td>
                            <td><strong>{m.subject.clone()}</strong><br/><span class="muted">{m.short_text.clone()}</span></td>
                            <td>{m.state.label()}</td>
                            <td title=detail.join("\n")>{deliveries}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}
