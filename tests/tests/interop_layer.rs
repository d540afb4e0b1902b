//! Interoperability of the tracing layer over plain rmcp services with real
//! peers:
//!
//! - the `rmcp_router` example (a plain rmcp `#[tool_router]` server, traced
//!   by one line) called by a Python FastMCP client (context in the HTTP
//!   headers, or in `_meta` only) and by the MCP Inspector CLI;
//! - our traced rmcp client ([`connect_http`], [`serve_traced`]) calling the
//!   Python FastMCP weather server (FastMCP's own telemetry on) and the
//!   reference server `@modelcontextprotocol/server-everything` (over stdio,
//!   with a handler that answers its sampling and elicitation requests).
//!
//! The peers are installed by `.ci/interop-setup`:
//!
//! ```text
//! .ci/interop-setup
//! MCP_TRACE_INTEROP_DIR=target/interop cargo test -p mcp-trace-tests --test interop_layer -- --ignored
//! ```
//!
//! Foreign processes export over OTLP/HTTP to an embedded [`Collector`]; our
//! client runs in the test process, its spans kept in memory by
//! [`mcp_trace_runtime::testing`], one trace per test. Every child process
//! runs in its own process group and dies with its guard; every wait is
//! bounded; all traffic stays on 127.0.0.1 (or a pipe).

// Sampling and roots are deprecated by rmcp (SEP-2577) but still routed, and
// server-everything still asks for them.
#![allow(deprecated)]

use std::collections::BTreeSet;
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use mcp_trace_runtime::client::{connect_http, serve_traced, ClientPeer, TracedClient};
use mcp_trace_runtime::collector::{CollectedSpan, Collector, SpanKind as CollectedKind};
use mcp_trace_runtime::conventions::{
    GEN_AI_PROMPT_NAME, GEN_AI_TOOL_NAME, JSONRPC_REQUEST_ID, MCP_METHOD_NAME, MCP_RESOURCE_URI,
};
use mcp_trace_runtime::testing::{self, SpanData, SpanDataExt, SpanKind, TestTrace};
use mcp_trace_tests::example;
use mcp_trace_tests::interop::{
    assert_strict_tool_list, inspector, interop_dir, node_package_file, random_hex, run_python,
    script, start_python_weather_server, stdout_json, ChildGuard, RUN_TIMEOUT, SPANS_TIMEOUT,
};
use rmcp::model::{
    CallToolRequestParams, CallToolResult, ClientCapabilities, ClientConfig,
    CreateMessageRequestParams, CreateMessageResult, ElicitRequestParams, ElicitResult,
    ElicitationAction, GetPromptRequestParams, ReadResourceRequestParams, ResourceContents,
    SamplingMessage,
};
use rmcp::service::RequestContext;
use rmcp::transport::TokioChildProcess;
use rmcp::{ErrorData, RoleClient};
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

// ---------------------------------------------------------------------------
// The rmcp_router example
// ---------------------------------------------------------------------------

const ROUTER_SERVICE: &str = "rmcp-router";
const ROUTER_LINE: &str = "rmcp-router: Streamable HTTP at ";

/// `rmcp_router --port 0`, exporting to `otlp`; stopped with SIGTERM.
struct RmcpRouter {
    guard: ChildGuard,
    url: String,
}

impl RmcpRouter {
    async fn start(otlp: &str) -> RmcpRouter {
        let mut command = Command::new(example("rmcp_router"));
        command
            .args(["--port", "0"])
            .env("OTEL_EXPORTER_OTLP_ENDPOINT", otlp)
            .env_remove("OTEL_SERVICE_NAME")
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let mut guard = ChildGuard::spawn("rmcp_router", command);
        let stderr = guard.child.stderr.take().expect("stderr is piped");
        let mut lines = BufReader::new(stderr).lines();
        let url = tokio::time::timeout(Duration::from_secs(60), async {
            while let Ok(Some(line)) = lines.next_line().await {
                if let Some(url) = line.strip_prefix(ROUTER_LINE) {
                    return url.trim().to_string();
                }
            }
            panic!("rmcp_router exited before printing its endpoint")
        })
        .await
        .expect("rmcp_router printed its endpoint within 60 s");
        // Keep draining stderr so the server never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        RmcpRouter { guard, url }
    }

