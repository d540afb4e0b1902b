//! MCP clients, traced: the layer over any rmcp client ([`serve_traced`],
//! [`TracedClient`], [`TracedTransport`], [`TracedClientHandler`]) and
//! [`McpClient`], a client for every request of the protocol built on it,
//! which answers the server's requests through the handlers given to
//! [`McpClientBuilder`].
//!
//! Every request carries the caller's trace context in its `params._meta`
//! (SEP-414, works on every transport) and, on Streamable HTTP, in the
//! headers of the one POST that carries it ([`TraceHeaders`]).

// rmcp deprecates sampling, roots, logging and subscriptions (SEP-2577) but
// still routes them; this client speaks the whole protocol.
#![allow(deprecated)]

use std::fmt;
use std::future::Future;
use std::sync::{Arc, RwLock};

use opentelemetry::Context;
use rmcp::model::{
    ArgumentInfo, CallToolRequestParams, CallToolResult, ClientConfig, ClientNotification,
    ClientRequest, CompleteRequestParams, CompleteResult, CreateMessageRequestParams,
    CreateMessageResult, ElicitRequestParams, ElicitResult, GetPromptRequestParams,
    GetPromptResult, Implementation, LoggingLevel, LoggingMessageNotificationParam,
    PaginatedRequestParams, Prompt, ProtocolVersion, ReadResourceRequestParams, ReadResourceResult,
    Reference, Request, Resource, ResourceTemplate, ResourceUpdatedNotificationParam, Root,
    RootsListChangedNotification, ServerResult, SetLevelRequestParams, SubscribeRequestParams,
    Tool, UnsubscribeRequestParams,
};
use rmcp::service::{ClientInitializeError, PeerRequestOptions};
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::transport::{IntoTransport, StreamableHttpClientTransport};
use rmcp::{ClientHandler, ErrorData, RoleClient};
use serde_json::{Map, Value};

mod call;
mod error;
mod handler;
mod headers;
mod progress;
mod traced;

pub use call::CallOptions;
pub use error::{BoxError, ClientError, ClientErrorKind};
pub use handler::{with_schema_defaults, McpClientHandler};
pub use headers::TraceHeaders;
pub use traced::{serve_traced, ClientPeer, TracedClient, TracedClientHandler, TracedTransport};

use progress::ProgressRouter;

/// Opens a traced session with `handler` to the Streamable HTTP server at
/// `url`: [`serve_traced`] over rmcp's reqwest transport, with each
/// request's context also in its POST's headers.
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let client = mcp_trace_runtime::client::connect_http((), "http://127.0.0.1:8000/mcp").await?;
/// let tools = client.list_all_tools().await?;
/// # drop(tools);
/// # Ok(()) }
/// ```
///
/// # Errors
///
/// When the server cannot be reached or `initialize` fails.
pub async fn connect_http<H: ClientHandler>(
    handler: H,
    url: &str,
) -> Result<TracedClient<H>, ClientInitializeError> {
    let headers = TraceHeaders::new(reqwest::Client::new());
    let transport = StreamableHttpClientTransport::with_client(
        headers.clone(),
        StreamableHttpClientTransportConfig::with_uri(url),
    );
    let client = serve_traced(handler, transport, ClientPeer::http(url)).await?;
    standalone_stream_answered(&headers).await;
    Ok(client)
}

/// Waits (briefly) until the server answered the session's standalone GET
/// stream, so that it reaches the server before the first request.
async fn standalone_stream_answered(headers: &TraceHeaders<reqwest::Client>) {
    let _ = tokio::time::timeout(
        std::time::Duration::from_secs(1),
        headers.standalone_stream_answered(),
    )
    .await;
}

/// The result of `tools/call`.
///
/// It may gain fields: [`McpClient::call_tool`] builds it (or `From<CallToolResult>`); destructure it with `..`.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ToolResponse {
    /// The text content blocks, joined.
    pub text: String,
    /// `structuredContent`, when the tool returned one.
    pub structured: Option<Value>,
    /// `isError`: the tool ran and reported a failure.
    pub is_error: bool,
}

impl From<CallToolResult> for ToolResponse {
    fn from(result: CallToolResult) -> ToolResponse {
        ToolResponse {
            text: result
                .content
                .iter()
                .filter_map(|block| block.as_text().map(|text| text.text.as_str()))
                .collect::<Vec<_>>()
                .join("\n"),
            structured: result.structured_content,
            is_error: result.is_error.unwrap_or(false),
        }
    }
}

