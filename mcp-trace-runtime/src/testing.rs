//! Assertions on the spans your code makes, in your own tests (feature
//! `testing`).
//!
//! ```toml
//! [dev-dependencies]
//! mcp-trace-runtime = { version = "…", features = ["testing"] }
//! ```
//!
//! [`trace`] installs, once per process, a global tracer provider that keeps
//! every finished span in memory (a `SimpleSpanProcessor` into an
//! [`InMemorySpanExporter`], plus the `user.id` / `session.id` processor that
//! [`crate::install`] adds too) and the default `tracecontext,baggage`
//! propagators; then it starts a [`TestTrace`]: a fresh trace id and a root
//! context of its own. Run the code under test in that context and ask for
//! the spans of that trace only:
//!
//! ```
//! use mcp_trace_runtime::observe;
//! use mcp_trace_runtime::testing::{self, SpanDataExt};
//!
//! #[observe(as_type = "tool")]
//! fn add(a: i64, b: i64) -> i64 {
//!     a + b
//! }
//!
//! let trace = testing::trace();
//! assert_eq!(trace.in_scope(|| add(2, 3)), 5);
//! let spans = trace.spans();
//! let span = spans.find("add");
//! assert_eq!(span.attr_str("langfuse.observation.type"), Some("tool"));
//! assert_eq!(span.attr_str("langfuse.observation.input"), Some(r#"{"a":2,"b":3}"#));
//! assert_eq!(span.attr_str("langfuse.observation.output"), Some("5"));
//! assert_eq!(span.parent_span_id, trace.root_span_id());
//! ```
//!
//! ## Isolation: one trace per test, one guard for the switches
//!
//! The tracer provider and the switches in [`crate::settings`] (mode,
//! capture, value length limit, inbound-context policy) belong to the whole
//! process, and `cargo test` runs the tests of a binary in parallel threads.
//! One global lock around every test would make that safe and slow, and
//! would still leave every test filtering the same pile of spans by name.
//! This module splits the two concerns:
//!
//! - **Spans are separated by trace id.** Every [`TestTrace`] has its own
//!   random trace id and a root context that is never exported (so a trace
//!   holds exactly the spans the code under test made). Queries
//!   ([`TestTrace::spans`], [`spans_of`]) return only the spans of one
//!   trace, so tests that trace the same function in parallel never see each
//!   other's spans, and nothing is ever reset under a running test.
//!   Spans that end in spawned tasks or on a server are awaited with a
//!   bounded wait ([`TestTrace::wait_for`], at most [`WAIT`]).
//! - **The switches change through one guard.** Tests that rely on the
//!   defaults hold a *shared* claim (every [`TestTrace`] holds one, for its
//!   whole life); a test that changes a switch takes [`exclusive`], which
//!   waits until no shared claim and no other exclusive guard is held, sets
//!   the defaults, lets the test change the switches through its methods
//!   ([`Exclusive::set_mode`], …) and restores the defaults when dropped,
//!   even when the test panics. So tests that only trace run in parallel
//!   with each other, and a test never observes a switch another test set.
//!   It is a reader–writer gate, not a `RwLock`: its claims are `Send`
//!   tokens that may be held across `.await`, a thread that holds the
//!   exclusive guard may still start traces (they share its claim), and a
//!   thread that tries to take a second claim that could never be granted
//!   panics instead of hanging. Waiting exclusive guards do not stop new
//!   shared claims: a test binary is a finite set of tests, so they run
//!   once the tracing tests in flight are done.
//!
//! Take [`exclusive`] also for assertions that no trace can scope: spans
//! that start as new roots outside any context you control (a task spawned
//! without context, a server that starts a new trace). While it is held no
//! other test of this module runs, and [`Exclusive::spans`] returns every
//! span finished since it was taken.
//!
//! What to keep in mind:
//!
//! - Context does not follow `tokio::spawn` or `std::thread::spawn` by
//!   itself: wrap the future ([`TestTrace::wrap`]) or the closure
//!   ([`TestTrace::in_scope`]), or its spans start new traces.
//! - Don't call [`crate::init`] or [`crate::install`] in a test binary that
//!   uses this module: they replace the global tracer provider (and set the
//!   switches from the environment).
//! - Change the switches only through [`Exclusive`]; a direct
//!   `settings::set_*` call would leak into the tests that run beside it.
//! - Take claims on the test's own thread (the thread of a
//!   `#[tokio::test]` body): the gate knows claims by thread.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::future::Future;
use std::ops::Deref;
use std::sync::{Condvar, Mutex, MutexGuard, OnceLock, PoisonError};
use std::thread::{self, ThreadId};
use std::time::{Duration, Instant};

use opentelemetry::context::{FutureExt as _, WithContext};
use opentelemetry::trace::{TraceContextExt, TraceFlags, TraceState};
use opentelemetry::Context;
use opentelemetry_sdk::trace::{IdGenerator, RandomIdGenerator, SdkTracerProvider};

pub use opentelemetry::trace::{SpanContext, SpanId, SpanKind, Status, TraceId};
pub use opentelemetry::Value;
pub use opentelemetry_sdk::trace::{InMemorySpanExporter, SpanData};

use crate::config::InboundContext;
use crate::settings::{self, Mode};

/// The longest [`TestTrace::wait_for`] and [`Exclusive::wait_for`] wait.
///
/// ```
/// assert_eq!(mcp_trace_runtime::testing::WAIT.as_secs(), 10);
/// ```
pub const WAIT: Duration = Duration::from_secs(10);

