use mcp_trace_runtime::mcp_resource;

#[mcp_resource(uri = "test://static-text")]
fn static_text(language: String) -> String {
    language
}

fn main() {}