/// Builds an [`McpClient`]: who the client is, how it answers the server's
/// requests, and what it does with the server's notifications; then
/// connects. The capabilities sent in `initialize` are exactly those a
/// handler was given for.
///
/// ```no_run
/// use mcp_trace_runtime::client::McpClient;
/// use rmcp::model::{CreateMessageResult, ElicitResult, ElicitationAction, Root, SamplingMessage};
///
/// # async fn demo() -> Result<(), mcp_trace_runtime::client::ClientError> {
/// let client = McpClient::builder()
///     .client_info("my-agent", "1.0.0")
///     .on_sampling(|params| async move {
///         let asked = params.messages.len();
///         Ok(CreateMessageResult::new(
///             SamplingMessage::assistant_text(format!("{asked} messages read")),
///             "local-model".into(),
///         ))
///     })
///     .on_elicitation(|_request| async {
///         // Accept with nothing filled in: the schema's defaults are applied.
///         Ok(ElicitResult::new(ElicitationAction::Accept))
///     })
///     .roots(vec![Root::new("file:///work").with_name("work")])
///     .on_logging_message(|message| eprintln!("server: {}", message.data))
///     .connect_http("http://127.0.0.1:8000/mcp")
///     .await?;
/// # drop(client);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct McpClientBuilder {
    handler: McpClientHandler,
}

impl Default for McpClientBuilder {
    fn default() -> McpClientBuilder {
        let info = ClientConfig::new(
            Default::default(),
            Implementation::new("mcp-trace", env!("CARGO_PKG_VERSION")),
        )
        .with_protocol_version(ProtocolVersion::LATEST_WITH_INITIALIZE);
        McpClientBuilder {
            handler: McpClientHandler {
                info,
                sampling: None,
                elicitation: None,
                elicitation_defaults: true,
                roots: None,
                on_logging_message: None,
                on_resource_updated: None,
            },
        }
    }
}

impl McpClientBuilder {
    /// The `clientInfo` sent in `initialize` (default: `mcp-trace` and this
    /// crate's version).
    pub fn client_info(mut self, name: &str, version: &str) -> McpClientBuilder {
        self.handler.info.client_info = Implementation::new(name, version);
        self
    }

    /// The protocol version asked for in `initialize` (default: the newest
    /// with an `initialize` handshake, `2025-11-25`).
    pub fn protocol_version(mut self, version: ProtocolVersion) -> McpClientBuilder {
        self.handler.info.protocol_version = version;
        self
    }

    /// Answers `sampling/createMessage` with `handler` and advertises the
    /// `sampling` capability.
    pub fn on_sampling<F, Fut>(mut self, handler: F) -> McpClientBuilder
    where
        F: Fn(CreateMessageRequestParams) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<CreateMessageResult, ErrorData>> + Send + 'static,
    {
        self.handler.sampling = Some(Arc::new(move |params| Box::pin(handler(params))));
        self
    }

    /// Answers `elicitation/create` with `handler` and advertises the
    /// `elicitation` capability (form mode). An accepted form answer gets
    /// the schema's defaults for every field it leaves out (SEP-1034; see
    /// [`with_schema_defaults`]) unless [`Self::elicitation_defaults`] turns
    /// that off.
    pub fn on_elicitation<F, Fut>(mut self, handler: F) -> McpClientBuilder
    where
        F: Fn(ElicitRequestParams) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<ElicitResult, ErrorData>> + Send + 'static,
    {
        self.handler.elicitation = Some(Arc::new(move |params| Box::pin(handler(params))));
        self
    }

    /// Whether accepted form answers get the schema's defaults (default: yes).
    pub fn elicitation_defaults(mut self, apply: bool) -> McpClientBuilder {
        self.handler.elicitation_defaults = apply;
        self
    }

    /// Answers `roots/list` with `roots` and advertises the `roots`
    /// capability with `listChanged`; [`McpClient::set_roots`] changes them.
    pub fn roots(mut self, roots: Vec<Root>) -> McpClientBuilder {
        self.handler.roots = Some(Arc::new(RwLock::new(roots)));
        self
    }