    /// SIGTERM: the server stops serving and flushes its spans.
    async fn stop(mut self) -> ExitStatus {
        self.guard.terminate(Duration::from_secs(20)).await
    }
}

fn router_spans(spans: &[CollectedSpan]) -> Vec<&CollectedSpan> {
    spans
        .iter()
        .filter(|span| span.service_name == ROUTER_SERVICE)
        .collect()
}

/// The session's first request: `initialize`, or `server/discover` when
/// the peers speak a protocol version without the initialize handshake
/// (FastMCP 4 and rmcp 3.11 agree on 2026-07-28).
fn is_handshake(span: &CollectedSpan) -> bool {
    span.name == "initialize" || span.name == "server/discover"
}

fn one<'a>(
    spans: &[&'a CollectedSpan],
    what: &str,
    pick: impl Fn(&CollectedSpan) -> bool,
) -> &'a CollectedSpan {
    let found: Vec<&CollectedSpan> = spans.iter().copied().filter(|span| pick(span)).collect();
    assert_eq!(
        found.len(),
        1,
        "expected exactly one {what}, got {found:#?}\nall spans: {spans:#?}"
    );
    found[0]
}

/// The router's one SERVER `tools/call add` span: in `trace_id`, a child of
/// `parent`, with the conventions' attributes.
fn check_router_add_span<'a>(
    spans: &[&'a CollectedSpan],
    trace_id: &str,
    parent: &str,
) -> &'a CollectedSpan {
    let add = one(spans, "SERVER tools/call add span", |span| {
        span.name == "tools/call add"
    });
    assert_eq!(add.kind, CollectedKind::Server, "{add:#?}");
    assert_eq!(add.trace_id, trace_id, "in the caller's trace: {add:#?}");
    assert_eq!(
        add.parent_span_id.as_deref(),
        Some(parent),
        "the caller's span is the parent: {add:#?}"
    );
    assert_eq!(
        add.attr_str(MCP_METHOD_NAME),
        Some("tools/call"),
        "{add:#?}"
    );
    assert_eq!(add.attr_str(GEN_AI_TOOL_NAME), Some("add"), "{add:#?}");
    assert!(
        add.attributes.contains_key(JSONRPC_REQUEST_ID),
        "jsonrpc.request.id: {add:#?}"
    );
    add
}

// ---------------------------------------------------------------------------
// 1, 2. A Python FastMCP client calling the rmcp_router example
// ---------------------------------------------------------------------------

/// Calls `add {2, 3}` with FastMCP's client, the script's context `via`
/// headers or `_meta`; returns the spans, the script's trace and span id.
async fn fastmcp_client_calls_router(via: &str) -> (Vec<CollectedSpan>, String, String) {
    let collector = Collector::start("127.0.0.1:0")
        .await
        .expect("collector starts");
    let otlp = collector.endpoint();
    let router = RmcpRouter::start(&otlp).await;
    let client = script("fastmcp_client.py");
    let output = run_python(
        "fastmcp_client.py",
        &[
            client.to_str().unwrap(),
            &router.url,
            "--via",
            via,
            "--tool",
            "add",
            "--arguments",
            r#"{"a": 2, "b": 3}"#,
        ],
        &[("OTEL_EXPORTER_OTLP_ENDPOINT", &otlp)],
    )
    .await;
    let called = stdout_json("fastmcp_client.py", &output);
    assert_eq!(called["text"], "5", "add(2, 3) through FastMCP: {called}");
    assert!(
        router.stop().await.success(),
        "rmcp_router exits cleanly on SIGTERM"
    );
    let trace_id = called["trace_id"].as_str().unwrap().to_string();
    let parent = called["span_id"].as_str().unwrap().to_string();
    let spans = collector
        .wait_for(SPANS_TIMEOUT, |spans| {
            spans.iter().any(|span| span.span_id == parent)
                && router_spans(spans)
                    .iter()
                    .any(|span| span.name == "tools/call add")
                && router_spans(spans).iter().any(|span| is_handshake(span))
        })
        .await;
    let script_span = spans.iter().find(|span| span.span_id == parent);
    let script_span =
        script_span.unwrap_or_else(|| panic!("the Python client's span was exported: {spans:#?}"));
    assert_eq!(script_span.service_name, "python-fastmcp-client");
    assert_eq!(script_span.trace_id, trace_id);
    (spans, trace_id, parent)
}

