use mcp_trace_runtime::mcp_resource;

#[mcp_resource(uri_template = "test://items/{id}")]
fn item(#[default(1)] id: u32) -> String {
    id.to_string()
}

fn main() {}
