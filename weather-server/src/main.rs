//! `weather-server`: the seed's Weather Assistant MCP server, traced.

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use weather_server::{serve, shutdown_signal, tracing_config, ServerArgs};

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
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("weather-server: {error}");
            ExitCode::FAILURE
        }
    }
}
