use mcp_trace_runtime::observe;

#[observe]
const fn answer() -> i64 {
    42
}

fn main() {}
