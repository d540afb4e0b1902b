//! Embedded OTLP/HTTP receiver.
//!
//! A tiny in-process collector: several processes (the weather client and
//! server, test fixtures, …) export their spans (`POST /v1/traces`), metrics
//! (`POST /v1/metrics`) and logs (`POST /v1/logs`) to it over OTLP/HTTP, and
//! the host process can then inspect or print the whole distributed trace,
//! with each log line under its span, without running a separate
//! OpenTelemetry Collector or backend.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> std::io::Result<()> {
//! use mcp_trace_runtime::collector::Collector;
//!
//! let collector = Collector::start("127.0.0.1:0").await?;
//! // Child processes get this as OTEL_EXPORTER_OTLP_ENDPOINT.
//! let endpoint = collector.endpoint();
//! assert!(endpoint.starts_with("http://127.0.0.1:"));
//! assert!(collector.spans().is_empty());
//! collector.shutdown();
//! # Ok(())
//! # }
//! ```

use std::collections::VecDeque;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use bytes::Bytes;
use http::{header, HeaderValue, Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::Incoming;
use opentelemetry_proto::tonic::collector::logs::v1::{
    ExportLogsServiceRequest, ExportLogsServiceResponse,
};
use opentelemetry_proto::tonic::collector::metrics::v1::{
    ExportMetricsServiceRequest, ExportMetricsServiceResponse,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, KeyValue};
use opentelemetry_proto::tonic::logs::v1 as otlp_logs;
use opentelemetry_proto::tonic::metrics::v1 as otlp_metrics;
use opentelemetry_proto::tonic::trace::v1 as otlp;
use prost::Message;
use serde_json::{Map, Value};
use tokio::net::{TcpListener, ToSocketAddrs};
use tokio::sync::watch;

/// Largest request body accepted. Real exporters batch at most a few MiB;
/// anything bigger is a misbehaving client and must not exhaust memory.
pub const MAX_BODY_BYTES: usize = 32 * 1024 * 1024;

/// Path of the OTLP/HTTP trace export endpoint.
pub const TRACES_PATH: &str = "/v1/traces";

/// Path of the OTLP/HTTP metrics export endpoint.
pub const METRICS_PATH: &str = "/v1/metrics";

/// Path of the OTLP/HTTP logs export endpoint.
pub const LOGS_PATH: &str = "/v1/logs";

/// After shutdown, how long open connections get to finish before they are cut.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(2);

const PROTOBUF: &str = "application/x-protobuf";
const JSON: &str = "application/json";

/// An OTLP/HTTP trace receiver running on the current tokio runtime.
///
/// Spans from every request are kept in memory in arrival order, so tests and
/// demos can assert on or print what the instrumented processes exported.
/// Dropping the collector shuts it down.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> std::io::Result<()> {
/// use std::time::Duration;
/// use mcp_trace_runtime::collector::Collector;
///
/// let collector = Collector::start("127.0.0.1:0").await?;
/// // … start processes with OTEL_EXPORTER_OTLP_ENDPOINT=collector.endpoint() …
/// let spans = collector
///     .wait_for(Duration::from_millis(10), |spans| spans.len() >= 2)
///     .await;
/// assert!(spans.is_empty()); // nobody exported in this example
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct Collector {
    addr: SocketAddr,
    shared: Arc<Shared>,
    shutdown: watch::Sender<bool>,
}

/// How many spans, log records and metric entries a [`Collector`] keeps at
/// most; beyond that the oldest make room and are counted
/// ([`Collector::evicted`]), so a long-running demo or test stays bounded.
///
/// ```
/// use mcp_trace_runtime::collector::Capacity;
/// assert_eq!(Capacity::default().spans, 100_000);
/// let small = Capacity::default().with_spans(10);
/// assert_eq!(small.spans, 10);
/// assert_eq!(small.logs, 100_000);
/// ```
///
/// It may gain fields: start from [`Capacity::default`] and the `with_…` methods.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Capacity {
    /// Spans kept.
    pub spans: usize,
    /// Metric entries kept (one per metric per export request).
    pub metrics: usize,
    /// Log records kept.
    pub logs: usize,
}

impl Capacity {
    /// This capacity with room for `spans` spans.
    ///
    /// ```
    /// use mcp_trace_runtime::collector::Capacity;
    /// assert_eq!(Capacity::default().with_spans(1_000).spans, 1_000);
    /// ```
    pub const fn with_spans(mut self, spans: usize) -> Capacity {
        self.spans = spans;
        self
    }

    /// This capacity with room for `metrics` metric entries.
    ///
    /// ```
    /// use mcp_trace_runtime::collector::Capacity;
    /// assert_eq!(Capacity::default().with_metrics(50).metrics, 50);
    /// ```
    pub const fn with_metrics(mut self, metrics: usize) -> Capacity {
        self.metrics = metrics;
        self
    }

    /// This capacity with room for `logs` log records.
    ///
    /// ```
    /// use mcp_trace_runtime::collector::Capacity;
    /// assert_eq!(Capacity::default().with_logs(500).logs, 500);
    /// ```
    pub const fn with_logs(mut self, logs: usize) -> Capacity {
        self.logs = logs;
        self
    }
}

impl Default for Capacity {
    /// 100,000 of each.
    fn default() -> Self {
        Capacity {
            spans: 100_000,
            metrics: 100_000,
            logs: 100_000,
        }
    }
}

/// What was evicted to stay within the [`Capacity`], per signal.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> std::io::Result<()> {
/// let collector = mcp_trace_runtime::collector::Collector::start("127.0.0.1:0").await?;
/// assert_eq!(collector.evicted().spans, 0);
/// # Ok(())
/// # }
/// ```
///
/// It may gain fields (one per signal): read it, do not build it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Evicted {
    /// Spans evicted.
    pub spans: u64,
    /// Metric entries evicted.
    pub metrics: u64,
    /// Log records evicted.
    pub logs: u64,
}

/// Items in arrival order, the oldest evicted beyond `capacity`.
#[derive(Debug)]
struct Store<T> {
    items: VecDeque<T>,
    capacity: usize,
    evicted: u64,
}

impl<T> Store<T> {
    fn new(capacity: usize) -> Store<T> {
        Store {
            items: VecDeque::new(),
            capacity: capacity.max(1),
            evicted: 0,
        }
    }

    fn extend(&mut self, items: impl IntoIterator<Item = T>) {
        for item in items {
            if self.items.len() == self.capacity {
                self.items.pop_front();
                self.evicted += 1;
            }
            self.items.push_back(item);
        }
    }

    /// All items as one slice, for predicates that look without copying.
    fn as_slice(&mut self) -> &[T] {
        self.items.make_contiguous()
    }
}

#[derive(Debug)]
struct Shared {
    spans: Mutex<Store<CollectedSpan>>,
    metrics: Mutex<Store<CollectedMetric>>,
    logs: Mutex<Store<CollectedLog>>,
    requests: AtomicUsize,
    /// Bumped after every accepted export so `wait_for` can sleep instead of
    /// busy-polling; a watch channel cannot miss an update between the
    /// predicate check and the await, unlike a bare `Notify`.
    generation: watch::Sender<u64>,
}

