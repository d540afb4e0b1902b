//! End to end with the real binaries: `weather-server` and `weather-client`
//! run as separate processes and export over OTLP/HTTP to an embedded
//! [`Collector`] (or to a loopback stand-in for Langfuse); the tests check the
//! one distributed trace they produce, the protocol's error answers, and the
//! demo.
//!
//! Servers are stopped with SIGTERM, which makes them flush their spans
//! before exiting; the client flushes before it exits. Every wait is bounded.

use std::collections::BTreeSet;
use std::convert::Infallible;
use std::process::Output;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use mcp_trace_runtime::collector::{CollectedSpan, Collector, SpanKind, SpanStatus};
use mcp_trace_runtime::observe::attributes::{INPUT, LEVEL, OUTPUT, STATUS_MESSAGE, TYPE};
use mcp_trace_runtime::observe::ObservationType;
use mcp_trace_runtime::trace_tree;
use mcp_trace_tests::{run_client, WeatherServer};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{any_value, KeyValue};
use prost::Message as _;
use serde_json::{json, Value};

/// Longest wait for exported spans once the processes are done.
const SPAN_WAIT: Duration = Duration::from_secs(15);
/// Longest run of one `weather-client`.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(60);

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/// Environment variables for a child process.
#[derive(Clone, Default)]
struct Env(Vec<(String, String)>);

impl Env {
    /// Spans to `collector` over OTLP/HTTP, batched every 100 ms.
    fn otlp(collector: &Collector) -> Env {
        Env::default()
            .with("OTEL_EXPORTER_OTLP_ENDPOINT", &collector.endpoint())
            .with("OTEL_BSP_SCHEDULE_DELAY", "100")
    }

    fn with(mut self, name: &str, value: &str) -> Env {
        self.0.push((name.to_string(), value.to_string()));
        self
    }

    fn pairs(&self) -> Vec<(&str, &str)> {
        self.0
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect()
    }
}

/// `weather-client <args>`, at most [`CLIENT_TIMEOUT`].
async fn client(args: &[&str], env: &Env) -> Output {
    tokio::time::timeout(CLIENT_TIMEOUT, run_client(args, &env.pairs()))
        .await
        .unwrap_or_else(|_| panic!("weather-client {args:?} did not finish within 60 s"))
}

/// The `--json` report of a successful client run.
fn report(output: &Output) -> Value {
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "weather-client failed ({}):\nstdout: {stdout}\nstderr: {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_str(stdout.trim())
        .unwrap_or_else(|error| panic!("--json did not print one JSON value ({error}): {stdout}"))
}

fn assert_trace_id(id: &str) {
    assert!(
        id.len() == 32
            && id
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
            && id.bytes().any(|b| b != b'0'),
        "not a valid trace id: {id:?}"
    );
}

/// The `trace_id` of a `--json` report, checked to be 32 lowercase hex digits.
fn trace_id(report: &Value) -> String {
    let id = report["trace_id"]
        .as_str()
        .unwrap_or_else(|| panic!("no trace_id in {report}"));
    assert_trace_id(id);
    id.to_string()
}

fn of_trace<'a>(spans: &'a [CollectedSpan], trace_id: &str) -> Vec<&'a CollectedSpan> {
    spans.iter().filter(|s| s.trace_id == trace_id).collect()
}

/// The one span named `name` in `spans`.
fn only<'a>(spans: &[&'a CollectedSpan], name: &str) -> &'a CollectedSpan {
    let found: Vec<_> = spans.iter().filter(|s| s.name == name).collect();
    assert_eq!(found.len(), 1, "expected one {name} span in {spans:#?}");
    found[0]
}

/// The observation of server tool `tool`: exported by weather-server, named
/// after the tool (today) or `tools/call <tool>` (once the observation
/// enriches the MCP SERVER span), with captured input.
fn observed<'a>(spans: &[&'a CollectedSpan], tool: &str) -> &'a CollectedSpan {
    let native = format!("tools/call {tool}");
    let found: Vec<_> = spans
        .iter()
        .filter(|s| {
            s.service_name == "weather-server"
                && (s.name == tool || s.name == native)
                && s.attributes.contains_key(INPUT)
        })
        .collect();
    assert_eq!(
        found.len(),
        1,
        "expected one observation of {tool} from weather-server in {spans:#?}"
    );
    found[0]
}

/// A JSON-valued attribute (Langfuse input / output), parsed.
fn json_attr(span: &CollectedSpan, key: &str) -> Value {
    let text = span
        .attr_str(key)
        .unwrap_or_else(|| panic!("{} has no {key}: {span:#?}", span.name));
    serde_json::from_str(text)
        .unwrap_or_else(|error| panic!("{key} of {} is not JSON ({error}): {text}", span.name))
}

