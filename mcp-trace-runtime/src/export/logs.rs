//! The logger provider behind [`crate::logs`]: one `BatchLogProcessor` (its
//! own bounded queue, `OTEL_BLRP_MAX_QUEUE_SIZE`, and its own thread) per
//! destination, each exporter behind the same [`ReportingExporter`] as the
//! spans, so a slow or dead backend costs one warning and counted losses and
//! never delays a request. OTLP/HTTP protobuf destinations get
//! [`super::OtlpHttpLogExporter`] (each batch encoded straight from the
//! records); HTTP JSON and gRPC opentelemetry-otlp's exporter.

use std::sync::Arc;
use std::time::Duration;

use opentelemetry::logs::{AnyValue, LogRecord as _, Logger as _, LoggerProvider as _, Severity};
use opentelemetry::InstrumentationScope;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::logs::{
    BatchConfigBuilder, BatchLogProcessor, LogExporter, LogProcessor, LoggerProviderBuilder,
    SdkLogRecord, SdkLoggerProvider,
};
use opentelemetry_sdk::Resource;

use super::{
    resource, ConsoleExporter, ExportHealth, JsonLinesFileExporter, OtlpLogExporter,
    ReportingExporter,
};
use crate::config::{shown_endpoint, BatchSettings, Config};
use crate::error::Error;

/// Builds the logger provider for `config.logs` without installing it: one
/// batch processor per destination (the OTLP collector, the extra OTLP
/// destinations, `MCP_TRACE_FILE`, the console). Langfuse gets no logs: it
/// does not ingest them.
///
/// ```
/// # fn main() -> Result<(), mcp_trace_runtime::Error> {
/// use mcp_trace_runtime::config::{Config, OtlpTarget};
/// let mut config = Config::from_lookup("demo", |_| None)?;
/// config.logs.otlp = None;
/// config.logs.extra_otlp.push(OtlpTarget::http_logs("http://127.0.0.1:9"));
/// let (provider, health) = mcp_trace_runtime::export::build_logger_provider(&config)?;
/// assert_eq!(health.len(), 1);
/// assert_eq!(health[0].signal, "logs");
/// provider.shutdown().ok();
/// # Ok(()) }
/// ```
pub fn build_logger_provider(
    config: &Config,
) -> Result<(SdkLoggerProvider, Vec<Arc<ExportHealth>>), Error> {
    let file = match &config.logs.file {
        Some(path) => Some(JsonLinesFileExporter::open(path)?),
        None => None,
    };
    build_logger_provider_with_file(config, file)
}

/// [`build_logger_provider`] with the file exporter already open, so that
/// spans and log records share one handle when they share `MCP_TRACE_FILE`.
pub(crate) fn build_logger_provider_with_file(
    config: &Config,
    file: Option<JsonLinesFileExporter>,
) -> Result<(SdkLoggerProvider, Vec<Arc<ExportHealth>>), Error> {
    let logs = &config.logs;
    // First: every destination sees the record with its long values cut.
    let mut builder = SdkLoggerProvider::builder()
        .with_resource(resource(config))
        .with_log_processor(CutLongValues);
    let mut health = Vec::new();
    if let (Some(file), Some(path)) = (file, &logs.file) {
        builder = reported(
            builder,
            &mut health,
            logs.batch,
            file,
            format!("MCP_TRACE_FILE={}", path.display()),
            "Check the disk and the path in MCP_TRACE_FILE.",
        );
    }
    if let Some(otlp) = &logs.otlp {
        let hint = if otlp.endpoint_is_default {
            "Nothing listens on the OpenTelemetry default endpoint: set OTEL_EXPORTER_OTLP_ENDPOINT \
             (or OTEL_EXPORTER_OTLP_LOGS_ENDPOINT) to your collector, or OTEL_LOGS_EXPORTER=none."
        } else {
            "Check OTEL_EXPORTER_OTLP_ENDPOINT (or OTEL_EXPORTER_OTLP_LOGS_ENDPOINT) and that the collector runs."
        };
        builder = reported(
            builder,
            &mut health,
            logs.batch,
            OtlpLogExporter::new("OTLP logs", otlp)?,
            format!("the OTLP collector at {}", shown_endpoint(&otlp.endpoint)),
            hint,
        );
    }
    for extra in &logs.extra_otlp {
        builder = reported(
            builder,
            &mut health,
            logs.batch,
            OtlpLogExporter::new("OTLP logs", extra)?,
            format!("the OTLP collector at {}", shown_endpoint(&extra.endpoint)),
            "Check that the collector runs.",
        );
    }
    if logs.console {
        builder = builder.with_log_processor(batch(ConsoleExporter::default(), logs.batch));
    }
    Ok((builder.build(), health))
}

