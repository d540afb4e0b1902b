//! End to end over stdio: this test process is the MCP client (with its own
//! tracer provider), `weather-server --stdio` its child; the trace context
//! travels in `params._meta` only, and both processes export to one embedded
//! [`Collector`].
//!
//! `install` is process-wide, so this file holds exactly one test.

use std::collections::HashMap;
use std::time::Duration;

use mcp_trace_runtime::client::McpClient;
use mcp_trace_runtime::collector::{Collector, SpanKind, SpanStatus};
use mcp_trace_runtime::observe::attributes::{INPUT, OUTPUT, TYPE};
use mcp_trace_runtime::{install, trace_tree, Config};
use mcp_trace_tests::binary;
use opentelemetry::context::FutureExt as _;
use opentelemetry::trace::{TraceContextExt, Tracer};
use opentelemetry::Context;
use serde_json::{json, Map, Value};

fn arguments(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        other => panic!("arguments must be an object, not {other}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stdio_server_spans_are_children_of_the_callers_span() {
    let collector = Collector::start("127.0.0.1:0").await.unwrap();
    let endpoint = collector.endpoint();
    // The seed's tree exactly: no MCP CLIENT/SERVER spans on either side.
    let vars = HashMap::from([
        ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.clone()),
        ("MCP_TRACE_MODE", "propagation_only".to_string()),
    ]);
    let config = Config::from_lookup("e2e-stdio-test", |name| vars.get(name).cloned()).unwrap();
    let guard = install(config).unwrap();

    let mut command = tokio::process::Command::new(binary("weather-server"));
    command
        .arg("--stdio")
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint)
        // Far longer than the test: only the flush at exit can deliver.
        .env("OTEL_BSP_SCHEDULE_DELAY", "600000")
        .env("MCP_TRACE_MODE", "propagation_only");
    let client = tokio::time::timeout(Duration::from_secs(30), McpClient::connect_stdio(command))
        .await
        .expect("the stdio session opens within 30 s")
        .expect("the stdio session opens");

    let tracer = opentelemetry::global::tracer("e2e-stdio");
    let cx = Context::current_with_span(tracer.start("stdio_parent"));
    let trace_id = cx.span().span_context().trace_id().to_string();
    let parent_id = cx.span().span_context().span_id().to_string();
    let (weather, forecast) = tokio::time::timeout(
        Duration::from_secs(30),
        async {
            let weather = client
                .call_tool("get_weather", arguments(json!({"location": "Paris"})))
                .await
                .expect("get_weather over stdio");
            let forecast = client
                .call_tool(
                    "get_forecast",
                    arguments(json!({"location": "Paris", "days": 2})),
                )
                .await
                .expect("get_forecast over stdio");
            (weather, forecast)
        }
        .with_context(cx.clone()),
    )
    .await
    .expect("both calls answered within 30 s");
    cx.span().end();
    assert!(!weather.is_error && !forecast.is_error);
    let weather: Value = serde_json::from_str(&weather.text).unwrap();
    let forecast: Value = serde_json::from_str(&forecast.text).unwrap();
    assert_eq!(weather["location"], "Paris");
    assert_eq!(forecast.as_array().map(Vec::len), Some(2));

    // Closing stdin stops the server, which flushes its spans as it exits.
    tokio::time::timeout(Duration::from_secs(30), client.close())
        .await
        .expect("the session closes within 30 s");
    tokio::task::spawn_blocking(move || guard.shutdown(Duration::from_secs(10)))
        .await
        .unwrap()
        .unwrap();

    let all = collector
        .wait_for(Duration::from_secs(15), |spans| {
            spans
                .iter()
                .filter(|s| s.trace_id == trace_id && s.service_name == "weather-server")
                .count()
                >= 2
        })
        .await;
    let tree = trace_tree::render(&all);
    assert!(
        all.iter().all(|s| s.trace_id == trace_id),
        "one trace only:\n{tree}"
    );
    assert_eq!(all.len(), 3, "{tree}");
    let parent = all.iter().find(|s| s.name == "stdio_parent").unwrap();
    assert_eq!(parent.span_id, parent_id);
    assert_eq!(parent.service_name, "e2e-stdio-test");
    for (tool, input, output) in [
        ("get_weather", json!({"location": "Paris"}), &weather),
        (
            "get_forecast",
            json!({"location": "Paris", "days": 2}),
            &forecast,
        ),
    ] {
        let span = all
            .iter()
            .find(|s| s.name == tool)
            .unwrap_or_else(|| panic!("no {tool} span:\n{tree}"));
        assert_eq!(span.service_name, "weather-server");
        assert_eq!(span.kind, SpanKind::Internal);
        assert_eq!(span.status, SpanStatus::Unset);
        assert_eq!(
            span.parent_span_id.as_deref(),
            Some(parent_id.as_str()),
            "{tool} is a child of the caller's span:\n{tree}"
        );
        assert_eq!(span.attr_str(TYPE), Some("span"));
        let recorded = |key| serde_json::from_str::<Value>(span.attr_str(key).unwrap()).unwrap();
        assert_eq!(recorded(INPUT), input, "{tool}");
        assert_eq!(&recorded(OUTPUT), output, "{tool}");
    }
    let rendered = trace_tree::render_trace(&all, &trace_id);
    let lines: Vec<&str> = rendered
        .lines()
        .skip(1)
        .map(|line| match line.find(['{', '[']) {
            // An input or output line: its tree prefix and label.
            Some(json) => line[..json].trim_end(),
            None => line.split("  ").next().unwrap_or_default(),
        })
        .collect();
    // Each tool's input and output follow its line, under the tree's bar.
    assert_eq!(
        lines,
        [
            "stdio_parent",
            "├─ get_weather",
            "│     in",
            "│     out",
            "└─ get_forecast",
            "      in",
            "      out"
        ],
        "{rendered}"
    );
    assert!(
        rendered.contains(r#"   in  {"location":"Paris","days":2}"#),
        "{rendered}"
    );
}
