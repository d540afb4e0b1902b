//! Moving trace context in and out of HTTP headers and MCP `_meta`.
//!
//! Everything goes through the global propagator installed from
//! `OTEL_PROPAGATORS` (default `tracecontext,baggage`; `tracecontext` is this
//! crate's own propagator, reading with the parser of the checks below, and
//! `baggage` the SDK's). Input from the network is checked before a
//! propagator sees it: a `traceparent` must parse as W3C
//! Trace Context says (`w3c`; future versions are read as version `00`), a
//! `tracestate` must be a valid list of at most 32 members, repeated headers
//! are combined as RFC 9110 says (a repeated `traceparent` is ambiguous and
//! ignored), and every value is bounded. What fails is ignored, so the caller
//! simply gets a new root — extraction never fails and never panics.
//!
//! What the SDK's propagators cannot carry is kept beside them and written
//! back on injection, for the trace it came with: the `random-trace-id` flag
//! (Trace Context Level 2) and `tracestate` members whose keys the SDK's
//! older grammar refuses. Outgoing `baggage` is written from the context's
//! baggage with every byte outside W3C's grammar percent-encoded (the SDK's
//! propagator sends received properties back decoded) and cut to W3C's
//! limits (8192 bytes, 180 members) at member boundaries; an empty
//! `tracestate` is not sent.

mod trace_context;
mod w3c;

#[cfg(test)]
mod tests;

use std::borrow::Cow;

use http::header::{HeaderMap, HeaderName, HeaderValue};
use opentelemetry::baggage::{Baggage, BaggageExt};
use opentelemetry::propagation::{Extractor, Injector, TextMapCompositePropagator};
use opentelemetry::trace::{TraceContextExt, TraceId};
use opentelemetry::Context;
use opentelemetry_sdk::propagation::BaggagePropagator;
use serde_json::{Map, Value};

use crate::config::Propagator;
use crate::settings::{self, Mode};

/// Longest value accepted for one context key, in bytes (repeated headers
/// counted together). W3C caps baggage at 8192 bytes and asks vendors to
/// propagate at least 512 of `tracestate`; anything longer is hostile or
/// broken and is dropped. Outgoing `baggage` is cut to it.
pub const MAX_CONTEXT_VALUE_LEN: usize = 8192;

/// Most members of a `tracestate` list (W3C Trace Context); a longer list is
/// discarded on extraction.
///
/// ```
/// use mcp_trace_runtime::propagation::{self, MAX_TRACESTATE_MEMBERS};
/// use opentelemetry::trace::TraceContextExt;
/// propagation::install_default_propagators();
/// let list = |n: usize| (0..n).map(|i| format!("k{i}=v")).collect::<Vec<_>>().join(",");
/// for (members, kept) in [(MAX_TRACESTATE_MEMBERS, true), (MAX_TRACESTATE_MEMBERS + 1, false)] {
///     let meta = serde_json::json!({
///         "traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
///         "tracestate": list(members),
///     });
///     let cx = propagation::extract_from_meta(meta.as_object().unwrap());
///     assert!(propagation::has_remote_parent(&cx), "the parent stays either way");
///     assert_eq!(cx.span().span_context().trace_state().get("k0").is_some(), kept);
/// }
/// ```
pub const MAX_TRACESTATE_MEMBERS: usize = 32;

/// Most members of an outgoing `baggage` header (W3C Baggage); the SDK's
/// propagator reads at most 64. Outgoing `baggage` is cut to this and to
/// [`MAX_CONTEXT_VALUE_LEN`] bytes, whole members only.
///
/// ```
/// use mcp_trace_runtime::propagation::{self, MAX_BAGGAGE_MEMBERS, MAX_CONTEXT_VALUE_LEN};
/// use opentelemetry::baggage::BaggageExt;
/// propagation::install_default_propagators();
/// // Within the SDK's budget as text; percent-encoding triples it on the wire.
/// let entries = (0..64).map(|i| opentelemetry::KeyValue::new(format!("k{i}"), ",;x".repeat(40)));
/// let cx = opentelemetry::Context::new().with_baggage(entries);
/// let mut headers = http::HeaderMap::new();
/// propagation::inject_into_headers(&cx, &mut headers);
/// let sent = headers["baggage"].to_str().unwrap();
/// assert!(sent.len() <= MAX_CONTEXT_VALUE_LEN);
/// assert!(sent.split(',').count() <= MAX_BAGGAGE_MEMBERS);
/// ```
pub const MAX_BAGGAGE_MEMBERS: usize = 180;

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
                    Propagator::TraceContext => {
                        Box::new(trace_context::TraceContext::default()) as _
                    }
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
    extract(headers)
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
    extract(meta)
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
        propagator.inject_context(
            cx,
            &mut HeaderInjector {
                headers,
                outgoing: Outgoing::of(cx),
            },
        )
    });
}

