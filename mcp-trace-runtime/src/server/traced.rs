//! `native` mode on the server: a SERVER span for every request the
//! [`super::McpServer`] handles, named and attributed per the MCP conventions, its
//! parent taken from the request's `_meta`, else its HTTP headers.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use opentelemetry::context::FutureExt as _;
use opentelemetry::{Context, KeyValue};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer};

use crate::conventions::{self as mcp, Outcome};
use crate::metrics;
use crate::propagation;

/// The peer address of an HTTP connection, put in each request's extensions
/// by the HTTP server so the SERVER span can record `client.address`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ClientAddress(pub SocketAddr);

/// Marks a server span as already carrying an observation, so only the
/// tool's own `#[with_otel_headers] #[observe]` enriches it.
#[derive(Debug, Default)]
pub struct ObservationClaim(AtomicBool);

impl ObservationClaim {
    /// True for the first caller only.
    pub fn claim(&self) -> bool {
        !self.0.swap(true, Ordering::Relaxed)
    }
}

/// Runs one request's handling inside its SERVER span (`native` mode; `handle`
/// gets the span's context to hand on to the tool) and measures its duration
/// (when metrics are on).
pub(crate) async fn traced<T, F>(
    method: &str,
    target: Option<&str>,
    context: &RequestContext<RoleServer>,
    handle: impl FnOnce(Option<Context>) -> F,
) -> Result<T, ErrorData>
where
    T: TracedResult,
    F: Future<Output = Result<T, ErrorData>>,
{
    let started = Instant::now();
    let span = mcp::enabled().then(|| {
        mcp::start_server_span(
            method,
            target,
            caller_context(context),
            attributes(method, target, context),
        )
        .with_value(Arc::new(ObservationClaim::default()))
    });
    let result = match &span {
        Some(cx) => handle(Some(cx.clone())).with_context(cx.clone()).await,
        None => handle(None).await,
    };
    let outcome = match &result {
        Ok(value) => value.outcome(),
        Err(error) => Outcome::RpcError {
            code: error.code.0,
            message: error.message.to_string(),
        },
    };
    if let Some(cx) = &span {
        mcp::end_span(cx, &outcome);
    }
    if metrics::enabled() {
        let transport = if context.extensions.get::<http::request::Parts>().is_some() {
            "tcp"
        } else {
            "pipe"
        };
        metrics::record_server_operation(
            started.elapsed(),
            &mcp::metric_attributes(method, target, &outcome, transport),
        );
    }
    result
}

/// How a successful response maps to an [`Outcome`].
pub(crate) trait TracedResult {
    fn outcome(&self) -> Outcome {
        Outcome::Ok
    }
}

impl TracedResult for () {}
impl TracedResult for rmcp::model::InitializeResult {}
impl TracedResult for rmcp::model::ListToolsResult {}

impl TracedResult for rmcp::model::CallToolResponse {
    fn outcome(&self) -> Outcome {
        match self {
            rmcp::model::CallToolResponse::Complete(call) if call.is_error == Some(true) => {
                Outcome::ToolError(
                    call.content
                        .iter()
                        .filter_map(|block| block.as_text().map(|text| text.text.clone()))
                        .collect::<Vec<_>>()
                        .join("\n"),
                )
            }
            _ => Outcome::Ok,
        }
    }
}

/// The caller's context: `_meta` first (the MCP convention), else HTTP headers.
fn caller_context(context: &RequestContext<RoleServer>) -> Context {
    let meta = &context.meta.0 .0;
    let from_meta = propagation::extract_from_meta(meta);
    if propagation::has_remote_parent(&from_meta) {
        return from_meta;
    }
    match context.extensions.get::<http::request::Parts>() {
        Some(parts) => propagation::extract_from_headers(&parts.headers),
        None => from_meta,
    }
}

fn attributes(
    method: &str,
    target: Option<&str>,
    context: &RequestContext<RoleServer>,
) -> Vec<KeyValue> {
    let mut attributes = vec![
        KeyValue::new(mcp::MCP_METHOD_NAME, method.to_string()),
        KeyValue::new(mcp::JSONRPC_REQUEST_ID, context.id.to_string()),
    ];
    if let ("tools/call", Some(tool)) = (method, target) {
        attributes.push(KeyValue::new(mcp::GEN_AI_TOOL_NAME, tool.to_string()));
        attributes.push(KeyValue::new(mcp::GEN_AI_OPERATION_NAME, "execute_tool"));
    }
    // During `initialize` this is the version the client asked for (rmcp
    // stores the peer's info before answering).
    let version = context
        .peer
        .peer_info()
        .map(|info| info.protocol_version.to_string());
    let parts = context.extensions.get::<http::request::Parts>();
    let header = |name: &str| {
        parts
            .and_then(|parts| parts.headers.get(name))
            .and_then(|value| value.to_str().ok())
            .map(str::to_string)
    };
    if let Some(version) = header("mcp-protocol-version").or(version) {
        attributes.push(KeyValue::new(mcp::MCP_PROTOCOL_VERSION, version));
    }
    let Some(parts) = parts else {
        attributes.push(KeyValue::new(mcp::NETWORK_TRANSPORT, "pipe"));
        return attributes;
    };
    attributes.push(KeyValue::new(mcp::NETWORK_TRANSPORT, "tcp"));
    if let Some(session) = header(crate::scope::MCP_SESSION_ID_HEADER) {
        attributes.push(KeyValue::new(mcp::MCP_SESSION_ID, session));
    }
    if let Some(authority) =
        header("host").and_then(|host| host.parse::<http::uri::Authority>().ok())
    {
        attributes.push(KeyValue::new(
            mcp::SERVER_ADDRESS,
            authority.host().to_string(),
        ));
        if let Some(port) = authority.port_u16() {
            attributes.push(KeyValue::new(mcp::SERVER_PORT, i64::from(port)));
        }
    }
    if let Some(ClientAddress(peer)) = parts.extensions.get::<ClientAddress>() {
        attributes.push(KeyValue::new(mcp::CLIENT_ADDRESS, peer.ip().to_string()));
    }
    attributes
}