/// How often a wait looks again.
const POLL: Duration = Duration::from_millis(5);

/// Installs, once per process, the global tracer provider that keeps every
/// finished span in memory, and the default propagators; returns its
/// exporter. [`trace`] and [`exclusive`] call it: call it yourself only to
/// read the exporter directly.
///
/// ```
/// let exporter = mcp_trace_runtime::testing::install();
/// assert!(std::ptr::eq(exporter, mcp_trace_runtime::testing::install()));
/// ```
pub fn install() -> &'static InMemorySpanExporter {
    static EXPORTER: OnceLock<InMemorySpanExporter> = OnceLock::new();
    EXPORTER.get_or_init(|| {
        let exporter = InMemorySpanExporter::default();
        let provider = SdkTracerProvider::builder()
            .with_simple_exporter(exporter.clone())
            .with_span_processor(crate::export::UserSessionAttributes)
            .build();
        opentelemetry::global::set_tracer_provider(provider);
        crate::propagation::install_default_propagators();
        exporter
    })
}

fn finished_spans() -> Vec<SpanData> {
    install().get_finished_spans().unwrap_or_default()
}

/// Starts a [`TestTrace`]: a new trace id, a root context, and a shared
/// claim on the process-wide switches (their defaults hold until it drops).
///
/// ```
/// use mcp_trace_runtime::testing;
/// use opentelemetry::trace::{Tracer, TraceContextExt};
///
/// let trace = testing::trace();
/// trace.in_scope(|| {
///     opentelemetry::global::tracer("example").in_span("work", |_cx| {});
/// });
/// assert_eq!(trace.spans().names(), [("work", testing::SpanKind::Internal)]);
/// assert_ne!(testing::trace().trace_id(), trace.trace_id());
/// ```
pub fn trace() -> TestTrace {
    install();
    let claim = Claim::shared();
    let ids = RandomIdGenerator::default();
    let root = SpanContext::new(
        ids.new_trace_id(),
        ids.new_span_id(),
        TraceFlags::SAMPLED,
        false,
        TraceState::default(),
    );
    TestTrace {
        cx: Context::new().with_remote_span_context(root),
        _claim: claim,
    }
}

/// A string-array attribute value, to compare with one a span carries
/// (`langfuse.trace.tags`, `gen_ai.response.finish_reasons`, …).
///
/// ```
/// use mcp_trace_runtime::testing::{strings, Value};
/// assert!(matches!(strings(&["a", "b"]), Value::Array(_)));
/// ```
pub fn strings(items: &[&str]) -> Value {
    Value::Array(opentelemetry::Array::String(
        items
            .iter()
            .map(|item| opentelemetry::StringValue::from(item.to_string()))
            .collect(),
    ))
}

/// The finished spans of the trace `trace_id`, in the order they ended: for
/// spans whose trace your test chose itself (a caller's `traceparent`).
///
/// ```
/// use mcp_trace_runtime::scope::ServedRequest;
/// use mcp_trace_runtime::testing::{self, TraceId};
/// use opentelemetry::trace::Tracer;
///
/// let _trace = testing::trace(); // the defaults hold while it lives
/// let mut headers = http::HeaderMap::new();
/// let traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
/// headers.insert("traceparent", traceparent.parse().unwrap());
/// ServedRequest::from_headers(headers).sync_scope(|| {
///     let caller = mcp_trace_runtime::scope::caller_context().expect("a caller");
///     opentelemetry::global::tracer("example").start_with_context("served", &caller);
/// });
/// let id = TraceId::from_hex("0af7651916cd43dd8448eb211c80319c").unwrap();
/// assert!(testing::spans_of(id).find("served").parent_span_is_remote);
/// ```
pub fn spans_of(trace_id: TraceId) -> Spans {
    spans_where(|span| span.span_context.trace_id() == trace_id)
}

/// The finished spans `keep` accepts, in the order they ended. Not isolated
/// by itself: select by trace ids your test owns (or hold [`exclusive`]).
///
/// ```
/// use std::collections::HashSet;
/// use mcp_trace_runtime::testing;
/// use opentelemetry::trace::Tracer;
///
/// let (first, second) = (testing::trace(), testing::trace());
/// for trace in [&first, &second] {
///     trace.in_scope(|| opentelemetry::global::tracer("example").in_span("step", |_| {}));
/// }
/// let mine: HashSet<_> = [first.trace_id(), second.trace_id()].into();
/// let spans = testing::spans_where(|span| mine.contains(&span.span_context.trace_id()));
/// assert_eq!(spans.named("step").len(), 2);
/// ```
pub fn spans_where(mut keep: impl FnMut(&SpanData) -> bool) -> Spans {
    Spans(
        finished_spans()
            .into_iter()
            .filter(|span| keep(span))
            .collect(),
    )
}

/// Takes the process-wide switches for this test alone: waits until no
/// [`TestTrace`] and no other [`Exclusive`] is held elsewhere, sets the
/// defaults and forgets every span finished so far. See [`Exclusive`].
///
/// ```
/// use mcp_trace_runtime::{settings, testing, Mode};
///
/// {
///     let switches = testing::exclusive();
///     switches.set_mode(Mode::Off);
///     assert_eq!(settings::mode(), Mode::Off);
/// }
/// assert_eq!(settings::mode(), Mode::Native, "restored on drop");
/// ```
pub fn exclusive() -> Exclusive {
    install();
    let claim = Claim::exclusive();
    restore_defaults();
    install().reset();
    Exclusive { _claim: claim }
}

