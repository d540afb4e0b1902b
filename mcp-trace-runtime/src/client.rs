//! A traced MCP client on rmcp: every request carries the caller's trace
//! context in its `params._meta` (SEP-414, works on every transport) and, on
//! Streamable HTTP, in the headers of the one POST that carries it.
//!
//! rmcp fixes custom headers per transport and sends from a worker task, so
//! the per-request headers are copied from the message itself by
//! [`TraceHeaders`], a wrapper around the HTTP client.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use futures_core::stream::BoxStream;
use http::{HeaderName, HeaderValue};
use opentelemetry::{Context, KeyValue};
use rmcp::model::{
    CallToolRequestParams, ClientJsonRpcMessage, ClientRequest, GetMeta, PaginatedRequestParams,
    RequestMetaObject,
};
use rmcp::service::RunningService;
use rmcp::transport::streamable_http_client::{
    StreamableHttpClient, StreamableHttpClientTransportConfig, StreamableHttpError,
    StreamableHttpPostResponse,
};
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::{RoleClient, ServiceExt};
use serde_json::{Map, Value};

use crate::conventions::{self as mcp, Outcome};
use crate::metrics;
use crate::propagation::{self, META_KEYS};

/// Why a client call failed (transport, protocol or server error); the
/// message says which, in words a user can act on.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ClientError(String);

impl ClientError {
    /// An error with this message.
    pub fn message(message: impl Into<String>) -> ClientError {
        ClientError(message.into())
    }

    fn new(context: &str, error: impl fmt::Display) -> ClientError {
        ClientError(format!("{context}: {error}"))
    }
}

/// The result of `tools/call`.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolResponse {
    /// The text content blocks, joined.
    pub text: String,
    /// `structuredContent`, when the tool returned one.
    pub structured: Option<Value>,
    /// `isError`: the tool ran and reported a failure.
    pub is_error: bool,
}

/// An MCP client session whose requests carry the current trace context.
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
    service: RunningService<RoleClient, ()>,
    /// `network.transport`, `server.address`, `server.port` of every CLIENT span.
    peer: Vec<KeyValue>,
}

impl fmt::Debug for McpClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("McpClient").finish_non_exhaustive()
    }
}

impl McpClient {
    /// Opens a session over Streamable HTTP at `url`.
    pub async fn connect_http(url: &str) -> Result<McpClient, ClientError> {
        let peer = http_peer(url);
        let initialize = ClientSpan::start("initialize", None, &peer);
        // `initialize` is sent by rmcp itself, so its context cannot go in
        // `_meta`; its POST carries it in headers instead.
        let mut initialize_headers = HashMap::new();
        inject_into_header_map(&initialize.context(), &mut initialize_headers);
        let client = TraceHeaders::new(reqwest::Client::new());
        *client
            .fallback
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = initialize_headers;
        let transport = StreamableHttpClientTransport::with_client(
            client.clone(),
            StreamableHttpClientTransportConfig::with_uri(url),
        );
        let served = ().serve(transport).await;
        client
            .fallback
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clear();
        let service = initialize.finish(served.map_err(|error| {
            ClientError::new(&format!("cannot open an MCP session at {url}"), error)
        }))?;
        Ok(McpClient { service, peer })
    }

    /// Starts `command` and talks MCP to it over its stdin/stdout; context
    /// travels in `_meta` only.
    pub async fn connect_stdio(command: tokio::process::Command) -> Result<McpClient, ClientError> {
        let program = format!("{:?}", command.as_std().get_program());
        let peer = vec![KeyValue::new(mcp::NETWORK_TRANSPORT, "pipe")];
        let initialize = ClientSpan::start("initialize", None, &peer);
        let transport = rmcp::transport::TokioChildProcess::new(command)
            .map_err(|error| ClientError::new(&format!("cannot start {program}"), error))?;
        let served = ().serve(transport).await.map_err(|error| {
            ClientError::new(&format!("cannot open an MCP session with {program}"), error)
        });
        let service = initialize.finish(served)?;
        Ok(McpClient { service, peer })
    }

    /// Talks MCP over any byte stream pair (a pipe, a socket, an in-memory
    /// duplex); like stdio, context travels in `_meta` only.
    pub async fn connect_io<R, W>(reader: R, writer: W) -> Result<McpClient, ClientError>
    where
        R: tokio::io::AsyncRead + Unpin + Send + 'static,
        W: tokio::io::AsyncWrite + Unpin + Send + 'static,
    {
        let peer = vec![KeyValue::new(mcp::NETWORK_TRANSPORT, "pipe")];
        let initialize = ClientSpan::start("initialize", None, &peer);
        let served = ()
            .serve((reader, writer))
            .await
            .map_err(|error| ClientError::new("cannot open an MCP session", error));
        let service = initialize.finish(served)?;
        Ok(McpClient { service, peer })
    }

