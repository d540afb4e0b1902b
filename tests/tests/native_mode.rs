//! The modes end to end in one process: the weather tools served over
//! Streamable HTTP and over an in-memory pipe, called by `McpClient`, every
//! span in the in-memory exporter. Exact parentage per mode, MCP attributes
//! per method, errors, the trust policy, users and sessions, and the spans as
//! Langfuse would show them (no duplicate observations).

// The lock only serializes tests that share the process-wide tracer provider
// and mode; each test has its own runtime, so holding it across `.await`
// cannot deadlock.
#![allow(clippy::await_holding_lock)]

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, OnceLock};

use mcp_trace_runtime::client::McpClient;
use mcp_trace_runtime::config::InboundContext;
use mcp_trace_runtime::server::{serve_http, serve_io, HttpOptions};
use mcp_trace_runtime::{settings, Mode};
use opentelemetry::context::FutureExt as _;
use opentelemetry::trace::{SpanId, SpanKind, Status, TraceContextExt, Tracer};
use opentelemetry::{Context, Value};
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider, SpanData};

fn exporter() -> &'static InMemorySpanExporter {
    static EXPORTER: OnceLock<InMemorySpanExporter> = OnceLock::new();
    EXPORTER.get_or_init(|| {
        let exporter = InMemorySpanExporter::default();
        let provider = SdkTracerProvider::builder()
            .with_simple_exporter(exporter.clone())
            .with_span_processor(mcp_trace_runtime::export::UserSessionAttributes)
            .build();
        opentelemetry::global::set_tracer_provider(provider);
        mcp_trace_runtime::propagation::install_default_propagators();
        exporter
    })
}

fn serial(mode: Mode) -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    let guard = LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    exporter().reset();
    settings::set_mode(mode);
    settings::set_inbound_context(InboundContext::Parent);
    guard
}

fn attr(span: &SpanData, key: &str) -> Option<String> {
    span.attributes
        .iter()
        .find(|kv| kv.key.as_str() == key)
        .map(|kv| match &kv.value {
            Value::String(text) => text.to_string(),
            other => other.to_string(),
        })
}

fn spans() -> Vec<SpanData> {
    exporter().get_finished_spans().unwrap()
}

fn find<'a>(spans: &'a [SpanData], name: &str, kind: SpanKind) -> &'a SpanData {
    let found: Vec<_> = spans
        .iter()
        .filter(|span| span.name == name && span.span_kind == kind)
        .collect();
    assert_eq!(
        found.len(),
        1,
        "one {kind:?} span {name:?} in {:#?}",
        names(spans)
    );
    found[0]
}

fn names(spans: &[SpanData]) -> Vec<(String, SpanKind)> {
    spans
        .iter()
        .map(|span| (span.name.to_string(), span.span_kind.clone()))
        .collect()
}

fn parent_of<'a>(spans: &'a [SpanData], child: &SpanData) -> Option<&'a SpanData> {
    spans
        .iter()
        .find(|span| span.span_context.span_id() == child.parent_span_id)
}

struct Server {
    url: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Server {
    async fn start() -> Server {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/weather", listener.local_addr().unwrap());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(serve_http(
            weather_server::weather_server(),
            listener,
            HttpOptions::at("/weather"),
            async {
                let _ = stopped.await;
            },
        ));
        Server {
            url,
            stop: Some(stop),
            task,
        }
    }

    async fn stop(mut self) {
        let _ = self.stop.take().unwrap().send(());
        self.task.await.unwrap().unwrap();
    }
}

