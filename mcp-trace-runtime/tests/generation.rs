//! Updates from inside a call: the current observation as a generation
//! (model, parameters, usage, cost, time to first token, prompt, stop
//! reason) in Langfuse's, the GenAI conventions' and OpenInference's
//! attributes; level, status, name and metadata; the current trace, never
//! on a span whose parent is remote; attributes propagated to every span of
//! a scope.

use std::time::{Duration, SystemTime};

use futures_core::Stream as _;
use mcp_trace_runtime::current::{
    current_observation, update_current_trace, Level, TRACE_UPDATE_EVENT,
};
use mcp_trace_runtime::generation::{Cost, Usage};
use mcp_trace_runtime::observe;
use mcp_trace_runtime::testing::{self, SpanDataExt, Value};
use mcp_trace_runtime::trace_attributes::{propagate_attributes, TraceAttributes};
use mcp_trace_runtime::Mode;
use opentelemetry::context::FutureExt as _;
use serde_json::json;

#[observe(as_type = "generation")]
fn complete(prompt: &str) -> String {
    current_observation()
        .model("gpt-4o-mini")
        .response_model("gpt-4o-mini-2024-07-18")
        .model_parameters(&json!({"temperature": 0.2, "max_tokens": 64}))
        .usage(Usage::tokens(120, 30).cached_input(100).reasoning(8))
        .cost(Cost::new().input(0.000_018).output(0.000_018))
        .completion_start(SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000))
        .prompt("weather-summary", 3)
        .finish_reason("stop")
        .metadata("provider", "local")
        .level(Level::Warning)
        .status_message("answer was cut short");
    format!("echo: {prompt}")
}

#[test]
fn a_generation_lands_in_langfuse_gen_ai_and_openinference_attributes() {
    let trace = testing::trace();
    assert_eq!(trace.in_scope(|| complete("hi")), "echo: hi");
    let spans = trace.spans();
    let span = spans.find("complete");
    let text = |key: &str| {
        span.attr_str(key)
            .unwrap_or_else(|| panic!("{key} missing"))
    };
    // Langfuse
    assert_eq!(text("langfuse.observation.type"), "generation");
    assert_eq!(
        text("langfuse.observation.model.name"),
        "gpt-4o-mini-2024-07-18"
    );
    let usage: serde_json::Value =
        serde_json::from_str(text("langfuse.observation.usage_details")).unwrap();
    assert_eq!(
        usage,
        json!({"input": 120, "output": 30, "total": 150, "input_cached_tokens": 100, "output_reasoning_tokens": 8})
    );
    let cost: serde_json::Value =
        serde_json::from_str(text("langfuse.observation.cost_details")).unwrap();
    assert!(
        (cost["total"].as_f64().unwrap() - 0.000_036).abs() < 1e-12,
        "{cost}"
    );
    let parameters: serde_json::Value =
        serde_json::from_str(text("langfuse.observation.model.parameters")).unwrap();
    assert_eq!(parameters, json!({"temperature": 0.2, "max_tokens": 64}));
    assert_eq!(
        text("langfuse.observation.completion_start_time"),
        "2023-11-14T22:13:20.000000Z"
    );
    assert_eq!(text("langfuse.observation.prompt.name"), "weather-summary");
    assert_eq!(
        span.attr_i64("langfuse.observation.prompt.version"),
        Some(3)
    );
    assert_eq!(text("langfuse.observation.metadata.provider"), "local");
    assert_eq!(text("langfuse.observation.level"), "WARNING");
    assert_eq!(
        text("langfuse.observation.status_message"),
        "answer was cut short"
    );
    // OpenTelemetry GenAI conventions
    assert_eq!(text("gen_ai.operation.name"), "chat");
    assert_eq!(text("gen_ai.request.model"), "gpt-4o-mini");
    assert_eq!(text("gen_ai.response.model"), "gpt-4o-mini-2024-07-18");
    assert_eq!(span.attr_i64("gen_ai.usage.input_tokens"), Some(120));
    assert_eq!(span.attr_i64("gen_ai.usage.output_tokens"), Some(30));
    assert_eq!(
        span.attr_i64("gen_ai.usage.cache_read.input_tokens"),
        Some(100)
    );
    assert_eq!(
        span.attr("gen_ai.request.temperature"),
        Some(&Value::F64(0.2))
    );
    assert_eq!(span.attr_i64("gen_ai.request.max_tokens"), Some(64));
    assert_eq!(
        span.attr("gen_ai.response.finish_reasons"),
        Some(&testing::strings(&["stop"]))
    );
    // OpenInference (Phoenix)
    assert_eq!(text("openinference.span.kind"), "LLM");
    assert_eq!(text("llm.model_name"), "gpt-4o-mini-2024-07-18");
    assert_eq!(span.attr_i64("llm.token_count.prompt"), Some(120));
    assert_eq!(span.attr_i64("llm.token_count.completion"), Some(30));
    assert_eq!(span.attr_i64("llm.token_count.total"), Some(150));
    assert_eq!(
        span.attr_i64("llm.token_count.prompt_details.cache_read"),
        Some(100)
    );
    assert_eq!(
        span.attr_i64("llm.token_count.completion_details.reasoning"),
        Some(8)
    );
    assert!(
        matches!(span.attr("llm.cost.total"), Some(Value::F64(usd)) if (usd - 0.000_036).abs() < 1e-12)
    );
}