/// Writes `cx` into an MCP `_meta` object (the reserved keys only; other
/// entries are kept).
pub fn inject_into_meta(cx: &Context, meta: &mut Map<String, Value>) {
    if settings::mode() == Mode::Off {
        return;
    }
    opentelemetry::global::get_text_map_propagator(|propagator| {
        propagator.inject_context(
            cx,
            &mut MetaInjector {
                meta,
                outgoing: Outgoing::of(cx),
            },
        )
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

fn extract(carrier: &dyn Carrier) -> Context {
    if settings::mode() == Mode::Off {
        return Context::new();
    }
    let checked = Checked::new(carrier);
    // Start from an empty context: a remote parent must not inherit whatever
    // the serving task happened to have attached.
    let cx = opentelemetry::global::get_text_map_propagator(|propagator| {
        propagator.extract_with_context(&Context::new(), &checked)
    });
    checked.remember(cx)
}

fn bounded(value: &str) -> Option<&str> {
    (value.len() <= MAX_CONTEXT_VALUE_LEN).then_some(value)
}

/// Where a context comes in from: HTTP headers or `_meta`.
trait Carrier {
    /// The value under `key` when it was sent once, as text, within bounds.
    fn single(&self, key: &str) -> Option<&str>;
    /// Every value under `key` joined by `,` (RFC 9110's rule for a repeated
    /// field), within bounds; `None` when one of them is not text.
    fn combined(&self, key: &str) -> Option<Cow<'_, str>>;
    fn keys(&self) -> Vec<&str>;
}

impl Carrier for HeaderMap {
    fn single(&self, key: &str) -> Option<&str> {
        let mut values = self.get_all(key).iter();
        let first = values.next()?;
        if values.next().is_some() || first.len() > MAX_CONTEXT_VALUE_LEN {
            return None;
        }
        first.to_str().ok()
    }

    fn combined(&self, key: &str) -> Option<Cow<'_, str>> {
        let mut values = self.get_all(key).iter();
        let first = values.next()?;
        if first.len() > MAX_CONTEXT_VALUE_LEN {
            return None;
        }
        let mut joined = Cow::Borrowed(first.to_str().ok()?);
        for value in values {
            if joined.len() + 1 + value.len() > MAX_CONTEXT_VALUE_LEN {
                return None;
            }
            let value = value.to_str().ok()?;
            let joined = joined.to_mut();
            joined.push(',');
            joined.push_str(value);
        }
        Some(joined)
    }

    fn keys(&self) -> Vec<&str> {
        HeaderMap::keys(self).map(HeaderName::as_str).collect()
    }
}

impl Carrier for Map<String, Value> {
    fn single(&self, key: &str) -> Option<&str> {
        self.get(key)?.as_str().and_then(bounded)
    }

    fn combined(&self, key: &str) -> Option<Cow<'_, str>> {
        self.single(key).map(Cow::Borrowed)
    }

    fn keys(&self) -> Vec<&str> {
        Map::keys(self).map(String::as_str).collect()
    }
}

/// A carrier as the propagators see it: `traceparent` only when it parsed
/// (rewritten as version `00`), `tracestate` only beside it and only when it
/// parsed (the members the SDK accepts), `baggage` combined and bounded.
struct Checked<'a> {
    carrier: &'a dyn Carrier,
    traceparent: Option<(w3c::Traceparent, Cow<'a, str>)>,
    tracestate: Option<w3c::Tracestate>,
    baggage: Option<Cow<'a, str>>,
}

impl<'a> Checked<'a> {
    fn new(carrier: &'a dyn Carrier) -> Checked<'a> {
        // A repeated traceparent is ambiguous; W3C says to treat it as absent.
        let traceparent = carrier.single(TRACEPARENT).and_then(|value| {
            let parsed = w3c::Traceparent::parse(value)?;
            Some((parsed, parsed.to_version_00(value)))
        });
        // "If the vendor failed to parse traceparent, it MUST NOT attempt to
        // parse tracestate."
        let tracestate = traceparent
            .as_ref()
            .and_then(|_| carrier.combined(TRACESTATE))
            .and_then(|value| w3c::parse_tracestate(&value));
        Checked {
            carrier,
            traceparent,
            tracestate,
            baggage: carrier.combined(BAGGAGE),
        }
    }

    /// `cx` with what the SDK could not keep of the context it extracted.
    fn remember(self, cx: Context) -> Context {
        let Some((parsed, _)) = self.traceparent else {
            return cx;
        };
        let span = cx.span();
        let extracted = span.span_context();
        if !(extracted.is_remote()
            && extracted.trace_id() == parsed.trace_id
            && extracted.span_id() == parsed.span_id)
        {
            return cx;
        }
        let random = parsed.flags & w3c::RANDOM != 0;
        let tracestate = self.tracestate.filter(|state| !state.sdk_keeps_all());
        if !random && tracestate.is_none() {
            return cx;
        }
        cx.with_value(Received {
            trace_id: parsed.trace_id,
            random,
            tracestate,
        })
    }
}

impl Extractor for Checked<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        match key {
            TRACEPARENT => self.traceparent.as_ref().map(|(_, text)| &**text),
            TRACESTATE => self.tracestate.as_ref().map(w3c::Tracestate::for_sdk),
            BAGGAGE => self.baggage.as_deref(),
            other => self.carrier.single(other),
        }
    }

    fn keys(&self) -> Vec<&str> {
        self.carrier.keys()
    }
}

