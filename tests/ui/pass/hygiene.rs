//! User names equal to the expansions' own locals and items must mean the
//! user's things, and be recorded under their own names.

#![allow(non_snake_case)]

use std::sync::OnceLock;

use mcp_trace_runtime::observe::attributes;
use mcp_trace_runtime::tool::ToolOutput;
use mcp_trace_runtime::{mcp_prompt, mcp_resource, mcp_tool, observe, with_otel_headers};
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider};

#[observe]
fn observe_locals(observation: i64, input: i64, value: i64) -> i64 {
    observation * 100 + input * 10 + value
}

#[observe]
async fn observe_locals_async(observation: String, input: String, value: String) -> String {
    format!("{observation}{input}{value}")
}

#[observe(metadata(observation = observation))]
fn observe_body_locals(observation: i64) -> i64 {
    let input = observation + 1;
    let value = input + 1;
    value
}

#[with_otel_headers]
fn headers_locals(caller_context: i64, _caller_context: i64) -> i64 {
    caller_context + _caller_context
}

#[with_otel_headers]
async fn headers_locals_async(caller_context: i64, value: i64) -> i64 {
    caller_context + value
}

#[mcp_tool]
#[with_otel_headers]
#[observe]
fn tool_locals(arguments: i64, output: i64, observation: i64, input: i64, value: i64, caller_context: i64) -> i64 {
    arguments + output + observation + input + value + caller_context
}

#[mcp_tool]
#[with_otel_headers]
#[observe]
async fn tool_locals_async(arguments: String, output: String) -> String {
    format!("{arguments}{output}")
}

#[mcp_tool]
fn tool_items(__McpToolArguments: i64, __mcp_tool_call: i64, __mcp_tool_default_x: i64, #[default(4)] x: i64) -> i64 {
    __McpToolArguments + __mcp_tool_call + __mcp_tool_default_x + x
}

// Raw identifiers are deserialized under their plain names (what `#[observe]`
// records for them is checked in `ui/pending/raw_identifiers.rs`).
#[mcp_tool]
#[with_otel_headers]
#[observe]
fn raw_names(r#type: String, #[default(2)] r#loop: i64, mut count: i64) -> String {
    count += r#loop;
    format!("{}{count}", r#type)
}

#[mcp_resource(uri_template = "test://{request}/{output}/{RESOURCE}/{argument0}")]
#[with_otel_headers]
#[observe]
fn resource_locals(request: String, output: String, RESOURCE: String, argument0: String) -> String {
    format!("{request}{output}{RESOURCE}{argument0}")
}

#[mcp_prompt]
#[with_otel_headers]
#[observe]
async fn prompt_locals(arguments: String, output: String, ARGUMENTS: String, PROMPT: Option<String>, __mcp_prompt_get: String) -> String {
    format!("{arguments}{output}{ARGUMENTS}{}{__mcp_prompt_get}", PROMPT.unwrap_or_default())
}

fn exporter() -> &'static InMemorySpanExporter {
    static EXPORTER: OnceLock<InMemorySpanExporter> = OnceLock::new();
    EXPORTER.get_or_init(|| {
        let exporter = InMemorySpanExporter::default();
        let provider = SdkTracerProvider::builder().with_simple_exporter(exporter.clone()).build();
        opentelemetry::global::set_tracer_provider(provider);
        exporter
    })
}

fn attribute(span: &str, key: &str) -> String {
    let spans = exporter().get_finished_spans().unwrap();
    let span = spans.iter().find(|candidate| candidate.name == span).expect("span recorded");
    let value = span.attributes.iter().find(|kv| kv.key.as_str() == key).expect("attribute recorded");
    value.value.to_string()
}

fn json(value: serde_json::Value) -> mcp_trace_runtime::tool::Arguments {
    match value {
        serde_json::Value::Object(object) => object,
        _ => unreachable!(),
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    exporter();

    assert_eq!(observe_locals(1, 2, 3), 123);
    assert_eq!(
        attribute("observe_locals", attributes::INPUT),
        r#"{"observation":1,"input":2,"value":3}"#
    );
    assert_eq!(attribute("observe_locals", attributes::OUTPUT), "123");

    let joined = observe_locals_async("a".into(), "b".into(), "c".into()).await;
    assert_eq!(joined, "abc");
    assert_eq!(
        attribute("observe_locals_async", attributes::INPUT),
        r#"{"observation":"a","input":"b","value":"c"}"#
    );

    assert_eq!(observe_body_locals(1), 3);
    assert_eq!(attribute("observe_body_locals", &format!("{}observation", attributes::METADATA_PREFIX)), "1");

    assert_eq!(headers_locals(1, 2), 3);
    assert_eq!(headers_locals_async(1, 2).await, 3);

    assert_eq!(tool_locals(1, 2, 3, 4, 5, 6), 21);
    let arguments = json(serde_json::json!({
        "arguments": 1, "output": 2, "observation": 3, "input": 4, "value": 5, "caller_context": 6
    }));
    let output = (tool_locals::TOOL.call)(arguments).await.unwrap();
    assert_eq!(output, ToolOutput::Value(serde_json::json!(21)));
    let output = (tool_locals_async::TOOL.call)(json(serde_json::json!({ "arguments": "x", "output": "y" })))
        .await
        .unwrap();
    assert_eq!(output, ToolOutput::Text("xy".into()));

    assert_eq!(tool_items(1, 2, 3, 4), 10);
    let arguments = json(serde_json::json!({ "__McpToolArguments": 1, "__mcp_tool_call": 2, "__mcp_tool_default_x": 3 }));
    let output = (tool_items::TOOL.call)(arguments).await.unwrap();
    assert_eq!(output, ToolOutput::Value(serde_json::json!(10)));

    assert_eq!(raw_names("a".into(), 1, 1), "a2");
    let schema = serde_json::Value::Object((raw_names::TOOL.input_schema)());
    assert_eq!(schema["required"], serde_json::json!(["type", "count"]));
    let output = (raw_names::TOOL.call)(json(serde_json::json!({ "type": "t", "count": 1 }))).await.unwrap();
    assert_eq!(output, ToolOutput::Text("t3".into()));

    let uri = "test://a/b/c/d";
    let request = mcp_trace_runtime::resource::ResourceRequest::new(
        uri,
        resource_locals::RESOURCE.matches(uri).unwrap(),
    );
    match &(resource_locals::RESOURCE.read)(request).await.unwrap()[..] {
        [rmcp::model::ResourceContents::TextResourceContents { text, .. }] => assert_eq!(text, "abcd"),
        other => panic!("{other:?}"),
    }
    let arguments = json(serde_json::json!({ "arguments": "a", "output": "b", "ARGUMENTS": "c", "PROMPT": "d", "__mcp_prompt_get": "e" }));
    let result = (prompt_locals::PROMPT.get)(arguments).await.unwrap();
    assert_eq!(result.messages[0].content.as_text().unwrap().text, "abcde");
    let names: Vec<&str> = prompt_locals::ARGUMENTS.iter().map(|argument| argument.name).collect();
    assert_eq!(names, ["arguments", "output", "ARGUMENTS", "PROMPT", "__mcp_prompt_get"]);
}
