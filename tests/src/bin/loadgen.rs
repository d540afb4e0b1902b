//! `mcp-trace-loadgen`: a fixed number of traced `tools/call` requests
//! against an MCP server over Streamable HTTP, with every call's latency,
//! the server's CPU per call and its memory.
//!
//! ```sh
//! weather-server --stateless --port 9301 &
//! mcp-trace-loadgen --url http://127.0.0.1:9301/weather --concurrency 8 \
//!     --calls 50000 --server-pid $! --label native --csv bench/results/load.csv
//! ```
//!
//! Each worker is a task on one current-thread runtime (the server gets the
//! other core) with its own keep-alive HTTP/1.1 connection (hyper's client
//! connection, no pool); a shared counter hands out call numbers, so exactly
//! `--warmup` unmeasured calls and then `--calls` measured ones are made.
//! Each call carries a fresh W3C context like a traced client: `traceparent`
//! (new trace and span ids, sampled), `tracestate` and `baggage` in the
//! headers and the same three keys in `params._meta`.
//!
//! `--transport stateless` posts standalone requests (`weather-server
//! --stateless`); `--transport session` opens a session per worker
//! (`initialize`, `mcp-session-id`, `notifications/initialized`) and reads
//! JSON or server-sent-event answers. A call is an error if its status is not
//! 2xx or its JSON-RPC answer has an `error` or `result.isError: true`.
//!
//! `--rate R` makes the measured calls open-loop: a pacing thread releases
//! call k at `k / R` seconds (late by its sleep's precision, tens of µs,
//! never early), a free worker takes it, and its latency runs from the time
//! the schedule gave it, so time spent waiting for a worker, or for a late
//! pacing thread, is counted (no coordinated omission). Closed-loop runs
//! (the default) saturate the server and so measure its capacity; a paced run
//! measures latency at a given load, as a service sees it. Give it
//! concurrency to spare (`--concurrency 32`): a call that waits for a worker
//! means the server is past its capacity.
//!
//! With `--server-pid`, the server's user+system CPU time
//! (`/proc/PID/stat`) is read around the measured calls and its RSS
//! (`/proc/PID/status`) sampled every second. The machine's steal time
//! (`/proc/stat`: CPU time the hypervisor gave to other guests) over the
//! measured calls is reported as a share of all CPU time: on a shared
//! virtual machine a run with a high share measured the neighbours as much
//! as the server. `--csv` appends one row.

use std::io::Write as _;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use clap::{Parser, ValueEnum};
use http::{header, Request, Uri};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use serde_json::Value;

const TRACESTATE: &str = "vendor=value";
const BAGGAGE: &str = "user.id=bench";
const PROTOCOL_VERSION: &str = "2025-06-18";
/// Linux's USER_HZ: the unit of utime/stime in /proc/PID/stat.
const CLOCK_TICKS_PER_S: f64 = 100.0;
const CSV_HEADER: &str = "label,calls,seconds,calls_per_s,p50_us,p90_us,p99_us,p999_us,max_us,\
server_cpu_us_per_call,rss_start_mib,rss_end_mib,rss_max_mib,errors,steal_pct";

