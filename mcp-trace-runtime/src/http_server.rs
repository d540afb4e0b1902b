//! The one HTTP/1 serving path of the crate, used by the MCP server
//! ([`crate::server::serve_http`]) and the embedded collector: accept on a
//! bound listener, serve each connection with hyper, and on shutdown stop
//! accepting and wind connections down through hyper-util's
//! [`GracefulShutdown`].

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use http::{Request, Response};
use hyper::body::{Body, Incoming};
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

/// Slow clients must not hold a connection slot forever before sending a request.
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// Connections served at once by default; more wait in the listen backlog
/// until one closes.
pub(crate) const DEFAULT_MAX_CONNECTIONS: usize = 1024;

/// Serves `handle` on `listener` until `shutdown` resolves. Then: stops
/// accepting, asks every connection to finish its response in progress and
/// close, awaits `wind_down` (the caller's own draining), and gives the
/// connections `close_timeout` to end before the rest are cut off.
///
/// At most `max_connections` are served at once: the next is accepted when
/// one closes, so a flood of connections waits in the kernel's backlog
/// instead of growing the process. Failures to accept a connection are
/// retried after a short pause: one bad connection (ECONNABORTED, EMFILE)
/// must not stop the server.
pub(crate) async fn serve<H, F, B>(
    listener: TcpListener,
    handle: H,
    shutdown: impl Future<Output = ()>,
    wind_down: impl Future<Output = ()>,
    close_timeout: Duration,
    max_connections: usize,
) where
    H: Fn(Request<Incoming>, SocketAddr) -> F + Clone + Send + Sync + 'static,
    F: Future<Output = Result<Response<B>, Infallible>> + Send + 'static,
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let graceful = GracefulShutdown::new();
    let mut connections = JoinSet::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT)
        .keep_alive(true);
    let slots = Arc::new(Semaphore::new(max_connections.max(1)));
    tokio::pin!(shutdown);
    loop {
        let slot = tokio::select! {
            () = &mut shutdown => break,
            Some(_) = connections.join_next(), if !connections.is_empty() => continue,
            slot = Arc::clone(&slots).acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => break, // never closed
            },
        };
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => break,
            // Reap finished connections so the set stays as large as the live ones.
            Some(_) = connections.join_next(), if !connections.is_empty() => continue,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let handle = handle.clone();
        let service = service_fn(move |request| handle(request, peer));
        let connection = http.serve_connection(TokioIo::new(stream), service);
        let connection = graceful.watch(connection);
        connections.spawn(async move {
            let _slot = slot;
            connection.await
        });
    }
    drop(listener);
    // Signals every connection now; resolves once all have ended.
    let closed = tokio::spawn(graceful.shutdown());
    wind_down.await;
    let _ = tokio::time::timeout(close_timeout, closed).await;
    // Dropping the set aborts the connections that are still open.
}
