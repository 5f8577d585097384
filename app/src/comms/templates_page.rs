//! `/admin/comms`: customer success's message templates, one per customer status
//! (email subject, email body, short text), each with a live preview on example
//! values as it is typed; and which tiers need a second person's approval.

use super::api::{list_comms_templates, SaveCommsTemplate, SetCommsApproval};
use super::model::{fill, sample_value, ApprovalPolicy, Template, PLACEHOLDERS};
use crate::ui::{field_message, rcdata_text, refusal_of, FieldError};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn CommsTemplatesPage() -> impl IntoView {
    let save = ServerAction::<SaveCommsTemplate>::new();
    let approval = ServerAction::<SetCommsApproval>::new();
    // Read again after a save that went through only: a refused one keeps the form
    // as typed.
    let saved = RwSignal::new(0_u32);
    Effect::new(move |_| {
        if matches!(save.value().get(), Some(Ok(_)))
            || matches!(approval.value().get(), Some(Ok(_)))
        {
            saved.update(|n| *n += 1);
        }
    });
    let loaded = Resource::new(move || saved.get(), |_| list_comms_templates());
    view! {
        <Title text="Customer message templates · Sitrep"/>
        <section class="card comms-templates" aria-labelledby="templates-heading">
            <h1 id="templates-heading">"Customer message templates"</h1>
            <p class="muted">"Drafts are written from these. Placeholders: "
                {PLACEHOLDERS.iter().map(|(name, what)| view! {
                    <code title=*what>{format!("{{{{{name}}}}}")}</code>" "
                }).collect_view()}
            </p>
            <Transition fallback=|| view! { <p class="muted">"Loading templates…"</p> }>
                {move || Suspend::new(async move {
                    match loaded.await {
                        Ok((templates, policies)) => view! {
                            <ApprovalForm policies action=approval/>
                            {templates.into_iter().filter(|t| t.tier.is_none()).map(|template| view! {
                                <TemplateForm template action=save/>
                            }).collect_view()}
                        }.into_any(),
                        Err(err) => view! { <p class="form-error" role="alert">{err.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn ApprovalForm(
    policies: Vec<ApprovalPolicy>,
    action: ServerAction<SetCommsApproval>,
) -> impl IntoView {
    view! {
        <div class="comms-approvals" id="comms-approvals">
            <h2>"Approval by tier"</h2>
            {policies.into_iter().map(|p| {
                let tier = p.tier.as_str();
                view! {
                    <ActionForm action attr:class="comms-approval">
                        <input type="hidden" name="tier" value=tier/>
                        <label class="check">
                            <input type="checkbox" name="needs_approval" value="true" checked=p.needs_approval/>
                            {format!(" Messages to {tier} accounts need a second person's approval")}
                        </label>
                        <button type="submit">"Save"</button>
                    </ActionForm>
                }
            }).collect_view()}
        </div>
    }
}

#[component]
fn TemplateForm(template: Template, action: ServerAction<SaveCommsTemplate>) -> impl IntoView {
    let status = template.customer_status;
    let id = move |part: &str| format!("template-{}-{part}", status.as_str());
    let refusal = refusal_of(move || action.value().get());
    let error = move |field| {
        let message = field_message(refusal, field);
        Signal::derive(move || message.get().filter(|_| refused_here(refusal, status)))
    };
    // Refused: the text as it was typed (also without JavaScript, from the echo).
    let typed = |field: &str, saved: &str| {
        refusal
            .get_untracked()
            .filter(|_| refused_here(refusal, status))
            .and_then(|r| r.input(field).map(str::to_owned))
            .unwrap_or_else(|| saved.to_owned())
    };
    let template = Template {
        subject: typed("subject", &template.subject),
        body: typed("body", &template.body),
        short_text: typed("short_text", &template.short_text),
        ..template
    };
    let subject = RwSignal::new(template.subject.clone());
    let body = RwSignal::new(template.body.clone());
    let short = RwSignal::new(template.short_text.clone());
    let preview =
        move |text: RwSignal<String>| move || fill(&text.get(), &|name| sample_value(name, status));
    view! {
        <ActionForm action attr:class="comms-template" attr:id=id("form")>
            <h2>{status.label()}</h2>
            <input type="hidden" name="customer_status" value=status.as_str()/>
            <div class="field">
                <label for=id("subject")>"Email subject"</label>
                <input id=id("subject") name="subject" type="text" value=template.subject.clone()
                    on:input=move |ev| subject.set(event_target_value(&ev))/>
                <FieldError id=id("subject-error") message=error("subject")/>
            </div>
            <div class="field">
                <label for=id("body")>"Email body"</label>
                <textarea id=id("body") name="body" rows="6"
                    on:input=move |ev| body.set(event_target_value(&ev))>{rcdata_text(&template.body)}</textarea>
                <FieldError id=id("body-error") message=error("body")/>
            </div>
            <div class="field">
                <label for=id("short")>"Short text (status line, SMS)"</label>
                <input id=id("short") name="short_text" type="text" value=template.short_text.clone()
                    on:input=move |ev| short.set(event_target_value(&ev))/>
                <FieldError id=id("short-error") message=error("short_text")/>
            </div>
            <div class="comms-preview" id=id("preview") aria-live="polite">
                <p class="muted">"Preview, on example values"</p>
                <p class="comms-subject"><strong>{preview(subject)}</strong></p>
                <pre class="comms-body">{preview(body)}</pre>
                <p class="muted">{preview(short)}</p>
            </div>
            <button type="submit" class="primary">"Save template"</button>
        </ActionForm>
    }
}

/// Whether the latest refused save was this status's form.
fn refused_here(
    refusal: Memo<Option<crate::error::Invalid>>,
    status: super::model::CustomerStatus,
) -> bool {
    refusal.with(|r| {
        r.as_ref()
            .and_then(|r| r.input("customer_status"))
            .is_some_and(|s| s == status.as_str())
    })
}
