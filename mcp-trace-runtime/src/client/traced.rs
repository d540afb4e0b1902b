//! The tracing layer over any rmcp client: [`serve_traced`] serves any
//! [`ClientHandler`] over any transport with
//!
//! - a CLIENT span for every request and notification it sends
//!   ([`TracedTransport`]), whose context replaces the trace keys of that
//!   message's `_meta` (and so, through [`TraceHeaders`](super::TraceHeaders),
//!   the headers of its POST on Streamable HTTP) — `initialize` included;
//! - a SERVER span and a request scope for every request and notification
//!   the server sends back ([`TracedClientHandler`]): `sampling/createMessage`,
//!   `elicitation/create`, `roots/list`, `ping`, `notifications/*`.
//!
//! A request's CLIENT span is a child of the context in its `_meta` when the
//! caller put one there — [`TracedClient`]'s methods put the current context
//! there — else of the context the client was connected in.

// rmcp deprecates sampling, roots and logging (SEP-2577) but still routes
// them; a tracing layer must trace whatever is routed.
#![allow(deprecated)]

use std::borrow::Cow;
use std::collections::HashMap;
use std::future::Future;
use std::ops::Deref;
use std::sync::Arc;
use std::time::Instant;

use opentelemetry::trace::SpanKind;
use opentelemetry::{Context, KeyValue};
use rmcp::model::{
    CallToolRequestParams, CallToolResult, CancelledNotificationParam, ClientJsonRpcMessage,
    ClientNotification, ClientRequest, CompleteRequestParams, CompleteResult,
    CreateMessageRequestParams, CreateMessageResult, CustomNotification, CustomRequest,
    CustomResult, ElicitRequestParams, ElicitResult, GetMeta, GetPromptRequestParams,
    GetPromptResult, ListPromptsResult, ListResourceTemplatesResult, ListResourcesResult,
    ListRootsResult, ListToolsResult, LoggingMessageNotificationParam, PaginatedRequestParams,
    ProgressNotificationParam, ReadResourceRequestParams, ReadResourceResult, RequestId,
    RequestMetaObject, ResourceUpdatedNotificationParam, ServerJsonRpcMessage, ServerNotification,
    ServerResult, SetLevelRequestParams, SubscribeRequestParams, Tool, UnsubscribeRequestParams,
};
use rmcp::service::{
    ClientInitializeError, NotificationContext, Peer, PeerRequestOptions, RequestContext,
    RequestHandle, RunningService, ServiceError,
};
use rmcp::transport::{IntoTransport, Transport as RmcpTransport};
use rmcp::{ClientHandler, ErrorData, RoleClient, ServiceExt};
use serde_json::{Map, Value};

use super::progress::ProgressRouter;
use crate::conventions::{self as mcp, Operation, Outcome, Target, Transport};
use crate::inbound::{succeeded, tool_result_outcome, Inbound, Received};
use crate::metrics::{self, SessionClock, SessionSide};
use crate::propagation;

/// Where a traced client's peer is, for every CLIENT span it opens.
///
/// ```
/// use mcp_trace_runtime::client::ClientPeer;
/// use mcp_trace_runtime::conventions::Transport;
///
/// let peer = ClientPeer::http("http://127.0.0.1:8000/weather");
/// assert_eq!(peer.transport(), Transport::Tcp);
/// assert_eq!(ClientPeer::pipe().transport(), Transport::Pipe);
/// ```
#[derive(Debug, Clone)]
pub struct ClientPeer {
    transport: Transport,
    attributes: Vec<KeyValue>,
}

impl ClientPeer {
    /// A server on stdio or another byte stream.
    pub fn pipe() -> ClientPeer {
        ClientPeer {
            transport: Transport::Pipe,
            attributes: Vec::new(),
        }
    }

    /// A Streamable HTTP server at `url`: `server.address` and `server.port`.
    pub fn http(url: &str) -> ClientPeer {
        let mut attributes = Vec::new();
        if let Ok(uri) = url.parse::<http::Uri>() {
            if let Some(host) = uri.host() {
                attributes.push(KeyValue::new(mcp::SERVER_ADDRESS, host.to_string()));
            }
            let port = uri.port_u16().or(match uri.scheme_str() {
                Some("https") => Some(443),
                Some("http") => Some(80),
                _ => None,
            });
            if let Some(port) = port {
                attributes.push(KeyValue::new(mcp::SERVER_PORT, i64::from(port)));
            }
        }
        ClientPeer {
            transport: Transport::Tcp,
            attributes,
        }
    }

