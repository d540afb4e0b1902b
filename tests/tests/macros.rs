//! What the three macros record at run time: names, parents, types, input,
//! output, skip, errors, streams, metadata, the caller's context, and the tool
//! registrations — against the in-memory exporter of
//! `mcp_trace_runtime::testing`, each test in its own trace.

use std::collections::HashSet;

use mcp_trace_runtime::scope::ServedRequest;
use mcp_trace_runtime::testing::{self, SpanData, SpanDataExt};
use mcp_trace_runtime::{mcp_tool, observe, with_otel_headers};
use opentelemetry::trace::{SpanId, Status, TraceContextExt, TraceId};
use serde::Serialize;

fn input(span: &SpanData) -> serde_json::Value {
    span.attr_json("langfuse.observation.input")
        .expect("input recorded")
}

fn output(span: &SpanData) -> Option<&str> {
    span.attr_str("langfuse.observation.output")
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
    let request = ServedRequest {
        meta: meta.as_object().cloned(),
        ..ServedRequest::default()
    };
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
    let ok = call(serde_json::json!({"location": "Paris"}))
        .await
        .unwrap();
    assert!(!ok.is_error);
    assert_eq!(ok.text, "[1,2,3]");
    assert_eq!(
        ok.structured,
        Some(serde_json::json!({"result": [1, 2, 3]}))
    );
    let failed = call(serde_json::json!({"location": "Paris", "days": -1}))
        .await
        .unwrap();
    assert!(failed.is_error);
    assert_eq!(failed.text, "days must not be negative for Paris");
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
