//! The tracing layer over any rmcp server: [`TracedServer`] wraps a
//! [`ServerHandler`] and gives every request and notification it receives a
//! SERVER span and a request scope.

// rmcp deprecates logging and resources/subscribe (SEP-2577) but still
// routes them; a tracing layer must trace whatever is routed.
#![allow(deprecated)]

use std::borrow::Cow;

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CancelTaskParams, CancelledNotificationParam,
    CompleteRequestParams, CompleteResult, CustomNotification, CustomRequest, CustomResult,
    DiscoverResult, GetPromptRequestParams, GetPromptResponse, GetSkillRequestParams,
    GetSkillResult, GetTaskParams, GetTaskResult, InitializeRequestParams, InitializeResult,
    ListPromptsResult, ListResourceTemplatesResult, ListResourcesResult, ListSkillsResult,
    ListToolsResult, PaginatedRequestParams, ProgressNotificationParam, ProtocolVersion,
    ReadResourceDirectoryRequestParams, ReadResourceDirectoryResult, ReadResourceRequestParams,
    ReadResourceResponse, ServerConfig, SetLevelRequestParams, SubscribeRequestParams,
    SubscriptionFilter, Tool, UnsubscribeRequestParams, UpdateTaskParams,
};
use rmcp::service::{NotificationContext, Peer, RequestContext, SubscriptionContext};
use rmcp::{ErrorData, RoleServer, ServerHandler};

use crate::conventions::{Outcome, Target};
use crate::inbound::{succeeded, tool_result_outcome, Inbound, Received};
use crate::metrics::{SessionClock, SessionSide};
use crate::scope::ClientLogLevel;

/// Any rmcp [`ServerHandler`] — a `#[tool_router]` server, a hand-written
/// handler, or [`McpServer`](super::McpServer) — with a SERVER span for every
/// request and notification it receives (`native` mode) and each handler
/// method run inside its [`ServedRequest`](crate::scope::ServedRequest), so
/// `#[with_otel_headers]`, `#[observe]` and `ServedRequest::current()` work
/// inside an rmcp `#[tool]` method as in an `#[mcp_tool]`.
///
/// Make one with [`traced`]; serve it like the handler itself (rmcp's
/// `serve_server`, `StreamableHttpService`, or [`super::serve_http`]).
///
/// rmcp serves a clone per session; each clone measures its own session
/// (`mcp.server.session.duration`).
#[derive(Debug)]
pub struct TracedServer<H> {
    inner: H,
    session: SessionClock,
    log_level: ClientLogLevel,
}

/// A clone serves a new session: its clock and its logging level start anew.
impl<H: Clone> Clone for TracedServer<H> {
    fn clone(&self) -> Self {
        TracedServer {
            inner: self.inner.clone(),
            session: SessionClock::new(SessionSide::Server),
            log_level: ClientLogLevel::default(),
        }
    }
}

/// Traces `handler`: the one line that turns any rmcp server into a traced one.
///
/// ```
/// use mcp_trace_runtime::server::traced;
/// use rmcp::model::ServerConfig;
/// use rmcp::ServerHandler;
///
/// #[derive(Clone)]
/// struct Hello;
/// impl ServerHandler for Hello {
///     fn get_info(&self) -> ServerConfig {
///         ServerConfig::default()
///     }
/// }
///
/// let server = traced(Hello);
/// // serve it as before: rmcp::serve_server(server, rmcp::transport::stdio())
/// # let _ = server;
/// ```
pub fn traced<H: ServerHandler>(handler: H) -> TracedServer<H> {
    TracedServer {
        inner: handler,
        session: SessionClock::new(SessionSide::Server),
        log_level: ClientLogLevel::default(),
    }
}

impl<H> TracedServer<H> {
    /// The wrapped handler.
    pub fn inner(&self) -> &H {
        &self.inner
    }

    /// Unwraps the handler.
    pub fn into_inner(self) -> H {
        self.inner
    }

