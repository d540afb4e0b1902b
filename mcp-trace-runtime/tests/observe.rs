//! The observation API against the in-memory exporter of
//! `mcp_trace_runtime::testing`.
//!
//! Each test runs its calls in its own trace and reads only that trace's
//! spans, so the tests run in parallel; the tests that change a process-wide
//! switch, or assert on spans outside any trace (new roots), take
//! `testing::exclusive()`.

use mcp_trace_runtime::observe::{attributes, Observation, ObservationType, ObserveOptions};
use mcp_trace_runtime::testing::{self, SpanDataExt};
use mcp_trace_runtime::Mode;
use opentelemetry::trace::{SpanKind, Status, TraceContextExt};

fn add(a: i64, b: i64) -> i64 {
    const OPTIONS: ObserveOptions = ObserveOptions::new("add").as_type(ObservationType::Tool);
    let observation = Observation::start(&OPTIONS);
    observation.record_input(|input| {
        input.arg("a", &a);
        input.arg("b", &b);
    });
    observation.record_metadata("unit", "apples");
    observation.record_metadata("weights", &[1, 2]);
    observation.run(|| a + b, Observation::record_output)
}

#[test]
fn sync_call_records_name_type_input_output_and_metadata() {
    let trace = testing::trace();
    assert_eq!(trace.in_scope(|| add(2, 3)), 5);
    let spans = trace.spans();
    let span = spans.find("add");
    assert_eq!(span.span_kind, SpanKind::Internal);
    assert_eq!(span.attr_str(attributes::TYPE), Some("tool"));
    assert_eq!(span.attr_str(attributes::INPUT), Some(r#"{"a":2,"b":3}"#));
    assert_eq!(span.attr_str(attributes::OUTPUT), Some("5"));
    assert_eq!(
        span.attr_str("langfuse.observation.metadata.unit"),
        Some("apples")
    );
    assert_eq!(
        span.attr_str("langfuse.observation.metadata.weights"),
        Some("[1,2]")
    );
    assert_eq!(span.status, Status::Unset);
    assert_eq!(span.instrumentation_scope.name(), "mcp-trace");
}

fn divide(a: i64, b: i64) -> Result<i64, String> {
    const OPTIONS: ObserveOptions = ObserveOptions::new("divide");
    let observation = Observation::start(&OPTIONS);
    observation.record_input(|input| {
        input.arg("a", &a);
        input.arg("b", &b);
    });
    observation.run(
        || {
            if b == 0 {
                Err(format!("cannot divide {a} by zero"))
            } else {
                Ok(a / b)
            }
        },
        Observation::record_result,
    )
}

#[test]
fn err_sets_level_status_message_and_otel_status() {
    let trace = testing::trace();
    trace.in_scope(|| {
        assert_eq!(divide(6, 3), Ok(2));
        assert_eq!(divide(1, 0), Err("cannot divide 1 by zero".to_string()));
    });
    let all = trace.spans();
    let spans = all.named("divide");
    assert_eq!(spans.len(), 2);
    let ok = spans[0];
    assert_eq!(ok.attr_str(attributes::OUTPUT), Some("2"));
    assert!(!ok.has_attr(attributes::LEVEL));
    let failed = spans[1];
    assert_eq!(failed.attr_str(attributes::LEVEL), Some("ERROR"));
    assert_eq!(
        failed.attr_str(attributes::STATUS_MESSAGE),
        Some("cannot divide 1 by zero")
    );
    assert!(!failed.has_attr(attributes::OUTPUT));
    assert_eq!(
        failed.status,
        Status::error("cannot divide 1 by zero".to_string())
    );
    assert!(failed.has_event("exception"));
}

#[test]
fn panic_is_recorded_then_resumed() {
    let trace = testing::trace();
    const OPTIONS: ObserveOptions = ObserveOptions::new("explodes");
    let outcome = trace.in_scope(|| {
        std::panic::catch_unwind(|| {
            Observation::start(&OPTIONS).run(
                || -> i32 { panic!("boom {}", 42) },
                Observation::record_output,
            )
        })
    });
    let payload = outcome.expect_err("the panic must reach the caller");
    let message = payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|text| text.to_string()));
    assert_eq!(message.as_deref(), Some("boom 42"));
    let spans = trace.spans();
    let span = spans.find("explodes");
    assert_eq!(span.attr_str(attributes::LEVEL), Some("ERROR"));
    assert_eq!(
        span.attr_str(attributes::STATUS_MESSAGE),
        Some("panicked: boom 42")
    );
    assert!(matches!(span.status, Status::Error { .. }));
}

