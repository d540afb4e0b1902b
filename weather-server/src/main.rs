//! `weather-server`: the seed's Weather Assistant MCP server, traced.

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use mcp_trace_runtime::server::shutdown_signal;
use weather_server::{serve, tracing_config, ServerArgs};

#[tokio::main]
async fn main() -> ExitCode {
    let args = ServerArgs::parse();
    let guard = match tracing_config().and_then(mcp_trace_runtime::install) {
        Ok(guard) => guard,
        Err(error) => {
            eprintln!("weather-server: {error}");
            return ExitCode::from(2);
        }
    };
    let result = serve(&args, shutdown_signal()).await;
    // Flush off the async runtime: exporters block while they send.
    let flushed = tokio::task::spawn_blocking(move || guard.shutdown(Duration::from_secs(5))).await;
    if let Ok(Err(error)) = flushed {
        eprintln!("weather-server: {error}");
    }
    let code = match result {
        Ok(()) => 0,
        Err(error) => {
            eprintln!("weather-server: {error}");
            1
        }
    };
    // Not a return from main: over stdio tokio's stdin read may still be
    // blocked on a host that keeps the pipe open, and dropping the runtime
    // would wait for it. The spans are flushed; nothing else is pending.
    std::process::exit(code)
}
