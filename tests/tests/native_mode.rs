//! The modes end to end in one process: the weather tools served over
//! Streamable HTTP and over an in-memory pipe, called by `McpClient`, every
//! span in the in-memory exporter of `mcp_trace_runtime::testing`. Exact
//! parentage per mode, MCP attributes per method, errors, the trust policy,
//! users and sessions, and the spans as Langfuse would show them (no
//! duplicate observations).
//!
//! Each test runs its client calls in its own trace and reads only that
//! trace's spans, so the tests run in parallel; the tests that change the
//! mode or the inbound-context policy (and read spans that start new roots)
//! take `testing::exclusive()`.

use std::collections::HashMap;

use mcp_trace_runtime::client::McpClient;
use mcp_trace_runtime::config::InboundContext;
use mcp_trace_runtime::server::{serve_http, serve_io, HttpOptions};
use mcp_trace_runtime::testing::{self, SpanData, SpanDataExt, SpanId, SpanKind, Status};
use mcp_trace_runtime::Mode;
use opentelemetry::context::FutureExt as _;
use opentelemetry::trace::{TraceContextExt, Tracer};
use opentelemetry::Context;

struct Server {
    url: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<Result<(), mcp_trace_runtime::server::ServeError>>,
}

impl Server {
    async fn start() -> Server {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/weather", listener.local_addr().unwrap());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(serve_http(
            weather_server::weather_server().expect("the weather tools have distinct names"),
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

/// The seed's client flow with `client`, under a span `request` that is a
/// child of `parent`.
async fn weather_flow(client: &McpClient, parent: Context) {
    let tracer = opentelemetry::global::tracer("test");
    let span = tracer.start_with_context("request", &parent);
    let cx = parent.with_span(span);
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
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn native_tree_over_http_one_server_span_per_call() {
    // `session`: connect (under a span `connect`), tools/list and ping;
    // `flow`: the weather flow alone.
    let session = testing::trace();
    let flow = testing::trace();
    let server = Server::start().await;
    let root =
        opentelemetry::global::tracer("test").start_with_context("connect", &session.context());
    let connect_cx = session.context().with_span(root);
    let client = McpClient::connect_http(&server.url)
        .with_context(connect_cx.clone())
        .await
        .unwrap();
    connect_cx.span().end();
    weather_flow(&client, flow.context()).await;
    let tools = session.wrap(client.list_tool_names()).await.unwrap();
    assert_eq!(tools, ["get_weather", "get_forecast"]);
    session.wrap(client.ping()).await.unwrap();
    client.close().await;
    server.stop().await;

    let all = session.spans();
    for method in ["tools/list", "ping"] {
        let client_span = all.find_kind(method, SpanKind::Client);
        let server_span = all.find_kind(method, SpanKind::Server);
        assert_eq!(server_span.parent_span_id, client_span.span_id());
        for span in [client_span, server_span] {
            assert_eq!(span.attr_str("mcp.method.name"), Some(method));
            assert!(!span.has_attr("gen_ai.tool.name"));
            assert!(!span.has_attr("gen_ai.operation.name"));
        }
        assert!(server_span.has_attr("jsonrpc.request.id"));
    }
    let trace = flow.spans();
    // request → CLIENT tools/call X → SERVER tools/call X, and nothing else:
    // the tools' #[observe] went onto the SERVER spans.
    assert_eq!(trace.len(), 5, "{}", trace.tree());
    let request = trace.find_kind("request", SpanKind::Internal);
    for tool in ["get_weather", "get_forecast"] {
        let name = format!("tools/call {tool}");
        let client_span = trace.find_kind(&name, SpanKind::Client);
        let server_span = trace.find_kind(&name, SpanKind::Server);
        assert_eq!(client_span.parent_span_id, request.span_id());
        assert_eq!(server_span.parent_span_id, client_span.span_id());
        assert!(server_span.parent_span_is_remote);

        assert_eq!(client_span.attr_str("mcp.method.name"), Some("tools/call"));
        assert_eq!(
            client_span.attr_str("gen_ai.operation.name"),
            Some("execute_tool")
        );
        assert_eq!(
            client_span.attr_str("gen_ai.tool.name"),
            Some(tool),
            "conditionally required on CLIENT spans too"
        );
        assert!(
            client_span.has_attr("jsonrpc.request.id"),
            "the CLIENT span knows its request id"
        );
        assert_eq!(client_span.attr_str("network.transport"), Some("tcp"));
        assert_eq!(client_span.attr_str("server.address"), Some("127.0.0.1"));
        assert!(client_span.has_attr("server.port"));

        assert_eq!(server_span.attr_str("mcp.method.name"), Some("tools/call"));
        assert_eq!(server_span.attr_str("gen_ai.tool.name"), Some(tool));
        assert_eq!(
            server_span.attr_str("gen_ai.operation.name"),
            Some("execute_tool")
        );
        assert!(server_span.has_attr("jsonrpc.request.id"));
        assert!(server_span.has_attr("mcp.session.id"));
        assert!(server_span.has_attr("mcp.protocol.version"));
        assert_eq!(server_span.attr_str("network.transport"), Some("tcp"));
        assert_eq!(server_span.attr_str("server.address"), Some("127.0.0.1"));
        assert_eq!(server_span.attr_str("client.address"), Some("127.0.0.1"));
        // The observation enriched the server span.
        assert_eq!(
            server_span.attr_str("langfuse.observation.type"),
            Some("tool")
        );
        assert!(server_span
            .attr_str("langfuse.observation.input")
            .unwrap()
            .contains("\"location\":\"Paris\""));
        assert!(server_span.has_attr("langfuse.observation.output"));
        assert_eq!(server_span.status, Status::Unset);
    }
    // initialize: CLIENT under the caller's span, SERVER under the CLIENT.
    let initialize_client = all.find_kind("initialize", SpanKind::Client);
    let initialize_server = all.find_kind("initialize", SpanKind::Server);
    assert_eq!(
        initialize_server.parent_span_id,
        initialize_client.span_id()
    );
    assert_eq!(all.parent_of(initialize_client).unwrap().name, "connect");
    assert!(initialize_server.has_attr("mcp.protocol.version"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn native_tree_over_a_pipe_with_context_in_meta_only() {
    let trace = testing::trace();
    let (client_end, server_end) = tokio::io::duplex(64 * 1024);
    let (server_read, server_write) = tokio::io::split(server_end);
    let served = tokio::spawn(serve_io(
        weather_server::weather_server().expect("the weather tools have distinct names"),
        server_read,
        server_write,
        std::future::pending(),
    ));
    let (client_read, client_write) = tokio::io::split(client_end);
    let client = McpClient::connect_io(client_read, client_write)
        .await
        .unwrap();
    weather_flow(&client, trace.context()).await;
    client.close().await;
    served.await.unwrap().unwrap();

    let trace = trace.spans();
    assert_eq!(trace.len(), 5, "{}", trace.tree());
    for tool in ["get_weather", "get_forecast"] {
        let name = format!("tools/call {tool}");
        let client_span = trace.find_kind(&name, SpanKind::Client);
        let server_span = trace.find_kind(&name, SpanKind::Server);
        assert_eq!(server_span.parent_span_id, client_span.span_id());
        assert_eq!(server_span.attr_str("network.transport"), Some("pipe"));
        assert_eq!(client_span.attr_str("network.transport"), Some("pipe"));
        assert!(!server_span.has_attr("client.address"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn propagation_only_is_exactly_the_seed_tree() {
    let exclusive = testing::exclusive();
    exclusive.set_mode(Mode::PropagationOnly);
    let flow = testing::trace();
    let server = Server::start().await;
    let client = McpClient::connect_http(&server.url).await.unwrap();
    weather_flow(&client, flow.context()).await;
    client.close().await;
    server.stop().await;

    let all = exclusive.spans();
    assert!(
        all.iter().all(|span| span.span_kind == SpanKind::Internal),
        "no CLIENT or SERVER spans: {:#?}",
        all.names()
    );
    let trace = flow.spans();
    assert_eq!(trace.len(), 3, "{}", trace.tree());
    let request = trace.find_kind("request", SpanKind::Internal);
    for tool in ["get_weather", "get_forecast"] {
        let span = trace.find_kind(tool, SpanKind::Internal);
        assert_eq!(span.parent_span_id, request.span_id());
        assert!(
            span.parent_span_is_remote,
            "context crossed the process boundary"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_are_typed_on_both_sides() {
    let trace = testing::trace();
    let server = Server::start().await;
    let client = McpClient::connect_http(&server.url).await.unwrap();
    trace
        .wrap(async {
            let unknown = client
                .call_tool("no_such_tool", serde_json::Map::new())
                .await
                .unwrap_err();
            assert!(unknown.to_string().contains("no_such_tool"), "{unknown}");
            let wrong = serde_json::json!({"location": 5});
            // Bad arguments are a tool execution error the model can read.
            let invalid = client
                .call_tool("get_weather", wrong.as_object().unwrap().clone())
                .await
                .unwrap();
            assert!(invalid.is_error, "{invalid:?}");
            assert!(invalid.text.contains("invalid type"), "{invalid:?}");
            // The server still serves.
            let ok = serde_json::json!({"location": "Rome"});
            assert!(client
                .call_tool("get_weather", ok.as_object().unwrap().clone())
                .await
                .is_ok());
        })
        .await;
    client.close().await;
    server.stop().await;

    let all = trace.spans();
    for kind in [SpanKind::Client, SpanKind::Server] {
        let span = all.find_kind("tools/call no_such_tool", kind.clone());
        assert_eq!(span.attr_str("error.type"), Some("-32602"), "{kind:?}");
        assert_eq!(span.attr_str("rpc.response.status_code"), Some("-32602"));
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
            .filter(|span| span.attr_str("error.type") == Some("tool_error"))
            .count(),
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_link_policy_starts_a_new_trace_linked_to_the_caller() {
    // The SERVER span starts a new root, outside any trace the test owns.
    let exclusive = testing::exclusive();
    exclusive.set_inbound_context(InboundContext::Link);
    let flow = testing::trace();
    let server = Server::start().await;
    let client = McpClient::connect_http(&server.url).await.unwrap();
    weather_flow(&client, flow.context()).await;
    client.close().await;
    server.stop().await;

    let all = exclusive.spans();
    let client_span = all.find_kind("tools/call get_weather", SpanKind::Client);
    let server_span = all.find_kind("tools/call get_weather", SpanKind::Server);
    assert_eq!(server_span.parent_span_id, SpanId::INVALID, "a new root");
    assert_ne!(server_span.trace_id(), flow.trace_id());
    let link = *server_span
        .linked_contexts()
        .first()
        .expect("a link to the caller");
    assert_eq!(link.span_id(), client_span.span_id());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_and_sessions_from_baggage_reach_the_server_spans() {
    let trace = testing::trace();
    let server = Server::start().await;
    let client = McpClient::connect_http(&server.url).await.unwrap();
    let parent = mcp_trace_runtime::propagation::with_user_and_session(
        &trace.context(),
        Some("alice"),
        Some("chat-7"),
    );
    weather_flow(&client, parent).await;
    client.close().await;
    server.stop().await;

    let all = trace.spans();
    for kind in [SpanKind::Client, SpanKind::Server] {
        let span = all.find_kind("tools/call get_forecast", kind);
        assert_eq!(span.attr_str("user.id"), Some("alice"));
        assert_eq!(span.attr_str("session.id"), Some("chat-7"));
    }
}

/// An observation as Langfuse shows it, after the Langfuse destination shaped
/// the span (`shape_for_langfuse`), by Langfuse's own rules (its
/// `OtelIngestionProcessor`): the name is `gen_ai.tool.name` when present,
/// else the span name; the type is `langfuse.observation.type`, else TOOL
/// for `gen_ai.operation.name = execute_tool` or a `gen_ai.tool.name`, else SPAN.
fn as_langfuse_observation(span: &SpanData) -> (String, String) {
    let mut span_name = span.name.clone();
    let mut attributes = span.attributes.clone();
    mcp_trace_runtime::export::shape_for_langfuse(&span.span_kind, &mut span_name, &mut attributes);
    let get = |key: &str| {
        attributes
            .iter()
            .find(|kv| kv.key.as_str() == key)
            .map(|kv| kv.value.as_str().into_owned())
    };
    let name = get("gen_ai.tool.name").unwrap_or_else(|| span_name.to_string());
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
    let trace = testing::trace();
    let server = Server::start().await;
    // Connected in the trace too: initialize and notifications/initialized
    // are CLIENT and SERVER spans of one name each.
    let client = trace
        .wrap(McpClient::connect_http(&server.url))
        .await
        .unwrap();
    weather_flow(&client, trace.context()).await;
    client.close().await;
    server.stop().await;

    assert!(!trace.spans().named("initialize").is_empty());
    let mut seen: HashMap<(String, String), usize> = HashMap::new();
    for span in &trace.spans() {
        *seen.entry(as_langfuse_observation(span)).or_default() += 1;
    }
    assert!(seen.values().all(|count| *count == 1), "{seen:#?}");
    assert_eq!(seen.get(&("get_weather".into(), "tool".into())), Some(&1));
}
