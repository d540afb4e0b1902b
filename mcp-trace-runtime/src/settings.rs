//! Process-wide switches read on the hot path of every traced call.
//!
//! They are plain atomics rather than a locked configuration object so that
//! `#[observe]` pays one relaxed load per switch and no lock is ever shared
//! between concurrent requests. [`crate::install`] sets them from the
//! [`crate::Config`]; tests and embedders may set them directly.

use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};

/// What the runtime traces (`MCP_TRACE_MODE`).
///
/// ```
/// use mcp_trace_runtime::Mode;
/// assert_eq!(Mode::parse("propagation_only"), Some(Mode::PropagationOnly));
/// assert_eq!(Mode::Off.as_str(), "off");
/// ```
///
/// More variants may be added: a `match` on it needs a `_` arm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Mode {
    /// MCP semantic-convention CLIENT/SERVER spans plus the decorator spans.
    #[default]
    Native,
    /// Decorator spans and context propagation only (the seed's tree).
    PropagationOnly,
    /// No spans and no propagation.
    Off,
}

impl Mode {
    /// Accepted spellings, for error messages.
    pub const ACCEPTED: &'static str = "native, propagation_only, off";

    /// Parses a `MCP_TRACE_MODE` value (case-insensitive).
    pub fn parse(value: &str) -> Option<Mode> {
        match value.trim().to_ascii_lowercase().as_str() {
            "native" => Some(Mode::Native),
            "propagation_only" => Some(Mode::PropagationOnly),
            "off" => Some(Mode::Off),
            _ => None,
        }
    }

    /// The canonical spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Native => "native",
            Mode::PropagationOnly => "propagation_only",
            Mode::Off => "off",
        }
    }
}

/// Trust policy for the trace context a server receives
/// (`MCP_TRACE_INBOUND_CONTEXT`).
///
/// ```
/// use mcp_trace_runtime::settings::InboundContext;
/// assert_eq!(InboundContext::parse("link"), Some(InboundContext::Link));
/// ```
///
/// More variants may be added: a `match` on it needs a `_` arm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum InboundContext {
    /// Adopt the caller's span as parent: one trace across client and server (default).
    #[default]
    Parent,
    /// Start a new trace for each request, linked to the caller's span: for
    /// servers exposed to untrusted clients, whose trace ids and sampling
    /// decisions should not be taken over.
    Link,
}

impl InboundContext {
    /// Accepted spellings, for error messages.
    pub const ACCEPTED: &'static str = "parent, link";

    /// Parses a `MCP_TRACE_INBOUND_CONTEXT` value (case-insensitive).
    pub fn parse(value: &str) -> Option<InboundContext> {
        match value.trim().to_ascii_lowercase().as_str() {
            "parent" => Some(InboundContext::Parent),
            "link" => Some(InboundContext::Link),
            _ => None,
        }
    }
}

/// Default of `OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT` for captured values, in bytes.
pub const DEFAULT_VALUE_LENGTH_LIMIT: usize = 65536;

static MODE: AtomicU8 = AtomicU8::new(0);
static LINK_INBOUND: AtomicBool = AtomicBool::new(false);
static CAPTURE_IO: AtomicBool = AtomicBool::new(true);
static VALUE_LENGTH_LIMIT: AtomicUsize = AtomicUsize::new(DEFAULT_VALUE_LENGTH_LIMIT);
static STDOUT_CARRIES_PROTOCOL: AtomicBool = AtomicBool::new(false);

/// The active mode (native until [`crate::install`] says otherwise).
///
/// ```
/// assert_eq!(mcp_trace_runtime::settings::mode(), mcp_trace_runtime::Mode::Native);
/// ```
pub fn mode() -> Mode {
    match MODE.load(Ordering::Relaxed) {
        1 => Mode::PropagationOnly,
        2 => Mode::Off,
        _ => Mode::Native,
    }
}

/// Sets the active mode for the whole process.
pub fn set_mode(mode: Mode) {
    let value = match mode {
        Mode::Native => 0,
        Mode::PropagationOnly => 1,
        Mode::Off => 2,
    };
    MODE.store(value, Ordering::Relaxed);
}

/// Whether observations record input and output at all
/// (`LANGFUSE_OBSERVE_DECORATOR_IO_CAPTURE_ENABLED`, default true).
pub fn capture_io() -> bool {
    CAPTURE_IO.load(Ordering::Relaxed)
}

/// Turns input/output capture on or off for the whole process.
///
/// ```
/// mcp_trace_runtime::settings::set_capture_io(false);
/// assert!(!mcp_trace_runtime::settings::capture_io());
/// mcp_trace_runtime::settings::set_capture_io(true);
/// ```
pub fn set_capture_io(enabled: bool) {
    CAPTURE_IO.store(enabled, Ordering::Relaxed);
}

/// Longest captured value in bytes (`OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT`).
pub fn value_length_limit() -> usize {
    VALUE_LENGTH_LIMIT.load(Ordering::Relaxed)
}

/// Sets the longest captured value in bytes.
pub fn set_value_length_limit(bytes: usize) {
    VALUE_LENGTH_LIMIT.store(bytes, Ordering::Relaxed);
}

/// The active trust policy for inbound trace context.
pub fn inbound_context() -> InboundContext {
    if LINK_INBOUND.load(Ordering::Relaxed) {
        InboundContext::Link
    } else {
        InboundContext::Parent
    }
}

/// Sets the trust policy for inbound trace context.
pub fn set_inbound_context(policy: InboundContext) {
    LINK_INBOUND.store(policy == InboundContext::Link, Ordering::Relaxed);
}

/// Whether stdout is the MCP protocol stream (a stdio server), so nothing
/// of ours may write there: the console exporter then writes to stderr.
pub fn stdout_carries_protocol() -> bool {
    STDOUT_CARRIES_PROTOCOL.load(Ordering::Relaxed)
}

/// Declares stdout the protocol stream for the rest of the process.
/// [`crate::server::serve_stdio`] does it; call it yourself when you serve
/// rmcp's stdio transport some other way.
///
/// ```
/// mcp_trace_runtime::settings::set_stdout_carries_protocol();
/// assert!(mcp_trace_runtime::settings::stdout_carries_protocol());
/// ```
pub fn set_stdout_carries_protocol() {
    STDOUT_CARRIES_PROTOCOL.store(true, Ordering::Relaxed);
}

/// Cuts `value` to at most `limit` bytes on a UTF-8 boundary, ending with a
/// visible marker that says how much was cut.
///
/// ```
/// use mcp_trace_runtime::observe::truncate;
/// assert_eq!(truncate("short".into(), 100), "short");
/// let cut = truncate("é".repeat(100), 64);
/// assert!(cut.len() <= 64 && cut.ends_with("bytes]"));
/// ```
pub fn truncate(mut value: String, limit: usize) -> String {
    if value.len() <= limit {
        return value;
    }
    let original = value.len();
    // The marker's length depends on the count it shows; size it for the worst case.
    let marker_room = format!("…[truncated {original} bytes]").len();
    let mut cut = limit.saturating_sub(marker_room);
    while !value.is_char_boundary(cut) {
        cut -= 1;
    }
    value.truncate(cut);
    value.push_str(&format!("…[truncated {} bytes]", original - cut));
    if value.len() > limit {
        // A limit smaller than the marker itself: keep the limit, lose the marker.
        let mut end = limit;
        while !value.is_char_boundary(end) {
            end -= 1;
        }
        value.truncate(end);
    }
    value
}
