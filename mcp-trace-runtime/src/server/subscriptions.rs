//! The sessions of a [`McpServer`](super::McpServer) and the resources each
//! subscribed to, so the server can tell them what changed
//! ([`Notifier`]): `notifications/resources/updated` to the subscribers of a
//! URI, `notifications/*/list_changed` to every session.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, OnceLock, Weak};

use rmcp::{Peer, RoleServer};

use super::back_channel::{BackChannel, ListChanged};
use crate::conventions::Transport;

/// One client session of a server: the way back to its client, and the URIs
/// it subscribed to.
#[derive(Debug, Default)]
pub(crate) struct Session {
    client: OnceLock<BackChannel>,
    subscribed: Mutex<HashSet<String>>,
}

impl Session {
    pub(crate) fn subscribe(&self, uri: String) {
        self.subscribed().insert(uri);
    }

    pub(crate) fn unsubscribe(&self, uri: &str) {
        self.subscribed().remove(uri);
    }

    fn is_subscribed(&self, uri: &str) -> bool {
        self.subscribed().contains(uri)
    }

    fn subscribed(&self) -> std::sync::MutexGuard<'_, HashSet<String>> {
        // A panic while holding it leaves a set that is still a set.
        self.subscribed
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Tells the sessions of a server (every clone of one
/// [`McpServer`](super::McpServer)) that something changed; each
/// notification is a CLIENT span, like every message the server sends.
/// Sessions that ended are forgotten. Get one with
/// [`McpServer::notifier`](super::McpServer::notifier).
///
/// ```no_run
/// # async fn changed(notifier: mcp_trace_runtime::server::Notifier) {
/// let told = notifier.resource_updated("test://watched-resource").await;
/// println!("{told} subscribed sessions told");
/// notifier.resources_changed().await;
/// # }
/// ```
#[derive(Debug, Clone, Default)]
pub struct Notifier {
    sessions: Arc<Mutex<Vec<Weak<Session>>>>,
}

impl Notifier {
    /// Records `session`'s client (the first time only) and makes the session
    /// reachable.
    pub(crate) fn join(&self, session: &Arc<Session>, peer: Peer<RoleServer>) {
        if session.client.get().is_some() {
            return;
        }
        // The request scope knows the transport; a handler served without
        // the layer is told nothing better than a pipe.
        let client = BackChannel::current()
            .unwrap_or_else(|| BackChannel::to_session(peer, Transport::Pipe));
        if session.client.set(client).is_ok() {
            let mut sessions = self.sessions();
            sessions.retain(|known| known.strong_count() > 0);
            sessions.push(Arc::downgrade(session));
        }
    }

    /// `notifications/resources/updated` for `uri`, to the sessions that
    /// subscribed to it; returns how many were told.
    pub async fn resource_updated(&self, uri: &str) -> usize {
        let mut told = 0;
        for client in self.clients(|session| session.is_subscribed(uri)) {
            told += usize::from(client.resource_updated(uri).await.is_ok());
        }
        told
    }

    /// `notifications/resources/list_changed` to every session; returns how
    /// many were told.
    pub async fn resources_changed(&self) -> usize {
        self.list_changed(ListChanged::Resources).await
    }

    /// `notifications/tools/list_changed` to every session.
    pub async fn tools_changed(&self) -> usize {
        self.list_changed(ListChanged::Tools).await
    }

    /// `notifications/prompts/list_changed` to every session.
    pub async fn prompts_changed(&self) -> usize {
        self.list_changed(ListChanged::Prompts).await
    }

    async fn list_changed(&self, changed: ListChanged) -> usize {
        let mut told = 0;
        for client in self.clients(|_| true) {
            told += usize::from(client.list_changed(changed).await.is_ok());
        }
        told
    }

    /// The clients of the live sessions `wanted` picks.
    fn clients(&self, wanted: impl Fn(&Session) -> bool) -> Vec<BackChannel> {
        let mut sessions = self.sessions();
        sessions.retain(|known| known.strong_count() > 0);
        sessions
            .iter()
            .filter_map(Weak::upgrade)
            .filter(|session| wanted(session))
            .filter_map(|session| session.client.get().cloned())
            .collect()
    }

    fn sessions(&self) -> std::sync::MutexGuard<'_, Vec<Weak<Session>>> {
        self.sessions
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
