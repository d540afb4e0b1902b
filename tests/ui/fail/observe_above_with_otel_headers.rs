use mcp_trace_runtime::{observe, with_otel_headers};

#[observe]
#[with_otel_headers]
fn get_weather(location: String) -> String {
    location
}

fn main() {}
