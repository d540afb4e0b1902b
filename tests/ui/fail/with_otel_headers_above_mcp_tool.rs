use mcp_trace_runtime::{mcp_tool, with_otel_headers};

#[with_otel_headers]
#[mcp_tool]
fn get_weather(location: String) -> String {
    location
}

fn main() {}