#[observe]
fn renamed_step() {
    current_observation().name("step for Paris");
}

#[test]
fn the_current_observation_can_be_renamed() {
    let trace = testing::trace();
    trace.in_scope(renamed_step);
    let spans = trace.spans();
    assert_eq!(
        spans
            .find("step for Paris")
            .attr_str("langfuse.observation.type"),
        Some("span")
    );
}

#[observe(stream, as_type = "generation")]
fn tokens() -> impl Iterator<Item = String> {
    ["Sun", "ny"].into_iter().map(|token| {
        std::thread::sleep(Duration::from_millis(20));
        token.to_string()
    })
}

#[observe(stream)]
fn plain_items() -> impl Iterator<Item = u32> {
    [1, 2].into_iter()
}

#[test]
fn a_streaming_generation_records_its_first_item_as_the_completion_start() {
    let trace = testing::trace();
    let before = SystemTime::now();
    let text: String = trace.in_scope(|| tokens().collect());
    assert_eq!(text, "Sunny");
    trace.in_scope(|| plain_items().count());
    let spans = trace.spans();
    let generation = spans.find("tokens");
    assert_eq!(
        generation.attr_str("langfuse.observation.output"),
        Some("Sunny")
    );
    let first: chrono::DateTime<chrono::Utc> = generation
        .attr_str("langfuse.observation.completion_start_time")
        .expect("completion start")
        .parse()
        .unwrap();
    let first = SystemTime::from(first);
    // After the first item was produced (20 ms in), before the span ended
    // (after the second, 40 ms in).
    assert!(first >= before + Duration::from_millis(20), "{first:?}");
    assert!(
        first < generation.end_time,
        "{first:?} vs {:?}",
        generation.end_time
    );
    assert!(first + Duration::from_millis(15) <= generation.end_time);
    assert!(!spans
        .find("plain_items")
        .has_attr("langfuse.observation.completion_start_time"));
}

/// A `Stream` of tokens, the first after a wait (a model thinking).
struct Tokens {
    left: Vec<&'static str>,
    thinking: Option<std::pin::Pin<Box<tokio::time::Sleep>>>,
}

impl futures_core::Stream for Tokens {
    type Item = String;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        task: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<String>> {
        if let Some(thinking) = self.thinking.as_mut() {
            if thinking.as_mut().poll(task).is_pending() {
                return std::task::Poll::Pending;
            }
            self.thinking = None;
        }
        std::task::Poll::Ready(self.left.pop().map(str::to_string))
    }
}

use std::future::Future as _;

#[observe(stream, as_type = "generation")]
fn token_stream() -> impl futures_core::Stream<Item = String> {
    Tokens {
        left: vec!["ny", "Sun"],
        thinking: Some(Box::pin(tokio::time::sleep(Duration::from_millis(30)))),
    }
}

#[tokio::test]
async fn a_streaming_generation_over_a_stream_records_its_first_item_too() {
    let trace = testing::trace();
    let stream = trace.in_scope(token_stream);
    let mut stream = std::pin::pin!(stream);
    let started = SystemTime::now();
    let mut text = String::new();
    while let Some(token) = std::future::poll_fn(|task| stream.as_mut().poll_next(task)).await {
        text.push_str(&token);
    }
    assert_eq!(text, "Sunny");
    let spans = trace.spans();
    let span = spans.find("token_stream");
    let first: chrono::DateTime<chrono::Utc> = span
        .attr_str("langfuse.observation.completion_start_time")
        .expect("completion start")
        .parse()
        .unwrap();
    // The first token came after the model's 30 ms of thinking.
    assert!(
        SystemTime::from(first) >= started + Duration::from_millis(25),
        "{first}"
    );
    assert!(SystemTime::from(first) <= span.end_time);
}

#[observe]
fn inner_step() {
    update_current_trace(
        TraceAttributes::new()
            .name("weather request")
            .user_id("alice")
            .tags(["beta"])
            .metadata("region", "eu")
            .public(true),
    );
}

#[observe]
fn outer_step() {
    inner_step();
}

