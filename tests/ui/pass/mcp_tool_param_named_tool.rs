#![allow(non_snake_case)]

use mcp_trace_runtime::mcp_tool;

#[mcp_tool]
fn tool_items(TOOL: i64) -> i64 {
    TOOL
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    assert_eq!(tool_items(2), 2);
    let arguments = serde_json::json!({ "TOOL": 2 }).as_object().cloned().unwrap();
    let output = (tool_items::TOOL.call)(arguments).await.unwrap();
    assert_eq!(output, mcp_trace_runtime::tool::ToolOutput::Value(serde_json::json!(2)));
}
