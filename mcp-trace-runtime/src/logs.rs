//! Logs correlated with traces: `tracing` events and `log` records emitted
//! while a call runs are exported as OpenTelemetry log records carrying the
//! call's trace id and span id, and `tracing` spans join the trace.
//!
//! [`crate::install`] (and so [`crate::init`]) does the wiring when the
//! program has none of its own: with no `tracing` subscriber set yet it sets
//! `tracing_subscriber::registry().with(logs::layer())` as the global default,
//! and with no `log` logger set it sets one that forwards to the same logs.
//! A program with its own subscriber adds [`layer`] to it, before or after
//! `init` (the layer finds the pipeline `init` installs, and does nothing
//! until then or with logs off):
//!
//! ```no_run
//! use tracing_subscriber::layer::SubscriberExt as _;
//! use tracing_subscriber::util::SubscriberInitExt as _;
//!
//! fn main() -> Result<(), mcp_trace_runtime::Error> {
//!     tracing_subscriber::registry()
//!         // .with(tracing_subscriber::fmt::layer()) — your own layers stay
//!         .with(mcp_trace_runtime::logs::layer())
//!         .init();
//!     let _guard = mcp_trace_runtime::init("weather-server")?;
//!     tracing::info!("ready"); // exported as a log record
//!     Ok(())
//! }
//! ```
//!
//! What the layer does:
//! - **records**: every event at or above `MCP_TRACE_LOG_LEVEL` (default
//!   `info,rmcp=warn`, `Targets` syntax: `warn,my_crate=debug`) becomes a
//!   log record.
//!   The OpenTelemetry SDK takes its trace id and span id from the current
//!   OpenTelemetry context, which is the observation's or MCP span's while a
//!   traced call runs, or the innermost `tracing` span's (see below).
//! - **spans**: in mode `native`, every `tracing` span passing the same level
//!   filter becomes an OpenTelemetry span (`tracing-opentelemetry`), a child
//!   of the current context: a `#[tracing::instrument]` function called by a
//!   tool is a child of the tool's span. Entering a `tracing` span makes it
//!   the current context (context activation), so an `#[observe]` function
//!   called inside it is its child. `tracing` events stay log records; they
//!   are not also copied onto spans as span events.
//! - never exported: records and spans of the exporters' own stack (`hyper`,
//!   `hyper_util`, `h2`, `reqwest`, `tonic`, `tower`, `rustls`,
//!   `opentelemetry*`), which would feed back into the pipeline, nor rmcp's
//!   session-long spans (`serve_inner`, `streamable_http_session`,
//!   `transport_worker`), which would swallow every call into one trace.
//!   rmcp's events are records like any other's, from `warn` up unless
//!   `MCP_TRACE_LOG_LEVEL` names rmcp or sets another default.
//!
//! With the logs off and the mode `off` nothing is set: a `tracing::info!`
//! then costs what it costs without any subscriber.

use std::fmt;
use std::ptr;
use std::sync::atomic::{AtomicBool, AtomicPtr, Ordering};

use opentelemetry::trace::{SpanBuilder, Tracer};
use opentelemetry_appender_log::OpenTelemetryLogBridge;
use opentelemetry_appender_tracing::layer::OpenTelemetryTracingBridge;
use opentelemetry_sdk::logs::{SdkLogger, SdkLoggerProvider};
use tracing::subscriber::Interest;
use tracing::{Event, Metadata, Subscriber};
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::layer::{Context, Filter, Layer, SubscriberExt as _};
use tracing_subscriber::registry::LookupSpan;

/// Instrumentation scope of the spans made from `tracing` spans.
pub const TRACING_SCOPE: &str = "tracing";

/// Crates whose records and spans are never exported: the exporters' own
/// HTTP/gRPC stack and the SDK. Their events are emitted on the exporters'
/// threads while a batch is sent; exporting them would send more batches.
const EXPORTER_STACK: &[&str] = &[
    "hyper",
    "hyper_util",
    "h2",
    "reqwest",
    "tonic",
    "tower",
    "rustls",
    "tracing_opentelemetry",
    // The runtime's own warnings: about failing exports, among them this one.
    crate::diagnostics::TARGET,
];

/// Crates whose spans are never exported (their events are): rmcp opens a
/// span per session and runs every handler inside it.
const SPANLESS: &[&str] = &["rmcp"];

