//! `--demo`: fills an empty database with a small, realistic company so a newcomer
//! sees the product working: its last 90 days of incidents, one P1 live right now.
//! Everything goes through the same services as real use.
//!
//! The history is played, not stamped: seeding runs on a copy of the state whose
//! clock is a manual one, started 92 days back and moved forward from one scripted
//! step to the next (the incidents interleave in time order). The SLA engine's
//! passes are played along on that clock, so clock states are announced when they
//! happened (at risk, breached, met, missed), and past notifications and customer
//! messages are delivered when they were sent. The real server then goes on from
//! the last step on the real clock.

use app::catalog::model::{NewAccount, NewMember, NewSystem, NewTeam};
use app::catalog::service as catalog;
use app::clock::{Clock, ManualClock};
use app::comms::model::MoveInput;
use app::comms::service as comms;
use app::error::AppError;
use app::identity::model::{User, UserRole};
use app::identity::service::{self as identity, Client};
use app::incidents::model::{ChangeInput, DeclareInput, Incident, IncidentStatus};
use app::incidents::service as incidents;
use app::notify::repo::{self as outbox, Queue};
use app::postmortem::{followups, review, service as postmortem};
use app::sla::engine::Engine;
use app::state::AppState;
use app::timeline::model::PostEntry;
use app::timeline::service as timeline;
use chrono::{DateTime, Datelike, Duration, NaiveTime, Utc};
use std::sync::Arc;
use tracing::instrument::WithSubscriber;

/// Demo sign-ins, one per role (demo only: documented in the README).
pub const DEMO_USERS: [(&str, &str, UserRole, &str); 4] = [
    (
        "ada.admin@example.com",
        "Ada Admin",
        UserRole::Admin,
        "demo-admin-password",
    ),
    (
        "dana.lee@example.com",
        "Dana Lee",
        UserRole::Engineer,
        "demo-engineer-password",
    ),
    (
        "priya@example.com",
        "Priya Raman",
        UserRole::Cs,
        "demo-cs-password",
    ),
    (
        "victor.viewer@example.com",
        "Victor Viewer",
        UserRole::Viewer,
        "demo-viewer-password",
    ),
];

/// People who write the timelines but have no demo sign-in.
const COLLEAGUES: [(&str, &str, UserRole); 5] = [
    ("sam.okafor@example.com", "Sam Okafor", UserRole::Engineer),
    ("mei.chen@example.com", "Mei Chen", UserRole::Engineer),
    ("ravi.patel@example.com", "Ravi Patel", UserRole::Engineer),
    ("lena.novak@example.com", "Lena Novak", UserRole::Engineer),
    ("jonas@example.com", "Jonas Berg", UserRole::Cs),
];

/// Everyone who acts in the scripts, in `DEMO_USERS` then `COLLEAGUES` order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Ada,
    Dana,
    Priya,
    #[allow(dead_code)] // signs in to look; writes nothing
    Victor,
    Sam,
    Mei,
    Ravi,
    Lena,
    Jonas,
}
use Who::*;

/// When a scripted incident was declared.
#[derive(Debug, Clone, Copy)]
enum At {
    /// `weeks` before the current week, on `weekday` (0 = Monday), at hh:mm UTC:
    /// the weekday is fixed, so business-hours clocks read the same whenever the
    /// demo is seeded.
    Week(i64, i64, u32, u32),
    /// That many days before today, at hh:mm UTC.
    DaysAgo(i64, u32, u32),
    MinutesAgo(i64),
}

