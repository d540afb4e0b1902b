//! The one rule for the caller's trace context.
//!
//! An MCP request can carry a context in two places: its `params._meta`
//! (SEP-414, every transport) and, on Streamable HTTP, the headers of the
//! POST that carried it. The rule, used by the SERVER span, by
//! `#[with_otel_headers]`, by `#[observe]` inside a served request and by
//! [`ServedRequest::caller_context`](crate::scope::ServedRequest::caller_context):
//!
//! 1. `_meta` wins when it holds a valid context (the MCP conventions say so);
//!    the headers are used when it does not.
//! 2. When both hold one and they differ, the headers' context becomes a span
//!    link, and also an attribute `mcp_trace.link.http_headers.traceparent`
//!    (Langfuse drops links).
//! 3. Under the `link` trust policy (`MCP_TRACE_INBOUND_CONTEXT=link`) the
//!    caller's context is never a parent: the span starts a new trace, linked
//!    to the caller (and `mcp_trace.link.meta.traceparent` /
//!    `…http_headers.traceparent` say so), and the caller's baggage and
//!    sampling decision are dropped.
//!
//! ```
//! use mcp_trace_runtime::caller::Caller;
//! use opentelemetry::trace::TraceContextExt;
//!
//! mcp_trace_runtime::propagation::install_default_propagators();
//! let meta = serde_json::json!({
//!     "traceparent": "00-11111111111111111111111111111111-1111111111111111-01"
//! });
//! let mut headers = http::HeaderMap::new();
//! headers.insert(
//!     "traceparent",
//!     "00-22222222222222222222222222222222-2222222222222222-01".parse().unwrap(),
//! );
//! let caller = Caller::choose(meta.as_object(), Some(&headers));
//! assert_eq!(
//!     caller.parent().span().span_context().trace_id().to_string(),
//!     "11111111111111111111111111111111",
//!     "_meta wins"
//! );
//! assert_eq!(caller.links().len(), 1, "the headers' context is linked");
//! ```

use http::HeaderMap;
use opentelemetry::trace::{SpanContext, TraceContextExt, TraceId};
use opentelemetry::{Context, KeyValue};
use serde_json::{Map, Value};

use crate::propagation;
use crate::settings::{self, InboundContext};

const TRACEPARENT: &str = "traceparent";

/// Prefix of the attributes that name a linked context by its carrier.
pub const LINK_ATTRIBUTE_PREFIX: &str = "mcp_trace.link.";

/// Where a context came from.
///
/// More variants may be added: a `match` on it needs a `_` arm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Carrier {
    /// The request's `params._meta`.
    Meta,
    /// The HTTP headers of the POST that carried it.
    HttpHeaders,
}

impl Carrier {
    fn link_attribute(self) -> &'static str {
        match self {
            Carrier::Meta => "mcp_trace.link.meta.traceparent",
            Carrier::HttpHeaders => "mcp_trace.link.http_headers.traceparent",
        }
    }
}

/// The caller's context as the rule chose it: the parent to start in, the
/// links to add, and the attributes that describe those links.
#[derive(Debug, Clone, Default)]
pub struct Caller {
    parent: Context,
    links: Vec<(Carrier, SpanContext)>,
}

impl Caller {
    /// Applies the rule to what a request carried, under the process's trust
    /// policy.
    pub fn choose(meta: Option<&Map<String, Value>>, headers: Option<&HeaderMap>) -> Caller {
        Caller::choose_under(settings::inbound_context(), meta, headers)
    }

    /// Applies the rule under `policy`.
    pub fn choose_under(
        policy: InboundContext,
        meta: Option<&Map<String, Value>>,
        headers: Option<&HeaderMap>,
    ) -> Caller {
        let remote = |cx: Context| propagation::has_remote_parent(&cx).then_some(cx);
        let from_meta = meta.and_then(|meta| remote(propagation::extract_from_meta(meta)));
        // A client like ours sends the same `traceparent` in both: then the
        // headers can only repeat what `_meta` said, and need no extraction.
        let same_traceparent = from_meta.is_some()
            && match (meta, headers) {
                (Some(meta), Some(headers)) => {
                    let in_meta = meta.get(TRACEPARENT).and_then(Value::as_str);
                    let in_headers = headers.get(TRACEPARENT).and_then(|v| v.to_str().ok());
                    in_meta.is_some() && in_meta == in_headers
                }
                _ => false,
            };
        let from_headers = headers
            .filter(|_| !same_traceparent)
            .and_then(|headers| remote(propagation::extract_from_headers(headers)));
        let (winner, loser) = match (from_meta, from_headers) {
            (Some(meta), Some(headers)) => {
                let differs = span_context(&meta) != span_context(&headers);
                let loser = differs.then(|| (Carrier::HttpHeaders, span_context(&headers)));
                (Some((Carrier::Meta, meta)), loser)
            }
            (Some(meta), None) => (Some((Carrier::Meta, meta)), None),
            (None, Some(headers)) => (Some((Carrier::HttpHeaders, headers)), None),
            (None, None) => (None, None),
        };
        match (policy, winner) {
            (_, None) => Caller::default(),
            (InboundContext::Parent, Some((_, parent))) => Caller {
                parent,
                links: loser.into_iter().collect(),
            },
            (InboundContext::Link, Some((carrier, caller))) => Caller {
                // Neither the caller's trace, its sampling decision nor its
                // baggage is taken over.
                parent: Context::new(),
                links: std::iter::once((carrier, span_context(&caller)))
                    .chain(loser)
                    .collect(),
            },
        }
    }

