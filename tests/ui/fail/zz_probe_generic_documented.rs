use mcp_trace_runtime::mcp_tool;

/// Echo.
#[mcp_tool]
fn echo<T: serde::Serialize>(
    /// The value.
    value: T,
    /// Times.
    #[default(1)]
    times: u32,
) -> T {
    let _ = times;
    value
}

fn main() {}