impl Shared {
    fn spans(&self) -> MutexGuard<'_, Store<CollectedSpan>> {
        // A panic while holding the lock cannot leave the store half-updated
        // (we only `extend` it), so a poisoned lock is still safe to use and
        // must not take every later request down with it.
        self.spans
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn metrics(&self) -> MutexGuard<'_, Store<CollectedMetric>> {
        // Only ever extended, like `spans`.
        self.metrics
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn logs(&self) -> MutexGuard<'_, Store<CollectedLog>> {
        // Only ever extended, like `spans`.
        self.logs
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Collector {
    /// Binds `addr` (use port 0 for an ephemeral port) and serves OTLP/HTTP on
    /// a task spawned on the current tokio runtime.
    ///
    /// Must be called from within a tokio runtime.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// let collector = mcp_trace_runtime::collector::Collector::start("127.0.0.1:0").await?;
    /// assert_ne!(collector.local_addr().port(), 0);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn start(addr: impl ToSocketAddrs) -> std::io::Result<Collector> {
        Collector::start_with(addr, Capacity::default()).await
    }

    /// [`Collector::start`], keeping at most `capacity` of each signal.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// use mcp_trace_runtime::collector::{Capacity, Collector};
    /// let capacity = Capacity::default().with_spans(1_000);
    /// let collector = Collector::start_with("127.0.0.1:0", capacity).await?;
    /// assert!(collector.spans().is_empty());
    /// # Ok(())
    /// # }
    /// ```
    pub async fn start_with(
        addr: impl ToSocketAddrs,
        capacity: Capacity,
    ) -> std::io::Result<Collector> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let (generation, _) = watch::channel(0u64);
        let shared = Arc::new(Shared {
            spans: Mutex::new(Store::new(capacity.spans)),
            metrics: Mutex::new(Store::new(capacity.metrics)),
            logs: Mutex::new(Store::new(capacity.logs)),
            requests: AtomicUsize::new(0),
            generation,
        });
        let (shutdown, shutdown_rx) = watch::channel(false);
        tokio::spawn(accept_loop(listener, Arc::clone(&shared), shutdown_rx));
        Ok(Collector {
            addr,
            shared,
            shutdown,
        })
    }

    /// The address actually bound (resolves port 0).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// let collector = mcp_trace_runtime::collector::Collector::start("127.0.0.1:0").await?;
    /// assert!(collector.local_addr().ip().is_loopback());
    /// # Ok(())
    /// # }
    /// ```
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Base URL suitable for `OTEL_EXPORTER_OTLP_ENDPOINT`, without a path
    /// (exporters append `/v1/traces` themselves when configured via that
    /// variable; when configuring an exporter in code, append it yourself).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// let collector = mcp_trace_runtime::collector::Collector::start("127.0.0.1:0").await?;
    /// let traces_url = format!("{}/v1/traces", collector.endpoint());
    /// assert!(traces_url.starts_with("http://127.0.0.1:"));
    /// # Ok(())
    /// # }
    /// ```
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Everything received so far, in arrival order.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// let collector = mcp_trace_runtime::collector::Collector::start("127.0.0.1:0").await?;
    /// for span in collector.spans() {
    ///     println!("{} {}", span.service_name, span.name);
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn spans(&self) -> Vec<CollectedSpan> {
        self.shared.spans().items.iter().cloned().collect()
    }

    /// The spans of one trace (32 lowercase hex digits; case-insensitive), in
    /// arrival order.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// let collector = mcp_trace_runtime::collector::Collector::start("127.0.0.1:0").await?;
    /// let spans = collector.spans_of_trace("4bf92f3577b34da6a3ce929d0e0e4736");
    /// assert!(spans.is_empty());
    /// # Ok(())
    /// # }
    /// ```
    pub fn spans_of_trace(&self, trace_id: &str) -> Vec<CollectedSpan> {
        self.shared
            .spans()
            .items
            .iter()
            .filter(|span| span.trace_id.eq_ignore_ascii_case(trace_id))
            .cloned()
            .collect()
    }

    /// Waits until `predicate(&all_spans)` holds or `timeout` passes, and
    /// returns the spans at that point either way — exporters flush
    /// asynchronously, so tests need to wait for "enough" spans rather than
    /// sleep for a guessed duration.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// use std::time::Duration;
    /// let collector = mcp_trace_runtime::collector::Collector::start("127.0.0.1:0").await?;
    /// let spans = collector
    ///     .wait_for(Duration::from_millis(10), |spans| {
    ///         spans.iter().any(|s| s.name == "tools/call get_weather")
    ///     })
    ///     .await;
    /// assert!(spans.is_empty());
    /// # Ok(())
    /// # }
    /// ```
    pub async fn wait_for(
        &self,
        timeout: Duration,
        predicate: impl Fn(&[CollectedSpan]) -> bool,
    ) -> Vec<CollectedSpan> {
        self.wait_until(timeout, |shared| shared.spans(), predicate)
            .await
    }

    /// Every metric received so far, one entry per metric per export request,
    /// in arrival order. With cumulative temporality (the SDK default) the
    /// last entry of a name holds the totals; see [`Collector::latest_metric`].
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// let collector = mcp_trace_runtime::collector::Collector::start("127.0.0.1:0").await?;
    /// for metric in collector.metrics() {
    ///     println!("{} {} ({})", metric.service_name, metric.name, metric.unit);
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn metrics(&self) -> Vec<CollectedMetric> {
        self.shared.metrics().items.iter().cloned().collect()
    }

    /// The most recently received metric named `name`, if any.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// let collector = mcp_trace_runtime::collector::Collector::start("127.0.0.1:0").await?;
    /// assert!(collector.latest_metric("mcp.server.operation.duration").is_none());
    /// # Ok(())
    /// # }
    /// ```
    pub fn latest_metric(&self, name: &str) -> Option<CollectedMetric> {
        self.shared
            .metrics()
            .items
            .iter()
            .rev()
            .find(|metric| metric.name == name)
            .cloned()
    }

    /// Like [`Collector::wait_for`], for metrics: waits until
    /// `predicate(&all_metrics)` holds or `timeout` passes, and returns the
    /// metrics at that point either way.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// use std::time::Duration;
    /// let collector = mcp_trace_runtime::collector::Collector::start("127.0.0.1:0").await?;
    /// let metrics = collector
    ///     .wait_for_metrics(Duration::from_millis(10), |metrics| {
    ///         metrics.iter().any(|m| m.name == "mcp.client.operation.duration")
    ///     })
    ///     .await;
    /// assert!(metrics.is_empty());
    /// # Ok(())
    /// # }
    /// ```
    pub async fn wait_for_metrics(
        &self,
        timeout: Duration,
        predicate: impl Fn(&[CollectedMetric]) -> bool,
    ) -> Vec<CollectedMetric> {
        self.wait_until(timeout, |shared| shared.metrics(), predicate)
            .await
    }

    /// Every log record received so far, in arrival order.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// let collector = mcp_trace_runtime::collector::Collector::start("127.0.0.1:0").await?;
    /// for log in collector.logs() {
    ///     println!("{} {} {}: {}", log.service_name, log.severity_text, log.target, log.body);
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn logs(&self) -> Vec<CollectedLog> {
        self.shared.logs().items.iter().cloned().collect()
    }

    /// The log records of one trace (32 hex digits; case-insensitive), in
    /// arrival order.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// let collector = mcp_trace_runtime::collector::Collector::start("127.0.0.1:0").await?;
    /// assert!(collector.logs_of_trace("4bf92f3577b34da6a3ce929d0e0e4736").is_empty());
    /// # Ok(())
    /// # }
    /// ```
    pub fn logs_of_trace(&self, trace_id: &str) -> Vec<CollectedLog> {
        self.shared
            .logs()
            .items
            .iter()
            .filter(|log| {
                log.trace_id
                    .as_deref()
                    .is_some_and(|id| id.eq_ignore_ascii_case(trace_id))
            })
            .cloned()
            .collect()
    }

    /// Like [`Collector::wait_for`], for log records: waits until
    /// `predicate(&all_logs)` holds or `timeout` passes, and returns the
    /// records at that point either way.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// use std::time::Duration;
    /// let collector = mcp_trace_runtime::collector::Collector::start("127.0.0.1:0").await?;
    /// let logs = collector
    ///     .wait_for_logs(Duration::from_millis(10), |logs| logs.len() >= 2)
    ///     .await;
    /// assert!(logs.is_empty());
    /// # Ok(())
    /// # }
    /// ```
    pub async fn wait_for_logs(
        &self,
        timeout: Duration,
        predicate: impl Fn(&[CollectedLog]) -> bool,
    ) -> Vec<CollectedLog> {
        self.wait_until(timeout, |shared| shared.logs(), predicate)
            .await
    }

    /// Waits for `predicate` over one store, looked at under its lock and
    /// copied only once, when it holds or at the deadline: every export
    /// wakes the waiter, and copying the whole store each time made a long
    /// wait quadratic.
    async fn wait_until<T: Clone>(
        &self,
        timeout: Duration,
        store: impl for<'a> Fn(&'a Shared) -> MutexGuard<'a, Store<T>>,
        predicate: impl Fn(&[T]) -> bool,
    ) -> Vec<T> {
        let deadline = tokio::time::Instant::now() + timeout;
        let mut changes = self.shared.generation.subscribe();
        loop {
            // Mark the current generation as seen *before* looking at the
            // data, so a store racing with the check still wakes us up.
            changes.borrow_and_update();
            {
                let mut items = store(&self.shared);
                let items = items.as_slice();
                if predicate(items) {
                    return items.to_vec();
                }
            }
            match tokio::time::timeout_at(deadline, changes.changed()).await {
                Ok(Ok(())) => continue,
                // Timed out, or the sender is gone (cannot happen while
                // `self` is alive): report what we have.
                Ok(Err(_)) | Err(_) => return store(&self.shared).as_slice().to_vec(),
            }
        }
    }

    /// How many of each signal were evicted to stay within the
    /// [`Capacity`] (oldest first).
    pub fn evicted(&self) -> Evicted {
        Evicted {
            spans: self.shared.spans().evicted,
            metrics: self.shared.metrics().evicted,
            logs: self.shared.logs().evicted,
        }
    }

    /// Number of export requests accepted (answered with 200) so far, traces,
    /// metrics and logs alike — lets tests tell "nothing was exported" apart from
    /// "empty batches arrived".
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// let collector = mcp_trace_runtime::collector::Collector::start("127.0.0.1:0").await?;
    /// assert_eq!(collector.requests(), 0);
    /// # Ok(())
    /// # }
    /// ```
    pub fn requests(&self) -> usize {
        self.shared.requests.load(Ordering::SeqCst)
    }

    /// Stops accepting connections and winds down open ones (requests in
    /// flight are finished). Idempotent; also done on drop. Spans already
    /// received stay available.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// let collector = mcp_trace_runtime::collector::Collector::start("127.0.0.1:0").await?;
    /// collector.shutdown();
    /// collector.shutdown();
    /// assert!(collector.spans().is_empty());
    /// # Ok(())
    /// # }
    /// ```
    pub fn shutdown(&self) {
        self.shutdown.send_replace(true);
    }
}

