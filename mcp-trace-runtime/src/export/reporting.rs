//! Wraps every exporter so that an unreachable or failing backend costs one
//! warning, not a log line per batch, and lost spans and log records (and
//! failed metric exports) are counted.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use opentelemetry::logs::Severity;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::logs::{LogBatch, LogExporter};
use opentelemetry_sdk::metrics::data::ResourceMetrics;
use opentelemetry_sdk::metrics::exporter::PushMetricExporter;
use opentelemetry_sdk::metrics::Temporality;
use opentelemetry_sdk::trace::{SpanData, SpanExporter};
use opentelemetry_sdk::Resource;

use crate::diagnostics;

/// Export counts of one destination, shared with the [`crate::Guard`] so it can
/// report them at shutdown.
#[derive(Debug, Default)]
pub struct ExportHealth {
    /// Human-readable destination, e.g. `OTLP collector at http://…/v1/traces`.
    pub destination: String,
    /// What the user can change when this destination fails.
    pub hint: String,
    /// What it receives: `"spans"`, `"logs"` (counts are log records), or
    /// `"metrics"` for a metrics destination, whose counts are export
    /// requests rather than spans.
    pub signal: &'static str,
    warned: AtomicBool,
    handed_over: AtomicU64,
    exported: AtomicU64,
    failed: AtomicU64,
}

impl ExportHealth {
    pub(crate) fn new(destination: String, hint: String) -> Arc<ExportHealth> {
        ExportHealth::of("spans", destination, hint)
    }

    /// Health of a logs destination: counts log records.
    pub(crate) fn new_logs(destination: String, hint: String) -> Arc<ExportHealth> {
        ExportHealth::of("logs", destination, hint)
    }

    fn of(signal: &'static str, destination: String, hint: String) -> Arc<ExportHealth> {
        Arc::new(ExportHealth {
            destination,
            hint,
            signal,
            ..ExportHealth::default()
        })
    }

    /// Health of a metrics destination: counts export requests (each carries
    /// the cumulative state of every instrument, so a later success repairs
    /// an earlier failure).
    pub(crate) fn new_metrics(destination: String, hint: String) -> Arc<ExportHealth> {
        ExportHealth::of("metrics", destination, hint)
    }

    /// Spans (or log records) this destination accepted (metrics: export
    /// requests accepted).
    pub fn exported(&self) -> u64 {
        self.exported.load(Ordering::Relaxed)
    }

    /// Spans (or log records) lost because the destination failed or was
    /// unreachable (metrics: export requests that failed).
    pub fn failed(&self) -> u64 {
        self.failed.load(Ordering::Relaxed)
    }

    /// Spans (or log records) handed to the destination's batch processor
    /// that were neither exported nor failed: dropped while its queue was
    /// full (`OTEL_BSP_MAX_QUEUE_SIZE` / `OTEL_BLRP_MAX_QUEUE_SIZE`), or
    /// still unsent when shutdown gave up on a hanging export. Exact once
    /// the processor has shut down; before, it also counts those queued.
    pub fn dropped(&self) -> u64 {
        let settled = self.exported() + self.failed();
        self.handed_over
            .load(Ordering::Relaxed)
            .saturating_sub(settled)
    }

    /// Counts one span (or log record) handed to the batch processor.
    pub(crate) fn count_handed_over(&self) {
        self.handed_over.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts one export's outcome: `items` exported, or lost with one warning.
    fn record(&self, items: usize, result: &OTelSdkResult) {
        match result {
            Ok(()) => {
                self.exported.fetch_add(items as u64, Ordering::Relaxed);
            }
            Err(error) => self.record_failure(items, error),
        }
    }

    fn record_failure(&self, spans: usize, error: &dyn std::fmt::Display) {
        self.failed.fetch_add(spans as u64, Ordering::Relaxed);
        if !self.warned.swap(true, Ordering::Relaxed) {
            diagnostics::warn(format_args!(
                "warning: cannot export {} to {}: {error}. {} \
                 The program goes on; further failures are counted and reported at shutdown.",
                self.signal, self.destination, self.hint
            ));
        }
    }

    /// One line on stderr for what was lost, if anything: called after the
    /// destination's processor has shut down.
    pub(crate) fn report_losses(&self) {
        let failed = self.failed();
        if self.signal == "metrics" {
            if failed > 0 {
                diagnostics::warn(format_args!(
                    "{failed} metrics export(s) to {} failed ({} succeeded).",
                    self.destination,
                    self.exported()
                ));
            }
            return;
        }
        let (items, queue) = if self.signal == "logs" {
            ("log record(s)", "OTEL_BLRP_MAX_QUEUE_SIZE")
        } else {
            ("span(s)", "OTEL_BSP_MAX_QUEUE_SIZE")
        };
        let dropped = self.dropped();
        if failed > 0 || dropped > 0 {
            diagnostics::warn(format_args!(
                "{} {items} lost for {}: {failed} could not be exported, {dropped} \
                 never sent (the export queue was full — see {queue} — or shutdown ended first); \
                 {} exported.",
                failed + dropped,
                self.destination,
                self.exported()
            ));
        }
    }
}

/// A [`SpanExporter`] (or [`LogExporter`]) that records the outcome of each
/// batch in an [`ExportHealth`].
#[derive(Debug)]
pub struct ReportingExporter<E> {
    inner: E,
    health: Arc<ExportHealth>,
}

impl<E> ReportingExporter<E> {
    pub(crate) fn new(inner: E, health: Arc<ExportHealth>) -> Self {
        ReportingExporter { inner, health }
    }
}

impl<E: SpanExporter> SpanExporter for ReportingExporter<E> {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        let spans = batch.len();
        let result = self.inner.export(batch).await;
        self.health.record(spans, &result);
        result
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.inner.shutdown_with_timeout(timeout)
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.inner.force_flush()
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.inner.set_resource(resource);
    }
}