fn restore_defaults() {
    settings::set_mode(Mode::default());
    settings::set_capture_io(true);
    settings::set_value_length_limit(settings::DEFAULT_VALUE_LENGTH_LIMIT);
    settings::set_inbound_context(InboundContext::Parent);
}

async fn wait_until(query: impl Fn() -> Spans, done: impl Fn(&Spans) -> bool) -> Spans {
    let deadline = Instant::now() + WAIT;
    loop {
        let spans = query();
        if done(&spans) || Instant::now() >= deadline {
            return spans;
        }
        tokio::time::sleep(POLL).await;
    }
}

/// One test's trace: a random trace id and a root context whose span is
/// never exported, so [`TestTrace::spans`] holds exactly the spans the code
/// run in it made. Holds a shared claim on the switches (see the module
/// documentation) until dropped. Made by [`trace`].
///
/// ```
/// use mcp_trace_runtime::testing;
///
/// let trace = testing::trace();
/// assert!(trace.spans().is_empty());
/// ```
#[derive(Debug)]
pub struct TestTrace {
    cx: Context,
    _claim: Claim,
}

impl TestTrace {
    /// The id every span of this trace carries.
    ///
    /// ```
    /// let trace = mcp_trace_runtime::testing::trace();
    /// assert_ne!(trace.trace_id(), mcp_trace_runtime::testing::TraceId::INVALID);
    /// ```
    pub fn trace_id(&self) -> TraceId {
        self.cx.span().span_context().trace_id()
    }

    /// The id of the (never exported) root span: the parent of every span
    /// started directly in [`TestTrace::context`].
    ///
    /// ```
    /// use mcp_trace_runtime::testing;
    /// use opentelemetry::trace::Tracer;
    ///
    /// let trace = testing::trace();
    /// trace.in_scope(|| opentelemetry::global::tracer("example").in_span("top", |_| {}));
    /// assert_eq!(trace.spans().find("top").parent_span_id, trace.root_span_id());
    /// ```
    pub fn root_span_id(&self) -> SpanId {
        self.cx.span().span_context().span_id()
    }

    /// The root context, to pass as a parent explicitly.
    ///
    /// ```
    /// use mcp_trace_runtime::testing;
    /// use opentelemetry::trace::Tracer;
    ///
    /// let trace = testing::trace();
    /// opentelemetry::global::tracer("example").start_with_context("request", &trace.context());
    /// assert_eq!(trace.spans().len(), 1, "ended when dropped");
    /// ```
    pub fn context(&self) -> Context {
        self.cx.clone()
    }

    /// A W3C `traceparent` for the root: a caller in this trace, to put in
    /// the headers or `_meta` of a request the test sends or serves.
    ///
    /// ```
    /// let trace = mcp_trace_runtime::testing::trace();
    /// let traceparent = trace.traceparent();
    /// assert_eq!(traceparent, format!("00-{}-{}-01", trace.trace_id(), trace.root_span_id()));
    /// ```
    pub fn traceparent(&self) -> String {
        format!("00-{}-{}-01", self.trace_id(), self.root_span_id())
    }

    /// Runs `f` with the root context attached: spans it starts (with no
    /// other parent) belong to this trace.
    ///
    /// ```
    /// use mcp_trace_runtime::observe::{Observation, ObserveOptions};
    ///
    /// let trace = mcp_trace_runtime::testing::trace();
    /// const OPTIONS: ObserveOptions = ObserveOptions::new("step");
    /// let answer = trace.in_scope(|| Observation::start(&OPTIONS).run(|| 42, Observation::record_output));
    /// assert_eq!(answer, 42);
    /// assert_eq!(trace.spans().find("step").parent_span_id, trace.root_span_id());
    /// ```
    pub fn in_scope<R>(&self, f: impl FnOnce() -> R) -> R {
        let _attached = self.cx.clone().attach();
        f()
    }

    /// `future` with the root context attached at every poll, for `.await`
    /// or `tokio::spawn`.
    ///
    /// ```
    /// use mcp_trace_runtime::observe;
    ///
    /// #[observe]
    /// async fn lookup(city: String) -> usize {
    ///     city.len()
    /// }
    ///
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let trace = mcp_trace_runtime::testing::trace();
    /// let task = tokio::spawn(trace.wrap(lookup("Oslo".into())));
    /// assert_eq!(task.await.unwrap(), 4);
    /// assert_eq!(trace.spans().named("lookup").len(), 1);
    /// # });
    /// ```
    pub fn wrap<F: Future>(&self, future: F) -> WithContext<F> {
        future.with_context(self.cx.clone())
    }

    /// The finished spans of this trace, in the order they ended.
    ///
    /// ```
    /// let trace = mcp_trace_runtime::testing::trace();
    /// assert!(trace.spans().is_empty());
    /// ```
    pub fn spans(&self) -> Spans {
        spans_of(self.trace_id())
    }

