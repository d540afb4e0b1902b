use mcp_trace_runtime::observe;

trait Forecaster {
    #[observe]
    fn forecast(&self, days: i64) -> Vec<i64>;
}

fn main() {}