// The same wrapper for logs (its health made with `ExportHealth::new_logs`),
// so a lost log record is counted and warned about exactly like a lost span.
impl<E: LogExporter> LogExporter for ReportingExporter<E> {
    async fn export(&self, batch: LogBatch<'_>) -> OTelSdkResult {
        // `LogBatch::len` is private to the SDK.
        let records = batch.iter().count();
        let result = self.inner.export(batch).await;
        self.health.record(records, &result);
        result
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.inner.shutdown_with_timeout(timeout)
    }

    fn event_enabled(&self, level: Severity, target: &str, name: Option<&str>) -> bool {
        self.inner.event_enabled(level, target, name)
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.inner.set_resource(resource);
    }
}

/// A [`PushMetricExporter`] that records the outcome of each export in an
/// [`ExportHealth`] (made with `ExportHealth::new_metrics`).
#[derive(Debug)]
pub struct ReportingMetricExporter<E> {
    inner: E,
    health: Arc<ExportHealth>,
}

impl<E> ReportingMetricExporter<E> {
    pub(crate) fn new(inner: E, health: Arc<ExportHealth>) -> Self {
        ReportingMetricExporter { inner, health }
    }
}

impl<E: PushMetricExporter> PushMetricExporter for ReportingMetricExporter<E> {
    async fn export(&self, metrics: &ResourceMetrics) -> OTelSdkResult {
        let result = self.inner.export(metrics).await;
        self.health.record(1, &result);
        result
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.inner.force_flush()
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.inner.shutdown_with_timeout(timeout)
    }

    fn temporality(&self) -> Temporality {
        self.inner.temporality()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry_sdk::error::OTelSdkError;

    #[derive(Debug)]
    struct FailingExporter;

    impl SpanExporter for FailingExporter {
        async fn export(&self, _batch: Vec<SpanData>) -> OTelSdkResult {
            Err(OTelSdkError::InternalFailure("connection refused".into()))
        }
    }

    #[test]
    fn failures_are_counted_and_warned_once() {
        use opentelemetry::trace::{Tracer, TracerProvider};
        let health = ExportHealth::new("test sink".into(), "set X.".into());
        let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder()
            .with_simple_exporter(ReportingExporter::new(FailingExporter, health.clone()))
            .build();
        let tracer = provider.tracer("test");
        for _ in 0..3 {
            tracer.in_span("lost", |_| {});
        }
        assert!(health.warned.load(Ordering::Relaxed));
        assert_eq!(health.failed(), 3);
        assert_eq!(health.exported(), 0);
    }

    #[derive(Debug)]
    struct FlakyLogExporter {
        calls: AtomicU64,
    }

    impl LogExporter for FlakyLogExporter {
        /// Every other batch fails, so both counts move.
        async fn export(&self, _batch: LogBatch<'_>) -> OTelSdkResult {
            if self.calls.fetch_add(1, Ordering::Relaxed).is_multiple_of(2) {
                Err(OTelSdkError::InternalFailure("connection refused".into()))
            } else {
                Ok(())
            }
        }
    }

    #[test]
    fn lost_log_records_are_counted_and_warned_once() {
        use opentelemetry::logs::{LogRecord as _, Logger as _, LoggerProvider as _};
        let health = ExportHealth::new_logs("test sink".into(), "set X.".into());
        assert_eq!(health.signal, "logs");
        let exporter = FlakyLogExporter {
            calls: AtomicU64::new(0),
        };
        let provider = opentelemetry_sdk::logs::SdkLoggerProvider::builder()
            .with_simple_exporter(ReportingExporter::new(exporter, health.clone()))
            .build();
        let logger = provider.logger("test");
        for n in 0..5 {
            let mut record = logger.create_log_record();
            record.set_body(format!("record {n}").into());
            logger.emit(record);
        }
        // Records 0, 2 and 4 went out in failing exports.
        assert_eq!(health.failed(), 3);
        assert_eq!(health.exported(), 2);
        assert!(health.warned.load(Ordering::Relaxed));
    }
}