/// Traced tools/call load against an MCP server over Streamable HTTP
#[derive(Debug, Parser)]
#[command(name = "mcp-trace-loadgen")]
struct Args {
    /// The MCP endpoint, e.g. http://127.0.0.1:9000/weather.
    #[arg(long)]
    url: String,
    /// Connections (one task and one keep-alive connection each).
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
    /// Measured calls, in all.
    #[arg(long, default_value_t = 100_000)]
    calls: u64,
    /// Release the measured calls at this many per second (open loop)
    /// instead of as fast as the workers go.
    #[arg(long, value_parser = parse_rate)]
    rate: Option<f64>,
    /// Calls made before the measured ones, not measured.
    #[arg(long, default_value_t = 2000)]
    warmup: u64,
    #[arg(long, value_enum, default_value_t = Transport::Stateless)]
    transport: Transport,
    /// The server's process id: CPU per call and RSS from /proc.
    #[arg(long)]
    server_pid: Option<u32>,
    /// Name of this run in the summary and the CSV.
    #[arg(long, default_value = "run")]
    label: String,
    /// Append one row of results to this CSV file (header if new).
    #[arg(long)]
    csv: Option<PathBuf>,
    /// Exit with an error when any call (warm-up included) failed: for CI.
    #[arg(long)]
    fail_on_errors: bool,
    /// Tool to call.
    #[arg(long, default_value = "get_weather")]
    tool: String,
    /// The tool's arguments, a JSON object.
    #[arg(long, default_value = r#"{"location":"Paris"}"#)]
    arguments: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Transport {
    /// Every POST a standalone JSON-RPC request.
    Stateless,
    /// One MCP session per worker.
    Session,
}

/// What every worker needs to build its requests.
struct Target {
    address: String,
    authority: String,
    path: String,
    /// `"name":…,"arguments":…` of params, serialized once.
    call_params: String,
    errors: AtomicU64,
    first_error_shown: AtomicBool,
}

struct Worker {
    sender: SendRequest<Full<Bytes>>,
    session: Option<String>,
    next_id: u64,
}

type Error = Box<dyn std::error::Error + Send + Sync>;

fn main() -> Result<(), Error> {
    let args = Args::parse();
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(run(args))
}

async fn run(args: Args) -> Result<(), Error> {
    let uri: Uri = args.url.parse()?;
    let authority = uri.authority().ok_or("--url needs host:port")?.to_string();
    let arguments: Value = serde_json::from_str(&args.arguments)?;
    if !arguments.is_object() {
        return Err("--arguments must be a JSON object".into());
    }
    let target = Arc::new(Target {
        address: if uri.port().is_some() {
            authority.clone()
        } else {
            format!("{authority}:80")
        },
        authority,
        path: uri.path_and_query().map_or("/", |p| p.as_str()).to_string(),
        call_params: format!(
            r#""name":{},"arguments":{arguments}"#,
            Value::from(args.tool.clone())
        ),
        errors: AtomicU64::new(0),
        first_error_shown: AtomicBool::new(false),
    });
    let mut workers = Vec::with_capacity(args.concurrency);
    for _ in 0..args.concurrency.max(1) {
        workers.push(Worker::open(&target, args.transport).await?);
    }

    let (workers, _) = phase(workers, &target, Pace::closed(args.warmup), false).await;
    let warmup_errors = target.errors.swap(0, Ordering::Relaxed);
    let pid = args.server_pid;
    let cpu_before = pid.map(cpu_ticks).transpose()?;
    let machine_before = MachineTicks::read();
    let rss = pid.map(RssSampler::start);
    let started = Instant::now();
    let pace = match args.rate {
        Some(rate) => Pace::open(args.calls, rate),
        None => Pace::closed(args.calls),
    };
    let (workers, mut latencies) = phase(workers, &target, pace, true).await;
    let seconds = started.elapsed().as_secs_f64();
    let cpu_after = pid.map(cpu_ticks).transpose()?;
    let steal_pct = machine_before
        .zip(MachineTicks::read())
        .and_then(|(before, after)| after.steal_pct_since(&before));
    let rss = rss.map(RssSampler::finish);
    for worker in workers {
        worker.close(&target).await;
    }

    latencies.sort_unstable();
    let calls = latencies.len() as u64;
    let cpu_us_per_call = cpu_before.zip(cpu_after).map(|(before, after)| {
        (after - before) as f64 / CLOCK_TICKS_PER_S * 1e6 / calls.max(1) as f64
    });
    let [p50, p90, p99, p999] = [500, 900, 990, 999].map(|p| percentile(&latencies, p));
    let max = latencies.last().copied().unwrap_or(0);
    let errors = target.errors.load(Ordering::Relaxed);
    let rate = calls as f64 / seconds;
    let [rss_start, rss_end, rss_max] = rss.map_or([None; 3], |rss| rss.map(Some));
    // Without --server-pid: "-" in the summary, empty fields in the CSV.
    let show = |value: Option<f64>| value.map_or("-".into(), |v| format!("{v:.1}"));
    let field = |value: Option<f64>| value.map_or(String::new(), |v| format!("{v:.1}"));
    let warmup_note = match warmup_errors {
        0 => String::new(),
        n => format!(" (warm-up errors {n})"),
    };
    println!(
        "{}  {rate:.0} calls/s  p50 {p50} µs  p90 {p90} µs  p99 {p99} µs  p99.9 {p999} µs  \
         max {max} µs  cpu/call {} µs  rss {}→{} (max {}) MiB  errors {errors}{warmup_note}  \
         steal {}%",
        args.label,
        show(cpu_us_per_call),
        show(rss_start),
        show(rss_end),
        show(rss_max),
        show(steal_pct),
    );
    if let Some(path) = &args.csv {
        let row = format!(
            "{},{calls},{seconds:.3},{rate:.1},{p50},{p90},{p99},{p999},{max},{},{},{},{},{errors},{}",
            args.label.replace(',', ";"),
            field(cpu_us_per_call),
            field(rss_start),
            field(rss_end),
            field(rss_max),
            field(steal_pct),
        );
        append_csv(path, &row)?;
    }
    if args.fail_on_errors && errors + warmup_errors > 0 {
        return Err(format!("{} of the calls failed", errors + warmup_errors).into());
    }
    Ok(())
}

/// Makes the calls `pace` hands out over all workers; returns them and, when
/// `measure`, every call's latency in µs.
async fn phase(
    workers: Vec<Worker>,
    target: &Arc<Target>,
    pace: Pace,
    measure: bool,
) -> (Vec<Worker>, Vec<u32>) {
    let capacity = pace.calls as usize;
    let pace = Arc::new(pace);
    let mut tasks = tokio::task::JoinSet::new();
    for mut worker in workers {
        let (pace, target) = (pace.clone(), target.clone());
        tasks.spawn(async move {
            let mut latencies = Vec::new();
            while let Some(started) = pace.next().await {
                if let Err(body) = worker.call(&target).await {
                    target.errors.fetch_add(1, Ordering::Relaxed);
                    if !target.first_error_shown.swap(true, Ordering::Relaxed) {
                        eprintln!("mcp-trace-loadgen: first error: {body}");
                    }
                }
                if measure {
                    latencies.push(started.elapsed().as_micros().min(u32::MAX as u128) as u32);
                }
            }
            (worker, latencies)
        });
    }
    let (mut workers, mut all) = (Vec::new(), Vec::with_capacity(capacity));
    while let Some(done) = tasks.join_next().await {
        let (worker, latencies) = done.expect("a worker panicked");
        workers.push(worker);
        all.extend(latencies);
    }
    (workers, all)
}

/// Hands out a phase's calls to the workers: each as soon as one is free
/// (closed loop), or each at its time on a schedule (open loop, `--rate`).
struct Pace {
    calls: u64,
    source: Source,
}

enum Source {
    Closed(AtomicU64),
    /// Each call's due time from the pacing thread, sent once it has come;
    /// the thread ends the channel after the last call.
    Open(tokio::sync::Mutex<tokio::sync::mpsc::UnboundedReceiver<Instant>>),
}

impl Pace {
    fn closed(calls: u64) -> Pace {
        Pace {
            calls,
            source: Source::Closed(AtomicU64::new(0)),
        }
    }

