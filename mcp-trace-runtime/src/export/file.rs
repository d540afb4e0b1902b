//! `MCP_TRACE_FILE`: every export request as one OTLP-JSON line, the format of
//! the OpenTelemetry Collector's file exporter, so the file can be replayed
//! into any OTLP backend or read with `jq`. Spans and log records share the
//! file: one line per export request of either signal.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::transform::common::tonic::ResourceAttributesWithSchema;
use opentelemetry_proto::transform::logs::tonic::group_logs_by_resource_and_scope;
use opentelemetry_proto::transform::trace::tonic::group_spans_by_resource_and_scope;
use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
use opentelemetry_sdk::logs::{LogBatch, LogExporter};
use opentelemetry_sdk::trace::{SpanData, SpanExporter};
use opentelemetry_sdk::Resource;

use crate::error::Error;

/// Appends OTLP-JSON lines to a file, as a [`SpanExporter`] and as a
/// [`LogExporter`].
///
/// ```no_run
/// # fn main() -> Result<(), mcp_trace_runtime::Error> {
/// use mcp_trace_runtime::export::JsonLinesFileExporter;
/// let spans = JsonLinesFileExporter::open("trace.jsonl".as_ref())?;
/// // The logs exporter writes into the same file, never between two halves of a line.
/// let logs = spans.sharing_file();
/// # drop((spans, logs));
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct JsonLinesFileExporter {
    file: Arc<SharedFile>,
    resource: ResourceAttributesWithSchema,
}

/// The one handle every exporter of a file writes through: each line is
/// written whole under the lock, so a span line and a log line never mix.
#[derive(Debug)]
struct SharedFile {
    path: PathBuf,
    writer: Mutex<BufWriter<File>>,
}

impl JsonLinesFileExporter {
    /// Opens (creating if needed) `path` for appending.
    pub fn open(path: &Path) -> Result<JsonLinesFileExporter, Error> {
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|source| Error::TraceFile {
                path: path.to_path_buf(),
                source,
            })?;
        Ok(JsonLinesFileExporter {
            file: Arc::new(SharedFile {
                path: path.to_path_buf(),
                writer: Mutex::new(BufWriter::new(file)),
            }),
            resource: ResourceAttributesWithSchema::default(),
        })
    }

    /// Another exporter writing into the same file (for the other signal),
    /// with its own resource.
    pub fn sharing_file(&self) -> JsonLinesFileExporter {
        JsonLinesFileExporter {
            file: Arc::clone(&self.file),
            resource: ResourceAttributesWithSchema::default(),
        }
    }

    /// Writes `request` as one line and flushes it.
    fn write_line(&self, request: &impl serde::Serialize) -> OTelSdkResult {
        let failure = |error: &dyn std::fmt::Display| {
            OTelSdkError::InternalFailure(format!("writing {}: {error}", self.file.path.display()))
        };
        // Only the batch processors' threads write here; the lock is never
        // contended on a request path.
        let mut file = self
            .file
            .writer
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        serde_json::to_writer(&mut *file, request).map_err(|e| failure(&e))?;
        file.write_all(b"\n").map_err(|e| failure(&e))?;
        file.flush().map_err(|e| failure(&e))
    }
}

impl SpanExporter for JsonLinesFileExporter {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        if batch.is_empty() {
            return Ok(());
        }
        self.write_line(&ExportTraceServiceRequest {
            resource_spans: group_spans_by_resource_and_scope(batch, &self.resource),
        })
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.resource = resource.into();
    }
}

impl LogExporter for JsonLinesFileExporter {
    async fn export(&self, batch: LogBatch<'_>) -> OTelSdkResult {
        if batch.iter().next().is_none() {
            return Ok(());
        }
        self.write_line(&ExportLogsServiceRequest {
            resource_logs: group_logs_by_resource_and_scope(&batch, &self.resource),
        })
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.resource = resource.into();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry::logs::{LogRecord as _, Logger as _, LoggerProvider as _, Severity};
    use opentelemetry::trace::{TraceContextExt as _, Tracer as _, TracerProvider as _};

    #[test]
    fn spans_and_log_records_share_the_file_one_request_per_line() {
        let dir = std::env::temp_dir().join(format!("mcp-trace-file-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("both.jsonl");
        let _ = std::fs::remove_file(&path);
        let spans = JsonLinesFileExporter::open(&path).unwrap();
        let logs = spans.sharing_file();
        let resource = Resource::builder_empty()
            .with_service_name("file-test")
            .build();
        let tracer_provider = opentelemetry_sdk::trace::SdkTracerProvider::builder()
            .with_resource(resource.clone())
            .with_simple_exporter(spans)
            .build();
        let logger_provider = opentelemetry_sdk::logs::SdkLoggerProvider::builder()
            .with_resource(resource)
            .with_simple_exporter(logs)
            .build();
        let logger = logger_provider.logger("file-test");
        let (trace_id, span_id) = tracer_provider.tracer("file-test").in_span("work", |cx| {
            let mut record = logger.create_log_record();
            record.set_severity_number(Severity::Warn);
            record.set_severity_text("WARN");
            record.set_body("disk almost full".into());
            record.set_target("weather_server::cache");
            logger.emit(record);
            let span = cx.span();
            let context = span.span_context();
            (
                context.trace_id().to_string(),
                context.span_id().to_string(),
            )
        });

        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect();
        assert_eq!(lines.len(), 2, "{text}");
        // The record was emitted (and written) before the span ended.
        let record = &lines[0]["resourceLogs"][0]["scopeLogs"][0];
        assert_eq!(record["scope"]["name"], "weather_server::cache");
        let record = &record["logRecords"][0];
        assert_eq!(record["body"]["stringValue"], "disk almost full");
        assert_eq!(record["severityText"], "WARN");
        assert_eq!(record["severityNumber"], 13);
        assert_eq!(record["traceId"], trace_id);
        assert_eq!(record["spanId"], span_id);
        let span = &lines[1]["resourceSpans"][0];
        assert_eq!(
            span["resource"]["attributes"][0]["value"]["stringValue"],
            "file-test"
        );
        assert_eq!(span["scopeSpans"][0]["spans"][0]["spanId"], span_id);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
