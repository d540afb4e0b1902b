//! Observation spans: what `#[observe]` expands to.
//!
//! An [`Observation`] is one OpenTelemetry span carrying Langfuse's
//! observation attributes: its type, the call's input (a JSON object of
//! argument name → value), its output (the return value as JSON), metadata,
//! and on failure level `ERROR` with the error's message. Serialization only
//! happens when the span is recorded and capture is on, and a value that fails
//! to serialize is replaced by a marker — capture never fails the call.
//!
//! ```
//! use mcp_trace_runtime::observe::{Observation, ObservationType, ObserveOptions};
//!
//! const OPTIONS: ObserveOptions = ObserveOptions::new("get_weather").as_type(ObservationType::Tool);
//!
//! fn get_weather(location: String) -> String {
//!     let observation = Observation::start(&OPTIONS);
//!     observation.record_input(|input| input.arg("location", &location));
//!     observation.run(|| format!("Sunny in {location}"), Observation::record_output)
//! }
//! assert_eq!(get_weather("Paris".into()), "Sunny in Paris");
//! ```

use std::any::Any;
use std::borrow::Cow;
use std::fmt::Display;
use std::future::Future;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};

use opentelemetry::context::{FutureExt as _, WithContext};
use opentelemetry::trace::{Link, SpanContext, SpanKind, Status, TraceContextExt, Tracer};
use opentelemetry::{Context, KeyValue};
use serde::Serialize;

use crate::conventions;
use crate::scope::{observation_site, ObservationSite};
use crate::settings::{self, Mode};

/// Attribute names Langfuse reads from OpenTelemetry spans.
pub mod attributes {
    /// Observation type (`span`, `generation`, `tool`, …).
    pub const TYPE: &str = "langfuse.observation.type";
    /// Input, a JSON string.
    pub const INPUT: &str = "langfuse.observation.input";
    /// Output, a JSON string.
    pub const OUTPUT: &str = "langfuse.observation.output";
    /// `DEBUG`, `DEFAULT`, `WARNING` or `ERROR`.
    pub const LEVEL: &str = "langfuse.observation.level";
    /// Why the level is what it is.
    pub const STATUS_MESSAGE: &str = "langfuse.observation.status_message";
    /// Prefix of metadata attributes.
    pub const METADATA_PREFIX: &str = "langfuse.observation.metadata.";
    /// A generation's model, parameters, usage, cost, completion start, prompt.
    pub use crate::generation::langfuse::*;

    /// The trace's name.
    pub const TRACE_NAME: &str = "langfuse.trace.name";
    /// The trace's tags, a string array.
    pub const TRACE_TAGS: &str = "langfuse.trace.tags";
    /// Whether the trace can be shared by its URL.
    pub const TRACE_PUBLIC: &str = "langfuse.trace.public";
    /// Prefix of the trace's metadata.
    pub const TRACE_METADATA_PREFIX: &str = "langfuse.trace.metadata.";
    /// The user the trace belongs to (an OpenTelemetry name Langfuse reads).
    pub const USER_ID: &str = "user.id";
    /// The session the trace belongs to.
    pub const SESSION_ID: &str = "session.id";
    /// The release of the application.
    pub const RELEASE: &str = "langfuse.release";
    /// The version of the part of the application that ran.
    pub const VERSION: &str = "langfuse.version";
}

pub use crate::conventions::INSTRUMENTATION_SCOPE;
pub use crate::settings::truncate;

/// Langfuse observation types.
///
/// ```
/// use mcp_trace_runtime::observe::ObservationType;
/// assert_eq!(ObservationType::parse("tool"), Some(ObservationType::Tool));
/// assert_eq!(ObservationType::Generation.as_str(), "generation");
/// assert_eq!(ObservationType::parse("banana"), None);
/// ```
///
/// More variants may be added: a `match` on it needs a `_` arm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum ObservationType {
    /// A plain span (default).
    #[default]
    Span,
    /// An LLM call.
    Generation,
    /// A point in time.
    Event,
    /// An agent step.
    Agent,
    /// A tool call.
    Tool,
    /// A chain of steps.
    Chain,
    /// A retrieval.
    Retriever,
    /// An evaluation.
    Evaluator,
    /// An embedding call.
    Embedding,
    /// A guardrail check.
    Guardrail,
}

