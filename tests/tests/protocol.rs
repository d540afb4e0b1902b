//! The whole protocol through the macros, served by `McpServer` and used by
//! `McpClient` over a pipe: a tool that logs, reports progress and asks the
//! client's model; cancellation; resources, templates and subscriptions;
//! prompts and completions; clashing names. Each checks its spans too.

#![allow(deprecated)] // rmcp deprecates logging and sampling (SEP-2577) but routes them.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use mcp_trace_runtime::client::{CallOptions, McpClient};
use mcp_trace_runtime::generation::{sampling_meta, Cost, Usage};
use mcp_trace_runtime::server::{serve_io, BackChannel, McpServer};
use mcp_trace_runtime::testing::{self, SpanDataExt, Spans, TestTrace};
use mcp_trace_runtime::trace_attributes::{propagate_attributes, TraceAttributes};
use mcp_trace_runtime::update_current_trace;
use mcp_trace_runtime::{mcp_prompt, mcp_resource, mcp_tool, observe, with_otel_headers};
use opentelemetry::trace::SpanKind;
use opentelemetry_sdk::trace::SpanData;
use rmcp::model::{
    ArgumentInfo, CreateMessageRequestParams, CreateMessageResult, LoggingLevel, ModelHint,
    ModelPreferences, Reference, SamplingMessage,
};
use serde_json::{json, Map, Value};

/// Looks something up, telling the client how it goes.
#[mcp_tool]
#[with_otel_headers]
#[observe]
async fn chatty(question: String) -> String {
    let client = BackChannel::current().expect("served by a traced server");
    client
        .log(LoggingLevel::Debug, Some("chatty"), "held back at info")
        .await
        .unwrap();
    client
        .log(
            LoggingLevel::Info,
            Some("chatty"),
            json!({"asked": question}),
        )
        .await
        .unwrap();
    for step in [0.0, 50.0, 100.0] {
        client
            .progress(step, Some(100.0), Some("thinking"))
            .await
            .unwrap();
    }
    let asked = CreateMessageRequestParams::new(vec![SamplingMessage::user_text(&question)], 40)
        .with_model_preferences(
            ModelPreferences::new().with_hints(vec![ModelHint::new("tiny-local")]),
        )
        .with_temperature(0.7);
    let answer = client.create_message(asked).await.unwrap();
    let text = answer
        .message
        .content
        .first()
        .and_then(|content| content.as_text())
        .map(|text| text.text.clone())
        .unwrap_or_default();
    format!("the model says: {text}")
}

static STOPPED: AtomicBool = AtomicBool::new(false);

struct SetOnDrop;

impl Drop for SetOnDrop {
    fn drop(&mut self) {
        STOPPED.store(true, Ordering::SeqCst);
    }
}

/// Never finishes by itself.
#[mcp_tool]
async fn wait_forever() -> String {
    let _stopped = SetOnDrop;
    tokio::time::sleep(Duration::from_secs(3600)).await;
    "woke up".to_string()
}

fn item_ids(typed: &str) -> Vec<String> {
    ["41", "42", "7"]
        .iter()
        .filter(|id| id.starts_with(typed))
        .map(|id| id.to_string())
        .collect()
}

/// One item's data.
#[mcp_resource(uri_template = "test://items/{id}", mime_type = "application/json")]
#[with_otel_headers]
#[observe]
async fn item(#[complete(item_ids)] id: u32) -> String {
    json!({ "id": id }).to_string()
}

/// The news, which changes.
#[mcp_resource(uri = "test://news", mime_type = "text/plain")]
fn news() -> &'static str {
    "nothing happened"
}

fn tones(typed: &str) -> Vec<String> {
    ["friendly", "formal"]
        .iter()
        .filter(|tone| tone.starts_with(typed))
        .map(|tone| tone.to_string())
        .collect()
}

/// Greets someone.
#[mcp_prompt]
#[with_otel_headers]
#[observe]
fn greet(
    /// Who to greet
    name: String,
    /// How
    #[complete(tones)]
    tone: Option<String>,
) -> String {
    format!(
        "Greet {name} in a {} tone.",
        tone.as_deref().unwrap_or("neutral")
    )
}

#[observe]
fn look_up(city: &str) -> String {
    format!("{city}: sunny")
}

/// Labels the trace from the server's side, then does its work in a child step.
#[mcp_tool]
#[with_otel_headers]
#[observe]
fn labelled(city: String) -> String {
    update_current_trace(
        TraceAttributes::new()
            .tags(["served"])
            .metadata("region", "eu"),
    );
    look_up(&city)
}

