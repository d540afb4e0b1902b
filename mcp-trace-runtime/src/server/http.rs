//! Serving any rmcp handler over MCP Streamable HTTP, traced, on the
//! crate's one HTTP serving path ([`crate::http_server`]).

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::{Body, Frame, Incoming, SizeHint};
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::SessionManager;
use rmcp::transport::{StreamableHttpServerConfig, StreamableHttpService};
use rmcp::ServerHandler;
use tokio::net::TcpListener;
use tokio::sync::Notify;
use tower_service::Service;

use super::traced::{traced, TracedServer};
use super::ServeError;
use crate::inbound::ClientAddress;

/// After the requests drained, how long connections get to close by themselves.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(2);

/// The origins of pages on this machine, always accepted.
const LOOPBACK_ORIGINS: [&str; 6] = [
    "http://localhost:*",
    "http://127.0.0.1:*",
    "http://[::1]:*",
    "https://localhost:*",
    "https://127.0.0.1:*",
    "https://[::1]:*",
];

/// How [`serve_http`] serves.
///
/// ```
/// use mcp_trace_runtime::server::HttpOptions;
///
/// let options = HttpOptions::at("/weather").with_allowed_hosts(["weather.example.com"]);
/// assert!(!options.stateless);
/// ```
///
/// It may gain options: start from [`HttpOptions::at`] (or `default()`) and the `with_…` methods.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct HttpOptions {
    /// Path of the MCP endpoint, e.g. `/weather`; every other path answers
    /// 404. A trailing slash on the request is tolerated.
    pub path: String,
    /// No sessions: every POST is answered on its own with plain JSON. Suits
    /// load-balanced deployments; clients cannot receive server-initiated
    /// messages.
    pub stateless: bool,
    /// `Host` header values accepted besides the loopback names (`localhost`,
    /// `127.0.0.1`, `::1`), as `host` or `host:port`. rmcp refuses other hosts
    /// (403) against DNS rebinding; list your public names here when serving
    /// beyond the local machine, or `"*"` to accept any host.
    pub allowed_hosts: Vec<String>,
    /// Browser `Origin`s accepted besides the loopback ones (`http://` and
    /// `https://` `localhost`, `127.0.0.1`, `[::1]`, any port), as
    /// `scheme://host[:port]` (`:*` for any port), or `"*"` to accept any.
    /// A request carrying another `Origin` is refused (403), as the MCP
    /// specification asks against DNS rebinding; requests without one (not
    /// from a browser) pass.
    pub allowed_origins: Vec<String>,
    /// Connections served at once (default 1024); further ones wait in the
    /// listen backlog until one closes. HTTP/1 answers one request at a time
    /// per connection, so this also bounds the calls being answered at once.
    pub max_connections: usize,
    /// Sessions open at once, when stateful (default 1024): a POST that
    /// would open one more (no `Mcp-Session-Id`) is answered
    /// `503 Service Unavailable` with `Retry-After: 1`, before it is read.
    pub max_sessions: usize,
    /// A session without a request for this long is closed (default 5 min).
    pub session_idle_timeout: Duration,
    /// Largest request body in bytes (default 4 MiB): a larger one is
    /// answered `413 Payload Too Large` once the limit is read, before any
    /// parsing (rmcp's limit).
    pub max_body_bytes: usize,
    /// Longest a request body may take to arrive (default 30 s; the headers
    /// have 30 s of their own): a slower one is cut off and answered 408.
    pub body_read_timeout: Duration,
    /// At shutdown, how long the requests in flight get to be answered
    /// (default 10 s) before their sessions are closed and their handlers
    /// cancelled (their spans then end as cancelled).
    pub drain_timeout: Duration,
}

impl HttpOptions {
    /// Stateful serving at `path`, loopback hosts only.
    ///
    /// ```
    /// let options = mcp_trace_runtime::server::HttpOptions::at("/mcp");
    /// assert_eq!(options.path, "/mcp");
    /// ```
    pub fn at(path: impl Into<String>) -> HttpOptions {
        HttpOptions {
            path: path.into(),
            ..HttpOptions::default()
        }
    }

