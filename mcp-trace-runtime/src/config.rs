//! Tracing configuration, read from the environment into plain values.
//!
//! Parsing is a pure function of a variable lookup ([`Config::from_lookup`]),
//! so every rule below is testable without touching the process environment.
//! [`crate::install`] turns a `Config` into a tracer provider.
//!
//! Rules worth knowing:
//! - `OTEL_SERVICE_NAME` beats `service.name` in `OTEL_RESOURCE_ATTRIBUTES`,
//!   which beats the name passed to [`crate::init`].
//! - The OTLP exporter is on when `OTEL_TRACES_EXPORTER` names `otlp`, or when
//!   it is unset and either an `OTEL_EXPORTER_OTLP_*ENDPOINT` is set or no other
//!   destination (Langfuse, `MCP_TRACE_FILE`) is configured — so setting only
//!   the Langfuse keys does not also send to `localhost:4318`.
//! - `OTEL_TRACES_SAMPLER` beats `LANGFUSE_SAMPLE_RATE`; the default samples
//!   everything and follows the caller's sampling decision.
//! - Metrics export is opt-in (`OTEL_METRICS_EXPORTER=otlp`); its endpoint,
//!   protocol, headers and timeout follow the same rules as the traces', with
//!   `OTEL_EXPORTER_OTLP_METRICS_*` in place of `OTEL_EXPORTER_OTLP_TRACES_*`.
//! - Logs follow the traces: unless `OTEL_LOGS_EXPORTER` says otherwise, they
//!   go over OTLP when the traces do and an endpoint for them is known (the
//!   traces use the default endpoint, or `OTEL_EXPORTER_OTLP_ENDPOINT` or
//!   `OTEL_EXPORTER_OTLP_LOGS_ENDPOINT` is set), and into `MCP_TRACE_FILE`;
//!   never to Langfuse, which does not ingest logs. `MCP_TRACE_LOG_LEVEL`
//!   (default `info`) picks the records; `off` stops log export everywhere.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use crate::error::Error;
pub use crate::settings::InboundContext;
use crate::settings::{Mode, DEFAULT_VALUE_LENGTH_LIMIT};

/// Langfuse Cloud, the Langfuse SDK's default host.
pub const DEFAULT_LANGFUSE_BASE_URL: &str = "https://cloud.langfuse.com";
/// Path of Langfuse's OTLP/HTTP traces endpoint below its base URL.
pub const LANGFUSE_TRACES_PATH: &str = "/api/public/otel/v1/traces";

const DEFAULT_OTLP_HTTP_ENDPOINT: &str = "http://localhost:4318";
const DEFAULT_OTLP_GRPC_ENDPOINT: &str = "http://localhost:4317";
const DEFAULT_OTLP_TIMEOUT: Duration = Duration::from_secs(10);
const DEFAULT_METRIC_EXPORT_INTERVAL: Duration = Duration::from_secs(60);
/// `MCP_TRACE_LOG_LEVEL` when unset: what most services log in production,
/// without rmcp's session lifecycle (`Service initialized`, `input stream
/// terminated`, `serve finished`): three records per stateless HTTP request,
/// outside any trace, which cost more to export than the call's own records.
pub const DEFAULT_LOG_LEVEL: &str = "info,rmcp=warn";

/// Everything [`crate::install`] needs, parsed and validated.
///
/// ```
/// use mcp_trace_runtime::Config;
/// let config = Config::from_lookup("weather-server", |name| match name {
///     "OTEL_EXPORTER_OTLP_ENDPOINT" => Some("http://collector:4318".into()),
///     _ => None,
/// })
/// .unwrap();
/// assert_eq!(config.service_name, "weather-server");
/// assert_eq!(
///     config.otlp.unwrap().endpoint,
///     "http://collector:4318/v1/traces"
/// );
/// ```
///
/// `Config` may gain fields: it cannot be written as a struct literal
/// outside this crate. Start from [`Config::from_env`],
/// [`Config::from_lookup`] or [`Config::new`] and assign the fields to change.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Config {
    /// `MCP_TRACE_MODE`.
    pub mode: Mode,
    /// `service.name` of every span this process exports.
    pub service_name: String,
    /// `service.version`, when known (set it from `env!("CARGO_PKG_VERSION")`).
    pub service_version: Option<String>,
    /// Further resource attributes from `OTEL_RESOURCE_ATTRIBUTES`.
    pub resource_attributes: Vec<(String, String)>,
    /// The standard OTLP exporter, when on.
    pub otlp: Option<OtlpTarget>,
    /// Further OTLP destinations set in code (the demo adds its embedded
    /// collector here, so spans also reach what the environment names).
    pub extra_otlp: Vec<OtlpTarget>,
    /// Langfuse export, when both keys are set.
    pub langfuse: Option<LangfuseTarget>,
    /// `MCP_TRACE_FILE`: OTLP-JSON lines, one export request per line.
    pub trace_file: Option<PathBuf>,
    /// `OTEL_TRACES_EXPORTER` contains `console`: one line per span on stdout.
    pub console: bool,
    /// Which traces are recorded.
    pub sampler: SamplerSetting,
    /// `OTEL_PROPAGATORS`, in order.
    pub propagators: Vec<Propagator>,
    /// `LANGFUSE_OBSERVE_DECORATOR_IO_CAPTURE_ENABLED`.
    pub capture_io: bool,
    /// `OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT`, bytes.
    pub value_length_limit: usize,
    /// `MCP_TRACE_INBOUND_CONTEXT`: what a server does with a caller's context.
    pub inbound_context: InboundContext,
    /// MCP operation-duration metrics: off unless `OTEL_METRICS_EXPORTER`
    /// names `otlp` or code adds a destination (see [`crate::metrics`]).
    pub metrics: MetricsConfig,
    /// OpenTelemetry logs from `tracing` events and `log` records (see
    /// [`crate::logs`]): on by default wherever the traces go over OTLP.
    pub logs: LogsConfig,
    /// `OTEL_BSP_*`: every span destination's batch processor.
    pub span_batch: BatchSettings,
}

/// Where the MCP operation-duration metrics go (see [`crate::metrics`]).
///
/// Metrics export is opt-in: on when `OTEL_METRICS_EXPORTER` names `otlp`, or
/// when code adds a destination to [`MetricsConfig::extra_otlp`].
///
/// ```
/// use mcp_trace_runtime::config::{Config, OtlpTarget};
/// let mut config = Config::from_lookup("demo", |_| None).unwrap();
/// assert!(!config.metrics.is_enabled());
/// config
///     .metrics
///     .extra_otlp
///     .push(OtlpTarget::http_metrics("http://127.0.0.1:4318"));
/// assert!(config.metrics.is_enabled());
/// assert_eq!(
///     config.metrics.extra_otlp[0].endpoint,
///     "http://127.0.0.1:4318/v1/metrics"
/// );
/// ```
///
/// It may gain fields: start from [`MetricsConfig::default`] (or a parsed
/// [`Config`]'s) and assign the fields to change.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct MetricsConfig {
    /// The standard OTLP metrics exporter (`OTEL_METRICS_EXPORTER=otlp`), with
    /// `OTEL_EXPORTER_OTLP_METRICS_*` beating `OTEL_EXPORTER_OTLP_*`.
    pub otlp: Option<OtlpTarget>,
    /// Further OTLP metrics destinations set in code (the demo adds its
    /// embedded collector here); full URLs, e.g. from [`OtlpTarget::http_metrics`].
    pub extra_otlp: Vec<OtlpTarget>,
    /// `OTEL_METRIC_EXPORT_INTERVAL`: time between two exports (default 60 s).
    pub export_interval: Duration,
}

impl MetricsConfig {
    /// Whether any metrics destination is configured.
    pub fn is_enabled(&self) -> bool {
        self.otlp.is_some() || !self.extra_otlp.is_empty()
    }
}

impl Default for MetricsConfig {
    /// Off, with the OpenTelemetry default interval of 60 s.
    fn default() -> Self {
        MetricsConfig {
            otlp: None,
            extra_otlp: Vec::new(),
            export_interval: DEFAULT_METRIC_EXPORT_INTERVAL,
        }
    }
}

/// Where `tracing` events and `log` records go as OpenTelemetry logs, each
/// carrying the trace and span id of the call it was emitted in (see
/// [`crate::logs`]).
///
/// On by default wherever the traces go over OTLP (see the module
/// documentation for the exact rule) and into `MCP_TRACE_FILE`; Langfuse gets
/// none, it does not ingest logs.
///
/// ```
/// use mcp_trace_runtime::config::{Config, OtlpTarget};
/// let config = Config::from_lookup("demo", |name| match name {
///     "OTEL_EXPORTER_OTLP_ENDPOINT" => Some("http://collector:4318".into()),
///     "MCP_TRACE_LOG_LEVEL" => Some("warn,weather_server=debug".into()),
///     _ => None,
/// })
/// .unwrap();
/// assert_eq!(
///     config.logs.otlp.as_ref().unwrap().endpoint,
///     "http://collector:4318/v1/logs"
/// );
/// assert_eq!(config.logs.level, "warn,weather_server=debug");
/// assert!(config.logs.is_enabled());
///
/// let mut config = Config::from_lookup("demo", |name| match name {
///     "OTEL_LOGS_EXPORTER" => Some("none".into()),
///     _ => None,
/// })
/// .unwrap();
/// assert!(!config.logs.is_enabled());
/// config
///     .logs
///     .extra_otlp
///     .push(OtlpTarget::http_logs("http://127.0.0.1:4318"));
/// assert!(config.logs.is_enabled());
/// ```
///
/// It may gain fields: start from [`LogsConfig::default`] (or a parsed
/// [`Config`]'s) and assign the fields to change.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct LogsConfig {
    /// The standard OTLP logs exporter, with `OTEL_EXPORTER_OTLP_LOGS_*`
    /// beating `OTEL_EXPORTER_OTLP_*`.
    pub otlp: Option<OtlpTarget>,
    /// Further OTLP logs destinations set in code (the demo adds its embedded
    /// collector here); full URLs, e.g. from [`OtlpTarget::http_logs`].
    pub extra_otlp: Vec<OtlpTarget>,
    /// `OTEL_LOGS_EXPORTER` contains `console`: one line per record on stdout.
    pub console: bool,
    /// `MCP_TRACE_FILE`: log export requests as OTLP-JSON lines, in the same
    /// file as the spans.
    pub file: Option<PathBuf>,
    /// `MCP_TRACE_LOG_LEVEL`: which records are exported, and which `tracing`
    /// spans join the trace, in `tracing_subscriber`'s `Targets` syntax
    /// (`info`, `warn,my_crate=debug`, `off`); validated when parsed.
    pub level: String,
    /// `OTEL_BLRP_*`: every logs destination's batch processor.
    pub batch: BatchSettings,
}