impl ObservationType {
    /// Every type, in Langfuse's order.
    pub const ALL: [ObservationType; 10] = [
        ObservationType::Span,
        ObservationType::Generation,
        ObservationType::Event,
        ObservationType::Agent,
        ObservationType::Tool,
        ObservationType::Chain,
        ObservationType::Retriever,
        ObservationType::Evaluator,
        ObservationType::Embedding,
        ObservationType::Guardrail,
    ];

    /// The attribute value Langfuse expects.
    pub const fn as_str(self) -> &'static str {
        match self {
            ObservationType::Span => "span",
            ObservationType::Generation => "generation",
            ObservationType::Event => "event",
            ObservationType::Agent => "agent",
            ObservationType::Tool => "tool",
            ObservationType::Chain => "chain",
            ObservationType::Retriever => "retriever",
            ObservationType::Evaluator => "evaluator",
            ObservationType::Embedding => "embedding",
            ObservationType::Guardrail => "guardrail",
        }
    }

    /// What the GenAI conventions (`gen_ai.operation.name`) and OpenInference
    /// (`openinference.span.kind`, read by Phoenix) call this type, when they
    /// have a name for it.
    pub const fn vocabulary(self) -> (Option<&'static str>, Option<&'static str>) {
        match self {
            ObservationType::Generation => (Some("chat"), Some("LLM")),
            ObservationType::Embedding => (Some("embeddings"), Some("EMBEDDING")),
            ObservationType::Agent => (Some("invoke_agent"), Some("AGENT")),
            ObservationType::Tool => (None, Some("TOOL")),
            ObservationType::Chain => (None, Some("CHAIN")),
            ObservationType::Retriever => (None, Some("RETRIEVER")),
            ObservationType::Evaluator => (None, Some("EVALUATOR")),
            ObservationType::Guardrail => (None, Some("GUARDRAIL")),
            ObservationType::Span | ObservationType::Event => (None, None),
        }
    }

    /// The attributes a span of this type starts with: Langfuse's type and
    /// what [`Self::vocabulary`] calls it.
    pub(crate) fn span_attributes(self) -> impl Iterator<Item = KeyValue> {
        std::iter::once(KeyValue::new(attributes::TYPE, self.as_str()))
            .chain(
                self.vocabulary()
                    .0
                    .map(|name| KeyValue::new(conventions::GEN_AI_OPERATION_NAME, name)),
            )
            .chain(self.openinference_attribute())
    }

    /// `openinference.span.kind`, when OpenInference has a name for this type.
    fn openinference_attribute(self) -> Option<KeyValue> {
        self.vocabulary()
            .1
            .map(|kind| KeyValue::new(crate::generation::openinference::SPAN_KIND, kind))
    }

    /// Parses the attribute value.
    pub fn parse(value: &str) -> Option<ObservationType> {
        ObservationType::ALL
            .into_iter()
            .find(|kind| kind.as_str() == value)
    }
}

/// The fixed part of an observation, known at compile time (the macro emits
/// it as a `const`).
///
/// ```
/// use mcp_trace_runtime::observe::{ObservationType, ObserveOptions};
/// const OPTIONS: ObserveOptions = ObserveOptions::new("embed")
///     .as_type(ObservationType::Embedding)
///     .capture_output(false);
/// assert!(OPTIONS.capture_input && !OPTIONS.capture_output);
/// ```
///
/// It may gain fields: build one with [`ObserveOptions::new`] and its `const` setters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ObserveOptions {
    /// Span name.
    pub name: &'static str,
    /// Langfuse observation type.
    pub observation_type: ObservationType,
    /// Record the arguments as input.
    pub capture_input: bool,
    /// Record the return value as output.
    pub capture_output: bool,
}

impl ObserveOptions {
    /// A `span` observation named `name` that captures input and output.
    pub const fn new(name: &'static str) -> ObserveOptions {
        ObserveOptions {
            name,
            observation_type: ObservationType::Span,
            capture_input: true,
            capture_output: true,
        }
    }

    /// Sets the observation type.
    pub const fn as_type(mut self, observation_type: ObservationType) -> ObserveOptions {
        self.observation_type = observation_type;
        self
    }

