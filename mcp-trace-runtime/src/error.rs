//! The one error type of the runtime's set-up path.

use std::path::PathBuf;

/// Why tracing could not be set up.
///
/// Every variant names the setting at fault and, where there is a closed set,
/// the accepted values, so that a misconfigured deployment can be fixed from
/// the message alone. Secrets (Langfuse secret key, OTLP header values) never
/// appear in the message or in `Debug` output.
///
/// ```
/// let error = mcp_trace_runtime::Config::from_lookup("demo", |name| {
///     (name == "MCP_TRACE_MODE").then(|| "loud".to_string())
/// })
/// .unwrap_err();
/// assert!(error.to_string().contains("MCP_TRACE_MODE"));
/// assert!(error.to_string().contains("native, propagation_only, off"));
/// ```
///
/// More kinds may be added: a `match` on it needs a `_` arm.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A variable holds a value outside what it accepts.
    #[error("invalid {variable}={value:?}: {problem}; accepted: {accepted}")]
    InvalidSetting {
        /// The environment variable (or setting) at fault.
        variable: &'static str,
        /// The offending value, or a redacted description when it may hold secrets.
        value: String,
        /// What is wrong with it.
        problem: String,
        /// What the variable accepts.
        accepted: &'static str,
    },
    /// Only one of `LANGFUSE_PUBLIC_KEY` / `LANGFUSE_SECRET_KEY` is set.
    #[error("{present} is set but {missing} is not: Langfuse export needs both keys (or neither, to turn it off)")]
    IncompleteLangfuseKeys {
        /// The key that is set.
        present: &'static str,
        /// The key that is missing.
        missing: &'static str,
    },
    /// `MCP_TRACE_FILE` names a file that cannot be opened for appending.
    #[error("cannot open MCP_TRACE_FILE={path:?} for appending: {source}")]
    TraceFile {
        /// The path from `MCP_TRACE_FILE`.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// An exporter could not be built (for example its HTTP client).
    #[error("cannot build the {destination} exporter: {reason}")]
    Exporter {
        /// Which exporter.
        destination: String,
        /// Why.
        reason: String,
    },
    /// A flush, or the flush at shutdown, did not finish in time (a
    /// collector that hangs or keeps refusing): what was lost is counted and
    /// reported on its own.
    #[error("flushing the exporters did not finish: {reason}")]
    Flush {
        /// What the providers said.
        reason: String,
    },
}