impl Drop for Collector {
    fn drop(&mut self) {
        self.shutdown();
    }
}

async fn accept_loop(
    listener: TcpListener,
    shared: Arc<Shared>,
    mut shutdown: watch::Receiver<bool>,
) {
    let handle = move |request: Request<Incoming>, _peer: SocketAddr| {
        let shared = Arc::clone(&shared);
        async move { Ok::<_, Infallible>(handle(request, &shared).await) }
    };
    // Resolves once shutdown was requested or the `Collector` is gone.
    let stopped = async move {
        let _ = shutdown.wait_for(|stop| *stop).await;
    };
    crate::http_server::serve(
        listener,
        handle,
        stopped,
        async {},
        CLOSE_TIMEOUT,
        crate::http_server::DEFAULT_MAX_CONNECTIONS,
    )
    .await;
}

/// Wire formats OTLP/HTTP allows; responses mirror the request's format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    Protobuf,
    Json,
}

impl Format {
    fn content_type(self) -> &'static str {
        match self {
            Format::Protobuf => PROTOBUF,
            Format::Json => JSON,
        }
    }
}

/// OTLP signals this receiver routes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Signal {
    Traces,
    Metrics,
    Logs,
}

fn route(path: &str) -> Option<Signal> {
    match path {
        TRACES_PATH => Some(Signal::Traces),
        METRICS_PATH => Some(Signal::Metrics),
        LOGS_PATH => Some(Signal::Logs),
        _ => None,
    }
}

async fn handle(req: Request<Incoming>, shared: &Shared) -> Response<Full<Bytes>> {
    let Some(signal) = route(req.uri().path()) else {
        return plain(
            StatusCode::NOT_FOUND,
            "not found: only POST /v1/traces, POST /v1/metrics and POST /v1/logs",
        );
    };
    if req.method() != Method::POST {
        let mut res = plain(
            StatusCode::METHOD_NOT_ALLOWED,
            "method not allowed: use POST",
        );
        res.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("POST"));
        return res;
    }
    let format = match request_format(req.headers()) {
        Ok(format) => format,
        Err(message) => return plain(StatusCode::UNSUPPORTED_MEDIA_TYPE, &message),
    };
    // Reject an announced oversize body before reading any of it; the
    // `Limited` wrapper below still enforces the limit for chunked bodies or
    // lying Content-Length headers.
    let announced = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if announced.is_some_and(|len| len > MAX_BODY_BYTES as u64) {
        return too_large();
    }
    let body = match Limited::new(req.into_body(), MAX_BODY_BYTES)
        .collect()
        .await
    {
        Ok(collected) => collected.to_bytes(),
        Err(err) if err.downcast_ref::<LengthLimitError>().is_some() => return too_large(),
        Err(err) => {
            return plain(
                StatusCode::BAD_REQUEST,
                &format!("failed to read request body: {err}"),
            )
        }
    };
    match signal {
        Signal::Traces => receive(
            format,
            &body,
            "ExportTraceServiceRequest",
            |request: ExportTraceServiceRequest| shared.spans().extend(convert_request(request)),
            ExportTraceServiceResponse::default().encode_to_vec(),
            shared,
        ),
        Signal::Metrics => receive(
            format,
            &body,
            "ExportMetricsServiceRequest",
            |request: ExportMetricsServiceRequest| {
                shared.metrics().extend(convert_metrics_request(request))
            },
            ExportMetricsServiceResponse::default().encode_to_vec(),
            shared,
        ),
        Signal::Logs => receive(
            format,
            &body,
            "ExportLogsServiceRequest",
            |request: ExportLogsServiceRequest| shared.logs().extend(convert_logs_request(request)),
            ExportLogsServiceResponse::default().encode_to_vec(),
            shared,
        ),
    }
}