impl LogsConfig {
    /// Whether any record can be exported: a destination is configured and
    /// the level is not `off`.
    pub fn is_enabled(&self) -> bool {
        let destination = self.otlp.is_some()
            || !self.extra_otlp.is_empty()
            || self.console
            || self.file.is_some();
        destination && !level_is_off(&self.level)
    }

    /// [`LogsConfig::level`] as a filter; an error names `MCP_TRACE_LOG_LEVEL`
    /// when code set a level that does not parse.
    ///
    /// ```
    /// let config = mcp_trace_runtime::Config::from_lookup("demo", |_| None).unwrap();
    /// let filter = config.logs.filter().unwrap();
    /// assert!(filter.would_enable("my_crate", &tracing::Level::INFO));
    /// assert!(!filter.would_enable("my_crate", &tracing::Level::DEBUG));
    /// ```
    pub fn filter(&self) -> Result<tracing_subscriber::filter::Targets, Error> {
        parse_log_level(&self.level)
    }
}

impl Default for LogsConfig {
    /// No destination, level `info`.
    fn default() -> Self {
        LogsConfig {
            otlp: None,
            extra_otlp: Vec::new(),
            console: false,
            file: None,
            level: DEFAULT_LOG_LEVEL.to_string(),
            batch: BatchSettings::LOGS,
        }
    }
}

/// A batch processor's queue and schedule (`OTEL_BSP_*` for spans,
/// `OTEL_BLRP_*` for log records). The queue bounds memory: what does not
/// fit is dropped, counted and reported. Each export is bounded by the
/// destination's `OTEL_EXPORTER_OTLP_TIMEOUT`; `OTEL_BSP_EXPORT_TIMEOUT` /
/// `OTEL_BLRP_EXPORT_TIMEOUT` are validated but not used by the SDK's
/// thread-based processors.
///
/// ```
/// let config = mcp_trace_runtime::Config::from_lookup("svc", |name| {
///     (name == "OTEL_BSP_MAX_QUEUE_SIZE").then(|| "8192".to_string())
/// })
/// .unwrap();
/// assert_eq!(config.span_batch.max_queue_size, 8192);
/// assert_eq!(config.span_batch.max_export_batch_size, 512);
/// ```
///
/// It may gain fields: start from [`BatchSettings::SPANS`] or
/// [`BatchSettings::LOGS`] and change it with the `with_…` methods.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct BatchSettings {
    /// `OTEL_B*_SCHEDULE_DELAY` (milliseconds): the longest a finished item
    /// waits before its batch is sent.
    pub schedule_delay: Duration,
    /// `OTEL_B*_MAX_QUEUE_SIZE`: items held at most.
    pub max_queue_size: usize,
    /// `OTEL_B*_MAX_EXPORT_BATCH_SIZE`: items per export request at most.
    pub max_export_batch_size: usize,
}

impl BatchSettings {
    /// The specification's defaults for spans: 5 s, 2048, 512.
    pub const SPANS: BatchSettings = BatchSettings {
        schedule_delay: Duration::from_millis(5000),
        max_queue_size: 2048,
        max_export_batch_size: 512,
    };

    /// The specification's defaults for log records: 1 s, 2048, 512.
    pub const LOGS: BatchSettings = BatchSettings {
        schedule_delay: Duration::from_millis(1000),
        max_queue_size: 2048,
        max_export_batch_size: 512,
    };

    /// These settings with another schedule delay.
    ///
    /// ```
    /// use std::time::Duration;
    /// use mcp_trace_runtime::config::BatchSettings;
    /// let quick = BatchSettings::SPANS.with_schedule_delay(Duration::from_millis(100));
    /// assert_eq!(quick.schedule_delay, Duration::from_millis(100));
    /// assert_eq!(quick.max_queue_size, 2048);
    /// ```
    pub const fn with_schedule_delay(mut self, delay: Duration) -> BatchSettings {
        self.schedule_delay = delay;
        self
    }

    /// These settings with another queue size.
    ///
    /// ```
    /// use mcp_trace_runtime::config::BatchSettings;
    /// let big = BatchSettings::LOGS.with_max_queue_size(8192);
    /// assert_eq!(big.max_queue_size, 8192);
    /// ```
    pub const fn with_max_queue_size(mut self, size: usize) -> BatchSettings {
        self.max_queue_size = size;
        self
    }

    /// These settings with another largest batch.
    ///
    /// ```
    /// use mcp_trace_runtime::config::BatchSettings;
    /// let small = BatchSettings::SPANS.with_max_export_batch_size(64);
    /// assert_eq!(small.max_export_batch_size, 64);
    /// ```
    pub const fn with_max_export_batch_size(mut self, size: usize) -> BatchSettings {
        self.max_export_batch_size = size;
        self
    }

    /// `defaults` overridden by `{prefix}_SCHEDULE_DELAY`,
    /// `{prefix}_MAX_QUEUE_SIZE` and `{prefix}_MAX_EXPORT_BATCH_SIZE`.
    fn from_lookup(
        var: &impl Fn(&str) -> Option<String>,
        names: [&'static str; 4],
        defaults: BatchSettings,
    ) -> Result<BatchSettings, Error> {
        let [delay, queue, batch, timeout] = names;
        let number = |name: &'static str| {
            var(name)
                .map(|value| parse_positive(name, &value))
                .transpose()
        };
        if let Some(value) = var(timeout) {
            parse_positive(timeout, &value)?;
        }
        Ok(BatchSettings {
            schedule_delay: number(delay)?.map_or(defaults.schedule_delay, |ms| {
                Duration::from_millis(ms as u64)
            }),
            max_queue_size: number(queue)?.unwrap_or(defaults.max_queue_size),
            max_export_batch_size: number(batch)?.unwrap_or(defaults.max_export_batch_size),
        })
    }
}

/// Where and how the OTLP exporter sends.
///
/// It may gain fields: build one with [`OtlpTarget::http`] (or
/// [`OtlpTarget::http_metrics`], [`OtlpTarget::http_logs`]) and the
/// `with_…` methods.
#[derive(Clone, PartialEq)]
#[non_exhaustive]
pub struct OtlpTarget {
    /// Full URL of the signal's endpoint (with `/v1/traces` or `/v1/metrics` for HTTP).
    pub endpoint: String,
    /// Wire protocol.
    pub protocol: Protocol,
    /// Extra request headers (`OTEL_EXPORTER_OTLP_HEADERS`); values are secrets.
    pub headers: Vec<(String, String)>,
    /// Per-export timeout.
    pub timeout: Duration,
    /// True when no endpoint variable was set and the OpenTelemetry default is used.
    pub endpoint_is_default: bool,
}

/// `endpoint` as warnings and `Debug` show it: credentials in the URL's
/// user info and its query (`https://user:key@host/…?token=…`) are hidden.
///
/// ```
/// use mcp_trace_runtime::config::shown_endpoint;
/// assert_eq!(shown_endpoint("https://u:k@otel.example/v1/traces?token=t"), "https://***@otel.example/v1/traces?***");
/// assert_eq!(shown_endpoint("http://127.0.0.1:4318/v1/traces"), "http://127.0.0.1:4318/v1/traces");
/// ```
pub fn shown_endpoint(endpoint: &str) -> String {
    let (before_query, query) = match endpoint.split_once('?') {
        Some((before, _)) => (before, "?***"),
        None => (endpoint, ""),
    };
    let (scheme, rest) = before_query
        .split_once("://")
        .map_or(("", before_query), |(scheme, rest)| (scheme, rest));
    let (authority, path) = rest.find('/').map_or((rest, ""), |at| rest.split_at(at));
    let authority = match authority.rsplit_once('@') {
        Some((_, host)) => format!("***@{host}"),
        None => authority.to_string(),
    };
    let scheme = if scheme.is_empty() {
        String::new()
    } else {
        format!("{scheme}://")
    };
    format!("{scheme}{authority}{path}{query}")
}

impl fmt::Debug for OtlpTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let header_names: Vec<&str> = self.headers.iter().map(|(k, _)| k.as_str()).collect();
        f.debug_struct("OtlpTarget")
            .field("endpoint", &shown_endpoint(&self.endpoint))
            .field("protocol", &self.protocol)
            .field("headers", &header_names)
            .field("timeout", &self.timeout)
            .field("endpoint_is_default", &self.endpoint_is_default)
            .finish()
    }
}

impl OtlpTarget {
    /// OTLP/HTTP protobuf to a collector at `base_url` (`/v1/traces` is appended).
    ///
    /// ```
    /// let target = mcp_trace_runtime::config::OtlpTarget::http("http://127.0.0.1:4318");
    /// assert_eq!(target.endpoint, "http://127.0.0.1:4318/v1/traces");
    /// ```
    pub fn http(base_url: &str) -> OtlpTarget {
        OtlpTarget {
            endpoint: TRACES_SIGNAL.url(base_url, Protocol::HttpProtobuf),
            protocol: Protocol::HttpProtobuf,
            headers: Vec::new(),
            timeout: DEFAULT_OTLP_TIMEOUT,
            endpoint_is_default: false,
        }
    }

