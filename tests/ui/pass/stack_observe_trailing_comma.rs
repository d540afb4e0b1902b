use mcp_trace_runtime::{observe, with_otel_headers};

#[with_otel_headers]
#[observe(as_type = "tool",)]
fn add(a: i64, b: i64) -> i64 {
    a + b
}

fn main() {
    assert_eq!(add(1, 2), 3);
}
