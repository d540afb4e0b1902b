//! Trace-level attributes on every span as it starts: those propagated in
//! this process ([`crate::trace_attributes::propagate_attributes`]) and those
//! a caller sent as baggage (`user.id`, `session.id`, Langfuse's
//! `langfuse_*` keys), so Langfuse groups traces by user and session and
//! every observation carries the tags and metadata of its piece of work.

use opentelemetry::Context;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{Span, SpanData, SpanProcessor};

use super::pipeline::OnStart;
use crate::trace_attributes::span_attributes_in;

/// Copies the parent context's propagated trace attributes onto each span as
/// it starts; on a span whose parent is remote, only those that are not
/// `langfuse.trace.*` (user, session, version, release). Baggage travels
/// with the trace context across processes, so a client that sets them
/// (see [`crate::propagation::with_user_and_session`]) labels the server's
/// spans too.
#[derive(Debug, Default)]
pub struct UserSessionAttributes;

impl OnStart for UserSessionAttributes {
    fn on_start(&self, span: &mut Span, cx: &Context) {
        use opentelemetry::trace::Span as _;
        let attributes = span_attributes_in(cx);
        if !attributes.is_empty() {
            span.set_attributes(attributes);
        }
    }
}

/// For a tracer provider of the program's own; [`crate::install`]'s runs
/// it as an enricher of its span pipeline.
impl SpanProcessor for UserSessionAttributes {
    fn on_start(&self, span: &mut Span, cx: &Context) {
        OnStart::on_start(self, span, cx);
    }

    fn on_end(&self, _span: SpanData) {}

    fn force_flush(&self) -> OTelSdkResult {
        Ok(())
    }

    fn shutdown_with_timeout(&self, _timeout: std::time::Duration) -> OTelSdkResult {
        Ok(())
    }
}
