//! The export threads give way to the threads serving requests.
//!
//! The SDK's batch processors export on threads of their own. Under load
//! those threads compete for the same cores as the request path, and an
//! export that preempts a request (encoding a batch of 512 spans takes a few
//! milliseconds) lands in that request's latency: measured on two cores,
//! the p99 of `native` fell by about a seventh when the export threads ran
//! at a lower priority, with calls/s unchanged and no span lost
//! (BENCHMARKS.md). At [`NICENESS`] steps below the request threads an
//! export thread still takes whatever CPU they leave, and about a quarter of
//! a core it shares with a busy request thread (the scheduler's weights:
//! 335 against 1024), about five times what exporting every span and log
//! record of a saturated weather-server needs, so the queues keep draining.

/// How many nice steps an export thread lowers itself by (Linux: 0 is the
/// default, 19 the lowest).
pub(crate) const NICENESS: i32 = 5;

/// The SDK names its batch processors' threads `OpenTelemetry.Traces.…`
/// and `OpenTelemetry.Logs.…`; an exporter run anywhere else (a
/// `SimpleSpanProcessor` exports on the thread that ends the span) leaves
/// that thread alone.
const BATCH_THREAD_PREFIX: &str = "OpenTelemetry.";

/// Lowers the calling thread's priority by [`NICENESS`], once per thread,
/// when it is one of the SDK's batch processor threads. Exporters call it
/// before each export.
pub(crate) fn give_way_to_requests() {
    thread_local! {
        static DONE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    }
    if DONE.replace(true) {
        return;
    }
    let batch_thread = std::thread::current()
        .name()
        .is_some_and(|name| name.starts_with(BATCH_THREAD_PREFIX));
    if batch_thread {
        lower_priority();
    }
}

#[cfg(target_os = "linux")]
fn lower_priority() {
    // SAFETY: nice() has no memory effects. On Linux it changes the calling
    // thread only (a thread is a task with its own nice value); a failure
    // leaves the priority as it was, which is harmless.
    unsafe {
        libc::nice(NICENESS);
    }
}

#[cfg(not(target_os = "linux"))]
fn lower_priority() {}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    /// This thread's nice value.
    fn niceness() -> i32 {
        // SAFETY: getpriority only reads; PRIO_PROCESS with 0 is the calling thread.
        unsafe { libc::getpriority(libc::PRIO_PROCESS, 0) }
    }

    fn on_thread(name: &str) -> (i32, i32) {
        std::thread::Builder::new()
            .name(name.to_string())
            .spawn(|| {
                let before = niceness();
                give_way_to_requests();
                give_way_to_requests();
                (before, niceness())
            })
            .unwrap()
            .join()
            .unwrap()
    }

    #[test]
    fn batch_threads_give_way_once_and_other_threads_never() {
        let (before, after) = on_thread("OpenTelemetry.Traces.BatchProcessor");
        assert_eq!(
            after,
            (before + NICENESS).min(19),
            "lowered once, by NICENESS"
        );
        let (before, after) = on_thread("tokio-rt-worker");
        assert_eq!(
            after, before,
            "a thread that serves requests keeps its priority"
        );
        assert_eq!(niceness(), before, "the test's own thread is untouched");
    }
}
