//! What the three macros record at run time: names, parents, types, input,
//! output, skip, errors, streams, metadata, the caller's context, and the tool
//! registrations — against the in-memory exporter of
//! `mcp_trace_runtime::testing`, each test in its own trace.

use std::collections::HashSet;

use mcp_trace_runtime::scope::ServedRequest;
use mcp_trace_runtime::testing::{self, SpanData, SpanDataExt};
use mcp_trace_runtime::{mcp_tool, observe, with_otel_headers};
use opentelemetry::trace::{SpanId, Status, TraceContextExt, TraceId};
use rmcp::model::CallToolResult;
use serde::Serialize;

fn input(span: &SpanData) -> serde_json::Value {
    span.attr_json("langfuse.observation.input")
        .expect("input recorded")
}

fn output(span: &SpanData) -> Option<&str> {
    span.attr_str("langfuse.observation.output")
}

/// The text of a result's first content block.
fn text_of(result: &CallToolResult) -> &str {
    result.content[0]
        .as_text()
        .map_or("", |text| text.text.as_str())
}

#[derive(Debug, Serialize, PartialEq)]
struct Weather {
    location: String,
    temperature: i64,
}

#[observe]
fn plain(location: String, days: i64) -> Weather {
    Weather {
        location,
        temperature: days * 10,
    }
}

#[test]
fn observe_records_name_type_input_and_output() {
    let trace = testing::trace();
    trace.in_scope(|| plain("London".into(), 3));
    let spans = trace.spans();
    let span = spans.find("plain");
    assert_eq!(span.attr_str("langfuse.observation.type"), Some("span"));
    assert_eq!(
        input(span),
        serde_json::json!({"location": "London", "days": 3})
    );
    assert_eq!(
        output(span),
        Some(r#"{"location":"London","temperature":30}"#)
    );
}

struct Secret;

#[observe(name = "renamed", as_type = "generation", skip(token, secret), metadata(model = "small", days = days * 2))]
fn options(prompt: &str, token: String, secret: Secret, days: i64) -> usize {
    let _ = (token, secret);
    prompt.len() + days as usize
}

#[observe(skip_all, capture_output = false)]
fn nothing_captured(prompt: &str) -> usize {
    prompt.len()
}

#[test]
fn options_rename_type_skip_and_add_metadata() {
    let trace = testing::trace();
    assert_eq!(
        trace.in_scope(|| options("hello", "tok".into(), Secret, 2)),
        7
    );
    let spans = trace.spans();
    let span = spans.find("renamed");
    assert_eq!(
        span.attr_str("langfuse.observation.type"),
        Some("generation")
    );
    assert_eq!(
        input(span),
        serde_json::json!({"prompt": "hello", "days": 2})
    );
    assert_eq!(output(span), Some("7"));
    assert_eq!(
        span.attr_str("langfuse.observation.metadata.model"),
        Some("small")
    );
    assert_eq!(
        span.attr_str("langfuse.observation.metadata.days"),
        Some("4")
    );

    assert_eq!(trace.in_scope(|| nothing_captured("abc")), 3);
    let spans = trace.spans();
    let span = spans.find("nothing_captured");
    assert!(!span.has_attr("langfuse.observation.input"));
    assert!(!span.has_attr("langfuse.observation.output"));
}

#[derive(Debug)]
struct NotFound(String);

impl std::fmt::Display for NotFound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "city {} not found", self.0)
    }
}

#[observe(as_type = "retriever")]
async fn lookup(city: String) -> Result<i64, NotFound> {
    tokio::task::yield_now().await;
    let known = ["Paris", "Oslo"];
    if !known.contains(&city.as_str()) {
        return Err(NotFound(city));
    }
    let parsed: i64 = "21".parse().map_err(|_| NotFound("parse".into()))?;
    Ok(parsed)
}

#[tokio::test]
async fn errors_set_level_status_and_keep_the_result() {
    let trace = testing::trace();
    assert_eq!(trace.wrap(lookup("Paris".into())).await.unwrap(), 21);
    assert_eq!(
        trace
            .wrap(lookup("Atlantis".into()))
            .await
            .unwrap_err()
            .to_string(),
        "city Atlantis not found"
    );
    let all = trace.spans();
    let spans = all.named("lookup");
    assert_eq!(spans.len(), 2);
    assert_eq!(output(spans[0]), Some("21"));
    let failed = spans[1];
    assert_eq!(failed.attr_str("langfuse.observation.level"), Some("ERROR"));
    assert_eq!(
        failed.attr_str("langfuse.observation.status_message"),
        Some("city Atlantis not found")
    );
    assert_eq!(
        failed.status,
        Status::error("city Atlantis not found".to_string())
    );
}

