//! The official MCP conformance suite's runs, checked: `.ci/conformance`
//! runs `conformance-server` and `conformance-client` against
//! `@modelcontextprotocol/conformance` with a trace capture on
//! (`MCP_TRACE_FILE`) and a recorder preloaded into the suite
//! (`tests/interop/conformance-recorder.mjs`: every HTTP request the suite
//! sent, or received), then runs the `#[ignore]`d tests here on what it left
//! in `MCP_TRACE_CONFORMANCE_DIR` (default `target/conformance`):
//!
//! - every scenario of the run passed (no check `FAILURE`), and the run
//!   holds every scenario it should (32 server, 4 client);
//! - every JSON-RPC request and notification of the run is a span of the
//!   right side — SERVER for what the suite sent to our server, CLIENT for
//!   what our client sent to the suite — with its `mcp.method.name`, its
//!   `jsonrpc.request.id`, its session, and its target (`gen_ai.tool.name`,
//!   `gen_ai.prompt.name`, `mcp.resource.uri`); a client request is matched
//!   to the very span whose context its `_meta.traceparent` carries; and
//!   no span of that side is left without a message (nothing is traced
//!   twice, nothing invented);
//! - no exported span is an orphan: every parent span id is in the capture.
//!
//! Requests the server refused at the HTTP layer (the DNS-rebinding
//! scenario's foreign `Host`, answered 403 before any MCP handling) are not
//! MCP messages and have no span; they are counted and listed.
//!
//!   .ci/interop-setup && .ci/conformance
//!
//! The checks themselves are unit-tested below on small made-up runs (a
//! missing span, a wrong target, an orphan), which run with the workspace's
//! tests.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value as AnyValue;
use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
use serde_json::Value;

/// The server scenarios of `--suite all` in conformance 0.1.16.
const SERVER_SCENARIOS: usize = 32;
/// The client scenarios `.ci/conformance` runs.
const CLIENT_SCENARIOS: [&str; 4] = [
    "initialize",
    "tools_call",
    "elicitation-sep1034-client-defaults",
    "sse-retry",
];

// ----- What the capture holds ------------------------------------------------

/// One exported span, as the checks need it.
#[derive(Debug, Clone, PartialEq)]
struct Span {
    trace_id: String,
    span_id: String,
    /// Empty for a root.
    parent_span_id: String,
    kind: SpanKind,
    name: String,
    attributes: HashMap<String, String>,
}

