//! `weather-client`: the seed's weather client, traced with mcp-trace.
//!
//! ```text
//! weather-client [--url URL] [--days N] [--json] [LOCATION]
//! weather-client --demo [LOCATION]     # everything on this machine, trace tree printed
//! ```

mod demo;
mod report;
mod request;

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;

/// Command line of `weather-client`.
#[derive(Debug, Parser)]
#[command(
    name = "weather-client",
    version,
    about = "Weather client for the Weather Assistant MCP server, traced with mcp-trace"
)]
struct ClientArgs {
    /// City to ask about.
    #[arg(default_value = "San Francisco")]
    location: String,
    /// MCP endpoint of the weather server.
    #[arg(long, default_value = "http://127.0.0.1:8000/weather")]
    url: String,
    /// Days of forecast (0: current weather only).
    #[arg(long, default_value_t = 3)]
    days: i64,
    /// Label the trace with this user (`user.id`, sent as baggage to the server too).
    #[arg(long)]
    user_id: Option<String>,
    /// Label the trace with this session (`session.id`, sent as baggage too).
    #[arg(long)]
    session_id: Option<String>,
    /// Print `{"weather": …, "forecast": […], "trace_id": "…"}`.
    #[arg(long)]
    json: bool,
    /// Run the whole demo here: embedded collector, the server as a child
    /// process, the request, and the distributed trace tree.
    #[arg(long)]
    demo: bool,
    /// Internal: run as the demo's server, exporting to this collector.
    #[arg(long = "demo-server", hide = true, value_name = "COLLECTOR")]
    demo_server: Option<String>,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = ClientArgs::parse();
    if let Some(collector) = &args.demo_server {
        return demo::serve(collector).await;
    }
    if args.demo {
        return run_demo(&args).await;
    }
    let guard = match mcp_trace_runtime::init("weather-client") {
        Ok(guard) => guard,
        Err(error) => {
            eprintln!("weather-client: {error}");
            return ExitCode::from(2);
        }
    };
    let outcome =
        request::weather_request(&args.url, &args.location, args.days, identity(&args), false)
            .await;
    let _ = tokio::task::spawn_blocking(move || guard.shutdown(Duration::from_secs(5))).await;
    print_outcome(&args, &outcome)
}

async fn run_demo(args: &ClientArgs) -> ExitCode {
    match demo::run(&args.location, args.days, identity(args)).await {
        Ok((outcome, tree)) => {
            let code = print_outcome(args, &outcome);
            if !args.json {
                println!("\nDistributed trace, as the embedded OTLP collector received it from both processes:\n");
                print!("{tree}");
            }
            code
        }
        Err(error) => {
            eprintln!("weather-client --demo: {error}");
            ExitCode::FAILURE
        }
    }
}

fn identity(args: &ClientArgs) -> request::Identity<'_> {
    request::Identity {
        user_id: args.user_id.as_deref(),
        session_id: args.session_id.as_deref(),
    }
}

fn print_outcome(args: &ClientArgs, outcome: &request::Outcome) -> ExitCode {
    match &outcome.report {
        Ok(report) if args.json => {
            println!("{}", report::json(report, &outcome.trace_id));
            ExitCode::SUCCESS
        }
        Ok(report) => {
            print!("{}", report::human(report));
            println!("Trace id: {}", outcome.trace_id);
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("weather-client: {error}");
            eprintln!("Trace id: {}", outcome.trace_id);
            ExitCode::FAILURE
        }
    }
}
