use mcp_trace_runtime::observe;

#[observe(stream)]
fn tokens() -> Vec<String> {
    vec!["a".to_string()]
}

fn main() {}
