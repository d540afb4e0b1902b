//! End-to-end tests of the embedded OTLP/HTTP collector: real OpenTelemetry
//! SDK exporters (protobuf and JSON) on one side, raw HTTP/1.1 for the error
//! paths a well-behaved exporter never exercises.

use std::time::Duration;

use mcp_trace_runtime::collector::{CollectedSpan, Collector, SpanKind, SpanStatus};
use opentelemetry::trace::{Span as _, SpanKind as OtelKind, Status, TraceContextExt, Tracer};
use opentelemetry::{Array, Context, KeyValue, StringValue, Value};
use opentelemetry_otlp::{Protocol, WithExportConfig};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_sdk::trace::SdkTracerProvider;
use opentelemetry_sdk::Resource;
use prost::Message;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const WAIT: Duration = Duration::from_secs(10);

/// Exports one parent + child pair through a local (non-global) provider.
/// Runs on a blocking thread because the reqwest-blocking OTLP client must not
/// be created or driven from inside the async runtime.
async fn export_pair(
    endpoint: String,
    protocol: Protocol,
    service: &'static str,
) -> (String, String) {
    tokio::task::spawn_blocking(move || {
        let exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_http()
            .with_protocol(protocol)
            .with_endpoint(format!("{endpoint}/v1/traces"))
            .build()
            .expect("build exporter");
        let provider = SdkTracerProvider::builder()
            .with_simple_exporter(exporter)
            .with_resource(Resource::builder().with_service_name(service).build())
            .build();
        let tracer = opentelemetry::trace::TracerProvider::tracer(&provider, "collector-test");

        let parent = tracer
            .span_builder("tools/call get_weather")
            .with_kind(OtelKind::Client)
            .with_attributes(vec![
                KeyValue::new("mcp.method.name", "tools/call"),
                KeyValue::new("attempt", 3_i64),
                KeyValue::new("cached", true),
                KeyValue::new("temperature", 21.5_f64),
                KeyValue::new(
                    "tags",
                    Value::Array(Array::String(vec![
                        StringValue::from("a"),
                        StringValue::from("b"),
                    ])),
                ),
                KeyValue::new("ids", Value::Array(Array::I64(vec![1, 2]))),
            ])
            .start(&tracer);
        let parent_cx = Context::current_with_span(parent);
        let mut child = tracer
            .span_builder("fetch_upstream")
            .with_kind(OtelKind::Server)
            .start_with_context(&tracer, &parent_cx);
        child.add_event(
            "exception",
            vec![KeyValue::new("exception.message", "upstream timeout")],
        );
        child.set_status(Status::error("upstream timeout"));
        let ids = (
            parent_cx.span().span_context().trace_id().to_string(),
            parent_cx.span().span_context().span_id().to_string(),
        );
        child.end();
        parent_cx.span().set_status(Status::Ok);
        parent_cx.span().end();
        provider.shutdown().expect("provider shutdown");
        ids
    })
    .await
    .expect("export thread")
}