    /// Calls tool `name` with `arguments`, in the current trace context
    /// (inside a CLIENT span `tools/call {name}` in `native` mode).
    pub async fn call_tool(
        &self,
        name: &str,
        arguments: Map<String, Value>,
    ) -> Result<ToolResponse, ClientError> {
        let span = ClientSpan::start("tools/call", Some(name), &self.peer);
        let mut params = CallToolRequestParams::new(name.to_string()).with_arguments(arguments);
        params.meta = context_meta(&span.context());
        let result = self.service.call_tool(params).await;
        let response = result.map(|result| ToolResponse {
            text: result
                .content
                .iter()
                .filter_map(|block| block.as_text().map(|text| text.text.as_str()))
                .collect::<Vec<_>>()
                .join("\n"),
            structured: result.structured_content,
            is_error: result.is_error.unwrap_or(false),
        });
        span.finish_call(response, name)
    }

    /// The names of the server's tools (every page).
    pub async fn list_tool_names(&self) -> Result<Vec<String>, ClientError> {
        let span = ClientSpan::start("tools/list", None, &self.peer);
        let meta = context_meta(&span.context());
        let mut names = Vec::new();
        let mut cursor = None;
        let listed = loop {
            let mut params = PaginatedRequestParams::default();
            params.meta = meta.clone();
            params.cursor = cursor;
            match self.service.list_tools(Some(params)).await {
                Ok(page) => {
                    names.extend(page.tools.into_iter().map(|tool| tool.name.into_owned()));
                    match page.next_cursor {
                        Some(next) => cursor = Some(next),
                        None => break Ok(names),
                    }
                }
                Err(error) => break Err(error),
            }
        };
        span.finish(listed.map_err(|error| (error, "tools/list failed")))
    }

    /// Checks the server answers (`ping`).
    pub async fn ping(&self) -> Result<(), ClientError> {
        let span = ClientSpan::start("ping", None, &self.peer);
        let mut request = ClientRequest::PingRequest(Default::default());
        if let Some(meta) = context_meta(&span.context()) {
            request.get_meta_mut().0 .0.extend(meta.0 .0);
        }
        let answered = self.service.send_request(request).await;
        span.finish(answered.map(|_| ()).map_err(|error| (error, "ping failed")))
    }

    /// Ends the session.
    pub async fn close(self) {
        let _ = self.service.cancel().await;
    }
}

/// A CLIENT span around one request in `native` mode (the current context
/// otherwise), and its duration measurement when metrics are on.
struct ClientSpan {
    span: Option<Context>,
    method: &'static str,
    target: Option<String>,
    transport: &'static str,
    started: Instant,
}

impl ClientSpan {
    fn start(method: &'static str, target: Option<&str>, peer: &[KeyValue]) -> ClientSpan {
        let transport = if peer.iter().any(|kv| kv.value.as_str() == "pipe") {
            "pipe"
        } else {
            "tcp"
        };
        let span = mcp::enabled().then(|| {
            let mut attributes = vec![KeyValue::new(mcp::MCP_METHOD_NAME, method.to_string())];
            if method == "tools/call" {
                attributes.push(KeyValue::new(mcp::GEN_AI_OPERATION_NAME, "execute_tool"));
            }
            attributes.extend_from_slice(peer);
            mcp::start_client_span(method, target, attributes)
        });
        ClientSpan {
            span,
            method,
            target: target.map(str::to_string),
            transport,
            started: Instant::now(),
        }
    }

    /// The context the request carries.
    fn context(&self) -> Context {
        self.span.clone().unwrap_or_else(Context::current)
    }

    fn end(&self, outcome: Outcome) {
        if let Some(cx) = &self.span {
            mcp::end_span(cx, &outcome);
        }
        if metrics::enabled() {
            let attributes = mcp::metric_attributes(
                self.method,
                self.target.as_deref(),
                &outcome,
                self.transport,
            );
            metrics::record_client_operation(self.started.elapsed(), &attributes);
        }
    }

    fn finish<T>(self, result: Result<T, impl ErrorOutcome>) -> Result<T, ClientError> {
        match result {
            Ok(value) => {
                self.end(Outcome::Ok);
                Ok(value)
            }
            Err(error) => {
                let (outcome, error) = error.split();
                self.end(outcome);
                Err(error)
            }
        }
    }

    fn finish_call(
        self,
        result: Result<ToolResponse, rmcp::ServiceError>,
        name: &str,
    ) -> Result<ToolResponse, ClientError> {
        match result {
            Ok(response) if response.is_error => {
                self.end(Outcome::ToolError(response.text.clone()));
                Ok(response)
            }
            result => {
                let context = format!("tools/call {name} failed");
                self.finish(result.map_err(|error| (error, context)))
            }
        }
    }
}

/// An error with what its CLIENT span should record.
trait ErrorOutcome {
    fn split(self) -> (Outcome, ClientError);
}

impl<C: AsRef<str>> ErrorOutcome for (rmcp::ServiceError, C) {
    fn split(self) -> (Outcome, ClientError) {
        let (error, context) = self;
        let outcome = match &error {
            rmcp::ServiceError::McpError(data) => Outcome::RpcError {
                code: data.code.0,
                message: data.message.to_string(),
            },
            other => Outcome::Failed(other.to_string()),
        };
        (outcome, ClientError::new(context.as_ref(), error))
    }
}

