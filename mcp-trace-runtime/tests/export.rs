//! `install` end to end: real OTLP/HTTP export to the embedded collector, the
//! Langfuse wire format against a loopback receiver, the JSON-lines file, an
//! unreachable backend, and the guard's flush on drop.
//!
//! The tracer provider and the switches `install` sets are process-wide, so
//! every test holds `testing::exclusive()`, which also restores the
//! switches' defaults.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use mcp_trace_runtime::collector::{Collector, SpanKind};
use mcp_trace_runtime::observe::{Observation, ObservationType, ObserveOptions};
use mcp_trace_runtime::{install, testing, Config, Guard};
use opentelemetry::trace::TraceContextExt;

fn config(vars: &[(&str, &str)]) -> Config {
    let vars: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Config::from_lookup("export-test", |name| vars.get(name).cloned()).unwrap()
}

/// A parent observation with a child, like a tool call inside a request.
fn traced_work(label: &'static str) -> String {
    const PARENT: ObserveOptions = ObserveOptions::new("parent_work");
    const CHILD: ObserveOptions = ObserveOptions::new("child_tool").as_type(ObservationType::Tool);
    let parent = Observation::start(&PARENT);
    parent.record_input(|input| input.arg("label", label));
    let trace_id = parent
        .context()
        .span()
        .span_context()
        .trace_id()
        .to_string();
    parent.run(
        || {
            let child = Observation::start(&CHILD);
            child.record_input(|input| input.arg("location", "London"));
            child.run(|| "sunny", Observation::record_output);
        },
        Observation::record_nothing,
    );
    trace_id
}

/// Shuts down off the async runtime: the exporters block while the collector
/// on this runtime answers them.
async fn shutdown(guard: Guard) {
    tokio::task::spawn_blocking(move || guard.shutdown(Duration::from_secs(10)))
        .await
        .unwrap()
        .unwrap();
}

