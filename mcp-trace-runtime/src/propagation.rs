//! Moving trace context in and out of HTTP headers and MCP `_meta`.
//!
//! Everything goes through the global propagator installed from
//! `OTEL_PROPAGATORS` (default `tracecontext,baggage`). Input from the network
//! is bounded before a propagator sees it: an oversized or malformed
//! `traceparent`, `tracestate` or `baggage` is ignored, so the caller simply
//! gets a new root — extraction never fails and never panics.

use http::header::{HeaderMap, HeaderName, HeaderValue};
use opentelemetry::propagation::{Extractor, Injector, TextMapCompositePropagator};
use opentelemetry::trace::TraceContextExt;
use opentelemetry::Context;
use opentelemetry_sdk::propagation::{BaggagePropagator, TraceContextPropagator};
use serde_json::{Map, Value};

use crate::config::Propagator;
use crate::settings::{self, Mode};

/// Longest value accepted for one context key, in bytes. W3C caps baggage at
/// 8192 bytes and asks vendors to keep `tracestate` within 512; anything longer
/// is hostile or broken and is dropped.
pub const MAX_CONTEXT_VALUE_LEN: usize = 8192;

/// The `_meta` keys MCP reserves for trace context (SEP-414).
pub const META_KEYS: [&str; 3] = ["traceparent", "tracestate", "baggage"];

/// Installs the global propagator for `propagators`; `off` installs none, so
/// nothing is injected or extracted.
pub(crate) fn install_propagators(propagators: &[Propagator], mode: Mode) {
    let propagators: Vec<Box<dyn opentelemetry::propagation::TextMapPropagator + Send + Sync>> =
        if mode == Mode::Off {
            Vec::new()
        } else {
            propagators
                .iter()
                .map(|propagator| match propagator {
                    Propagator::TraceContext => Box::new(TraceContextPropagator::new()) as _,
                    Propagator::Baggage => Box::new(BaggagePropagator::new()) as _,
                })
                .collect()
        };
    opentelemetry::global::set_text_map_propagator(TextMapCompositePropagator::new(propagators));
}

/// The caller's context from HTTP request headers (a new root when there is none).
///
/// ```
/// use opentelemetry::trace::TraceContextExt;
/// mcp_trace_runtime::propagation::install_default_propagators();
/// let mut headers = http::HeaderMap::new();
/// headers.insert(
///     "traceparent",
///     "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".parse().unwrap(),
/// );
/// let cx = mcp_trace_runtime::propagation::extract_from_headers(&headers);
/// assert_eq!(
///     cx.span().span_context().trace_id().to_string(),
///     "4bf92f3577b34da6a3ce929d0e0e4736"
/// );
/// ```
pub fn extract_from_headers(headers: &HeaderMap) -> Context {
    extract(&BoundedHeaders(headers))
}

/// The caller's context from an MCP request's `params._meta` object.
///
/// ```
/// use opentelemetry::trace::TraceContextExt;
/// mcp_trace_runtime::propagation::install_default_propagators();
/// let meta = serde_json::json!({
///     "traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
/// });
/// let cx = mcp_trace_runtime::propagation::extract_from_meta(meta.as_object().unwrap());
/// assert!(cx.span().span_context().is_remote());
/// ```
pub fn extract_from_meta(meta: &Map<String, Value>) -> Context {
    extract(&BoundedMeta(meta))
}

/// Writes `cx` into HTTP headers (replacing any earlier trace headers).
///
/// ```
/// use opentelemetry::trace::{SpanContext, SpanId, TraceContextExt, TraceFlags, TraceId, TraceState};
/// mcp_trace_runtime::propagation::install_default_propagators();
/// let span = SpanContext::new(
///     TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736").unwrap(),
///     SpanId::from_hex("00f067aa0ba902b7").unwrap(),
///     TraceFlags::SAMPLED, false, TraceState::default(),
/// );
/// let cx = opentelemetry::Context::new().with_remote_span_context(span);
/// let mut headers = http::HeaderMap::new();
/// mcp_trace_runtime::propagation::inject_into_headers(&cx, &mut headers);
/// assert_eq!(headers["traceparent"], "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
/// ```
pub fn inject_into_headers(cx: &Context, headers: &mut HeaderMap) {
    if settings::mode() == Mode::Off {
        return;
    }
    opentelemetry::global::get_text_map_propagator(|propagator| {
        propagator.inject_context(cx, &mut HeaderInjector(headers))
    });
}

/// Writes `cx` into an MCP `_meta` object (the reserved keys only; other
/// entries are kept).
pub fn inject_into_meta(cx: &Context, meta: &mut Map<String, Value>) {
    if settings::mode() == Mode::Off {
        return;
    }
    opentelemetry::global::get_text_map_propagator(|propagator| {
        propagator.inject_context(cx, &mut MetaInjector(meta))
    });
}

