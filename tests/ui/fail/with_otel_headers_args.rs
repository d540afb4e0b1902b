use mcp_trace_runtime::with_otel_headers;

#[with_otel_headers(x)]
fn handle() {}

fn main() {}
