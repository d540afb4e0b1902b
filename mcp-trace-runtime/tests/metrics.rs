//! The MCP operation-duration metrics end to end: `install` with metrics on,
//! periodic OTLP/HTTP export (protobuf and JSON) to the embedded collector,
//! the guard's final flush, metrics off by default and in mode `off`, and the
//! collector's `/v1/metrics` endpoint on raw requests.
//!
//! The meter provider, the published instruments and the switches `install`
//! sets are process-wide, so every test that installs holds
//! `testing::exclusive()`, which also restores the switches' defaults.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use mcp_trace_runtime::collector::{
    CollectedMetric, Collector, MetricKind, Temporality, METRICS_PATH,
};
use mcp_trace_runtime::metrics::{
    self, CLIENT_OPERATION_DURATION, DURATION_BUCKETS, SERVER_OPERATION_DURATION,
};
use mcp_trace_runtime::{install, testing, Config, Guard};
use opentelemetry::KeyValue;
use opentelemetry_proto::tonic::collector::metrics::v1::{
    ExportMetricsServiceRequest, ExportMetricsServiceResponse,
};
use prost::Message;
use serde_json::json;

const WAIT: Duration = Duration::from_secs(10);

fn config(vars: &[(&str, &str)]) -> Config {
    let vars: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Config::from_lookup("metrics-test", |name| vars.get(name).cloned()).unwrap()
}

/// Shuts down off the async runtime: the exporters block while the collector
/// on this runtime answers them.
async fn shutdown(guard: Guard) {
    tokio::task::spawn_blocking(move || guard.shutdown(Duration::from_secs(10)))
        .await
        .unwrap()
        .unwrap();
}

fn weather_call(tool: &'static str) -> Vec<KeyValue> {
    vec![
        KeyValue::new("mcp.method.name", "tools/call"),
        KeyValue::new("gen_ai.tool.name", tool),
        KeyValue::new("network.transport", "tcp"),
        KeyValue::new("mcp.protocol.version", "2025-06-18"),
    ]
}

/// A few operations on each side, with durations in known buckets.
fn record_operations() {
    let get_weather = weather_call("get_weather");
    metrics::record_server_operation(Duration::from_millis(15), &get_weather);
    metrics::record_server_operation(Duration::from_millis(300), &get_weather);
    metrics::record_server_operation(
        Duration::from_millis(5),
        &[
            KeyValue::new("mcp.method.name", "tools/list"),
            KeyValue::new("network.transport", "pipe"),
        ],
    );
    let mut failed_forecast = weather_call("get_forecast");
    failed_forecast.push(KeyValue::new("error.type", "tool_error"));
    metrics::record_client_operation(Duration::from_millis(1500), &failed_forecast);
    metrics::record_client_operation(Duration::from_secs(400), &failed_forecast);
}

fn buckets_with(entries: &[(usize, u64)]) -> Vec<u64> {
    let mut counts = vec![0; DURATION_BUCKETS.len() + 1];
    for (index, count) in entries {
        counts[*index] = *count;
    }
    counts
}

fn assert_close(actual: Option<f64>, expected: f64) {
    let actual = actual.expect("the point has a sum");
    assert!((actual - expected).abs() < 1e-9, "{actual} != {expected}");
}

fn assert_duration_histogram(metric: &CollectedMetric) {
    assert_eq!(metric.unit, "s", "{metric:?}");
    assert_eq!(metric.kind, MetricKind::Histogram);
    assert_eq!(metric.temporality, Temporality::Cumulative);
    assert_eq!(metric.service_name, "metrics-test");
    assert_eq!(metric.scope_name, metrics::METER_NAME);
    for point in &metric.points {
        assert_eq!(point.explicit_bounds, DURATION_BUCKETS.to_vec());
        assert_eq!(point.bucket_counts.len(), DURATION_BUCKETS.len() + 1);
        assert_eq!(point.bucket_counts.iter().sum::<u64>(), point.count);
    }
}