    /// Turns input capture on or off for this observation.
    pub const fn capture_input(mut self, capture: bool) -> ObserveOptions {
        self.capture_input = capture;
        self
    }

    /// Turns output capture on or off for this observation.
    pub const fn capture_output(mut self, capture: bool) -> ObserveOptions {
        self.capture_output = capture;
        self
    }
}

/// One observation span. Ends when [`Observation::run`] /
/// [`Observation::run_async`] finish, or when dropped (a cancelled future),
/// whichever comes first.
#[derive(Debug)]
pub struct Observation {
    /// `None` in mode `off`: every method is then a no-op.
    cx: Option<Context>,
    capture_input: bool,
    capture_output: bool,
    /// False when enriching a span another component ends (the SERVER span).
    owns_span: bool,
    /// A generation: a stream's first item marks the completion start.
    generation: bool,
}

impl Observation {
    /// Starts a span as a child of the current context. Inside a served
    /// request with no span of its own yet (a tool without
    /// `#[with_otel_headers]`), the caller's context is the parent and, in
    /// `native` mode, the request's SERVER span is enriched instead.
    pub fn start(options: &ObserveOptions) -> Observation {
        Observation::start_at(options, false)
    }

    /// Starts a span in the caller's context when a request is being served
    /// (see [`crate::scope::caller_context`]), else in the current context:
    /// `#[with_otel_headers]` + `#[observe]` in one step. In `native` mode
    /// the first such observation directly in the request's SERVER span — the
    /// tool's own — puts its input and output on that span instead of
    /// opening a second one.
    pub fn start_in_caller_context(options: &ObserveOptions) -> Observation {
        Observation::start_at(options, true)
    }

    fn start_at(options: &ObserveOptions, adopt_caller: bool) -> Observation {
        if settings::mode() == Mode::Off {
            return Observation::disabled();
        }
        match observation_site(adopt_caller) {
            ObservationSite::ServerSpan(server) => Observation::enrich(options, server),
            ObservationSite::ChildOf {
                parent,
                links,
                attributes,
            } => Observation::start_span(options, &parent, links, attributes),
        }
    }

    /// Puts this observation's attributes on the span in `cx`, which someone
    /// else started and will end.
    fn enrich(options: &ObserveOptions, cx: Context) -> Observation {
        // On an MCP server span the default `span` type would hide that it is a tool.
        let observation_type = match options.observation_type {
            ObservationType::Span => ObservationType::Tool,
            other => other,
        };
        // The MCP span names its operation already (`execute_tool`, …): only
        // the OpenInference kind is added.
        cx.span().set_attributes(
            std::iter::once(KeyValue::new(attributes::TYPE, observation_type.as_str()))
                .chain(observation_type.openinference_attribute()),
        );
        let capture = cx.span().is_recording() && settings::capture_io();
        Observation {
            cx: Some(cx),
            capture_input: capture && options.capture_input,
            capture_output: capture && options.capture_output,
            owns_span: false,
            generation: observation_type == ObservationType::Generation,
        }
    }

    /// Starts a span as a child of `parent`.
    pub fn start_with_parent(options: &ObserveOptions, parent: &Context) -> Observation {
        if settings::mode() == Mode::Off {
            return Observation::disabled();
        }
        Observation::start_span(options, parent, Vec::new(), Vec::new())
    }

    fn start_span(
        options: &ObserveOptions,
        parent: &Context,
        links: Vec<SpanContext>,
        extra: Vec<KeyValue>,
    ) -> Observation {
        let tracer = conventions::tracer();
        let mut builder = tracer
            .span_builder(Cow::Borrowed(options.name))
            .with_kind(SpanKind::Internal)
            .with_attributes(options.observation_type.span_attributes().chain(extra));
        if !links.is_empty() {
            builder = builder.with_links(links.into_iter().map(Link::with_context).collect());
        }
        let span = builder.start_with_context(&tracer, parent);
        let cx = crate::propagation::child_context(parent, span);
        let recording = cx.span().is_recording();
        let capture = recording && settings::capture_io();
        Observation {
            cx: Some(cx),
            capture_input: capture && options.capture_input,
            capture_output: capture && options.capture_output,
            owns_span: true,
            generation: options.observation_type == ObservationType::Generation,
        }
    }

    fn disabled() -> Observation {
        Observation {
            cx: None,
            capture_input: false,
            capture_output: false,
            owns_span: false,
            generation: false,
        }
    }

