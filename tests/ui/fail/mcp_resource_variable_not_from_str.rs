use mcp_trace_runtime::mcp_resource;

pub struct Id(u32);

#[mcp_resource(uri_template = "test://items/{id}")]
fn item(id: Id) -> String {
    id.0.to_string()
}

fn main() {}