fn days(forecast: &Value) -> Vec<i64> {
    forecast
        .as_array()
        .unwrap_or_else(|| panic!("forecast is not an array: {forecast}"))
        .iter()
        .map(|day| day["day"].as_i64().expect("day is an integer"))
        .collect()
}

/// A loopback port where nothing listens.
fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

// ---------------------------------------------------------------------------
// 1. One request, one trace, the seed's tree
// ---------------------------------------------------------------------------

/// The seed's tree, exactly (`propagation_only`: decorator spans and
/// propagation, no MCP CLIENT/SERVER spans), with its attributes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_request_is_one_trace_across_both_processes() {
    let collector = Collector::start("127.0.0.1:0").await.unwrap();
    let env = Env::otlp(&collector).with("MCP_TRACE_MODE", "propagation_only");
    let server = WeatherServer::start(&[], &env.pairs()).await;
    let output = client(
        &["--json", "--url", &server.url, "Paris", "--days", "3"],
        &env,
    )
    .await;
    let stopped = server.stop().await;
    assert!(stopped.success(), "weather-server on SIGTERM: {stopped}");

    let report = report(&output);
    assert_eq!(report["weather"]["location"], "Paris");
    assert_eq!(days(&report["forecast"]), [1, 2, 3]);
    let trace_id = trace_id(&report);

    let all = collector
        .wait_for(SPAN_WAIT, |spans| {
            spans.iter().filter(|s| s.trace_id == trace_id).count() >= 4
        })
        .await;
    let ids: BTreeSet<&str> = all.iter().map(|s| s.trace_id.as_str()).collect();
    assert_eq!(
        ids,
        BTreeSet::from([trace_id.as_str()]),
        "both processes exported one trace only:\n{}",
        trace_tree::render(&all)
    );
    let spans = of_trace(&all, &trace_id);
    assert_eq!(spans.len(), 4, "{}", trace_tree::render(&all));

    let root = only(&spans, "weather_request");
    let handle = only(&spans, "handle_weather_request");
    let weather = only(&spans, "get_weather");
    let forecast = only(&spans, "get_forecast");
    assert_eq!(root.parent_span_id, None, "weather_request is the root");
    assert_eq!(handle.parent_span_id.as_ref(), Some(&root.span_id));
    for span in [root, handle] {
        assert_eq!(span.service_name, "weather-client", "{}", span.name);
    }
    for span in [weather, forecast] {
        assert_eq!(span.service_name, "weather-server", "{}", span.name);
        assert_eq!(
            span.parent_span_id.as_ref(),
            Some(&handle.span_id),
            "{} is a child of the client span that called it",
            span.name
        );
    }
    for span in &spans {
        assert_eq!(span.kind, SpanKind::Internal, "{}", span.name);
        assert_eq!(span.status, SpanStatus::Unset, "{}", span.name);
    }

    // The seed's attributes on the application span.
    assert_eq!(root.attr_str("location"), Some("Paris"));
    assert_eq!(root.attr_i64("forecast_days"), Some(3));

    // Langfuse observations: input, output equal to what the client printed.
    for span in [handle, weather, forecast] {
        assert_eq!(span.attr_str(TYPE), Some("span"), "{}", span.name);
        assert_eq!(span.attr_str(LEVEL), None, "{}", span.name);
    }
    assert_eq!(
        json_attr(handle, INPUT),
        json!({"location": "Paris", "forecast_days": 3}),
        "url is skipped"
    );
    assert_eq!(
        json_attr(handle, OUTPUT),
        json!({"weather": report["weather"], "forecast": report["forecast"]})
    );
    assert_eq!(json_attr(weather, INPUT), json!({"location": "Paris"}));
    assert_eq!(json_attr(weather, OUTPUT), report["weather"]);
    assert_eq!(
        json_attr(forecast, INPUT),
        json!({"location": "Paris", "days": 3})
    );
    assert_eq!(json_attr(forecast, OUTPUT), report["forecast"]);

    // The printed tree shows the nesting, and each observation's input and
    // output (abridged) under its line.
    let tree = trace_tree::render_trace(&all, &trace_id);
    let lines: Vec<&str> = tree.lines().collect();
    assert_eq!(lines.len(), 11, "{tree}");
    assert!(
        lines[0].starts_with(&format!("trace {trace_id} · 4 spans · 2 services · ")),
        "{tree}"
    );
    let expected = [
        ("weather_request ", Some("weather-client")),
        ("└─ handle_weather_request ", Some("weather-client")),
        (r#"   │  in  {"location":"Paris","forecast_days":3}"#, None),
        (r#"   │  out {"weather":{"location":"Paris","#, None),
        ("   ├─ get_weather ", Some("weather-server")),
        (r#"   │     in  {"location":"Paris"}"#, None),
        (r#"   │     out {"location":"Paris","temperature":"#, None),
        ("   └─ get_forecast ", Some("weather-server")),
        (r#"         in  {"location":"Paris","days":3}"#, None),
        (r#"         out [{"day":1,"high":"#, None),
    ];
    for (line, (start, service)) in lines[1..].iter().zip(expected) {
        assert!(
            line.starts_with(start) && service.is_none_or(|service| line.contains(service)),
            "{line:?} should start with {start:?} and name {service:?}:\n{tree}"
        );
    }
}

// ---------------------------------------------------------------------------
// 2. Langfuse wire format from both binaries
// ---------------------------------------------------------------------------

#[derive(Debug)]
struct Received {
    path: String,
    headers: http::HeaderMap,
    body: Bytes,
}

/// A loopback HTTP server that records every request and answers like
/// Langfuse's OTLP endpoint (200, empty protobuf response).
async fn langfuse_receiver() -> (String, Arc<Mutex<Vec<Received>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let received = Arc::new(Mutex::new(Vec::new()));
    let store = received.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let store = store.clone();
            let service = service_fn(move |request: http::Request<hyper::body::Incoming>| {
                let store = store.clone();
                async move {
                    let (parts, body) = request.into_parts();
                    let body = body.collect().await.map(|b| b.to_bytes());
                    store.lock().unwrap().push(Received {
                        path: parts.uri.path().to_string(),
                        headers: parts.headers,
                        body: body.unwrap_or_default(),
                    });
                    Ok::<_, Infallible>(
                        http::Response::builder()
                            .header("content-type", "application/x-protobuf")
                            .body(Full::new(Bytes::new()))
                            .unwrap(),
                    )
                }
            });
            tokio::spawn(
                hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), service),
            );
        }
    });
    (format!("http://{address}"), received)
}