/// 1. `traceparent` in the HTTP headers of every POST of FastMCP's
/// transport: every request the router served is a SERVER span in the
/// script's trace, a child of the script's span — the handshake
/// (`initialize` / `server/discover`) and `tools/call add` included.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs .ci/interop-setup (Python venv, npm)"]
async fn fastmcp_client_with_w3c_headers_parents_rmcp_router_spans() {
    let (spans, trace_id, parent) = fastmcp_client_calls_router("headers").await;
    let router = router_spans(&spans);
    check_router_add_span(&router, &trace_id, &parent);
    let handshake = one(&router, "SERVER handshake span", is_handshake);
    assert_eq!(handshake.kind, CollectedKind::Server, "{handshake:#?}");
    assert_eq!(
        handshake.attr_str(MCP_METHOD_NAME),
        Some(handshake.name.as_str())
    );
    // Where the calls entered the router: each a child of the script's span.
    let entries: Vec<&&CollectedSpan> = router
        .iter()
        .filter(|span| {
            !router
                .iter()
                .any(|other| Some(&other.span_id) == span.parent_span_id.as_ref())
        })
        .collect();
    assert!(entries.len() >= 2, "handshake and tools/call: {entries:#?}");
    for entry in entries {
        assert_eq!(
            (entry.trace_id.as_str(), entry.parent_span_id.as_deref()),
            (trace_id.as_str(), Some(parent.as_str())),
            "every request carried the headers' context: {entry:#?}\nall: {router:#?}"
        );
        assert_eq!(entry.kind, CollectedKind::Server, "{entry:#?}");
    }
}

/// 2. `traceparent` only in the call's `params._meta`: `tools/call add`
/// joins the script's trace under the script's span; the other requests
/// (the handshake, FastMCP's `tools/list`), sent without any context, are
/// roots of traces of their own (nothing leaks between requests).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs .ci/interop-setup (Python venv, npm)"]
async fn fastmcp_client_with_meta_parents_rmcp_router_spans() {
    let (spans, trace_id, parent) = fastmcp_client_calls_router("meta").await;
    let router = router_spans(&spans);
    check_router_add_span(&router, &trace_id, &parent);
    // Every other request came without context: a root in a trace of its own.
    for span in router.iter().filter(|span| span.name != "tools/call add") {
        assert_eq!(span.kind, CollectedKind::Server, "{span:#?}");
        assert_eq!(
            span.parent_span_id, None,
            "{} came without context: {span:#?}",
            span.name
        );
        assert_ne!(span.trace_id, trace_id, "{span:#?}");
    }
    assert!(router.iter().any(|span| is_handshake(span)), "{router:#?}");
}

// ---------------------------------------------------------------------------
// 3. The MCP Inspector CLI against the rmcp_router example
// ---------------------------------------------------------------------------