/// The `tracing` layer that exports events as log records and spans as spans
/// of the current trace; add it to your own subscriber (see the [module
/// documentation](self)). It does nothing until [`crate::install`] has
/// installed a pipeline, and nothing for what that pipeline leaves off.
///
/// ```
/// use tracing_subscriber::layer::SubscriberExt as _;
///
/// let subscriber = tracing_subscriber::registry().with(mcp_trace_runtime::logs::layer());
/// tracing::subscriber::with_default(subscriber, || {
///     // No pipeline installed: the event is dropped at its call site.
///     tracing::info!("not exported");
/// });
/// ```
pub fn layer<S>() -> impl Layer<S> + Send + Sync + 'static
where
    // Every subscriber a layer can be installed in is `Send + Sync + 'static`.
    S: Subscriber + for<'span> LookupSpan<'span> + Send + Sync + 'static,
{
    let spans = tracing_opentelemetry::OpenTelemetryLayer::new(CurrentTracer)
        // Thread names and busy/idle times cost an allocation and two clock
        // reads per span; code location and target are what a reader needs.
        .with_threads(false)
        .with_tracked_inactivity(false)
        .with_filter(PipelineFilter::Spans);
    let records = RecordBridge.with_filter(PipelineFilter::Records);
    spans.and_then(records)
}

/// Whether `tracing` events and `log` records are being exported now.
///
/// ```
/// // Nothing installed a pipeline in this example.
/// assert!(!mcp_trace_runtime::logs::enabled());
/// ```
pub fn enabled() -> bool {
    bridges().is_some_and(|bridges| bridges.records.is_some())
}

/// What [`crate::install`] publishes for [`layer`] and the `log` forwarder.
pub(crate) struct Bridges {
    /// The level filter (`MCP_TRACE_LOG_LEVEL`) for records and spans alike.
    filter: Targets,
    /// `None` when logs are off.
    records: Option<Records>,
    /// Whether `tracing` spans become OpenTelemetry spans (mode `native`).
    spans: bool,
}

struct Records {
    tracing: OpenTelemetryTracingBridge<SdkLoggerProvider, SdkLogger>,
    log: OpenTelemetryLogBridge<SdkLoggerProvider, SdkLogger>,
}

impl fmt::Debug for Bridges {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Bridges")
            .field("filter", &self.filter)
            .field("records", &self.records.is_some())
            .field("spans", &self.spans)
            .finish()
    }
}

static BRIDGES: AtomicPtr<Bridges> = AtomicPtr::new(ptr::null_mut());
/// Whether [`LOG_FORWARDER`] is the process's `log` logger.
static LOG_FORWARDER_SET: AtomicBool = AtomicBool::new(false);
static LOG_FORWARDER: LogForwarder = LogForwarder;

#[inline]
fn bridges() -> Option<&'static Bridges> {
    // Acquire pairs with the Release store in `publish`: a non-null pointer
    // always points at fully built bridges.
    let bridges = BRIDGES.load(Ordering::Acquire);
    // SAFETY: non-null pointers stored in BRIDGES come from `Box::leak` in
    // `publish` and are never freed, so they stay valid for 'static.
    (!bridges.is_null()).then(|| unsafe { &*bridges })
}

/// Publishes what [`layer`] and the `log` forwarder use (replacing what an
/// earlier install published), and sets the global subscriber and logger
/// when none are set. Returns `None`, publishing nothing, when there is
/// nothing to export: no logs and no spans to bridge.
pub(crate) fn publish(
    logger_provider: Option<&SdkLoggerProvider>,
    spans: bool,
    filter: Targets,
) -> Option<&'static Bridges> {
    let off = max_level(&filter) == LevelFilter::OFF;
    let records = logger_provider.filter(|_| !off).map(|provider| Records {
        tracing: OpenTelemetryTracingBridge::new(provider),
        log: OpenTelemetryLogBridge::new(provider),
    });
    let spans = spans && !off;
    if records.is_none() && !spans {
        store(ptr::null_mut());
        return None;
    }
    let has_records = records.is_some();
    let bridges: &'static Bridges = Box::leak(Box::new(Bridges {
        filter,
        records,
        spans,
    }));
    store(ptr::from_ref(bridges).cast_mut());
    // Fails when the application set its own subscriber: then it is theirs
    // to add `layer()` to.
    if tracing::subscriber::set_global_default(tracing_subscriber::registry().with(layer())).is_ok()
    {
        crate::diagnostics::own_subscriber_installed();
    }
    if has_records && log::set_logger(&LOG_FORWARDER).is_ok() {
        LOG_FORWARDER_SET.store(true, Ordering::Release);
    }
    update_log_max_level();
    Some(bridges)
}

