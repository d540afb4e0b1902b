//! Interoperability with real peers: Arize Phoenix (an OTLP backend with a
//! REST API), Python FastMCP clients and servers, and the MCP Inspector CLI.
//!
//! The peers are installed by `.ci/interop-setup`; the tests find them through
//! `MCP_TRACE_INTEROP_DIR` (relative paths are taken from the workspace root):
//!
//! ```text
//! .ci/interop-setup
//! MCP_TRACE_INTEROP_DIR=target/interop cargo test -p mcp-trace-tests --test interop -- --ignored
//! ```
//!
//! Every child process runs in its own process group and is killed by that
//! id when its guard drops (also when a test panics); every wait has a
//! timeout. All traffic stays on 127.0.0.1.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use mcp_trace_runtime::collector::{CollectedSpan, Collector, SpanKind};
use mcp_trace_tests::interop::{
    assert_strict_tool_list, free_port, inspector, interop_dir, python, random_hex, run_bounded,
    run_python, script, start_python_weather_server, stdout_json, wait_for_port, ChildGuard,
    RUN_TIMEOUT, SPANS_TIMEOUT,
};
use mcp_trace_tests::{binary, WeatherServer};
use serde_json::{json, Value};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

// ---------------------------------------------------------------------------
// Peers and processes (the shared part is in `mcp_trace_tests::interop`)
// ---------------------------------------------------------------------------

async fn run_weather_client(url: &str, location: &str, otlp: &str) -> Value {
    let mut command = Command::new(binary("weather-client"));
    command
        .args(["--json", "--days", "3", "--url", url, location])
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", otlp);
    let output = run_bounded("weather-client", command, RUN_TIMEOUT).await;
    stdout_json("weather-client", &output)
}

// ---------------------------------------------------------------------------
// Loopback HTTP (Phoenix's REST API)
// ---------------------------------------------------------------------------

/// A blocking `GET http://127.0.0.1:{port}{path}` → (status, body).
fn http_get(port: u16, path: &str) -> std::io::Result<(u16, String)> {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    stream.set_write_timeout(Some(Duration::from_secs(10)))?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept: application/json\r\nConnection: close\r\n\r\n"
    )?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    let raw = String::from_utf8_lossy(&raw);
    let bad = || std::io::Error::other(format!("not an HTTP response: {raw:.200}"));
    let (head, body) = raw.split_once("\r\n\r\n").ok_or_else(bad)?;
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(bad)?;
    let chunked = head.lines().any(|line| {
        line.to_ascii_lowercase()
            .starts_with("transfer-encoding: chunked")
    });
    Ok((
        status,
        if chunked {
            dechunk(body)
        } else {
            body.to_string()
        },
    ))
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let size = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if size == 0 || rest.len() < size {
            break;
        }
        out.push_str(&rest[..size]);
        body = rest[size..].trim_start_matches("\r\n");
    }
    out
}

async fn get(port: u16, path: &str) -> std::io::Result<(u16, String)> {
    let path = path.to_string();
    tokio::task::spawn_blocking(move || http_get(port, &path))
        .await
        .expect("http_get does not panic")
}

// ---------------------------------------------------------------------------
// Span checks
// ---------------------------------------------------------------------------

/// A span as either backend returns it.
#[derive(Debug, Clone)]
struct SpanView {
    trace_id: String,
    span_id: String,
    parent_id: Option<String>,
    name: String,
    attributes: serde_json::Map<String, Value>,
    /// What Phoenix makes of the span (`LLM`, `TOOL`, `UNKNOWN`, …); `None`
    /// for backends without span kinds of their own.
    openinference_kind: Option<String>,
}

impl From<&CollectedSpan> for SpanView {
    fn from(span: &CollectedSpan) -> Self {
        SpanView {
            trace_id: span.trace_id.clone(),
            span_id: span.span_id.clone(),
            parent_id: span.parent_span_id.clone(),
            name: span.name.clone(),
            attributes: span.attributes.clone(),
            openinference_kind: None,
        }
    }
}

