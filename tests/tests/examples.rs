//! The runtime's examples a user copies, run for real as child processes
//! exporting to the embedded [`Collector`]:
//!
//! - `axum_server`: `/health` and the JSON route answer beside `/mcp`; a
//!   `tools/call` with a `traceparent` header gets its SERVER span (with
//!   the tool's input) in the caller's trace, under the caller's span, and
//!   so does the JSON route's call of the same traced function
//!   (`RequestScopeLayer`); SIGTERM ends it with exit 0 and its spans flushed.
//! - `stdio_server`, driven by the runtime's client with its stdout read line
//!   by line on the way: every line is JSON-RPC although the console
//!   exporter is on (its lines go to stderr), and closing stdin ends it with
//!   exit 0 and its spans flushed.
//! - `client` against `stdio_server`: its root span, its CLIENT span and the
//!   server's SERVER span are one trace, each under the one before.
//!
//! No test here installs a tracer provider in the test process.

use std::process::{ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use mcp_trace_runtime::client::McpClient;
use mcp_trace_runtime::collector::{CollectedSpan, Collector, SpanKind};
use mcp_trace_runtime::observe::attributes::INPUT;
use mcp_trace_tests::example;
use serde_json::{json, Map, Value};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, Command};

/// Longest wait for one answer, a start-up (the example may be built
/// first) or the spans at the collector.
const WAIT: Duration = Duration::from_secs(60);
const PROTOCOL_VERSION: &str = "2025-06-18";

/// The environment of an example exporting to `collector`: the batch delay
/// is far longer than the test, so only the flush at exit delivers.
fn export_to(command: &mut Command, collector: &Collector) {
    command
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", collector.endpoint())
        .env("OTEL_BSP_SCHEDULE_DELAY", "600000")
        .env("OTEL_BLRP_SCHEDULE_DELAY", "600000")
        .env_remove("OTEL_SERVICE_NAME")
        .env_remove("OTEL_TRACES_EXPORTER")
        .env_remove("LANGFUSE_PUBLIC_KEY")
        .env_remove("LANGFUSE_SECRET_KEY")
        .env_remove("MCP_TRACE_MODE");
}

/// A fresh random (never all-zero) trace id and span id, and their `traceparent`.
fn random_caller() -> (String, String, String) {
    let trace_id = format!("{:032x}", fastrand::u128(1..));
    let span_id = format!("{:016x}", fastrand::u64(1..));
    let traceparent = format!("00-{trace_id}-{span_id}-01");
    (trace_id, span_id, traceparent)
}

async fn wait_exit(child: &mut Child, what: &str) -> ExitStatus {
    tokio::time::timeout(Duration::from_secs(20), child.wait())
        .await
        .unwrap_or_else(|_| panic!("{what} exits within 20 s"))
        .expect("exit status")
}

fn find<'a>(
    spans: &'a [CollectedSpan],
    what: &str,
    test: impl Fn(&CollectedSpan) -> bool,
) -> &'a CollectedSpan {
    spans.iter().find(|span| test(span)).unwrap_or_else(|| {
        let names: Vec<_> = spans
            .iter()
            .map(|s| {
                format!(
                    "{} {:?} {} in {}",
                    s.service_name, s.kind, s.name, s.trace_id
                )
            })
            .collect();
        panic!("no {what} among {names:#?}")
    })
}

// ---------------------------------------------------------------------------
// axum_server
// ---------------------------------------------------------------------------

const AXUM_LINE: &str = "axum-server: listening on ";

/// The message answering `id` in a JSON body or in server-sent events.
fn answer_to(body: &str, id: &Value) -> Value {
    std::iter::once(body)
        .chain(body.lines().filter_map(|line| line.strip_prefix("data:")))
        .filter_map(|data| serde_json::from_str::<Value>(data.trim()).ok())
        .find(|message| message["id"] == *id)
        .unwrap_or_else(|| panic!("no answer to {id} in {body:?}"))
}

