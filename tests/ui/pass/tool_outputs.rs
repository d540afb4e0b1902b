//! What a tool returns and the output schema it gets: content blocks and
//! whole results as given (no schema), a `String` as text, a struct's schema
//! (also through `Result`), other values wrapped under `result`, none for
//! unit and `impl Trait`; `deny_unknown_arguments`.

use mcp_trace_runtime::tool::{Arguments, ToolDefinition};
use mcp_trace_runtime::{mcp_tool, observe, with_otel_headers};
use rmcp::model::{CallToolResult, ContentBlock};
use serde::Serialize;

#[derive(Serialize, schemars::JsonSchema)]
pub struct Reading {
    station: String,
    celsius: f64,
}

#[mcp_tool]
#[with_otel_headers]
#[observe]
fn blocks() -> Vec<ContentBlock> {
    vec![ContentBlock::text("a"), ContentBlock::image("iVBORw0KGgo=", "image/png")]
}

#[mcp_tool]
async fn whole() -> CallToolResult {
    CallToolResult::error(vec![ContentBlock::text("failed my own way")])
}

#[mcp_tool]
fn greeting(name: String) -> String {
    format!("hello {name}")
}

#[mcp_tool(deny_unknown_arguments)]
#[with_otel_headers]
#[observe]
async fn reading(station: String) -> Result<Reading, String> {
    Ok(Reading { station, celsius: 20.5 })
}

#[mcp_tool]
fn count() -> u32 {
    3
}

#[mcp_tool]
fn nothing() {}

#[mcp_tool]
fn opaque() -> impl Serialize + 'static {
    [1, 2]
}

async fn call(tool: &ToolDefinition, value: serde_json::Value) -> CallToolResult {
    let arguments: Arguments = value.as_object().cloned().unwrap();
    tool.result_of((tool.call)(arguments).await.expect("valid arguments"))
}

fn schema(tool: &ToolDefinition) -> Option<serde_json::Value> {
    (tool.output_schema)().map(serde_json::Value::Object)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    assert_eq!(schema(&blocks::TOOL), None);
    let result = call(&blocks::TOOL, serde_json::json!({})).await;
    assert_eq!(result.content.len(), 2);
    assert_eq!(result.structured_content, None);

    assert_eq!(schema(&whole::TOOL), None);
    assert_eq!(call(&whole::TOOL, serde_json::json!({})).await.is_error, Some(true));

    let string = schema(&greeting::TOOL).unwrap();
    assert_eq!(string["properties"]["result"]["type"], "string");
    let result = call(&greeting::TOOL, serde_json::json!({"name": "Ada"})).await;
    assert_eq!(result.content[0].as_text().unwrap().text, "hello Ada");
    assert_eq!(result.structured_content, Some(serde_json::json!({"result": "hello Ada"})));

    let object = schema(&reading::TOOL).unwrap();
    assert_eq!(object["type"], "object");
    assert_eq!(object["properties"]["celsius"]["type"], "number");
    let result = call(&reading::TOOL, serde_json::json!({"station": "Oslo"})).await;
    assert_eq!(result.structured_content, Some(serde_json::json!({"station": "Oslo", "celsius": 20.5})));
    assert_eq!(serde_json::Value::Object((reading::TOOL.input_schema)())["additionalProperties"], false);
    let unknown = serde_json::json!({"station": "Oslo", "unit": "K"});
    assert!((reading::TOOL.call)(unknown.as_object().cloned().unwrap()).await.is_err());

    let number = schema(&count::TOOL).unwrap();
    assert_eq!(number["properties"]["result"]["type"], "integer");
    assert_eq!(call(&count::TOOL, serde_json::json!({})).await.structured_content, Some(serde_json::json!({"result": 3})));

    assert_eq!(schema(&nothing::TOOL), None);
    assert_eq!(schema(&opaque::TOOL), None);
    assert_eq!(call(&opaque::TOOL, serde_json::json!({})).await.structured_content, Some(serde_json::json!({"result": [1, 2]})));

    assert!(blocks::TOOL.defined_at.ends_with("::blocks"), "{}", blocks::TOOL.defined_at);
}
