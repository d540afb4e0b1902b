use mcp_trace_runtime::with_otel_headers;

#[with_otel_headers]
async fn temperature(location: String) -> i64 {
    format!("20 degrees in {location}")
}

fn main() {}