/// The JSON value of a span's `langfuse.observation.input` attribute.
fn input_of(span: &SpanView) -> Value {
    let text = span
        .attributes
        .get("langfuse.observation.input")
        .and_then(Value::as_str);
    text.and_then(|text| serde_json::from_str(text).ok())
        .unwrap_or_else(|| panic!("{} has no JSON input attribute: {span:?}", span.name))
}

fn is_tool_span(span: &SpanView, tool: &str) -> bool {
    span.name == tool || span.name == format!("tools/call {tool}")
}

fn only<'a>(spans: &'a [SpanView], what: &str, pick: impl Fn(&SpanView) -> bool) -> &'a SpanView {
    let found: Vec<_> = spans.iter().filter(|span| pick(span)).collect();
    assert_eq!(
        found.len(),
        1,
        "expected exactly one {what}, got {found:#?}\nall spans: {spans:#?}"
    );
    found[0]
}

/// The seed's client side: `weather_request` (root, `location`,
/// `forecast_days`) → `handle_weather_request` (input). Returns the latter.
fn check_client_side(spans: &[SpanView], trace_id: &str, location: &str, days: i64) -> SpanView {
    for span in spans {
        assert_eq!(
            span.trace_id, trace_id,
            "span outside the client's trace: {span:?}"
        );
    }
    let root = only(spans, "weather_request", |span| {
        span.name == "weather_request"
    });
    assert_eq!(
        root.parent_id, None,
        "weather_request is the root: {root:?}"
    );
    assert_eq!(
        root.attributes.get("location"),
        Some(&json!(location)),
        "{root:?}"
    );
    assert_eq!(
        root.attributes.get("forecast_days"),
        Some(&json!(days)),
        "{root:?}"
    );
    let handle = only(spans, "handle_weather_request", |span| {
        span.name == "handle_weather_request"
    });
    assert_eq!(
        handle.parent_id.as_deref(),
        Some(root.span_id.as_str()),
        "{handle:?}"
    );
    assert_eq!(
        input_of(handle),
        json!({"location": location, "forecast_days": days})
    );
    handle.clone()
}

/// The span in which the server ran `tool` for a call made under `caller`:
/// a child of `caller` named `tool` / `tools/call tool`, or — when the client
/// has its own `tools/call` CLIENT span (native mode) — that span's child.
fn server_span_of<'a>(spans: &'a [SpanView], caller: &SpanView, tool: &str) -> &'a SpanView {
    let first = only(
        spans,
        &format!("{tool} span under {}", caller.name),
        |span| {
            is_tool_span(span, tool) && span.parent_id.as_deref() == Some(caller.span_id.as_str())
        },
    );
    let nested: Vec<_> = spans
        .iter()
        .filter(|span| {
            is_tool_span(span, tool) && span.parent_id.as_deref() == Some(first.span_id.as_str())
        })
        .collect();
    match nested.as_slice() {
        [] => first,
        [server] => server,
        _ => panic!("several {tool} spans under {first:?}: {nested:#?}"),
    }
}

/// Spans of `service` in `trace_id` whose parent is not a span of the same
/// service: where the call entered that process.
fn entry_spans(spans: &[CollectedSpan], trace_id: &str, service: &str) -> Vec<SpanView> {
    let mine: Vec<_> = spans
        .iter()
        .filter(|span| span.trace_id == trace_id && span.service_name == service)
        .collect();
    mine.iter()
        .filter(|span| {
            !mine
                .iter()
                .any(|other| Some(&other.span_id) == span.parent_span_id.as_ref())
        })
        .map(|span| SpanView::from(*span))
        .collect()
}

