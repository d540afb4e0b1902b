use mcp_trace_runtime::{mcp_tool, observe};

#[observe]
#[mcp_tool]
fn get_weather(location: String) -> String {
    location
}

fn main() {}