#[observe]
fn explode(reason: &str) -> i64 {
    panic!("{reason}")
}

#[test]
fn panics_are_recorded_and_resumed() {
    let trace = testing::trace();
    let result = trace.in_scope(|| std::panic::catch_unwind(|| explode("kaboom")));
    assert!(result.is_err());
    let spans = trace.spans();
    assert_eq!(
        spans
            .find("explode")
            .attr_str("langfuse.observation.status_message"),
        Some("panicked: kaboom")
    );
}

struct Assistant {
    calls: usize,
}

impl Assistant {
    #[observe(as_type = "agent")]
    async fn answer(&mut self, question: String) -> String {
        self.calls += 1;
        let forecast = self.forecast(question.clone());
        format!("{question}: {forecast}")
    }

    #[observe(as_type = "tool")]
    fn forecast(&self, question: String) -> String {
        format!("sunny ({} chars, call {})", question.len(), self.calls)
    }
}

#[tokio::test]
async fn methods_nest_and_never_capture_self() {
    let trace = testing::trace();
    let mut assistant = Assistant { calls: 0 };
    let answer = trace.wrap(assistant.answer("weather?".into())).await;
    assert_eq!(answer, "weather?: sunny (8 chars, call 1)");
    let spans = trace.spans();
    let outer = spans.find("answer");
    let inner = spans.find("forecast");
    assert_eq!(inner.parent_span_id, outer.span_context.span_id());
    assert_eq!(inner.span_context.trace_id(), outer.span_context.trace_id());
    assert_eq!(input(outer), serde_json::json!({"question": "weather?"}));
    assert_eq!(outer.attr_str("langfuse.observation.type"), Some("agent"));
}

#[observe(stream, as_type = "generation")]
fn tokens(prompt: &str) -> impl Iterator<Item = String> {
    prompt
        .split(' ')
        .map(|word| format!("{word} "))
        .collect::<Vec<_>>()
        .into_iter()
}

#[observe(stream)]
fn numbers(count: u32) -> impl Iterator<Item = u32> {
    0..count
}

#[test]
fn streams_end_when_exhausted_and_join_string_items() {
    let trace = testing::trace();
    let mut stream = trace.in_scope(|| tokens("hello streaming world"));
    assert_eq!(stream.next().as_deref(), Some("hello "));
    assert!(trace.spans().named("tokens").is_empty(), "still streaming");
    let rest: Vec<String> = stream.collect();
    assert_eq!(rest, ["streaming ", "world "]);
    let spans = trace.spans();
    let span = spans.find("tokens");
    assert_eq!(output(span), Some("hello streaming world "));
    assert_eq!(
        span.attr_str("langfuse.observation.type"),
        Some("generation")
    );

    assert_eq!(trace.in_scope(|| numbers(3)).sum::<u32>(), 3);
    assert_eq!(output(trace.spans().find("numbers")), Some("[0,1,2]"));
}

#[with_otel_headers]
#[observe(as_type = "tool")]
async fn served_tool(location: String) -> String {
    format!("weather in {location}")
}

#[with_otel_headers]
fn served_plain() -> String {
    opentelemetry::Context::current()
        .span()
        .span_context()
        .trace_id()
        .to_string()
}

const CALLER_TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const CALLER_SPAN: &str = "00f067aa0ba902b7";

fn request_from_headers() -> ServedRequest {
    let mut headers = http_headers();
    headers.insert(
        "traceparent",
        format!("00-{CALLER_TRACE}-{CALLER_SPAN}-01")
            .parse()
            .unwrap(),
    );
    ServedRequest::from_headers(headers)
}

fn http_headers() -> http::HeaderMap {
    http::HeaderMap::new()
}