    /// OTLP/HTTP protobuf metrics to a collector at `base_url` (`/v1/metrics`
    /// is appended), for [`MetricsConfig::extra_otlp`].
    ///
    /// ```
    /// let target = mcp_trace_runtime::config::OtlpTarget::http_metrics("http://127.0.0.1:4318/");
    /// assert_eq!(target.endpoint, "http://127.0.0.1:4318/v1/metrics");
    /// ```
    pub fn http_metrics(base_url: &str) -> OtlpTarget {
        OtlpTarget {
            endpoint: METRICS_SIGNAL.url(base_url, Protocol::HttpProtobuf),
            ..OtlpTarget::http(base_url)
        }
    }

    /// OTLP/HTTP protobuf logs to a collector at `base_url` (`/v1/logs` is
    /// appended), for [`LogsConfig::extra_otlp`].
    ///
    /// ```
    /// let target = mcp_trace_runtime::config::OtlpTarget::http_logs("http://127.0.0.1:4318");
    /// assert_eq!(target.endpoint, "http://127.0.0.1:4318/v1/logs");
    /// ```
    pub fn http_logs(base_url: &str) -> OtlpTarget {
        OtlpTarget {
            endpoint: LOGS_SIGNAL.url(base_url, Protocol::HttpProtobuf),
            ..OtlpTarget::http(base_url)
        }
    }

    /// This target over another wire protocol; the endpoint stays as it is
    /// (gRPC takes the collector's URL without a signal path).
    ///
    /// ```
    /// use mcp_trace_runtime::config::{OtlpTarget, Protocol};
    /// let target = OtlpTarget::http("http://127.0.0.1:4318").with_protocol(Protocol::HttpJson);
    /// assert_eq!(target.protocol, Protocol::HttpJson);
    /// ```
    pub fn with_protocol(mut self, protocol: Protocol) -> OtlpTarget {
        self.protocol = protocol;
        self
    }

    /// This target with one more request header (its value is kept as a
    /// secret: `Debug` shows header names only).
    ///
    /// ```
    /// use mcp_trace_runtime::config::OtlpTarget;
    /// let target = OtlpTarget::http("http://127.0.0.1:4318").with_header("x-api-key", "k");
    /// assert_eq!(target.headers, [("x-api-key".to_string(), "k".to_string())]);
    /// assert!(!format!("{target:?}").contains("\"k\""));
    /// ```
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> OtlpTarget {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// This target with another per-export timeout (default 10 s).
    ///
    /// ```
    /// use std::time::Duration;
    /// use mcp_trace_runtime::config::OtlpTarget;
    /// let target = OtlpTarget::http("http://127.0.0.1:4318").with_timeout(Duration::from_secs(2));
    /// assert_eq!(target.timeout, Duration::from_secs(2));
    /// ```
    pub fn with_timeout(mut self, timeout: Duration) -> OtlpTarget {
        self.timeout = timeout;
        self
    }
}

/// OTLP wire protocol (`OTEL_EXPORTER_OTLP_PROTOCOL`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// `http/protobuf` (default).
    HttpProtobuf,
    /// `http/json`.
    HttpJson,
    /// `grpc` (needs the `grpc` cargo feature).
    Grpc,
}

/// Langfuse export settings.
///
/// It may gain fields: build one with [`LangfuseTarget::new`] and the
/// `with_…` methods, or take the one [`Config::from_env`] parsed.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct LangfuseTarget {
    /// Full URL of Langfuse's OTLP traces endpoint.
    pub endpoint: String,
    /// `LANGFUSE_PUBLIC_KEY`.
    pub public_key: String,
    /// `LANGFUSE_SECRET_KEY`; `Debug` shows it redacted.
    pub secret_key: Secret,
    /// `LANGFUSE_TRACING_ENVIRONMENT` → `langfuse.environment` on every span.
    pub environment: Option<String>,
    /// `LANGFUSE_RELEASE` → `langfuse.release` on every span.
    pub release: Option<String>,
}

impl LangfuseTarget {
    /// Langfuse Cloud ([`DEFAULT_LANGFUSE_BASE_URL`]) with this key pair, no
    /// environment, no release.
    ///
    /// ```
    /// use mcp_trace_runtime::config::LangfuseTarget;
    /// let target = LangfuseTarget::new("pk-lf-1", "sk-lf-1")
    ///     .with_base_url("http://localhost:3000/")
    ///     .with_environment("staging")
    ///     .with_release("1.2.0");
    /// assert_eq!(target.endpoint, "http://localhost:3000/api/public/otel/v1/traces");
    /// assert_eq!(target.secret_key.expose(), "sk-lf-1");
    /// assert_eq!(target.environment.as_deref(), Some("staging"));
    /// ```
    pub fn new(public_key: impl Into<String>, secret_key: impl Into<String>) -> LangfuseTarget {
        LangfuseTarget {
            endpoint: langfuse_endpoint(DEFAULT_LANGFUSE_BASE_URL),
            public_key: public_key.into(),
            secret_key: Secret::new(secret_key),
            environment: None,
            release: None,
        }
    }

    /// This target at another Langfuse (`LANGFUSE_BASE_URL`): its OTLP
    /// traces path is appended.
    ///
    /// ```
    /// use mcp_trace_runtime::config::LangfuseTarget;
    /// let target = LangfuseTarget::new("pk", "sk").with_base_url("https://eu.cloud.langfuse.com");
    /// assert_eq!(target.endpoint, "https://eu.cloud.langfuse.com/api/public/otel/v1/traces");
    /// ```
    pub fn with_base_url(mut self, base_url: &str) -> LangfuseTarget {
        self.endpoint = langfuse_endpoint(base_url);
        self
    }

    /// This target with `langfuse.environment` on every span
    /// (`LANGFUSE_TRACING_ENVIRONMENT`).
    ///
    /// ```
    /// use mcp_trace_runtime::config::LangfuseTarget;
    /// let target = LangfuseTarget::new("pk", "sk").with_environment("production");
    /// assert_eq!(target.environment.as_deref(), Some("production"));
    /// ```
    pub fn with_environment(mut self, environment: impl Into<String>) -> LangfuseTarget {
        self.environment = Some(environment.into());
        self
    }

    /// This target with `langfuse.release` on every span (`LANGFUSE_RELEASE`).
    ///
    /// ```
    /// use mcp_trace_runtime::config::LangfuseTarget;
    /// let target = LangfuseTarget::new("pk", "sk").with_release("2024.06");
    /// assert_eq!(target.release.as_deref(), Some("2024.06"));
    /// ```
    pub fn with_release(mut self, release: impl Into<String>) -> LangfuseTarget {
        self.release = Some(release.into());
        self
    }
}

fn langfuse_endpoint(base_url: &str) -> String {
    format!("{}{LANGFUSE_TRACES_PATH}", base_url.trim_end_matches('/'))
}

/// A string that never shows itself in `Debug` or `Display`.
///
/// ```
/// let secret = mcp_trace_runtime::config::Secret::new("sk-lf-123");
/// assert_eq!(format!("{secret:?}"), "Secret(***)");
/// assert_eq!(secret.expose(), "sk-lf-123");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The secret itself, for the one place that must send it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// Sampling rule (`OTEL_TRACES_SAMPLER` / `OTEL_TRACES_SAMPLER_ARG`, or
/// `LANGFUSE_SAMPLE_RATE`). More samplers may be added: a `match` on it
/// needs a `_` arm.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum SamplerSetting {
    /// `always_on`.
    AlwaysOn,
    /// `always_off`.
    AlwaysOff,
    /// `traceidratio` with its ratio.
    TraceIdRatio(f64),
    /// `parentbased_always_on` (default).
    ParentBasedAlwaysOn,
    /// `parentbased_always_off`.
    ParentBasedAlwaysOff,
    /// `parentbased_traceidratio` with its ratio.
    ParentBasedTraceIdRatio(f64),
}

/// A context propagator named in `OTEL_PROPAGATORS`. More propagators may be
/// added: a `match` on it needs a `_` arm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Propagator {
    /// W3C `traceparent` / `tracestate`.
    TraceContext,
    /// W3C `baggage`.
    Baggage,
}

impl Config {
    /// The configuration of a process with none of the variables set, named
    /// `service_name`: OTLP/HTTP to `http://localhost:4318`, everything
    /// sampled, inputs and outputs captured. What [`Config::from_env`] gives
    /// in an empty environment, without reading it; assign the fields to
    /// change.
    ///
    /// ```
    /// use mcp_trace_runtime::config::{Config, OtlpTarget};
    /// let mut config = Config::new("my-service");
    /// assert_eq!(config.service_name, "my-service");
    /// assert!(config.otlp.as_ref().unwrap().endpoint_is_default);
    /// config.otlp = None;
    /// config.extra_otlp.push(OtlpTarget::http("http://127.0.0.1:4318"));
    /// config.capture_io = false;
    /// ```
    pub fn new(service_name: &str) -> Config {
        Config::from_lookup(service_name, |_| None)
            .expect("the defaults of every variable are valid")
    }

    /// Reads the configuration from the process environment, after loading
    /// `.env` from the working directory when there is one (existing
    /// variables win, as with Python's `load_dotenv()`).
    pub fn from_env(default_service_name: &str) -> Result<Config, Error> {
        // A missing .env is the normal case; a malformed one is not worth failing start-up for.
        let _ = dotenvy::dotenv();
        Config::from_lookup(default_service_name, |name| std::env::var(name).ok())
    }