fn server() -> McpServer {
    McpServer::builder("protocol", "0.1.0")
        .tools(&[&chatty::TOOL, &wait_forever::TOOL, &labelled::TOOL])
        .resources(&[&item::RESOURCE, &news::RESOURCE])
        .prompts(&[&greet::PROMPT])
        .build()
        .expect("distinct names")
}

#[derive(Default)]
struct Seen {
    logs: Vec<(LoggingLevel, Value)>,
    updated: Vec<String>,
}

/// A client over a pipe to `server`, answering sampling with a local
/// responder, remembering logs and resource updates.
async fn connect(trace: &TestTrace, server: McpServer) -> (McpClient, Arc<Mutex<Seen>>) {
    let (client_end, server_end) = tokio::io::duplex(64 * 1024);
    let (server_read, server_write) = tokio::io::split(server_end);
    tokio::spawn(serve_io(
        server,
        server_read,
        server_write,
        std::future::pending(),
    ));
    let seen = Arc::new(Mutex::new(Seen::default()));
    let (logs, updates) = (seen.clone(), seen.clone());
    let (read, write) = tokio::io::split(client_end);
    let client = trace
        .wrap(
            McpClient::builder()
                .on_sampling(|asked: CreateMessageRequestParams| async move {
                    let question = asked.messages[0]
                        .content
                        .first()
                        .and_then(|content| content.as_text())
                        .map(|text| text.text.clone())
                        .unwrap_or_default();
                    let mut answer = SamplingMessage::assistant_text(format!("{question}? yes"));
                    answer.meta = Some(sampling_meta(
                        &Usage::tokens(7, 3),
                        Some(&Cost::new().input(0.0007).output(0.0003)),
                    ));
                    let mut result = CreateMessageResult::new(answer, "local-echo".to_string());
                    result.stop_reason = Some("endTurn".to_string());
                    Ok(result)
                })
                .on_logging_message(move |message| {
                    logs.lock()
                        .unwrap()
                        .logs
                        .push((message.level, message.data));
                })
                .on_resource_updated(move |updated| {
                    updates.lock().unwrap().updated.push(updated.uri);
                })
                .connect_io(read, write),
        )
        .await
        .expect("connected");
    (client, seen)
}

fn arguments(value: Value) -> Map<String, Value> {
    value.as_object().cloned().unwrap_or_default()
}

