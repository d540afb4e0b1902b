//! The OpenTelemetry MCP semantic conventions: span names, attribute keys,
//! the transport, and the one function that opens a CLIENT or SERVER span.
//!
//! Both directions go through here: [`crate::server`] (SERVER spans for what
//! a server receives, CLIENT spans for what it sends back) and
//! [`crate::client`] (the reverse). Nothing else in the crate starts an MCP
//! span.
//!
//! ```
//! use mcp_trace_runtime::conventions::{Operation, Target, Transport};
//!
//! let call = Operation::new("tools/call", Some(Target::Tool("get_weather".into())), Transport::Tcp);
//! assert_eq!(call.span_name(), "tools/call get_weather");
//! let read = Operation::new("resources/read", Some(Target::Resource("weather://paris".into())), Transport::Pipe);
//! // A URI would make span names high-cardinality: it goes in `mcp.resource.uri` only.
//! assert_eq!(read.span_name(), "resources/read");
//! ```

use std::borrow::Cow;

use opentelemetry::global::BoxedTracer;
use opentelemetry::trace::{Link, SpanContext, SpanKind, Status, TraceContextExt, Tracer};
use opentelemetry::{Context, KeyValue, Value};

/// `mcp.method.name`, e.g. `tools/call`.
pub const MCP_METHOD_NAME: &str = "mcp.method.name";
/// `gen_ai.tool.name`, on `tools/call`.
pub const GEN_AI_TOOL_NAME: &str = "gen_ai.tool.name";
/// `gen_ai.prompt.name`, on `prompts/get`.
pub const GEN_AI_PROMPT_NAME: &str = "gen_ai.prompt.name";
/// `gen_ai.operation.name`, `execute_tool` on `tools/call`.
pub const GEN_AI_OPERATION_NAME: &str = "gen_ai.operation.name";
/// `mcp.resource.uri`, on the resource methods.
pub const MCP_RESOURCE_URI: &str = "mcp.resource.uri";
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

/// Name of the instrumentation scope of every span this crate starts.
pub const INSTRUMENTATION_SCOPE: &str = "mcp-trace";

/// Longest method, tool or prompt name, request id, session id or protocol
/// version an MCP span name, span attribute or metric attribute carries, in
/// bytes: the MCP specification's limit for tool names. These come from the
/// network before any handler has checked them (a `tools/call` for an
/// unknown tool still gets its SERVER span), so a longer one is cut, with
/// the marker of [`crate::settings::truncate`]; resource URIs are cut at
/// [`crate::settings::value_length_limit`].
///
/// ```
/// use mcp_trace_runtime::conventions::{Operation, Target, Transport, NAME_LENGTH_LIMIT};
/// let call = Operation::new("tools/call", Some(Target::Tool("x".repeat(1 << 20))), Transport::Tcp);
/// assert!(call.span_name().len() <= "tools/call ".len() + NAME_LENGTH_LIMIT);
/// ```
pub const NAME_LENGTH_LIMIT: usize = 128;

fn bounded_name(name: &str) -> Cow<'_, str> {
    bounded(name, NAME_LENGTH_LIMIT)
}

fn bounded(value: &str, limit: usize) -> Cow<'_, str> {
    if value.len() <= limit {
        Cow::Borrowed(value)
    } else {
        Cow::Owned(crate::settings::truncate(value.to_string(), limit))
    }
}

/// `name` cut to [`NAME_LENGTH_LIMIT`] as an attribute value; a name known
/// at compile time (a method) is not copied.
#[expect(
    clippy::ptr_arg,
    reason = "a `&'static str` inside is what needs no copy"
)]
fn name_value(name: &Cow<'static, str>) -> Value {
    match name {
        Cow::Borrowed(name) if name.len() <= NAME_LENGTH_LIMIT => Value::from(*name),
        name => Value::from(bounded_name(name).into_owned()),
    }
}

/// The tracer every span of this crate is started with.
///
/// ```
/// use opentelemetry::trace::Tracer;
/// let span = mcp_trace_runtime::conventions::tracer().start("work");
/// # drop(span);
/// ```
pub fn tracer() -> BoxedTracer {
    opentelemetry::global::tracer(INSTRUMENTATION_SCOPE)
}

