//! The MCP server end to end: real rmcp clients and raw JSON-RPC POSTs
//! against `serve_http` on a loopback port, and `serve_io` over an in-memory
//! pipe (the code path of `serve_stdio`).

use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use mcp_trace_runtime::scope::ServedRequest;
use mcp_trace_runtime::server::{serve_http, serve_io, HttpOptions, McpServer, ServeError};
use mcp_trace_runtime::tool::{
    output_of, parse_arguments, Arguments, ToolDefinition, ToolFuture, ToolHints, ToolOutput,
};
use rmcp::model::{CallToolRequestParams, ErrorCode, RequestMetaObject};
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::{ServiceError, ServiceExt};
use serde_json::{json, Map, Value};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

const LIMIT: Duration = Duration::from_secs(20);

// ---------------------------------------------------------------- tools

fn object_schema(properties: Value, required: &[&str]) -> Map<String, Value> {
    match json!({ "type": "object", "properties": properties, "required": required }) {
        Value::Object(object) => object,
        _ => unreachable!(),
    }
}

fn echo_schema() -> Map<String, Value> {
    object_schema(json!({ "message": { "type": "string" } }), &["message"])
}

fn echo(arguments: Arguments) -> ToolFuture {
    Box::pin(async move { Ok(output_of(arguments)) })
}

static ECHO: ToolDefinition =
    ToolDefinition::new("echo", "Returns its arguments.", echo_schema, echo)
        .title("Echo")
        .hints(ToolHints::NONE.read_only(true).idempotent(true))
        .defined_at("tests::server");

fn whoami_schema() -> Map<String, Value> {
    object_schema(json!({ "delay_ms": { "type": "integer" } }), &[])
}

/// What the tool sees of its request, read through the task-local scope.
fn seen_request() -> Value {
    ServedRequest::with_current(|request| match request {
        None => Value::Null,
        Some(request) => json!({
            "traceparent": request.headers.get("traceparent").and_then(|v| v.to_str().ok()),
            "meta_traceparent": request
                .meta
                .as_ref()
                .and_then(|meta| meta.get("traceparent"))
                .and_then(Value::as_str),
            "method": request.method,
            "request_id": request.request_id,
            "session_id": request.session_id,
            "header_count": request.headers.len(),
        }),
    })
}

// Sleeps between two looks at the scope, so concurrent calls interleave and
// a scope that leaked between calls would show.
fn whoami(arguments: Arguments) -> ToolFuture {
    Box::pin(async move {
        let delay = arguments
            .get("delay_ms")
            .and_then(Value::as_u64)
            .unwrap_or(0);
        let before = seen_request();
        tokio::time::sleep(Duration::from_millis(delay)).await;
        tokio::task::yield_now().await;
        let after = seen_request();
        if before != after {
            return Ok(ToolOutput::Failed(format!(
                "scope changed: {before} -> {after}"
            )));
        }
        Ok(output_of(after))
    })
}

static WHOAMI: ToolDefinition = ToolDefinition::new(
    "whoami",
    "Reports the request it is serving.",
    whoami_schema,
    whoami,
)
.defined_at("tests::server");

#[derive(serde::Deserialize)]
struct StrictArguments {
    #[allow(dead_code)]
    n: u32,
}

fn strict(arguments: Arguments) -> ToolFuture {
    Box::pin(async move {
        parse_arguments::<StrictArguments>("tool strict", arguments)?;
        Ok(output_of("ok"))
    })
}

static STRICT: ToolDefinition = ToolDefinition::new(
    "strict",
    "Wants a number n.",
    || object_schema(json!({ "n": { "type": "integer" } }), &["n"]),
    strict,
)
.hints(ToolHints::NONE.destructive(false).open_world(false))
.defined_at("tests::server");

static FAIL: ToolDefinition = ToolDefinition::new(
    "fail",
    "Always fails.",
    || object_schema(json!({}), &[]),
    |_| Box::pin(async { Ok(ToolOutput::Failed("the weather service is down".into())) }),
)
.defined_at("tests::server");

fn explode(_: Arguments) -> ToolFuture {
    Box::pin(async { panic!("boom") })
}

static PANIC: ToolDefinition = ToolDefinition::new(
    "panic",
    "Panics.",
    || object_schema(json!({}), &[]),
    explode,
)
.defined_at("tests::server");