/// Stops forwarding to `bridges` unless a newer install replaced them.
pub(crate) fn unpublish(bridges: &'static Bridges) {
    if BRIDGES
        .compare_exchange(
            ptr::from_ref(bridges).cast_mut(),
            ptr::null_mut(),
            Ordering::AcqRel,
            Ordering::Acquire,
        )
        .is_ok()
    {
        tracing::callsite::rebuild_interest_cache();
        update_log_max_level();
    }
}

fn store(bridges: *mut Bridges) {
    BRIDGES.store(bridges, Ordering::Release);
    // The filters answer once per call site and `tracing` caches the answer;
    // a new pipeline (or none) must be asked again.
    tracing::callsite::rebuild_interest_cache();
}

/// `log`'s global maximum is its call sites' only check: keep it at what the
/// filter lets through, `Off` without records, so a disabled `log::debug!`
/// stays one relaxed load.
fn update_log_max_level() {
    if !LOG_FORWARDER_SET.load(Ordering::Acquire) {
        return;
    }
    let level = match bridges() {
        Some(Bridges {
            records: Some(_),
            filter,
            ..
        }) => max_level(filter),
        _ => LevelFilter::OFF,
    };
    log::set_max_level(match level {
        LevelFilter::TRACE => log::LevelFilter::Trace,
        LevelFilter::DEBUG => log::LevelFilter::Debug,
        LevelFilter::INFO => log::LevelFilter::Info,
        LevelFilter::WARN => log::LevelFilter::Warn,
        LevelFilter::ERROR => log::LevelFilter::Error,
        _ => log::LevelFilter::Off,
    });
}

/// The most verbose level any directive of `filter` lets through.
fn max_level(filter: &Targets) -> LevelFilter {
    filter
        .iter()
        .map(|(_, level)| level)
        .chain(filter.default_level())
        .max()
        .unwrap_or(LevelFilter::OFF)
}

/// Whether `target` is (a module of) one of `crates`; `opentelemetry` covers
/// every `opentelemetry*` crate.
fn is_in(target: &str, crates: &[&str]) -> bool {
    target.starts_with("opentelemetry")
        || crates.iter().any(|krate| {
            target
                .strip_prefix(krate)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with("::"))
        })
}

fn record_enabled(bridges: &Bridges, target: &str, level: &tracing::Level) -> bool {
    bridges.records.is_some()
        && !is_in(target, EXPORTER_STACK)
        && bridges.filter.would_enable(target, level)
}

fn span_enabled(bridges: &Bridges, target: &str, level: &tracing::Level) -> bool {
    bridges.spans
        && !is_in(target, EXPORTER_STACK)
        && !is_in(target, SPANLESS)
        && bridges.filter.would_enable(target, level)
}

fn interest(enabled: bool) -> Interest {
    if enabled {
        Interest::always()
    } else {
        Interest::never()
    }
}

/// What one of [`layer`]'s two halves lets through, from what the published
/// pipeline exports: events as records, or spans into the trace (never
/// events as span events: they are records).
#[derive(Clone, Copy)]
enum PipelineFilter {
    Records,
    Spans,
}

impl PipelineFilter {
    fn wants(self, meta: &Metadata<'_>) -> bool {
        let Some(bridges) = bridges() else {
            return false;
        };
        match self {
            PipelineFilter::Records => {
                meta.is_event() && record_enabled(bridges, meta.target(), meta.level())
            }
            PipelineFilter::Spans => {
                meta.is_span() && span_enabled(bridges, meta.target(), meta.level())
            }
        }
    }

    /// Whether this half has anything to do at all.
    fn active(self, bridges: &Bridges) -> bool {
        match self {
            PipelineFilter::Records => bridges.records.is_some(),
            PipelineFilter::Spans => bridges.spans,
        }
    }
}

