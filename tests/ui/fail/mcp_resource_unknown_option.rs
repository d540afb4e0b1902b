use mcp_trace_runtime::mcp_resource;

#[mcp_resource(uri = "test://a", mime = "text/plain")]
fn a() -> String {
    String::new()
}

#[mcp_resource(uri = "test://b", name = "b", name = "c")]
fn b() -> String {
    String::new()
}

fn main() {}