/// A `get_weather` call from a foreign client with context (`trace_id`,
/// `parent`) reached weather-server: its server-side spans are all in that
/// trace, exactly one of them entered the process, as a child of `parent`,
/// and the tool's input is recorded.
///
/// Only `get_weather` spans are looked at: the client's other requests
/// (`initialize`, FastMCP's `tools/list` after a call) carry the context only
/// when it travels in transport-wide headers.
fn check_server_joined(spans: &[CollectedSpan], trace_id: &str, parent: &str, location: &str) {
    let dump = || format!("all spans: {spans:#?}");
    let server: Vec<&CollectedSpan> = spans
        .iter()
        .filter(|span| span.service_name == "weather-server")
        .collect();
    let tool: Vec<SpanView> = server
        .iter()
        .map(|span| SpanView::from(*span))
        .filter(|span| is_tool_span(span, "get_weather"))
        .collect();
    assert!(
        !tool.is_empty(),
        "no get_weather span from weather-server: {}",
        dump()
    );
    assert!(
        tool.iter().all(|span| span.trace_id == trace_id),
        "get_weather spans outside trace {trace_id}: {}",
        dump()
    );
    let entries: Vec<&SpanView> = tool
        .iter()
        .filter(|span| {
            !server
                .iter()
                .any(|other| Some(&other.span_id) == span.parent_id.as_ref())
        })
        .collect();
    assert_eq!(
        entries.len(),
        1,
        "one get_weather span entered weather-server: {}",
        dump()
    );
    assert_eq!(
        entries[0].parent_id.as_deref(),
        Some(parent),
        "the caller's span is the parent: {:?}\n{}",
        entries[0],
        dump()
    );
    let observed = tool
        .iter()
        .find(|span| span.attributes.contains_key("langfuse.observation.input"))
        .unwrap_or_else(|| panic!("no observed get_weather span: {}", dump()));
    assert_eq!(input_of(observed), json!({ "location": location }));
}

// ---------------------------------------------------------------------------
// a. Phoenix
// ---------------------------------------------------------------------------

/// `phoenix serve` on loopback with its own SQLite working dir.
struct Phoenix {
    guard: ChildGuard,
    port: u16,
    working_dir: PathBuf,
}

