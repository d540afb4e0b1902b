use mcp_trace_runtime::mcp_tool;

#[mcp_tool(colour)]
fn paint() {}

fn main() {}
