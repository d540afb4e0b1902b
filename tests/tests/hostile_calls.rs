//! Hostile callers against a real `weather-server` child process exporting
//! over OTLP/HTTP to the embedded [`Collector`], spoken to with raw
//! Streamable HTTP / JSON-RPC so each request carries exactly the trace
//! context and the bytes the test chooses.
//!
//! - Concurrency isolation: 1000 `tools/call get_weather` at once, each with
//!   its own random traceparent (half in the POST's headers only, half in
//!   `params._meta` only), over four stateful sessions and a stateless
//!   server: every tool span has its own caller's trace id and parent span
//!   id, its own input, request id and session; every `looking up the
//!   weather` log record carries its own call's span.
//! - Bad input: wrong argument types, missing and extra arguments, params
//!   that do not fit `tools/call`, unknown tools (one with a 1 MiB name),
//!   bodies over the HTTP limit, invalid JSON, messages that are not a
//!   JSON-RPC object: each answered clearly, each dispatched one's SERVER
//!   span marked as an error, and a normal call right after each succeeds.
//!
//! Servers are stopped with SIGTERM, which flushes their spans and logs;
//! every wait is bounded.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use mcp_trace_runtime::collector::{CollectedLog, CollectedSpan, Collector, SpanKind};
use mcp_trace_runtime::conventions::{
    ERROR_TYPE, GEN_AI_TOOL_NAME, JSONRPC_REQUEST_ID, MCP_SESSION_ID,
};
use mcp_trace_runtime::observe::attributes::INPUT;
use mcp_trace_tests::WeatherServer;
use reqwest::StatusCode;
use serde_json::{json, Value};

