//! An MCP server (on [rmcp]) that serves [`ToolDefinition`]s — the tools
//! `#[mcp_tool]` registers — over Streamable HTTP or stdio.
//!
//! Every `tools/call` runs inside a [`ServedRequest`] scope holding that
//! call's own HTTP headers and `_meta`, so the tool (and the tracing code the
//! macros wrap around it) can pick up the caller's trace context per request,
//! not per session.
//!
//! ```no_run
//! use mcp_trace_runtime::server::{serve_http, HttpOptions, McpServer};
//!
//! # async fn run() -> std::io::Result<()> {
//! let server = McpServer::new("weather", "1.0.0");
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8000").await?;
//! let options = HttpOptions::at("/weather");
//! // Any future stops it, e.g. `tokio::signal::ctrl_c()` in a binary.
//! let (_stop, stopped) = tokio::sync::oneshot::channel::<()>();
//! serve_http(server, listener, options, async {
//!     let _ = stopped.await;
//! })
//! .await
//! # }
//! ```

use std::any::Any;
use std::convert::Infallible;
use std::error::Error as StdError;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::{Body, Frame, Incoming, SizeHint};
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use opentelemetry::context::FutureExt as _;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, Implementation,
    InitializeRequestParams, InitializeResult, ListToolsResult, PaginatedRequestParams,
    ServerCapabilities, ServerConfig, Tool, ToolAnnotations,
};
use rmcp::service::RequestContext;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::session::never::NeverSessionManager;
use rmcp::transport::streamable_http_server::SessionManager;
use rmcp::transport::{StreamableHttpServerConfig, StreamableHttpService};
use rmcp::{ErrorData, RoleServer, ServerHandler};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::{watch, Notify};
use tokio::task::{JoinHandle, JoinSet};
use tower_service::Service;

use crate::scope::ServedRequest;

mod traced;

use crate::tool::{registered_tools, ToolDefinition, ToolOutput};
pub use traced::ObservationClaim;
use traced::{traced, ClientAddress};

/// How long shutdown waits for in-flight requests before cutting them off.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);
/// After the requests drained, how long connections get to close by themselves.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(2);
/// Slow clients must not hold a connection slot forever before sending a request.
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// An MCP server exposing a fixed set of tools.
///
/// rmcp clones the server for every session, so everything in it is shared
/// behind `Arc`s and a clone costs a few reference-count bumps.
///
/// ```
/// use mcp_trace_runtime::server::McpServer;
///
/// let server = McpServer::with_tools("weather", "1.0.0", &[])
///     .instructions("Ask for the weather of a city.");
/// assert!(server.tools().is_empty());
/// ```
#[derive(Clone)]
pub struct McpServer {
    name: Arc<str>,
    version: Arc<str>,
    instructions: Option<Arc<str>>,
    tools: Arc<[&'static ToolDefinition]>,
    // Built once: schemas come from schemars and every session lists them.
    listed: Arc<[Tool]>,
}

impl McpServer {
    /// Serves every `#[mcp_tool]` in the program
    /// ([`registered_tools`]).
    ///
    /// ```
    /// let server = mcp_trace_runtime::server::McpServer::new("weather", "1.0.0");
    /// for tool in server.tools() {
    ///     println!("serving {}", tool.name);
    /// }
    /// ```
    pub fn new(name: impl Into<String>, version: impl Into<String>) -> McpServer {
        McpServer::with_tools(name, version, &registered_tools())
    }