    /// Waits until `done` accepts the spans of this trace, at most [`WAIT`]
    /// (polling, on the tokio timer), and returns the last look either way:
    /// for spans that end in spawned tasks or on a server after the test's
    /// own call returned. Assert on what it returns.
    ///
    /// ```
    /// use mcp_trace_runtime::testing;
    /// use opentelemetry::trace::Tracer;
    ///
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let trace = testing::trace();
    /// tokio::spawn(trace.wrap(async {
    ///     tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    ///     opentelemetry::global::tracer("example").in_span("late", |_| {});
    /// }));
    /// let spans = trace.wait_for(|spans| !spans.named("late").is_empty()).await;
    /// assert_eq!(spans.names(), [("late", testing::SpanKind::Internal)]);
    /// # });
    /// ```
    pub async fn wait_for(&self, done: impl Fn(&Spans) -> bool) -> Spans {
        wait_until(|| self.spans(), done).await
    }
}

/// The process-wide switches of [`crate::settings`], held by one test: made
/// by [`exclusive`], which waits for every [`TestTrace`] and other
/// `Exclusive` held on other threads to drop. Change the switches through
/// it; dropping it restores the defaults (mode `native`, capture on,
/// [`settings::DEFAULT_VALUE_LENGTH_LIMIT`], inbound context `parent`), also
/// when the test panics. The thread that holds it may start [`trace`]s.
///
/// ```
/// use mcp_trace_runtime::{observe, settings, testing};
/// use mcp_trace_runtime::testing::SpanDataExt;
///
/// #[observe]
/// fn echo(text: &str) -> String {
///     text.to_string()
/// }
///
/// let switches = testing::exclusive();
/// switches.set_capture_io(false);
/// let trace = testing::trace();
/// trace.in_scope(|| echo("secret"));
/// assert!(!trace.spans().find("echo").has_attr("langfuse.observation.input"));
/// drop(trace);
/// drop(switches);
/// assert!(settings::capture_io());
/// ```
#[derive(Debug)]
pub struct Exclusive {
    _claim: Claim,
}

impl Exclusive {
    /// Sets the mode (`MCP_TRACE_MODE`) until this guard drops.
    ///
    /// ```
    /// use mcp_trace_runtime::{settings, Mode};
    /// let switches = mcp_trace_runtime::testing::exclusive();
    /// switches.set_mode(Mode::PropagationOnly);
    /// assert_eq!(settings::mode(), Mode::PropagationOnly);
    /// ```
    pub fn set_mode(&self, mode: Mode) {
        settings::set_mode(mode);
    }

    /// Turns input/output capture on or off until this guard drops.
    ///
    /// ```
    /// let switches = mcp_trace_runtime::testing::exclusive();
    /// switches.set_capture_io(false);
    /// assert!(!mcp_trace_runtime::settings::capture_io());
    /// ```
    pub fn set_capture_io(&self, enabled: bool) {
        settings::set_capture_io(enabled);
    }

    /// Sets the longest captured value, in bytes, until this guard drops.
    ///
    /// ```
    /// let switches = mcp_trace_runtime::testing::exclusive();
    /// switches.set_value_length_limit(100);
    /// assert_eq!(mcp_trace_runtime::settings::value_length_limit(), 100);
    /// ```
    pub fn set_value_length_limit(&self, bytes: usize) {
        settings::set_value_length_limit(bytes);
    }

    /// Sets the trust policy for inbound trace context until this guard
    /// drops.
    ///
    /// ```
    /// use mcp_trace_runtime::config::InboundContext;
    /// let switches = mcp_trace_runtime::testing::exclusive();
    /// switches.set_inbound_context(InboundContext::Link);
    /// assert_eq!(mcp_trace_runtime::settings::inbound_context(), InboundContext::Link);
    /// ```
    pub fn set_inbound_context(&self, policy: InboundContext) {
        settings::set_inbound_context(policy);
    }

    /// Every span finished since this guard was taken, from any trace, in
    /// the order they ended: for spans no [`TestTrace`] can scope (new roots).
    ///
    /// ```
    /// use mcp_trace_runtime::testing;
    /// use opentelemetry::trace::Tracer;
    ///
    /// let switches = testing::exclusive();
    /// opentelemetry::global::tracer("example").in_span("a root", |_| {});
    /// let spans = switches.spans();
    /// assert_eq!(spans.find("a root").parent_span_id, testing::SpanId::INVALID);
    /// ```
    pub fn spans(&self) -> Spans {
        Spans(finished_spans())
    }

    /// Waits until `done` accepts [`Exclusive::spans`], at most [`WAIT`],
    /// and returns the last look either way.
    ///
    /// ```
    /// use mcp_trace_runtime::testing;
    /// use opentelemetry::trace::Tracer;
    ///
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let switches = testing::exclusive();
    /// tokio::spawn(async { opentelemetry::global::tracer("example").in_span("spawned", |_| {}) });
    /// let spans = switches.wait_for(|spans| spans.len() == 1).await;
    /// assert_eq!(spans.find("spawned").parent_span_id, testing::SpanId::INVALID);
    /// # });
    /// ```
    pub async fn wait_for(&self, done: impl Fn(&Spans) -> bool) -> Spans {
        wait_until(|| self.spans(), done).await
    }
}

impl Drop for Exclusive {
    fn drop(&mut self) {
        restore_defaults();
    }
}

// ---------------------------------------------------------------- the gate

/// Who holds the switches: shared claims by thread (a thread may hold
/// several), or one exclusive holder.
#[derive(Debug)]
struct GateState {
    shared: Vec<ThreadId>,
    exclusive: Option<ThreadId>,
}

static GATE: Mutex<GateState> = Mutex::new(GateState {
    shared: Vec::new(),
    exclusive: None,
});
static RELEASED: Condvar = Condvar::new();