    /// Starts the pacing thread: call k is released `k / rate` s from now.
    fn open(calls: u64, rate: f64) -> Pace {
        let (release, released) = tokio::sync::mpsc::unbounded_channel();
        std::thread::spawn(move || {
            let start = Instant::now();
            for k in 0..calls {
                let due = start + Duration::from_secs_f64(k as f64 / rate);
                let now = Instant::now();
                if due > now {
                    std::thread::sleep(due - now);
                }
                if release.send(due).is_err() {
                    return;
                }
            }
        });
        Pace {
            calls,
            source: Source::Open(tokio::sync::Mutex::new(released)),
        }
    }

    /// When the next call was due (now, in a closed loop); `None` once
    /// every call has been handed out.
    async fn next(&self) -> Option<Instant> {
        match &self.source {
            Source::Closed(next) => {
                (next.fetch_add(1, Ordering::Relaxed) < self.calls).then(Instant::now)
            }
            Source::Open(released) => released.lock().await.recv().await,
        }
    }
}

fn parse_rate(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(rate) if rate.is_finite() && rate > 0.0 => Ok(rate),
        _ => Err(format!(
            "{text:?} is not a positive number of calls per second"
        )),
    }
}

impl Worker {
    async fn open(target: &Target, transport: Transport) -> Result<Worker, Error> {
        let mut worker = Worker {
            sender: connect(&target.address).await?,
            session: None,
            next_id: 1,
        };
        if transport == Transport::Session {
            let initialize = format!(
                r#"{{"jsonrpc":"2.0","id":0,"method":"initialize","params":{{"protocolVersion":"{PROTOCOL_VERSION}","capabilities":{{}},"clientInfo":{{"name":"mcp-trace-loadgen","version":"{}"}}}}}}"#,
                env!("CARGO_PKG_VERSION")
            );
            let (status, headers, body) = worker.post(target, initialize, None).await?;
            check_response(status, &headers, &body).map_err(|e| format!("initialize: {e}"))?;
            let id = headers
                .get("mcp-session-id")
                .ok_or("initialize: no mcp-session-id")?;
            worker.session = Some(id.to_str()?.to_string());
            let initialized = r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#;
            let (status, _, body) = worker.post(target, initialized.into(), None).await?;
            if !status.is_success() {
                return Err(format!("notifications/initialized: {status} {body:?}").into());
            }
        }
        Ok(worker)
    }

