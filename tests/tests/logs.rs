//! Logs correlated with traces, end to end through OTLP/HTTP into the
//! embedded collector: `tracing` events and `log` records emitted inside a
//! traced call arrive as log records with that call's trace id and span id,
//! a `#[tracing::instrument]` span inside an `#[observe]` call is its child,
//! and an `#[observe]` call inside that `tracing` span is the tracing span's
//! child.
//!
//! `install` sets the process's global `tracing` subscriber and `log`
//! logger, which can happen once per process: this file holds one test.

use std::time::Duration;

use mcp_trace_runtime::collector::{CollectedLog, CollectedSpan, Collector};
use mcp_trace_runtime::config::OtlpTarget;
use mcp_trace_runtime::{install, observe, Config};

const WAIT: Duration = Duration::from_secs(10);

#[observe]
async fn look_up(city: String) -> String {
    tracing::info!(city = city.as_str(), "looked up {city}");
    log::warn!(target: "weather_cache", "cache miss for {city}");
    // Below the default level `info`: never exported.
    tracing::debug!("debug detail for {city}");
    let forecast = forecast(&city).await;
    format!("{city}: {forecast}")
}

#[tracing::instrument]
async fn forecast(city: &str) -> String {
    tracing::info!("forecasting {city}");
    tokio::task::yield_now().await;
    summarize(city.len()).await
}

#[observe]
async fn summarize(letters: usize) -> String {
    log::info!("summarizing {letters} letters");
    "sunny".to_string()
}

fn span<'a>(spans: &'a [CollectedSpan], name: &str) -> &'a CollectedSpan {
    spans
        .iter()
        .find(|span| span.name == name)
        .unwrap_or_else(|| panic!("no span {name} in {spans:#?}"))
}

fn record<'a>(logs: &'a [CollectedLog], body: &str) -> &'a CollectedLog {
    logs.iter()
        .find(|log| log.body == body)
        .unwrap_or_else(|| panic!("no record {body:?} in {logs:#?}"))
}

/// Asserts `log` was emitted in `span`: same trace, same span.
fn emitted_in(log: &CollectedLog, span: &CollectedSpan) {
    assert_eq!(
        log.trace_id.as_deref(),
        Some(span.trace_id.as_str()),
        "{log:?}"
    );
    assert_eq!(
        log.span_id.as_deref(),
        Some(span.span_id.as_str()),
        "{log:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_and_tracing_spans_join_the_trace_of_the_call() {
    let collector = Collector::start("127.0.0.1:0").await.unwrap();
    // Only the collector: nothing to the OpenTelemetry default endpoint.
    let mut config = Config::from_lookup("logs-test", |name| match name {
        "OTEL_TRACES_EXPORTER" | "OTEL_LOGS_EXPORTER" => Some("none".into()),
        _ => None,
    })
    .unwrap();
    config
        .extra_otlp
        .push(OtlpTarget::http(&collector.endpoint()));
    config
        .logs
        .extra_otlp
        .push(OtlpTarget::http_logs(&collector.endpoint()));
    let guard = install(config).unwrap();
    assert!(mcp_trace_runtime::logs::enabled());

    let answer = look_up("Paris".into()).await;
    assert_eq!(answer, "Paris: sunny");
    // Outside any call: a record without trace context.
    tracing::info!("between calls");

    // The exporters block; flush them off the runtime the collector runs on.
    let guard = tokio::task::spawn_blocking(move || {
        guard.force_flush().unwrap();
        guard
    })
    .await
    .unwrap();
    let spans = collector.wait_for(WAIT, |spans| spans.len() >= 3).await;
    let logs = collector.wait_for_logs(WAIT, |logs| logs.len() >= 5).await;

    let look_up = span(&spans, "look_up");
    let forecast = span(&spans, "forecast");
    let summarize = span(&spans, "summarize");
    // The `tracing` span is a child of the observation it runs in …
    assert_eq!(forecast.trace_id, look_up.trace_id);
    assert_eq!(
        forecast.parent_span_id.as_deref(),
        Some(look_up.span_id.as_str())
    );
    assert_eq!(forecast.attr_str("code.module.name"), Some("logs"));
    // … and the observation inside it is the `tracing` span's child.
    assert_eq!(summarize.trace_id, look_up.trace_id);
    assert_eq!(
        summarize.parent_span_id.as_deref(),
        Some(forecast.span_id.as_str())
    );
    // No `tracing` event became a span event: they are records.
    assert!(
        spans.iter().all(|span| span.events.is_empty()),
        "{spans:#?}"
    );

    let looked_up = record(&logs, "looked up Paris");
    emitted_in(looked_up, look_up);
    assert_eq!(looked_up.severity_text, "INFO");
    assert_eq!(looked_up.severity_number, 9);
    assert_eq!(looked_up.target, "logs");
    assert_eq!(looked_up.attr_str("city"), Some("Paris"));
    assert_eq!(looked_up.service_name, "logs-test");

    let cache_miss = record(&logs, "cache miss for Paris");
    emitted_in(cache_miss, look_up);
    assert_eq!(cache_miss.severity_text, "WARN");
    assert_eq!(cache_miss.target, "weather_cache");

    emitted_in(record(&logs, "forecasting Paris"), forecast);
    emitted_in(record(&logs, "summarizing 5 letters"), summarize);

    let between = record(&logs, "between calls");
    assert_eq!(between.trace_id, None);
    assert_eq!(between.span_id, None);
    assert!(
        logs.iter().all(|log| !log.body.starts_with("debug detail")),
        "{logs:#?}"
    );
    // Neither the exporters' HTTP stack nor the SDK fed records back.
    assert!(
        logs.iter()
            .all(|log| !["hyper", "reqwest", "h2", "opentelemetry"]
                .iter()
                .any(|krate| log.target.starts_with(krate))),
        "{logs:#?}"
    );
    let trace_logs = collector.logs_of_trace(&look_up.trace_id);
    assert_eq!(trace_logs.len(), 4, "{trace_logs:#?}");

    tokio::task::spawn_blocking(move || guard.shutdown(Duration::from_secs(5)))
        .await
        .unwrap()
        .unwrap();
    assert!(!mcp_trace_runtime::logs::enabled());
}
