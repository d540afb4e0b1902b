//! [`McpClientHandler`]: what an [`McpClient`](super::McpClient) answers when
//! the server asks (sampling, elicitation, roots) and what it does with the
//! server's notifications, from the handlers given to
//! [`McpClientBuilder`](super::McpClientBuilder).
//!
//! It is served under [`TracedClientHandler`](super::TracedClientHandler),
//! so each answer is a SERVER span under the server's CLIENT span.

// rmcp deprecates sampling and roots (SEP-2577) but still routes them.
#![allow(deprecated)]

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, PoisonError, RwLock};

use rmcp::model::{
    ClientCapabilities, ClientConfig, CreateMessageRequestParams, CreateMessageResult,
    ElicitRequestParams, ElicitResult, ElicitationAction, ElicitationCapability, ElicitationSchema,
    ErrorCode, FormElicitationCapability, ListRootsResult, LoggingMessageNotificationParam,
    ResourceUpdatedNotificationParam, Root, RootsCapabilities, SamplingCapability,
};
use rmcp::service::{NotificationContext, RequestContext};
use rmcp::{ClientHandler, ErrorData, RoleClient};
use serde_json::{Map, Value};

/// A boxed, sendable future: what the stored handlers return.
pub(crate) type Answer<T> = Pin<Box<dyn Future<Output = Result<T, ErrorData>> + Send>>;

pub(crate) type SamplingHandler =
    Arc<dyn Fn(CreateMessageRequestParams) -> Answer<CreateMessageResult> + Send + Sync>;
pub(crate) type ElicitationHandler =
    Arc<dyn Fn(ElicitRequestParams) -> Answer<ElicitResult> + Send + Sync>;
pub(crate) type Hook<P> = Arc<dyn Fn(P) + Send + Sync>;

/// The rmcp [`ClientHandler`] an [`McpClient`](super::McpClient) serves:
/// built by [`McpClientBuilder`](super::McpClientBuilder), it advertises in
/// `initialize` exactly the capabilities it was given handlers for
/// (`sampling`, `elicitation` in form mode, `roots` with `listChanged`) and
/// answers each request through its handler; a request without a handler
/// gets `-32601` (method not found).
///
/// ```
/// use mcp_trace_runtime::client::McpClient;
/// use rmcp::model::{CreateMessageResult, Root, SamplingMessage};
/// use rmcp::ClientHandler;
///
/// let handler = McpClient::builder()
///     .on_sampling(|_params| async {
///         Ok(CreateMessageResult::new(SamplingMessage::assistant_text("42"), "local".into()))
///     })
///     .roots(vec![Root::new("file:///work")])
///     .into_handler();
/// let capabilities = handler.get_info().capabilities;
/// assert!(capabilities.sampling.is_some());
/// assert!(capabilities.roots.is_some());
/// assert!(capabilities.elicitation.is_none(), "no elicitation handler given");
/// ```
#[derive(Clone)]
pub struct McpClientHandler {
    pub(crate) info: ClientConfig,
    pub(crate) sampling: Option<SamplingHandler>,
    pub(crate) elicitation: Option<ElicitationHandler>,
    pub(crate) elicitation_defaults: bool,
    /// `None`: no roots capability.
    pub(crate) roots: Option<Arc<RwLock<Vec<Root>>>>,
    pub(crate) on_logging_message: Option<Hook<LoggingMessageNotificationParam>>,
    pub(crate) on_resource_updated: Option<Hook<ResourceUpdatedNotificationParam>>,
}

impl std::fmt::Debug for McpClientHandler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("McpClientHandler")
            .field("client_info", &self.info.client_info)
            .field("sampling", &self.sampling.is_some())
            .field("elicitation", &self.elicitation.is_some())
            .field("roots", &self.roots.is_some())
            .finish_non_exhaustive()
    }
}

impl McpClientHandler {
    /// The capabilities the handlers given make true.
    pub(crate) fn capabilities(&self) -> ClientCapabilities {
        let mut capabilities = ClientCapabilities::default();
        if self.sampling.is_some() {
            capabilities.sampling = Some(SamplingCapability::default());
        }
        if self.elicitation.is_some() {
            capabilities.elicitation =
                Some(ElicitationCapability::new().with_form(FormElicitationCapability::new()));
        }
        if self.roots.is_some() {
            let mut roots = RootsCapabilities::default();
            roots.list_changed = Some(true);
            capabilities.roots = Some(roots);
        }
        capabilities
    }

    /// Replaces the roots answered to `roots/list`; false when the client
    /// was built without roots.
    pub(crate) fn set_roots(&self, roots: Vec<Root>) -> bool {
        match &self.roots {
            Some(current) => {
                *current.write().unwrap_or_else(PoisonError::into_inner) = roots;
                true
            }
            None => false,
        }
    }
}

fn not_offered(method: &'static str) -> ErrorData {
    ErrorData::new(
        ErrorCode::METHOD_NOT_FOUND,
        format!("{method}: this client has no handler for it"),
        None,
    )
}

