use mcp_trace_runtime::observe;

#[observe]
fn temperature(location: String) -> i64 {
    format!("20 degrees in {location}")
}

fn main() {}
