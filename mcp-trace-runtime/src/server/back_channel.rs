//! Requests a server sends back to the client of the request it is serving
//! (`sampling/createMessage`, `elicitation/create`, `roots/list`, `ping`),
//! traced: each is a CLIENT span from the server — roles reversed, as the
//! MCP conventions say — under the span of the request that asked, its
//! context injected into the message's `_meta`, so the client's SERVER span
//! for it joins the same trace on every transport.

// rmcp deprecates sampling, roots and logging (SEP-2577) but still routes them.
#![allow(deprecated)]

use opentelemetry::trace::SpanKind;
use opentelemetry::{Context, KeyValue};
use rmcp::model::{
    ClientResult, CreateMessageRequest, CreateMessageRequestParams, CreateMessageResult,
    ElicitRequest, ElicitRequestParams, ElicitResult, GetMeta, ListRootsRequest, ListRootsResult,
    LoggingLevel, LoggingMessageNotification, LoggingMessageNotificationParam,
    ProgressNotification, ProgressNotificationParam, ProgressToken, ResourceUpdatedNotification,
    ResourceUpdatedNotificationParam, ServerNotification, ServerRequest,
};
use rmcp::service::{PeerRequestOptions, ServiceError};
use rmcp::{Peer, RoleServer};

use crate::conventions::{self as mcp, Operation, Outcome, Transport};
use crate::metrics;
use crate::observe::attributes::{INPUT, OUTPUT, TYPE};
use crate::propagation;
use crate::scope::{ClientLogLevel, ServedRequest};

/// Which list changed, for `notifications/*/list_changed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ListChanged {
    Resources,
    Tools,
    Prompts,
}

/// `gen_ai.response.model`: the model that answered a sampling request.
pub const GEN_AI_RESPONSE_MODEL: &str = "gen_ai.response.model";
/// `langfuse.observation.model.name`: the model Langfuse shows for a generation.
pub const LANGFUSE_MODEL_NAME: &str = "langfuse.observation.model.name";

/// `gen_ai.usage.input_tokens`: tokens the sampling request used.
pub const GEN_AI_USAGE_INPUT_TOKENS: &str = "gen_ai.usage.input_tokens";
/// `gen_ai.usage.output_tokens`: tokens the sampling answer used.
pub const GEN_AI_USAGE_OUTPUT_TOKENS: &str = "gen_ai.usage.output_tokens";

/// The token usage a sampling answer reports, when it does: MCP has no field
/// for it, so clients that know it put it in the result's `_meta` as
/// `usage: {inputTokens, outputTokens}` (snake_case accepted too).
fn usage_of(result: &CreateMessageResult) -> Vec<KeyValue> {
    let Some(usage) = result
        .message
        .meta
        .as_ref()
        .and_then(|meta| meta.0.get("usage"))
    else {
        return Vec::new();
    };
    let count = |camel: &str, snake: &str| {
        usage
            .get(camel)
            .or_else(|| usage.get(snake))
            .and_then(serde_json::Value::as_i64)
    };
    [
        (
            GEN_AI_USAGE_INPUT_TOKENS,
            count("inputTokens", "input_tokens"),
        ),
        (
            GEN_AI_USAGE_OUTPUT_TOKENS,
            count("outputTokens", "output_tokens"),
        ),
    ]
    .into_iter()
    .filter_map(|(key, tokens)| Some(KeyValue::new(key, tokens?)))
    .collect()
}

/// The client of the request being served, for requests back to it. Get it
/// inside a handler of a [`TracedServer`](super::TracedServer) — an
/// `#[mcp_tool]`, an rmcp `#[tool]` method, any handler method — with
/// [`BackChannel::current`].
///
/// ```no_run
/// use mcp_trace_runtime::server::BackChannel;
/// use rmcp::model::{CreateMessageRequestParams, SamplingMessage};
///
/// # async fn tool() -> Result<String, Box<dyn std::error::Error>> {
/// let client = BackChannel::current().ok_or("not serving a request")?;
/// let question = CreateMessageRequestParams::new(vec![SamplingMessage::user_text("Rain in Oslo?")], 64);
/// let answer = client.create_message(question).await?; // a CLIENT span `sampling/createMessage`
/// Ok(answer.model)
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct BackChannel {
    peer: Peer<RoleServer>,
    transport: Transport,
    log_level: ClientLogLevel,
    progress_token: Option<ProgressToken>,
}

impl BackChannel {
    /// The client of the request the current task serves, when it is served
    /// by a [`TracedServer`](super::TracedServer).
    pub fn current() -> Option<BackChannel> {
        ServedRequest::with_current(|request| {
            let request = request?;
            let progress_token = request
                .meta
                .as_ref()
                .and_then(|meta| meta.get("progressToken"))
                .and_then(|token| serde_json::from_value(token.clone()).ok());
            Some(BackChannel {
                peer: request.peer.clone()?,
                transport: request.transport?,
                log_level: request.log_level.clone().unwrap_or_default(),
                progress_token,
            })
        })
    }