static ALL: [&ToolDefinition; 5] = [&ECHO, &WHOAMI, &STRICT, &FAIL, &PANIC];

fn test_server() -> McpServer {
    McpServer::with_tools("test-server", "1.2.3", &ALL)
        .expect("distinct tool names")
        .instructions("Test tools only.")
}

// ---------------------------------------------------------------- harness

struct Running {
    url: String,
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<Result<(), ServeError>>,
}

impl Running {
    async fn start(options: HttpOptions) -> Running {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let url = format!("http://{addr}{}", options.path);
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(serve_http(test_server(), listener, options, async {
            let _ = stopped.await;
        }));
        Running {
            url,
            addr,
            stop: Some(stop),
            task,
        }
    }

    /// Signals shutdown; returns how long `serve_http` took to return.
    async fn shut_down(mut self) -> Duration {
        let started = Instant::now();
        self.stop.take().unwrap().send(()).unwrap();
        within(self.task).await.unwrap().unwrap();
        started.elapsed()
    }
}

async fn within<F: Future>(future: F) -> F::Output {
    tokio::time::timeout(LIMIT, future)
        .await
        .expect("timed out")
}

fn traceparent(trace: u64, span: u64) -> String {
    format!("00-{trace:032x}-{span:016x}-01")
}

/// A hand-rolled MCP client: one JSON-RPC message per POST.
struct Raw {
    http: reqwest::Client,
    url: String,
    session: Option<String>,
}

impl Raw {
    fn new(url: &str) -> Raw {
        Raw {
            http: reqwest::Client::new(),
            url: url.to_string(),
            session: None,
        }
    }

    async fn post(&self, message: &Value, headers: &[(&str, &str)]) -> reqwest::Response {
        let mut request = self
            .http
            .post(&self.url)
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream")
            .header("mcp-protocol-version", "2025-06-18")
            .body(message.to_string());
        if let Some(session) = &self.session {
            request = request.header("mcp-session-id", session);
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        within(request.send()).await.unwrap()
    }

    /// Sends a request and returns its JSON-RPC response, from a JSON body or
    /// an event stream alike.
    async fn call(&self, id: u64, method: &str, params: Value, headers: &[(&str, &str)]) -> Value {
        let message = json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params });
        let response = self.post(&message, headers).await;
        assert_eq!(response.status(), 200, "{method} answered");
        let body = within(response.text()).await.unwrap();
        response_in(&body, id)
    }

    async fn initialize(&mut self) {
        let message = json!({
            "jsonrpc": "2.0", "id": 0, "method": "initialize",
            "params": {
                "protocolVersion": "2025-06-18",
                "capabilities": {},
                "clientInfo": { "name": "raw", "version": "0" },
            },
        });
        let response = self.post(&message, &[]).await;
        assert_eq!(response.status(), 200);
        self.session = response
            .headers()
            .get("mcp-session-id")
            .map(|value| value.to_str().unwrap().to_string());
        let body = within(response.text()).await.unwrap();
        let answer = response_in(&body, 0);
        assert_eq!(answer["result"]["serverInfo"]["name"], "test-server");
        assert_eq!(answer["result"]["serverInfo"]["version"], "1.2.3");
        assert_eq!(answer["result"]["instructions"], "Test tools only.");
        assert!(answer["result"]["capabilities"]["tools"].is_object());
        let initialized = json!({ "jsonrpc": "2.0", "method": "notifications/initialized" });
        assert_eq!(self.post(&initialized, &[]).await.status(), 202);
    }
}

fn response_in(body: &str, id: u64) -> Value {
    let json = serde_json::from_str::<Value>(body).ok();
    let from_events = body.lines().filter_map(|line| {
        let data = line.strip_prefix("data:")?.trim();
        serde_json::from_str::<Value>(data).ok()
    });
    json.into_iter()
        .chain(from_events)
        .find(|message| message["id"] == id)
        .unwrap_or_else(|| panic!("no response {id} in {body:?}"))
}

fn call_params(tool: &str, arguments: Value) -> Value {
    json!({ "name": tool, "arguments": arguments })
}