/// `tools/list --strict` finds no schema problem in the `#[tool_router]`
/// schema; `tools/call add a=2 b=3` returns 5, with the caller's
/// `traceparent` in a header (`--header`) and in `_meta` (`--metadata`): the
/// router's SERVER span joins that trace under that parent each time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs .ci/interop-setup (Python venv, npm)"]
async fn mcp_inspector_cli_calls_rmcp_router() {
    let collector = Collector::start("127.0.0.1:0")
        .await
        .expect("collector starts");
    let otlp = collector.endpoint();
    let router = RmcpRouter::start(&otlp).await;

    assert_strict_tool_list(&router.url, &["add"]).await;

    let mut calls = Vec::new();
    for how in ["--header", "--metadata"] {
        let (trace_id, parent) = (random_hex(16), random_hex(8));
        let traceparent = format!("00-{trace_id}-{parent}-01");
        let carrier = match how {
            "--header" => format!("traceparent: {traceparent}"),
            _ => format!("traceparent={traceparent}"),
        };
        let output = inspector(
            &router.url,
            &[
                "--method",
                "tools/call",
                "--tool-name",
                "add",
                "--tool-arg",
                "a=2",
                "--tool-arg",
                "b=3",
                how,
                &carrier,
            ],
        )
        .await;
        let result = stdout_json("mcp-inspector tools/call add", &output);
        assert_eq!(result["content"][0]["text"], "5", "{how}: {result}");
        assert_ne!(result["isError"], true, "{how}: {result}");
        calls.push((how, trace_id, parent));
    }
    assert!(
        router.stop().await.success(),
        "rmcp_router exits cleanly on SIGTERM"
    );

    let spans = collector
        .wait_for(SPANS_TIMEOUT, |spans| {
            calls.iter().all(|(_, trace_id, _)| {
                router_spans(spans)
                    .iter()
                    .any(|span| &span.trace_id == trace_id && span.name == "tools/call add")
            })
        })
        .await;
    let router = router_spans(&spans);
    for (how, trace_id, parent) in &calls {
        let of_trace: Vec<&CollectedSpan> = router
            .iter()
            .copied()
            .filter(|span| &span.trace_id == trace_id)
            .collect();
        assert!(
            !of_trace.is_empty(),
            "{how}: no span in {trace_id}: {router:#?}"
        );
        check_router_add_span(&of_trace, trace_id, parent);
    }
}

// ---------------------------------------------------------------------------
// Our traced client: span checks
// ---------------------------------------------------------------------------

fn hex_span_id(span: &SpanData) -> String {
    span.span_context.span_id().to_string()
}

/// Our CLIENT span named `name`, a child of the test's root, with
/// `mcp.method.name` = `method` and a `jsonrpc.request.id`.
fn client_request_span<'a>(
    trace: &TestTrace,
    spans: &'a [SpanData],
    name: &str,
    method: &str,
) -> &'a SpanData {
    let found: Vec<&SpanData> = spans
        .iter()
        .filter(|span| span.name == name && span.span_kind == SpanKind::Client)
        .collect();
    assert_eq!(
        found.len(),
        1,
        "one CLIENT span {name}: {:#?}",
        names_of(spans)
    );
    let span = found[0];
    assert_eq!(
        span.parent_span_id,
        trace.root_span_id(),
        "{name} is a child of the caller's context: {span:#?}"
    );
    assert_eq!(span.attr_str(MCP_METHOD_NAME), Some(method), "{span:#?}");
    assert!(
        span.has_attr(JSONRPC_REQUEST_ID),
        "{name} has jsonrpc.request.id: {span:#?}"
    );
    span
}

