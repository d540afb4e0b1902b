use mcp_trace_runtime::mcp_resource;

#[mcp_resource(uri_template = "test://template/{id}/data")]
fn data(id: u32, verbose: bool) -> String {
    format!("{id} {verbose}")
}

fn main() {}