impl ClientHandler for McpClientHandler {
    fn get_info(&self) -> ClientConfig {
        let mut info = self.info.clone();
        info.capabilities = self.capabilities();
        info
    }

    async fn create_message(
        &self,
        params: CreateMessageRequestParams,
        _context: RequestContext<RoleClient>,
    ) -> Result<CreateMessageResult, ErrorData> {
        match &self.sampling {
            Some(sampling) => sampling(params).await,
            None => Err(not_offered("sampling/createMessage")),
        }
    }

    async fn create_elicitation(
        &self,
        request: ElicitRequestParams,
        _context: RequestContext<RoleClient>,
    ) -> Result<ElicitResult, ErrorData> {
        let Some(elicitation) = &self.elicitation else {
            return Err(not_offered("elicitation/create"));
        };
        let schema = match &request {
            ElicitRequestParams::FormElicitationParams {
                requested_schema, ..
            } if self.elicitation_defaults => Some(requested_schema.clone()),
            _ => None,
        };
        let mut answer = elicitation(request).await?;
        if let (Some(schema), ElicitationAction::Accept) = (schema, &answer.action) {
            answer.content = with_schema_defaults(&schema, answer.content.take());
        }
        Ok(answer)
    }

    async fn list_roots(
        &self,
        _context: RequestContext<RoleClient>,
    ) -> Result<ListRootsResult, ErrorData> {
        match &self.roots {
            Some(roots) => Ok(ListRootsResult::new(
                roots.read().unwrap_or_else(PoisonError::into_inner).clone(),
            )),
            None => Err(not_offered("roots/list")),
        }
    }

    async fn on_logging_message(
        &self,
        params: LoggingMessageNotificationParam,
        _context: NotificationContext<RoleClient>,
    ) {
        if let Some(hook) = &self.on_logging_message {
            hook(params);
        }
    }

    async fn on_resource_updated(
        &self,
        params: ResourceUpdatedNotificationParam,
        _context: NotificationContext<RoleClient>,
    ) {
        if let Some(hook) = &self.on_resource_updated {
            hook(params);
        }
    }
}

/// An accepted form answer with the schema's `default` filled in for every
/// property the answer leaves out (SEP-1034); given values are kept.
///
/// ```
/// use mcp_trace_runtime::client::with_schema_defaults;
/// use rmcp::model::ElicitationSchema;
///
/// let schema: ElicitationSchema = serde_json::from_value(serde_json::json!({
///     "type": "object",
///     "properties": {
///         "name": {"type": "string", "default": "John Doe"},
///         "age": {"type": "integer", "default": 30},
///         "note": {"type": "string"}
///     }
/// }))
/// .unwrap();
/// let answer = with_schema_defaults(&schema, Some(serde_json::json!({"age": 41})));
/// assert_eq!(answer, Some(serde_json::json!({"name": "John Doe", "age": 41})));
/// ```
pub fn with_schema_defaults(schema: &ElicitationSchema, content: Option<Value>) -> Option<Value> {
    let schema = serde_json::to_value(schema).unwrap_or(Value::Null);
    let defaults: Vec<(&String, &Value)> = schema
        .get("properties")
        .and_then(Value::as_object)
        .map(|properties| {
            properties
                .iter()
                .filter_map(|(name, property)| property.get("default").map(|value| (name, value)))
                .collect()
        })
        .unwrap_or_default();
    if defaults.is_empty() {
        return content;
    }
    let mut object = match content {
        Some(Value::Object(object)) => object,
        None => Map::new(),
        // Not an object: not ours to repair.
        Some(other) => return Some(other),
    };
    for (name, value) in defaults {
        if !object.contains_key(name) {
            object.insert(name.clone(), value.clone());
        }
    }
    Some(Value::Object(object))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema(value: Value) -> ElicitationSchema {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn every_default_of_sep_1034_fills_an_empty_answer() {
        let schema = schema(serde_json::json!({
            "type": "object",
            "properties": {
                "name": {"type": "string", "default": "John Doe"},
                "age": {"type": "integer", "default": 30},
                "score": {"type": "number", "default": 95.5},
                "status": {"type": "string", "enum": ["active", "inactive"], "default": "active"},
                "verified": {"type": "boolean", "default": true}
            },
            "required": []
        }));
        let filled = with_schema_defaults(&schema, Some(serde_json::json!({}))).unwrap();
        assert_eq!(
            filled,
            serde_json::json!({"name": "John Doe", "age": 30, "score": 95.5, "status": "active", "verified": true})
        );
        assert_eq!(with_schema_defaults(&schema, None), Some(filled));
    }

    #[test]
    fn a_schema_without_defaults_leaves_the_answer_alone() {
        let schema = schema(serde_json::json!({
            "type": "object",
            "properties": {"name": {"type": "string"}}
        }));
        assert_eq!(with_schema_defaults(&schema, None), None);
        let given = Some(serde_json::json!({"name": "Ada"}));
        assert_eq!(with_schema_defaults(&schema, given.clone()), given);
    }
}