/// True when `cx` carries a valid span context received from another process.
pub fn has_remote_parent(cx: &Context) -> bool {
    let span = cx.span();
    let span_context = span.span_context();
    span_context.is_valid() && span_context.is_remote()
}

/// The context of `span`, started as a child of `parent`. When `parent`
/// came from another process, the context remembers that `span` is this
/// process's first span of the trace, so that trace-level updates made in it
/// never land on a span whose parent is remote (see
/// [`crate::current::update_current_trace`]).
pub fn child_context<S>(parent: &Context, span: S) -> Context
where
    S: opentelemetry::trace::Span + Send + Sync + 'static,
{
    if has_remote_parent(parent) {
        let id = span.span_context().span_id();
        parent.with_span(span).with_value(FirstLocalSpan(id))
    } else {
        parent.with_span(span)
    }
}

/// True when the span in `cx` was started directly under a remote parent.
pub fn span_has_remote_parent(cx: &Context) -> bool {
    cx.get::<FirstLocalSpan>()
        .is_some_and(|first| first.0 == cx.span().span_context().span_id())
}

/// Marks the span whose parent is remote (see [`child_context`]).
struct FirstLocalSpan(opentelemetry::trace::SpanId);

/// `cx` with `user.id` / `session.id` in its baggage: every span started in
/// it — in this process and, through propagation, in the servers it calls —
/// carries them as attributes, which Langfuse uses to group traces.
///
/// ```
/// use opentelemetry::baggage::BaggageExt;
/// let cx = mcp_trace_runtime::propagation::with_user_and_session(
///     &opentelemetry::Context::current(), Some("alice"), Some("chat-42"));
/// assert_eq!(cx.baggage().get("user.id").unwrap().as_str(), "alice");
/// // run the request in it: `request.with_context(cx).await`
/// ```
pub fn with_user_and_session(
    cx: &Context,
    user_id: Option<&str>,
    session_id: Option<&str>,
) -> Context {
    use opentelemetry::baggage::BaggageExt;
    let mut entries = Vec::new();
    if let Some(user) = user_id {
        entries.push(opentelemetry::KeyValue::new("user.id", user.to_string()));
    }
    if let Some(session) = session_id {
        entries.push(opentelemetry::KeyValue::new(
            "session.id",
            session.to_string(),
        ));
    }
    let mut all: Vec<opentelemetry::KeyValue> = cx
        .baggage()
        .iter()
        .map(|(key, (value, _))| opentelemetry::KeyValue::new(key.clone(), value.clone()))
        .collect();
    all.retain(|kv| !entries.iter().any(|entry| entry.key == kv.key));
    all.extend(entries);
    cx.with_baggage(all)
}

/// Installs `tracecontext,baggage` without the rest of [`crate::init`]; for
/// tests, examples and programs that manage their own tracer provider.
pub fn install_default_propagators() {
    install_propagators(
        &[Propagator::TraceContext, Propagator::Baggage],
        Mode::Native,
    );
}

fn extract(carrier: &dyn Extractor) -> Context {
    if settings::mode() == Mode::Off {
        return Context::new();
    }
    // Start from an empty context: a remote parent must not inherit whatever
    // the serving task happened to have attached.
    opentelemetry::global::get_text_map_propagator(|propagator| {
        propagator.extract_with_context(&Context::new(), carrier)
    })
}

fn bounded(value: &str) -> Option<&str> {
    (value.len() <= MAX_CONTEXT_VALUE_LEN).then_some(value)
}

struct BoundedHeaders<'a>(&'a HeaderMap);

impl Extractor for BoundedHeaders<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        // A repeated traceparent is ambiguous; W3C says to treat it as absent.
        let mut values = self.0.get_all(key).iter();
        let first = values.next()?;
        if key == "traceparent" && values.next().is_some() {
            return None;
        }
        first.to_str().ok().and_then(bounded)
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(HeaderName::as_str).collect()
    }
}

struct BoundedMeta<'a>(&'a Map<String, Value>);

impl Extractor for BoundedMeta<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key)?.as_str().and_then(bounded)
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(String::as_str).collect()
    }
}

struct HeaderInjector<'a>(&'a mut HeaderMap);

impl Injector for HeaderInjector<'_> {
    fn set(&mut self, key: &str, value: String) {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(key.as_bytes()),
            HeaderValue::from_str(&value),
        ) {
            self.0.insert(name, value);
        }
    }
}

struct MetaInjector<'a>(&'a mut Map<String, Value>);