    /// Parses the configuration from any variable lookup.
    pub fn from_lookup(
        default_service_name: &str,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Config, Error> {
        let var = |name: &str| lookup(name).filter(|value| !value.trim().is_empty());

        let mode = match var("MCP_TRACE_MODE") {
            None => Mode::default(),
            Some(value) => Mode::parse(&value).ok_or_else(|| Error::InvalidSetting {
                variable: "MCP_TRACE_MODE",
                value,
                problem: "unknown mode".into(),
                accepted: Mode::ACCEPTED,
            })?,
        };

        let mut resource_attributes = match var("OTEL_RESOURCE_ATTRIBUTES") {
            None => Vec::new(),
            Some(value) => parse_key_values("OTEL_RESOURCE_ATTRIBUTES", &value, false)?,
        };
        let attribute_service_name = take_key(&mut resource_attributes, "service.name");
        let service_version = take_key(&mut resource_attributes, "service.version");
        let service_name = var("OTEL_SERVICE_NAME")
            .or(attribute_service_name)
            .unwrap_or_else(|| default_service_name.to_string());

        let langfuse = parse_langfuse(&var)?;
        let trace_file = var("MCP_TRACE_FILE").map(PathBuf::from);

        let exporters = match var("OTEL_TRACES_EXPORTER") {
            None => None,
            Some(value) => Some(parse_exporters("OTEL_TRACES_EXPORTER", &value)?),
        };
        let endpoint_set = var("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT").is_some()
            || var("OTEL_EXPORTER_OTLP_ENDPOINT").is_some();
        let otlp_on = match &exporters {
            Some(list) => list.otlp,
            None => endpoint_set || (langfuse.is_none() && trace_file.is_none()),
        };
        let otlp = if otlp_on {
            Some(parse_otlp(&var, &TRACES_SIGNAL)?)
        } else {
            None
        };
        let metrics = parse_metrics(&var)?;
        let logs = parse_logs(&var, otlp.as_ref(), trace_file.clone())?;

        let sampler = parse_sampler(&var)?;
        let propagators = match var("OTEL_PROPAGATORS") {
            None => vec![Propagator::TraceContext, Propagator::Baggage],
            Some(value) => parse_propagators(&value)?,
        };
        let capture_io = match var("LANGFUSE_OBSERVE_DECORATOR_IO_CAPTURE_ENABLED") {
            None => true,
            Some(value) => parse_bool(&value).ok_or_else(|| Error::InvalidSetting {
                variable: "LANGFUSE_OBSERVE_DECORATOR_IO_CAPTURE_ENABLED",
                value,
                problem: "not a boolean".into(),
                accepted: "true, false (also 1/0, yes/no, on/off)",
            })?,
        };
        let value_length_limit = match var("OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT") {
            None => DEFAULT_VALUE_LENGTH_LIMIT,
            Some(value) => parse_positive("OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT", &value)?,
        };
        let inbound_context = match var("MCP_TRACE_INBOUND_CONTEXT") {
            None => InboundContext::default(),
            Some(value) => InboundContext::parse(&value).ok_or_else(|| Error::InvalidSetting {
                variable: "MCP_TRACE_INBOUND_CONTEXT",
                value,
                problem: "unknown policy".into(),
                accepted: InboundContext::ACCEPTED,
            })?,
        };
        let span_batch = BatchSettings::from_lookup(
            &var,
            [
                "OTEL_BSP_SCHEDULE_DELAY",
                "OTEL_BSP_MAX_QUEUE_SIZE",
                "OTEL_BSP_MAX_EXPORT_BATCH_SIZE",
                "OTEL_BSP_EXPORT_TIMEOUT",
            ],
            BatchSettings::SPANS,
        )?;

        Ok(Config {
            mode,
            service_name,
            service_version,
            resource_attributes,
            otlp,
            extra_otlp: Vec::new(),
            langfuse,
            trace_file,
            console: exporters.is_some_and(|list| list.console),
            sampler,
            propagators,
            capture_io,
            value_length_limit,
            inbound_context,
            metrics,
            logs,
            span_batch,
        })
    }
}

struct ExporterList {
    otlp: bool,
    console: bool,
}

fn parse_exporters(variable: &'static str, value: &str) -> Result<ExporterList, Error> {
    let mut list = ExporterList {
        otlp: false,
        console: false,
    };
    for name in value.split(',').map(str::trim) {
        match name.to_ascii_lowercase().as_str() {
            "otlp" => list.otlp = true,
            "console" => list.console = true,
            "none" => {}
            _ => {
                return Err(Error::InvalidSetting {
                    variable,
                    value: value.to_string(),
                    problem: format!("unknown exporter {name:?}"),
                    accepted: "a comma list of otlp, console, none",
                })
            }
        }
    }
    Ok(list)
}

/// One signal's variables and HTTP path, per the OTLP exporter spec: the
/// signal-specific variable beats the generic `OTEL_EXPORTER_OTLP_*` one.
struct OtlpSignal {
    path: &'static str,
    endpoint: &'static str,
    protocol: &'static str,
    headers: &'static str,
    timeout: &'static str,
    compression: &'static str,
}

const TRACES_SIGNAL: OtlpSignal = OtlpSignal {
    path: "/v1/traces",
    endpoint: "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    protocol: "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
    headers: "OTEL_EXPORTER_OTLP_TRACES_HEADERS",
    timeout: "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT",
    compression: "OTEL_EXPORTER_OTLP_TRACES_COMPRESSION",
};

const METRICS_SIGNAL: OtlpSignal = OtlpSignal {
    path: "/v1/metrics",
    endpoint: "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
    protocol: "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL",
    headers: "OTEL_EXPORTER_OTLP_METRICS_HEADERS",
    timeout: "OTEL_EXPORTER_OTLP_METRICS_TIMEOUT",
    compression: "OTEL_EXPORTER_OTLP_METRICS_COMPRESSION",
};

const LOGS_SIGNAL: OtlpSignal = OtlpSignal {
    path: "/v1/logs",
    endpoint: "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT",
    protocol: "OTEL_EXPORTER_OTLP_LOGS_PROTOCOL",
    headers: "OTEL_EXPORTER_OTLP_LOGS_HEADERS",
    timeout: "OTEL_EXPORTER_OTLP_LOGS_TIMEOUT",
    compression: "OTEL_EXPORTER_OTLP_LOGS_COMPRESSION",
};

impl OtlpSignal {
    /// The signal's URL below a base endpoint (gRPC has no per-signal path).
    fn url(&self, base: &str, protocol: Protocol) -> String {
        match protocol {
            Protocol::Grpc => base.to_string(),
            _ => format!("{}{}", base.trim_end_matches('/'), self.path),
        }
    }
}

fn parse_otlp(
    var: &impl Fn(&str) -> Option<String>,
    signal: &OtlpSignal,
) -> Result<OtlpTarget, Error> {
    let (protocol_variable, protocol_value) =
        first_set(var, &[signal.protocol, "OTEL_EXPORTER_OTLP_PROTOCOL"]);
    let protocol = match protocol_value.as_deref().map(str::trim) {
        None | Some("http/protobuf") => Protocol::HttpProtobuf,
        Some("http/json") => Protocol::HttpJson,
        Some("grpc") if cfg!(feature = "grpc") => Protocol::Grpc,
        Some("grpc") => return Err(Error::InvalidSetting {
            variable: protocol_variable,
            value: "grpc".into(),
            problem:
                "this build has no gRPC exporter; enable the `grpc` feature of mcp-trace-runtime"
                    .into(),
            accepted: "http/protobuf, http/json",
        }),
        Some(other) => {
            return Err(Error::InvalidSetting {
                variable: protocol_variable,
                value: other.to_string(),
                problem: "unknown protocol".into(),
                accepted: "http/protobuf, http/json, grpc",
            })
        }
    };

    let signal_endpoint = var(signal.endpoint);
    let base_endpoint = var("OTEL_EXPORTER_OTLP_ENDPOINT");
    let (endpoint, endpoint_is_default) = match (signal_endpoint, base_endpoint) {
        // The signal-specific endpoint is used verbatim, per the OTLP exporter spec.
        (Some(url), _) => (validate_url(signal.endpoint, &url)?, false),
        (None, Some(url)) => {
            let base = validate_url("OTEL_EXPORTER_OTLP_ENDPOINT", &url)?;
            (signal.url(&base, protocol), false)
        }
        (None, None) => {
            let base = match protocol {
                Protocol::Grpc => DEFAULT_OTLP_GRPC_ENDPOINT,
                _ => DEFAULT_OTLP_HTTP_ENDPOINT,
            };
            (signal.url(base, protocol), true)
        }
    };

    let headers = match first_set(var, &[signal.headers, "OTEL_EXPORTER_OTLP_HEADERS"]) {
        (_, None) => Vec::new(),
        (variable, Some(value)) => parse_key_values(variable, &value, true)?,
    };

    // Exporters here send uncompressed (no gzip in the build): a request for
    // compression is refused rather than silently not honoured.
    if let (variable, Some(value)) =
        first_set(var, &[signal.compression, "OTEL_EXPORTER_OTLP_COMPRESSION"])
        && !value.trim().eq_ignore_ascii_case("none")
    {
        return Err(Error::InvalidSetting {
            variable,
            value,
            problem: "this build sends OTLP uncompressed".into(),
            accepted: "none",
        });
    }

    let timeout = match first_set(var, &[signal.timeout, "OTEL_EXPORTER_OTLP_TIMEOUT"]) {
        (_, None) => DEFAULT_OTLP_TIMEOUT,
        (variable, Some(value)) => Duration::from_millis(parse_positive(variable, &value)? as u64),
    };

    Ok(OtlpTarget {
        endpoint,
        protocol,
        headers,
        timeout,
        endpoint_is_default,
    })
}

fn parse_metrics(var: &impl Fn(&str) -> Option<String>) -> Result<MetricsConfig, Error> {
    let mut otlp_on = false;
    if let Some(value) = var("OTEL_METRICS_EXPORTER") {
        for name in value.split(',').map(str::trim) {
            match name.to_ascii_lowercase().as_str() {
                "otlp" => otlp_on = true,
                "none" => {}
                _ => {
                    return Err(Error::InvalidSetting {
                        variable: "OTEL_METRICS_EXPORTER",
                        value: value.to_string(),
                        problem: format!("unknown exporter {name:?}"),
                        accepted: "a comma list of otlp, none",
                    })
                }
            }
        }
    }
    let export_interval = match var("OTEL_METRIC_EXPORT_INTERVAL") {
        None => DEFAULT_METRIC_EXPORT_INTERVAL,
        Some(value) => {
            Duration::from_millis(parse_positive("OTEL_METRIC_EXPORT_INTERVAL", &value)? as u64)
        }
    };
    let otlp = if otlp_on {
        Some(parse_otlp(var, &METRICS_SIGNAL)?)
    } else {
        None
    };
    Ok(MetricsConfig {
        otlp,
        extra_otlp: Vec::new(),
        export_interval,
    })
}

fn parse_logs(
    var: &impl Fn(&str) -> Option<String>,
    traces_otlp: Option<&OtlpTarget>,
    trace_file: Option<PathBuf>,
) -> Result<LogsConfig, Error> {
    let exporters = match var("OTEL_LOGS_EXPORTER") {
        None => None,
        Some(value) => Some(parse_exporters("OTEL_LOGS_EXPORTER", &value)?),
    };
    let otlp_on = match &exporters {
        Some(list) => list.otlp,
        // Follow the traces, but never guess: a traces-only endpoint says
        // nothing about where a collector takes logs.
        None => traces_otlp.is_some_and(|traces| {
            traces.endpoint_is_default
                || var("OTEL_EXPORTER_OTLP_ENDPOINT").is_some()
                || var(LOGS_SIGNAL.endpoint).is_some()
        }),
    };
    let otlp = if otlp_on {
        Some(parse_otlp(var, &LOGS_SIGNAL)?)
    } else {
        None
    };
    let level = match var("MCP_TRACE_LOG_LEVEL") {
        None => DEFAULT_LOG_LEVEL.to_string(),
        Some(value) => {
            parse_log_level(&value)?;
            value.trim().to_string()
        }
    };
    Ok(LogsConfig {
        otlp,
        extra_otlp: Vec::new(),
        console: exporters.is_some_and(|list| list.console),
        file: trace_file,
        level,
        batch: BatchSettings::from_lookup(
            var,
            [
                "OTEL_BLRP_SCHEDULE_DELAY",
                "OTEL_BLRP_MAX_QUEUE_SIZE",
                "OTEL_BLRP_MAX_EXPORT_BATCH_SIZE",
                "OTEL_BLRP_EXPORT_TIMEOUT",
            ],
            BatchSettings::LOGS,
        )?,
    })
}

/// `MCP_TRACE_LOG_LEVEL` in `Targets` syntax: a bare level is the default,
/// `target=level` entries refine it.
fn parse_log_level(value: &str) -> Result<tracing_subscriber::filter::Targets, Error> {
    use tracing_subscriber::filter::LevelFilter;
    let invalid = |problem: String| Error::InvalidSetting {
        variable: "MCP_TRACE_LOG_LEVEL",
        value: value.to_string(),
        problem,
        accepted: "a level (trace, debug, info, warn, error, off) and/or a comma list of \
                   target=level, e.g. info,my_crate=debug",
    };
    // `Targets` reads a bare word as a target enabled at every level, so a
    // misspelt level ("inof") would silently export everything of a target
    // nobody has; a bare entry must be a level here.
    for entry in value.split(',').map(str::trim) {
        if !entry.is_empty() && !entry.contains('=') && entry.parse::<LevelFilter>().is_err() {
            return Err(invalid(format!("{entry:?} is not a level")));
        }
    }
    value
        .trim()
        .parse()
        .map_err(|error| invalid(format!("not a level filter ({error})")))
}

/// Whether `level` lets no record through (an unparsable level counts as
/// not off: [`LogsConfig::filter`] reports it).
fn level_is_off(level: &str) -> bool {
    use tracing_subscriber::filter::LevelFilter;
    parse_log_level(level).is_ok_and(|targets| {
        targets.default_level().unwrap_or(LevelFilter::OFF) == LevelFilter::OFF
            && targets.iter().all(|(_, level)| level == LevelFilter::OFF)
    })
}

fn parse_langfuse(var: &impl Fn(&str) -> Option<String>) -> Result<Option<LangfuseTarget>, Error> {
    let public_key = var("LANGFUSE_PUBLIC_KEY");
    let secret_key = var("LANGFUSE_SECRET_KEY");
    let (public_key, secret_key) = match (public_key, secret_key) {
        (None, None) => return Ok(None),
        (Some(_), None) => {
            return Err(Error::IncompleteLangfuseKeys {
                present: "LANGFUSE_PUBLIC_KEY",
                missing: "LANGFUSE_SECRET_KEY",
            })
        }
        (None, Some(_)) => {
            return Err(Error::IncompleteLangfuseKeys {
                present: "LANGFUSE_SECRET_KEY",
                missing: "LANGFUSE_PUBLIC_KEY",
            })
        }
        (Some(public), Some(secret)) => (public.trim().to_string(), Secret::new(secret.trim())),
    };
    let (variable, base_url) = first_set(var, &["LANGFUSE_BASE_URL", "LANGFUSE_HOST"]);
    let base_url = match base_url {
        Some(url) => validate_url(variable, &url)?,
        None => {
            require_tls("LANGFUSE_BASE_URL", DEFAULT_LANGFUSE_BASE_URL)?;
            DEFAULT_LANGFUSE_BASE_URL.to_string()
        }
    };
    Ok(Some(LangfuseTarget {
        endpoint: langfuse_endpoint(&base_url),
        public_key,
        secret_key,
        environment: var("LANGFUSE_TRACING_ENVIRONMENT").map(|v| v.trim().to_string()),
        release: var("LANGFUSE_RELEASE").map(|v| v.trim().to_string()),
    }))
}

fn parse_sampler(var: &impl Fn(&str) -> Option<String>) -> Result<SamplerSetting, Error> {
    const ACCEPTED: &str = "always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off, parentbased_traceidratio";
    let Some(name) = var("OTEL_TRACES_SAMPLER") else {
        return Ok(match var("LANGFUSE_SAMPLE_RATE") {
            None => SamplerSetting::ParentBasedAlwaysOn,
            Some(rate) => {
                SamplerSetting::ParentBasedTraceIdRatio(parse_ratio("LANGFUSE_SAMPLE_RATE", &rate)?)
            }
        });
    };
    let ratio = || match var("OTEL_TRACES_SAMPLER_ARG") {
        None => Ok(1.0),
        Some(arg) => parse_ratio("OTEL_TRACES_SAMPLER_ARG", &arg),
    };
    Ok(match name.trim().to_ascii_lowercase().as_str() {
        "always_on" => SamplerSetting::AlwaysOn,
        "always_off" => SamplerSetting::AlwaysOff,
        "traceidratio" => SamplerSetting::TraceIdRatio(ratio()?),
        "parentbased_always_on" => SamplerSetting::ParentBasedAlwaysOn,
        "parentbased_always_off" => SamplerSetting::ParentBasedAlwaysOff,
        "parentbased_traceidratio" => SamplerSetting::ParentBasedTraceIdRatio(ratio()?),
        _ => {
            return Err(Error::InvalidSetting {
                variable: "OTEL_TRACES_SAMPLER",
                value: name,
                problem: "unknown sampler".into(),
                accepted: ACCEPTED,
            })
        }
    })
}

fn parse_propagators(value: &str) -> Result<Vec<Propagator>, Error> {
    let mut propagators = Vec::new();
    for name in value.split(',').map(str::trim) {
        let propagator = match name.to_ascii_lowercase().as_str() {
            "tracecontext" => Propagator::TraceContext,
            "baggage" => Propagator::Baggage,
            "none" => continue,
            _ => {
                return Err(Error::InvalidSetting {
                    variable: "OTEL_PROPAGATORS",
                    value: value.to_string(),
                    problem: format!("unsupported propagator {name:?}"),
                    accepted: "a comma list of tracecontext, baggage, none",
                })
            }
        };
        if !propagators.contains(&propagator) {
            propagators.push(propagator);
        }
    }
    Ok(propagators)
}

/// Parses `key=value,key2=value2` with percent-decoded values (the format of
/// `OTEL_RESOURCE_ATTRIBUTES` and `OTEL_EXPORTER_OTLP_HEADERS`). When
/// `headers` is set (an `OTEL_EXPORTER_OTLP_*HEADERS` variable), values may
/// hold credentials, so errors name the entry's position, never its text;
/// and every entry must be a valid HTTP header (name and decoded value), so
/// that a bad one is refused here, naming the variable, rather than when an
/// exporter is built.
fn parse_key_values(
    variable: &'static str,
    value: &str,
    headers: bool,
) -> Result<Vec<(String, String)>, Error> {
    let shown = |entry: &str| {
        if headers {
            "<redacted: may hold credentials>".to_string()
        } else {
            entry.to_string()
        }
    };
    let mut pairs = Vec::new();
    for (index, entry) in value.split(',').enumerate() {
        if entry.trim().is_empty() {
            continue;
        }
        let Some((key, raw)) = entry.split_once('=') else {
            return Err(Error::InvalidSetting {
                variable,
                value: shown(value),
                problem: format!("entry {} has no '='", index + 1),
                accepted: "a comma list of key=value pairs, values percent-encoded",
            });
        };
        let key = key.trim();
        let decoded = percent_encoding::percent_decode_str(raw.trim()).decode_utf8();
        match (key.is_empty(), decoded) {
            (false, Ok(decoded)) => {
                if headers {
                    let problem = if http::HeaderName::from_bytes(key.as_bytes()).is_err() {
                        Some("is not a valid HTTP header name")
                    } else if http::HeaderValue::from_str(&decoded).is_err() {
                        Some("has a value that is not a valid HTTP header value once decoded")
                    } else {
                        None
                    };
                    if let Some(problem) = problem {
                        return Err(Error::InvalidSetting {
                            variable,
                            value: shown(value),
                            problem: format!("entry {} {problem}", index + 1),
                            accepted: "a comma list of key=value pairs, values percent-encoded",
                        });
                    }
                }
                pairs.push((key.to_string(), decoded.into_owned()))
            }
            _ => {
                return Err(Error::InvalidSetting {
                    variable,
                    value: shown(value),
                    problem: format!(
                        "entry {} has an empty key or a value that is not UTF-8 once decoded",
                        index + 1
                    ),
                    accepted: "a comma list of key=value pairs, values percent-encoded",
                })
            }
        }
    }
    Ok(pairs)
}

fn take_key(pairs: &mut Vec<(String, String)>, key: &str) -> Option<String> {
    let index = pairs.iter().rposition(|(k, _)| k == key)?;
    let value = pairs.remove(index).1;
    pairs.retain(|(k, _)| k != key);
    Some(value)
}

fn first_set(
    var: &impl Fn(&str) -> Option<String>,
    names: &[&'static str],
) -> (&'static str, Option<String>) {
    for name in names {
        if let Some(value) = var(name) {
            return (name, Some(value));
        }
    }
    (names[names.len() - 1], None)
}

fn validate_url(variable: &'static str, value: &str) -> Result<String, Error> {
    let value = value.trim();
    let invalid = |problem: &str| Error::InvalidSetting {
        variable,
        value: value.to_string(),
        problem: problem.to_string(),
        accepted: "an absolute http:// or https:// URL, e.g. http://localhost:4318",
    };
    let uri: http::Uri = value.parse().map_err(|_| invalid("not a URL"))?;
    match uri.scheme_str() {
        Some("https") => require_tls(variable, value)?,
        Some("http") => {}
        Some(_) => return Err(invalid("the scheme must be http or https")),
        None => return Err(invalid("the URL has no scheme")),
    }
    if uri.host().is_none_or(str::is_empty) {
        return Err(invalid("the URL has no host"));
    }
    Ok(value.to_string())
}

/// An `https://` destination needs the `tls` feature; without it the
/// export would fail at every batch, so the setting is refused up front.
fn require_tls(variable: &'static str, value: &str) -> Result<(), Error> {
    if cfg!(feature = "tls") {
        return Ok(());
    }
    Err(Error::InvalidSetting {
        variable,
        value: value.to_string(),
        problem: "https:// needs TLS, which this build leaves out (the `tls` feature of \
                  mcp-trace-runtime; weather-client and weather-server: `--features tls`)"
            .to_string(),
        accepted: "an http:// URL, or a build with the tls feature",
    })
}

fn parse_bool(value: &str) -> Option<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Some(true),
        "false" | "0" | "no" | "off" => Some(false),
        _ => None,
    }
}

