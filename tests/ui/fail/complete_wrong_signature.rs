use mcp_trace_runtime::mcp_prompt;

fn styles() -> Vec<String> {
    vec![]
}

#[mcp_prompt]
fn summarize(text: String, #[complete(styles)] style: Option<String>) -> String {
    format!("{text} {style:?}")
}

#[mcp_prompt]
fn without_function(#[complete] style: String) -> String {
    style
}

fn main() {}
