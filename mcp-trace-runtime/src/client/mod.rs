//! MCP clients, traced: the layer over any rmcp client ([`serve_traced`],
//! [`TracedClient`], [`TracedTransport`], [`TracedClientHandler`]) and
//! [`McpClient`], a small client for tools built on it.
//!
//! Every request carries the caller's trace context in its `params._meta`
//! (SEP-414, works on every transport) and, on Streamable HTTP, in the
//! headers of the one POST that carries it ([`TraceHeaders`]).

use std::fmt;

use rmcp::model::CallToolRequestParams;
use rmcp::service::ClientInitializeError;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::ClientHandler;
use serde_json::{Map, Value};

mod headers;
mod traced;

pub use headers::TraceHeaders;
pub use traced::{serve_traced, ClientPeer, TracedClient, TracedClientHandler, TracedTransport};

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
    let transport = StreamableHttpClientTransport::with_client(
        TraceHeaders::new(reqwest::Client::new()),
        StreamableHttpClientTransportConfig::with_uri(url),
    );
    serve_traced(handler, transport, ClientPeer::http(url)).await
}

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

/// An MCP client session for calling tools, traced through [`TracedClient`]:
/// every request is a CLIENT span (`native` mode) under the current context.
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
    client: TracedClient<()>,
}

impl fmt::Debug for McpClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("McpClient").finish_non_exhaustive()
    }
}

impl McpClient {
    /// Opens a session over Streamable HTTP at `url`.
    pub async fn connect_http(url: &str) -> Result<McpClient, ClientError> {
        let client = connect_http((), url).await.map_err(|error| {
            ClientError::new(&format!("cannot open an MCP session at {url}"), error)
        })?;
        Ok(McpClient { client })
    }

    /// Starts `command` and talks MCP to it over its stdin/stdout; context
    /// travels in `_meta` only.
    pub async fn connect_stdio(command: tokio::process::Command) -> Result<McpClient, ClientError> {
        let program = format!("{:?}", command.as_std().get_program());
        let transport = rmcp::transport::TokioChildProcess::new(command)
            .map_err(|error| ClientError::new(&format!("cannot start {program}"), error))?;
        let client = serve_traced((), transport, ClientPeer::pipe())
            .await
            .map_err(|error| {
                ClientError::new(&format!("cannot open an MCP session with {program}"), error)
            })?;
        Ok(McpClient { client })
    }

    /// Talks MCP over any byte stream pair (a pipe, a socket, an in-memory
    /// duplex); like stdio, context travels in `_meta` only.
    pub async fn connect_io<R, W>(reader: R, writer: W) -> Result<McpClient, ClientError>
    where
        R: tokio::io::AsyncRead + Unpin + Send + 'static,
        W: tokio::io::AsyncWrite + Unpin + Send + 'static,
    {
        let client = serve_traced((), (reader, writer), ClientPeer::pipe())
            .await
            .map_err(|error| ClientError::new("cannot open an MCP session", error))?;
        Ok(McpClient { client })
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
            .map_err(|error| ClientError::new(&format!("tools/call {name} failed"), error))?;
        Ok(ToolResponse {
            text: result
                .content
                .iter()
                .filter_map(|block| block.as_text().map(|text| text.text.as_str()))
                .collect::<Vec<_>>()
                .join("\n"),
            structured: result.structured_content,
            is_error: result.is_error.unwrap_or(false),
        })
    }

    /// The names of the server's tools (every page).
    pub async fn list_tool_names(&self) -> Result<Vec<String>, ClientError> {
        let tools = self
            .client
            .list_all_tools()
            .await
            .map_err(|error| ClientError::new("tools/list failed", error))?;
        Ok(tools
            .into_iter()
            .map(|tool| tool.name.into_owned())
            .collect())
    }

    /// Checks the server answers (`ping`).
    pub async fn ping(&self) -> Result<(), ClientError> {
        self.client
            .ping()
            .await
            .map_err(|error| ClientError::new("ping failed", error))
    }

    /// The traced rmcp client underneath, for everything else.
    pub fn traced(&self) -> &TracedClient<()> {
        &self.client
    }

    /// Ends the session.
    pub async fn close(self) {
        self.client.close().await;
    }
}