async fn fetch(city: &str, delay_ms: u64) -> Result<String, std::io::Error> {
    const OPTIONS: ObserveOptions =
        ObserveOptions::new("fetch").as_type(ObservationType::Retriever);
    let observation = Observation::start(&OPTIONS);
    observation.record_input(|input| input.arg("city", city));
    let city = city.to_string();
    observation
        .run_async(
            async move {
                tokio::time::sleep(std::time::Duration::from_millis(delay_ms)).await;
                // A child started after an .await still sees this span as its parent.
                const CHILD: ObserveOptions = ObserveOptions::new("fetch.child");
                Observation::start(&CHILD).run(|| (), Observation::record_nothing);
                if city.is_empty() {
                    Err(std::io::Error::other("empty city"))
                } else {
                    Ok(format!("weather of {city}"))
                }
            },
            Observation::record_result,
        )
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_bodies_keep_their_span_across_await_and_tasks() {
    // The tasks run without any context, so each fetch must start a new
    // root: no trace scopes them, hence the exclusive guard.
    let exclusive = testing::exclusive();
    let tasks: Vec<_> = (0..20)
        .map(|i| tokio::spawn(async move { fetch(&format!("city{i}"), (i % 5) as u64).await }))
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    assert!(fetch("", 1).await.is_err());

    let spans = exclusive.spans();
    let parents = spans.named("fetch");
    let children = spans.named("fetch.child");
    assert_eq!(parents.len(), 21);
    assert_eq!(children.len(), 21);
    for child in &children {
        let parent = parents
            .iter()
            .find(|p| p.span_context.span_id() == child.parent_span_id)
            .expect("every child has its own fetch span as parent");
        assert_eq!(
            parent.span_context.trace_id(),
            child.span_context.trace_id()
        );
    }
    let failed: Vec<_> = parents
        .iter()
        .filter(|span| span.attr_str(attributes::LEVEL) == Some("ERROR"))
        .collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(
        failed[0].attr_str(attributes::STATUS_MESSAGE),
        Some("empty city")
    );
    assert_eq!(failed[0].attr_str(attributes::TYPE), Some("retriever"));
    // Distinct roots: 21 traces, never shared between concurrent calls.
    let mut traces: Vec<_> = parents
        .iter()
        .map(|s| s.span_context.trace_id().to_string())
        .collect();
    traces.sort();
    traces.dedup();
    assert_eq!(traces.len(), 21);
}

#[tokio::test]
async fn async_panic_is_recorded_then_resumed() {
    let trace = testing::trace();
    const OPTIONS: ObserveOptions = ObserveOptions::new("async.explodes");
    let task = tokio::spawn(trace.in_scope(|| {
        Observation::start(&OPTIONS).run_async(
            async {
                tokio::task::yield_now().await;
                panic!("async boom");
            },
            Observation::record_nothing::<()>,
        )
    }));
    let error = task.await.expect_err("the panic propagates to the task");
    assert!(error.is_panic());
    let spans = trace.spans();
    let span = spans.find("async.explodes");
    assert_eq!(
        span.attr_str(attributes::STATUS_MESSAGE),
        Some("panicked: async boom")
    );
}

#[tokio::test]
async fn a_dropped_future_still_ends_its_span() {
    let trace = testing::trace();
    const OPTIONS: ObserveOptions = ObserveOptions::new("cancelled");
    let future = trace.in_scope(|| {
        Observation::start(&OPTIONS)
            .run_async(std::future::pending::<()>(), Observation::record_nothing)
    });
    let _ = tokio::time::timeout(std::time::Duration::from_millis(5), future).await;
    assert_eq!(trace.spans().named("cancelled").len(), 1);
}

#[test]
fn capture_can_be_switched_per_call_and_globally() {
    let switches = testing::exclusive();
    const NO_INPUT: ObserveOptions = ObserveOptions::new("no_input").capture_input(false);
    const NO_OUTPUT: ObserveOptions = ObserveOptions::new("no_output").capture_output(false);
    let mut input_closure_ran = false;
    let observation = Observation::start(&NO_INPUT);
    observation.record_input(|input| {
        input_closure_ran = true;
        input.arg("secret", "x");
    });
    observation.run(|| 1, Observation::record_output);
    assert!(
        !input_closure_ran,
        "no serialization work when capture is off"
    );
    let spans = switches.spans();
    let span = spans.find("no_input");
    assert!(!span.has_attr(attributes::INPUT));
    assert_eq!(span.attr_str(attributes::OUTPUT), Some("1"));

    let observation = Observation::start(&NO_OUTPUT);
    observation.record_input(|input| input.arg("x", &1));
    observation.run(|| 2, Observation::record_output);
    let spans = switches.spans();
    let span = spans.find("no_output");
    assert_eq!(span.attr_str(attributes::INPUT), Some(r#"{"x":1}"#));
    assert!(!span.has_attr(attributes::OUTPUT));

    switches.set_capture_io(false);
    assert_eq!(add(1, 1), 2);
    let spans = switches.spans();
    let span = spans.find("add");
    assert!(!span.has_attr(attributes::INPUT));
    assert!(!span.has_attr(attributes::OUTPUT));
    assert_eq!(span.attr_str(attributes::TYPE), Some("tool"));
}

#[test]
fn long_values_are_cut_with_a_marker() {
    let switches = testing::exclusive();
    switches.set_value_length_limit(100);
    const OPTIONS: ObserveOptions = ObserveOptions::new("long");
    let text = "ü".repeat(1000);
    let observation = Observation::start(&OPTIONS);
    observation.record_input(|input| input.arg("text", &text));
    observation.run(|| text.clone(), Observation::record_output);
    let spans = switches.spans();
    let span = spans.find("long");
    for key in [attributes::INPUT, attributes::OUTPUT] {
        let value = span.attr_str(key).unwrap();
        assert!(value.len() <= 100, "{key}: {} bytes", value.len());
        assert!(value.contains("…[truncated "), "{value}");
    }
}

#[test]
fn long_error_texts_are_cut_everywhere_they_appear() {
    let switches = testing::exclusive();
    switches.set_value_length_limit(100);
    const OPTIONS: ObserveOptions = ObserveOptions::new("failing");
    let observation = Observation::start(&OPTIONS);
    observation.record_error(&format!("no such city: {}", "x".repeat(1 << 20)));
    drop(observation);
    let spans = switches.spans();
    let span = spans.find("failing");
    let message = span.attr_str(attributes::STATUS_MESSAGE).unwrap();
    assert!(
        message.len() <= 100 && message.starts_with("no such city: x"),
        "{message}"
    );
    assert!(message.contains("…[truncated "), "{message}");
    match &span.status {
        Status::Error { description } => assert_eq!(description, message),
        other => panic!("status {other:?}"),
    }
    let event = span
        .events
        .iter()
        .find(|event| event.name == "exception")
        .unwrap();
    for attribute in &event.attributes {
        assert!(attribute.value.as_str().len() <= 100, "{}", attribute.key);
    }
}

/// An item that counts how often it is serialized.
struct Counted(&'static std::sync::atomic::AtomicUsize);

impl serde::Serialize for Counted {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        serializer.serialize_str("ten bytes!")
    }
}

#[test]
fn a_long_stream_keeps_only_what_its_output_can_hold() {
    static SERIALIZED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let switches = testing::exclusive();
    switches.set_value_length_limit(100);
    const OPTIONS: ObserveOptions = ObserveOptions::new("long_stream");
    let items = Observation::start(&OPTIONS)
        .run_iter(|| (0..10_000).map(|_| Counted(&SERIALIZED)))
        .count();
    assert_eq!(items, 10_000, "every item still reaches the caller");
    let serialized = SERIALIZED.load(std::sync::atomic::Ordering::Relaxed);
    assert!(
        serialized <= 11,
        "items past the limit are not kept: {serialized} serialized"
    );
    let spans = switches.spans();
    let output = spans
        .find("long_stream")
        .attr_str(attributes::OUTPUT)
        .unwrap();
    assert!(
        output.len() <= 100 && output.starts_with("ten bytes!ten bytes!"),
        "{output}"
    );
    assert!(output.contains("…[truncated "), "{output}");
}

#[test]
fn unserializable_output_never_fails_the_call() {
    let trace = testing::trace();
    let mut map = std::collections::HashMap::new();
    map.insert((1, 2), "tuple keys are not JSON keys");
    const OPTIONS: ObserveOptions = ObserveOptions::new("odd_output");
    let returned = trace
        .in_scope(|| Observation::start(&OPTIONS).run(|| map.clone(), Observation::record_output));
    assert_eq!(returned, map);
    let spans = trace.spans();
    let output = spans
        .find("odd_output")
        .attr_str(attributes::OUTPUT)
        .unwrap();
    assert!(output.starts_with("\"<unserializable: "), "{output}");
}

#[test]
fn observations_nest_under_the_current_context() {
    let trace = testing::trace();
    const OUTER: ObserveOptions = ObserveOptions::new("outer");
    const INNER: ObserveOptions = ObserveOptions::new("inner").as_type(ObservationType::Generation);
    let outer_cx = trace.in_scope(|| {
        let outer = Observation::start(&OUTER);
        let outer_cx = outer.context();
        outer.run(
            || Observation::start(&INNER).run(|| (), Observation::record_nothing),
            Observation::record_nothing,
        );
        outer_cx
    });
    let spans = trace.spans();
    let inner = spans.find("inner");
    assert_eq!(
        inner.parent_span_id,
        outer_cx.span().span_context().span_id()
    );
    assert_eq!(inner.attr_str(attributes::TYPE), Some("generation"));
}

#[test]
fn mode_off_records_nothing_and_still_runs_the_body() {
    let switches = testing::exclusive();
    switches.set_mode(Mode::Off);
    assert_eq!(add(20, 22), 42);
    assert_eq!(divide(1, 0).unwrap_err(), "cannot divide 1 by zero");
    switches.set_mode(Mode::Native);
    let spans = switches.spans();
    assert!(spans.named("add").is_empty());
    assert!(spans.named("divide").is_empty());
}