fn check_pair(spans: &[CollectedSpan], trace_id: &str, parent_id: &str, service: &str) {
    assert_eq!(spans.len(), 2, "{spans:#?}");
    let parent = spans
        .iter()
        .find(|s| s.name == "tools/call get_weather")
        .unwrap();
    let child = spans.iter().find(|s| s.name == "fetch_upstream").unwrap();

    assert_eq!(parent.trace_id, trace_id);
    assert_eq!(child.trace_id, trace_id);
    assert_eq!(parent.span_id, parent_id);
    assert_eq!(parent.parent_span_id, None);
    assert_eq!(child.parent_span_id.as_deref(), Some(parent_id));
    assert_eq!(child.span_id.len(), 16);
    assert!(child
        .span_id
        .chars()
        .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));

    assert_eq!(parent.kind, SpanKind::Client);
    assert_eq!(child.kind, SpanKind::Server);
    assert_eq!(parent.service_name, service);
    assert_eq!(child.service_name, service);
    assert_eq!(parent.resource["service.name"], service);

    assert_eq!(parent.attr_str("mcp.method.name"), Some("tools/call"));
    assert_eq!(parent.attr_i64("attempt"), Some(3));
    assert_eq!(parent.attributes["cached"], serde_json::json!(true));
    assert_eq!(parent.attributes["temperature"], serde_json::json!(21.5));
    assert_eq!(parent.attributes["tags"], serde_json::json!(["a", "b"]));
    assert_eq!(parent.attributes["ids"], serde_json::json!([1, 2]));

    assert_eq!(parent.status, SpanStatus::Ok);
    assert_eq!(child.status, SpanStatus::Error("upstream timeout".into()));
    assert_eq!(child.events.len(), 1);
    assert_eq!(child.events[0].name, "exception");
    assert_eq!(
        child.events[0].attributes["exception.message"],
        "upstream timeout"
    );
    assert!(parent.start_unix_nano > 0);
    assert!(parent.start_unix_nano <= child.start_unix_nano);
    assert!(child.end_unix_nano <= parent.end_unix_nano);
}

