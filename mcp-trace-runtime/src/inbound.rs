//! Handling one MCP message this process received — a request or a
//! notification, on a server or (for what a server sends back) on a client:
//! its SERVER span (`native` mode), its request scope, its duration.
//!
//! [`crate::server::TracedServer`] and [`crate::client::TracedClientHandler`]
//! both wrap every handler method in an [`Inbound`], so there is one way a
//! received message is traced, whichever side receives it.

use std::borrow::Cow;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use http::request::Parts;
use opentelemetry::context::FutureExt as _;
use opentelemetry::trace::SpanKind;
use opentelemetry::{Context, KeyValue};
use rmcp::model::{CallToolResult, ErrorCode, Extensions, NotificationMetaObject};
use rmcp::service::{NotificationContext, Peer, RequestContext, ServiceRole};
use rmcp::{ErrorData, RoleServer};
use serde_json::{Map, Value};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::caller::Caller;
use crate::conventions::{self as mcp, Operation, Outcome, Target, Transport};
use crate::metrics;
use crate::scope::{
    CallerChoice, ClientLogLevel, ObservationClaim, ServedRequest, MCP_SESSION_ID_HEADER,
};

/// The peer address of an HTTP connection, put in each request's extensions
/// by the HTTP server so the SERVER span can record `client.address`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ClientAddress(pub SocketAddr);

/// The code of the (never sent) error a cancelled request ends with, as
/// LSP names it; MCP answers a cancelled request with nothing.
const REQUEST_CANCELLED: i32 = -32800;

/// What a handler knows about a message it received.
pub(crate) struct Received<'a> {
    /// `mcp.method.name`.
    pub method: Cow<'static, str>,
    /// Tool, prompt or resource it is about.
    pub target: Option<Target>,
    /// Its JSON-RPC id (requests only).
    pub request_id: Option<String>,
    /// Its `params._meta`.
    pub meta: &'a Map<String, Value>,
    /// What the transport attached (the HTTP request head on Streamable HTTP).
    pub extensions: &'a Extensions,
    /// The negotiated protocol version, when known.
    pub protocol_version: Option<String>,
    /// How it arrived, when the receiver knows better than the extensions
    /// (a client knows its own transport).
    pub transport: Option<Transport>,
    /// On a server: the client, for requests back to it.
    pub client: Option<Peer<RoleServer>>,
    /// On a server: the logging level that client set for its session.
    pub log_level: Option<ClientLogLevel>,
    /// Cancelled when the peer cancels the request (requests only).
    pub cancellation: Option<CancellationToken>,
}

impl<'a> Received<'a> {
    /// A request, with the peer's negotiated `protocol_version`.
    pub(crate) fn request<R: ServiceRole>(
        method: impl Into<Cow<'static, str>>,
        target: Option<Target>,
        context: &'a RequestContext<R>,
        protocol_version: Option<String>,
    ) -> Received<'a> {
        Received {
            method: method.into(),
            target,
            request_id: Some(context.id.to_string()),
            meta: &context.meta.0 .0,
            extensions: &context.extensions,
            protocol_version,
            transport: None,
            client: None,
            log_level: None,
            cancellation: Some(context.ct.clone()),
        }
    }

    /// A notification, with the peer's negotiated `protocol_version`.
    pub(crate) fn notification<R: ServiceRole>(
        method: impl Into<Cow<'static, str>>,
        context: &'a NotificationContext<R>,
        protocol_version: Option<String>,
    ) -> Received<'a> {
        Received {
            method: method.into(),
            target: None,
            request_id: None,
            meta: notification_meta(&context.meta, &context.extensions),
            extensions: &context.extensions,
            protocol_version,
            transport: None,
            client: None,
            log_level: None,
            cancellation: None,
        }
    }

    /// Sent by `client` (to a server), which requests can go back to.
    pub(crate) fn sent_by(mut self, client: &Peer<RoleServer>) -> Received<'a> {
        self.client = Some(client.clone());
        self
    }

    /// In a session whose client set `level` with `logging/setLevel`.
    pub(crate) fn logging_at(mut self, level: &ClientLogLevel) -> Received<'a> {
        self.log_level = Some(level.clone());
        self
    }

    /// Arrived over `transport` (a client knows its own).
    pub(crate) fn over(mut self, transport: Transport) -> Received<'a> {
        self.transport = Some(transport);
        self
    }
}