const TRACEPARENT: &str = "traceparent";
const TRACESTATE: &str = "tracestate";
const BAGGAGE: &str = "baggage";

/// What an extracted context held that its SDK span context cannot: kept
/// in the context, so every span started in it (same trace) passes it on.
struct Received {
    trace_id: TraceId,
    random: bool,
    /// Set when some members were not the SDK's to keep.
    tracestate: Option<w3c::Tracestate>,
}

/// How a value the propagators write is finished before it leaves.
struct Outgoing<'a> {
    received: Option<&'a Received>,
    tracestate: String,
    baggage: &'a Baggage,
}

impl<'a> Outgoing<'a> {
    fn of(cx: &'a Context) -> Outgoing<'a> {
        let span = cx.span();
        let span_context = span.span_context();
        Outgoing {
            received: cx
                .get::<Received>()
                .filter(|received| received.trace_id == span_context.trace_id()),
            tracestate: span_context.trace_state().header(),
            baggage: cx.baggage(),
        }
    }

    /// The value to send under `key`, or `None` to send none.
    fn finish(&self, key: &str, value: String) -> Option<String> {
        match key {
            TRACEPARENT => match self.received {
                Some(received) if received.random => Some(with_random_flag(value)),
                _ => Some(value),
            },
            TRACESTATE => match self.received.and_then(|r| r.tracestate.as_ref()) {
                // Unchanged since it came in: send what came in.
                Some(state) if value == state.for_sdk() && value == self.tracestate => {
                    Some(state.all.clone())
                }
                _ => (!value.is_empty()).then_some(value),
            },
            // Written anew: the SDK's value can break W3C's grammar.
            BAGGAGE => w3c::bounded_baggage(w3c::baggage_header(self.baggage)),
            _ => Some(value),
        }
    }
}

/// `00-<trace>-<span>-<flags>` with the `random-trace-id` flag set.
fn with_random_flag(traceparent: String) -> String {
    let flags = traceparent
        .rsplit_once('-')
        .filter(|(head, flags)| head.len() == 52 && flags.len() == 2)
        .and_then(|(head, flags)| Some((head, u8::from_str_radix(flags, 16).ok()?)));
    match flags {
        Some((head, flags)) => format!("{head}-{:02x}", flags | w3c::RANDOM),
        None => traceparent,
    }
}

struct HeaderInjector<'a> {
    headers: &'a mut HeaderMap,
    outgoing: Outgoing<'a>,
}

impl Injector for HeaderInjector<'_> {
    fn set(&mut self, key: &str, value: String) {
        let Ok(name) = HeaderName::from_bytes(key.as_bytes()) else {
            return;
        };
        match self
            .outgoing
            .finish(key, value)
            .and_then(|value| HeaderValue::from_str(&value).ok())
        {
            Some(value) => {
                self.headers.insert(name, value);
            }
            None => {
                self.headers.remove(name);
            }
        }
    }
}

struct MetaInjector<'a> {
    meta: &'a mut Map<String, Value>,
    outgoing: Outgoing<'a>,
}

impl Injector for MetaInjector<'_> {
    fn set(&mut self, key: &str, value: String) {
        match self.outgoing.finish(key, value) {
            Some(value) => {
                self.meta.insert(key.to_string(), Value::String(value));
            }
            None => {
                self.meta.remove(key);
            }
        }
    }
}