async fn roundtrip(protocol: Protocol) {
    let collector = Collector::start("127.0.0.1:0").await.unwrap();
    let (trace_id, parent_id) = export_pair(collector.endpoint(), protocol, "weather-client").await;
    let spans = collector.wait_for(WAIT, |spans| spans.len() >= 2).await;
    check_pair(&spans, &trace_id, &parent_id, "weather-client");
    assert_eq!(collector.spans_of_trace(&trace_id), spans);
    assert!(collector.spans_of_trace(&"0".repeat(32)).is_empty());
    // Simple processor: one export request per ended span.
    assert_eq!(collector.requests(), 2);
    // The child ended first, and arrival order is preserved.
    assert_eq!(spans[0].name, "fetch_upstream");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn receives_spans_over_http_protobuf() {
    roundtrip(Protocol::HttpBinary).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn receives_spans_over_http_json() {
    roundtrip(Protocol::HttpJson).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn receives_from_several_exporters_concurrently() {
    let collector = Collector::start("127.0.0.1:0").await.unwrap();
    let services = ["svc-a", "svc-b", "svc-c", "svc-d"];
    let exports = services.iter().enumerate().map(|(i, service)| {
        let protocol = if i % 2 == 0 {
            Protocol::HttpBinary
        } else {
            Protocol::HttpJson
        };
        export_pair(collector.endpoint(), protocol, service)
    });
    let ids = join_all(exports).await;
    let spans = collector.wait_for(WAIT, |spans| spans.len() >= 8).await;
    assert_eq!(spans.len(), 8);
    for ((trace_id, parent_id), service) in ids.iter().zip(services) {
        check_pair(
            &collector.spans_of_trace(trace_id),
            trace_id,
            parent_id,
            service,
        );
    }
}

/// Minimal join_all without pulling in the futures crate.
/// Emits two records through a real OTLP log exporter, the first inside a
/// span, and returns that span's (trace id, span id).
async fn export_logs(endpoint: String, protocol: Protocol) -> (String, String) {
    tokio::task::spawn_blocking(move || {
        use opentelemetry::logs::{LogRecord as _, Logger as _, LoggerProvider as _, Severity};
        let exporter = opentelemetry_otlp::LogExporter::builder()
            .with_http()
            .with_protocol(protocol)
            .with_endpoint(format!("{endpoint}/v1/logs"))
            .build()
            .expect("build exporter");
        let resource = Resource::builder().with_service_name("log-test").build();
        let logger_provider = opentelemetry_sdk::logs::SdkLoggerProvider::builder()
            .with_simple_exporter(exporter)
            .with_resource(resource)
            .build();
        let logger = logger_provider.logger("collector-test");
        let tracer_provider = SdkTracerProvider::builder().build();
        let tracer = opentelemetry::trace::TracerProvider::tracer(&tracer_provider, "t");
        let ids = tracer.in_span("work", |cx| {
            let mut record = logger.create_log_record();
            record.set_severity_number(Severity::Warn);
            record.set_severity_text("WARN");
            record.set_target("weather_server::tools");
            record.set_body("looked up Paris".into());
            record.add_attribute("city", "Paris");
            logger.emit(record);
            let span = cx.span();
            let context = span.span_context();
            (
                context.trace_id().to_string(),
                context.span_id().to_string(),
            )
        });
        let mut outside = logger.create_log_record();
        outside.set_severity_number(Severity::Info);
        outside.set_body("no span here".into());
        logger.emit(outside);
        logger_provider.shutdown().unwrap();
        ids
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn receives_logs_over_http_protobuf_and_json() {
    for protocol in [Protocol::HttpBinary, Protocol::HttpJson] {
        let collector = Collector::start("127.0.0.1:0").await.unwrap();
        let (trace_id, span_id) = export_logs(collector.endpoint(), protocol).await;
        let logs = collector.wait_for_logs(WAIT, |logs| logs.len() == 2).await;
        assert_eq!(logs.len(), 2, "{protocol:?}: {logs:?}");
        let inside = &logs[0];
        assert_eq!(inside.trace_id.as_deref(), Some(trace_id.as_str()));
        assert_eq!(inside.span_id.as_deref(), Some(span_id.as_str()));
        assert_eq!(inside.severity_text, "WARN");
        assert_eq!(inside.severity_number, 13);
        assert_eq!(inside.body, "looked up Paris");
        assert_eq!(inside.attr_str("city"), Some("Paris"));
        assert_eq!(inside.target, "weather_server::tools");
        assert_eq!(inside.service_name, "log-test");
        assert!(inside.time_unix_nano > 0);
        assert_eq!(logs[1].trace_id, None);
        assert_eq!(logs[1].span_id, None);
        assert_eq!(logs[1].body, "no span here");
        assert_eq!(
            collector.logs_of_trace(&trace_id.to_uppercase()),
            vec![inside.clone()]
        );
        assert!(collector.spans().is_empty());
    }
}

async fn join_all<F>(futures: impl Iterator<Item = F>) -> Vec<F::Output>
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    let handles: Vec<_> = futures.map(tokio::spawn).collect();
    let mut out = Vec::new();
    for handle in handles {
        out.push(handle.await.unwrap());
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wait_for_wakes_on_arrival_and_times_out_otherwise() {
    let collector = Collector::start("127.0.0.1:0").await.unwrap();

    let started = std::time::Instant::now();
    let spans = collector
        .wait_for(Duration::from_millis(200), |spans| !spans.is_empty())
        .await;
    assert!(spans.is_empty());
    assert!(started.elapsed() >= Duration::from_millis(200));

    let endpoint = collector.endpoint();
    let export = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(100)).await;
        export_pair(endpoint, Protocol::HttpBinary, "late").await
    });
    let spans = collector
        .wait_for(WAIT, |spans| {
            spans.iter().any(|s| s.name == "tools/call get_weather")
        })
        .await;
    assert_eq!(spans.len(), 2);
    export.await.unwrap();
}

// ---------------------------------------------------------------------------
// Raw HTTP

struct RawResponse {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl RawResponse {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

fn raw_request(method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: collector\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    let mut bytes = req.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

/// Reads exactly one response (headers + Content-Length body) so the same
/// connection can be reused for the next request.
async fn read_response(stream: &mut TcpStream, buf: &mut Vec<u8>) -> RawResponse {
    let header_end = loop {
        if let Some(pos) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break pos + 4;
        }
        let mut chunk = [0u8; 4096];
        let n = stream.read(&mut chunk).await.expect("read response");
        assert!(n > 0, "connection closed before a full response: {buf:?}");
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8(buf[..header_end].to_vec()).unwrap();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap();
    let status: u16 = status_line.split(' ').nth(1).unwrap().parse().unwrap();
    let headers: Vec<(String, String)> = lines
        .filter(|l| !l.is_empty())
        .map(|l| {
            let (k, v) = l.split_once(':').unwrap();
            (k.trim().to_owned(), v.trim().to_owned())
        })
        .collect();
    let len: usize = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .map(|(_, v)| v.parse().unwrap())
        .unwrap_or(0);
    while buf.len() < header_end + len {
        let mut chunk = [0u8; 4096];
        let n = stream.read(&mut chunk).await.expect("read body");
        assert!(n > 0, "connection closed mid-body");
        buf.extend_from_slice(&chunk[..n]);
    }
    let body = buf[header_end..header_end + len].to_vec();
    buf.drain(..header_end + len);
    RawResponse {
        status,
        headers,
        body,
    }
}

async fn send(
    collector: &Collector,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> RawResponse {
    let mut stream = TcpStream::connect(collector.local_addr()).await.unwrap();
    stream
        .write_all(&raw_request(method, path, headers, body))
        .await
        .unwrap();
    read_response(&mut stream, &mut Vec::new()).await
}

const OTLP_JSON: &str = r#"{
  "resourceSpans": [{
    "resource": {"attributes": [
      {"key": "service.name", "value": {"stringValue": "json-svc"}},
      {"key": "host.cores", "value": {"intValue": "2"}}
    ]},
    "scopeSpans": [{
      "scope": {"name": "hand-written"},
      "spans": [{
        "traceId": "4bf92f3577b34da6a3ce929d0e0e4736",
        "spanId": "00f067aa0ba902b7",
        "parentSpanId": "",
        "name": "hello",
        "kind": 2,
        "startTimeUnixNano": "1700000000000000000",
        "endTimeUnixNano": "1700000000014200000",
        "attributes": [
          {"key": "n", "value": {"intValue": "42"}},
          {"key": "kv", "value": {"kvlistValue": {"values": [
            {"key": "inner", "value": {"boolValue": false}}
          ]}}}
        ],
        "status": {"code": 2, "message": "nope"}
      }]
    }]
  }]
}"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn raw_json_and_protobuf_requests_get_matching_responses() {
    let collector = Collector::start("127.0.0.1:0").await.unwrap();

    let res = send(
        &collector,
        "POST",
        "/v1/traces",
        &[("Content-Type", "application/json; charset=utf-8")],
        OTLP_JSON.as_bytes(),
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.header("content-type"), Some("application/json"));
    assert_eq!(res.text(), "{}");

    let spans = collector.spans();
    assert_eq!(spans.len(), 1);
    let span = &spans[0];
    assert_eq!(span.trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
    assert_eq!(span.span_id, "00f067aa0ba902b7");
    assert_eq!(span.parent_span_id, None);
    assert_eq!(span.service_name, "json-svc");
    assert_eq!(span.resource["host.cores"], 2);
    assert_eq!(span.kind, SpanKind::Server);
    assert_eq!(span.duration(), Duration::from_micros(14_200));
    assert_eq!(span.attr_i64("n"), Some(42));
    assert_eq!(span.attributes["kv"], serde_json::json!({"inner": false}));
    assert_eq!(span.status, SpanStatus::Error("nope".into()));

    // The same request as protobuf.
    let request: ExportTraceServiceRequest = serde_json::from_str(OTLP_JSON).unwrap();
    let res = send(
        &collector,
        "POST",
        "/v1/traces",
        &[("Content-Type", "application/x-protobuf")],
        &request.encode_to_vec(),
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.header("content-type"), Some("application/x-protobuf"));
    assert_eq!(
        ExportTraceServiceResponse::decode(res.body.as_slice()).unwrap(),
        ExportTraceServiceResponse::default()
    );
    let spans = collector.spans();
    assert_eq!(spans.len(), 2);
    assert_eq!(spans[0], spans[1]);
    assert_eq!(collector.requests(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keep_alive_connection_serves_several_requests() {
    let collector = Collector::start("127.0.0.1:0").await.unwrap();
    let mut stream = TcpStream::connect(collector.local_addr()).await.unwrap();
    let mut buf = Vec::new();
    for _ in 0..3 {
        let req = raw_request(
            "POST",
            "/v1/traces",
            &[("Content-Type", "application/json")],
            OTLP_JSON.as_bytes(),
        );
        stream.write_all(&req).await.unwrap();
        let res = read_response(&mut stream, &mut buf).await;
        assert_eq!(res.status, 200, "{}", res.text());
    }
    // An error does not close the connection either.
    stream
        .write_all(&raw_request("GET", "/nope", &[], b""))
        .await
        .unwrap();
    assert_eq!(read_response(&mut stream, &mut buf).await.status, 404);
    assert_eq!(collector.spans().len(), 3);
    assert_eq!(collector.requests(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_are_rejected_without_losing_stored_spans() {
    let collector = Collector::start("127.0.0.1:0").await.unwrap();
    let ok = send(
        &collector,
        "POST",
        "/v1/traces",
        &[("Content-Type", "application/json")],
        OTLP_JSON.as_bytes(),
    )
    .await;
    assert_eq!(ok.status, 200);
    let before = collector.spans();
    assert_eq!(before.len(), 1);

    let json = [("Content-Type", "application/json")];
    let proto = [("Content-Type", "application/x-protobuf")];

    let res = send(&collector, "POST", "/v1/nothing", &json, b"{}").await;
    assert_eq!(res.status, 404);
    // Logs are their own signal: an empty logs request is accepted and
    // must not be mistaken for traces.
    let res = send(&collector, "POST", "/v1/logs", &json, b"{}").await;
    assert_eq!(res.status, 200);
    assert!(collector.logs().is_empty());
    let res = send(
        &collector,
        "POST",
        "/v1/logs",
        &json,
        b"{\"resourceLogs\": 7}",
    )
    .await;
    assert_eq!(res.status, 400);
    let body = String::from_utf8_lossy(&res.body);
    assert!(body.contains("ExportLogsServiceRequest"), "{body}");

    let res = send(&collector, "GET", "/v1/traces", &[], b"").await;
    assert_eq!(res.status, 405);
    assert_eq!(res.header("allow"), Some("POST"));

    let res = send(
        &collector,
        "POST",
        "/v1/traces",
        &[("Content-Type", "text/plain")],
        b"{}",
    )
    .await;
    assert_eq!(res.status, 415);
    assert!(res.text().contains("text/plain"), "{}", res.text());
    let res = send(&collector, "POST", "/v1/traces", &[], b"{}").await;
    assert_eq!(res.status, 415, "missing content type");
    let res = send(
        &collector,
        "POST",
        "/v1/traces",
        &[
            ("Content-Type", "application/json"),
            ("Content-Encoding", "gzip"),
        ],
        b"{}",
    )
    .await;
    assert_eq!(res.status, 415);
    assert!(res.text().contains("gzip"), "{}", res.text());

    // Field 1 (resource_spans) declared as a 100-byte message, then truncated.
    let res = send(
        &collector,
        "POST",
        "/v1/traces",
        &proto,
        &[0x0a, 100, 1, 2, 3],
    )
    .await;
    assert_eq!(res.status, 400);
    assert!(res.text().contains("protobuf"), "{}", res.text());
    let res = send(&collector, "POST", "/v1/traces", &proto, &[0xff; 64]).await;
    assert_eq!(res.status, 400);

    let res = send(
        &collector,
        "POST",
        "/v1/traces",
        &json,
        b"{\"resourceSpans\": [",
    )
    .await;
    assert_eq!(res.status, 400);
    assert!(res.text().contains("JSON"), "{}", res.text());
    let res = send(
        &collector,
        "POST",
        "/v1/traces",
        &json,
        br#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"not hex"}]}]}]}"#,
    )
    .await;
    assert_eq!(res.status, 400);

    // Announced oversize body: refused before reading it.
    let mut stream = TcpStream::connect(collector.local_addr()).await.unwrap();
    stream
        .write_all(
            b"POST /v1/traces HTTP/1.1\r\nHost: c\r\nContent-Type: application/x-protobuf\r\n\
              Content-Length: 1073741824\r\n\r\n",
        )
        .await
        .unwrap();
    let res = read_response(&mut stream, &mut Vec::new()).await;
    assert_eq!(res.status, 413);

    assert_eq!(collector.spans(), before);
    // The traces request and the empty logs request; no rejected one.
    assert_eq!(collector.requests(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversize_chunked_body_is_cut_off_while_reading() {
    let collector = Collector::start("127.0.0.1:0").await.unwrap();
    let stream = TcpStream::connect(collector.local_addr()).await.unwrap();
    let (mut reader, mut writer) = stream.into_split();
    // Read concurrently: the collector answers as soon as the limit is
    // crossed, long before we would finish sending.
    let read = tokio::spawn(async move {
        let mut buf = Vec::new();
        let mut chunk = [0u8; 1024];
        while !buf.windows(2).any(|w| w == b"\r\n") {
            match reader.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
        String::from_utf8_lossy(&buf).into_owned()
    });
    let _ = writer
        .write_all(
            b"POST /v1/traces HTTP/1.1\r\nHost: c\r\nContent-Type: application/x-protobuf\r\n\
              Transfer-Encoding: chunked\r\n\r\n",
        )
        .await;
    let mut chunk = format!("{:x}\r\n", 1 << 20).into_bytes();
    chunk.extend(std::iter::repeat_n(0u8, 1 << 20));
    chunk.extend_from_slice(b"\r\n");
    let mut hung_up = false;
    for _ in 0..40 {
        if writer.write_all(&chunk).await.is_err() {
            hung_up = true; // expected after the 413
            break;
        }
    }
    if !hung_up {
        // Finish the body so a collector without a limit would answer too,
        // failing the assertion below instead of hanging.
        let _ = writer.write_all(b"0\r\n\r\n").await;
    }
    let head = tokio::time::timeout(WAIT, read)
        .await
        .expect("no response to an oversize body")
        .unwrap();
    assert!(head.starts_with("HTTP/1.1 413"), "{head:?}");
    assert!(collector.spans().is_empty());
    assert_eq!(collector.requests(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_stops_accepting_and_keeps_spans() {
    let collector = Collector::start("127.0.0.1:0").await.unwrap();
    let res = send(
        &collector,
        "POST",
        "/v1/traces",
        &[("Content-Type", "application/json")],
        OTLP_JSON.as_bytes(),
    )
    .await;
    assert_eq!(res.status, 200);
    collector.shutdown();
    collector.shutdown();
    // The listener is dropped asynchronously; give the task a moment.
    let mut refused = false;
    for _ in 0..100 {
        if TcpStream::connect(collector.local_addr()).await.is_err() {
            refused = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(refused, "collector still accepting after shutdown");
    assert_eq!(collector.spans().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_collector_evicts_its_oldest_spans_and_counts_them() {
    use mcp_trace_runtime::collector::Capacity;
    let capacity = Capacity::default().with_spans(5);
    let collector = Collector::start_with("127.0.0.1:0", capacity)
        .await
        .unwrap();
    let mut parents = Vec::new();
    for _ in 0..6 {
        // Two spans per export: 12 in all, 5 kept.
        parents.push(
            export_pair(collector.endpoint(), Protocol::HttpBinary, "evict")
                .await
                .1,
        );
    }
    let spans = collector
        .wait_for(WAIT, |spans| spans.iter().any(|s| s.span_id == parents[5]))
        .await;
    assert_eq!(spans.len(), 5);
    assert_eq!(collector.evicted().spans, 7);
    // The newest stay, in arrival order: the last export's child, then its parent.
    assert_eq!(spans[4].span_id, parents[5], "{spans:?}");
    assert_eq!(
        spans[3].parent_span_id.as_deref(),
        Some(parents[5].as_str())
    );
    assert!(!spans.iter().any(|s| s.span_id == parents[0]));
}
