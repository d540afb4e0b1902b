//! The observation API against the in-memory exporter.
//!
//! The tracer provider and the switches in `settings` are process-wide, so
//! every test takes `serial()` and filters spans by its own names.

// The lock only serializes tests that share the process-wide tracer provider;
// each test has its own runtime, so holding it across `.await` cannot deadlock.
#![allow(clippy::await_holding_lock)]

use std::sync::{Mutex, MutexGuard, OnceLock};

use mcp_trace_runtime::observe::{attributes, Observation, ObservationType, ObserveOptions};
use mcp_trace_runtime::{settings, Mode};
use opentelemetry::trace::{SpanKind, Status, TraceContextExt};
use opentelemetry::Value;
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider, SpanData};

fn exporter() -> &'static InMemorySpanExporter {
    static EXPORTER: OnceLock<InMemorySpanExporter> = OnceLock::new();
    EXPORTER.get_or_init(|| {
        let exporter = InMemorySpanExporter::default();
        let provider = SdkTracerProvider::builder()
            .with_simple_exporter(exporter.clone())
            .build();
        opentelemetry::global::set_tracer_provider(provider);
        exporter
    })
}

fn serial() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    let guard = LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    exporter().reset();
    settings::set_mode(Mode::Native);
    settings::set_capture_io(true);
    settings::set_value_length_limit(settings::DEFAULT_VALUE_LENGTH_LIMIT);
    guard
}

fn finished(name: &str) -> Vec<SpanData> {
    exporter()
        .get_finished_spans()
        .unwrap()
        .into_iter()
        .filter(|span| span.name == name)
        .collect()
}

fn only(name: &str) -> SpanData {
    let mut spans = finished(name);
    assert_eq!(spans.len(), 1, "exactly one span named {name}");
    spans.remove(0)
}

fn attr(span: &SpanData, key: &str) -> Option<String> {
    span.attributes
        .iter()
        .find(|kv| kv.key.as_str() == key)
        .map(|kv| match &kv.value {
            Value::String(text) => text.to_string(),
            other => other.to_string(),
        })
}

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
    let _serial = serial();
    assert_eq!(add(2, 3), 5);
    let span = only("add");
    assert_eq!(span.span_kind, SpanKind::Internal);
    assert_eq!(attr(&span, attributes::TYPE).as_deref(), Some("tool"));
    assert_eq!(
        attr(&span, attributes::INPUT).as_deref(),
        Some(r#"{"a":2,"b":3}"#)
    );
    assert_eq!(attr(&span, attributes::OUTPUT).as_deref(), Some("5"));
    assert_eq!(
        attr(&span, "langfuse.observation.metadata.unit").as_deref(),
        Some("apples")
    );
    assert_eq!(
        attr(&span, "langfuse.observation.metadata.weights").as_deref(),
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
    let _serial = serial();
    assert_eq!(divide(6, 3), Ok(2));
    assert_eq!(divide(1, 0), Err("cannot divide 1 by zero".to_string()));
    let spans = finished("divide");
    assert_eq!(spans.len(), 2);
    let ok = &spans[0];
    assert_eq!(attr(ok, attributes::OUTPUT).as_deref(), Some("2"));
    assert_eq!(attr(ok, attributes::LEVEL), None);
    let failed = &spans[1];
    assert_eq!(attr(failed, attributes::LEVEL).as_deref(), Some("ERROR"));
    assert_eq!(
        attr(failed, attributes::STATUS_MESSAGE).as_deref(),
        Some("cannot divide 1 by zero")
    );
    assert_eq!(attr(failed, attributes::OUTPUT), None);
    assert_eq!(
        failed.status,
        Status::error("cannot divide 1 by zero".to_string())
    );
    assert!(failed.events.iter().any(|event| event.name == "exception"));
}

#[test]
fn panic_is_recorded_then_resumed() {
    let _serial = serial();
    const OPTIONS: ObserveOptions = ObserveOptions::new("explodes");
    let outcome = std::panic::catch_unwind(|| {
        Observation::start(&OPTIONS).run(
            || -> i32 { panic!("boom {}", 42) },
            Observation::record_output,
        )
    });
    let payload = outcome.expect_err("the panic must reach the caller");
    let message = payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|text| text.to_string()));
    assert_eq!(message.as_deref(), Some("boom 42"));
    let span = only("explodes");
    assert_eq!(attr(&span, attributes::LEVEL).as_deref(), Some("ERROR"));
    assert_eq!(
        attr(&span, attributes::STATUS_MESSAGE).as_deref(),
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
    let _serial = serial();
    let tasks: Vec<_> = (0..20)
        .map(|i| tokio::spawn(async move { fetch(&format!("city{i}"), (i % 5) as u64).await }))
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    assert!(fetch("", 1).await.is_err());

    let parents = finished("fetch");
    let children = finished("fetch.child");
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
        .filter(|span| attr(span, attributes::LEVEL).as_deref() == Some("ERROR"))
        .collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(
        attr(failed[0], attributes::STATUS_MESSAGE).as_deref(),
        Some("empty city")
    );
    assert_eq!(
        attr(failed[0], attributes::TYPE).as_deref(),
        Some("retriever")
    );
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
    let _serial = serial();
    const OPTIONS: ObserveOptions = ObserveOptions::new("async.explodes");
    let task = tokio::spawn(Observation::start(&OPTIONS).run_async(
        async {
            tokio::task::yield_now().await;
            panic!("async boom");
        },
        Observation::record_nothing::<()>,
    ));
    let error = task.await.expect_err("the panic propagates to the task");
    assert!(error.is_panic());
    let span = only("async.explodes");
    assert_eq!(
        attr(&span, attributes::STATUS_MESSAGE).as_deref(),
        Some("panicked: async boom")
    );
}

