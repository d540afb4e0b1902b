//! The request being served: a task-local that code deep inside a handler can
//! read to reach its caller (headers, `_meta`, method, ids) — what
//! `get_http_headers()` is in FastMCP.
//!
//! It is a `tokio::task_local!`, so it survives every `.await` of the handler
//! and is invisible to other tasks: two concurrent requests never see each
//! other's values. The MCP server sets it around each dispatched request; the
//! [`RequestScopeLayer`] sets it around any hyper/axum/tower HTTP service.

use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};

use http::HeaderMap;
use opentelemetry::context::{FutureExt as _, WithContext};
use opentelemetry::trace::{SpanContext, TraceContextExt, TraceId};
use opentelemetry::{Context, ContextGuard, KeyValue};
use serde_json::{Map, Value};
use tokio::task::futures::TaskLocalFuture;

use crate::caller::Caller;
use crate::settings::{self, InboundContext};

/// Header carrying the MCP session id on Streamable HTTP.
pub const MCP_SESSION_ID_HEADER: &str = "mcp-session-id";

tokio::task_local! {
    static SERVED: Arc<ServedRequest>;
}

/// What is known about the request a task is serving.
///
/// ```
/// use mcp_trace_runtime::scope::ServedRequest;
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let mut request = ServedRequest::default();
/// request.method = Some("tools/call".into());
/// let method = request
///     .scope(async { ServedRequest::with_current(|r| r.and_then(|r| r.method.clone())) })
///     .await;
/// assert_eq!(method.as_deref(), Some("tools/call"));
/// assert!(ServedRequest::current().is_none(), "nothing outside the scope");
/// # });
/// ```
///
/// It may gain fields: start from [`ServedRequest::default`] or [`ServedRequest::from_headers`] and assign the fields to set.
#[derive(Clone, Default)]
#[non_exhaustive]
pub struct ServedRequest {
    /// HTTP headers of the request (empty on stdio).
    pub headers: HeaderMap,
    /// MCP `params._meta`, when the request had one.
    pub meta: Option<Map<String, Value>>,
    /// MCP method, e.g. `tools/call`.
    pub method: Option<String>,
    /// JSON-RPC request id, as text.
    pub request_id: Option<String>,
    /// MCP session id.
    pub session_id: Option<String>,
    /// The span the server opened for this request, when it opened one; code
    /// that adopts the caller's context keeps this span instead, so the request
    /// never gets a second parent.
    pub server_context: Option<Context>,
    /// The client that sent the request, when a traced server serves it:
    /// what [`BackChannel`](crate::server::BackChannel) sends back to.
    pub peer: Option<rmcp::Peer<rmcp::RoleServer>>,
    /// How the request arrived.
    pub transport: Option<crate::conventions::Transport>,
    /// The logging level the client set for this session
    /// (`logging/setLevel`), which [`BackChannel::log`](crate::server::BackChannel::log)
    /// honours.
    pub log_level: Option<ClientLogLevel>,
    /// The caller's context once [the rule](crate::caller) has chosen it:
    /// leave it default and it is chosen on first use, from `meta` and
    /// `headers`, once per request (a request changed after that keeps its
    /// first choice: build a new one instead).
    pub caller_choice: CallerChoice,
}

/// The caller's context of one request, chosen once: on first use, or
/// handed over by the layer that chose it already to open the request's
/// span ([`CallerChoice::chosen`]). Extracting a context costs microseconds
/// (the propagators parse `traceparent`, `tracestate` and `baggage`), and a
/// call asks for it more than once.
///
/// ```
/// use mcp_trace_runtime::caller::Caller;
/// use mcp_trace_runtime::scope::{CallerChoice, ServedRequest};
/// let mut request = ServedRequest::default();
/// request.caller_choice = CallerChoice::chosen(Caller::default());
/// assert!(!request.caller().has_remote_parent());
/// ```
#[derive(Clone, Default)]
pub struct CallerChoice(std::sync::OnceLock<Caller>);

impl CallerChoice {
    /// A choice already made.
    pub fn chosen(caller: Caller) -> CallerChoice {
        CallerChoice(std::sync::OnceLock::from(caller))
    }
}