/// Decodes one signal's export request and stores it with `store`, which
/// converts it before taking the lock (a huge batch must not stall readers);
/// answers 400 naming `kind` when the body does not decode.
fn receive<R: Message + Default + serde::de::DeserializeOwned>(
    format: Format,
    body: &[u8],
    kind: &str,
    store: impl FnOnce(R),
    response: Vec<u8>,
    shared: &Shared,
) -> Response<Full<Bytes>> {
    let request = match format {
        Format::Protobuf => {
            R::decode(body).map_err(|err| format!("invalid OTLP protobuf {kind}: {err}"))
        }
        Format::Json => serde_json::from_slice::<R>(body)
            .map_err(|err| format!("invalid OTLP JSON {kind}: {err}")),
    };
    let request = match request {
        Ok(request) => request,
        Err(message) => return plain(StatusCode::BAD_REQUEST, &message),
    };
    store(request);
    shared.requests.fetch_add(1, Ordering::SeqCst);
    shared.generation.send_modify(|generation| *generation += 1);
    success(format, response)
}

/// A 200 answer in the request's format; `protobuf` is the encoded (empty)
/// export response of the signal.
fn success(format: Format, protobuf: Vec<u8>) -> Response<Full<Bytes>> {
    let body = match format {
        Format::Protobuf => Bytes::from(protobuf),
        // Written by hand: serde would emit `{"partialSuccess":null}`, which
        // strict OTLP clients may reject; an empty object means full success.
        Format::Json => Bytes::from_static(b"{}"),
    };
    let mut res = Response::new(Full::new(body));
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.content_type()),
    );
    res
}

fn request_format(headers: &http::HeaderMap) -> Result<Format, String> {
    for encoding in headers.get_all(header::CONTENT_ENCODING) {
        let value = encoding.to_str().unwrap_or("<non-ascii>");
        if value
            .split(',')
            .map(str::trim)
            .any(|e| !e.is_empty() && !e.eq_ignore_ascii_case("identity"))
        {
            return Err(format!(
                "unsupported Content-Encoding {value:?}: only identity is accepted"
            ));
        }
    }
    let Some(content_type) = headers.get(header::CONTENT_TYPE) else {
        return Err(format!("missing Content-Type: use {PROTOBUF} or {JSON}"));
    };
    let raw = content_type.to_str().unwrap_or("<non-ascii>");
    let essence = raw.split(';').next().unwrap_or("").trim();
    if essence.eq_ignore_ascii_case(PROTOBUF) {
        Ok(Format::Protobuf)
    } else if essence.eq_ignore_ascii_case(JSON) {
        Ok(Format::Json)
    } else {
        Err(format!(
            "unsupported Content-Type {raw:?}: use {PROTOBUF} or {JSON}"
        ))
    }
}

fn plain(status: StatusCode, message: &str) -> Response<Full<Bytes>> {
    let mut res = Response::new(Full::new(Bytes::from(format!("{message}\n"))));
    *res.status_mut() = status;
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    res
}

fn too_large() -> Response<Full<Bytes>> {
    let mut res = plain(
        StatusCode::PAYLOAD_TOO_LARGE,
        &format!("request body exceeds {MAX_BODY_BYTES} bytes"),
    );
    // We stop reading mid-body, so the connection cannot be reused safely.
    res.headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    res
}

/// Span kind, mirroring OTLP's `Span.SpanKind`.
///
/// ```
/// use mcp_trace_runtime::collector::SpanKind;
/// assert_eq!(SpanKind::Client.as_str(), "CLIENT");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum SpanKind {
    /// Kind not set by the producer (also used for unknown values).
    #[default]
    Unspecified,
    /// An in-process operation.
    Internal,
    /// Handling of a remote request.
    Server,
    /// An outgoing remote request.
    Client,
    /// Enqueuing a message for later processing.
    Producer,
    /// Processing a message from a producer.
    Consumer,
}

impl SpanKind {
    /// Upper-case name as used in OTLP without the `SPAN_KIND_` prefix.
    ///
    /// ```
    /// use mcp_trace_runtime::collector::SpanKind;
    /// assert_eq!(SpanKind::Server.as_str(), "SERVER");
    /// assert_eq!(SpanKind::Unspecified.as_str(), "UNSPECIFIED");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            SpanKind::Unspecified => "UNSPECIFIED",
            SpanKind::Internal => "INTERNAL",
            SpanKind::Server => "SERVER",
            SpanKind::Client => "CLIENT",
            SpanKind::Producer => "PRODUCER",
            SpanKind::Consumer => "CONSUMER",
        }
    }

    fn from_otlp(kind: i32) -> SpanKind {
        match otlp::span::SpanKind::try_from(kind) {
            Ok(otlp::span::SpanKind::Internal) => SpanKind::Internal,
            Ok(otlp::span::SpanKind::Server) => SpanKind::Server,
            Ok(otlp::span::SpanKind::Client) => SpanKind::Client,
            Ok(otlp::span::SpanKind::Producer) => SpanKind::Producer,
            Ok(otlp::span::SpanKind::Consumer) => SpanKind::Consumer,
            Ok(otlp::span::SpanKind::Unspecified) | Err(_) => SpanKind::Unspecified,
        }
    }
}

impl std::fmt::Display for SpanKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Span status as exported.
///
/// ```
/// use mcp_trace_runtime::collector::SpanStatus;
/// let status = SpanStatus::Error("upstream timeout".into());
/// assert!(status.is_error());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub enum SpanStatus {
    /// No status set (the default).
    #[default]
    Unset,
    /// Explicitly marked successful.
    Ok,
    /// Failed, with the (possibly empty) description.
    Error(String),
}

impl SpanStatus {
    /// Whether this is [`SpanStatus::Error`].
    ///
    /// ```
    /// use mcp_trace_runtime::collector::SpanStatus;
    /// assert!(!SpanStatus::Ok.is_error());
    /// ```
    pub fn is_error(&self) -> bool {
        matches!(self, SpanStatus::Error(_))
    }

    fn from_otlp(status: Option<otlp::Status>) -> SpanStatus {
        let Some(status) = status else {
            return SpanStatus::Unset;
        };
        match otlp::status::StatusCode::try_from(status.code) {
            Ok(otlp::status::StatusCode::Ok) => SpanStatus::Ok,
            Ok(otlp::status::StatusCode::Error) => SpanStatus::Error(status.message),
            Ok(otlp::status::StatusCode::Unset) | Err(_) => SpanStatus::Unset,
        }
    }
}

/// A span event (e.g. a recorded exception).
///
/// ```
/// use mcp_trace_runtime::collector::CollectedEvent;
/// let mut event = CollectedEvent::default();
/// event.name = "exception".into();
/// assert!(event.attributes.is_empty());
/// ```
///
/// It may gain fields: the collector builds it; to build one yourself (e.g.
/// for [`crate::trace_tree`]), assign the fields on a `default()` value.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct CollectedEvent {
    /// Event name.
    pub name: String,
    /// Wall-clock time in nanoseconds since the Unix epoch.
    pub time_unix_nano: u64,
    /// Attributes converted to JSON (see [`CollectedSpan::attributes`]).
    pub attributes: Map<String, Value>,
}

