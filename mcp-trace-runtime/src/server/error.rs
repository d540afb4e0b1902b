//! [`ServeError`]: why [`serve_http`](super::serve_http),
//! [`serve_stdio`](super::serve_stdio) or [`serve_io`](super::serve_io)
//! stopped with an error, with what caused it as its source.

/// Why serving stopped with an error. A shutdown (the `shutdown` future
/// resolving) or a client leaving after `initialize` is not an error; one
/// failed connection on HTTP is not either (it is retried, not returned).
///
/// ```
/// use mcp_trace_runtime::server::{serve_http, HttpOptions, McpServer, ServeError};
///
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
/// let server = McpServer::with_tools("t", "0.1.0", &[]).expect("no tools");
/// let error = serve_http(server, listener, HttpOptions::at("mcp"), async {})
///     .await
///     .unwrap_err();
/// assert!(matches!(error, ServeError::InvalidPath { ref path } if path == "mcp"));
/// # });
/// ```
///
/// More kinds may be added: a `match` on it needs a `_` arm.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServeError {
    /// [`HttpOptions::path`](super::HttpOptions::path) does not start with `/`.
    #[error("MCP path must start with '/': {path:?}")]
    InvalidPath {
        /// The path given.
        path: String,
    },
    /// The client left or misbehaved before completing `initialize` (stdio
    /// and byte streams: one session per call); rmcp's error as the source.
    #[error("the MCP session was not initialized: {source}")]
    Initialize {
        /// rmcp's error (boxed: it is large).
        #[source]
        source: Box<rmcp::service::ServerInitializeError>,
    },
    /// rmcp's serving task failed: it panicked or was aborted.
    #[error("the MCP service task failed: {source}")]
    Task {
        /// The task's error.
        #[source]
        source: tokio::task::JoinError,
    },
}
