//! `OTEL_TRACES_EXPORTER=console`: one readable line per finished span on stdout.

use std::fmt::Write as _;
use std::io::Write as _;

use opentelemetry::trace::Status;
use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
use opentelemetry_sdk::trace::{SpanData, SpanExporter};
use opentelemetry_sdk::Resource;

/// Prints `trace_id span_id parent name kind duration attributes` per span.
#[derive(Debug, Default)]
pub struct ConsoleExporter {
    service_name: String,
}

impl SpanExporter for ConsoleExporter {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        let mut out = String::new();
        for span in &batch {
            let duration = span
                .end_time
                .duration_since(span.start_time)
                .unwrap_or_default();
            let _ = write!(
                out,
                "[{}] trace={} span={} parent={} {:?} {} {:.3}ms",
                self.service_name,
                span.span_context.trace_id(),
                span.span_context.span_id(),
                span.parent_span_id,
                span.span_kind,
                span.name,
                duration.as_secs_f64() * 1e3,
            );
            if let Status::Error { description } = &span.status {
                let _ = write!(out, " ERROR({description})");
            }
            for attribute in &span.attributes {
                let _ = write!(out, " {}={}", attribute.key, attribute.value);
            }
            out.push('\n');
        }
        std::io::stdout()
            .lock()
            .write_all(out.as_bytes())
            .map_err(|error| OTelSdkError::InternalFailure(error.to_string()))
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.service_name = resource
            .get(&opentelemetry::Key::from_static_str("service.name"))
            .map(|value| value.to_string())
            .unwrap_or_default();
    }
}
