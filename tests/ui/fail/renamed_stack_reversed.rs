use mcp_trace_runtime::{mcp_tool as tool, observe as obs, with_otel_headers as ctx};

#[obs]
#[ctx]
#[tool]
async fn reversed(location: String) -> String {
    location
}

fn main() {}
