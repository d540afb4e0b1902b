//! Security (RELIABILITY item 10): what `#[observe]` is told not to capture
//! never leaves the process, and credentials never reach a message.
//!
//! `skipped_and_uncaptured_values_are_in_nothing_exported` serves tools over
//! an in-memory pipe (`McpServer` + `serve_io`, called by `McpClient` in
//! `native` mode) with a distinctive secret as a skipped argument, as a
//! return value under `capture_output = false`, as arguments under
//! `capture_input = false`, `skip_all` and the global capture switch, and on
//! the error path; everything the process exports goes to the embedded
//! collector *and* to `MCP_TRACE_FILE`, and both are scanned whole: every
//! span's attributes, events, status, links and resource, every log record's
//! body and attributes. Positive controls in the same test show the scan
//! finds what is captured. `install` sets the process's global providers and
//! `tracing` subscriber once, so this file holds one such test.
//!
//! The other tests: Langfuse keys and OTLP header values never appear in a
//! `Config`'s `Debug`, in an invalid header value's error, nor on the stderr
//! of a `weather-server` whose exports fail.

use std::time::Duration;

use mcp_trace_runtime::client::McpClient;
use mcp_trace_runtime::collector::{CollectedLog, CollectedSpan, Collector, SpanKind};
use mcp_trace_runtime::config::OtlpTarget;
use mcp_trace_runtime::server::{serve_io, McpServer};
use mcp_trace_runtime::{install, mcp_tool, observe, settings, Config, Mode};
use mcp_trace_tests::WeatherServer;
use opentelemetry::context::FutureExt as _;
use opentelemetry::trace::{TraceContextExt, Tracer};
use opentelemetry::Context;
use serde_json::{json, Map, Value};

/// The value that must never be exported.
const SECRET: &str = "sk-LEAK-7f3a";
/// A value of the same shape that *is* captured: the positive control.
const CONTROL: &str = "sk-CONTROL-91be";

const WAIT: Duration = Duration::from_secs(10);

/// Skips the key; logs (without the key) and calls a helper that skips it too.
#[mcp_tool]
#[observe(skip(api_key), metadata(region = "north"))]
async fn skip_one(city: String, api_key: String) -> String {
    tracing::info!(
        city = city.as_str(),
        key_len = api_key.len(),
        "looking up {city}"
    );
    sign(&city, &api_key)
}

#[observe(skip(key))]
fn sign(payload: &str, key: &str) -> String {
    format!("{payload} signed with {} bytes", key.len())
}

#[mcp_tool]
#[observe(skip_all)]
async fn skip_everything(city: String, api_key: String) -> String {
    format!("{city}: {} bytes", api_key.len())
}

#[mcp_tool]
#[observe(capture_input = false)]
async fn no_input(city: String, api_key: String) -> String {
    format!("{city}: {} bytes", api_key.len())
}

/// Answers the secret itself, which the client must get but no span may hold.
#[mcp_tool]
#[observe(capture_output = false)]
async fn hidden_answer(city: String) -> String {
    tracing::info!("answering for {city}");
    SECRET.to_string()
}

/// `Ok(secret)`, or an error (whose text holds no secret) when `fail`.
#[mcp_tool]
#[observe(capture_output = false)]
async fn hidden_result(city: String, fail: bool) -> Result<String, String> {
    if fail {
        Err(format!("the vault refused {city}"))
    } else {
        Ok(SECRET.to_string())
    }
}

/// Fails with the key skipped: the error path.
#[mcp_tool]
#[observe(skip(api_key))]
async fn failing(city: String, api_key: String) -> Result<String, String> {
    tracing::warn!(city = city.as_str(), "upstream refused the key for {city}");
    let _ = api_key;
    Err(format!("upstream refused the key for {city}"))
}

/// Captures everything it is given: only the global switch protects it.
#[mcp_tool]
#[observe]
async fn captured(city: String, api_key: String) -> String {
    format!("{city}:{api_key}")
}