impl Phoenix {
    async fn start() -> Phoenix {
        let port = free_port();
        let working_dir = std::env::temp_dir().join(format!("mcp-trace-phoenix-{}", random_hex(8)));
        std::fs::create_dir_all(&working_dir).expect("create Phoenix working dir");
        let log =
            std::fs::File::create(working_dir.join("phoenix.log")).expect("create Phoenix log");
        let mut command = Command::new(interop_dir().join("venv/bin/phoenix"));
        command
            .arg("serve")
            .env("PHOENIX_HOST", "127.0.0.1")
            .env("PHOENIX_PORT", port.to_string())
            // gRPC cannot be switched off (only with read-only); give it a free port.
            .env("PHOENIX_GRPC_PORT", free_port().to_string())
            .env("PHOENIX_WORKING_DIR", &working_dir)
            .env("PHOENIX_TELEMETRY_ENABLED", "false")
            .env("PHOENIX_ALLOW_EXTERNAL_RESOURCES", "false")
            .stdout(log.try_clone().expect("clone log handle"))
            .stderr(log);
        let mut phoenix = Phoenix {
            guard: ChildGuard::spawn("phoenix serve", command),
            port,
            working_dir,
        };
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let dir = phoenix.working_dir.clone();
            phoenix.guard.assert_running(&|| {
                format!("; log:\n{}", phoenix_log_tail(&dir.join("phoenix.log")))
            });
            if matches!(get(port, "/healthz").await, Ok((200, _))) {
                return phoenix;
            }
            assert!(
                Instant::now() < deadline,
                "Phoenix did not answer /healthz within 120 s; log:\n{}",
                phoenix.log_tail()
            );
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn log_tail(&self) -> String {
        phoenix_log_tail(&self.working_dir.join("phoenix.log"))
    }

    /// Spans of `trace_id` in project `default`, via the REST API.
    async fn spans(&self, trace_id: &str) -> Vec<SpanView> {
        let path = format!("/v1/projects/default/spans?trace_id={trace_id}&limit=100");
        let (status, body) = get(self.port, &path).await.expect("Phoenix answers");
        if status == 404 {
            return Vec::new(); // the project appears with its first span
        }
        assert_eq!(status, 200, "GET {path}: {body}");
        let body: Value = serde_json::from_str(&body).expect("Phoenix returns JSON");
        let data = body["data"]
            .as_array()
            .unwrap_or_else(|| panic!("no data array: {body}"));
        data.iter()
            .map(|span| SpanView {
                trace_id: span["context"]["trace_id"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                span_id: span["context"]["span_id"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                parent_id: span["parent_id"].as_str().map(str::to_string),
                name: span["name"].as_str().unwrap_or_default().to_string(),
                attributes: span["attributes"].as_object().cloned().unwrap_or_default(),
                openinference_kind: span["span_kind"].as_str().map(str::to_string),
            })
            .collect()
    }
}

fn phoenix_log_tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<_> = text.lines().collect();
    lines[lines.len().saturating_sub(40)..].join("\n")
}

impl Drop for Phoenix {
    fn drop(&mut self) {
        self.guard.kill(); // before its working dir goes away
        let _ = std::fs::remove_dir_all(&self.working_dir);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs .ci/interop-setup (Python venv, npm)"]
async fn phoenix_shows_the_distributed_trace() {
    let phoenix = Phoenix::start().await;
    let otlp = phoenix.endpoint();
    let server = WeatherServer::start(&[], &[("OTEL_EXPORTER_OTLP_ENDPOINT", &otlp)]).await;
    let report = run_weather_client(&server.url, "Paris", &otlp).await;
    assert!(
        server.stop().await.success(),
        "weather-server exits cleanly on SIGTERM"
    );
    let trace_id = report["trace_id"]
        .as_str()
        .expect("trace_id in --json output")
        .to_string();
    assert_eq!(report["weather"]["location"], "Paris");

    // Phoenix inserts in batches: poll until the whole tree is there.
    let deadline = Instant::now() + SPANS_TIMEOUT;
    let spans = loop {
        let spans = phoenix.spans(&trace_id).await;
        let has = |name: &str| spans.iter().any(|span| span.name == name);
        let has_tool = |tool: &str| spans.iter().any(|span| is_tool_span(span, tool));
        if has("weather_request")
            && has("handle_weather_request")
            && has_tool("get_weather")
            && has_tool("get_forecast")
        {
            break spans;
        }
        assert!(
            Instant::now() < deadline,
            "Phoenix did not return the trace {trace_id} within {SPANS_TIMEOUT:?}: {spans:#?}\nlog:\n{}",
            phoenix.log_tail()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    };

    let handle = check_client_side(&spans, &trace_id, "Paris", 3);
    let weather = server_span_of(&spans, &handle, "get_weather");
    assert_eq!(input_of(weather), json!({"location": "Paris"}));
    let forecast = server_span_of(&spans, &handle, "get_forecast");
    assert_eq!(input_of(forecast), json!({"location": "Paris", "days": 3}));
}

/// The demo's sampling step in Phoenix: the server's `sampling/createMessage`
/// span is an LLM span with the answering model and token counts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs .ci/interop-setup (Python venv, npm)"]
async fn phoenix_reads_the_sampling_generation_as_an_llm_span() {
    let phoenix = Phoenix::start().await;
    let otlp = phoenix.endpoint();
    let mut command = Command::new(binary("weather-client"));
    command
        .args(["--demo", "--json", "Paris"])
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", &otlp);
    let output = run_bounded("weather-client --demo", command, RUN_TIMEOUT).await;
    let report = stdout_json("weather-client --demo", &output);
    let trace_id = report["trace_id"]
        .as_str()
        .expect("trace_id in --json output")
        .to_string();

    let is_generation = |span: &SpanView| {
        span.name == "sampling/createMessage"
            && span.attributes.get("langfuse.observation.type") == Some(&json!("generation"))
    };
    let deadline = Instant::now() + SPANS_TIMEOUT;
    let generation = loop {
        let spans = phoenix.spans(&trace_id).await;
        if let Some(span) = spans.iter().find(|span| is_generation(span)) {
            break span.clone();
        }
        assert!(
            Instant::now() < deadline,
            "Phoenix did not return the sampling generation of {trace_id} within {SPANS_TIMEOUT:?}: {spans:#?}\nlog:\n{}",
            phoenix.log_tail()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    assert_eq!(
        generation.openinference_kind.as_deref(),
        Some("LLM"),
        "{generation:#?}"
    );
    let attribute = |key: &str| {
        generation
            .attributes
            .get(key)
            .cloned()
            .unwrap_or_else(|| panic!("{key} missing: {generation:#?}"))
    };
    let model = attribute("llm.model_name");
    assert!(
        model.as_str().is_some_and(|model| !model.is_empty()),
        "{model}"
    );
    assert_eq!(model, attribute("gen_ai.response.model"));
    let prompt = attribute("llm.token_count.prompt")
        .as_i64()
        .expect("a count");
    let completion = attribute("llm.token_count.completion")
        .as_i64()
        .expect("a count");
    assert!(prompt > 0 && completion > 0, "{prompt} / {completion}");
    assert_eq!(
        attribute("llm.token_count.total").as_i64(),
        Some(prompt + completion)
    );
    assert_eq!(
        attribute("gen_ai.usage.input_tokens").as_i64(),
        Some(prompt)
    );
    assert!(attribute("llm.cost.total")
        .as_f64()
        .is_some_and(|usd| usd > 0.0));
}

/// The server's `tracing::info!` per tool call, exported as OTLP logs and
/// decoded by a receiver built on the OpenTelemetry project's own protobuf
/// definitions (`otlp_logs_receiver.py`): each record carries the trace id
/// and the span id of the tool's SERVER span it was written in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs .ci/interop-setup (Python venv, npm)"]
async fn an_otlp_logs_receiver_gets_the_servers_records_with_their_span() {
    let port = free_port();
    let mut command = Command::new(python());
    command
        .arg(script("otlp_logs_receiver.py"))
        .arg(port.to_string())
        .env("PYTHONUNBUFFERED", "1")
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut receiver = ChildGuard::spawn("otlp_logs_receiver.py", command);
    let stdout = receiver.child.stdout.take().expect("stdout is piped");
    let received = Arc::new(Mutex::new(Vec::<Value>::new()));
    let sink = received.clone();
    tokio::spawn(async move {
        let mut lines = BufReader::new(stdout).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            if let Ok(record) = serde_json::from_str::<Value>(&line) {
                sink.lock().unwrap().push(record);
            }
        }
    });
    wait_for_port(port, &mut receiver, Duration::from_secs(60)).await;

    let collector = Collector::start("127.0.0.1:0")
        .await
        .expect("collector starts");
    let traces = format!("{}/v1/traces", collector.endpoint());
    let logs = format!("http://127.0.0.1:{port}/v1/logs");
    let server = WeatherServer::start(
        &[],
        &[
            ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", &traces),
            ("OTEL_EXPORTER_OTLP_LOGS_ENDPOINT", &logs),
        ],
    )
    .await;
    let report = run_weather_client(&server.url, "Paris", &collector.endpoint()).await;
    assert!(
        server.stop().await.success(),
        "weather-server exits cleanly on SIGTERM, its records flushed"
    );
    let trace_id = report["trace_id"].as_str().expect("trace_id").to_string();

    let spans = collector
        .wait_for(SPANS_TIMEOUT, |spans| {
            spans.iter().any(|span| {
                span.trace_id == trace_id
                    && span.kind == SpanKind::Server
                    && span.name == "tools/call get_weather"
            })
        })
        .await;
    let tool_span = |name: &str| {
        spans
            .iter()
            .find(|span| {
                span.trace_id == trace_id && span.kind == SpanKind::Server && span.name == name
            })
            .unwrap_or_else(|| panic!("no SERVER span {name}: {spans:#?}"))
            .span_id
            .clone()
    };
    let records = received.lock().unwrap().clone();
    assert!(
        records.iter().all(|record| record.get("error").is_none()),
        "every export decoded: {records:#?}"
    );
    for (tool, message) in [
        ("tools/call get_weather", "looking up the weather"),
        ("tools/call get_forecast", "looking up the forecast"),
    ] {
        let record = records
            .iter()
            .find(|record| record["body"] == message)
            .unwrap_or_else(|| panic!("no record {message:?} at the receiver: {records:#?}"));
        assert_eq!(record["trace_id"], trace_id.as_str(), "{record}");
        assert_eq!(record["span_id"], tool_span(tool).as_str(), "{record}");
        assert_eq!(record["severity_text"], "INFO", "{record}");
        assert_eq!(record["service"], "weather-server", "{record}");
        assert_eq!(record["attributes"]["location"], "Paris", "{record}");
    }
}

// ---------------------------------------------------------------------------
// b, c. A Python FastMCP client calling weather-server
// ---------------------------------------------------------------------------

async fn python_client_calls_weather_server(via: &str) {
    let collector = Collector::start("127.0.0.1:0")
        .await
        .expect("collector starts");
    let otlp = collector.endpoint();
    let server = WeatherServer::start(&[], &[("OTEL_EXPORTER_OTLP_ENDPOINT", &otlp)]).await;
    let client = script("fastmcp_client.py");
    let output = run_python(
        "fastmcp_client.py",
        &[client.to_str().unwrap(), &server.url, "--via", via],
        &[("OTEL_EXPORTER_OTLP_ENDPOINT", &otlp)],
    )
    .await;
    let called = stdout_json("fastmcp_client.py", &output);
    assert_eq!(called["result"]["location"], "Paris", "{called}");
    assert!(
        server.stop().await.success(),
        "weather-server exits cleanly on SIGTERM"
    );
    let trace_id = called["trace_id"].as_str().unwrap().to_string();
    let parent = called["span_id"].as_str().unwrap().to_string();

    let spans = collector
        .wait_for(SPANS_TIMEOUT, |spans| {
            spans.iter().any(|span| span.span_id == parent)
                && spans
                    .iter()
                    .any(|span| span.service_name == "weather-server")
        })
        .await;
    let client_span = spans.iter().find(|span| span.span_id == parent);
    let client_span =
        client_span.unwrap_or_else(|| panic!("the Python client's span was exported: {spans:#?}"));
    assert_eq!(client_span.service_name, "python-fastmcp-client");
    if via != "native" {
        // The libraries' instrumentation stayed off: nothing else in `_meta`.
        let python = spans
            .iter()
            .filter(|span| span.service_name == "python-fastmcp-client");
        assert_eq!(python.count(), 1, "only the script's own span: {spans:#?}");
    }
    let expected_parent = if via == "native" {
        innermost_python_call_span(&spans, &parent)
    } else {
        parent
    };
    check_server_joined(&spans, &trace_id, &expected_parent, "Paris");
}

/// With the Python libraries' own instrumentation on, FastMCP opens CLIENT
/// `tools/call get_weather` and inside it the MCP SDK opens CLIENT `MCP send
/// tools/call get_weather`; the innermost one under `root` wrote `_meta`.
fn innermost_python_call_span(spans: &[CollectedSpan], root: &str) -> String {
    let python: Vec<&CollectedSpan> = spans
        .iter()
        .filter(|span| span.service_name == "python-fastmcp-client")
        .collect();
    let under_root = |span: &CollectedSpan| {
        let mut parent = span.parent_span_id.clone();
        while let Some(id) = parent {
            if id == root {
                return true;
            }
            parent = python
                .iter()
                .find(|p| p.span_id == id)
                .and_then(|p| p.parent_span_id.clone());
        }
        false
    };
    let calls: Vec<&CollectedSpan> = python
        .iter()
        .copied()
        .filter(|span| {
            matches!(span.kind, SpanKind::Client)
                && span.name.ends_with("tools/call get_weather")
                && under_root(span)
        })
        .collect();
    let innermost: Vec<_> = calls
        .iter()
        .filter(|span| {
            !calls
                .iter()
                .any(|c| c.parent_span_id.as_ref() == Some(&span.span_id))
        })
        .collect();
    assert_eq!(
        innermost.len(),
        1,
        "one innermost Python CLIENT span for the call: {spans:#?}"
    );
    innermost[0].span_id.clone()
}

/// b. `traceparent` only in the HTTP headers of the transport (the seed's
/// client; nothing in `_meta`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs .ci/interop-setup (Python venv, npm)"]
async fn fastmcp_client_with_w3c_headers_parents_the_server_span() {
    python_client_calls_weather_server("headers").await;
}

/// c. `traceparent` only in `params._meta` of the call (SEP-414), no headers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs .ci/interop-setup (Python venv, npm)"]
async fn fastmcp_client_with_meta_parents_the_server_span() {
    python_client_calls_weather_server("meta").await;
}

/// A Python client as it comes, with FastMCP's and the MCP SDK's native
/// telemetry on: they put their CLIENT span in `_meta` while the transport
/// headers still carry the script's span; `_meta` must win.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs .ci/interop-setup (Python venv, npm)"]
async fn fastmcp_client_with_native_telemetry_parents_the_server_span() {
    python_client_calls_weather_server("native").await;
}

// ---------------------------------------------------------------------------
// d. MCP Inspector CLI
// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs .ci/interop-setup (Python venv, npm)"]
async fn mcp_inspector_cli_headers_meta_and_strict_schemas() {
    let collector = Collector::start("127.0.0.1:0")
        .await
        .expect("collector starts");
    let otlp = collector.endpoint();
    let server = WeatherServer::start(&[], &[("OTEL_EXPORTER_OTLP_ENDPOINT", &otlp)]).await;

    assert_strict_tool_list(&server.url, &["get_weather", "get_forecast"]).await;

    let mut calls = Vec::new();
    for (how, location) in [("--header", "Paris"), ("--metadata", "Lyon")] {
        let (trace_id, parent) = (random_hex(16), random_hex(8));
        let traceparent = format!("00-{trace_id}-{parent}-01");
        let carrier = match how {
            "--header" => format!("traceparent: {traceparent}"),
            _ => format!("traceparent={traceparent}"),
        };
        let location_arg = format!("location={location}");
        let output = inspector(
            &server.url,
            &[
                "--method",
                "tools/call",
                "--tool-name",
                "get_weather",
                "--tool-arg",
                &location_arg,
                how,
                &carrier,
            ],
        )
        .await;
        let result = stdout_json("mcp-inspector tools/call", &output);
        assert_eq!(
            result["structuredContent"]["location"], location,
            "{result}"
        );
        calls.push((trace_id, parent, location));
    }
    assert!(
        server.stop().await.success(),
        "weather-server exits cleanly on SIGTERM"
    );

    let spans = collector
        .wait_for(SPANS_TIMEOUT, |spans| {
            calls
                .iter()
                .all(|(trace_id, ..)| spans.iter().any(|span| &span.trace_id == trace_id))
        })
        .await;
    for (trace_id, parent, location) in &calls {
        let of_trace: Vec<_> = spans
            .iter()
            .filter(|span| &span.trace_id == trace_id)
            .cloned()
            .collect();
        check_server_joined(&of_trace, trace_id, parent, location);
    }
}

// ---------------------------------------------------------------------------
// e. weather-client calling the seed's server written in Python
// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs .ci/interop-setup (Python venv, npm)"]
async fn weather_client_calls_a_python_fastmcp_server() {
    let collector = Collector::start("127.0.0.1:0")
        .await
        .expect("collector starts");
    let otlp = collector.endpoint();
    let (python_server, url) = start_python_weather_server(&otlp).await;

    let report = run_weather_client(&url, "Paris", &otlp).await;
    assert_eq!(report["weather"]["location"], "Paris");
    assert_eq!(
        report["forecast"].as_array().map(Vec::len),
        Some(3),
        "{report}"
    );
    let trace_id = report["trace_id"].as_str().unwrap().to_string();

    let done = |spans: &[CollectedSpan]| {
        let has = |service: &str, name: &str| {
            spans.iter().any(|span| {
                span.trace_id == trace_id && span.service_name == service && span.name == name
            })
        };
        has("weather-client", "weather_request")
            && has("python-weather-server", "get_weather")
            && has("python-weather-server", "get_forecast")
    };
    let spans = collector.wait_for(SPANS_TIMEOUT, done).await;
    assert!(
        done(&spans),
        "spans of trace {trace_id} from both processes: {spans:#?}"
    );
    drop(python_server);

    let client: Vec<SpanView> = spans
        .iter()
        .filter(|span| span.service_name == "weather-client")
        .map(SpanView::from)
        .collect();
    let handle = check_client_side(&client, &trace_id, "Paris", 3);
    let client_ids: Vec<_> = client.iter().map(|span| span.span_id.as_str()).collect();
    let is_tool_call_of_handle = |parent: &str, tool: &str| {
        parent == handle.span_id
            || client.iter().any(|span| {
                span.span_id == parent
                    && is_tool_span(span, tool)
                    && span.parent_id.as_deref() == Some(handle.span_id.as_str())
            })
    };
    let entries = entry_spans(&spans, &trace_id, "python-weather-server");
    for (tool, input) in [
        ("get_weather", json!({"location": "Paris"})),
        ("get_forecast", json!({"location": "Paris", "days": 3})),
    ] {
        // The seed's tool span, parented from the HTTP headers of that POST.
        let tool_span = only(&entries, &format!("python {tool} span"), |span| {
            span.name == tool
        });
        let parent = tool_span.parent_id.as_deref().unwrap_or_default();
        assert!(
            is_tool_call_of_handle(parent, tool),
            "python {tool} span's parent is handle_weather_request (or its tools/call span): {tool_span:?}\nclient spans: {client:#?}"
        );
        assert_eq!(input_of(tool_span), input);
        // FastMCP's own SERVER span (native telemetry), parented from `_meta`.
        let native = only(
            &entries,
            &format!("FastMCP tools/call {tool} span"),
            |span| span.name == format!("tools/call {tool}"),
        );
        let parent = native.parent_id.as_deref().unwrap_or_default();
        assert!(
            is_tool_call_of_handle(parent, tool),
            "FastMCP's {} span joins via _meta: {native:?}\nclient spans: {client:#?}",
            native.name
        );
    }
    // FastMCP also traces `initialize`, whose context weather-client sends in
    // headers only (FastMCP reads `_meta`): a trace of its own. The tools'
    // spans must all be in the client's trace.
    for span in spans
        .iter()
        .filter(|span| span.service_name == "python-weather-server")
    {
        if span.name.contains("get_weather") || span.name.contains("get_forecast") {
            assert_eq!(
                span.trace_id, trace_id,
                "python tool span outside the trace: {span:?}"
            );
        }
    }
    for entry in &entries {
        let parent = entry.parent_id.as_deref().unwrap_or_default();
        assert!(
            client_ids.contains(&parent),
            "every python-weather-server entry span has a weather-client parent: {entry:?}"
        );
    }
}