    /// The context a span for this request starts in: the caller's, or an
    /// empty one (no context sent, or the `link` policy).
    pub fn parent(&self) -> &Context {
        &self.parent
    }

    /// Whether the caller's context is the parent (a valid remote span).
    pub fn has_remote_parent(&self) -> bool {
        propagation::has_remote_parent(&self.parent)
    }

    /// The trace the parent belongs to, when there is a parent.
    pub fn trace_id(&self) -> Option<TraceId> {
        self.has_remote_parent()
            .then(|| self.parent.span().span_context().trace_id())
    }

    /// The contexts to link, with where each came from.
    pub fn links(&self) -> &[(Carrier, SpanContext)] {
        &self.links
    }

    /// The links as span contexts, for a span builder.
    pub fn link_contexts(&self) -> Vec<SpanContext> {
        self.links.iter().map(|(_, cx)| cx.clone()).collect()
    }

    /// `mcp_trace.link.{meta,http_headers}.traceparent` for each link.
    pub fn link_attributes(&self) -> Vec<KeyValue> {
        self.links
            .iter()
            .map(|(carrier, cx)| KeyValue::new(carrier.link_attribute(), traceparent(cx)))
            .collect()
    }
}

fn span_context(cx: &Context) -> SpanContext {
    cx.span().span_context().clone()
}

fn traceparent(cx: &SpanContext) -> String {
    format!(
        "00-{}-{}-{:02x}",
        cx.trace_id(),
        cx.span_id(),
        cx.trace_flags().to_u8()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const META: &str = "00-11111111111111111111111111111111-1111111111111111-01";
    const HEADERS: &str = "00-22222222222222222222222222222222-2222222222222222-01";

    fn carriers(meta: Option<&str>, headers: Option<&str>) -> (Map<String, Value>, HeaderMap) {
        propagation::install_default_propagators();
        let mut map = Map::new();
        if let Some(meta) = meta {
            map.insert("traceparent".into(), meta.into());
            map.insert("baggage".into(), "user.id=eve".into());
        }
        let mut header_map = HeaderMap::new();
        if let Some(headers) = headers {
            header_map.insert("traceparent", headers.parse().unwrap());
        }
        (map, header_map)
    }

    fn trace(caller: &Caller) -> String {
        caller.parent().span().span_context().trace_id().to_string()
    }

    #[test]
    fn meta_wins_and_differing_headers_become_a_link() {
        let (meta, headers) = carriers(Some(META), Some(HEADERS));
        let caller = Caller::choose_under(InboundContext::Parent, Some(&meta), Some(&headers));
        assert_eq!(trace(&caller), "11111111111111111111111111111111");
        assert_eq!(caller.links().len(), 1);
        assert_eq!(caller.links()[0].0, Carrier::HttpHeaders);
        assert_eq!(
            caller.link_attributes(),
            vec![KeyValue::new(
                "mcp_trace.link.http_headers.traceparent",
                HEADERS
            )]
        );
    }

    #[test]
    fn equal_carriers_make_no_link_and_headers_serve_alone() {
        let (meta, headers) = carriers(Some(META), Some(META));
        let caller = Caller::choose_under(InboundContext::Parent, Some(&meta), Some(&headers));
        assert!(caller.links().is_empty());
        let (_, headers) = carriers(None, Some(HEADERS));
        let caller = Caller::choose_under(InboundContext::Parent, None, Some(&headers));
        assert_eq!(trace(&caller), "22222222222222222222222222222222");
        let caller = Caller::choose_under(InboundContext::Parent, None, None);
        assert!(!caller.has_remote_parent());
    }

    #[test]
    fn the_link_policy_never_adopts_the_caller_nor_its_baggage() {
        use opentelemetry::baggage::BaggageExt;
        let (meta, headers) = carriers(Some(META), Some(HEADERS));
        let caller = Caller::choose_under(InboundContext::Link, Some(&meta), Some(&headers));
        assert!(!caller.has_remote_parent());
        assert!(caller.parent().baggage().is_empty());
        let linked: Vec<String> = caller
            .links()
            .iter()
            .map(|(_, cx)| cx.trace_id().to_string())
            .collect();
        assert_eq!(
            linked,
            [
                "11111111111111111111111111111111",
                "22222222222222222222222222222222"
            ]
        );
    }
}