    /// The context holding this observation's span (to parent children on it).
    pub fn context(&self) -> Context {
        self.cx.clone().unwrap_or_else(Context::current)
    }

    /// Whether the span is recorded (sampled and tracing on).
    pub fn is_recording(&self) -> bool {
        self.cx.as_ref().is_some_and(|cx| cx.span().is_recording())
    }

    /// Records the input; `write` runs only when input capture is on.
    ///
    /// ```
    /// # use mcp_trace_runtime::observe::{Observation, ObserveOptions};
    /// let observation = Observation::start(&ObserveOptions::new("demo"));
    /// observation.record_input(|input| {
    ///     input.arg("location", "London");
    ///     input.arg("forecast_days", &3);
    /// }); // → {"location":"London","forecast_days":3}
    /// ```
    pub fn record_input(&self, write: impl FnOnce(&mut InputWriter)) {
        if !self.capture_input {
            return;
        }
        let mut input = InputWriter::new();
        write(&mut input);
        self.set_captured(attributes::INPUT, input.finish());
    }

    /// Records `value` as the output.
    pub fn record_output<T: OutputValue + ?Sized>(&self, value: &T) {
        if self.capture_output {
            self.set_captured(attributes::OUTPUT, to_json(value));
        }
    }

    /// Records an `Ok` value as output, an `Err` as the observation's error.
    pub fn record_result<T: OutputValue, E: Display>(&self, result: &Result<T, E>) {
        match result {
            Ok(value) => self.record_output(value),
            Err(error) => self.record_error(error),
        }
    }

    /// Records an `Err` as the observation's error and nothing for `Ok`
    /// (`capture_output = false` on a function returning `Result`).
    pub fn record_err<T, E: Display>(&self, result: &Result<T, E>) {
        if let Err(error) = result {
            self.record_error(error);
        }
    }

    /// Records nothing about the outcome (for `capture_output = false` or
    /// outputs that cannot be serialized); errors still need [`Self::record_error`].
    pub fn record_nothing<T: ?Sized>(&self, _outcome: &T) {}

    /// Adds `langfuse.observation.metadata.<key>` (strings as they are, other
    /// values as JSON).
    pub fn record_metadata<T: Serialize + ?Sized>(&self, key: &str, value: &T) {
        if let Some(cx) = self.recording_context() {
            cx.span().set_attribute(metadata_attribute(key, value));
        }
    }

    /// Marks the observation failed: level `ERROR`, the error's `Display` as
    /// status message, OpenTelemetry status `Error` and an `exception` event;
    /// the text cut at [`settings::value_length_limit`].
    pub fn record_error(&self, error: &dyn Display) {
        self.fail("error", error.to_string());
    }

    /// Marks the observation failed by a panic with `payload`.
    pub fn record_panic(&self, payload: &(dyn Any + Send)) {
        let message = payload
            .downcast_ref::<&str>()
            .map(|text| text.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "panic with a non-string payload".to_string());
        self.fail("panic", format!("panicked: {message}"));
    }

    /// Runs `body` inside the span, records its outcome with `outcome`, ends
    /// the span. A panic is recorded and then resumed.
    pub fn run<R>(self, body: impl FnOnce() -> R, outcome: fn(&Observation, &R)) -> R {
        let value = self.run_attached(body);
        outcome(&self, &value);
        value
    }

    /// Runs `body` with the span attached; a panic is recorded, ends the span
    /// and is resumed.
    fn run_attached<R>(&self, body: impl FnOnce() -> R) -> R {
        let Some(cx) = &self.cx else {
            return body();
        };
        let result = {
            let _attached = cx.clone().attach();
            catch_unwind(AssertUnwindSafe(body))
        };
        result.unwrap_or_else(|payload| {
            self.record_panic(&*payload);
            if self.owns_span {
                cx.span().end();
            }
            resume_unwind(payload)
        })
    }