/// The seed's client flow with `client`, under a root span `request`.
async fn weather_flow(client: &McpClient, parent: Context) -> String {
    let tracer = opentelemetry::global::tracer("test");
    let span = tracer.start_with_context("request", &parent);
    let cx = parent.with_span(span);
    let trace_id = cx.span().span_context().trace_id().to_string();
    async {
        let location = serde_json::json!({"location": "Paris"});
        let weather = client
            .call_tool("get_weather", location.as_object().unwrap().clone())
            .await
            .unwrap();
        assert!(!weather.is_error);
        let forecast = serde_json::json!({"location": "Paris", "days": 2});
        client
            .call_tool("get_forecast", forecast.as_object().unwrap().clone())
            .await
            .unwrap();
    }
    .with_context(cx.clone())
    .await;
    cx.span().end();
    trace_id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn native_tree_over_http_one_server_span_per_call() {
    let _serial = serial(Mode::Native);
    let server = Server::start().await;
    let root = opentelemetry::global::tracer("test").start("connect");
    let connect_cx = Context::current_with_span(root);
    let client = McpClient::connect_http(&server.url)
        .with_context(connect_cx.clone())
        .await
        .unwrap();
    connect_cx.span().end();
    let trace_id = weather_flow(&client, Context::new()).await;
    let tools = client.list_tool_names().await.unwrap();
    assert_eq!(tools, ["get_weather", "get_forecast"]);
    client.ping().await.unwrap();
    client.close().await;
    server.stop().await;

    let all = spans();
    for method in ["tools/list", "ping"] {
        let client_span = find(&all, method, SpanKind::Client);
        let server_span = find(&all, method, SpanKind::Server);
        assert_eq!(
            server_span.parent_span_id,
            client_span.span_context.span_id()
        );
        for span in [client_span, server_span] {
            assert_eq!(attr(span, "mcp.method.name").as_deref(), Some(method));
            assert_eq!(attr(span, "gen_ai.tool.name"), None);
            assert_eq!(attr(span, "gen_ai.operation.name"), None);
        }
        assert!(attr(server_span, "jsonrpc.request.id").is_some());
    }
    let trace: Vec<SpanData> = all
        .iter()
        .filter(|span| span.span_context.trace_id().to_string() == trace_id)
        .cloned()
        .collect();
    // request → CLIENT tools/call X → SERVER tools/call X, and nothing else:
    // the tools' #[observe] went onto the SERVER spans.
    assert_eq!(trace.len(), 5, "{:#?}", names(&trace));
    let request = find(&trace, "request", SpanKind::Internal);
    for tool in ["get_weather", "get_forecast"] {
        let name = format!("tools/call {tool}");
        let client_span = find(&trace, &name, SpanKind::Client);
        let server_span = find(&trace, &name, SpanKind::Server);
        assert_eq!(client_span.parent_span_id, request.span_context.span_id());
        assert_eq!(
            server_span.parent_span_id,
            client_span.span_context.span_id()
        );
        assert!(server_span.parent_span_is_remote);

        assert_eq!(
            attr(client_span, "mcp.method.name").as_deref(),
            Some("tools/call")
        );
        assert_eq!(
            attr(client_span, "gen_ai.operation.name").as_deref(),
            Some("execute_tool")
        );
        assert_eq!(
            attr(client_span, "gen_ai.tool.name").as_deref(),
            Some(tool),
            "conditionally required on CLIENT spans too"
        );
        assert!(
            attr(client_span, "jsonrpc.request.id").is_some(),
            "the CLIENT span knows its request id"
        );
        assert_eq!(
            attr(client_span, "network.transport").as_deref(),
            Some("tcp")
        );
        assert_eq!(
            attr(client_span, "server.address").as_deref(),
            Some("127.0.0.1")
        );
        assert!(attr(client_span, "server.port").is_some());

        assert_eq!(
            attr(server_span, "mcp.method.name").as_deref(),
            Some("tools/call")
        );
        assert_eq!(attr(server_span, "gen_ai.tool.name").as_deref(), Some(tool));
        assert_eq!(
            attr(server_span, "gen_ai.operation.name").as_deref(),
            Some("execute_tool")
        );
        assert!(attr(server_span, "jsonrpc.request.id").is_some());
        assert!(attr(server_span, "mcp.session.id").is_some());
        assert!(attr(server_span, "mcp.protocol.version").is_some());
        assert_eq!(
            attr(server_span, "network.transport").as_deref(),
            Some("tcp")
        );
        assert_eq!(
            attr(server_span, "server.address").as_deref(),
            Some("127.0.0.1")
        );
        assert_eq!(
            attr(server_span, "client.address").as_deref(),
            Some("127.0.0.1")
        );
        // The observation enriched the server span.
        assert_eq!(
            attr(server_span, "langfuse.observation.type").as_deref(),
            Some("tool")
        );
        assert!(attr(server_span, "langfuse.observation.input")
            .unwrap()
            .contains("\"location\":\"Paris\""));
        assert!(attr(server_span, "langfuse.observation.output").is_some());
        assert_eq!(server_span.status, Status::Unset);
    }
    // initialize: CLIENT under the caller's span, SERVER under the CLIENT.
    let initialize_client = find(&all, "initialize", SpanKind::Client);
    let initialize_server = find(&all, "initialize", SpanKind::Server);
    assert_eq!(
        initialize_server.parent_span_id,
        initialize_client.span_context.span_id()
    );
    assert_eq!(parent_of(&all, initialize_client).unwrap().name, "connect");
    assert!(attr(initialize_server, "mcp.protocol.version").is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn native_tree_over_a_pipe_with_context_in_meta_only() {
    let _serial = serial(Mode::Native);
    let (client_end, server_end) = tokio::io::duplex(64 * 1024);
    let (server_read, server_write) = tokio::io::split(server_end);
    let served = tokio::spawn(serve_io(
        weather_server::weather_server(),
        server_read,
        server_write,
    ));
    let (client_read, client_write) = tokio::io::split(client_end);
    let client = McpClient::connect_io(client_read, client_write)
        .await
        .unwrap();
    let trace_id = weather_flow(&client, Context::new()).await;
    client.close().await;
    served.await.unwrap().unwrap();

    let trace: Vec<SpanData> = spans()
        .into_iter()
        .filter(|span| span.span_context.trace_id().to_string() == trace_id)
        .collect();
    assert_eq!(trace.len(), 5, "{:#?}", names(&trace));
    for tool in ["get_weather", "get_forecast"] {
        let name = format!("tools/call {tool}");
        let client_span = find(&trace, &name, SpanKind::Client);
        let server_span = find(&trace, &name, SpanKind::Server);
        assert_eq!(
            server_span.parent_span_id,
            client_span.span_context.span_id()
        );
        assert_eq!(
            attr(server_span, "network.transport").as_deref(),
            Some("pipe")
        );
        assert_eq!(
            attr(client_span, "network.transport").as_deref(),
            Some("pipe")
        );
        assert_eq!(attr(server_span, "client.address"), None);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn propagation_only_is_exactly_the_seed_tree() {
    let _serial = serial(Mode::PropagationOnly);
    let server = Server::start().await;
    let client = McpClient::connect_http(&server.url).await.unwrap();
    let trace_id = weather_flow(&client, Context::new()).await;
    client.close().await;
    server.stop().await;
    settings::set_mode(Mode::Native);

    let all = spans();
    assert!(
        all.iter().all(|span| span.span_kind == SpanKind::Internal),
        "no CLIENT or SERVER spans: {:#?}",
        names(&all)
    );
    let trace: Vec<SpanData> = all
        .into_iter()
        .filter(|span| span.span_context.trace_id().to_string() == trace_id)
        .collect();
    assert_eq!(trace.len(), 3, "{:#?}", names(&trace));
    let request = find(&trace, "request", SpanKind::Internal);
    for tool in ["get_weather", "get_forecast"] {
        let span = find(&trace, tool, SpanKind::Internal);
        assert_eq!(span.parent_span_id, request.span_context.span_id());
        assert!(
            span.parent_span_is_remote,
            "context crossed the process boundary"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_are_typed_on_both_sides() {
    let _serial = serial(Mode::Native);
    let server = Server::start().await;
    let client = McpClient::connect_http(&server.url).await.unwrap();
    let unknown = client
        .call_tool("no_such_tool", serde_json::Map::new())
        .await
        .unwrap_err();
    assert!(unknown.to_string().contains("no_such_tool"), "{unknown}");
    let wrong = serde_json::json!({"location": 5});
    let invalid = client
        .call_tool("get_weather", wrong.as_object().unwrap().clone())
        .await
        .unwrap_err();
    assert!(invalid.to_string().contains("invalid type"), "{invalid}");
    // The server still serves.
    let ok = serde_json::json!({"location": "Rome"});
    assert!(client
        .call_tool("get_weather", ok.as_object().unwrap().clone())
        .await
        .is_ok());
    client.close().await;
    server.stop().await;

    let all = spans();
    for kind in [SpanKind::Client, SpanKind::Server] {
        let span = find(&all, "tools/call no_such_tool", kind.clone());
        assert_eq!(
            attr(span, "error.type").as_deref(),
            Some("-32602"),
            "{kind:?}"
        );
        assert_eq!(
            attr(span, "rpc.response.status_code").as_deref(),
            Some("-32602")
        );
        assert!(matches!(span.status, Status::Error { .. }));
    }
    let get_weather: Vec<_> = all
        .iter()
        .filter(|span| span.name == "tools/call get_weather" && span.span_kind == SpanKind::Server)
        .collect();
    assert_eq!(get_weather.len(), 2);
    assert_eq!(
        get_weather
            .iter()
            .filter(|span| attr(span, "error.type").as_deref() == Some("-32602"))
            .count(),
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_link_policy_starts_a_new_trace_linked_to_the_caller() {
    let _serial = serial(Mode::Native);
    settings::set_inbound_context(InboundContext::Link);
    let server = Server::start().await;
    let client = McpClient::connect_http(&server.url).await.unwrap();
    let trace_id = weather_flow(&client, Context::new()).await;
    client.close().await;
    server.stop().await;
    settings::set_inbound_context(InboundContext::Parent);

    let all = spans();
    let client_span = find(&all, "tools/call get_weather", SpanKind::Client);
    let server_span = find(&all, "tools/call get_weather", SpanKind::Server);
    assert_eq!(server_span.parent_span_id, SpanId::INVALID, "a new root");
    assert_ne!(server_span.span_context.trace_id().to_string(), trace_id);
    let link = server_span
        .links
        .iter()
        .next()
        .expect("a link to the caller");
    assert_eq!(
        link.span_context.span_id(),
        client_span.span_context.span_id()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_and_sessions_from_baggage_reach_the_server_spans() {
    let _serial = serial(Mode::Native);
    let server = Server::start().await;
    let client = McpClient::connect_http(&server.url).await.unwrap();
    let parent = mcp_trace_runtime::propagation::with_user_and_session(
        &Context::new(),
        Some("alice"),
        Some("chat-7"),
    );
    weather_flow(&client, parent).await;
    client.close().await;
    server.stop().await;

    let all = spans();
    for kind in [SpanKind::Client, SpanKind::Server] {
        let span = find(&all, "tools/call get_forecast", kind);
        assert_eq!(attr(span, "user.id").as_deref(), Some("alice"));
        assert_eq!(attr(span, "session.id").as_deref(), Some("chat-7"));
    }
}

/// An observation as Langfuse shows it, after the Langfuse destination shaped
/// the span (`shape_for_langfuse`), by Langfuse's own rules (its
/// `OtelIngestionProcessor`): the name is `gen_ai.tool.name` when present,
/// else the span name; the type is `langfuse.observation.type`, else TOOL
/// for `gen_ai.operation.name = execute_tool` or a `gen_ai.tool.name`, else SPAN.
fn as_langfuse_observation(span: &SpanData) -> (String, String) {
    let mut attributes = span.attributes.clone();
    mcp_trace_runtime::export::shape_for_langfuse(&span.span_kind, &mut attributes);
    let get = |key: &str| {
        attributes
            .iter()
            .find(|kv| kv.key.as_str() == key)
            .map(|kv| kv.value.as_str().into_owned())
    };
    let name = get("gen_ai.tool.name").unwrap_or_else(|| span.name.to_string());
    let kind = get("langfuse.observation.type").unwrap_or_else(|| {
        if get("gen_ai.operation.name").as_deref() == Some("execute_tool")
            || get("gen_ai.tool.name").is_some()
        {
            "tool".into()
        } else {
            "span".into()
        }
    });
    (name, kind)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn langfuse_shows_no_duplicate_observations() {
    let _serial = serial(Mode::Native);
    let server = Server::start().await;
    let client = McpClient::connect_http(&server.url).await.unwrap();
    let trace_id = weather_flow(&client, Context::new()).await;
    client.close().await;
    server.stop().await;

    let mut seen: HashMap<(String, String), usize> = HashMap::new();
    for span in spans()
        .iter()
        .filter(|span| span.span_context.trace_id().to_string() == trace_id)
    {
        *seen.entry(as_langfuse_observation(span)).or_default() += 1;
    }
    assert!(seen.values().all(|count| *count == 1), "{seen:#?}");
    assert_eq!(seen.get(&("get_weather".into(), "tool".into())), Some(&1));
}
