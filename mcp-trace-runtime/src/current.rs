//! Updates from inside a call: the current observation (model, usage, cost,
//! time to first token, prompt, name, level, status, metadata) through
//! [`current_observation`], and the current trace through
//! [`update_current_trace`] — what Langfuse's SDKs call
//! `update_current_generation`, `update_current_span` and
//! `update_current_trace`.
//!
//! "Current" is the span of the OpenTelemetry context the code runs in: the
//! function's own `#[observe]` span, or in `native` mode a tool's SERVER
//! span. Outside any span, or with tracing off, every update does nothing.
//!
//! ```
//! use mcp_trace_runtime::current::current_observation;
//! use mcp_trace_runtime::generation::{Cost, Usage};
//!
//! #[mcp_trace_runtime::observe(as_type = "generation")]
//! fn complete(prompt: &str) -> String {
//!     let answer = format!("echo: {prompt}");
//!     current_observation()
//!         .model("gpt-4o-mini")
//!         .usage(Usage::tokens(12, 3))
//!         .cost(Cost::new().input(0.000_002).output(0.000_001));
//!     answer
//! }
//! assert_eq!(complete("hi"), "echo: hi");
//! ```

use std::time::SystemTime;

use opentelemetry::trace::{Span as _, SpanKind, TraceContextExt, Tracer};
use opentelemetry::{Context, KeyValue};
use serde::Serialize;

use crate::generation::{self, Cost, Usage};
use crate::observe::{attributes, metadata_attribute, truncate, unserializable, ObservationType};
use crate::settings;
use crate::trace_attributes::{propagated_in, TraceAttributes};

/// Langfuse's observation levels.
///
/// ```
/// use mcp_trace_runtime::current::Level;
/// assert_eq!(Level::Warning.as_str(), "WARNING");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Level {
    /// Detail, hidden by default.
    Debug,
    /// Normal.
    #[default]
    Default,
    /// Worth a look.
    Warning,
    /// Failed (an `#[observe]`d `Err` or panic sets this itself).
    Error,
}

impl Level {
    /// The attribute value.
    pub const fn as_str(self) -> &'static str {
        match self {
            Level::Debug => "DEBUG",
            Level::Default => "DEFAULT",
            Level::Warning => "WARNING",
            Level::Error => "ERROR",
        }
    }
}

/// A handle to the observation current where it was taken; cheap to take
/// and to keep. Every setter returns the handle, so updates chain.
#[derive(Debug, Clone)]
pub struct CurrentObservation {
    cx: Context,
}

/// The observation the calling code runs in.
pub fn current_observation() -> CurrentObservation {
    CurrentObservation {
        cx: Context::current(),
    }
}

impl CurrentObservation {
    /// The handle for the span in `cx`.
    pub fn of(cx: &Context) -> CurrentObservation {
        CurrentObservation { cx: cx.clone() }
    }

    /// Whether updates land anywhere (a recorded span is current).
    pub fn is_recording(&self) -> bool {
        self.cx.span().is_recording()
    }

    fn set(&self, attributes: impl IntoIterator<Item = KeyValue>) -> &Self {
        generation::write(&self.cx.span(), attributes);
        self
    }

    /// Renames the observation.
    pub fn name(&self, name: impl Into<String>) -> &Self {
        let span = self.cx.span();
        if span.is_recording() {
            span.update_name(truncate(name.into(), settings::value_length_limit()));
        }
        self
    }

    /// Sets the level.
    pub fn level(&self, level: Level) -> &Self {
        self.set([KeyValue::new(attributes::LEVEL, level.as_str())])
    }

    /// Sets the status message (why the level is what it is).
    pub fn status_message(&self, message: impl Into<String>) -> &Self {
        self.set([KeyValue::new(
            attributes::STATUS_MESSAGE,
            truncate(message.into(), settings::value_length_limit()),
        )])
    }

    /// Adds a metadata entry (strings as they are, other values as JSON).
    pub fn metadata<T: Serialize + ?Sized>(&self, key: &str, value: &T) -> &Self {
        if self.is_recording() {
            self.set([metadata_attribute(key, value)]);
        }
        self
    }

