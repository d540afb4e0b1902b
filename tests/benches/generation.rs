//! What describing an LLM call costs: an `#[observe(as_type = "generation")]`
//! call with and without model, usage and cost set through
//! `current_observation()`, against hand-written OpenTelemetry code setting
//! the same attributes; and a span opened in a `propagate_attributes` scope
//! against one outside it. Spans are recorded (always-on sampler) and dropped
//! at the end, so what is measured is building them, not exporting.
//!
//! `cargo bench -p mcp-trace-tests --bench generation`

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use mcp_trace_runtime::current_observation;
use mcp_trace_runtime::generation::{Cost, Usage};
use mcp_trace_runtime::observe;
use mcp_trace_runtime::trace_attributes::{propagated_context, TraceAttributes};
use opentelemetry::trace::{Span as _, TraceContextExt, Tracer};
use opentelemetry::{Context, KeyValue};
use opentelemetry_sdk::trace::SdkTracerProvider;

#[observe(as_type = "generation")]
fn bare(prompt: &str) -> usize {
    prompt.len()
}

#[observe(as_type = "generation")]
fn described(prompt: &str) -> usize {
    current_observation()
        .model("gpt-4o-mini")
        .usage(Usage::tokens(120, 30))
        .cost(Cost::new().input(0.000_018).output(0.000_018));
    prompt.len()
}

/// What a careful user writes by hand for the same span: the same
/// attributes, the same three vocabularies, the JSON built the same way.
fn hand_written(prompt: &str) -> usize {
    let tracer = opentelemetry::global::tracer("bench");
    let mut span = tracer.start("hand_written");
    span.set_attributes([
        KeyValue::new("langfuse.observation.type", "generation"),
        KeyValue::new("gen_ai.operation.name", "chat"),
        KeyValue::new("openinference.span.kind", "LLM"),
        KeyValue::new(
            "langfuse.observation.input",
            serde_json::json!({"prompt": prompt}).to_string(),
        ),
    ]);
    let model = "gpt-4o-mini";
    span.set_attributes([
        KeyValue::new("langfuse.observation.model.name", model.to_string()),
        KeyValue::new("gen_ai.request.model", model.to_string()),
        KeyValue::new("llm.model_name", model.to_string()),
        KeyValue::new(
            "langfuse.observation.usage_details",
            serde_json::json!({"input": 120, "output": 30, "total": 150}).to_string(),
        ),
        KeyValue::new("gen_ai.usage.input_tokens", 120),
        KeyValue::new("llm.token_count.prompt", 120),
        KeyValue::new("gen_ai.usage.output_tokens", 30),
        KeyValue::new("llm.token_count.completion", 30),
        KeyValue::new("llm.token_count.total", 150),
        KeyValue::new(
            "langfuse.observation.cost_details",
            serde_json::json!({"input": 0.000_018, "output": 0.000_018, "total": 0.000_036})
                .to_string(),
        ),
        KeyValue::new("llm.cost.prompt", 0.000_018),
        KeyValue::new("llm.cost.completion", 0.000_018),
        KeyValue::new("llm.cost.total", 0.000_036),
    ]);
    let len = prompt.len();
    span.set_attribute(KeyValue::new(
        "langfuse.observation.output",
        len.to_string(),
    ));
    span.end();
    len
}

#[observe]
fn step() -> u32 {
    1
}

fn bench(c: &mut Criterion) {
    let provider = SdkTracerProvider::builder()
        .with_span_processor(mcp_trace_runtime::export::UserSessionAttributes)
        .build();
    opentelemetry::global::set_tracer_provider(provider);
    mcp_trace_runtime::propagation::install_default_propagators();
    // A parent span, so every call is a child, as inside a served request.
    let tracer = opentelemetry::global::tracer("bench");
    let root = Context::new().with_span(tracer.start("root"));

    let mut group = c.benchmark_group("generation");
    let _in_root = root.clone().attach();
    group.bench_function("observe, no updates", |b| {
        b.iter(|| bare(black_box("weather in Paris")))
    });
    group.bench_function("observe + model, usage, cost", |b| {
        b.iter(|| described(black_box("weather in Paris")))
    });
    group.bench_function("hand-written, same attributes", |b| {
        b.iter(|| hand_written(black_box("weather in Paris")))
    });
    group.finish();
    drop(_in_root);

    let mut group = c.benchmark_group("propagate_attributes");
    let scoped = propagated_context(
        &root,
        TraceAttributes::new()
            .user_id("alice")
            .session_id("chat-42")
            .tags(["beta"]),
    );
    {
        let _attached = root.clone().attach();
        group.bench_function("span outside a scope", |b| b.iter(step));
    }
    {
        let _attached = scoped.attach();
        group.bench_function("span in a scope (user, session, one tag)", |b| b.iter(step));
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
