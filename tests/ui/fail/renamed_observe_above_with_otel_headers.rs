use mcp_trace_runtime::{observe, with_otel_headers};
use mcp_trace_runtime::{observe as obs, with_otel_headers as ctx};

#[observe]
#[ctx]
fn real_observe_above_renamed_context(location: String) -> String {
    location
}

#[obs]
#[with_otel_headers]
fn renamed_observe_above_real_context(location: String) -> String {
    location
}

#[obs]
#[ctx]
async fn both_renamed(location: String) -> String {
    location
}

fn main() {}