impl Injector for MetaInjector<'_> {
    fn set(&mut self, key: &str, value: String) {
        self.0.insert(key.to_string(), Value::String(value));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry::baggage::BaggageExt;
    use opentelemetry::trace::{SpanContext, SpanId, TraceFlags, TraceId, TraceState};
    use serde_json::json;

    const TRACEPARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    fn trace_id(cx: &Context) -> String {
        cx.span().span_context().trace_id().to_string()
    }

    #[test]
    fn headers_round_trip_with_state_and_baggage() {
        install_default_propagators();
        let mut headers = HeaderMap::new();
        headers.insert("traceparent", TRACEPARENT.parse().unwrap());
        headers.insert("tracestate", "vendor=abc".parse().unwrap());
        headers.insert("baggage", "user.id=alice,session.id=s-1".parse().unwrap());
        let cx = extract_from_headers(&headers);
        assert!(has_remote_parent(&cx));
        assert_eq!(trace_id(&cx), "4bf92f3577b34da6a3ce929d0e0e4736");
        assert_eq!(
            cx.span().span_context().trace_state().header(),
            "vendor=abc"
        );
        assert_eq!(cx.baggage().get("user.id").unwrap().as_str(), "alice");

        let mut out = HeaderMap::new();
        inject_into_headers(&cx, &mut out);
        assert_eq!(out["traceparent"], TRACEPARENT);
        assert_eq!(out["tracestate"], "vendor=abc");
        assert!(out["baggage"].to_str().unwrap().contains("user.id=alice"));
    }

    #[test]
    fn meta_round_trip_keeps_other_entries() {
        install_default_propagators();
        let meta = json!({"traceparent": TRACEPARENT, "baggage": "k=v", "progressToken": 7});
        let cx = extract_from_meta(meta.as_object().unwrap());
        assert!(has_remote_parent(&cx));
        assert_eq!(cx.baggage().get("k").unwrap().as_str(), "v");

        let mut out = json!({"progressToken": 7}).as_object().unwrap().clone();
        inject_into_meta(&cx, &mut out);
        assert_eq!(out["traceparent"], TRACEPARENT);
        assert_eq!(out["baggage"], "k=v");
        assert_eq!(out["progressToken"], 7);
    }

    #[test]
    fn hostile_input_gives_a_new_root() {
        install_default_propagators();
        let hostile = [
            "garbage".to_string(),
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01".to_string(),
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01".to_string(),
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".to_string(),
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01".to_string(),
            format!("{TRACEPARENT}{}", "x".repeat(100_000)),
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7".to_string(),
            "💥".repeat(20),
        ];
        for value in &hostile {
            let meta = json!({ "traceparent": value });
            let cx = extract_from_meta(meta.as_object().unwrap());
            assert!(!has_remote_parent(&cx), "{value:.60} became a parent");
            if let Ok(header) = HeaderValue::from_str(value) {
                let mut headers = HeaderMap::new();
                headers.insert("traceparent", header);
                assert!(!has_remote_parent(&extract_from_headers(&headers)));
            }
        }
        // Non-string _meta values are ignored, not errors.
        let meta = json!({"traceparent": 42, "baggage": {"a": 1}});
        assert!(!has_remote_parent(&extract_from_meta(
            meta.as_object().unwrap()
        )));
        // A duplicated traceparent header is ambiguous and ignored.
        let mut headers = HeaderMap::new();
        headers.append("traceparent", TRACEPARENT.parse().unwrap());
        headers.append(
            "traceparent",
            "00-11111111111111111111111111111111-00f067aa0ba902b7-01"
                .parse()
                .unwrap(),
        );
        assert!(!has_remote_parent(&extract_from_headers(&headers)));
    }

    #[test]
    fn oversized_baggage_is_dropped_but_the_parent_kept() {
        install_default_propagators();
        let mut headers = HeaderMap::new();
        headers.insert("traceparent", TRACEPARENT.parse().unwrap());
        let huge = format!("k={}", "v".repeat(MAX_CONTEXT_VALUE_LEN));
        headers.insert("baggage", huge.parse().unwrap());
        let cx = extract_from_headers(&headers);
        assert!(has_remote_parent(&cx));
        assert_eq!(cx.baggage().len(), 0);
    }

    #[test]
    fn injection_from_a_local_span() {
        install_default_propagators();
        let span = SpanContext::new(
            TraceId::from_hex("0af7651916cd43dd8448eb211c80319c").unwrap(),
            SpanId::from_hex("b7ad6b7169203331").unwrap(),
            TraceFlags::SAMPLED,
            false,
            TraceState::default(),
        );
        let cx = Context::new().with_remote_span_context(span);
        let mut meta = Map::new();
        inject_into_meta(&cx, &mut meta);
        assert_eq!(
            meta["traceparent"],
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
        );
        let mut headers = HeaderMap::new();
        inject_into_headers(&Context::new(), &mut headers);
        assert!(
            headers.get("traceparent").is_none(),
            "no span, nothing injected"
        );
    }
}
