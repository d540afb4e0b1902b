use mcp_trace_runtime::mcp_tool;

#[mcp_tool]
fn echo<T: serde::Serialize>(value: T) -> T {
    value
}

fn main() {}
