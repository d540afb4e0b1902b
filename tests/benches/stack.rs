//! What a traced call costs on the calling thread, every contender behind
//! the same processor (a `BatchSpanProcessor` whose exporter drops the
//! batch): a bare async fn; `#[observe]` with capture on and off; the whole
//! three-macro stack inside a served request's scope; hand-written
//! OpenTelemetry SDK code for the same span; `#[tracing::instrument]` through
//! tracing-opentelemetry; `#[observe]` in mode `off`; extract + inject of a
//! `traceparent` / `tracestate` / `baggage` set; capture of a small and a
//! 64 KiB argument. The futures are ready at once, so each is polled once with
//! a no-op waker: no runtime in the measurement.
//!
//! `cargo bench -p mcp-trace-tests --bench stack`

use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::task::{Context as TaskContext, Poll, Waker};

use criterion::{criterion_group, criterion_main, Criterion};
use mcp_trace_runtime::scope::ServedRequest;
use mcp_trace_runtime::{observe, settings, with_otel_headers, Mode};
use opentelemetry::context::FutureExt as _;
use opentelemetry::trace::{Span as _, SpanKind, TraceContextExt, Tracer, TracerProvider as _};
use opentelemetry::{Context, KeyValue};
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{BatchSpanProcessor, SdkTracerProvider, SpanData, SpanExporter};
use tracing_subscriber::layer::SubscriberExt as _;

/// Drops every batch: the processor's work stays, the export does not.
#[derive(Debug)]
struct DroppingExporter;

impl SpanExporter for DroppingExporter {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        black_box(batch);
        Ok(())
    }
}

/// Polls a future that is ready at once.
fn ready<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    match future
        .as_mut()
        .poll(&mut TaskContext::from_waker(Waker::noop()))
    {
        Poll::Ready(value) => value,
        Poll::Pending => panic!("the benchmarked future is not ready at once"),
    }
}

async fn bare(location: String) -> usize {
    location.len()
}

#[observe]
async fn observed(location: String) -> usize {
    location.len()
}

#[observe(capture_input = false, capture_output = false)]
async fn observed_quietly(location: String) -> usize {
    location.len()
}

#[mcp_trace_runtime::mcp_tool]
#[with_otel_headers]
#[observe]
async fn stacked(location: String) -> usize {
    location.len()
}

#[tracing::instrument]
async fn instrumented(location: String) -> usize {
    location.len()
}

/// What a careful user writes by hand for `observed`'s span.
async fn hand_written(location: String) -> usize {
    let tracer = opentelemetry::global::tracer("bench");
    let mut span = tracer
        .span_builder("hand_written")
        .with_kind(SpanKind::Internal)
        .with_attributes([KeyValue::new("langfuse.observation.type", "span")])
        .start(&tracer);
    span.set_attribute(KeyValue::new(
        "langfuse.observation.input",
        serde_json::json!({ "location": location }).to_string(),
    ));
    let cx = Context::current_with_span(span);
    let length = async { location.len() }.with_context(cx.clone()).await;
    cx.span().set_attribute(KeyValue::new(
        "langfuse.observation.output",
        length.to_string(),
    ));
    cx.span().end();
    length
}

fn served_request() -> ServedRequest {
    let mut headers = http::HeaderMap::new();
    headers.insert(
        "traceparent",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
            .parse()
            .unwrap(),
    );
    headers.insert("tracestate", "vendor=opaque,other=value".parse().unwrap());
    headers.insert(
        "baggage",
        "user.id=alice,session.id=chat-42".parse().unwrap(),
    );
    ServedRequest::from_headers(headers)
}

fn bench(c: &mut Criterion) {
    let provider = SdkTracerProvider::builder()
        .with_span_processor(BatchSpanProcessor::builder(DroppingExporter).build())
        .build();
    opentelemetry::global::set_tracer_provider(provider.clone());
    mcp_trace_runtime::propagation::install_default_propagators();
    let subscriber = tracing_subscriber::registry()
        .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("tracing")));
    let _subscriber = tracing::subscriber::set_default(subscriber);
    // Every call runs under an open span, as inside a request.
    let root = Context::new().with_span(opentelemetry::global::tracer("bench").start("root"));
    let _root = root.attach();

    let mut group = c.benchmark_group("call");
    let location = || black_box("Paris".to_string());
    group.bench_function("bare async fn", |b| b.iter(|| ready(bare(location()))));
    group.bench_function("#[observe], capture on", |b| {
        b.iter(|| ready(observed(location())))
    });
    group.bench_function("#[observe], capture off", |b| {
        b.iter(|| ready(observed_quietly(location())))
    });
    group.bench_function("hand-written SDK code, same span", |b| {
        b.iter(|| ready(hand_written(location())))
    });
    group.bench_function("building a served request (its header map)", |b| {
        b.iter(served_request)
    });
    group.bench_function("the three macros in a served request's scope", |b| {
        b.iter(|| ready(served_request().scope(stacked(location()))))
    });
    group.bench_function("#[tracing::instrument] + tracing-opentelemetry", |b| {
        b.iter(|| ready(instrumented(location())))
    });
    settings::set_mode(Mode::Off);
    group.bench_function("#[observe], mode off", |b| {
        b.iter(|| ready(observed(location())))
    });
    settings::set_mode(Mode::Native);
    group.finish();

    let mut group = c.benchmark_group("context");
    let request = served_request();
    group.bench_function("extract traceparent, tracestate, baggage + inject", |b| {
        b.iter(|| {
            let cx =
                mcp_trace_runtime::propagation::extract_from_headers(black_box(&request.headers));
            let mut out = http::HeaderMap::new();
            mcp_trace_runtime::propagation::inject_into_headers(&cx, &mut out);
            out
        })
    });
    group.finish();

    let mut group = c.benchmark_group("capture");
    let small = "Paris".to_string();
    let large = "x".repeat(64 * 1024);
    group.bench_function("a 5-byte argument", |b| {
        b.iter(|| ready(observed(black_box(small.clone()))))
    });
    group.bench_function("a 64 KiB argument", |b| {
        b.iter(|| ready(observed(black_box(large.clone()))))
    });
    group.finish();
    let _ = provider.shutdown();
}

criterion_group!(benches, bench);
criterion_main!(benches);
