//! `McpClient` over the whole protocol, against a plain rmcp server written
//! here: every client request is a CLIENT span `{method} {target}`; progress
//! reaches the call's callback; cancelling (or dropping) a call sends
//! `notifications/cancelled` for its request; the server's sampling,
//! elicitation and roots requests are answered by the handlers given to the
//! builder, each in a SERVER span under the server's CLIENT span, and the
//! capabilities sent in `initialize` are exactly those handlers.
//!
//! The server traces its requests back to the client by hand (a CLIENT span
//! under the caller's context, its context in the request's `_meta`), as
//! any traced server does.

// Sampling, roots, logging and subscriptions are deprecated by rmcp
// (SEP-2577) but still routed.
#![allow(deprecated)]

use std::convert::Infallible;

use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use mcp_trace_runtime::client::{CallOptions, ClientError, McpClient, McpClientBuilder};
use mcp_trace_runtime::propagation;
use mcp_trace_runtime::testing::{self, SpanData, SpanDataExt, SpanKind, Spans, Status, TestTrace};
use opentelemetry::trace::{TraceContextExt, Tracer};
use rmcp::model::{
    ArgumentInfo, CallToolRequestParams, CallToolResponse, CallToolResult,
    CancelledNotificationParam, CompleteRequestParams, CompleteResult, CompletionInfo,
    ContentBlock, CreateMessageRequestParams, CreateMessageResult, ElicitRequestParams,
    ElicitResult, ElicitationAction, ElicitationSchema, GetPromptRequestParams, GetPromptResponse,
    GetPromptResult, ListPromptsResult, ListResourceTemplatesResult, ListResourcesResult,
    ListToolsResult, LoggingLevel, LoggingMessageNotificationParam, PaginatedRequestParams,
    ProgressNotificationParam, Prompt, PromptMessage, ReadResourceRequestParams,
    ReadResourceResponse, ReadResourceResult, Reference, Request, RequestId, RequestMetaObject,
    Resource, ResourceContents, ResourceTemplate, ResourceUpdatedNotificationParam, Role, Root,
    SamplingMessage, ServerCapabilities, ServerConfig, ServerRequest, SetLevelRequestParams,
    SubscribeRequestParams, Tool, UnsubscribeRequestParams,
};
use rmcp::service::{NotificationContext, PeerRequestOptions, RequestContext};
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use rmcp::{ErrorData, RoleServer, ServerHandler};
use serde_json::{json, Map, Value};

const STATIC_URI: &str = "test://static";

/// What the server saw.
#[derive(Debug, Default)]
struct Seen {
    cancelled: Vec<RequestId>,
    /// The `slow` tool's request was cancelled (its token fired).
    slow_stopped: bool,
    slow_started: bool,
    levels: Vec<LoggingLevel>,
    subscribed: Vec<String>,
    unsubscribed: Vec<String>,
    roots_changed: usize,
    progress_tokens: usize,
    /// The HTTP requests, in the order they arrived: `GET`, or `POST` and
    /// the JSON-RPC method.
    http: Vec<String>,
}

#[derive(Debug, Clone, Default)]
struct Protocol {
    seen: Arc<Mutex<Seen>>,
}

impl Protocol {
    fn seen<R>(&self, read: impl FnOnce(&mut Seen) -> R) -> R {
        read(&mut self.seen.lock().unwrap())
    }