    /// Serves exactly `tools`, e.g. `&[&get_weather::TOOL]`. When two share a
    /// name, the first one is served.
    ///
    /// ```
    /// use mcp_trace_runtime::server::McpServer;
    /// use mcp_trace_runtime::tool::{output_of, ToolDefinition, ToolHints};
    ///
    /// static PING: ToolDefinition = ToolDefinition {
    ///     name: "ping",
    ///     title: None,
    ///     description: "Answers pong.",
    ///     hints: ToolHints {
    ///         read_only: Some(true),
    ///         destructive: None,
    ///         idempotent: None,
    ///         open_world: None,
    ///     },
    ///     input_schema: || serde_json::Map::new(),
    ///     call: |_arguments| Box::pin(async { Ok(output_of("pong")) }),
    /// };
    /// let server = McpServer::with_tools("ping-server", "0.1.0", &[&PING]);
    /// assert_eq!(server.tools()[0].name, "ping");
    /// ```
    pub fn with_tools(
        name: impl Into<String>,
        version: impl Into<String>,
        tools: &[&'static ToolDefinition],
    ) -> McpServer {
        let mut unique: Vec<&'static ToolDefinition> = Vec::with_capacity(tools.len());
        for tool in tools {
            if !unique.iter().any(|seen| seen.name == tool.name) {
                unique.push(tool);
            }
        }
        let listed = unique.iter().map(|tool| to_rmcp_tool(tool)).collect();
        McpServer {
            name: name.into().into(),
            version: version.into().into(),
            instructions: None,
            tools: unique.into(),
            listed,
        }
    }

    /// Instructions sent to clients in the `initialize` result, typically
    /// shown to the model as a hint on how to use the tools.
    ///
    /// ```
    /// let server = mcp_trace_runtime::server::McpServer::new("weather", "1.0.0")
    ///     .instructions("Use get_forecast for more than one day.");
    /// # let _ = server;
    /// ```
    pub fn instructions(mut self, text: impl Into<String>) -> McpServer {
        self.instructions = Some(text.into().into());
        self
    }

    /// The tools this server serves.
    ///
    /// ```
    /// let server = mcp_trace_runtime::server::McpServer::with_tools("empty", "0.1.0", &[]);
    /// assert!(server.tools().is_empty());
    /// ```
    pub fn tools(&self) -> &[&'static ToolDefinition] {
        &self.tools
    }

    fn find(&self, name: &str) -> Option<(&'static ToolDefinition, &Tool)> {
        let index = self.tools.iter().position(|tool| tool.name == name)?;
        Some((self.tools[index], &self.listed[index]))
    }
}

impl std::fmt::Debug for McpServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("McpServer")
            .field("name", &self.name)
            .field("version", &self.version)
            .field(
                "tools",
                &self.tools.iter().map(|tool| tool.name).collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

fn to_rmcp_tool(definition: &ToolDefinition) -> Tool {
    let description = (!definition.description.is_empty()).then(|| definition.description.into());
    let mut tool = Tool::new_with_raw(definition.name, description, (definition.input_schema)());
    tool.title = definition.title.map(str::to_string);
    let hints = definition.hints;
    // Unset hints stay off the wire: their MCP defaults differ per hint, so
    // writing e.g. `false` would claim something the author never said.
    if definition.title.is_some()
        || hints.read_only.is_some()
        || hints.destructive.is_some()
        || hints.idempotent.is_some()
        || hints.open_world.is_some()
    {
        tool.annotations = Some(ToolAnnotations::from_raw(
            tool.title.clone(),
            hints.read_only,
            hints.destructive,
            hints.idempotent,
            hints.open_world,
        ));
    }
    tool
}

/// The MCP protocol side, driven by rmcp for both HTTP and stdio.
///
/// ```
/// use mcp_trace_runtime::server::McpServer;
/// use rmcp::ServerHandler;
///
/// let info = McpServer::with_tools("weather", "1.0.0", &[]).get_info();
/// assert!(info.capabilities.tools.is_some());
/// assert_eq!(info.server_info.name, "weather");
/// ```
impl ServerHandler for McpServer {
    fn get_info(&self) -> ServerConfig {
        let config = ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new(&*self.name, &*self.version));
        match &self.instructions {
            Some(text) => config.with_instructions(&**text),
            None => config,
        }
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        traced("tools/list", None, &context, |_| async {
            Ok(ListToolsResult::with_all_items(self.listed.to_vec()))
        })
        .await
    }

    // Lets rmcp check SEP-2243 `Mcp-Param-*` headers against the real schema.
    fn get_tool(&self, name: &str) -> Option<Tool> {
        self.find(name).map(|(_, tool)| tool.clone())
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let name = request.name.clone();
        traced("tools/call", Some(&name), &context, |span| {
            self.run_tool(request, &context, span)
        })
        .await
    }

    async fn initialize(
        &self,
        request: InitializeRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<InitializeResult, ErrorData> {
        traced("initialize", None, &context, |_| async {
            context.peer.set_peer_info(request.clone());
            self.negotiate_initialize(&request)
        })
        .await
    }

    async fn ping(&self, context: RequestContext<RoleServer>) -> Result<(), ErrorData> {
        traced("ping", None, &context, |_| async { Ok(()) }).await
    }
}

impl McpServer {
    /// Runs one tool call inside its request scope, in its own task.
    async fn run_tool(
        &self,
        request: CallToolRequestParams,
        context: &RequestContext<RoleServer>,
        server_span: Option<opentelemetry::Context>,
    ) -> Result<CallToolResponse, ErrorData> {
        let Some((definition, _)) = self.find(&request.name) else {
            return Err(ErrorData::invalid_params(
                format!("unknown tool: {}", request.name),
                None,
            ));
        };
        let served = served_request(context, server_span);
        let call = (definition.call)(request.arguments.unwrap_or_default());
        // Its own task, so a panicking tool fails this call only and not the
        // session's serve loop; the guard stops the tool if the call is dropped.
        // The current context (the SERVER span in native mode) goes with the
        // task: a spawned task does not inherit it.
        let call = served
            .scope(call)
            .with_context(opentelemetry::Context::current());
        let mut task = AbortOnDrop(tokio::spawn(call));
        let joined = tokio::select! {
            joined = &mut task.0 => joined,
            () = context.ct.cancelled() => {
                return Err(ErrorData::internal_error(
                    format!("tool {} was cancelled", definition.name),
                    None,
                ));
            }
        };
        match joined {
            Ok(Ok(output)) => Ok(to_call_result(output).into()),
            Ok(Err(error)) => Err(ErrorData::invalid_params(error.to_string(), None)),
            // A panic is the tool failing, not the protocol: report it as a
            // tool error so the caller (and the model) can read what happened.
            Err(error) if error.is_panic() => {
                Ok(CallToolResult::error(vec![ContentBlock::text(format!(
                    "tool {} panicked: {}",
                    definition.name,
                    panic_message(&*error.into_panic())
                ))])
                .into())
            }
            Err(_) => Err(ErrorData::internal_error(
                format!("tool {} was cancelled", definition.name),
                None,
            )),
        }
    }
}

/// What the tool may know about the request that called it.
fn served_request(
    context: &RequestContext<RoleServer>,
    server_span: Option<opentelemetry::Context>,
) -> ServedRequest {
    // Streamable HTTP puts each POST's request head here; stdio has none.
    let headers = context
        .extensions
        .get::<http::request::Parts>()
        .map(|parts| parts.headers.clone())
        .unwrap_or_default();
    let meta = &context.meta.0 .0;
    ServedRequest {
        meta: (!meta.is_empty()).then(|| meta.clone()),
        method: Some("tools/call".to_string()),
        request_id: Some(context.id.to_string()),
        server_context: server_span,
        ..ServedRequest::from_headers(headers)
    }
}

fn to_call_result(output: ToolOutput) -> CallToolResult {
    let content = vec![ContentBlock::text(output.text)];
    let mut result = if output.is_error {
        CallToolResult::error(content)
    } else {
        CallToolResult::success(content)
    };
    result.structured_content = output.structured;
    result
}

fn panic_message(payload: &(dyn Any + Send)) -> &str {
    if let Some(message) = payload.downcast_ref::<&'static str>() {
        message
    } else if let Some(message) = payload.downcast_ref::<String>() {
        message
    } else {
        "non-text panic payload"
    }
}

struct AbortOnDrop<T>(JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// How [`serve_http`] serves.
///
/// ```
/// use mcp_trace_runtime::server::HttpOptions;
///
/// let options = HttpOptions {
///     allowed_hosts: vec!["weather.example.com".into()],
///     ..HttpOptions::at("/weather")
/// };
/// assert!(!options.stateless);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpOptions {
    /// Path of the MCP endpoint, e.g. `/weather`; every other path answers
    /// 404. A trailing slash on the request is tolerated.
    pub path: String,
    /// No sessions: every POST is answered on its own with plain JSON. Suits
    /// load-balanced deployments; clients cannot receive server-initiated
    /// messages.
    pub stateless: bool,
    /// `Host` header values accepted besides the loopback names (`localhost`,
    /// `127.0.0.1`, `::1`), as `host` or `host:port`. rmcp refuses other hosts
    /// (403) against DNS rebinding; list your public names here when serving
    /// beyond the local machine, or `"*"` to accept any host.
    pub allowed_hosts: Vec<String>,
}

impl HttpOptions {
    /// Stateful serving at `path`, loopback hosts only.
    ///
    /// ```
    /// let options = mcp_trace_runtime::server::HttpOptions::at("/mcp");
    /// assert_eq!(options.path, "/mcp");
    /// ```
    pub fn at(path: impl Into<String>) -> HttpOptions {
        HttpOptions {
            path: path.into(),
            ..HttpOptions::default()
        }
    }
}

impl Default for HttpOptions {
    fn default() -> Self {
        HttpOptions {
            path: "/mcp".to_string(),
            stateless: false,
            allowed_hosts: Vec::new(),
        }
    }
}

/// Serves MCP Streamable HTTP on an already bound `listener` until `shutdown`
/// resolves; then stops accepting, lets in-flight requests finish (for up to
/// 10 s), closes the sessions and returns.
///
/// Binding is left to the caller so it can pick the address, use port 0 in
/// tests, or inherit a socket.
///
/// # Errors
///
/// `InvalidInput` when `options.path` does not start with `/`. Failures to
/// accept a connection are retried, not returned: one bad connection must not
/// stop the server.
///
/// ```no_run
/// use mcp_trace_runtime::server::{serve_http, HttpOptions, McpServer};
///
/// # async fn run() -> std::io::Result<()> {
/// let listener = tokio::net::TcpListener::bind("0.0.0.0:8000").await?;
/// let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
/// let server = tokio::spawn(serve_http(
///     McpServer::new("weather", "1.0.0"),
///     listener,
///     HttpOptions { allowed_hosts: vec!["*".into()], ..HttpOptions::at("/weather") },
///     async { let _ = stopped.await; },
/// ));
/// // … later:
/// let _ = stop.send(());
/// server.await.expect("server task")?;
/// # Ok(())
/// # }
/// ```
pub async fn serve_http(
    server: McpServer,
    listener: TcpListener,
    options: HttpOptions,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    if !options.path.starts_with('/') {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("MCP path must start with '/': {:?}", options.path),
        ));
    }
    let mut config = StreamableHttpServerConfig::default();
    if options.allowed_hosts.iter().any(|host| host == "*") {
        config = config.disable_allowed_hosts();
    } else {
        let mut hosts = config.allowed_hosts.clone();
        hosts.extend(options.allowed_hosts.iter().cloned());
        config = config.with_allowed_hosts(hosts);
    }
    let sessions = config.cancellation_token.clone();
    let stop_sessions = move || sessions.cancel();
    let factory = move || Ok(server.clone());
    if options.stateless {
        let config = config
            .with_legacy_session_mode(false)
            .with_json_response(true);
        let service =
            StreamableHttpService::new(factory, Arc::new(NeverSessionManager::default()), config);
        accept_loop(listener, service, options.path, shutdown, stop_sessions).await;
    } else {
        let service =
            StreamableHttpService::new(factory, Arc::new(LocalSessionManager::default()), config);
        accept_loop(listener, service, options.path, shutdown, stop_sessions).await;
    }
    Ok(())
}

