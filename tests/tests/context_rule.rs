//! The one rule for the caller's context (`mcp_trace_runtime::caller`), on
//! every path that uses it: the SERVER span, `#[with_otel_headers]`,
//! `#[observe]` inside a served request, in `native` and `propagation_only`,
//! under both trust policies.

use mcp_trace_runtime::client::McpClient;
use mcp_trace_runtime::server::{serve_http, serve_io, HttpOptions, McpServer};
use mcp_trace_runtime::settings::InboundContext;
use mcp_trace_runtime::testing::{self, SpanData, SpanDataExt, SpanKind, Spans};
use mcp_trace_runtime::{mcp_tool, observe, with_otel_headers, Mode};
use serde_json::{json, Value};

/// Calls two helpers, one that adopts the caller's context and one plain.
#[mcp_tool]
#[with_otel_headers]
#[observe]
async fn outer(city: String) -> String {
    let adopted = adopting_helper(city.clone()).await;
    let plain = plain_helper(&city);
    format!("{adopted}+{plain}")
}

#[with_otel_headers]
#[observe]
async fn adopting_helper(city: String) -> String {
    format!("adopted {city}")
}

#[observe]
fn plain_helper(city: &str) -> String {
    format!("plain {city}")
}

/// A tool without `#[with_otel_headers]`.
#[mcp_tool]
#[observe]
async fn bare(city: String) -> String {
    format!("bare {city}")
}

fn server() -> McpServer {
    McpServer::with_tools("rules", "0.1.0", &[&outer::TOOL, &bare::TOOL])
        .expect("distinct tool names")
}

const META_PARENT: &str = "00-11111111111111111111111111111111-1111111111111111-01";
const HEADER_PARENT: &str = "00-22222222222222222222222222222222-2222222222222222-01";

/// One stateless `tools/call` whose `_meta` and POST headers carry the
/// contexts given; returns the tool's text.
async fn call_with_carriers(tool: &str, meta: Option<&str>, header: Option<&str>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/mcp", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let options = HttpOptions::at("/mcp").with_stateless(true);
    let served = tokio::spawn(serve_http(server(), listener, options, async {
        let _ = stopped.await;
    }));
    let mut params = json!({"name": tool, "arguments": {"city": "Oslo"}});
    if let Some(meta) = meta {
        params["_meta"] = json!({"traceparent": meta, "baggage": "user.id=eve"});
    }
    let mut request = reqwest::Client::new()
        .post(&url)
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", "2025-06-18")
        .body(
            json!({"jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": params})
                .to_string(),
        );
    if let Some(header) = header {
        request = request.header("traceparent", header);
    }
    let response: Value = request.send().await.unwrap().json().await.unwrap();
    let _ = stop.send(());
    served.await.unwrap().unwrap();
    response["result"]["content"][0]["text"]
        .as_str()
        .unwrap_or_else(|| panic!("no tool result in {response}"))
        .to_string()
}

fn trace_of(span: &SpanData) -> String {
    span.trace_id().to_string()
}

