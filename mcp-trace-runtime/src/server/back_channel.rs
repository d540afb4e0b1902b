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
use crate::generation;
use crate::metrics;
use crate::observe::attributes::{INPUT, OUTPUT};
use crate::observe::{truncate, ObservationType};
use crate::propagation;
use crate::scope::{ClientLogLevel, ServedRequest};

/// Which list changed, for `notifications/*/list_changed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ListChanged {
    Resources,
    Tools,
    Prompts,
}

/// What a sampling answer reports beyond MCP's fields: MCP has no place
/// for token usage or cost, so clients that know them put them in the
/// answer message's `_meta` (see [`crate::generation::sampling_meta`]):
/// `usage: {inputTokens, outputTokens, totalTokens, cachedInputTokens,
/// reasoningTokens}` and `cost: {input, output, total}` in USD (snake_case
/// accepted too).
fn reported_usage_and_cost(result: &CreateMessageResult) -> Vec<KeyValue> {
    let Some(meta) = result.message.meta.as_ref() else {
        return Vec::new();
    };
    let mut attributes = Vec::new();
    if let Some(usage) = meta.0.get("usage").and_then(generation::Usage::from_json) {
        attributes.extend(usage.attributes());
    }
    if let Some(cost) = meta.0.get("cost").and_then(generation::Cost::from_json) {
        attributes.extend(cost.attributes());
    }
    attributes
}

/// A captured message, cut to the value length limit like every captured value.
fn captured(json: String) -> String {
    truncate(json, crate::settings::value_length_limit())
}

/// A sampling request's generation attributes: its type in the three
/// vocabularies, the messages as input, the first model hint as the model
/// asked for, and the request parameters.
fn request_attributes(params: &CreateMessageRequestParams) -> Vec<KeyValue> {
    let mut attributes: Vec<KeyValue> = ObservationType::Generation.span_attributes().collect();
    if crate::settings::capture_io()
        && let Ok(messages) = serde_json::to_string(&params.messages)
    {
        attributes.push(KeyValue::new(INPUT, captured(messages)));
    }
    let hinted = params
        .model_preferences
        .as_ref()
        .and_then(|preferences| preferences.hints.as_ref())
        .and_then(|hints| hints.iter().find_map(|hint| hint.name.as_deref()));
    if let Some(model) = hinted {
        attributes.extend(generation::model_attributes(model));
    }
    let mut parameters = serde_json::Map::new();
    parameters.insert("max_tokens".into(), params.max_tokens.into());
    if let Some(temperature) = params.temperature {
        // Through its shortest decimal form: `f64::from(0.7f32)` is 0.699999988…
        let temperature: f64 = temperature.to_string().parse().unwrap_or(f64::NAN);
        parameters.insert("temperature".into(), temperature.into());
    }
    if let Some(stop) = &params.stop_sequences {
        parameters.insert("stop_sequences".into(), stop.clone().into());
    }
    attributes.extend(generation::model_parameter_attributes(&parameters));
    attributes
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
    /// generation (Langfuse's `generation`, `gen_ai.operation.name = chat`,
    /// OpenInference `LLM`): the messages as input, the answer as output,
    /// the preferred model and the parameters of the request, the answering
    /// model, its stop reason, and the token usage and cost when the
    /// answer's `_meta` gives them (see [`crate::generation::sampling_meta`]).
    pub async fn create_message(
        &self,
        params: CreateMessageRequestParams,
    ) -> Result<CreateMessageResult, ServiceError> {
        let generation = request_attributes(&params);
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
            let mut attributes: Vec<KeyValue> =
                generation::response_model_attributes(&result.model).into();
            if let Some(reason) = &result.stop_reason {
                attributes.extend(generation::finish_reason_attributes(reason));
            }
            if crate::settings::capture_io()
                && let Ok(message) = serde_json::to_string(&result.message)
            {
                attributes.push(KeyValue::new(OUTPUT, captured(message)));
            }
            attributes.extend(reported_usage_and_cost(&result));
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