impl fmt::Debug for CallerChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.get() {
            Some(caller) => f.debug_tuple("CallerChoice").field(caller).finish(),
            None => f.write_str("CallerChoice(not chosen yet)"),
        }
    }
}

impl ServedRequest {
    /// A request known by its HTTP headers; the session id is taken from the
    /// `mcp-session-id` header.
    pub fn from_headers(headers: HeaderMap) -> ServedRequest {
        let session_id = headers
            .get(MCP_SESSION_ID_HEADER)
            .and_then(|value| value.to_str().ok())
            .map(str::to_string);
        ServedRequest {
            headers,
            session_id,
            ..ServedRequest::default()
        }
    }

    /// Runs `future` with this request as the current one.
    pub fn scope<F: Future>(self, future: F) -> TaskLocalFuture<Arc<ServedRequest>, F> {
        SERVED.scope(Arc::new(self), future)
    }

    /// Runs `f` synchronously with this request as the current one.
    pub fn sync_scope<R>(self, f: impl FnOnce() -> R) -> R {
        SERVED.sync_scope(Arc::new(self), f)
    }

    /// The request the current task is serving, if any.
    pub fn current() -> Option<Arc<ServedRequest>> {
        SERVED.try_with(Arc::clone).ok()
    }

    /// Calls `f` with the current request without cloning it.
    pub fn with_current<R>(f: impl FnOnce(Option<&ServedRequest>) -> R) -> R {
        let mut f = Some(f);
        match SERVED.try_with(|request| (f.take().expect("called once"))(Some(request))) {
            Ok(result) => result,
            Err(_) => (f.take().expect("not called yet"))(None),
        }
    }

    /// The caller's context as [the rule](crate::caller) chooses it from
    /// this request's `_meta` and headers, under the process's trust policy
    /// (chosen once per request, see [`CallerChoice`]).
    pub fn caller(&self) -> &Caller {
        self.caller_choice
            .0
            .get_or_init(|| Caller::choose(self.meta.as_ref(), Some(&self.headers)))
    }

    /// The caller's trace context: from `_meta` when it carries one, else
    /// from the HTTP headers; a new root when neither does or when the trust
    /// policy is `link` (see [`crate::caller`]).
    pub fn caller_context(&self) -> Context {
        self.caller().parent().clone()
    }

    /// Whether a span of trace `trace_id` belongs to this request: the trace
    /// of the server's own span, or of the caller.
    fn is_this_call(&self, trace_id: TraceId) -> bool {
        let server_trace = self
            .server_context
            .as_ref()
            .map(|cx| cx.span().span_context().trace_id());
        server_trace == Some(trace_id) || self.caller().trace_id() == Some(trace_id)
    }

    /// Claims the server's span for the observation about to start in `current`:
    /// true once, and only while that span itself is the current one (the
    /// tool's own `#[observe]`, not a helper below it).
    fn claim_server_span(&self, current: &SpanContext) -> Option<Context> {
        let server = self.server_context.as_ref()?;
        let is_current = server.span().span_context().span_id() == current.span_id();
        let claimed = is_current
            && server
                .get::<Arc<ObservationClaim>>()
                .is_some_and(|claim| claim.claim());
        claimed.then(|| server.clone())
    }
}

/// Marks a server span as already carrying an observation, so exactly one
/// `#[observe]` — the first one opened directly in it, the tool's own —
/// enriches it; every other one opens a child span.
#[derive(Debug, Default)]
pub struct ObservationClaim(AtomicBool);

impl ObservationClaim {
    /// True for the first caller only.
    ///
    /// ```
    /// let claim = mcp_trace_runtime::scope::ObservationClaim::default();
    /// assert!(claim.claim());
    /// assert!(!claim.claim());
    /// ```
    pub fn claim(&self) -> bool {
        !self.0.swap(true, Ordering::Relaxed)
    }
}

/// Where an observation opened in the current task goes.
#[derive(Debug)]
pub(crate) enum ObservationSite {
    /// On the request's SERVER span, which the server ends.
    ServerSpan(Context),
    /// A new span under `parent`, with `links` described by `attributes`.
    ChildOf {
        parent: Context,
        links: Vec<SpanContext>,
        attributes: Vec<KeyValue>,
    },
}