fn one<'a>(spans: &'a Spans, name: &str, kind: SpanKind) -> &'a SpanData {
    spans.find_kind(name, kind)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tool_logs_reports_progress_and_asks_the_clients_model() {
    let trace = testing::trace();
    let (client, seen) = connect(&trace, server()).await;
    trace
        .wrap(client.set_level(LoggingLevel::Info))
        .await
        .unwrap();
    let progress = Arc::new(Mutex::new(Vec::new()));
    let reported = progress.clone();
    let options = CallOptions::new().on_progress(move |update| {
        reported.lock().unwrap().push(update.progress);
    });
    let result = trace
        .wrap(client.call_tool_with("chatty", arguments(json!({"question": "rain"})), options))
        .await
        .unwrap();
    assert_eq!(
        result.content[0].as_text().unwrap().text,
        "the model says: rain? yes"
    );
    assert_eq!(*progress.lock().unwrap(), [0.0, 50.0, 100.0]);
    let logs = std::mem::take(&mut seen.lock().unwrap().logs);
    assert_eq!(logs.len(), 1, "debug is below the level set: {logs:?}");
    assert_eq!(logs[0], (LoggingLevel::Info, json!({"asked": "rain"})));
    client.close().await;

    let spans = trace
        .wait_for(|spans| spans.named("sampling/createMessage").len() == 2)
        .await;
    let served = one(&spans, "tools/call chatty", SpanKind::Server);
    // Roles reversed: the server's request to the client is a CLIENT span
    // under the tool's SERVER span, a Langfuse generation with the model.
    let asked = one(&spans, "sampling/createMessage", SpanKind::Client);
    assert_eq!(asked.parent_span_id, served.span_context.span_id());
    assert_eq!(
        asked.attr_str("langfuse.observation.type"),
        Some("generation")
    );
    assert_eq!(
        asked.attr_str("langfuse.observation.model.name"),
        Some("local-echo")
    );
    assert_eq!(asked.attr_i64("gen_ai.usage.input_tokens"), Some(7));
    assert_eq!(asked.attr_i64("gen_ai.usage.output_tokens"), Some(3));
    assert_eq!(asked.attr_i64("llm.token_count.total"), Some(10));
    assert_eq!(asked.attr_str("gen_ai.operation.name"), Some("chat"));
    assert_eq!(asked.attr_str("openinference.span.kind"), Some("LLM"));
    assert_eq!(asked.attr_str("gen_ai.response.model"), Some("local-echo"));
    assert_eq!(asked.attr_str("llm.finish_reason"), Some("endTurn"));
    assert_eq!(
        asked.attr("gen_ai.response.finish_reasons"),
        Some(&testing::strings(&["endTurn"]))
    );
    // The tool asked for a model by hint and capped the answer's length.
    assert_eq!(asked.attr_str("gen_ai.request.model"), Some("tiny-local"));
    assert_eq!(asked.attr_i64("gen_ai.request.max_tokens"), Some(40));
    assert_eq!(
        asked.attr("gen_ai.request.temperature"),
        Some(&testing::Value::F64(0.7))
    );
    let usage: Value = serde_json::from_str(
        asked
            .attr_str("langfuse.observation.usage_details")
            .unwrap(),
    )
    .unwrap();
    assert_eq!(usage, json!({"input": 7, "output": 3, "total": 10}));
    let cost: Value =
        serde_json::from_str(asked.attr_str("langfuse.observation.cost_details").unwrap()).unwrap();
    assert_eq!(
        cost["total"].as_f64().map(|usd| (usd * 1e4).round()),
        Some(10.0)
    );
    let answered = one(&spans, "sampling/createMessage", SpanKind::Server);
    assert_eq!(answered.parent_span_id, asked.span_context.span_id());
    // What the server told the client along the way: CLIENT spans too.
    let told: Vec<_> = spans
        .children(served)
        .into_iter()
        .filter(|span| span.span_kind == SpanKind::Client)
        .map(|span| span.name.to_string())
        .collect();
    assert_eq!(
        told.iter()
            .filter(|name| *name == "notifications/progress")
            .count(),
        3,
        "{}",
        spans.tree()
    );
    assert_eq!(
        told.iter()
            .filter(|name| *name == "notifications/message")
            .count(),
        1
    );
    // The log notification carried the trace to the client: the client's
    // span for it is in this trace, under the server's.
    let logged = one(&spans, "notifications/message", SpanKind::Client);
    let received = one(&spans, "notifications/message", SpanKind::Server);
    assert_eq!(received.parent_span_id, logged.span_context.span_id());
    // The level the client set is a span of its own.
    assert_eq!(spans.named("logging/setLevel").len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_call_stops_the_tool_and_its_span_says_cancelled() {
    let trace = testing::trace();
    let (client, _seen) = connect(&trace, server()).await;
    let options = CallOptions::new().cancel_on(tokio::time::sleep(Duration::from_millis(300)));
    let error = trace
        .wrap(client.call_tool_with("wait_forever", Map::new(), options))
        .await
        .unwrap_err();
    assert!(error.is_cancelled(), "{error}");
    assert!(
        matches!(
            &error,
            mcp_trace_runtime::client::ClientError::Cancelled { reason: None, .. }
        ),
        "cancelled by the caller: {error:?}"
    );

    let spans = trace
        .wait_for(|spans| {
            spans
                .named("tools/call wait_forever")
                .iter()
                .any(|span| span.span_kind == SpanKind::Server)
        })
        .await;
    let served = one(&spans, "tools/call wait_forever", SpanKind::Server);
    assert_eq!(served.attr_str("error.type"), Some("cancelled"));
    assert!(
        !served.has_attr("rpc.response.status_code"),
        "no -32603: {served:?}"
    );
    for _ in 0..50 {
        if STOPPED.load(Ordering::SeqCst) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        STOPPED.load(Ordering::SeqCst),
        "the tool's task was stopped"
    );
    // The server still serves.
    assert_eq!(trace.wrap(client.list_tool_names()).await.unwrap().len(), 3);
    client.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resources_templates_and_subscriptions() {
    let trace = testing::trace();
    let server = server();
    let notifier = server.notifier();
    let (client, seen) = connect(&trace, server).await;

    let listed: Vec<String> = client
        .list_resources()
        .await
        .unwrap()
        .into_iter()
        .map(|resource| resource.uri.clone())
        .collect();
    assert_eq!(listed, ["test://news"]);
    let templates = client.list_resource_templates().await.unwrap();
    assert_eq!(templates[0].uri_template, "test://items/{id}");
    assert_eq!(
        templates[0].description.as_deref(),
        Some("One item's data.")
    );

    let read = trace
        .wrap(client.read_resource("test://items/42"))
        .await
        .unwrap();
    let text = serde_json::to_value(&read.contents[0]).unwrap();
    assert_eq!(text["text"], r#"{"id":42}"#);
    assert_eq!(text["mimeType"], "application/json");
    assert_eq!(text["uri"], "test://items/42");
    let bad = client.read_resource("test://items/many").await.unwrap_err();
    assert!(bad.to_string().contains("`id`"), "{bad}");
    let unknown = client.read_resource("test://nothing").await.unwrap_err();
    assert_eq!(
        unknown.code(),
        Some(-32002),
        "resource not found: {unknown}"
    );
    assert!(
        unknown.to_string().contains("unknown resource"),
        "{unknown}"
    );

    trace.wrap(client.subscribe("test://news")).await.unwrap();
    assert_eq!(
        trace.wrap(notifier.resource_updated("test://news")).await,
        1
    );
    assert_eq!(notifier.resource_updated("test://items/42").await, 0);
    for _ in 0..100 {
        if !seen.lock().unwrap().updated.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(seen.lock().unwrap().updated, ["test://news"]);
    client.unsubscribe("test://news").await.unwrap();
    assert_eq!(notifier.resource_updated("test://news").await, 0);
    assert_eq!(
        notifier.resources_changed().await,
        1,
        "every session hears of list changes"
    );

    let completed = client
        .complete(
            Reference::for_resource("test://items/{id}"),
            ArgumentInfo::new("id", "4"),
        )
        .await
        .unwrap();
    assert_eq!(completed.completion.values, ["41", "42"]);
    client.close().await;

    let spans = trace
        .wait_for(|spans| {
            spans.named("notifications/resources/updated").len() == 2
                && spans.named("resources/read").len() == 6
        })
        .await;
    // URIs are unbounded, so they stay out of span names (as the MCP
    // conventions say) and in `mcp.resource.uri`.
    let read = spans
        .named("resources/read")
        .into_iter()
        .find(|span| {
            span.span_kind == SpanKind::Server
                && span.attr_str("mcp.resource.uri") == Some("test://items/42")
                && span.status == opentelemetry::trace::Status::Unset
        })
        .expect("the good read's SERVER span");
    // The resource's #[observe] enriched its SERVER span: the variable is its input.
    assert_eq!(
        read.attr_str("langfuse.observation.input"),
        Some(r#"{"id":42}"#)
    );
    let subscribed = one(&spans, "resources/subscribe", SpanKind::Server);
    assert!(subscribed.has_attr("mcp.resource.uri"));
    // A notification from the server is a CLIENT span, answered by the
    // client's SERVER span under it.
    let told = one(&spans, "notifications/resources/updated", SpanKind::Client);
    let heard = one(&spans, "notifications/resources/updated", SpanKind::Server);
    assert_eq!(heard.parent_span_id, told.span_context.span_id());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prompts_list_their_arguments_complete_and_render() {
    let trace = testing::trace();
    let (client, _seen) = connect(&trace, server()).await;
    let prompts = client.list_prompts().await.unwrap();
    let listed = serde_json::to_value(&prompts[0]).unwrap();
    assert_eq!(listed["name"], "greet");
    assert_eq!(listed["description"], "Greets someone.");
    assert_eq!(
        listed["arguments"],
        json!([
            {"name": "name", "description": "Who to greet", "required": true},
            {"name": "tone", "description": "How", "required": false},
        ])
    );
    let rendered = trace
        .wrap(client.get_prompt("greet", arguments(json!({"name": "Ada", "tone": "formal"}))))
        .await
        .unwrap();
    let message = serde_json::to_value(&rendered.messages[0]).unwrap();
    assert_eq!(message["role"], "user");
    assert_eq!(message["content"]["text"], "Greet Ada in a formal tone.");
    let missing = client.get_prompt("greet", Map::new()).await.unwrap_err();
    assert!(
        missing
            .to_string()
            .contains("missing required argument `name`"),
        "{missing}"
    );
    let completed = client
        .complete(
            Reference::for_prompt("greet"),
            ArgumentInfo::new("tone", "f"),
        )
        .await
        .unwrap();
    assert_eq!(completed.completion.values, ["friendly", "formal"]);
    client.close().await;

    let spans = trace
        .wait_for(|spans| spans.named("completion/complete").len() == 2)
        .await;
    let served = spans
        .named("prompts/get greet")
        .into_iter()
        .find(|span| {
            span.span_kind == SpanKind::Server && span.has_attr("langfuse.observation.output")
        })
        .expect("the rendered prompt's SERVER span");
    assert_eq!(served.attr_str("gen_ai.prompt.name"), Some("greet"));
}

mod first {
    /// One.
    #[mcp_trace_runtime::mcp_tool(name = "same")]
    pub fn same() -> u8 {
        1
    }
}

mod second {
    /// Two.
    #[mcp_trace_runtime::mcp_tool(name = "same")]
    pub fn same() -> u8 {
        2
    }
}

#[test]
fn two_tools_with_one_name_stop_the_server_from_starting() {
    let error = McpServer::builder("clash", "0.1.0")
        .tools(&[&first::same::TOOL, &second::same::TOOL])
        .build()
        .unwrap_err();
    assert_eq!(error.kind, "tool");
    assert_eq!(error.name, "same");
    assert!(error.first.ends_with("first::same"), "{error}");
    assert!(error.second.ends_with("second::same"), "{error}");
    // Registered, the two clash as well: McpServer::new serves everything.
    assert!(McpServer::new("all", "0.1.0").is_err());
}

#[observe(skip_all)]
async fn ask_labelled(client: &McpClient) -> String {
    update_current_trace(TraceAttributes::new().name("labelled weather"));
    let result = client
        .call_tool("labelled", arguments(json!({"city": "Oslo"})))
        .await
        .expect("labelled answers");
    result.text
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trace_attributes_cross_mcp_and_trace_updates_come_from_both_sides() {
    let trace = testing::trace();
    let (client, _seen) = connect(&trace, server()).await;
    let attributes = TraceAttributes::new()
        .user_id("carol")
        .session_id("support-1")
        .tags(["from-client"])
        .across_mcp();
    let answer = trace
        .wrap(propagate_attributes(attributes, async {
            #[observe(skip_all)]
            async fn session(client: &McpClient) -> String {
                ask_labelled(client).await
            }
            session(&client).await
        }))
        .await;
    assert_eq!(answer, "Oslo: sunny");
    client.close().await;

    let spans = trace
        .wait_for(|spans| !spans.named("look_up").is_empty() && !spans.named("session").is_empty())
        .await;
    let tags = |span: &SpanData| span.attr("langfuse.trace.tags").cloned();
    let tag_list = |tags: &[&str]| Some(testing::strings(tags));
    // Client side: the scope's attributes on every span; the trace's name
    // set from inside the call, on that call's own span (its parent is local).
    let asked = spans.find("ask_labelled");
    assert_eq!(asked.attr_str("user.id"), Some("carol"));
    assert_eq!(tags(asked), tag_list(&["from-client"]));
    assert_eq!(
        asked.attr_str("langfuse.trace.name"),
        Some("labelled weather")
    );
    let call = one(&spans, "tools/call labelled", SpanKind::Client);
    assert_eq!(call.attr_str("session.id"), Some("support-1"));

    // Server side, reached through baggage: the SERVER span (its parent is
    // the client's span) gets user and session but no langfuse.trace.*.
    let served = one(&spans, "tools/call labelled", SpanKind::Server);
    assert!(served.parent_span_is_remote);
    assert_eq!(served.attr_str("user.id"), Some("carol"));
    assert_eq!(served.attr_str("session.id"), Some("support-1"));
    assert!(
        served
            .attributes
            .iter()
            .all(|kv| !kv.key.as_str().starts_with("langfuse.trace.")),
        "{:?}",
        served.attributes
    );
    // Its child has a local parent: the client's tags reach it.
    let step = spans.find("look_up");
    assert_eq!(step.parent_span_id, served.span_context.span_id());
    assert_eq!(step.attr_str("user.id"), Some("carol"));
    assert_eq!(tags(step), tag_list(&["from-client"]));
    // The server's own trace update: an event under its SERVER span.
    let update = spans.find("trace update");
    assert_eq!(update.parent_span_id, served.span_context.span_id());
    assert_eq!(tags(update), tag_list(&["from-client", "served"]));
    assert_eq!(
        update.attr_str("langfuse.trace.metadata.region"),
        Some("eu")
    );
    assert_eq!(update.attr_str("langfuse.trace.name"), None);
}