/// Received messages being handled, process-wide: a server returns from
/// serving only once the handlers it stopped have ended their spans, so the
/// flush after it finds them finished.
static OPEN: AtomicUsize = AtomicUsize::new(0);
static ENDED: Notify = Notify::const_new();

/// Counts one message as open until dropped.
struct Open;

impl Open {
    fn new() -> Open {
        OPEN.fetch_add(1, Ordering::SeqCst);
        Open
    }
}

impl Drop for Open {
    fn drop(&mut self) {
        if OPEN.fetch_sub(1, Ordering::SeqCst) == 1 {
            ENDED.notify_waiters();
        }
    }
}

/// Waits, at most `timeout`, until no received message is being handled
/// (their spans ended): what `serve_http` and `serve_io` do after stopping
/// their sessions, whose cancelled handlers end their spans as they unwind.
pub(crate) async fn all_ended(timeout: std::time::Duration) {
    let _ = tokio::time::timeout(timeout, async {
        loop {
            let ended = ENDED.notified();
            if OPEN.load(Ordering::SeqCst) == 0 {
                return;
            }
            ended.await;
        }
    })
    .await;
}

/// One received message being handled.
pub(crate) struct Inbound {
    /// A second layer over the same message: trace nothing twice.
    nested: bool,
    operation: Operation,
    served: ServedRequest,
    span: Option<Context>,
    started: Instant,
    cancellation: Option<CancellationToken>,
    _open: Open,
}

impl Inbound {
    /// Opens the SERVER span (`native` mode) and prepares the request scope.
    pub(crate) fn begin(received: Received<'_>) -> Inbound {
        let started = Instant::now();
        let nested = ServedRequest::with_current(|current| {
            current.is_some_and(|current| {
                current.method.as_deref() == Some(&*received.method)
                    && current.request_id == received.request_id
            })
        });
        let parts = received.extensions.get::<Parts>();
        let transport = received.transport.unwrap_or(match parts {
            Some(_) => Transport::Tcp,
            None => Transport::Pipe,
        });
        let header = |name: &str| {
            parts
                .and_then(|parts| parts.headers.get(name))
                .and_then(|value| value.to_str().ok())
                .map(str::to_string)
        };
        let meta = (!received.meta.is_empty()).then(|| received.meta.clone());
        let headers = parts.map(|parts| parts.headers.clone()).unwrap_or_default();
        let mut operation = Operation::new(received.method, received.target, transport);
        operation.request_id = received.request_id;
        operation.session_id = header(MCP_SESSION_ID_HEADER);
        operation.protocol_version = header("mcp-protocol-version").or(received.protocol_version);
        let mut caller_choice = CallerChoice::default();
        let span = (mcp::enabled() && !nested).then(|| {
            let caller = Caller::choose(meta.as_ref(), parts.map(|parts| &parts.headers));
            let mut extra = caller.link_attributes();
            if let Some(parts) = parts {
                extra.extend(http_peer_attributes(parts));
            }
            let span = mcp::start_span(
                SpanKind::Server,
                &operation,
                caller.parent(),
                caller.link_contexts(),
                extra,
            )
            .with_value(Arc::new(ObservationClaim::default()));
            // The rule ran on these headers and `_meta`: the request's
            // scope keeps its answer instead of extracting again.
            caller_choice = CallerChoice::chosen(caller);
            span
        });
        let served = ServedRequest {
            meta,
            method: Some(operation.method.to_string()),
            request_id: operation.request_id.clone(),
            server_context: span.clone(),
            peer: received.client,
            transport: Some(transport),
            log_level: received.log_level,
            caller_choice,
            ..ServedRequest::from_headers(headers)
        };
        Inbound {
            nested,
            operation,
            served,
            span,
            started,
            cancellation: received.cancellation,
            _open: Open::new(),
        }
    }