    /// How the client reaches the server.
    pub fn transport(&self) -> Transport {
        self.transport
    }
}

/// Serves `handler` over `transport` with every message traced (see the
/// module docs): the one line that turns any rmcp client into a traced one.
/// `peer` says how the server is reached.
///
/// # Errors
///
/// When `initialize` fails; its CLIENT span records why.
///
/// ```no_run
/// use mcp_trace_runtime::client::{serve_traced, ClientPeer};
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let command = tokio::process::Command::new("weather-server");
/// let transport = rmcp::transport::TokioChildProcess::new(command)?;
/// let client = serve_traced((), transport, ClientPeer::pipe()).await?;
/// let tools = client.list_all_tools().await?; // a CLIENT span under the current context
/// # drop(tools);
/// # Ok(()) }
/// ```
pub async fn serve_traced<H, T, E, A>(
    handler: H,
    transport: T,
    peer: ClientPeer,
) -> Result<TracedClient<H>, ClientInitializeError>
where
    H: ClientHandler,
    T: IntoTransport<RoleClient, E, A>,
    E: std::error::Error + Send + Sync + 'static,
{
    serve_traced_with_progress(handler, transport, peer, None).await
}

/// [`serve_traced`], with progress notifications also handed to `progress`
/// as they arrive (for [`McpClient`](super::McpClient)'s callbacks).
pub(crate) async fn serve_traced_with_progress<H, T, E, A>(
    handler: H,
    transport: T,
    peer: ClientPeer,
    progress: Option<Arc<ProgressRouter>>,
) -> Result<TracedClient<H>, ClientInitializeError>
where
    H: ClientHandler,
    T: IntoTransport<RoleClient, E, A>,
    E: std::error::Error + Send + Sync + 'static,
{
    let mut transport = TracedTransport::new(transport.into_transport(), peer.clone());
    transport.progress = progress;
    let handler = TracedClientHandler {
        inner: handler,
        transport: peer.transport,
    };
    let service = handler.serve(transport).await?;
    Ok(TracedClient { service })
}

/// A running traced client session. Derefs to rmcp's [`Peer`], so every rmcp
/// client method is there and traced; the methods below also parent their
/// CLIENT span on the *current* context (rmcp's own would use the context
/// the client was connected in).
pub struct TracedClient<H: ClientHandler> {
    service: RunningService<RoleClient, TracedClientHandler<H>>,
}

impl<H: ClientHandler> std::fmt::Debug for TracedClient<H> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TracedClient").finish_non_exhaustive()
    }
}

impl<H: ClientHandler> Deref for TracedClient<H> {
    type Target = Peer<RoleClient>;

    fn deref(&self) -> &Peer<RoleClient> {
        self.service.peer()
    }
}

/// `_meta` holding the current context, merged into `meta`.
fn with_current_context(meta: Option<RequestMetaObject>) -> Option<RequestMetaObject> {
    let mut meta = meta.unwrap_or_default();
    propagation::inject_into_meta(&Context::current(), &mut meta.0 .0);
    (!meta.0 .0.is_empty()).then_some(meta)
}