impl Span {
    fn attribute(&self, key: &str) -> Option<&str> {
        self.attributes.get(key).map(String::as_str)
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

fn attribute_text(value: Option<&AnyValue>) -> String {
    match value {
        Some(AnyValue::StringValue(text)) => text.clone(),
        Some(AnyValue::IntValue(number)) => number.to_string(),
        Some(AnyValue::BoolValue(flag)) => flag.to_string(),
        Some(AnyValue::DoubleValue(number)) => number.to_string(),
        Some(other) => format!("{other:?}"),
        None => String::new(),
    }
}

/// The spans of an `MCP_TRACE_FILE` capture: one OTLP-JSON export request
/// per line.
fn read_capture(path: &Path) -> Vec<Span> {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|error| panic!("the capture {}: {error}", path.display()));
    let mut spans = Vec::new();
    for (number, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let request: ExportTraceServiceRequest =
            serde_json::from_str(line).unwrap_or_else(|error| {
                panic!(
                    "{} line {}: not an OTLP-JSON export: {error}",
                    path.display(),
                    number + 1
                )
            });
        for resource in request.resource_spans {
            for scope in resource.scope_spans {
                for span in scope.spans {
                    spans.push(Span {
                        trace_id: hex(&span.trace_id),
                        span_id: hex(&span.span_id),
                        parent_span_id: hex(&span.parent_span_id),
                        kind: SpanKind::try_from(span.kind).unwrap_or(SpanKind::Unspecified),
                        name: span.name.clone(),
                        attributes: span
                            .attributes
                            .iter()
                            .map(|pair| {
                                let value =
                                    pair.value.as_ref().and_then(|value| value.value.as_ref());
                                (pair.key.clone(), attribute_text(value))
                            })
                            .collect(),
                    });
                }
            }
        }
    }
    spans
}

// ----- What the suite sent or received ---------------------------------------

/// One JSON-RPC request or notification of the run, from the recorder.
#[derive(Debug, Clone, PartialEq)]
struct Message {
    method: String,
    /// The JSON-RPC id as text (`"1"`, `"abc"`); `None` for a notification.
    id: Option<String>,
    /// The `Mcp-Session-Id` it was sent with.
    session: Option<String>,
    /// The attribute naming its target and the value it must have.
    target: Option<(&'static str, String)>,
    /// The span id in its `_meta.traceparent`, when it carried one.
    parent_span_id: Option<String>,
}

/// What the recorder wrote: the JSON-RPC messages, and the requests the
/// server refused before reading them as MCP (HTTP 4xx/5xx).
#[derive(Debug, Default)]
struct Recording {
    messages: Vec<Message>,
    refused: Vec<String>,
}

/// The attribute that names a request's target, and where the request says it.
fn target_of(method: &str, params: &Value) -> Option<(&'static str, String)> {
    let (attribute, field) = match method {
        "tools/call" => ("gen_ai.tool.name", "name"),
        "prompts/get" => ("gen_ai.prompt.name", "name"),
        "resources/read" | "resources/subscribe" | "resources/unsubscribe" => {
            ("mcp.resource.uri", "uri")
        }
        _ => return None,
    };
    Some((attribute, params.get(field)?.as_str()?.to_string()))
}

fn id_text(id: &Value) -> String {
    match id {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// The recorder's lines of one direction (`sent` or `received`).
fn read_recording(path: &Path, direction: &str) -> Recording {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|error| panic!("the recording {}: {error}", path.display()));
    let mut recording = Recording::default();
    for line in text.lines().filter(|line| !line.trim().is_empty()) {
        let entry: Value = serde_json::from_str(line)
            .unwrap_or_else(|error| panic!("{}: not JSON: {error}: {line}", path.display()));
        if entry["direction"] != direction {
            continue;
        }
        let bodies = match &entry["body"] {
            Value::Array(batch) => batch.clone(),
            Value::Null => continue,
            body => vec![body.clone()],
        };
        let status = entry["status"].as_u64();
        for body in bodies {
            // Answers to the server's own requests carry no method.
            let Some(method) = body["method"].as_str() else {
                continue;
            };
            if let Some(status) = status.filter(|status| *status >= 400) {
                recording
                    .refused
                    .push(format!("{method} (HTTP {status}, {})", entry["url"]));
                continue;
            }
            let params = &body["params"];
            let parent_span_id = params["_meta"]["traceparent"]
                .as_str()
                .and_then(|traceparent| traceparent.split('-').nth(2))
                .map(str::to_string);
            recording.messages.push(Message {
                method: method.to_string(),
                id: body.get("id").map(id_text),
                session: entry["session"].as_str().map(str::to_string),
                target: target_of(method, params),
                parent_span_id,
            });
        }
    }
    recording
}

// ----- The checks --------------------------------------------------------------

fn describe(message: &Message) -> String {
    let mut text = message.method.clone();
    if let Some((_, target)) = &message.target {
        let _ = write!(text, " {target}");
    }
    if let Some(id) = &message.id {
        let _ = write!(text, " (id {id})");
    }
    if let Some(session) = &message.session {
        let _ = write!(text, " in session {session}");
    }
    text
}

/// Whether `span` is the span of `message`.
fn is_span_of(span: &Span, message: &Message) -> bool {
    if span.attribute("mcp.method.name") != Some(message.method.as_str()) {
        return false;
    }
    if span.attribute("jsonrpc.request.id") != message.id.as_deref() {
        return false;
    }
    if let Some(session) = &message.session {
        // Our spans name the session once it exists; where one names none
        // (the client's), the id and the traceparent decide.
        if span
            .attribute("mcp.session.id")
            .is_some_and(|recorded| recorded != session)
        {
            return false;
        }
    }
    if let Some(parent) = &message.parent_span_id {
        if &span.span_id != parent {
            return false;
        }
    }
    match &message.target {
        Some((attribute, value)) => span.attribute(attribute) == Some(value.as_str()),
        None => true,
    }
}

/// Pairs every message with its own span of `kind` (one span per message);
/// the problems are the messages without a span and the spans of `kind`
/// without a message.
fn match_messages(messages: &[Message], spans: &[Span], kind: SpanKind) -> Vec<String> {
    let candidates: Vec<&Span> = spans.iter().filter(|span| span.kind == kind).collect();
    let mut used = vec![false; candidates.len()];
    let mut problems = Vec::new();
    // Exact ones (traceparent, session, id) first, so a loose match cannot
    // take the span an exact one needs.
    let mut order: Vec<&Message> = messages.iter().collect();
    order.sort_by_key(|message| {
        (
            message.parent_span_id.is_none(),
            message.session.is_none(),
            message.id.is_none(),
        )
    });
    for message in order {
        let found = candidates
            .iter()
            .enumerate()
            .find(|(index, span)| !used[*index] && is_span_of(span, message));
        match found {
            Some((index, _)) => used[index] = true,
            None => {
                let near: Vec<String> = candidates
                    .iter()
                    .filter(|span| {
                        span.attribute("mcp.method.name") == Some(message.method.as_str())
                    })
                    .map(|span| format!("{} {:?}", span.name, span.attributes))
                    .take(3)
                    .collect();
                problems.push(format!(
                    "no {kind:?} span for {}; spans of that method: {near:?}",
                    describe(message)
                ));
            }
        }
    }
    for (index, span) in candidates.iter().enumerate() {
        if !used[index] {
            problems.push(format!(
                "{kind:?} span {} ({}) matches no message of the run: {:?}",
                span.name, span.span_id, span.attributes
            ));
        }
    }
    problems
}

/// Spans whose parent is not in the capture.
fn orphans(spans: &[Span]) -> Vec<String> {
    let known: HashSet<(&str, &str)> = spans
        .iter()
        .map(|span| (span.trace_id.as_str(), span.span_id.as_str()))
        .collect();
    spans
        .iter()
        .filter(|span| !span.parent_span_id.is_empty())
        .filter(|span| !known.contains(&(span.trace_id.as_str(), span.parent_span_id.as_str())))
        .map(|span| {
            format!(
                "orphan span {} ({}): parent {} of trace {} is not in the capture",
                span.name, span.span_id, span.parent_span_id, span.trace_id
            )
        })
        .collect()
}

/// Per scenario: (passed, failed, warnings) from the suite's `checks.json`
/// files under `results` (`[server-]<scenario>-<timestamp>/checks.json`).
fn scenario_results(results: &Path, prefix: &str) -> BTreeMap<String, (usize, usize, usize)> {
    let mut scenarios = BTreeMap::new();
    let entries = std::fs::read_dir(results)
        .unwrap_or_else(|error| panic!("the suite's results {}: {error}", results.display()));
    for entry in entries {
        let directory = entry.expect("a results entry").path();
        let Some(name) = directory.file_name().and_then(|name| name.to_str()) else {
            continue;
        };
        // `…-2026-12-01T12-31-35-064Z`: the timestamp is 24 characters.
        let Some(scenario) = name
            .strip_prefix(prefix)
            .and_then(|rest| rest.len().checked_sub(25).map(|end| &rest[..end]))
        else {
            continue;
        };
        let checks_file = directory.join("checks.json");
        let checks: Vec<Value> = serde_json::from_str(
            &std::fs::read_to_string(&checks_file)
                .unwrap_or_else(|error| panic!("{}: {error}", checks_file.display())),
        )
        .unwrap_or_else(|error| panic!("{}: {error}", checks_file.display()));
        let count = |status: &str| {
            checks
                .iter()
                .filter(|check| check["status"] == status)
                .count()
        };
        scenarios.insert(
            scenario.to_string(),
            (count("SUCCESS"), count("FAILURE"), count("WARNING")),
        );
    }
    scenarios
}

/// The summary lines, and the scenarios with a failed check.
fn summarize(scenarios: &BTreeMap<String, (usize, usize, usize)>) -> (String, Vec<String>) {
    let mut summary = String::new();
    let mut failed = Vec::new();
    for (scenario, (passed, failures, warnings)) in scenarios {
        let mark = if *failures == 0 { "✓" } else { "✗" };
        let _ = writeln!(
            summary,
            "{mark} {scenario}: {passed} passed, {failures} failed, {warnings} warnings"
        );
        if *failures > 0 {
            failed.push(scenario.clone());
        }
    }
    (summary, failed)
}

fn run_dir() -> PathBuf {
    match std::env::var_os("MCP_TRACE_CONFORMANCE_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => mcp_trace_tests::interop::workspace_root().join("target/conformance"),
    }
}

fn assert_no_problems(what: &str, problems: &[String]) {
    assert!(
        problems.is_empty(),
        "{what}: {} problem(s):\n  {}",
        problems.len(),
        problems.join("\n  ")
    );
}

// ----- The runs ------------------------------------------------------------------

#[test]
#[ignore = "reads what .ci/conformance leaves (needs .ci/interop-setup)"]
fn server_run_passes_every_scenario_and_traces_every_request() {
    let dir = run_dir().join("server");
    assert!(dir.is_dir(), "no {}: run .ci/conformance", dir.display());

    let scenarios = scenario_results(&dir.join("results"), "server-");
    let (summary, failed) = summarize(&scenarios);
    println!("conformance server scenarios:\n{summary}");
    assert!(
        failed.is_empty(),
        "server scenarios failed: {failed:?}\n{summary}"
    );
    assert_eq!(
        scenarios.len(),
        SERVER_SCENARIOS,
        "the server run should hold every scenario of --suite all:\n{summary}"
    );

    let recording = read_recording(&dir.join("sent.jsonl"), "sent");
    let spans = read_capture(&dir.join("spans.jsonl"));
    println!(
        "the suite sent {} JSON-RPC requests and notifications; {} refused before MCP: {:?}; \
         {} spans exported",
        recording.messages.len(),
        recording.refused.len(),
        recording.refused,
        spans.len()
    );
    assert!(
        !recording.messages.is_empty(),
        "the recorder recorded nothing"
    );
    assert_no_problems(
        "every message the suite sent is a SERVER span",
        &match_messages(&recording.messages, &spans, SpanKind::Server),
    );
    assert_no_problems("no orphan span in the server's capture", &orphans(&spans));
}

#[test]
#[ignore = "reads what .ci/conformance leaves (needs .ci/interop-setup)"]
fn client_run_passes_every_scenario_and_traces_every_request() {
    let dir = run_dir().join("client");
    assert!(dir.is_dir(), "no {}: run .ci/conformance", dir.display());
    if let Ok(reason) = std::fs::read_to_string(dir.join("SKIPPED")) {
        println!("conformance client run SKIPPED: {}", reason.trim());
        return;
    }

    let scenarios = scenario_results(&dir.join("results"), "");
    let (summary, failed) = summarize(&scenarios);
    println!("conformance client scenarios:\n{summary}");
    assert!(
        failed.is_empty(),
        "client scenarios failed: {failed:?}\n{summary}"
    );
    let ran: Vec<&str> = scenarios.keys().map(String::as_str).collect();
    let mut wanted = CLIENT_SCENARIOS.to_vec();
    wanted.sort_unstable();
    assert_eq!(ran, wanted, "the client run should hold these scenarios");

    let recording = read_recording(&dir.join("received.jsonl"), "received");
    let spans = read_capture(&dir.join("spans.jsonl"));
    println!(
        "the suite received {} JSON-RPC requests and notifications; {} spans exported",
        recording.messages.len(),
        spans.len()
    );
    assert!(
        !recording.messages.is_empty(),
        "the recorder recorded nothing"
    );
    assert!(
        recording
            .messages
            .iter()
            .all(|message| message.parent_span_id.is_some()),
        "every request of our client carries its span's context in _meta"
    );
    assert_no_problems(
        "every message our client sent is a CLIENT span",
        &match_messages(&recording.messages, &spans, SpanKind::Client),
    );
    assert_no_problems("no orphan span in the client's capture", &orphans(&spans));
}

// ----- The checks, on made-up runs ----------------------------------------------

fn span(kind: SpanKind, id: &str, parent: &str, attributes: &[(&str, &str)]) -> Span {
    Span {
        trace_id: "0af7651916cd43dd8448eb211c80319c".into(),
        span_id: id.into(),
        parent_span_id: parent.into(),
        kind,
        name: attributes
            .iter()
            .find(|(key, _)| *key == "mcp.method.name")
            .map_or("work", |(_, value)| value)
            .to_string(),
        attributes: attributes
            .iter()
            .map(|(key, value)| (key.to_string(), value.to_string()))
            .collect(),
    }
}

fn call(tool: &str, id: &str) -> Message {
    Message {
        method: "tools/call".into(),
        id: Some(id.into()),
        session: Some("s1".into()),
        target: Some(("gen_ai.tool.name", tool.into())),
        parent_span_id: None,
    }
}

fn call_span(id: &str, tool: &str, request_id: &str) -> Span {
    span(
        SpanKind::Server,
        id,
        "",
        &[
            ("mcp.method.name", "tools/call"),
            ("gen_ai.tool.name", tool),
            ("jsonrpc.request.id", request_id),
            ("mcp.session.id", "s1"),
        ],
    )
}

#[test]
fn every_message_matched_to_its_own_span_passes() {
    let messages = [call("a", "1"), call("b", "2")];
    let spans = [call_span("01", "b", "2"), call_span("02", "a", "1")];
    assert_eq!(
        match_messages(&messages, &spans, SpanKind::Server),
        Vec::<String>::new()
    );
}

#[test]
fn a_missing_span_fails() {
    let messages = [call("a", "1"), call("a", "2")];
    let spans = [call_span("01", "a", "1")];
    let problems = match_messages(&messages, &spans, SpanKind::Server);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0].contains("no Server span for tools/call a (id 2)"),
        "{problems:?}"
    );
}

#[test]
fn a_span_with_the_wrong_target_or_side_fails() {
    let messages = [call("a", "1")];
    let wrong_tool = [call_span("01", "b", "1")];
    assert_eq!(
        match_messages(&messages, &wrong_tool, SpanKind::Server).len(),
        2
    );
    let mut client_side = call_span("01", "a", "1");
    client_side.kind = SpanKind::Client;
    assert_eq!(
        match_messages(&messages, &[client_side], SpanKind::Server).len(),
        1
    );
}

#[test]
fn a_span_of_no_message_fails() {
    let spans = [call_span("01", "a", "1")];
    let problems = match_messages(&[], &spans, SpanKind::Server);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].contains("matches no message"), "{problems:?}");
}

