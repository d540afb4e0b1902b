//! The MCP operation-duration metrics of the OpenTelemetry MCP semantic
//! conventions: histograms [`SERVER_OPERATION_DURATION`] and
//! [`CLIENT_OPERATION_DURATION`], in seconds, with the convention's bucket
//! boundaries ([`DURATION_BUCKETS`]).
//!
//! Metrics export is opt-in (`OTEL_METRICS_EXPORTER=otlp`, see
//! [`crate::config::MetricsConfig`]). [`crate::install`] then builds a meter
//! provider with a periodic OTLP reader, installs it globally and points
//! these instruments at it; the [`crate::Guard`] flushes and shuts it down.
//! Without that (metrics off, mode `off`, or before `install`) recording is a
//! single atomic load and a return.
//!
//! Callers pass the convention's attributes: `mcp.method.name` (required),
//! `gen_ai.tool.name`, `error.type`, `network.transport`,
//! `mcp.protocol.version`.
//!
//! ```
//! use std::time::Instant;
//! use mcp_trace_runtime::metrics;
//! use opentelemetry::KeyValue;
//!
//! let started = Instant::now();
//! // … handle a tools/call …
//! if metrics::enabled() {
//!     metrics::record_server_operation(
//!         started.elapsed(),
//!         &[
//!             KeyValue::new("mcp.method.name", "tools/call"),
//!             KeyValue::new("gen_ai.tool.name", "get_weather"),
//!             KeyValue::new("network.transport", "tcp"),
//!         ],
//!     );
//! }
//! ```
//!
//! ## Why the instruments live in an atomic pointer
//!
//! Instruments are created once per meter provider, not per call, and the
//! hot path must take no lock: `opentelemetry::global::meter()` reads a
//! process-wide `RwLock` every time, and a `OnceLock` filled from the global
//! meter would keep a no-op instrument forever when anything records before
//! `install`, and would keep recording into the first provider after a test
//! installs a second one. So [`use_meter_provider`] (called by `install`)
//! builds both histograms from the provider it is given and publishes them
//! with one atomic store; recording is one atomic load. A shut-down guard
//! unpublishes its own instruments only. The cost: every publication leaks
//! one small allocation (two instrument handles, which keep that provider's
//! pipeline alive), so publish once per provider, not per request.

use std::ptr;
use std::sync::atomic::{AtomicBool, AtomicPtr, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use opentelemetry::metrics::{Histogram, MeterProvider};
use opentelemetry::{InstrumentationScope, KeyValue};

use crate::conventions::{Transport, MCP_PROTOCOL_VERSION, NETWORK_TRANSPORT};
use crate::settings::{self, Mode};

/// `mcp.server.operation.duration`: how long the server took to handle a
/// request or notification, from receipt until the result is sent.
pub const SERVER_OPERATION_DURATION: &str = "mcp.server.operation.duration";

/// `mcp.client.operation.duration`: how long a request or notification took
/// as seen by the client, from sending until the response arrives.
pub const CLIENT_OPERATION_DURATION: &str = "mcp.client.operation.duration";

/// `mcp.server.session.duration`: how long a server session lasted, from a
/// successful `initialize` until the session's handler is dropped.
pub const SERVER_SESSION_DURATION: &str = "mcp.server.session.duration";

/// `mcp.client.session.duration`: how long a client session lasted, from a
/// successful `initialize` until the client closes or is dropped.
pub const CLIENT_SESSION_DURATION: &str = "mcp.client.session.duration";

/// Unit of the histograms (UCUM seconds).
pub const UNIT: &str = "s";

/// Explicit bucket boundaries the MCP semantic conventions advise, in seconds.
pub const DURATION_BUCKETS: [f64; 14] = [
    0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0,
];

/// Name of the instrumentation scope (meter) of both histograms.
pub const METER_NAME: &str = "mcp-trace-runtime";

/// The histograms of one meter provider.
#[derive(Debug)]
pub(crate) struct Instruments {
    server: Histogram<f64>,
    client: Histogram<f64>,
    server_session: Histogram<f64>,
    client_session: Histogram<f64>,
}

/// The published instruments; null while metrics are off.
static INSTRUMENTS: AtomicPtr<Instruments> = AtomicPtr::new(ptr::null_mut());

/// The instruments to record into, if metrics are on and the mode is not `off`.
#[inline]
fn instruments() -> Option<&'static Instruments> {
    // Acquire pairs with the Release store in `publish`: a non-null pointer
    // always points at fully built instruments.
    let instruments = INSTRUMENTS.load(Ordering::Acquire);
    if instruments.is_null() || settings::mode() == Mode::Off {
        return None;
    }
    // SAFETY: non-null pointers stored in INSTRUMENTS come from `Box::leak`
    // in `publish` and are never freed, so they stay valid for 'static.
    Some(unsafe { &*instruments })
}