    /// A channel to `peer` outside any request (what
    /// [`ResourceNotifier`](super::ResourceNotifier) sends through).
    pub(crate) fn to_session(peer: Peer<RoleServer>, transport: Transport) -> BackChannel {
        BackChannel {
            peer,
            transport,
            log_level: ClientLogLevel::default(),
            progress_token: None,
        }
    }

    /// `notifications/progress` for the request being served, when its
    /// caller asked for progress (sent a `progressToken`); `Ok(false)` when it
    /// did not, and nothing is sent. `progress` should grow with each call.
    ///
    /// ```no_run
    /// # async fn tool() -> Result<(), rmcp::service::ServiceError> {
    /// if let Some(client) = mcp_trace_runtime::server::BackChannel::current() {
    ///     client.progress(50.0, Some(100.0), Some("half way")).await?;
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn progress(
        &self,
        progress: f64,
        total: Option<f64>,
        message: Option<&str>,
    ) -> Result<bool, ServiceError> {
        let Some(token) = self.progress_token.clone() else {
            return Ok(false);
        };
        let mut params = ProgressNotificationParam::new(token, progress);
        params.total = total;
        params.message = message.map(str::to_string);
        let notification =
            ServerNotification::ProgressNotification(ProgressNotification::new(params));
        self.notify("notifications/progress", notification).await?;
        Ok(true)
    }

    /// `notifications/message`: a log line for the client, sent when the
    /// client's `logging/setLevel` (if it sent one) lets `level` through;
    /// `Ok(false)` when it was held back.
    ///
    /// ```no_run
    /// use rmcp::model::LoggingLevel;
    /// # #[allow(deprecated)]
    /// # async fn tool() -> Result<(), rmcp::service::ServiceError> {
    /// if let Some(client) = mcp_trace_runtime::server::BackChannel::current() {
    ///     client.log(LoggingLevel::Info, Some("weather"), "looking up Paris").await?;
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn log(
        &self,
        level: LoggingLevel,
        logger: Option<&str>,
        data: impl Into<serde_json::Value>,
    ) -> Result<bool, ServiceError> {
        if !self.log_level.allows(level) {
            return Ok(false);
        }
        let mut params = LoggingMessageNotificationParam::new(level, data.into());
        params.logger = logger.map(str::to_string);
        let notification =
            ServerNotification::LoggingMessageNotification(LoggingMessageNotification::new(params));
        self.notify("notifications/message", notification).await?;
        Ok(true)
    }

    /// `notifications/resources/updated` for `uri`.
    pub(crate) async fn resource_updated(&self, uri: &str) -> Result<(), ServiceError> {
        let notification = ServerNotification::ResourceUpdatedNotification(
            ResourceUpdatedNotification::new(ResourceUpdatedNotificationParam::new(uri)),
        );
        self.notify("notifications/resources/updated", notification)
            .await
    }

    /// `notifications/{resources,tools,prompts}/list_changed`.
    pub(crate) async fn list_changed(&self, changed: ListChanged) -> Result<(), ServiceError> {
        let (method, notification) = match changed {
            ListChanged::Resources => (
                "notifications/resources/list_changed",
                ServerNotification::ResourceListChangedNotification(Default::default()),
            ),
            ListChanged::Tools => (
                "notifications/tools/list_changed",
                ServerNotification::ToolListChangedNotification(Default::default()),
            ),
            ListChanged::Prompts => (
                "notifications/prompts/list_changed",
                ServerNotification::PromptListChangedNotification(Default::default()),
            ),
        };
        self.notify(method, notification).await
    }

    /// `sampling/createMessage`: asks the client's model. Its span is a
    /// Langfuse `generation`: the messages as input, the answer as output,
    /// the answering model as `gen_ai.response.model` and
    /// `langfuse.observation.model.name`, and the token usage when the
    /// answer's `_meta.usage` gives it (`gen_ai.usage.input_tokens`,
    /// `gen_ai.usage.output_tokens`).
    pub async fn create_message(
        &self,
        params: CreateMessageRequestParams,
    ) -> Result<CreateMessageResult, ServiceError> {
        let mut generation = vec![KeyValue::new(TYPE, "generation")];
        if crate::settings::capture_io() {
            if let Ok(messages) = serde_json::to_string(&params.messages) {
                generation.push(KeyValue::new(INPUT, messages));
            }
        }
        let request = ServerRequest::CreateMessageRequest(CreateMessageRequest::new(params));
        let (result, span) = self
            .send("sampling/createMessage", request, generation)
            .await;
        let result = match result? {
            ClientResult::CreateMessageResult(answer) => *answer,
            _ => return Err(ServiceError::UnexpectedResponse),
        };
        if let Some(span) = span {
            use opentelemetry::trace::TraceContextExt as _;
            let mut attributes = vec![
                KeyValue::new(GEN_AI_RESPONSE_MODEL, result.model.clone()),
                KeyValue::new(LANGFUSE_MODEL_NAME, result.model.clone()),
            ];
            if crate::settings::capture_io() {
                if let Ok(message) = serde_json::to_string(&result.message) {
                    attributes.push(KeyValue::new(OUTPUT, message));
                }
            }
            attributes.extend(usage_of(&result));
            span.span().set_attributes(attributes);
            mcp::end_span(&span, &Outcome::Ok);
        }
        Ok(result)
    }

