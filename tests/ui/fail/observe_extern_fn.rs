use mcp_trace_runtime::observe;

#[observe]
extern "C" fn answer() -> i64 {
    42
}

fn main() {}
