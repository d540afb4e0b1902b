use mcp_trace_runtime::mcp_resource;

#[mcp_resource(uri_template = "test://search{?query}")]
fn search(query: String) -> String {
    query
}

#[mcp_resource(uri_template = "test://items/{id")]
fn unclosed(id: String) -> String {
    id
}

fn main() {}
