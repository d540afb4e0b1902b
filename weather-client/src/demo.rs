//! `--demo`: the whole distributed trace on one machine, nothing to install.
//!
//! An embedded OTLP collector starts in this process; the weather server
//! starts as a child process (this same binary, in server mode, serving
//! [`weather_server::demo_server`]) exporting to it; the request runs, with
//! the demo's extras (a tool that asks this client's model, a resource, a
//! prompt); both processes flush; the tree of the trace as the
//! collector received it is printed, with each observation's input and
//! output, the sampling generation's model, tokens and cost, and each log
//! line under the span it was written in.

use std::process::Stdio;
use std::time::Duration;

use mcp_trace_runtime::collector::Collector;
use mcp_trace_runtime::config::OtlpTarget;
use mcp_trace_runtime::{metrics, trace_tree};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::request::{weather_request, Identity, Outcome};

/// Hidden flag that runs this binary as the demo's weather server.
pub const SERVER_FLAG: &str = "--demo-server";

const ENDPOINT_LINE: &str = "Streamable HTTP endpoint available at ";

/// Runs the demo; returns the request's outcome and the rendered trace tree.
pub async fn run(
    location: &str,
    days: i64,
    identity: Identity<'_>,
) -> Result<(Outcome, String), String> {
    let collector = Collector::start("127.0.0.1:0")
        .await
        .map_err(|error| format!("cannot start the embedded collector: {error}"))?;
    let guard = install_tracing("weather-client", &collector.endpoint())?;

    let (mut server, url) = start_server(&collector.endpoint()).await?;
    let outcome = weather_request(&url, location, days, identity, true).await;

    // Closing the server's stdin asks it to stop; it flushes its spans first.
    drop(server.stdin.take());
    let stopped = tokio::time::timeout(Duration::from_secs(15), server.wait()).await;
    if stopped.is_err() {
        let _ = server.kill().await;
        return Err("the demo server did not stop within 15 s".into());
    }
    tokio::task::spawn_blocking(move || guard.shutdown(Duration::from_secs(5)))
        .await
        .map_err(|error| error.to_string())?
        .map_err(|error| error.to_string())?;

    let trace_id = outcome.trace_id.clone();
    let spans = collector
        .wait_for(Duration::from_secs(5), |spans| {
            spans
                .iter()
                .any(|span| span.trace_id == trace_id && span.name == "weather_request")
        })
        .await;
    // Both processes have shut their providers down, which waits for their
    // exports to be answered: every log record is in already.
    let mut report = trace_tree::render_trace_with_logs(&spans, &collector.logs(), &trace_id);
    report.push_str(&durations(&collector));
    collector.shutdown();
    Ok((outcome, report))
}

/// One line per measured operation, from the duration histograms both
/// processes exported (each process's latest export of each: the demo's
/// client measures the sampling request it answers as a server, too).
fn durations(collector: &Collector) -> String {
    let metrics = collector.metrics();
    let mut lines = Vec::new();
    for (side, name) in [
        ("client", metrics::CLIENT_OPERATION_DURATION),
        ("server", metrics::SERVER_OPERATION_DURATION),
    ] {
        let mut services: Vec<&str> = metrics
            .iter()
            .filter(|metric| metric.name == name)
            .map(|metric| metric.service_name.as_str())
            .collect();
        services.sort_unstable();
        services.dedup();
        for service in services {
            let Some(metric) = metrics
                .iter()
                .rev()
                .find(|metric| metric.name == name && metric.service_name == service)
            else {
                continue;
            };
            for point in &metric.points {
                let method = point.attr_str("mcp.method.name").unwrap_or("?");
                let tool = point.attr_str("gen_ai.tool.name").unwrap_or("");
                let mean_ms = point.sum.unwrap_or(0.0) / point.count.max(1) as f64 * 1e3;
                lines.push(format!(
                    "  {service:<14}  {side:<6}  {:<28}  {} × {mean_ms:.2} ms",
                    format!("{method} {tool}").trim_end(),
                    point.count
                ));
            }
        }
    }
    if lines.is_empty() {
        return String::new();
    }
    lines.sort();
    format!(
        "\nOperation durations (mcp.client/server.operation.duration histograms, over OTLP):\n{}\n",
        lines.join("\n")
    )
}