async fn export_to_collector(protocol: &str) {
    let collector = Collector::start("127.0.0.1:0").await.unwrap();
    let guard = install(config(&[
        ("OTEL_METRICS_EXPORTER", "otlp"),
        ("OTEL_TRACES_EXPORTER", "none"),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", &collector.endpoint()),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", protocol),
        ("OTEL_METRIC_EXPORT_INTERVAL", "100"),
        ("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment=test"),
    ]))
    .unwrap();
    assert!(metrics::enabled());
    record_operations();

    // The periodic reader delivers without any flush.
    let both = |metrics: &[CollectedMetric]| {
        [SERVER_OPERATION_DURATION, CLIENT_OPERATION_DURATION]
            .iter()
            .all(|name| metrics.iter().any(|metric| metric.name == *name))
    };
    let received = collector.wait_for_metrics(WAIT, both).await;
    assert!(
        both(&received),
        "{protocol}: no periodic export: {received:?}"
    );

    // Recorded after a periodic export, delivered by the guard's final flush.
    metrics::record_server_operation(Duration::from_secs(3), &weather_call("get_weather"));
    shutdown(guard).await;
    assert!(!metrics::enabled(), "a shut-down guard stops the recording");

    let server = collector.latest_metric(SERVER_OPERATION_DURATION).unwrap();
    assert_duration_histogram(&server);
    assert_eq!(server.resource["deployment.environment"], "test");
    assert_eq!(server.points.len(), 2, "{server:?}");
    let get_weather = server
        .point_with(&[
            ("mcp.method.name", "tools/call"),
            ("gen_ai.tool.name", "get_weather"),
        ])
        .unwrap();
    assert_eq!(
        serde_json::Value::Object(get_weather.attributes.clone()),
        json!({
            "mcp.method.name": "tools/call",
            "gen_ai.tool.name": "get_weather",
            "network.transport": "tcp",
            "mcp.protocol.version": "2025-06-18",
        })
    );
    assert_eq!(get_weather.count, 3);
    assert_close(get_weather.sum, 3.315);
    // 0.015 s in (0.01, 0.02], 0.3 s in (0.2, 0.5], 3 s in (2, 5].
    assert_eq!(
        get_weather.bucket_counts,
        buckets_with(&[(1, 1), (5, 1), (8, 1)])
    );
    let list = server
        .point_with(&[("mcp.method.name", "tools/list")])
        .unwrap();
    assert_eq!(list.count, 1);
    assert_eq!(list.attr_str("network.transport"), Some("pipe"));
    assert_eq!(list.bucket_counts, buckets_with(&[(0, 1)]));

    let client = collector.latest_metric(CLIENT_OPERATION_DURATION).unwrap();
    assert_duration_histogram(&client);
    assert_eq!(client.points.len(), 1, "{client:?}");
    let forecast = &client.points[0];
    assert_eq!(forecast.attr_str("error.type"), Some("tool_error"));
    assert_eq!(forecast.attr_str("gen_ai.tool.name"), Some("get_forecast"));
    assert_eq!(forecast.count, 2);
    assert_close(forecast.sum, 401.5);
    // 1.5 s in (1, 2]; 400 s above the last bound (300).
    assert_eq!(forecast.bucket_counts, buckets_with(&[(7, 1), (14, 1)]));

    // Metrics only: OTEL_TRACES_EXPORTER=none sent no spans.
    assert!(collector.spans().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exports_both_histograms_over_otlp_http_protobuf() {
    let _exclusive = testing::exclusive();
    export_to_collector("http/protobuf").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exports_both_histograms_over_otlp_http_json() {
    let _exclusive = testing::exclusive();
    export_to_collector("http/json").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_are_off_by_default() {
    let _exclusive = testing::exclusive();
    let collector = Collector::start("127.0.0.1:0").await.unwrap();
    let guard = install(config(&[
        ("OTEL_EXPORTER_OTLP_ENDPOINT", &collector.endpoint()),
        ("OTEL_METRIC_EXPORT_INTERVAL", "50"),
    ]))
    .unwrap();
    assert!(!metrics::enabled());
    record_operations();
    tokio::time::sleep(Duration::from_millis(200)).await;
    shutdown(guard).await;
    assert!(collector.metrics().is_empty(), "{:?}", collector.metrics());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mode_off_sends_no_metrics() {
    let _exclusive = testing::exclusive();
    let collector = Collector::start("127.0.0.1:0").await.unwrap();
    let guard = install(config(&[
        ("MCP_TRACE_MODE", "off"),
        ("OTEL_METRICS_EXPORTER", "otlp"),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", &collector.endpoint()),
        ("OTEL_METRIC_EXPORT_INTERVAL", "50"),
    ]))
    .unwrap();
    assert!(!metrics::enabled());
    record_operations();
    tokio::time::sleep(Duration::from_millis(200)).await;
    shutdown(guard).await;
    assert_eq!(collector.requests(), 0);
    assert!(collector.metrics().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_extra_destination_turns_metrics_on_and_a_newer_install_wins() {
    let _exclusive = testing::exclusive();
    let first = Collector::start("127.0.0.1:0").await.unwrap();
    let second = Collector::start("127.0.0.1:0").await.unwrap();
    let install_to = |collector: &Collector| {
        let mut config = config(&[("OTEL_TRACES_EXPORTER", "none")]);
        config
            .metrics
            .extra_otlp
            .push(mcp_trace_runtime::config::OtlpTarget::http_metrics(
                &collector.endpoint(),
            ));
        install(config).unwrap()
    };
    let old_guard = install_to(&first);
    let new_guard = install_to(&second);
    // The old guard must not switch off the instruments of the newer install.
    shutdown(old_guard).await;
    assert!(metrics::enabled());
    metrics::record_client_operation(Duration::from_millis(40), &weather_call("get_weather"));
    shutdown(new_guard).await;

    let client = second.latest_metric(CLIENT_OPERATION_DURATION).unwrap();
    assert_duration_histogram(&client);
    assert_eq!(client.points[0].count, 1);
    assert!(second.latest_metric(SERVER_OPERATION_DURATION).is_none());
    assert!(first.latest_metric(CLIENT_OPERATION_DURATION).is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_metrics_backend_is_counted_not_fatal() {
    let _exclusive = testing::exclusive();
    let closed_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let guard = install(config(&[
        ("OTEL_METRICS_EXPORTER", "otlp"),
        ("OTEL_TRACES_EXPORTER", "none"),
        (
            "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
            &format!("http://127.0.0.1:{closed_port}/v1/metrics"),
        ),
        ("OTEL_EXPORTER_OTLP_TIMEOUT", "2000"),
    ]))
    .unwrap();
    record_operations();
    let health = guard
        .export_health()
        .iter()
        .find(|health| health.signal == "metrics")
        .expect("a metrics destination")
        .clone();
    assert!(health.destination.contains(&closed_port.to_string()));
    // Shutting down succeeds: the lost export is counted, not an error.
    shutdown(guard).await;
    assert_eq!(health.failed(), 1, "{health:?}");
    assert_eq!(health.exported(), 0);
}

#[derive(Debug, Clone)]
struct Received {
    path: String,
    headers: http::HeaderMap,
}

/// A loopback HTTP server that records each request and answers 200 with an
/// empty OTLP protobuf response.
async fn recording_receiver() -> (String, Arc<Mutex<Vec<Received>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let received = Arc::new(Mutex::new(Vec::new()));
    let store = received.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let store = store.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(
                    move |request: http::Request<hyper::body::Incoming>| {
                        let store = store.clone();
                        async move {
                            let (parts, body) = request.into_parts();
                            let _ = body.collect().await;
                            store.lock().unwrap().push(Received {
                                path: parts.uri.path().to_string(),
                                headers: parts.headers,
                            });
                            Ok::<_, Infallible>(
                                http::Response::builder()
                                    .header("content-type", "application/x-protobuf")
                                    .body(Full::new(Bytes::new()))
                                    .unwrap(),
                            )
                        }
                    },
                );
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    (format!("http://{address}"), received)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_requests_carry_exactly_the_metrics_headers() {
    let _exclusive = testing::exclusive();
    let (url, received) = recording_receiver().await;
    // opentelemetry-otlp would merge this into every exporter it builds.
    // TODO: Audit that the environment access only happens in single-threaded code.
    unsafe { std::env::set_var("OTEL_EXPORTER_OTLP_HEADERS", "x-env-key=env-secret") };
    let guard = install(config(&[
        ("OTEL_METRICS_EXPORTER", "otlp"),
        ("OTEL_TRACES_EXPORTER", "none"),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", &url),
        ("OTEL_EXPORTER_OTLP_HEADERS", "x-env-key=env-secret"),
        ("OTEL_EXPORTER_OTLP_METRICS_HEADERS", "x-metrics-key=m1"),
    ]))
    .unwrap();
    record_operations();
    shutdown(guard).await;
    // TODO: Audit that the environment access only happens in single-threaded code.
    unsafe { std::env::remove_var("OTEL_EXPORTER_OTLP_HEADERS") };

    let requests = received.lock().unwrap().clone();
    assert!(!requests.is_empty(), "nothing exported");
    for request in &requests {
        assert_eq!(request.path, "/v1/metrics");
        assert_eq!(request.headers["content-type"], "application/x-protobuf");
        assert_eq!(request.headers["x-metrics-key"], "m1");
        assert!(request.headers.get("x-env-key").is_none(), "{request:?}");
    }
}

const OTLP_METRICS_JSON: &str = r#"{
  "resourceMetrics": [{
    "resource": {"attributes": [
      {"key": "service.name", "value": {"stringValue": "json-svc"}}
    ]},
    "scopeMetrics": [{
      "scope": {"name": "hand-written", "version": "1"},
      "metrics": [
        {
          "name": "mcp.server.operation.duration",
          "description": "server side",
          "unit": "s",
          "histogram": {
            "aggregationTemporality": 2,
            "dataPoints": [{
              "attributes": [
                {"key": "mcp.method.name", "value": {"stringValue": "tools/call"}},
                {"key": "gen_ai.tool.name", "value": {"stringValue": "get_weather"}}
              ],
              "startTimeUnixNano": "1700000000000000000",
              "timeUnixNano": "1700000060000000000",
              "count": "3",
              "sum": 0.75,
              "bucketCounts": ["1", "2", "0"],
              "explicitBounds": [0.1, 1.0],
              "min": 0.05,
              "max": 0.5
            }]
          }
        },
        {
          "name": "requests",
          "unit": "{request}",
          "sum": {
            "aggregationTemporality": 1,
            "isMonotonic": true,
            "dataPoints": [{"timeUnixNano": "1700000060000000000", "asInt": "7"}]
          }
        },
        {
          "name": "queue.depth",
          "gauge": {"dataPoints": [{"asDouble": 2.5}]}
        }
      ]
    }]
  }]
}"#;

fn assert_hand_written(metrics: &[CollectedMetric]) {
    assert_eq!(metrics.len(), 3, "{metrics:?}");
    let histogram = &metrics[0];
    assert_eq!(histogram.name, "mcp.server.operation.duration");
    assert_eq!(histogram.description, "server side");
    assert_eq!(histogram.unit, "s");
    assert_eq!(histogram.service_name, "json-svc");
    assert_eq!(histogram.scope_name, "hand-written");
    assert_eq!(histogram.kind, MetricKind::Histogram);
    assert_eq!(histogram.temporality, Temporality::Cumulative);
    let point = histogram
        .point_with(&[("gen_ai.tool.name", "get_weather")])
        .unwrap();
    assert_eq!(point.attr_str("mcp.method.name"), Some("tools/call"));
    assert_eq!(point.start_time_unix_nano, 1_700_000_000_000_000_000);
    assert_eq!(point.time_unix_nano, 1_700_000_060_000_000_000);
    assert_eq!(point.count, 3);
    assert_eq!(point.sum, Some(0.75));
    assert_eq!((point.min, point.max), (Some(0.05), Some(0.5)));
    assert_eq!(point.bucket_counts, vec![1, 2, 0]);
    assert_eq!(point.explicit_bounds, vec![0.1, 1.0]);

    let sum = &metrics[1];
    assert_eq!(sum.kind, MetricKind::Sum);
    assert_eq!(sum.temporality, Temporality::Delta);
    assert_eq!(sum.number_points.len(), 1);
    assert_eq!(sum.number_points[0].value, 7.0);
    assert!(sum.points.is_empty());

    let gauge = &metrics[2];
    assert_eq!(gauge.kind, MetricKind::Gauge);
    assert_eq!(gauge.temporality, Temporality::Unspecified);
    assert_eq!(gauge.number_points[0].value, 2.5);
}

async fn post(
    collector: &Collector,
    method: reqwest::Method,
    path: &str,
    headers: &[(&str, &str)],
    body: Vec<u8>,
) -> reqwest::Response {
    let mut request = reqwest::Client::new()
        .request(method, format!("{}{path}", collector.endpoint()))
        .body(body);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_collector_accepts_json_and_protobuf_metrics() {
    let collector = Collector::start("127.0.0.1:0").await.unwrap();

    let res = post(
        &collector,
        reqwest::Method::POST,
        METRICS_PATH,
        &[("content-type", "application/json; charset=utf-8")],
        OTLP_METRICS_JSON.as_bytes().to_vec(),
    )
    .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/json");
    assert_eq!(res.text().await.unwrap(), "{}");
    assert_hand_written(&collector.metrics());

    // The same request as protobuf.
    let request: ExportMetricsServiceRequest = serde_json::from_str(OTLP_METRICS_JSON).unwrap();
    let res = post(
        &collector,
        reqwest::Method::POST,
        METRICS_PATH,
        &[("content-type", "application/x-protobuf")],
        request.encode_to_vec(),
    )
    .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/x-protobuf");
    assert_eq!(
        ExportMetricsServiceResponse::decode(res.bytes().await.unwrap()).unwrap(),
        ExportMetricsServiceResponse::default()
    );
    let metrics = collector.metrics();
    assert_eq!(metrics.len(), 6);
    assert_hand_written(&metrics[3..]);
    assert_eq!(metrics[..3], metrics[3..]);
    assert_eq!(collector.requests(), 2);
    // Metrics are not spans.
    assert!(collector.spans().is_empty());
    let waited = collector
        .wait_for_metrics(Duration::from_millis(10), |metrics| metrics.len() == 6)
        .await;
    assert_eq!(waited.len(), 6);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_metrics_requests_are_rejected_like_traces() {
    let collector = Collector::start("127.0.0.1:0").await.unwrap();
    let json = [("content-type", "application/json")];
    let proto = [("content-type", "application/x-protobuf")];
    let status = |res: reqwest::Response| res.status().as_u16();

    let res = post(&collector, reqwest::Method::GET, METRICS_PATH, &[], vec![]).await;
    assert_eq!(res.status(), 405);
    assert_eq!(res.headers()["allow"], "POST");
    let res = post(
        &collector,
        reqwest::Method::POST,
        METRICS_PATH,
        &[("content-type", "text/plain")],
        b"{}".to_vec(),
    )
    .await;
    assert_eq!(status(res), 415);
    let res = post(
        &collector,
        reqwest::Method::POST,
        METRICS_PATH,
        &[
            ("content-type", "application/json"),
            ("content-encoding", "gzip"),
        ],
        b"{}".to_vec(),
    )
    .await;
    assert_eq!(status(res), 415);
    let res = post(
        &collector,
        reqwest::Method::POST,
        METRICS_PATH,
        &json,
        b"{\"resourceMetrics\": [".to_vec(),
    )
    .await;
    assert_eq!(res.status(), 400);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("ExportMetricsServiceRequest"));
    let res = post(
        &collector,
        reqwest::Method::POST,
        METRICS_PATH,
        &proto,
        vec![0x0a, 100, 1, 2, 3],
    )
    .await;
    assert_eq!(status(res), 400);
    // A metrics body sent to the traces path is no trace (and vice versa).
    let res = post(
        &collector,
        reqwest::Method::POST,
        "/v1/traces",
        &json,
        OTLP_METRICS_JSON.as_bytes().to_vec(),
    )
    .await;
    assert_eq!(status(res), 200, "unknown JSON fields are ignored");
    assert!(collector.spans().is_empty());
    assert!(collector.metrics().is_empty());
    assert_eq!(collector.requests(), 1);
}