    /// These options, stateless or not ([`HttpOptions::stateless`]: no sessions).
    ///
    /// ```
    /// use mcp_trace_runtime::server::HttpOptions;
    /// let options = HttpOptions::at("/mcp").with_stateless(true);
    /// assert!(options.stateless);
    /// ```
    pub fn with_stateless(mut self, stateless: bool) -> HttpOptions {
        self.stateless = stateless;
        self
    }

    /// These options with the `Host` values accepted besides the loopback names ([`HttpOptions::allowed_hosts`]; `"*"` for any).
    ///
    /// ```
    /// use mcp_trace_runtime::server::HttpOptions;
    /// let options = HttpOptions::at("/mcp").with_allowed_hosts(["mcp.example.com", "mcp.example.com:8443"]);
    /// assert_eq!(options.allowed_hosts.len(), 2);
    /// ```
    pub fn with_allowed_hosts(
        mut self,
        hosts: impl IntoIterator<Item = impl Into<String>>,
    ) -> HttpOptions {
        self.allowed_hosts = hosts.into_iter().map(Into::into).collect();
        self
    }

    /// These options with the browser `Origin`s accepted besides the loopback ones ([`HttpOptions::allowed_origins`]; `"*"` for any).
    ///
    /// ```
    /// use mcp_trace_runtime::server::HttpOptions;
    /// let options = HttpOptions::at("/mcp").with_allowed_origins(["https://app.example.com"]);
    /// assert_eq!(options.allowed_origins, ["https://app.example.com"]);
    /// ```
    pub fn with_allowed_origins(
        mut self,
        origins: impl IntoIterator<Item = impl Into<String>>,
    ) -> HttpOptions {
        self.allowed_origins = origins.into_iter().map(Into::into).collect();
        self
    }

    /// These options with a limit on the connections served at once ([`HttpOptions::max_connections`]).
    ///
    /// ```
    /// use mcp_trace_runtime::server::HttpOptions;
    /// let options = HttpOptions::at("/mcp").with_max_connections(64);
    /// assert_eq!(options.max_connections, 64);
    /// ```
    pub fn with_max_connections(mut self, max_connections: usize) -> HttpOptions {
        self.max_connections = max_connections;
        self
    }

    /// These options with a limit on the sessions open at once ([`HttpOptions::max_sessions`]).
    ///
    /// ```
    /// use mcp_trace_runtime::server::HttpOptions;
    /// let options = HttpOptions::at("/mcp").with_max_sessions(16);
    /// assert_eq!(options.max_sessions, 16);
    /// ```
    pub fn with_max_sessions(mut self, max_sessions: usize) -> HttpOptions {
        self.max_sessions = max_sessions;
        self
    }

    /// These options with another idle timeout for sessions ([`HttpOptions::session_idle_timeout`]).
    ///
    /// ```
    /// use std::time::Duration;
    /// use mcp_trace_runtime::server::HttpOptions;
    /// let options = HttpOptions::at("/mcp").with_session_idle_timeout(Duration::from_secs(60));
    /// assert_eq!(options.session_idle_timeout, Duration::from_secs(60));
    /// ```
    pub fn with_session_idle_timeout(mut self, timeout: Duration) -> HttpOptions {
        self.session_idle_timeout = timeout;
        self
    }

    /// These options with another largest request body, in bytes ([`HttpOptions::max_body_bytes`]).
    ///
    /// ```
    /// use mcp_trace_runtime::server::HttpOptions;
    /// let options = HttpOptions::at("/mcp").with_max_body_bytes(64 * 1024);
    /// assert_eq!(options.max_body_bytes, 65_536);
    /// ```
    pub fn with_max_body_bytes(mut self, bytes: usize) -> HttpOptions {
        self.max_body_bytes = bytes;
        self
    }