/// Decides where an observation starts. Inside a served request: on the
/// SERVER span when it is current and unclaimed; under the current span when
/// that span belongs to this call (or, unless `adopt_caller`, to anything);
/// else where the caller's context says. Outside a request: under the current
/// context.
pub(crate) fn observation_site(adopt_caller: bool) -> ObservationSite {
    let current = Context::current();
    let child_of_current = |current: Context| ObservationSite::ChildOf {
        parent: current,
        links: Vec::new(),
        attributes: Vec::new(),
    };
    ServedRequest::with_current(|request| {
        let Some(request) = request else {
            return child_of_current(current);
        };
        let span = current.span();
        // Borrowed: a clone copies the trace state, member by member.
        let active = span.span_context();
        if let Some(server) = request.claim_server_span(active) {
            return ObservationSite::ServerSpan(server);
        }
        let local_span = active.is_valid() && !active.is_remote();
        // Under `link` the caller's context is never adopted, so any local
        // span active in the request's task was started for this call.
        let keep = !adopt_caller
            || settings::inbound_context() == InboundContext::Link
            || request.is_this_call(active.trace_id());
        if local_span && keep {
            return child_of_current(current);
        }
        let caller = request.caller();
        ObservationSite::ChildOf {
            parent: caller.parent().clone(),
            links: caller.link_contexts(),
            attributes: caller.link_attributes(),
        }
    })
}

impl fmt::Debug for ServedRequest {
    // Header values may be the caller's credentials: show names only.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServedRequest")
            .field("headers", &self.headers.keys().collect::<Vec<_>>())
            .field("meta", &self.meta)
            .field("method", &self.method)
            .field("request_id", &self.request_id)
            .field("session_id", &self.session_id)
            .finish_non_exhaustive()
    }
}

/// The context `#[with_otel_headers]` runs a body in: the caller's, chosen
/// by [the one rule](crate::caller) from the request being served.
///
/// `None` — keep the current context — outside any request, when the caller
/// sent no valid context, under the `link` trust policy (an untrusted
/// caller's context never becomes a parent), or when the current span
/// already belongs to this call (the server's span, the tool's observation,
/// any span under them): a helper called from a tool stays under it.
///
/// ```
/// assert!(mcp_trace_runtime::scope::caller_context().is_none(), "no request, no change");
/// ```
pub fn caller_context() -> Option<Context> {
    if settings::inbound_context() == InboundContext::Link {
        return None;
    }
    ServedRequest::with_current(|request| {
        let request = request?;
        let in_this_call = Context::map_current(|cx| {
            let active = cx.span().span_context().clone();
            active.is_valid() && !active.is_remote() && request.is_this_call(active.trace_id())
        });
        if in_this_call {
            return None;
        }
        let caller = request.caller();
        caller.has_remote_parent().then(|| caller.parent().clone())
    })
}

/// Wraps `future` so it runs with the current request scope and trace
/// context, wherever it is polled: for work a handler spawns (a spawned task
/// inherits neither).
///
/// ```
/// use mcp_trace_runtime::scope::{bind_current, ServedRequest};
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let mut request = ServedRequest::default();
/// request.method = Some("tools/call".into());
/// let method = request
///     .scope(async {
///         let task = tokio::spawn(bind_current(async {
///             ServedRequest::current().and_then(|r| r.method.clone())
///         }));
///         task.await.unwrap()
///     })
///     .await;
/// assert_eq!(method.as_deref(), Some("tools/call"));
/// # });
/// ```
pub fn bind_current<F: Future>(future: F) -> impl Future<Output = F::Output> {
    let request = ServedRequest::current();
    async move {
        match request {
            Some(request) => SERVED.scope(request, future).await,
            None => future.await,
        }
    }
    .with_context(Context::current())
}

/// Attaches [`caller_context`] until the guard drops (sync bodies).
pub fn enter_caller_context() -> Option<ContextGuard> {
    caller_context().map(Context::attach)
}