/// How an MCP message travels, as `network.transport` names it.
///
/// ```
/// use mcp_trace_runtime::conventions::Transport;
/// assert_eq!(Transport::Tcp.as_str(), "tcp");
/// assert_eq!(Transport::Pipe.as_str(), "pipe");
/// ```
///
/// More variants may be added: a `match` on it needs a `_` arm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Transport {
    /// Streamable HTTP (over TCP).
    Tcp,
    /// stdio, or any other byte-stream pair.
    Pipe,
}

impl Transport {
    /// The attribute value.
    pub const fn as_str(self) -> &'static str {
        match self {
            Transport::Tcp => "tcp",
            Transport::Pipe => "pipe",
        }
    }
}

/// What an MCP operation is about, beyond its method.
///
/// More variants may be added: a `match` on it needs a `_` arm.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Target {
    /// The tool of `tools/call`.
    Tool(String),
    /// The prompt of `prompts/get`.
    Prompt(String),
    /// The URI of `resources/read`, `resources/subscribe`, `resources/unsubscribe`
    /// and `notifications/resources/updated`.
    Resource(String),
}

/// One MCP request or notification, as its span and metrics describe it.
///
/// ```
/// use mcp_trace_runtime::conventions::{Operation, Transport};
///
/// let ping = Operation::new("ping", None, Transport::Tcp).with_request_id("7");
/// let keys: Vec<String> = ping.span_attributes().iter().map(|kv| kv.key.to_string()).collect();
/// assert!(keys.contains(&"jsonrpc.request.id".to_string()));
/// ```
///
/// It may gain fields: build one with [`Operation::new`] and the `with_…` methods.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Operation {
    /// `mcp.method.name`.
    pub method: Cow<'static, str>,
    /// Tool, prompt or resource.
    pub target: Option<Target>,
    /// The transport it travels on.
    pub transport: Transport,
    /// `jsonrpc.request.id` (requests only).
    pub request_id: Option<String>,
    /// `mcp.protocol.version`, when known.
    pub protocol_version: Option<String>,
    /// `mcp.session.id`, when there is a session.
    pub session_id: Option<String>,
}

impl Operation {
    /// An operation with no id, version or session yet.
    pub fn new(
        method: impl Into<Cow<'static, str>>,
        target: Option<Target>,
        transport: Transport,
    ) -> Operation {
        Operation {
            method: method.into(),
            target,
            transport,
            request_id: None,
            protocol_version: None,
            session_id: None,
        }
    }

    /// Sets `jsonrpc.request.id`.
    pub fn with_request_id(mut self, id: impl Into<String>) -> Operation {
        self.request_id = Some(id.into());
        self
    }

    /// `{method} {target}` for tools and prompts, the method alone otherwise.
    pub fn span_name(&self) -> String {
        let method = bounded_name(&self.method);
        match &self.target {
            Some(Target::Tool(name) | Target::Prompt(name)) => {
                format!("{method} {}", bounded_name(name))
            }
            _ => method.into_owned(),
        }
    }

    /// The span attributes the conventions list for this operation (peer
    /// addresses are the caller's to add).
    pub fn span_attributes(&self) -> Vec<KeyValue> {
        let mut attributes = self.common_attributes();
        if let Some(id) = &self.request_id {
            attributes.push(KeyValue::new(
                JSONRPC_REQUEST_ID,
                bounded_name(id).into_owned(),
            ));
        }
        if let Some(session) = &self.session_id {
            attributes.push(KeyValue::new(
                MCP_SESSION_ID,
                bounded_name(session).into_owned(),
            ));
        }
        if let Some(Target::Resource(uri)) = &self.target {
            let uri = bounded(uri, crate::settings::value_length_limit());
            attributes.push(KeyValue::new(MCP_RESOURCE_URI, uri.into_owned()));
        }
        attributes
    }

    /// The attributes of an operation-duration measurement: low-cardinality
    /// only (no ids, no URIs), as the metric conventions ask.
    pub fn metric_attributes(&self, outcome: &Outcome) -> Vec<KeyValue> {
        let mut attributes = self.common_attributes();
        if let Some(error) = outcome.error_type() {
            attributes.push(KeyValue::new(ERROR_TYPE, error));
        }
        if let Outcome::RpcError { code, .. } = outcome {
            attributes.push(KeyValue::new(RPC_RESPONSE_STATUS_CODE, code.to_string()));
        }
        attributes
    }