/// Typed requests whose params carry `meta`: set it to the current context
/// and let rmcp do the rest.
macro_rules! in_current_context {
    ($( $(#[$doc:meta])* $name:ident($params:ty) -> $result:ty; )*) => {$(
        $(#[$doc])*
        pub async fn $name(&self, mut params: $params) -> Result<$result, ServiceError> {
            params.meta = with_current_context(params.meta.take());
            self.service.peer().$name(params).await
        }
    )*};
}

/// Listings, whose params are optional.
macro_rules! listed_in_current_context {
    ($( $(#[$doc:meta])* $name:ident -> $result:ty; )*) => {$(
        $(#[$doc])*
        pub async fn $name(
            &self,
            params: Option<PaginatedRequestParams>,
        ) -> Result<$result, ServiceError> {
            let mut params = params.unwrap_or_default();
            params.meta = with_current_context(params.meta.take());
            self.service.peer().$name(Some(params)).await
        }
    )*};
}

impl<H: ClientHandler> TracedClient<H> {
    in_current_context! {
        /// `tools/call`.
        call_tool(CallToolRequestParams) -> CallToolResult;
        /// `prompts/get`.
        get_prompt(GetPromptRequestParams) -> GetPromptResult;
        /// `resources/read`.
        read_resource(ReadResourceRequestParams) -> ReadResourceResult;
        /// `completion/complete`.
        complete(CompleteRequestParams) -> CompleteResult;
        /// `logging/setLevel`.
        set_level(SetLevelRequestParams) -> ();
        /// `resources/subscribe`.
        subscribe(SubscribeRequestParams) -> ();
        /// `resources/unsubscribe`.
        unsubscribe(UnsubscribeRequestParams) -> ();
    }

    listed_in_current_context! {
        /// `tools/list`, one page.
        list_tools -> ListToolsResult;
        /// `prompts/list`, one page.
        list_prompts -> ListPromptsResult;
        /// `resources/list`, one page.
        list_resources -> ListResourcesResult;
        /// `resources/templates/list`, one page.
        list_resource_templates -> ListResourceTemplatesResult;
    }

    /// `tools/list`, every page (one CLIENT span per page).
    pub async fn list_all_tools(&self) -> Result<Vec<Tool>, ServiceError> {
        let mut tools = Vec::new();
        let mut cursor = None;
        loop {
            let mut params = PaginatedRequestParams::default();
            params.cursor = cursor;
            let page = self.list_tools(Some(params)).await?;
            tools.extend(page.tools);
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => return Ok(tools),
            }
        }
    }

    /// `ping`.
    pub async fn ping(&self) -> Result<(), ServiceError> {
        let request = ClientRequest::PingRequest(Default::default());
        self.send_request(request).await.map(|_| ())
    }

    /// Any request, e.g. a custom one.
    pub async fn send_request(
        &self,
        mut request: ClientRequest,
    ) -> Result<ServerResult, ServiceError> {
        propagation::inject_into_meta(&Context::current(), &mut request.get_meta_mut().0 .0);
        self.service.peer().send_request(request).await
    }

    /// Any request, its handle returned as soon as it is sent: rmcp's
    /// `send_cancellable_request` with the current context in the request's
    /// `_meta`. The handle carries the request id and the progress token rmcp
    /// put in `_meta`; `handle.cancel(reason)` sends `notifications/cancelled`.
    ///
    /// ```no_run
    /// use rmcp::model::{CallToolRequestParams, ClientRequest, Request};
    /// use rmcp::service::PeerRequestOptions;
    ///
    /// # async fn run(client: mcp_trace_runtime::client::TracedClient<()>) -> Result<(), Box<dyn std::error::Error>> {
    /// let call = ClientRequest::CallToolRequest(Request::new(CallToolRequestParams::new("slow")));
    /// let handle = client.send_cancellable_request(call, PeerRequestOptions::no_options()).await?;
    /// handle.cancel(Some("no longer needed".into())).await?; // the CLIENT span ends as cancelled
    /// # Ok(()) }
    /// ```
    pub async fn send_cancellable_request(
        &self,
        mut request: ClientRequest,
        options: PeerRequestOptions,
    ) -> Result<RequestHandle<RoleClient>, ServiceError> {
        propagation::inject_into_meta(&Context::current(), &mut request.get_meta_mut().0 .0);
        self.service
            .peer()
            .send_cancellable_request(request, options)
            .await
    }

    /// Any notification.
    pub async fn send_notification(
        &self,
        mut notification: ClientNotification,
    ) -> Result<(), ServiceError> {
        propagation::inject_into_meta(&Context::current(), &mut notification.get_meta_mut().0 .0);
        self.service.peer().send_notification(notification).await
    }

    /// The handler, as served.
    pub fn handler(&self) -> &H {
        &self.service.service().inner
    }

    /// Ends the session (its spans in flight end as failed).
    pub async fn close(self) {
        let _ = self.service.cancel().await;
    }
}

/// A CLIENT span waiting for its response.
struct Pending {
    cx: Option<Context>,
    operation: Operation,
    started: Instant,
}

impl Pending {
    fn end(self, outcome: &Outcome) {
        if let Some(cx) = &self.cx {
            mcp::end_span(cx, outcome);
        }
        if metrics::enabled() {
            metrics::record_client_operation(
                self.started.elapsed(),
                &self.operation.metric_attributes(outcome),
            );
        }
    }
}

/// Any rmcp client transport with a CLIENT span for every message it sends
/// (see the module docs). [`serve_traced`] builds one; use it directly with
/// rmcp's own `serve` when you wire the service yourself.
pub struct TracedTransport<T> {
    inner: T,
    peer: ClientPeer,
    /// The context the client was connected in: the parent of messages that
    /// carry none in their `_meta`.
    connected_in: Context,
    pending: HashMap<RequestId, Pending>,
    initialize: Option<RequestId>,
    /// The negotiated version, once `initialize` is answered.
    protocol_version: Option<String>,
    session: SessionClock,
    /// Where progress notifications go as they arrive.
    progress: Option<Arc<ProgressRouter>>,
}

impl<T> TracedTransport<T> {
    /// Wraps `inner`, a transport to the server `peer` describes; messages
    /// without a context of their own are parented on the current context.
    pub fn new(inner: T, peer: ClientPeer) -> TracedTransport<T> {
        TracedTransport {
            inner,
            peer,
            connected_in: Context::current(),
            pending: HashMap::new(),
            initialize: None,
            protocol_version: None,
            session: SessionClock::new(SessionSide::Client),
            progress: None,
        }
    }

    /// Opens the CLIENT span of a message about to be sent and puts its
    /// context in `meta`.
    fn open(&self, operation: &Operation, meta: &mut Map<String, Value>) -> Option<Context> {
        let sent_from = propagation::extract_from_meta(meta);
        let parent = if propagation::has_remote_parent(&sent_from) {
            sent_from
        } else {
            self.connected_in.clone()
        };
        let cx = mcp::enabled().then(|| {
            mcp::start_span(
                SpanKind::Client,
                operation,
                &parent,
                Vec::new(),
                self.peer.attributes.clone(),
            )
        });
        propagation::inject_into_meta(cx.as_ref().unwrap_or(&parent), meta);
        cx
    }

    fn operation(&self, method: &str, target: Option<Target>) -> Operation {
        let mut operation = Operation::new(method.to_string(), target, self.peer.transport);
        operation.protocol_version = self.protocol_version.clone();
        operation
    }

    fn sending(&mut self, message: &mut ClientJsonRpcMessage) {
        match message {
            ClientJsonRpcMessage::Request(request) => {
                let target = request_target(&request.request);
                let mut operation = self.operation(request.request.method(), target);
                operation.request_id = Some(request.id.to_string());
                if let ClientRequest::InitializeRequest(initialize) = &request.request {
                    // The version asked for; the answer fixes it for the session.
                    operation.protocol_version =
                        Some(initialize.params.protocol_version.to_string());
                    self.initialize = Some(request.id.clone());
                }
                let meta = outgoing_meta(&mut request.request);
                let cx = self.open(&operation, meta);
                let pending = Pending {
                    cx,
                    operation,
                    started: Instant::now(),
                };
                self.pending.insert(request.id.clone(), pending);
            }
            ClientJsonRpcMessage::Notification(notification) => {
                let notification = &mut notification.notification;
                if let ClientNotification::CancelledNotification(cancelled) = &notification
                    && let Some(id) = &cancelled.params.request_id
                    && let Some(pending) = self.pending.remove(id)
                {
                    pending.end(&Outcome::Failed("cancelled by the client".into()));
                }
                let operation = self.operation(&notification_method(notification), None);
                let cx = self.open(&operation, &mut notification.get_meta_mut().0 .0);
                Pending {
                    cx,
                    operation,
                    started: Instant::now(),
                }
                .end(&Outcome::Ok);
            }
            // Responses to the server's requests: their SERVER spans are the
            // handler's.
            ClientJsonRpcMessage::Response(_) | ClientJsonRpcMessage::Error(_) => {}
        }
    }

    fn received(&mut self, message: &ServerJsonRpcMessage) {
        if let (Some(router), ServerJsonRpcMessage::Notification(notification)) =
            (&self.progress, message)
            && let ServerNotification::ProgressNotification(progress) = &notification.notification
        {
            router.dispatch(&progress.params);
        }
        let (id, outcome) = match message {
            ServerJsonRpcMessage::Response(response) => {
                (&response.id, result_outcome(&response.result))
            }
            ServerJsonRpcMessage::Error(error) => match &error.id {
                Some(id) => (
                    id,
                    Outcome::RpcError {
                        code: error.error.code.0,
                        message: error.error.message.to_string(),
                    },
                ),
                None => return,
            },
            _ => return,
        };
        if let Some(pending) = self.pending.remove(id) {
            if self.initialize.as_ref() == Some(id)
                && let ServerResult::InitializeResult(result) = match message {
                    ServerJsonRpcMessage::Response(response) => &response.result,
                    _ => return pending.end(&outcome),
                }
            {
                let version = result.protocol_version.to_string();
                self.session.start(version.clone(), self.peer.transport);
                self.protocol_version = Some(version);
            }
            pending.end(&outcome);
        }
    }

    /// Ends every span still waiting: the session is over.
    fn abandon(&mut self, why: &str) {
        for (_, pending) in self.pending.drain() {
            pending.end(&Outcome::Failed(why.to_string()));
        }
        self.session.end();
    }
}

impl<T> Drop for TracedTransport<T> {
    fn drop(&mut self) {
        self.abandon("the session ended before the response");
    }
}

impl<T> RmcpTransport<RoleClient> for TracedTransport<T>
where
    T: RmcpTransport<RoleClient>,
{
    type Error = T::Error;

    fn send(
        &mut self,
        mut item: ClientJsonRpcMessage,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send + 'static {
        self.sending(&mut item);
        self.inner.send(item)
    }

    async fn receive(&mut self) -> Option<ServerJsonRpcMessage> {
        let message = self.inner.receive().await;
        match &message {
            Some(message) => self.received(message),
            None => self.abandon("the transport closed before the response"),
        }
        message
    }

    async fn close(&mut self) -> Result<(), Self::Error> {
        self.abandon("the client closed the session before the response");
        self.inner.close().await
    }
}

/// The `_meta` an outgoing request is sent with. rmcp merges the params'
/// own `_meta` (where typed calls put it) under the request's, so the
/// params' trace keys move up to where they win.
fn outgoing_meta(request: &mut ClientRequest) -> &mut Map<String, Value> {
    let params_meta = match request {
        ClientRequest::CallToolRequest(r) => r.params.meta.as_mut(),
        ClientRequest::GetPromptRequest(r) => r.params.meta.as_mut(),
        ClientRequest::ReadResourceRequest(r) => r.params.meta.as_mut(),
        ClientRequest::CompleteRequest(r) => r.params.meta.as_mut(),
        ClientRequest::SetLevelRequest(r) => r.params.meta.as_mut(),
        ClientRequest::SubscribeRequest(r) => r.params.meta.as_mut(),
        ClientRequest::UnsubscribeRequest(r) => r.params.meta.as_mut(),
        ClientRequest::InitializeRequest(r) => r.params.meta.as_mut(),
        ClientRequest::ListToolsRequest(r) => r.params.as_mut().and_then(|p| p.meta.as_mut()),
        ClientRequest::ListPromptsRequest(r) => r.params.as_mut().and_then(|p| p.meta.as_mut()),
        ClientRequest::ListResourcesRequest(r) => r.params.as_mut().and_then(|p| p.meta.as_mut()),
        ClientRequest::ListResourceTemplatesRequest(r) => {
            r.params.as_mut().and_then(|p| p.meta.as_mut())
        }
        _ => None,
    };
    let moved: Vec<(String, Value)> = params_meta
        .map(|meta| {
            propagation::META_KEYS
                .iter()
                .filter_map(|key| meta.0 .0.remove(*key).map(|value| (key.to_string(), value)))
                .collect()
        })
        .unwrap_or_default();
    let meta = &mut request.get_meta_mut().0 .0;
    for (key, value) in moved {
        meta.entry(key).or_insert(value);
    }
    meta
}

fn request_target(request: &ClientRequest) -> Option<Target> {
    match request {
        ClientRequest::CallToolRequest(r) => Some(Target::Tool(r.params.name.to_string())),
        ClientRequest::GetPromptRequest(r) => Some(Target::Prompt(r.params.name.clone())),
        ClientRequest::ReadResourceRequest(r) => Some(Target::Resource(r.params.uri.clone())),
        ClientRequest::SubscribeRequest(r) => Some(Target::Resource(r.params.uri.clone())),
        ClientRequest::UnsubscribeRequest(r) => Some(Target::Resource(r.params.uri.clone())),
        _ => None,
    }
}

fn notification_method(notification: &ClientNotification) -> Cow<'static, str> {
    match notification {
        ClientNotification::CancelledNotification(_) => "notifications/cancelled".into(),
        ClientNotification::ProgressNotification(_) => "notifications/progress".into(),
        ClientNotification::InitializedNotification(_) => "notifications/initialized".into(),
        ClientNotification::RootsListChangedNotification(_) => {
            "notifications/roots/list_changed".into()
        }
        ClientNotification::CustomNotification(custom) => custom.method.clone().into(),
        // A kind rmcp added later: still a span, named for what it is.
        _ => "notifications/unknown".into(),
    }
}

fn result_outcome(result: &ServerResult) -> Outcome {
    match result {
        ServerResult::CallToolResult(call) => tool_result_outcome(call),
        _ => Outcome::Ok,
    }
}

/// Any rmcp [`ClientHandler`] with a SERVER span and a request scope for
/// every request and notification the server sends (roles reversed, as the
/// conventions say).
#[derive(Debug, Clone)]
pub struct TracedClientHandler<H> {
    inner: H,
    transport: Transport,
}

impl<H> TracedClientHandler<H> {
    /// Wraps `inner`, served over `transport`.
    pub fn new(inner: H, transport: Transport) -> TracedClientHandler<H> {
        TracedClientHandler { inner, transport }
    }

    fn received<'a>(
        &self,
        method: impl Into<Cow<'static, str>>,
        context: &'a RequestContext<RoleClient>,
    ) -> Received<'a> {
        Received::request(method, None, context, server_version(&context.peer)).over(self.transport)
    }

    fn notified<'a>(
        &self,
        method: impl Into<Cow<'static, str>>,
        context: &'a NotificationContext<RoleClient>,
    ) -> Received<'a> {
        Received::notification(method, context, server_version(&context.peer)).over(self.transport)
    }
}