    /// Wraps `future` so that it runs inside the span (attached on each poll
    /// only: no guard lives across an `.await`), records its outcome with
    /// `outcome` and ends the span.
    ///
    /// `T` is spelled out by `#[observe]` (`run_async::<T, _>`) so that `?`
    /// and `return` in the body infer exactly as in the function itself.
    pub fn run_async<T, F: Future<Output = T>>(
        self,
        future: F,
        outcome: fn(&Observation, &T),
    ) -> Observed<F> {
        match &self.cx {
            Some(cx) => {
                let cx = cx.clone();
                Observed {
                    state: ObservedState::Traced {
                        future: future.with_context(cx),
                        observation: Some(self),
                        outcome,
                    },
                }
            }
            None => Observed {
                state: ObservedState::Untraced { future },
            },
        }
    }

    /// For a function returning an iterator (`#[observe(stream)]`): runs
    /// `body` inside the span, then keeps the span open until the iterator is
    /// exhausted or dropped; the output is the items (joined when they are
    /// all strings, as Langfuse's decorator does for generators).
    pub fn run_iter<I>(self, body: impl FnOnce() -> I) -> ObservedIter<I::IntoIter>
    where
        I: IntoIterator,
        I::Item: Serialize,
    {
        let iter = self.run_attached(|| body().into_iter());
        ObservedIter {
            inner: iter,
            items: StreamedOutput::default(),
            first: true,
            observation: Some(self),
        }
    }

    /// For a function returning a `Stream` (`#[observe(stream)]`): like
    /// [`Self::run_iter`], polling the stream inside the span.
    pub fn run_stream<S>(self, body: impl FnOnce() -> S) -> ObservedStream<S>
    where
        S: futures_core::Stream,
        S::Item: Serialize,
    {
        let stream = self.run_attached(body);
        ObservedStream {
            inner: stream,
            items: StreamedOutput::default(),
            first: true,
            observation: Some(self),
        }
    }

    fn record_streamed(&self, output: StreamedOutput) {
        if !self.capture_output {
            return;
        }
        let items = output.items;
        let output = if items.iter().all(serde_json::Value::is_string) {
            items
                .iter()
                .filter_map(serde_json::Value::as_str)
                .collect::<String>()
        } else {
            serde_json::Value::Array(items).to_string()
        };
        self.set_captured(attributes::OUTPUT, output);
    }

    /// Keeps `item` for the output; the first item of a generation's
    /// stream is its completion start (time to first token).
    fn keep_item<T: Serialize>(&self, items: &mut StreamedOutput, first: &mut bool, item: &T) {
        if std::mem::take(first)
            && self.generation
            && let Some(cx) = self.recording_context()
        {
            cx.span()
                .set_attribute(crate::generation::completion_start_attribute(
                    std::time::SystemTime::now(),
                ));
        }
        if self.capture_output {
            items.keep(item);
        }
    }

    fn recording_context(&self) -> Option<&Context> {
        self.cx.as_ref().filter(|cx| cx.span().is_recording())
    }

    fn set_captured(&self, key: &'static str, json: String) {
        if let Some(cx) = &self.cx {
            cx.span().set_attribute(KeyValue::new(
                key,
                truncate(json, settings::value_length_limit()),
            ));
        }
    }

    fn fail(&self, kind: &'static str, message: String) {
        let Some(cx) = &self.cx else {
            return;
        };
        // An error's text may hold what the caller sent (a name, a value):
        // as long as any captured value, and no longer.
        let message = truncate(message, settings::value_length_limit());
        let span = cx.span();
        span.add_event(
            "exception",
            vec![
                KeyValue::new("exception.type", kind),
                KeyValue::new("exception.message", message.clone()),
            ],
        );
        span.set_attributes([
            KeyValue::new(attributes::LEVEL, "ERROR"),
            KeyValue::new(attributes::STATUS_MESSAGE, message.clone()),
        ]);
        span.set_status(Status::error(message));
    }
}

impl Drop for Observation {
    fn drop(&mut self) {
        if let (Some(cx), true) = (&self.cx, self.owns_span) {
            cx.span().end();
        }
    }
}

pin_project_lite::pin_project! {
    /// The future returned by [`Observation::run_async`].
    pub struct Observed<F: Future> {
        #[pin]
        state: ObservedState<F>,
    }
}

pin_project_lite::pin_project! {
    #[project = ObservedStateProjection]
    enum ObservedState<F: Future> {
        Traced {
            #[pin]
            future: WithContext<F>,
            observation: Option<Observation>,
            outcome: fn(&Observation, &F::Output),
        },
        Untraced {
            #[pin]
            future: F,
        },
    }
}