async fn accept_loop<M: SessionManager>(
    listener: TcpListener,
    service: StreamableHttpService<McpServer, M>,
    path: String,
    shutdown: impl Future<Output = ()>,
    stop_sessions: impl FnOnce(),
) {
    let path: Arc<str> = path.into();
    let in_flight = Arc::new(InFlight::default());
    let (stop, stopped) = watch::channel(false);
    let mut connections = JoinSet::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT)
        .keep_alive(true);
    tokio::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            () = &mut shutdown => break,
            // Reap finished connections so the set stays as large as the live ones.
            Some(_) = connections.join_next(), if !connections.is_empty() => continue,
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => (stream, peer),
                // Per-connection failures (ECONNABORTED, EMFILE) must not stop
                // the server; back off briefly in case of resource exhaustion.
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            },
        };
        let (stream, peer) = stream;
        let _ = stream.set_nodelay(true);
        let handler = {
            let service = service.clone();
            let path = Arc::clone(&path);
            let in_flight = Arc::clone(&in_flight);
            service_fn(move |mut request: Request<Incoming>| {
                request.extensions_mut().insert(ClientAddress(peer));
                route(
                    service.clone(),
                    Arc::clone(&path),
                    Arc::clone(&in_flight),
                    request,
                )
            })
        };
        let connection = http.serve_connection(TokioIo::new(stream), handler);
        let mut stopped = stopped.clone();
        connections.spawn(async move {
            tokio::pin!(connection);
            tokio::select! {
                _ = connection.as_mut() => return,
                _ = stopped.wait_for(|stop| *stop) => {}
            }
            // Finishes the response in progress, then closes the connection.
            connection.as_mut().graceful_shutdown();
            let _ = connection.await;
        });
    }
    drop(listener);
    stop.send_replace(true);
    let _ = tokio::time::timeout(DRAIN_TIMEOUT, in_flight.idle()).await;
    // Only now: cancelling the sessions ends their open event streams (GET),
    // which would otherwise hold their connections open forever, and would
    // abort tool calls still running.
    stop_sessions();
    let _ = tokio::time::timeout(CLOSE_TIMEOUT, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    // Dropping the set aborts the connections that are still open.
}