fn parent_of<'a>(spans: &'a Spans, span: &SpanData) -> &'a SpanData {
    spans
        .parent_of(span)
        .unwrap_or_else(|| panic!("{} has no parent in\n{}", span.name, spans.tree()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn meta_wins_over_differing_headers_which_become_a_link_and_an_attribute() {
    let switches = testing::exclusive();
    let text = call_with_carriers("outer", Some(META_PARENT), Some(HEADER_PARENT)).await;
    assert_eq!(text, "adopted Oslo+plain Oslo");
    let spans = switches
        .wait_for(|spans| !spans.named("tools/call outer").is_empty())
        .await;
    let server = spans.find_kind("tools/call outer", SpanKind::Server);
    assert_eq!(trace_of(server), "11111111111111111111111111111111");
    assert_eq!(server.parent_span_id.to_string(), "1111111111111111");
    let linked: Vec<String> = server
        .linked_contexts()
        .iter()
        .map(|cx| cx.trace_id().to_string())
        .collect();
    assert_eq!(linked, ["22222222222222222222222222222222"]);
    assert_eq!(
        server.attr_str("mcp_trace.link.http_headers.traceparent"),
        Some(HEADER_PARENT)
    );
    // Baggage came with the winning context.
    assert_eq!(server.attr_str("user.id"), Some("eve"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn equal_carriers_make_no_link_and_headers_alone_still_parent() {
    let switches = testing::exclusive();
    call_with_carriers("outer", Some(META_PARENT), Some(META_PARENT)).await;
    call_with_carriers("bare", None, Some(HEADER_PARENT)).await;
    let spans = switches
        .wait_for(|spans| {
            spans
                .iter()
                .filter(|s| s.span_kind == SpanKind::Server)
                .count()
                == 2
        })
        .await;
    let outer = spans.find_kind("tools/call outer", SpanKind::Server);
    assert!(outer.links.is_empty());
    assert!(!outer.has_attr("mcp_trace.link.http_headers.traceparent"));
    let bare = spans.find_kind("tools/call bare", SpanKind::Server);
    assert_eq!(trace_of(bare), "22222222222222222222222222222222");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn propagation_only_follows_the_same_rule() {
    let switches = testing::exclusive();
    switches.set_mode(Mode::PropagationOnly);
    call_with_carriers("outer", Some(META_PARENT), Some(HEADER_PARENT)).await;
    let spans = switches
        .wait_for(|spans| !spans.named("outer").is_empty())
        .await;
    let outer = spans.find("outer");
    assert_eq!(outer.parent_span_id.to_string(), "1111111111111111");
    assert_eq!(
        outer.attr_str("mcp_trace.link.http_headers.traceparent"),
        Some(HEADER_PARENT)
    );
    assert_eq!(outer.linked_contexts().len(), 1);
}

/// Serves `server()` over a pipe and calls `tool` under the test's trace.
async fn call_over_a_pipe(trace: &testing::TestTrace, tool: &str) -> String {
    let (client_end, server_end) = tokio::io::duplex(64 * 1024);
    let (server_read, server_write) = tokio::io::split(server_end);
    let served = tokio::spawn(serve_io(
        server(),
        server_read,
        server_write,
        std::future::pending(),
    ));
    let (client_read, client_write) = tokio::io::split(client_end);
    let client = trace
        .wrap(McpClient::connect_io(client_read, client_write))
        .await
        .unwrap();
    let arguments = json!({"city": "Lima"}).as_object().cloned().unwrap();
    let response = trace.wrap(client.call_tool(tool, arguments)).await.unwrap();
    client.close().await;
    served.await.unwrap().unwrap();
    response.text
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn helpers_stay_under_the_tool_and_never_overwrite_it_native() {
    let trace = testing::trace();
    call_over_a_pipe(&trace, "outer").await;
    let spans = trace
        .wait_for(|spans| !spans.named("tools/call outer").is_empty())
        .await;
    let server = spans.find_kind("tools/call outer", SpanKind::Server);
    // The tool's own #[observe] enriched the SERVER span...
    assert_eq!(
        server.attr_str("langfuse.observation.input"),
        Some(r#"{"city":"Lima"}"#)
    );
    assert_eq!(
        server.attr_str("langfuse.observation.output"),
        Some(r#""adopted Lima+plain Lima""#)
    );
    assert!(spans.named("outer").is_empty(), "{}", spans.tree());
    // ...and each helper is a child span under it, with its own input.
    for helper in ["adopting_helper", "plain_helper"] {
        let span = spans.find(helper);
        assert_eq!(
            parent_of(&spans, span).span_id(),
            server.span_id(),
            "{helper}"
        );
        assert_eq!(
            span.attr_str("langfuse.observation.input"),
            Some(r#"{"city":"Lima"}"#)
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn helpers_stay_under_the_tool_in_propagation_only() {
    let switches = testing::exclusive();
    switches.set_mode(Mode::PropagationOnly);
    let trace = testing::trace();
    call_over_a_pipe(&trace, "outer").await;
    let spans = trace
        .wait_for(|spans| spans.named("adopting_helper").len() == 1)
        .await;
    let outer = spans.find("outer");
    assert_eq!(
        outer.parent_span_id,
        trace.root_span_id(),
        "{}",
        spans.tree()
    );
    for helper in ["adopting_helper", "plain_helper"] {
        assert_eq!(
            parent_of(&spans, spans.find(helper)).span_id(),
            outer.span_id()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tool_without_with_otel_headers_still_runs_in_its_request_context() {
    // native: its #[observe] enriches the SERVER span.
    let trace = testing::trace();
    assert_eq!(call_over_a_pipe(&trace, "bare").await, "bare Lima");
    let spans = trace
        .wait_for(|spans| !spans.named("tools/call bare").is_empty())
        .await;
    let server = spans.find_kind("tools/call bare", SpanKind::Server);
    assert!(server.has_attr("langfuse.observation.input"));
    assert!(spans.named("bare").is_empty(), "{}", spans.tree());
    drop(trace);
    // propagation_only: its span is a child of the caller's.
    let switches = testing::exclusive();
    switches.set_mode(Mode::PropagationOnly);
    let trace = testing::trace();
    call_over_a_pipe(&trace, "bare").await;
    let spans = trace
        .wait_for(|spans| !spans.named("bare").is_empty())
        .await;
    assert_eq!(spans.find("bare").parent_span_id, trace.root_span_id());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_link_policy_holds_in_every_mode_and_through_helpers() {
    for mode in [Mode::Native, Mode::PropagationOnly] {
        let switches = testing::exclusive();
        switches.set_mode(mode);
        switches.set_inbound_context(InboundContext::Link);
        call_with_carriers("outer", Some(META_PARENT), Some(HEADER_PARENT)).await;
        let spans = switches
            .wait_for(|spans| spans.named("adopting_helper").len() == 1)
            .await;
        // No span joins the caller's trace, none carries its baggage.
        for span in spans.iter() {
            assert_ne!(
                trace_of(span),
                "11111111111111111111111111111111",
                "{mode:?}"
            );
            assert_ne!(
                trace_of(span),
                "22222222222222222222222222222222",
                "{mode:?}"
            );
            assert!(!span.has_attr("user.id"), "{mode:?}: {}", span.name);
        }
        // The call's first span is a new root linked to both carriers...
        let first = match mode {
            Mode::Native => spans.find_kind("tools/call outer", SpanKind::Server),
            _ => spans.find("outer"),
        };
        assert!(spans.parent_of(first).is_none(), "{mode:?}: a new root");
        assert_eq!(first.linked_contexts().len(), 2, "{mode:?}");
        assert_eq!(
            first.attr_str("mcp_trace.link.meta.traceparent"),
            Some(META_PARENT)
        );
        // ...and the helpers stay under it rather than adopting the caller.
        for helper in ["adopting_helper", "plain_helper"] {
            let span = spans.find(helper);
            assert_eq!(trace_of(span), trace_of(first), "{mode:?} {helper}");
        }
    }
}
