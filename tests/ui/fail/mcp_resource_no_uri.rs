use mcp_trace_runtime::mcp_resource;

/// A resource without a URI.
#[mcp_resource(name = "nowhere")]
fn nowhere() -> String {
    String::new()
}

fn main() {}
