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
use std::sync::Arc;

use futures_core::stream::BoxStream;
use http::{HeaderName, HeaderValue};
use opentelemetry::Context;
use rmcp::model::{CallToolRequestParams, ClientJsonRpcMessage, RequestMetaObject};
use rmcp::service::RunningService;
use rmcp::transport::streamable_http_client::{
    StreamableHttpClient, StreamableHttpClientTransportConfig, StreamableHttpError,
    StreamableHttpPostResponse,
};
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::{RoleClient, ServiceExt};
use serde_json::{Map, Value};

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
}

impl fmt::Debug for McpClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("McpClient").finish_non_exhaustive()
    }
}

impl McpClient {
    /// Opens a session over Streamable HTTP at `url`.
    pub async fn connect_http(url: &str) -> Result<McpClient, ClientError> {
        let transport = StreamableHttpClientTransport::with_client(
            TraceHeaders(reqwest::Client::new()),
            StreamableHttpClientTransportConfig::with_uri(url),
        );
        let service = ().serve(transport).await.map_err(|error| {
            ClientError::new(&format!("cannot open an MCP session at {url}"), error)
        })?;
        Ok(McpClient { service })
    }

    /// Starts `command` and talks MCP to it over its stdin/stdout; context
    /// travels in `_meta` only.
    pub async fn connect_stdio(command: tokio::process::Command) -> Result<McpClient, ClientError> {
        let program = format!("{:?}", command.as_std().get_program());
        let transport = rmcp::transport::TokioChildProcess::new(command)
            .map_err(|error| ClientError::new(&format!("cannot start {program}"), error))?;
        let service = ().serve(transport).await.map_err(|error| {
            ClientError::new(&format!("cannot open an MCP session with {program}"), error)
        })?;
        Ok(McpClient { service })
    }

    /// Calls tool `name` with `arguments`, in the current trace context.
    pub async fn call_tool(
        &self,
        name: &str,
        arguments: Map<String, Value>,
    ) -> Result<ToolResponse, ClientError> {
        let mut params = CallToolRequestParams::new(name.to_string()).with_arguments(arguments);
        let mut meta = Map::new();
        propagation::inject_into_meta(&Context::current(), &mut meta);
        if !meta.is_empty() {
            params.meta = Some(RequestMetaObject(rmcp::model::MetaObject(meta)));
        }
        let result = self
            .service
            .call_tool(params)
            .await
            .map_err(|error| ClientError::new(&format!("tools/call {name} failed"), error))?;
        let text = result
            .content
            .iter()
            .filter_map(|block| block.as_text().map(|text| text.text.as_str()))
            .collect::<Vec<_>>()
            .join("\n");
        Ok(ToolResponse {
            text,
            structured: result.structured_content,
            is_error: result.is_error.unwrap_or(false),
        })
    }

    /// The names of the server's tools.
    pub async fn list_tool_names(&self) -> Result<Vec<String>, ClientError> {
        let tools = self
            .service
            .list_all_tools()
            .await
            .map_err(|error| ClientError::new("tools/list failed", error))?;
        Ok(tools
            .into_iter()
            .map(|tool| tool.name.into_owned())
            .collect())
    }

    /// Ends the session.
    pub async fn close(self) {
        let _ = self.service.cancel().await;
    }
}

/// A Streamable HTTP client that sends each request's `_meta` trace keys
/// (`traceparent`, `tracestate`, `baggage`) as HTTP headers of its POST too,
/// so servers that read headers (like the seed's) and servers that read
/// `_meta` both find the caller's context.
#[derive(Debug, Clone)]
pub struct TraceHeaders<C>(pub C);

fn with_trace_headers(
    message: &ClientJsonRpcMessage,
    mut headers: HashMap<HeaderName, HeaderValue>,
) -> HashMap<HeaderName, HeaderValue> {
    let ClientJsonRpcMessage::Request(_) = message else {
        return headers;
    };
    let Ok(json) = serde_json::to_value(message) else {
        return headers;
    };
    let Some(meta) = json.pointer("/params/_meta").and_then(Value::as_object) else {
        return headers;
    };
    for key in META_KEYS {
        let value = meta.get(key).and_then(Value::as_str);
        if let Some(value) = value.and_then(|value| HeaderValue::from_str(value).ok()) {
            headers.insert(HeaderName::from_static(key), value);
        }
    }
    headers
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
        let headers = with_trace_headers(&message, custom_headers);
        self.0
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
        let headers = with_trace_headers(&message, custom_headers);
        self.0.post_message_with_max_sse_event_size(
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
        self.0
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
        self.0
            .get_stream(uri, session_id, last_event_id, auth_header, custom_headers)
    }
}
