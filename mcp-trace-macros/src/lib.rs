//! Attribute macros of mcp-trace: `#[mcp_tool]`, `#[with_otel_headers]` and
//! `#[observe]`. Use them through `mcp_trace_runtime`, which re-exports them
//! and holds everything their expansions call.
//!
//! Each macro parses its options into a plain struct, validates the item,
//! then expands (one module per macro). Stacked, they are written outermost
//! first and take effect in that order:
//!
//! ```ignore
//! #[mcp_tool]            // register the tool
//! #[with_otel_headers]   // enter the caller's trace context
//! #[observe]             // open the observation span inside it
//! async fn get_weather(location: String) -> Weather { … }
//! ```

use proc_macro::TokenStream;

mod function;
mod mcp_tool;
mod observe;
mod stack;
mod with_otel_headers;

/// Records a call as a Langfuse observation span: name, type, input
/// (arguments as a JSON object), output (the return value as JSON), errors
/// and panics. See `mcp_trace_runtime` for the options.
#[proc_macro_attribute]
pub fn observe(args: TokenStream, item: TokenStream) -> TokenStream {
    observe::entry(args.into(), item.into()).into()
}

/// Runs the function inside the trace context of the request being served
/// (its HTTP headers, else its MCP `_meta`).
#[proc_macro_attribute]
pub fn with_otel_headers(args: TokenStream, item: TokenStream) -> TokenStream {
    with_otel_headers::entry(args.into(), item.into()).into()
}

/// Registers a free function as an MCP tool, with a JSON schema built from
/// its parameters.
#[proc_macro_attribute]
pub fn mcp_tool(args: TokenStream, item: TokenStream) -> TokenStream {
    mcp_tool::entry(args.into(), item.into()).into()
}

#[cfg(test)]
mod expansion_snapshots;
