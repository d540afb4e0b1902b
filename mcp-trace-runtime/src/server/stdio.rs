//! Serving any rmcp handler, traced, over stdio or any other byte-stream
//! pair (newline-delimited JSON-RPC).

use std::error::Error as StdError;

use rmcp::ServerHandler;
use tokio::io::{AsyncRead, AsyncWrite};

use super::traced::traced;

/// Serves `handler` (traced by [`traced`] here) over stdin/stdout until the
/// client closes its end.
///
/// Nothing else may write to stdout meanwhile: it carries the protocol. Log
/// to stderr.
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
/// let server = mcp_trace_runtime::server::McpServer::new("weather", "1.0.0").expect("distinct names");
/// mcp_trace_runtime::server::serve_stdio(server).await
/// # }
/// ```
pub async fn serve_stdio<H: ServerHandler>(
    handler: H,
) -> Result<(), Box<dyn StdError + Send + Sync>> {
    let (stdin, stdout) = rmcp::transport::stdio();
    serve_io(handler, stdin, stdout).await
}

/// Serves `handler` (traced by [`traced`] here) over any byte stream pair —
/// a pipe, a socket, an in-memory duplex — until the peer closes.
///
/// ```
/// use mcp_trace_runtime::server::{serve_io, McpServer};
///
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let (server_end, client_end) = tokio::io::duplex(4096);
/// let (read, write) = tokio::io::split(server_end);
/// let served = tokio::spawn(serve_io(McpServer::with_tools("t", "0.1.0", &[]).expect("no tools"), read, write));
/// drop(client_end); // the client leaves before initializing
/// assert!(served.await.unwrap().is_err());
/// # });
/// ```
///
/// # Errors
///
/// When the client leaves or misbehaves before completing `initialize`.
pub async fn serve_io<H, R, W>(
    handler: H,
    reader: R,
    writer: W,
) -> Result<(), Box<dyn StdError + Send + Sync>>
where
    H: ServerHandler,
    R: AsyncRead + Unpin + Send + 'static,
    W: AsyncWrite + Unpin + Send + 'static,
{
    let running = rmcp::serve_server(traced(handler), (reader, writer)).await?;
    match running.waiting().await? {
        rmcp::service::QuitReason::JoinError(error) => Err(error.into()),
        _ => Ok(()),
    }
}