fn parse_positive(variable: &'static str, value: &str) -> Result<usize, Error> {
    match value.trim().parse::<usize>() {
        Ok(number) if number > 0 => Ok(number),
        _ => Err(Error::InvalidSetting {
            variable,
            value: value.to_string(),
            problem: "not a positive integer".into(),
            accepted: "a whole number greater than 0",
        }),
    }
}

fn parse_ratio(variable: &'static str, value: &str) -> Result<f64, Error> {
    match value.trim().parse::<f64>() {
        Ok(ratio) if (0.0..=1.0).contains(&ratio) => Ok(ratio),
        _ => Err(Error::InvalidSetting {
            variable,
            value: value.to_string(),
            problem: "not a ratio".into(),
            accepted: "a number from 0.0 to 1.0",
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn parse(vars: &[(&str, &str)]) -> Result<Config, Error> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup("default-service", |name| map.get(name).cloned())
    }

    fn error(vars: &[(&str, &str)]) -> String {
        parse(vars).unwrap_err().to_string()
    }

    /// Variables, and what the message refusing them must contain.
    type Case<'a> = (&'a [(&'a str, &'a str)], &'a [&'a str]);

    /// Each set of variables is refused with a message containing every needle.
    fn assert_errors_contain(cases: &[Case]) {
        for (vars, needles) in cases {
            let message = error(vars);
            for needle in *needles {
                assert!(
                    message.contains(needle),
                    "{vars:?}: {message:?} should contain {needle:?}"
                );
            }
        }
    }

    #[test]
    fn no_variables_gives_the_opentelemetry_defaults() {
        let config = parse(&[]).unwrap();
        assert_eq!(config.mode, Mode::Native);
        assert_eq!(config.service_name, "default-service");
        let otlp = config.otlp.expect("otlp is the default exporter");
        assert_eq!(otlp.endpoint, "http://localhost:4318/v1/traces");
        assert!(otlp.endpoint_is_default);
        assert_eq!(otlp.protocol, Protocol::HttpProtobuf);
        assert_eq!(otlp.timeout, Duration::from_secs(10));
        assert_eq!(config.langfuse, None);
        assert_eq!(config.sampler, SamplerSetting::ParentBasedAlwaysOn);
        assert_eq!(
            config.propagators,
            vec![Propagator::TraceContext, Propagator::Baggage]
        );
        assert!(config.capture_io);
        assert_eq!(config.value_length_limit, 65536);
        assert!(!config.console);
    }

    #[test]
    fn service_name_precedence() {
        let config = parse(&[(
            "OTEL_RESOURCE_ATTRIBUTES",
            "service.name=from-attrs,service.version=1.2.3,deployment.environment=prod%20eu",
        )])
        .unwrap();
        assert_eq!(config.service_name, "from-attrs");
        assert_eq!(config.service_version.as_deref(), Some("1.2.3"));
        assert_eq!(
            config.resource_attributes,
            vec![("deployment.environment".to_string(), "prod eu".to_string())]
        );
        let config = parse(&[
            ("OTEL_RESOURCE_ATTRIBUTES", "service.name=from-attrs"),
            ("OTEL_SERVICE_NAME", "from-env"),
        ])
        .unwrap();
        assert_eq!(config.service_name, "from-env");
    }

    #[test]
    fn otlp_endpoints_follow_the_exporter_spec() {
        let config = parse(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318/")]).unwrap();
        let otlp = config.otlp.unwrap();
        assert_eq!(otlp.endpoint, "http://c:4318/v1/traces");
        assert!(!otlp.endpoint_is_default);
        let config = parse(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318"),
            ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "https://t:443/custom"),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json"),
            ("OTEL_EXPORTER_OTLP_HEADERS", "api-key=a%3Db,x-tenant=t1"),
            ("OTEL_EXPORTER_OTLP_TIMEOUT", "2500"),
        ])
        .unwrap();
        let otlp = config.otlp.unwrap();
        assert_eq!(otlp.endpoint, "https://t:443/custom");
        assert_eq!(otlp.protocol, Protocol::HttpJson);
        assert_eq!(
            otlp.headers,
            vec![
                ("api-key".to_string(), "a=b".to_string()),
                ("x-tenant".to_string(), "t1".to_string())
            ]
        );
        assert_eq!(otlp.timeout, Duration::from_millis(2500));
    }

    #[test]
    fn otlp_is_off_when_only_other_destinations_are_set() {
        let langfuse = [("LANGFUSE_PUBLIC_KEY", "pk"), ("LANGFUSE_SECRET_KEY", "sk")];
        assert_eq!(parse(&langfuse).unwrap().otlp, None);
        assert_eq!(parse(&[("MCP_TRACE_FILE", "/tmp/x")]).unwrap().otlp, None);
        let mut with_endpoint = langfuse.to_vec();
        with_endpoint.push(("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318"));
        assert!(parse(&with_endpoint).unwrap().otlp.is_some());
        let mut explicit = langfuse.to_vec();
        explicit.push(("OTEL_TRACES_EXPORTER", "otlp,console"));
        let config = parse(&explicit).unwrap();
        assert!(config.otlp.is_some() && config.console);
        assert_eq!(
            parse(&[("OTEL_TRACES_EXPORTER", "none")]).unwrap().otlp,
            None
        );
    }

    #[test]
    fn langfuse_settings() {
        let config = parse(&[
            ("LANGFUSE_PUBLIC_KEY", "pk-lf-1"),
            ("LANGFUSE_SECRET_KEY", "sk-lf-2"),
            ("LANGFUSE_HOST", "http://ignored:3000"),
            ("LANGFUSE_BASE_URL", "https://eu.example.com/"),
            ("LANGFUSE_TRACING_ENVIRONMENT", "staging"),
            ("LANGFUSE_RELEASE", "v7"),
            ("LANGFUSE_SAMPLE_RATE", "0.25"),
        ])
        .unwrap();
        let langfuse = config.langfuse.clone().unwrap();
        assert_eq!(
            langfuse.endpoint,
            "https://eu.example.com/api/public/otel/v1/traces"
        );
        assert_eq!(langfuse.public_key, "pk-lf-1");
        assert_eq!(langfuse.secret_key.expose(), "sk-lf-2");
        assert_eq!(langfuse.environment.as_deref(), Some("staging"));
        assert_eq!(langfuse.release.as_deref(), Some("v7"));
        assert_eq!(
            config.sampler,
            SamplerSetting::ParentBasedTraceIdRatio(0.25)
        );
        assert!(!format!("{config:?}").contains("sk-lf-2"));

        let host_only = parse(&[
            ("LANGFUSE_PUBLIC_KEY", "pk"),
            ("LANGFUSE_SECRET_KEY", "sk"),
            ("LANGFUSE_HOST", "http://localhost:3000"),
        ])
        .unwrap();
        assert_eq!(
            host_only.langfuse.unwrap().endpoint,
            "http://localhost:3000/api/public/otel/v1/traces"
        );
        let default_host = parse(&[("LANGFUSE_PUBLIC_KEY", "pk"), ("LANGFUSE_SECRET_KEY", "sk")]);
        assert_eq!(
            default_host.unwrap().langfuse.unwrap().endpoint,
            "https://cloud.langfuse.com/api/public/otel/v1/traces"
        );
    }

    #[test]
    fn one_langfuse_key_alone_is_an_error_naming_the_other() {
        let message = error(&[("LANGFUSE_PUBLIC_KEY", "pk")]);
        assert!(message.contains("LANGFUSE_PUBLIC_KEY is set but LANGFUSE_SECRET_KEY is not"));
        let message = error(&[("LANGFUSE_SECRET_KEY", "sk-very-secret")]);
        assert!(message.contains("LANGFUSE_SECRET_KEY is set but LANGFUSE_PUBLIC_KEY is not"));
        assert!(!message.contains("sk-very-secret"));
    }

    #[test]
    fn misconfiguration_names_the_variable_and_the_accepted_values() {
        let cases: &[Case] = &[
            (
                &[("MCP_TRACE_MODE", "loud")],
                &[
                    "MCP_TRACE_MODE",
                    "\"loud\"",
                    "native, propagation_only, off",
                ],
            ),
            (
                &[("OTEL_EXPORTER_OTLP_PROTOCOL", "carrier-pigeon")],
                &["OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf, http/json"],
            ),
            (
                &[("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "udp")],
                &["OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "unknown protocol"],
            ),
            (
                &[("OTEL_EXPORTER_OTLP_ENDPOINT", "localhost:4318")],
                &["OTEL_EXPORTER_OTLP_ENDPOINT", "http:// or https://"],
            ),
            (
                &[("OTEL_EXPORTER_OTLP_ENDPOINT", "ftp://host")],
                &[
                    "OTEL_EXPORTER_OTLP_ENDPOINT",
                    "scheme must be http or https",
                ],
            ),
            (
                &[
                    ("LANGFUSE_PUBLIC_KEY", "pk"),
                    ("LANGFUSE_SECRET_KEY", "sk"),
                    ("LANGFUSE_HOST", "not a url"),
                ],
                &["LANGFUSE_HOST", "not a URL"],
            ),
            (
                &[("OTEL_TRACES_EXPORTER", "zipkin")],
                &["OTEL_TRACES_EXPORTER", "\"zipkin\"", "otlp, console, none"],
            ),
            (
                &[("OTEL_TRACES_SAMPLER", "sometimes")],
                &["OTEL_TRACES_SAMPLER", "parentbased_traceidratio"],
            ),
            (
                &[
                    ("OTEL_TRACES_SAMPLER", "traceidratio"),
                    ("OTEL_TRACES_SAMPLER_ARG", "2"),
                ],
                &["OTEL_TRACES_SAMPLER_ARG", "0.0 to 1.0"],
            ),
            (
                &[("LANGFUSE_SAMPLE_RATE", "half")],
                &["LANGFUSE_SAMPLE_RATE", "0.0 to 1.0"],
            ),
            (
                &[("OTEL_PROPAGATORS", "tracecontext,b3")],
                &["OTEL_PROPAGATORS", "\"b3\"", "tracecontext, baggage, none"],
            ),
            (
                &[("LANGFUSE_OBSERVE_DECORATOR_IO_CAPTURE_ENABLED", "maybe")],
                &[
                    "LANGFUSE_OBSERVE_DECORATOR_IO_CAPTURE_ENABLED",
                    "true, false",
                ],
            ),
            (
                &[("OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT", "-1")],
                &["OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT", "greater than 0"],
            ),
            (
                &[("MCP_TRACE_INBOUND_CONTEXT", "trust-everyone")],
                &["MCP_TRACE_INBOUND_CONTEXT", "parent, link"],
            ),
            (
                &[("OTEL_BSP_MAX_QUEUE_SIZE", "lots")],
                &["OTEL_BSP_MAX_QUEUE_SIZE", "positive integer"],
            ),
            (
                &[("OTEL_RESOURCE_ATTRIBUTES", "team")],
                &["OTEL_RESOURCE_ATTRIBUTES", "entry 1 has no '='"],
            ),
        ];
        assert_errors_contain(cases);
    }

    #[test]
    fn metrics_are_off_by_default() {
        let config = parse(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318")]).unwrap();
        assert_eq!(config.metrics, MetricsConfig::default());
        assert!(!config.metrics.is_enabled());
        assert_eq!(config.metrics.export_interval, Duration::from_secs(60));
        let config = parse(&[("OTEL_METRICS_EXPORTER", "none")]).unwrap();
        assert!(!config.metrics.is_enabled());
    }

    #[test]
    fn metrics_endpoints_follow_the_exporter_spec() {
        let config = parse(&[("OTEL_METRICS_EXPORTER", "otlp")]).unwrap();
        let otlp = config.metrics.otlp.unwrap();
        assert_eq!(otlp.endpoint, "http://localhost:4318/v1/metrics");
        assert!(otlp.endpoint_is_default);
        assert_eq!(otlp.protocol, Protocol::HttpProtobuf);
        assert_eq!(otlp.timeout, Duration::from_secs(10));

        let config = parse(&[
            ("OTEL_METRICS_EXPORTER", "none, OTLP"),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318/"),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json"),
            ("OTEL_EXPORTER_OTLP_HEADERS", "api-key=k1"),
            ("OTEL_EXPORTER_OTLP_TIMEOUT", "2500"),
            ("OTEL_METRIC_EXPORT_INTERVAL", "1500"),
        ])
        .unwrap();
        assert_eq!(config.metrics.export_interval, Duration::from_millis(1500));
        let otlp = config.metrics.otlp.unwrap();
        assert_eq!(otlp.endpoint, "http://c:4318/v1/metrics");
        assert!(!otlp.endpoint_is_default);
        assert_eq!(otlp.protocol, Protocol::HttpJson);
        assert_eq!(otlp.headers, vec![("api-key".into(), "k1".into())]);
        assert_eq!(otlp.timeout, Duration::from_millis(2500));
        // The traces keep their own path.
        assert_eq!(config.otlp.unwrap().endpoint, "http://c:4318/v1/traces");

        // The metrics-specific variables beat the generic ones and leave the traces alone.
        let config = parse(&[
            ("OTEL_METRICS_EXPORTER", "otlp"),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318"),
            (
                "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
                "https://m:443/custom",
            ),
            ("OTEL_EXPORTER_OTLP_METRICS_PROTOCOL", "http/json"),
            ("OTEL_EXPORTER_OTLP_HEADERS", "api-key=generic"),
            ("OTEL_EXPORTER_OTLP_METRICS_HEADERS", "api-key=metrics"),
            ("OTEL_EXPORTER_OTLP_TIMEOUT", "2500"),
            ("OTEL_EXPORTER_OTLP_METRICS_TIMEOUT", "700"),
        ])
        .unwrap();
        let metrics = config.metrics.otlp.unwrap();
        assert_eq!(metrics.endpoint, "https://m:443/custom");
        assert_eq!(metrics.protocol, Protocol::HttpJson);
        assert_eq!(metrics.headers, vec![("api-key".into(), "metrics".into())]);
        assert_eq!(metrics.timeout, Duration::from_millis(700));
        let traces = config.otlp.unwrap();
        assert_eq!(traces.endpoint, "http://c:4318/v1/traces");
        assert_eq!(traces.protocol, Protocol::HttpProtobuf);
        assert_eq!(traces.headers, vec![("api-key".into(), "generic".into())]);
        assert_eq!(traces.timeout, Duration::from_millis(2500));
    }

    #[test]
    fn metrics_misconfiguration_names_the_variable_and_the_accepted_values() {
        let cases: &[Case] = &[
            (
                &[("OTEL_METRICS_EXPORTER", "otlp,prometheus")],
                &["OTEL_METRICS_EXPORTER", "\"prometheus\"", "otlp, none"],
            ),
            (
                &[("OTEL_METRIC_EXPORT_INTERVAL", "0")],
                &["OTEL_METRIC_EXPORT_INTERVAL", "positive integer"],
            ),
            (
                &[("OTEL_METRIC_EXPORT_INTERVAL", "1s")],
                &["OTEL_METRIC_EXPORT_INTERVAL", "greater than 0"],
            ),
            (
                &[
                    ("OTEL_METRICS_EXPORTER", "otlp"),
                    ("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "collector:4318"),
                ],
                &["OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "http:// or https://"],
            ),
            (
                &[
                    ("OTEL_METRICS_EXPORTER", "otlp"),
                    ("OTEL_EXPORTER_OTLP_METRICS_PROTOCOL", "udp"),
                ],
                &["OTEL_EXPORTER_OTLP_METRICS_PROTOCOL", "unknown protocol"],
            ),
            (
                &[
                    ("OTEL_METRICS_EXPORTER", "otlp"),
                    ("OTEL_EXPORTER_OTLP_METRICS_TIMEOUT", "soon"),
                ],
                &["OTEL_EXPORTER_OTLP_METRICS_TIMEOUT", "positive integer"],
            ),
        ];
        assert_errors_contain(cases);
        // Metrics header values are secrets too.
        let message = error(&[
            ("OTEL_METRICS_EXPORTER", "otlp"),
            (
                "OTEL_EXPORTER_OTLP_METRICS_HEADERS",
                "authorization=top-secret,broken",
            ),
        ]);
        assert!(
            message.contains("OTEL_EXPORTER_OTLP_METRICS_HEADERS"),
            "{message}"
        );
        assert!(!message.contains("top-secret"), "{message}");
    }

    #[test]
    fn compression_other_than_none_is_refused_by_name() {
        assert!(parse(&[("OTEL_EXPORTER_OTLP_COMPRESSION", "none")]).is_ok());
        let error = parse(&[("OTEL_EXPORTER_OTLP_TRACES_COMPRESSION", "gzip")])
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("OTEL_EXPORTER_OTLP_TRACES_COMPRESSION"),
            "{error}"
        );
        assert!(parse(&[("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip")]).is_err());
    }

    #[test]
    fn logs_follow_the_traces_by_default() {
        // Nothing set: traces and logs both go to the default endpoint.
        let logs = parse(&[]).unwrap().logs;
        let otlp = logs.otlp.clone().unwrap();
        assert_eq!(otlp.endpoint, "http://localhost:4318/v1/logs");
        assert!(otlp.endpoint_is_default);
        assert_eq!(logs.level, DEFAULT_LOG_LEVEL);
        // rmcp's per-request lifecycle records stay out; its warnings and
        // everyone else's info records come in.
        use tracing_subscriber::filter::Targets;
        let filter: Targets = logs.filter().unwrap();
        assert!(!filter.would_enable("rmcp::service", &tracing::Level::INFO));
        assert!(filter.would_enable("rmcp::service", &tracing::Level::WARN));
        assert!(filter.would_enable("weather_server::tools", &tracing::Level::INFO));
        assert!(!logs.console);
        assert!(logs.is_enabled());
        // The generic endpoint gets /v1/logs.
        let logs = parse(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318/")])
            .unwrap()
            .logs;
        assert_eq!(logs.otlp.unwrap().endpoint, "http://c:4318/v1/logs");
        // A traces-only endpoint says nothing about logs: no guess.
        let config = parse(&[(
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
            "http://t:4318/v1/traces",
        )])
        .unwrap();
        assert!(config.otlp.is_some());
        assert_eq!(config.logs.otlp, None);
        // Traces off over OTLP: logs too, unless asked for.
        let config = parse(&[("OTEL_TRACES_EXPORTER", "console")]).unwrap();
        assert_eq!(config.logs.otlp, None);
        assert!(!config.logs.is_enabled());
        let config = parse(&[
            ("OTEL_TRACES_EXPORTER", "none"),
            ("OTEL_LOGS_EXPORTER", "otlp,console"),
        ])
        .unwrap();
        assert!(config.logs.otlp.is_some() && config.logs.console);
        // Langfuse alone: no OTLP traces, and Langfuse takes no logs.
        let langfuse =
            parse(&[("LANGFUSE_PUBLIC_KEY", "pk"), ("LANGFUSE_SECRET_KEY", "sk")]).unwrap();
        assert_eq!(langfuse.logs, LogsConfig::default());
        assert!(!langfuse.logs.is_enabled());
        // The trace file gets the logs too.
        let config = parse(&[("MCP_TRACE_FILE", "/tmp/trace.jsonl")]).unwrap();
        assert_eq!(config.logs.otlp, None);
        assert_eq!(config.logs.file, Some(PathBuf::from("/tmp/trace.jsonl")));
        assert!(config.logs.is_enabled());
        // `none` leaves the file; level `off` stops everything.
        let config = parse(&[
            ("OTEL_LOGS_EXPORTER", "none"),
            ("MCP_TRACE_FILE", "/tmp/trace.jsonl"),
        ])
        .unwrap();
        assert_eq!(config.logs.otlp, None);
        assert!(config.logs.is_enabled());
        let config = parse(&[
            ("MCP_TRACE_LOG_LEVEL", " off "),
            ("MCP_TRACE_FILE", "/tmp/t"),
        ])
        .unwrap();
        assert_eq!(config.logs.level, "off");
        assert!(!config.logs.is_enabled());
        assert!(parse(&[("MCP_TRACE_LOG_LEVEL", "off,my_crate=warn")])
            .unwrap()
            .logs
            .is_enabled());
    }

    #[test]
    fn logs_endpoints_follow_the_exporter_spec() {
        let config = parse(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318"),
            ("OTEL_EXPORTER_OTLP_LOGS_ENDPOINT", "https://l:443/custom"),
            ("OTEL_EXPORTER_OTLP_LOGS_PROTOCOL", "http/json"),
            ("OTEL_EXPORTER_OTLP_HEADERS", "api-key=generic"),
            ("OTEL_EXPORTER_OTLP_LOGS_HEADERS", "api-key=logs"),
            ("OTEL_EXPORTER_OTLP_TIMEOUT", "2500"),
            ("OTEL_EXPORTER_OTLP_LOGS_TIMEOUT", "700"),
            ("MCP_TRACE_LOG_LEVEL", "warn,weather_server=debug"),
        ])
        .unwrap();
        let logs = config.logs.otlp.clone().unwrap();
        // Used verbatim, like the traces' signal endpoint.
        assert_eq!(logs.endpoint, "https://l:443/custom");
        assert!(!logs.endpoint_is_default);
        assert_eq!(logs.protocol, Protocol::HttpJson);
        assert_eq!(logs.headers, vec![("api-key".into(), "logs".into())]);
        assert_eq!(logs.timeout, Duration::from_millis(700));
        let traces = config.otlp.unwrap();
        assert_eq!(traces.endpoint, "http://c:4318/v1/traces");
        assert_eq!(traces.protocol, Protocol::HttpProtobuf);
        assert_eq!(traces.headers, vec![("api-key".into(), "generic".into())]);
        let filter = config.logs.filter().unwrap();
        use tracing::Level;
        assert!(filter.would_enable("weather_server::tools", &Level::DEBUG));
        assert!(!filter.would_enable("rmcp", &Level::INFO));
        assert!(filter.would_enable("rmcp", &Level::WARN));
        // Only the logs endpoint set: logs follow it even with traces on the default.
        let config =
            parse(&[("OTEL_EXPORTER_OTLP_LOGS_ENDPOINT", "http://l:4318/v1/logs")]).unwrap();
        assert_eq!(config.logs.otlp.unwrap().endpoint, "http://l:4318/v1/logs");
    }

    #[test]
    fn logs_misconfiguration_names_the_variable_and_the_accepted_values() {
        let cases: &[Case] = &[
            (
                &[("OTEL_LOGS_EXPORTER", "otlp,syslog")],
                &["OTEL_LOGS_EXPORTER", "\"syslog\"", "otlp, console, none"],
            ),
            (
                &[("MCP_TRACE_LOG_LEVEL", "inof")],
                &[
                    "MCP_TRACE_LOG_LEVEL",
                    "\"inof\" is not a level",
                    "info,my_crate=debug",
                ],
            ),
            (
                &[("MCP_TRACE_LOG_LEVEL", "info,my_crate=loud")],
                &["MCP_TRACE_LOG_LEVEL", "not a level filter"],
            ),
            (
                &[("OTEL_EXPORTER_OTLP_LOGS_ENDPOINT", "collector:4318")],
                &["OTEL_EXPORTER_OTLP_LOGS_ENDPOINT", "http:// or https://"],
            ),
            (
                &[("OTEL_EXPORTER_OTLP_LOGS_PROTOCOL", "udp")],
                &["OTEL_EXPORTER_OTLP_LOGS_PROTOCOL", "unknown protocol"],
            ),
            (
                &[("OTEL_EXPORTER_OTLP_LOGS_TIMEOUT", "soon")],
                &["OTEL_EXPORTER_OTLP_LOGS_TIMEOUT", "positive integer"],
            ),
            (
                &[("OTEL_BLRP_MAX_QUEUE_SIZE", "0")],
                &["OTEL_BLRP_MAX_QUEUE_SIZE", "positive integer"],
            ),
        ];
        assert_errors_contain(cases);
        // Logs header values are secrets too.
        let message = error(&[(
            "OTEL_EXPORTER_OTLP_LOGS_HEADERS",
            "authorization=top-secret,broken",
        )]);
        assert!(
            message.contains("OTEL_EXPORTER_OTLP_LOGS_HEADERS"),
            "{message}"
        );
        assert!(!message.contains("top-secret"), "{message}");
        // A level set in code is checked when used.
        let logs = LogsConfig {
            level: "debug,weather=loud".into(),
            ..LogsConfig::default()
        };
        let message = logs.filter().unwrap_err().to_string();
        assert!(message.contains("MCP_TRACE_LOG_LEVEL"), "{message}");
    }

    #[test]
    fn batch_settings_come_from_the_lookup() {
        let config = parse(&[
            ("OTEL_BSP_SCHEDULE_DELAY", "250"),
            ("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "64"),
            ("OTEL_BLRP_MAX_QUEUE_SIZE", "100"),
            ("OTEL_BLRP_EXPORT_TIMEOUT", "1000"),
        ])
        .unwrap();
        assert_eq!(
            config.span_batch,
            BatchSettings {
                schedule_delay: Duration::from_millis(250),
                max_queue_size: 2048,
                max_export_batch_size: 64,
            }
        );
        assert_eq!(
            config.logs.batch,
            BatchSettings {
                max_queue_size: 100,
                ..BatchSettings::LOGS
            }
        );
        assert_eq!(parse(&[]).unwrap().span_batch, BatchSettings::SPANS);
        let message = parse(&[("OTEL_BLRP_EXPORT_TIMEOUT", "soon")])
            .unwrap_err()
            .to_string();
        assert!(message.contains("OTEL_BLRP_EXPORT_TIMEOUT"), "{message}");
    }

    #[test]
    fn grpc_needs_its_feature() {
        let result = parse(&[("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")]);
        if cfg!(feature = "grpc") {
            let otlp = result.unwrap().otlp.unwrap();
            assert_eq!(otlp.endpoint, "http://localhost:4317");
            assert_eq!(otlp.protocol, Protocol::Grpc);
        } else {
            let message = result.unwrap_err().to_string();
            assert!(message.contains("`grpc` feature"), "{message}");
        }
    }

    #[test]
    fn malformed_otlp_headers_do_not_echo_their_values() {
        let message = error(&[(
            "OTEL_EXPORTER_OTLP_HEADERS",
            "authorization=Bearer top-secret,broken",
        )]);
        assert!(message.contains("OTEL_EXPORTER_OTLP_HEADERS"));
        assert!(message.contains("entry 2 has no '='"));
        assert!(!message.contains("top-secret"), "{message}");
        let config = parse(&[(
            "OTEL_EXPORTER_OTLP_HEADERS",
            "authorization=Bearer%20top-secret",
        )]);
        assert!(!format!("{config:?}").contains("top-secret"));
    }

    #[test]
    fn samplers_and_propagators() {
        let config = parse(&[
            ("OTEL_TRACES_SAMPLER", "traceidratio"),
            ("OTEL_TRACES_SAMPLER_ARG", "0.5"),
            ("LANGFUSE_SAMPLE_RATE", "0.1"),
            ("OTEL_PROPAGATORS", "baggage, tracecontext, baggage"),
        ])
        .unwrap();
        assert_eq!(config.sampler, SamplerSetting::TraceIdRatio(0.5));
        assert_eq!(
            config.propagators,
            vec![Propagator::Baggage, Propagator::TraceContext]
        );
        assert_eq!(
            parse(&[("OTEL_PROPAGATORS", "none")]).unwrap().propagators,
            vec![]
        );
        assert_eq!(
            parse(&[("OTEL_TRACES_SAMPLER", "always_off")])
                .unwrap()
                .sampler,
            SamplerSetting::AlwaysOff
        );
    }

    #[test]
    fn capture_mode_and_limits() {
        let config = parse(&[
            ("LANGFUSE_OBSERVE_DECORATOR_IO_CAPTURE_ENABLED", "false"),
            ("OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT", "128"),
            ("MCP_TRACE_MODE", "Propagation_Only"),
        ])
        .unwrap();
        assert!(!config.capture_io);
        assert_eq!(config.value_length_limit, 128);
        assert_eq!(config.mode, Mode::PropagationOnly);
        assert_eq!(parse(&[("MCP_TRACE_MODE", "off")]).unwrap().mode, Mode::Off);
    }
}
