//! Progress callbacks of calls in flight, keyed by the progress token rmcp
//! put in each request's `_meta`.
//!
//! The router is fed by [`TracedTransport`](super::TracedTransport) as each
//! message arrives, in the order the server sent them — before the response
//! that ends the call reaches the caller. (rmcp hands notifications to the
//! handler in tasks of their own, which may run after the call returned.)

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};

use rmcp::model::{ProgressNotificationParam, ProgressToken};

/// What a caller does with each progress notification of its call.
pub(crate) type ProgressCallback = Arc<dyn Fn(ProgressNotificationParam) + Send + Sync>;

/// How many notifications of tokens nobody registered yet are kept, for a
/// call whose progress arrives before its caller registered (a narrow race:
/// registration follows the send at once).
const EARLY: usize = 32;

#[derive(Default)]
struct State {
    callbacks: HashMap<ProgressToken, ProgressCallback>,
    early: VecDeque<ProgressNotificationParam>,
}

/// The progress callbacks of one session.
#[derive(Default)]
pub(crate) struct ProgressRouter {
    state: Mutex<State>,
}

impl ProgressRouter {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Hands `progress` to its call's callback (outside the lock).
    pub(crate) fn dispatch(&self, progress: &ProgressNotificationParam) {
        let callback = {
            let mut state = self.state();
            match state.callbacks.get(&progress.progress_token) {
                Some(callback) => callback.clone(),
                None => {
                    if state.early.len() == EARLY {
                        state.early.pop_front();
                    }
                    state.early.push_back(progress.clone());
                    return;
                }
            }
        };
        callback(progress.clone());
    }

    /// Routes the progress of `token` to `callback` until the returned
    /// registration drops; progress that arrived first is handed over now.
    pub(crate) fn register(
        self: &Arc<Self>,
        token: ProgressToken,
        callback: ProgressCallback,
    ) -> Registration {
        let early: Vec<ProgressNotificationParam> = {
            let mut state = self.state();
            let (mine, others) = state
                .early
                .drain(..)
                .partition(|progress| progress.progress_token == token);
            state.early = others;
            state.callbacks.insert(token.clone(), callback.clone());
            mine.into_iter().collect()
        };
        for progress in early {
            callback(progress);
        }
        Registration {
            router: self.clone(),
            token,
        }
    }
}

/// Unregisters its callback when dropped (the call is over).
pub(crate) struct Registration {
    router: Arc<ProgressRouter>,
    token: ProgressToken,
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.router.state().callbacks.remove(&self.token);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rmcp::model::NumberOrString;

    fn progress(token: i64, value: f64) -> ProgressNotificationParam {
        ProgressNotificationParam::new(ProgressToken(NumberOrString::Number(token)), value)
    }

    #[test]
    fn progress_reaches_its_own_call_only_while_registered_even_when_it_came_first() {
        let router = Arc::new(ProgressRouter::default());
        let seen = Arc::new(Mutex::new(Vec::new()));
        router.dispatch(&progress(1, 0.5)); // before its caller registered
        router.dispatch(&progress(2, 9.0)); // another call's
        let sink = seen.clone();
        let registration = router.register(
            ProgressToken(NumberOrString::Number(1)),
            Arc::new(move |p: ProgressNotificationParam| sink.lock().unwrap().push(p.progress)),
        );
        router.dispatch(&progress(1, 1.0));
        drop(registration);
        router.dispatch(&progress(1, 2.0));
        assert_eq!(*seen.lock().unwrap(), [0.5, 1.0]);
    }
}
