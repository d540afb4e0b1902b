//! Users and sessions: `user.id` / `session.id` from baggage onto every span,
//! so Langfuse groups traces by user and session.

use opentelemetry::baggage::BaggageExt;
use opentelemetry::{Context, KeyValue};
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{Span, SpanData, SpanProcessor};

/// Baggage keys read, in order of preference, for each attribute: the
/// OpenTelemetry names first, then Langfuse's.
const KEYS: [(&str, [&str; 2]); 2] = [
    ("user.id", ["user.id", "langfuse_user_id"]),
    ("session.id", ["session.id", "langfuse_session_id"]),
];

/// Copies `user.id` and `session.id` (or `langfuse_user_id` /
/// `langfuse_session_id`) from the parent context's baggage onto each span
/// as it starts. Baggage travels with the trace context across processes, so
/// a client that sets them (see [`crate::propagation::with_user_and_session`])
/// labels the server's spans too.
#[derive(Debug, Default)]
pub struct UserSessionAttributes;

impl SpanProcessor for UserSessionAttributes {
    fn on_start(&self, span: &mut Span, cx: &Context) {
        use opentelemetry::trace::Span as _;
        let baggage = cx.baggage();
        if baggage.is_empty() {
            return;
        }
        for (attribute, keys) in KEYS {
            if let Some(value) = keys.iter().find_map(|key| baggage.get(*key)) {
                span.set_attribute(KeyValue::new(attribute, value.as_str().to_string()));
            }
        }
    }

    fn on_end(&self, _span: SpanData) {}

    fn force_flush(&self) -> OTelSdkResult {
        Ok(())
    }

    fn shutdown_with_timeout(&self, _timeout: std::time::Duration) -> OTelSdkResult {
        Ok(())
    }
}