    /// These options with another deadline for a request body to arrive ([`HttpOptions::body_read_timeout`]).
    ///
    /// ```
    /// use std::time::Duration;
    /// use mcp_trace_runtime::server::HttpOptions;
    /// let options = HttpOptions::at("/mcp").with_body_read_timeout(Duration::from_secs(5));
    /// assert_eq!(options.body_read_timeout, Duration::from_secs(5));
    /// ```
    pub fn with_body_read_timeout(mut self, timeout: Duration) -> HttpOptions {
        self.body_read_timeout = timeout;
        self
    }

    /// These options with another time for the requests in flight at shutdown ([`HttpOptions::drain_timeout`]).
    ///
    /// ```
    /// use std::time::Duration;
    /// use mcp_trace_runtime::server::HttpOptions;
    /// let options = HttpOptions::at("/mcp").with_drain_timeout(Duration::from_secs(1));
    /// assert_eq!(options.drain_timeout, Duration::from_secs(1));
    /// ```
    pub fn with_drain_timeout(mut self, timeout: Duration) -> HttpOptions {
        self.drain_timeout = timeout;
        self
    }
}

impl Default for HttpOptions {
    fn default() -> Self {
        HttpOptions {
            path: "/mcp".to_string(),
            stateless: false,
            allowed_hosts: Vec::new(),
            allowed_origins: Vec::new(),
            max_connections: crate::http_server::DEFAULT_MAX_CONNECTIONS,
            max_sessions: 1024,
            session_idle_timeout: Duration::from_secs(300),
            max_body_bytes: 4 * 1024 * 1024,
            body_read_timeout: Duration::from_secs(30),
            drain_timeout: Duration::from_secs(10),
        }
    }
}