#[test]
fn a_client_message_is_matched_by_its_traceparent() {
    let mut message = call("a", "1");
    message.session = None;
    message.parent_span_id = Some("02".into());
    let mut first = call_span("01", "a", "1");
    first.kind = SpanKind::Client;
    let mut second = call_span("02", "a", "1");
    second.kind = SpanKind::Client;
    let problems = match_messages(
        std::slice::from_ref(&message),
        &[first, second],
        SpanKind::Client,
    );
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].contains("span tools/call (01)"), "{problems:?}");
}

#[test]
fn an_orphan_fails_and_roots_do_not() {
    let spans = [
        span(SpanKind::Server, "01", "", &[]),
        span(SpanKind::Internal, "02", "01", &[]),
        span(SpanKind::Client, "03", "ff", &[]),
    ];
    let found = orphans(&spans);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].contains("parent ff"), "{found:?}");
}

#[test]
fn the_recording_keeps_messages_and_sets_refused_requests_apart() {
    let dir = std::env::temp_dir().join(format!("conformance-recording-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    let path = dir.join("sent.jsonl");
    let lines = [
        r#"{"direction":"sent","http":"POST","url":"u","session":null,"status":200,"body":{"jsonrpc":"2.0","id":0,"method":"initialize","params":{}}}"#,
        r#"{"direction":"sent","http":"POST","url":"u","session":"s1","status":200,"body":{"jsonrpc":"2.0","id":"x","method":"resources/read","params":{"uri":"test://a"}}}"#,
        r#"{"direction":"sent","http":"POST","url":"u","session":"s1","status":202,"body":{"jsonrpc":"2.0","id":0,"result":{}}}"#,
        r#"{"direction":"sent","http":"POST","url":"u","session":null,"status":403,"body":{"jsonrpc":"2.0","id":1,"method":"initialize"}}"#,
        r#"{"direction":"sent","http":"GET","url":"u","session":"s1","status":200,"body":null}"#,
        r#"{"direction":"received","http":"POST","url":"u","session":null,"status":null,"body":{"jsonrpc":"2.0","method":"notifications/initialized","params":{"_meta":{"traceparent":"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}}}}"#,
    ];
    std::fs::write(&path, lines.join("\n")).expect("the recording is written");
    let sent = read_recording(&path, "sent");
    assert_eq!(sent.refused.len(), 1, "{sent:?}");
    assert_eq!(
        sent.messages,
        [
            Message {
                method: "initialize".into(),
                id: Some("0".into()),
                session: None,
                target: None,
                parent_span_id: None,
            },
            Message {
                method: "resources/read".into(),
                id: Some("x".into()),
                session: Some("s1".into()),
                target: Some(("mcp.resource.uri", "test://a".into())),
                parent_span_id: None,
            },
        ]
    );
    let received = read_recording(&path, "received");
    assert_eq!(received.messages.len(), 1);
    assert_eq!(received.messages[0].id, None);
    assert_eq!(
        received.messages[0].parent_span_id.as_deref(),
        Some("b7ad6b7169203331")
    );
    let _ = std::fs::remove_dir_all(&dir);
}
