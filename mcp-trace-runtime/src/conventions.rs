//! The OpenTelemetry MCP semantic conventions: span names, attribute keys,
//! and the CLIENT / SERVER spans of `native` mode, shared by [`crate::client`]
//! and [`crate::server`].
//!
//! One deliberate departure: CLIENT spans do not carry `gen_ai.tool.name`.
//! Langfuse names an observation after `gen_ai.tool.name` and makes it a TOOL,
//! so the client's and the server's span of one call would show as two
//! identical `get_weather` tools. The server span carries it (and the tool's
//! input and output); the client span is named `tools/call get_weather`.

use std::borrow::Cow;

use opentelemetry::trace::{Link, SpanKind, Status, TraceContextExt, Tracer};
use opentelemetry::{Context, KeyValue};

use crate::config::InboundContext;
use crate::observe::INSTRUMENTATION_SCOPE;
use crate::propagation;
use crate::settings;

/// `mcp.method.name`, e.g. `tools/call`.
pub const MCP_METHOD_NAME: &str = "mcp.method.name";
/// `gen_ai.tool.name`, on `tools/call`.
pub const GEN_AI_TOOL_NAME: &str = "gen_ai.tool.name";
/// `gen_ai.operation.name`, `execute_tool` on `tools/call`.
pub const GEN_AI_OPERATION_NAME: &str = "gen_ai.operation.name";
/// `jsonrpc.request.id`.
pub const JSONRPC_REQUEST_ID: &str = "jsonrpc.request.id";
/// `mcp.session.id`.
pub const MCP_SESSION_ID: &str = "mcp.session.id";
/// `mcp.protocol.version`.
pub const MCP_PROTOCOL_VERSION: &str = "mcp.protocol.version";
/// `network.transport`: `tcp` for HTTP, `pipe` for stdio.
pub const NETWORK_TRANSPORT: &str = "network.transport";
/// `server.address`.
pub const SERVER_ADDRESS: &str = "server.address";
/// `server.port`.
pub const SERVER_PORT: &str = "server.port";
/// `client.address`.
pub const CLIENT_ADDRESS: &str = "client.address";
/// `error.type`: `tool_error` for a result with `isError`, else the JSON-RPC code.
pub const ERROR_TYPE: &str = "error.type";
/// `rpc.response.status_code`: the JSON-RPC error code.
pub const RPC_RESPONSE_STATUS_CODE: &str = "rpc.response.status_code";

/// `{method} {target}`, or the method alone.
///
/// ```
/// use mcp_trace_runtime::conventions::span_name;
/// assert_eq!(span_name("tools/call", Some("get_weather")), "tools/call get_weather");
/// assert_eq!(span_name("tools/list", None), "tools/list");
/// ```
pub fn span_name(method: &str, target: Option<&str>) -> String {
    match target {
        Some(target) => format!("{method} {target}"),
        None => method.to_string(),
    }
}

/// How an MCP operation ended, for its span.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A result (for `tools/call`, one without `isError`).
    Ok,
    /// A `tools/call` result with `isError`, and its text.
    ToolError(String),
    /// A JSON-RPC error response.
    RpcError {
        /// The JSON-RPC error code.
        code: i32,
        /// Its message.
        message: String,
    },
    /// No response: the transport or the session failed.
    Failed(String),
}

/// Starts the SERVER span of a request whose caller sent `caller` (already
/// extracted from `_meta`, else headers). With the `link` trust policy the
/// span starts a new trace linked to the caller instead of joining it.
pub fn start_server_span(
    method: &str,
    target: Option<&str>,
    caller: Context,
    attributes: Vec<KeyValue>,
) -> Context {
    let tracer = opentelemetry::global::tracer(INSTRUMENTATION_SCOPE);
    let mut builder = tracer
        .span_builder(Cow::Owned(span_name(method, target)))
        .with_kind(SpanKind::Server)
        .with_attributes(attributes);
    let parent = match settings::inbound_context() {
        InboundContext::Parent => caller,
        InboundContext::Link => {
            if propagation::has_remote_parent(&caller) {
                let remote = caller.span().span_context().clone();
                builder = builder.with_links(vec![Link::with_context(remote)]);
            }
            // Neither the caller's trace nor its baggage is taken over.
            Context::new()
        }
    };
    let span = builder.start_with_context(&tracer, &parent);
    parent.with_span(span)
}

/// Starts the CLIENT span of a request sent from the current context.
pub fn start_client_span(method: &str, target: Option<&str>, attributes: Vec<KeyValue>) -> Context {
    let tracer = opentelemetry::global::tracer(INSTRUMENTATION_SCOPE);
    let parent = Context::current();
    let span = tracer
        .span_builder(Cow::Owned(span_name(method, target)))
        .with_kind(SpanKind::Client)
        .with_attributes(attributes)
        .start_with_context(&tracer, &parent);
    parent.with_span(span)
}

/// Records `outcome` on the span in `cx` and ends it.
pub fn end_span(cx: &Context, outcome: &Outcome) {
    let span = cx.span();
    match outcome {
        Outcome::Ok => {}
        Outcome::ToolError(message) => {
            span.set_attribute(KeyValue::new(ERROR_TYPE, "tool_error"));
            span.set_status(Status::error(message.clone()));
        }
        Outcome::RpcError { code, message } => {
            span.set_attributes([
                KeyValue::new(ERROR_TYPE, code.to_string()),
                KeyValue::new(RPC_RESPONSE_STATUS_CODE, code.to_string()),
            ]);
            span.set_status(Status::error(message.clone()));
        }
        Outcome::Failed(message) => {
            span.set_attribute(KeyValue::new(ERROR_TYPE, "transport_error"));
            span.set_status(Status::error(message.clone()));
        }
    }
    span.end();
}

/// The attributes of an operation-duration measurement: low-cardinality
/// only (no ids), as the metric conventions ask.
pub fn metric_attributes(
    method: &str,
    target: Option<&str>,
    outcome: &Outcome,
    transport: &'static str,
) -> Vec<KeyValue> {
    let mut attributes = vec![
        KeyValue::new(MCP_METHOD_NAME, method.to_string()),
        KeyValue::new(NETWORK_TRANSPORT, transport),
    ];
    if let ("tools/call", Some(tool)) = (method, target) {
        attributes.push(KeyValue::new(GEN_AI_TOOL_NAME, tool.to_string()));
    }
    match outcome {
        Outcome::Ok => {}
        Outcome::ToolError(_) => attributes.push(KeyValue::new(ERROR_TYPE, "tool_error")),
        Outcome::RpcError { code, .. } => {
            attributes.push(KeyValue::new(ERROR_TYPE, code.to_string()))
        }
        Outcome::Failed(_) => attributes.push(KeyValue::new(ERROR_TYPE, "transport_error")),
    }
    attributes
}

/// Whether `native` mode's CLIENT / SERVER spans are on.
pub fn enabled() -> bool {
    settings::mode() == settings::Mode::Native
}
