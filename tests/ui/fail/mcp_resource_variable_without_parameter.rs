use mcp_trace_runtime::mcp_resource;

#[mcp_resource(uri_template = "test://template/{id}/data/{part}")]
fn data(id: u32) -> String {
    id.to_string()
}

fn main() {}
