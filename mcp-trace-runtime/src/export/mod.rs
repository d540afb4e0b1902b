//! From a [`Config`] to a running tracer provider: exporters, batching,
//! sampling, resource, and the [`Guard`] that flushes it all at exit.
//!
//! Each destination (OTLP collector, Langfuse, file, console) gets its own
//! `BatchSpanProcessor`: its own bounded queue (`OTEL_BSP_MAX_QUEUE_SIZE`) and
//! its own thread, so a slow Langfuse never delays the collector and no export
//! ever runs on a request's path. An OTLP/HTTP protobuf destination's spans
//! go through [`OtlpHttpSpanExporter`] and its log records through
//! [`OtlpHttpLogExporter`], which encode each batch straight from the SDK's
//! spans or records (`otlp_wire`); HTTP JSON and gRPC use
//! opentelemetry-otlp's exporters. Metrics, when on, get a meter provider with
//! one `PeriodicReader` per destination, and logs a logger provider with one
//! `BatchLogProcessor` per destination, flushed by the same [`Guard`].

/// One OTLP exporter of any signal for `target` — `$exporter` is
/// opentelemetry-otlp's `SpanExporter`, `MetricExporter` or `LogExporter`:
/// over HTTP with the destination's pinned headers ([`configure_http`]), or
/// over gRPC with them as metadata (feature `grpc`). A macro because the
/// three builders share their methods but no trait that builds.
macro_rules! otlp_exporter {
    ($exporter:ty, $name:expr_2021, $target:expr_2021) => {{
        let (name, target): (&str, &$crate::config::OtlpTarget) = ($name, $target);
        let built: Result<$exporter, $crate::error::Error> =
            match $crate::export::http_protocol(target) {
                Some(protocol) => $crate::export::configure_http(
                    <$exporter>::builder().with_http(),
                    name,
                    target,
                    protocol,
                )
                .and_then(|builder| {
                    builder
                        .build()
                        .map_err(|error| $crate::export::exporter_error(name, &error))
                }),
                #[cfg(feature = "grpc")]
                None => {
                    use opentelemetry_otlp::{WithExportConfig as _, WithTonicConfig as _};
                    $crate::export::grpc_metadata(name, target).and_then(|metadata| {
                        <$exporter>::builder()
                            .with_tonic()
                            .with_endpoint(target.endpoint.clone())
                            .with_timeout(target.timeout)
                            .with_metadata(metadata)
                            .build()
                            .map_err(|error| $crate::export::exporter_error(name, &error))
                    })
                }
                #[cfg(not(feature = "grpc"))]
                None => Err($crate::error::Error::Exporter {
                    destination: name.to_string(),
                    reason: "gRPC export needs the `grpc` feature of mcp-trace-runtime".into(),
                }),
            };
        built
    }};
}

mod console;
mod export_thread;
mod file;
mod http_client;
mod identity;
mod langfuse;
mod logs;
mod meter;
mod otlp_http;
mod otlp_wire;
mod pipeline;
mod reporting;

use std::sync::Arc;
use std::time::Duration;

use opentelemetry::KeyValue;
use opentelemetry_otlp::{WithExportConfig, WithHttpConfig};
use opentelemetry_sdk::logs::SdkLoggerProvider;
use opentelemetry_sdk::metrics::SdkMeterProvider;
use opentelemetry_sdk::resource::TelemetryResourceDetector;
use opentelemetry_sdk::trace::{
    BatchConfigBuilder, BatchSpanProcessor, Sampler, SdkTracerProvider, SpanExporter,
};
use opentelemetry_sdk::Resource;

pub use console::ConsoleExporter;
pub use file::JsonLinesFileExporter;
pub use http_client::PinnedHeadersClient;
pub use identity::UserSessionAttributes;
use langfuse::LangfuseShaped;
pub use langfuse::{shape_for_langfuse, LangfuseAttributes};
pub use logs::build_logger_provider;
pub use meter::build_meter_provider;
pub use otlp_http::{OtlpHttpLogExporter, OtlpHttpSpanExporter};
use otlp_http::{OtlpLogExporter, OtlpSpanExporter};
pub use otlp_wire::{encode_logs_request, encode_trace_request};
use pipeline::SpanPipeline;
pub use reporting::{ExportHealth, ReportingExporter, ReportingMetricExporter};