/// Serves `handler` — any rmcp [`ServerHandler`], traced by
/// [`traced`] here — as MCP Streamable HTTP on an already bound `listener`
/// until `shutdown` resolves; then stops accepting, lets in-flight requests
/// finish (for up to `options.drain_timeout`), closes the sessions, waits
/// for their stopped handlers to end their spans and returns. Each session
/// gets its own clone of `handler`.
///
/// Binding is left to the caller so it can pick the address, use port 0 in
/// tests, or inherit a socket.
///
/// # Errors
///
/// [`ServeError::InvalidPath`] when `options.path` does not start with `/`.
/// Failures to accept a connection are retried, not returned: one bad
/// connection must not stop the server.
///
/// ```no_run
/// use mcp_trace_runtime::server::{serve_http, HttpOptions, McpServer};
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let listener = tokio::net::TcpListener::bind("0.0.0.0:8000").await?;
/// let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
/// let server = tokio::spawn(serve_http(
///     McpServer::new("weather", "1.0.0").expect("distinct names"),
///     listener,
///     HttpOptions::at("/weather").with_allowed_hosts(["*"]),
///     async { let _ = stopped.await; },
/// ));
/// // … later:
/// let _ = stop.send(());
/// server.await.expect("server task")?;
/// # Ok(())
/// # }
/// ```
pub async fn serve_http<H>(
    handler: H,
    listener: TcpListener,
    options: HttpOptions,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError>
where
    H: ServerHandler + Clone,
{
    if !options.path.starts_with('/') {
        return Err(ServeError::InvalidPath { path: options.path });
    }
    let (service, sessions) = streamable_http_parts(handler, &options);
    let sessions_token = service.config.cancellation_token.clone();
    let stop_sessions = move || sessions_token.cancel();
    let admission = Admission {
        path: options.path.into(),
        max_sessions: options.max_sessions,
        // Stateless: rmcp opens no session, so there are none to count.
        sessions: (!options.stateless).then_some(sessions),
        body_read_timeout: options.body_read_timeout,
    };
    let serving = Serving {
        admission,
        max_connections: options.max_connections,
        drain_timeout: options.drain_timeout,
    };
    serve_mcp(listener, service, serving, shutdown, stop_sessions).await;
    Ok(())
}

/// The tower service [`serve_http`] serves at `options.path`: rmcp's
/// [`StreamableHttpService`] over [`traced`]`(handler)`, with `options`'
/// `stateless`, `allowed_hosts`, `allowed_origins`, `max_body_bytes` and
/// `session_idle_timeout`; for mounting MCP in a router of your own (axum's
/// `Router::route_service`, a hyper or tower stack) next to other routes.
/// Each session gets its own clone of `handler`, and each request its SERVER
/// span, parented on the caller's `_meta` or headers, as under `serve_http`.
///
/// The rest of `options` is how `serve_http` serves, which your own server
/// then decides: the path (route it yourself), `max_connections`,
/// `max_sessions`, `body_read_timeout` and the drain at shutdown. The
/// sessions end when `service.config.cancellation_token` is cancelled:
/// cancel it when your server shuts down, or open event streams keep their
/// connections (and a graceful shutdown) waiting.
///
/// ```
/// use mcp_trace_runtime::server::{streamable_http_service, HttpOptions, McpServer};
/// use tower::Service;
///
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let server = McpServer::with_tools("demo", "0.1.0", &[]).expect("no tools");
/// let mut mcp = streamable_http_service(server, &HttpOptions::at("/mcp"));
/// // A request from another site's page is refused (403), as serve_http refuses it.
/// let request = http::Request::post("/mcp")
///     .header("host", "127.0.0.1")
///     .header("origin", "https://evil.example")
///     .body(String::new())
///     .unwrap();
/// let response = mcp.call(request).await.unwrap(); // always ready
/// assert_eq!(response.status(), http::StatusCode::FORBIDDEN);
/// mcp.config.cancellation_token.cancel(); // shutting down: end the sessions
/// # });
/// ```
pub fn streamable_http_service<H>(
    handler: H,
    options: &HttpOptions,
) -> StreamableHttpService<TracedServer<H>, LocalSessionManager>
where
    H: ServerHandler + Clone,
{
    streamable_http_parts(handler, options).0
}

/// [`streamable_http_service`], and its session manager (for counting
/// the sessions).
fn streamable_http_parts<H>(
    handler: H,
    options: &HttpOptions,
) -> (
    StreamableHttpService<TracedServer<H>, LocalSessionManager>,
    Arc<LocalSessionManager>,
)
where
    H: ServerHandler + Clone,
{
    let mut config = StreamableHttpServerConfig::default();
    if options.allowed_hosts.iter().any(|host| host == "*") {
        config = config.disable_allowed_hosts();
    } else {
        let mut hosts = config.allowed_hosts.clone();
        hosts.extend(options.allowed_hosts.iter().cloned());
        config = config.with_allowed_hosts(hosts);
    }
    if options.allowed_origins.iter().any(|origin| origin == "*") {
        config = config.disable_allowed_origins();
    } else {
        let origins = LOOPBACK_ORIGINS
            .iter()
            .map(|origin| origin.to_string())
            .chain(options.allowed_origins.iter().cloned());
        config = config
            .with_allowed_origins(origins)
            .enforce_origin_validation();
    }
    config.max_request_body_bytes = options.max_body_bytes;
    if options.stateless {
        // Without legacy sessions rmcp answers each POST on its own and
        // never asks the session manager for a session.
        config = config
            .with_legacy_session_mode(false)
            .with_json_response(true);
    }
    let mut manager = LocalSessionManager::default();
    manager.session_config.keep_alive = Some(options.session_idle_timeout);
    let manager = Arc::new(manager);
    let server = traced(handler);
    let factory = move || Ok(server.clone());
    let service = StreamableHttpService::new(factory, Arc::clone(&manager), config);
    (service, manager)
}

/// How one `serve_http` serves, from [`HttpOptions`].
struct Serving {
    admission: Admission,
    max_connections: usize,
    drain_timeout: Duration,
}

/// What a request must pass before rmcp reads it, from [`HttpOptions`].
struct Admission {
    path: Arc<str>,
    max_sessions: usize,
    /// The stateful server's sessions, to count them.
    sessions: Option<Arc<LocalSessionManager>>,
    body_read_timeout: Duration,
}

impl Admission {
    /// Why `request` is refused with 503, if it is, before rmcp reads it.
    /// (An oversized body is not refused here on its `Content-Length`: an
    /// answer before the body is read makes HTTP/1 clients that are still
    /// sending it fail with a broken pipe instead of reading the 413, so
    /// rmcp's limit, applied while reading and before parsing, answers it.)
    async fn refusal(&self, request: &Request<Incoming>) -> Option<&'static str> {
        if request.method() != Method::POST {
            return None;
        }
        let opens_a_session = !request
            .headers()
            .contains_key(crate::scope::MCP_SESSION_ID_HEADER);
        match &self.sessions {
            Some(sessions)
                if opens_a_session && sessions.sessions.read().await.len() >= self.max_sessions =>
            {
                Some("too many open sessions")
            }
            _ => None,
        }
    }
}