    /// `roots/list`.
    pub async fn list_roots(&self) -> Result<ListRootsResult, ServiceError> {
        let request = ServerRequest::ListRootsRequest(ListRootsRequest::default());
        match self.request("roots/list", request).await? {
            ClientResult::ListRootsResult(roots) => Ok(roots),
            _ => Err(ServiceError::UnexpectedResponse),
        }
    }

    /// `elicitation/create`: asks the user, through the client.
    pub async fn create_elicitation(
        &self,
        params: ElicitRequestParams,
    ) -> Result<ElicitResult, ServiceError> {
        let request = ServerRequest::ElicitRequest(ElicitRequest::new(params));
        match self.request("elicitation/create", request).await? {
            ClientResult::ElicitResult(result) => Ok(result),
            _ => Err(ServiceError::UnexpectedResponse),
        }
    }

    /// `ping`.
    pub async fn ping(&self) -> Result<(), ServiceError> {
        let request = ServerRequest::PingRequest(Default::default());
        self.request("ping", request).await.map(|_| ())
    }

    /// The rmcp peer itself (requests sent through it are not traced here).
    pub fn peer(&self) -> &Peer<RoleServer> {
        &self.peer
    }

    async fn request(
        &self,
        method: &'static str,
        request: ServerRequest,
    ) -> Result<ClientResult, ServiceError> {
        let (result, span) = self.send(method, request, Vec::new()).await;
        if let (Ok(_), Some(span)) = (&result, &span) {
            mcp::end_span(span, &Outcome::Ok);
        }
        result
    }

    /// Sends `notification` inside its CLIENT span, ended once it is handed
    /// to the transport; its context goes in its `_meta`.
    async fn notify(
        &self,
        method: &'static str,
        mut notification: ServerNotification,
    ) -> Result<(), ServiceError> {
        let operation = Operation::new(method, None, self.transport);
        let span = mcp::enabled().then(|| {
            mcp::start_span(
                SpanKind::Client,
                &operation,
                &Context::current(),
                Vec::new(),
                Vec::new(),
            )
        });
        let carried = span.clone().unwrap_or_else(Context::current);
        propagation::inject_into_meta(&carried, &mut notification.get_meta_mut().0 .0);
        let sent = self.peer.send_notification(notification).await;
        if let Some(span) = &span {
            let outcome = match &sent {
                Ok(()) => Outcome::Ok,
                Err(error) => Outcome::Failed(error.to_string()),
            };
            mcp::end_span(span, &outcome);
        }
        sent
    }

    /// Sends `request` inside its CLIENT span. Failures end the span here;
    /// a success leaves it open for the caller to finish.
    async fn send(
        &self,
        method: &'static str,
        mut request: ServerRequest,
        extra: Vec<KeyValue>,
    ) -> (Result<ClientResult, ServiceError>, Option<Context>) {
        let started = std::time::Instant::now();
        let mut operation = Operation::new(method, None, self.transport);
        operation.protocol_version = self
            .peer
            .peer_info()
            .map(|info| info.protocol_version.to_string());
        let span = mcp::enabled().then(|| {
            mcp::start_span(
                SpanKind::Client,
                &operation,
                &Context::current(),
                Vec::new(),
                extra,
            )
        });
        let carried = span.clone().unwrap_or_else(Context::current);
        propagation::inject_into_meta(&carried, &mut request.get_meta_mut().0 .0);
        let sent = self
            .peer
            .send_cancellable_request(request, PeerRequestOptions::no_options())
            .await;
        let result = match sent {
            Ok(handle) => {
                if let Some(span) = &span {
                    use opentelemetry::trace::TraceContextExt as _;
                    span.span().set_attribute(KeyValue::new(
                        mcp::JSONRPC_REQUEST_ID,
                        handle.id.to_string(),
                    ));
                }
                handle.await_response().await
            }
            Err(error) => Err(error),
        };
        let outcome = match &result {
            Ok(_) => Outcome::Ok,
            Err(ServiceError::McpError(error)) => Outcome::RpcError {
                code: error.code.0,
                message: error.message.to_string(),
            },
            Err(other) => Outcome::Failed(other.to_string()),
        };
        if metrics::enabled() {
            metrics::record_client_operation(
                started.elapsed(),
                &operation.metric_attributes(&outcome),
            );
        }
        match (&result, span) {
            (Err(_), Some(span)) => {
                mcp::end_span(&span, &outcome);
                (result, None)
            }
            (_, span) => (result, span),
        }
    }
}