use crate::config::{shown_endpoint, BatchSettings, Config, OtlpTarget, Protocol, SamplerSetting};
use crate::error::Error;
use crate::settings::{self, Mode};

/// How long dropping a [`Guard`] waits for the last exports.
pub const DEFAULT_SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(5);

/// Keeps tracing running; flushes every finished span and shuts the exporters
/// down when dropped (or on [`Guard::shutdown`]).
///
/// ```no_run
/// # fn main() -> Result<(), mcp_trace_runtime::Error> {
/// let guard = mcp_trace_runtime::init("weather-server")?;
/// // … serve …
/// guard.shutdown(std::time::Duration::from_secs(2))?;
/// # Ok(()) }
/// ```
#[must_use = "dropping the guard shuts tracing down at once"]
#[derive(Debug)]
pub struct Guard {
    provider: Option<SdkTracerProvider>,
    health: Vec<Arc<ExportHealth>>,
    meter_provider: Option<SdkMeterProvider>,
    /// What [`crate::metrics`] records into, unpublished at shutdown.
    instruments: Option<&'static crate::metrics::Instruments>,
    logger_provider: Option<SdkLoggerProvider>,
    /// What [`crate::logs`] forwards to, unpublished at shutdown.
    bridges: Option<&'static crate::logs::Bridges>,
}

impl Guard {
    /// Export counts per destination, e.g. to report lost spans: spans
    /// first, then metrics, then logs (see [`ExportHealth::signal`]).
    pub fn export_health(&self) -> &[Arc<ExportHealth>] {
        &self.health
    }

    /// Exports every span finished so far (and the metrics and log records
    /// recorded so far), waiting for the exporters.
    pub fn force_flush(&self) -> Result<(), Error> {
        let flush_error = |error: &dyn std::fmt::Display| Error::Flush {
            reason: error.to_string(),
        };
        if let Some(provider) = &self.provider {
            provider
                .force_flush()
                .map_err(|error| flush_error(&error))?;
        }
        if let Some(meter_provider) = &self.meter_provider {
            meter_provider
                .force_flush()
                .map_err(|error| flush_error(&error))?;
        }
        if let Some(logger_provider) = &self.logger_provider {
            logger_provider
                .force_flush()
                .map_err(|error| flush_error(&error))?;
        }
        Ok(())
    }

    /// Flushes and shuts down, waiting at most `timeout`.
    pub fn shutdown(mut self, timeout: Duration) -> Result<(), Error> {
        self.shutdown_within(timeout)
    }

    fn shutdown_within(&mut self, timeout: Duration) -> Result<(), Error> {
        if let Some(instruments) = self.instruments.take() {
            crate::metrics::unpublish(instruments);
        }
        // Records emitted from now on go nowhere instead of into a provider
        // being shut down.
        if let Some(bridges) = self.bridges.take() {
            crate::logs::unpublish(bridges);
        }
        // All three at once, so `timeout` bounds the whole shutdown: one
        // after the other, a hanging collector made it three timeouts.
        let (meter_provider, logger_provider) =
            (self.meter_provider.take(), self.logger_provider.take());
        let Some(provider) = self.provider.take() else {
            return Ok(());
        };
        let (result, metrics_result, logs_result) = std::thread::scope(|scope| {
            let metrics = scope.spawn(move || {
                meter_provider.map(|provider| provider.shutdown_with_timeout(timeout))
            });
            let logs = scope.spawn(move || {
                logger_provider.map(|provider| provider.shutdown_with_timeout(timeout))
            });
            let spans = provider.shutdown_with_timeout(timeout);
            let failed = || {
                Some(Err(
                    opentelemetry_sdk::error::OTelSdkError::InternalFailure(
                        "shutdown panicked".into(),
                    ),
                ))
            };
            (
                spans,
                metrics.join().unwrap_or_else(|_| failed()),
                logs.join().unwrap_or_else(|_| failed()),
            )
        });
        for health in &self.health {
            health.report_losses();
        }
        // A failed last metrics or logs export is counted and reported above,
        // like a lost span; only a failure nothing counted is worth an error.
        let uncounted = |signal: &str| {
            self.health
                .iter()
                .all(|health| health.signal != signal || health.failed() == 0)
        };
        let metrics_result = match metrics_result {
            Some(Err(error)) if uncounted("metrics") => Err(error),
            _ => Ok(()),
        };
        let logs_result = match logs_result {
            Some(Err(error)) if uncounted("logs") => Err(error),
            _ => Ok(()),
        };
        result
            .and(metrics_result)
            .and(logs_result)
            .map_err(|error| Error::Flush {
                reason: error.to_string(),
            })
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        if let Err(error) = self.shutdown_within(DEFAULT_SHUTDOWN_TIMEOUT) {
            crate::diagnostics::warn(error);
        }
    }
}