fn gate() -> MutexGuard<'static, GateState> {
    GATE.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A claim on the switches; released when dropped. A token, not a lock
/// guard: `Send`, and fine to hold across `.await`.
#[derive(Debug)]
enum Claim {
    Shared(ThreadId),
    Exclusive,
    /// Taken on the thread that holds the exclusive claim: covered by it.
    UnderExclusive,
}

impl Claim {
    fn shared() -> Claim {
        let me = thread::current().id();
        let mut state = gate();
        loop {
            match state.exclusive {
                None => {
                    state.shared.push(me);
                    return Claim::Shared(me);
                }
                Some(holder) if holder == me => return Claim::UnderExclusive,
                Some(_) => state = RELEASED.wait(state).unwrap_or_else(PoisonError::into_inner),
            }
        }
    }

    fn exclusive() -> Claim {
        let me = thread::current().id();
        let mut state = gate();
        assert!(
            state.exclusive != Some(me),
            "testing::exclusive() is already held on this thread"
        );
        assert!(
            !state.shared.contains(&me),
            "testing::exclusive() would wait forever for a TestTrace this thread holds: \
             take exclusive() first, or drop the trace"
        );
        while state.exclusive.is_some() || !state.shared.is_empty() {
            state = RELEASED.wait(state).unwrap_or_else(PoisonError::into_inner);
        }
        state.exclusive = Some(me);
        Claim::Exclusive
    }
}

impl Drop for Claim {
    fn drop(&mut self) {
        let mut state = gate();
        match self {
            Claim::Shared(thread) => {
                if let Some(index) = state.shared.iter().position(|held| held == thread) {
                    state.shared.swap_remove(index);
                }
            }
            Claim::Exclusive => state.exclusive = None,
            Claim::UnderExclusive => return,
        }
        RELEASED.notify_all();
    }
}

// ---------------------------------------------------------------- queries

/// Finished spans, in the order they ended, with queries by name, kind and
/// parentage. Derefs to `[SpanData]` (`len`, `iter`, indexing, …).
///
/// ```
/// use mcp_trace_runtime::testing::{self, SpanKind};
/// use opentelemetry::trace::{Tracer, TraceContextExt};
///
/// let trace = testing::trace();
/// let tracer = opentelemetry::global::tracer("example");
/// trace.in_scope(|| tracer.in_span("outer", |_| tracer.in_span("inner", |_| {})));
/// let spans = trace.spans();
/// assert_eq!(spans.len(), 2);
/// let inner = spans.find_kind("inner", SpanKind::Internal);
/// assert_eq!(spans.parent_of(inner).unwrap().name, "outer");
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Spans(Vec<SpanData>);

impl Spans {
    /// The spans named `name`, in the order they ended.
    ///
    /// ```
    /// let trace = mcp_trace_runtime::testing::trace();
    /// assert!(trace.spans().named("anything").is_empty());
    /// ```
    pub fn named(&self, name: &str) -> Vec<&SpanData> {
        self.0.iter().filter(|span| span.name == name).collect()
    }

    /// The one span named `name`; panics, showing [`Spans::tree`], when there
    /// is none or more than one.
    ///
    /// ```
    /// use mcp_trace_runtime::testing;
    /// use opentelemetry::trace::Tracer;
    ///
    /// let trace = testing::trace();
    /// trace.in_scope(|| opentelemetry::global::tracer("example").in_span("once", |_| {}));
    /// assert_eq!(trace.spans().find("once").name, "once");
    /// ```
    #[track_caller]
    pub fn find(&self, name: &str) -> &SpanData {
        self.exactly_one(|span| span.name == name, &format!("span {name:?}"))
    }

    /// The one span named `name` of kind `kind` (a `tools/call` CLIENT span
    /// and its SERVER span share a name); panics like [`Spans::find`].
    ///
    /// ```
    /// use mcp_trace_runtime::testing::{self, SpanKind};
    /// use opentelemetry::trace::{SpanKind as Kind, Tracer};
    ///
    /// let trace = testing::trace();
    /// let tracer = opentelemetry::global::tracer("example");
    /// trace.in_scope(|| {
    ///     tracer.span_builder("ping").with_kind(Kind::Client).start(&tracer);
    ///     tracer.span_builder("ping").with_kind(Kind::Server).start(&tracer);
    /// });
    /// assert_eq!(trace.spans().find_kind("ping", SpanKind::Server).span_kind, SpanKind::Server);
    /// ```
    #[track_caller]
    pub fn find_kind(&self, name: &str, kind: SpanKind) -> &SpanData {
        self.exactly_one(
            |span| span.name == name && span.span_kind == kind,
            &format!("{kind:?} span {name:?}"),
        )
    }

    #[track_caller]
    fn exactly_one(&self, matches: impl Fn(&SpanData) -> bool, what: &str) -> &SpanData {
        let found: Vec<&SpanData> = self.0.iter().filter(|span| matches(span)).collect();
        match found.as_slice() {
            [one] => one,
            _ => panic!(
                "expected exactly one {what}, found {}, among:\n{}",
                found.len(),
                self.tree()
            ),
        }
    }

