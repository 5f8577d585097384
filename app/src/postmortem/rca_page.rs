//! `/incidents/:key/rca`: the customer-facing incident report (RCA), for
//! every customer or one impacted account, ready to print (the browser's print to
//! PDF) or to download as Markdown. Works without JavaScript (a plain GET form).

use super::api::get_customer_rca;
use super::model::CustomerRca;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::{Form, A};
use leptos_router::hooks::{use_params_map, use_query_map};

#[component]
pub fn CustomerRcaPage() -> impl IntoView {
    let params = use_params_map();
    let key = move || params.read().get("key").unwrap_or_default();
    let query = use_query_map();
    let param = move |name: &str| query.read().get(name).filter(|v| !v.trim().is_empty());
    let report = Resource::new(
        move || (key(), param("account"), param("zone")),
        |(key, account, zone)| get_customer_rca(key, account, zone),
    );
    view! {
        <Title text=move || format!("Customer report {} · Sitrep", key())/>
        <p class="back"><A href=move || format!("/incidents/{}/postmortem", key())>"← The post-mortem"</A></p>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match report.await {
                    Err(err) => view! {
                        <p class="card form-error" role="alert" id="report-error">{err.to_string()}</p>
                        <p><A href=format!("/incidents/{}/rca", key())>"The report for every customer"</A></p>
                    }.into_any(),
                    Ok(report) => view! { <Report report zone=param("zone").unwrap_or_default()/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Report(report: CustomerRca, zone: String) -> impl IntoView {
    let choices: Vec<(String, String)> = report
        .accounts
        .iter()
        .map(|a| (a.slug.clone(), a.name.clone()))
        .collect();
    let chosen = report.account.clone().unwrap_or_default();
    let mut markdown = format!("/api/v1/incidents/{}/rca/markdown", report.incident);
    let params: Vec<String> = [("account", chosen.as_str()), ("zone", zone.as_str())]
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        // Slugs and IANA zone names are URL-safe but for the "+" of Etc/GMT+1.
        .map(|(k, v)| format!("{k}={}", v.replace('+', "%2B")))
        .collect();
    if !params.is_empty() {
        markdown = format!("{markdown}?{}", params.join("&"));
    }
    view! {
        <section class="card report-controls" aria-labelledby="report-controls-heading">
            <h1 id="report-controls-heading">"Customer report · " {report.incident.clone()}</h1>
            <p class="muted">
                "Built only from the messages customers were sent and the timeline entries marked "
                "“customers may be told”: no internal title, notes, systems or names. "
                "Print it (Ctrl+P) for a PDF, or download the Markdown to edit before sending."
            </p>
            <Form method="GET" action="" attr:class="filters" attr:id="report-form">
                <div class="field-row">
                    <div class="field">
                        <label for="report-account">"For"</label>
                        <select id="report-account" name="account">
                            <option value="">"Every customer"</option>
                            {choices.into_iter().map(|(slug, name)| {
                                let selected = slug == chosen;
                                view! { <option value=slug selected=selected>{name}</option> }
                            }).collect_view()}
                        </select>
                    </div>
                    <div class="field">
                        <label for="report-zone">"Times in (IANA zone)"</label>
                        <input id="report-zone" name="zone" value=zone.clone() placeholder=report.zone.clone()/>
                    </div>
                </div>
                <div class="button-row">
                    <button type="submit">"Show"</button>
                    <a href=markdown id="report-markdown" download="">"Markdown"</a>
                </div>
            </Form>
        </section>
        <article class="card postmortem customer-rca" id="customer-rca">
            <div class="markdown" inner_html=report.html></div>
        </article>
    }
}
