//! Tool registrations made by `#[mcp_tool]`, independent of any MCP SDK.
//!
//! Each `#[mcp_tool] fn name(…)` expands to a module `name` beside the
//! function holding `name::TOOL`, a [`ToolDefinition`], and submits it to a
//! link-time registry ([`inventory`]), so a server can serve every registered
//! tool with no list ([`registered_tools`]) or an explicit list
//! (`&[&get_weather::TOOL, …]`). The [`crate::server`] module turns these
//! definitions into MCP tools.

use std::any::{Any, TypeId};
use std::fmt::Display;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;

use rmcp::model::{CallToolResult, ContentBlock};
use serde::Serialize;
use serde_json::{Map, Value};

pub use crate::argument::{parse_arguments, ArgumentError, Arguments};

/// A JSON object: a schema, as the definitions hold them.
pub type JsonObject = Map<String, Value>;

/// The future a tool call runs as.
pub type ToolFuture = Pin<Box<dyn Future<Output = Result<ToolOutput, ArgumentError>> + Send>>;

/// One MCP tool, as `#[mcp_tool]` describes it.
///
/// ```
/// use mcp_trace_runtime::tool::{registered_tools, ToolDefinition};
/// for tool in registered_tools() {
///     println!("{}: {}", tool.name, tool.description);
/// }
/// ```
///
/// It may gain fields: build one with [`ToolDefinition::new`] and its `const` setters (what `#[mcp_tool]` expands to).
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
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
    /// JSON schema of `structuredContent`, from the return type (see
    /// [`output_schema_for`]); `None` when the tool returns content blocks
    /// or a type without a schema.
    pub output_schema: fn() -> Option<Map<String, Value>>,
    /// Runs the tool on an arguments object.
    pub call: fn(Arguments) -> ToolFuture,
    /// Where it is defined (`crate::module::function`), for the error naming
    /// both of two tools with one name.
    pub defined_at: &'static str,
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
            output_schema: no_output_schema,
            call,
            defined_at: "",
        }
    }

    /// Sets the output schema.
    pub const fn output_schema(
        mut self,
        output_schema: fn() -> Option<Map<String, Value>>,
    ) -> ToolDefinition {
        self.output_schema = output_schema;
        self
    }

    /// Sets where it is defined.
    pub const fn defined_at(mut self, path: &'static str) -> ToolDefinition {
        self.defined_at = path;
        self
    }

    /// The `tools/call` result for what the tool returned: content as the
    /// tool gave it, or its value as JSON text and `structuredContent`
    /// (wrapped as `{"result": …}` when the output schema says so, or when
    /// there is no schema and the value is not an object — as FastMCP does).
    ///
    /// ```
    /// use mcp_trace_runtime::tool::{output_of, ToolDefinition};
    ///
    /// # fn schema() -> serde_json::Map<String, serde_json::Value> { Default::default() }
    /// # fn call(_: mcp_trace_runtime::tool::Arguments) -> mcp_trace_runtime::tool::ToolFuture { unimplemented!() }
    /// let tool = ToolDefinition::new("count", "Counts.", schema, call);
    /// let result = tool.result_of(output_of(vec![1, 2]));
    /// assert_eq!(result.structured_content, Some(serde_json::json!({"result": [1, 2]})));
    /// ```
    pub fn result_of(&self, output: ToolOutput) -> CallToolResult {
        result_of(output, (self.output_schema)().as_ref())
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
///
/// It may gain hints: start from [`ToolHints::NONE`] and its `const` setters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
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

/// What a tool returned, before it becomes a `tools/call` result
/// ([`ToolDefinition::result_of`]).
///
/// More variants may be added: a `match` on it needs a `_` arm.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ToolOutput {
    /// Content blocks (or a whole result) the tool built itself.
    Content(CallToolResult),
    /// A string: the text content as it is.
    Text(String),
    /// Any other value, as JSON.
    Value(Value),
    /// The tool failed with this message (`isError: true`).
    Failed(String),
}

/// [`ToolDefinition::result_of`] with the tool's output schema at hand (a
/// server builds it once, not per call).
pub fn result_of(output: ToolOutput, output_schema: Option<&Map<String, Value>>) -> CallToolResult {
    match output {
        ToolOutput::Content(result) => result,
        ToolOutput::Failed(message) => CallToolResult::error(vec![ContentBlock::text(message)]),
        ToolOutput::Text(text) => {
            let mut result = CallToolResult::success(vec![ContentBlock::text(text.clone())]);
            result.structured_content = Some(serde_json::json!({ WRAPPED_KEY: text }));
            result
        }
        ToolOutput::Value(value) => {
            let wrap = match output_schema {
                Some(schema) => schema.contains_key(WRAPPED_MARKER),
                None => !value.is_object(),
            };
            let mut result = CallToolResult::success(vec![ContentBlock::text(value.to_string())]);
            result.structured_content = Some(if wrap {
                serde_json::json!({ WRAPPED_KEY: value })
            } else {
                value
            });
            result
        }
    }
}

/// The key non-object results are wrapped under in `structuredContent`.
const WRAPPED_KEY: &str = "result";
/// Marks an output schema whose value is wrapped under [`WRAPPED_KEY`]
/// (FastMCP's name for it, so clients that know one know both).
const WRAPPED_MARKER: &str = "x-fastmcp-wrap-result";

