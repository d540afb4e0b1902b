//! `OTEL_TRACES_EXPORTER=console` / `OTEL_LOGS_EXPORTER=console`: one
//! readable line per finished span or log record on stdout, or on stderr
//! once stdout carries the protocol (a stdio server).

use std::fmt::Write as _;
use std::io::Write as _;

use opentelemetry::logs::AnyValue;
use opentelemetry::trace::Status;
use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
use opentelemetry_sdk::logs::{LogBatch, LogExporter};
use opentelemetry_sdk::trace::{SpanData, SpanExporter};
use opentelemetry_sdk::Resource;

/// Prints `trace_id span_id parent name kind duration attributes` per span,
/// and `trace_id span_id SEVERITY target: body attributes` per log record.
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
        print(&out)
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.service_name = service_name(resource);
    }
}

impl LogExporter for ConsoleExporter {
    async fn export(&self, batch: LogBatch<'_>) -> OTelSdkResult {
        let mut out = String::new();
        for (record, scope) in batch.iter() {
            let (trace_id, span_id) = match record.trace_context() {
                Some(context) => (context.trace_id.to_string(), context.span_id.to_string()),
                None => ("-".into(), "-".into()),
            };
            let target = record.target().map(|target| target.as_ref());
            let _ = write!(
                out,
                "[{}] trace={trace_id} span={span_id} {} {}:",
                self.service_name,
                record.severity_text().unwrap_or("-"),
                target.unwrap_or(scope.name()),
            );
            if let Some(body) = record.body() {
                let _ = write!(out, " {}", text_of(body));
            }
            for (key, value) in record.attributes_iter() {
                let _ = write!(out, " {key}={}", text_of(value));
            }
            out.push('\n');
        }
        print(&out)
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.service_name = service_name(resource);
    }
}

fn print(out: &str) -> OTelSdkResult {
    // Asked at every batch, not at install: a program installs tracing
    // before it knows it will serve stdio.
    let written = if crate::settings::stdout_carries_protocol() {
        std::io::stderr().lock().write_all(out.as_bytes())
    } else {
        std::io::stdout().lock().write_all(out.as_bytes())
    };
    written.map_err(|error| OTelSdkError::InternalFailure(error.to_string()))
}

fn service_name(resource: &Resource) -> String {
    resource
        .get(&opentelemetry::Key::from_static_str("service.name"))
        .map(|value| value.to_string())
        .unwrap_or_default()
}

/// A log body or attribute as one line of text.
fn text_of(value: &AnyValue) -> String {
    let text = match value {
        AnyValue::String(text) => text.to_string(),
        AnyValue::Int(number) => number.to_string(),
        AnyValue::Double(number) => number.to_string(),
        AnyValue::Boolean(flag) => flag.to_string(),
        other => format!("{other:?}"),
    };
    // A newline in a message would split the one-line-per-record output.
    text.replace(['\n', '\r'], " ")
}
