//! Attribute macros of mcp-trace. Use them through `mcp_trace_runtime`.
use proc_macro::TokenStream;

/// Placeholder until the expansion lands.
#[proc_macro_attribute]
pub fn observe(_args: TokenStream, item: TokenStream) -> TokenStream {
    item
}
/// Placeholder until the expansion lands.
#[proc_macro_attribute]
pub fn with_otel_headers(_args: TokenStream, item: TokenStream) -> TokenStream {
    item
}
/// Placeholder until the expansion lands.
#[proc_macro_attribute]
pub fn mcp_tool(_args: TokenStream, item: TokenStream) -> TokenStream {
    item
}