    /// How the message arrived.
    pub(crate) fn transport(&self) -> Transport {
        self.operation.transport
    }

    /// Runs a request's handler in its scope and span; `outcome` reads how a
    /// successful result ended (a tool result may be an error).
    pub(crate) async fn run<T>(
        self,
        handler: impl Future<Output = Result<T, ErrorData>>,
        outcome: fn(&T) -> Outcome,
    ) -> Result<T, ErrorData> {
        if self.nested {
            return handler.await;
        }
        let Inbound {
            operation,
            served,
            span,
            started,
            cancellation,
            _open: open,
            ..
        } = self;
        let cx = span.clone().unwrap_or_else(Context::current);
        let handler = served.scope(handler.with_context(cx));
        // The peer's `notifications/cancelled` stops the handler (dropping it
        // stops what it awaits); rmcp drops the response of a cancelled
        // request, so the error below only ends the span.
        let (result, ended) = match cancellation {
            Some(cancellation) => tokio::select! {
                result = handler => (result, None),
                () = cancellation.cancelled() => (
                    Err(ErrorData::new(ErrorCode(REQUEST_CANCELLED), "request cancelled by the peer", None)),
                    Some(Outcome::Cancelled),
                ),
            },
            None => (handler.await, None),
        };
        let ended = ended.unwrap_or_else(|| match &result {
            Ok(value) => outcome(value),
            Err(error) => Outcome::RpcError {
                code: error.code.0,
                message: error.message.to_string(),
            },
        });
        finish(&operation, span.as_ref(), started, &ended);
        drop(open);
        result
    }

    /// Runs a notification's handler in its scope and span.
    pub(crate) async fn run_notification(self, handler: impl Future<Output = ()>) {
        let handled = async {
            handler.await;
            Ok::<(), ErrorData>(())
        };
        let _ = self.run(handled, succeeded).await;
    }
}

/// A notification's `_meta`. rmcp 3.11 moves a notification's extensions
/// into its context before its `_meta` (which lives in them), so the
/// context's `meta` is empty and the real one sits in its extensions.
fn notification_meta<'a>(
    meta: &'a NotificationMetaObject,
    extensions: &'a Extensions,
) -> &'a Map<String, Value> {
    if meta.0 .0.is_empty()
        && let Some(moved) = extensions.get::<NotificationMetaObject>()
    {
        return &moved.0 .0;
    }
    &meta.0 .0
}

/// How a `tools/call` result ended: `isError` is a tool error with its text.
pub(crate) fn tool_result_outcome(call: &CallToolResult) -> Outcome {
    if call.is_error != Some(true) {
        return Outcome::Ok;
    }
    let text = call
        .content
        .iter()
        .filter_map(|block| block.as_text().map(|text| text.text.as_str()))
        .collect::<Vec<_>>()
        .join("\n");
    Outcome::ToolError(text)
}

/// Any result that has no failure of its own.
pub(crate) fn succeeded<T>(_: &T) -> Outcome {
    Outcome::Ok
}

fn finish(operation: &Operation, span: Option<&Context>, started: Instant, outcome: &Outcome) {
    if let Some(cx) = span {
        mcp::end_span(cx, outcome);
    }
    if metrics::enabled() {
        metrics::record_server_operation(started.elapsed(), &operation.metric_attributes(outcome));
    }
}

/// `server.address` / `server.port` from the `Host` header, `client.address`
/// from the connection.
fn http_peer_attributes(parts: &Parts) -> Vec<KeyValue> {
    let mut attributes = Vec::new();
    let host = parts
        .headers
        .get(http::header::HOST)
        .and_then(|value| value.to_str().ok())
        .and_then(|host| host.parse::<http::uri::Authority>().ok());
    if let Some(authority) = host {
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