fn server_version(peer: &Peer<RoleClient>) -> Option<String> {
    peer.peer_info()
        .map(|info| info.protocol_version.to_string())
}

macro_rules! traced_client_requests {
    ($( $name:ident($($params:ident: $ty:ty)?) -> $result:ty, $method:literal; )*) => {$(
        async fn $name(
            &self,
            $($params: $ty,)?
            context: RequestContext<RoleClient>,
        ) -> Result<$result, ErrorData> {
            let inbound = Inbound::begin(self.received($method, &context));
            inbound.run(self.inner.$name($($params,)? context), succeeded).await
        }
    )*};
}

macro_rules! traced_client_notifications {
    ($( $name:ident($($params:ident: $ty:ty)?), $method:literal; )*) => {$(
        async fn $name(&self, $($params: $ty,)? context: NotificationContext<RoleClient>) {
            let inbound = Inbound::begin(self.notified($method, &context));
            inbound.run_notification(self.inner.$name($($params,)? context)).await
        }
    )*};
}

impl<H: ClientHandler> ClientHandler for TracedClientHandler<H> {
    fn get_info(&self) -> rmcp::model::ClientConfig {
        self.inner.get_info()
    }

    async fn on_custom_request(
        &self,
        request: CustomRequest,
        context: RequestContext<RoleClient>,
    ) -> Result<CustomResult, ErrorData> {
        let inbound = Inbound::begin(self.received(request.method.clone(), &context));
        inbound
            .run(self.inner.on_custom_request(request, context), succeeded)
            .await
    }

    async fn on_custom_notification(
        &self,
        notification: CustomNotification,
        context: NotificationContext<RoleClient>,
    ) {
        let inbound = Inbound::begin(self.notified(notification.method.clone(), &context));
        inbound
            .run_notification(self.inner.on_custom_notification(notification, context))
            .await
    }

    traced_client_requests! {
        ping() -> (), "ping";
        create_message(params: CreateMessageRequestParams) -> CreateMessageResult,
            "sampling/createMessage";
        list_roots() -> ListRootsResult, "roots/list";
        create_elicitation(request: ElicitRequestParams) -> ElicitResult,
            "elicitation/create";
    }

    traced_client_notifications! {
        on_cancelled(params: CancelledNotificationParam), "notifications/cancelled";
        on_progress(params: ProgressNotificationParam), "notifications/progress";
        on_logging_message(params: LoggingMessageNotificationParam), "notifications/message";
        on_resource_updated(params: ResourceUpdatedNotificationParam),
            "notifications/resources/updated";
        on_resource_list_changed(), "notifications/resources/list_changed";
        on_tool_list_changed(), "notifications/tools/list_changed";
        on_prompt_list_changed(), "notifications/prompts/list_changed";
    }
}
