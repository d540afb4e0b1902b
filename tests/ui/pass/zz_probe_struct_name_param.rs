#![allow(non_snake_case)]
use mcp_trace_runtime::mcp_tool;

#[mcp_tool]
fn tool_items(__McpToolArguments: i64, __mcp_tool_call: i64) -> i64 {
    __McpToolArguments + __mcp_tool_call
}

fn main() {
    assert_eq!(tool_items(1, 2), 3);
}
