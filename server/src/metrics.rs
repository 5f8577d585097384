//! Prometheus metrics at `GET /metrics`, in the OpenMetrics text format, for a
//! scraper holding the metrics token (`--metrics-token`; without one the route is
//! off). Request, live and delivery figures are counted as they happen, per server;
//! what the database holds (outbox depth, SLA clocks, customer updates) is counted at
//! scrape time, so with PostgreSQL every replica reports the whole cluster's.

use crate::api::ApiError;
use app::error::AppError;
use app::notify::repo::Queue;
use app::state::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, WWW_AUTHENTICATE};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Extension;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Seconds: from a millisecond up to the render deadline's order.
const LATENCY_BUCKETS: [f64; 13] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
/// Seconds from an event's broadcast to its write on a viewer's socket.
const LAG_BUCKETS: [f64; 10] = [
    0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 1.0,
];

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: &'static str,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: &'static str,
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct QueueLabels {
    queue: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct QueueStateLabels {
    queue: &'static str,
    state: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StateLabels {
    state: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReasonLabels {
    reason: &'static str,
}

/// Why a page was rendered a second time (see `render_deadline`).
#[derive(Clone, Copy, Debug)]
pub enum RenderRetry {
    /// The render did not finish within the deadline.
    Stalled,
    /// It came back with neither a policy nor a script nonce.
    NoPolicy,
}

impl RenderRetry {
    const ALL: [RenderRetry; 2] = [RenderRetry::Stalled, RenderRetry::NoPolicy];

    fn label(self) -> &'static str {
        match self {
            RenderRetry::Stalled => "stalled",
            RenderRetry::NoPolicy => "no_policy",
        }
    }
}

fn latency_histogram() -> Histogram {
    Histogram::new(LATENCY_BUCKETS)
}

/// This server's metrics; cheap to clone.
#[derive(Clone)]
pub struct Metrics(Arc<Inner>);

struct Inner {
    registry: Registry,
    /// SHA-256 of the token a scrape must carry; `None`: the route is off.
    token_hash: Option<String>,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram, fn() -> Histogram>,
    live_connections: Gauge,
    fanout_lag: Histogram,
    delivery_failures: Family<QueueLabels, Counter>,
    outbox: Family<QueueStateLabels, Gauge>,
    sla_clocks: Family<StateLabels, Gauge>,
    customer_updates: Family<StateLabels, Gauge>,
    render_retries: Family<ReasonLabels, Counter>,
    policies_set: Counter,
    /// One scrape at a time: each refreshes the database gauges, then reads them.
    scraping: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Metrics {
    /// Metrics served to holders of `token` (none: `/metrics` answers 404).
    pub fn new(token: Option<&str>) -> Metrics {
        let mut registry = Registry::with_prefix("sitrep");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by method, route template and status",
            requests.clone(),
        );
        let latency = Family::<RouteLabels, Histogram, fn() -> Histogram>::new_with_constructor(
            latency_histogram,
        );
        registry.register(
            "http_request_duration_seconds",
            "Time to answer an HTTP request (to its head; a page's whole body), by route template",
            latency.clone(),
        );
        let live_connections = Gauge::default();
        registry.register(
            "live_connections",
            "Open live websocket connections on this server",
            live_connections.clone(),
        );
        let fanout_lag = Histogram::new(LAG_BUCKETS);
        registry.register(
            "live_fanout_lag_seconds",
            "Time from an event's broadcast to its write on each viewer's socket",
            fanout_lag.clone(),
        );
        let delivery_failures = Family::<QueueLabels, Counter>::default();
        registry.register(
            "outbox_delivery_failures",
            "Failed delivery attempts (each retry counts), by queue",
            delivery_failures.clone(),
        );
        let outbox = Family::<QueueStateLabels, Gauge>::default();
        registry.register(
            "outbox_deliveries",
            "Deliveries by queue and state: pending (the outbox depth), delivered, failed (given up)",
            outbox.clone(),
        );
        let sla_clocks = Family::<StateLabels, Gauge>::default();
        registry.register(
            "sla_clocks",
            "SLA clocks by their last announced state",
            sla_clocks.clone(),
        );
        let customer_updates = Family::<StateLabels, Gauge>::default();
        registry.register(
            "customer_updates_scheduled",
            "Running customer-update schedules: upcoming, overdue (time passed, nothing sent), paused",
            customer_updates.clone(),
        );
        let render_retries = Family::<ReasonLabels, Counter>::default();
        registry.register(
            "page_render_retries",
            "Page renders dropped and rendered again: stalled past the deadline, or without a policy",
            render_retries.clone(),
        );
        let policies_set = Counter::default();
        registry.register(
            "page_policies_set",
            "Pages whose render lacked the policy for its own script nonce, which was then set",
            policies_set.clone(),
        );
        // Every series exists from the start at 0, so a rate over the first failure
        // is not missed.
        for queue in Queue::ALL {
            drop(delivery_failures.get_or_create(&QueueLabels {
                queue: queue.name(),
            }));
        }
        for why in RenderRetry::ALL {
            drop(render_retries.get_or_create(&ReasonLabels {
                reason: why.label(),
            }));
        }
        Metrics(Arc::new(Inner {
            registry,
            token_hash: token.map(app::identity::secrets::secret_hash),
            requests,
            latency,
            live_connections,
            fanout_lag,
            delivery_failures,
            outbox,
            sla_clocks,
            customer_updates,
            render_retries,
            policies_set,
            scraping: Default::default(),
        }))
    }

    /// Counts a live connection until the returned guard is dropped.
    pub fn live_connection(&self) -> LiveConnection {
        self.0.live_connections.inc();
        LiveConnection(self.clone())
    }

    /// Records how long after its broadcast (`made`) a frame reached a socket.
    pub fn fanout_lag(&self, made: Instant) {
        self.0.fanout_lag.observe(made.elapsed().as_secs_f64());
    }

    pub fn delivery_failed(&self, queue: Queue) {
        self.0
            .delivery_failures
            .get_or_create(&QueueLabels {
                queue: queue.name(),
            })
            .inc();
    }

    pub fn render_retried(&self, why: RenderRetry) {
        let reason = why.label();
        self.0
            .render_retries
            .get_or_create(&ReasonLabels { reason })
            .inc();
    }

    pub fn policy_set(&self) {
        self.0.policies_set.inc();
    }

    fn request(&self, method: &'static str, route: String, status: u16, took: Duration) {
        self.0
            .latency
            .get_or_create(&RouteLabels {
                method,
                route: route.clone(),
            })
            .observe(took.as_secs_f64());
        self.0
            .requests
            .get_or_create(&RequestLabels {
                method,
                route,
                status,
            })
            .inc();
    }

    /// Every family in the OpenMetrics text format.
    pub fn encode(&self) -> String {
        let mut text = String::new();
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.0.registry);
        text
    }

    /// Counts what the database holds now; every known state is reported, 0 included.
    async fn refresh(&self, state: &AppState) -> Result<(), sqlx::Error> {
        let pool = state.db.pool();
        let set =
            |family: &Family<StateLabels, Gauge>, known: &[&str], counts: Vec<(String, i64)>| {
                for state in known {
                    family
                        .get_or_create(&StateLabels {
                            state: (*state).into(),
                        })
                        .set(0);
                }
                for (state, count) in counts {
                    family.get_or_create(&StateLabels { state }).set(count);
                }
            };
        for queue in Queue::ALL {
            let counts = app::notify::repo::count_by_status(pool, queue).await?;
            for state in ["pending", "delivered", "failed"] {
                self.0
                    .outbox
                    .get_or_create(&QueueStateLabels {
                        queue: queue.name(),
                        state: state.into(),
                    })
                    .set(0);
            }
            for (state, count) in counts {
                self.0
                    .outbox
                    .get_or_create(&QueueStateLabels {
                        queue: queue.name(),
                        state,
                    })
                    .set(count);
            }
        }
        set(
            &self.0.sla_clocks,
            &["on_track", "at_risk", "breached", "met", "missed", "paused"],
            app::sla::repo::count_clocks_by_state(pool).await?,
        );
        set(
            &self.0.customer_updates,
            &["upcoming", "overdue", "paused"],
            app::comms::repo::count_schedules(pool, state.now()).await?,
        );
        Ok(())
    }
}

/// A live connection, counted while it is held.
pub struct LiveConnection(Metrics);

impl Drop for LiveConnection {
    fn drop(&mut self) {
        self.0 .0.live_connections.dec();
    }
}

/// Counts every request by method, route template and status, and times it.
/// Requests no route matched (static files, 404s) count as route `unmatched`.
pub async fn track(State(metrics): State<Metrics>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |m| m.as_str().to_owned());
    let method = method_label(request.method());
    let started = Instant::now();
    let response = next.run(request).await;
    metrics.request(method, route, response.status().as_u16(), started.elapsed());
    response
}