    /// One traced `tools/call`; `Err` holds what made it an error.
    async fn call(&mut self, target: &Target) -> Result<(), String> {
        let traceparent = traceparent(fastrand::u128(1..), fastrand::u64(1..));
        let id = self.next_id;
        self.next_id += 1;
        let body = format!(
            r#"{{"jsonrpc":"2.0","id":{id},"method":"tools/call","params":{{{},"_meta":{{"traceparent":"{traceparent}","tracestate":"{TRACESTATE}","baggage":"{BAGGAGE}"}}}}}}"#,
            target.call_params
        );
        let result = match self.post(target, body, Some(&traceparent)).await {
            Err(error) if self.sender.is_closed() => {
                // The server closed the connection: open a new one for the next calls.
                if let Ok(sender) = connect(&target.address).await {
                    self.sender = sender;
                }
                Err(error)
            }
            result => result,
        };
        let (status, headers, body) = result.map_err(|e| format!("request failed: {e}"))?;
        check_response(status, &headers, &body)
    }

    async fn post(
        &mut self,
        target: &Target,
        body: String,
        traceparent: Option<&str>,
    ) -> Result<(http::StatusCode, http::HeaderMap, Bytes), Error> {
        let mut request = Request::post(target.path.as_str())
            .header(header::HOST, target.authority.as_str())
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::ACCEPT, "application/json, text/event-stream")
            .header("mcp-protocol-version", PROTOCOL_VERSION);
        if let Some(traceparent) = traceparent {
            request = request
                .header("traceparent", traceparent)
                .header("tracestate", TRACESTATE)
                .header("baggage", BAGGAGE);
        }
        if let Some(session) = &self.session {
            request = request.header("mcp-session-id", session.as_str());
        }
        self.sender.ready().await?;
        let response = self
            .sender
            .send_request(request.body(Full::from(body))?)
            .await?;
        let (parts, body) = response.into_parts();
        Ok((
            parts.status,
            parts.headers,
            body.collect().await?.to_bytes(),
        ))
    }

    /// Ends the session, if any (DELETE with its id).
    async fn close(mut self, target: &Target) {
        if let Some(session) = self.session.take() {
            let request = Request::delete(target.path.as_str())
                .header(header::HOST, target.authority.as_str())
                .header("mcp-session-id", session)
                .body(Full::default())
                .expect("a valid request");
            if self.sender.ready().await.is_ok() {
                let _ = self.sender.send_request(request).await;
            }
        }
    }
}

async fn connect(address: &str) -> Result<SendRequest<Full<Bytes>>, Error> {
    let stream = tokio::net::TcpStream::connect(address).await?;
    stream.set_nodelay(true)?;
    let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(connection);
    Ok(sender)
}

/// `Ok` for a 2xx answer whose JSON-RPC message (plain JSON or the first
/// server-sent event carrying a response) has no `error` and no
/// `result.isError: true`; otherwise what was wrong, with the body.
fn check_response(
    status: http::StatusCode,
    headers: &http::HeaderMap,
    body: &[u8],
) -> Result<(), String> {
    let text = || String::from_utf8_lossy(body).into_owned();
    if !status.is_success() {
        return Err(format!("status {status}: {}", text()));
    }
    let is_sse = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/event-stream"));
    let message = if is_sse {
        sse_message(&String::from_utf8_lossy(body))
    } else {
        serde_json::from_slice::<Value>(body).ok()
    };
    match message {
        None => Err(format!("no JSON-RPC response in: {}", text())),
        Some(m) if m.get("error").is_some() || m["result"]["isError"] == true => Err(text()),
        Some(_) => Ok(()),
    }
}

/// The first event of a server-sent-event body whose data (its `data:`
/// lines joined) is a JSON-RPC response (has `result` or `error`).
fn sse_message(body: &str) -> Option<Value> {
    body.replace("\r\n", "\n")
        .split("\n\n")
        .filter_map(|event| {
            let data: Vec<&str> = event
                .lines()
                .filter_map(|line| line.strip_prefix("data:"))
                .map(|data| data.strip_prefix(' ').unwrap_or(data))
                .collect();
            serde_json::from_str::<Value>(&data.join("\n")).ok()
        })
        .find(|message| message.get("result").is_some() || message.get("error").is_some())
}