type RouteResponse = Response<TrackedBody>;

async fn route<M: SessionManager>(
    mut service: StreamableHttpService<McpServer, M>,
    path: Arc<str>,
    in_flight: Arc<InFlight>,
    request: Request<Incoming>,
) -> Result<RouteResponse, Infallible> {
    if !path_matches(request.uri().path(), &path) {
        let body = Full::new(Bytes::from_static(b"Not Found")).boxed();
        let mut response = Response::new(TrackedBody { body, _guard: None });
        *response.status_mut() = StatusCode::NOT_FOUND;
        return Ok(response);
    }
    // POSTs carry JSON-RPC requests, whose response ends when the request is
    // answered; a GET is a session's open-ended event stream and is not waited for.
    let guard = (request.method() == Method::POST).then(|| in_flight.enter());
    let response = service.call(request).await?;
    Ok(response.map(|body| TrackedBody {
        body,
        _guard: guard,
    }))
}

fn path_matches(requested: &str, served: &str) -> bool {
    let served = served.trim_end_matches('/');
    requested == served || requested.strip_suffix('/') == Some(served)
}

/// Counts requests whose response is not yet fully sent.
#[derive(Default)]
struct InFlight {
    count: AtomicUsize,
    changed: Notify,
}

impl InFlight {
    fn enter(self: &Arc<Self>) -> InFlightGuard {
        self.count.fetch_add(1, Ordering::SeqCst);
        InFlightGuard(Arc::clone(self))
    }