async fn serve_mcp<H: ServerHandler, M: SessionManager>(
    listener: TcpListener,
    service: StreamableHttpService<TracedServer<H>, M>,
    serving: Serving,
    shutdown: impl Future<Output = ()>,
    stop_sessions: impl FnOnce(),
) {
    let Serving {
        admission,
        max_connections,
        drain_timeout,
    } = serving;
    let in_flight = Arc::new(InFlight::default());
    let admission = Arc::new(admission);
    let handle = {
        let in_flight = Arc::clone(&in_flight);
        move |mut request: Request<Incoming>, peer| {
            request.extensions_mut().insert(ClientAddress(peer));
            route(
                service.clone(),
                Arc::clone(&admission),
                Arc::clone(&in_flight),
                request,
            )
        }
    };
    let wind_down = async {
        let drained = tokio::time::Instant::now() + drain_timeout;
        let _ = tokio::time::timeout_at(drained, in_flight.idle()).await;
        // A request hyper had begun to read when the shutdown came may reach
        // `route` only now: from here on it is refused with 503, and those
        // that got in first are waited for too, or cancelling the sessions
        // would leave them unanswered (rmcp's 500).
        in_flight.close();
        let _ = tokio::time::timeout_at(drained, in_flight.idle()).await;
        // Only now: cancelling the sessions ends their open event streams
        // (GET), which would otherwise hold their connections open forever,
        // and would abort tool calls still running.
        stop_sessions();
    };
    crate::http_server::serve(
        listener,
        handle,
        shutdown,
        wind_down,
        CLOSE_TIMEOUT,
        max_connections,
    )
    .await;
    // The handlers stopped with their sessions end their spans as they
    // unwind: only then may the caller flush.
    crate::inbound::all_ended(CLOSE_TIMEOUT).await;
}

type RouteResponse = Response<TrackedBody>;

async fn route<H: ServerHandler, M: SessionManager>(
    mut service: StreamableHttpService<TracedServer<H>, M>,
    admission: Arc<Admission>,
    in_flight: Arc<InFlight>,
    request: Request<Incoming>,
) -> Result<RouteResponse, Infallible> {
    // POSTs carry JSON-RPC requests, whose response ends when the request is
    // answered; a GET is a session's open-ended event stream and is not waited
    // for. Counted before anything awaits, and before the check below: the
    // shutdown either waits for this request or sees it refused.
    let guard = (request.method() == Method::POST).then(|| in_flight.enter());
    if in_flight.is_closed() {
        return Ok(unavailable("the server is shutting down"));
    }
    if !path_matches(request.uri().path(), &admission.path) {
        return Ok(plain(StatusCode::NOT_FOUND, "Not Found".into()));
    }
    if let Some(reason) = admission.refusal(&request).await {
        return Ok(unavailable(reason));
    }
    let expired = Arc::new(AtomicBool::new(false));
    let timeout = admission.body_read_timeout;
    let request = request.map(|body| DeadlineBody::new(body, timeout, Arc::clone(&expired)));
    let response = service.call(request).await?;
    if expired.load(Ordering::Relaxed) {
        // rmcp answers any body error with 500; this one is the client's.
        let text = format!("Request Timeout: the request body did not arrive within {timeout:?}");
        return Ok(plain(StatusCode::REQUEST_TIMEOUT, text));
    }
    Ok(response.map(|body| TrackedBody {
        body,
        _guard: guard,
    }))
}

