//! What a traced call costs on the calling thread, every contender behind
//! the same processor (a `BatchSpanProcessor` whose exporter drops the
//! batch): a bare async fn; `#[observe]` with capture on and off; the whole
//! three-macro stack inside a served request's scope; hand-written
//! OpenTelemetry SDK code for the same span; `#[tracing::instrument]` through
//! tracing-opentelemetry, alone and with the caller's context read from the
//! same request headers by the SDK's propagators (the like-for-like
//! contender of the three macros, which read it too); fastrace's `#[trace]` through its OpenTelemetry
//! reporter (whose exporter is the same dropping one: fastrace collects on its
//! own thread, not through the SDK's processor), and a fastrace root span per
//! call; `#[observe]` in mode `off`; extract + inject of a `traceparent` /
//! `tracestate` / `baggage` set; capture of a small and a 64 KiB argument. The
//! futures are ready at once, so each is polled once with a no-op waker: no
//! runtime in the measurement.
//!
//! `cargo bench -p mcp-trace-tests --bench stack`

use std::borrow::Cow;
use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll, Waker};
use std::time::Instant;

use criterion::{criterion_group, criterion_main, Criterion};
use fastrace::future::FutureExt as _;
use fastrace::local::LocalSpan;
use mcp_trace_runtime::scope::ServedRequest;
use mcp_trace_runtime::{observe, settings, with_otel_headers, Mode};
use opentelemetry::context::FutureExt as _;
use opentelemetry::propagation::{TextMapCompositePropagator, TextMapPropagator as _};
use opentelemetry::trace::{Span as _, SpanKind, TraceContextExt, Tracer, TracerProvider as _};
use opentelemetry::{Context, InstrumentationScope, KeyValue};
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::propagation::{BaggagePropagator, TraceContextPropagator};
use opentelemetry_sdk::trace::{BatchSpanProcessor, SdkTracerProvider, SpanData, SpanExporter};
use opentelemetry_sdk::Resource;
use tracing_subscriber::layer::SubscriberExt as _;

/// Drops every batch: the processor's work stays, the export does not. It
/// counts the spans it dropped, to show each pipeline did deliver.
#[derive(Debug)]
struct DroppingExporter(Arc<AtomicUsize>);

impl SpanExporter for DroppingExporter {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        self.0.fetch_add(batch.len(), Ordering::Relaxed);
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

/// `instrumented` as a server writes it for a request: the caller's context
/// from the headers (the SDK's `tracecontext` + `baggage` propagators, as
/// tracing-opentelemetry's examples do), the span's parent set to it.
async fn instrumented_for_a_caller(
    propagator: &TextMapCompositePropagator,
    headers: http::HeaderMap,
    location: String,
) -> usize {
    use tracing::Instrument as _;
    use tracing_opentelemetry::OpenTelemetrySpanExt as _;
    let caller = propagator.extract(&opentelemetry_http::HeaderExtractor(&headers));
    let span = tracing::info_span!("instrumented", location = %location);
    let _ = span.set_parent(caller);
    async { location.len() }.instrument(span).await
}

/// `hand_written`'s span through fastrace: its type when the span starts,
/// input and output from inside (fastrace's properties are strings, so both
/// are serialized as the SDK code serializes them).
#[fastrace::trace(short_name = true, properties = { "langfuse.observation.type": "span" })]
async fn fastraced(location: String) -> usize {
    with_fastrace_properties(location).await
}

/// The body of `fastraced`, adding its input and output to the local parent.
async fn with_fastrace_properties(location: String) -> usize {
    LocalSpan::add_property(|| {
        (
            "langfuse.observation.input",
            serde_json::json!({ "location": location }).to_string(),
        )
    });
    let length = location.len();
    LocalSpan::add_property(|| ("langfuse.observation.output", length.to_string()));
    length
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
    ServedRequest::from_headers(request_headers())
}

/// A traced client's request headers: the full W3C set.
fn request_headers() -> http::HeaderMap {
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
    headers
}

fn bench(c: &mut Criterion) {
    let sdk_spans = Arc::new(AtomicUsize::new(0));
    let provider = SdkTracerProvider::builder()
        .with_span_processor(
            BatchSpanProcessor::builder(DroppingExporter(sdk_spans.clone())).build(),
        )
        .build();
    // fastrace's collector thread converts its records to `SpanData` and hands
    // them to the same kind of exporter (no `BatchSpanProcessor`: fastrace
    // batches on its own).
    let fastrace_spans = Arc::new(AtomicUsize::new(0));
    fastrace::set_reporter(
        fastrace_opentelemetry::OpenTelemetryReporter::new(
            DroppingExporter(fastrace_spans.clone()),
            Cow::Owned(Resource::builder_empty().build()),
            InstrumentationScope::builder("fastrace").build(),
        ),
        fastrace::collector::Config::default(),
    );
    opentelemetry::global::set_tracer_provider(provider.clone());
    mcp_trace_runtime::propagation::install_default_propagators();
    let subscriber = tracing_subscriber::registry()
        .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("tracing")));
    let _subscriber = tracing::subscriber::set_default(subscriber);
    // Every call runs under an open span, as inside a request.
    let root = Context::new().with_span(opentelemetry::global::tracer("bench").start("root"));
    // fastrace's spans hang under the same root: its ids as their parent.
    let fastrace_parent = {
        let parent = root.span().span_context().clone();
        fastrace::collector::SpanContext::new(
            fastrace::collector::TraceId(u128::from_be_bytes(parent.trace_id().to_bytes())),
            fastrace::collector::SpanId(u64::from_be_bytes(parent.span_id().to_bytes())),
        )
    };
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
    let sdk_propagator = TextMapCompositePropagator::new(vec![
        Box::new(TraceContextPropagator::new()),
        Box::new(BaggagePropagator::new()),
    ]);
    group.bench_function(
        "tracing-opentelemetry span with the caller's context from the same headers",
        |b| {
            b.iter(|| {
                ready(instrumented_for_a_caller(
                    &sdk_propagator,
                    request_headers(),
                    location(),
                ))
            })
        },
    );
    group.bench_function("fastrace #[trace] + OpenTelemetryReporter", |b| {
        // `#[trace]` opens a child of the thread's local parent, as the others
        // open a child of the attached context. A fastrace root holds its
        // children until it ends, so one per batch, outside the timing.
        b.iter_custom(|iters| {
            let root = fastrace::Span::root("root", fastrace_parent);
            let _parent = root.set_local_parent();
            let start = Instant::now();
            for _ in 0..iters {
                black_box(ready(fastraced(location())));
            }
            start.elapsed()
        })
    });
    group.bench_function(
        "fastrace Span::root per call (remote parent) + OpenTelemetryReporter",
        |b| {
            // The call's span is itself a fastrace root, its parent named by
            // id (fastrace's way in from another system): a collection of its
            // own per call, reported when it ends. `#[trace]` only opens
            // children, so this one is written out.
            b.iter(|| {
                let span = fastrace::Span::root("fastraced", fastrace_parent)
                    .with_property(|| ("langfuse.observation.type", "span"));
                ready(with_fastrace_properties(location()).in_span(span))
            })
        },
    );
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
    // Hands fastrace's collector what its ring holds; what the calling thread
    // queued behind a full ring waits for that thread's next span.
    fastrace::flush();
    let _ = provider.shutdown();
    // What reached the exporters (a filtered run reaches only some).
    eprintln!(
        "spans exported and dropped: {} by the SDK, {} by fastrace",
        sdk_spans.load(Ordering::Relaxed),
        fastrace_spans.load(Ordering::Relaxed),
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