/// Runs `future` in [`caller_context`], attached on each poll (async bodies).
/// `T` is spelled out by `#[with_otel_headers]` so that `?` in the body infers.
pub fn in_caller_context<T, F: Future<Output = T>>(future: F) -> WithContext<F> {
    future.with_context(caller_context().unwrap_or_else(Context::current))
}

/// A tower layer that makes each HTTP request the [`ServedRequest`] of its
/// handler.
///
/// ```
/// use mcp_trace_runtime::scope::{RequestScopeLayer, ServedRequest};
/// use tower::{Layer, Service, ServiceExt};
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let handler = tower::service_fn(|_request: http::Request<()>| async {
///     let session = ServedRequest::current().and_then(|r| r.session_id.clone());
///     Ok::<_, std::convert::Infallible>(session)
/// });
/// let mut service = RequestScopeLayer.layer(handler);
/// let request = http::Request::builder().header("mcp-session-id", "s-42").body(()).unwrap();
/// let session = service.ready().await.unwrap().call(request).await.unwrap();
/// assert_eq!(session.as_deref(), Some("s-42"));
/// # });
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct RequestScopeLayer;

impl<S> tower_layer::Layer<S> for RequestScopeLayer {
    type Service = RequestScope<S>;

    fn layer(&self, inner: S) -> RequestScope<S> {
        RequestScope { inner }
    }
}

/// The service made by [`RequestScopeLayer`].
#[derive(Debug, Clone)]
pub struct RequestScope<S> {
    inner: S,
}

impl<S, B> tower_service::Service<http::Request<B>> for RequestScope<S>
where
    S: tower_service::Service<http::Request<B>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = TaskLocalFuture<Arc<ServedRequest>, S::Future>;

    fn poll_ready(&mut self, cx: &mut TaskContext<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let served = ServedRequest::from_headers(request.headers().clone());
        served.scope(self.inner.call(request))
    }
}

/// The logging level a client set for its session with `logging/setLevel`,
/// shared by every request of that session; unset until it does (and then
/// every level is sent, as the TypeScript SDK does).
///
/// [`TracedServer`](crate::server::TracedServer) keeps one per session and
/// records what the client sets, whatever the handler does with it.
///
/// ```
/// use mcp_trace_runtime::scope::ClientLogLevel;
/// use rmcp::model::LoggingLevel;
///
/// let level = ClientLogLevel::default();
/// assert!(level.allows(LoggingLevel::Debug));
/// level.set(LoggingLevel::Warning);
/// assert!(!level.allows(LoggingLevel::Info));
/// assert!(level.allows(LoggingLevel::Error));
/// ```
#[derive(Debug, Clone, Default)]
pub struct ClientLogLevel(Arc<std::sync::atomic::AtomicU8>);

#[allow(deprecated)] // rmcp deprecates logging (SEP-2577) but still routes it.
impl ClientLogLevel {
    /// Records the level the client asked for.
    pub fn set(&self, level: rmcp::model::LoggingLevel) {
        self.0
            .store(severity(level) + 1, std::sync::atomic::Ordering::Relaxed);
    }

    /// The level set, if any.
    pub fn get(&self) -> Option<rmcp::model::LoggingLevel> {
        use rmcp::model::LoggingLevel::*;
        let levels = [
            Debug, Info, Notice, Warning, Error, Critical, Alert, Emergency,
        ];
        match self.0.load(std::sync::atomic::Ordering::Relaxed) {
            0 => None,
            stored => levels.get(usize::from(stored - 1)).copied(),
        }
    }

    /// Whether a message at `level` goes to the client.
    pub fn allows(&self, level: rmcp::model::LoggingLevel) -> bool {
        self.get()
            .is_none_or(|threshold| severity(level) >= severity(threshold))
    }
}

/// RFC 5424 order, least severe first.
#[allow(deprecated)]
fn severity(level: rmcp::model::LoggingLevel) -> u8 {
    use rmcp::model::LoggingLevel::*;
    match level {
        Debug => 0,
        Info => 1,
        Notice => 2,
        Warning => 3,
        Error => 4,
        Critical => 5,
        Alert => 6,
        Emergency => 7,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::propagation;
    use std::time::Duration;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_requests_never_see_each_other() {
        let tasks: Vec<_> = (0..200)
            .map(|i| {
                tokio::spawn(async move {
                    let request = ServedRequest {
                        request_id: Some(i.to_string()),
                        ..ServedRequest::default()
                    };
                    request
                        .scope(async move {
                            for step in 0..5u64 {
                                tokio::time::sleep(Duration::from_micros((i * 7 + step) % 50))
                                    .await;
                                tokio::task::yield_now().await;
                                let seen = ServedRequest::current().unwrap().request_id.clone();
                                assert_eq!(seen, Some(i.to_string()));
                            }
                            i
                        })
                        .await
                })
            })
            .collect();
        for (i, task) in tasks.into_iter().enumerate() {
            assert_eq!(task.await.unwrap(), i as u64);
        }
        assert!(ServedRequest::current().is_none());
    }

    #[test]
    fn sync_scope_and_from_headers() {
        let mut headers = HeaderMap::new();
        headers.insert(MCP_SESSION_ID_HEADER, "abc".parse().unwrap());
        headers.insert("authorization", "Bearer secret-token".parse().unwrap());
        let request = ServedRequest::from_headers(headers);
        assert!(!format!("{request:?}").contains("secret-token"));
        let session =
            request.sync_scope(|| ServedRequest::with_current(|r| r.unwrap().session_id.clone()));
        assert_eq!(session.as_deref(), Some("abc"));
        assert!(ServedRequest::with_current(|r| r.is_none()));
    }

    #[test]
    fn the_span_the_server_opened_is_kept_not_parented_twice() {
        use opentelemetry::trace::{SpanContext, SpanId, TraceFlags, TraceId, TraceState};
        propagation::install_default_propagators();
        let mut headers = HeaderMap::new();
        headers.insert(
            "traceparent",
            "00-11111111111111111111111111111111-1111111111111111-01"
                .parse()
                .unwrap(),
        );
        let server_span = SpanContext::new(
            TraceId::from_hex("11111111111111111111111111111111").unwrap(),
            SpanId::from_hex("2222222222222222").unwrap(),
            TraceFlags::SAMPLED,
            false,
            TraceState::default(),
        );
        let server_context = Context::new().with_remote_span_context(server_span);
        let request = ServedRequest {
            server_context: Some(server_context.clone()),
            ..ServedRequest::from_headers(headers)
        };
        request.sync_scope(|| {
            // Inside the server's span: keep it.
            let _attached = server_context.clone().attach();
            assert!(caller_context().is_none());
            drop(_attached);
            // Under any other span of this call (same trace, local): keep it.
            let helper = SpanContext::new(
                TraceId::from_hex("11111111111111111111111111111111").unwrap(),
                SpanId::from_hex("3333333333333333").unwrap(),
                TraceFlags::SAMPLED,
                false,
                TraceState::default(),
            );
            let _attached = Context::new().with_remote_span_context(helper).attach();
            assert!(caller_context().is_none());
            drop(_attached);
            // Outside any span of the call: adopt the caller.
            let caller = caller_context().expect("the caller's context");
            assert_eq!(
                caller.span().span_context().span_id().to_string(),
                "1111111111111111"
            );
        });
    }

    #[test]
    fn caller_context_prefers_meta_then_headers() {
        use opentelemetry::trace::TraceContextExt;
        propagation::install_default_propagators();
        let header_parent = "00-11111111111111111111111111111111-1111111111111111-01";
        let meta_parent = "00-22222222222222222222222222222222-2222222222222222-01";
        // The choice is made once per request: each case is a new request.
        let trace = |meta: Option<serde_json::Value>| {
            let mut request = ServedRequest::default();
            request
                .headers
                .insert("traceparent", header_parent.parse().unwrap());
            request.meta = meta.and_then(|meta| meta.as_object().cloned());
            request
                .caller_context()
                .span()
                .span_context()
                .trace_id()
                .to_string()
        };
        assert_eq!(trace(None), "11111111111111111111111111111111");
        let meta = serde_json::json!({ "traceparent": meta_parent });
        assert_eq!(trace(Some(meta)), "22222222222222222222222222222222");
        let junk = serde_json::json!({ "traceparent": "junk" });
        assert_eq!(trace(Some(junk)), "11111111111111111111111111111111");
    }
}
