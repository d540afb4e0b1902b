//! An axum app with a traced MCP server mounted at `/mcp` beside the app's
//! own routes: `GET /health`, and `GET /fahrenheit/{celsius}`, a JSON route
//! calling the very function the MCP tool `to_fahrenheit` is.
//!
//! ```text
//! cargo run -p mcp-trace-runtime --example axum_server -- --port 8000
//! curl http://127.0.0.1:8000/health
//! curl -H 'traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' \
//!     http://127.0.0.1:8000/fahrenheit/21
//! npx @modelcontextprotocol/inspector   # Streamable HTTP, http://127.0.0.1:8000/mcp
//! ```
//!
//! Spans go wherever the standard environment says (`OTEL_EXPORTER_OTLP_ENDPOINT`,
//! `LANGFUSE_*`, …). The caller's trace context (a `traceparent` header, or
//! `_meta` in an MCP request) reaches the tool on both paths:
//!
//! - on `/mcp`, the traced server reads it from each JSON-RPC request (rmcp
//!   hands it the HTTP request's headers) and opens that request's SERVER
//!   span under it;
//! - on the app's own routes, [`RequestScopeLayer`] makes each HTTP request
//!   the current request, so `#[with_otel_headers]` finds its headers there.
//!
//! `--port 0` picks a free port; the line on stderr names the address.

use std::error::Error;
use std::time::Duration;

use axum::extract::Path;
use axum::routing::get;
use axum::{Json, Router};
use mcp_trace_runtime::scope::RequestScopeLayer;
use mcp_trace_runtime::server::{shutdown_signal, streamable_http_service, HttpOptions, McpServer};
use mcp_trace_runtime::{mcp_tool, observe, with_otel_headers};
use serde_json::{json, Value};

/// How long calls in flight get to finish at shutdown before the MCP
/// sessions are closed.
const DRAIN: Duration = Duration::from_secs(5);

/// Converts a temperature from degrees Celsius to degrees Fahrenheit.
#[mcp_tool(read_only)] // an MCP tool: name, description and schema from here
#[with_otel_headers] // in the caller's trace context, from `_meta` or the headers
#[observe] // a span with the input and the output
async fn to_fahrenheit(
    /// Degrees Celsius
    celsius: f64,
) -> f64 {
    // Exported as a log record under this call's span.
    tracing::info!(celsius, "converting");
    celsius * 9.0 / 5.0 + 32.0
}

async fn health() -> &'static str {
    "ok"
}

/// The same traced function as the tool: outside MCP, the request scope
/// set by `RequestScopeLayer` is where `#[with_otel_headers]` finds the
/// caller.
async fn fahrenheit(Path(celsius): Path<f64>) -> Json<Value> {
    let fahrenheit = to_fahrenheit(celsius).await;
    Json(json!({"celsius": celsius, "fahrenheit": fahrenheit}))
}

fn port_argument() -> Result<u16, Box<dyn Error + Send + Sync>> {
    let arguments: Vec<String> = std::env::args().skip(1).collect();
    match arguments.as_slice() {
        [] => Ok(8000),
        [flag, port] if flag == "--port" => Ok(port.parse()?),
        _ => Err("usage: axum_server [--port N]".into()),
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn Error + Send + Sync>> {
    let port = port_argument()?;
    // Exporters from OTEL_* / LANGFUSE_* (or .env); the guard flushes them.
    let guard = mcp_trace_runtime::init("axum-server")?;

    // Every `#[mcp_tool]` of the program; clashing names fail here, at start-up.
    let server = McpServer::new("axum-server", env!("CARGO_PKG_VERSION"))?;
    // Loopback `Host`s and `Origin`s only, as `serve_http` would: add your
    // public names to `options.allowed_hosts` when serving beyond this machine.
    let options = HttpOptions::at("/mcp");
    // rmcp's Streamable HTTP service over the traced server: a tower service
    // like any other route's.
    let mcp = streamable_http_service(server, &options);
    let sessions = mcp.config.cancellation_token.clone();

    let app = Router::new()
        .route("/health", get(health))
        .route("/fahrenheit/{celsius}", get(fahrenheit))
        // Wraps the routes above only. The MCP service below needs no layer:
        // it sets the scope itself, per JSON-RPC request, on the session's task.
        .layer(RequestScopeLayer)
        .route_service(&options.path, mcp);

    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    eprintln!(
        "axum-server: listening on http://{}",
        listener.local_addr()?
    );
    axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            // SIGINT or SIGTERM: stop accepting, let the calls in flight
            // finish, then close the sessions: a session's open event stream
            // (its GET) never ends by itself and would hold the shutdown.
            shutdown_signal().await;
            tokio::spawn(async move {
                tokio::time::sleep(DRAIN).await;
                sessions.cancel();
            });
        })
        .await?;

    // Flush off the async runtime: the exporters block while they send.
    tokio::task::spawn_blocking(move || guard.shutdown(Duration::from_secs(5))).await??;
    Ok(())
}
