use mcp_trace_runtime::observe;

pub struct Handle;

#[observe]
fn open(path: String) -> Handle {
    let _ = path;
    Handle
}

fn main() {}