impl<F: Future> Future for Observed<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, task: &mut TaskContext<'_>) -> Poll<F::Output> {
        match self.project().state.project() {
            ObservedStateProjection::Untraced { future } => future.poll(task),
            ObservedStateProjection::Traced {
                future,
                observation,
                outcome,
            } => match catch_unwind(AssertUnwindSafe(|| future.poll(task))) {
                Ok(Poll::Pending) => Poll::Pending,
                Ok(Poll::Ready(value)) => {
                    if let Some(observation) = observation.take() {
                        outcome(&observation, &value);
                    }
                    Poll::Ready(value)
                }
                Err(payload) => {
                    if let Some(observation) = observation.take() {
                        observation.record_panic(&*payload);
                    }
                    resume_unwind(payload)
                }
            },
        }
    }
}

/// The items of a stream or iterator kept for its output, no more than the
/// value length limit's worth: a long stream is not held whole while it
/// runs, and items past the limit are not even serialized. The output then
/// ends with the truncation marker.
#[derive(Debug, Default)]
struct StreamedOutput {
    items: Vec<serde_json::Value>,
    bytes: usize,
    full: bool,
}

impl StreamedOutput {
    fn keep<T: Serialize + ?Sized>(&mut self, item: &T) {
        if self.full {
            return;
        }
        let value = serde_json::to_value(item)
            .unwrap_or_else(|error| serde_json::Value::String(unserializable(&error)));
        self.bytes += match &value {
            serde_json::Value::String(text) => text.len(),
            other => other.to_string().len() + 1,
        };
        self.items.push(value);
        // Past the limit, not at it: the output is cut, so it shows the marker.
        self.full = self.bytes > settings::value_length_limit();
    }
}

/// The iterator returned by [`Observation::run_iter`].
#[derive(Debug)]
pub struct ObservedIter<I> {
    inner: I,
    items: StreamedOutput,
    /// No item yet.
    first: bool,
    observation: Option<Observation>,
}

impl<I> Iterator for ObservedIter<I>
where
    I: Iterator,
    I::Item: Serialize,
{
    type Item = I::Item;

    fn next(&mut self) -> Option<I::Item> {
        let Some(observation) = &self.observation else {
            return self.inner.next();
        };
        let inner = &mut self.inner;
        let next = observation.run_attached(|| inner.next());
        match &next {
            Some(item) => observation.keep_item(&mut self.items, &mut self.first, item),
            None => {
                observation.record_streamed(std::mem::take(&mut self.items));
                self.observation = None;
            }
        }
        next
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.inner.size_hint()
    }
}

pin_project_lite::pin_project! {
    /// The stream returned by [`Observation::run_stream`].
    pub struct ObservedStream<S> {
        #[pin]
        inner: S,
        items: StreamedOutput,
        first: bool,
        observation: Option<Observation>,
    }
}

impl<S> futures_core::Stream for ObservedStream<S>
where
    S: futures_core::Stream,
    S::Item: Serialize,
{
    type Item = S::Item;

    fn poll_next(self: Pin<&mut Self>, task: &mut TaskContext<'_>) -> Poll<Option<S::Item>> {
        let this = self.project();
        let Some(observation) = this.observation.as_ref() else {
            return this.inner.poll_next(task);
        };
        let inner = this.inner;
        let polled = observation.run_attached(|| inner.poll_next(task));
        match &polled {
            Poll::Ready(Some(item)) => observation.keep_item(this.items, this.first, item),
            Poll::Ready(None) => {
                observation.record_streamed(std::mem::take(this.items));
                *this.observation = None;
            }
            Poll::Pending => {}
        }
        polled
    }
}

/// Builds the input JSON object one argument at a time, straight into a
/// string (no intermediate `serde_json::Value`).
#[derive(Debug)]
pub struct InputWriter {
    json: Vec<u8>,
}

impl InputWriter {
    fn new() -> InputWriter {
        InputWriter {
            json: Vec::with_capacity(64),
        }
    }

