//! [`McpServer`]: an rmcp [`ServerHandler`] serving what the macros
//! register — tools, resources and resource templates, prompts and their
//! completions — and the sessions' subscriptions. It traces nothing itself:
//! served through [`super::serve_http`] / [`super::serve_io`] it sits under
//! [`super::TracedServer`] like any other handler.

// rmcp deprecates logging and resource subscriptions (SEP-2577) but still
// routes them; MCP clients use both today.
#![allow(deprecated)]

use std::any::Any;
use std::future::Future;
use std::sync::Arc;

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, CompleteRequestParams, CompleteResult,
    CompletionInfo, ContentBlock, CustomRequest, CustomResult, ErrorCode, GetPromptRequestParams,
    GetPromptResponse, Implementation, ListPromptsResult, ListResourceTemplatesResult,
    ListResourcesResult, ListToolsResult, PaginatedRequestParams, ReadResourceRequestParams,
    ReadResourceResponse, ReadResourceResult, Reference, ServerCapabilities, ServerConfig,
    SetLevelRequestParams, SubscribeRequestParams, Tool, UnsubscribeRequestParams,
};
use rmcp::service::{NotificationContext, RequestContext};
use rmcp::{ErrorData, RoleServer, ServerHandler};
use tokio::sync::Semaphore;
use tokio::task::JoinHandle;

use super::catalog::{Catalog, DuplicateName};
use super::subscriptions::{Notifier, Session};
use crate::argument::{self, CallError};
use crate::prompt::{registered_prompts, PromptDefinition};
use crate::resource::{registered_resources, ResourceDefinition, ResourceRequest};
use crate::scope::bind_current;
use crate::tool::{self, registered_tools, ToolDefinition};

/// An MCP server for the tools, resources and prompts the macros register.
///
/// rmcp serves a clone per session: the registrations are shared behind
/// `Arc`s; each clone starts a session of its own (its resource
/// subscriptions), which [`McpServer::notifier`] reaches.
///
/// ```
/// use mcp_trace_runtime::server::McpServer;
///
/// let server = McpServer::builder("weather", "1.0.0")
///     .instructions("Ask for the weather of a city.")
///     .build()?;
/// assert!(server.tools().is_empty());
/// # Ok::<(), mcp_trace_runtime::server::DuplicateName>(())
/// ```
#[derive(Debug)]
pub struct McpServer {
    name: Arc<str>,
    version: Arc<str>,
    instructions: Option<Arc<str>>,
    catalog: Arc<Catalog>,
    notifier: Notifier,
    session: Arc<Session>,
    /// Calls (tools, resource reads, prompts) running at once, over every
    /// session: the rest wait for a turn.
    calls: Arc<Semaphore>,
}

/// Calls an [`McpServer`] runs at once by default
/// ([`McpServerBuilder::max_concurrent_calls`]).
pub const DEFAULT_MAX_CONCURRENT_CALLS: usize = 256;

/// A clone serves a new session: same registrations, no subscriptions yet.
impl Clone for McpServer {
    fn clone(&self) -> McpServer {
        McpServer {
            name: self.name.clone(),
            version: self.version.clone(),
            instructions: self.instructions.clone(),
            catalog: self.catalog.clone(),
            notifier: self.notifier.clone(),
            session: Arc::default(),
            calls: self.calls.clone(),
        }
    }
}

/// Chooses what a [`McpServer`] serves: nothing until told, or every
/// registration of a kind with [`McpServerBuilder::registered`].
///
/// ```
/// use mcp_trace_runtime::server::McpServer;
/// # use mcp_trace_runtime::tool::ToolDefinition;
/// # static TOOLS: &[&ToolDefinition] = &[];
///
/// let server = McpServer::builder("weather", "1.0.0")
///     .tools(TOOLS)       // exactly these tools
///     .all_resources()    // every #[mcp_resource]
///     .build()?;          // fails when two share a name
/// # drop(server);
/// # Ok::<(), mcp_trace_runtime::server::DuplicateName>(())
/// ```
#[derive(Debug, Clone)]
pub struct McpServerBuilder {
    name: String,
    version: String,
    instructions: Option<String>,
    tools: Vec<&'static ToolDefinition>,
    resources: Vec<&'static ResourceDefinition>,
    prompts: Vec<&'static PromptDefinition>,
    max_concurrent_calls: usize,
}

