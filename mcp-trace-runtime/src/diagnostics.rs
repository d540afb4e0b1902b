//! The runtime's own warnings: an exporter that cannot export, what was
//! lost by shutdown, a flush that did not finish.
//!
//! Each one is a `tracing` event at level `WARN` with target [`TARGET`], so
//! a program with a subscriber of its own gets them like any other event and
//! routes or filters them by that target. When the program has none — no
//! global subscriber, or only the one [`crate::install`] set because there
//! was none — each warning is one line on stderr, `mcp-trace: …`. They are
//! never exported as OpenTelemetry log records ([`crate::logs::layer`]
//! leaves this target out): a failing log exporter would otherwise report
//! its failure through itself.
//!
//! ```
//! use tracing_subscriber::filter::{LevelFilter, Targets};
//!
//! // In a program's own subscriber: the runtime's warnings at WARN, the rest at INFO.
//! let filter = Targets::new()
//!     .with_default(LevelFilter::INFO)
//!     .with_target(mcp_trace_runtime::diagnostics::TARGET, LevelFilter::WARN);
//! # let _ = filter;
//! ```

use std::fmt::Display;
use std::sync::atomic::{AtomicBool, Ordering};

/// The target of the runtime's warnings.
pub const TARGET: &str = "mcp_trace_runtime::diagnostics";

/// Set once the global subscriber is the one `install` set itself.
static OWN_SUBSCRIBER: AtomicBool = AtomicBool::new(false);

/// Notes that the global subscriber is the runtime's own (set by
/// `logs::publish` when the program had none).
pub(crate) fn own_subscriber_installed() {
    OWN_SUBSCRIBER.store(true, Ordering::Release);
}

/// Whether the program set a global subscriber of its own. The warnings
/// come from the exporters' threads, where only the global one applies.
fn program_has_subscriber() -> bool {
    tracing::dispatcher::has_been_set() && !OWN_SUBSCRIBER.load(Ordering::Acquire)
}

/// Warns: a `tracing` event for the program's subscriber, or one line on
/// stderr when it has none.
pub(crate) fn warn(message: impl Display) {
    if program_has_subscriber() {
        tracing::warn!(target: TARGET, "{message}");
    } else {
        eprintln!("mcp-trace: {message}");
    }
}