    /// The parent of `span`, if it is among these spans.
    ///
    /// ```
    /// use mcp_trace_runtime::testing;
    /// use opentelemetry::trace::Tracer;
    ///
    /// let trace = testing::trace();
    /// trace.in_scope(|| opentelemetry::global::tracer("example").in_span("top", |_| {}));
    /// let spans = trace.spans();
    /// assert!(spans.parent_of(spans.find("top")).is_none(), "the root is never exported");
    /// ```
    pub fn parent_of(&self, span: &SpanData) -> Option<&SpanData> {
        if span.parent_span_id == SpanId::INVALID {
            return None;
        }
        self.0.iter().find(|candidate| {
            candidate.span_context.span_id() == span.parent_span_id
                && candidate.span_context.trace_id() == span.span_context.trace_id()
        })
    }

    /// The children of `span` among these spans, in the order they ended.
    ///
    /// ```
    /// use mcp_trace_runtime::testing;
    /// use opentelemetry::trace::Tracer;
    ///
    /// let trace = testing::trace();
    /// let tracer = opentelemetry::global::tracer("example");
    /// trace.in_scope(|| tracer.in_span("parent", |_| {
    ///     tracer.in_span("first", |_| {});
    ///     tracer.in_span("second", |_| {});
    /// }));
    /// let spans = trace.spans();
    /// let names: Vec<_> = spans.children(spans.find("parent")).iter().map(|s| s.name.clone()).collect();
    /// assert_eq!(names, ["first", "second"]);
    /// ```
    pub fn children(&self, span: &SpanData) -> Vec<&SpanData> {
        self.0
            .iter()
            .filter(|candidate| {
                candidate.parent_span_id == span.span_context.span_id()
                    && candidate.span_context.trace_id() == span.span_context.trace_id()
            })
            .collect()
    }

    /// The spans whose parent is not among these spans (in a [`TestTrace`]:
    /// the children of its root), in the order they ended.
    ///
    /// ```
    /// use mcp_trace_runtime::testing;
    /// use opentelemetry::trace::Tracer;
    ///
    /// let trace = testing::trace();
    /// let tracer = opentelemetry::global::tracer("example");
    /// trace.in_scope(|| tracer.in_span("top", |_| tracer.in_span("below", |_| {})));
    /// let spans = trace.spans();
    /// assert_eq!(spans.roots().len(), 1);
    /// assert_eq!(spans.roots()[0].name, "top");
    /// ```
    pub fn roots(&self) -> Vec<&SpanData> {
        self.0
            .iter()
            .filter(|span| self.parent_of(span).is_none())
            .collect()
    }

    /// Name and kind of every span, in the order they ended: what a failed
    /// assertion should print.
    ///
    /// ```
    /// use mcp_trace_runtime::testing::{self, SpanKind};
    /// use opentelemetry::trace::Tracer;
    ///
    /// let trace = testing::trace();
    /// trace.in_scope(|| opentelemetry::global::tracer("example").in_span("a", |_| {}));
    /// assert_eq!(trace.spans().names(), [("a", SpanKind::Internal)]);
    /// ```
    pub fn names(&self) -> Vec<(&str, SpanKind)> {
        self.0
            .iter()
            .map(|span| (span.name.as_ref(), span.span_kind.clone()))
            .collect()
    }

    /// The spans as an indented tree (children under their parent, by start
    /// time), one `name (Kind)` a line; an error status is appended.
    ///
    /// ```
    /// use mcp_trace_runtime::testing;
    /// use opentelemetry::trace::Tracer;
    ///
    /// let trace = testing::trace();
    /// let tracer = opentelemetry::global::tracer("example");
    /// trace.in_scope(|| tracer.in_span("request", |_| tracer.in_span("tool", |_| {})));
    /// assert_eq!(trace.spans().tree(), "request (Internal)\n  tool (Internal)\n");
    /// ```
    pub fn tree(&self) -> String {
        let mut children: HashMap<(TraceId, SpanId), Vec<&SpanData>> = HashMap::new();
        for span in &self.0 {
            if let Some(parent) = self.parent_of(span) {
                children
                    .entry((
                        parent.span_context.trace_id(),
                        parent.span_context.span_id(),
                    ))
                    .or_default()
                    .push(span);
            }
        }
        for list in children.values_mut() {
            list.sort_by_key(|span| span.start_time);
        }
        let mut roots = self.roots();
        roots.sort_by_key(|span| span.start_time);
        let mut out = String::new();
        let mut stack: Vec<(&SpanData, usize)> = roots.into_iter().rev().map(|s| (s, 0)).collect();
        while let Some((span, depth)) = stack.pop() {
            let _ = write!(
                out,
                "{:indent$}{} ({:?})",
                "",
                span.name,
                span.span_kind,
                indent = depth * 2
            );
            if let Status::Error { description } = &span.status {
                let _ = write!(out, " error: {description}");
            }
            out.push('\n');
            let key = (span.span_context.trace_id(), span.span_context.span_id());
            if let Some(list) = children.get(&key) {
                stack.extend(list.iter().rev().map(|child| (*child, depth + 1)));
            }
        }
        out
    }

    /// The spans themselves.
    ///
    /// ```
    /// let spans: Vec<_> = mcp_trace_runtime::testing::trace().spans().into_vec();
    /// assert!(spans.is_empty());
    /// ```
    pub fn into_vec(self) -> Vec<SpanData> {
        self.0
    }
}

impl Deref for Spans {
    type Target = [SpanData];

    fn deref(&self) -> &[SpanData] {
        &self.0
    }
}

impl From<Vec<SpanData>> for Spans {
    fn from(spans: Vec<SpanData>) -> Spans {
        Spans(spans)
    }
}

