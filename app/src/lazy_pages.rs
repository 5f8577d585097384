//! Every page but the war room is a lazy route: its code is a WASM chunk of its own
//! that the browser fetches on first use instead of with every first load
//! (`scripts/build-site.sh` splits the bundle at these points). The war room stays in
//! the main module because it is the page opened from a phone on the move, where
//! every kilobyte and round trip counts; the incident list and the SLA board are
//! opened mostly at a desk. Written out one by one: the split point's name
//! comes from where `#[lazy_route]` is written, so a macro stamping them out would
//! give them all one name.

use leptos::prelude::*;
use leptos_router::{lazy_route, LazyRoute};

/// `/admin/catalog`.
pub struct CatalogRoute;

#[lazy_route]
impl LazyRoute for CatalogRoute {
    fn data() -> Self {
        CatalogRoute
    }

    fn view(this: Self) -> AnyView {
        let CatalogRoute = this;
        view! { <crate::catalog::CatalogPage/> }.into_any()
    }
}

/// `/admin/sla`.
pub struct SlaPolicyRoute;

#[lazy_route]
impl LazyRoute for SlaPolicyRoute {
    fn data() -> Self {
        SlaPolicyRoute
    }

    fn view(this: Self) -> AnyView {
        let SlaPolicyRoute = this;
        view! { <crate::sla::policy_page::SlaPolicyPage/> }.into_any()
    }
}

/// `/admin/audit`.
pub struct AuditRoute;

#[lazy_route]
impl LazyRoute for AuditRoute {
    fn data() -> Self {
        AuditRoute
    }

    fn view(this: Self) -> AnyView {
        let AuditRoute = this;
        view! { <crate::identity::pages::AuditPage/> }.into_any()
    }
}

/// `/admin/comms`.
pub struct CommsTemplatesRoute;

#[lazy_route]
impl LazyRoute for CommsTemplatesRoute {
    fn data() -> Self {
        CommsTemplatesRoute
    }

    fn view(this: Self) -> AnyView {
        let CommsTemplatesRoute = this;
        view! { <crate::comms::templates_page::CommsTemplatesPage/> }.into_any()
    }
}

/// `/admin/postmortem-templates`.
pub struct PostMortemTemplatesRoute;

#[lazy_route]
impl LazyRoute for PostMortemTemplatesRoute {
    fn data() -> Self {
        PostMortemTemplatesRoute
    }

    fn view(this: Self) -> AnyView {
        let PostMortemTemplatesRoute = this;
        view! { <crate::postmortem::templates_page::PostMortemTemplatesPage/> }.into_any()
    }
}

/// `/sla/reports`.
pub struct SlaReportRoute;

#[lazy_route]
impl LazyRoute for SlaReportRoute {
    fn data() -> Self {
        SlaReportRoute
    }

    fn view(this: Self) -> AnyView {
        let SlaReportRoute = this;
        view! { <crate::sla::report_page::SlaReportPage/> }.into_any()
    }
}

/// `/comms`.
pub struct CommsLogRoute;

#[lazy_route]
impl LazyRoute for CommsLogRoute {
    fn data() -> Self {
        CommsLogRoute
    }

    fn view(this: Self) -> AnyView {
        let CommsLogRoute = this;
        view! { <crate::comms::log_page::CommsLogPage/> }.into_any()
    }
}

/// `/report`: customer success reports a customer's problem.
pub struct CustomerReportRoute;

#[lazy_route]
impl LazyRoute for CustomerReportRoute {
    fn data() -> Self {
        CustomerReportRoute
    }

    fn view(this: Self) -> AnyView {
        let CustomerReportRoute = this;
        view! { <crate::incidents::ReportPage/> }.into_any()
    }
}

/// `/settings`: the signed-in person's own settings.
pub struct SettingsRoute;

#[lazy_route]
impl LazyRoute for SettingsRoute {
    fn data() -> Self {
        SettingsRoute
    }

    fn view(this: Self) -> AnyView {
        let SettingsRoute = this;
        view! { <crate::identity::pages::SettingsPage/> }.into_any()
    }
}

/// `/`: the incident list.
pub struct IncidentListRoute;

#[lazy_route]
impl LazyRoute for IncidentListRoute {
    fn data() -> Self {
        IncidentListRoute
    }

    fn view(this: Self) -> AnyView {
        let IncidentListRoute = this;
        view! { <crate::incidents::IncidentListPage/> }.into_any()
    }
}

/// `/sla`: the SLA board.
pub struct SlaBoardRoute;

#[lazy_route]
impl LazyRoute for SlaBoardRoute {
    fn data() -> Self {
        SlaBoardRoute
    }

    fn view(this: Self) -> AnyView {
        let SlaBoardRoute = this;
        view! { <crate::sla::board_page::SlaBoardPage/> }.into_any()
    }
}

/// `/incidents/:key/postmortem`.
pub struct PostMortemRoute;

#[lazy_route]
impl LazyRoute for PostMortemRoute {
    fn data() -> Self {
        PostMortemRoute
    }

    fn view(this: Self) -> AnyView {
        let PostMortemRoute = this;
        view! { <crate::postmortem::page::PostMortemPage/> }.into_any()
    }
}

/// `/incidents/:key/rca`.
pub struct CustomerRcaRoute;

#[lazy_route]
impl LazyRoute for CustomerRcaRoute {
    fn data() -> Self {
        CustomerRcaRoute
    }

    fn view(this: Self) -> AnyView {
        let CustomerRcaRoute = this;
        view! { <crate::postmortem::rca_page::CustomerRcaPage/> }.into_any()
    }
}

/// `/follow-ups`.
pub struct FollowUpsRoute;

#[lazy_route]
impl LazyRoute for FollowUpsRoute {
    fn data() -> Self {
        FollowUpsRoute
    }

    fn view(this: Self) -> AnyView {
        let FollowUpsRoute = this;
        view! { <crate::postmortem::followups_page::FollowUpsPage/> }.into_any()
    }
}

/// `/admin/integrations`.
pub struct IntegrationsRoute;

#[lazy_route]
impl LazyRoute for IntegrationsRoute {
    fn data() -> Self {
        IntegrationsRoute
    }

    fn view(this: Self) -> AnyView {
        let IntegrationsRoute = this;
        view! { <crate::intake::admin_page::IntegrationsPage/> }.into_any()
    }
}

/// `/admin/status`.
pub struct StatusAdminRoute;

#[lazy_route]
impl LazyRoute for StatusAdminRoute {
    fn data() -> Self {
        StatusAdminRoute
    }

    fn view(this: Self) -> AnyView {
        let StatusAdminRoute = this;
        view! { <crate::statuspage::admin_page::StatusAdminPage/> }.into_any()
    }
}