    /// Polls `done` over what the server saw, up to [`testing::WAIT`].
    async fn wait_until(&self, done: impl Fn(&Seen) -> bool) {
        let deadline = tokio::time::Instant::now() + testing::WAIT;
        while !self.seen(|seen| done(seen)) {
            assert!(
                tokio::time::Instant::now() < deadline,
                "the server never saw it: {:?}",
                self.seen.lock().unwrap()
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}

fn text(text: impl Into<String>) -> Vec<ContentBlock> {
    vec![ContentBlock::text(text.into())]
}

fn failed(error: impl std::fmt::Display) -> ErrorData {
    ErrorData::internal_error(error.to_string(), None)
}

/// Sends `request` to the client as a traced server does: a CLIENT span
/// `method` under the context of the request being served, its context in
/// the request's `_meta`.
async fn ask_client(
    context: &RequestContext<RoleServer>,
    method: &str,
    request: ServerRequest,
) -> Result<rmcp::model::ClientResult, ErrorData> {
    let parent = propagation::extract_from_meta(&context.meta.0 .0);
    let tracer = opentelemetry::global::tracer("client-protocol-test-server");
    let span = tracer
        .span_builder(method.to_string())
        .with_kind(SpanKind::Client)
        .start_with_context(&tracer, &parent);
    let cx = parent.with_span(span);
    let mut meta = RequestMetaObject::default();
    propagation::inject_into_meta(&cx, &mut meta.0 .0);
    let mut options = PeerRequestOptions::no_options();
    options.meta = Some(meta);
    let answer = async {
        context
            .peer
            .send_request_with_option(request, options)
            .await
            .map_err(failed)?
            .await_response()
            .await
            .map_err(failed)
    }
    .await;
    cx.span().end();
    answer
}

impl ServerHandler for Protocol {
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
        let object = json!({"type": "object"}).as_object().cloned().unwrap();
        let tools = ["echo", "progress", "slow", "ask", "notify", "capabilities"]
            .map(|name| Tool::new_with_raw(name, None, object.clone()))
            .to_vec();
        Ok(ListToolsResult::with_all_items(tools))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        match &*request.name {
            "echo" => Ok(CallToolResult::success(text(
                Value::Object(request.arguments.unwrap_or_default()).to_string(),
            ))
            .into()),
            "progress" => {
                let token = context
                    .meta
                    .get_progress_token()
                    .ok_or_else(|| ErrorData::invalid_params("no progress token in _meta", None))?;
                self.seen(|seen| seen.progress_tokens += 1);
                for step in 1..=3 {
                    let progress = ProgressNotificationParam::new(token.clone(), f64::from(step))
                        .with_total(3.0)
                        .with_message(format!("step {step}"));
                    context
                        .peer
                        .notify_progress(progress)
                        .await
                        .map_err(failed)?;
                }
                Ok(CallToolResult::success(text("done")).into())
            }
            "slow" => {
                self.seen(|seen| seen.slow_started = true);
                let stopped = tokio::time::timeout(testing::WAIT, context.ct.cancelled())
                    .await
                    .is_ok();
                self.seen(|seen| seen.slow_stopped = stopped);
                Ok(CallToolResult::success(text("slow answer")).into())
            }
            "ask" => {
                let sampling = CreateMessageRequestParams::new(
                    vec![SamplingMessage::user_text("Rain in Oslo?")],
                    64,
                );
                let sampled = ask_client(
                    &context,
                    "sampling/createMessage",
                    ServerRequest::CreateMessageRequest(Request::new(sampling)),
                )
                .await;
                let schema: ElicitationSchema = serde_json::from_value(json!({
                    "type": "object",
                    "properties": {
                        "name": {"type": "string"},
                        "age": {"type": "integer", "default": 30}
                    }
                }))
                .unwrap();
                let elicitation = ElicitRequestParams::FormElicitationParams {
                    meta: None,
                    message: "Who are you?".into(),
                    requested_schema: schema,
                };
                let elicited = ask_client(
                    &context,
                    "elicitation/create",
                    ServerRequest::ElicitRequest(Request::new(elicitation)),
                )
                .await;
                let roots = ask_client(
                    &context,
                    "roots/list",
                    ServerRequest::ListRootsRequest(Default::default()),
                )
                .await;
                let describe = |answer: Result<rmcp::model::ClientResult, ErrorData>| match answer {
                    Ok(result) => serde_json::to_value(result).unwrap(),
                    Err(error) => json!({"error": error.code.0}),
                };
                let answers = json!({
                    "sampling": describe(sampled),
                    "elicitation": describe(elicited),
                    "roots": describe(roots),
                });
                Ok(CallToolResult::success(text(answers.to_string())).into())
            }
            "notify" => {
                let message =
                    LoggingMessageNotificationParam::new(LoggingLevel::Warning, json!("low disk"));
                context
                    .peer
                    .notify_logging_message(message)
                    .await
                    .map_err(failed)?;
                context
                    .peer
                    .notify_resource_updated(ResourceUpdatedNotificationParam::new(STATIC_URI))
                    .await
                    .map_err(failed)?;
                Ok(CallToolResult::success(text("notified")).into())
            }
            "capabilities" => {
                let info = context.peer.peer_info().expect("the client's initialize");
                Ok(CallToolResult::success(text(
                    json!({
                        "capabilities": info.capabilities,
                        "clientInfo": info.client_info,
                        "protocolVersion": info.protocol_version,
                    })
                    .to_string(),
                ))
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
        let template = ResourceTemplate::new("test://items/{id}", "item");
        Ok(ListResourceTemplatesResult::with_all_items(vec![template]))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        let contents = ResourceContents::text(format!("text of {}", request.uri), request.uri);
        Ok(ReadResourceResult::new(vec![contents]).into())
    }

    async fn subscribe(
        &self,
        request: SubscribeRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        self.seen(|seen| seen.subscribed.push(request.uri));
        Ok(())
    }

    async fn unsubscribe(
        &self,
        request: UnsubscribeRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        self.seen(|seen| seen.unsubscribed.push(request.uri));
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
        let name = request
            .arguments
            .and_then(|arguments| arguments.get("name").cloned())
            .unwrap_or(Value::Null);
        let message = PromptMessage::new_text(Role::User, format!("Hello {name}"));
        Ok(GetPromptResult::new(vec![message]).into())
    }

    async fn complete(
        &self,
        request: CompleteRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<CompleteResult, ErrorData> {
        let values = ["Paris", "Pasadena", "Oslo"]
            .into_iter()
            .filter(|value| value.starts_with(&request.argument.value))
            .map(String::from)
            .collect();
        Ok(CompleteResult::new(
            CompletionInfo::new(values).map_err(failed)?,
        ))
    }

    async fn set_level(
        &self,
        request: SetLevelRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        self.seen(|seen| seen.levels.push(request.level));
        Ok(())
    }

    async fn on_cancelled(
        &self,
        notification: CancelledNotificationParam,
        _context: NotificationContext<RoleServer>,
    ) {
        if let Some(id) = notification.request_id {
            self.seen(|seen| seen.cancelled.push(id));
        }
    }

    async fn on_roots_list_changed(&self, _context: NotificationContext<RoleServer>) {
        self.seen(|seen| seen.roots_changed += 1);
    }
}

/// The server over an in-memory pipe, and a client built by `builder` on
/// the other end, connected in `trace`.
async fn over_a_pipe(trace: &TestTrace, builder: McpClientBuilder) -> (Protocol, McpClient) {
    let server = Protocol::default();
    let (client_end, server_end) = tokio::io::duplex(64 * 1024);
    let handler = server.clone();
    tokio::spawn(async move {
        let running = rmcp::serve_server(handler, tokio::io::split(server_end))
            .await
            .expect("the server starts");
        let _ = running.waiting().await;
    });
    let (read, write) = tokio::io::split(client_end);
    let client = trace
        .wrap(builder.connect_io(read, write))
        .await
        .expect("connected");
    (server, client)
}

/// The server on Streamable HTTP (rmcp's service on a bare hyper loop), and
/// a client built by `builder`, connected in `trace`.
async fn over_http(trace: &TestTrace, builder: McpClientBuilder) -> (Protocol, McpClient) {
    let server = Protocol::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/mcp", listener.local_addr().unwrap());
    let handler = server.clone();
    let log = server.clone();
    let service = StreamableHttpService::new(
        move || Ok(handler.clone()),
        Arc::new(LocalSessionManager::default()),
        StreamableHttpServerConfig::default(),
    );
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let service = service.clone();
            let log = log.clone();
            tokio::spawn(async move {
                let serve = hyper::service::service_fn(move |request: http::Request<Incoming>| {
                    let service = service.clone();
                    let log = log.clone();
                    async move {
                        let (parts, body) = request.into_parts();
                        let body = body.collect().await.map(|body| body.to_bytes());
                        let body = body.unwrap_or_default();
                        let method = serde_json::from_slice::<Value>(&body)
                            .ok()
                            .and_then(|message| message["method"].as_str().map(String::from));
                        log.seen(|seen| {
                            seen.http.push(format!(
                                "{} {}",
                                parts.method,
                                method.unwrap_or_default()
                            ))
                        });
                        let request = http::Request::from_parts(parts, Full::new(body));
                        Ok::<_, Infallible>(service.handle(request).await)
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), serve)
                    .await;
            });
        }
    });
    let client = trace
        .wrap(builder.connect_http(&url))
        .await
        .expect("connected");
    (server, client)
}

fn arguments(value: Value) -> Map<String, Value> {
    value.as_object().cloned().unwrap()
}

fn tool_text(result: &CallToolResult) -> &str {
    &result.content[0].as_text().expect("a text block").text
}

/// A span name, its `mcp.method.name`, and the attribute naming its target.
type Expected = (
    &'static str,
    &'static str,
    Option<(&'static str, &'static str)>,
);

/// The one CLIENT span named `name`, a child of the test's root context.
fn client_span<'a>(trace: &TestTrace, spans: &'a Spans, name: &str) -> &'a SpanData {
    let span = spans.find_kind(name, SpanKind::Client);
    assert_eq!(span.parent_span_id, trace.root_span_id(), "{name}");
    span
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_client_request_is_a_client_span_named_for_its_method_and_target() {
    let trace = testing::trace();
    let (server, client) = over_a_pipe(&trace, McpClient::builder()).await;
    trace
        .wrap(async {
            assert_eq!(client.list_tools().await.unwrap().len(), 6);
            let resources = client.list_resources().await.unwrap();
            assert_eq!(resources[0].uri, STATIC_URI);
            let templates = client.list_resource_templates().await.unwrap();
            assert_eq!(templates[0].uri_template, "test://items/{id}");
            let read = client.read_resource(STATIC_URI).await.unwrap();
            match &read.contents[0] {
                ResourceContents::TextResourceContents { text, .. } => {
                    assert_eq!(text, "text of test://static")
                }
                other => panic!("text contents expected: {other:?}"),
            }
            client.subscribe(STATIC_URI).await.unwrap();
            client.unsubscribe(STATIC_URI).await.unwrap();
            assert_eq!(client.list_prompts().await.unwrap()[0].name, "greeting");
            let prompt = client
                .get_prompt("greeting", arguments(json!({"name": "Ada"})))
                .await
                .unwrap();
            assert_eq!(
                serde_json::to_value(&prompt.messages[0].content).unwrap()["text"],
                "Hello \"Ada\""
            );
            let completion = client
                .complete(
                    Reference::for_prompt("greeting"),
                    ArgumentInfo::new("name", "Pa"),
                )
                .await
                .unwrap();
            assert_eq!(completion.completion.values, ["Paris", "Pasadena"]);
            client.set_level(LoggingLevel::Debug).await.unwrap();
            client.ping().await.unwrap();
            let echoed = client
                .call_tool_with("echo", arguments(json!({"a": 1})), CallOptions::new())
                .await
                .unwrap();
            assert_eq!(tool_text(&echoed), r#"{"a":1}"#);
        })
        .await;
    assert_eq!(server.seen(|seen| seen.subscribed.clone()), [STATIC_URI]);
    assert_eq!(server.seen(|seen| seen.unsubscribed.clone()), [STATIC_URI]);
    assert_eq!(
        server.seen(|seen| seen.levels.clone()),
        [LoggingLevel::Debug]
    );
    client.close().await;

    let spans = trace
        .wait_for(|spans| !spans.named("tools/call echo").is_empty())
        .await;
    let expected: &[Expected] = &[
        ("tools/list", "tools/list", None),
        ("resources/list", "resources/list", None),
        ("resources/templates/list", "resources/templates/list", None),
        (
            "resources/read",
            "resources/read",
            Some(("mcp.resource.uri", STATIC_URI)),
        ),
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
            "prompts/get greeting",
            "prompts/get",
            Some(("gen_ai.prompt.name", "greeting")),
        ),
        ("completion/complete", "completion/complete", None),
        ("logging/setLevel", "logging/setLevel", None),
        ("ping", "ping", None),
        (
            "tools/call echo",
            "tools/call",
            Some(("gen_ai.tool.name", "echo")),
        ),
    ];
    for (name, method, target) in expected {
        // The conventions' `{method} {target}`: the tool or prompt name; a
        // resource's URI is an attribute, not part of the name.
        let span = spans.find_kind(name, SpanKind::Client);
        assert_eq!(span.parent_span_id, trace.root_span_id(), "{name}");
        assert_eq!(span.attr_str("mcp.method.name"), Some(*method), "{name}");
        assert!(span.has_attr("jsonrpc.request.id"), "{name}");
        assert_eq!(span.attr_str("network.transport"), Some("pipe"), "{name}");
        if let Some((key, value)) = target {
            assert_eq!(span.attr_str(key), Some(*value), "{name}: {key}");
        }
        assert!(matches!(span.status, Status::Unset | Status::Ok), "{name}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn progress_reaches_the_calls_callback_in_order_before_the_call_returns() {
    let trace = testing::trace();
    let (server, client) = over_http(&trace, McpClient::builder()).await;
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    let options = CallOptions::new().on_progress(move |progress| {
        sink.lock().unwrap().push((
            progress.progress,
            progress.total,
            progress.message.unwrap_or_default(),
        ));
    });
    let result = trace
        .wrap(client.call_tool_with("progress", Map::new(), options))
        .await
        .unwrap();
    assert_eq!(tool_text(&result), "done");
    // Every notification was handed over before the call returned.
    assert_eq!(
        *seen.lock().unwrap(),
        [1.0, 2.0, 3.0].map(|step| (step, Some(3.0), format!("step {step}")))
    );
    // A second call's progress goes to its own callback, not the first one's.
    let second = Arc::new(Mutex::new(0));
    let count = second.clone();
    let options = CallOptions::new().on_progress(move |_| *count.lock().unwrap() += 1);
    trace
        .wrap(client.call_tool_with("progress", Map::new(), options))
        .await
        .unwrap();
    assert_eq!(*second.lock().unwrap(), 3);
    assert_eq!(seen.lock().unwrap().len(), 3);
    assert_eq!(server.seen(|seen| seen.progress_tokens), 2);
    client.close().await;
    let spans = trace
        .wait_for(|spans| spans.named("tools/call progress").len() == 2)
        .await;
    client_span(&trace, &spans, "initialize");
    for span in spans.named("tools/call progress") {
        assert_eq!(span.span_kind, SpanKind::Client);
        assert_eq!(span.parent_span_id, trace.root_span_id());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_a_call_sends_notifications_cancelled_for_its_request() {
    let trace = testing::trace();
    let (server, client) = over_a_pipe(&trace, McpClient::builder()).await;
    let (cancel, cancelled) = tokio::sync::oneshot::channel::<()>();
    let options = CallOptions::new().cancel_on(async move {
        let _ = cancelled.await;
    });
    let call = trace.wrap(client.call_tool_with("slow", Map::new(), options));
    let waiting = server.clone();
    let canceller = async move {
        waiting.wait_until(|seen| seen.slow_started).await;
        cancel.send(()).unwrap();
    };
    let (result, ()) = tokio::join!(call, canceller);
    let error: ClientError = result.expect_err("a cancelled call");
    assert!(error.is_cancelled(), "{error}");
    server
        .wait_until(|seen| !seen.cancelled.is_empty() && seen.slow_stopped)
        .await;
    client.close().await;

    let spans = trace
        .wait_for(|spans| !spans.named("notifications/cancelled").is_empty())
        .await;
    let call = client_span(&trace, &spans, "tools/call slow");
    assert!(
        matches!(&call.status, Status::Error { description } if description.contains("cancelled")),
        "{:?}",
        call.status
    );
    // The notification names the call's request, and is a CLIENT span in
    // the caller's context.
    let id = call.attr_str("jsonrpc.request.id").expect("a request id");
    let cancelled = server.seen(|seen| seen.cancelled.clone());
    assert_eq!(
        cancelled
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>(),
        [id]
    );
    client_span(&trace, &spans, "notifications/cancelled");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_a_call_cancels_it_too() {
    let trace = testing::trace();
    let (server, client) = over_a_pipe(&trace, McpClient::builder()).await;
    let call = trace.wrap(client.call_tool_with("slow", Map::new(), CallOptions::new()));
    let waiting = server.clone();
    tokio::select! {
        _ = call => panic!("the slow call answered"),
        () = waiting.wait_until(|seen| seen.slow_started) => {}
    }
    // The call's future is gone: its request is cancelled.
    server
        .wait_until(|seen| seen.cancelled.len() == 1 && seen.slow_stopped)
        .await;
    client.close().await;
}

/// A client answering all three of the server's requests.
fn answering() -> McpClientBuilder {
    McpClient::builder()
        .client_info("answering-client", "9.9.9")
        .on_sampling(|params: CreateMessageRequestParams| async move {
            let asked = serde_json::to_value(&params.messages[0].content).unwrap();
            Ok(CreateMessageResult::new(
                SamplingMessage::assistant_text(format!("sampled: {}", asked["text"])),
                "test-model".into(),
            ))
        })
        .on_elicitation(|request: ElicitRequestParams| async move {
            assert!(matches!(
                request,
                ElicitRequestParams::FormElicitationParams { .. }
            ));
            // Only the name: the schema's default fills in the age.
            Ok(ElicitResult::new(ElicitationAction::Accept).with_content(json!({"name": "Ada"})))
        })
        .roots(vec![Root::new("file:///work").with_name("work")])
}

async fn ask(trace: &TestTrace, client: &McpClient) -> Value {
    let result = trace
        .wrap(client.call_tool_with("ask", Map::new(), CallOptions::new()))
        .await
        .unwrap();
    serde_json::from_str(tool_text(&result)).unwrap()
}

fn check_answers(answers: &Value) {
    assert_eq!(answers["sampling"]["model"], "test-model", "{answers}");
    assert_eq!(
        answers["sampling"]["content"]["text"], "sampled: \"Rain in Oslo?\"",
        "{answers}"
    );
    assert_eq!(answers["elicitation"]["action"], "accept", "{answers}");
    assert_eq!(
        answers["elicitation"]["content"],
        json!({"name": "Ada", "age": 30}),
        "the schema's default applied: {answers}"
    );
    assert_eq!(
        answers["roots"]["roots"],
        json!([{"uri": "file:///work", "name": "work"}]),
        "{answers}"
    );
}

/// Each request the server sent is a CLIENT span of the server under the
/// client's `tools/call ask`; the client answered each in a SERVER span under it.
fn check_answer_spans(trace: &TestTrace, spans: &Spans, transport: &str) {
    let call = client_span(trace, spans, "tools/call ask");
    for method in ["sampling/createMessage", "elicitation/create", "roots/list"] {
        let asked = spans.find_kind(method, SpanKind::Client);
        assert_eq!(asked.parent_span_id, call.span_id(), "{method}");
        let answered = spans.find_kind(method, SpanKind::Server);
        assert_eq!(
            answered.parent_span_id,
            asked.span_id(),
            "{method}:\n{}",
            spans.tree()
        );
        assert_eq!(answered.attr_str("mcp.method.name"), Some(method));
        assert_eq!(answered.attr_str("network.transport"), Some(transport));
        assert!(answered.has_attr("jsonrpc.request.id"), "{method}");
        assert!(matches!(answered.status, Status::Unset | Status::Ok));
    }
}

fn answered(spans: &Spans) -> bool {
    ["sampling/createMessage", "elicitation/create", "roots/list"]
        .iter()
        .all(|method| spans.named(method).len() == 2)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_handlers_answer_the_servers_requests_in_server_spans_over_http() {
    let trace = testing::trace();
    let (_server, client) = over_http(&trace, answering()).await;
    check_answers(&ask(&trace, &client).await);
    client.close().await;
    let spans = trace.wait_for(answered).await;
    check_answer_spans(&trace, &spans, "tcp");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_handlers_answer_the_servers_requests_in_server_spans_over_a_pipe() {
    let trace = testing::trace();
    let (_server, client) = over_a_pipe(&trace, answering()).await;
    check_answers(&ask(&trace, &client).await);
    client.close().await;
    let spans = trace.wait_for(answered).await;
    check_answer_spans(&trace, &spans, "pipe");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_without_handlers_answers_nothing_and_advertises_nothing() {
    let trace = testing::trace();
    let (_server, client) = over_a_pipe(&trace, McpClient::builder()).await;
    let answers = ask(&trace, &client).await;
    for method in ["sampling", "elicitation", "roots"] {
        assert!(
            answers[method].get("error").is_some(),
            "{method}: {answers}"
        );
    }
    let info = trace
        .wrap(client.call_tool_with("capabilities", Map::new(), CallOptions::new()))
        .await
        .unwrap();
    let info: Value = serde_json::from_str(tool_text(&info)).unwrap();
    assert_eq!(info["capabilities"], json!({}), "{info}");
    // The newest version with an initialize handshake: servers may still
    // send requests back on it.
    assert_eq!(info["protocolVersion"], "2025-11-25");
    assert_eq!(info["clientInfo"]["name"], "mcp-trace");
    client.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_capabilities_in_initialize_are_the_handlers_given() {
    let trace = testing::trace();
    let (_server, client) = over_a_pipe(&trace, answering()).await;
    let info = trace
        .wrap(client.call_tool_with("capabilities", Map::new(), CallOptions::new()))
        .await
        .unwrap();
    let info: Value = serde_json::from_str(tool_text(&info)).unwrap();
    let capabilities = &info["capabilities"];
    assert_eq!(capabilities["sampling"], json!({}), "{info}");
    assert_eq!(capabilities["elicitation"], json!({"form": {}}), "{info}");
    assert_eq!(
        capabilities["roots"],
        json!({"listChanged": true}),
        "{info}"
    );
    assert_eq!(info["clientInfo"]["name"], "answering-client");
    assert_eq!(info["clientInfo"]["version"], "9.9.9");
    client.close().await;

    // One handler, one capability.
    let (_server, client) = over_a_pipe(
        &trace,
        McpClient::builder()
            .on_elicitation(|_| async { Ok(ElicitResult::new(ElicitationAction::Decline)) }),
    )
    .await;
    let info = trace
        .wrap(client.call_tool_with("capabilities", Map::new(), CallOptions::new()))
        .await
        .unwrap();
    let info: Value = serde_json::from_str(tool_text(&info)).unwrap();
    assert_eq!(
        info["capabilities"],
        json!({"elicitation": {"form": {}}}),
        "{info}"
    );
    client.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn set_roots_tells_the_server_and_changes_the_answer() {
    let trace = testing::trace();
    let (server, client) = over_a_pipe(&trace, answering()).await;
    trace
        .wrap(client.set_roots(vec![Root::new("file:///other")]))
        .await
        .unwrap();
    server.wait_until(|seen| seen.roots_changed == 1).await;
    let answers = ask(&trace, &client).await;
    assert_eq!(
        answers["roots"]["roots"],
        json!([{"uri": "file:///other"}]),
        "{answers}"
    );
    client.close().await;
    let spans = trace
        .wait_for(|spans| !spans.named("notifications/roots/list_changed").is_empty())
        .await;
    client_span(&trace, &spans, "notifications/roots/list_changed");

    // Without roots there is nothing to change.
    let (_server, client) = over_a_pipe(&trace, McpClient::builder()).await;
    let error = client.set_roots(Vec::new()).await.expect_err("no roots");
    assert!(error.to_string().contains("without roots"), "{error}");
    client.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_messages_and_resource_updates_reach_their_hooks() {
    let trace = testing::trace();
    let (logged, mut logs) = tokio::sync::mpsc::unbounded_channel();
    let (updated, mut updates) = tokio::sync::mpsc::unbounded_channel();
    let builder = McpClient::builder()
        .on_logging_message(move |message| {
            let _ = logged.send(message);
        })
        .on_resource_updated(move |update| {
            let _ = updated.send(update.uri);
        });
    let (_server, client) = over_a_pipe(&trace, builder).await;
    trace
        .wrap(client.call_tool_with("notify", Map::new(), CallOptions::new()))
        .await
        .unwrap();
    let message = tokio::time::timeout(testing::WAIT, logs.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(message.level, LoggingLevel::Warning);
    assert_eq!(message.data, json!("low disk"));
    let uri = tokio::time::timeout(testing::WAIT, updates.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(uri, STATIC_URI);
    client.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_http_the_standalone_stream_reaches_the_server_before_the_first_request() {
    let trace = testing::trace();
    let (server, client) = over_http(&trace, McpClient::builder()).await;
    trace.wrap(client.ping()).await.unwrap();
    let http = server.seen(|seen| seen.http.clone());
    let get = http.iter().position(|request| request.starts_with("GET"));
    let ping = http.iter().position(|request| request == "POST ping");
    assert!(
        matches!((get, ping), (Some(get), Some(ping)) if get < ping),
        "{http:?}"
    );
    client.close().await;
}
