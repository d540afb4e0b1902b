use mcp_trace_runtime::{mcp_tool, observe, with_otel_headers};
use mcp_trace_runtime::{mcp_tool as tool, observe as obs, with_otel_headers as ctx};

#[with_otel_headers]
#[tool]
fn real_context_above_renamed_tool(location: String) -> String {
    location
}

#[ctx]
#[mcp_tool]
fn renamed_context_above_real_tool(location: String) -> String {
    location
}

#[ctx]
#[tool]
async fn both_renamed(location: String) -> String {
    location
}

// Above an `#[observe]` the context hands its job to it: still refused.
#[with_otel_headers]
#[tool]
#[observe]
async fn handing_off_above_renamed_tool(location: String) -> String {
    location
}

#[ctx]
#[tool]
#[obs]
fn all_renamed(location: String) -> String {
    location
}

fn main() {}
