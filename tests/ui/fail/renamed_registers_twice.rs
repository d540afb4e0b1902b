use mcp_trace_runtime::mcp_tool;
use mcp_trace_runtime::mcp_prompt as prompt;

// Not recognisable under its other name: both expand, and rustc refuses
// the two modules named like the function.
#[mcp_tool]
#[prompt]
fn twice(topic: String) -> String {
    topic
}

fn main() {}