/// A W3C `traceparent`, version 00, sampled.
fn traceparent(trace_id: u128, span_id: u64) -> String {
    format!("00-{trace_id:032x}-{span_id:016x}-01")
}

/// Nearest-rank percentile of sorted values, `per_mille` in 1..=1000
/// (990 = p99, 999 = p99.9): the smallest value with at least that share of
/// values at or below it. 0 for no values.
fn percentile(sorted: &[u32], per_mille: usize) -> u32 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = (per_mille * sorted.len()).div_ceil(1000).max(1);
    sorted[rank.min(sorted.len()) - 1]
}

/// utime + stime of a process, in clock ticks.
fn cpu_ticks(pid: u32) -> Result<u64, Error> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // Fields after the command name (which may hold spaces) start at field 3.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .ok_or("bad stat")?
        .1
        .split_whitespace()
        .collect();
    Ok(fields[11].parse::<u64>()? + fields[12].parse::<u64>()?)
}

/// The machine's CPU time from the first line of /proc/stat, in clock ticks.
#[derive(Debug, PartialEq)]
struct MachineTicks {
    /// All of user, nice, system, idle, iowait, irq, softirq and steal.
    total: u64,
    steal: u64,
}

impl MachineTicks {
    fn read() -> Option<MachineTicks> {
        MachineTicks::parse(&std::fs::read_to_string("/proc/stat").ok()?)
    }

    fn parse(stat: &str) -> Option<MachineTicks> {
        let mut fields = stat
            .lines()
            .next()?
            .strip_prefix("cpu ")?
            .split_whitespace();
        let ticks: Vec<u64> = fields
            .by_ref()
            .take(8)
            .map(|f| f.parse().ok())
            .collect::<Option<_>>()?;
        (ticks.len() == 8).then(|| MachineTicks {
            total: ticks.iter().sum(),
            steal: ticks[7],
        })
    }

    /// The share of the CPU time since `before` that was stolen, in %.
    fn steal_pct_since(&self, before: &MachineTicks) -> Option<f64> {
        let total = self.total.checked_sub(before.total).filter(|&t| t > 0)?;
        Some(self.steal.saturating_sub(before.steal) as f64 * 100.0 / total as f64)
    }
}

/// VmRSS of a process in MiB.
fn rss_mib(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|line| line.starts_with("VmRSS:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// RSS at the start, every second on its own thread, and at the end.
struct RssSampler {
    pid: u32,
    start: f64,
    stop: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<f64>,
}

impl RssSampler {
    fn start(pid: u32) -> RssSampler {
        let start = rss_mib(pid).unwrap_or(0.0);
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            let mut max = start;
            let mut last = Instant::now();
            while !flag.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(50));
                if last.elapsed() >= Duration::from_secs(1) {
                    last = Instant::now();
                    max = max.max(rss_mib(pid).unwrap_or(0.0));
                }
            }
            max
        });
        RssSampler {
            pid,
            start,
            stop,
            thread,
        }
    }

    /// [start, end, max] in MiB.
    fn finish(self) -> [f64; 3] {
        let end = rss_mib(self.pid).unwrap_or(0.0);
        self.stop.store(true, Ordering::Relaxed);
        let max = self.thread.join().unwrap_or(0.0).max(end);
        [self.start, end, max]
    }
}