impl<S> Filter<S> for PipelineFilter {
    fn enabled(&self, meta: &Metadata<'_>, _: &Context<'_, S>) -> bool {
        self.wants(meta)
    }

    fn callsite_enabled(&self, meta: &'static Metadata<'static>) -> Interest {
        interest(self.wants(meta))
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        Some(match bridges() {
            Some(bridges) if self.active(bridges) => max_level(&bridges.filter),
            _ => LevelFilter::OFF,
        })
    }
}

/// Hands each event to the published `tracing` bridge.
struct RecordBridge;

impl<S> Layer<S> for RecordBridge
where
    S: Subscriber + for<'span> LookupSpan<'span>,
{
    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        if let Some(records) = bridges().and_then(|bridges| bridges.records.as_ref()) {
            records.tracing.on_event(event, ctx);
        }
    }
}

/// The `log` logger [`crate::install`] sets when the program has none.
struct LogForwarder;

impl log::Log for LogForwarder {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        let level = match metadata.level() {
            log::Level::Error => tracing::Level::ERROR,
            log::Level::Warn => tracing::Level::WARN,
            log::Level::Info => tracing::Level::INFO,
            log::Level::Debug => tracing::Level::DEBUG,
            log::Level::Trace => tracing::Level::TRACE,
        };
        bridges().is_some_and(|bridges| record_enabled(bridges, metadata.target(), &level))
    }

    fn log(&self, record: &log::Record<'_>) {
        if !log::Log::enabled(self, record.metadata()) {
            return;
        }
        if let Some(records) = bridges().and_then(|bridges| bridges.records.as_ref()) {
            records.log.log(record);
        }
    }

    fn flush(&self) {}
}

/// The tracer behind `tracing` spans: the global tracer provider's, looked up
/// per span like [`crate::conventions::tracer`], so [`layer`] can be built
/// before [`crate::install`] and follows a later install.
#[derive(Debug, Clone, Copy)]
struct CurrentTracer;

impl Tracer for CurrentTracer {
    type Span = opentelemetry::global::BoxedSpan;

    fn build_with_context(
        &self,
        builder: SpanBuilder,
        parent_cx: &opentelemetry::Context,
    ) -> Self::Span {
        opentelemetry::global::tracer(TRACING_SCOPE).build_with_context(builder, parent_cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exporter_crates_are_matched_at_crate_boundaries() {
        for target in [
            "hyper",
            "hyper::proto::h1",
            "hyper_util::client",
            "h2::codec",
            "reqwest::connect",
            "opentelemetry_sdk",
            "opentelemetry-otlp",
            "opentelemetry",
        ] {
            assert!(is_in(target, EXPORTER_STACK), "{target}");
        }
        for target in ["hyperion", "weather_server", "my_h2_app", "towering::x"] {
            assert!(!is_in(target, EXPORTER_STACK), "{target}");
        }
        // The runtime's warnings about failing exports never become records.
        assert!(is_in(crate::diagnostics::TARGET, EXPORTER_STACK));
        assert!(is_in("rmcp::service", SPANLESS));
        assert!(!is_in("rmcp_extra", SPANLESS));
    }

    #[test]
    fn the_filter_decides_records_and_spans_alike() {
        let bridges = Bridges {
            filter: "warn,weather_server=debug".parse().unwrap(),
            records: None,
            spans: true,
        };
        use tracing::Level;
        // No logger provider: no records, whatever the level.
        assert!(!record_enabled(&bridges, "weather_server", &Level::ERROR));
        assert!(span_enabled(&bridges, "weather_server", &Level::DEBUG));
        assert!(!span_enabled(&bridges, "weather_server", &Level::TRACE));
        assert!(!span_enabled(&bridges, "other", &Level::INFO));
        assert!(span_enabled(&bridges, "other", &Level::WARN));
        assert!(!span_enabled(&bridges, "rmcp::service", &Level::ERROR));
        assert!(!span_enabled(&bridges, "hyper", &Level::ERROR));
        assert_eq!(max_level(&bridges.filter), LevelFilter::DEBUG);
        assert_eq!(max_level(&"off".parse().unwrap()), LevelFilter::OFF);
        assert_eq!(
            max_level(&"off,a=error".parse().unwrap()),
            LevelFilter::ERROR
        );
    }
}