/// One thing someone does on an incident.
#[derive(Debug, Clone, Copy)]
enum Do {
    Update(&'static str),
    /// An update about something that began when the incident did (`occurred_at`).
    Since(&'static str),
    /// An engineering update customers may be told (customer messages quote it).
    Public(&'static str),
    Note(&'static str),
    Worked(&'static str),
    Failed(&'static str),
    Finding(&'static str),
    RootCause(&'static str),
    /// A status move, with the reason (required when moving back).
    Status(&'static str, &'static str),
    Severity(&'static str, &'static str),
    AddAccounts(&'static [&'static str]),
    /// Takes the incident lead.
    Lead,
    /// Takes the communications owner role.
    CommsOwner,
    /// Drafts a customer update to every impacted account and sends it, approved by
    /// the other person first when the tier asks for it.
    Tell(Who),
    /// Drafts a customer update and leaves it for later.
    Draft,
}

/// A step of a script: `after` minutes after the previous one.
#[derive(Debug, Clone, Copy)]
struct Step {
    after: i64,
    who: Who,
    what: Do,
}

const fn step(after: i64, who: Who, what: Do) -> Step {
    Step { after, who, what }
}
const fn update(after: i64, who: Who, text: &'static str) -> Step {
    step(after, who, Do::Update(text))
}
const fn since(after: i64, who: Who, text: &'static str) -> Step {
    step(after, who, Do::Since(text))
}
const fn public(after: i64, who: Who, text: &'static str) -> Step {
    step(after, who, Do::Public(text))
}
const fn note(after: i64, who: Who, text: &'static str) -> Step {
    step(after, who, Do::Note(text))
}
const fn worked(after: i64, who: Who, text: &'static str) -> Step {
    step(after, who, Do::Worked(text))
}
const fn failed(after: i64, who: Who, text: &'static str) -> Step {
    step(after, who, Do::Failed(text))
}
const fn finding(after: i64, who: Who, text: &'static str) -> Step {
    step(after, who, Do::Finding(text))
}
const fn cause(after: i64, who: Who, text: &'static str) -> Step {
    step(after, who, Do::RootCause(text))
}
const fn status(after: i64, who: Who, to: &'static str) -> Step {
    step(after, who, Do::Status(to, ""))
}
const fn back(after: i64, who: Who, to: &'static str, reason: &'static str) -> Step {
    step(after, who, Do::Status(to, reason))
}
const fn severity(after: i64, who: Who, to: &'static str, reason: &'static str) -> Step {
    step(after, who, Do::Severity(to, reason))
}
const fn accounts(after: i64, who: Who, slugs: &'static [&'static str]) -> Step {
    step(after, who, Do::AddAccounts(slugs))
}
const fn lead(after: i64, who: Who) -> Step {
    step(after, who, Do::Lead)
}
const fn owner(after: i64, who: Who) -> Step {
    step(after, who, Do::CommsOwner)
}
const fn tell(after: i64, who: Who, approver: Who) -> Step {
    step(after, who, Do::Tell(approver))
}
const fn draft(after: i64, who: Who) -> Step {
    step(after, who, Do::Draft)
}

/// One incident as it unfolded. Declared by customer success, it is a customer
/// report; by an engineer, a manual declaration.
#[derive(Debug, Clone, Copy)]
struct Script {
    at: At,
    severity: &'static str,
    title: &'static str,
    systems: &'static [&'static str],
    accounts: &'static [&'static str],
    by: Who,
    /// Minutes the problem ran before it was declared (`started_at`).
    unnoticed: i64,
    description: &'static str,
    steps: &'static [Step],
}

/// The last 90 days, oldest first, then what is open now. Resolution times are
/// mostly inside the impacted accounts' SLA targets (enterprise 24x7: P1 15 min /
/// 4 h, P2 1 h / 8 h, P3 4 h / 72 h; business hours: P1 1 h / 8 h, P2 4 h / 16 h,
/// P3 8 h / 40 h); a few are not, as in any real quarter.
const SCRIPTS: &[Script] = &[
    Script {
        at: At::Week(12, 1, 9, 40),
        severity: "P2",
        title: "Refund requests stuck in pending",
        systems: &["payments-api"],
        accounts: &["soylent", "wonka"],
        by: Jonas,
        unnoticed: 25,
        description: "Soylent and Wonka report refunds issued yesterday still show as pending.",
        steps: &[
            note(2, Jonas, "Soylent's finance team counts 14 refunds from yesterday afternoon, all pending."),
            lead(5, Ravi),
            update(3, Ravi, "Refund worker queue depth is 3.2k and growing; the oldest job is 19 h old."),
            finding(12, Ravi, "Worker pods crash-loop on one refund in a currency we do not map (ISK)."),
            status(2, Ravi, "identified"),
            worked(7, Ravi, "Moved the poison job to the dead-letter queue: workers are draining."),
            status(4, Ravi, "monitoring"),
            update(26, Ravi, "Queue back to zero; all 3,214 refunds processed. Soylent confirms."),
            cause(9, Ravi, "The currency table lacks ISK, and an unmapped currency panics the worker instead of failing the one job."),
            status(14, Ravi, "resolved"),
            note(3, Ravi, "Follow-up: fail the job, not the worker, on unknown currencies (PAY-1182)."),
        ],
    },
    Script {
        at: At::Week(12, 3, 14, 5),
        severity: "P3",
        title: "Search suggestions show deleted products",
        systems: &["search"],
        accounts: &[],
        by: Lena,
        unnoticed: 90,
        description: "Autocomplete offers products that were deleted days ago; clicking one gives a 404.",
        steps: &[
            update(6, Lena, "Reproduced: 212 deleted products still in the suggestion index."),
            finding(35, Lena, "Deletes reach the main index but the suggester is only rebuilt weekly."),
            status(3, Lena, "identified"),
            worked(50, Lena, "Rebuilt the suggester by hand: deleted products are gone."),
            status(2, Lena, "monitoring"),
            cause(40, Lena, "Deletions were never wired into the suggester's incremental updates; only the weekly rebuild removed them."),
            status(1200, Lena, "resolved"),
        ],
    },
    Script {
        at: At::Week(11, 0, 8, 20),
        severity: "P1",
        title: "Login page returns 502 for all users",
        systems: &["auth"],
        accounts: &["acme", "globex", "hooli", "oscorp"],
        by: Sam,
        unnoticed: 4,
        description: "Monday morning: the login page answers 502 Bad Gateway everywhere.",
        steps: &[
            since(3, Sam, "Every login request fails with 502 at the load balancer; sessions already open still work."),
            lead(1, Sam),
            public(4, Sam, "Signing in fails for all users; people already signed in are not affected."),
            failed(5, Lena, "Restarted the auth pods: they come up and fail health checks again."),
            owner(2, Priya),
            tell(2, Priya, Jonas),
            finding(6, Sam, "Auth pods cannot reach the session store: its TLS certificate expired at 08:00."),
            status(2, Sam, "identified"),
            worked(14, Lena, "Issued a new certificate for the session store and rolled it out."),
            status(3, Sam, "monitoring"),
            public(4, Sam, "Signing in works again. We are watching error rates before closing this."),
            update(25, Sam, "Login success rate back at 99.8 % for 25 minutes."),
            cause(6, Sam, "The session store certificate was issued by hand last year and never added to automatic renewal."),
            status(4, Sam, "resolved"),
            tell(3, Priya, Jonas),
            note(5, Sam, "Follow-ups: move the session store to managed certificates; alert 14 days before any certificate expires."),
        ],
    },
    Script {
        at: At::Week(11, 2, 19, 30),
        severity: "P3",
        title: "Password reset emails delayed up to 40 minutes",
        systems: &["notifications"],
        accounts: &[],
        by: Mei,
        unnoticed: 60,
        description: "Support tickets: password reset emails arrive 20-40 minutes late.",
        steps: &[
            update(8, Mei, "Transactional email queue has 9k messages; marketing batch started at 18:30 on the same queue."),
            finding(12, Mei, "The weekly newsletter was sent through the transactional queue after a config merge."),
            status(2, Mei, "identified"),
            worked(9, Mei, "Paused the newsletter batch; reset emails now leave within 30 s."),
            status(3, Mei, "monitoring"),
            cause(30, Mei, "A config merge pointed the newsletter sender at the transactional queue, so bulk mail starved time-critical mail."),
            worked(20, Mei, "Moved the newsletter back to the bulk queue and resumed it."),
            status(15, Mei, "resolved"),
        ],
    },
    Script {
        at: At::Week(11, 5, 3, 10),
        severity: "P2",
        title: "Invoice run failed for annual plans",
        systems: &["billing"],
        accounts: &["initech"],
        by: Dana,
        unnoticed: 10,
        description: "The 03:00 invoice run aborted; annual-plan customers got no invoice.",
        steps: &[
            update(7, Dana, "The run stopped after 412 of 1,830 invoices with a constraint violation."),
            lead(1, Dana),
            finding(18, Dana, "Initech's plan has a negative discount line left from a migrated contract; the totals check rejects it."),
            status(2, Dana, "identified"),
            failed(15, Dana, "Re-ran the job with the check relaxed for one account: the run still aborts on the same line."),
            worked(22, Ravi, "Corrected the discount line with finance's approval and re-ran from invoice 413."),
            status(3, Dana, "monitoring"),
            update(40, Dana, "All 1,830 annual invoices issued and emailed."),
            cause(6, Dana, "Contracts migrated from the old billing system may carry negative discount lines that the new totals check rejects."),
            status(10, Dana, "resolved"),
        ],
    },
    Script {
        at: At::Week(10, 1, 11, 15),
        severity: "P2",
        title: "Search results empty for EU tenants",
        systems: &["search"],
        accounts: &["initech", "umbrella"],
        by: Priya,
        unnoticed: 20,
        description: "Initech and Umbrella Health see no search results at all since this morning.",
        steps: &[
            note(1, Priya, "Both accounts are hosted in the EU region; US customers are fine."),
            update(6, Sam, "EU shard returns 0 hits since the 02:00 reindex."),
            lead(1, Sam),
            failed(7, Sam, "Restarted the EU query nodes: still 0 hits."),
            finding(9, Sam, "The reindex job wrote to a new alias that queries do not read."),
            status(1, Sam, "identified"),
            worked(6, Sam, "Pointed the read alias at the new index: results are back."),
            status(2, Sam, "monitoring"),
            update(30, Sam, "EU query volume and hit rates normal for 30 minutes."),
            cause(10, Sam, "The reindex job creates a fresh alias every night; the swap step was skipped after a timeout, silently."),
            status(5, Sam, "resolved"),
        ],
    },
    Script {
        at: At::Week(10, 3, 16, 45),
        severity: "P1",
        title: "Checkout 3-D Secure challenges time out",
        systems: &["payments-api"],
        accounts: &["acme", "globex", "vandelay"],
        by: Priya,
        unnoticed: 10,
        description: "Cardholders asked for a 3-D Secure challenge never get it; the payment times out.",
        steps: &[
            update(3, Dana, "3DS challenge success dropped from 96 % to 41 % at 16:35; frictionless payments unaffected."),
            lead(1, Dana),
            owner(1, Priya),
            public(6, Dana, "Some card payments that need bank verification fail. Other payments work."),
            tell(2, Priya, Jonas),
            failed(20, Ravi, "Failed over to the secondary 3DS server: same timeouts."),
            finding(35, Dana, "Challenge redirects from two large issuers hang at the issuer's access control server."),
            status(3, Dana, "identified"),
            note(20, Priya, "Acme escalated through their account director; they lose about 300 orders an hour."),
            failed(40, Ravi, "Shortened our challenge timeout so customers can retry sooner: retries fail too."),
            update(45, Dana, "The issuers' processor confirms an incident on their side; no time to fix yet."),
            worked(30, Ravi, "Routed the two issuers' cards through the backup acquirer, which uses a different 3DS path."),
            status(3, Dana, "monitoring"),
            public(5, Dana, "Payments needing bank verification work again through an alternative route."),
            tell(3, Priya, Jonas),
            update(35, Dana, "3DS success back at 95 % for 35 minutes."),
            cause(8, Dana, "An outage at the issuers' 3DS provider; we had no automatic fallback to the backup acquirer for challenges."),
            status(4, Dana, "resolved"),
            tell(4, Priya, Jonas),
            note(10, Dana, "Missed the 4 h resolution target for Acme and Globex. Follow-up: automatic acquirer fallback on 3DS timeouts (PAY-1240)."),
        ],
    },
    Script {
        at: At::Week(9, 0, 10, 0),
        severity: "P3",
        title: "Monthly usage report shows duplicated lines",
        systems: &["legacy-reports"],
        accounts: &["tyrell"],
        by: Jonas,
        unnoticed: 120,
        description: "Tyrell's monthly usage report lists some seats twice.",
        steps: &[
            note(3, Jonas, "Tyrell's finance team noticed 18 seats listed twice; invoice totals are correct."),
            update(40, Sam, "Nobody owns legacy-reports; Platform takes this. Duplicates are seats that moved teams this month."),
            lead(1, Sam),
            finding(90, Sam, "The report joins seats to teams without the end date of a membership."),
            status(2, Sam, "identified"),
            worked(180, Sam, "Fixed the join and regenerated Tyrell's report."),
            status(3, Sam, "monitoring"),
            cause(60, Sam, "Team moves keep the old membership row with an end date; the report query ignores end dates."),
            status(1100, Sam, "resolved"),
        ],
    },
    Script {
        at: At::Week(9, 2, 13, 20),
        severity: "P2",
        title: "Push notifications not delivered on Android",
        systems: &["notifications"],
        accounts: &["cyberdyne", "monarch"],
        by: Jonas,
        unnoticed: 45,
        description: "Android users of two customers stopped getting push notifications this morning.",
        steps: &[
            update(9, Mei, "Android push delivery rate 0 % since 12:30; iOS normal."),
            lead(1, Mei),
            finding(15, Mei, "The push provider rejects our requests: the legacy server key API was shut down."),
            status(2, Mei, "identified"),
            status(40, Mei, "fixing"),
            worked(75, Mei, "Switched Android sends to the HTTP v1 API with a service account."),
            status(3, Mei, "monitoring"),
            update(30, Mei, "Android delivery back at 98 %; Cyberdyne and Monarch confirm."),
            cause(10, Mei, "The provider's deprecation emails went to a mailbox nobody reads; we were still on the legacy API."),
            status(20, Mei, "resolved"),
        ],
    },
    Script {
        at: At::Week(9, 4, 22, 40),
        severity: "P1",
        title: "SSO logins fail for Okta customers",
        systems: &["auth"],
        accounts: &["stark", "umbrella", "tyrell"],
        by: Sam,
        unnoticed: 14,
        description: "Customers signing in through Okta get \"invalid assertion\"; password logins work.",
        steps: &[
            update(6, Sam, "SAML assertions rejected: clock skew errors in auth logs."),
            lead(1, Sam),
            public(4, Sam, "Single sign-on through Okta fails; signing in with a password works."),
            finding(9, Sam, "NTP stopped on two auth nodes after the kernel update; they run 4 minutes behind."),
            status(1, Sam, "identified"),
            worked(8, Sam, "Took the two nodes out of rotation; logins succeed."),
            status(2, Sam, "fixing"),
            worked(20, Sam, "Re-enabled NTP, resynced the clocks and put the nodes back."),
            status(2, Sam, "monitoring"),
            owner(5, Priya),
            tell(2, Priya, Jonas),
            update(30, Sam, "No clock skew errors for 30 minutes on any node."),
            cause(5, Sam, "The kernel update replaced the NTP unit file and left the service disabled; nothing alerts on clock drift."),
            status(3, Sam, "resolved"),
            note(6, Sam, "Declared 14 minutes after the first errors, so the 15 min response target was missed. Follow-up: page on SAML error rate, alert on clock drift."),
        ],
    },
    Script {
        at: At::Week(8, 1, 15, 30),
        severity: "P3",
        title: "Proration wrong on mid-cycle downgrades",
        systems: &["billing"],
        accounts: &["wayne", "duff"],
        by: Jonas,
        unnoticed: 300,
        description: "Wayne Logistics and Duff were credited too little after downgrading mid-month.",
        steps: &[
            note(2, Jonas, "Wayne's credit note is 212 EUR short; they downgraded on the 9th."),
            update(45, Ravi, "Reproduced: downgrade credits use the new plan's daily price for the whole month."),
            lead(1, Ravi),
            finding(120, Ravi, "The proration rewrite swapped the old and new plan in the credit formula."),
            status(2, Ravi, "identified"),
            status(30, Ravi, "fixing"),
            worked(240, Ravi, "Fixed the formula and issued corrected credit notes to the 9 affected accounts."),
            status(4, Ravi, "monitoring"),
            cause(30, Ravi, "A refactor swapped two arguments of the same type; no test covered downgrades."),
            status(900, Ravi, "resolved"),
        ],
    },
    Script {
        at: At::Week(8, 3, 9, 5),
        severity: "P2",
        title: "SEPA direct debits rejected with MD01",
        systems: &["payments-api"],
        accounts: &["northwind", "soylent"],
        by: Priya,
        unnoticed: 30,
        description: "This morning's direct debit batch came back with mandate errors for many customers.",
        steps: &[
            update(8, Dana, "1,140 of 6,020 debits returned MD01 (no valid mandate), all mandates signed since Monday."),
            lead(1, Dana),
            finding(25, Dana, "New mandates are sent with the creditor identifier of our test account."),
            status(2, Dana, "identified"),
            worked(30, Ravi, "Restored the production creditor identifier in the mandate service."),
            status(5, Dana, "fixing"),
            worked(55, Ravi, "Re-submitted the 1,140 debits with corrected mandates."),
            status(3, Dana, "monitoring"),
            update(60, Dana, "Bank accepted the resubmitted batch; no new returns."),
            cause(5, Dana, "A settings import for the sandbox overwrote the production creditor identifier; the two share a key."),
            status(10, Dana, "resolved"),
        ],
    },
    Script {
        at: At::Week(8, 6, 6, 50),
        severity: "P3",
        title: "Search indexing lag of 2 hours",
        systems: &["search"],
        accounts: &[],
        by: Lena,
        unnoticed: 40,
        description: "New and edited records take up to two hours to become searchable.",
        steps: &[
            update(5, Lena, "Indexer consumer lag is 1.9 M events and falling slowly."),
            finding(20, Lena, "One indexer node lost its disk at 04:10; the other two cannot keep up."),
            status(2, Lena, "identified"),
            worked(35, Lena, "Replaced the node; three indexers are consuming again."),
            status(2, Lena, "monitoring"),
            update(70, Lena, "Lag is under 10 s."),
            cause(5, Lena, "The indexer tier has no headroom for losing a node; it is sized for average load."),
            status(20, Lena, "resolved"),
        ],
    },
    Script {
        at: At::Week(7, 0, 14, 10),
        severity: "P1",
        title: "Payment confirmation page blank after deploy",
        systems: &["payments-api"],
        accounts: &["acme", "stark", "hooli", "pied-piper"],
        by: Dana,
        unnoticed: 6,
        description: "After the 14:00 release the confirmation page renders blank; payments go through.",
        steps: &[
            since(2, Dana, "Confirmation page throws in the browser since the 14:00 deploy; payments are captured."),
            lead(1, Dana),
            worked(5, Ravi, "Rolled back payments-api 2.9.0 to 2.8.4: the page renders again."),
            status(1, Dana, "monitoring"),
            owner(2, Priya),
            public(2, Dana, "Payment confirmations showed a blank page for 15 minutes; the payments themselves went through."),
            tell(2, Priya, Jonas),
            cause(25, Ravi, "2.9.0 ships a bundle that needs a new content security policy; the policy change was not deployed with it."),
            update(15, Dana, "No errors for 40 minutes after the rollback."),
            status(1, Dana, "resolved"),
        ],
    },
    Script {
        at: At::Week(7, 2, 10, 30),
        severity: "P2",
        title: "Session cookies dropped in Safari after update",
        systems: &["auth"],
        accounts: &["umbrella", "bluth"],
        by: Priya,
        unnoticed: 35,
        description: "Safari users are signed out on every page load.",
        steps: &[
            note(1, Priya, "Umbrella's staff use Safari on managed Macs; all of them are affected."),
            update(11, Lena, "Reproduced on Safari 17.4: the session cookie is rejected."),
            lead(1, Lena),
            finding(30, Lena, "Our cookie sets SameSite=None without Secure on one redirect; Safari now drops such cookies."),
            status(2, Lena, "identified"),
            worked(45, Lena, "Deployed the Secure attribute on the redirect's cookie."),
            status(2, Lena, "monitoring"),
            update(60, Lena, "Umbrella and Bluth confirm sessions persist."),
            cause(5, Lena, "A legacy redirect handler builds its own cookie header instead of using the session library."),
            status(20, Lena, "resolved"),
        ],
    },
    Script {
        at: At::Week(7, 4, 17, 20),
        severity: "P3",
        title: "Weekly digest sent twice",
        systems: &["notifications"],
        accounts: &["massive", "gringotts"],
        by: Mei,
        unnoticed: 30,
        description: "Some customers received the weekly digest twice within ten minutes.",
        steps: &[
            update(5, Mei, "About 8 % of recipients got two digests."),
            finding(20, Mei, "Two scheduler replicas both took the digest job during a rolling deploy."),
            status(2, Mei, "identified"),
            worked(30, Mei, "Added a lock around the digest job."),
            status(2, Mei, "monitoring"),
            cause(10, Mei, "The digest job had no lock; it relied on there being one scheduler replica."),
            status(3815, Mei, "resolved"),
        ],
    },
    Script {
        at: At::Week(6, 1, 2, 15),
        severity: "P2",
        title: "Nightly CSV export timed out",
        systems: &["legacy-reports"],
        accounts: &["initech"],
        by: Sam,
        unnoticed: 15,
        description: "The 02:00 export to Initech's SFTP server did not finish.",
        steps: &[
            update(9, Sam, "Export job killed after 60 min; 70 % of the file written."),
            lead(1, Sam),
            failed(25, Sam, "Restarted the export: times out at the same point."),
            finding(30, Sam, "The orders query lost its index after last week's schema change; it now scans 40 M rows."),
            status(2, Sam, "identified"),
            worked(35, Sam, "Re-created the index; the export finishes in 6 minutes."),
            status(3, Sam, "monitoring"),
            update(20, Sam, "Initech's SFTP server has the complete file."),
            cause(5, Sam, "A migration dropped and re-created the orders table without one index that only the legacy export uses."),
            status(60, Sam, "resolved"),
        ],
    },
    Script {
        at: At::Week(5, 0, 9, 50),
        severity: "P3",
        title: "Filters on the orders page ignore date range",
        systems: &["search"],
        accounts: &["wonka"],
        by: Jonas,
        unnoticed: 180,
        description: "Choosing a date range on the orders page still shows all orders.",
        steps: &[
            update(30, Lena, "Reproduced: the date filter is sent but the search query drops it."),
            finding(60, Lena, "The filter field was renamed from created to created_at in the index mapping only."),
            status(2, Lena, "identified"),
            worked(90, Lena, "Mapped the old field name in the query builder."),
            status(2, Lena, "monitoring"),
            cause(5, Lena, "A mapping rename shipped without the matching query change."),
            status(1300, Lena, "resolved"),
        ],
    },
    Script {
        at: At::Week(5, 2, 20, 5),
        severity: "P2",
        title: "Customers charged twice for renewals",
        systems: &["billing", "payments-api"],
        accounts: &["globex", "northwind", "wayne"],
        by: Dana,
        unnoticed: 8,
        description: "Customers report being charged twice for this evening's renewal.",
        steps: &[
            update(4, Dana, "At least 40 renewals charged twice, 90 seconds apart."),
            lead(1, Dana),
            finding(14, Ravi, "It is every renewal of the 19:55 batch: 2,300 so far, and the next batch runs at 21:00."),
            severity(2, Dana, "P1", "Every renewal is charged twice, not a few."),
            accounts(3, Dana, &["soylent", "duff"]),
            worked(8, Ravi, "Paused the renewal scheduler before the 21:00 batch."),
            finding(25, Ravi, "The payment retry treats a slow success as a failure and charges again."),
            status(2, Dana, "identified"),
            owner(3, Priya),
            public(4, Dana, "Some renewals were charged twice this evening. We stopped it and are refunding every duplicate charge."),
            tell(3, Priya, Jonas),
            status(10, Dana, "fixing"),
            worked(50, Ravi, "Refunded all 2,318 duplicate charges."),
            worked(30, Dana, "Deployed the idempotency-key fix for retries and resumed the scheduler."),
            status(3, Dana, "monitoring"),
            update(25, Dana, "The 22:30 batch charged each renewal once."),
            cause(5, Dana, "Renewal retries did not send an idempotency key, so a timeout followed by success charged twice."),
            status(4, Dana, "resolved"),
            public(2, Dana, "Every duplicate charge has been refunded; renewals are charged once again."),
            tell(3, Priya, Jonas),
        ],
    },
    Script {
        at: At::Week(4, 1, 10, 20),
        severity: "P2",
        title: "2FA codes rejected for some users",
        systems: &["auth"],
        accounts: &["stark", "tyrell", "nakatomi"],
        by: Priya,
        unnoticed: 40,
        description: "Users with authenticator apps report valid codes being rejected.",
        steps: &[
            note(1, Priya, "Stark says about 1 in 5 attempts fails; a second try usually works."),
            update(9, Lena, "TOTP failures 18 % since 09:40, only on the new auth nodes."),
            lead(1, Lena),
            finding(22, Lena, "The new nodes accept no clock drift window; the old ones accept ±1 step."),
            status(2, Lena, "identified"),
            worked(35, Lena, "Set the drift window to ±1 step on all nodes."),
            status(2, Lena, "monitoring"),
            update(45, Lena, "TOTP failure rate back to 1.2 %."),
            cause(5, Lena, "The new nodes were built from a config template without the TOTP drift setting."),
            status(20, Lena, "resolved"),
        ],
    },
    Script {
        at: At::Week(4, 2, 16, 0),
        severity: "P3",
        title: "Invoice emails show the old company address",
        systems: &["billing"],
        accounts: &["vandelay", "tyrell"],
        by: Jonas,
        unnoticed: 240,
        description: "Invoice emails still carry the address we moved out of in September.",
        steps: &[
            note(2, Jonas, "Vandelay's accounts payable rejected two invoices over the address."),
            update(35, Ravi, "The PDF has the new address; the email footer template still has the old one."),
            finding(20, Ravi, "The footer is a separate template that the address change did not cover."),
            status(2, Ravi, "identified"),
            worked(40, Ravi, "Updated the footer and re-sent this month's invoices to the two accounts."),
            status(3, Ravi, "monitoring"),
            cause(5, Ravi, "The company address is copied into four templates instead of read from one setting."),
            status(1000, Ravi, "resolved"),
        ],
    },
    Script {
        at: At::Week(4, 3, 3, 30),
        severity: "P1",
        title: "Search cluster red: all queries fail",
        systems: &["search"],
        accounts: &["acme", "umbrella", "cyberdyne"],
        by: Lena,
        unnoticed: 5,
        description: "The search cluster went red at 03:25; every search returns an error.",
        steps: &[
            since(3, Lena, "Cluster red: 3 of 9 data nodes left the cluster at 03:25."),
            lead(1, Lena),
            failed(12, Lena, "Restarted the three nodes: they rejoin and drop out again within minutes."),
            update(10, Sam, "Joining. The nodes run out of heap while recovering shards."),
            finding(18, Sam, "A tenant's bulk import created 40k tiny shards overnight; recovery needs more heap than the nodes have."),
            status(2, Sam, "identified"),
            worked(25, Sam, "Closed the import's indices and raised heap on the data nodes."),
            status(5, Lena, "fixing"),
            worked(30, Lena, "Cluster yellow, then green; queries succeed."),
            status(2, Lena, "monitoring"),
            owner(10, Priya),
            public(2, Lena, "Search was unavailable between 03:25 and 04:45 and works again."),
            tell(2, Priya, Jonas),
            update(25, Lena, "Green for 40 minutes, query latency normal."),
            cause(5, Sam, "No limit on shards per tenant; one import could exhaust the cluster's heap."),
            status(2, Lena, "resolved"),
        ],
    },
    Script {
        at: At::Week(4, 5, 12, 0),
        severity: "P3",
        title: "SMS provider rejects +353 numbers",
        systems: &["notifications"],
        accounts: &[],
        by: Mei,
        unnoticed: 240,
        description: "SMS to Irish mobile numbers fail since this morning.",
        steps: &[
            update(15, Mei, "Provider answers \"unsupported destination\" for +353 since 07:50."),
            finding(30, Mei, "The provider's Irish route is down; their status page lists it."),
            status(2, Mei, "identified"),
            worked(40, Mei, "Routed +353 through the secondary SMS provider."),
            status(2, Mei, "monitoring"),
            cause(5, Mei, "An outage at the SMS provider's Irish route; failover between providers is manual."),
            status(600, Mei, "resolved"),
        ],
    },
    Script {
        at: At::Week(3, 0, 16, 30),
        severity: "P2",
        title: "Apple Pay button missing on checkout",
        systems: &["payments-api"],
        accounts: &["vandelay", "monarch"],
        by: Jonas,
        unnoticed: 90,
        description: "The Apple Pay button no longer shows on Safari.",
        steps: &[
            update(12, Ravi, "Apple Pay availability check fails: domain verification returns 404."),
            lead(1, Ravi),
            finding(20, Ravi, "The domain verification file was dropped when static assets moved to the CDN."),
            status(2, Ravi, "identified"),
            worked(25, Ravi, "Served the verification file from the CDN: the button is back."),
            status(2, Ravi, "monitoring"),
            update(60, Ravi, "Apple Pay share of payments back to 22 %."),
            cause(5, Ravi, "The asset migration copied only fingerprinted files; the verification file under /.well-known was left out."),
            status(30, Ravi, "resolved"),
        ],
    },
    Script {
        at: At::Week(3, 2, 9, 10),
        severity: "P3",
        title: "Tax shown as 0 for Norwegian addresses",
        systems: &["billing"],
        accounts: &["bluth"],
        by: Jonas,
        unnoticed: 600,
        description: "Quotes for Norwegian customers show 0 % VAT.",
        steps: &[
            update(40, Dana, "Reproduced for every NO address; invoices are correct, only quotes are wrong."),
            finding(60, Dana, "The quote service reads tax rates from a cache that has no entry for NO."),
            status(2, Dana, "identified"),
            worked(45, Dana, "Added NO to the rates cache and cleared it."),
            status(2, Dana, "monitoring"),
            cause(5, Dana, "The rates cache is filled from a hard-coded list of EU countries; Norway is not in the EU."),
            status(1400, Dana, "resolved"),
        ],
    },
    Script {
        at: At::Week(3, 3, 14, 0),
        severity: "P2",
        title: "Invoice PDFs fail to render",
        systems: &["billing"],
        accounts: &["hooli", "wayne"],
        by: Jonas,
        unnoticed: 50,
        description: "Downloading an invoice gives an error page; invoice emails have no attachment.",
        steps: &[
            update(20, Ravi, "PDF renderer fails on every invoice with a font error."),
            lead(1, Ravi),
            finding(60, Ravi, "The base image update removed the font package the renderer needs."),
            status(2, Ravi, "identified"),
            failed(90, Ravi, "Installed the font in the image: the renderer crashes on a newer library version instead."),
            note(30, Jonas, "Hooli's accounting can work from the HTML invoices until Monday."),
            status(977, Ravi, "fixing"),
            update(350, Ravi, "Pinning the old library breaks two other templates; fixing those too."),
            worked(4005, Ravi, "Pinned the renderer's library to the last good version; all templates render."),
            status(3, Ravi, "monitoring"),
            update(240, Ravi, "All invoices since Thursday re-rendered and re-sent."),
            cause(10, Ravi, "Base images float on the latest distribution packages; the renderer's dependencies are not pinned."),
            status(30, Ravi, "resolved"),
            note(5, Jonas, "Missed the business-hours resolution target for Hooli and Wayne; I called both to explain."),
        ],
    },
    Script {
        at: At::Week(3, 4, 13, 45),
        severity: "P1",
        title: "API tokens rejected after key rotation",
        systems: &["auth"],
        accounts: &["globex", "initech", "stark", "hooli", "oscorp"],
        by: Sam,
        unnoticed: 3,
        description: "Every API call with a customer token fails with 401 since 13:42.",
        steps: &[
            since(3, Sam, "All API requests with tokens fail with 401; web sign-in works."),
            lead(1, Sam),
            finding(7, Sam, "The 13:40 signing-key rotation removed the old key immediately instead of after the grace period."),
            status(1, Sam, "identified"),
            owner(2, Priya),
            public(2, Sam, "Requests to our API are rejected. Signing in to the web app works."),
            tell(2, Priya, Jonas),
            worked(12, Sam, "Restored the previous signing key as a verification key."),
            status(2, Sam, "monitoring"),
            public(3, Sam, "API requests are accepted again. Tokens did not need to be replaced."),
            tell(2, Priya, Jonas),
            update(40, Sam, "401 rate back to baseline for 40 minutes."),
            cause(5, Sam, "The rotation script's grace period is read from an environment variable that was missing, and it defaulted to 0."),
            status(3, Sam, "resolved"),
            tell(3, Priya, Jonas),
        ],
    },
    Script {
        at: At::Week(2, 1, 8, 55),
        severity: "P2",
        title: "Autocomplete slow (p95 4 s)",
        systems: &["search"],
        accounts: &["northwind"],
        by: Priya,
        unnoticed: 30,
        description: "Northwind reports the product search box takes seconds to suggest anything.",
        steps: &[
            update(10, Lena, "Autocomplete p95 is 4.1 s against a normal 180 ms."),
            lead(1, Lena),
            finding(25, Lena, "Cache hit rate fell from 92 % to 3 % after this morning's cache cluster upgrade."),
            status(2, Lena, "identified"),
            worked(20, Lena, "Restored the cache key prefix the upgrade changed."),
            status(2, Lena, "monitoring"),
            back(45, Lena, "investigating", "p95 back above 3 s: the cache is not the whole story."),
            finding(40, Sam, "One query node runs a debug build from the upgrade test; it takes a third of traffic."),
            status(2, Lena, "identified"),
            worked(20, Sam, "Replaced the node with a release build."),
            status(2, Lena, "monitoring"),
            update(60, Lena, "p95 at 170 ms for an hour."),
            cause(5, Sam, "The upgrade runbook reused a test node without rebuilding it, and changed the cache key prefix."),
            status(10, Lena, "resolved"),
        ],
    },
    Script {
        at: At::Week(2, 2, 15, 10),
        severity: "P3",
        title: "Scheduled reports emailed empty",
        systems: &["legacy-reports", "notifications"],
        accounts: &["tyrell", "aperture"],
        by: Jonas,
        unnoticed: 300,
        description: "Scheduled reports arrive as empty attachments.",
        steps: &[
            update(40, Mei, "Attachments are 0 bytes; the reports themselves generate fine."),
            finding(60, Mei, "The mailer streams the file before the report job has finished writing it."),
            status(2, Mei, "identified"),
            worked(120, Sam, "The report job now writes to a temporary name and renames when done."),
            status(2, Mei, "monitoring"),
            cause(5, Mei, "Report generation and mailing race on the same file name."),
            status(1260, Mei, "resolved"),
        ],
    },
    Script {
        at: At::Week(2, 3, 11, 40),
        severity: "P2",
        title: "Webhooks to customers delayed by up to 3 hours",
        systems: &["notifications"],
        accounts: &["initech", "globex", "cyberdyne"],
        by: Priya,
        unnoticed: 35,
        description: "Initech, Globex and Cyberdyne receive order webhooks hours late.",
        steps: &[
            update(10, Mei, "Webhook queue holds 480k events; delivery rate is a tenth of normal."),
            lead(1, Mei),
            owner(2, Priya),
            public(5, Mei, "Event notifications to your systems are delayed; no events are lost."),
            tell(3, Priya, Jonas),
            failed(30, Mei, "Doubled the webhook workers: throughput did not move."),
            finding(50, Mei, "Workers wait on one customer endpoint that answers after 29 s; retries pile up behind it."),
            status(2, Mei, "identified"),
            failed(60, Mei, "Lowered the per-request timeout to 5 s: the queue drains, but slowly."),
            note(40, Priya, "Globex asks for an ETA every hour; their warehouse runs on these events."),
            status(30, Mei, "fixing"),
            worked(120, Mei, "Shipped per-endpoint queues so one slow receiver cannot hold back the others."),
            status(4, Mei, "monitoring"),
            public(5, Mei, "Event notifications are on time again; the backlog is being delivered."),
            tell(3, Priya, Jonas),
            update(110, Mei, "Backlog delivered; delivery latency p95 under 2 s."),
            cause(5, Mei, "All webhooks shared one queue, so a single slow receiver blocked everyone's deliveries."),
            status(10, Mei, "resolved"),
            note(5, Mei, "Missed the 8 h resolution target for Initech and Globex."),
        ],
    },
    Script {
        at: At::Week(2, 4, 11, 25),
        severity: "P2",
        title: "Email bounces from Microsoft 365 recipients",
        systems: &["notifications"],
        accounts: &["umbrella", "soylent"],
        by: Priya,
        unnoticed: 40,
        description: "Emails to Microsoft 365 mailboxes bounce with 550 5.7.515.",
        steps: &[
            update(8, Mei, "Bounce rate 31 % since 10:20, all to Microsoft-hosted domains."),
            lead(1, Mei),
            finding(20, Mei, "DKIM signatures fail: the new sending domain's DNS record has a truncated key."),
            status(2, Mei, "identified"),
            worked(30, Mei, "Published the full DKIM key; DNS propagated."),
            status(3, Mei, "monitoring"),
            update(90, Mei, "Bounce rate back to 0.4 %; re-sent 6,200 bounced emails."),
            cause(5, Mei, "The DNS provider's form truncates TXT records over 255 characters without warning."),
            status(20, Mei, "resolved"),
        ],
    },
    Script {
        at: At::Week(1, 0, 10, 5),
        severity: "P2",
        title: "Payouts report missing yesterday's transfers",
        systems: &["payments-api", "legacy-reports"],
        accounts: &["stark"],
        by: Priya,
        unnoticed: 35,
        description: "Stark's payouts report for Sunday is empty.",
        steps: &[
            update(15, Ravi, "Sunday's payouts exist; the report query filters them out."),
            lead(1, Ravi),
            finding(25, Ravi, "The report uses local midnight; since the DST change it skips the first hour, and Sunday's payouts ran at 00:30."),
            status(2, Ravi, "identified"),
            worked(40, Ravi, "Query now uses UTC day boundaries; Stark's report regenerated."),
            status(2, Ravi, "monitoring"),
            cause(5, Ravi, "Day boundaries computed in local time break on daylight saving changes."),
            status(60, Ravi, "resolved"),
        ],
    },
    Script {
        at: At::Week(1, 1, 14, 40),
        severity: "P1",
        title: "Card payments declined for Amex",
        systems: &["payments-api"],
        accounts: &["acme", "northwind", "vandelay", "massive"],
        by: Priya,
        unnoticed: 8,
        description: "All American Express payments are declined since about 14:30.",
        steps: &[
            update(4, Dana, "100 % of Amex authorisations declined with code 05; Visa and Mastercard fine."),
            lead(1, Dana),
            owner(1, Priya),
            public(3, Dana, "American Express card payments fail. Other cards and bank transfers work."),
            tell(3, Priya, Ada),
            failed(15, Ravi, "Retried a sample through the backup acquirer: declined there too."),
            finding(20, Dana, "Since 14:30 we send Amex the new merchant category code from the processor migration; Amex has not enabled it."),
            status(2, Dana, "identified"),
            worked(25, Ravi, "Sent the previous merchant category code for Amex only."),
            status(3, Dana, "monitoring"),
            public(3, Dana, "American Express payments work again."),
            tell(2, Priya, Ada),
            update(45, Dana, "Amex approval rate 94 %, normal."),
            cause(5, Dana, "The processor migration changed our merchant category code before Amex approved it."),
            status(3, Dana, "resolved"),
            tell(3, Priya, Ada),
        ],
    },
    Script {
        at: At::Week(1, 2, 7, 30),
        severity: "P3",
        title: "Login audit log missing entries",
        systems: &["auth"],
        accounts: &[],
        by: Sam,
        unnoticed: 600,
        description: "The admin audit log has no logins between 01:00 and 04:00.",
        steps: &[
            update(20, Sam, "Logins happened (sessions exist) but no audit events were written."),
            finding(45, Sam, "The audit writer lost its database connection during the 01:00 failover and did not reconnect."),
            status(2, Sam, "identified"),
            worked(30, Sam, "Restarted the audit writer and back-filled the events from the access logs."),
            status(2, Sam, "monitoring"),
            cause(5, Sam, "The audit writer's connection pool has no reconnect on failover."),
            status(600, Sam, "resolved"),
        ],
    },
    Script {
        at: At::Week(1, 3, 11, 0),
        severity: "P3",
        title: "Search ranking ignores synonyms",
        systems: &["search"],
        accounts: &["monarch"],
        by: Jonas,
        unnoticed: 1440,
        description: "Searching \"flight\" no longer finds \"airfare\" products.",
        steps: &[
            update(60, Lena, "The synonym list is empty in production since Monday's deploy."),
            finding(30, Lena, "The synonyms file moved in the repo; the deploy reads the old path and finds nothing."),
            status(2, Lena, "identified"),
            worked(40, Lena, "Deployed with the new path; synonyms load again."),
            status(2, Lena, "monitoring"),
            cause(5, Lena, "A missing synonyms file is not an error at start-up."),
            status(300, Lena, "resolved"),
        ],
    },
    Script {
        at: At::Week(1, 4, 10, 15),
        severity: "P2",
        title: "Coupon codes rejected at checkout",
        systems: &["payments-api"],
        accounts: &["cyberdyne", "hooli", "wonka"],
        by: Jonas,
        unnoticed: 50,
        description: "Valid coupon codes are refused with \"code expired\" at checkout.",
        steps: &[
            note(2, Jonas, "Cyberdyne's spring campaign started this morning; every code is refused."),
            update(12, Ravi, "All coupons created since Tuesday fail validation; older ones work."),
            lead(1, Ravi),
            finding(25, Ravi, "New coupons store their expiry in milliseconds, the validator reads seconds: they expired in 1970."),
            status(2, Ravi, "identified"),
            worked(30, Ravi, "Validator accepts both units; the campaign codes work."),
            status(2, Ravi, "monitoring"),
            update(40, Ravi, "Coupon redemptions back to normal; Cyberdyne confirms."),
            cause(5, Ravi, "The admin tool's coupon form changed the unit of the expiry field without a migration."),
            status(15, Ravi, "resolved"),
        ],
    },
    Script {
        at: At::DaysAgo(3, 13, 20),
        severity: "P2",
        title: "In-app notifications delayed",
        systems: &["notifications"],
        accounts: &["umbrella"],
        by: Priya,
        unnoticed: 25,
        description: "Umbrella's users see in-app notifications minutes late.",
        steps: &[
            update(7, Mei, "Fan-out lag 6 minutes, normally under 1 s."),
            lead(1, Mei),
            finding(18, Mei, "A Redis node is swapping after a memory limit change."),
            status(2, Mei, "identified"),
            worked(12, Mei, "Restored the memory limit and failed over to the replica."),
            status(2, Mei, "monitoring"),
            update(40, Mei, "Lag under 1 s for 40 minutes."),
            cause(5, Mei, "A memory limit meant for staging was applied to production."),
            status(5, Mei, "resolved"),
        ],
    },
    Script {
        at: At::DaysAgo(2, 9, 15),
        severity: "P3",
        title: "Dunning emails link to old invoice URL",
        systems: &["billing"],
        accounts: &["oscorp"],
        by: Jonas,
        unnoticed: 120,
        description: "Payment reminder emails link to invoice pages that 404.",
        steps: &[
            update(25, Ravi, "Reminder template still uses the /billing/invoice/ path retired last month."),
            finding(10, Ravi, "Dunning templates live in a separate repo the URL change missed."),
            status(2, Ravi, "identified"),
            worked(30, Ravi, "Updated the template and added a redirect from the old path."),
            status(2, Ravi, "monitoring"),
            cause(5, Ravi, "URL changes are not checked against the email templates."),
            status(180, Ravi, "resolved"),
        ],
    },
    // Live now: the P1 in full swing.
    Script {
        at: At::MinutesAgo(35),
        severity: "P1",
        title: "Card payments failing at checkout",
        systems: &["payments-api"],
        accounts: &["acme", "globex", "stark"],
        by: Priya,
        unnoticed: 3,
        description: "Acme, Globex and Stark report card payments failing at checkout.",
        steps: &[
            public(4, Dana, "Card payments fail for about a third of attempts; bank transfers work."),
            since(2, Dana, "Error rate 38% on POST /payments since {start}; SEPA unaffected."),
            lead(1, Dana),
            failed(4, Dana, "Rolled back payments-api 2.14 → 2.13: no change."),
            note(3, Priya, "Acme and Globex opened P1 tickets; they ask for updates every 30 min."),
            owner(1, Priya),
            // Acme is enterprise: Ada approves before it goes out.
            tell(1, Priya, Ada),
            finding(3, Dana, "Every failure is a TLS handshake error to the card processor's EU endpoint."),
            status(2, Dana, "identified"),
            cause(3, Dana, "Card processor rotated its TLS certificate; our pinned chain is stale."),
            public(2, Dana, "We found the cause: a certificate change at our card processor. A fix is being prepared."),
            // The next update, derived from what engineering wrote since, in draft.
            draft(2, Priya),
        ],
    },
    // Open, quiet: nobody owns the system.
    Script {
        at: At::MinutesAgo(12),
        severity: "P3",
        title: "Nightly CSV export missing rows",
        systems: &["legacy-reports"],
        accounts: &[],
        by: Dana,
        unnoticed: 300,
        description: "This morning's CSV export is a third shorter than usual.",
        steps: &[update(
            4,
            Dana,
            "The 02:00 export has 41,202 rows against 58,977 the night before; the job log shows no error.",
        )],
    },
];

/// Seeds the demo unless the database already holds incidents.
pub async fn seed(state: &AppState) -> Result<bool, AppError> {
    if !incidents::list_incidents(state, &Default::default())
        .await?
        .is_empty()
    {
        return Ok(false);
    }
    // The hundreds of writes below would each log a line; the history is not news.
    play(state)
        .with_subscriber(tracing::subscriber::NoSubscriber::default())
        .await?;
    Ok(true)
}

async fn play(state: &AppState) -> Result<(), AppError> {
    let now = state.now();
    let clock = Arc::new(ManualClock::new(now - Duration::days(92)));
    let past = AppState {
        clock: clock.clone(),
        ..state.clone()
    };
    let people = company(&past).await?;
    let mut run = Run {
        state: past,
        clock,
        engine: Engine::default(),
        end: now,
        // What was sent before the live P1 reached people back then; what the live
        // one sends is left to the delivery worker.
        delivered_before: now - Duration::minutes(40),
        people,
        incidents: vec![None; SCRIPTS.len()],
    };

    // Every step of every script at its instant, interleaved in time.
    let mut events: Vec<(DateTime<Utc>, usize, Option<usize>)> = Vec::new();
    for (i, script) in SCRIPTS.iter().enumerate() {
        let mut at = declared_at(script.at, now);
        events.push((at, i, None));
        for (j, step) in script.steps.iter().enumerate() {
            at += Duration::seconds((step.after * 60 + jitter(i, j)).max(5));
            events.push((at, i, Some(j)));
            if let Do::Tell(_) = step.what {
                // Review and sending take a few minutes (see `tell`).
                at += Duration::minutes(TELL_MINUTES);
            }
        }
    }
    events.sort();
    for (at, i, j) in events {
        run.advance_to(at).await?;
        match j {
            None => run.declare(i).await?,
            Some(j) => run.perform(i, &SCRIPTS[i].steps[j]).await?,
        }
    }
    run.advance_to(now).await?;
    run.follow_up().await
}

/// Follow-up actions from past incidents (by title): what, type, owner, due in days
/// from today (negative: overdue), status. Dana's list has one overdue.
const FOLLOW_UPS: &[(&str, &str, &str, Who, i64, &str)] = &[
    (
        "SSO logins fail for Okta customers",
        "Alert on clock drift on every auth node",
        "prevent",
        Dana,
        -3,
        "open",
    ),
    (
        "SSO logins fail for Okta customers",
        "Page on SAML error rate above 2 %",
        "mitigate",
        Sam,
        6,
        "in_progress",
    ),
    (
        "SSO logins fail for Okta customers",
        "Add NTP to the kernel-update checklist",
        "process",
        Sam,
        -20,
        "done",
    ),
    (
        "Customers charged twice for renewals",
        "Idempotency keys on renewal charges",
        "prevent",
        Dana,
        12,
        "in_progress",
    ),
    (
        "Customers charged twice for renewals",
        "Refund runbook for duplicate charges",
        "process",
        Priya,
        4,
        "open",
    ),
    (
        "Search cluster red: all queries fail",
        "Disk-watermark alert before the cluster goes red",
        "prevent",
        Ravi,
        -1,
        "open",
    ),
    (
        "Card payments declined for Amex",
        "Contract test against the acquirer's sandbox",
        "prevent",
        Lena,
        20,
        "open",
    ),
];

/// Post-mortems in review (by incident title): who sends it, the reviewers, and
/// whether every reviewer approved and it was published.
const REVIEWS: &[(&str, Who, &[Who], bool)] = &[
    ("SSO logins fail for Okta customers", Sam, &[Ada, Mei], true),
    (
        "Customers charged twice for renewals",
        Ada,
        &[Dana, Priya],
        false,
    ),
];

/// Minutes from drafting a customer update to sending it, with its review.
const TELL_MINUTES: i64 = 5;

/// Seconds to add to a step so entries do not all fall on the minute (-20..=20).
fn jitter(script: usize, step: usize) -> i64 {
    let mixed = (script as i64 * 7919 + step as i64 * 104_729 + 17) % 41;
    mixed - 20
}

fn declared_at(at: At, now: DateTime<Utc>) -> DateTime<Utc> {
    let on = |date: chrono::NaiveDate, h: u32, m: u32| {
        date.and_time(NaiveTime::from_hms_opt(h, m, 0).unwrap_or_default())
            .and_utc()
    };
    let today = now.date_naive();
    match at {
        At::Week(weeks, weekday, h, m) => {
            let monday = today - Duration::days(i64::from(today.weekday().num_days_from_monday()));
            on(
                monday - Duration::weeks(weeks) + Duration::days(weekday),
                h,
                m,
            )
        }
        At::DaysAgo(days, h, m) => on(today - Duration::days(days), h, m),
        At::MinutesAgo(minutes) => now - Duration::minutes(minutes),
    }
}

/// The users, teams, systems and accounts, created at the start of the history.
async fn company(state: &AppState) -> Result<Vec<User>, AppError> {
    let mut people = Vec::new();
    for (email, name, role, password) in DEMO_USERS {
        people.push(
            identity::save_user(state, (email, name), role, Some(password), "demo data").await?,
        );
    }
    for (email, name, role) in COLLEAGUES {
        people.push(identity::save_user(state, (email, name), role, None, "demo data").await?);
    }
    let admin = (&people[Ada as usize], &Client::default());
    for (slug, name, lead, lead_name, member) in [
        (
            "payments",
            "Payments",
            "dana.lee@example.com",
            "Dana Lee",
            Some("ravi.patel@example.com"),
        ),
        (
            "platform",
            "Platform",
            "sam.okafor@example.com",
            "Sam Okafor",
            Some("lena.novak@example.com"),
        ),
        ("growth", "Growth", "mei.chen@example.com", "Mei Chen", None),
    ] {
        catalog::create_team(
            state,
            admin,
            &NewTeam {
                slug: slug.into(),
                name: name.into(),
                lead_email: Some(lead.into()),
                lead_name: Some(lead_name.into()),
                ..Default::default()
            },
        )
        .await?;
        if let Some(member) = member {
            let member = NewMember {
                email: member.into(),
                name: None,
            };
            catalog::add_member(state, admin, slug, &member).await?;
        }
    }
    for (slug, name, team, description) in [
        (
            "payments-api",
            "Payments API",
            Some("payments"),
            "Card and SEPA payments, refunds",
        ),
        (
            "billing",
            "Billing",
            Some("payments"),
            "Invoices, plans, dunning",
        ),
        ("auth", "Auth", Some("platform"), "Login, SSO, sessions"),
        (
            "search",
            "Search",
            Some("platform"),
            "Full-text search cluster",
        ),
        (
            "notifications",
            "Notifications",
            Some("growth"),
            "Email and push delivery",
        ),
        (
            "legacy-reports",
            "Legacy reports",
            None,
            "Nightly CSV exports; nobody owns it",
        ),
    ] {
        catalog::create_system(
            state,
            admin,
            &NewSystem {
                slug: slug.into(),
                name: name.into(),
                description: description.into(),
                team: team.map(Into::into),
                // What customer messages call it.
                customer_name: (slug == "payments-api").then(|| "Checkout".into()),
            },
        )
        .await?;
    }

    let accounts = [
        ("acme", "Acme Corp", "enterprise", "priya"),
        ("globex", "Globex", "enterprise", "priya"),
        ("stark", "Stark Industries", "enterprise", "jonas"),
        ("initech", "Initech", "enterprise", "jonas"),
        ("umbrella", "Umbrella Health", "enterprise", "priya"),
        ("northwind", "Northwind Traders", "enterprise", "priya"),
        ("wayne", "Wayne Logistics", "business", "jonas"),
        ("hooli", "Hooli", "business", "priya"),
        ("soylent", "Soylent Foods", "business", "jonas"),
        ("cyberdyne", "Cyberdyne", "business", "priya"),
        ("tyrell", "Tyrell Labs", "business", "jonas"),
        ("vandelay", "Vandelay Imports", "business", "priya"),
        ("bluth", "Bluth Company", "business", "jonas"),
        ("oscorp", "Oscorp", "standard", "jonas"),
        ("wonka", "Wonka Sweets", "standard", "priya"),
        ("duff", "Duff Beverages", "standard", "jonas"),
        ("gringotts", "Gringotts", "standard", "priya"),
        ("monarch", "Monarch Travel", "standard", "jonas"),
        ("nakatomi", "Nakatomi Trading", "standard", "priya"),
        ("pied-piper", "Pied Piper", "standard", "jonas"),
        ("massive", "Massive Dynamic", "standard", "priya"),
        ("aperture", "Aperture Science", "standard", "jonas"),
    ];
    for (n, (slug, name, tier, csm)) in accounts.into_iter().enumerate() {
        catalog::create_account(
            state,
            admin,
            &NewAccount {
                slug: slug.into(),
                name: name.into(),
                tier: tier.into(),
                crm_id: Some(format!("0015g0000{n:06}")),
                csm_email: Some(format!("{csm}@example.com")),
                csm_name: Some(
                    if csm == "priya" {
                        "Priya Raman"
                    } else {
                        "Jonas Berg"
                    }
                    .into(),
                ),
                contact_emails: vec![format!("it@{slug}.example")],
                sla_policy: None,
            },
        )
        .await?;
    }
    // The status page shows the systems customers use, under their own names.
    let component = |slug: &str, name: &str, group: &str, description: &str, systems: &[&str]| {
        app::statuspage::service::ComponentInput {
            slug: slug.into(),
            name: name.into(),
            group: group.into(),
            description: description.into(),
            systems: systems.iter().map(|s| (*s).to_owned()).collect(),
        }
    };
    app::statuspage::service::replace_components(
        state,
        admin.0,
        &[
            component(
                "checkout",
                "Checkout",
                "Payments",
                "Card and SEPA payments",
                &["payments-api"],
            ),
            component(
                "invoices",
                "Invoices",
                "Payments",
                "Plans and invoices",
                &["billing"],
            ),
            component("sign-in", "Sign-in", "Platform", "Login and SSO", &["auth"]),
            component("search", "Search", "Platform", "", &["search"]),
            component("email", "Email notifications", "", "", &["notifications"]),
        ],
    )
    .await?;
    app::statuspage::service::set_page_name(state, admin.0, "Sitrep Cloud status").await?;
    Ok(people)
}

/// The history being played on the manual clock.
struct Run {
    state: AppState,
    clock: Arc<ManualClock>,
    /// The SLA engine's passes, played on the manual clock.
    engine: Engine,
    /// Real now: nothing happens later.
    end: DateTime<Utc>,
    delivered_before: DateTime<Utc>,
    people: Vec<User>,
    incidents: Vec<Option<Incident>>,
}

impl Run {
    fn user(&self, who: Who) -> &User {
        &self.people[who as usize]
    }

    fn incident(&self, i: usize) -> Result<&Incident, AppError> {
        self.incidents[i]
            .as_ref()
            .ok_or_else(|| AppError::internal("demo", "step before its incident"))
    }

    /// Moves the clock to `at` (never back, never past the end), announcing every SLA
    /// clock change due on the way at its instant, as the engine does.
    async fn advance_to(&mut self, at: DateTime<Utc>) -> Result<(), AppError> {
        let at = at.min(self.end);
        let mut settled_at = None;
        loop {
            let now = self.clock.now();
            let pass = self.engine.pass(now);
            // Settled once at this instant: whatever is left waits for the clock to move.
            if !pass.due.is_empty() && settled_at != Some(now) {
                for id in pass.due {
                    self.engine.settle(&self.state, id).await?;
                }
                self.deliver().await?;
                settled_at = Some(now);
                continue;
            }
            match pass.next_change {
                Some(next) if next > now && next <= at => self.clock.advance(next - now),
                _ => break,
            }
        }
        let now = self.clock.now();
        if at > now {
            self.clock.advance(at - now);
        }
        Ok(())
    }

    /// What the delivery worker did back then: sent everything queued (there was a
    /// mail server), a few seconds later.
    async fn deliver(&self) -> Result<(), AppError> {
        let now = self.clock.now();
        if now >= self.delivered_before {
            return Ok(());
        }
        let pool = self.state.db.pool();
        for queue in Queue::ALL {
            loop {
                let claimed = outbox::claim_due(pool, queue, now, now, 100).await?;
                if claimed.is_empty() {
                    break;
                }
                for delivery in claimed {
                    outbox::mark_delivered(pool, queue, delivery.id, now + Duration::seconds(3))
                        .await?;
                }
            }
        }
        Ok(())
    }

    /// The engine hears of the change and reads the incident's clocks.
    async fn settle(&mut self, i: usize) -> Result<(), AppError> {
        let id = self.incident(i)?.id;
        self.engine.settle(&self.state, id).await?;
        self.deliver().await
    }

    async fn declare(&mut self, i: usize) -> Result<(), AppError> {
        let script = &SCRIPTS[i];
        let by = self.user(script.by);
        let source = match by.role {
            UserRole::Cs => "cs_report",
            _ => "manual",
        };
        let incident = incidents::declare_incident(
            &self.state,
            by,
            &DeclareInput {
                title: script.title.into(),
                severity: script.severity.into(),
                description: script.description.into(),
                started_at: Some(self.state.now() - Duration::minutes(script.unnoticed)),
                systems: script.systems.iter().map(|s| s.to_string()).collect(),
                accounts: script.accounts.iter().map(|a| a.to_string()).collect(),
                source: Some(source.into()),
                ..Default::default()
            },
        )
        .await?;
        self.incidents[i] = Some(incident);
        self.settle(i).await
    }

    /// After the history: follow-ups, and post-mortems under review or published.
    async fn follow_up(&self) -> Result<(), AppError> {
        use app::postmortem::model::{FollowUpChange, FollowUpInput, ReviewInput, ReviewMove};
        let by_title = |title: &str| {
            SCRIPTS
                .iter()
                .position(|s| s.title == title)
                .and_then(|i| self.incidents[i].as_ref())
                .map(|incident| incident.id)
                .ok_or_else(|| {
                    AppError::internal("demo follow-ups", format!("no incident {title:?}"))
                })
        };
        let today = self.state.now().date_naive();
        for (title, what, kind, owner, due, status) in FOLLOW_UPS {
            let input = FollowUpInput {
                title: (*what).into(),
                kind: (*kind).into(),
                owner: self.user(*owner).email.clone(),
                due_on: (today + Duration::days(*due))
                    .format("%Y-%m-%d")
                    .to_string(),
                tracker_url: None,
                from_seq: None,
            };
            let created =
                followups::create(&self.state, by_title(title)?, &input, self.user(Ada)).await?;
            if *status != "open" {
                let change = FollowUpChange {
                    status: Some((*status).into()),
                    ..Default::default()
                };
                followups::change(&self.state, created.id, &change, self.user(Ada)).await?;
            }
        }
        for (title, by, reviewers, published) in REVIEWS {
            let id = by_title(title)?;
            let step = |action, reviewers: Vec<String>| ReviewInput {
                action,
                reviewers,
                comment: None,
            };
            let emails = reviewers
                .iter()
                .map(|w| self.user(*w).email.clone())
                .collect();
            review::take(
                &self.state,
                id,
                &step(ReviewMove::RequestReview, emails),
                self.user(*by),
            )
            .await?;
            if *published {
                for reviewer in reviewers.iter() {
                    review::take(
                        &self.state,
                        id,
                        &step(ReviewMove::Approve, vec![]),
                        self.user(*reviewer),
                    )
                    .await?;
                }
                review::take(
                    &self.state,
                    id,
                    &step(ReviewMove::Publish, vec![]),
                    self.user(*by),
                )
                .await?;
            }
        }
        Ok(())
    }

    async fn perform(&mut self, i: usize, step: &Step) -> Result<(), AppError> {
        let incident = self.incident(i)?.clone();
        let who = step.who;
        let entry = |kind: &str, body: &str| PostEntry {
            body: body.into(),
            kind: Some(kind.into()),
            ..Default::default()
        };
        match step.what {
            Do::Update(text) => self.post(i, who, entry("update", text)).await,
            Do::Since(text) => {
                let started = incident.lifecycle.started_at;
                let text = text.replace("{start}", &started.format("%H:%M UTC").to_string());
                let post = PostEntry {
                    occurred_at: Some(started),
                    ..entry("update", &text)
                };
                self.post(i, who, post).await
            }
            Do::Public(text) => {
                let post = PostEntry {
                    customer_visible: Some(true),
                    ..entry("update", text)
                };
                self.post(i, who, post).await
            }
            Do::Note(text) => self.post(i, who, entry("note", text)).await,
            Do::Worked(text) | Do::Failed(text) => {
                let worked = matches!(step.what, Do::Worked(_));
                let post = PostEntry {
                    outcome: Some(if worked { "worked" } else { "did_not_work" }.into()),
                    ..entry("action", text)
                };
                self.post(i, who, post).await
            }
            Do::Finding(text) | Do::RootCause(text) => {
                let post = PostEntry {
                    root_cause: Some(matches!(step.what, Do::RootCause(_))),
                    ..entry("finding", text)
                };
                self.post(i, who, post).await
            }
            Do::Status(to, reason) => {
                let change = ChangeInput {
                    status: Some(to.into()),
                    reason: (!reason.is_empty()).then(|| reason.into()),
                    ..Default::default()
                };
                self.change(i, who, change).await?;
                if to == IncidentStatus::Resolved.as_str() {
                    if !incident.accounts.is_empty() {
                        // The customer-update schedule stops, as the scheduler would see to.
                        comms::ensure_schedule(&self.state, self.incident(i)?).await?;
                    }
                    // The draft the server writes at resolution (its drafter task).
                    postmortem::draft_at_resolution(&self.state, incident.id).await?;
                }
                Ok(())
            }
            Do::Severity(to, reason) => {
                let change = ChangeInput {
                    severity: Some(to.into()),
                    reason: Some(reason.into()),
                    ..Default::default()
                };
                self.change(i, who, change).await
            }
            Do::AddAccounts(slugs) => {
                let change = ChangeInput {
                    add_accounts: slugs.iter().map(|s| s.to_string()).collect(),
                    ..Default::default()
                };
                self.change(i, who, change).await
            }
            Do::Lead => {
                let change = ChangeInput {
                    lead: Some(self.user(who).email.clone()),
                    ..Default::default()
                };
                self.change(i, who, change).await
            }
            Do::CommsOwner => {
                let change = ChangeInput {
                    comms_owner: Some(self.user(who).email.clone()),
                    ..Default::default()
                };
                self.change(i, who, change).await
            }
            Do::Draft => {
                let by = self.user(who);
                comms::create_draft(&self.state, by, incident.id, &Default::default()).await?;
                Ok(())
            }
            Do::Tell(approver) => self.tell(i, who, approver).await,
        }
    }

    async fn post(&mut self, i: usize, who: Who, entry: PostEntry) -> Result<(), AppError> {
        let id = self.incident(i)?.id;
        let acknowledges = entry.kind.as_deref() != Some("note");
        timeline::post_entry(&self.state, self.user(who), id, &entry).await?;
        let unacknowledged = self.incident(i)?.lifecycle.acknowledged_at.is_none();
        if acknowledges && unacknowledged {
            // The first engineering entry stops the response clocks.
            let incident = incidents::get_incident(&self.state, id).await?;
            self.incidents[i] = Some(incident);
            self.settle(i).await?;
        }
        Ok(())
    }

    async fn change(&mut self, i: usize, who: Who, change: ChangeInput) -> Result<(), AppError> {
        let id = self.incident(i)?.id;
        let incident = incidents::change_incident(&self.state, self.user(who), id, &change).await?;
        self.incidents[i] = Some(incident);
        self.settle(i).await
    }

    /// A customer update: drafted from the timeline, approved when the tier asks
    /// for it, sent a few minutes later.
    async fn tell(&mut self, i: usize, who: Who, approver: Who) -> Result<(), AppError> {
        let id = self.incident(i)?.id;
        let message =
            comms::create_draft(&self.state, self.user(who), id, &Default::default()).await?;
        let mut moves = Vec::new();
        if message.needs_approval {
            moves.push((1, who, "submit"));
            moves.push((TELL_MINUTES - 2, approver, "approve"));
        }
        moves.push((1, who, "send"));
        for (minutes, by, action) in moves {
            let at = self.clock.now() + Duration::minutes(minutes);
            self.advance_to(at).await?;
            comms::move_message(
                &self.state,
                self.user(by),
                id,
                message.id,
                &MoveInput {
                    action: action.into(),
                    ..Default::default()
                },
            )
            .await?;
        }
        self.deliver().await
    }
}