#[tokio::test]
async fn a_dropped_future_still_ends_its_span() {
    let _serial = serial();
    const OPTIONS: ObserveOptions = ObserveOptions::new("cancelled");
    let future = Observation::start(&OPTIONS)
        .run_async(std::future::pending::<()>(), Observation::record_nothing);
    let _ = tokio::time::timeout(std::time::Duration::from_millis(5), future).await;
    assert_eq!(finished("cancelled").len(), 1);
}

#[test]
fn capture_can_be_switched_per_call_and_globally() {
    let _serial = serial();
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
    let span = only("no_input");
    assert_eq!(attr(&span, attributes::INPUT), None);
    assert_eq!(attr(&span, attributes::OUTPUT).as_deref(), Some("1"));

    let observation = Observation::start(&NO_OUTPUT);
    observation.record_input(|input| input.arg("x", &1));
    observation.run(|| 2, Observation::record_output);
    let span = only("no_output");
    assert_eq!(
        attr(&span, attributes::INPUT).as_deref(),
        Some(r#"{"x":1}"#)
    );
    assert_eq!(attr(&span, attributes::OUTPUT), None);

    settings::set_capture_io(false);
    assert_eq!(add(1, 1), 2);
    let span = only("add");
    assert_eq!(attr(&span, attributes::INPUT), None);
    assert_eq!(attr(&span, attributes::OUTPUT), None);
    assert_eq!(attr(&span, attributes::TYPE).as_deref(), Some("tool"));
}

#[test]
fn long_values_are_cut_with_a_marker() {
    let _serial = serial();
    settings::set_value_length_limit(100);
    const OPTIONS: ObserveOptions = ObserveOptions::new("long");
    let text = "ü".repeat(1000);
    let observation = Observation::start(&OPTIONS);
    observation.record_input(|input| input.arg("text", &text));
    observation.run(|| text.clone(), Observation::record_output);
    let span = only("long");
    for key in [attributes::INPUT, attributes::OUTPUT] {
        let value = attr(&span, key).unwrap();
        assert!(value.len() <= 100, "{key}: {} bytes", value.len());
        assert!(value.contains("…[truncated "), "{value}");
    }
}

#[test]
fn unserializable_output_never_fails_the_call() {
    let _serial = serial();
    let mut map = std::collections::HashMap::new();
    map.insert((1, 2), "tuple keys are not JSON keys");
    const OPTIONS: ObserveOptions = ObserveOptions::new("odd_output");
    let returned = Observation::start(&OPTIONS).run(|| map.clone(), Observation::record_output);
    assert_eq!(returned, map);
    let span = only("odd_output");
    let output = attr(&span, attributes::OUTPUT).unwrap();
    assert!(output.starts_with("\"<unserializable: "), "{output}");
}

#[test]
fn observations_nest_under_the_current_context() {
    let _serial = serial();
    const OUTER: ObserveOptions = ObserveOptions::new("outer");
    const INNER: ObserveOptions = ObserveOptions::new("inner").as_type(ObservationType::Generation);
    let outer = Observation::start(&OUTER);
    let outer_cx = outer.context();
    outer.run(
        || Observation::start(&INNER).run(|| (), Observation::record_nothing),
        Observation::record_nothing,
    );
    let inner = only("inner");
    assert_eq!(
        inner.parent_span_id,
        outer_cx.span().span_context().span_id()
    );
    assert_eq!(
        attr(&inner, attributes::TYPE).as_deref(),
        Some("generation")
    );
}

#[test]
fn mode_off_records_nothing_and_still_runs_the_body() {
    let _serial = serial();
    settings::set_mode(Mode::Off);
    assert_eq!(add(20, 22), 42);
    assert_eq!(divide(1, 0).unwrap_err(), "cannot divide 1 by zero");
    settings::set_mode(Mode::Native);
    assert!(finished("add").is_empty());
    assert!(finished("divide").is_empty());
}
