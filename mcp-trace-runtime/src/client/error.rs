//! [`ClientError`]: why a client request failed, by kind, with what caused
//! it kept as its [`source`](std::error::Error::source).

use std::error::Error as StdError;
use std::time::Duration;

use rmcp::service::ServiceError;
use serde_json::Value;

/// An error from below the client (a transport's, an I/O error, rmcp's
/// `initialize` error), kept whole.
pub type BoxError = Box<dyn StdError + Send + Sync + 'static>;

/// Why a client call failed, by kind: the session could not be opened, the
/// transport failed, the server answered a JSON-RPC error, no answer came in
/// time, the call was cancelled, or the answer did not fit the request. The
/// message says which in words a user can act on; the variants keep what a
/// program needs to decide (the server's error code, the timeout) and the
/// underlying error as [`source`](std::error::Error::source).
///
/// ```
/// use mcp_trace_runtime::client::{ClientError, ClientErrorKind};
///
/// fn retry_later(error: &ClientError) -> bool {
///     match error {
///         ClientError::Timeout { .. } | ClientError::Transport { .. } => true,
///         ClientError::Server { code, .. } => *code == -32603, // internal error
///         _ => false,
///     }
/// }
/// let error = ClientError::message("no session");
/// assert_eq!(error.to_string(), "no session");
/// assert_eq!(error.kind(), ClientErrorKind::Other);
/// assert!(!error.is_cancelled() && !retry_later(&error));
/// ```
///
/// More kinds may be added: a `match` on it needs a `_` arm.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The session could not be opened: the server could not be started or
    /// reached, or `initialize` failed (rmcp's `ClientInitializeError`, an
    /// I/O error, …, as the source).
    #[error("cannot {operation}: {source}")]
    Connect {
        /// What was attempted, e.g. `open an MCP session at http://…`.
        operation: String,
        /// Why it failed.
        #[source]
        source: BoxError,
    },
    /// The request could not be sent or its answer not received: the
    /// transport failed or the session closed (rmcp's error as the source).
    #[error("{operation} failed: {source}")]
    Transport {
        /// The request, e.g. `tools/call get_weather`.
        operation: String,
        /// rmcp's error.
        #[source]
        source: ServiceError,
    },
    /// The server answered with a JSON-RPC error.
    #[error("{operation} failed: the server answered error {code}: {message}")]
    Server {
        /// The request, e.g. `tools/call get_weather`.
        operation: String,
        /// The JSON-RPC error code (`-32602` invalid params, `-32601` method
        /// not found, `-32603` internal error, `-32002` resource not found, …).
        code: i32,
        /// The server's message.
        message: String,
        /// The error's `data`, when the server sent one.
        data: Option<Value>,
    },
    /// No answer within the call's timeout ([`CallOptions::timeout`](super::CallOptions::timeout));
    /// `notifications/cancelled` went to the server.
    #[error("{operation} failed: no answer within {timeout:?}")]
    Timeout {
        /// The request, e.g. `tools/call get_weather`.
        operation: String,
        /// The timeout that passed.
        timeout: Duration,
    },
    /// The call was cancelled before its answer: by its caller
    /// ([`CallOptions::cancel_on`](super::CallOptions::cancel_on); `reason`
    /// is `None`), or by the session ending under it (rmcp's reason).
    #[error("{operation}: cancelled {}", match reason { Some(reason) => format!("({reason})"), None => "by the caller".to_string() })]
    Cancelled {
        /// The request, e.g. `tools/call get_weather`.
        operation: String,
        /// Why, when not the caller.
        reason: Option<String>,
    },
    /// The server's answer does not fit the request (another result type,
    /// or not what the protocol says).
    #[error("{operation}: unexpected answer: {detail}")]
    BadResponse {
        /// The request, e.g. `tools/call get_weather`.
        operation: String,
        /// What was wrong with it.
        detail: String,
    },
    /// Anything else, in words ([`ClientError::message`]): a request this
    /// client cannot make, or a program's own error about an answer.
    #[error("{0}")]
    Other(String),
}

