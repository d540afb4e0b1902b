use mcp_trace_runtime::{observe, with_otel_headers};
use mcp_trace_runtime::{observe as obs, with_otel_headers as ctx};

#[with_otel_headers]
#[ctx]
fn context_twice(location: String) -> String {
    location
}

#[ctx]
#[ctx]
async fn renamed_context_twice(location: String) -> String {
    location
}

#[with_otel_headers]
#[ctx]
#[observe]
fn context_twice_above_observe(location: String) -> String {
    location
}

#[observe]
#[obs]
async fn observe_twice(location: String) -> String {
    location
}

fn main() {}