fn append_csv(path: &PathBuf, row: &str) -> std::io::Result<()> {
    if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let new = std::fs::metadata(path).map_or(true, |m| m.len() == 0);
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    if new {
        writeln!(file, "{CSV_HEADER}")?;
    }
    writeln!(file, "{row}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_paced_phase_releases_every_call_on_schedule_and_no_more() {
        let pace = Pace::open(50, 1000.0);
        let first = pace.next().await.expect("a first call");
        for k in 1..50 {
            let due = pace.next().await.expect("50 calls");
            // Handed out once due, never before; the due times 1 ms apart.
            assert!(Instant::now() >= due);
            let off_schedule = (due - first).abs_diff(Duration::from_millis(k));
            assert!(
                off_schedule < Duration::from_micros(1),
                "call {k}: {off_schedule:?}"
            );
        }
        assert_eq!(pace.next().await, None, "the schedule ends after 50");
        let closed = Pace::closed(2);
        assert!(closed.next().await.is_some() && closed.next().await.is_some());
        assert_eq!(closed.next().await, None);
    }

    #[test]
    fn steal_is_the_stolen_share_of_all_cpu_time_between_two_reads() {
        let before = MachineTicks::parse("cpu  100 0 50 800 10 0 5 35 0 0\ncpu0 1 2 3\n");
        let after = MachineTicks::parse("cpu  160 0 70 900 10 0 5 55 0 0\n");
        assert_eq!(
            before,
            Some(MachineTicks {
                total: 1000,
                steal: 35
            })
        );
        // 200 ticks passed, 20 of them stolen.
        assert_eq!(after.unwrap().steal_pct_since(&before.unwrap()), Some(10.0));
        assert_eq!(MachineTicks::parse("cpu0 1 2 3 4 5 6 7 8\n"), None);
        assert_eq!(MachineTicks::parse("cpu  1 2 3\n"), None);
    }

    #[test]
    fn rates_are_positive_numbers() {
        assert_eq!(parse_rate("2500"), Ok(2500.0));
        for bad in ["0", "-1", "inf", "NaN", "fast"] {
            assert!(parse_rate(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn percentiles_by_nearest_rank() {
        let values: Vec<u32> = (1..=1000).collect();
        assert_eq!(percentile(&values, 500), 500);
        assert_eq!(percentile(&values, 990), 990);
        assert_eq!(
            percentile(&values, 999),
            999,
            "p99.9 of 1000 is the 999th, not the max"
        );
        assert_eq!(percentile(&values, 1000), 1000);
        // Ten values: p50 is the 5th, p90 the 9th, p99 and p99.9 round up to the 10th.
        let ten = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100];
        assert_eq!(
            [500, 900, 990, 999].map(|p| percentile(&ten, p)),
            [50, 90, 100, 100]
        );
        assert_eq!(percentile(&[7], 1), 7);
        assert_eq!(percentile(&[], 500), 0);
    }

    #[test]
    fn sse_body_gives_the_response_message() {
        let body = "id: 0\r\nretry: 3000\r\ndata:\r\n\r\n\
                    event: message\r\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/message\"}\r\n\r\n\
                    event: message\r\nid: 1\r\ndata: {\"jsonrpc\":\"2.0\",\"id\":1,\r\ndata: \"result\":{\"isError\":false}}\r\n\r\n";
        let message = sse_message(body).expect("a response");
        assert_eq!(message["id"], 1);
        assert_eq!(message["result"]["isError"], false);
        assert_eq!(sse_message("event: message\n\n"), None);
    }

    #[test]
    fn errors_are_recognised_in_json_and_sse() {
        let json = http::HeaderMap::new();
        let mut sse = http::HeaderMap::new();
        sse.insert(header::CONTENT_TYPE, "text/event-stream".parse().unwrap());
        let ok = br#"{"jsonrpc":"2.0","id":1,"result":{"content":[],"isError":false}}"#;
        assert_eq!(check_response(http::StatusCode::OK, &json, ok), Ok(()));
        let tool_error = br#"{"jsonrpc":"2.0","id":1,"result":{"isError":true}}"#;
        assert!(check_response(http::StatusCode::OK, &json, tool_error).is_err());
        let rpc_error = br#"{"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"x"}}"#;
        assert!(check_response(http::StatusCode::OK, &json, rpc_error).is_err());
        assert!(check_response(http::StatusCode::BAD_REQUEST, &json, ok).is_err());
        let event = format!(
            "event: message\ndata: {}\n\n",
            std::str::from_utf8(ok).unwrap()
        );
        assert_eq!(
            check_response(http::StatusCode::OK, &sse, event.as_bytes()),
            Ok(())
        );
        assert!(check_response(http::StatusCode::OK, &sse, b"data: \n\n").is_err());
    }

    #[test]
    fn traceparent_is_55_chars_of_valid_hex() {
        let value = traceparent(fastrand::u128(1..), fastrand::u64(1..));
        assert_eq!(value.len(), 55, "{value}");
        let parts: Vec<&str> = value.split('-').collect();
        assert_eq!(
            parts.iter().map(|p| p.len()).collect::<Vec<_>>(),
            [2, 32, 16, 2]
        );
        assert!(parts.iter().all(|p| p
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())));
        assert_eq!((parts[0], parts[3]), ("00", "01"));
        // Small ids are zero-padded to full width.
        assert_eq!(
            traceparent(1, 2),
            "00-00000000000000000000000000000001-0000000000000002-01"
        );
    }
}
