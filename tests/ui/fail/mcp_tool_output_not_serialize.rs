use mcp_trace_runtime::mcp_tool;

pub struct Handle;

#[mcp_tool]
fn open(path: String) -> Handle {
    let _ = path;
    Handle
}

fn main() {}