/// Methods outside the standard ones share one label, so odd requests cannot add series.
fn method_label(method: &Method) -> &'static str {
    [
        Method::GET,
        Method::HEAD,
        Method::POST,
        Method::PUT,
        Method::PATCH,
        Method::DELETE,
        Method::OPTIONS,
    ]
    .iter()
    .find(|known| *known == method)
    .map_or("other", |known| known.as_str())
}

/// `GET /metrics`: the families in OpenMetrics text, for a bearer of the metrics token.
pub async fn scrape(
    State(state): State<AppState>,
    Extension(metrics): Extension<Metrics>,
    headers: HeaderMap,
) -> Response {
    let Some(expected) = &metrics.0.token_hash else {
        return ApiError::from(AppError::NotFound(
            "metrics are off: start the server with --metrics-token (SITREP_METRICS_TOKEN) \
             and scrape with that bearer token"
                .into(),
        ))
        .into_response();
    };
    let given = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    // Hashes are compared, so the comparison's time says nothing about the token.
    if given.map(app::identity::secrets::secret_hash).as_ref() != Some(expected) {
        let mut response = ApiError::from(AppError::Unauthenticated(
            "scrape /metrics with `Authorization: Bearer <the metrics token>`".into(),
        ))
        .into_response();
        response.headers_mut().insert(
            WWW_AUTHENTICATE,
            axum::http::HeaderValue::from_static("Bearer realm=\"metrics\""),
        );
        return response;
    }
    let _turn = metrics.0.scraping.lock().await;
    if let Err(err) = metrics.refresh(&state).await {
        tracing::warn!("metrics: cannot count from the database: {err}");
        return ApiError::with_status(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "the database did not answer; the next scrape tries again".into(),
        )
        .into_response();
    }
    let text = metrics.encode();
    (
        [(
            CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        text,
    )
        .into_response()
}
