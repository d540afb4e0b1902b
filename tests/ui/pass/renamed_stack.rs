//! The stack with its macros imported under other names, in the right
//! order, in every combination with the real names: it compiles, runs and
//! registers like the stack written with the real names. (What the spans
//! look like is checked in `tests/renamed_stack.rs`.)

use mcp_trace_runtime::{mcp_tool, observe, with_otel_headers};
use mcp_trace_runtime::{mcp_tool as tool, observe as obs, with_otel_headers as ctx};
use mcp_trace_runtime::{mcp_prompt as prompt, mcp_resource as resource};
use mcp_trace_runtime::tool::ToolOutput;

/// A renamed resource above the renamed stack.
#[resource(uri_template = "test://renamed/{id}")]
#[ctx]
#[obs]
async fn renamed_resource(id: u32) -> String {
    format!("item {id}")
}

/// A renamed prompt above the renamed stack.
#[prompt]
#[ctx]
#[obs]
fn renamed_prompt(topic: String) -> String {
    format!("Tell me about {topic}")
}

/// All three renamed, async.
#[tool]
#[ctx]
#[obs(as_type = "tool")]
pub async fn all_renamed(location: String) -> String {
    format!("weather in {location}")
}

/// All three renamed, sync, with `?` and a default.
#[tool(read_only)]
#[ctx]
#[obs]
fn all_renamed_sync(text: String, #[default(10)] radix: u32) -> Result<i64, String> {
    let number = i64::from_str_radix(&text, radix).map_err(|error| error.to_string())?;
    Ok(number)
}

#[mcp_tool]
#[ctx]
#[observe]
async fn renamed_context(text: String) -> String {
    text.to_uppercase()
}

#[mcp_tool]
#[with_otel_headers]
#[obs(name = "renamed observe")]
fn renamed_observe(text: String) -> String {
    text.to_lowercase()
}

#[tool]
#[with_otel_headers]
#[observe]
async fn renamed_tool() -> u64 {
    7
}

#[tool]
#[obs]
fn tool_and_observe(a: i64) -> i64 {
    a + 1
}

#[tool]
#[ctx]
async fn tool_and_context(a: i64) -> i64 {
    a + 2
}

#[ctx]
#[obs]
async fn context_and_observe_opaque(text: String) -> impl std::fmt::Display {
    text
}

#[ctx]
#[obs(stream)]
fn context_and_observe_stream(count: u32) -> impl Iterator<Item = u32> {
    0..count
}

#[with_otel_headers]
#[obs]
fn diverging_sync() -> i64 {
    return 3;
}

#[ctx]
#[observe(skip_all)]
async fn early_return(flag: bool) -> Result<u8, String> {
    if flag {
        return Err("flag".into());
    }
    Ok(1)
}

#[ctx]
fn context_alone(a: i64) -> i64 {
    a * 2
}

#[obs]
async fn observe_alone(a: i64) -> i64 {
    a * 3
}

struct Assistant;

impl Assistant {
    #[ctx]
    #[obs]
    async fn answer(&self, question: String) -> String {
        format!("{question}?")
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    assert_eq!(all_renamed("Oslo".into()).await, "weather in Oslo");
    assert_eq!(all_renamed_sync("ff".into(), 16), Ok(255));
    assert!(all_renamed_sync("zz".into(), 10).is_err());
    assert_eq!(renamed_context("a".into()).await, "A");
    assert_eq!(renamed_observe("A".into()), "a");
    assert_eq!(renamed_tool().await, 7);
    assert_eq!(tool_and_observe(1), 2);
    assert_eq!(tool_and_context(1).await, 3);
    assert_eq!(context_and_observe_opaque("x".into()).await.to_string(), "x");
    assert_eq!(context_and_observe_stream(3).sum::<u32>(), 3);
    assert_eq!(diverging_sync(), 3);
    assert_eq!(early_return(true).await, Err("flag".into()));
    assert_eq!(context_alone(2), 4);
    assert_eq!(observe_alone(2).await, 6);
    assert_eq!(Assistant.answer("why".into()).await, "why?");

    let arguments = |value: serde_json::Value| match value {
        serde_json::Value::Object(object) => object,
        _ => unreachable!(),
    };
    let output = (all_renamed::TOOL.call)(arguments(serde_json::json!({ "location": "Lima" })))
        .await
        .unwrap();
    assert_eq!(output, ToolOutput::Text("weather in Lima".into()));
    let output = (all_renamed_sync::TOOL.call)(arguments(serde_json::json!({ "text": "12" })))
        .await
        .unwrap();
    assert_eq!(output, ToolOutput::Value(serde_json::json!(12)));
    assert_eq!(all_renamed_sync::TOOL.hints.read_only, Some(true));

    assert_eq!(renamed_resource(1).await, "item 1");
    assert_eq!(renamed_prompt("bees".into()), "Tell me about bees");
    let request = mcp_trace_runtime::resource::ResourceRequest::new(
        "test://renamed/5",
        renamed_resource::RESOURCE.matches("test://renamed/5").unwrap(),
    );
    assert_eq!((renamed_resource::RESOURCE.read)(request).await.unwrap().len(), 1);
    let result = (renamed_prompt::PROMPT.get)(arguments(serde_json::json!({ "topic": "bees" }))).await.unwrap();
    assert_eq!(result.messages.len(), 1);
    assert_eq!(renamed_prompt::ARGUMENTS[0].name, "topic");

    let registered: Vec<&str> =
        mcp_trace_runtime::tool::registered_tools().iter().map(|tool| tool.name).collect();
    assert_eq!(
        registered,
        [
            "all_renamed",
            "all_renamed_sync",
            "renamed_context",
            "renamed_observe",
            "renamed_tool",
            "tool_and_context",
            "tool_and_observe"
        ]
    );
}