/// Installs `config` process-wide: the switches in [`crate::settings`], the
/// global propagator and, unless the mode is `off`, the global tracer provider,
/// the meter provider when metrics are on, the logger provider when logs are
/// on, and what [`crate::logs`] needs: `tracing` events and `log` records as
/// log records, `tracing` spans as spans of the trace. When no `tracing`
/// subscriber is set yet, it sets one with [`crate::logs::layer`]; when no
/// `log` logger is set, it sets one forwarding to the logs; an application's
/// own subscriber or logger stays as it is (add [`crate::logs::layer`] to
/// yours). With the mode `off`, or logs off and no spans to bridge, it sets
/// neither.
///
/// ```no_run
/// # fn main() -> Result<(), mcp_trace_runtime::Error> {
/// let mut config = mcp_trace_runtime::Config::from_env("weather-server")?;
/// config.service_version = Some(env!("CARGO_PKG_VERSION").to_string());
/// let _guard = mcp_trace_runtime::install(config)?;
/// # Ok(()) }
/// ```
pub fn install(config: Config) -> Result<Guard, Error> {
    settings::set_mode(config.mode);
    settings::set_capture_io(config.capture_io);
    settings::set_value_length_limit(config.value_length_limit);
    settings::set_inbound_context(config.inbound_context);
    crate::propagation::install_propagators(&config.propagators, config.mode);
    if config.mode == Mode::Off {
        return Ok(Guard {
            provider: None,
            health: Vec::new(),
            meter_provider: None,
            instruments: None,
            logger_provider: None,
            bridges: None,
        });
    }
    // One handle for both signals when spans and logs share MCP_TRACE_FILE,
    // so their lines never interleave.
    let trace_file = match &config.trace_file {
        Some(path) => Some(JsonLinesFileExporter::open(path)?),
        None => None,
    };
    let logs_file = match (&config.logs.file, &trace_file) {
        (Some(path), Some(shared)) if Some(path) == config.trace_file.as_ref() => {
            Some(shared.sharing_file())
        }
        (Some(path), _) => Some(JsonLinesFileExporter::open(path)?),
        (None, _) => None,
    };
    let log_filter = config.logs.filter()?;
    let (provider, mut health) = build_provider_with_file(&config, trace_file)?;
    let metrics = if config.metrics.is_enabled() {
        Some(build_meter_provider(&config)?)
    } else {
        None
    };
    let logs = if config.logs.is_enabled() {
        Some(logs::build_logger_provider_with_file(&config, logs_file)?)
    } else {
        None
    };
    opentelemetry::global::set_tracer_provider(provider.clone());
    let (meter_provider, instruments) = match metrics {
        None => (None, None),
        Some((meter_provider, metrics_health)) => {
            health.extend(metrics_health);
            opentelemetry::global::set_meter_provider(meter_provider.clone());
            let instruments = crate::metrics::publish(&meter_provider);
            (Some(meter_provider), Some(instruments))
        }
    };
    let logger_provider = logs.map(|(logger_provider, logs_health)| {
        health.extend(logs_health);
        logger_provider
    });
    let bridges = crate::logs::publish(
        logger_provider.as_ref(),
        config.mode == Mode::Native,
        log_filter,
    );
    Ok(Guard {
        provider: Some(provider),
        health,
        meter_provider,
        instruments,
        logger_provider,
        bridges,
    })
}

