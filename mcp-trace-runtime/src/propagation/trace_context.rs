//! The `tracecontext` propagator `OTEL_PROPAGATORS` names: W3C Trace
//! Context read with [`w3c`](super::w3c)'s parser, written as the SDK's
//! propagator writes it.
//!
//! [`extract`](super::extract) checks a carrier before any propagator sees
//! it, and the SDK's `TraceContextPropagator` then split, checked and copied
//! the same two values again, into a `Vec` and `String`s per member (most of
//! the cost of reading a caller's context, by instruction count). This one
//! parses them again too — it must stand alone for a program that calls it
//! with a carrier of its own — but with `w3c`'s parser, which borrows the
//! members and reads the hex digits directly: a few hundred instructions.

use opentelemetry::propagation::text_map_propagator::FieldIter;
use opentelemetry::propagation::{Extractor, Injector, TextMapPropagator};
use opentelemetry::trace::{SpanContext, TraceContextExt, TraceFlags, TraceState};
use opentelemetry::Context;
use opentelemetry_sdk::propagation::TraceContextPropagator;

use super::w3c;
use super::{TRACEPARENT, TRACESTATE};

/// W3C Trace Context: `traceparent` and `tracestate`.
///
/// Extraction takes what W3C's grammar takes (the SDK's propagator is
/// lenient with versions, ids and flags, see [`w3c`](super::w3c)); a
/// `tracestate` is kept only when it parses whole. Injection is the SDK's.
#[derive(Debug, Default)]
pub(crate) struct TraceContext {
    sdk: TraceContextPropagator,
}

impl TextMapPropagator for TraceContext {
    fn inject_context(&self, cx: &Context, injector: &mut dyn Injector) {
        self.sdk.inject_context(cx, injector);
    }

    fn extract_with_context(&self, cx: &Context, extractor: &dyn Extractor) -> Context {
        let Some(parent) = extractor.get(TRACEPARENT).and_then(w3c::Traceparent::parse) else {
            return cx.clone();
        };
        let trace_state = extractor
            .get(TRACESTATE)
            .map_or_else(TraceState::default, w3c::sdk_trace_state);
        cx.with_remote_span_context(SpanContext::new(
            parent.trace_id,
            parent.span_id,
            TraceFlags::new(parent.flags) & TraceFlags::SAMPLED,
            true,
            trace_state,
        ))
    }

    fn fields(&self) -> FieldIter<'_> {
        self.sdk.fields()
    }
}
