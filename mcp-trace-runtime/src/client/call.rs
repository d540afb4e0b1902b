//! [`CallOptions`]: a tool call with a progress callback, a cancel signal
//! and a timeout, and the guard that cancels a call whose caller gave up.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use opentelemetry::context::FutureExt as _;
use opentelemetry::Context;
use rmcp::model::{
    CancelledNotification, CancelledNotificationParam, ClientNotification, GetMeta,
    ProgressNotificationParam, RequestId,
};
use rmcp::service::Peer;
use rmcp::RoleClient;

use super::progress::ProgressCallback;
use crate::propagation;

/// How [`McpClient::call_tool_with`](super::McpClient::call_tool_with) runs
/// one call: a callback for the server's progress notifications of this
/// call, a signal that cancels it, a timeout.
///
/// ```
/// use std::time::Duration;
/// use mcp_trace_runtime::client::CallOptions;
///
/// let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
/// let options = CallOptions::new()
///     .on_progress(|progress| println!("{} of {:?}", progress.progress, progress.total))
///     .cancel_on(async move {
///         let _ = stopped.await;
///     })
///     .timeout(Duration::from_secs(30));
/// # drop((options, stop));
/// ```
#[derive(Default)]
pub struct CallOptions {
    pub(crate) on_progress: Option<ProgressCallback>,
    pub(crate) cancel: Option<Pin<Box<dyn Future<Output = ()> + Send>>>,
    pub(crate) timeout: Option<Duration>,
}

impl fmt::Debug for CallOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallOptions")
            .field("on_progress", &self.on_progress.is_some())
            .field("cancel", &self.cancel.is_some())
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl CallOptions {
    /// No callback, no cancel signal, no timeout.
    pub fn new() -> CallOptions {
        CallOptions::default()
    }

    /// Calls `callback` with each `notifications/progress` the server sends
    /// for this call (rmcp puts a progress token in every request's
    /// `_meta`), in the order they arrive and before the call returns. It
    /// runs on the session's receive path: keep it short.
    pub fn on_progress(
        mut self,
        callback: impl Fn(ProgressNotificationParam) + Send + Sync + 'static,
    ) -> CallOptions {
        self.on_progress = Some(Arc::new(callback));
        self
    }

    /// Cancels the call when `signal` completes: `notifications/cancelled`
    /// for its request id goes to the server (a CLIENT span in the caller's
    /// context), the call's CLIENT span ends as cancelled, and the call
    /// returns an error for which [`ClientError::is_cancelled`](super::ClientError::is_cancelled)
    /// holds. E.g. `token.cancelled_owned()` of a tokio-util
    /// `CancellationToken`, a oneshot receiver, a `tokio::time::sleep`.
    pub fn cancel_on(mut self, signal: impl Future<Output = ()> + Send + 'static) -> CallOptions {
        self.cancel = Some(Box::pin(signal));
        self
    }

    /// Gives up after `timeout` (rmcp then sends `notifications/cancelled`).
    pub fn timeout(mut self, timeout: Duration) -> CallOptions {
        self.timeout = Some(timeout);
        self
    }
}

/// `notifications/cancelled` for request `id`, carrying `cx` in its `_meta`.
pub(crate) fn cancelled(id: RequestId, reason: &str, cx: &Context) -> ClientNotification {
    let mut notification = ClientNotification::CancelledNotification(CancelledNotification::new(
        CancelledNotificationParam::new(Some(id), Some(reason.to_string())),
    ));
    propagation::inject_into_meta(cx, &mut notification.get_meta_mut().0 .0);
    notification
}

/// Cancels a request whose caller dropped the call before its answer.
pub(crate) struct Abandoned {
    peer: Peer<RoleClient>,
    id: Option<RequestId>,
    cx: Context,
}

impl Abandoned {
    pub(crate) fn new(peer: Peer<RoleClient>, id: RequestId) -> Abandoned {
        Abandoned {
            peer,
            id: Some(id),
            cx: Context::current(),
        }
    }

    /// The call ended another way.
    pub(crate) fn disarm(&mut self) {
        self.id = None;
    }
}

impl Drop for Abandoned {
    fn drop(&mut self) {
        let (Some(id), Ok(runtime)) = (self.id.take(), tokio::runtime::Handle::try_current())
        else {
            return;
        };
        let notification = cancelled(id, "abandoned by the caller", &self.cx);
        let peer = self.peer.clone();
        runtime.spawn(
            async move {
                let _ = peer.send_notification(notification).await;
            }
            .with_context(self.cx.clone()),
        );
    }
}
