use mcp_trace_runtime::observe;

#[observe(colour = "red")]
fn paint() {}

fn main() {}