/// One span as it went over the wire to Langfuse.
#[derive(Debug)]
struct WireSpan {
    service: String,
    name: String,
    trace_id: String,
    span_id: String,
    parent_span_id: String,
    /// OTLP span kind (3 = CLIENT).
    kind: i32,
    attributes: Vec<KeyValue>,
}

impl WireSpan {
    fn str(&self, key: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|kv| kv.key == key)
            .and_then(|kv| kv.value.as_ref()?.value.as_ref())
            .and_then(|value| match value {
                any_value::Value::StringValue(text) => Some(text.as_str()),
                _ => None,
            })
    }

    fn json(&self, key: &str) -> Value {
        let text = self
            .str(key)
            .unwrap_or_else(|| panic!("{} has no {key}: {self:#?}", self.name));
        serde_json::from_str(text).unwrap_or_else(|error| panic!("{key}: {error}: {text}"))
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn decode(body: &[u8]) -> Vec<WireSpan> {
    let request = ExportTraceServiceRequest::decode(body).expect("an OTLP protobuf export");
    let mut spans = Vec::new();
    for resource_spans in request.resource_spans {
        let service = resource_spans
            .resource
            .iter()
            .flat_map(|resource| &resource.attributes)
            .find(|kv| kv.key == "service.name")
            .and_then(|kv| match kv.value.as_ref()?.value.as_ref()? {
                any_value::Value::StringValue(name) => Some(name.clone()),
                _ => None,
            })
            .unwrap_or_default();
        for scope_spans in resource_spans.scope_spans {
            for span in scope_spans.spans {
                spans.push(WireSpan {
                    service: service.clone(),
                    name: span.name,
                    trace_id: hex(&span.trace_id),
                    span_id: hex(&span.span_id),
                    parent_span_id: hex(&span.parent_span_id),
                    kind: span.kind,
                    attributes: span.attributes,
                });
            }
        }
    }
    spans
}

/// With only the Langfuse settings, both binaries send OTLP/HTTP protobuf to
/// `{LANGFUSE_BASE_URL}/api/public/otel/v1/traces` with Basic auth and the
/// ingestion-version header, carrying the observation attributes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_binaries_export_langfuse_wire_format() {
    let (base_url, received) = langfuse_receiver().await;
    // No OTEL_EXPORTER_OTLP_* variable: with Langfuse configured, OTLP stays
    // off (config.rs), so nothing goes to localhost:4318.
    let env = Env::default()
        .with("LANGFUSE_PUBLIC_KEY", "pk-lf-e2e")
        .with("LANGFUSE_SECRET_KEY", "sk-lf-e2e")
        .with("LANGFUSE_BASE_URL", &base_url)
        .with("OTEL_BSP_SCHEDULE_DELAY", "100");
    let server = WeatherServer::start(&[], &env.pairs()).await;
    let output = client(&["--json", "--url", &server.url, "Paris"], &env).await;
    let stopped = server.stop().await;
    assert!(stopped.success(), "weather-server on SIGTERM: {stopped}");
    let report = report(&output);
    let trace_id = trace_id(&report);

    // Both processes have exited, and each waited for its exports to be
    // answered, so everything has been received.
    let requests = std::mem::take(&mut *received.lock().unwrap());
    assert!(!requests.is_empty(), "the Langfuse receiver got nothing");
    let auth = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("pk-lf-e2e:sk-lf-e2e")
    );
    let mut spans = Vec::new();
    for request in &requests {
        assert_eq!(request.path, "/api/public/otel/v1/traces");
        assert_eq!(request.headers["authorization"], auth.as_str());
        assert_eq!(request.headers["content-type"], "application/x-protobuf");
        assert_eq!(request.headers["x-langfuse-ingestion-version"], "4");
        spans.extend(decode(&request.body));
    }
    let spans: Vec<&WireSpan> = spans.iter().filter(|s| s.trace_id == trace_id).collect();
    let services: BTreeSet<&str> = spans.iter().map(|s| s.service.as_str()).collect();
    assert_eq!(
        services,
        BTreeSet::from(["weather-client", "weather-server"]),
        "{spans:#?}"
    );

    let handle = spans
        .iter()
        .find(|s| s.name == "handle_weather_request")
        .unwrap_or_else(|| panic!("no handle_weather_request in {spans:#?}"));
    assert_eq!(handle.service, "weather-client");
    assert_eq!(handle.str(TYPE), Some("span"));
    assert_eq!(
        handle.json(INPUT),
        json!({"location": "Paris", "forecast_days": 3})
    );
    assert_eq!(
        handle.json(OUTPUT),
        json!({"weather": report["weather"], "forecast": report["forecast"]})
    );

    let client_span_ids: BTreeSet<&str> = spans
        .iter()
        .filter(|s| s.service == "weather-client")
        .map(|s| s.span_id.as_str())
        .collect();
    for (tool, input, output) in [
        (
            "get_weather",
            json!({"location": "Paris"}),
            &report["weather"],
        ),
        (
            "get_forecast",
            json!({"location": "Paris", "days": 3}),
            &report["forecast"],
        ),
    ] {
        let native = format!("tools/call {tool}");
        let span = spans
            .iter()
            .find(|s| {
                s.service == "weather-server"
                    && (s.name == tool || s.name == native)
                    && s.str(INPUT).is_some()
            })
            .unwrap_or_else(|| panic!("no observation of {tool} from the server in {spans:#?}"));
        let kind = span.str(TYPE).unwrap_or_default();
        assert!(
            ObservationType::parse(kind).is_some(),
            "{tool}: {TYPE}={kind:?} is not a Langfuse type"
        );
        assert_eq!(span.json(INPUT), input, "{tool}");
        assert_eq!(&span.json(OUTPUT), output, "{tool}");
        assert!(
            client_span_ids.contains(span.parent_span_id.as_str()),
            "{tool}'s parent {} is not a span of the client",
            span.parent_span_id
        );
    }

    // What reached Langfuse, named and typed by Langfuse's own rules (its
    // OtelIngestionProcessor): name from `gen_ai.tool.name` when present,
    // type from `langfuse.observation.type`, else TOOL for `execute_tool` or
    // a tool name, else SPAN. No two observations share a name and type.
    const CLIENT: i32 = 3;
    let mut observations = BTreeSet::new();
    for span in &spans {
        let tool = span.str("gen_ai.tool.name");
        if span.kind == CLIENT {
            assert_eq!(tool, None, "{}: shaped for Langfuse", span.name);
            assert!(span.name.ends_with(" (client)"), "{}", span.name);
        }
        let name = tool.unwrap_or(&span.name).to_string();
        let kind = span.str(TYPE).map(str::to_string).unwrap_or_else(|| {
            let executes = span.str("gen_ai.operation.name") == Some("execute_tool");
            if executes || tool.is_some() {
                "tool"
            } else {
                "span"
            }
            .to_string()
        });
        assert!(
            observations.insert((name.clone(), kind.clone())),
            "two observations named {name:?} of type {kind:?} in {spans:#?}"
        );
    }
    assert!(observations.contains(&("get_weather".to_string(), "tool".to_string())));
}

