use mcp_trace_runtime::{mcp_tool, observe};
use mcp_trace_runtime::{mcp_tool as tool, observe as obs};

#[observe]
#[tool]
fn real_observe_above_renamed_tool(location: String) -> String {
    location
}

#[obs]
#[mcp_tool]
fn renamed_observe_above_real_tool(location: String) -> String {
    location
}

#[obs]
#[tool]
async fn both_renamed(location: String) -> String {
    location
}

fn main() {}