/// `503` with `Retry-After: 1`: a refusal the client may retry at once
/// (elsewhere, or here once a session has closed).
fn unavailable(reason: &str) -> RouteResponse {
    let mut response = plain(
        StatusCode::SERVICE_UNAVAILABLE,
        format!("Service Unavailable: {reason}; retry shortly"),
    );
    let retry = http::HeaderValue::from_static("1");
    response
        .headers_mut()
        .insert(http::header::RETRY_AFTER, retry);
    response
}

fn plain(status: StatusCode, text: String) -> RouteResponse {
    let body = Full::new(Bytes::from(text)).boxed();
    let mut response = Response::new(TrackedBody { body, _guard: None });
    *response.status_mut() = status;
    response
}

/// A request body that must arrive whole within its time: a client that
/// trickles one keeps a connection, a request slot and rmcp's reader busy.
struct DeadlineBody {
    body: Incoming,
    deadline: Pin<Box<tokio::time::Sleep>>,
    timeout: Duration,
    expired: Arc<AtomicBool>,
}

impl DeadlineBody {
    fn new(body: Incoming, timeout: Duration, expired: Arc<AtomicBool>) -> DeadlineBody {
        DeadlineBody {
            body,
            deadline: Box::pin(tokio::time::sleep(timeout)),
            timeout,
            expired,
        }
    }
}

impl Body for DeadlineBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        if let Poll::Ready(frame) = Pin::new(&mut self.body).poll_frame(cx) {
            return Poll::Ready(frame.map(|frame| frame.map_err(std::io::Error::other)));
        }
        match self.deadline.as_mut().poll(cx) {
            Poll::Ready(()) => {
                self.expired.store(true, Ordering::Relaxed);
                Poll::Ready(Some(Err(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    format!("request body not received within {:?}", self.timeout),
                ))))
            }
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

fn path_matches(requested: &str, served: &str) -> bool {
    let served = served.trim_end_matches('/');
    requested == served || requested.strip_suffix('/') == Some(served)
}

/// Counts requests whose response is not yet fully sent.
#[derive(Default)]
struct InFlight {
    count: AtomicUsize,
    changed: Notify,
    /// Set once the drain at shutdown is over: requests are refused.
    closed: AtomicBool,
}

impl InFlight {
    fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
    }

    fn is_closed(&self) -> bool {
        self.closed.load(Ordering::SeqCst)
    }

    fn enter(self: &Arc<Self>) -> InFlightGuard {
        self.count.fetch_add(1, Ordering::SeqCst);
        InFlightGuard(Arc::clone(self))
    }

    async fn idle(&self) {
        loop {
            let changed = self.changed.notified();
            if self.count.load(Ordering::SeqCst) == 0 {
                return;
            }
            changed.await;
        }
    }
}

struct InFlightGuard(Arc<InFlight>);

impl Drop for InFlightGuard {
    fn drop(&mut self) {
        if self.0.count.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.0.changed.notify_waiters();
        }
    }
}

/// A response body that keeps its request counted as in flight until it is
/// fully sent or dropped (client gone).
struct TrackedBody {
    body: BoxBody<Bytes, Infallible>,
    _guard: Option<InFlightGuard>,
}

impl Body for TrackedBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_match_exactly_or_with_a_trailing_slash() {
        assert!(path_matches("/weather", "/weather"));
        assert!(path_matches("/weather/", "/weather"));
        assert!(path_matches("/weather", "/weather/"));
        assert!(!path_matches("/weather/x", "/weather"));
        assert!(!path_matches("/weatherx", "/weather"));
        assert!(!path_matches("/", "/weather"));
        assert!(path_matches("/", "/"));
    }
}