fn server() -> McpServer {
    McpServer::builder("no-leaks", "0.1.0")
        .tools(&[
            &skip_one::TOOL,
            &skip_everything::TOOL,
            &no_input::TOOL,
            &hidden_answer::TOOL,
            &hidden_result::TOOL,
            &failing::TOOL,
            &captured::TOOL,
        ])
        .build()
        .expect("distinct tool names")
}

fn args(value: Value) -> Map<String, Value> {
    value.as_object().cloned().expect("an object")
}

/// One root span `name`; `calls` run in its context. Returns its trace id.
async fn in_trace<F: std::future::Future<Output = ()>>(name: &'static str, calls: F) -> String {
    let span = opentelemetry::global::tracer("no_leaks").start_with_context(name, &Context::new());
    let cx = Context::new().with_span(span);
    calls.with_context(cx.clone()).await;
    cx.span().end();
    cx.span().span_context().trace_id().to_string()
}

fn span<'a>(spans: &'a [CollectedSpan], name: &str, kind: SpanKind) -> &'a CollectedSpan {
    spans
        .iter()
        .find(|span| span.name == name && span.kind == kind)
        .unwrap_or_else(|| panic!("no {kind:?} span {name} in {spans:#?}"))
}

fn json_attr(span: &CollectedSpan, key: &str) -> Option<Value> {
    span.attr_str(key)
        .map(|text| serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.into())))
}

const INPUT: &str = "langfuse.observation.input";
const OUTPUT: &str = "langfuse.observation.output";

