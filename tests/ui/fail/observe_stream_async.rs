use mcp_trace_runtime::observe;

#[observe(stream)]
async fn tokens() -> impl Iterator<Item = String> {
    vec!["a".to_string()].into_iter()
}

fn main() {}
