//! The customer-success intake: report a customer problem against their accounts.

use super::api::ReportCustomerIssue;
use crate::catalog::api::list_accounts;
use crate::catalog::model::{Account, Tier};
use crate::ui::{field_message, rcdata_text, refusal_of, typed_value, FieldError, SeverityOptions};
use leptos::prelude::*;
use leptos_meta::Title;

/// `/report`: a CSM reports what customers see; the accounts picked set the tier.
#[component]
pub fn ReportPage() -> impl IntoView {
    let action = ServerAction::<ReportCustomerIssue>::new();
    let refusal = refusal_of(move || action.value().get());
    let error = move |field| field_message(refusal, field);
    let typed = move |field| typed_value(refusal, field);
    let typed_severity = typed("severity");
    let typed_symptoms = typed("description");
    let accounts = Resource::new(|| (), |_| list_accounts());

    view! {
        <Title text="Report a customer issue · Sitrep"/>
        <ActionForm action attr:class="card report-form" attr:id="report-form">
            <h1>"Report a customer issue"</h1>
            <p class="muted">"Engineering is paged for you; you own what customers hear."</p>
            <div class="field">
                <label for="report-title">"What customers see"</label>
                <input id="report-title" name="title" type="text" maxlength="200" value=typed("title")
                    placeholder="Acme cannot export invoices"
                    aria-invalid=move || error("title").get().is_some().to_string()/>
                <FieldError id="report-title-error" message=error("title")/>
            </div>
            <fieldset class="field accounts-picker">
                <legend>"Impacted accounts"</legend>
                <Transition fallback=|| view! { <p class="muted">"Loading accounts…"</p> }>
                    {move || Suspend::new(async move {
                        let accounts = accounts.await.unwrap_or_default();
                        if accounts.is_empty() {
                            return view! { <p class="muted">"No accounts yet: import them first."</p> }.into_any();
                        }
                        [Tier::Enterprise, Tier::Business, Tier::Standard]
                            .into_iter()
                            .map(|tier| view! { <TierGroup tier accounts=accounts.clone()/> })
                            .collect_view()
                            .into_any()
                    })}
                </Transition>
                <FieldError id="report-accounts-error" message=error("accounts")/>
            </fieldset>
            <div class="field">
                <label for="report-severity">"How bad is it for them?"</label>
                <select id="report-severity" name="severity"
                    aria-invalid=move || error("severity").get().is_some().to_string()>
                    <SeverityOptions selected=typed_severity/>
                </select>
                <FieldError id="report-severity-error" message=error("severity")/>
            </div>
            <div class="field">
                <label for="report-symptoms">"Symptoms, in the customer's words"</label>
                <textarea id="report-symptoms" name="symptoms" rows="4">
                    {move || rcdata_text(&typed_symptoms.get())}
                </textarea>
                <FieldError id="report-symptoms-error" message=error("description")/>
            </div>
            <button type="submit" class="primary" disabled=move || action.pending().get()>"Report"</button>
        </ActionForm>
    }
}

#[component]
fn TierGroup(tier: Tier, accounts: Vec<Account>) -> impl IntoView {
    let members: Vec<Account> = accounts.into_iter().filter(|a| a.tier == tier).collect();
    (!members.is_empty()).then(|| {
        view! {
            <div class="tier-group">
                <p class=format!("tier-label tier-{tier}")>{tier.as_str()}</p>
                {members
                    .into_iter()
                    .map(|account| {
                        let id = format!("report-account-{}", account.slug);
                        let label_for = id.clone();
                        view! {
                            <label class="check" for=label_for>
                                <input type="checkbox" id=id name="accounts[]" value=account.slug/>
                                " " {account.name}
                            </label>
                        }
                    })
                    .collect_view()}
            </div>
        }
    })
}
