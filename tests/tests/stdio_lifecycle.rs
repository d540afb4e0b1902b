//! `weather-server --stdio` as an MCP host runs it: JSON-RPC written to its
//! stdin by hand, every line of its stdout parsed, signals sent while calls
//! are in flight and stdin still open.
//!
//! - SIGTERM and SIGINT end it with exit 0, every call it started answered
//!   and every answered call's SERVER span at the collector (the batch
//!   processor's delay is far longer than the test: only the flush at exit
//!   can deliver them).
//! - With the console exporter on, span and log lines go to stderr; stdout
//!   carries nothing but JSON-RPC.

use std::collections::BTreeSet;
use std::process::Stdio;
use std::time::{Duration, Instant};

use mcp_trace_runtime::collector::{Collector, SpanKind};
use mcp_trace_runtime::conventions::JSONRPC_REQUEST_ID;
use mcp_trace_tests::binary;
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

/// A `weather-server --stdio` child spoken to line by line.
struct StdioServer {
    child: Child,
    stdin: ChildStdin,
    stdout: Lines<BufReader<ChildStdout>>,
}

impl StdioServer {
    fn start(env: &[(&str, &str)]) -> StdioServer {
        let mut child = Command::new(binary("weather-server"))
            .arg("--stdio")
            .envs(env.iter().copied())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("weather-server starts");
        let stdin = child.stdin.take().expect("stdin is piped");
        let stdout = BufReader::new(child.stdout.take().expect("stdout is piped")).lines();
        StdioServer {
            child,
            stdin,
            stdout,
        }
    }

    async fn send(&mut self, message: Value) {
        let mut line = message.to_string();
        line.push('\n');
        self.stdin
            .write_all(line.as_bytes())
            .await
            .expect("write to the server's stdin");
    }

    /// The next stdout line, which must be one JSON-RPC message.
    async fn receive(&mut self) -> Option<Value> {
        let line = tokio::time::timeout(Duration::from_secs(20), self.stdout.next_line())
            .await
            .expect("a line within 20 s")
            .expect("stdout reads")?;
        Some(json_rpc(&line))
    }

