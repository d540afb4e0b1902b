//! [`McpServer`]: an rmcp [`ServerHandler`] serving the tools `#[mcp_tool]`
//! registers ([`ToolDefinition`]s). It traces nothing itself: served through
//! [`super::serve_http`] / [`super::serve_io`] it sits under
//! [`super::TracedServer`] like any other handler.

use std::any::Any;
use std::sync::Arc;

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, Implementation,
    ListToolsResult, PaginatedRequestParams, ServerCapabilities, ServerConfig, Tool,
    ToolAnnotations,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler};
use tokio::task::JoinHandle;

use crate::scope::bind_current;
use crate::tool::{registered_tools, ToolDefinition};

/// An MCP server exposing a fixed set of tools.
///
/// rmcp clones the server for every session, so everything in it is shared
/// behind `Arc`s and a clone costs a few reference-count bumps.
///
/// ```
/// use mcp_trace_runtime::server::McpServer;
///
/// let server = McpServer::with_tools("weather", "1.0.0", &[])
///     .instructions("Ask for the weather of a city.");
/// assert!(server.tools().is_empty());
/// ```
#[derive(Clone)]
pub struct McpServer {
    name: Arc<str>,
    version: Arc<str>,
    instructions: Option<Arc<str>>,
    tools: Arc<[&'static ToolDefinition]>,
    // Built once: schemas come from schemars and every session lists them.
    listed: Arc<[Tool]>,
}

impl McpServer {
    /// Serves every `#[mcp_tool]` in the program
    /// ([`registered_tools`]).
    ///
    /// ```
    /// let server = mcp_trace_runtime::server::McpServer::new("weather", "1.0.0");
    /// for tool in server.tools() {
    ///     println!("serving {}", tool.name);
    /// }
    /// ```
    pub fn new(name: impl Into<String>, version: impl Into<String>) -> McpServer {
        McpServer::with_tools(name, version, &registered_tools())
    }

    /// Serves exactly `tools`, e.g. `&[&get_weather::TOOL]`. When two share a
    /// name, the first one is served.
    ///
    /// ```
    /// use mcp_trace_runtime::server::McpServer;
    /// use mcp_trace_runtime::tool::{output_of, ToolDefinition, ToolHints};
    ///
    /// static PING: ToolDefinition = ToolDefinition {
    ///     name: "ping",
    ///     title: None,
    ///     description: "Answers pong.",
    ///     hints: ToolHints {
    ///         read_only: Some(true),
    ///         destructive: None,
    ///         idempotent: None,
    ///         open_world: None,
    ///     },
    ///     input_schema: || serde_json::Map::new(),
    ///     call: |_arguments| Box::pin(async { Ok(output_of("pong")) }),
    /// };
    /// let server = McpServer::with_tools("ping-server", "0.1.0", &[&PING]);
    /// assert_eq!(server.tools()[0].name, "ping");
    /// ```
    pub fn with_tools(
        name: impl Into<String>,
        version: impl Into<String>,
        tools: &[&'static ToolDefinition],
    ) -> McpServer {
        let mut unique: Vec<&'static ToolDefinition> = Vec::with_capacity(tools.len());
        for tool in tools {
            if !unique.iter().any(|seen| seen.name == tool.name) {
                unique.push(tool);
            }
        }
        let listed = unique.iter().map(|tool| to_rmcp_tool(tool)).collect();
        McpServer {
            name: name.into().into(),
            version: version.into().into(),
            instructions: None,
            tools: unique.into(),
            listed,
        }
    }

    /// Instructions sent to clients in the `initialize` result, typically
    /// shown to the model as a hint on how to use the tools.
    ///
    /// ```
    /// let server = mcp_trace_runtime::server::McpServer::new("weather", "1.0.0")
    ///     .instructions("Use get_forecast for more than one day.");
    /// # let _ = server;
    /// ```
    pub fn instructions(mut self, text: impl Into<String>) -> McpServer {
        self.instructions = Some(text.into().into());
        self
    }

    /// The tools this server serves.
    ///
    /// ```
    /// let server = mcp_trace_runtime::server::McpServer::with_tools("empty", "0.1.0", &[]);
    /// assert!(server.tools().is_empty());
    /// ```
    pub fn tools(&self) -> &[&'static ToolDefinition] {
        &self.tools
    }

    fn find(&self, name: &str) -> Option<(&'static ToolDefinition, &Tool)> {
        let index = self.tools.iter().position(|tool| tool.name == name)?;
        Some((self.tools[index], &self.listed[index]))
    }
}

impl std::fmt::Debug for McpServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("McpServer")
            .field("name", &self.name)
            .field("version", &self.version)
            .field(
                "tools",
                &self.tools.iter().map(|tool| tool.name).collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

fn to_rmcp_tool(definition: &ToolDefinition) -> Tool {
    let description = (!definition.description.is_empty()).then(|| definition.description.into());
    let mut tool = Tool::new_with_raw(definition.name, description, (definition.input_schema)());
    tool.title = definition.title.map(str::to_string);
    let hints = definition.hints;
    // Unset hints stay off the wire: their MCP defaults differ per hint, so
    // writing e.g. `false` would claim something the author never said.
    if definition.title.is_some()
        || hints.read_only.is_some()
        || hints.destructive.is_some()
        || hints.idempotent.is_some()
        || hints.open_world.is_some()
    {
        tool.annotations = Some(ToolAnnotations::from_raw(
            tool.title.clone(),
            hints.read_only,
            hints.destructive,
            hints.idempotent,
            hints.open_world,
        ));
    }
    tool
}

/// The MCP protocol side, driven by rmcp for both HTTP and stdio.
///
/// ```
/// use mcp_trace_runtime::server::McpServer;
/// use rmcp::ServerHandler;
///
/// let info = McpServer::with_tools("weather", "1.0.0", &[]).get_info();
/// assert!(info.capabilities.tools.is_some());
/// assert_eq!(info.server_info.name, "weather");
/// ```
impl ServerHandler for McpServer {
    fn get_info(&self) -> ServerConfig {
        let config = ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new(&*self.name, &*self.version));
        match &self.instructions {
            Some(text) => config.with_instructions(&**text),
            None => config,
        }
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items(self.listed.to_vec()))
    }

