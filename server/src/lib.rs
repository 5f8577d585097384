//! The Sitrep server as a library, so tests can start the real router on port 0.

mod access;
pub mod api;
mod assets;
mod backup;
pub mod bench;
pub mod cli;
pub mod config;
mod demo;
mod fn_errors;
mod health;
pub mod metrics;
pub mod outbox;
pub mod remote;
mod render_deadline;
pub mod security;
mod statuspage;
pub mod telemetry;

use anyhow::Context;
use app::clock::{SharedClock, SystemClock};
use app::db::Db;
use app::state::AppState;
use app::{shell, App};
use axum::extract::DefaultBodyLimit;
use axum::http::{Extensions, HeaderMap, StatusCode, Version};
use axum::{middleware, Router};
use config::Config;
use leptos::config::LeptosOptions;
use leptos_axum::{generate_route_list, LeptosRoutes};
use std::future::Future;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use tokio::net::TcpListener;
use tower_http::compression::predicate::{DefaultPredicate, Predicate};
use tower_http::compression::CompressionLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::trace::TraceLayer;

/// Largest request body accepted. Above any field limit, so an oversized field
/// still reaches validation and gets a field-level error.
pub const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

/// Builds the whole HTTP surface from state.
pub fn router(
    state: AppState,
    status_limits: statuspage::StatusLimits,
    metrics: metrics::Metrics,
) -> Router {
    let routes = generate_route_list(App);
    let leptos_options = state.leptos_options.clone();
    let pages = Router::new()
        .leptos_routes(&state, routes, move || shell(leptos_options.clone()))
        .layer(middleware::from_fn_with_state(
            (render_deadline::RenderDeadline::default(), metrics.clone()),
            render_deadline::retry_stalled_render,
        ))
        .layer(middleware::from_fn(fn_errors::status_from_error));
    let tracked = middleware::from_fn_with_state(metrics.clone(), metrics::track);
    Router::new()
        .route("/metrics", axum::routing::get(metrics::scrape))
        .merge(health::routes())
        .merge(api::routes())
        .merge(statuspage::routes(status_limits))
        .merge(pages)
        // After routing, so the permission table is looked up by the matched route;
        // unmatched paths fall through to the fallback (static files, 404 page).
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            access::authorize,
        ))
        // Outside the check, so refusals are counted too.
        .route_layer(tracked.clone())
        .fallback_service(tower::Layer::layer(&tracked, assets::files(state.clone())))
        .layer(axum::Extension(metrics))
        // Both: the layer refuses oversized bodies outright; DefaultBodyLimit raises
        // axum's 2 MB extractor default, which server functions read through.
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .layer(middleware::from_fn_with_state(
            security::TrustedOrigins(vec![state.public_url.clone()]),
            security::same_origin_writes,
        ))
        .layer(middleware::from_fn(security::headers))
        .layer(compression())
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Pages and JSON compressed for the browser (brotli or gzip, by Accept-Encoding);
/// not a websocket handshake, and not what is already compressed (the bundle's
/// precompressed files).
fn compression() -> CompressionLayer<impl Predicate> {
    let not_upgrade = |status: StatusCode, _: Version, _: &HeaderMap, _: &Extensions| {
        status != StatusCode::SWITCHING_PROTOCOLS
    };
    CompressionLayer::new()
        .br(true)
        .gzip(true)
        .compress_when(DefaultPredicate::new().and(not_upgrade))
}

/// Leptos rendering options for a site served from `site_root`.
pub fn leptos_options(site_root: &Path, addr: SocketAddr) -> LeptosOptions {
    LeptosOptions::builder()
        .output_name("sitrep")
        .site_root(site_root.display().to_string())
        .site_pkg_dir(assets::bundle_dir(site_root))
        .site_addr(addr)
        .build()
}

/// Opens the database and applies migrations.
pub async fn open_database(url: &str) -> anyhow::Result<Db> {
    let db = Db::connect(url)
        .await
        .with_context(|| format!("cannot open the database at {}", redact(url)))?;
    db.migrate()
        .await
        .with_context(|| format!("cannot apply migrations to {}", redact(url)))?;
    Ok(db)
}

