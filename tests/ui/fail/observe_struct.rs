use mcp_trace_runtime::observe;

#[observe]
struct Weather {
    temperature: i64,
}

fn main() {}