/// The finished spans named `name` in any trace, once there is at least
/// one (bounded by [`testing::WAIT`]).
async fn spans_named_anywhere(name: &str) -> Vec<SpanData> {
    let deadline = std::time::Instant::now() + testing::WAIT;
    loop {
        let spans = testing::spans_where(|span| span.name == name).into_vec();
        if !spans.is_empty() || std::time::Instant::now() > deadline {
            return spans;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn names_of(spans: &[SpanData]) -> Vec<(String, SpanKind)> {
    spans
        .iter()
        .map(|span| (span.name.to_string(), span.span_kind.clone()))
        .collect()
}

/// Request ids are distinct across the session's CLIENT spans.
fn assert_distinct_request_ids(spans: &[SpanData]) {
    let ids: Vec<String> = spans
        .iter()
        .filter(|span| span.span_kind == SpanKind::Client)
        .filter_map(|span| span.attr(JSONRPC_REQUEST_ID).map(|id| id.to_string()))
        .collect();
    let distinct: BTreeSet<&String> = ids.iter().collect();
    assert_eq!(distinct.len(), ids.len(), "request ids repeat: {ids:?}");
}

fn text_of(result: &CallToolResult) -> String {
    result
        .content
        .iter()
        .filter_map(|content| content.as_text().map(|text| text.text.clone()))
        .collect()
}

fn arguments(value: Value) -> serde_json::Map<String, Value> {
    value.as_object().cloned().expect("a JSON object")
}

// ---------------------------------------------------------------------------
// 4. Our traced client calling the Python FastMCP weather server
// ---------------------------------------------------------------------------

const PYTHON_SERVICE: &str = "python-weather-server";

/// Every request of our client is a CLIENT span under the caller's context;
/// FastMCP's own SERVER spans are children of those CLIENT spans (context
/// from `_meta`), and the seed's tool spans, which read the HTTP headers,
/// too (context in the headers of that request's POST).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs .ci/interop-setup (Python venv, npm)"]
async fn traced_rmcp_client_parents_fastmcp_server_spans() {
    let trace = testing::trace();
    let collector = Collector::start("127.0.0.1:0")
        .await
        .expect("collector starts");
    let otlp = collector.endpoint();
    let (python_server, url) = start_python_weather_server(&otlp).await;

    let session = async {
        let client = connect_http((), &url).await.expect("connect to FastMCP");
        let tools: Vec<String> = client
            .list_all_tools()
            .await
            .expect("tools/list")
            .into_iter()
            .map(|tool| tool.name.to_string())
            .collect();
        assert_eq!(tools, ["get_weather", "get_forecast"]);
        let weather = client
            .call_tool(
                CallToolRequestParams::new("get_weather")
                    .with_arguments(arguments(json!({"location": "Paris"}))),
            )
            .await
            .expect("tools/call get_weather");
        assert_eq!(
            weather.structured_content.as_ref().map(|s| &s["location"]),
            Some(&json!("Paris")),
            "{weather:?}"
        );
        let forecast = client
            .call_tool(
                CallToolRequestParams::new("get_forecast")
                    .with_arguments(arguments(json!({"location": "Paris", "days": 2}))),
            )
            .await
            .expect("tools/call get_forecast");
        assert_ne!(forecast.is_error, Some(true), "{forecast:?}");
        client.ping().await.expect("ping");
        client.close().await;
    };
    tokio::time::timeout(RUN_TIMEOUT, trace.wrap(session))
        .await
        .expect("the session ends within the run timeout");

    let requests = [
        ("initialize", "initialize"),
        ("tools/list", "tools/list"),
        ("tools/call get_weather", "tools/call"),
        ("tools/call get_forecast", "tools/call"),
        ("ping", "ping"),
    ];
    let ours = trace
        .wait_for(|spans| {
            requests.iter().all(|(name, _)| {
                spans
                    .iter()
                    .any(|span| span.name == *name && span.span_kind == SpanKind::Client)
            })
        })
        .await
        .into_vec();
    let mut client_ids = Vec::new();
    for (name, method) in requests {
        let span = client_request_span(&trace, &ours, name, method);
        client_ids.push((name, hex_span_id(span)));
    }
    for (tool, span) in [
        ("get_weather", &client_ids[2].1),
        ("get_forecast", &client_ids[3].1),
    ] {
        let client_span = ours.iter().find(|s| &hex_span_id(s) == span).unwrap();
        assert_eq!(client_span.attr_str(GEN_AI_TOOL_NAME), Some(tool));
    }
    assert_distinct_request_ids(&ours);
    let initialized = ours
        .iter()
        .find(|span| span.name == "notifications/initialized")
        .unwrap_or_else(|| panic!("a CLIENT span for the notification: {:#?}", names_of(&ours)));
    assert_eq!(initialized.parent_span_id, trace.root_span_id());
    assert!(
        !initialized.has_attr(JSONRPC_REQUEST_ID),
        "{initialized:#?}"
    );
    for span in &ours {
        assert_eq!(
            span.span_kind,
            SpanKind::Client,
            "only CLIENT spans on our side (FastMCP asks nothing back): {:#?}",
            names_of(&ours)
        );
    }

    let trace_id = trace.trace_id().to_string();
    let client_of = |name: &str| {
        client_ids
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, id)| id.clone())
            .unwrap()
    };
    let spans = collector
        .wait_for(SPANS_TIMEOUT, |spans| {
            let has = |name: &str| {
                spans.iter().any(|span| {
                    span.service_name == PYTHON_SERVICE
                        && span.trace_id == trace_id
                        && span.name == name
                })
            };
            has("tools/call get_weather")
                && has("tools/call get_forecast")
                && has("get_weather")
                && has("get_forecast")
        })
        .await;
    drop(python_server);
    let python: Vec<&CollectedSpan> = spans
        .iter()
        .filter(|span| span.service_name == PYTHON_SERVICE)
        .collect();
    let dump = || format!("python spans: {python:#?}\nours: {:#?}", names_of(&ours));

    // FastMCP's SERVER spans: each the child of our CLIENT span of the same
    // request (same name), in our trace.
    let fastmcp_server: Vec<&&CollectedSpan> = python
        .iter()
        .filter(|span| span.kind == CollectedKind::Server)
        .collect();
    // FastMCP 4 traces every request it serves: each of ours has its child.
    for (name, id) in &client_ids {
        let children = fastmcp_server
            .iter()
            .filter(|span| span.parent_span_id.as_deref() == Some(id.as_str()))
            .count();
        assert_eq!(
            children,
            1,
            "one FastMCP SERVER span under our {name}: {}",
            dump()
        );
    }
    for span in &fastmcp_server {
        let ours = client_ids.iter().find(|(name, _)| *name == span.name);
        let Some((_, parent)) = ours else {
            panic!(
                "FastMCP SERVER span {} matches none of our requests: {}",
                span.name,
                dump()
            )
        };
        assert_eq!(
            (span.trace_id.as_str(), span.parent_span_id.as_deref()),
            (trace_id.as_str(), Some(parent.as_str())),
            "FastMCP's {} SERVER span is a child of our CLIENT span: {span:#?}\n{}",
            span.name,
            dump()
        );
    }
    // The seed's tool spans, parented from the headers of that call's POST.
    for tool in ["get_weather", "get_forecast"] {
        let tool_span = one(&python, &format!("python {tool} span"), |span| {
            span.name == tool
        });
        let call = client_of(&format!("tools/call {tool}"));
        assert_eq!(
            (
                tool_span.trace_id.as_str(),
                tool_span.parent_span_id.as_deref()
            ),
            (trace_id.as_str(), Some(call.as_str())),
            "the headers of the POST carry its CLIENT span: {tool_span:#?}\n{}",
            dump()
        );
    }
}

// ---------------------------------------------------------------------------
// 5. Our traced client calling @modelcontextprotocol/server-everything
// ---------------------------------------------------------------------------

const SAMPLED_MODEL: &str = "interop-test-model";
const SAMPLED_TEXT: &str = "five";

/// Answers server-everything's `sampling/createMessage` with a fixed text
/// and declines its `elicitation/create`.
#[derive(Debug, Clone, Default)]
struct Answering;

impl rmcp::ClientHandler for Answering {
    fn get_info(&self) -> ClientConfig {
        let mut config = ClientConfig::default();
        config.capabilities = ClientCapabilities::builder()
            .enable_sampling()
            .enable_elicitation()
            .build();
        config
    }

    async fn create_message(
        &self,
        _params: CreateMessageRequestParams,
        _context: RequestContext<RoleClient>,
    ) -> Result<CreateMessageResult, ErrorData> {
        Ok(CreateMessageResult::new(
            SamplingMessage::assistant_text(SAMPLED_TEXT),
            SAMPLED_MODEL.into(),
        ))
    }

    async fn create_elicitation(
        &self,
        _request: ElicitRequestParams,
        _context: RequestContext<RoleClient>,
    ) -> Result<ElicitResult, ErrorData> {
        Ok(ElicitResult::new(ElicitationAction::Decline))
    }
}

/// server-everything over stdio (a child process in its own group).
fn server_everything() -> TokioChildProcess {
    let entry = node_package_file("@modelcontextprotocol/server-everything", "dist/index.js");
    let mut command = Command::new("node");
    command
        .arg(entry)
        .arg("stdio")
        .current_dir(interop_dir())
        .process_group(0)
        .kill_on_drop(true);
    let (transport, _stderr) = TokioChildProcess::builder(command)
        .stderr(Stdio::null())
        .spawn()
        .expect("server-everything starts");
    transport
}

/// What the session learnt.
struct Everything {
    resource_uri: String,
}

async fn everything_session(client: &TracedClient<Answering>) -> Everything {
    let tools: Vec<String> = client
        .list_all_tools()
        .await
        .expect("tools/list")
        .into_iter()
        .map(|tool| tool.name.to_string())
        .collect();
    for needed in [
        "echo",
        "trigger-sampling-request",
        "trigger-elicitation-request",
    ] {
        assert!(tools.iter().any(|t| t == needed), "{needed} in {tools:?}");
    }
    let echo = client
        .call_tool(
            CallToolRequestParams::new("echo")
                .with_arguments(arguments(json!({"message": "hello from rmcp"}))),
        )
        .await
        .expect("tools/call echo");
    assert_eq!(text_of(&echo), "Echo: hello from rmcp", "{echo:?}");

    let resources = client.list_resources(None).await.expect("resources/list");
    let resource_uri = resources
        .resources
        .first()
        .map(|resource| resource.uri.clone())
        .expect("server-everything lists resources");
    let read = client
        .read_resource(ReadResourceRequestParams::new(resource_uri.clone()))
        .await
        .expect("resources/read");
    let text = read.contents.iter().find_map(|contents| match contents {
        ResourceContents::TextResourceContents { text, .. } => Some(text.as_str()),
        _ => None,
    });
    assert!(
        text.is_some_and(|text| !text.is_empty()),
        "{resource_uri} has text: {read:?}"
    );

    let prompts = client.list_prompts(None).await.expect("prompts/list");
    assert!(
        prompts.prompts.iter().any(|p| p.name == "simple-prompt"),
        "{prompts:?}"
    );
    let prompt = client
        .get_prompt(GetPromptRequestParams::new("simple-prompt"))
        .await
        .expect("prompts/get");
    assert!(!prompt.messages.is_empty(), "{prompt:?}");

    client.ping().await.expect("ping");

    let sampled = client
        .call_tool(
            CallToolRequestParams::new("trigger-sampling-request")
                .with_arguments(arguments(json!({"prompt": "2 + 3?", "maxTokens": 10}))),
        )
        .await
        .expect("tools/call trigger-sampling-request");
    let text = text_of(&sampled);
    assert!(
        text.contains(SAMPLED_MODEL) && text.contains(SAMPLED_TEXT),
        "the server got our sampling answer: {text}"
    );
    let elicited = client
        .call_tool(CallToolRequestParams::new("trigger-elicitation-request"))
        .await
        .expect("tools/call trigger-elicitation-request");
    assert_ne!(elicited.is_error, Some(true), "{elicited:?}");
    Everything { resource_uri }
}

/// Every request to the reference server is a CLIENT span with the
/// conventions' attributes; the server's `sampling/createMessage` and
/// `elicitation/create` requests are SERVER spans on our side.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs .ci/interop-setup (Python venv, npm)"]
async fn traced_rmcp_client_against_server_everything() {
    let trace = testing::trace();
    let session = async {
        let client = serve_traced(Answering, server_everything(), ClientPeer::pipe())
            .await
            .expect("initialize server-everything");
        let learnt = everything_session(&client).await;
        client.close().await;
        learnt
    };
    let learnt = tokio::time::timeout(RUN_TIMEOUT, trace.wrap(session))
        .await
        .expect("the session ends within the run timeout");

    let requests = [
        ("initialize", "initialize"),
        ("tools/list", "tools/list"),
        ("tools/call echo", "tools/call"),
        ("resources/list", "resources/list"),
        ("resources/read", "resources/read"),
        ("prompts/list", "prompts/list"),
        ("prompts/get simple-prompt", "prompts/get"),
        ("ping", "ping"),
        ("tools/call trigger-sampling-request", "tools/call"),
        ("tools/call trigger-elicitation-request", "tools/call"),
    ];
    let ours = trace
        .wait_for(|spans| {
            requests.iter().all(|(name, _)| {
                spans
                    .iter()
                    .any(|span| span.name == *name && span.span_kind == SpanKind::Client)
            })
        })
        .await
        .into_vec();
    for (name, method) in requests {
        let span = client_request_span(&trace, &ours, name, method);
        match method {
            "tools/call" => assert_eq!(
                span.attr_str(GEN_AI_TOOL_NAME),
                name.strip_prefix("tools/call "),
                "{span:#?}"
            ),
            "resources/read" => assert_eq!(
                span.attr_str(MCP_RESOURCE_URI),
                Some(learnt.resource_uri.as_str()),
                "{span:#?}"
            ),
            "prompts/get" => assert_eq!(
                span.attr_str(GEN_AI_PROMPT_NAME),
                Some("simple-prompt"),
                "{span:#?}"
            ),
            _ => assert!(!span.has_attr(GEN_AI_TOOL_NAME), "{span:#?}"),
        }
        assert_eq!(
            span.attr_str("network.transport"),
            Some("pipe"),
            "{span:#?}"
        );
    }
    assert_distinct_request_ids(&ours);

    // The server's requests to us. server-everything sends no context with
    // them, so look for them outside the test's trace as well; only this
    // test makes sampling/elicitation spans in this binary.
    for method in ["sampling/createMessage", "elicitation/create"] {
        let received = spans_named_anywhere(method).await;
        assert_eq!(
            received.len(),
            1,
            "one {method} span on our side: {received:#?}\nours: {:#?}",
            names_of(&ours)
        );
        let span = &received[0];
        assert_eq!(span.span_kind, SpanKind::Server, "{span:#?}");
        assert_eq!(span.attr_str(MCP_METHOD_NAME), Some(method), "{span:#?}");
        assert!(span.has_attr(JSONRPC_REQUEST_ID), "{span:#?}");
        // Either a root (server-everything sends no `_meta`, and over stdio
        // nothing else says which call the request belongs to), or, if the
        // layer ever relates it, a child of the tool call that caused it.
        let caller = match method {
            "sampling/createMessage" => "tools/call trigger-sampling-request",
            _ => "tools/call trigger-elicitation-request",
        };
        let caller = ours.iter().find(|s| s.name == caller).expect("the call");
        let root = span.parent_span_id == testing::SpanId::INVALID;
        let under_call = span.span_context.trace_id() == trace.trace_id()
            && span.parent_span_id == caller.span_context.span_id();
        assert!(root || under_call, "{method} span's parent: {span:#?}");
    }
}