impl IntoIterator for Spans {
    type Item = SpanData;
    type IntoIter = std::vec::IntoIter<SpanData>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a> IntoIterator for &'a Spans {
    type Item = &'a SpanData;
    type IntoIter = std::slice::Iter<'a, SpanData>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

/// Typed reads of one finished span: attributes by type, ids, status,
/// links, events. For any [`SpanData`], also one from your own exporter.
///
/// ```
/// use mcp_trace_runtime::testing::{self, SpanDataExt};
/// use opentelemetry::trace::{Span, Tracer};
/// use opentelemetry::KeyValue;
///
/// let trace = testing::trace();
/// trace.in_scope(|| {
///     let mut span = opentelemetry::global::tracer("example").start("call");
///     span.set_attribute(KeyValue::new("server.port", 8080));
///     span.set_attribute(KeyValue::new("mcp.method.name", "tools/call"));
/// });
/// let spans = trace.spans();
/// let span = spans.find("call");
/// assert_eq!(span.attr_i64("server.port"), Some(8080));
/// assert_eq!(span.attr_str("mcp.method.name"), Some("tools/call"));
/// assert_eq!(span.attr_str("server.port"), None, "not a string");
/// assert!(span.has_attr("server.port"));
/// assert_eq!(span.trace_id(), trace.trace_id());
/// ```
pub trait SpanDataExt {
    /// The value of attribute `key`, of whatever type.
    ///
    /// ```
    /// # use mcp_trace_runtime::testing::{self, SpanDataExt, Value};
    /// # use opentelemetry::trace::{Span, Tracer};
    /// # let trace = testing::trace();
    /// # trace.in_scope(|| opentelemetry::global::tracer("x").start("s").set_attribute(opentelemetry::KeyValue::new("ok", true)));
    /// let spans = trace.spans();
    /// assert_eq!(spans.find("s").attr("ok"), Some(&Value::Bool(true)));
    /// ```
    fn attr(&self, key: &str) -> Option<&Value>;

    /// Whether attribute `key` is set at all: assert absence with this, not
    /// with a typed read that is also `None` for a value of another type.
    ///
    /// ```
    /// # use mcp_trace_runtime::testing::{self, SpanDataExt};
    /// # use opentelemetry::trace::Tracer;
    /// # let trace = testing::trace();
    /// # trace.in_scope(|| opentelemetry::global::tracer("x").in_span("s", |_| {}));
    /// assert!(!trace.spans().find("s").has_attr("langfuse.observation.input"));
    /// ```
    fn has_attr(&self, key: &str) -> bool {
        self.attr(key).is_some()
    }

    /// Attribute `key` when it is a string.
    ///
    /// ```
    /// # use mcp_trace_runtime::testing::{self, SpanDataExt};
    /// # use opentelemetry::trace::{Span, Tracer};
    /// # let trace = testing::trace();
    /// # trace.in_scope(|| opentelemetry::global::tracer("x").start("s").set_attribute(opentelemetry::KeyValue::new("k", "v")));
    /// assert_eq!(trace.spans().find("s").attr_str("k"), Some("v"));
    /// ```
    fn attr_str(&self, key: &str) -> Option<&str> {
        match self.attr(key)? {
            Value::String(text) => Some(text.as_str()),
            _ => None,
        }
    }

    /// Attribute `key` when it is an integer.
    ///
    /// ```
    /// # use mcp_trace_runtime::testing::{self, SpanDataExt};
    /// # use opentelemetry::trace::{Span, Tracer};
    /// # let trace = testing::trace();
    /// # trace.in_scope(|| opentelemetry::global::tracer("x").start("s").set_attribute(opentelemetry::KeyValue::new("n", 7)));
    /// assert_eq!(trace.spans().find("s").attr_i64("n"), Some(7));
    /// ```
    fn attr_i64(&self, key: &str) -> Option<i64> {
        match self.attr(key)? {
            Value::I64(number) => Some(*number),
            _ => None,
        }
    }

    /// Attribute `key` when it is a boolean.
    ///
    /// ```
    /// # use mcp_trace_runtime::testing::{self, SpanDataExt};
    /// # use opentelemetry::trace::{Span, Tracer};
    /// # let trace = testing::trace();
    /// # trace.in_scope(|| opentelemetry::global::tracer("x").start("s").set_attribute(opentelemetry::KeyValue::new("b", false)));
    /// assert_eq!(trace.spans().find("s").attr_bool("b"), Some(false));
    /// ```
    fn attr_bool(&self, key: &str) -> Option<bool> {
        match self.attr(key)? {
            Value::Bool(flag) => Some(*flag),
            _ => None,
        }
    }

    /// Attribute `key` when it is a string holding JSON, parsed (the
    /// captured `langfuse.observation.input` / `output`).
    ///
    /// ```
    /// use mcp_trace_runtime::{observe, testing};
    /// use mcp_trace_runtime::testing::SpanDataExt;
    ///
    /// #[observe]
    /// fn greet(name: &str, times: u32) -> String {
    ///     name.repeat(times as usize)
    /// }
    ///
    /// let trace = testing::trace();
    /// trace.in_scope(|| greet("hi", 2));
    /// let spans = trace.spans();
    /// let input = spans.find("greet").attr_json("langfuse.observation.input");
    /// assert_eq!(input, Some(serde_json::json!({"name": "hi", "times": 2})));
    /// ```
    fn attr_json(&self, key: &str) -> Option<serde_json::Value> {
        serde_json::from_str(self.attr_str(key)?).ok()
    }