/// Builds the tracer provider for `config` without installing it globally.
pub fn build_provider(
    config: &Config,
) -> Result<(SdkTracerProvider, Vec<Arc<ExportHealth>>), Error> {
    let file = match &config.trace_file {
        Some(path) => Some(JsonLinesFileExporter::open(path)?),
        None => None,
    };
    build_provider_with_file(config, file)
}

/// [`build_provider`] with `MCP_TRACE_FILE` already open (see [`install`]).
fn build_provider_with_file(
    config: &Config,
    file: Option<JsonLinesFileExporter>,
) -> Result<(SdkTracerProvider, Vec<Arc<ExportHealth>>), Error> {
    // One processor for the SDK (see `pipeline`): enrichers, then destinations.
    let mut pipeline = SpanPipeline::default();
    pipeline.enrich(UserSessionAttributes);
    let mut health = Vec::new();
    // The file first: it is the one destination that can fail on the local machine.
    if let (Some(path), Some(file)) = (&config.trace_file, file) {
        reported(
            &mut pipeline,
            &mut health,
            config.span_batch,
            file,
            format!("MCP_TRACE_FILE={}", path.display()),
            "Check the disk and the path in MCP_TRACE_FILE.",
        );
    }
    if let Some(langfuse) = &config.langfuse {
        if langfuse.environment.is_some() || langfuse.release.is_some() {
            pipeline.enrich(LangfuseAttributes::new(langfuse));
        }
        reported(
            &mut pipeline,
            &mut health,
            config.span_batch,
            LangfuseShaped::new(OtlpSpanExporter::new(
                "Langfuse",
                &langfuse::otlp_target(langfuse),
            )?),
            format!("Langfuse at {}", shown_endpoint(&langfuse.endpoint)),
            "Check LANGFUSE_BASE_URL (or LANGFUSE_HOST) and the keys.",
        );
    }
    if let Some(otlp) = &config.otlp {
        let hint = if otlp.endpoint_is_default {
            "Nothing listens on the OpenTelemetry default endpoint: set OTEL_EXPORTER_OTLP_ENDPOINT to your collector, \
             or OTEL_TRACES_EXPORTER=none to stop exporting there."
        } else {
            "Check OTEL_EXPORTER_OTLP_ENDPOINT (or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) and that the collector runs."
        };
        reported(
            &mut pipeline,
            &mut health,
            config.span_batch,
            OtlpSpanExporter::new("OTLP", otlp)?,
            format!("the OTLP collector at {}", shown_endpoint(&otlp.endpoint)),
            hint,
        );
    }
    for extra in &config.extra_otlp {
        reported(
            &mut pipeline,
            &mut health,
            config.span_batch,
            OtlpSpanExporter::new("OTLP", extra)?,
            format!("the OTLP collector at {}", shown_endpoint(&extra.endpoint)),
            "Check that the collector runs.",
        );
    }
    if config.console {
        pipeline.send_to(batch(ConsoleExporter::default(), config.span_batch), None);
    }
    let provider = SdkTracerProvider::builder()
        .with_resource(resource(config))
        .with_sampler(sampler(config.sampler))
        .with_span_processor(pipeline)
        .build();
    Ok((provider, health))
}

/// Adds `exporter` behind its own batch processor, counting its outcomes in a new [`ExportHealth`].
fn reported<E: SpanExporter + 'static>(
    pipeline: &mut SpanPipeline,
    health: &mut Vec<Arc<ExportHealth>>,
    settings: BatchSettings,
    exporter: E,
    destination: String,
    hint: &str,
) {
    let report = ExportHealth::new(destination, hint.to_string());
    health.push(report.clone());
    pipeline.send_to(
        batch(ReportingExporter::new(exporter, report.clone()), settings),
        Some(report),
    );
}