/// A tool's return value as output: rmcp's [`CallToolResult`],
/// [`ContentBlock`] or `Vec<ContentBlock>` are content as given; a `String`
/// (or `&'static str`) is text; anything else is serialized.
///
/// ```
/// use mcp_trace_runtime::tool::{output_of, ToolOutput};
/// use rmcp::model::ContentBlock;
///
/// assert_eq!(output_of("sunny"), ToolOutput::Text("sunny".into()));
/// assert_eq!(output_of(vec![1, 2]), ToolOutput::Value(serde_json::json!([1, 2])));
/// let image = ContentBlock::image("iVBORw0KGgo=", "image/png");
/// assert!(matches!(output_of(image), ToolOutput::Content(_)));
/// ```
pub fn output_of<T: Serialize + 'static>(value: T) -> ToolOutput {
    // `Any` picks out the content types without specialization; the slot lets
    // the value move out of a `&mut dyn Any`.
    let mut slot = Some(value);
    let any: &mut dyn Any = &mut slot;
    if let Some(result) = any.downcast_mut::<Option<CallToolResult>>() {
        return ToolOutput::Content(result.take().expect("taken once"));
    }
    if let Some(block) = any.downcast_mut::<Option<ContentBlock>>() {
        return ToolOutput::Content(CallToolResult::success(vec![block
            .take()
            .expect("taken once")]));
    }
    if let Some(blocks) = any.downcast_mut::<Option<Vec<ContentBlock>>>() {
        return ToolOutput::Content(CallToolResult::success(blocks.take().expect("taken once")));
    }
    if let Some(text) = any.downcast_mut::<Option<String>>() {
        return ToolOutput::Text(text.take().expect("taken once"));
    }
    if let Some(text) = any.downcast_ref::<Option<&'static str>>() {
        return ToolOutput::Text(text.expect("set").to_string());
    }
    let value = slot.expect("not taken");
    match serde_json::to_value(&value) {
        Ok(value) => ToolOutput::Value(value),
        Err(error) => ToolOutput::Failed(format!(
            "the tool's result could not be serialized: {error}"
        )),
    }
}

/// A tool's `Result` as output: `Err` becomes an error result with its message.
///
/// ```
/// use mcp_trace_runtime::tool::{output_of_result, ToolOutput};
///
/// let failed: Result<u8, String> = Err("no such city".into());
/// assert_eq!(output_of_result(failed), ToolOutput::Failed("no such city".into()));
/// ```
pub fn output_of_result<T: Serialize + 'static, E: Display>(result: Result<T, E>) -> ToolOutput {
    match result {
        Ok(value) => output_of(value),
        Err(error) => ToolOutput::Failed(error.to_string()),
    }
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

/// The output schema of a tool returning `T`: `T`'s schema when it is an
/// object, else `{"result": T}` (marked, as `structuredContent` is then
/// wrapped); `None` for content types, whose result has no structured part.
///
/// ```
/// let schema = mcp_trace_runtime::tool::output_schema_for::<Vec<u8>>().unwrap();
/// assert_eq!(schema["properties"]["result"]["type"], "array");
/// assert!(mcp_trace_runtime::tool::output_schema_for::<rmcp::model::CallToolResult>().is_none());
/// ```
pub fn output_schema_for<T: schemars::JsonSchema + 'static>() -> Option<Map<String, Value>> {
    let content_types = [
        TypeId::of::<CallToolResult>(),
        TypeId::of::<ContentBlock>(),
        TypeId::of::<Vec<ContentBlock>>(),
    ];
    if content_types.contains(&TypeId::of::<T>()) {
        return None;
    }
    let mut schema = schema_for::<T>();
    if schema.get("type").and_then(Value::as_str) == Some("object") {
        return Some(schema);
    }
    let dialect = schema.remove("$schema");
    let definitions = schema.remove("$defs");
    let wrapped = serde_json::json!({
        "type": "object",
        "properties": { WRAPPED_KEY: Value::Object(schema) },
        "required": [WRAPPED_KEY],
        WRAPPED_MARKER: true,
    });
    let Value::Object(mut object) = wrapped else {
        return None;
    };
    if let Some(dialect) = dialect {
        object.insert("$schema".into(), dialect);
    }
    if let Some(definitions) = definitions {
        object.insert("$defs".into(), definitions);
    }
    Some(object)
}

fn no_output_schema() -> Option<Map<String, Value>> {
    None
}

/// Picks [`output_schema_for`] when the return type has a schema and none
/// otherwise, at the expansion's concrete type (autoref specialization):
/// `(&OutputSchema::<T>::new()).get()`.
#[doc(hidden)]
pub struct OutputSchema<T>(PhantomData<T>);

impl<T> OutputSchema<T> {
    #[doc(hidden)]
    pub const fn new() -> OutputSchema<T> {
        OutputSchema(PhantomData)
    }
}

#[doc(hidden)]
pub trait WithOutputSchema {
    fn get(&self) -> Option<Map<String, Value>>;
}

impl<T: schemars::JsonSchema + 'static> WithOutputSchema for OutputSchema<T> {
    fn get(&self) -> Option<Map<String, Value>> {
        output_schema_for::<T>()
    }
}

#[doc(hidden)]
pub trait WithoutOutputSchema {
    fn get(&self) -> Option<Map<String, Value>>;
}

impl<T> WithoutOutputSchema for &OutputSchema<T> {
    fn get(&self) -> Option<Map<String, Value>> {
        None
    }
}