/// Whether recording does anything. Check it before building attributes so
/// that a process without metrics does no work for them.
///
/// ```
/// // Nothing installed a meter provider in this example.
/// assert!(!mcp_trace_runtime::metrics::enabled());
/// ```
#[inline]
pub fn enabled() -> bool {
    instruments().is_some()
}

/// Records one server-side MCP operation in `mcp.server.operation.duration`.
/// Does nothing while metrics are off.
///
/// ```
/// use std::time::Duration;
/// use opentelemetry::KeyValue;
///
/// mcp_trace_runtime::metrics::record_server_operation(
///     Duration::from_millis(42),
///     &[
///         KeyValue::new("mcp.method.name", "tools/call"),
///         KeyValue::new("gen_ai.tool.name", "get_weather"),
///         KeyValue::new("network.transport", "tcp"),
///         KeyValue::new("mcp.protocol.version", "2025-06-18"),
///     ],
/// );
/// ```
#[inline]
pub fn record_server_operation(duration: Duration, attributes: &[KeyValue]) {
    if let Some(instruments) = instruments() {
        instruments
            .server
            .record(duration.as_secs_f64(), attributes);
    }
}

/// Records one client-side MCP operation in `mcp.client.operation.duration`.
/// Does nothing while metrics are off.
///
/// ```
/// use std::time::Duration;
/// use opentelemetry::KeyValue;
///
/// mcp_trace_runtime::metrics::record_client_operation(
///     Duration::from_millis(250),
///     &[
///         KeyValue::new("mcp.method.name", "tools/call"),
///         KeyValue::new("gen_ai.tool.name", "get_forecast"),
///         KeyValue::new("error.type", "tool_error"),
///     ],
/// );
/// ```
#[inline]
pub fn record_client_operation(duration: Duration, attributes: &[KeyValue]) {
    if let Some(instruments) = instruments() {
        instruments
            .client
            .record(duration.as_secs_f64(), attributes);
    }
}

/// Which side of a session a [`SessionClock`] measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionSide {
    /// `mcp.server.session.duration`.
    Server,
    /// `mcp.client.session.duration`.
    Client,
}

/// Measures one MCP session: started when `initialize` succeeds, recorded
/// once when the clock is dropped (or [`SessionClock::end`]s), with
/// `mcp.protocol.version` and `network.transport`. A clock never started
/// records nothing (stateless requests have no session).
///
/// ```
/// use mcp_trace_runtime::metrics::{SessionClock, SessionSide};
/// use mcp_trace_runtime::conventions::Transport;
///
/// let clock = SessionClock::new(SessionSide::Server);
/// clock.start("2025-06-18".into(), Transport::Pipe);
/// drop(clock); // records the session's duration when metrics are on
/// ```
#[derive(Debug)]
pub struct SessionClock {
    side: SessionSide,
    started: OnceLock<(Instant, String, Transport)>,
    ended: AtomicBool,
}

impl SessionClock {
    /// A clock for one session, not started yet.
    pub fn new(side: SessionSide) -> SessionClock {
        SessionClock {
            side,
            started: OnceLock::new(),
            ended: AtomicBool::new(false),
        }
    }

    /// Starts the session at protocol `version` on `transport` (the first
    /// call counts).
    pub fn start(&self, version: String, transport: Transport) {
        let _ = self.started.set((Instant::now(), version, transport));
    }