fn batch<E: SpanExporter + 'static>(exporter: E, settings: BatchSettings) -> BatchSpanProcessor {
    // Every field set: BatchConfigBuilder::default() reads OTEL_BSP_* from the
    // process environment, and the Config (perhaps from_lookup) must win.
    let config = BatchConfigBuilder::default()
        .with_scheduled_delay(settings.schedule_delay)
        .with_max_queue_size(settings.max_queue_size)
        .with_max_export_batch_size(settings.max_export_batch_size)
        .build();
    BatchSpanProcessor::builder(exporter)
        .with_batch_config(config)
        .build()
}

/// The OTLP/HTTP wire format of `target`, or `None` for gRPC.
pub(crate) fn http_protocol(target: &OtlpTarget) -> Option<opentelemetry_otlp::Protocol> {
    match target.protocol {
        Protocol::HttpProtobuf => Some(opentelemetry_otlp::Protocol::HttpBinary),
        Protocol::HttpJson => Some(opentelemetry_otlp::Protocol::HttpJson),
        Protocol::Grpc => None,
    }
}

/// What every OTLP/HTTP exporter of ours shares, whatever the signal:
/// the destination's pinned headers, its endpoint, protocol and timeout.
pub(crate) fn configure_http<B: WithExportConfig + WithHttpConfig>(
    builder: B,
    name: &str,
    target: &OtlpTarget,
    protocol: opentelemetry_otlp::Protocol,
) -> Result<B, Error> {
    let client = PinnedHeadersClient::new(name, &target.headers, target.timeout)?;
    Ok(builder
        .with_http_client(client)
        .with_endpoint(target.endpoint.clone())
        .with_protocol(protocol)
        .with_timeout(target.timeout))
}

pub(crate) fn exporter_error(name: &str, error: &dyn std::fmt::Display) -> Error {
    Error::Exporter {
        destination: name.to_string(),
        reason: error.to_string(),
    }
}

/// The target's headers as gRPC metadata (for every signal).
#[cfg(feature = "grpc")]
pub(crate) fn grpc_metadata(
    name: &str,
    target: &OtlpTarget,
) -> Result<opentelemetry_otlp::tonic_types::metadata::MetadataMap, Error> {
    let build_error = |reason: String| Error::Exporter {
        destination: name.to_string(),
        reason,
    };
    let mut headers = http::HeaderMap::new();
    for (key, value) in &target.headers {
        let key = http::HeaderName::from_bytes(key.as_bytes())
            .map_err(|_| build_error(format!("{key:?} is not valid gRPC metadata")))?;
        let value = http::HeaderValue::from_str(value)
            .map_err(|_| build_error(format!("the value of {key} is not valid gRPC metadata")))?;
        headers.append(key, value);
    }
    Ok(opentelemetry_otlp::tonic_types::metadata::MetadataMap::from_headers(headers))
}

fn resource(config: &Config) -> Resource {
    let mut builder = Resource::builder_empty()
        .with_detector(Box::new(TelemetryResourceDetector))
        .with_service_name(config.service_name.clone());
    if let Some(version) = &config.service_version {
        builder = builder.with_attribute(KeyValue::new("service.version", version.clone()));
    }
    builder
        .with_attributes(
            config
                .resource_attributes
                .iter()
                .map(|(key, value)| KeyValue::new(key.clone(), value.clone())),
        )
        .build()
}

fn sampler(setting: SamplerSetting) -> Sampler {
    match setting {
        SamplerSetting::AlwaysOn => Sampler::AlwaysOn,
        SamplerSetting::AlwaysOff => Sampler::AlwaysOff,
        SamplerSetting::TraceIdRatio(ratio) => Sampler::TraceIdRatioBased(ratio),
        SamplerSetting::ParentBasedAlwaysOn => Sampler::ParentBased(Box::new(Sampler::AlwaysOn)),
        SamplerSetting::ParentBasedAlwaysOff => Sampler::ParentBased(Box::new(Sampler::AlwaysOff)),
        SamplerSetting::ParentBasedTraceIdRatio(ratio) => {
            Sampler::ParentBased(Box::new(Sampler::TraceIdRatioBased(ratio)))
        }
    }
}