    /// Calls `hook` with every `notifications/message` (the server's log).
    pub fn on_logging_message(
        mut self,
        hook: impl Fn(LoggingMessageNotificationParam) + Send + Sync + 'static,
    ) -> McpClientBuilder {
        self.handler.on_logging_message = Some(Arc::new(hook));
        self
    }

    /// Calls `hook` with every `notifications/resources/updated` (for
    /// resources subscribed to with [`McpClient::subscribe`]).
    pub fn on_resource_updated(
        mut self,
        hook: impl Fn(ResourceUpdatedNotificationParam) + Send + Sync + 'static,
    ) -> McpClientBuilder {
        self.handler.on_resource_updated = Some(Arc::new(hook));
        self
    }

    /// The rmcp handler this builder describes, to serve yourself (e.g.
    /// with [`serve_traced`]); [`McpClientBuilder::connect`] does that.
    pub fn into_handler(self) -> McpClientHandler {
        self.handler
    }

    /// Opens a session over Streamable HTTP at `url`, with each request's
    /// context also in its POST's headers ([`TraceHeaders`]).
    pub async fn connect_http(self, url: &str) -> Result<McpClient, ClientError> {
        let headers = TraceHeaders::new(reqwest::Client::new());
        let transport = StreamableHttpClientTransport::with_client(
            headers.clone(),
            StreamableHttpClientTransportConfig::with_uri(url),
        );
        let client = self
            .open(
                transport,
                ClientPeer::http(url),
                format!("open an MCP session at {url}"),
            )
            .await?;
        standalone_stream_answered(&headers).await;
        Ok(client)
    }

    /// Starts `command` and talks MCP to it over its stdin/stdout; context
    /// travels in `_meta` only.
    pub async fn connect_stdio(
        self,
        command: tokio::process::Command,
    ) -> Result<McpClient, ClientError> {
        let program = format!("{:?}", command.as_std().get_program());
        let transport = rmcp::transport::TokioChildProcess::new(command)
            .map_err(|error| ClientError::connect(format!("start {program}"), error))?;
        self.open(
            transport,
            ClientPeer::pipe(),
            format!("open an MCP session with {program}"),
        )
        .await
    }

    /// Talks MCP over any byte stream pair (a pipe, a socket, an in-memory
    /// duplex); like stdio, context travels in `_meta` only.
    pub async fn connect_io<R, W>(self, reader: R, writer: W) -> Result<McpClient, ClientError>
    where
        R: tokio::io::AsyncRead + Unpin + Send + 'static,
        W: tokio::io::AsyncWrite + Unpin + Send + 'static,
    {
        self.connect((reader, writer), ClientPeer::pipe()).await
    }

    /// Opens a session over any rmcp client transport; `peer` says how the
    /// server is reached (for the CLIENT spans' attributes).
    pub async fn connect<T, E, A>(
        self,
        transport: T,
        peer: ClientPeer,
    ) -> Result<McpClient, ClientError>
    where
        T: IntoTransport<RoleClient, E, A>,
        E: std::error::Error + Send + Sync + 'static,
    {
        self.open(transport, peer, "open an MCP session".to_string())
            .await
    }

    async fn open<T, E, A>(
        self,
        transport: T,
        peer: ClientPeer,
        operation: String,
    ) -> Result<McpClient, ClientError>
    where
        T: IntoTransport<RoleClient, E, A>,
        E: std::error::Error + Send + Sync + 'static,
    {
        let progress = Arc::new(ProgressRouter::default());
        let client = traced::serve_traced_with_progress(
            self.handler,
            transport,
            peer,
            Some(progress.clone()),
        )
        .await
        .map_err(|error: ClientInitializeError| ClientError::connect(operation, error))?;
        Ok(McpClient { client, progress })
    }
}

/// An MCP client session, traced through [`TracedClient`]: every request is
/// a CLIENT span `{method} {target}` (`native` mode) under the current
/// context, and every request the server sends back is answered by the
/// handlers given to [`McpClient::builder`] in a SERVER span under the
/// server's CLIENT span.
///
/// ```no_run
/// # async fn demo() -> Result<(), mcp_trace_runtime::client::ClientError> {
/// use mcp_trace_runtime::client::McpClient;
/// let client = McpClient::connect_http("http://127.0.0.1:8000/weather").await?;
/// let arguments = serde_json::json!({"location": "Paris"});
/// let weather = client.call_tool("get_weather", arguments.as_object().unwrap().clone()).await?;
/// println!("{}", weather.text);
/// client.close().await;
/// # Ok(()) }
/// ```
pub struct McpClient {
    client: TracedClient<McpClientHandler>,
    progress: Arc<ProgressRouter>,
}

