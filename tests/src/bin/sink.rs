//! `mcp-trace-sink PORT`: the loopback OTLP/HTTP collector of `bench/`. It
//! reads every POST, counts requests and bytes per path, parses nothing and
//! answers `200`. On SIGTERM or SIGINT it prints the counts to stderr, a line
//! per path (`sink: /v1/traces 185 requests 27923440 bytes`), and exits.
//!
//! It is written to cost the machine as little as a sink can: under load it
//! shares two cores with the server being measured, and whatever it spends
//! would be counted against `native` (which exports) and not against `off`
//! (which does not). Measured side by side, the Python sink it replaces spent
//! 6.4 µs of CPU per traced call (BENCHMARKS.md).
//!
//! `SINK_FAULT` makes it a failing collector (`bench/faults.sh`): `503` or
//! `429` (both with `Retry-After: 1`), `500`: that status; `hang`: reads the
//! request and never answers; `slow:MS`: answers `200` after MS
//! milliseconds. With `SINK_FAULT_SECONDS=N` the fault lasts the first N
//! seconds, then it is healthy (a collector coming back).

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Empty};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::signal::unix::{signal, SignalKind};

/// How a request is answered.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Fault {
    Healthy,
    Status(StatusCode),
    Hang,
    Slow(Duration),
}

impl Fault {
    fn parse(text: &str) -> Result<Fault, String> {
        Ok(match text {
            "ok" => Fault::Healthy,
            "503" => Fault::Status(StatusCode::SERVICE_UNAVAILABLE),
            "429" => Fault::Status(StatusCode::TOO_MANY_REQUESTS),
            "500" => Fault::Status(StatusCode::INTERNAL_SERVER_ERROR),
            "hang" => Fault::Hang,
            other => {
                let millis = other
                    .strip_prefix("slow:")
                    .and_then(|ms| ms.parse().ok())
                    .ok_or_else(|| {
                        format!("SINK_FAULT={other:?}: expected ok, 503, 429, 500, hang or slow:MS")
                    })?;
                Fault::Slow(Duration::from_millis(millis))
            }
        })
    }
}

/// The fault, and until when it lasts.
struct Behaviour {
    fault: Fault,
    until: Option<Instant>,
}

impl Behaviour {
    fn now(&self) -> Fault {
        match self.until {
            Some(until) if Instant::now() >= until => Fault::Healthy,
            _ => self.fault,
        }
    }
}

/// Requests and bytes received, per path.
type Counts = Mutex<BTreeMap<String, (u64, u64)>>;

fn main() {
    if let Err(message) = run() {
        eprintln!("mcp-trace-sink: {message}");
        std::process::exit(2);
    }
}

fn run() -> Result<(), String> {
    let port: u16 = std::env::args()
        .nth(1)
        .and_then(|port| port.parse().ok())
        .ok_or("usage: mcp-trace-sink PORT")?;
    let fault = Fault::parse(&std::env::var("SINK_FAULT").unwrap_or_else(|_| "ok".into()))?;
    let until = match std::env::var("SINK_FAULT_SECONDS") {
        Ok(seconds) => {
            let seconds: f64 = seconds
                .parse()
                .map_err(|_| format!("SINK_FAULT_SECONDS={seconds:?} is not a number"))?;
            Some(Instant::now() + Duration::from_secs_f64(seconds))
        }
        Err(_) => None,
    };
    let behaviour = Arc::new(Behaviour { fault, until });
    // One thread: the sink must leave the cores to the server it measures.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|error| error.to_string())?;
    runtime.block_on(serve(port, behaviour))
}

async fn serve(port: u16, behaviour: Arc<Behaviour>) -> Result<(), String> {
    let listener = TcpListener::bind(("127.0.0.1", port))
        .await
        .map_err(|error| format!("cannot listen on 127.0.0.1:{port}: {error}"))?;
    let counts: Arc<Counts> = Arc::default();
    let mut terminate = signal(SignalKind::terminate()).map_err(|error| error.to_string())?;
    let mut interrupt = signal(SignalKind::interrupt()).map_err(|error| error.to_string())?;
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(_) => continue,
            },
            _ = terminate.recv() => break,
            _ = interrupt.recv() => break,
        };
        let (counts, behaviour) = (counts.clone(), behaviour.clone());
        tokio::spawn(async move {
            let service =
                service_fn(move |request| answer(request, counts.clone(), behaviour.clone()));
            // A connection that breaks off is the exporter's business, not the sink's.
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
    report(&counts);
    Ok(())
}

async fn answer(
    request: Request<Incoming>,
    counts: Arc<Counts>,
    behaviour: Arc<Behaviour>,
) -> Result<Response<Empty<Bytes>>, Infallible> {
    let path = request.uri().path().to_string();
    let mut body = request.into_body();
    let mut size = 0u64;
    while let Some(frame) = body.frame().await {
        match frame {
            Ok(frame) => size += frame.data_ref().map_or(0, |data| data.len() as u64),
            Err(_) => break,
        }
    }
    {
        let mut counts = counts
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let entry = counts.entry(path).or_default();
        entry.0 += 1;
        entry.1 += size;
    }
    let mut response = Response::builder();
    match behaviour.now() {
        Fault::Healthy => {}
        Fault::Hang => std::future::pending::<()>().await,
        Fault::Slow(delay) => tokio::time::sleep(delay).await,
        Fault::Status(status) => {
            response = response.status(status);
            if status != StatusCode::INTERNAL_SERVER_ERROR {
                response = response.header("retry-after", "1");
            }
        }
    }
    let response = response
        .header("content-type", "application/x-protobuf")
        .body(Empty::new())
        .expect("a status and two valid headers");
    Ok(response)
}

fn report(counts: &Counts) {
    let counts = counts
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if counts.is_empty() {
        eprintln!("sink: nothing received");
    }
    for (path, (requests, bytes)) in counts.iter() {
        eprintln!("sink: {path} {requests} requests {bytes} bytes");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_parse_as_the_scripts_spell_them() {
        assert_eq!(Fault::parse("ok"), Ok(Fault::Healthy));
        assert_eq!(
            Fault::parse("429"),
            Ok(Fault::Status(StatusCode::TOO_MANY_REQUESTS))
        );
        assert_eq!(
            Fault::parse("slow:250"),
            Ok(Fault::Slow(Duration::from_millis(250)))
        );
        assert_eq!(Fault::parse("hang"), Ok(Fault::Hang));
        assert!(Fault::parse("slow:soon").is_err());
        assert!(Fault::parse("404").is_err());
    }

    #[test]
    fn a_fault_with_a_deadline_heals() {
        let past = Behaviour {
            fault: Fault::Hang,
            until: Some(Instant::now()),
        };
        assert_eq!(past.now(), Fault::Healthy);
        let lasting = Behaviour {
            fault: Fault::Hang,
            until: None,
        };
        assert_eq!(lasting.now(), Fault::Hang);
    }
}