    fn common_attributes(&self) -> Vec<KeyValue> {
        // Room for a SERVER span's attributes with its peer's and a
        // processor's, so the list is allocated once.
        let mut attributes = Vec::with_capacity(16);
        attributes.push(KeyValue::new(MCP_METHOD_NAME, name_value(&self.method)));
        attributes.push(KeyValue::new(NETWORK_TRANSPORT, self.transport.as_str()));
        match &self.target {
            Some(Target::Tool(name)) => {
                attributes.push(KeyValue::new(
                    GEN_AI_TOOL_NAME,
                    bounded_name(name).into_owned(),
                ));
                attributes.push(KeyValue::new(GEN_AI_OPERATION_NAME, "execute_tool"));
            }
            Some(Target::Prompt(name)) => attributes.push(KeyValue::new(
                GEN_AI_PROMPT_NAME,
                bounded_name(name).into_owned(),
            )),
            _ => {}
        }
        if let Some(version) = &self.protocol_version {
            attributes.push(KeyValue::new(
                MCP_PROTOCOL_VERSION,
                bounded_name(version).into_owned(),
            ));
        }
        attributes
    }
}

/// How an MCP operation ended, for its span.
///
/// More variants may be added: a `match` on it needs a `_` arm.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
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
    /// The peer cancelled the request (`notifications/cancelled`) before it
    /// was answered; the handler was stopped.
    Cancelled,
}

impl Outcome {
    /// The `error.type` value, `None` for success.
    ///
    /// ```
    /// use mcp_trace_runtime::conventions::Outcome;
    /// assert_eq!(Outcome::ToolError("no such city".into()).error_type().as_deref(), Some("tool_error"));
    /// assert_eq!(Outcome::RpcError { code: -32602, message: "bad".into() }.error_type().as_deref(), Some("-32602"));
    /// assert_eq!(Outcome::Cancelled.error_type().as_deref(), Some("cancelled"));
    /// assert_eq!(Outcome::Ok.error_type(), None);
    /// ```
    pub fn error_type(&self) -> Option<Cow<'static, str>> {
        match self {
            Outcome::Ok => None,
            Outcome::ToolError(_) => Some(Cow::Borrowed("tool_error")),
            Outcome::RpcError { code, .. } => Some(Cow::Owned(code.to_string())),
            Outcome::Failed(_) => Some(Cow::Borrowed("transport_error")),
            Outcome::Cancelled => Some(Cow::Borrowed("cancelled")),
        }
    }
}

/// Starts the span of `operation` as a child of `parent`, with `links`
/// (other contexts the message carried, or the caller under the `link` trust
/// policy) and `extra` attributes; returns `parent` with the span in it.
pub fn start_span(
    kind: SpanKind,
    operation: &Operation,
    parent: &Context,
    links: Vec<SpanContext>,
    extra: Vec<KeyValue>,
) -> Context {
    let tracer = tracer();
    let mut attributes = operation.span_attributes();
    attributes.extend(extra);
    let mut builder = tracer
        .span_builder(operation.span_name())
        .with_kind(kind)
        .with_attributes(attributes);
    if !links.is_empty() {
        builder = builder.with_links(links.into_iter().map(Link::with_context).collect());
    }
    let span = builder.start_with_context(&tracer, parent);
    crate::propagation::child_context(parent, span)
}

/// Records `outcome` on the span in `cx` and ends it. Its message (a tool's
/// error text, a peer's JSON-RPC error) is cut at
/// [`crate::settings::value_length_limit`].
pub fn end_span(cx: &Context, outcome: &Outcome) {
    let span = cx.span();
    if let Some(error_type) = outcome.error_type() {
        span.set_attribute(KeyValue::new(ERROR_TYPE, error_type));
    }
    match outcome {
        Outcome::Ok => {}
        Outcome::ToolError(message) | Outcome::Failed(message) => {
            span.set_status(Status::error(status_message(message)));
        }
        Outcome::Cancelled => span.set_status(Status::error("cancelled by the peer")),
        Outcome::RpcError { code, message } => {
            span.set_attribute(KeyValue::new(RPC_RESPONSE_STATUS_CODE, code.to_string()));
            span.set_status(Status::error(status_message(message)));
        }
    }
    span.end();
}

fn status_message(message: &str) -> String {
    bounded(message, crate::settings::value_length_limit()).into_owned()
}

/// Whether `native` mode's CLIENT / SERVER spans are on.
pub fn enabled() -> bool {
    crate::settings::mode() == crate::settings::Mode::Native
}