    async fn initialize(&mut self) {
        self.send(json!({
            "jsonrpc": "2.0", "id": "init", "method": "initialize",
            "params": {
                "protocolVersion": "2025-06-18",
                "capabilities": {},
                "clientInfo": {"name": "stdio-lifecycle-test", "version": "0"}
            }
        }))
        .await;
        let answer = self.receive().await.expect("an initialize answer");
        assert_eq!(answer["id"], "init", "{answer}");
        assert!(
            answer.get("result").is_some(),
            "initialize failed: {answer}"
        );
        self.send(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}))
            .await;
    }

    async fn call_weather(&mut self, id: &str) {
        self.send(json!({
            "jsonrpc": "2.0", "id": id, "method": "tools/call",
            "params": {"name": "get_weather", "arguments": {"location": "Paris"}}
        }))
        .await;
    }

    fn signal(&self, name: &str) {
        let pid = self.child.id().expect("the server is running");
        let status = std::process::Command::new("kill")
            .args([&format!("-{name}"), &pid.to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill -{name} {pid}");
    }

    /// Reads stdout to its end, then waits for the exit: the stdout lines
    /// read, how long the exit took from `since`, and stderr.
    async fn finish(mut self, since: Instant) -> (Vec<Value>, Duration, String) {
        let mut lines = Vec::new();
        while let Some(message) = self.receive().await {
            lines.push(message);
        }
        let status = tokio::time::timeout(Duration::from_secs(15), self.child.wait())
            .await
            .expect("the server exits within 15 s")
            .expect("exit status");
        let took = since.elapsed();
        let mut stderr = String::new();
        if let Some(mut pipe) = self.child.stderr.take() {
            pipe.read_to_string(&mut stderr)
                .await
                .expect("stderr reads");
        }
        assert!(
            status.success(),
            "weather-server exited with {status}; stderr:\n{stderr}"
        );
        // stdin is still open here: the signal alone ended it.
        drop(self.stdin);
        (lines, took, stderr)
    }
}

fn json_rpc(line: &str) -> Value {
    let message: Value = serde_json::from_str(line)
        .unwrap_or_else(|error| panic!("stdout line is not JSON ({error}): {line:?}"));
    assert_eq!(
        message["jsonrpc"], "2.0",
        "stdout line is not JSON-RPC: {line:?}"
    );
    message
}

fn answered_ids(answers: &[Value]) -> BTreeSet<String> {
    answers
        .iter()
        .map(|answer| {
            assert!(answer.get("result").is_some(), "a call failed: {answer}");
            assert_eq!(answer["result"]["isError"], false, "{answer}");
            answer["id"].as_str().expect("string ids").to_string()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signal_ends_a_stdio_server_with_its_calls_answered_and_their_spans_flushed() {
    for signal in ["TERM", "INT"] {
        let collector = Collector::start("127.0.0.1:0").await.unwrap();
        let endpoint = collector.endpoint();
        let mut server = StdioServer::start(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint),
            ("OTEL_BSP_SCHEDULE_DELAY", "600000"),
            ("MCP_TRACE_MODE", "native"),
        ]);
        server.initialize().await;
        // Twenty calls answered one by one, then a burst of a hundred
        // written at once, the signal right behind them: some are answered,
        // some in flight, some never read.
        let mut answers = Vec::new();
        for n in 0..20 {
            server.call_weather(&format!("before-{n}")).await;
            answers.push(server.receive().await.expect("an answer"));
        }
        for n in 0..100 {
            server.call_weather(&format!("burst-{n}")).await;
        }
        let signalled = Instant::now();
        server.signal(signal);
        let (rest, took, stderr) = server.finish(signalled).await;
        answers.extend(rest);
        let answered = answered_ids(&answers);
        assert!(
            answered.len() >= 20,
            "SIG{signal}: {} answers",
            answered.len()
        );
        assert!(
            took < Duration::from_secs(10),
            "SIG{signal}: exit took {took:?}; stderr:\n{stderr}"
        );

        let spans = collector.spans();
        let served: BTreeSet<String> = spans
            .iter()
            .filter(|span| span.kind == SpanKind::Server && span.name == "tools/call get_weather")
            .map(|span| {
                span.attr_str(JSONRPC_REQUEST_ID)
                    .expect("request id")
                    .to_string()
            })
            .collect();
        assert_eq!(
            served, answered,
            "SIG{signal}: every answered call's SERVER span, and no other, was flushed"
        );
        eprintln!(
            "SIG{signal}: {} calls answered, {} SERVER spans flushed, exit {took:?} after the signal",
            answered.len(),
            served.len()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_export_on_a_stdio_server_goes_to_stderr() {
    let mut server = StdioServer::start(&[
        ("OTEL_TRACES_EXPORTER", "console"),
        ("OTEL_LOGS_EXPORTER", "console"),
        ("OTEL_METRICS_EXPORTER", "none"),
        // Batches every 10 ms: the span lines are written while the calls run.
        ("OTEL_BSP_SCHEDULE_DELAY", "10"),
        ("OTEL_BLRP_SCHEDULE_DELAY", "10"),
    ]);
    server.initialize().await;
    let mut answers = Vec::new();
    for n in 0..10 {
        server.call_weather(&format!("call-{n}")).await;
        answers.push(server.receive().await.expect("an answer"));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let signalled = Instant::now();
    server.signal("TERM");
    let (rest, _, stderr) = server.finish(signalled).await;
    assert!(rest.is_empty(), "no answer after the last: {rest:?}");
    assert_eq!(answered_ids(&answers).len(), 10);
    let span_lines = stderr
        .lines()
        .filter(|line| line.contains("Server tools/call get_weather"))
        .count();
    let log_lines = stderr
        .lines()
        .filter(|line| line.contains("looking up the weather"))
        .count();
    assert_eq!(
        span_lines, 10,
        "one console line per SERVER span on stderr:\n{stderr}"
    );
    assert_eq!(
        log_lines, 10,
        "one console line per log record on stderr:\n{stderr}"
    );
}