/// One received span, flattened out of OTLP's resource/scope nesting and
/// with ids as lowercase hex so it is easy to compare in tests.
///
/// ```
/// use mcp_trace_runtime::collector::{CollectedSpan, SpanKind};
/// let mut span = CollectedSpan::default();
/// span.name = "tools/call get_weather".into();
/// span.kind = SpanKind::Client;
/// span.start_unix_nano = 1_000;
/// span.end_unix_nano = 5_000;
/// assert_eq!(span.duration().as_nanos(), 4_000);
/// ```
///
/// It may gain fields: the collector builds it; to build one yourself (e.g.
/// for [`crate::trace_tree`]), assign the fields on a `default()` value.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct CollectedSpan {
    /// 32 lowercase hex digits.
    pub trace_id: String,
    /// 16 lowercase hex digits.
    pub span_id: String,
    /// `None` for roots (empty or all-zero parent id on the wire).
    pub parent_span_id: Option<String>,
    /// Span name.
    pub name: String,
    /// Resource attribute `service.name`, `"unknown_service"` if absent.
    pub service_name: String,
    /// Span kind.
    pub kind: SpanKind,
    /// Start time in nanoseconds since the Unix epoch.
    pub start_unix_nano: u64,
    /// End time in nanoseconds since the Unix epoch.
    pub end_unix_nano: u64,
    /// Span attributes as JSON: strings, bools, ints (i64), doubles
    /// (non-finite ones as strings like `"NaN"`), arrays, key-value lists as
    /// objects, bytes as lowercase hex strings.
    pub attributes: Map<String, Value>,
    /// Resource attributes, converted like `attributes`.
    pub resource: Map<String, Value>,
    /// Span status.
    pub status: SpanStatus,
    /// Span events in recorded order.
    pub events: Vec<CollectedEvent>,
    /// Links as `(trace_id, span_id)` in lowercase hex.
    pub links: Vec<(String, String)>,
}

impl CollectedSpan {
    /// End minus start; zero if the producer sent an end before the start.
    ///
    /// ```
    /// use mcp_trace_runtime::collector::CollectedSpan;
    /// let mut span = CollectedSpan::default();
    /// span.start_unix_nano = 10;
    /// span.end_unix_nano = 5;
    /// assert_eq!(span.duration().as_nanos(), 0);
    /// ```
    pub fn duration(&self) -> Duration {
        Duration::from_nanos(self.end_unix_nano.saturating_sub(self.start_unix_nano))
    }

    /// A string attribute, or `None` if absent or not a string.
    ///
    /// ```
    /// use mcp_trace_runtime::collector::CollectedSpan;
    /// let mut span = CollectedSpan::default();
    /// span.attributes.insert("mcp.method.name".into(), "tools/call".into());
    /// assert_eq!(span.attr_str("mcp.method.name"), Some("tools/call"));
    /// ```
    pub fn attr_str(&self, key: &str) -> Option<&str> {
        self.attributes.get(key).and_then(Value::as_str)
    }

    /// An integer attribute, or `None` if absent or not an integer.
    ///
    /// ```
    /// use mcp_trace_runtime::collector::CollectedSpan;
    /// let mut span = CollectedSpan::default();
    /// span.attributes.insert("http.response.status_code".into(), 200.into());
    /// assert_eq!(span.attr_i64("http.response.status_code"), Some(200));
    /// ```
    pub fn attr_i64(&self, key: &str) -> Option<i64> {
        self.attributes.get(key).and_then(Value::as_i64)
    }
}

fn convert_request(request: ExportTraceServiceRequest) -> Vec<CollectedSpan> {
    let mut out = Vec::new();
    for resource_spans in request.resource_spans {
        let resource = resource_spans
            .resource
            .map(|r| attributes_to_json(r.attributes))
            .unwrap_or_default();
        let service_name = resource
            .get("service.name")
            .and_then(Value::as_str)
            .filter(|name| !name.is_empty())
            .unwrap_or("unknown_service")
            .to_owned();
        for scope_spans in resource_spans.scope_spans {
            for span in scope_spans.spans {
                out.push(convert_span(span, &service_name, &resource));
            }
        }
    }
    out
}

fn convert_span(
    span: otlp::Span,
    service_name: &str,
    resource: &Map<String, Value>,
) -> CollectedSpan {
    let parent_span_id = if span.parent_span_id.iter().all(|b| *b == 0) {
        None
    } else {
        Some(hex(&span.parent_span_id))
    };
    CollectedSpan {
        trace_id: hex(&span.trace_id),
        span_id: hex(&span.span_id),
        parent_span_id,
        name: span.name,
        service_name: service_name.to_owned(),
        kind: SpanKind::from_otlp(span.kind),
        start_unix_nano: span.start_time_unix_nano,
        end_unix_nano: span.end_time_unix_nano,
        attributes: attributes_to_json(span.attributes),
        resource: resource.clone(),
        status: SpanStatus::from_otlp(span.status),
        events: span
            .events
            .into_iter()
            .map(|event| CollectedEvent {
                name: event.name,
                time_unix_nano: event.time_unix_nano,
                attributes: attributes_to_json(event.attributes),
            })
            .collect(),
        links: span
            .links
            .into_iter()
            .map(|link| (hex(&link.trace_id), hex(&link.span_id)))
            .collect(),
    }
}

/// One received log record, flattened out of OTLP's resource/scope nesting,
/// with ids as lowercase hex like [`CollectedSpan`]'s.
///
/// ```
/// use mcp_trace_runtime::collector::CollectedLog;
/// let mut log = CollectedLog::default();
/// log.severity_text = "INFO".into();
/// log.severity_number = 9;
/// log.target = "weather_server".into();
/// log.body = "looked up Paris".into();
/// assert_eq!(log.trace_id, None);
/// assert!(log.attributes.is_empty());
/// ```
///
/// It may gain fields: the collector builds it; to build one yourself (e.g.
/// for [`crate::trace_tree`]), assign the fields on a `default()` value.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct CollectedLog {
    /// 32 lowercase hex digits; `None` for a record emitted outside any span.
    pub trace_id: Option<String>,
    /// 16 lowercase hex digits; `None` for a record emitted outside any span.
    pub span_id: Option<String>,
    /// Severity as text, e.g. `INFO` (empty when the producer sent none).
    pub severity_text: String,
    /// OTLP severity number: 1–4 TRACE, 5–8 DEBUG, 9–12 INFO, 13–16 WARN,
    /// 17–20 ERROR, 21–24 FATAL, 0 unspecified.
    pub severity_number: i32,
    /// The body as text: a string as itself, anything else as JSON.
    pub body: String,
    /// Record attributes, converted like [`CollectedSpan::attributes`].
    pub attributes: Map<String, Value>,
    /// When the event happened (the observed time when the producer sent no
    /// event time), nanoseconds since the Unix epoch.
    pub time_unix_nano: u64,
    /// Resource attribute `service.name`, `"unknown_service"` if absent.
    pub service_name: String,
    /// Resource attributes, converted like [`CollectedSpan::attributes`].
    pub resource: Map<String, Value>,
    /// Name of the instrumentation scope: the `tracing` or `log` target for
    /// records from Rust (the OpenTelemetry SDK exports the target there).
    pub target: String,
}