    /// Adds `"name": value`; a value that fails to serialize is recorded as
    /// `"<unserializable: …>"`.
    pub fn arg<T: InputValue + ?Sized>(&mut self, name: &str, value: &T) {
        self.json
            .push(if self.json.is_empty() { b'{' } else { b',' });
        // Writing a &str into a Vec cannot fail.
        let _ = serde_json::to_writer(&mut self.json, name);
        self.json.push(b':');
        let mark = self.json.len();
        if let Err(error) = serde_json::to_writer(&mut self.json, value) {
            self.json.truncate(mark);
            let _ = serde_json::to_writer(&mut self.json, &unserializable(&error));
        }
    }

    fn finish(mut self) -> String {
        if self.json.is_empty() {
            self.json.push(b'{');
        }
        self.json.push(b'}');
        // serde_json writes valid UTF-8 only.
        String::from_utf8(self.json).unwrap_or_default()
    }
}

/// A value `#[observe]` can record as input: anything `serde::Serialize`.
/// Exists to give a non-serializable argument an error that says what to do.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be recorded as observation input: it does not implement `serde::Serialize`",
    label = "this argument is not `Serialize`",
    note = "leave it out of the input with `#[observe(skip(<argument>))]` or `#[observe(skip_all)]`"
)]
pub trait InputValue: Serialize {}

impl<T: Serialize + ?Sized> InputValue for T {}

/// A value `#[observe]` can record as output: anything `serde::Serialize`.
/// Exists to give a non-serializable return type an error that says what to do.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be recorded as observation output: it does not implement `serde::Serialize`",
    label = "this return type is not `Serialize`",
    note = "don't record the output with `#[observe(capture_output = false)]` (errors of a `Result` are still recorded)"
)]
pub trait OutputValue: Serialize {}

impl<T: Serialize + ?Sized> OutputValue for T {}

/// `langfuse.observation.metadata.<key>`: strings as they are, other values
/// as JSON, cut to the value length limit.
pub(crate) fn metadata_attribute<T: Serialize + ?Sized>(key: &str, value: &T) -> KeyValue {
    let value = match serde_json::to_value(value) {
        Ok(serde_json::Value::String(text)) => text,
        Ok(other) => other.to_string(),
        Err(error) => unserializable(&error),
    };
    KeyValue::new(
        format!("{}{key}", attributes::METADATA_PREFIX),
        truncate(value, settings::value_length_limit()),
    )
}

fn to_json<T: Serialize + ?Sized>(value: &T) -> String {
    serde_json::to_string(value)
        .unwrap_or_else(|error| serde_json::Value::String(unserializable(&error)).to_string())
}

/// The marker recorded in place of a value that failed to serialize.
pub(crate) fn unserializable(error: &serde_json::Error) -> String {
    format!("<unserializable: {error}>")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_writer_builds_an_object() {
        let mut input = InputWriter::new();
        input.arg("location", "London");
        input.arg("forecast_days", &3);
        input.arg("tags", &["a", "b"]);
        assert_eq!(
            input.finish(),
            r#"{"location":"London","forecast_days":3,"tags":["a","b"]}"#
        );
        assert_eq!(InputWriter::new().finish(), "{}");
    }

    #[test]
    fn unserializable_arguments_become_markers() {
        struct Broken;
        impl Serialize for Broken {
            fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
                Err(serde::ser::Error::custom("no way"))
            }
        }
        let mut input = InputWriter::new();
        input.arg("ok", &1);
        input.arg("broken", &Broken);
        input.arg("after", &2);
        let json: serde_json::Value = serde_json::from_str(&input.finish()).unwrap();
        assert_eq!(json["ok"], 1);
        assert_eq!(json["broken"], "<unserializable: no way>");
        assert_eq!(json["after"], 2);
        assert_eq!(to_json(&Broken), r#""<unserializable: no way>""#);
    }

    #[test]
    fn truncation_respects_utf8_and_the_limit() {
        for limit in [0, 1, 5, 31, 32, 33, 64, 100, 1000] {
            for text in ["a".repeat(500), "é".repeat(300), "日本語".repeat(100)] {
                let cut = truncate(text.clone(), limit);
                assert!(cut.len() <= limit, "{limit}: {}", cut.len());
                assert!(text.starts_with(cut.split('…').next().unwrap()));
                if limit >= 64 && text.len() > limit {
                    assert!(cut.contains("…[truncated "), "{cut}");
                }
            }
        }
        assert_eq!(truncate("exact".into(), 5), "exact");
    }
}
