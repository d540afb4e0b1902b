//! The meter provider behind [`crate::metrics`]: one `PeriodicReader` (its
//! own thread, interval `OTEL_METRIC_EXPORT_INTERVAL`) per OTLP destination,
//! so a slow backend delays neither the others nor any request.

use std::sync::Arc;

use opentelemetry_sdk::metrics::{PeriodicReader, SdkMeterProvider};

use super::{resource, ExportHealth, ReportingMetricExporter};
use crate::config::{shown_endpoint, Config};
use crate::error::Error;

/// Builds the meter provider for `config.metrics` without installing it
/// globally: one reader per destination (none when metrics are off).
pub fn build_meter_provider(
    config: &Config,
) -> Result<(SdkMeterProvider, Vec<Arc<ExportHealth>>), Error> {
    let metrics = &config.metrics;
    let mut builder = SdkMeterProvider::builder().with_resource(resource(config));
    let mut health = Vec::new();
    let destinations = metrics.otlp.iter().map(|otlp| {
        let hint = if otlp.endpoint_is_default {
            "Nothing listens on the OpenTelemetry default endpoint: set OTEL_EXPORTER_OTLP_ENDPOINT \
             (or OTEL_EXPORTER_OTLP_METRICS_ENDPOINT) to your collector, or OTEL_METRICS_EXPORTER=none."
        } else {
            "Check OTEL_EXPORTER_OTLP_ENDPOINT (or OTEL_EXPORTER_OTLP_METRICS_ENDPOINT) and that the collector runs."
        };
        (otlp, hint)
    });
    let extras = metrics
        .extra_otlp
        .iter()
        .map(|extra| (extra, "Check that the collector runs."));
    for (target, hint) in destinations.chain(extras) {
        let report = ExportHealth::new_metrics(
            format!("the OTLP collector at {}", shown_endpoint(&target.endpoint)),
            hint.to_string(),
        );
        health.push(report.clone());
        let exporter = ReportingMetricExporter::new(
            otlp_exporter!(opentelemetry_otlp::MetricExporter, "OTLP metrics", target)?,
            report,
        );
        builder = builder.with_reader(
            PeriodicReader::builder(exporter)
                .with_interval(metrics.export_interval)
                .build(),
        );
    }
    Ok((builder.build(), health))
}
