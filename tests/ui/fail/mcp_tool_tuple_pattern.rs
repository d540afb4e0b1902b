use mcp_trace_runtime::mcp_tool;

#[mcp_tool]
fn distance((x, y): (f64, f64)) -> f64 {
    (x * x + y * y).sqrt()
}

fn main() {}