    fn received<'a>(
        &self,
        method: impl Into<Cow<'static, str>>,
        target: Option<Target>,
        context: &'a RequestContext<RoleServer>,
    ) -> Received<'a> {
        Received::request(method, target, context, client_version(&context.peer))
            .sent_by(&context.peer)
            .logging_at(&self.log_level)
    }
}

fn notified<'a>(
    method: impl Into<Cow<'static, str>>,
    context: &'a NotificationContext<RoleServer>,
) -> Received<'a> {
    Received::notification(method, context, client_version(&context.peer)).sent_by(&context.peer)
}

/// The version the client asked for; during `initialize` too, since rmcp
/// stores the peer's info before answering.
fn client_version(peer: &Peer<RoleServer>) -> Option<String> {
    peer.peer_info()
        .map(|info| info.protocol_version.to_string())
}

fn tool_outcome(response: &CallToolResponse) -> Outcome {
    match response {
        CallToolResponse::Complete(call) => tool_result_outcome(call),
        _ => Outcome::Ok,
    }
}

/// Forwards each request method inside an [`Inbound`]: `name(params) ->
/// result, "method", target expression over `params`, outcome`.
macro_rules! traced_requests {
    ($(
        $(#[$attr:meta])*
        $name:ident($params:ident: $ty:ty) -> $result:ty, $method:literal, $target:expr_2021, $outcome:expr_2021;
    )*) => {$(
        $(#[$attr])*
        async fn $name(
            &self,
            $params: $ty,
            context: RequestContext<RoleServer>,
        ) -> Result<$result, ErrorData> {
            let inbound = Inbound::begin(self.received($method, $target, &context));
            inbound.run(self.inner.$name($params, context), $outcome).await
        }
    )*};
}

/// Forwards each notification method inside an [`Inbound`].
macro_rules! traced_notifications {
    ($( $name:ident($($params:ident: $ty:ty)?), $method:literal; )*) => {$(
        async fn $name(&self, $($params: $ty,)? context: NotificationContext<RoleServer>) {
            let inbound = Inbound::begin(notified($method, &context));
            inbound.run_notification(self.inner.$name($($params,)? context)).await
        }
    )*};
}

impl<H: ServerHandler> ServerHandler for TracedServer<H> {
    fn get_info(&self) -> ServerConfig {
        self.inner.get_info()
    }

    fn supported_protocol_versions(&self) -> Cow<'static, [ProtocolVersion]> {
        self.inner.supported_protocol_versions()
    }

    fn negotiate_initialize(
        &self,
        request: &InitializeRequestParams,
    ) -> Result<InitializeResult, ErrorData> {
        self.inner.negotiate_initialize(request)
    }

    fn get_tool(&self, name: &str) -> Option<Tool> {
        self.inner.get_tool(name)
    }

    fn accepted_subscription_filter(
        &self,
        requested: &SubscriptionFilter,
    ) -> Option<SubscriptionFilter> {
        self.inner.accepted_subscription_filter(requested)
    }

    async fn initialize(
        &self,
        request: InitializeRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<InitializeResult, ErrorData> {
        let mut received = self.received("initialize", None, &context);
        received.protocol_version = Some(request.protocol_version.to_string());
        let inbound = Inbound::begin(received);
        let transport = inbound.transport();
        let result = inbound
            .run(self.inner.initialize(request, context), succeeded)
            .await;
        if let Ok(result) = &result {
            self.session
                .start(result.protocol_version.to_string(), transport);
        }
        result
    }

    async fn ping(&self, context: RequestContext<RoleServer>) -> Result<(), ErrorData> {
        let inbound = Inbound::begin(self.received("ping", None, &context));
        inbound.run(self.inner.ping(context), succeeded).await
    }

    async fn discover(
        &self,
        context: RequestContext<RoleServer>,
    ) -> Result<DiscoverResult, ErrorData> {
        let inbound = Inbound::begin(self.received("server/discover", None, &context));
        inbound.run(self.inner.discover(context), succeeded).await
    }

    async fn listen(&self, context: SubscriptionContext) -> Result<(), ErrorData> {
        let inbound =
            Inbound::begin(self.received("subscriptions/listen", None, context.request_context()));
        inbound.run(self.inner.listen(context), succeeded).await
    }

    async fn on_custom_request(
        &self,
        request: CustomRequest,
        context: RequestContext<RoleServer>,
    ) -> Result<CustomResult, ErrorData> {
        let inbound = Inbound::begin(self.received(request.method.clone(), None, &context));
        inbound
            .run(self.inner.on_custom_request(request, context), succeeded)
            .await
    }

    async fn on_custom_notification(
        &self,
        notification: CustomNotification,
        context: NotificationContext<RoleServer>,
    ) {
        let inbound = Inbound::begin(notified(notification.method.clone(), &context));
        inbound
            .run_notification(self.inner.on_custom_notification(notification, context))
            .await
    }

    /// Also remembers the level for [`BackChannel::log`](super::BackChannel::log)
    /// once the handler accepted it.
    async fn set_level(
        &self,
        request: SetLevelRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        let level = request.level;
        let inbound = Inbound::begin(self.received("logging/setLevel", None, &context));
        let result = inbound
            .run(self.inner.set_level(request, context), succeeded)
            .await;
        if result.is_ok() {
            self.log_level.set(level);
        }
        result
    }

    traced_requests! {
        call_tool(request: CallToolRequestParams) -> CallToolResponse, "tools/call",
            Some(Target::Tool(request.name.to_string())), tool_outcome;
        list_tools(request: Option<PaginatedRequestParams>) -> ListToolsResult, "tools/list",
            None, succeeded;
        complete(request: CompleteRequestParams) -> CompleteResult, "completion/complete",
            None, succeeded;
        get_prompt(request: GetPromptRequestParams) -> GetPromptResponse, "prompts/get",
            Some(Target::Prompt(request.name.clone())), succeeded;
        list_prompts(request: Option<PaginatedRequestParams>) -> ListPromptsResult,
            "prompts/list", None, succeeded;
        list_resources(request: Option<PaginatedRequestParams>) -> ListResourcesResult,
            "resources/list", None, succeeded;
        list_resource_templates(request: Option<PaginatedRequestParams>)
            -> ListResourceTemplatesResult, "resources/templates/list", None, succeeded;
        read_resource(request: ReadResourceRequestParams) -> ReadResourceResponse,
            "resources/read", Some(Target::Resource(request.uri.clone())), succeeded;
        subscribe(request: SubscribeRequestParams) -> (), "resources/subscribe",
            Some(Target::Resource(request.uri.clone())), succeeded;
        unsubscribe(request: UnsubscribeRequestParams) -> (), "resources/unsubscribe",
            Some(Target::Resource(request.uri.clone())), succeeded;
        get_task(request: GetTaskParams) -> GetTaskResult, "tasks/get", None, succeeded;
        update_task(request: UpdateTaskParams) -> (), "tasks/update", None, succeeded;
        cancel_task(request: CancelTaskParams) -> (), "tasks/cancel", None, succeeded;
        list_skills(request: Option<PaginatedRequestParams>) -> ListSkillsResult, "skills/list",
            None, succeeded;
        get_skill(request: GetSkillRequestParams) -> GetSkillResult, "skills/get", None,
            succeeded;
        read_resource_directory(request: ReadResourceDirectoryRequestParams)
            -> ReadResourceDirectoryResult, "resources/directory/read",
            Some(Target::Resource(request.uri.clone())), succeeded;
    }

    traced_notifications! {
        on_cancelled(notification: CancelledNotificationParam), "notifications/cancelled";
        on_progress(notification: ProgressNotificationParam), "notifications/progress";
        on_initialized(), "notifications/initialized";
        on_roots_list_changed(), "notifications/roots/list_changed";
    }
}