impl CollectedLog {
    /// A string attribute, or `None` if absent or not a string.
    ///
    /// ```
    /// use mcp_trace_runtime::collector::CollectedLog;
    /// let mut log = CollectedLog::default();
    /// log.attributes.insert("city".into(), "Paris".into());
    /// assert_eq!(log.attr_str("city"), Some("Paris"));
    /// ```
    pub fn attr_str(&self, key: &str) -> Option<&str> {
        self.attributes.get(key).and_then(Value::as_str)
    }
}

fn convert_logs_request(request: ExportLogsServiceRequest) -> Vec<CollectedLog> {
    let mut out = Vec::new();
    for resource_logs in request.resource_logs {
        let resource = resource_logs
            .resource
            .map(|r| attributes_to_json(r.attributes))
            .unwrap_or_default();
        let service_name = service_name_of(&resource);
        for scope_logs in resource_logs.scope_logs {
            let target = scope_logs.scope.map(|s| s.name).unwrap_or_default();
            for record in scope_logs.log_records {
                out.push(convert_log(record, &service_name, &resource, &target));
            }
        }
    }
    out
}

fn convert_log(
    record: otlp_logs::LogRecord,
    service_name: &str,
    resource: &Map<String, Value>,
    target: &str,
) -> CollectedLog {
    // An absent or all-zero id means "no span", as for a root's parent.
    let id = |bytes: &[u8]| (!bytes.iter().all(|b| *b == 0)).then(|| hex(bytes));
    let body = match any_value_to_json(record.body) {
        Value::Null => String::new(),
        Value::String(text) => text,
        other => other.to_string(),
    };
    CollectedLog {
        trace_id: id(&record.trace_id),
        span_id: id(&record.span_id),
        severity_text: record.severity_text,
        severity_number: record.severity_number,
        body,
        attributes: attributes_to_json(record.attributes),
        time_unix_nano: if record.time_unix_nano == 0 {
            record.observed_time_unix_nano
        } else {
            record.time_unix_nano
        },
        service_name: service_name.to_owned(),
        resource: resource.clone(),
        target: target.to_owned(),
    }
}

/// What a metric carries, mirroring OTLP's `Metric.data`.
///
/// ```
/// use mcp_trace_runtime::collector::MetricKind;
/// assert_eq!(MetricKind::default(), MetricKind::Empty);
/// ```
///
/// More variants may be added: a `match` on it needs a `_` arm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum MetricKind {
    /// No data (the producer sent none).
    #[default]
    Empty,
    /// Last values; points in [`CollectedMetric::number_points`].
    Gauge,
    /// Sums; points in [`CollectedMetric::number_points`].
    Sum,
    /// Explicit-bucket histogram; points in [`CollectedMetric::points`].
    Histogram,
    /// Exponential histogram (points not kept).
    ExponentialHistogram,
    /// Summary (points not kept).
    Summary,
}

/// OTLP aggregation temporality of a sum or histogram.
///
/// ```
/// use mcp_trace_runtime::collector::Temporality;
/// assert_eq!(Temporality::default(), Temporality::Unspecified);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Temporality {
    /// Not set, or a kind without temporality (gauges, summaries).
    #[default]
    Unspecified,
    /// Each point covers the time since the previous export.
    Delta,
    /// Each point covers the time since the start: the last one holds the totals.
    Cumulative,
}

impl Temporality {
    fn from_otlp(value: i32) -> Temporality {
        match otlp_metrics::AggregationTemporality::try_from(value) {
            Ok(otlp_metrics::AggregationTemporality::Delta) => Temporality::Delta,
            Ok(otlp_metrics::AggregationTemporality::Cumulative) => Temporality::Cumulative,
            Ok(otlp_metrics::AggregationTemporality::Unspecified) | Err(_) => {
                Temporality::Unspecified
            }
        }
    }
}

/// One received metric (one instrument in one export request), flattened out
/// of OTLP's resource/scope nesting.
///
/// ```
/// use mcp_trace_runtime::collector::{CollectedHistogramPoint, CollectedMetric, MetricKind};
/// let mut point = CollectedHistogramPoint::default();
/// point.count = 2;
/// point.attributes.insert("mcp.method.name".into(), "tools/call".into());
/// let mut metric = CollectedMetric::default();
/// metric.name = "mcp.server.operation.duration".into();
/// metric.unit = "s".into();
/// metric.kind = MetricKind::Histogram;
/// metric.points = vec![point];
/// let point = metric.point_with(&[("mcp.method.name", "tools/call")]).unwrap();
/// assert_eq!(point.count, 2);
/// assert!(metric.point_with(&[("mcp.method.name", "ping")]).is_none());
/// ```
///
/// It may gain fields: the collector builds it; to build one yourself (e.g.
/// for [`crate::trace_tree`]), assign the fields on a `default()` value.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct CollectedMetric {
    /// Metric (instrument) name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Unit, e.g. `s`.
    pub unit: String,
    /// Resource attribute `service.name`, `"unknown_service"` if absent.
    pub service_name: String,
    /// Resource attributes, converted like [`CollectedSpan::attributes`].
    pub resource: Map<String, Value>,
    /// Name of the instrumentation scope (meter).
    pub scope_name: String,
    /// What the metric carries.
    pub kind: MetricKind,
    /// Aggregation temporality (sums and histograms).
    pub temporality: Temporality,
    /// Histogram points (kind [`MetricKind::Histogram`]).
    pub points: Vec<CollectedHistogramPoint>,
    /// Gauge and sum points.
    pub number_points: Vec<CollectedNumberPoint>,
}

impl CollectedMetric {
    /// The histogram point whose attributes include every `(key, string value)` pair.
    pub fn point_with(&self, attributes: &[(&str, &str)]) -> Option<&CollectedHistogramPoint> {
        self.points.iter().find(|point| {
            attributes
                .iter()
                .all(|(key, value)| point.attr_str(key) == Some(*value))
        })
    }
}

/// One explicit-bucket histogram data point.
///
/// ```
/// use mcp_trace_runtime::collector::CollectedHistogramPoint;
/// let mut point = CollectedHistogramPoint::default();
/// point.count = 3;
/// point.sum = Some(0.75);
/// point.explicit_bounds = vec![0.1, 1.0];
/// point.bucket_counts = vec![1, 2, 0];
/// assert_eq!(point.bucket_counts.len(), point.explicit_bounds.len() + 1);
/// ```
///
/// It may gain fields: the collector builds it; to build one yourself (e.g.
/// for [`crate::trace_tree`]), assign the fields on a `default()` value.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct CollectedHistogramPoint {
    /// Point attributes, converted like [`CollectedSpan::attributes`].
    pub attributes: Map<String, Value>,
    /// Start of the aggregation interval, nanoseconds since the Unix epoch.
    pub start_time_unix_nano: u64,
    /// End of the aggregation interval, nanoseconds since the Unix epoch.
    pub time_unix_nano: u64,
    /// Number of recorded values.
    pub count: u64,
    /// Sum of the recorded values, when the producer sent it.
    pub sum: Option<f64>,
    /// Smallest recorded value, when sent.
    pub min: Option<f64>,
    /// Largest recorded value, when sent.
    pub max: Option<f64>,
    /// Count per bucket: one more entry than `explicit_bounds`.
    pub bucket_counts: Vec<u64>,
    /// Upper bounds of the buckets (the last bucket is unbounded).
    pub explicit_bounds: Vec<f64>,
}