impl fmt::Debug for McpClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("McpClient").finish_non_exhaustive()
    }
}

/// Every page of a listing, one CLIENT span per page.
macro_rules! all_pages {
    ($client:expr_2021, $method:ident, $items:ident, $what:literal) => {{
        let mut items = Vec::new();
        let mut cursor = None;
        loop {
            let mut params = PaginatedRequestParams::default();
            params.cursor = cursor;
            let page = $client
                .$method(Some(params))
                .await
                .map_err(|error| ClientError::service($what, error))?;
            items.extend(page.$items);
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => break Ok(items),
            }
        }
    }};
}

impl McpClient {
    /// A builder: handlers for the server's requests, client info, then a
    /// transport.
    ///
    /// ```
    /// let builder = mcp_trace_runtime::client::McpClient::builder().client_info("demo", "0.1.0");
    /// # drop(builder);
    /// ```
    pub fn builder() -> McpClientBuilder {
        McpClientBuilder::default()
    }

    /// Opens a session over Streamable HTTP at `url` (no handlers: the
    /// client advertises no capabilities).
    pub async fn connect_http(url: &str) -> Result<McpClient, ClientError> {
        McpClient::builder().connect_http(url).await
    }

    /// Starts `command` and talks MCP to it over its stdin/stdout; context
    /// travels in `_meta` only.
    pub async fn connect_stdio(command: tokio::process::Command) -> Result<McpClient, ClientError> {
        McpClient::builder().connect_stdio(command).await
    }

    /// Talks MCP over any byte stream pair (a pipe, a socket, an in-memory
    /// duplex); like stdio, context travels in `_meta` only.
    pub async fn connect_io<R, W>(reader: R, writer: W) -> Result<McpClient, ClientError>
    where
        R: tokio::io::AsyncRead + Unpin + Send + 'static,
        W: tokio::io::AsyncWrite + Unpin + Send + 'static,
    {
        McpClient::builder().connect_io(reader, writer).await
    }

    /// Calls tool `name` with `arguments`, in the current trace context
    /// (inside a CLIENT span `tools/call {name}` in `native` mode).
    pub async fn call_tool(
        &self,
        name: &str,
        arguments: Map<String, Value>,
    ) -> Result<ToolResponse, ClientError> {
        let params = CallToolRequestParams::new(name.to_string()).with_arguments(arguments);
        let result = self
            .client
            .call_tool(params)
            .await
            .map_err(|error| ClientError::service(&format!("tools/call {name}"), error))?;
        Ok(result.into())
    }

    /// Calls tool `name` with `arguments` as `options` say: progress to a
    /// callback, cancellation by a signal (`notifications/cancelled` to the
    /// server), a timeout. Returns the whole result, every content type
    /// included; one CLIENT span `tools/call {name}`, which ends as
    /// cancelled when the call is (dropping the call's future cancels it
    /// too).
    ///
    /// ```no_run
    /// use mcp_trace_runtime::client::{CallOptions, McpClient};
    ///
    /// # async fn demo(client: McpClient) -> Result<(), mcp_trace_runtime::client::ClientError> {
    /// let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    /// let options = CallOptions::new()
    ///     .on_progress(|p| eprintln!("{}/{:?} {}", p.progress, p.total, p.message.unwrap_or_default()))
    ///     .cancel_on(async move {
    ///         let _ = stopped.await;
    ///     });
    /// let result = client.call_tool_with("long_task", serde_json::Map::new(), options).await;
    /// # drop((result, stop));
    /// # Ok(()) }
    /// ```
    pub async fn call_tool_with(
        &self,
        name: &str,
        arguments: Map<String, Value>,
        options: CallOptions,
    ) -> Result<CallToolResult, ClientError> {
        let what = format!("tools/call {name}");
        let params = CallToolRequestParams::new(name.to_string()).with_arguments(arguments);
        let request = ClientRequest::CallToolRequest(Request::new(params));
        let mut rmcp_options = PeerRequestOptions::no_options();
        rmcp_options.timeout = options.timeout;
        let handle = self
            .client
            .send_cancellable_request(request, rmcp_options)
            .await
            .map_err(|error| ClientError::service(&what, error))?;
        let id = handle.id.clone();
        let _progress = options.on_progress.map(|callback| {
            self.progress
                .register(handle.progress_token.clone(), callback)
        });
        let mut abandoned =
            call::Abandoned::new(rmcp::service::Peer::clone(&self.client), id.clone());
        let response = match options.cancel {
            None => handle.await_response().await,
            Some(signal) => {
                tokio::select! {
                    response = handle.await_response() => response,
                    () = signal => {
                        abandoned.disarm();
                        let notification =
                            call::cancelled(id, "cancelled by the caller", &Context::current());
                        self.client
                            .send_notification(notification)
                            .await
                            .map_err(|error| ClientError::service(&format!("{what}: notifications/cancelled"), error))?;
                        return Err(ClientError::cancelled(&what));
                    }
                }
            }
        };
        abandoned.disarm();
        match response {
            Ok(ServerResult::CallToolResult(result)) => Ok(result),
            Ok(ServerResult::EmptyResult(_)) => Ok(CallToolResult::default()),
            Ok(other) => Err(ClientError::BadResponse {
                operation: what,
                detail: format!("the server answered with something else ({other:?})"),
            }),
            Err(error) => Err(ClientError::service(&what, error)),
        }
    }