/// Tracing from the environment, plus the embedded collector for spans,
/// metrics and logs. Without any `OTEL_EXPORTER_OTLP_*` endpoint the default
/// `localhost:4318` is dropped: the collector replaces it, and nothing warns
/// about a backend nobody runs. Langfuse (`LANGFUSE_*`) is kept as the
/// environment says, in both processes: the server is a child and inherits
/// this environment, so its spans (the sampling generation among them) reach
/// Langfuse too.
pub fn install_tracing(
    service_name: &str,
    collector: &str,
) -> Result<mcp_trace_runtime::Guard, String> {
    let mut config =
        mcp_trace_runtime::Config::from_env(service_name).map_err(|error| error.to_string())?;
    add_collector(
        &mut config.otlp,
        &mut config.extra_otlp,
        OtlpTarget::http(collector),
    );
    add_collector(
        &mut config.metrics.otlp,
        &mut config.metrics.extra_otlp,
        OtlpTarget::http_metrics(collector),
    );
    add_collector(
        &mut config.logs.otlp,
        &mut config.logs.extra_otlp,
        OtlpTarget::http_logs(collector),
    );
    config
        .service_version
        .get_or_insert_with(|| env!("CARGO_PKG_VERSION").to_string());
    mcp_trace_runtime::install(config).map_err(|error| error.to_string())
}

/// One signal's destinations: the embedded collector added, the default
/// endpoint dropped (an endpoint someone set stays).
fn add_collector(otlp: &mut Option<OtlpTarget>, extra: &mut Vec<OtlpTarget>, target: OtlpTarget) {
    if otlp.as_ref().is_some_and(|otlp| otlp.endpoint_is_default) {
        *otlp = None;
    }
    extra.push(target);
}

async fn start_server(collector: &str) -> Result<(Child, String), String> {
    let executable =
        std::env::current_exe().map_err(|error| format!("cannot find this program: {error}"))?;
    let mut server = Command::new(executable)
        .args([SERVER_FLAG, collector])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|error| format!("cannot start the weather server: {error}"))?;
    let stdout = server.stdout.take().expect("stdout is piped");
    let mut lines = BufReader::new(stdout).lines();
    let url = tokio::time::timeout(Duration::from_secs(20), async {
        while let Ok(Some(line)) = lines.next_line().await {
            if let Some(url) = line.strip_prefix(ENDPOINT_LINE) {
                return Some(url.trim().to_string());
            }
        }
        None
    })
    .await
    .ok()
    .flatten()
    .ok_or("the weather server did not start")?;
    // Keep draining the server's stdout so it never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Ok((server, url))
}

/// The child side: the weather server on a free loopback port, exporting to
/// `collector`, stopping when its stdin closes (or on a signal).
pub async fn serve(collector: &str) -> std::process::ExitCode {
    let guard = match install_tracing(weather_server::SERVICE_NAME, collector) {
        Ok(guard) => guard,
        Err(error) => {
            eprintln!("weather-client demo server: {error}");
            return std::process::ExitCode::from(2);
        }
    };
    let args = weather_server::ServerArgs {
        host: "127.0.0.1".into(),
        port: 0,
        path: "/weather".into(),
        stdio: false,
        stateless: false,
        allow_hosts: Vec::new(),
        allow_origins: Vec::new(),
    };
    let signal = mcp_trace_runtime::server::shutdown_signal();
    let stop = async {
        let mut stdin = tokio::io::stdin();
        let mut sink = tokio::io::sink();
        tokio::select! {
            _ = tokio::io::copy(&mut stdin, &mut sink) => {}
            _ = signal => {}
        }
    };
    let result = match weather_server::demo_server() {
        Ok(server) => weather_server::serve_server(server, &args, stop).await,
        Err(error) => Err(error.into()),
    };
    let _ = tokio::task::spawn_blocking(move || guard.shutdown(Duration::from_secs(5))).await;
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("weather-client demo server: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}