// ---------------------------------------------------------------------------
// 4. Edge cases against one running server
// ---------------------------------------------------------------------------

/// A Streamable HTTP MCP session spoken by hand, to see the JSON-RPC answers
/// themselves.
struct RawSession {
    http: reqwest::Client,
    url: String,
    session_id: String,
    next_id: u64,
}

impl RawSession {
    async fn open(url: &str) -> RawSession {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap();
        let response = http
            .post(url)
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream")
            .body(
                json!({
                    "jsonrpc": "2.0", "id": 0, "method": "initialize",
                    "params": {
                        "protocolVersion": "2025-06-18",
                        "capabilities": {},
                        "clientInfo": {"name": "e2e-raw", "version": "1"}
                    }
                })
                .to_string(),
            )
            .send()
            .await
            .expect("initialize is answered");
        assert!(response.status().is_success(), "{response:?}");
        let session_id = response
            .headers()
            .get("mcp-session-id")
            .expect("a stateful server gives a session id")
            .to_str()
            .unwrap()
            .to_string();
        let session = RawSession {
            http,
            url: url.to_string(),
            session_id,
            next_id: 1,
        };
        let initialized =
            session.message(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
        let status = initialized.send().await.unwrap().status();
        assert_eq!(status, reqwest::StatusCode::ACCEPTED);
        session
    }

    fn message(&self, body: &Value) -> reqwest::RequestBuilder {
        self.http
            .post(&self.url)
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream")
            .header("mcp-session-id", &self.session_id)
            .body(body.to_string())
    }

    /// `tools/call`; returns the JSON-RPC response (result or error).
    async fn call_tool(&mut self, name: &str, arguments: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        let request = json!({
            "jsonrpc": "2.0", "id": id, "method": "tools/call",
            "params": {"name": name, "arguments": arguments}
        });
        let response = self.message(&request).send().await.unwrap();
        assert!(response.status().is_success(), "{response:?}");
        let body = response.text().await.unwrap();
        // JSON, or server-sent events whose `data:` lines carry the messages.
        std::iter::once(body.as_str())
            .chain(body.lines().filter_map(|line| line.strip_prefix("data:")))
            .filter_map(|data| serde_json::from_str::<Value>(data.trim()).ok())
            .find(|message| message["id"] == id)
            .unwrap_or_else(|| panic!("no response to request {id} in {body:?}"))
    }
}

/// A JSON-RPC invalid-params error whose message names the problem.
fn assert_invalid_params(response: &Value, needles: &[&str]) {
    assert_eq!(response["error"]["code"], -32602, "{response}");
    assert!(response.get("result").is_none(), "{response}");
    let message = response["error"]["message"].as_str().unwrap_or_default();
    assert_names(message, needles);
}

/// A tool result with `isError` whose text names the problem.
fn assert_tool_error(response: &Value, needles: &[&str]) {
    assert_eq!(response["result"]["isError"], true, "{response}");
    let message = response["result"]["content"][0]["text"]
        .as_str()
        .unwrap_or_default();
    assert_names(message, needles);
}

fn assert_names(message: &str, needles: &[&str]) {
    for needle in needles {
        assert!(
            message.contains(needle),
            "{message:?} should contain {needle:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edge_cases_against_one_server() {
    let collector = Collector::start("127.0.0.1:0").await.unwrap();
    let env = Env::otlp(&collector);
    let server = WeatherServer::start(&[], &env.pairs()).await;
    let url = server.url.clone();

    // days 0: current weather only, get_forecast never called.
    let zero = report(&client(&["--json", "--url", &url, "--days", "0", "Oslo"], &env).await);
    assert_eq!(zero["forecast"], json!([]));
    assert_eq!(zero["weather"]["location"], "Oslo");
    // days 10: the server caps the forecast at 7 days.
    let ten = report(&client(&["--json", "--url", &url, "--days", "10", "Lima"], &env).await);
    assert_eq!(days(&ten["forecast"]), [1, 2, 3, 4, 5, 6, 7]);

    // Protocol errors, all in one session.
    let mut session = RawSession::open(&url).await;
    let unknown = session
        .call_tool("get_humidity", json!({"location": "Paris"}))
        .await;
    assert_invalid_params(&unknown, &["unknown tool", "get_humidity"]);
    let wrong_type = session
        .call_tool("get_weather", json!({"location": 5}))
        .await;
    // Bad arguments are a tool execution error, so a model can correct itself.
    assert_tool_error(
        &wrong_type,
        &["get_weather", "invalid type", "expected a string"],
    );
    let missing = session.call_tool("get_forecast", json!({"days": 2})).await;
    assert_tool_error(&missing, &["get_forecast", "missing field `location`"]);

    // The session and the server still serve normal calls.
    let fine = session
        .call_tool("get_weather", json!({"location": "Paris"}))
        .await;
    assert_eq!(fine["result"]["isError"], false, "{fine}");
    assert_eq!(
        fine["result"]["structuredContent"]["location"], "Paris",
        "{fine}"
    );
    let after = report(&client(&["--json", "--url", &url, "Rome"], &env).await);
    assert_eq!(days(&after["forecast"]), [1, 2, 3]);

    let stopped = server.stop().await;
    assert!(stopped.success(), "weather-server on SIGTERM: {stopped}");

    let (zero_id, ten_id, after_id) = (trace_id(&zero), trace_id(&ten), trace_id(&after));
    let all = collector
        .wait_for(SPAN_WAIT, |spans| {
            [&zero_id, &ten_id, &after_id].iter().all(|id| {
                spans
                    .iter()
                    .any(|s| &s.trace_id == *id && s.service_name == "weather-server")
            })
        })
        .await;

    let spans = of_trace(&all, &zero_id);
    assert_eq!(
        only(&spans, "weather_request").attr_i64("forecast_days"),
        Some(0)
    );
    assert!(
        spans.iter().all(|s| !s.name.contains("get_forecast")),
        "days 0 must not call get_forecast:\n{}",
        trace_tree::render_trace(&all, &zero_id)
    );
    assert_eq!(
        json_attr(observed(&spans, "get_weather"), INPUT),
        json!({"location": "Oslo"})
    );
    assert_eq!(
        json_attr(only(&spans, "handle_weather_request"), OUTPUT)["forecast"],
        json!([])
    );

    let spans = of_trace(&all, &ten_id);
    let forecast = observed(&spans, "get_forecast");
    assert_eq!(
        json_attr(forecast, INPUT),
        json!({"location": "Lima", "days": 10})
    );
    assert_eq!(json_attr(forecast, OUTPUT), ten["forecast"]);

    let spans = of_trace(&all, &after_id);
    assert_eq!(
        json_attr(observed(&spans, "get_weather"), OUTPUT),
        after["weather"]
    );
    assert_eq!(
        json_attr(observed(&spans, "get_forecast"), OUTPUT),
        after["forecast"]
    );
    // The failed calls above belong to none of the client's traces.
    for id in [&zero_id, &ten_id, &after_id] {
        for span in of_trace(&all, id) {
            assert!(!span.status.is_error(), "{span:#?}");
        }
    }
}

/// A server that is not there: non-zero exit, a message that says what
/// failed, and the failed request recorded as an error in its trace.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_without_a_server_fails_clearly_and_records_the_error() {
    let collector = Collector::start("127.0.0.1:0").await.unwrap();
    let env = Env::otlp(&collector);
    let url = format!("http://127.0.0.1:{}/weather", closed_port());
    let output = client(&["--url", &url, "Paris"], &env).await;

    assert!(!output.status.success(), "{output:?}");
    assert!(output.stdout.is_empty(), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!(
            "weather-client: cannot open an MCP session at {url}"
        )),
        "{stderr}"
    );
    let trace_id = stderr
        .lines()
        .find_map(|line| line.strip_prefix("Trace id: "))
        .unwrap_or_else(|| panic!("no trace id on stderr: {stderr}"))
        .trim()
        .to_string();
    assert_trace_id(&trace_id);

    // The client flushed before exiting.
    let all = collector
        .wait_for(SPAN_WAIT, |spans| {
            spans
                .iter()
                .any(|s| s.trace_id == trace_id && s.name == "weather_request")
        })
        .await;
    let spans = of_trace(&all, &trace_id);
    let root = only(&spans, "weather_request");
    match &root.status {
        SpanStatus::Error(message) => {
            assert!(message.contains("cannot open an MCP session"), "{message}")
        }
        other => panic!("weather_request status is {other:?}, not Error"),
    }
    assert!(
        root.events.iter().any(|e| e.name == "exception"),
        "{root:#?}"
    );
    let handle = only(&spans, "handle_weather_request");
    assert!(handle.status.is_error(), "{handle:#?}");
    assert_eq!(handle.attr_str(LEVEL), Some("ERROR"));
    assert!(
        handle
            .attr_str(STATUS_MESSAGE)
            .is_some_and(|m| m.contains("cannot open an MCP session")),
        "{handle:#?}"
    );
}

// ---------------------------------------------------------------------------
// 5. --demo
// ---------------------------------------------------------------------------

const MARKER: &str = "MCP_TRACE_E2E_DEMO_MARKER";

/// Pids of running processes whose environment holds `MARKER=marker`
/// (children inherit it, so this finds the demo's server too).
fn processes_with_marker(marker: &str) -> Vec<(u32, String)> {
    let needle = format!("{MARKER}={marker}");
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(environ) = std::fs::read(entry.path().join("environ")) else {
            continue;
        };
        if environ
            .split(|b| *b == 0)
            .any(|var| var == needle.as_bytes())
        {
            let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
            let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
            found.push((pid, cmdline));
        }
    }
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_prints_the_distributed_tree_and_leaves_no_process_behind() {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let marker = format!("{}-{nanos}", std::process::id());

    // The detector sees a marked process (which we started, and stop by handle).
    let mut probe = tokio::process::Command::new("sleep")
        .arg("30")
        .env(MARKER, &marker)
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let probe_pid = probe.id().unwrap();
    // Until the child has exec'd, /proc shows the parent's environment.
    let seen = Instant::now();
    while !processes_with_marker(&marker)
        .iter()
        .any(|(pid, _)| *pid == probe_pid)
    {
        assert!(
            seen.elapsed() < Duration::from_secs(5),
            "the detector never saw the marked probe"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    probe.kill().await.unwrap();

    let started = Instant::now();
    let output = client(&["--demo", "Paris"], &Env::default().with(MARKER, &marker)).await;
    let elapsed = started.elapsed();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}\nstdout: {stdout}\nstderr: {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(elapsed < Duration::from_secs(60), "{elapsed:?}");

    let lines: Vec<&str> = stdout.lines().collect();
    assert!(
        lines[0].starts_with("Current weather in Paris: "),
        "{stdout}"
    );
    let trace_id = lines
        .iter()
        .find_map(|line| line.strip_prefix("Trace id: "))
        .unwrap_or_else(|| panic!("no trace id: {stdout}"));
    assert_trace_id(trace_id);
    let header = lines
        .iter()
        .position(|line| line.starts_with(&format!("trace {trace_id} · ")))
        .unwrap_or_else(|| panic!("no tree of trace {trace_id}: {stdout}"));
    assert!(lines[header].contains(" · 2 services · "), "{stdout}");
    let tree = &lines[header + 1..];
    assert!(tree[0].starts_with("weather_request "), "{stdout}");
    assert!(
        tree[1].starts_with("└─ handle_weather_request ") && tree[1].contains("weather-client"),
        "{stdout}"
    );
    for tool in ["get_weather", "get_forecast"] {
        assert!(
            tree[2..].iter().any(|line| line.starts_with("   ")
                && line.contains(tool)
                && line.contains("weather-server")),
            "{tool} from weather-server nested below handle_weather_request:\n{stdout}"
        );
    }
    assert!(!stdout.contains("not received"), "{stdout}");

    // get_weather's abridged input and output sit under its server span,
    // and the output is the weather the client printed.
    let current = lines[0]
        .strip_prefix("Current weather in Paris: ")
        .unwrap_or_default();
    let (temperature, condition) = current
        .split_once("°C, ")
        .and_then(|(t, rest)| Some((t, rest.split_once(", humidity")?.0)))
        .unwrap_or_else(|| panic!("unexpected weather line: {}", lines[0]));
    let server_line = |label: &str| {
        tree.iter()
            .position(|line| line.contains(label) && line.contains("weather-server"))
            .unwrap_or_else(|| panic!("no {label} from weather-server:\n{stdout}"))
    };
    let weather = server_line("tools/call get_weather");
    assert!(
        tree[weather + 1].ends_with(r#"   in  {"location":"Paris"}"#),
        "{stdout}"
    );
    let output = format!(
        r#"   out {{"location":"Paris","temperature":{temperature},"condition":"{condition}","#
    );
    assert!(tree[weather + 2].contains(&output), "{output}:\n{stdout}");
    assert!(tree[weather + 2].ends_with('…'), "abridged:\n{stdout}");

    // The sampling request is a generation: the local model's name, its
    // tokens (whitespace words: the question is "In one line, describe this
    // weather in {weather}.", the answer "{weather}: a day like any other,
    // says the local model.") and their cost.
    let description = lines
        .iter()
        .find_map(|line| {
            line.strip_prefix("Described by the client's model (describe_weather, via sampling): ")
        })
        .unwrap_or_else(|| panic!("no description: {stdout}"));
    let described = description
        .strip_suffix(": a day like any other, says the local model.")
        .unwrap_or_else(|| panic!("not the local model's answer: {description}"));
    let words = |text: &str| text.split_whitespace().count();
    let input = words(&format!(
        "In one line, describe this weather in {described}."
    ));
    let output = words(description);
    // weather-client's LOCAL_INPUT_PRICE_USD and LOCAL_OUTPUT_PRICE_USD.
    let cost = input as f64 * 0.000_001 + output as f64 * 0.000_002;
    let sampling = server_line("sampling/createMessage");
    let generation = format!(
        "model local-demo-model · tokens {input} in / {output} out / {} total · ${cost:.6}",
        input + output
    );
    assert!(
        tree[sampling + 1].contains(" in  [{\"role\":\"user\""),
        "{stdout}"
    );
    assert!(
        tree[sampling + 2].contains(r#" out {"role":"assistant""#),
        "{stdout}"
    );
    assert!(
        tree[sampling + 3].ends_with(&generation),
        "{generation}:\n{stdout}"
    );
    // The server's log line, written inside get_weather, under its span.
    assert!(
        tree[weather + 3].ends_with("   · INFO weather_server::tools: looking up the weather"),
        "{stdout}"
    );

    let left = processes_with_marker(&marker);
    assert!(left.is_empty(), "the demo left processes behind: {left:?}");
}

/// With `LANGFUSE_*` set, `--demo` sends Langfuse both processes' spans, the
/// server's: the child it starts inherits the environment, so the sampling
/// generation (recorded in the server) arrives with its model, usage and cost.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_sends_the_servers_generation_to_langfuse_too() {
    let (base_url, received) = langfuse_receiver().await;
    let env = Env::default()
        .with("LANGFUSE_PUBLIC_KEY", "pk-lf-demo")
        .with("LANGFUSE_SECRET_KEY", "sk-lf-demo")
        .with("LANGFUSE_BASE_URL", &base_url)
        .with("OTEL_BSP_SCHEDULE_DELAY", "100");
    let output = client(&["--demo", "--json", "Paris"], &env).await;
    let report = report(&output);
    let trace_id = trace_id(&report);

    // Both processes have exited after their exports were answered.
    let requests = std::mem::take(&mut *received.lock().unwrap());
    let spans: Vec<WireSpan> = requests
        .iter()
        .filter(|request| request.path == "/api/public/otel/v1/traces")
        .flat_map(|request| decode(&request.body))
        .filter(|span| span.trace_id == trace_id)
        .collect();
    let services: BTreeSet<&str> = spans.iter().map(|s| s.service.as_str()).collect();
    assert_eq!(
        services,
        BTreeSet::from(["weather-client", "weather-server"]),
        "{spans:#?}"
    );
    let generation = spans
        .iter()
        .find(|s| s.service == "weather-server" && s.name == "sampling/createMessage (client)")
        .unwrap_or_else(|| panic!("no sampling span from weather-server in {spans:#?}"));
    assert_eq!(generation.str(TYPE), Some("generation"));
    assert_eq!(
        generation.str("langfuse.observation.model.name"),
        Some("local-demo-model")
    );
    let usage = generation.json("langfuse.observation.usage_details");
    let (input, output) = (usage["input"].as_u64(), usage["output"].as_u64());
    let (Some(input), Some(output)) = (input, output) else {
        panic!("usage without input and output tokens: {usage}");
    };
    assert!(input > 0 && output > 0, "{usage}");
    assert_eq!(usage["total"].as_u64(), Some(input + output), "{usage}");
    // weather-client's LOCAL_INPUT_PRICE_USD and LOCAL_OUTPUT_PRICE_USD.
    let cost = generation.json("langfuse.observation.cost_details");
    let expected = input as f64 * 0.000_001 + output as f64 * 0.000_002;
    let total = cost["total"].as_f64().unwrap_or(f64::NAN);
    assert!((total - expected).abs() < 1e-12, "{cost} for {usage}");
}

/// The weather binaries are built without TLS (their `tls` feature is off by
/// default, `binary()` builds them so): an `https://` backend is refused at
/// start with the feature to turn on, not retried at every batch.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_https_backend_without_tls_is_refused_naming_the_feature() {
    let env = Env::default()
        .with("LANGFUSE_PUBLIC_KEY", "pk-lf-tls")
        .with("LANGFUSE_SECRET_KEY", "sk-lf-tls");
    // No LANGFUSE_BASE_URL: Langfuse Cloud, over https.
    let output = client(&["--demo", "Paris"], &env).await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "started without TLS: {stderr}");
    assert!(
        stderr.contains("LANGFUSE_BASE_URL") && stderr.contains("--features tls"),
        "{stderr}"
    );
}