/// A raw JSON-RPC POST to `/mcp`, with the session and `traceparent` given.
async fn post(
    http: &reqwest::Client,
    url: &str,
    message: &Value,
    session: Option<&str>,
    traceparent: Option<&str>,
) -> reqwest::Response {
    let mut request = http
        .post(url)
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", PROTOCOL_VERSION)
        .body(message.to_string());
    if let Some(session) = session {
        request = request.header("mcp-session-id", session);
    }
    if let Some(traceparent) = traceparent {
        request = request.header("traceparent", traceparent);
    }
    tokio::time::timeout(WAIT, request.send())
        .await
        .expect("answered in time")
        .expect("the server answers")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn axum_example_serves_its_routes_and_mcp_in_the_callers_trace() {
    let collector = Collector::start("127.0.0.1:0").await.unwrap();
    let mut command = Command::new(example("axum_server"));
    command
        .args(["--port", "0"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    export_to(&mut command, &collector);
    let mut child = command.spawn().expect("axum_server starts");
    let mut stderr = BufReader::new(child.stderr.take().expect("stderr is piped")).lines();
    let base = tokio::time::timeout(WAIT, async {
        while let Ok(Some(line)) = stderr.next_line().await {
            eprintln!("{line}");
            if let Some(url) = line.strip_prefix(AXUM_LINE) {
                return url.trim().to_string();
            }
        }
        panic!("axum_server exited before printing its address")
    })
    .await
    .expect("axum_server printed its address in time");
    tokio::spawn(async move {
        while let Ok(Some(line)) = stderr.next_line().await {
            eprintln!("{line}");
        }
    });
    let http = reqwest::Client::new();

    // The app's own routes.
    let health = http.get(format!("{base}/health")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    assert_eq!(health.text().await.unwrap(), "ok");
    let (route_trace, route_parent, route_traceparent) = random_caller();
    let converted: Value = http
        .get(format!("{base}/fahrenheit/100"))
        .header("traceparent", &route_traceparent)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .expect("the JSON route answers JSON");
    assert_eq!(converted, json!({"celsius": 100.0, "fahrenheit": 212.0}));

    // MCP at /mcp: a session, then a call with the caller's context in the
    // POST's headers only.
    let mcp = format!("{base}/mcp");
    let initialize = json!({
        "jsonrpc": "2.0", "id": "init", "method": "initialize",
        "params": {
            "protocolVersion": PROTOCOL_VERSION,
            "capabilities": {},
            "clientInfo": {"name": "examples-test", "version": "1"}
        }
    });
    let response = post(&http, &mcp, &initialize, None, None).await;
    assert!(response.status().is_success(), "{response:?}");
    let session = response
        .headers()
        .get("mcp-session-id")
        .expect("a session id")
        .to_str()
        .unwrap()
        .to_string();
    let answer = answer_to(&response.text().await.unwrap(), &json!("init"));
    assert_eq!(
        answer["result"]["serverInfo"]["name"], "axum-server",
        "{answer}"
    );
    let initialized = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
    let status = post(&http, &mcp, &initialized, Some(&session), None)
        .await
        .status();
    assert_eq!(status, 202);
    let (call_trace, call_parent, call_traceparent) = random_caller();
    let call = json!({
        "jsonrpc": "2.0", "id": 7, "method": "tools/call",
        "params": {"name": "to_fahrenheit", "arguments": {"celsius": 100}}
    });
    let response = post(&http, &mcp, &call, Some(&session), Some(&call_traceparent)).await;
    assert!(response.status().is_success(), "{response:?}");
    let answer = answer_to(&response.text().await.unwrap(), &json!(7));
    assert_eq!(answer["result"]["isError"], json!(false), "{answer}");
    let text = answer["result"]["content"][0]["text"]
        .as_str()
        .expect("a text block");
    assert_eq!(text.parse::<f64>().ok(), Some(212.0), "{answer}");

    // SIGTERM: a graceful shutdown, then the flush.
    let pid = child.id().expect("still running").to_string();
    let _ = Command::new("kill").args(["-TERM", &pid]).status().await;
    let status = wait_exit(&mut child, "axum_server after SIGTERM").await;
    assert!(status.success(), "axum_server exited with {status}");

    let spans = collector
        .wait_for(WAIT, |spans| {
            let traces: Vec<&str> = spans.iter().map(|s| s.trace_id.as_str()).collect();
            traces.contains(&call_trace.as_str()) && traces.contains(&route_trace.as_str())
        })
        .await;
    let server = find(
        &spans,
        "SERVER span of the tools/call in the caller's trace",
        |span| {
            span.trace_id == call_trace
                && span.kind == SpanKind::Server
                && span.name == "tools/call to_fahrenheit"
        },
    );
    assert_eq!(server.service_name, "axum-server");
    assert_eq!(
        server.parent_span_id.as_deref(),
        Some(call_parent.as_str()),
        "the SERVER span's parent is the caller's span from the traceparent header"
    );
    // The tool's observation: the SERVER span itself or a span of the same call.
    let observed = find(&spans, "the tool's input in the caller's trace", |span| {
        span.trace_id == call_trace
            && span
                .attr_str(INPUT)
                .is_some_and(|input| input.contains("100"))
    });
    assert_eq!(observed.service_name, "axum-server");
    let route = find(
        &spans,
        "the JSON route's to_fahrenheit in its caller's trace",
        |span| span.trace_id == route_trace && span.name == "to_fahrenheit",
    );
    assert_eq!(
        route.parent_span_id.as_deref(),
        Some(route_parent.as_str()),
        "RequestScopeLayer hands the route's traceparent to #[with_otel_headers]"
    );
    assert!(
        route
            .attr_str(INPUT)
            .is_some_and(|input| input.contains("100")),
        "{route:?}"
    );
}

// ---------------------------------------------------------------------------
// stdio_server
// ---------------------------------------------------------------------------

fn arguments(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        other => panic!("arguments must be an object, not {other}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stdio_example_writes_only_json_rpc_to_stdout_and_flushes_on_exit() {
    let collector = Collector::start("127.0.0.1:0").await.unwrap();
    let mut command = Command::new(example("stdio_server"));
    command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    export_to(&mut command, &collector);
    // The console exporter as well, spans and logs every 10 ms: were its
    // lines on stdout, they would break the protocol.
    command
        .env("OTEL_TRACES_EXPORTER", "otlp,console")
        .env("OTEL_LOGS_EXPORTER", "otlp,console")
        .env("OTEL_BLRP_SCHEDULE_DELAY", "10");
    let mut child = command.spawn().expect("stdio_server starts");
    let stdin = child.stdin.take().expect("stdin is piped");
    let stdout = child.stdout.take().expect("stdout is piped");
    let stderr = child.stderr.take().expect("stderr is piped");
    let stderr = tokio::spawn(async move {
        let mut lines = BufReader::new(stderr).lines();
        let mut kept = String::new();
        while let Ok(Some(line)) = lines.next_line().await {
            eprintln!("{line}");
            kept.push_str(&line);
            kept.push('\n');
        }
        kept
    });

    // Every line of stdout is checked, then handed on to the client.
    let (client_end, mut tee) = tokio::io::duplex(64 * 1024);
    let not_json_rpc = Arc::new(Mutex::new(Vec::<String>::new()));
    let read = {
        let not_json_rpc = Arc::clone(&not_json_rpc);
        tokio::spawn(async move {
            let mut lines = BufReader::new(stdout).lines();
            let mut count = 0;
            while let Ok(Some(line)) = lines.next_line().await {
                let message = serde_json::from_str::<Value>(&line).ok();
                if message.is_none_or(|message| message["jsonrpc"] != "2.0") {
                    not_json_rpc.lock().unwrap().push(line.clone());
                }
                count += 1;
                let _ = tee.write_all(format!("{line}\n").as_bytes()).await;
            }
            count
        })
    };
    let client = tokio::time::timeout(WAIT, McpClient::connect_io(client_end, stdin))
        .await
        .expect("the stdio session opens in time")
        .expect("the stdio session opens");
    let mut tools = client.list_tool_names().await.expect("tools/list");
    tools.sort();
    assert_eq!(tools, ["count_words", "reverse_words"]);
    let counted = client
        .call_tool("count_words", arguments(json!({"text": "one two three"})))
        .await
        .expect("count_words");
    assert_eq!((counted.text.as_str(), counted.is_error), ("3", false));
    // Time for the console's log lines to be written while the session is open.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let reversed = client
        .call_tool("reverse_words", arguments(json!({"text": "one two three"})))
        .await
        .expect("reverse_words");
    assert_eq!(reversed.text, "three two one");

    // The host closes stdin: the server flushes and exits 0.
    client.close().await;
    let status = wait_exit(&mut child, "stdio_server after stdin closed").await;
    assert!(status.success(), "stdio_server exited with {status}");
    let lines = read.await.unwrap();
    let stderr = stderr.await.unwrap();
    assert!(
        lines >= 4,
        "initialize, tools/list and two calls answered on stdout"
    );
    assert_eq!(
        *not_json_rpc.lock().unwrap(),
        Vec::<String>::new(),
        "stdout carries only JSON-RPC"
    );
    assert!(
        stderr.contains("stdio-server: serving MCP on stdin/stdout"),
        "{stderr}"
    );
    assert!(
        stderr.contains("Server tools/call count_words") && stderr.contains("counting words"),
        "the console's span and log lines are on stderr:\n{stderr}"
    );

    let spans = collector
        .wait_for(WAIT, |spans| {
            spans.iter().any(|s| s.name == "tools/call reverse_words")
        })
        .await;
    let server = find(&spans, "the flushed SERVER span of count_words", |span| {
        span.kind == SpanKind::Server && span.name == "tools/call count_words"
    });
    assert_eq!(server.service_name, "stdio-server");
    assert!(server
        .attr_str(INPUT)
        .is_some_and(|input| input.contains("one two three")));
}

// ---------------------------------------------------------------------------
// client
// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_example_puts_its_calls_and_the_servers_spans_in_one_trace() {
    let collector = Collector::start("127.0.0.1:0").await.unwrap();
    let server = example("stdio_server");
    let mut command = Command::new(example("client"));
    command
        .args([
            "--tool",
            "count_words",
            "--arguments",
            r#"{"text":"a b c d"}"#,
        ])
        .arg(&server)
        .stdin(Stdio::null())
        .kill_on_drop(true);
    // The child server inherits this environment: both export to the collector.
    export_to(&mut command, &collector);
    let output = tokio::time::timeout(WAIT, command.output())
        .await
        .expect("the client finishes in time")
        .expect("the client runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    eprintln!("{}", String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "{}\n{stdout}", output.status);
    assert!(
        stdout.contains("tools: count_words, reverse_words"),
        "{stdout}"
    );
    assert!(stdout.contains("count_words (ok): 4"), "{stdout}");
    let trace_id = stdout
        .lines()
        .find_map(|line| line.strip_prefix("trace "))
        .expect("the trace id is printed")
        .trim()
        .to_string();

    let spans = collector
        .wait_for(WAIT, |spans| {
            let of_trace = spans.iter().filter(|s| s.trace_id == trace_id);
            let services: Vec<&str> = of_trace.map(|s| s.service_name.as_str()).collect();
            services.contains(&"client-example")
                && services.contains(&"stdio-server")
                && spans.iter().any(|s| s.name == "client_example")
        })
        .await;
    let spans: Vec<CollectedSpan> = spans
        .into_iter()
        .filter(|s| s.trace_id == trace_id)
        .collect();
    let root = find(&spans, "the client's root span", |span| {
        span.name == "client_example"
    });
    assert_eq!(root.parent_span_id, None);
    assert_eq!(root.service_name, "client-example");
    let call = find(&spans, "the client's CLIENT span of the call", |span| {
        span.kind == SpanKind::Client && span.name == "tools/call count_words"
    });
    assert_eq!(call.parent_span_id.as_deref(), Some(root.span_id.as_str()));
    assert_eq!(call.service_name, "client-example");
    let served = find(&spans, "the server's SERVER span of the call", |span| {
        span.kind == SpanKind::Server && span.name == "tools/call count_words"
    });
    assert_eq!(served.service_name, "stdio-server");
    assert_eq!(
        served.parent_span_id.as_deref(),
        Some(call.span_id.as_str()),
        "the context went to the server in _meta"
    );
}
