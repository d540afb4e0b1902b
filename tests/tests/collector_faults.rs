//! `weather-server` exporting to a collector that fails the ways real ones
//! do — 503 and 429 with `Retry-After`, 500, accepting and never answering,
//! dropping the connection — and then comes back. The server answers every
//! call throughout, prints one warning per signal, exports again once the
//! collector is back, and at shutdown accounts for every span: exported,
//! failed or dropped.
//!
//! (What the faults cost under load — calls/s, p99, memory — is measured by
//! `bench/faults.sh`, not here: see RELIABILITY.md.)

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper::{Request, Response};
use mcp_trace_tests::WeatherServer;
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::any_value::Value as AnyValue;
use prost::Message;
use serde_json::{json, Value};

#[derive(Debug, Clone, Copy, PartialEq)]
enum Fault {
    Healthy,
    /// This status; 429 and 503 with `Retry-After: 1`.
    Status(u16),
    /// Reads the request, never answers.
    Hang,
    /// Drops the connection without an answer.
    Reset,
}

/// An OTLP/HTTP receiver whose behaviour the test switches; healthy, it
/// decodes span exports and keeps each span's `jsonrpc.request.id`.
struct FaultyCollector {
    endpoint: String,
    fault: Arc<Mutex<Fault>>,
    /// Export requests received (answered or not), any signal.
    attempts: Arc<AtomicUsize>,
    /// Spans accepted, by their request id (or "" when they carry none).
    spans: Arc<Mutex<Vec<String>>>,
}

impl FaultyCollector {
    async fn start() -> FaultyCollector {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let fault = Arc::new(Mutex::new(Fault::Healthy));
        let attempts = Arc::new(AtomicUsize::new(0));
        let spans = Arc::new(Mutex::new(Vec::new()));
        let (f, a, s) = (fault.clone(), attempts.clone(), spans.clone());
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let (f, a, s) = (f.clone(), a.clone(), s.clone());
                let service =
                    service_fn(move |request| answer(request, f.clone(), a.clone(), s.clone()));
                tokio::spawn(
                    hyper::server::conn::http1::Builder::new()
                        .serve_connection(hyper_util::rt::TokioIo::new(stream), service),
                );
            }
        });
        FaultyCollector {
            endpoint,
            fault,
            attempts,
            spans,
        }
    }

    fn set(&self, fault: Fault) {
        *self.fault.lock().unwrap() = fault;
    }

    fn ids(&self) -> Vec<String> {
        self.spans.lock().unwrap().clone()
    }
}

async fn answer(
    request: Request<hyper::body::Incoming>,
    fault: Arc<Mutex<Fault>>,
    attempts: Arc<AtomicUsize>,
    spans: Arc<Mutex<Vec<String>>>,
) -> Result<Response<Full<Bytes>>, std::io::Error> {
    let traces = request.uri().path() == "/v1/traces";
    let body = request
        .into_body()
        .collect()
        .await
        .map_err(std::io::Error::other)?;
    attempts.fetch_add(1, Ordering::SeqCst);
    let fault = *fault.lock().unwrap();
    match fault {
        Fault::Healthy => {
            if traces {
                let export = ExportTraceServiceRequest::decode(body.to_bytes()).unwrap();
                let mut kept = spans.lock().unwrap();
                for span in export
                    .resource_spans
                    .iter()
                    .flat_map(|resource| &resource.scope_spans)
                    .flat_map(|scope| &scope.spans)
                {
                    let id = span
                        .attributes
                        .iter()
                        .find(|kv| kv.key == "jsonrpc.request.id")
                        .and_then(|kv| kv.value.as_ref()?.value.as_ref())
                        .map(|value| match value {
                            AnyValue::StringValue(text) => text.clone(),
                            other => format!("{other:?}"),
                        })
                        .unwrap_or_default();
                    kept.push(id);
                }
            }
            let answer = ExportTraceServiceResponse::default().encode_to_vec();
            Ok(Response::builder()
                .header("content-type", "application/x-protobuf")
                .body(Full::new(Bytes::from(answer)))
                .unwrap())
        }
        Fault::Status(status) => Ok(Response::builder()
            .status(status)
            .header("retry-after", "1")
            .body(Full::new(Bytes::from_static(b"collector unavailable")))
            .unwrap()),
        Fault::Hang => std::future::pending().await,
        Fault::Reset => Err(std::io::Error::other("connection dropped by the test")),
    }
}

async fn call(http: &reqwest::Client, url: &str, id: &str) {
    let message = json!({
        "jsonrpc": "2.0", "id": id, "method": "tools/call",
        "params": {"name": "get_weather", "arguments": {"location": "Oslo"}}
    });
    let response = tokio::time::timeout(
        Duration::from_secs(10),
        http.post(url)
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream")
            .body(message.to_string())
            .send(),
    )
    .await
    .expect("the call is answered within 10 s whatever the collector does")
    .expect("the call is answered");
    assert_eq!(response.status(), 200, "call {id}");
    let answer: Value = serde_json::from_str(&response.text().await.unwrap()).unwrap();
    assert_eq!(answer["result"]["isError"], false, "call {id}: {answer}");
}

