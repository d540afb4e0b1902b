use mcp_trace_runtime::{mcp_prompt, mcp_resource, observe, with_otel_headers};
use mcp_trace_runtime::mcp_prompt as prompt;

#[observe]
#[mcp_prompt]
fn observed_prompt(topic: String) -> String {
    topic
}

#[with_otel_headers]
#[mcp_resource(uri = "test://readme")]
fn readme() -> String {
    String::new()
}

#[with_otel_headers]
#[observe]
#[prompt]
fn renamed_prompt_below(topic: String) -> String {
    topic
}

fn main() {}
