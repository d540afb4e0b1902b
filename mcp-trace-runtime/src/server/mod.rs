//! MCP servers, traced: the layer over any rmcp handler ([`traced`],
//! [`TracedServer`]), our own handler for what `#[mcp_tool]`,
//! `#[mcp_resource]` and `#[mcp_prompt]` register ([`McpServer`]), and serving over Streamable HTTP ([`serve_http`]) or
//! stdio ([`serve_stdio`], [`serve_io`]).
//!
//! Every request a traced handler receives runs inside a
//! [`ServedRequest`](crate::scope::ServedRequest) scope holding that call's
//! own HTTP headers and `_meta`, and (in `native` mode) inside its SERVER
//! span, so the tool — and the tracing code the macros wrap around it —
//! picks up the caller's trace context per request, not per session.
//!
//! ```no_run
//! use mcp_trace_runtime::server::{serve_http, HttpOptions, McpServer};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let server = McpServer::new("weather", "1.0.0").expect("no two tools share a name");
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8000").await?;
//! let options = HttpOptions::at("/weather");
//! // Any future stops it, e.g. `tokio::signal::ctrl_c()` in a binary.
//! let (_stop, stopped) = tokio::sync::oneshot::channel::<()>();
//! serve_http(server, listener, options, async {
//!     let _ = stopped.await;
//! })
//! .await?; // a ServeError
//! # Ok(())
//! # }
//! ```

mod back_channel;
mod catalog;
mod error;
mod http;
mod mcp_server;
mod signal;
mod stdio;
mod subscriptions;
mod traced;

pub use self::http::{serve_http, streamable_http_service, HttpOptions};
pub use back_channel::BackChannel;
pub use catalog::DuplicateName;
pub use error::ServeError;
pub use mcp_server::{McpServer, McpServerBuilder, DEFAULT_MAX_CONCURRENT_CALLS};
pub use signal::shutdown_signal;
pub use stdio::{serve_io, serve_stdio};
pub use subscriptions::Notifier;
pub use traced::{traced, TracedServer};
