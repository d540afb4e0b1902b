//! The tracing layer over any rmcp service, per method, over Streamable HTTP
//! and over a pipe: a hand-written `ServerHandler` that answers every method
//! rmcp routes, a hand-written `ClientHandler` that answers what a server
//! asks back, and the spans both sides make.

// Sampling, roots, logging and resources/subscribe are deprecated by rmcp
// (SEP-2577) but still routed: the layer traces them, so the test calls them.
#![allow(deprecated)]

use std::time::Duration;

use mcp_trace_runtime::client::{
    connect_http, serve_traced, ClientPeer, TracedClient, TracedClientHandler,
};
use mcp_trace_runtime::scope::ServedRequest;
use mcp_trace_runtime::server::{serve_http, serve_io, traced, BackChannel, HttpOptions};
use mcp_trace_runtime::testing::{self, SpanDataExt, SpanKind, Spans, Status, TestTrace};
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{
    ArgumentInfo, CallToolRequestParams, CallToolResponse, CallToolResult, ClientCapabilities,
    ClientConfig, ClientNotification, ClientRequest, CompleteRequestParams, CompleteResult,
    ContentBlock, CreateMessageRequestParams, CreateMessageResult, CustomRequest,
    GetPromptRequestParams, GetPromptResponse, GetPromptResult, ListPromptsResult,
    ListResourceTemplatesResult, ListResourcesResult, ListRootsResult, ListToolsResult,
    LoggingLevel, PaginatedRequestParams, Prompt, PromptMessage, ReadResourceRequestParams,
    ReadResourceResponse, ReadResourceResult, Reference, Resource, ResourceContents, Role,
    RootsListChangedNotification, SamplingMessage, ServerCapabilities, ServerConfig,
    SetLevelRequestParams, SubscribeRequestParams, Tool, UnsubscribeRequestParams,
};
use rmcp::service::RequestContext;
use rmcp::{schemars, tool, tool_router, ErrorData, RoleClient, RoleServer, ServerHandler};
use serde::Deserialize;
use serde_json::Map;

/// Answers every method rmcp routes; `ask` makes the server send requests
/// back to the client.
#[derive(Debug, Clone, Default)]
struct Everything;

const STATIC_URI: &str = "test://static-text";

fn no_arguments() -> Map<String, serde_json::Value> {
    serde_json::json!({"type": "object"})
        .as_object()
        .cloned()
        .unwrap()
}