/// Every place `needle` is found in what was exported: each span's
/// attributes, resource, events (name and attributes), status and links,
/// each record's body, attributes and resource, all read from their `Debug`
/// (which prints every field).
fn places_holding(needle: &str, spans: &[CollectedSpan], logs: &[CollectedLog]) -> Vec<String> {
    let mut places = Vec::new();
    for span in spans {
        let parts = [
            ("attributes", format!("{:?}", span.attributes)),
            ("resource", format!("{:?}", span.resource)),
            ("events", format!("{:?}", span.events)),
            ("status", format!("{:?}", span.status)),
            ("links", format!("{:?}", span.links)),
            ("name", span.name.clone()),
            ("whole", format!("{span:?}")),
        ];
        for (part, text) in parts {
            if text.contains(needle) {
                places.push(format!(
                    "span {} ({:?}) {part}: {text}",
                    span.name, span.kind
                ));
            }
        }
    }
    for log in logs {
        let parts = [
            ("body", log.body.clone()),
            ("attributes", format!("{:?}", log.attributes)),
            ("whole", format!("{log:?}")),
        ];
        for (part, text) in parts {
            if text.contains(needle) {
                places.push(format!("log record {:?} {part}: {text}", log.body));
            }
        }
    }
    places
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn skipped_and_uncaptured_values_are_in_nothing_exported() {
    let collector = Collector::start("127.0.0.1:0").await.unwrap();
    let file =
        std::env::temp_dir().join(format!("mcp-trace-no-leaks-{}.jsonl", std::process::id()));
    let _ = std::fs::remove_file(&file);
    let file_name = file.to_string_lossy().into_owned();
    let mut config = Config::from_lookup("no-leaks", |name| match name {
        "OTEL_TRACES_EXPORTER" | "OTEL_LOGS_EXPORTER" => Some("none".into()),
        "MCP_TRACE_FILE" => Some(file_name.clone()),
        _ => None,
    })
    .unwrap();
    config
        .extra_otlp
        .push(OtlpTarget::http(&collector.endpoint()));
    config
        .logs
        .extra_otlp
        .push(OtlpTarget::http_logs(&collector.endpoint()));
    let guard = install(config).unwrap();
    assert_eq!(settings::mode(), Mode::Native);
    assert!(settings::capture_io());

    let (client_end, server_end) = tokio::io::duplex(64 * 1024);
    let (server_read, server_write) = tokio::io::split(server_end);
    let served = tokio::spawn(serve_io(
        server(),
        server_read,
        server_write,
        std::future::pending(),
    ));
    let (client_read, client_write) = tokio::io::split(client_end);
    let client = McpClient::connect_io(client_read, client_write)
        .await
        .unwrap();
    let call = |tool: &'static str, arguments: Value| {
        let client = &client;
        async move {
            client
                .call_tool(tool, args(arguments))
                .await
                .unwrap_or_else(|error| panic!("{tool}: {error}"))
        }
    };
    let with_key = json!({"city": "Oslo", "api_key": SECRET});

    // Per call: skip, skip_all, capture_input = false, capture_output = false,
    // and the error path.
    let per_call = in_trace("per call", async {
        assert_eq!(
            call("skip_one", with_key.clone()).await.text,
            "Oslo signed with 12 bytes"
        );
        assert_eq!(
            call("skip_everything", with_key.clone()).await.text,
            "Oslo: 12 bytes"
        );
        assert_eq!(
            call("no_input", with_key.clone()).await.text,
            "Oslo: 12 bytes"
        );
        let answer = call("hidden_answer", json!({"city": "Oslo"})).await;
        assert_eq!(answer.text, SECRET, "the client gets the answer");
        let ok = call("hidden_result", json!({"city": "Oslo", "fail": false})).await;
        assert_eq!((ok.text.as_str(), ok.is_error), (SECRET, false));
        let refused = call("hidden_result", json!({"city": "Oslo", "fail": true})).await;
        assert!(refused.is_error);
        assert_eq!(refused.text, "the vault refused Oslo");
        let failed = call("failing", with_key.clone()).await;
        assert!(failed.is_error);
        assert_eq!(failed.text, "upstream refused the key for Oslo");
    })
    .await;
    // The control: the same tool with capture on captures the key …
    let control = in_trace("control", async {
        let text = call("captured", json!({"city": "Oslo", "api_key": CONTROL}))
            .await
            .text;
        assert_eq!(text, format!("Oslo:{CONTROL}"));
    })
    .await;
    // … and with the global switch off, nothing.
    settings::set_capture_io(false);
    let switched_off = in_trace("switched off", async {
        let text = call("captured", with_key.clone()).await.text;
        assert_eq!(text, format!("Oslo:{SECRET}"));
    })
    .await;
    settings::set_capture_io(true);
    client.close().await;
    served.await.unwrap().unwrap();

    // The exporters block; flush them off the runtime the collector runs on.
    let guard = tokio::task::spawn_blocking(move || {
        guard.force_flush().unwrap();
        guard
    })
    .await
    .unwrap();
    // 7 calls: a CLIENT and a SERVER span each, plus `sign` and the root;
    // 1 call each in the other two traces.
    let spans = collector
        .wait_for(WAIT, |spans| {
            let of = |trace: &str| spans.iter().filter(|s| s.trace_id == trace).count();
            of(&per_call) >= 16 && of(&control) >= 3 && of(&switched_off) >= 3
        })
        .await;
    let logs = collector
        .wait_for_logs(WAIT, |logs| {
            logs.iter()
                .filter(|log| log.trace_id.as_deref() == Some(per_call.as_str()))
                .count()
                >= 3
        })
        .await;
    tokio::task::spawn_blocking(move || guard.shutdown(Duration::from_secs(5)))
        .await
        .unwrap()
        .unwrap();
    let exported_file = std::fs::read_to_string(&file).expect("MCP_TRACE_FILE was written");
    let _ = std::fs::remove_file(&file);

    // The scan: nothing exported anywhere holds the secret.
    let leaks = places_holding(SECRET, &spans, &logs);
    assert!(leaks.is_empty(), "the secret was exported: {leaks:#?}");
    let leaked_lines: Vec<&str> = exported_file
        .lines()
        .filter(|line| line.contains(SECRET))
        .collect();
    assert!(
        leaked_lines.is_empty(),
        "the secret is in MCP_TRACE_FILE: {leaked_lines:#?}"
    );

    // What each observation holds: only what the README documents.
    let of_trace = |trace: &str| -> Vec<CollectedSpan> {
        spans
            .iter()
            .filter(|span| span.trace_id == trace)
            .cloned()
            .collect()
    };
    let per_call_spans = of_trace(&per_call);
    let server_span = |tool: &str| {
        span(
            &per_call_spans,
            &format!("tools/call {tool}"),
            SpanKind::Server,
        )
    };
    for tool in [
        "skip_one",
        "skip_everything",
        "no_input",
        "hidden_answer",
        "hidden_result",
        "failing",
    ] {
        // native: the observation is the SERVER span, under the CLIENT span.
        let client_span = span(
            &per_call_spans,
            &format!("tools/call {tool}"),
            SpanKind::Client,
        );
        let server = server_span(tool);
        assert_eq!(
            server.parent_span_id.as_deref(),
            Some(client_span.span_id.as_str())
        );
        assert_eq!(server.attr_str("gen_ai.tool.name"), Some(tool));
        assert!(
            server.attr_str("langfuse.observation.type").is_some(),
            "{server:#?}"
        );
    }
    let skip_one = server_span("skip_one");
    assert_eq!(json_attr(skip_one, INPUT), Some(json!({"city": "Oslo"})));
    assert_eq!(
        json_attr(skip_one, OUTPUT),
        Some(json!("Oslo signed with 12 bytes"))
    );
    assert_eq!(
        skip_one.attr_str("langfuse.observation.metadata.region"),
        Some("north"),
        "metadata is exported (and scanned)"
    );
    let sign = span(&per_call_spans, "sign", SpanKind::Internal);
    assert_eq!(
        sign.parent_span_id.as_deref(),
        Some(skip_one.span_id.as_str())
    );
    assert_eq!(json_attr(sign, INPUT), Some(json!({"payload": "Oslo"})));
    let looked_up = logs
        .iter()
        .find(|log| log.body == "looking up Oslo")
        .unwrap_or_else(|| panic!("no record of the lookup in {logs:#?}"));
    assert_eq!(
        looked_up.span_id.as_deref(),
        Some(skip_one.span_id.as_str())
    );
    assert_eq!(looked_up.attr_str("city"), Some("Oslo"));

    let skip_everything = server_span("skip_everything");
    assert!(
        skip_everything.attr_str(INPUT).is_none(),
        "skip_all: no input: {skip_everything:#?}"
    );
    assert_eq!(
        json_attr(skip_everything, OUTPUT),
        Some(json!("Oslo: 12 bytes"))
    );
    let no_input = server_span("no_input");
    assert!(no_input.attr_str(INPUT).is_none(), "{no_input:#?}");
    assert_eq!(json_attr(no_input, OUTPUT), Some(json!("Oslo: 12 bytes")));
    let hidden_answer = server_span("hidden_answer");
    assert_eq!(
        json_attr(hidden_answer, INPUT),
        Some(json!({"city": "Oslo"}))
    );
    assert!(
        hidden_answer.attr_str(OUTPUT).is_none(),
        "{hidden_answer:#?}"
    );

    // The error paths: level, status message, status and `exception` event.
    let errors: Vec<&CollectedSpan> = per_call_spans
        .iter()
        .filter(|span| span.kind == SpanKind::Server && span.status.is_error())
        .collect();
    assert_eq!(errors.len(), 2, "{per_call_spans:#?}");
    for (tool, message) in [
        ("hidden_result", "the vault refused Oslo"),
        ("failing", "upstream refused the key for Oslo"),
    ] {
        let failed = errors
            .iter()
            .find(|span| span.name == format!("tools/call {tool}"))
            .unwrap_or_else(|| panic!("{tool} has no error span: {errors:#?}"));
        assert_eq!(failed.attr_str("langfuse.observation.level"), Some("ERROR"));
        assert_eq!(
            failed.attr_str("langfuse.observation.status_message"),
            Some(message)
        );
        assert!(
            format!("{:?}", failed.status).contains(message),
            "{failed:#?}"
        );
        let exception = failed
            .events
            .iter()
            .find(|event| event.name == "exception")
            .unwrap_or_else(|| panic!("no exception event on {failed:#?}"));
        assert_eq!(
            exception.attributes.get("exception.message"),
            Some(&json!(message))
        );
        assert!(failed.attr_str(OUTPUT).is_none(), "{failed:#?}");
    }
    assert_eq!(
        json_attr(server_span("failing"), INPUT),
        Some(json!({"city": "Oslo"}))
    );
    assert!(
        logs.iter()
            .any(|log| log.body == "upstream refused the key for Oslo"),
        "{logs:#?}"
    );

    // The positive control: captured, the value is found by the same scan, in
    // the collector and in the file.
    let control_spans = of_trace(&control);
    let captured_on = span(&control_spans, "tools/call captured", SpanKind::Server);
    assert_eq!(
        json_attr(captured_on, INPUT),
        Some(json!({"city": "Oslo", "api_key": CONTROL}))
    );
    let found = places_holding(CONTROL, &control_spans, &[]);
    assert!(
        found.iter().any(|place| place.contains("attributes")),
        "the scan finds a captured value: {found:#?}"
    );
    assert!(exported_file.contains(CONTROL));
    assert!(
        exported_file.contains("looking up Oslo"),
        "the file holds the records"
    );
    // With the global switch off: neither input nor output.
    let switched_off_spans = of_trace(&switched_off);
    let captured_off = span(&switched_off_spans, "tools/call captured", SpanKind::Server);
    assert!(captured_off.attr_str(INPUT).is_none(), "{captured_off:#?}");
    assert!(captured_off.attr_str(OUTPUT).is_none(), "{captured_off:#?}");

    eprintln!(
        "scanned {} spans and {} log records (collector) and {} file lines",
        spans.len(),
        logs.len(),
        exported_file.lines().count()
    );
}

