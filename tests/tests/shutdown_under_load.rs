//! SIGTERM to `weather-server` over HTTP while eight clients keep calling:
//! every call either gets its whole answer or is refused — no connection, or
//! `503` with `Retry-After` when it reached the server after the drain — and
//! none is cut off halfway or dropped with rmcp's `500`; the server exits 0
//! within its bound, and every answered call's SERVER span reaches the
//! collector. (stdio: tests/stdio_lifecycle.rs.)

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mcp_trace_runtime::collector::{Collector, SpanKind};
use mcp_trace_runtime::conventions::JSONRPC_REQUEST_ID;
use mcp_trace_tests::WeatherServer;
use serde_json::{json, Value};

/// What one client saw of one call.
enum Seen {
    Answered,
    /// No connection, the connection closed before any answer, or `503`
    /// once the server had drained.
    Refused,
}

async fn call(http: &reqwest::Client, url: &str, id: &str) -> Seen {
    let message = json!({
        "jsonrpc": "2.0", "id": id, "method": "tools/call",
        "params": {"name": "get_weather", "arguments": {"location": "Lima"}}
    });
    let sent = http
        .post(url)
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .body(message.to_string())
        .send()
        .await;
    let response = match sent {
        Ok(response) => response,
        Err(error) => {
            assert!(
                error.is_connect() || error.is_request(),
                "call {id} failed uncleanly: {error:?}"
            );
            return Seen::Refused;
        }
    };
    if response.status() == 503 {
        assert_eq!(response.headers()["retry-after"], "1", "call {id}");
        return Seen::Refused;
    }
    assert_eq!(response.status(), 200, "call {id}");
    let body = response
        .text()
        .await
        .unwrap_or_else(|error| panic!("call {id}: answer cut off: {error:?}"));
    let answer: Value = serde_json::from_str(&body)
        .unwrap_or_else(|error| panic!("call {id}: not a whole answer ({error}): {body:?}"));
    assert_eq!(answer["result"]["isError"], false, "call {id}: {answer}");
    Seen::Answered
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_under_load_answers_or_refuses_each_call_and_flushes_every_answered_span() {
    let collector = Collector::start("127.0.0.1:0").await.unwrap();
    let server = WeatherServer::start(
        &["--stateless"],
        &[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", &collector.endpoint()),
            // Far longer than the test: only the flush at exit delivers.
            ("OTEL_BSP_SCHEDULE_DELAY", "600000"),
            ("OTEL_BSP_MAX_QUEUE_SIZE", "100000"),
            ("OTEL_METRICS_EXPORTER", "none"),
            ("MCP_TRACE_MODE", "native"),
        ],
    )
    .await;
    let answered = Arc::new(Mutex::new(BTreeSet::new()));
    let total = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let mut clients = Vec::new();
    for client in 0..8 {
        let (answered, total, stop) = (answered.clone(), total.clone(), stop.clone());
        let url = server.url.clone();
        clients.push(tokio::spawn(async move {
            // A fresh connection per call, as many clients would: the server
            // must also stop accepting cleanly.
            let http = reqwest::Client::builder()
                .pool_max_idle_per_host(0)
                .build()
                .unwrap();
            let mut refused_in_a_row = 0;
            for n in 0.. {
                let id = format!("c{client}-{n}");
                match call(&http, &url, &id).await {
                    Seen::Answered => {
                        answered.lock().unwrap().insert(id);
                        total.fetch_add(1, Ordering::SeqCst);
                        refused_in_a_row = 0;
                    }
                    Seen::Refused => refused_in_a_row += 1,
                }
                if stop.load(Ordering::SeqCst) && refused_in_a_row >= 3 {
                    break;
                }
            }
        }));
    }
    tokio::time::timeout(Duration::from_secs(30), async {
        while total.load(Ordering::SeqCst) < 300 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .expect("300 calls answered within 30 s");
    let signalled = Instant::now();
    stop.store(true, Ordering::SeqCst);
    let (status, stderr) = server.stop_with_stderr().await;
    let took = signalled.elapsed();
    assert!(
        status.success(),
        "weather-server on SIGTERM under load: {status}\n{stderr}"
    );
    // DRAIN_TIMEOUT (10 s) + CLOSE_TIMEOUT (2 s) + the flush are the bound;
    // calls this short drain at once.
    assert!(
        took < Duration::from_secs(12),
        "exit {took:?} after SIGTERM"
    );
    for client in clients {
        tokio::time::timeout(Duration::from_secs(30), client)
            .await
            .expect("every client stops once the server refuses")
            .expect("no client saw a call cut off");
    }

    let answered = answered.lock().unwrap().clone();
    let spans: BTreeSet<String> = collector
        .spans()
        .iter()
        .filter(|span| span.kind == SpanKind::Server && span.name == "tools/call get_weather")
        .filter_map(|span| span.attr_str(JSONRPC_REQUEST_ID).map(str::to_string))
        .collect();
    let missing: Vec<&String> = answered.difference(&spans).collect();
    assert!(
        missing.is_empty(),
        "answered calls without their span: {missing:?}"
    );
    // A span without an answer: a call the server finished whose answer
    // the client did not read in full would have failed the client above.
    let unanswered: Vec<&String> = spans.difference(&answered).collect();
    assert!(
        unanswered.is_empty(),
        "spans of calls never answered: {unanswered:?}"
    );
    eprintln!(
        "shutdown under load: {} calls answered, {} SERVER spans flushed, exit {took:?} after SIGTERM",
        answered.len(),
        spans.len()
    );
}