#[tokio::test]
async fn with_otel_headers_parents_the_observation_on_the_caller() {
    let trace = testing::trace();
    let answer = trace
        .wrap(request_from_headers().scope(served_tool("Oslo".into())))
        .await;
    assert_eq!(answer, "weather in Oslo");
    let caller_trace = testing::spans_of(TraceId::from_hex(CALLER_TRACE).unwrap());
    let span = caller_trace.find("served_tool");
    assert_eq!(span.span_context.trace_id().to_string(), CALLER_TRACE);
    assert_eq!(span.parent_span_id, SpanId::from_hex(CALLER_SPAN).unwrap());
    assert!(span.parent_span_is_remote);

    // _meta works the same when the headers carry nothing (stdio).
    let meta = serde_json::json!({"traceparent": "00-11111111111111111111111111111111-2222222222222222-01"});
    let mut request = ServedRequest::default();
    request.meta = meta.as_object().cloned();
    assert_eq!(
        request.sync_scope(served_plain),
        "11111111111111111111111111111111"
    );

    // Outside any request nothing changes: the span's parent is the ambient
    // context (here the test's root; with none, it would be a new root).
    trace.wrap(served_tool("Lima".into())).await;
    let spans = trace.spans();
    let lima = spans.find("served_tool");
    assert_eq!(input(lima), serde_json::json!({"location": "Lima"}));
    assert_eq!(lima.parent_span_id, trace.root_span_id());
    assert!(!lima.parent_span_is_remote);
    assert_eq!(caller_trace.named("served_tool").len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_requests_each_get_exactly_their_own_parent() {
    let _trace = testing::trace();
    let calls: Vec<_> = (0..1000u32)
        .map(|i| {
            let trace = format!("{:032x}", i + 1);
            let parent = format!("{:016x}", i + 1);
            let mut headers = http_headers();
            headers.insert(
                "traceparent",
                format!("00-{trace}-{parent}-01").parse().unwrap(),
            );
            tokio::spawn(
                ServedRequest::from_headers(headers).scope(served_tool(format!("city{i}"))),
            )
        })
        .collect();
    for call in calls {
        call.await.unwrap();
    }
    // Each call's own caller trace; no other test uses these ids.
    let callers: HashSet<TraceId> = (0..1000u128).map(|i| TraceId::from(i + 1)).collect();
    let all = testing::spans_where(|span| callers.contains(&span.span_context.trace_id()));
    let spans = all.named("served_tool");
    assert_eq!(spans.len(), 1000);
    for span in spans {
        let location = input(span)["location"].as_str().unwrap().to_string();
        let i: u32 = location.trim_start_matches("city").parse().unwrap();
        assert_eq!(
            span.span_context.trace_id().to_string(),
            format!("{:032x}", i + 1)
        );
        assert_eq!(span.parent_span_id.to_string(), format!("{:016x}", i + 1));
    }
}

/// Get weather forecast for the specified location and number of days.
#[mcp_tool(title = "Forecast", read_only, open_world = false)]
#[with_otel_headers]
#[observe(as_type = "tool")]
fn forecast_tool(
    /// City name for forecast
    location: String,
    /// Number of days to forecast (1-7)
    #[default(3)]
    days: i64,
    /// Units, when not metric
    units: Option<String>,
) -> Result<Vec<i64>, String> {
    if days < 0 {
        return Err(format!("days must not be negative for {location}"));
    }
    let _ = units;
    Ok((1..=days.min(7)).collect())
}

#[tokio::test]
async fn tools_register_with_schema_hints_and_outputs() {
    let trace = testing::trace();
    let tool = mcp_trace_runtime::tool::registered_tools()
        .into_iter()
        .find(|tool| tool.name == "forecast_tool")
        .expect("registered at link time");
    assert_eq!(
        tool.description,
        "Get weather forecast for the specified location and number of days."
    );
    assert_eq!(tool.title, Some("Forecast"));
    assert_eq!(tool.hints.read_only, Some(true));
    assert_eq!(tool.hints.open_world, Some(false));
    assert_eq!(tool.hints.destructive, None);
    let schema = serde_json::Value::Object((tool.input_schema)());
    assert_eq!(schema["required"], serde_json::json!(["location"]));
    assert_eq!(schema["properties"]["days"]["default"], 3);
    assert_eq!(
        schema["properties"]["location"]["description"],
        "City name for forecast"
    );
    assert!(schema["properties"]["units"].is_object());

    let call = |arguments: serde_json::Value| {
        trace.wrap((tool.call)(arguments.as_object().unwrap().clone()))
    };
    let ok = tool.result_of(
        call(serde_json::json!({"location": "Paris"}))
            .await
            .unwrap(),
    );
    assert_eq!(ok.is_error, Some(false));
    assert_eq!(text_of(&ok), "[1,2,3]");
    assert_eq!(
        ok.structured_content,
        Some(serde_json::json!({"result": [1, 2, 3]}))
    );
    let failed = tool.result_of(
        call(serde_json::json!({"location": "Paris", "days": -1}))
            .await
            .unwrap(),
    );
    assert_eq!(failed.is_error, Some(true));
    assert_eq!(text_of(&failed), "days must not be negative for Paris");
    let invalid = call(serde_json::json!({"days": "three"}))
        .await
        .unwrap_err();
    assert!(invalid.message.contains("invalid type"), "{invalid}");

    let all = trace.spans();
    let spans = all.named("forecast_tool");
    assert_eq!(
        spans.len(),
        2,
        "the invalid call never reached the function"
    );
    assert_eq!(
        input(spans[0]),
        serde_json::json!({"location": "Paris", "days": 3, "units": null})
    );
    assert_eq!(
        spans[1].attr_str("langfuse.observation.level"),
        Some("ERROR")
    );
    // The explicit handle is the same registration.
    assert_eq!(forecast_tool::TOOL.name, tool.name);
}

// Resources, prompts, completions and output schemas, through their
// definitions as a server calls them.

use mcp_trace_runtime::argument::{complete, CallError};
use mcp_trace_runtime::resource::{ResourceRequest, ResourceUri};
use mcp_trace_runtime::{mcp_prompt, mcp_resource};
use rmcp::model::{ContentBlock, ResourceContents};

fn item_ids(typed: &str) -> Vec<String> {
    ["7", "42", "420"]
        .iter()
        .filter(|id| id.starts_with(typed))
        .map(|id| id.to_string())
        .collect()
}

/// Data of one item.
#[mcp_resource(
    uri_template = "test://template/{id}/data",
    title = "Item data",
    mime_type = "application/json"
)]
#[with_otel_headers]
#[observe]
async fn item_data(#[complete(item_ids)] id: u32) -> Result<String, String> {
    if id == 0 {
        return Err("no item 0".into());
    }
    Ok(format!("{{\"id\":{id},\"double\":{}}}", id * 2))
}