impl McpServerBuilder {
    /// Runs at most `calls` tool calls, resource reads and prompt gets at
    /// once, over all sessions (default [`DEFAULT_MAX_CONCURRENT_CALLS`]);
    /// the rest wait for a turn. Over HTTP the connection limit bounds the
    /// requests too; over stdio a client may send any number at once.
    ///
    /// ```
    /// let server = mcp_trace_runtime::server::McpServer::builder("weather", "1.0.0")
    ///     .max_concurrent_calls(32)
    ///     .build()
    ///     .expect("no registrations, no clash");
    /// # drop(server);
    /// ```
    pub fn max_concurrent_calls(mut self, calls: usize) -> McpServerBuilder {
        self.max_concurrent_calls = calls.max(1);
        self
    }

    /// Serves these tools (added to any given before).
    pub fn tools(mut self, tools: &[&'static ToolDefinition]) -> McpServerBuilder {
        self.tools.extend_from_slice(tools);
        self
    }

    /// Serves these resources and resource templates.
    pub fn resources(mut self, resources: &[&'static ResourceDefinition]) -> McpServerBuilder {
        self.resources.extend_from_slice(resources);
        self
    }

    /// Serves these prompts.
    pub fn prompts(mut self, prompts: &[&'static PromptDefinition]) -> McpServerBuilder {
        self.prompts.extend_from_slice(prompts);
        self
    }

    /// Serves every `#[mcp_tool]` of the program.
    pub fn all_tools(self) -> McpServerBuilder {
        self.tools(&registered_tools())
    }

    /// Serves every `#[mcp_resource]` of the program.
    pub fn all_resources(self) -> McpServerBuilder {
        self.resources(&registered_resources())
    }

    /// Serves every `#[mcp_prompt]` of the program.
    pub fn all_prompts(self) -> McpServerBuilder {
        self.prompts(&registered_prompts())
    }

    /// Serves every registration of the program.
    pub fn registered(self) -> McpServerBuilder {
        self.all_tools().all_resources().all_prompts()
    }

    /// Instructions sent to clients in the `initialize` result, typically
    /// shown to the model as a hint on how to use the server.
    pub fn instructions(mut self, text: impl Into<String>) -> McpServerBuilder {
        self.instructions = Some(text.into());
        self
    }

    /// The server.
    ///
    /// # Errors
    ///
    /// Two tools, two prompts or two resources with one name (one URI) — the
    /// error names both definitions.
    pub fn build(self) -> Result<McpServer, DuplicateName> {
        let catalog = Catalog::new(&self.tools, &self.resources, &self.prompts)?;
        Ok(McpServer {
            name: self.name.into(),
            version: self.version.into(),
            instructions: self.instructions.map(Into::into),
            catalog: Arc::new(catalog),
            notifier: Notifier::default(),
            session: Arc::default(),
            calls: Arc::new(Semaphore::new(self.max_concurrent_calls)),
        })
    }
}

impl McpServer {
    /// Serves every `#[mcp_tool]`, `#[mcp_resource]` and `#[mcp_prompt]` of
    /// the program.
    ///
    /// ```
    /// let server = mcp_trace_runtime::server::McpServer::new("weather", "1.0.0")?;
    /// for tool in server.tools() {
    ///     println!("serving {}", tool.name);
    /// }
    /// # Ok::<(), mcp_trace_runtime::server::DuplicateName>(())
    /// ```
    ///
    /// # Errors
    ///
    /// Two registrations of one kind with one name, naming both.
    pub fn new(
        name: impl Into<String>,
        version: impl Into<String>,
    ) -> Result<McpServer, DuplicateName> {
        McpServer::builder(name, version).registered().build()
    }

    /// A server serving what the builder is told.
    pub fn builder(name: impl Into<String>, version: impl Into<String>) -> McpServerBuilder {
        McpServerBuilder {
            name: name.into(),
            version: version.into(),
            instructions: None,
            tools: Vec::new(),
            resources: Vec::new(),
            prompts: Vec::new(),
            max_concurrent_calls: DEFAULT_MAX_CONCURRENT_CALLS,
        }
    }

    /// Serves exactly `tools`, e.g. `&[&get_weather::TOOL]`.
    ///
    /// ```
    /// use mcp_trace_runtime::server::McpServer;
    /// use mcp_trace_runtime::tool::{output_of, ToolDefinition};
    ///
    /// static PING: ToolDefinition = ToolDefinition::new(
    ///     "ping",
    ///     "Answers pong.",
    ///     || serde_json::Map::new(),
    ///     |_arguments| Box::pin(async { Ok(output_of("pong")) }),
    /// );
    /// let server = McpServer::with_tools("ping-server", "0.1.0", &[&PING])?;
    /// assert_eq!(server.tools()[0].name, "ping");
    /// assert!(McpServer::with_tools("twice", "0.1.0", &[&PING, &PING]).is_err());
    /// # Ok::<(), mcp_trace_runtime::server::DuplicateName>(())
    /// ```
    ///
    /// # Errors
    ///
    /// Two tools with one name, naming both.
    pub fn with_tools(
        name: impl Into<String>,
        version: impl Into<String>,
        tools: &[&'static ToolDefinition],
    ) -> Result<McpServer, DuplicateName> {
        McpServer::builder(name, version).tools(tools).build()
    }

    /// Instructions sent to clients in the `initialize` result.
    ///
    /// ```
    /// let server = mcp_trace_runtime::server::McpServer::new("weather", "1.0.0")?
    ///     .instructions("Use get_forecast for more than one day.");
    /// # let _ = server;
    /// # Ok::<(), mcp_trace_runtime::server::DuplicateName>(())
    /// ```
    pub fn instructions(mut self, text: impl Into<String>) -> McpServer {
        self.instructions = Some(text.into().into());
        self
    }

    /// The tools this server serves.
    pub fn tools(&self) -> Vec<&'static ToolDefinition> {
        self.catalog.tools.iter().map(|(tool, _)| *tool).collect()
    }

    /// Sends `notifications/resources/updated` and `*/list_changed` to the
    /// sessions of this server (and of every clone of it).
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), mcp_trace_runtime::server::DuplicateName> {
    /// let server = mcp_trace_runtime::server::McpServer::new("weather", "1.0.0")?;
    /// let notifier = server.notifier();
    /// // … serve `server`, then, when the data behind a resource changes:
    /// notifier.resource_updated("weather://Paris/today").await;
    /// # Ok(()) }
    /// ```
    pub fn notifier(&self) -> Notifier {
        self.notifier.clone()
    }
}

/// The MCP protocol side, driven by rmcp for both HTTP and stdio.
///
/// ```
/// use mcp_trace_runtime::server::McpServer;
/// use rmcp::ServerHandler;
///
/// let info = McpServer::with_tools("weather", "1.0.0", &[])?.get_info();
/// assert!(info.capabilities.tools.is_some());
/// assert!(info.capabilities.logging.is_some());
/// assert_eq!(info.server_info.name, "weather");
/// # Ok::<(), mcp_trace_runtime::server::DuplicateName>(())
/// ```
impl ServerHandler for McpServer {
    fn get_info(&self) -> ServerConfig {
        let catalog = &self.catalog;
        let mut capabilities = ServerCapabilities::builder()
            .enable_tools()
            .enable_logging()
            .build();
        if !catalog.resources.is_empty() || !catalog.templates.is_empty() {
            let mut resources = rmcp::model::ResourcesCapability::default();
            resources.subscribe = Some(true);
            resources.list_changed = Some(true);
            capabilities.resources = Some(resources);
        }
        if !catalog.prompts.is_empty() {
            let mut prompts = rmcp::model::PromptsCapability::default();
            prompts.list_changed = Some(true);
            capabilities.prompts = Some(prompts);
        }
        let completes = catalog
            .prompts
            .iter()
            .any(|(prompt, _)| !prompt.completions.is_empty())
            || catalog
                .templates
                .iter()
                .any(|(resource, _)| !resource.completions.is_empty());
        if completes {
            capabilities.completions = Some(Default::default());
        }
        let config = ServerConfig::new(capabilities)
            .with_server_info(Implementation::new(&*self.name, &*self.version));
        match &self.instructions {
            Some(text) => config.with_instructions(&**text),
            None => config,
        }
    }

    async fn on_initialized(&self, context: NotificationContext<RoleServer>) {
        self.notifier.join(&self.session, context.peer);
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        let tools = self
            .catalog
            .tools
            .iter()
            .map(|(_, tool)| tool.clone())
            .collect();
        Ok(ListToolsResult::with_all_items(tools))
    }

    // Lets rmcp check SEP-2243 `Mcp-Param-*` headers against the real schema.
    fn get_tool(&self, name: &str) -> Option<Tool> {
        self.catalog.tool(name).map(|(_, tool)| tool.clone())
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let Some((definition, listed)) = self.catalog.tool(&request.name) else {
            return Err(ErrorData::invalid_params(
                format!("unknown tool: {}", bounded(&request.name)),
                None,
            ));
        };
        let call = (definition.call)(request.arguments.unwrap_or_default());
        let result = match isolated(&self.calls, ("tool", definition.name), call).await {
            Ok(Ok(output)) => tool::result_of(output, listed.output_schema.as_deref()),
            // Per the spec, bad arguments are a tool execution error: the
            // model reads it and can correct its call.
            Ok(Err(error)) => CallToolResult::error(vec![ContentBlock::text(error.to_string())]),
            // A panic is the tool failing, not the protocol.
            Err(panicked) => CallToolResult::error(vec![ContentBlock::text(panicked)]),
        };
        Ok(result.into())
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        let resources = self
            .catalog
            .resources
            .iter()
            .map(|(_, listed)| listed.clone())
            .collect();
        Ok(ListResourcesResult::with_all_items(resources))
    }

    async fn list_resource_templates(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, ErrorData> {
        let templates = self
            .catalog
            .templates
            .iter()
            .map(|(_, listed)| listed.clone())
            .collect();
        Ok(ListResourceTemplatesResult::with_all_items(templates))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        let Some((definition, variables)) = self.catalog.resource(&request.uri) else {
            return Err(unknown_resource(&request.uri));
        };
        let read = (definition.read)(ResourceRequest {
            uri: request.uri.clone(),
            variables,
        });
        let contents = answer(isolated(&self.calls, ("resource", &request.uri), read).await)?;
        Ok(ReadResourceResult::new(contents).into())
    }

    async fn subscribe(
        &self,
        request: SubscribeRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        if self.catalog.resource(&request.uri).is_none() {
            return Err(unknown_resource(&request.uri));
        }
        self.notifier.join(&self.session, context.peer);
        self.session.subscribe(request.uri);
        Ok(())
    }

    async fn unsubscribe(
        &self,
        request: UnsubscribeRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        self.session.unsubscribe(&request.uri);
        Ok(())
    }

    async fn list_prompts(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListPromptsResult, ErrorData> {
        let prompts = self
            .catalog
            .prompts
            .iter()
            .map(|(_, listed)| listed.clone())
            .collect();
        Ok(ListPromptsResult::with_all_items(prompts))
    }

    async fn get_prompt(
        &self,
        request: GetPromptRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<GetPromptResponse, ErrorData> {
        let Some(definition) = self.catalog.prompt(&request.name) else {
            return Err(ErrorData::invalid_params(
                format!("unknown prompt: {}", bounded(&request.name)),
                None,
            ));
        };
        let get = (definition.get)(request.arguments.unwrap_or_default());
        Ok(answer(isolated(&self.calls, ("prompt", definition.name), get).await)?.into())
    }

    async fn complete(
        &self,
        request: CompleteRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<CompleteResult, ErrorData> {
        let completions = match &request.r#ref {
            Reference::Prompt(reference) => match self.catalog.prompt(&reference.name) {
                Some(prompt) => prompt.completions,
                None => {
                    return Err(ErrorData::invalid_params(
                        format!("unknown prompt: {}", bounded(&reference.name)),
                        None,
                    ))
                }
            },
            Reference::Resource(reference) => {
                match self.catalog.resource_written_as(&reference.uri) {
                    Some(resource) => resource.completions,
                    None => return Err(unknown_resource(&reference.uri)),
                }
            }
            _ => &[],
        };
        let mut values =
            argument::complete(completions, &request.argument.name, &request.argument.value);
        let total = values.len();
        values.truncate(CompletionInfo::MAX_VALUES);
        let has_more = total > values.len();
        let info = CompletionInfo::with_pagination(values, u32::try_from(total).ok(), has_more)
            .map_err(|error| ErrorData::internal_error(error, None))?;
        Ok(CompleteResult::new(info))
    }

    // rmcp hands over a request of a method it knows whose params do not fit
    // that method (`tools/call` with `arguments: "Paris"`, a numeric `name`,
    // no params) as a custom request; its default answer, method not found
    // named by the method alone, would say the method does not exist.
    async fn on_custom_request(
        &self,
        request: CustomRequest,
        _context: RequestContext<RoleServer>,
    ) -> Result<CustomResult, ErrorData> {
        Err(unrouted_request(&request))
    }

    // The layer above ([`super::TracedServer`]) records the level for
    // [`super::BackChannel::log`]; accepting it is all that is left here.
    async fn set_level(
        &self,
        _request: SetLevelRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        Ok(())
    }
}

/// The methods this server answers; a request of one of them that rmcp could
/// not route had params that do not fit it.
const SERVED_METHODS: &[&str] = &[
    "initialize",
    "ping",
    "tools/list",
    "tools/call",
    "resources/list",
    "resources/templates/list",
    "resources/read",
    "resources/subscribe",
    "resources/unsubscribe",
    "prompts/list",
    "prompts/get",
    "completion/complete",
    "logging/setLevel",
];

/// The JSON-RPC error for a request rmcp could not route: invalid params
/// (-32602) saying what does not fit for a method this server answers,
/// method not found (-32601) naming the method otherwise.
fn unrouted_request(request: &CustomRequest) -> ErrorData {
    let method = request.method.as_str();
    if !SERVED_METHODS.contains(&method) {
        return ErrorData::new(
            ErrorCode::METHOD_NOT_FOUND,
            format!("method not found: {}", bounded(method)),
            None,
        );
    }
    let why = match (method, &request.params) {
        (_, None) => "params are missing".to_string(),
        ("tools/call", Some(params)) => {
            match serde_json::from_value::<CallToolRequestParams>(params.clone()) {
                Err(error) => error.to_string(),
                Ok(_) => "params do not fit the method".to_string(),
            }
        }
        (_, Some(params)) if !params.is_object() => "params must be an object".to_string(),
        (_, Some(_)) => "params do not fit the method".to_string(),
    };
    ErrorData::invalid_params(format!("invalid params for {method}: {why}"), None)
}

/// Longest part of a client-chosen name echoed back in an error message.
const ECHOED_NAME_BYTES: usize = 256;

/// `name` as an error message echoes it: whole when short, else its first
/// [`ECHOED_NAME_BYTES`] bytes (cut on a character boundary) and its length,
/// so a client sending a huge name gets neither its name back nor a huge
/// span status.
fn bounded(name: &str) -> std::borrow::Cow<'_, str> {
    if name.len() <= ECHOED_NAME_BYTES {
        return name.into();
    }
    let mut end = ECHOED_NAME_BYTES;
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… ({} bytes)", &name[..end], name.len()).into()
}

fn unknown_resource(uri: &str) -> ErrorData {
    ErrorData::resource_not_found(format!("unknown resource: {}", bounded(uri)), None)
}

/// A prompt's or a resource's outcome as the JSON-RPC answer.
fn answer<T>(outcome: Result<Result<T, CallError>, String>) -> Result<T, ErrorData> {
    match outcome {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(CallError::Arguments(error))) => {
            Err(ErrorData::invalid_params(error.to_string(), None))
        }
        Ok(Err(CallError::Failed(message))) => Err(ErrorData::internal_error(message, None)),
        Err(panicked) => Err(ErrorData::internal_error(panicked, None)),
    }
}

/// Runs a registration's future in its own task, so a panic fails this call
/// only and not the session's serve loop; the guard stops the task when the
/// call is dropped (the layer drops a cancelled request's handler). The
/// request scope and the current context (the SERVER span in native mode) go
/// with the task: a spawned task inherits neither.
///
/// It waits for a turn among `calls` first. `(kind, name)` names the
/// registration in the message of a failure, which is only written when
/// there is one.
async fn isolated<T: Send + 'static>(
    calls: &Semaphore,
    (kind, name): (&str, &str),
    future: impl Future<Output = T> + Send + 'static,
) -> Result<T, String> {
    // Never closed; a closed one would only mean no limit.
    let _turn = calls.acquire().await.ok();
    let mut task = AbortOnDrop(tokio::spawn(bind_current(future)));
    match (&mut task.0).await {
        Ok(value) => Ok(value),
        Err(error) if error.is_panic() => Err(format!(
            "{kind} {name} panicked: {}",
            panic_message(&*error.into_panic())
        )),
        Err(_) => Err(format!("{kind} {name} was cancelled")),
    }
}

fn panic_message(payload: &(dyn Any + Send)) -> &str {
    if let Some(message) = payload.downcast_ref::<&'static str>() {
        message
    } else if let Some(message) = payload.downcast_ref::<String>() {
        message
    } else {
        "non-text panic payload"
    }
}

struct AbortOnDrop<T>(JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panic_messages_are_readable() {
        let payload: Box<dyn Any + Send> = Box::new("boom");
        assert_eq!(panic_message(&*payload), "boom");
        let payload: Box<dyn Any + Send> = Box::new(String::from("bang"));
        assert_eq!(panic_message(&*payload), "bang");
        let payload: Box<dyn Any + Send> = Box::new(42);
        assert_eq!(panic_message(&*payload), "non-text panic payload");
    }

    #[test]
    fn echoed_names_are_cut_on_a_character_boundary_with_their_length() {
        assert_eq!(bounded("get_humidity"), "get_humidity");
        let exact = "x".repeat(ECHOED_NAME_BYTES);
        assert_eq!(bounded(&exact), exact);
        // 'é' is two bytes: byte 256 falls inside one.
        let long = format!("x{}", "é".repeat(200));
        let cut = bounded(&long);
        assert_eq!(cut, format!("x{}… (401 bytes)", "é".repeat(127)));
    }

    #[test]
    fn unrouted_requests_of_served_methods_are_invalid_params() {
        let bad = CustomRequest::new(
            "tools/call",
            Some(serde_json::json!({"name": "get_weather", "arguments": "Paris"})),
        );
        let error = unrouted_request(&bad);
        assert_eq!(error.code, ErrorCode::INVALID_PARAMS);
        assert!(
            error
                .message
                .starts_with("invalid params for tools/call: invalid type"),
            "{}",
            error.message
        );
        let missing = unrouted_request(&CustomRequest::new("prompts/get", None));
        assert_eq!(missing.code, ErrorCode::INVALID_PARAMS);
        assert_eq!(
            missing.message,
            "invalid params for prompts/get: params are missing"
        );
        let unknown = unrouted_request(&CustomRequest::new("no/such", None));
        assert_eq!(unknown.code, ErrorCode::METHOD_NOT_FOUND);
        assert_eq!(unknown.message, "method not found: no/such");
    }
}
