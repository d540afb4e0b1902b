//! Serving any rmcp handler, traced, over stdio or any other byte-stream
//! pair (newline-delimited JSON-RPC), until the peer leaves or `shutdown`
//! resolves.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use rmcp::ServerHandler;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::traced::traced;
use super::ServeError;

/// Serves `handler` (traced by [`traced`] here) over stdin/stdout until the
/// client closes its end or `shutdown` resolves (e.g.
/// [`shutdown_signal`](super::shutdown_signal)).
///
/// On `shutdown` it reads no further message, lets the calls in flight
/// answer (rmcp waits up to 5 s for them), then returns `Ok`: flush the
/// tracing [`Guard`](crate::Guard) after it. Tokio reads stdin on a
/// blocking thread that nothing can interrupt, so a program that stops on a
/// signal while the host keeps stdin open should end with
/// `std::process::exit` after the flush rather than by returning from
/// `main` (which waits for that read).
///
/// Stdout carries the protocol: this declares it
/// ([`set_stdout_carries_protocol`](crate::settings::set_stdout_carries_protocol)),
/// which sends the console exporter to stderr. Log to stderr.
///
/// ```no_run
/// use mcp_trace_runtime::server::{serve_stdio, shutdown_signal, McpServer};
/// # async fn run() -> Result<(), mcp_trace_runtime::server::ServeError> {
/// let server = McpServer::new("weather", "1.0.0").expect("distinct names");
/// serve_stdio(server, shutdown_signal()).await
/// # }
/// ```
///
/// # Errors
///
/// As [`serve_io`].
pub async fn serve_stdio<H: ServerHandler>(
    handler: H,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    crate::settings::set_stdout_carries_protocol();
    let (stdin, stdout) = rmcp::transport::stdio();
    serve_io(handler, stdin, stdout, shutdown).await
}

/// Serves `handler` (traced by [`traced`] here) over any byte stream pair —
/// a pipe, a socket, an in-memory duplex — until the peer closes or
/// `shutdown` resolves; on `shutdown` it stops reading, lets the calls in
/// flight answer, and returns `Ok`.
///
/// ```
/// use mcp_trace_runtime::server::{serve_io, McpServer, ServeError};
///
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let (server_end, client_end) = tokio::io::duplex(4096);
/// let (read, write) = tokio::io::split(server_end);
/// let server = McpServer::with_tools("t", "0.1.0", &[]).expect("no tools");
/// let served = tokio::spawn(serve_io(server, read, write, std::future::pending()));
/// drop(client_end); // the client leaves before initializing
/// let error = served.await.unwrap().unwrap_err();
/// assert!(matches!(error, ServeError::Initialize { .. }), "{error}");
/// # });
/// ```
///
/// # Errors
///
/// [`ServeError::Initialize`] when the client leaves or misbehaves before
/// completing `initialize` (not when `shutdown` came first);
/// [`ServeError::Task`] when rmcp's serving task panicked.
pub async fn serve_io<H, R, W>(
    handler: H,
    reader: R,
    writer: W,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError>
where
    H: ServerHandler,
    R: AsyncRead + Unpin + Send + 'static,
    W: AsyncWrite + Unpin + Send + 'static,
{
    let reader = UntilShutdown::new(reader, shutdown);
    let stopped = Arc::clone(&reader.stopped);
    let running = match rmcp::serve_server(traced(handler), (reader, writer)).await {
        Ok(running) => running,
        Err(_) if stopped.load(Ordering::Relaxed) => return Ok(()),
        Err(source) => {
            return Err(ServeError::Initialize {
                source: Box::new(source),
            })
        }
    };
    let quit = running
        .waiting()
        .await
        .map_err(|source| ServeError::Task { source })?;
    // rmcp cancels the handlers still running when it quits; they end their
    // spans as they unwind, before the caller flushes.
    crate::inbound::all_ended(std::time::Duration::from_secs(2)).await;
    match quit {
        rmcp::service::QuitReason::JoinError(source) => Err(ServeError::Task { source }),
        _ => Ok(()),
    }
}

/// A reader that ends (reads 0 bytes, as at end of input) once `shutdown`
/// resolves. Ending the input, rather than cancelling rmcp's service, is
/// what makes rmcp answer the calls in flight before it closes: it drains
/// their responses after end of input, while cancellation cancels them.
struct UntilShutdown<R> {
    inner: R,
    shutdown: Pin<Box<dyn Future<Output = ()> + Send>>,
    stopped: Arc<AtomicBool>,
}

impl<R> UntilShutdown<R> {
    fn new(inner: R, shutdown: impl Future<Output = ()> + Send + 'static) -> UntilShutdown<R> {
        UntilShutdown {
            inner,
            shutdown: Box::pin(shutdown),
            stopped: Arc::default(),
        }
    }
}

impl<R: AsyncRead + Unpin> AsyncRead for UntilShutdown<R> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        if this.stopped.load(Ordering::Relaxed) || this.shutdown.as_mut().poll(cx).is_ready() {
            this.stopped.store(true, Ordering::Relaxed);
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut this.inner).poll_read(cx, buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt as _;

    #[tokio::test]
    async fn reads_until_shutdown_then_ends_the_input() {
        let (mut writer, reader) = tokio::io::duplex(64);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let mut reader = UntilShutdown::new(reader, async {
            let _ = stopped.await;
        });
        tokio::io::AsyncWriteExt::write_all(&mut writer, b"one")
            .await
            .unwrap();
        let mut buf = [0u8; 8];
        assert_eq!(reader.read(&mut buf).await.unwrap(), 3);
        stop.send(()).unwrap();
        // The writer stays open: only the shutdown ends the input.
        tokio::io::AsyncWriteExt::write_all(&mut writer, b"two")
            .await
            .unwrap();
        assert_eq!(reader.read(&mut buf).await.unwrap(), 0);
        assert_eq!(reader.read(&mut buf).await.unwrap(), 0);
        assert!(reader.stopped.load(Ordering::Relaxed));
    }
}
