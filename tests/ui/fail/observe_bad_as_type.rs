use mcp_trace_runtime::observe;

#[observe(as_type = "banana")]
fn peel() {}

fn main() {}