    /// Records the session now, if it started and was not recorded yet.
    pub fn end(&self) {
        let Some((started, version, transport)) = self.started.get() else {
            return;
        };
        if self.ended.swap(true, Ordering::AcqRel) {
            return;
        }
        let Some(instruments) = instruments() else {
            return;
        };
        let attributes = [
            KeyValue::new(MCP_PROTOCOL_VERSION, version.clone()),
            KeyValue::new(NETWORK_TRANSPORT, transport.as_str()),
        ];
        let histogram = match self.side {
            SessionSide::Server => &instruments.server_session,
            SessionSide::Client => &instruments.client_session,
        };
        histogram.record(started.elapsed().as_secs_f64(), &attributes);
    }
}

impl Drop for SessionClock {
    fn drop(&mut self) {
        self.end();
    }
}

/// Records into histograms made by `provider` from now on. [`crate::install`]
/// calls this with the provider it builds when metrics export is on; call it
/// yourself to send the MCP metrics through a meter provider you set up
/// (e.g. `&*opentelemetry::global::meter_provider()`). Leaks one small
/// allocation per call (see the module documentation): call it once.
///
/// ```
/// use opentelemetry_sdk::metrics::{InMemoryMetricExporter, PeriodicReader, SdkMeterProvider};
/// # use std::time::Duration;
///
/// let exporter = InMemoryMetricExporter::default();
/// let provider = SdkMeterProvider::builder()
///     .with_reader(PeriodicReader::builder(exporter.clone()).build())
///     .build();
/// mcp_trace_runtime::metrics::use_meter_provider(&provider);
/// assert!(mcp_trace_runtime::metrics::enabled());
/// mcp_trace_runtime::metrics::record_client_operation(Duration::from_millis(5), &[]);
/// mcp_trace_runtime::metrics::disable();
/// assert!(!mcp_trace_runtime::metrics::enabled());
/// # provider.shutdown().unwrap();
/// ```
pub fn use_meter_provider<P: MeterProvider + ?Sized>(provider: &P) {
    publish(provider);
}

/// Stops recording the MCP metrics (until [`use_meter_provider`] or
/// [`crate::install`] turns them on again).
pub fn disable() {
    INSTRUMENTS.store(ptr::null_mut(), Ordering::Release);
}

/// Builds the histograms from `provider`, publishes them and returns them,
/// so the guard that owns `provider` can later unpublish exactly these.
pub(crate) fn publish<P: MeterProvider + ?Sized>(provider: &P) -> &'static Instruments {
    let meter = provider.meter_with_scope(
        InstrumentationScope::builder(METER_NAME)
            .with_version(env!("CARGO_PKG_VERSION"))
            .build(),
    );
    let histogram = |name: &'static str, description: &'static str| {
        meter
            .f64_histogram(name)
            .with_unit(UNIT)
            .with_description(description)
            .with_boundaries(DURATION_BUCKETS.to_vec())
            .build()
    };
    let instruments: &'static Instruments = Box::leak(Box::new(Instruments {
        server: histogram(
            SERVER_OPERATION_DURATION,
            "Duration of MCP requests and notifications as observed by the server",
        ),
        client: histogram(
            CLIENT_OPERATION_DURATION,
            "Duration of MCP requests and notifications as observed by the client",
        ),
        server_session: histogram(
            SERVER_SESSION_DURATION,
            "Duration of MCP sessions as observed by the server",
        ),
        client_session: histogram(
            CLIENT_SESSION_DURATION,
            "Duration of MCP sessions as observed by the client",
        ),
    }));
    INSTRUMENTS.store(ptr::from_ref(instruments).cast_mut(), Ordering::Release);
    instruments
}

/// Unpublishes `instruments` if they are still the published ones (a newer
/// `install` may have replaced them; those stay).
pub(crate) fn unpublish(instruments: &'static Instruments) {
    let _ = INSTRUMENTS.compare_exchange(
        ptr::from_ref(instruments).cast_mut(),
        ptr::null_mut(),
        Ordering::AcqRel,
        Ordering::Acquire,
    );
}