    /// The server's tools (every page; a CLIENT span `tools/list` each).
    ///
    /// ```no_run
    /// # async fn demo(client: mcp_trace_runtime::client::McpClient) -> Result<(), mcp_trace_runtime::client::ClientError> {
    /// for tool in client.list_tools().await? {
    ///     println!("{}: {:?}", tool.name, tool.description);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn list_tools(&self) -> Result<Vec<Tool>, ClientError> {
        all_pages!(self.client, list_tools, tools, "tools/list")
    }

    /// The names of the server's tools (every page).
    pub async fn list_tool_names(&self) -> Result<Vec<String>, ClientError> {
        Ok(self
            .list_tools()
            .await?
            .into_iter()
            .map(|tool| tool.name.into_owned())
            .collect())
    }

    /// The server's resources (every page; `resources/list`).
    ///
    /// ```no_run
    /// # async fn demo(client: mcp_trace_runtime::client::McpClient) -> Result<(), mcp_trace_runtime::client::ClientError> {
    /// for resource in client.list_resources().await? {
    ///     let read = client.read_resource(&resource.uri).await?; // resources/read
    ///     println!("{}: {} block(s)", resource.uri, read.contents.len());
    /// }
    /// client.subscribe("test://static").await?; // then on_resource_updated hears of changes
    /// client.unsubscribe("test://static").await?;
    /// # Ok(()) }
    /// ```
    pub async fn list_resources(&self) -> Result<Vec<Resource>, ClientError> {
        all_pages!(self.client, list_resources, resources, "resources/list")
    }

    /// The server's resource templates (every page; `resources/templates/list`).
    ///
    /// ```no_run
    /// # async fn demo(client: mcp_trace_runtime::client::McpClient) -> Result<(), mcp_trace_runtime::client::ClientError> {
    /// for template in client.list_resource_templates().await? {
    ///     println!("{}", template.uri_template);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn list_resource_templates(&self) -> Result<Vec<ResourceTemplate>, ClientError> {
        all_pages!(
            self.client,
            list_resource_templates,
            resource_templates,
            "resources/templates/list"
        )
    }

    /// Reads the resource at `uri` (`resources/read {uri}`).
    pub async fn read_resource(&self, uri: &str) -> Result<ReadResourceResult, ClientError> {
        self.client
            .read_resource(ReadResourceRequestParams::new(uri))
            .await
            .map_err(|error| ClientError::service(&format!("resources/read {uri}"), error))
    }

    /// Asks to be told when the resource at `uri` changes
    /// (`resources/subscribe {uri}`); see
    /// [`McpClientBuilder::on_resource_updated`].
    pub async fn subscribe(&self, uri: &str) -> Result<(), ClientError> {
        self.client
            .subscribe(SubscribeRequestParams::new(uri))
            .await
            .map_err(|error| ClientError::service(&format!("resources/subscribe {uri}"), error))
    }

    /// Ends a subscription (`resources/unsubscribe {uri}`).
    pub async fn unsubscribe(&self, uri: &str) -> Result<(), ClientError> {
        self.client
            .unsubscribe(UnsubscribeRequestParams::new(uri))
            .await
            .map_err(|error| ClientError::service(&format!("resources/unsubscribe {uri}"), error))
    }

    /// The server's prompts (every page; `prompts/list`).
    ///
    /// ```no_run
    /// # async fn demo(client: mcp_trace_runtime::client::McpClient) -> Result<(), mcp_trace_runtime::client::ClientError> {
    /// let prompts = client.list_prompts().await?;
    /// let arguments = serde_json::json!({"city": "Oslo"}).as_object().cloned().unwrap();
    /// let prompt = client.get_prompt(&prompts[0].name, arguments).await?; // prompts/get {name}
    /// println!("{} message(s)", prompt.messages.len());
    /// # Ok(()) }
    /// ```
    pub async fn list_prompts(&self) -> Result<Vec<Prompt>, ClientError> {
        all_pages!(self.client, list_prompts, prompts, "prompts/list")
    }

    /// Prompt `name` with `arguments` (`prompts/get {name}`).
    pub async fn get_prompt(
        &self,
        name: &str,
        arguments: Map<String, Value>,
    ) -> Result<GetPromptResult, ClientError> {
        let mut params = GetPromptRequestParams::new(name);
        if !arguments.is_empty() {
            params = params.with_arguments(arguments);
        }
        self.client
            .get_prompt(params)
            .await
            .map_err(|error| ClientError::service(&format!("prompts/get {name}"), error))
    }

    /// Completions for `argument` of a prompt or resource template
    /// (`completion/complete`).
    ///
    /// ```no_run
    /// use rmcp::model::{ArgumentInfo, Reference};
    /// # async fn demo(client: mcp_trace_runtime::client::McpClient) -> Result<(), mcp_trace_runtime::client::ClientError> {
    /// let result = client
    ///     .complete(Reference::for_prompt("greeting"), ArgumentInfo::new("name", "Pa"))
    ///     .await?;
    /// println!("{:?}", result.completion.values);
    /// # Ok(()) }
    /// ```
    pub async fn complete(
        &self,
        reference: Reference,
        argument: ArgumentInfo,
    ) -> Result<CompleteResult, ClientError> {
        self.client
            .complete(CompleteRequestParams::new(reference, argument))
            .await
            .map_err(|error| ClientError::service("completion/complete", error))
    }

    /// Asks the server to log at `level` and above (`logging/setLevel`); see
    /// [`McpClientBuilder::on_logging_message`].
    ///
    /// ```no_run
    /// # async fn demo(client: mcp_trace_runtime::client::McpClient) -> Result<(), mcp_trace_runtime::client::ClientError> {
    /// client.set_level(rmcp::model::LoggingLevel::Warning).await?;
    /// # Ok(()) }
    /// ```
    pub async fn set_level(&self, level: LoggingLevel) -> Result<(), ClientError> {
        self.client
            .set_level(SetLevelRequestParams::new(level))
            .await
            .map_err(|error| ClientError::service("logging/setLevel", error))
    }

    /// Replaces the roots this client answers `roots/list` with and tells
    /// the server (`notifications/roots/list_changed`).
    ///
    /// ```no_run
    /// # async fn demo(client: mcp_trace_runtime::client::McpClient) -> Result<(), mcp_trace_runtime::client::ClientError> {
    /// client.set_roots(vec![rmcp::model::Root::new("file:///other")]).await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// When the client was built without [`McpClientBuilder::roots`] (it
    /// did not advertise roots), or the notification cannot be sent.
    pub async fn set_roots(&self, roots: Vec<Root>) -> Result<(), ClientError> {
        if !self.client.handler().set_roots(roots) {
            return Err(ClientError::message(
                "set_roots: this client was built without roots (McpClientBuilder::roots)",
            ));
        }
        self.client
            .send_notification(ClientNotification::RootsListChangedNotification(
                RootsListChangedNotification::default(),
            ))
            .await
            .map_err(|error| ClientError::service("notifications/roots/list_changed", error))
    }

    /// Checks the server answers (`ping`).
    pub async fn ping(&self) -> Result<(), ClientError> {
        self.client
            .ping()
            .await
            .map_err(|error| ClientError::service("ping", error))
    }

    /// The traced rmcp client underneath, for everything else.
    pub fn traced(&self) -> &TracedClient<McpClientHandler> {
        &self.client
    }

    /// Ends the session.
    pub async fn close(self) {
        self.client.close().await;
    }
}