/// Longest wait for exported spans and logs once the servers stopped.
const EXPORT_WAIT: Duration = Duration::from_secs(30);
/// Longest wait for one HTTP answer.
const HTTP_TIMEOUT: Duration = Duration::from_secs(30);
const PROTOCOL_VERSION: &str = "2025-06-18";
/// rmcp's `StreamableHttpServerConfig::max_request_body_bytes` default,
/// which `serve_http` keeps.
const BODY_LIMIT: usize = 4 * 1024 * 1024;
const LOOKING_UP: &str = "looking up the weather";

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/// The environment of a `weather-server` exporting to `collector` in `mode`,
/// batches every 100 ms, queues large enough that nothing is dropped.
fn server_env(collector: &Collector, mode: &str) -> Vec<(String, String)> {
    [
        ("OTEL_EXPORTER_OTLP_ENDPOINT", collector.endpoint().as_str()),
        ("OTEL_BSP_SCHEDULE_DELAY", "100"),
        ("OTEL_BLRP_SCHEDULE_DELAY", "100"),
        ("OTEL_BSP_MAX_QUEUE_SIZE", "16384"),
        ("OTEL_BLRP_MAX_QUEUE_SIZE", "16384"),
        ("MCP_TRACE_MODE", mode),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

fn pairs(env: &[(String, String)]) -> Vec<(&str, &str)> {
    env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

/// A fresh random (never all-zero) trace id and parent span id.
fn random_context() -> (String, String) {
    (
        format!("{:032x}", fastrand::u128(1..)),
        format!("{:016x}", fastrand::u64(1..)),
    )
}

fn traceparent(trace_id: &str, span_id: &str) -> String {
    format!("00-{trace_id}-{span_id}-01")
}

/// One MCP endpoint spoken to by hand: a stateful session (its id sent on
/// every POST) or a stateless server.
#[derive(Clone)]
struct Endpoint {
    http: reqwest::Client,
    url: String,
    session_id: Option<String>,
}

impl Endpoint {
    fn stateless(http: &reqwest::Client, url: &str) -> Endpoint {
        Endpoint {
            http: http.clone(),
            url: url.to_string(),
            session_id: None,
        }
    }

    /// `initialize` and `notifications/initialized` on a stateful server.
    async fn session(http: &reqwest::Client, url: &str) -> Endpoint {
        let mut endpoint = Endpoint::stateless(http, url);
        let initialize = json!({
            "jsonrpc": "2.0", "id": "init", "method": "initialize",
            "params": {
                "protocolVersion": PROTOCOL_VERSION,
                "capabilities": {},
                "clientInfo": {"name": "hostile-calls", "version": "1"}
            }
        });
        let response = endpoint
            .post(initialize.to_string(), None)
            .send()
            .await
            .expect("initialize is answered");
        assert!(response.status().is_success(), "{response:?}");
        let session_id = response
            .headers()
            .get("mcp-session-id")
            .expect("a stateful server gives a session id")
            .to_str()
            .unwrap()
            .to_string();
        let answer = answer_to(&response.text().await.unwrap(), &json!("init"));
        assert!(answer.get("result").is_some(), "{answer}");
        endpoint.session_id = Some(session_id);
        let initialized = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
        let status = endpoint
            .post(initialized.to_string(), None)
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status, StatusCode::ACCEPTED);
        endpoint
    }

    /// A POST of `body`, with `traceparent` in its headers when given.
    fn post(
        &self,
        body: impl Into<reqwest::Body>,
        traceparent: Option<&str>,
    ) -> reqwest::RequestBuilder {
        let mut request = self
            .http
            .post(&self.url)
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream")
            .header("mcp-protocol-version", PROTOCOL_VERSION)
            .body(body);
        if let Some(session) = &self.session_id {
            request = request.header("mcp-session-id", session);
        }
        if let Some(traceparent) = traceparent {
            request = request.header("traceparent", traceparent);
        }
        request
    }

    /// POSTs `body` and returns the status and the response text.
    async fn raw(
        &self,
        body: impl Into<reqwest::Body>,
        traceparent: Option<&str>,
    ) -> (StatusCode, String) {
        let response = self
            .post(body, traceparent)
            .send()
            .await
            .expect("the server answers");
        let status = response.status();
        (status, response.text().await.unwrap())
    }

    /// POSTs the JSON-RPC request `request` and returns its answer (result
    /// or error), which must come with a 2xx status.
    async fn request(&self, request: &Value, traceparent: Option<&str>) -> Value {
        let (status, body) = self.raw(request.to_string(), traceparent).await;
        assert!(status.is_success(), "{status}: {}", head(&body));
        answer_to(&body, &request["id"])
    }

    /// `tools/call name(arguments)` with the context in `_meta` when given.
    async fn call_tool(&self, id: u64, name: &str, arguments: Value, meta: Option<&str>) -> Value {
        let mut params = json!({"name": name, "arguments": arguments});
        if let Some(traceparent) = meta {
            params["_meta"] = json!({"traceparent": traceparent});
        }
        let request = json!({"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": params});
        self.request(&request, None).await
    }
}

/// The message answering `id` in a JSON body or in server-sent events.
fn answer_to(body: &str, id: &Value) -> Value {
    std::iter::once(body)
        .chain(body.lines().filter_map(|line| line.strip_prefix("data:")))
        .filter_map(|data| serde_json::from_str::<Value>(data.trim()).ok())
        .find(|message| message["id"] == *id)
        .unwrap_or_else(|| panic!("no answer to {id} in {:?}", head(body)))
}

/// The first 300 bytes of `text`, for messages about huge bodies.
fn head(text: &str) -> &str {
    let mut end = text.len().min(300);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

fn parsed(span: &CollectedSpan, key: &str) -> Value {
    let text = span
        .attr_str(key)
        .unwrap_or_else(|| panic!("{} has no {key}: {span:#?}", span.name));
    serde_json::from_str(text).unwrap_or_else(|error| panic!("{key} is not JSON ({error}): {text}"))
}

// ---------------------------------------------------------------------------
// 8. Concurrency isolation
// ---------------------------------------------------------------------------

/// How one concurrent call carries its caller's context.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Carrier {
    /// The POST's `traceparent` header only.
    Headers,
    /// `params._meta.traceparent` only.
    Meta,
}

#[derive(Debug, Clone)]
struct Call {
    id: u64,
    trace_id: String,
    parent: String,
    location: String,
    /// The stateful session it went over; `None` for the stateless server.
    session: Option<String>,
    carrier: Carrier,
}

const CALLS: usize = 1000;
const SESSIONS: usize = 4;

/// What [`concurrent_calls_keep_their_callers`] saw, for the report.
struct Isolation {
    took: Duration,
    most_in_flight: usize,
    spans: usize,
    logs: usize,
}

/// [`CALLS`] concurrent `get_weather` calls spread over [`SESSIONS`]
/// stateful sessions and a stateless server in `mode`: each call's tool span
/// (`tool_span`, of `kind`) and log record belong to that call alone.
async fn concurrent_calls_keep_their_callers(
    mode: &str,
    tool_span: &str,
    kind: SpanKind,
) -> Isolation {
    let collector = Collector::start("127.0.0.1:0").await.unwrap();
    let env = server_env(&collector, mode);
    let stateful = WeatherServer::start(&[], &pairs(&env)).await;
    let stateless = WeatherServer::start(&["--stateless"], &pairs(&env)).await;
    let http = reqwest::Client::builder()
        .timeout(HTTP_TIMEOUT)
        .build()
        .unwrap();
    let mut endpoints = Vec::new();
    for _ in 0..SESSIONS {
        endpoints.push(Endpoint::session(&http, &stateful.url).await);
    }
    endpoints.push(Endpoint::stateless(&http, &stateless.url));

    let mut seen = HashSet::new();
    let calls: Vec<(Call, Endpoint)> = (0..CALLS)
        .map(|i| {
            let endpoint = endpoints[i % endpoints.len()].clone();
            let (trace_id, parent) = random_context();
            assert!(seen.insert(trace_id.clone()), "distinct trace ids");
            let call = Call {
                id: 1000 + i as u64,
                trace_id,
                parent,
                location: format!("city-{i}"),
                session: endpoint.session_id.clone(),
                carrier: if (i / endpoints.len()) % 2 == 0 {
                    Carrier::Headers
                } else {
                    Carrier::Meta
                },
            };
            (call, endpoint)
        })
        .collect();

    let start = Arc::new(tokio::sync::Barrier::new(CALLS));
    let in_flight = Arc::new(AtomicUsize::new(0));
    let most_in_flight = Arc::new(AtomicUsize::new(0));
    let began = Instant::now();
    let tasks: Vec<_> = calls
        .iter()
        .cloned()
        .map(|(call, endpoint)| {
            let start = Arc::clone(&start);
            let in_flight = Arc::clone(&in_flight);
            let most_in_flight = Arc::clone(&most_in_flight);
            tokio::spawn(async move {
                let context = traceparent(&call.trace_id, &call.parent);
                let mut params = json!({"name": "get_weather", "arguments": {"location": call.location}});
                let header = match call.carrier {
                    Carrier::Headers => Some(context.as_str()),
                    Carrier::Meta => {
                        params["_meta"] = json!({"traceparent": context});
                        None
                    }
                };
                let request = json!({"jsonrpc": "2.0", "id": call.id, "method": "tools/call", "params": params});
                start.wait().await;
                let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                most_in_flight.fetch_max(now, Ordering::SeqCst);
                let answer = endpoint.request(&request, header).await;
                in_flight.fetch_sub(1, Ordering::SeqCst);
                answer
            })
        })
        .collect();
    let mut answers = Vec::new();
    for task in tasks {
        answers.push(task.await.expect("the call's task"));
    }
    let took = began.elapsed();
    for ((call, _), answer) in calls.iter().zip(&answers) {
        assert_eq!(answer["result"]["isError"], false, "{call:?}: {answer}");
        assert_eq!(
            answer["result"]["structuredContent"]["location"], call.location,
            "each call answered with its own result: {call:?}: {answer}"
        );
    }
    for server in [stateful, stateless] {
        let stopped = server.stop().await;
        assert!(stopped.success(), "weather-server on SIGTERM: {stopped}");
    }

    let is_tool_span =
        |span: &CollectedSpan| span.service_name == "weather-server" && span.name == tool_span;
    let spans = collector
        .wait_for(EXPORT_WAIT, |spans| {
            spans.iter().filter(|span| is_tool_span(span)).count() >= CALLS
        })
        .await;
    let logs = collector
        .wait_for_logs(EXPORT_WAIT, |logs| {
            logs.iter().filter(|log| log.body == LOOKING_UP).count() >= CALLS
        })
        .await;

    let by_trace: HashMap<&str, &Call> = calls
        .iter()
        .map(|(call, _)| (call.trace_id.as_str(), call))
        .collect();
    let by_location: HashMap<&str, &Call> = calls
        .iter()
        .map(|(call, _)| (call.location.as_str(), call))
        .collect();
    // Every span of the calls' traces is its call's tool span: one each.
    let mut span_of: HashMap<&str, &CollectedSpan> = HashMap::new();
    for span in spans
        .iter()
        .filter(|span| by_trace.contains_key(span.trace_id.as_str()))
    {
        assert!(
            is_tool_span(span),
            "only the tool's span in a call's trace: {span:#?}"
        );
        let previous = span_of.insert(span.trace_id.as_str(), span);
        assert!(
            previous.is_none(),
            "two spans in one call's trace: {span:#?}"
        );
    }
    let tool_spans: Vec<_> = spans.iter().filter(|span| is_tool_span(span)).collect();
    assert_eq!(tool_spans.len(), CALLS, "one tool span per call");
    for span in &tool_spans {
        let call = by_trace
            .get(span.trace_id.as_str())
            .unwrap_or_else(|| panic!("a tool span outside every caller's trace: {span:#?}"));
        assert_eq!(span.kind, kind, "{span:#?}");
        assert_eq!(
            span.parent_span_id.as_deref(),
            Some(call.parent.as_str()),
            "the caller's span is the parent: {call:?} {span:#?}"
        );
        assert_eq!(
            parsed(span, INPUT),
            json!({"location": call.location}),
            "the call's own input: {call:?}"
        );
        assert!(span.links.is_empty(), "one carrier, no link: {span:#?}");
        assert!(!span.status.is_error(), "{span:#?}");
        if kind == SpanKind::Server {
            assert_eq!(
                span.attr_str(JSONRPC_REQUEST_ID),
                Some(call.id.to_string().as_str()),
                "{call:?}"
            );
            assert_eq!(
                span.attr_str(MCP_SESSION_ID),
                call.session.as_deref(),
                "the call's own session: {call:?}"
            );
        }
    }
    let records: Vec<&CollectedLog> = logs.iter().filter(|log| log.body == LOOKING_UP).collect();
    assert_eq!(records.len(), CALLS, "one log record per call");
    let mut logged = HashSet::new();
    for record in &records {
        let location = record.attr_str("location").unwrap_or_default();
        let call = by_location
            .get(location)
            .unwrap_or_else(|| panic!("a record of no call: {record:#?}"));
        assert!(logged.insert(call.id), "two records for {call:?}");
        assert_eq!(
            record.trace_id.as_deref(),
            Some(call.trace_id.as_str()),
            "{call:?}"
        );
        assert_eq!(
            record.span_id.as_deref(),
            Some(span_of[call.trace_id.as_str()].span_id.as_str()),
            "the record belongs to its call's span: {call:?}"
        );
    }
    let carriers: Vec<usize> = [Carrier::Headers, Carrier::Meta]
        .iter()
        .map(|carrier| {
            calls
                .iter()
                .filter(|(call, _)| call.carrier == *carrier)
                .count()
        })
        .collect();
    assert_eq!(carriers, [CALLS / 2, CALLS / 2]);
    Isolation {
        took,
        most_in_flight: most_in_flight.load(Ordering::SeqCst),
        spans: tool_spans.len(),
        logs: records.len(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_concurrent_calls_keep_their_own_callers_in_native_mode() {
    let seen =
        concurrent_calls_keep_their_callers("native", "tools/call get_weather", SpanKind::Server)
            .await;
    eprintln!(
        "native: {CALLS} calls in {:?}, at most {} in flight, {} SERVER spans and {} log records checked",
        seen.took, seen.most_in_flight, seen.spans, seen.logs
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_concurrent_calls_keep_their_own_callers_in_propagation_only_mode() {
    let seen =
        concurrent_calls_keep_their_callers("propagation_only", "get_weather", SpanKind::Internal)
            .await;
    eprintln!(
        "propagation_only: {CALLS} calls in {:?}, at most {} in flight, {} tool spans and {} log records checked",
        seen.took, seen.most_in_flight, seen.spans, seen.logs
    );
}

// ---------------------------------------------------------------------------
// 9. Bad tool input
// ---------------------------------------------------------------------------

/// One hostile request: what it sends and what its answer must be.
struct Hostile {
    what: &'static str,
    /// The POST's body; the context travels in its headers.
    body: Vec<u8>,
    expect: Expect,
}

enum Expect {
    /// A tool result with `isError` whose text contains these.
    ToolError(&'static [&'static str]),
    /// A normal tool result.
    Fine,
    /// A JSON-RPC error with this code whose message contains these.
    RpcError(i64, &'static [&'static str]),
    /// Refused before dispatch: this HTTP status, a body containing these,
    /// and no span.
    Refused(StatusCode, &'static [&'static str]),
}

fn call_body(id: u64, params: Value) -> Vec<u8> {
    json!({"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": params})
        .to_string()
        .into_bytes()
}

fn get_weather_body(id: u64, arguments: Value) -> Vec<u8> {
    call_body(id, json!({"name": "get_weather", "arguments": arguments}))
}

fn assert_contains(text: &str, needles: &[&str], what: &str) {
    for needle in needles {
        assert!(
            text.contains(needle),
            "{what}: {:?} should contain {needle:?}",
            head(text)
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_tool_input_is_answered_clearly_marked_as_an_error_and_harms_nothing() {
    let collector = Collector::start("127.0.0.1:0").await.unwrap();
    let env = server_env(&collector, "native");
    let server = WeatherServer::start(&[], &pairs(&env)).await;
    let http = reqwest::Client::builder()
        .timeout(HTTP_TIMEOUT)
        .build()
        .unwrap();
    let session = Endpoint::session(&http, &server.url).await;
    let long_name = "x".repeat(1024 * 1024);

    let mut hostile = vec![
        Hostile {
            what: "a number for a string",
            body: get_weather_body(1, json!({"location": 5})),
            expect: Expect::ToolError(&["get_weather", "invalid type", "expected a string"]),
        },
        Hostile {
            what: "a string for an integer",
            body: call_body(
                2,
                json!({"name": "get_forecast", "arguments": {"location": "Oslo", "days": "three"}}),
            ),
            expect: Expect::ToolError(&["get_forecast", "invalid type", "expected i64"]),
        },
        Hostile {
            what: "a missing required argument",
            body: get_weather_body(3, json!({})),
            expect: Expect::ToolError(&["get_weather", "missing field `location`"]),
        },
        Hostile {
            what: "an extra unknown argument (ignored: the tool does not deny unknown arguments)",
            body: get_weather_body(4, json!({"location": "Paris", "units": "metric"})),
            expect: Expect::Fine,
        },
        Hostile {
            what: "arguments that are not an object",
            body: call_body(5, json!({"name": "get_weather", "arguments": "Paris"})),
            expect: Expect::RpcError(-32602, &["invalid params for tools/call", "invalid type"]),
        },
        Hostile {
            what: "a tool name that is not a string",
            body: call_body(6, json!({"name": 5, "arguments": {}})),
            expect: Expect::RpcError(-32602, &["invalid params for tools/call", "invalid type"]),
        },
        Hostile {
            what: "tools/call without params",
            body: json!({"jsonrpc": "2.0", "id": 7, "method": "tools/call"})
                .to_string()
                .into_bytes(),
            expect: Expect::RpcError(-32602, &["invalid params for tools/call", "missing"]),
        },
        Hostile {
            what: "an unknown tool",
            body: call_body(
                8,
                json!({"name": "get_humidity", "arguments": {"location": "Paris"}}),
            ),
            expect: Expect::RpcError(-32602, &["unknown tool", "get_humidity"]),
        },
        Hostile {
            what: "an unknown tool with a 1 MiB name",
            body: call_body(9, json!({"name": long_name, "arguments": {}})),
            // The name is echoed cut, with its length.
            expect: Expect::RpcError(-32602, &["unknown tool: xxxx", "… (1048576 bytes)"]),
        },
        Hostile {
            what: "arguments just under the body limit",
            body: get_weather_body(10, json!({"location": "y".repeat(BODY_LIMIT - 1024)})),
            expect: Expect::Fine,
        },
        Hostile {
            what: "arguments over the body limit",
            body: get_weather_body(11, json!({"location": "z".repeat(BODY_LIMIT + 1)})),
            expect: Expect::Refused(
                StatusCode::PAYLOAD_TOO_LARGE,
                &["Payload Too Large", "exceeds 4194304 bytes"],
            ),
        },
        Hostile {
            what: "invalid JSON",
            body: br#"{"jsonrpc": "2.0", "id": 12, "method": "tools/call", "params": {"name": "#
                .to_vec(),
            expect: Expect::Refused(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                &["fail to deserialize request body", "EOF while parsing"],
            ),
        },
    ];
    for body in ["[1, 2]", "\"tools/call\"", "42", "null", "{}"] {
        hostile.push(Hostile {
            what: "a JSON-RPC message that is not one",
            body: body.as_bytes().to_vec(),
            expect: Expect::Refused(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                &[
                    "fail to deserialize request body",
                    "unrecognized JSON-RPC message",
                ],
            ),
        });
    }
    hostile.push(Hostile {
        what: "a batch (MCP 2025-06-18 has none)",
        body: br#"[{"jsonrpc": "2.0", "id": 18, "method": "ping"}]"#.to_vec(),
        expect: Expect::Refused(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            &["unrecognized JSON-RPC message"],
        ),
    });

    // (case, its trace id, the normal call's trace id after it)
    let mut traces = Vec::new();
    let mut next_id = 100;
    let began = Instant::now();
    for case in &hostile {
        let (trace_id, parent) = random_context();
        let header = traceparent(&trace_id, &parent);
        let (status, body) = session.raw(case.body.clone(), Some(&header)).await;
        let id = serde_json::from_slice::<Value>(&case.body)
            .ok()
            .and_then(|request| request.get("id").cloned());
        match &case.expect {
            Expect::Refused(expected, needles) => {
                assert_eq!(status, *expected, "{}: {}", case.what, head(&body));
                assert_contains(&body, needles, case.what);
            }
            expect => {
                assert!(
                    status.is_success(),
                    "{}: {status} {}",
                    case.what,
                    head(&body)
                );
                let answer = answer_to(&body, id.as_ref().expect("a request id"));
                match expect {
                    Expect::ToolError(needles) => {
                        assert_eq!(answer["result"]["isError"], true, "{}: {answer}", case.what);
                        let text = answer["result"]["content"][0]["text"]
                            .as_str()
                            .unwrap_or_default();
                        assert_contains(text, needles, case.what);
                    }
                    Expect::Fine => {
                        assert_eq!(
                            answer["result"]["isError"],
                            false,
                            "{}: {}",
                            case.what,
                            head(&body)
                        );
                    }
                    Expect::RpcError(code, needles) => {
                        assert_eq!(
                            answer["error"]["code"],
                            *code,
                            "{}: {}",
                            case.what,
                            head(&body)
                        );
                        assert!(answer.get("result").is_none(), "{}", case.what);
                        let message = answer["error"]["message"].as_str().unwrap_or_default();
                        assert_contains(message, needles, case.what);
                        assert!(
                            message.len() <= 1024,
                            "{}: a {} byte message",
                            case.what,
                            message.len()
                        );
                        eprintln!(
                            "{}: answered {code} in a {} byte body, message {} bytes",
                            case.what,
                            body.len(),
                            message.len()
                        );
                    }
                    Expect::Refused(..) => unreachable!(),
                }
            }
        }
        // The server is unaffected: a normal call in the same session, in
        // its own trace, succeeds right after.
        let (normal_trace, normal_parent) = random_context();
        next_id += 1;
        let normal = session
            .call_tool(
                next_id,
                "get_weather",
                json!({"location": "Rome"}),
                Some(&traceparent(&normal_trace, &normal_parent)),
            )
            .await;
        assert_eq!(
            normal["result"]["isError"], false,
            "after {}: {normal}",
            case.what
        );
        assert_eq!(normal["result"]["structuredContent"]["location"], "Rome");
        traces.push((case, trace_id, normal_trace));
    }
    let took = began.elapsed();
    // Still the same running process: it stops on SIGTERM with exit 0.
    let stopped = server.stop().await;
    assert!(stopped.success(), "weather-server on SIGTERM: {stopped}");

    let spans = collector
        .wait_for(EXPORT_WAIT, |spans| {
            traces
                .iter()
                .all(|(_, _, normal)| spans.iter().any(|span| &span.trace_id == normal))
        })
        .await;
    let logs = collector
        .wait_for_logs(EXPORT_WAIT, |logs| {
            traces.iter().all(|(_, _, normal)| {
                logs.iter()
                    .any(|log| log.trace_id.as_deref() == Some(normal.as_str()))
            })
        })
        .await;
    let of_trace = |trace_id: &str| -> Vec<&CollectedSpan> {
        spans
            .iter()
            .filter(|span| span.trace_id == trace_id)
            .collect()
    };
    let mut marked = 0;
    for (case, trace_id, normal) in &traces {
        let found = of_trace(trace_id);
        match &case.expect {
            Expect::Refused(..) => {
                // rmcp refuses these before dispatch: no MCP span at all.
                assert!(found.is_empty(), "{}: {found:#?}", case.what);
                continue;
            }
            _ => assert_eq!(found.len(), 1, "{}: one SERVER span: {found:#?}", case.what),
        }
        let span = found[0];
        assert_eq!(span.kind, SpanKind::Server, "{}", case.what);
        match &case.expect {
            Expect::ToolError(_) => {
                assert!(span.status.is_error(), "{}: {span:#?}", case.what);
                assert_eq!(
                    span.attr_str(ERROR_TYPE),
                    Some("tool_error"),
                    "{}",
                    case.what
                );
                marked += 1;
            }
            Expect::RpcError(code, _) => {
                assert!(span.status.is_error(), "{}: {span:#?}", case.what);
                assert_eq!(
                    span.attr_str(ERROR_TYPE),
                    Some(code.to_string().as_str()),
                    "{}",
                    case.what
                );
                marked += 1;
            }
            Expect::Fine => {
                assert!(!span.status.is_error(), "{}: {span:#?}", case.what);
                assert_eq!(span.attr_str(ERROR_TYPE), None, "{}", case.what);
                // get_weather ran: its record is under its span.
                let record = logs
                    .iter()
                    .find(|log| log.trace_id.as_deref() == Some(trace_id.as_str()))
                    .unwrap_or_else(|| panic!("{}: no log record", case.what));
                assert_eq!(record.body, LOOKING_UP, "{}", case.what);
                assert_eq!(record.span_id.as_deref(), Some(span.span_id.as_str()));
                // What the caller sent reaches the record cut like a span's input.
                let location = record.attr_str("location").map_or(0, str::len);
                assert!(
                    location <= mcp_trace_runtime::settings::DEFAULT_VALUE_LENGTH_LIMIT,
                    "{}: log record's location {location} bytes",
                    case.what
                );
            }
            Expect::Refused(..) => unreachable!(),
        }
        let longest = span
            .attributes
            .iter()
            .map(|(key, value)| {
                (
                    value.as_str().map_or(value.to_string().len(), str::len),
                    key,
                )
            })
            .max()
            .unwrap();
        let status_len = match &span.status {
            mcp_trace_runtime::collector::SpanStatus::Error(message) => message.len(),
            _ => 0,
        };
        eprintln!(
            "{}: span name {} bytes, {} {} bytes, status message {} bytes, longest attribute {} ({} bytes)",
            case.what,
            span.name.len(),
            GEN_AI_TOOL_NAME,
            span.attr_str(GEN_AI_TOOL_NAME).map_or(0, str::len),
            status_len,
            longest.1,
            longest.0
        );
        let after = of_trace(normal);
        assert_eq!(after.len(), 1, "after {}: {after:#?}", case.what);
        assert!(!after[0].status.is_error(), "after {}", case.what);
    }
    eprintln!(
        "{} hostile requests and as many normal calls in {took:?}; {marked} SERVER spans marked as errors",
        hostile.len()
    );
}