    async fn idle(&self) {
        loop {
            let changed = self.changed.notified();
            if self.count.load(Ordering::SeqCst) == 0 {
                return;
            }
            changed.await;
        }
    }
}

struct InFlightGuard(Arc<InFlight>);

impl Drop for InFlightGuard {
    fn drop(&mut self) {
        if self.0.count.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.0.changed.notify_waiters();
        }
    }
}

/// A response body that keeps its request counted as in flight until it is
/// fully sent or dropped (client gone).
struct TrackedBody {
    body: BoxBody<Bytes, Infallible>,
    _guard: Option<InFlightGuard>,
}

impl Body for TrackedBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

/// Serves MCP over stdin/stdout until the client closes its end.
///
/// Nothing else may write to stdout meanwhile: it carries the protocol. Log
/// to stderr.
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
/// let server = mcp_trace_runtime::server::McpServer::new("weather", "1.0.0");
/// mcp_trace_runtime::server::serve_stdio(server).await
/// # }
/// ```
pub async fn serve_stdio(server: McpServer) -> Result<(), Box<dyn StdError + Send + Sync>> {
    let (stdin, stdout) = rmcp::transport::stdio();
    serve_io(server, stdin, stdout).await
}

/// Serves MCP (newline-delimited JSON-RPC, as on stdio) over any byte stream
/// pair — a pipe, a socket, an in-memory duplex — until the peer closes.
///
/// ```
/// use mcp_trace_runtime::server::{serve_io, McpServer};
///
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let (server_end, client_end) = tokio::io::duplex(4096);
/// let (read, write) = tokio::io::split(server_end);
/// let served = tokio::spawn(serve_io(McpServer::with_tools("t", "0.1.0", &[]), read, write));
/// drop(client_end); // the client leaves before initializing
/// assert!(served.await.unwrap().is_err());
/// # });
/// ```
///
/// # Errors
///
/// When the client leaves or misbehaves before completing `initialize`.
pub async fn serve_io<R, W>(
    server: McpServer,
    reader: R,
    writer: W,
) -> Result<(), Box<dyn StdError + Send + Sync>>
where
    R: AsyncRead + Unpin + Send + 'static,
    W: AsyncWrite + Unpin + Send + 'static,
{
    let running = rmcp::serve_server(server, (reader, writer)).await?;
    match running.waiting().await? {
        rmcp::service::QuitReason::JoinError(error) => Err(error.into()),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_match_exactly_or_with_a_trailing_slash() {
        assert!(path_matches("/weather", "/weather"));
        assert!(path_matches("/weather/", "/weather"));
        assert!(path_matches("/weather", "/weather/"));
        assert!(!path_matches("/weather/x", "/weather"));
        assert!(!path_matches("/weatherx", "/weather"));
        assert!(!path_matches("/", "/weather"));
        assert!(path_matches("/", "/"));
    }

    #[test]
    fn panic_messages_are_readable() {
        let payload: Box<dyn Any + Send> = Box::new("boom");
        assert_eq!(panic_message(&*payload), "boom");
        let payload: Box<dyn Any + Send> = Box::new(String::from("bang"));
        assert_eq!(panic_message(&*payload), "bang");
        let payload: Box<dyn Any + Send> = Box::new(42);
        assert_eq!(panic_message(&*payload), "non-text panic payload");
    }
}