/// A caller's context, as a server extracts it from a request.
fn remote_caller(trace: &testing::TestTrace) -> opentelemetry::Context {
    use opentelemetry::trace::{SpanContext, TraceContextExt, TraceFlags, TraceState};
    let caller = SpanContext::new(
        trace.trace_id(),
        trace.root_span_id(),
        TraceFlags::SAMPLED,
        true,
        TraceState::default(),
    );
    opentelemetry::Context::new().with_remote_span_context(caller)
}

#[test]
fn trace_updates_go_on_the_current_span_when_its_parent_is_local() {
    let trace = testing::trace();
    // Under a remote caller: `outer_step` is this process's first span,
    // `inner_step` has a local parent.
    {
        let _caller = remote_caller(&trace).attach();
        outer_step();
    }
    let spans = trace.spans();
    let inner = spans.find("inner_step");
    assert_eq!(
        inner.attr_str("langfuse.trace.name"),
        Some("weather request")
    );
    assert_eq!(inner.attr_str("user.id"), Some("alice"));
    assert_eq!(inner.attr_str("langfuse.trace.metadata.region"), Some("eu"));
    assert_eq!(
        inner.attr("langfuse.trace.public"),
        Some(&Value::Bool(true))
    );
    assert_eq!(
        inner.attr("langfuse.trace.tags"),
        Some(&testing::strings(&["beta"]))
    );
    assert!(spans.iter().all(|span| span.name != TRACE_UPDATE_EVENT));
}

#[test]
fn trace_updates_never_land_on_a_span_whose_parent_is_remote() {
    let trace = testing::trace();
    {
        let _caller = remote_caller(&trace).attach();
        inner_step();
    }
    let spans = trace.spans();
    let step = spans.find("inner_step");
    assert!(step.parent_span_is_remote);
    assert!(
        step.attributes
            .iter()
            .all(|kv| !kv.key.as_str().starts_with("langfuse.trace.")),
        "{:?}",
        step.attributes
    );
    // The update is a zero-length event under it, which Langfuse applies to the trace.
    let event = spans.find(TRACE_UPDATE_EVENT);
    assert_eq!(event.parent_span_id, step.span_context.span_id());
    assert!(!event.parent_span_is_remote);
    assert_eq!(event.attr_str("langfuse.observation.type"), Some("event"));
    assert_eq!(
        event.attr_str("langfuse.trace.name"),
        Some("weather request")
    );
    assert_eq!(event.attr_str("user.id"), Some("alice"));
}

#[observe]
async fn scoped_child() {}

#[observe]
async fn scoped_parent() {
    scoped_child().await;
}

#[tokio::test]
async fn propagated_attributes_reach_every_span_opened_in_the_scope() {
    let trace = testing::trace();
    let attributes = TraceAttributes::new()
        .user_id("bob")
        .session_id("chat-7")
        .version("2.1")
        .tags(["eval"])
        .metadata("experiment", "b");
    trace
        .wrap(propagate_attributes(attributes, scoped_parent()).with_context(remote_caller(&trace)))
        .await;
    trace.wrap(scoped_child()).await;
    let spans = trace.spans();
    let parent = spans.find("scoped_parent");
    let child = spans
        .iter()
        .find(|span| {
            span.name == "scoped_child" && span.parent_span_id == parent.span_context.span_id()
        })
        .expect("the child in the scope");
    for span in [parent, child] {
        assert_eq!(span.attr_str("user.id"), Some("bob"));
        assert_eq!(span.attr_str("session.id"), Some("chat-7"));
        assert_eq!(span.attr_str("langfuse.version"), Some("2.1"));
    }
    // `scoped_parent`'s parent is the test's remote root: no trace-level
    // Langfuse attributes there; its child has them.
    assert!(!parent.has_attr("langfuse.trace.tags"));
    assert_eq!(
        child.attr_str("langfuse.trace.metadata.experiment"),
        Some("b")
    );
    assert_eq!(
        child.attr("langfuse.trace.tags"),
        Some(&testing::strings(&["eval"]))
    );
    // Outside the scope, nothing.
    let outside = spans
        .iter()
        .find(|span| {
            span.name == "scoped_child" && span.parent_span_id != parent.span_context.span_id()
        })
        .expect("the child outside the scope");
    assert!(!outside.has_attr("user.id"));
}

#[test]
fn updates_do_nothing_with_tracing_off() {
    let switches = testing::exclusive();
    switches.set_mode(Mode::Off);
    assert_eq!(complete("quiet"), "echo: quiet");
    assert!(!current_observation().is_recording());
    update_current_trace(TraceAttributes::new().name("nothing"));
    let recorded = testing::spans_where(|span| {
        span.attr_str("langfuse.observation.input")
            .is_some_and(|input| input.contains("quiet"))
            || span.attr_str("langfuse.trace.name") == Some("nothing")
    });
    assert!(recorded.is_empty(), "{:?}", recorded.names());
}
