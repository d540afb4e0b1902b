use mcp_trace_runtime::mcp_prompt;

#[mcp_prompt(mime_type = "text/plain")]
fn greet() -> String {
    "hello".into()
}

fn main() {}
