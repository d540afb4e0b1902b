use mcp_trace_runtime::mcp_prompt;

#[mcp_prompt]
fn count(words: u32) -> u32 {
    words
}

fn main() {}