    // Lets rmcp check SEP-2243 `Mcp-Param-*` headers against the real schema.
    fn get_tool(&self, name: &str) -> Option<Tool> {
        self.find(name).map(|(_, tool)| tool.clone())
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        self.run_tool(request, &context).await
    }
}

impl McpServer {
    /// Runs one tool call inside its request scope, in its own task.
    async fn run_tool(
        &self,
        request: CallToolRequestParams,
        context: &RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let Some((definition, _)) = self.find(&request.name) else {
            return Err(ErrorData::invalid_params(
                format!("unknown tool: {}", request.name),
                None,
            ));
        };
        let call = (definition.call)(request.arguments.unwrap_or_default());
        // Its own task, so a panicking tool fails this call only and not the
        // session's serve loop; the guard stops the tool if the call is dropped.
        // The request scope and the current context (the SERVER span in
        // native mode) go with the task: a spawned task inherits neither.
        let mut task = AbortOnDrop(tokio::spawn(bind_current(call)));
        let joined = tokio::select! {
            joined = &mut task.0 => joined,
            () = context.ct.cancelled() => {
                return Err(ErrorData::internal_error(
                    format!("tool {} was cancelled", definition.name),
                    None,
                ));
            }
        };
        match joined {
            Ok(Ok(output)) => Ok(definition.result_of(output).into()),
            Ok(Err(error)) => Err(ErrorData::invalid_params(error.to_string(), None)),
            // A panic is the tool failing, not the protocol: report it as a
            // tool error so the caller (and the model) can read what happened.
            Err(error) if error.is_panic() => {
                Ok(CallToolResult::error(vec![ContentBlock::text(format!(
                    "tool {} panicked: {}",
                    definition.name,
                    panic_message(&*error.into_panic())
                ))])
                .into())
            }
            Err(_) => Err(ErrorData::internal_error(
                format!("tool {} was cancelled", definition.name),
                None,
            )),
        }
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
}