const SECRET_KEY: &str = "sk-lf-LEAK-5c1d";
const PUBLIC_KEY: &str = "pk-lf-no-leaks";
/// The token in `OTEL_EXPORTER_OTLP_HEADERS`, percent-encoded there.
const TOKEN: &str = "tok-SECRET";

/// The forms a credential could take in a message: itself, its header
/// value, and the Basic credentials Langfuse gets.
fn credential_forms() -> Vec<String> {
    use base64::Engine as _;
    vec![
        SECRET_KEY.to_string(),
        TOKEN.to_string(),
        format!("Bearer {TOKEN}"),
        base64::engine::general_purpose::STANDARD.encode(format!("{PUBLIC_KEY}:{SECRET_KEY}")),
    ]
}

fn credentials_in(text: &str) -> Vec<String> {
    credential_forms()
        .into_iter()
        .filter(|form| text.contains(form.as_str()))
        .collect()
}

#[test]
fn a_config_with_every_credential_debugs_without_them() {
    let config = Config::from_lookup("no-leaks", |name| {
        let value = match name {
            "LANGFUSE_PUBLIC_KEY" => PUBLIC_KEY,
            "LANGFUSE_SECRET_KEY" => SECRET_KEY,
            "LANGFUSE_BASE_URL" => "http://127.0.0.1:9",
            "OTEL_EXPORTER_OTLP_ENDPOINT" => "http://127.0.0.1:9",
            "OTEL_EXPORTER_OTLP_HEADERS" => "authorization=Bearer%20tok-SECRET",
            // The headers go to the metrics and logs targets too.
            "OTEL_METRICS_EXPORTER" => "otlp",
            _ => return None,
        };
        Some(value.to_string())
    })
    .unwrap();
    // The credentials are in the config, for the exporters …
    let otlp = config.otlp.as_ref().expect("an OTLP target");
    assert_eq!(
        otlp.headers,
        [("authorization".to_string(), format!("Bearer {TOKEN}"))]
    );
    assert_eq!(
        config.metrics.otlp.as_ref().map(|target| &target.headers),
        Some(&otlp.headers)
    );
    assert_eq!(
        config.logs.otlp.as_ref().map(|target| &target.headers),
        Some(&otlp.headers)
    );
    let langfuse = config.langfuse.as_ref().expect("a Langfuse target");
    assert_eq!(langfuse.secret_key.expose(), SECRET_KEY);
    // … and in neither `Debug` form; the header's name stays visible.
    for debug in [format!("{config:?}"), format!("{config:#?}")] {
        assert_eq!(credentials_in(&debug), Vec::<String>::new(), "{debug}");
        assert!(debug.contains("authorization"), "{debug}");
    }
}

