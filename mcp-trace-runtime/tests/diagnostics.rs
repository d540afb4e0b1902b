//! The runtime's own warnings reach a program's own `tracing` subscriber,
//! as WARN events with target `diagnostics::TARGET`, and are not exported as
//! log records. (Its own process: a global subscriber is set once. With no
//! subscriber of the program's, they are one stderr line each: the
//! end-to-end tests read those from weather-server's stderr.)

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use mcp_trace_runtime::diagnostics::TARGET;
use mcp_trace_runtime::observe::{Observation, ObserveOptions};
use mcp_trace_runtime::{install, Config};
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt as _};

/// Every event the program's subscriber saw: level, target, message.
#[derive(Clone, Default)]
struct Seen(Arc<Mutex<Vec<(Level, String, String)>>>);

impl<S: Subscriber> Layer<S> for Seen {
    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        struct Message(String);
        impl Visit for Message {
            fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
                if field.name() == "message" {
                    self.0 = format!("{value:?}");
                }
            }
        }
        let mut message = Message(String::new());
        event.record(&mut message);
        self.0.lock().unwrap().push((
            *event.metadata().level(),
            event.metadata().target().to_string(),
            message.0,
        ));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn warnings_reach_the_programs_own_subscriber() {
    let seen = Seen::default();
    // The program's subscriber, with the runtime's layer in it as the
    // logs module's docs show.
    tracing::subscriber::set_global_default(
        tracing_subscriber::registry()
            .with(seen.clone())
            .with(mcp_trace_runtime::logs::layer()),
    )
    .unwrap();
    // Bind then drop: a loopback port where nothing listens.
    let closed_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let vars = HashMap::from([
        (
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            format!("http://127.0.0.1:{closed_port}"),
        ),
        ("OTEL_EXPORTER_OTLP_TIMEOUT", "1000".to_string()),
    ]);
    let config = Config::from_lookup("diagnostics-test", |name| vars.get(name).cloned()).unwrap();
    let guard = install(config).unwrap();
    const WORK: ObserveOptions = ObserveOptions::new("work");
    tokio::task::spawn_blocking(|| {
        Observation::start(&WORK).run(|| tracing::info!("working"), |_, _| {})
    })
    .await
    .unwrap();
    tokio::task::spawn_blocking(move || guard.shutdown(Duration::from_secs(10)))
        .await
        .unwrap()
        .unwrap();

    let seen = seen.0.lock().unwrap().clone();
    let ours: Vec<&(Level, String, String)> = seen
        .iter()
        .filter(|(_, target, _)| target == TARGET)
        .collect();
    assert!(
        ours.iter().all(|(level, _, _)| *level == Level::WARN),
        "{ours:#?}"
    );
    for expected in [
        "warning: cannot export spans to the OTLP collector",
        "warning: cannot export logs to the OTLP collector",
        "span(s) lost for the OTLP collector",
    ] {
        assert!(
            ours.iter()
                .any(|(_, _, message)| message.contains(expected)),
            "no {expected:?} among the runtime's warnings: {seen:#?}"
        );
    }
}
