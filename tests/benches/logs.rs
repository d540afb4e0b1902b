//! What logs correlated with traces cost on the calling thread: a
//! `tracing::info!` inside an `#[observe]` call with the logs off (nothing
//! installed at all, then mode `native` with the logs off) and on (exported
//! over OTLP/HTTP to a loopback sink that only counts), against the same call
//! without the event; and a `#[tracing::instrument]` span inside the call,
//! without a subscriber and bridged into the trace by `logs::layer`.
//!
//! One process can set its `tracing` subscriber once, so the cases run in
//! this order in one function: nothing installed, logs off, logs on.
//!
//! `cargo bench -p mcp-trace-tests --bench logs`

use std::convert::Infallible;
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use criterion::Criterion;
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use mcp_trace_runtime::config::OtlpTarget;
use mcp_trace_runtime::{install, observe, Config};

#[observe]
fn silent(n: u64) -> u64 {
    n + 1
}

#[observe]
fn logging(n: u64) -> u64 {
    tracing::info!(n, "looked up the forecast");
    n + 1
}

#[observe]
fn with_tracing_span(n: u64) -> u64 {
    instrumented(n)
}

#[tracing::instrument]
fn instrumented(n: u64) -> u64 {
    n + 1
}

/// Answers every POST with an empty 200 after reading the body, counting
/// requests and bytes: no decoding, so the sink takes little of the machine.
fn start_counting_sink() -> (String, Arc<AtomicU64>) {
    let requests = Arc::new(AtomicU64::new(0));
    let counted = Arc::clone(&requests);
    let (address_tx, address_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            address_tx.send(listener.local_addr().unwrap()).unwrap();
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let counted = Arc::clone(&counted);
                tokio::spawn(async move {
                    let service =
                        service_fn(move |request: hyper::Request<hyper::body::Incoming>| {
                            let counted = Arc::clone(&counted);
                            async move {
                                let _ = request.into_body().collect().await;
                                counted.fetch_add(1, Ordering::Relaxed);
                                let mut response = hyper::Response::new(Full::new(Bytes::new()));
                                response.headers_mut().insert(
                                    http::header::CONTENT_TYPE,
                                    http::HeaderValue::from_static("application/x-protobuf"),
                                );
                                Ok::<_, Infallible>(response)
                            }
                        });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                        .await;
                });
            }
        });
    });
    let address = address_rx.recv().unwrap();
    (format!("http://{address}"), requests)
}

/// Mode `native`, spans recorded and dropped (no trace destination), logs
/// to `logs_to` when given.
fn config(logs_to: Option<&str>) -> Config {
    let mut config = Config::from_lookup("logs-bench", |name| match name {
        "OTEL_TRACES_EXPORTER" | "OTEL_LOGS_EXPORTER" => Some("none".into()),
        _ => None,
    })
    .unwrap();
    if let Some(endpoint) = logs_to {
        config.logs.extra_otlp.push(OtlpTarget::http_logs(endpoint));
    }
    config
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("logs");
    group.measurement_time(Duration::from_secs(3));

    // 1. Nothing installed: no subscriber, the global tracer provider is the no-op one.
    group.bench_function("nothing installed: call without event", |b| {
        b.iter(|| silent(black_box(1)))
    });
    group.bench_function("nothing installed: call with info!", |b| {
        b.iter(|| logging(black_box(1)))
    });
    group.bench_function("nothing installed: info! alone", |b| {
        b.iter(|| tracing::info!(n = black_box(1u64), "looked up the forecast"))
    });
    group.bench_function("nothing installed: call with a tracing span", |b| {
        b.iter(|| with_tracing_span(black_box(1)))
    });

    // 2. Mode native, logs off: `install` sets the subscriber for the
    //    tracing spans; events are disabled at their call sites.
    let guard = install(config(None)).unwrap();
    assert!(!mcp_trace_runtime::logs::enabled());
    group.bench_function("logs off: call without event", |b| {
        b.iter(|| silent(black_box(1)))
    });
    group.bench_function("logs off: call with info!", |b| {
        b.iter(|| logging(black_box(1)))
    });
    group.bench_function("logs off: info! alone", |b| {
        b.iter(|| tracing::info!(n = black_box(1u64), "looked up the forecast"))
    });
    group.bench_function("logs off: call with a tracing span (bridged)", |b| {
        b.iter(|| with_tracing_span(black_box(1)))
    });
    drop(guard);

    // 3. Logs on, exported to the counting sink.
    let (endpoint, requests) = start_counting_sink();
    let guard = install(config(Some(&endpoint))).unwrap();
    assert!(mcp_trace_runtime::logs::enabled());
    group.bench_function("logs on: call without event", |b| {
        b.iter(|| silent(black_box(1)))
    });
    group.bench_function("logs on: call with info!", |b| {
        b.iter(|| logging(black_box(1)))
    });
    group.bench_function("logs on: info! alone (outside a call)", |b| {
        b.iter(|| tracing::info!(n = black_box(1u64), "looked up the forecast"))
    });
    group.finish();
    guard.force_flush().unwrap();
    let health = guard.export_health();
    let exported: u64 = health.iter().map(|health| health.exported()).sum();
    assert!(exported > 0, "the sink received no records: {health:?}");
    eprintln!(
        "logs on: {exported} records exported in {} requests to the counting sink \
         (the batch queue drops what it cannot hold)",
        requests.load(Ordering::Relaxed)
    );
    drop(guard);
}

fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    bench(&mut criterion);
    criterion.final_summary();
}