impl ErrorOutcome for ClientError {
    fn split(self) -> (Outcome, ClientError) {
        (Outcome::Failed(self.0.clone()), self)
    }
}

/// `network.transport`, `server.address` and `server.port` of an HTTP endpoint.
fn http_peer(url: &str) -> Vec<KeyValue> {
    let mut peer = vec![KeyValue::new(mcp::NETWORK_TRANSPORT, "tcp")];
    if let Ok(uri) = url.parse::<http::Uri>() {
        if let Some(host) = uri.host() {
            peer.push(KeyValue::new(mcp::SERVER_ADDRESS, host.to_string()));
        }
        let port = uri.port_u16().or(match uri.scheme_str() {
            Some("https") => Some(443),
            Some("http") => Some(80),
            _ => None,
        });
        if let Some(port) = port {
            peer.push(KeyValue::new(mcp::SERVER_PORT, i64::from(port)));
        }
    }
    peer
}

/// `_meta` carrying `cx`, or `None` when there is nothing to carry.
fn context_meta(cx: &Context) -> Option<RequestMetaObject> {
    let mut meta = Map::new();
    propagation::inject_into_meta(cx, &mut meta);
    (!meta.is_empty()).then_some(RequestMetaObject(rmcp::model::MetaObject(meta)))
}

fn inject_into_header_map(cx: &Context, headers: &mut HashMap<HeaderName, HeaderValue>) {
    let mut map = http::HeaderMap::new();
    propagation::inject_into_headers(cx, &mut map);
    for (name, value) in &map {
        headers.insert(name.clone(), value.clone());
    }
}

/// A Streamable HTTP client that sends each request's `_meta` trace keys
/// (`traceparent`, `tracestate`, `baggage`) as HTTP headers of its POST too,
/// so servers that read headers (like the seed's) and servers that read
/// `_meta` both find the caller's context. Requests without trace keys in
/// `_meta` (rmcp's own `initialize`) carry the `fallback` headers.
#[derive(Debug, Clone)]
pub struct TraceHeaders<C> {
    inner: C,
    fallback: Arc<Mutex<HashMap<HeaderName, HeaderValue>>>,
}

impl<C> TraceHeaders<C> {
    /// Wraps `inner`.
    pub fn new(inner: C) -> TraceHeaders<C> {
        TraceHeaders {
            inner,
            fallback: Arc::default(),
        }
    }

    fn with_trace_headers(
        &self,
        message: &ClientJsonRpcMessage,
        mut headers: HashMap<HeaderName, HeaderValue>,
    ) -> HashMap<HeaderName, HeaderValue> {
        let ClientJsonRpcMessage::Request(_) = message else {
            return headers;
        };
        let json = serde_json::to_value(message).unwrap_or_default();
        let meta = json.pointer("/params/_meta").and_then(Value::as_object);
        let mut found = false;
        for key in META_KEYS {
            let value = meta.and_then(|meta| meta.get(key)).and_then(Value::as_str);
            if let Some(value) = value.and_then(|value| HeaderValue::from_str(value).ok()) {
                headers.insert(HeaderName::from_static(key), value);
                found = true;
            }
        }
        if !found {
            let fallback = self
                .fallback
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            headers.extend(fallback.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
        headers
    }
}

impl<C> StreamableHttpClient for TraceHeaders<C>
where
    C: StreamableHttpClient + Sync,
{
    type Error = C::Error;

    fn post_message(
        &self,
        uri: Arc<str>,
        message: ClientJsonRpcMessage,
        session_id: Option<Arc<str>>,
        auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
    ) -> impl Future<Output = Result<StreamableHttpPostResponse, StreamableHttpError<Self::Error>>>
           + Send
           + '_ {
        let headers = self.with_trace_headers(&message, custom_headers);
        self.inner
            .post_message(uri, message, session_id, auth_header, headers)
    }

    fn post_message_with_max_sse_event_size(
        &self,
        uri: Arc<str>,
        message: ClientJsonRpcMessage,
        session_id: Option<Arc<str>>,
        auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
        max_sse_event_size: usize,
    ) -> impl Future<Output = Result<StreamableHttpPostResponse, StreamableHttpError<Self::Error>>>
           + Send
           + '_ {
        let headers = self.with_trace_headers(&message, custom_headers);
        self.inner.post_message_with_max_sse_event_size(
            uri,
            message,
            session_id,
            auth_header,
            headers,
            max_sse_event_size,
        )
    }

    fn delete_session(
        &self,
        uri: Arc<str>,
        session_id: Arc<str>,
        auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
    ) -> impl Future<Output = Result<(), StreamableHttpError<Self::Error>>> + Send + '_ {
        self.inner
            .delete_session(uri, session_id, auth_header, custom_headers)
    }

    fn get_stream(
        &self,
        uri: Arc<str>,
        session_id: Option<Arc<str>>,
        last_event_id: Option<String>,
        auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
    ) -> impl Future<
        Output = Result<
            BoxStream<'static, Result<sse_stream::Sse, sse_stream::Error>>,
            StreamableHttpError<Self::Error>,
        >,
    > + Send
           + '_ {
        self.inner
            .get_stream(uri, session_id, last_event_id, auth_header, custom_headers)
    }
}
