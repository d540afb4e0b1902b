//! Wraps every exporter so that an unreachable or failing backend costs one
//! warning, not a log line per batch, and lost spans (and failed metric
//! exports) are counted.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::metrics::data::ResourceMetrics;
use opentelemetry_sdk::metrics::exporter::PushMetricExporter;
use opentelemetry_sdk::metrics::Temporality;
use opentelemetry_sdk::trace::{SpanData, SpanExporter};
use opentelemetry_sdk::Resource;

/// Export counts of one destination, shared with the [`crate::Guard`] so it can
/// report them at shutdown.
#[derive(Debug, Default)]
pub struct ExportHealth {
    /// Human-readable destination, e.g. `OTLP collector at http://…/v1/traces`.
    pub destination: String,
    /// What the user can change when this destination fails.
    pub hint: String,
    /// What it receives: `"spans"`, or `"metrics"` for a metrics destination,
    /// whose counts are export requests rather than spans.
    pub signal: &'static str,
    warned: AtomicBool,
    exported: AtomicU64,
    failed: AtomicU64,
}

impl ExportHealth {
    pub(crate) fn new(destination: String, hint: String) -> Arc<ExportHealth> {
        Arc::new(ExportHealth {
            destination,
            hint,
            signal: "spans",
            ..ExportHealth::default()
        })
    }

    /// Health of a metrics destination: counts export requests (each carries
    /// the cumulative state of every instrument, so a later success repairs
    /// an earlier failure).
    pub(crate) fn new_metrics(destination: String, hint: String) -> Arc<ExportHealth> {
        Arc::new(ExportHealth {
            destination,
            hint,
            signal: "metrics",
            ..ExportHealth::default()
        })
    }

    /// Spans this destination accepted (metrics: export requests accepted).
    pub fn exported(&self) -> u64 {
        self.exported.load(Ordering::Relaxed)
    }

    /// Spans lost because the destination failed or was unreachable
    /// (metrics: export requests that failed).
    pub fn failed(&self) -> u64 {
        self.failed.load(Ordering::Relaxed)
    }

    fn record_failure(&self, spans: usize, error: &dyn std::fmt::Display) {
        self.failed.fetch_add(spans as u64, Ordering::Relaxed);
        if !self.warned.swap(true, Ordering::Relaxed) {
            eprintln!(
                "mcp-trace: warning: cannot export {} to {}: {error}. {} \
                 The program goes on; further failures are counted and reported at shutdown.",
                self.signal, self.destination, self.hint
            );
        }
    }

    pub(crate) fn report_losses(&self) {
        let failed = self.failed();
        if failed > 0 && self.signal == "metrics" {
            eprintln!(
                "mcp-trace: {failed} metrics export(s) to {} failed ({} succeeded).",
                self.destination,
                self.exported()
            );
        } else if failed > 0 {
            eprintln!(
                "mcp-trace: {failed} span(s) could not be exported to {} ({} exported).",
                self.destination,
                self.exported()
            );
        }
    }
}

/// A [`SpanExporter`] that records the outcome of each batch in an [`ExportHealth`].
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
        match &result {
            Ok(()) => {
                self.health
                    .exported
                    .fetch_add(spans as u64, Ordering::Relaxed);
            }
            Err(error) => self.health.record_failure(spans, error),
        }
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
        match &result {
            Ok(()) => {
                self.health.exported.fetch_add(1, Ordering::Relaxed);
            }
            Err(error) => self.health.record_failure(1, error),
        }
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
}
