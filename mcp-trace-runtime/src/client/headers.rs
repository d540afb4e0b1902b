//! Trace context in the HTTP headers of each Streamable HTTP POST.
//!
//! rmcp fixes custom headers per transport and sends from a worker task, so
//! the per-request headers are copied from the message itself by
//! [`TraceHeaders`], a wrapper around the HTTP client.

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use futures_core::stream::BoxStream;
use http::{HeaderName, HeaderValue};
use rmcp::model::{ClientJsonRpcMessage, GetMeta};
use rmcp::transport::streamable_http_client::{
    StreamableHttpClient, StreamableHttpError, StreamableHttpPostResponse,
    StreamableHttpResponseLimits,
};
use serde_json::Value;

use crate::propagation::META_KEYS;

/// A Streamable HTTP client that sends each request's `_meta` trace keys
/// (`traceparent`, `tracestate`, `baggage`) as HTTP headers of its POST too,
/// so servers that read headers (like the seed's) and servers that read
/// `_meta` both find the caller's context. Under a
/// [`TracedTransport`](super::TracedTransport) every request — `initialize`
/// included — carries its CLIENT span's context there.
///
/// ```
/// use mcp_trace_runtime::client::TraceHeaders;
/// let client = TraceHeaders::new(reqwest::Client::new());
/// # let _ = client;
/// ```
#[derive(Debug, Clone)]
pub struct TraceHeaders<C> {
    inner: C,
    standalone: Arc<Standalone>,
}

/// Whether the session's standalone GET stream has been answered.
#[derive(Debug)]
struct Standalone {
    /// A POST carried a session id: rmcp opens the standalone stream.
    session: AtomicBool,
    opened: tokio::sync::watch::Sender<bool>,
}

impl<C> TraceHeaders<C> {
    /// Wraps `inner`.
    pub fn new(inner: C) -> TraceHeaders<C> {
        TraceHeaders {
            inner,
            standalone: Arc::new(Standalone {
                session: AtomicBool::new(false),
                opened: tokio::sync::watch::channel(false).0,
            }),
        }
    }

    /// Completes once the server has answered the session's standalone GET
    /// stream (with a stream or a refusal), at once when the session has no
    /// id (rmcp then opens none). rmcp opens that stream in a task of its
    /// own after `initialize`; waiting for it before the first request keeps
    /// the GET ahead of the requests on the wire, as other SDKs send it
    /// (a server that answers a pending request on the GET stream, like the
    /// conformance suite's SSE-retry scenario, relies on that order).
    pub(crate) async fn standalone_stream_answered(&self) {
        if !self.standalone.session.load(Ordering::Relaxed) {
            return;
        }
        let mut opened = self.standalone.opened.subscribe();
        let _ = opened.wait_for(|opened| *opened).await;
    }

    fn saw_session(&self, session_id: &Option<Arc<str>>) {
        if session_id.is_some() {
            self.standalone.session.store(true, Ordering::Relaxed);
        }
    }

    fn with_trace_headers(
        message: &ClientJsonRpcMessage,
        mut headers: HashMap<HeaderName, HeaderValue>,
    ) -> HashMap<HeaderName, HeaderValue> {
        let ClientJsonRpcMessage::Request(request) = message else {
            return headers;
        };
        let meta = &request.request.get_meta().0 .0;
        for key in META_KEYS {
            let value = meta.get(key).and_then(Value::as_str);
            if let Some(value) = value.and_then(|value| HeaderValue::from_str(value).ok()) {
                headers.insert(HeaderName::from_static(key), value);
            }
        }
        headers
    }
}

impl<C> StreamableHttpClient for TraceHeaders<C>
where
    C: StreamableHttpClient + Sync,
{
    type Error = C::Error;

    fn post_message(
        &self,
        uri: Arc<str>,
        message: ClientJsonRpcMessage,
        session_id: Option<Arc<str>>,
        auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
    ) -> impl Future<Output = Result<StreamableHttpPostResponse, StreamableHttpError<Self::Error>>>
           + Send
           + '_ {
        self.saw_session(&session_id);
        let headers = Self::with_trace_headers(&message, custom_headers);
        self.inner
            .post_message(uri, message, session_id, auth_header, headers)
    }

    fn post_message_with_max_sse_event_size(
        &self,
        uri: Arc<str>,
        message: ClientJsonRpcMessage,
        session_id: Option<Arc<str>>,
        auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
        max_sse_event_size: usize,
    ) -> impl Future<Output = Result<StreamableHttpPostResponse, StreamableHttpError<Self::Error>>>
           + Send
           + '_ {
        self.saw_session(&session_id);
        let headers = Self::with_trace_headers(&message, custom_headers);
        self.inner.post_message_with_max_sse_event_size(
            uri,
            message,
            session_id,
            auth_header,
            headers,
            max_sse_event_size,
        )
    }

    fn post_message_with_response_limits(
        &self,
        uri: Arc<str>,
        message: ClientJsonRpcMessage,
        session_id: Option<Arc<str>>,
        auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
        limits: StreamableHttpResponseLimits,
    ) -> impl Future<Output = Result<StreamableHttpPostResponse, StreamableHttpError<Self::Error>>>
           + Send
           + '_ {
        self.saw_session(&session_id);
        let headers = Self::with_trace_headers(&message, custom_headers);
        self.inner.post_message_with_response_limits(
            uri,
            message,
            session_id,
            auth_header,
            headers,
            limits,
        )
    }

    fn delete_session(
        &self,
        uri: Arc<str>,
        session_id: Arc<str>,
        auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
    ) -> impl Future<Output = Result<(), StreamableHttpError<Self::Error>>> + Send + '_ {
        self.inner
            .delete_session(uri, session_id, auth_header, custom_headers)
    }

    fn get_stream(
        &self,
        uri: Arc<str>,
        session_id: Option<Arc<str>>,
        last_event_id: Option<String>,
        auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
    ) -> impl Future<
        Output = Result<
            BoxStream<'static, Result<sse_stream::Sse, sse_stream::Error>>,
            StreamableHttpError<Self::Error>,
        >,
    > + Send
           + '_ {
        let standalone = last_event_id.is_none().then(|| self.standalone.clone());
        let stream =
            self.inner
                .get_stream(uri, session_id, last_event_id, auth_header, custom_headers);
        async move {
            let stream = stream.await;
            if let Some(standalone) = standalone {
                standalone.opened.send_replace(true);
            }
            stream
        }
    }

    fn get_stream_with_max_sse_event_size(
        &self,
        uri: Arc<str>,
        session_id: Option<Arc<str>>,
        last_event_id: Option<String>,
        auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
        max_sse_event_size: usize,
    ) -> impl Future<
        Output = Result<
            BoxStream<'static, Result<sse_stream::Sse, sse_stream::Error>>,
            StreamableHttpError<Self::Error>,
        >,
    > + Send
           + '_ {
        let standalone = last_event_id.is_none().then(|| self.standalone.clone());
        let stream = self.inner.get_stream_with_max_sse_event_size(
            uri,
            session_id,
            last_event_id,
            auth_header,
            custom_headers,
            max_sse_event_size,
        );
        async move {
            let stream = stream.await;
            if let Some(standalone) = standalone {
                standalone.opened.send_replace(true);
            }
            stream
        }
    }
}