    /// The model asked for (Langfuse's model, `gen_ai.request.model`,
    /// `llm.model_name`).
    pub fn model(&self, model: &str) -> &Self {
        self.set(generation::model_attributes(model))
    }

    /// The model that answered, when it differs from the one asked for
    /// (`gen_ai.response.model`; Langfuse prices this one).
    pub fn response_model(&self, model: &str) -> &Self {
        self.set(generation::response_model_attributes(model))
    }

    /// The request parameters, a JSON object (`temperature`, `max_tokens`,
    /// …); anything else is recorded under the key `value`.
    pub fn model_parameters<T: Serialize + ?Sized>(&self, parameters: &T) -> &Self {
        if !self.is_recording() {
            return self;
        }
        let parameters = match serde_json::to_value(parameters) {
            Ok(serde_json::Value::Object(map)) => map,
            Ok(other) => serde_json::Map::from_iter([("value".to_string(), other)]),
            Err(error) => serde_json::Map::from_iter([(
                "value".to_string(),
                serde_json::Value::String(unserializable(&error)),
            )]),
        };
        self.set(generation::model_parameter_attributes(&parameters))
    }

    /// Token counts.
    pub fn usage(&self, usage: Usage) -> &Self {
        self.set(usage.attributes())
    }

    /// What the call cost, in USD.
    pub fn cost(&self, cost: Cost) -> &Self {
        self.set(cost.attributes())
    }

    /// When the first token arrived (Langfuse shows the time to first token).
    pub fn completion_start(&self, at: SystemTime) -> &Self {
        self.set([generation::completion_start_attribute(at)])
    }

    /// The first token arrived now.
    pub fn completion_started(&self) -> &Self {
        self.completion_start(SystemTime::now())
    }

    /// Why the model stopped (`stop`, `length`, `endTurn`, …).
    pub fn finish_reason(&self, reason: &str) -> &Self {
        self.set(generation::finish_reason_attributes(reason))
    }

    /// The Langfuse prompt (name and version) the call used.
    pub fn prompt(&self, name: &str, version: u32) -> &Self {
        self.set(generation::prompt_attributes(name, version))
    }
}

/// Name of the event that carries trace updates made in a span whose parent
/// is remote (see [`update_current_trace`]).
pub const TRACE_UPDATE_EVENT: &str = "trace update";

/// Updates the current trace: its name, user, session, tags, metadata,
/// version, release, public flag.
///
/// The update goes on the current span — except when that span's parent is
/// in another process (a server's request span, or an observation directly
/// under the caller's context): Langfuse would then read `langfuse.trace.*`
/// from a span the trace's owner did not expect, so the update goes on a
/// zero-length `trace update` event under it instead, where Langfuse applies
/// it to the trace as it does for any observation.
///
/// ```
/// use mcp_trace_runtime::current::update_current_trace;
/// use mcp_trace_runtime::trace_attributes::TraceAttributes;
///
/// #[mcp_trace_runtime::observe]
/// fn handle_request(user: &str) {
///     update_current_trace(TraceAttributes::new().name("weather request").user_id(user).tags(["beta"]));
/// }
/// handle_request("alice");
/// ```
pub fn update_current_trace(update: TraceAttributes) {
    update_trace_in(&Context::current(), update);
}

/// [`update_current_trace`] for the span in `cx`.
pub fn update_trace_in(cx: &Context, update: TraceAttributes) {
    let span = cx.span();
    if !span.is_recording() || update.is_empty() {
        return;
    }
    // What the scope propagates is on the span already; merged, the update
    // adds to its tags and metadata rather than replacing them.
    let trace_level = propagated_in(cx).merged(&update).span_attributes(false);
    if !crate::propagation::span_has_remote_parent(cx) {
        span.set_attributes(trace_level);
        return;
    }
    let tracer = crate::conventions::tracer();
    let mut event = tracer
        .span_builder(TRACE_UPDATE_EVENT)
        .with_kind(SpanKind::Internal)
        .with_attributes([KeyValue::new(
            attributes::TYPE,
            ObservationType::Event.as_str(),
        )])
        .start_with_context(&tracer, cx);
    // Set after the start, so they come after what span processors add.
    event.set_attributes(trace_level);
    event.end();
}
