//! Tool registrations made by `#[mcp_tool]`, independent of any MCP SDK.
//!
//! Each `#[mcp_tool] fn name(…)` expands to a module `name` beside the
//! function holding `name::TOOL`, a [`ToolDefinition`], and submits it to a
//! link-time registry ([`inventory`]), so a server can serve every registered
//! tool with no list ([`registered_tools`]) or an explicit list
//! (`&[&get_weather::TOOL, …]`). The [`crate::server`] module turns these
//! definitions into MCP tools.

use std::fmt::Display;
use std::future::Future;
use std::pin::Pin;

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{Map, Value};

/// Arguments of a tool call: the `arguments` object of `tools/call`.
pub type Arguments = Map<String, Value>;

/// The future a tool call runs as.
pub type ToolFuture = Pin<Box<dyn Future<Output = Result<ToolOutput, ToolCallError>> + Send>>;

/// One MCP tool, as `#[mcp_tool]` describes it.
///
/// ```
/// use mcp_trace_runtime::tool::{registered_tools, ToolDefinition};
/// for tool in registered_tools() {
///     println!("{}: {}", tool.name, tool.description);
/// }
/// ```
#[derive(Debug, Clone, Copy)]
pub struct ToolDefinition {
    /// Tool name (default: the function's name).
    pub name: &'static str,
    /// Human-readable title.
    pub title: Option<&'static str>,
    /// Description (default: the function's doc comment).
    pub description: &'static str,
    /// Behaviour hints for clients.
    pub hints: ToolHints,
    /// JSON schema of the arguments object.
    pub input_schema: fn() -> Map<String, Value>,
    /// Runs the tool on an arguments object.
    pub call: fn(Arguments) -> ToolFuture,
}

impl ToolDefinition {
    /// A tool with no title and no hints (what `#[mcp_tool]` starts from).
    pub const fn new(
        name: &'static str,
        description: &'static str,
        input_schema: fn() -> Map<String, Value>,
        call: fn(Arguments) -> ToolFuture,
    ) -> ToolDefinition {
        ToolDefinition {
            name,
            title: None,
            description,
            hints: ToolHints::NONE,
            input_schema,
            call,
        }
    }

    /// Sets the title.
    pub const fn title(mut self, title: &'static str) -> ToolDefinition {
        self.title = Some(title);
        self
    }

    /// Sets the hints.
    pub const fn hints(mut self, hints: ToolHints) -> ToolDefinition {
        self.hints = hints;
        self
    }
}

inventory::collect!(ToolDefinition);

/// Every tool registered with `#[mcp_tool]` in the program, sorted by name.
pub fn registered_tools() -> Vec<&'static ToolDefinition> {
    let mut tools: Vec<&'static ToolDefinition> =
        inventory::iter::<ToolDefinition>.into_iter().collect();
    tools.sort_by_key(|tool| tool.name);
    tools
}

/// MCP tool annotation hints; `None` leaves a hint unsaid.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ToolHints {
    /// `readOnlyHint`.
    pub read_only: Option<bool>,
    /// `destructiveHint`.
    pub destructive: Option<bool>,
    /// `idempotentHint`.
    pub idempotent: Option<bool>,
    /// `openWorldHint`.
    pub open_world: Option<bool>,
}

impl ToolHints {
    /// No hint said.
    pub const NONE: ToolHints = ToolHints {
        read_only: None,
        destructive: None,
        idempotent: None,
        open_world: None,
    };

    /// Sets `readOnlyHint`.
    pub const fn read_only(mut self, value: bool) -> ToolHints {
        self.read_only = Some(value);
        self
    }

    /// Sets `destructiveHint`.
    pub const fn destructive(mut self, value: bool) -> ToolHints {
        self.destructive = Some(value);
        self
    }

    /// Sets `idempotentHint`.
    pub const fn idempotent(mut self, value: bool) -> ToolHints {
        self.idempotent = Some(value);
        self
    }

    /// Sets `openWorldHint`.
    pub const fn open_world(mut self, value: bool) -> ToolHints {
        self.open_world = Some(value);
        self
    }
}

/// The result of a tool call as MCP returns it.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolOutput {
    /// The text content block (the value as JSON, or the error message).
    pub text: String,
    /// `structuredContent`: always a JSON object; non-object values are
    /// wrapped as `{"result": value}`, as FastMCP does.
    pub structured: Option<Value>,
    /// `isError`.
    pub is_error: bool,
}

/// A call that could not start: the arguments do not fit the tool's schema.
/// Servers answer it as a JSON-RPC invalid-params error (-32602) carrying
/// this message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid arguments for tool {tool}: {message}")]
pub struct ToolCallError {
    /// The tool.
    pub tool: &'static str,
    /// What is wrong, from the deserializer.
    pub message: String,
}

/// Deserializes the arguments object into the tool's argument struct.
pub fn parse_arguments<A: DeserializeOwned>(
    tool: &'static str,
    arguments: Arguments,
) -> Result<A, ToolCallError> {
    serde_json::from_value(Value::Object(arguments)).map_err(|error| ToolCallError {
        tool,
        message: error.to_string(),
    })
}

/// JSON schema of a tool's argument struct.
pub fn schema_for<A: schemars::JsonSchema>() -> Map<String, Value> {
    let schema = schemars::generate::SchemaSettings::draft2020_12()
        .into_generator()
        .into_root_schema_for::<A>();
    match serde_json::to_value(schema) {
        Ok(Value::Object(mut object)) => {
            // Clients show the tool's own title; schemars' struct name is internal.
            object.remove("title");
            object
        }
        _ => Map::new(),
    }
}

/// A tool's successful return value as output.
///
/// ```
/// let output = mcp_trace_runtime::tool::output_of(&vec![1, 2]);
/// assert_eq!(output.text, "[1,2]");
/// assert_eq!(output.structured, Some(serde_json::json!({"result": [1, 2]})));
/// ```
pub fn output_of<T: Serialize + ?Sized>(value: &T) -> ToolOutput {
    match serde_json::to_value(value) {
        Ok(value) => ToolOutput {
            text: value.to_string(),
            structured: Some(match value {
                Value::Object(_) => value,
                other => serde_json::json!({ "result": other }),
            }),
            is_error: false,
        },
        Err(error) => error_output(&format!(
            "the tool's result could not be serialized: {error}"
        )),
    }
}

/// A tool's `Result` as output: `Err` becomes an error result with its message.
///
/// ```
/// let failed: Result<u8, String> = Err("no such city".into());
/// let output = mcp_trace_runtime::tool::output_of_result(&failed);
/// assert!(output.is_error);
/// assert_eq!(output.text, "no such city");
/// ```
pub fn output_of_result<T: Serialize, E: Display>(result: &Result<T, E>) -> ToolOutput {
    match result {
        Ok(value) => output_of(value),
        Err(error) => error_output(&error.to_string()),
    }
}

/// An error result carrying `message`.
pub fn error_output(message: &str) -> ToolOutput {
    ToolOutput {
        text: message.to_string(),
        structured: None,
        is_error: true,
    }
}
