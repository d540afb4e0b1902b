use mcp_trace_runtime::{mcp_prompt, mcp_resource, mcp_tool, observe};

#[mcp_tool]
#[mcp_prompt]
fn tool_and_prompt(topic: String) -> String {
    topic
}

#[mcp_prompt]
#[observe]
#[mcp_resource(uri = "test://readme")]
fn prompt_and_resource() -> String {
    String::new()
}

fn main() {}
