//! A plain rmcp `#[tool_router]` server — nothing of mcp-trace in it but the
//! one line that traces it — with one tool, `add {a, b}`.
//!
//! ```text
//! cargo run -p mcp-trace-runtime --example rmcp_router -- --port 8000   # Streamable HTTP at /mcp
//! cargo run -p mcp-trace-runtime --example rmcp_router -- --stdio       # stdio
//! ```
//!
//! Spans go wherever the standard environment says (`OTEL_EXPORTER_OTLP_ENDPOINT`,
//! `LANGFUSE_*`, …); every request gets a SERVER span parented on the caller's
//! `_meta` or W3C headers.

use rmcp::handler::server::wrapper::Parameters;
use rmcp::{schemars, tool, tool_router};
use serde::Deserialize;

#[derive(Debug, Clone, Default)]
struct Calculator;

#[derive(Debug, Deserialize, schemars::JsonSchema)]
struct AddArguments {
    /// The first addend.
    a: i64,
    /// The second addend.
    b: i64,
}

#[tool_router(server_handler)]
impl Calculator {
    /// Adds two integers.
    #[tool(description = "Adds two integers.")]
    fn add(&self, Parameters(AddArguments { a, b }): Parameters<AddArguments>) -> String {
        a.wrapping_add(b).to_string()
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let mut arguments = std::env::args().skip(1);
    let mode = arguments.next();
    let _guard = mcp_trace_runtime::init("rmcp-router")?;
    match (mode.as_deref(), arguments.next()) {
        (Some("--stdio"), None) => {
            // The one line: rmcp serves the traced handler as it would the handler.
            let server = mcp_trace_runtime::server::traced(Calculator);
            let running = rmcp::serve_server(server, rmcp::transport::stdio()).await?;
            running.waiting().await?;
        }
        (Some("--port"), Some(port)) => {
            let listener =
                tokio::net::TcpListener::bind(("127.0.0.1", port.parse::<u16>()?)).await?;
            eprintln!(
                "rmcp-router: Streamable HTTP at http://{}/mcp",
                listener.local_addr()?
            );
            // serve_http traces whatever handler it serves.
            mcp_trace_runtime::server::serve_http(
                Calculator,
                listener,
                mcp_trace_runtime::server::HttpOptions::at("/mcp"),
                // SIGINT or SIGTERM: serving stops, in-flight calls finish, spans flush.
                mcp_trace_runtime::server::shutdown_signal(),
            )
            .await?;
        }
        _ => return Err("usage: rmcp_router --port N | --stdio".into()),
    }
    Ok(())
}