/// With nobody able to sign in yet, arms the one-time setup token that lets the
/// first admin be created at /setup, and says so in the log: only someone who can
/// read the server's log (or set the token) can claim the instance.
async fn offer_first_run_setup(state: &AppState, config: &Config) -> anyhow::Result<()> {
    if app::identity::repo::count_sign_in_users(state.db.pool()).await? > 0 {
        return Ok(());
    }
    let url = format!("{}/setup", state.public_url.trim_end_matches('/'));
    let token = match &config.setup_token {
        Some(token) => {
            tracing::warn!("Nobody can sign in yet: open {url} and give the setup token from SITREP_SETUP_TOKEN");
            token.clone()
        }
        None => {
            let (token, _) = app::identity::secrets::new_secret("setup_");
            tracing::warn!(
                "Nobody can sign in yet: open {url} and give this one-time setup token: {token}"
            );
            token
        }
    };
    *state.setup_token.lock().unwrap_or_else(|e| e.into_inner()) =
        Some(app::identity::secrets::secret_hash(&token));
    Ok(())
}

/// The state handlers and operator tasks work with.
pub fn app_state(
    config: &Config,
    db: Db,
    clock: SharedClock,
    addr: SocketAddr,
    outbox: Arc<tokio::sync::Notify>,
) -> AppState {
    AppState {
        leptos_options: leptos_options(&config.site_root, addr),
        live: app::live::hub::Hub::with_capacity(db.clone(), config.live_queue.max(1))
            .with_write_timeout(std::time::Duration::from_secs(
                config.live_write_timeout.max(1),
            )),
        db,
        clock,
        public_url: config
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{addr}")),
        outbox,
        comms_schedule: Default::default(),
        timelines: Default::default(),
        secure_cookies: config.cookies_secure(),
        setup_token: Default::default(),
        customer_facing: Default::default(),
        status_pages: Default::default(),
    }
}

/// A bound, not yet serving, server.
pub struct Server {
    listener: TcpListener,
    router: Router,
    db: Db,
    outbox: outbox::Outbox,
    /// What the SLA engine works with.
    state: AppState,
    /// With PostgreSQL: the live hub and the database to hear other replicas on.
    replicas: Option<(app::live::hub::Hub, String)>,
}

impl Server {
    /// Prepares everything that can fail at start-up: data dir, database, port.
    pub async fn build(config: &Config) -> anyhow::Result<Self> {
        Self::build_with_clock(config, Arc::new(SystemClock)).await
    }

    /// Like `build`, on a given clock (tests move time with a manual one).
    pub async fn build_with_clock(config: &Config, clock: SharedClock) -> anyhow::Result<Self> {
        ensure_writable_dir(&config.data_dir)?;
        let db = open_database(&config.effective_database_url()).await?;
        let listener = TcpListener::bind(config.listen)
            .await
            .with_context(|| format!("cannot listen on {}", config.listen))?;
        let addr = listener.local_addr()?;
        let mailer = config
            .smtp_url
            .as_deref()
            .map(|url| outbox::Mailer::new(url, &config.smtp_from))
            .transpose()?;
        let wake = Arc::new(tokio::sync::Notify::new());
        let state = app_state(config, db.clone(), clock.clone(), addr, wake.clone());
        if config.demo
            && demo::seed(&state)
                .await
                .context("cannot seed the demo data")?
        {
            tracing::info!("demo data seeded");
        }
        offer_first_run_setup(&state, config).await?;
        let metrics = metrics::Metrics::new(config.metrics_token.as_deref());
        let outbox = outbox::Outbox {
            metrics: metrics.clone(),
            db: db.clone(),
            clock,
            wake,
            mailer,
            http: reqwest::Client::new(),
            retry_base: std::time::Duration::from_millis(config.retry_base_ms.max(1)),
            lease: std::time::Duration::from_secs(config.delivery_lease.max(1)),
            live: state.live.clone(),
            public_url: state.public_url.clone(),
        };
        let replicas = (db.backend() == app::db::Backend::Postgres)
            .then(|| (state.live.clone(), config.effective_database_url()));
        Ok(Server {
            listener,
            router: router(
                state.clone(),
                statuspage::StatusLimits::new(config.status_rate_limit),
                metrics,
            ),
            state,
            db,
            outbox,
            replicas,
        })
    }