impl CollectedHistogramPoint {
    /// A string attribute, or `None` if absent or not a string.
    ///
    /// ```
    /// use mcp_trace_runtime::collector::CollectedHistogramPoint;
    /// let mut point = CollectedHistogramPoint::default();
    /// point.attributes.insert("network.transport".into(), "tcp".into());
    /// assert_eq!(point.attr_str("network.transport"), Some("tcp"));
    /// ```
    pub fn attr_str(&self, key: &str) -> Option<&str> {
        self.attributes.get(key).and_then(Value::as_str)
    }
}

/// One gauge or sum data point (integers converted to `f64`).
///
/// ```
/// use mcp_trace_runtime::collector::CollectedNumberPoint;
/// let mut point = CollectedNumberPoint::default();
/// point.value = 4.0;
/// assert!(point.attributes.is_empty());
/// ```
///
/// It may gain fields: the collector builds it; to build one yourself (e.g.
/// for [`crate::trace_tree`]), assign the fields on a `default()` value.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct CollectedNumberPoint {
    /// Point attributes, converted like [`CollectedSpan::attributes`].
    pub attributes: Map<String, Value>,
    /// Time of the value, nanoseconds since the Unix epoch.
    pub time_unix_nano: u64,
    /// The value.
    pub value: f64,
}

fn convert_metrics_request(request: ExportMetricsServiceRequest) -> Vec<CollectedMetric> {
    let mut out = Vec::new();
    for resource_metrics in request.resource_metrics {
        let resource = resource_metrics
            .resource
            .map(|r| attributes_to_json(r.attributes))
            .unwrap_or_default();
        let service_name = service_name_of(&resource);
        for scope_metrics in resource_metrics.scope_metrics {
            let scope_name = scope_metrics.scope.map(|s| s.name).unwrap_or_default();
            for metric in scope_metrics.metrics {
                let mut collected = CollectedMetric {
                    name: metric.name,
                    description: metric.description,
                    unit: metric.unit,
                    service_name: service_name.clone(),
                    resource: resource.clone(),
                    scope_name: scope_name.clone(),
                    ..Default::default()
                };
                convert_metric_data(metric.data, &mut collected);
                out.push(collected);
            }
        }
    }
    out
}

fn convert_metric_data(data: Option<otlp_metrics::metric::Data>, into: &mut CollectedMetric) {
    use otlp_metrics::metric::Data;
    let numbers = |points: Vec<otlp_metrics::NumberDataPoint>| {
        points
            .into_iter()
            .map(|point| CollectedNumberPoint {
                attributes: attributes_to_json(point.attributes),
                time_unix_nano: point.time_unix_nano,
                value: match point.value {
                    Some(otlp_metrics::number_data_point::Value::AsDouble(value)) => value,
                    Some(otlp_metrics::number_data_point::Value::AsInt(value)) => value as f64,
                    None => 0.0,
                },
            })
            .collect()
    };
    match data {
        None => {}
        Some(Data::Gauge(gauge)) => {
            into.kind = MetricKind::Gauge;
            into.number_points = numbers(gauge.data_points);
        }
        Some(Data::Sum(sum)) => {
            into.kind = MetricKind::Sum;
            into.temporality = Temporality::from_otlp(sum.aggregation_temporality);
            into.number_points = numbers(sum.data_points);
        }
        Some(Data::Histogram(histogram)) => {
            into.kind = MetricKind::Histogram;
            into.temporality = Temporality::from_otlp(histogram.aggregation_temporality);
            into.points = histogram
                .data_points
                .into_iter()
                .map(|point| CollectedHistogramPoint {
                    attributes: attributes_to_json(point.attributes),
                    start_time_unix_nano: point.start_time_unix_nano,
                    time_unix_nano: point.time_unix_nano,
                    count: point.count,
                    sum: point.sum,
                    min: point.min,
                    max: point.max,
                    bucket_counts: point.bucket_counts,
                    explicit_bounds: point.explicit_bounds,
                })
                .collect();
        }
        Some(Data::ExponentialHistogram(histogram)) => {
            into.kind = MetricKind::ExponentialHistogram;
            into.temporality = Temporality::from_otlp(histogram.aggregation_temporality);
        }
        Some(Data::Summary(_)) => into.kind = MetricKind::Summary,
    }
}

fn service_name_of(resource: &Map<String, Value>) -> String {
    resource
        .get("service.name")
        .and_then(Value::as_str)
        .filter(|name| !name.is_empty())
        .unwrap_or("unknown_service")
        .to_owned()
}

fn attributes_to_json(attributes: Vec<KeyValue>) -> Map<String, Value> {
    attributes
        .into_iter()
        .map(|kv| (kv.key, any_value_to_json(kv.value)))
        .collect()
}