/// `N span(s) lost for DEST: F could not be exported, D never sent …; E exported.`
fn loss_line(stderr: &str) -> Option<(u64, u64, u64)> {
    let line = stderr
        .lines()
        .find(|line| line.contains("span(s) lost for"))?;
    let number_before = |marker: &str| -> u64 {
        let head = &line[..line.find(marker).unwrap()];
        head.rsplit(|c: char| !c.is_ascii_digit())
            .find(|word| !word.is_empty())
            .unwrap()
            .parse()
            .unwrap()
    };
    Some((
        number_before(" could not be exported"),
        number_before(" never sent"),
        number_before(" exported."),
    ))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_collector_fault_leaves_calls_answered_and_every_span_accounted_for() {
    const CALLS: usize = 20;
    let collector = FaultyCollector::start().await;
    let server = WeatherServer::start(
        &["--stateless"],
        &[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", &collector.endpoint),
            ("OTEL_EXPORTER_OTLP_TIMEOUT", "1500"),
            ("OTEL_BSP_SCHEDULE_DELAY", "100"),
            ("OTEL_BLRP_SCHEDULE_DELAY", "100"),
            ("OTEL_METRICS_EXPORTER", "none"),
            ("MCP_TRACE_MODE", "native"),
        ],
    )
    .await;
    let http = reqwest::Client::new();
    let phases = [
        ("healthy", Fault::Healthy),
        ("503", Fault::Status(503)),
        ("429", Fault::Status(429)),
        ("500", Fault::Status(500)),
        ("hang", Fault::Hang),
        ("reset", Fault::Reset),
        ("back", Fault::Healthy),
    ];
    for (phase, fault) in phases {
        collector.set(fault);
        let before = collector.attempts.load(Ordering::SeqCst);
        for n in 0..CALLS {
            call(&http, &server.url, &format!("{phase}-{n}")).await;
        }
        // Until the exporter has tried this collector at least once.
        tokio::time::timeout(Duration::from_secs(15), async {
            while collector.attempts.load(Ordering::SeqCst) == before {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
        .await
        .unwrap_or_else(|_| panic!("no export attempt during the {phase} phase"));
        // Let that batch's retries run out in this phase's fault.
        tokio::time::sleep(Duration::from_millis(if fault == Fault::Healthy {
            300
        } else {
            1800
        }))
        .await;
    }
    let (status, stderr) = server.stop_with_stderr().await;
    assert!(status.success(), "weather-server on SIGTERM: {status}");

    let ids = collector.ids();
    let received: BTreeSet<&str> = ids.iter().map(String::as_str).collect();
    for phase in ["healthy", "back"] {
        for n in 0..CALLS {
            let id = format!("{phase}-{n}");
            assert!(
                received.contains(id.as_str()),
                "{id}'s span did not arrive: {received:?}"
            );
        }
    }
    // Spans per call, from the healthy phase; the same for every call.
    let per_call = ids.iter().filter(|id| id.starts_with("healthy-")).count() / CALLS;
    assert!(per_call >= 1);
    let total = (per_call * CALLS * phases.len()) as u64;

    let warnings = stderr.matches("warning: cannot export spans").count();
    assert_eq!(
        warnings, 1,
        "one warning for the spans, not one per failure:\n{stderr}"
    );
    let (failed, dropped, exported) =
        loss_line(&stderr).unwrap_or_else(|| panic!("no loss line in:\n{stderr}"));
    assert_eq!(
        exported,
        ids.len() as u64,
        "exported as the collector counted:\n{stderr}"
    );
    assert!(failed > 0, "{stderr}");
    assert_eq!(
        exported + failed + dropped,
        total,
        "every span exported, failed or dropped:\n{stderr}"
    );
    eprintln!(
        "faults: {} calls answered; {exported} spans exported, {failed} failed, {dropped} dropped",
        CALLS * phases.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hanging_collector_delays_the_exit_by_one_shutdown_timeout_not_one_per_signal() {
    let collector = FaultyCollector::start().await;
    collector.set(Fault::Hang);
    let server = WeatherServer::start(
        &["--stateless"],
        &[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", &collector.endpoint),
            // Longer than the server's 5 s shutdown: only that bounds the exit.
            ("OTEL_EXPORTER_OTLP_TIMEOUT", "60000"),
            ("OTEL_BSP_SCHEDULE_DELAY", "100"),
            ("OTEL_BLRP_SCHEDULE_DELAY", "100"),
            ("OTEL_METRICS_EXPORTER", "none"),
        ],
    )
    .await;
    let http = reqwest::Client::new();
    for n in 0..5 {
        call(&http, &server.url, &format!("hang-{n}")).await;
    }
    // Spans and log records each have an export hanging.
    tokio::time::timeout(Duration::from_secs(15), async {
        while collector.attempts.load(Ordering::SeqCst) < 2 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("spans and logs both tried the collector");
    let signalled = std::time::Instant::now();
    let (status, stderr) = server.stop_with_stderr().await;
    let took = signalled.elapsed();
    assert!(status.success(), "{status}\n{stderr}");
    // One 5 s shutdown for both signals at once (one after the other: 10 s);
    // the margin is for a loaded machine, not for a second timeout.
    assert!(
        took < Duration::from_secs(9),
        "exit {took:?} after SIGTERM\n{stderr}"
    );
    assert!(
        stderr.contains("flushing the exporters did not finish"),
        "{stderr}"
    );
    eprintln!("hanging collector: exit {took:?} after SIGTERM");
}
