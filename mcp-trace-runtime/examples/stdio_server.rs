//! A traced MCP server over stdio, as MCP hosts (Claude Desktop, Cursor, the
//! MCP Inspector) start it: the host runs the program and speaks JSON-RPC on
//! its stdin and stdout. Stdout is the protocol, so nothing else may reach
//! it: this program writes its own lines to stderr, and `serve_stdio` sends
//! the console exporter there too. Spans go wherever the environment says
//! and are flushed when the host closes stdin or stops the server
//! (SIGINT/SIGTERM).
//!
//! Build it, then point the host at the binary; the host's `env` is where
//! the tracing configuration goes (e.g. in `claude_desktop_config.json`):
//!
//! ```text
//! cargo build -p mcp-trace-runtime --example stdio_server
//! ```
//!
//! ```json
//! {
//!   "mcpServers": {
//!     "traced-words": {
//!       "command": "/path/to/mcp-trace/target/debug/examples/stdio_server",
//!       "args": [],
//!       "env": {
//!         "OTEL_EXPORTER_OTLP_ENDPOINT": "http://localhost:4318",
//!         "OTEL_SERVICE_NAME": "traced-words"
//!       }
//!     }
//!   }
//! }
//! ```
//!
//! Or with the Inspector:
//! `npx @modelcontextprotocol/inspector target/debug/examples/stdio_server`.
//! A client that sends `_meta.traceparent` (ours does) gets the server's
//! spans in its own trace.

use std::time::Duration;

use mcp_trace_runtime::server::{serve_stdio, shutdown_signal, McpServer};
use mcp_trace_runtime::{mcp_tool, observe, with_otel_headers};

/// Counts the words of a text (separated by whitespace).
#[mcp_tool(read_only)] // an MCP tool: name, description and schema from here
#[with_otel_headers] // in the caller's trace context, from `_meta`
#[observe] // a span with the input and the output
fn count_words(
    /// The text to count the words of
    text: String,
) -> usize {
    // A log record under this call's span (OTLP logs), never on stdout.
    tracing::info!(bytes = text.len(), "counting words");
    text.split_whitespace().count()
}

/// Reverses the words of a text.
#[mcp_tool(read_only)]
#[with_otel_headers]
#[observe]
fn reverse_words(
    /// The text whose words to reverse
    text: String,
) -> String {
    text.split_whitespace().rev().collect::<Vec<_>>().join(" ")
}

async fn serve() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let server = McpServer::new("stdio-server", env!("CARGO_PKG_VERSION"))?;
    // Until the host closes stdin or a signal comes; calls in flight answer first.
    Ok(serve_stdio(server, shutdown_signal()).await?)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    // Exporters from OTEL_* / LANGFUSE_* (or .env). Errors go to stderr:
    // hosts show it in their server log. Never `println!` here.
    let guard = match mcp_trace_runtime::init("stdio-server") {
        Ok(guard) => guard,
        Err(error) => {
            eprintln!("stdio-server: {error}");
            std::process::exit(2);
        }
    };
    eprintln!("stdio-server: serving MCP on stdin/stdout");
    let served = serve().await;
    // Flush off the async runtime: the exporters block while they send.
    let flushed = tokio::task::spawn_blocking(move || guard.shutdown(Duration::from_secs(5))).await;
    if let Ok(Err(error)) = flushed {
        eprintln!("stdio-server: {error}");
    }
    let code = match served {
        Ok(()) => 0,
        Err(error) => {
            eprintln!("stdio-server: {error}");
            1
        }
    };
    // Exit rather than return: after a signal, tokio's read of stdin may
    // still be blocked (the host keeps the pipe open), and returning from
    // main would wait for it. The spans are flushed by now.
    std::process::exit(code)
}