/// The kind of a [`ClientError`], without its details: to compare, count or
/// log.
///
/// ```
/// use mcp_trace_runtime::client::{ClientError, ClientErrorKind};
/// assert_eq!(ClientError::message("x").kind(), ClientErrorKind::Other);
/// ```
///
/// More kinds may be added: a `match` on it needs a `_` arm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ClientErrorKind {
    /// [`ClientError::Connect`].
    Connect,
    /// [`ClientError::Transport`].
    Transport,
    /// [`ClientError::Server`].
    Server,
    /// [`ClientError::Timeout`].
    Timeout,
    /// [`ClientError::Cancelled`].
    Cancelled,
    /// [`ClientError::BadResponse`].
    BadResponse,
    /// [`ClientError::Other`].
    Other,
}

impl ClientError {
    /// An error with this message ([`ClientError::Other`]), for a program's
    /// own errors about what a server answered.
    ///
    /// ```
    /// use mcp_trace_runtime::client::ClientError;
    /// let error = ClientError::message("the forecast has no text");
    /// assert_eq!(error.to_string(), "the forecast has no text");
    /// ```
    pub fn message(message: impl Into<String>) -> ClientError {
        ClientError::Other(message.into())
    }

    /// Its kind.
    ///
    /// ```
    /// use mcp_trace_runtime::client::{ClientError, ClientErrorKind};
    /// let error = ClientError::message("no session");
    /// assert_eq!(error.kind(), ClientErrorKind::Other);
    /// ```
    pub fn kind(&self) -> ClientErrorKind {
        match self {
            ClientError::Connect { .. } => ClientErrorKind::Connect,
            ClientError::Transport { .. } => ClientErrorKind::Transport,
            ClientError::Server { .. } => ClientErrorKind::Server,
            ClientError::Timeout { .. } => ClientErrorKind::Timeout,
            ClientError::Cancelled { .. } => ClientErrorKind::Cancelled,
            ClientError::BadResponse { .. } => ClientErrorKind::BadResponse,
            ClientError::Other(_) => ClientErrorKind::Other,
        }
    }

    /// The call was cancelled ([`ClientError::Cancelled`]): by its caller
    /// ([`CallOptions::cancel_on`](super::CallOptions::cancel_on)) or by the
    /// session ending under it.
    ///
    /// ```
    /// assert!(!mcp_trace_runtime::client::ClientError::message("x").is_cancelled());
    /// ```
    pub fn is_cancelled(&self) -> bool {
        matches!(self, ClientError::Cancelled { .. })
    }

    /// The JSON-RPC error code, when the server answered with an error
    /// ([`ClientError::Server`]).
    ///
    /// ```
    /// assert_eq!(mcp_trace_runtime::client::ClientError::message("x").code(), None);
    /// ```
    pub fn code(&self) -> Option<i32> {
        match self {
            ClientError::Server { code, .. } => Some(*code),
            _ => None,
        }
    }

    /// `operation` could not open a session because of `source`.
    pub(crate) fn connect(operation: String, source: impl Into<BoxError>) -> ClientError {
        ClientError::Connect {
            operation,
            source: source.into(),
        }
    }

    /// The caller cancelled `operation`.
    pub(crate) fn cancelled(operation: &str) -> ClientError {
        ClientError::Cancelled {
            operation: operation.to_string(),
            reason: None,
        }
    }

    /// rmcp's error for `operation`, by kind.
    pub(crate) fn service(operation: &str, error: ServiceError) -> ClientError {
        let operation = operation.to_string();
        match error {
            ServiceError::McpError(error) => ClientError::Server {
                operation,
                code: error.code.0,
                message: error.message.into_owned(),
                data: error.data,
            },
            ServiceError::Timeout { timeout } => ClientError::Timeout { operation, timeout },
            ServiceError::Cancelled { reason } => ClientError::Cancelled { operation, reason },
            ServiceError::UnexpectedResponse => ClientError::BadResponse {
                operation,
                detail: "the server answered with another result type".to_string(),
            },
            source => ClientError::Transport { operation, source },
        }
    }
}
