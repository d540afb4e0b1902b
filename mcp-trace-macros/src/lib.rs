//! Attribute macros of mcp-trace: `#[mcp_tool]`, `#[mcp_resource]`,
//! `#[mcp_prompt]`, `#[with_otel_headers]` and `#[observe]`. Use them through `mcp_trace_runtime`, which re-exports them
//! and holds everything their expansions call.
//!
//! Each macro parses its options into a plain struct, validates the item,
//! then expands (one module per macro). Stacked, they are written outermost
//! first and take effect in that order:
//!
//! ```ignore
//! #[mcp_tool]            // register the tool (or #[mcp_resource], #[mcp_prompt]: one of them)
//! #[with_otel_headers]   // enter the caller's trace context
//! #[observe]             // open the observation span inside it
//! async fn get_weather(location: String) -> Weather { /* … */ }
//! ```
//!
//! Every macro takes `crate = path` (or `crate = "path"`): where the
//! expansion finds the runtime, `::mcp_trace_runtime` by default. A crate
//! that re-exports the runtime (`pub use mcp_trace_runtime as rt;`) lets its
//! users write `crate = that_crate::rt` without depending on
//! `mcp_trace_runtime` by name. Given to the outermost macro of a stack, it
//! reaches the macros below written under their own names; a macro imported
//! under another name takes its own (an `#[observe]` below a
//! `#[with_otel_headers]` also finds it in that macro's expansion).

#![warn(missing_docs)]

use proc_macro::TokenStream;

mod function;
mod mcp_prompt;
mod mcp_resource;
mod mcp_tool;
mod observe;
mod registration;
mod root;
mod stack;
mod with_otel_headers;

/// Records a call as a Langfuse observation span: name, type, input
/// (arguments as a JSON object), output (the return value as JSON), errors
/// and panics. See `mcp_trace_runtime` for the options.
///
/// `crate = path` (or `crate = "path"`): the runtime under another path,
/// when a crate re-exports it (default `::mcp_trace_runtime`):
///
/// ```ignore
/// // in my_framework: `pub use mcp_trace_runtime as rt;`
/// #[my_framework::rt::observe(crate = my_framework::rt, as_type = "tool")]
/// fn add(a: i64, b: i64) -> i64 { a + b }
/// ```
#[proc_macro_attribute]
pub fn observe(args: TokenStream, item: TokenStream) -> TokenStream {
    observe::entry(args.into(), item.into()).into()
}

/// Runs the function inside the trace context of the request being served
/// (its HTTP headers, else its MCP `_meta`).
///
/// Its one option, `crate = path` (or `crate = "path"`), is the runtime
/// under another path, when a crate re-exports it (default
/// `::mcp_trace_runtime`); it reaches an `#[observe]` below:
///
/// ```ignore
/// use my_framework::rt::{observe, with_otel_headers};
///
/// #[with_otel_headers(crate = my_framework::rt)]
/// #[observe] // takes `crate = my_framework::rt` from the attribute above
/// async fn handle(body: String) -> usize { body.len() }
/// ```
#[proc_macro_attribute]
pub fn with_otel_headers(args: TokenStream, item: TokenStream) -> TokenStream {
    with_otel_headers::entry(args.into(), item.into()).into()
}

/// Registers a free function as an MCP tool, with a JSON schema built from
/// its parameters and an output schema from what it returns.
///
/// The function stays as written; beside it, a module of the same name holds
/// `TOOL`, a `mcp_trace_runtime::tool::ToolDefinition`, registered at link
/// time. The description is the doc comment; each parameter's doc comment
/// describes its argument, `#[default(value)]` makes it optional, and
/// `Option<T>` ones may be left out. The value returned (or the `Ok` of a
/// `Result`, whose `Err` is a tool error) is the tool's structured content,
/// with its schema as the output schema; `String`s are text, and rmcp's
/// `ContentBlock`, `Vec<ContentBlock>` or `CallToolResult` are content as
/// given.
///
/// Options: `name`, `description`, `title`, the hints `read_only`,
/// `destructive`, `idempotent`, `open_world` (alone for `true`, or
/// `= false`), and `deny_unknown_arguments` (`additionalProperties: false`:
/// a call with an argument the tool does not take is refused), and
/// `crate = path` (or `crate = "path"`): the runtime under another path,
/// when a crate re-exports it (default `::mcp_trace_runtime`), which reaches
/// the `#[with_otel_headers]` and `#[observe]` below.
///
/// ```ignore
/// /// Get weather forecast for the specified location.
/// #[mcp_tool(title = "Forecast", read_only, deny_unknown_arguments)]
/// #[with_otel_headers]
/// #[observe(as_type = "tool")]
/// pub async fn get_forecast(
///     /// City name for forecast
///     location: String,
///     /// Number of days to forecast (1-7)
///     #[default(3)]
///     days: i64,
/// ) -> Result<Forecast, ForecastError> { /* … */ }
///
/// // get_forecast::TOOL is its definition.
///
/// // Through a crate that re-exports the runtime (`pub use mcp_trace_runtime as rt;`):
/// #[my_framework::rt::mcp_tool(crate = my_framework::rt)]
/// #[my_framework::rt::with_otel_headers] // both get `crate = my_framework::rt`
/// #[my_framework::rt::observe]
/// async fn ping() -> String { "pong".into() }
/// ```
#[proc_macro_attribute]
pub fn mcp_tool(args: TokenStream, item: TokenStream) -> TokenStream {
    mcp_tool::entry(args.into(), item.into()).into()
}

