//! The signals that stop a server gracefully.

use std::future::Future;

/// Resolves on SIGINT or SIGTERM (on other platforms, ctrl-c): pass it as
/// the `shutdown` of [`serve_http`](super::serve_http) or
/// [`serve_stdio`](super::serve_stdio).
///
/// The handlers are installed when this is called, not when the future is
/// first polled: call it before announcing the server, so a signal sent
/// right after the announcement stops it gracefully instead of killing it.
/// Should installing them fail, it falls back to ctrl-c.
///
/// ```no_run
/// use mcp_trace_runtime::server::{serve_stdio, shutdown_signal, McpServer};
/// # async fn run() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
/// let stop = shutdown_signal();
/// serve_stdio(McpServer::new("weather", "1.0.0")?, stop).await?;
/// # Ok(())
/// # }
/// ```
pub fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let handlers = (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
        );
        async move {
            match handlers {
                (Ok(mut interrupt), Ok(mut terminate)) => {
                    tokio::select! {
                        _ = interrupt.recv() => {}
                        _ = terminate.recv() => {}
                    }
                }
                _ => {
                    let _ = tokio::signal::ctrl_c().await;
                }
            }
        }
    }
    #[cfg(not(unix))]
    {
        async {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