#[test]
fn invalid_header_values_name_the_variable_not_the_secret() {
    for headers in [
        // An entry without '=' (the existing config test uses a raw space).
        "authorization=Bearer%20tok-SECRET,broken",
        // A value that decodes to a control character: no HTTP header value.
        "authorization=Bearer%20tok-SECRET%0A",
        // A name that is no HTTP header name.
        "bad header=Bearer%20tok-SECRET",
    ] {
        for variable in [
            "OTEL_EXPORTER_OTLP_HEADERS",
            "OTEL_EXPORTER_OTLP_TRACES_HEADERS",
            "OTEL_EXPORTER_OTLP_LOGS_HEADERS",
        ] {
            let error = Config::from_lookup("no-leaks", |name| {
                (name == variable).then(|| headers.to_string())
            })
            .map(|_| ())
            .expect_err(&format!("{variable}={headers} is refused when parsed"));
            for message in [error.to_string(), format!("{error:?}")] {
                assert!(
                    message.contains(variable),
                    "{variable}={headers}: {message}"
                );
                assert_eq!(credentials_in(&message), Vec::<String>::new(), "{message}");
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_exports_warn_without_credentials() {
    // A port nothing listens on: every export fails.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    };
    let endpoint = format!("http://{closed}");
    let server = WeatherServer::start(
        &[],
        &[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint),
            (
                "OTEL_EXPORTER_OTLP_HEADERS",
                "authorization=Bearer%20tok-SECRET",
            ),
            ("OTEL_EXPORTER_OTLP_TIMEOUT", "1000"),
            ("OTEL_BSP_SCHEDULE_DELAY", "50"),
            ("OTEL_BLRP_SCHEDULE_DELAY", "50"),
            ("OTEL_METRICS_EXPORTER", "otlp"),
            ("OTEL_METRIC_EXPORT_INTERVAL", "100"),
            ("LANGFUSE_PUBLIC_KEY", PUBLIC_KEY),
            ("LANGFUSE_SECRET_KEY", SECRET_KEY),
            ("LANGFUSE_BASE_URL", &endpoint),
            ("MCP_TRACE_LOG_LEVEL", "info"),
        ],
    )
    .await;
    let client = McpClient::connect_http(&server.url).await.unwrap();
    let weather = client
        .call_tool("get_weather", args(json!({"location": "Paris"})))
        .await
        .unwrap();
    assert!(!weather.is_error, "{weather:?}");
    client.close().await;
    // Let a batch fail before the shutdown's flush.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (status, stderr) = server.stop_with_stderr().await;
    assert!(status.success(), "{status}\n{stderr}");
    // The control: the exports were attempted and reported, naming where.
    for warning in [
        "cannot export spans to the OTLP collector",
        "cannot export spans to Langfuse",
        "cannot export logs to the OTLP collector",
        "cannot export metrics to the OTLP collector",
    ] {
        assert!(stderr.contains(warning), "no {warning:?} in:\n{stderr}");
    }
    assert!(stderr.contains(&closed.to_string()), "{stderr}");
    assert_eq!(credentials_in(&stderr), Vec::<String>::new(), "{stderr}");
}
