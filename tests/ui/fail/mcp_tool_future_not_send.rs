use std::rc::Rc;

use mcp_trace_runtime::mcp_tool;

async fn tick() {}

#[mcp_tool]
async fn count(start: i64) -> i64 {
    let shared = Rc::new(start);
    tick().await;
    *shared
}

fn main() {}
