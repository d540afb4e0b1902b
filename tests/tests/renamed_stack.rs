//! The stack with its macros imported under other names behaves as the
//! stack written with the real names: under a renamed `#[with_otel_headers]`
//! the observation still opens in the caller's context (a child of the
//! remote parent in the request's `traceparent`), against the in-memory
//! exporter. The compile-time side is in `ui/pass/renamed_stack.rs` and
//! `ui/fail/renamed_*.rs`.

// The lock only serializes tests that share the process-wide tracer provider;
// each test has its own runtime, so holding it across `.await` cannot deadlock.
#![allow(clippy::await_holding_lock)]

use std::sync::{Mutex, MutexGuard, OnceLock};

use mcp_trace_runtime::scope::ServedRequest;
use mcp_trace_runtime::settings;
use mcp_trace_runtime::{mcp_tool as tool, observe as obs, with_otel_headers as ctx};
use mcp_trace_runtime::{observe, with_otel_headers};
use opentelemetry::trace::SpanId;
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider, SpanData};

fn exporter() -> &'static InMemorySpanExporter {
    static EXPORTER: OnceLock<InMemorySpanExporter> = OnceLock::new();
    EXPORTER.get_or_init(|| {
        let exporter = InMemorySpanExporter::default();
        let provider = SdkTracerProvider::builder()
            .with_simple_exporter(exporter.clone())
            .build();
        opentelemetry::global::set_tracer_provider(provider);
        mcp_trace_runtime::propagation::install_default_propagators();
        exporter
    })
}

fn serial() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    let guard = LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    exporter().reset();
    settings::set_mode(mcp_trace_runtime::Mode::Native);
    settings::set_capture_io(true);
    guard
}

fn only(name: &str) -> SpanData {
    let mut spans: Vec<SpanData> = exporter()
        .get_finished_spans()
        .unwrap()
        .into_iter()
        .filter(|span| span.name == name)
        .collect();
    assert_eq!(spans.len(), 1, "exactly one span named {name:?}");
    spans.remove(0)
}

const CALLER_TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const CALLER_SPAN: &str = "00f067aa0ba902b7";

fn request() -> ServedRequest {
    let mut headers = http::HeaderMap::new();
    headers.insert(
        "traceparent",
        format!("00-{CALLER_TRACE}-{CALLER_SPAN}-01")
            .parse()
            .unwrap(),
    );
    ServedRequest::from_headers(headers)
}

/// A child of the caller's span, in the caller's trace.
fn assert_child_of_caller(name: &str) {
    let span = only(name);
    assert_eq!(
        span.span_context.trace_id().to_string(),
        CALLER_TRACE,
        "{name}"
    );
    assert_eq!(
        span.parent_span_id,
        SpanId::from_hex(CALLER_SPAN).unwrap(),
        "{name}"
    );
    assert!(span.parent_span_is_remote, "{name}");
}

#[ctx]
#[obs(as_type = "tool")]
async fn both_renamed(location: String) -> String {
    format!("weather in {location}")
}

#[ctx]
#[observe]
async fn context_renamed(location: String) -> String {
    location
}

#[with_otel_headers]
#[obs]
async fn observe_renamed(location: String) -> String {
    location
}

#[ctx]
#[obs]
fn both_renamed_sync(days: i64) -> Result<i64, String> {
    if days < 0 {
        return Err("negative".into());
    }
    Ok(days * 2)
}

#[ctx]
#[obs]
async fn both_renamed_opaque(text: String) -> impl std::fmt::Display {
    text
}

#[tool]
#[ctx]
#[obs(as_type = "tool")]
async fn renamed_tool(location: String) -> String {
    format!("tool weather in {location}")
}

#[tokio::test]
async fn renamed_with_otel_headers_above_observe_opens_the_span_in_the_callers_context() {
    let _serial = serial();
    assert_eq!(
        request().scope(both_renamed("Oslo".into())).await,
        "weather in Oslo"
    );
    assert_child_of_caller("both_renamed");
    request().scope(context_renamed("Oslo".into())).await;
    assert_child_of_caller("context_renamed");
    request().scope(observe_renamed("Oslo".into())).await;
    assert_child_of_caller("observe_renamed");
    assert_eq!(request().sync_scope(|| both_renamed_sync(2)), Ok(4));
    assert_child_of_caller("both_renamed_sync");
    let text = request()
        .scope(both_renamed_opaque("x".into()))
        .await
        .to_string();
    assert_eq!(text, "x");
    assert_child_of_caller("both_renamed_opaque");

    // Through the registered tool, as the server calls it.
    let arguments = serde_json::json!({ "location": "Lima" });
    let arguments = arguments.as_object().cloned().unwrap();
    let output = request()
        .scope((renamed_tool::TOOL.call)(arguments))
        .await
        .unwrap();
    assert_eq!(
        output,
        mcp_trace_runtime::tool::ToolOutput::Text("tool weather in Lima".into())
    );
    assert_child_of_caller("renamed_tool");
}

#[tokio::test]
async fn renamed_stack_outside_a_request_opens_a_root() {
    let _serial = serial();
    both_renamed("Lima".into()).await;
    assert_eq!(both_renamed_sync(1), Ok(2));
    for name in ["both_renamed", "both_renamed_sync"] {
        assert_eq!(only(name).parent_span_id, SpanId::INVALID, "{name}");
    }
}
