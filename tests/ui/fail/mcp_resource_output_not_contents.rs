use mcp_trace_runtime::mcp_resource;

#[mcp_resource(uri = "test://number")]
fn number() -> u32 {
    42
}

fn main() {}
