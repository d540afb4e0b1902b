//! A traced MCP client against any MCP server — here a foreign one: it lists
//! the server's tools and calls one, inside a root span of its own. Each
//! request is a CLIENT span under that root, and carries its context to the
//! server (in `params._meta`, and over HTTP in the POST's `traceparent`
//! header too), so a traced server's SERVER spans join the client's trace.
//!
//! ```text
//! # a server started as a child process, spoken to over stdio:
//! cargo run -p mcp-trace-runtime --example client -- npx -y @modelcontextprotocol/server-everything
//! cargo run -p mcp-trace-runtime --example client -- --tool count_words --arguments '{"text":"a b c"}' \
//!     target/debug/examples/stdio_server
//! # a Streamable HTTP server at a URL:
//! cargo run -p mcp-trace-runtime --example client -- --tool to_fahrenheit --arguments '{"celsius":21}' \
//!     http://127.0.0.1:8000/mcp
//! ```
//!
//! The tool defaults to `echo` with `{"message": "hello from mcp-trace"}`
//! (server-everything's). Spans go wherever the standard environment says
//! (`OTEL_EXPORTER_OTLP_ENDPOINT`, `LANGFUSE_*`, …); a child server inherits
//! that environment. The last line printed is the trace id to look up.

use std::error::Error;
use std::time::Duration;

use mcp_trace_runtime::client::McpClient;
use opentelemetry::context::FutureExt as _;
use opentelemetry::trace::{Status, TraceContextExt, Tracer};
use opentelemetry::Context;
use serde_json::{json, Map, Value};

type BoxError = Box<dyn Error + Send + Sync>;

/// What the command line asks for.
struct Arguments {
    tool: String,
    arguments: Map<String, Value>,
    /// A URL, or a program and its arguments.
    server: Vec<String>,
}

fn parse_arguments() -> Result<Arguments, BoxError> {
    const USAGE: &str = "usage: client [--tool NAME] [--arguments JSON] (URL | COMMAND [ARG…])";
    let mut tool = "echo".to_string();
    let mut arguments = json!({"message": "hello from mcp-trace"});
    let mut rest = std::env::args().skip(1).peekable();
    while let Some(flag) = rest.next_if(|argument| argument.starts_with("--")) {
        let value = rest.next().ok_or(USAGE)?;
        match flag.as_str() {
            "--tool" => tool = value,
            "--arguments" => arguments = serde_json::from_str(&value)?,
            _ => return Err(USAGE.into()),
        }
    }
    let Value::Object(arguments) = arguments else {
        return Err("--arguments must be a JSON object".into());
    };
    let server: Vec<String> = rest.collect();
    if server.is_empty() {
        return Err(USAGE.into());
    }
    Ok(Arguments {
        tool,
        arguments,
        server,
    })
}

async fn connect(server: &[String]) -> Result<McpClient, BoxError> {
    let client = McpClient::builder().client_info("client-example", env!("CARGO_PKG_VERSION"));
    let first = &server[0];
    if first.starts_with("http://") || first.starts_with("https://") {
        return Ok(client.connect_http(first).await?);
    }
    let mut command = tokio::process::Command::new(first);
    command.args(&server[1..]);
    // Its stdout is the protocol; its stderr (its log) is shown with ours.
    command.stderr(std::process::Stdio::inherit());
    Ok(client.connect_stdio(command).await?)
}

/// The traced work: every request below is a CLIENT span under the current
/// context, the root span `main` opened.
async fn list_and_call(arguments: Arguments) -> Result<(), BoxError> {
    let client = connect(&arguments.server).await?;
    let tools = client.list_tool_names().await?;
    println!("tools: {}", tools.join(", "));
    let answer = client
        .call_tool(&arguments.tool, arguments.arguments)
        .await?;
    let outcome = if answer.is_error { "error" } else { "ok" };
    println!("{} ({outcome}): {}", arguments.tool, answer.text);
    // Ends the session (a child server sees stdin close, flushes and exits).
    client.close().await;
    Ok(())
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), BoxError> {
    let arguments = parse_arguments()?;
    let guard = mcp_trace_runtime::init("client-example")?;

    // The root span of the trace: one piece of work, whatever it asks.
    let tracer = opentelemetry::global::tracer("client-example");
    let cx = Context::current_with_span(tracer.start("client_example"));
    let trace_id = cx.span().span_context().trace_id();
    let result = list_and_call(arguments).with_context(cx.clone()).await;
    if let Err(error) = &result {
        cx.span().set_status(Status::error(error.to_string()));
    }
    cx.span().end();
    println!("trace {trace_id}");

    // Flush off the async runtime: the exporters block while they send.
    tokio::task::spawn_blocking(move || guard.shutdown(Duration::from_secs(5))).await??;
    result
}