async fn export_to_collector(protocol: &str) {
    let collector = Collector::start("127.0.0.1:0").await.unwrap();
    let guard = install(config(&[
        ("OTEL_EXPORTER_OTLP_ENDPOINT", &collector.endpoint()),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", protocol),
        ("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment=test"),
    ]))
    .unwrap();
    let trace_id = tokio::task::spawn_blocking(|| traced_work("otlp"))
        .await
        .unwrap();
    shutdown(guard).await;

    let spans = collector.spans_of_trace(&trace_id);
    assert_eq!(spans.len(), 2, "{protocol}: {spans:?}");
    let parent = spans.iter().find(|s| s.name == "parent_work").unwrap();
    let child = spans.iter().find(|s| s.name == "child_tool").unwrap();
    assert_eq!(
        child.parent_span_id.as_deref(),
        Some(parent.span_id.as_str())
    );
    assert_eq!(parent.parent_span_id, None);
    assert_eq!(child.service_name, "export-test");
    assert_eq!(child.kind, SpanKind::Internal);
    assert_eq!(
        child.attr_str("langfuse.observation.input"),
        Some(r#"{"location":"London"}"#)
    );
    assert_eq!(
        child.attr_str("langfuse.observation.output"),
        Some("\"sunny\"")
    );
    assert_eq!(child.attr_str("langfuse.observation.type"), Some("tool"));
    assert_eq!(
        child.resource.get("deployment.environment"),
        Some(&serde_json::json!("test"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exports_over_otlp_http_protobuf_to_the_embedded_collector() {
    let _exclusive = testing::exclusive();
    export_to_collector("http/protobuf").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exports_over_otlp_http_json_to_the_embedded_collector() {
    let _exclusive = testing::exclusive();
    export_to_collector("http/json").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_the_guard_flushes_finished_spans() {
    let _exclusive = testing::exclusive();
    let collector = Collector::start("127.0.0.1:0").await.unwrap();
    let guard = install(config(&[
        ("OTEL_EXPORTER_OTLP_ENDPOINT", &collector.endpoint()),
        // Far longer than the test: only the guard's flush can deliver the spans.
        ("OTEL_BSP_SCHEDULE_DELAY", "600000"),
    ]))
    .unwrap();
    let trace_id = tokio::task::spawn_blocking(move || {
        let trace_id = traced_work("drop");
        drop(guard);
        trace_id
    })
    .await
    .unwrap();
    assert_eq!(collector.spans_of_trace(&trace_id).len(), 2);
}

#[derive(Debug, Clone)]
struct Received {
    path: String,
    headers: http::HeaderMap,
    body_len: usize,
}

/// A loopback HTTP server that records each request and answers 200 with an
/// empty OTLP protobuf response — what Langfuse's endpoint looks like on the wire.
async fn recording_receiver() -> (String, Arc<Mutex<Vec<Received>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let received = Arc::new(Mutex::new(Vec::new()));
    let store = received.clone();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let store = store.clone();
            tokio::spawn(async move {
                let service = service_fn(move |request: http::Request<hyper::body::Incoming>| {
                    let store = store.clone();
                    async move {
                        let (parts, body) = request.into_parts();
                        let body = body.collect().await.unwrap().to_bytes();
                        store.lock().unwrap().push(Received {
                            path: parts.uri.path().to_string(),
                            headers: parts.headers,
                            body_len: body.len(),
                        });
                        Ok::<_, Infallible>(
                            http::Response::builder()
                                .header("content-type", "application/x-protobuf")
                                .body(Full::new(Bytes::new()))
                                .unwrap(),
                        )
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    (format!("http://{address}"), received)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn langfuse_export_uses_its_path_basic_auth_and_protobuf() {
    let _exclusive = testing::exclusive();
    let (langfuse_url, langfuse) = recording_receiver().await;
    let collector = Collector::start("127.0.0.1:0").await.unwrap();
    // A collector credential in the process environment must never reach Langfuse.
    // TODO: Audit that the environment access only happens in single-threaded code.
    unsafe {
        std::env::set_var(
            "OTEL_EXPORTER_OTLP_HEADERS",
            "x-collector-key=collector-secret",
        )
    };
    let guard = install(config(&[
        ("LANGFUSE_PUBLIC_KEY", "pk-lf-public"),
        ("LANGFUSE_SECRET_KEY", "sk-lf-secret"),
        ("LANGFUSE_BASE_URL", &format!("{langfuse_url}/")),
        ("LANGFUSE_TRACING_ENVIRONMENT", "staging"),
        ("LANGFUSE_RELEASE", "v1.2"),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", &collector.endpoint()),
        (
            "OTEL_EXPORTER_OTLP_HEADERS",
            "x-collector-key=collector-secret",
        ),
    ]))
    .unwrap();
    let debug = format!("{guard:?}");
    assert!(!debug.contains("sk-lf-secret"), "{debug}");
    assert!(!debug.contains("collector-secret"), "{debug}");
    let trace_id = tokio::task::spawn_blocking(|| traced_work("langfuse"))
        .await
        .unwrap();
    shutdown(guard).await;
    // TODO: Audit that the environment access only happens in single-threaded code.
    unsafe { std::env::remove_var("OTEL_EXPORTER_OTLP_HEADERS") };

    let requests = langfuse.lock().unwrap().clone();
    assert!(!requests.is_empty(), "Langfuse received nothing");
    let expected_auth = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("pk-lf-public:sk-lf-secret")
    );
    for request in &requests {
        assert_eq!(request.path, "/api/public/otel/v1/traces");
        assert_eq!(request.headers["authorization"], expected_auth.as_str());
        assert_eq!(request.headers["content-type"], "application/x-protobuf");
        assert_eq!(request.headers["x-langfuse-ingestion-version"], "4");
        assert!(request.headers.get("x-collector-key").is_none());
        assert!(request.body_len > 0);
    }
    // The same spans reached the collector too, with Langfuse's attributes.
    let spans = collector.spans_of_trace(&trace_id);
    assert_eq!(spans.len(), 2);
    for span in &spans {
        assert_eq!(span.attr_str("langfuse.environment"), Some("staging"));
        assert_eq!(span.attr_str("langfuse.release"), Some("v1.2"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_trace_file_gets_one_otlp_json_request_per_line() {
    let _exclusive = testing::exclusive();
    let path = std::env::temp_dir().join(format!("mcp-trace-file-{}.jsonl", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let guard = install(config(&[("MCP_TRACE_FILE", path.to_str().unwrap())])).unwrap();
    let trace_id = tokio::task::spawn_blocking(|| traced_work("file"))
        .await
        .unwrap();
    shutdown(guard).await;

    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    let mut names = Vec::new();
    for line in text.lines() {
        let request: serde_json::Value = serde_json::from_str(line).unwrap();
        for resource_spans in request["resourceSpans"].as_array().unwrap() {
            let service = resource_spans["resource"]["attributes"]
                .as_array()
                .unwrap()
                .iter()
                .find(|kv| kv["key"] == "service.name")
                .unwrap();
            assert_eq!(service["value"]["stringValue"], "export-test");
            for scope_spans in resource_spans["scopeSpans"].as_array().unwrap() {
                for span in scope_spans["spans"].as_array().unwrap() {
                    assert_eq!(span["traceId"], trace_id.as_str());
                    names.push(span["name"].as_str().unwrap().to_string());
                }
            }
        }
    }
    names.sort();
    assert_eq!(names, ["child_tool", "parent_work"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_backend_costs_a_warning_and_a_count_not_the_program() {
    let _exclusive = testing::exclusive();
    // Bind then drop: a loopback port where nothing listens.
    let closed_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let guard = install(config(&[
        (
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            &format!("http://collector-user:collector-pass@127.0.0.1:{closed_port}"),
        ),
        ("OTEL_EXPORTER_OTLP_TIMEOUT", "2000"),
    ]))
    .unwrap();
    let results: Vec<String> =
        tokio::task::spawn_blocking(|| (0..3).map(|_| traced_work("unreachable")).collect())
            .await
            .unwrap();
    assert_eq!(results.len(), 3, "the work itself is unaffected");
    let health = guard.export_health()[0].clone();
    tokio::task::spawn_blocking(move || guard.shutdown(Duration::from_secs(10)))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(health.failed(), 6, "{health:?}");
    assert_eq!(health.exported(), 0);
    assert!(health.destination.contains(&closed_port.to_string()));
    // What the warning and the loss line name: credentials in the URL hidden.
    assert!(
        health.destination.contains("***@127.0.0.1"),
        "{}",
        health.destination
    );
    assert!(
        !health.destination.contains("collector-pass"),
        "{}",
        health.destination
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mode_off_exports_and_injects_nothing() {
    let _exclusive = testing::exclusive();
    let collector = Collector::start("127.0.0.1:0").await.unwrap();
    let guard = install(config(&[
        ("OTEL_EXPORTER_OTLP_ENDPOINT", &collector.endpoint()),
        ("MCP_TRACE_MODE", "off"),
    ]))
    .unwrap();
    tokio::task::spawn_blocking(|| traced_work("off"))
        .await
        .unwrap();
    let mut headers = http::HeaderMap::new();
    let remote = mcp_trace_runtime::propagation::extract_from_meta(
        serde_json::json!({"traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"})
            .as_object()
            .unwrap(),
    );
    assert!(!mcp_trace_runtime::propagation::has_remote_parent(&remote));
    mcp_trace_runtime::propagation::inject_into_headers(
        &opentelemetry::Context::current(),
        &mut headers,
    );
    assert!(headers.is_empty());
    shutdown(guard).await;
    assert_eq!(collector.requests(), 0);
    assert!(collector.spans().is_empty());
}

#[test]
fn install_reports_an_unopenable_trace_file() {
    let _exclusive = testing::exclusive();
    let error = install(config(&[(
        "MCP_TRACE_FILE",
        "/nonexistent-dir/x/trace.jsonl",
    )]))
    .unwrap_err()
    .to_string();
    assert!(error.contains("MCP_TRACE_FILE"), "{error}");
    assert!(error.contains("/nonexistent-dir/x/trace.jsonl"), "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_export_queue_drops_spans_and_counts_every_one() {
    let _exclusive = testing::exclusive();
    let collector = Collector::start("127.0.0.1:0").await.unwrap();
    // Set through the Config only (from_lookup): the process environment
    // has none of these, and its default queue (2048) would hold everything.
    let guard = install(config(&[
        ("OTEL_EXPORTER_OTLP_ENDPOINT", &collector.endpoint()),
        ("OTEL_BSP_MAX_QUEUE_SIZE", "4"),
        ("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "4"),
        ("OTEL_BSP_SCHEDULE_DELAY", "600000"),
        ("OTEL_METRICS_EXPORTER", "none"),
        ("OTEL_LOGS_EXPORTER", "none"),
    ]))
    .unwrap();
    // 400 spans as fast as they come: the queue of 4 overflows while the
    // exporter's thread sends a batch.
    tokio::task::spawn_blocking(|| {
        for _ in 0..200 {
            traced_work("queue");
        }
    })
    .await
    .unwrap();
    let health = guard.export_health()[0].clone();
    shutdown(guard).await;
    let received = collector.spans().len() as u64;
    assert_eq!(health.exported(), received, "{health:?}");
    assert!(
        health.dropped() > 0,
        "a queue of 4 drops some of 400: {health:?}"
    );
    assert_eq!(health.failed(), 0, "{health:?}");
    assert_eq!(
        received + health.dropped(),
        400,
        "every span exported or counted: {health:?}"
    );
}

#[test]
fn a_full_logs_queue_drops_records_and_counts_every_one() {
    use opentelemetry::logs::{LogRecord as _, Logger as _, LoggerProvider as _};
    // A destination that never answers: every export waits for its timeout,
    // so the queue of 2 is full while the first batch is out.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", silent.local_addr().unwrap());
    let config = config(&[
        ("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint),
        ("OTEL_EXPORTER_OTLP_TIMEOUT", "500"),
        ("OTEL_BLRP_MAX_QUEUE_SIZE", "2"),
        ("OTEL_BLRP_MAX_EXPORT_BATCH_SIZE", "2"),
    ]);
    assert_eq!(config.logs.batch.max_queue_size, 2);
    let (provider, health) = mcp_trace_runtime::export::build_logger_provider(&config).unwrap();
    let logger = provider.logger("queue-test");
    for n in 0..100 {
        let mut record = logger.create_log_record();
        record.set_body(format!("record {n}").into());
        logger.emit(record);
    }
    let _ = provider.shutdown_with_timeout(Duration::from_secs(10));
    let health = &health[0];
    assert_eq!(health.signal, "logs");
    assert_eq!(health.exported(), 0, "{health:?}");
    assert!(health.dropped() > 0, "{health:?}");
    assert_eq!(
        health.failed() + health.dropped(),
        100,
        "every record failed or dropped: {health:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn long_log_values_are_cut_like_captured_ones() {
    use opentelemetry::logs::{LogRecord as _, Logger as _, LoggerProvider as _, Severity};
    let switches = testing::exclusive();
    switches.set_value_length_limit(100);
    let collector = Collector::start("127.0.0.1:0").await.unwrap();
    let mut config = config(&[("OTEL_LOGS_EXPORTER", "none")]);
    config
        .logs
        .extra_otlp
        .push(mcp_trace_runtime::config::OtlpTarget::http_logs(
            &collector.endpoint(),
        ));
    let (provider, _) = mcp_trace_runtime::export::build_logger_provider(&config).unwrap();
    let trace = testing::trace();
    tokio::task::spawn_blocking(move || {
        let logger = provider.logger("cut-test");
        let mut record = logger.create_log_record();
        record.set_severity_number(Severity::Info);
        record.set_severity_text("INFO");
        record.set_body(format!("looking up {}", "é".repeat(1 << 19)).into());
        record.add_attribute("location", "x".repeat(1 << 20));
        record.add_attribute("days", 3_i64);
        record.add_attribute("city", "Oslo");
        let context = trace.context();
        let span = opentelemetry::trace::TraceContextExt::span(&context);
        let ids = span.span_context();
        record.set_trace_context(ids.trace_id(), ids.span_id(), Some(ids.trace_flags()));
        logger.emit(record);
        provider.shutdown().unwrap();
        ids.trace_id().to_string()
    })
    .await
    .map(|trace_id| {
        let logs = collector.logs_of_trace(&trace_id);
        assert_eq!(
            logs.len(),
            1,
            "the record keeps its trace: {:?}",
            collector.logs()
        );
        let log = &logs[0];
        let body = log.body.as_str();
        assert!(
            body.len() <= 100 && body.starts_with("looking up é"),
            "{body}"
        );
        let location = log.attributes["location"].as_str().unwrap();
        assert!(
            location.len() <= 100 && location.contains("…[truncated "),
            "{location}"
        );
        assert_eq!(log.attributes["days"], 3);
        assert_eq!(log.attributes["city"], "Oslo");
        assert_eq!(log.severity_text, "INFO");
    })
    .unwrap();
}
