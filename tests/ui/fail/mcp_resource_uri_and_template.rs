use mcp_trace_runtime::mcp_resource;

#[mcp_resource(uri = "test://a", uri_template = "test://a/{id}")]
fn both(id: u32) -> String {
    id.to_string()
}

fn main() {}