fn any_value_to_json(value: Option<AnyValue>) -> Value {
    match value.and_then(|v| v.value) {
        None => Value::Null,
        Some(any_value::Value::StringValue(s)) => Value::String(s),
        Some(any_value::Value::BoolValue(b)) => Value::Bool(b),
        Some(any_value::Value::IntValue(i)) => Value::from(i),
        Some(any_value::Value::DoubleValue(d)) => serde_json::Number::from_f64(d)
            .map(Value::Number)
            .unwrap_or_else(|| Value::String(d.to_string())),
        Some(any_value::Value::ArrayValue(array)) => Value::Array(
            array
                .values
                .into_iter()
                .map(|v| any_value_to_json(Some(v)))
                .collect(),
        ),
        Some(any_value::Value::KvlistValue(list)) => Value::Object(attributes_to_json(list.values)),
        Some(any_value::Value::BytesValue(bytes)) => Value::String(hex(&bytes)),
        // Dictionary-encoded strings only occur in the profiles signal, whose
        // string table we never see here.
        Some(any_value::Value::StringValueStrindex(_)) => Value::Null,
    }
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        let _ = write!(out, "{byte:02x}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderMap;
    use opentelemetry_proto::tonic::common::v1::{ArrayValue, KeyValueList};
    use opentelemetry_proto::tonic::resource::v1::Resource;

    fn kv(key: &str, value: any_value::Value) -> KeyValue {
        KeyValue {
            key: key.into(),
            value: Some(AnyValue { value: Some(value) }),
            ..Default::default()
        }
    }

    #[test]
    fn content_type_parameters_and_case_are_ignored() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("Application/JSON; charset=utf-8"),
        );
        assert_eq!(request_format(&headers), Ok(Format::Json));
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/x-protobuf"),
        );
        assert_eq!(request_format(&headers), Ok(Format::Protobuf));
        headers.insert(
            header::CONTENT_ENCODING,
            HeaderValue::from_static("identity"),
        );
        assert_eq!(request_format(&headers), Ok(Format::Protobuf));
    }

    #[test]
    fn unsupported_content_type_or_encoding_is_rejected() {
        let mut headers = HeaderMap::new();
        assert!(request_format(&headers).is_err(), "missing content type");
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
        assert!(request_format(&headers).is_err());
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        let err = request_format(&headers).unwrap_err();
        assert!(err.contains("gzip"), "{err}");
    }

    #[test]
    fn converts_all_any_value_kinds_and_ids() {
        let request = ExportTraceServiceRequest {
            resource_spans: vec![otlp::ResourceSpans {
                resource: Some(Resource {
                    attributes: vec![kv(
                        "service.name",
                        any_value::Value::StringValue("svc".into()),
                    )],
                    ..Default::default()
                }),
                scope_spans: vec![otlp::ScopeSpans {
                    spans: vec![otlp::Span {
                        trace_id: vec![0xab; 16],
                        span_id: vec![1, 2, 3, 4, 5, 6, 7, 8],
                        parent_span_id: vec![0; 8],
                        name: "op".into(),
                        kind: otlp::span::SpanKind::Producer as i32,
                        start_time_unix_nano: 100,
                        end_time_unix_nano: 250,
                        attributes: vec![
                            kv("s", any_value::Value::StringValue("x".into())),
                            kv("b", any_value::Value::BoolValue(true)),
                            kv("i", any_value::Value::IntValue(-7)),
                            kv("d", any_value::Value::DoubleValue(1.5)),
                            kv("nan", any_value::Value::DoubleValue(f64::NAN)),
                            kv("bytes", any_value::Value::BytesValue(vec![0, 255])),
                            kv(
                                "arr",
                                any_value::Value::ArrayValue(ArrayValue {
                                    values: vec![
                                        AnyValue {
                                            value: Some(any_value::Value::IntValue(1)),
                                        },
                                        AnyValue { value: None },
                                    ],
                                }),
                            ),
                            kv(
                                "kv",
                                any_value::Value::KvlistValue(KeyValueList {
                                    values: vec![kv("k", any_value::Value::BoolValue(false))],
                                }),
                            ),
                        ],
                        status: Some(otlp::Status {
                            message: "boom".into(),
                            code: otlp::status::StatusCode::Error as i32,
                        }),
                        links: vec![otlp::span::Link {
                            trace_id: vec![0x11; 16],
                            span_id: vec![0x22; 8],
                            ..Default::default()
                        }],
                        events: vec![otlp::span::Event {
                            time_unix_nano: 200,
                            name: "exception".into(),
                            attributes: vec![kv(
                                "exception.message",
                                any_value::Value::StringValue("bad".into()),
                            )],
                            ..Default::default()
                        }],
                        ..Default::default()
                    }],
                    ..Default::default()
                }],
                ..Default::default()
            }],
        };
        let spans = convert_request(request);
        assert_eq!(spans.len(), 1);
        let span = &spans[0];
        assert_eq!(span.trace_id, "ab".repeat(16));
        assert_eq!(span.span_id, "0102030405060708");
        assert_eq!(span.parent_span_id, None, "all-zero parent means root");
        assert_eq!(span.service_name, "svc");
        assert_eq!(span.kind, SpanKind::Producer);
        assert_eq!(span.duration(), Duration::from_nanos(150));
        assert_eq!(span.status, SpanStatus::Error("boom".into()));
        assert_eq!(
            Value::Object(span.attributes.clone()),
            serde_json::json!({
                "s": "x", "b": true, "i": -7, "d": 1.5, "nan": "NaN",
                "bytes": "00ff", "arr": [1, null], "kv": {"k": false}
            })
        );
        assert_eq!(span.attr_i64("i"), Some(-7));
        assert_eq!(span.attr_str("s"), Some("x"));
        assert_eq!(span.attr_str("i"), None);
        assert_eq!(span.links, vec![("11".repeat(16), "22".repeat(8))]);
        assert_eq!(span.events.len(), 1);
        assert_eq!(span.events[0].name, "exception");
        assert_eq!(span.events[0].time_unix_nano, 200);
        assert_eq!(span.events[0].attributes["exception.message"], "bad");
        assert_eq!(span.resource["service.name"], "svc");
    }

    #[test]
    fn converts_log_records() {
        let request = ExportLogsServiceRequest {
            resource_logs: vec![otlp_logs::ResourceLogs {
                resource: Some(Resource {
                    attributes: vec![kv(
                        "service.name",
                        any_value::Value::StringValue("weather-server".into()),
                    )],
                    ..Default::default()
                }),
                scope_logs: vec![otlp_logs::ScopeLogs {
                    scope: Some(
                        opentelemetry_proto::tonic::common::v1::InstrumentationScope {
                            name: "weather_server::tools".into(),
                            ..Default::default()
                        },
                    ),
                    log_records: vec![
                        otlp_logs::LogRecord {
                            trace_id: vec![0xab; 16],
                            span_id: vec![1, 2, 3, 4, 5, 6, 7, 8],
                            severity_number: 9,
                            severity_text: "INFO".into(),
                            time_unix_nano: 100,
                            observed_time_unix_nano: 150,
                            body: Some(AnyValue {
                                value: Some(any_value::Value::StringValue(
                                    "looked up Paris".into(),
                                )),
                            }),
                            attributes: vec![kv(
                                "city",
                                any_value::Value::StringValue("Paris".into()),
                            )],
                            ..Default::default()
                        },
                        // Outside any span, no event time, a structured body.
                        otlp_logs::LogRecord {
                            trace_id: vec![0; 16],
                            observed_time_unix_nano: 200,
                            body: Some(AnyValue {
                                value: Some(any_value::Value::IntValue(42)),
                            }),
                            ..Default::default()
                        },
                    ],
                    ..Default::default()
                }],
                ..Default::default()
            }],
        };
        let logs = convert_logs_request(request);
        assert_eq!(logs.len(), 2);
        assert_eq!(logs[0].trace_id.as_deref(), Some("ab".repeat(16).as_str()));
        assert_eq!(logs[0].span_id.as_deref(), Some("0102030405060708"));
        assert_eq!(logs[0].severity_text, "INFO");
        assert_eq!(logs[0].severity_number, 9);
        assert_eq!(logs[0].body, "looked up Paris");
        assert_eq!(logs[0].attr_str("city"), Some("Paris"));
        assert_eq!(logs[0].time_unix_nano, 100);
        assert_eq!(logs[0].service_name, "weather-server");
        assert_eq!(logs[0].target, "weather_server::tools");
        assert_eq!(logs[1].trace_id, None);
        assert_eq!(logs[1].span_id, None);
        assert_eq!(logs[1].body, "42");
        assert_eq!(logs[1].time_unix_nano, 200);
    }

    #[test]
    fn missing_service_name_is_unknown_service() {
        let request = ExportTraceServiceRequest {
            resource_spans: vec![otlp::ResourceSpans {
                resource: None,
                scope_spans: vec![otlp::ScopeSpans {
                    spans: vec![otlp::Span {
                        parent_span_id: vec![9; 8],
                        ..Default::default()
                    }],
                    ..Default::default()
                }],
                ..Default::default()
            }],
        };
        let spans = convert_request(request);
        assert_eq!(spans[0].service_name, "unknown_service");
        assert_eq!(spans[0].parent_span_id.as_deref(), Some("0909090909090909"));
        assert_eq!(spans[0].status, SpanStatus::Unset);
        assert_eq!(spans[0].kind, SpanKind::Unspecified);
    }
}