/// Adds `exporter` behind its own batch processor, counting its outcomes in a
/// new logs [`ExportHealth`].
fn reported<E: LogExporter + 'static>(
    builder: LoggerProviderBuilder,
    health: &mut Vec<Arc<ExportHealth>>,
    settings: BatchSettings,
    exporter: E,
    destination: String,
    hint: &str,
) -> LoggerProviderBuilder {
    let report = ExportHealth::new_logs(destination, hint.to_string());
    health.push(report.clone());
    builder.with_log_processor(Counted {
        processor: batch(ReportingExporter::new(exporter, report.clone()), settings),
        health: report,
    })
}

/// Cuts a record's string body and attributes at the value length limit
/// (`OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT`), as spans' captured values are: a
/// `tracing::info!(location = %location, …)` would otherwise export what the
/// network sent, whole. The SDK record cannot change an attribute in place,
/// so a record with a long value is rebuilt — only such a record.
#[derive(Debug)]
struct CutLongValues;

impl CutLongValues {
    fn too_long(value: &AnyValue, limit: usize) -> bool {
        matches!(value, AnyValue::String(text) if text.as_str().len() > limit)
    }

    fn cut(value: &AnyValue, limit: usize) -> AnyValue {
        match value {
            AnyValue::String(text) if text.as_str().len() > limit => {
                AnyValue::from(crate::settings::truncate(text.to_string(), limit))
            }
            other => other.clone(),
        }
    }

    /// A fresh record to rebuild into: from a provider with no processors,
    /// made once.
    fn blank() -> SdkLogRecord {
        static BLANK: std::sync::OnceLock<SdkLogRecord> = std::sync::OnceLock::new();
        BLANK
            .get_or_init(|| {
                SdkLoggerProvider::builder()
                    .build()
                    .logger("mcp-trace")
                    .create_log_record()
            })
            .clone()
    }
}

impl LogProcessor for CutLongValues {
    fn emit(&self, record: &mut SdkLogRecord, _scope: &InstrumentationScope) {
        let limit = crate::settings::value_length_limit();
        let long_body = record
            .body()
            .is_some_and(|body| Self::too_long(body, limit));
        let long_attribute = record
            .attributes_iter()
            .any(|(_, value)| Self::too_long(value, limit));
        if !long_body && !long_attribute {
            return;
        }
        let mut cut = Self::blank();
        if let Some(name) = record.event_name() {
            cut.set_event_name(name);
        }
        if let Some(target) = record.target() {
            cut.set_target(target.clone());
        }
        if let Some(time) = record.timestamp() {
            cut.set_timestamp(time);
        }
        if let Some(time) = record.observed_timestamp() {
            cut.set_observed_timestamp(time);
        }
        if let Some(text) = record.severity_text() {
            cut.set_severity_text(text);
        }
        if let Some(number) = record.severity_number() {
            cut.set_severity_number(number);
        }
        if let Some(context) = record.trace_context() {
            cut.set_trace_context(context.trace_id, context.span_id, context.trace_flags);
        }
        if let Some(body) = record.body() {
            cut.set_body(Self::cut(body, limit));
        }
        for (key, value) in record.attributes_iter() {
            cut.add_attribute(key.clone(), Self::cut(value, limit));
        }
        *record = cut;
    }

    fn force_flush(&self) -> OTelSdkResult {
        Ok(())
    }
}

/// A destination's batch processor that counts the records handed to it in
/// its exporter's health: what was neither exported nor failed was dropped
/// from the full queue (`ExportHealth::dropped`).
#[derive(Debug)]
struct Counted {
    processor: BatchLogProcessor,
    health: Arc<ExportHealth>,
}

impl LogProcessor for Counted {
    fn emit(&self, record: &mut SdkLogRecord, scope: &InstrumentationScope) {
        self.health.count_handed_over();
        self.processor.emit(record, scope);
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.processor.force_flush()
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.processor.shutdown_with_timeout(timeout)
    }

    fn event_enabled(&self, level: Severity, target: &str, name: Option<&str>) -> bool {
        self.processor.event_enabled(level, target, name)
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.processor.set_resource(resource);
    }
}

fn batch<E: LogExporter + 'static>(exporter: E, settings: BatchSettings) -> BatchLogProcessor {
    // Every field set: BatchConfigBuilder::default() reads OTEL_BLRP_* from
    // the process environment, and the Config (perhaps from_lookup) must win.
    let config = BatchConfigBuilder::default()
        .with_scheduled_delay(settings.schedule_delay)
        .with_max_queue_size(settings.max_queue_size)
        .with_max_export_batch_size(settings.max_export_batch_size)
        .build();
    BatchLogProcessor::builder(exporter)
        .with_batch_config(config)
        .build()
}
