//! MCP spans and metrics stay bounded whatever the network sends: names,
//! ids and versions cut at `NAME_LENGTH_LIMIT`, URIs and error texts at the
//! value length limit.

use mcp_trace_runtime::conventions::{
    end_span, start_span, Operation, Outcome, Target, Transport, NAME_LENGTH_LIMIT,
};
use mcp_trace_runtime::testing;
use opentelemetry::trace::{SpanKind, Status};

fn huge(prefix: &str) -> String {
    format!("{prefix}{}", "é".repeat(1 << 19)) // 1 MiB
}

fn assert_cut(what: &str, value: &str, limit: usize, prefix: &str) {
    assert!(value.len() <= limit, "{what}: {} bytes", value.len());
    assert!(value.starts_with(prefix), "{what}: {value}");
    assert!(value.contains("…[truncated "), "{what}: {value}");
}

#[test]
fn names_ids_and_versions_from_the_network_are_cut() {
    let mut call = Operation::new(
        huge("custom/"),
        Some(Target::Tool(huge("get_"))),
        Transport::Tcp,
    )
    .with_request_id(huge("id-"));
    call.session_id = Some(huge("session-"));
    call.protocol_version = Some(huge("2025-"));

    // `{method} {tool}`, each cut on its own (the markers hold spaces too).
    let name = call.span_name();
    let (method, tool) = name.split_once(" get_").expect("method and tool");
    assert_cut("span name's method", method, NAME_LENGTH_LIMIT, "custom/");
    assert_cut(
        "span name's tool",
        &format!("get_{tool}"),
        NAME_LENGTH_LIMIT,
        "get_",
    );

    let failed = Outcome::RpcError {
        code: -32602,
        message: huge("unknown tool "),
    };
    let attributes = call
        .span_attributes()
        .into_iter()
        .chain(call.metric_attributes(&failed));
    let mut seen = 0;
    for attribute in attributes {
        let value = attribute.value.as_str();
        assert!(
            value.len() <= NAME_LENGTH_LIMIT,
            "{}: {} bytes",
            attribute.key,
            value.len()
        );
        seen += 1;
    }
    assert!(seen >= 12, "{seen} attributes");

    // Short values are kept as they are.
    let call = Operation::new(
        "tools/call",
        Some(Target::Tool("get_weather".into())),
        Transport::Pipe,
    )
    .with_request_id("7");
    assert_eq!(call.span_name(), "tools/call get_weather");
    assert!(call
        .span_attributes()
        .iter()
        .any(|kv| kv.key.as_str() == "jsonrpc.request.id" && kv.value.as_str() == "7"));
}

#[test]
fn uris_and_error_texts_are_cut_at_the_value_length_limit() {
    let switches = testing::exclusive();
    switches.set_value_length_limit(200);
    let parent = testing::trace();
    let read = Operation::new(
        "resources/read",
        Some(Target::Resource(huge("weather://"))),
        Transport::Tcp,
    );
    for (n, outcome) in [
        Outcome::ToolError(huge("no such city: ")),
        Outcome::RpcError {
            code: -32002,
            message: huge("no such resource: "),
        },
        Outcome::Failed(huge("transport: ")),
    ]
    .into_iter()
    .enumerate()
    {
        let cx = start_span(
            SpanKind::Server,
            &read,
            &parent.context(),
            Vec::new(),
            Vec::new(),
        );
        end_span(&cx, &outcome);
        let spans = switches.spans();
        let span = spans.named("resources/read")[n];
        let uri = span
            .attributes
            .iter()
            .find(|kv| kv.key.as_str() == "mcp.resource.uri")
            .unwrap();
        assert_cut("mcp.resource.uri", &uri.value.as_str(), 200, "weather://");
        match &span.status {
            Status::Error { description } => {
                assert!(
                    description.len() <= 200,
                    "{outcome:?}: {} bytes",
                    description.len()
                )
            }
            other => panic!("status {other:?}"),
        }
    }
}