// ---------------------------------------------------------------- tests

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rmcp_client_lists_and_calls_tools_over_streamable_http() {
    let server = Running::start(HttpOptions::at("/weather")).await;
    let header_parent = traceparent(0xaaa, 0x1);
    let meta_parent = traceparent(0xbbb, 0x2);
    let mut headers = HashMap::new();
    headers.insert(
        http::HeaderName::from_static("traceparent"),
        http::HeaderValue::from_str(&header_parent).unwrap(),
    );
    let transport = StreamableHttpClientTransport::from_config(
        StreamableHttpClientTransportConfig::with_uri(server.url.as_str()).custom_headers(headers),
    );
    let client = within(().serve(transport)).await.unwrap();

    let tools = within(client.list_tools(None)).await.unwrap().tools;
    let names: Vec<&str> = tools.iter().map(|tool| tool.name.as_ref()).collect();
    assert_eq!(names, ["echo", "whoami", "strict", "fail", "panic"]);
    let echo = &tools[0];
    assert_eq!(echo.description.as_deref(), Some("Returns its arguments."));
    assert_eq!(echo.title.as_deref(), Some("Echo"));
    assert_eq!(*echo.input_schema, echo_schema());
    let annotations = echo.annotations.as_ref().unwrap();
    assert_eq!(annotations.title.as_deref(), Some("Echo"));
    assert_eq!(annotations.read_only_hint, Some(true));
    assert_eq!(annotations.idempotent_hint, Some(true));
    assert_eq!(annotations.destructive_hint, None);
    assert_eq!(annotations.open_world_hint, None);
    assert!(tools[1].annotations.is_none(), "no hints, no annotations");
    let strict = tools[2].annotations.as_ref().unwrap();
    assert_eq!(strict.destructive_hint, Some(false));
    assert_eq!(strict.open_world_hint, Some(false));
    assert_eq!(strict.read_only_hint, None);

    let arguments = json!({ "message": "hi" }).as_object().cloned().unwrap();
    let echoed =
        within(client.call_tool(CallToolRequestParams::new("echo").with_arguments(arguments)))
            .await
            .unwrap();
    assert_eq!(echoed.is_error, Some(false));
    assert_eq!(echoed.structured_content, Some(json!({ "message": "hi" })));
    let text = echoed.content[0].as_text().unwrap().text.clone();
    assert_eq!(
        serde_json::from_str::<Value>(&text).unwrap(),
        json!({ "message": "hi" })
    );

    // The HTTP header of the POST and the `_meta` of the call both reach the tool.
    let mut params = CallToolRequestParams::new("whoami");
    let mut meta = RequestMetaObject::new();
    meta.set_traceparent(meta_parent.clone());
    params.meta = Some(meta);
    let seen = within(client.call_tool(params)).await.unwrap();
    assert_eq!(seen.is_error, Some(false), "{seen:?}");
    let seen = seen.structured_content.unwrap();
    assert_eq!(seen["traceparent"], header_parent.as_str());
    assert_eq!(seen["meta_traceparent"], meta_parent.as_str());
    assert_eq!(seen["method"], "tools/call");
    assert!(seen["request_id"].is_string());
    assert!(seen["session_id"].is_string(), "a stateful session: {seen}");

    let unknown = within(client.call_tool(CallToolRequestParams::new("nope")))
        .await
        .unwrap_err();
    let ServiceError::McpError(error) = unknown else {
        panic!("expected a JSON-RPC error, got {unknown:?}");
    };
    assert_eq!(error.code, ErrorCode::INVALID_PARAMS);
    assert_eq!(error.message, "unknown tool: nope");

    let arguments = json!({ "n": "seven" }).as_object().cloned().unwrap();
    let invalid =
        within(client.call_tool(CallToolRequestParams::new("strict").with_arguments(arguments)))
            .await;
    // Bad arguments are a tool execution error (the spec since 2025-11-25),
    // so a model reads what was wrong and can try again.
    let invalid = invalid.expect("a tool result, not a JSON-RPC error");
    assert_eq!(invalid.is_error, Some(true));
    let message = &invalid.content[0].as_text().unwrap().text;
    assert!(
        message.starts_with("invalid arguments for tool strict: invalid type"),
        "{message}"
    );

    let failed = within(client.call_tool(CallToolRequestParams::new("fail")))
        .await
        .unwrap();
    assert_eq!(failed.is_error, Some(true));
    assert_eq!(
        failed.content[0].as_text().unwrap().text,
        "the weather service is down"
    );

    let panicked = within(client.call_tool(CallToolRequestParams::new("panic")))
        .await
        .unwrap();
    assert_eq!(panicked.is_error, Some(true));
    assert_eq!(
        panicked.content[0].as_text().unwrap().text,
        "tool panic panicked: boom"
    );

    // Still serving, on the same session.
    let arguments = json!({ "message": "again" }).as_object().cloned().unwrap();
    let again =
        within(client.call_tool(CallToolRequestParams::new("echo").with_arguments(arguments)))
            .await
            .unwrap();
    assert_eq!(
        again.structured_content,
        Some(json!({ "message": "again" }))
    );

    // The client still holds the session open: shutdown must close it, not wait it out.
    let took = server.shut_down().await;
    assert!(took < Duration::from_secs(1), "shutdown took {took:?}");
    drop(client);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_calls_on_one_session_keep_their_own_headers_and_meta() {
    let server = Running::start(HttpOptions::at("/weather")).await;
    let mut raw = Raw::new(&server.url);
    raw.initialize().await;
    let session = raw
        .session
        .clone()
        .expect("a stateful server gives a session id");
    let raw = std::sync::Arc::new(raw);

    let calls: Vec<_> = (1..=16u64)
        .map(|i| {
            let raw = std::sync::Arc::clone(&raw);
            tokio::spawn(async move {
                let header_parent = traceparent(i, i);
                let meta_parent = traceparent(1000 + i, i);
                let params = json!({
                    "name": "whoami",
                    "arguments": { "delay_ms": (i * 37) % 120 },
                    "_meta": { "traceparent": meta_parent },
                });
                let id = 100 + i;
                let answer = raw
                    .call(id, "tools/call", params, &[("traceparent", &header_parent)])
                    .await;
                (id, header_parent, meta_parent, answer)
            })
        })
        .collect();
    for call in calls {
        let (id, header_parent, meta_parent, answer) = within(call).await.unwrap();
        let result = &answer["result"];
        assert_eq!(result["isError"], false, "{answer}");
        let seen = &result["structuredContent"];
        assert_eq!(seen["traceparent"], header_parent.as_str());
        assert_eq!(seen["meta_traceparent"], meta_parent.as_str());
        assert_eq!(seen["request_id"], id.to_string());
        assert_eq!(seen["session_id"], session.as_str());
        assert_eq!(seen["method"], "tools/call");
    }
    server.shut_down().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stateless_mode_answers_plain_json_without_a_session() {
    let options = HttpOptions::at("/mcp").with_stateless(true);
    let server = Running::start(options).await;
    let raw = Raw::new(&server.url);

    let listed = raw.call(1, "tools/list", json!({}), &[]).await;
    let tools = listed["result"]["tools"].as_array().unwrap();
    assert_eq!(tools.len(), 5);
    // The wire form: unset hints are absent, not false.
    assert_eq!(
        tools[0]["annotations"],
        json!({ "title": "Echo", "readOnlyHint": true, "idempotentHint": true })
    );
    assert_eq!(tools[0]["inputSchema"], Value::Object(echo_schema()));
    assert!(tools[1].get("annotations").is_none());

    let message = json!({
        "jsonrpc": "2.0", "id": 2, "method": "tools/call",
        "params": call_params("whoami", json!({})),
    });
    let parent = traceparent(0xccc, 0x3);
    let response = raw.post(&message, &[("traceparent", &parent)]).await;
    assert_eq!(response.status(), 200);
    assert!(response.headers().get("mcp-session-id").is_none());
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        content_type.starts_with("application/json"),
        "{content_type}"
    );
    let answer: Value = serde_json::from_str(&response.text().await.unwrap()).unwrap();
    let seen = &answer["result"]["structuredContent"];
    assert_eq!(seen["traceparent"], parent.as_str());
    assert_eq!(seen["meta_traceparent"], Value::Null);
    assert_eq!(seen["session_id"], Value::Null);

    let unknown = raw
        .call(3, "tools/call", call_params("nope", json!({})), &[])
        .await;
    assert_eq!(unknown["error"]["code"], -32602);
    assert_eq!(unknown["error"]["message"], "unknown tool: nope");

    let panicked = raw
        .call(4, "tools/call", call_params("panic", json!({})), &[])
        .await;
    assert_eq!(panicked["result"]["isError"], true);
    let echoed = raw
        .call(
            5,
            "tools/call",
            call_params("echo", json!({ "message": "ok" })),
            &[],
        )
        .await;
    assert_eq!(
        echoed["result"]["structuredContent"],
        json!({ "message": "ok" })
    );
    assert_eq!(echoed["result"]["content"][0]["type"], "text");
    server.shut_down().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_paths_are_not_found() {
    let server = Running::start(HttpOptions::at("/weather")).await;
    let base = format!("http://{}", server.addr);
    let http = reqwest::Client::new();
    for path in ["/", "/mcp", "/weather/extra", "/weatherx"] {
        let response = within(http.post(format!("{base}{path}")).body("{}").send())
            .await
            .unwrap();
        assert_eq!(response.status(), 404, "{path}");
    }
    let mut raw = Raw::new(&format!("{base}/weather/"));
    raw.initialize().await;
    server.shut_down().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_loopback_and_listed_origins_are_served() {
    let initialize: Value = serde_json::from_str(INITIALIZE).unwrap();
    let server =
        Running::start(HttpOptions::at("/mcp").with_allowed_origins(["https://app.example"])).await;
    let raw = Raw::new(&server.url);
    for (origin, status) in [
        ("http://evil.example", 403),
        ("https://app.example.evil", 403),
        ("null", 403),
        ("http://localhost:6274", 200),
        ("http://127.0.0.1:3000", 200),
        ("https://app.example", 200),
    ] {
        let answered = raw.post(&initialize, &[("origin", origin)]).await;
        assert_eq!(answered.status(), status, "Origin: {origin}");
    }
    // Not from a browser: no Origin, no check.
    assert_eq!(raw.post(&initialize, &[]).await.status(), 200);
    server.shut_down().await;

    let any = Running::start(HttpOptions::at("/mcp").with_allowed_origins(["*"])).await;
    let raw = Raw::new(&any.url);
    let answered = raw
        .post(&initialize, &[("origin", "http://evil.example")])
        .await;
    assert_eq!(answered.status(), 200);
    any.shut_down().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_loopback_and_listed_hosts_are_served() {
    let initialize: Value = serde_json::from_str(INITIALIZE).unwrap();

    let loopback_only = Running::start(HttpOptions::at("/mcp")).await;
    let raw = Raw::new(&loopback_only.url);
    let refused = raw
        .post(&initialize, &[("host", "weather.example.com")])
        .await;
    assert_eq!(refused.status(), 403);
    let port = loopback_only.addr.port().to_string();
    let localhost = format!("localhost:{port}");
    let accepted = raw.post(&initialize, &[("host", &localhost)]).await;
    assert_eq!(accepted.status(), 200);
    loopback_only.shut_down().await;

    let listed =
        Running::start(HttpOptions::at("/mcp").with_allowed_hosts(["weather.example.com"])).await;
    let raw = Raw::new(&listed.url);
    let accepted = raw
        .post(&initialize, &[("host", "weather.example.com")])
        .await;
    assert_eq!(accepted.status(), 200);
    let refused = raw.post(&initialize, &[("host", "evil.example.com")]).await;
    assert_eq!(refused.status(), 403);
    let still_loopback = raw.post(&initialize, &[]).await;
    assert_eq!(still_loopback.status(), 200);
    listed.shut_down().await;

    let any = Running::start(
        HttpOptions::at("/mcp")
            .with_allowed_hosts(["*"])
            .with_stateless(true),
    )
    .await;
    let raw = Raw::new(&any.url);
    let accepted = raw.post(&initialize, &[("host", "evil.example.com")]).await;
    assert_eq!(accepted.status(), 200);
    any.shut_down().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_lets_the_call_in_flight_finish_then_stops_listening() {
    let options = HttpOptions::at("/mcp").with_stateless(true);
    let mut server = Running::start(options).await;
    let addr = server.addr;
    let raw = Raw::new(&server.url);
    let slow = tokio::spawn(async move {
        raw.call(
            7,
            "tools/call",
            call_params("whoami", json!({ "delay_ms": 600 })),
            &[],
        )
        .await
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = Instant::now();
    server.stop.take().unwrap().send(()).unwrap();
    within(&mut server.task).await.unwrap().unwrap();
    let took = started.elapsed();
    let answer = within(slow).await.unwrap();
    assert_eq!(answer["result"]["isError"], false, "{answer}");
    assert!(
        took >= Duration::from_millis(300),
        "returned before the call ended: {took:?}"
    );
    assert!(took < Duration::from_secs(5), "{took:?}");
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "still listening"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_path_without_a_leading_slash_is_refused() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let error = serve_http(test_server(), listener, HttpOptions::at("mcp"), async {})
        .await
        .unwrap_err();
    assert!(
        matches!(&error, ServeError::InvalidPath { path } if path == "mcp"),
        "{error:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_over_a_byte_stream_like_stdio() {
    let (server_end, client_end) = tokio::io::duplex(64 * 1024);
    let (read, write) = tokio::io::split(server_end);
    let served = tokio::spawn(serve_io(test_server(), read, write, std::future::pending()));
    let client = within(().serve(tokio::io::split(client_end)))
        .await
        .unwrap();

    let tools = within(client.list_tools(None)).await.unwrap().tools;
    assert_eq!(tools.len(), 5);

    let meta_parent = traceparent(0xddd, 0x4);
    let mut params = CallToolRequestParams::new("whoami");
    let mut meta = RequestMetaObject::new();
    meta.set_traceparent(meta_parent.clone());
    params.meta = Some(meta);
    let seen = within(client.call_tool(params))
        .await
        .unwrap()
        .structured_content
        .unwrap();
    assert_eq!(seen["meta_traceparent"], meta_parent.as_str());
    assert_eq!(seen["header_count"], 0, "no HTTP on stdio");
    assert_eq!(seen["method"], "tools/call");

    let panicked = within(client.call_tool(CallToolRequestParams::new("panic")))
        .await
        .unwrap();
    assert_eq!(panicked.is_error, Some(true));
    let arguments = json!({ "message": "still here" })
        .as_object()
        .cloned()
        .unwrap();
    let echoed =
        within(client.call_tool(CallToolRequestParams::new("echo").with_arguments(arguments)))
            .await
            .unwrap();
    assert_eq!(
        echoed.structured_content,
        Some(json!({ "message": "still here" }))
    );

    // The client leaving ends the server.
    within(client.cancel()).await.unwrap();
    within(served).await.unwrap().unwrap();
}

inventory::submit! {
    ToolDefinition::new(
        "registered",
        "Found through the registry.",
        Map::new,
        |_| Box::pin(async { Ok(ToolOutput::Text(String::new())) }),
    )
    .defined_at("tests::server::registered")
}

#[test]
fn new_serves_the_registered_tools() {
    let server = McpServer::new("registry", "0.1.0").expect("one registered tool");
    let names: Vec<&str> = server.tools().iter().map(|tool| tool.name).collect();
    assert_eq!(names, ["registered"]);
}

// ---------------------------------------------------------------- limits

const INITIALIZE: &str = r#"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"raw","version":"0"}}}"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_beyond_the_maximum_are_refused_and_idle_ones_closed() {
    let server = Running::start(
        HttpOptions::at("/mcp")
            .with_max_sessions(2)
            .with_session_idle_timeout(Duration::from_secs(2)),
    )
    .await;
    let mut first = Raw::new(&server.url);
    first.initialize().await;
    let mut second = Raw::new(&server.url);
    second.initialize().await;

    let third = Raw::new(&server.url);
    let refused = third
        .post(&serde_json::from_str(INITIALIZE).unwrap(), &[])
        .await;
    assert_eq!(refused.status(), 503);
    assert_eq!(refused.headers()["retry-after"], "1");
    let text = within(refused.text()).await.unwrap();
    assert!(text.contains("too many open sessions"), "{text}");
    // The open sessions are unaffected.
    let listed = first.call(1, "tools/list", json!({}), &[]).await;
    assert!(listed["result"]["tools"].is_array(), "{listed}");

    // Idle past the timeout: both sessions are closed, which frees the slots.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let message = json!({ "jsonrpc": "2.0", "id": 2, "method": "tools/list", "params": {} });
    let expired = first.post(&message, &[]).await;
    assert_eq!(expired.status(), 404, "an idle session is gone");
    let mut fourth = Raw::new(&server.url);
    fourth.initialize().await;
    server.shut_down().await;
}

/// A raw HTTP/1.1 POST to the server's MCP path with `body` as written.
fn raw_post(path: &str, content_length: usize, body: &[u8]) -> Vec<u8> {
    let mut request = format!(
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
         Accept: application/json, text/event-stream\r\nContent-Length: {content_length}\r\n\r\n"
    )
    .into_bytes();
    request.extend_from_slice(body);
    request
}

async fn status_line(stream: &mut tokio::net::TcpStream) -> String {
    use tokio::io::AsyncReadExt as _;
    let mut buffer = vec![0u8; 4096];
    let read = within(stream.read(&mut buffer)).await.unwrap();
    let text = String::from_utf8_lossy(&buffer[..read]).to_string();
    text.lines().next().unwrap_or_default().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_too_large_or_too_slow_is_refused_and_the_server_goes_on() {
    use tokio::io::AsyncWriteExt as _;
    let server = Running::start(
        HttpOptions::at("/mcp")
            .with_stateless(true)
            .with_max_body_bytes(1024)
            .with_body_read_timeout(Duration::from_millis(500)),
    )
    .await;

    // 2 KiB sent in full: refused at the limit, before it is parsed.
    let mut large = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    large
        .write_all(&raw_post("/mcp", 2048, &[b'x'; 2048]))
        .await
        .unwrap();
    assert_eq!(
        status_line(&mut large).await,
        "HTTP/1.1 413 Payload Too Large"
    );

    // No Content-Length (chunked): cut at the limit all the same.
    let mut chunked = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let mut request =
        b"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
        Accept: application/json, text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
            .to_vec();
    request.extend_from_slice(b"800\r\n");
    request.extend_from_slice(&[b'x'; 0x800]);
    request.extend_from_slice(b"\r\n0\r\n\r\n");
    chunked.write_all(&request).await.unwrap();
    assert_eq!(
        status_line(&mut chunked).await,
        "HTTP/1.1 413 Payload Too Large"
    );

    // A body that trickles: 10 bytes of 100, then nothing.
    let mut slow = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    slow.write_all(&raw_post("/mcp", 100, br#"{"jsonrpc""#))
        .await
        .unwrap();
    assert_eq!(status_line(&mut slow).await, "HTTP/1.1 408 Request Timeout");

    let raw = Raw::new(&server.url);
    let echoed = raw
        .call(
            1,
            "tools/call",
            call_params("echo", json!({ "message": "ok" })),
            &[],
        )
        .await;
    assert_eq!(
        echoed["result"]["structuredContent"],
        json!({ "message": "ok" })
    );
    server.shut_down().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_beyond_the_maximum_wait_until_one_closes() {
    use tokio::io::AsyncWriteExt as _;
    let server = Running::start(
        HttpOptions::at("/mcp")
            .with_stateless(true)
            .with_max_connections(2),
    )
    .await;
    // Two idle connections take both slots.
    let idle = [
        tokio::net::TcpStream::connect(server.addr).await.unwrap(),
        tokio::net::TcpStream::connect(server.addr).await.unwrap(),
    ];
    let body = br#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#;
    let mut third = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    third
        .write_all(&raw_post("/mcp", body.len(), body))
        .await
        .unwrap();
    // Not served while both slots are taken (a served ping answers in
    // milliseconds) ...
    let mut buffer = [0u8; 64];
    let early = tokio::time::timeout(Duration::from_millis(700), async {
        use tokio::io::AsyncReadExt as _;
        third.read(&mut buffer).await
    })
    .await;
    assert!(
        early.is_err(),
        "the third connection was served while two held the slots"
    );
    // ... and served once one closes.
    drop(idle);
    assert_eq!(status_line(&mut third).await, "HTTP/1.1 200 OK");
    server.shut_down().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_past_the_drain_timeout_is_cancelled_and_its_span_ended_before_serve_returns() {
    let trace = mcp_trace_runtime::testing::trace();
    let server =
        Running::start(HttpOptions::at("/mcp").with_drain_timeout(Duration::from_millis(300)))
            .await;
    let mut raw = Raw::new(&server.url);
    raw.initialize().await;
    let parent = trace.traceparent();
    let slow = tokio::spawn(async move {
        let message = json!({
            "jsonrpc": "2.0", "id": 9, "method": "tools/call",
            "params": call_params("whoami", json!({ "delay_ms": 60_000 })),
        });
        // Cut off by the shutdown: whatever it gets is not looked at.
        let _ = raw
            .post(&message, &[("traceparent", &parent)])
            .await
            .text()
            .await;
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let took = server.shut_down().await;
    assert!(took < Duration::from_secs(5), "{took:?}");
    // serve_http has returned: the stopped call's span must already be ended.
    use mcp_trace_runtime::testing::SpanDataExt as _;
    let spans = trace.spans();
    let call = spans.find("tools/call whoami");
    assert_eq!(call.attr_str("error.type"), Some("cancelled"), "{call:?}");
    slow.abort();
}

static BUSY_NOW: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
static BUSY_MOST: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Counts how many of its calls run at once.
fn busy(_: Arguments) -> ToolFuture {
    use std::sync::atomic::Ordering::SeqCst;
    Box::pin(async {
        let now = BUSY_NOW.fetch_add(1, SeqCst) + 1;
        BUSY_MOST.fetch_max(now, SeqCst);
        tokio::time::sleep(Duration::from_millis(100)).await;
        BUSY_NOW.fetch_sub(1, SeqCst);
        Ok(output_of("done"))
    })
}

static BUSY: ToolDefinition = ToolDefinition::new(
    "busy",
    "Takes 100 ms.",
    || object_schema(json!({}), &[]),
    busy,
)
.defined_at("tests::server");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_beyond_the_concurrency_limit_wait_for_a_turn() {
    let server = McpServer::builder("limited", "0.1.0")
        .tools(&[&BUSY])
        .max_concurrent_calls(2)
        .build()
        .unwrap();
    let (server_end, client_end) = tokio::io::duplex(64 * 1024);
    let (read, write) = tokio::io::split(server_end);
    tokio::spawn(serve_io(server, read, write, std::future::pending()));
    let client = within(().serve(tokio::io::split(client_end)))
        .await
        .unwrap();
    // Eight at once over one pipe, as a stdio client may send them.
    let mut calls = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let peer = client.peer().clone();
        calls.spawn(async move { peer.call_tool(CallToolRequestParams::new("busy")).await });
    }
    let results = within(calls.join_all()).await;
    assert!(results.iter().all(|result| result.is_ok()), "{results:?}");
    assert_eq!(BUSY_MOST.load(std::sync::atomic::Ordering::SeqCst), 2);
}

// ------------------------------------------------- client errors, by kind

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_port_is_a_connect_error_with_its_cause() {
    use mcp_trace_runtime::client::{ClientError, ClientErrorKind, McpClient};
    // A port that was just free: nothing listens there.
    let addr = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap();
    let url = format!("http://{addr}/mcp");
    let error = within(McpClient::connect_http(&url)).await.unwrap_err();
    assert_eq!(error.kind(), ClientErrorKind::Connect, "{error}");
    let ClientError::Connect { operation, source } = &error else {
        panic!("{error:?}")
    };
    assert_eq!(operation, &format!("open an MCP session at {url}"));
    assert!(
        source
            .downcast_ref::<rmcp::service::ClientInitializeError>()
            .is_some(),
        "rmcp's error is kept: {source:?}"
    );
    assert!(error
        .to_string()
        .starts_with("cannot open an MCP session at"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_json_rpc_error_keeps_the_servers_code_and_message() {
    use mcp_trace_runtime::client::{ClientError, ClientErrorKind, McpClient};
    let server = Running::start(HttpOptions::at("/mcp")).await;
    let client = within(McpClient::connect_http(&server.url)).await.unwrap();
    let error = within(client.call_tool("no_such_tool", Map::new()))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ClientErrorKind::Server, "{error}");
    assert_eq!(error.code(), Some(-32602), "{error}");
    match &error {
        ClientError::Server {
            operation, message, ..
        } => {
            assert_eq!(operation, "tools/call no_such_tool");
            assert!(message.contains("unknown tool"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    client.close().await;
    server.shut_down().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_past_its_timeout_is_a_timeout_error() {
    use mcp_trace_runtime::client::{CallOptions, ClientError, McpClient};
    let server =
        Running::start(HttpOptions::at("/mcp").with_drain_timeout(Duration::from_millis(300)))
            .await;
    let client = within(McpClient::connect_http(&server.url)).await.unwrap();
    let arguments = json!({"delay_ms": 5_000}).as_object().cloned().unwrap();
    let options = CallOptions::new().timeout(Duration::from_millis(200));
    let started = Instant::now();
    let error = within(client.call_tool_with("whoami", arguments, options))
        .await
        .unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "not the tool's 5 s"
    );
    match &error {
        ClientError::Timeout { operation, timeout } => {
            assert_eq!(operation, "tools/call whoami");
            assert_eq!(*timeout, Duration::from_millis(200));
        }
        other => panic!("{other:?}"),
    }
    assert!(!error.is_cancelled());
    client.close().await;
    server.shut_down().await;
}