    /// The address actually bound (useful with port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .unwrap_or_else(|_| ([127, 0, 0, 1], 0).into())
    }

    /// The database backend in use.
    pub fn backend(&self) -> &'static str {
        self.db.backend().name()
    }

    /// Serves until `shutdown` completes, then lets in-flight requests finish.
    /// The delivery worker, the SLA engine, the customer-update scheduler, the
    /// post-mortem drafter and the follow-up reminders stop with the server.
    pub async fn serve(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let stopped = move |mut stop: tokio::sync::watch::Receiver<bool>| async move {
            let _ = stop.wait_for(|stop| *stop).await;
        };
        let worker = tokio::spawn(self.outbox.run(stopped(stop_rx.clone())));
        let comms = tokio::spawn(app::comms::scheduler::run(
            self.state.clone(),
            stopped(stop_rx.clone()),
        ));
        let subscribers = tokio::spawn(app::statuspage::subscriptions::run(
            self.state.clone(),
            stopped(stop_rx.clone()),
        ));
        let postmortems = tokio::spawn(app::postmortem::drafter::run(
            self.state.clone(),
            stopped(stop_rx.clone()),
        ));
        let reminders = tokio::spawn(app::postmortem::followups::run_reminders(
            self.state.clone(),
            stopped(stop_rx.clone()),
        ));
        let sla =
            tokio::spawn(app::sla::engine::Engine::default().run(self.state, stopped(stop_rx)));
        let follower = self
            .replicas
            .map(|(hub, url)| tokio::spawn(hub.follow_replicas(url)));
        // Connection info: sign-in throttling and the audit log record the address.
        let service = self
            .router
            .into_make_service_with_connect_info::<SocketAddr>();
        // No Nagle delay: a live event is one small write that must go out now.
        let listener = axum::serve::ListenerExt::tap_io(self.listener, |tcp| {
            let _ = tcp.set_nodelay(true);
        });
        let served = axum::serve(listener, service)
            .with_graceful_shutdown(shutdown)
            .await
            .context("server error");
        // Requests have drained; the worker finishes its current pass, then stops.
        let _ = stop_tx.send(true);
        let _ = worker.await;
        let _ = sla.await;
        let _ = comms.await;
        let _ = subscribers.await;
        let _ = postmortems.await;
        let _ = reminders.await;
        if let Some(follower) = follower {
            follower.abort();
        }
        self.db.close().await;
        served
    }
}

/// Resolves on Ctrl-C or SIGTERM.
pub fn shutdown_signal() -> impl std::future::Future<Output = ()> + Send {
    // Registered now, not when first awaited: a signal during start-up is not lost
    // (and does not kill the process the default way).
    #[cfg(unix)]
    let handlers = {
        use tokio::signal::unix::{signal, SignalKind};
        (
            signal(SignalKind::terminate()).ok(),
            signal(SignalKind::interrupt()).ok(),
        )
    };
    async move {
        #[cfg(unix)]
        {
            async fn received(handler: Option<tokio::signal::unix::Signal>) {
                match handler {
                    Some(mut handler) => {
                        handler.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            }
            let (terminate, interrupt) = handlers;
            tokio::select! {
                () = received(terminate) => {},
                () = received(interrupt) => {},
            }
        }
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
        tracing::info!("shutting down: finishing in-flight requests");
    }
}

pub(crate) fn ensure_writable_dir(dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create data dir {}", dir.display()))?;
    let probe = dir.join(".sitrep-write-check");
    std::fs::write(&probe, b"ok")
        .with_context(|| format!("data dir {} is not writable", dir.display()))?;
    let _ = std::fs::remove_file(probe);
    Ok(())
}

/// Hides the password in a database URL before it is logged.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let credentials = &url[scheme_end + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn redact_hides_only_the_password() {
        assert_eq!(
            redact("postgres://me:s3cret@db:5432/x"),
            "postgres://me:***@db:5432/x"
        );
        assert_eq!(redact("postgres://me@db/x"), "postgres://me@db/x");
        assert_eq!(
            redact("sqlite://./data/sitrep.db"),
            "sqlite://./data/sitrep.db"
        );
    }
}
