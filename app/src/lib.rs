//! The Sitrep app: pages, components, shared types and server functions.
//!
//! Built twice: with `ssr` into the server, with `hydrate` into the browser bundle.

pub mod catalog;
pub mod comms;
pub mod error;
pub mod identity;
pub mod incidents;
pub mod intake;
pub mod lazy_pages;
pub mod live;
pub mod notify;
pub mod postmortem;
pub mod sla;
pub mod statuspage;
pub mod timeline;
pub mod ui;

#[cfg(feature = "ssr")]
pub mod clock;
#[cfg(feature = "ssr")]
pub mod db;
#[cfg(feature = "ssr")]
pub mod markdown;
#[cfg(feature = "ssr")]
pub mod security;
#[cfg(feature = "ssr")]
pub mod state;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Title};
use leptos_router::components::{Route, Router, Routes, A};
use leptos_router::{path, Lazy, SsrMode};

/// The HTML document the server renders around the app.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    security::set_page_policy();
    let theme = ui::theme::current_theme().attribute();
    // The zone the reader chose in their settings: the server renders times in it,
    // and the browser reads it from <html data-zone> (none: the browser's zone).
    #[cfg(feature = "ssr")]
    let zone =
        identity::api::signed_in_user().and_then(|user| user.chosen_zone().map(str::to_owned));
    #[cfg(not(feature = "ssr"))]
    let zone: Option<String> = None;
    provide_context(ui::ReaderZone(zone.clone()));
    view! {
        <!DOCTYPE html>
        <html lang="en" data-theme=theme data-zone=zone>
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <link rel="icon" type="image/svg+xml" href="/favicon.svg"/>
                // In the bundle's (content-hashed) directory, next to the JS and WASM.
                <link rel="stylesheet" id="sitrep" href=format!("/{}/sitrep.css", options.site_pkg_dir)/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// The root component: layout and routes.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    live::now::ServerNow::provide();
    // Lets end-to-end tests (and curious people) tell a hydrated page from plain HTML.
    // Set from a timer: the content of each <Suspense> hydrates in tasks queued after
    // this effect's first run, and a test typing before their listeners and `prop:`
    // values are in place would lose what it typed.
    Effect::new(|_| {
        set_timeout(
            || {
                if let Some(body) = document().body() {
                    let _ = body.set_attribute("data-hydrated", "true");
                }
            },
            std::time::Duration::ZERO,
        );
    });

    view! {
        <Title text="Sitrep"/>
        <Router>
            <a class="skip-link" href="#main">"Skip to content"</a>
            <header class="topbar">
                <A href="/" attr:class="brand">"Sitrep"</A>
                <nav class="topnav">
                    <A href="/">"Incidents"</A>
                    <A href="/sla">"SLA"</A>
                    <A href="/comms">"Customers"</A>
                    <A href="/follow-ups">"Follow-ups"</A>
                    <identity::pages::UserMenu/>
                    <ui::theme::ThemeToggle/>
                </nav>
            </header>
            <identity::pages::AdminBar/>
            <ui::shortcuts::Shortcuts/>
            <main id="main">
                // Async: pages arrive complete, so they work with JavaScript off.
                <Routes fallback=|| view! { <p class="card">"Page not found."</p> }>
                    <Route path=path!("/") view={Lazy::<lazy_pages::IncidentListRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/report") view={Lazy::<lazy_pages::CustomerReportRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/sla") view={Lazy::<lazy_pages::SlaBoardRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/sla/reports") view={Lazy::<lazy_pages::SlaReportRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/comms") view={Lazy::<lazy_pages::CommsLogRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/admin/comms") view={Lazy::<lazy_pages::CommsTemplatesRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/admin/postmortem-templates") view={Lazy::<lazy_pages::PostMortemTemplatesRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/incidents/:key") view=incidents::IncidentPage ssr=SsrMode::Async/>
                    <Route path=path!("/incidents/:key/postmortem") view={Lazy::<lazy_pages::PostMortemRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/incidents/:key/rca") view={Lazy::<lazy_pages::CustomerRcaRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/follow-ups") view={Lazy::<lazy_pages::FollowUpsRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/admin/catalog") view={Lazy::<lazy_pages::CatalogRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/admin/integrations") view={Lazy::<lazy_pages::IntegrationsRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/admin/sla") view={Lazy::<lazy_pages::SlaPolicyRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/admin/audit") view={Lazy::<lazy_pages::AuditRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/admin/status") view={Lazy::<lazy_pages::StatusAdminRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/login") view=identity::pages::LoginPage ssr=SsrMode::Async/>
                    <Route path=path!("/setup") view=identity::pages::SetupPage ssr=SsrMode::Async/>
                    <Route path=path!("/settings") view={Lazy::<lazy_pages::SettingsRoute>::new()} ssr=SsrMode::Async/>
                </Routes>
            </main>
        </Router>
    }
}