/// The static text.
#[mcp_resource(uri = "test://static-binary", name = "binary")]
fn static_binary() -> Vec<u8> {
    vec![0, 1, 2]
}

fn read(
    resource: &mcp_trace_runtime::resource::ResourceDefinition,
    uri: &str,
) -> mcp_trace_runtime::resource::ResourceFuture {
    let variables = resource.matches(uri).expect("the URI is this resource's");
    (resource.read)(ResourceRequest::new(uri, variables))
}

#[tokio::test]
async fn resources_read_their_typed_variables() {
    let trace = testing::trace();
    let resource = item_data::RESOURCE;
    assert_eq!(
        resource.uri,
        ResourceUri::Template("test://template/{id}/data")
    );
    assert_eq!(resource.name, "item_data");
    assert_eq!(resource.title, Some("Item data"));
    assert_eq!(resource.description, "Data of one item.");
    assert_eq!(resource.mime_type, Some("application/json"));
    assert_eq!(resource.defined_at, "macros::item_data");

    let contents = trace
        .wrap(read(&resource, "test://template/21/data"))
        .await
        .unwrap();
    match &contents[..] {
        [ResourceContents::TextResourceContents {
            uri,
            mime_type,
            text,
            ..
        }] => {
            assert_eq!(uri, "test://template/21/data");
            assert_eq!(mime_type.as_deref(), Some("application/json"));
            // The variable reached the function as the number 21.
            assert_eq!(text, r#"{"id":21,"double":42}"#);
        }
        other => panic!("one text content: {other:?}"),
    }
    // Observed like any function of the stack, with the typed input.
    assert_eq!(
        input(trace.spans().find("item_data")),
        serde_json::json!({"id": 21})
    );

    // Not a number for a u32: an argument error naming the resource and the variable.
    let error = read(&resource, "test://template/abc/data")
        .await
        .unwrap_err();
    let CallError::Arguments(error) = error else {
        panic!("an argument error: {error:?}")
    };
    assert_eq!(error.of, "resource test://template/{id}/data");
    assert!(error.message.starts_with("`id`: "), "{error}");
    // The function's own Err.
    assert_eq!(
        read(&resource, "test://template/0/data").await.unwrap_err(),
        CallError::Failed("no item 0".into())
    );

    // Completions of the variable.
    assert_eq!(complete(resource.completions, "id", "42"), ["42", "420"]);
    assert!(complete(resource.completions, "other", "4").is_empty());

    // A fixed URI with binary contents.
    let binary = static_binary::RESOURCE;
    assert_eq!(binary.uri, ResourceUri::Fixed("test://static-binary"));
    assert_eq!(binary.name, "binary");
    assert!(binary.matches("test://static-binary/x").is_none());
    let contents = read(&binary, "test://static-binary").await.unwrap();
    match &contents[..] {
        [ResourceContents::BlobResourceContents { blob, .. }] => assert_eq!(blob, "AAEC"),
        other => panic!("one blob: {other:?}"),
    }
    assert!(mcp_trace_runtime::resource::registered_resources()
        .iter()
        .any(|resource| resource.name == "binary"));
}

fn styles(typed: &str) -> Vec<String> {
    ["formal", "friendly", "terse"]
        .iter()
        .filter(|style| style.starts_with(typed))
        .map(|style| style.to_string())
        .collect()
}

/// Summarize a text.
#[mcp_prompt(name = "summarize", title = "Summarize")]
#[with_otel_headers]
#[observe]
fn summary_prompt(
    /// The text to summarize
    text: String,
    /// Tone of the summary
    #[complete(styles)]
    style: Option<String>,
    /// Words at most
    #[default(50)]
    words: u32,
) -> String {
    let style = style.as_deref().unwrap_or("neutral");
    format!("Summarize in {words} words, {style}: {text}")
}

#[tokio::test]
async fn prompts_list_their_arguments_and_build_messages() {
    let trace = testing::trace();
    let prompt = summary_prompt::PROMPT;
    assert_eq!(prompt.name, "summarize");
    assert_eq!(prompt.title, Some("Summarize"));
    assert_eq!(prompt.description, "Summarize a text.");
    assert_eq!(prompt.defined_at, "macros::summary_prompt");
    let arguments: Vec<(&str, &str, bool)> = prompt
        .arguments
        .iter()
        .map(|argument| (argument.name, argument.description, argument.required))
        .collect();
    assert_eq!(
        arguments,
        [
            ("text", "The text to summarize", true),
            ("style", "Tone of the summary", false),
            ("words", "Words at most", false),
        ]
    );
    assert_eq!(
        complete(prompt.completions, "style", "f"),
        ["formal", "friendly"]
    );
    assert!(complete(prompt.completions, "text", "").is_empty());

    let get =
        |value: serde_json::Value| trace.wrap((prompt.get)(value.as_object().unwrap().clone()));
    let result = get(serde_json::json!({"text": "a long story", "style": "terse"}))
        .await
        .unwrap();
    assert_eq!(result.messages.len(), 1);
    assert_eq!(
        result.messages[0]
            .content
            .as_text()
            .map(|text| text.text.as_str()),
        Some("Summarize in 50 words, terse: a long story")
    );
    let result = get(serde_json::json!({"text": "x", "words": "7"}))
        .await
        .unwrap();
    assert_eq!(
        result.messages[0]
            .content
            .as_text()
            .map(|text| text.text.as_str()),
        Some("Summarize in 7 words, neutral: x")
    );
    let error = get(serde_json::json!({"style": "terse"}))
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "invalid arguments for prompt summarize: missing required argument `text`"
    );
    let error = get(serde_json::json!({"text": "x", "words": "many"}))
        .await
        .unwrap_err();
    assert!(matches!(error, CallError::Arguments(_)), "{error:?}");
    assert_eq!(trace.spans().named("summary_prompt").len(), 2);
    assert!(mcp_trace_runtime::prompt::registered_prompts()
        .iter()
        .any(|prompt| prompt.name == "summarize"));
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
struct Reading {
    station: String,
    celsius: f64,
}

/// A struct's schema is the output schema.
#[mcp_tool(deny_unknown_arguments)]
fn read_station(station: String) -> Result<Reading, String> {
    Ok(Reading {
        station,
        celsius: 21.5,
    })
}

/// Content blocks have no output schema.
#[mcp_tool]
fn picture() -> Vec<ContentBlock> {
    vec![ContentBlock::image("iVBORw0KGgo=", "image/png")]
}

#[tokio::test]
async fn output_schemas_match_the_structured_content() {
    let tool = read_station::TOOL;
    assert_eq!(tool.defined_at, "macros::read_station");
    let schema = serde_json::Value::Object((tool.output_schema)().expect("a struct has a schema"));
    assert_eq!(schema["type"], "object");
    assert_eq!(
        schema["required"],
        serde_json::json!(["station", "celsius"])
    );
    let arguments = serde_json::json!({"station": "Oslo"});
    let result = tool.result_of(
        (tool.call)(arguments.as_object().unwrap().clone())
            .await
            .unwrap(),
    );
    let structured = result.structured_content.expect("structured content");
    // Every property the schema requires is there, with the type it says.
    let properties = schema["properties"].as_object().unwrap();
    assert_eq!(
        structured.as_object().unwrap().keys().collect::<Vec<_>>(),
        properties.keys().collect::<Vec<_>>()
    );
    assert_eq!(properties["station"]["type"], "string");
    assert_eq!(structured["station"], "Oslo");
    assert_eq!(properties["celsius"]["type"], "number");
    assert_eq!(structured["celsius"], 21.5);

    // deny_unknown_arguments: the input schema says so, and calls are held to it.
    let input_schema = serde_json::Value::Object((tool.input_schema)());
    assert_eq!(input_schema["additionalProperties"], false);
    let arguments = serde_json::json!({"station": "Oslo", "extra": 1});
    let error = (tool.call)(arguments.as_object().unwrap().clone())
        .await
        .unwrap_err();
    assert!(error.message.contains("unknown field `extra`"), "{error}");
    // Without it, extra arguments are ignored.
    let forecast_schema = serde_json::Value::Object((forecast_tool::TOOL.input_schema)());
    assert_ne!(forecast_schema["additionalProperties"], false);

    // The `Ok` type of a Result, wrapped when not an object.
    let forecast = serde_json::Value::Object((forecast_tool::TOOL.output_schema)().unwrap());
    assert_eq!(forecast["properties"]["result"]["type"], "array");

    assert!((picture::TOOL.output_schema)().is_none());
    let result = picture::TOOL.result_of((picture::TOOL.call)(Default::default()).await.unwrap());
    assert!(result.structured_content.is_none());
    assert!(matches!(&result.content[..], [block] if block.as_image().is_some()));
}

/// Looks up a station by its wire name.
#[mcp_tool]
fn station_by_id(#[rename = "stationId"] station_id: String) -> String {
    format!("station {station_id}")
}

/// A camelCase prompt argument.
#[mcp_prompt]
fn embed(#[rename = "resourceUri"] resource_uri: String) -> String {
    format!("embed {resource_uri}")
}

/// A camelCase template variable.
#[mcp_resource(uri_template = "test://stations/{stationId}")]
fn station(
    #[rename = "stationId"]
    #[complete(styles)]
    station_id: String,
) -> String {
    format!("station {station_id}")
}

#[tokio::test]
async fn renamed_parameters_go_by_their_wire_names() {
    let schema = (station_by_id::TOOL.input_schema)();
    assert!(
        schema["properties"].get("stationId").is_some(),
        "{schema:?}"
    );
    assert!(
        schema["properties"].get("station_id").is_none(),
        "{schema:?}"
    );
    let arguments = serde_json::json!({"stationId": "LFPG"});
    let output = (station_by_id::TOOL.call)(arguments.as_object().cloned().unwrap())
        .await
        .unwrap();
    assert_eq!(
        output,
        mcp_trace_runtime::tool::ToolOutput::Text("station LFPG".into())
    );

    assert_eq!(embed::ARGUMENTS[0].name, "resourceUri");
    let arguments = serde_json::json!({"resourceUri": "test://x"});
    let rendered = (embed::PROMPT.get)(arguments.as_object().cloned().unwrap())
        .await
        .unwrap();
    let message = serde_json::to_value(&rendered.messages[0]).unwrap();
    assert_eq!(message["content"]["text"], "embed test://x");

    let contents = read(&station::RESOURCE, "test://stations/LFPG")
        .await
        .unwrap();
    let contents = serde_json::to_value(&contents[0]).unwrap();
    assert_eq!(contents["text"], "station LFPG");
    assert_eq!(station::RESOURCE.completions[0].argument, "stationId");
}