/// Registers a free function as an MCP resource: at a fixed URI
/// (`uri = "…"`, listed by `resources/list`) or at a URI template
/// (`uri_template = "…/{id}"`, listed by `resources/templates/list`) whose
/// variables (`{name}`: one path segment, `{+name}`: anything) are the
/// function's parameters, each parsed with `FromStr`. A variable without a
/// parameter, or a parameter without a variable, is a compile error.
///
/// The function returns its contents: text (`String`, `&'static str`),
/// bytes (`Vec<u8>`, sent as base64), rmcp's `ResourceContents` (one or a
/// `Vec`), or a `Result` of one of these (`Err` is an error answer). Beside
/// it, a module of the same name holds `RESOURCE`, a
/// `mcp_trace_runtime::resource::ResourceDefinition`, registered at link time.
///
/// Options: `uri` or `uri_template` (one of them), `name` (default: the
/// function's name), `title`, `description` (default: the doc comment),
/// `mime_type`, `crate = path` (the runtime under another path, as for
/// `#[mcp_tool]`). `#[complete(function)]` on a parameter completes its
/// variable: the function takes what the user typed so far and returns the
/// suggestions (`fn(&str) -> Vec<String>`).
///
/// ```ignore
/// /// A forecast as JSON.
/// #[mcp_resource(uri_template = "weather://{city}/forecast/{days}", mime_type = "application/json")]
/// #[with_otel_headers]
/// #[observe]
/// async fn forecast(#[complete(cities)] city: String, days: u8) -> Result<String, WeatherError> { /* … */ }
///
/// fn cities(typed: &str) -> Vec<String> { /* … */ }
///
/// #[mcp_resource(uri = "weather://stations", title = "Stations")]
/// fn stations() -> String { /* … */ }
///
/// // The runtime re-exported by this crate as `crate::rt`:
/// #[mcp_resource(uri = "weather://units", crate = crate::rt)]
/// fn units() -> &'static str { "metric" }
/// ```
#[proc_macro_attribute]
pub fn mcp_resource(args: TokenStream, item: TokenStream) -> TokenStream {
    mcp_resource::entry(args.into(), item.into()).into()
}

/// Registers a free function as an MCP prompt whose arguments are its
/// parameters: strings on the wire, parsed with `FromStr`; each doc comment
/// its description; `Option<T>` and `#[default(value)]` parameters optional,
/// the others required. `#[complete(function)]` on a parameter completes it
/// (`fn(&str) -> Vec<String>`: what the user typed so far → suggestions).
///
/// The function returns the messages: a `String` or `&'static str` (one
/// user message), rmcp's `PromptMessage` (one or a `Vec`) or
/// `GetPromptResult`, or a `Result` of one of these. Beside it, a module of
/// the same name holds `ARGUMENTS` and `PROMPT`, a
/// `mcp_trace_runtime::prompt::PromptDefinition`, registered at link time.
///
/// Options: `name` (default: the function's name), `title`, `description`
/// (default: the doc comment), `crate = path` (the runtime under another
/// path, as for `#[mcp_tool]`, e.g. `#[mcp_prompt(crate = "my_framework::rt")]`).
///
/// ```ignore
/// /// Summarize a text.
/// #[mcp_prompt(title = "Summarize")]
/// #[with_otel_headers]
/// #[observe]
/// fn summarize(
///     /// The text to summarize
///     text: String,
///     /// Tone of the summary
///     #[complete(styles)]
///     style: Option<String>,
/// ) -> String {
///     format!("Summarize in a {} tone: {text}", style.as_deref().unwrap_or("neutral"))
/// }
/// ```
#[proc_macro_attribute]
pub fn mcp_prompt(args: TokenStream, item: TokenStream) -> TokenStream {
    mcp_prompt::entry(args.into(), item.into()).into()
}

#[cfg(test)]
mod expansion_snapshots;