    /// The span's trace id.
    ///
    /// ```
    /// # use mcp_trace_runtime::testing::{self, SpanDataExt};
    /// # use opentelemetry::trace::Tracer;
    /// # let trace = testing::trace();
    /// # trace.in_scope(|| opentelemetry::global::tracer("x").in_span("s", |_| {}));
    /// assert_eq!(trace.spans().find("s").trace_id(), trace.trace_id());
    /// ```
    fn trace_id(&self) -> TraceId;

    /// The span's own id.
    ///
    /// ```
    /// # use mcp_trace_runtime::testing::{self, SpanDataExt};
    /// # use opentelemetry::trace::Tracer;
    /// # let trace = testing::trace();
    /// # let tracer = opentelemetry::global::tracer("x");
    /// # trace.in_scope(|| tracer.in_span("outer", |_| tracer.in_span("inner", |_| {})));
    /// let spans = trace.spans();
    /// assert_eq!(spans.find("inner").parent_span_id, spans.find("outer").span_id());
    /// ```
    fn span_id(&self) -> SpanId;

    /// Whether the span's status is `Error`.
    ///
    /// ```
    /// # use mcp_trace_runtime::testing::{self, SpanDataExt};
    /// # use opentelemetry::trace::Tracer;
    /// # let trace = testing::trace();
    /// # trace.in_scope(|| opentelemetry::global::tracer("x").in_span("s", |_| {}));
    /// assert!(!trace.spans().find("s").is_error());
    /// ```
    fn is_error(&self) -> bool {
        self.error_description().is_some()
    }

    /// The description of an `Error` status; `None` for `Unset` and `Ok`.
    ///
    /// ```
    /// # use mcp_trace_runtime::testing::{self, SpanDataExt};
    /// # use opentelemetry::trace::{Span, Status, Tracer};
    /// # let trace = testing::trace();
    /// # trace.in_scope(|| opentelemetry::global::tracer("x").start("s").set_status(Status::error("down")));
    /// assert_eq!(trace.spans().find("s").error_description(), Some("down"));
    /// ```
    fn error_description(&self) -> Option<&str>;

    /// The span contexts this span links to (the caller, under the `link`
    /// inbound-context policy).
    ///
    /// ```
    /// # use mcp_trace_runtime::testing::{self, SpanDataExt};
    /// # use opentelemetry::trace::{Link, SpanContext, SpanId, TraceFlags, TraceId, TraceState, Tracer};
    /// # let trace = testing::trace();
    /// # let tracer = opentelemetry::global::tracer("x");
    /// let caller = SpanContext::new(
    ///     TraceId::from(7),
    ///     SpanId::from(9),
    ///     TraceFlags::SAMPLED,
    ///     true,
    ///     TraceState::default(),
    /// );
    /// trace.in_scope(|| {
    ///     tracer.span_builder("linked").with_links(vec![Link::with_context(caller.clone())]).start(&tracer);
    /// });
    /// assert_eq!(trace.spans().find("linked").linked_contexts(), [&caller]);
    /// ```
    fn linked_contexts(&self) -> Vec<&SpanContext>;

    /// Whether this span links to `other`.
    ///
    /// ```
    /// # use mcp_trace_runtime::testing::{self, SpanDataExt};
    /// # use opentelemetry::trace::{Link, Tracer, TraceContextExt};
    /// # let trace = testing::trace();
    /// # let tracer = opentelemetry::global::tracer("x");
    /// trace.in_scope(|| tracer.in_span("first", |_| {}));
    /// let first = trace.spans().find("first").clone();
    /// trace.in_scope(|| {
    ///     tracer.span_builder("second").with_links(vec![Link::with_context(first.span_context.clone())]).start(&tracer);
    /// });
    /// assert!(trace.spans().find("second").links_to(&first));
    /// ```
    fn links_to(&self, other: &SpanData) -> bool {
        self.linked_contexts().iter().any(|linked| {
            linked.trace_id() == other.span_context.trace_id()
                && linked.span_id() == other.span_context.span_id()
        })
    }

    /// Whether the span has an event named `name` (`exception` for a
    /// recorded error).
    ///
    /// ```
    /// # use mcp_trace_runtime::testing::{self, SpanDataExt};
    /// # use opentelemetry::trace::{Span, Tracer};
    /// # let trace = testing::trace();
    /// # trace.in_scope(|| opentelemetry::global::tracer("x").start("s").add_event("retry", vec![]));
    /// assert!(trace.spans().find("s").has_event("retry"));
    /// ```
    fn has_event(&self, name: &str) -> bool;
}

impl SpanDataExt for SpanData {
    fn attr(&self, key: &str) -> Option<&Value> {
        // The last value set wins, as in every backend that reads a span's
        // attributes into a map.
        self.attributes
            .iter()
            .rev()
            .find(|kv| kv.key.as_str() == key)
            .map(|kv| &kv.value)
    }

    fn trace_id(&self) -> TraceId {
        self.span_context.trace_id()
    }

    fn span_id(&self) -> SpanId {
        self.span_context.span_id()
    }

    fn error_description(&self) -> Option<&str> {
        match &self.status {
            Status::Error { description } => Some(description.as_ref()),
            _ => None,
        }
    }

    fn linked_contexts(&self) -> Vec<&SpanContext> {
        self.links.iter().map(|link| &link.span_context).collect()
    }

    fn has_event(&self, name: &str) -> bool {
        self.events.iter().any(|event| event.name == name)
    }
}
