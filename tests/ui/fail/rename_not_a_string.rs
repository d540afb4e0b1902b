use mcp_trace_runtime::mcp_prompt;

/// A renamed argument must say its wire name as a string.
#[mcp_prompt]
fn embed(#[rename(resourceUri)] resource_uri: String) -> String {
    resource_uri
}

fn main() {}