impl ServerHandler for Everything {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(
            ServerCapabilities::builder()
                .enable_tools()
                .enable_resources()
                .enable_resources_subscribe()
                .enable_prompts()
                .enable_completions()
                .enable_logging()
                .build(),
        )
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        let tools = ["echo", "fail", "ask"]
            .map(|name| Tool::new_with_raw(name, None, no_arguments()))
            .to_vec();
        Ok(ListToolsResult::with_all_items(tools))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let text = |text: &str| vec![ContentBlock::text(text)];
        match &*request.name {
            "echo" => {
                let served = ServedRequest::current().expect("a request scope in the handler");
                assert_eq!(served.method.as_deref(), Some("tools/call"));
                Ok(CallToolResult::success(text("echo")).into())
            }
            "fail" => Ok(CallToolResult::error(text("no such city")).into()),
            "ask" => {
                // Requests back to the client, each a CLIENT span of this server.
                let client = BackChannel::current().expect("a back channel in a traced handler");
                let sampling =
                    CreateMessageRequestParams::new(vec![SamplingMessage::user_text("hi")], 16);
                let answer = client
                    .create_message(sampling)
                    .await
                    .map_err(|error| ErrorData::internal_error(error.to_string(), None))?;
                let roots = client
                    .list_roots()
                    .await
                    .map_err(|error| ErrorData::internal_error(error.to_string(), None))?;
                let _ = &context;
                Ok(CallToolResult::success(text(&format!(
                    "{} / {} roots",
                    answer.model,
                    roots.roots.len()
                )))
                .into())
            }
            other => Err(ErrorData::invalid_params(
                format!("unknown tool: {other}"),
                None,
            )),
        }
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        let resource = Resource::new(STATIC_URI, "static");
        Ok(ListResourcesResult::with_all_items(vec![resource]))
    }

    async fn list_resource_templates(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, ErrorData> {
        Ok(ListResourceTemplatesResult::with_all_items(Vec::new()))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        if request.uri == STATIC_URI {
            let contents = ResourceContents::text("static text", STATIC_URI);
            Ok(ReadResourceResult::new(vec![contents]).into())
        } else {
            Err(ErrorData::resource_not_found(
                format!("no resource {}", request.uri),
                None,
            ))
        }
    }

    async fn subscribe(
        &self,
        _request: SubscribeRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        Ok(())
    }

    async fn unsubscribe(
        &self,
        _request: UnsubscribeRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        Ok(())
    }

    async fn list_prompts(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListPromptsResult, ErrorData> {
        let prompt = Prompt::new("greeting", Some("Says hello"), None);
        Ok(ListPromptsResult::with_all_items(vec![prompt]))
    }

    async fn get_prompt(
        &self,
        request: GetPromptRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<GetPromptResponse, ErrorData> {
        let message = PromptMessage::new_text(Role::User, request.name.clone());
        Ok(GetPromptResult::new(vec![message]).into())
    }

    async fn complete(
        &self,
        _request: CompleteRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<CompleteResult, ErrorData> {
        Ok(CompleteResult::default())
    }

    async fn set_level(
        &self,
        _request: SetLevelRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        Ok(())
    }
}

/// Answers the server's sampling and roots requests.
#[derive(Debug, Clone, Default)]
struct Answering;

impl rmcp::ClientHandler for Answering {
    fn get_info(&self) -> ClientConfig {
        let mut config = ClientConfig::default();
        config.capabilities = ClientCapabilities::builder()
            .enable_sampling()
            .enable_roots()
            .build();
        config
    }

    async fn create_message(
        &self,
        _params: CreateMessageRequestParams,
        _context: RequestContext<RoleClient>,
    ) -> Result<CreateMessageResult, ErrorData> {
        Ok(CreateMessageResult::new(
            SamplingMessage::assistant_text("hello"),
            "test-model".into(),
        ))
    }

    async fn list_roots(
        &self,
        _context: RequestContext<RoleClient>,
    ) -> Result<ListRootsResult, ErrorData> {
        Ok(ListRootsResult::default())
    }
}

/// The notification `call_everything` ends with.
const LAST_NOTIFICATION: &str = "notifications/roots/list_changed";

/// Every client method, in order; returns once each answered.
async fn call_everything(client: &TracedClient<Answering>) {
    client.list_tools(None).await.unwrap();
    for tool in ["echo", "fail", "ask"] {
        let result = client
            .call_tool(CallToolRequestParams::new(tool.to_string()))
            .await
            .unwrap();
        assert_eq!(result.is_error.unwrap_or(false), tool == "fail");
    }
    client.list_resources(None).await.unwrap();
    client.list_resource_templates(None).await.unwrap();
    client
        .read_resource(ReadResourceRequestParams::new(STATIC_URI))
        .await
        .unwrap();
    client
        .read_resource(ReadResourceRequestParams::new("test://missing"))
        .await
        .expect_err("an unknown resource");
    client
        .subscribe(SubscribeRequestParams::new(STATIC_URI))
        .await
        .unwrap();
    client
        .unsubscribe(UnsubscribeRequestParams::new(STATIC_URI))
        .await
        .unwrap();
    client.list_prompts(None).await.unwrap();
    client
        .get_prompt(GetPromptRequestParams::new("greeting"))
        .await
        .unwrap();
    client
        .complete(CompleteRequestParams::new(
            Reference::for_prompt("greeting"),
            ArgumentInfo::new("name", "Pa"),
        ))
        .await
        .unwrap();
    client
        .set_level(SetLevelRequestParams::new(LoggingLevel::Info))
        .await
        .unwrap();
    client.ping().await.unwrap();
    // A method the server does not know: a custom request, answered with an error.
    client
        .send_request(ClientRequest::CustomRequest(CustomRequest::new(
            "custom/unknown",
            None,
        )))
        .await
        .expect_err("no handler for a custom method");
    client
        .send_notification(ClientNotification::RootsListChangedNotification(
            RootsListChangedNotification::default(),
        ))
        .await
        .unwrap();
}

/// The attribute that names a request's target, and its value.
type TargetAttribute = Option<(&'static str, &'static str)>;

/// Every method the client sends, with its span name and target attribute.
const REQUESTS: &[(&str, &str, TargetAttribute)] = &[
    ("tools/list", "tools/list", None),
    (
        "tools/call",
        "tools/call echo",
        Some(("gen_ai.tool.name", "echo")),
    ),
    (
        "tools/call",
        "tools/call fail",
        Some(("gen_ai.tool.name", "fail")),
    ),
    (
        "tools/call",
        "tools/call ask",
        Some(("gen_ai.tool.name", "ask")),
    ),
    ("resources/list", "resources/list", None),
    ("resources/templates/list", "resources/templates/list", None),
    (
        "resources/subscribe",
        "resources/subscribe",
        Some(("mcp.resource.uri", STATIC_URI)),
    ),
    (
        "resources/unsubscribe",
        "resources/unsubscribe",
        Some(("mcp.resource.uri", STATIC_URI)),
    ),
    ("prompts/list", "prompts/list", None),
    (
        "prompts/get",
        "prompts/get greeting",
        Some(("gen_ai.prompt.name", "greeting")),
    ),
    ("completion/complete", "completion/complete", None),
    ("logging/setLevel", "logging/setLevel", None),
    ("ping", "ping", None),
];

/// The one span of `kind` named `name` in `spans`.
fn one<'a>(spans: &'a Spans, name: &str, kind: SpanKind) -> &'a testing::SpanData {
    spans.find_kind(name, kind)
}

fn check_every_method(trace: &TestTrace, spans: &Spans, transport: &str) {
    for (method, name, target) in REQUESTS {
        let client = one(spans, name, SpanKind::Client);
        let server = one(spans, name, SpanKind::Server);
        assert_eq!(client.parent_span_id, trace.root_span_id(), "{name}");
        assert_eq!(server.parent_span_id, client.span_id(), "{name}");
        for span in [client, server] {
            assert_eq!(span.attr_str("mcp.method.name"), Some(*method), "{name}");
            assert!(span.has_attr("jsonrpc.request.id"), "{name}");
            assert_eq!(
                span.attr_str("network.transport"),
                Some(transport),
                "{name}"
            );
            if let Some((key, value)) = target {
                assert_eq!(span.attr_str(key), Some(*value), "{name}: {key}");
            }
        }
        assert_eq!(
            client.attr_str("jsonrpc.request.id"),
            server.attr_str("jsonrpc.request.id"),
            "{name}: one request, one id"
        );
    }
    // Failing methods: JSON-RPC errors on both sides, `isError` as tool_error.
    let read: Vec<_> = spans
        .iter()
        .filter(|span| span.name == "resources/read")
        .collect();
    assert_eq!(read.len(), 4, "two reads, each CLIENT and SERVER");
    let failed: Vec<_> = read
        .iter()
        .filter(|span| span.attr_str("mcp.resource.uri") == Some("test://missing"))
        .collect();
    assert_eq!(failed.len(), 2);
    for span in failed {
        assert!(matches!(span.status, Status::Error { .. }));
        assert!(span.has_attr("rpc.response.status_code"));
        assert!(span.has_attr("error.type"));
    }
    for kind in [SpanKind::Client, SpanKind::Server] {
        let fail = one(spans, "tools/call fail", kind.clone());
        assert_eq!(fail.attr_str("error.type"), Some("tool_error"));
        assert!(matches!(fail.status, Status::Error { .. }));
        assert!(!one(spans, "tools/call echo", kind).has_attr("error.type"));
    }
    for kind in [SpanKind::Client, SpanKind::Server] {
        let custom = one(spans, "custom/unknown", kind);
        assert_eq!(custom.attr_str("mcp.method.name"), Some("custom/unknown"));
        assert_eq!(custom.attr_str("error.type"), Some("-32601"));
    }
    // A notification the client sends: CLIENT, then SERVER under it.
    let sent = one(spans, "notifications/roots/list_changed", SpanKind::Client);
    let received = one(spans, "notifications/roots/list_changed", SpanKind::Server);
    assert_eq!(sent.parent_span_id, trace.root_span_id());
    assert_eq!(received.parent_span_id, sent.span_id());
    assert!(!received.has_attr("jsonrpc.request.id"));
    // Roles reversed: the server's requests back are CLIENT spans under the
    // tool that asked; the client serves each in a SERVER span under it.
    let ask = one(spans, "tools/call ask", SpanKind::Server);
    for asked in ["sampling/createMessage", "roots/list"] {
        let sent = one(spans, asked, SpanKind::Client);
        assert_eq!(sent.parent_span_id, ask.span_id(), "{asked}");
        assert!(sent.has_attr("jsonrpc.request.id"), "{asked}");
        let served = one(spans, asked, SpanKind::Server);
        assert_eq!(served.attr_str("mcp.method.name"), Some(asked));
        assert_eq!(served.attr_str("network.transport"), Some(transport));
        assert_eq!(served.parent_span_id, sent.span_id(), "{asked}");
        assert_eq!(
            sent.attr_str("jsonrpc.request.id"),
            served.attr_str("jsonrpc.request.id")
        );
    }
    // The sampling request is a Langfuse generation with the model that answered.
    let sampling = one(spans, "sampling/createMessage", SpanKind::Client);
    assert_eq!(
        sampling.attr_str("langfuse.observation.type"),
        Some("generation")
    );
    assert_eq!(
        sampling.attr_str("gen_ai.response.model"),
        Some("test-model")
    );
    assert_eq!(
        sampling.attr_str("langfuse.observation.model.name"),
        Some("test-model")
    );
    assert!(sampling
        .attr_str("langfuse.observation.input")
        .is_some_and(|input| input.contains("hi")));
    assert!(sampling
        .attr_str("langfuse.observation.output")
        .is_some_and(|output| output.contains("hello")));
}

/// `call_everything` in `trace`, then ends the session once the server has
/// handled the last notification (it has no answer to wait for).
async fn call_everything_then_close(trace: &TestTrace, client: TracedClient<Answering>) {
    trace.wrap(call_everything(&client)).await;
    trace
        .wait_for(|spans| spans.named(LAST_NOTIFICATION).len() == 2)
        .await;
    client.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_method_over_http_gets_client_and_server_spans() {
    let trace = testing::trace();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/mcp", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(serve_http(
        Everything,
        listener,
        HttpOptions::at("/mcp"),
        async {
            let _ = stopped.await;
        },
    ));
    let client = trace
        .wrap(connect_http(Answering, &url))
        .await
        .expect("connected");
    call_everything_then_close(&trace, client).await;
    let _ = stop.send(());
    server.await.unwrap().unwrap();

    let spans = trace
        .wait_for(|spans| spans.named("ping").len() == 2 && spans.named("roots/list").len() == 2)
        .await;
    check_every_method(&trace, &spans, "tcp");
    // initialize: CLIENT under the context the client connected in, SERVER under it.
    let initialize = one(&spans, "initialize", SpanKind::Client);
    assert_eq!(initialize.parent_span_id, trace.root_span_id());
    let served = one(&spans, "initialize", SpanKind::Server);
    assert_eq!(served.parent_span_id, initialize.span_id());
    assert!(served.has_attr("mcp.protocol.version"));
    let http = one(&spans, "tools/call echo", SpanKind::Server);
    assert!(http.has_attr("mcp.session.id"));
    assert!(http.has_attr("client.address"));
    assert!(one(&spans, "tools/call echo", SpanKind::Client).has_attr("server.port"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_method_over_a_pipe_gets_client_and_server_spans() {
    let trace = testing::trace();
    let (client_end, server_end) = tokio::io::duplex(64 * 1024);
    let (server_read, server_write) = tokio::io::split(server_end);
    let server = tokio::spawn(serve_io(
        Everything,
        server_read,
        server_write,
        std::future::pending(),
    ));
    let client = trace
        .wrap(serve_traced(
            Answering,
            tokio::io::split(client_end),
            ClientPeer::pipe(),
        ))
        .await
        .expect("connected");
    call_everything_then_close(&trace, client).await;
    let _ = tokio::time::timeout(Duration::from_secs(5), server).await;

    let spans = trace
        .wait_for(|spans| spans.named("ping").len() == 2 && spans.named("roots/list").len() == 2)
        .await;
    check_every_method(&trace, &spans, "pipe");
    // Over a pipe the only carrier is `_meta`: initialize has one too.
    let initialize = one(&spans, "initialize", SpanKind::Client);
    assert_eq!(initialize.parent_span_id, trace.root_span_id());
    let served = one(&spans, "initialize", SpanKind::Server);
    assert_eq!(served.parent_span_id, initialize.span_id());
    let initialized = one(&spans, "notifications/initialized", SpanKind::Server);
    assert_eq!(
        initialized.parent_span_id,
        one(&spans, "notifications/initialized", SpanKind::Client).span_id()
    );
}

/// A plain rmcp `#[tool_router]` server whose tool uses the macros.
#[derive(Debug, Clone, Default)]
struct Router;

#[derive(Debug, Deserialize, schemars::JsonSchema)]
struct GreetArguments {
    name: String,
}

#[tool_router(server_handler)]
impl Router {
    #[tool(description = "Greets.")]
    async fn greet(&self, Parameters(arguments): Parameters<GreetArguments>) -> String {
        greeting(arguments.name).await
    }
}

#[mcp_trace_runtime::with_otel_headers]
#[mcp_trace_runtime::observe]
async fn greeting(name: String) -> String {
    let served = ServedRequest::current().expect("the request scope reaches an rmcp tool");
    format!(
        "hello {name} ({})",
        served.method.as_deref().unwrap_or("no method")
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_rmcp_tool_router_tool_runs_in_its_request_scope_and_enriches_its_span() {
    let trace = testing::trace();
    let (client_end, server_end) = tokio::io::duplex(64 * 1024);
    let (server_read, server_write) = tokio::io::split(server_end);
    let server = tokio::spawn(async move {
        let running = rmcp::serve_server(traced(Router), (server_read, server_write))
            .await
            .unwrap();
        let _ = running.waiting().await;
    });
    let client = trace
        .wrap(serve_traced(
            (),
            tokio::io::split(client_end),
            ClientPeer::pipe(),
        ))
        .await
        .unwrap();
    let mut call = CallToolRequestParams::new("greet".to_string());
    call.arguments = serde_json::json!({"name": "Ada"}).as_object().cloned();
    let result = trace.wrap(client.call_tool(call)).await.unwrap();
    assert_eq!(
        result.content[0].as_text().unwrap().text,
        "hello Ada (tools/call)"
    );
    client.close().await;
    let _ = tokio::time::timeout(Duration::from_secs(5), server).await;

    let spans = trace
        .wait_for(|spans| !spans.named("tools/call greet").is_empty())
        .await;
    let server_span = one(&spans, "tools/call greet", SpanKind::Server);
    // The tool's #[observe] put its input and output on the SERVER span
    // instead of opening a second span.
    assert_eq!(
        server_span.attr_str("langfuse.observation.input"),
        Some(r#"{"name":"Ada"}"#)
    );
    assert!(spans.named("greeting").is_empty(), "{}", spans.tree());
    assert_eq!(
        server_span.parent_span_id,
        one(&spans, "tools/call greet", SpanKind::Client).span_id()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_layer_over_a_traced_handler_traces_once() {
    let trace = testing::trace();
    let (client_end, server_end) = tokio::io::duplex(64 * 1024);
    let (server_read, server_write) = tokio::io::split(server_end);
    // serve_io traces what it serves: the handler is wrapped twice.
    let server = tokio::spawn(serve_io(
        traced(Everything),
        server_read,
        server_write,
        std::future::pending(),
    ));
    let client = trace
        .wrap(serve_traced(
            Answering,
            tokio::io::split(client_end),
            ClientPeer::pipe(),
        ))
        .await
        .unwrap();
    trace.wrap(client.ping()).await.unwrap();
    client.close().await;
    let _ = tokio::time::timeout(Duration::from_secs(5), server).await;
    let spans = trace
        .wait_for(|spans| !spans.named("ping").is_empty())
        .await;
    assert_eq!(spans.named("ping").len(), 2, "{}", spans.tree());
}

#[test]
fn the_client_handler_layer_keeps_the_handler_info() {
    use rmcp::ClientHandler;
    let handler =
        TracedClientHandler::new(Answering, mcp_trace_runtime::conventions::Transport::Pipe);
    assert!(handler.get_info().capabilities.sampling.is_some());
}
