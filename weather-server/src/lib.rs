//! The seed's Weather Assistant MCP server, traced with mcp-trace.
//!
//! The seed's tools live in [`tools`]; a resource, a prompt and a tool that
//! asks the client's model live in [`extras`]; [`serve`] runs them over
//! Streamable HTTP or stdio. Being a library too lets `weather-client --demo` run this same
//! server as a child process of its own binary.

pub mod extras;
pub mod tools;

use std::future::Future;

use clap::Parser;
use mcp_trace_runtime::server::{
    serve_http, serve_stdio, DuplicateName, HttpOptions, McpServer, McpServerBuilder,
};

/// Name the server reports in `initialize` and the default `service.name`.
pub const SERVICE_NAME: &str = "weather-server";

// This doc comment is the program's `--help` text; the example of parsing
// the command line lives on `weather_server()`.
/// Weather Assistant MCP server, traced with mcp-trace
#[derive(Debug, Clone, Parser)]
#[command(
    name = "weather-server",
    version,
    about = "Weather Assistant MCP server, traced with mcp-trace"
)]
pub struct ServerArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// Port to listen on (0 picks a free one).
    #[arg(long, default_value_t = 8000)]
    pub port: u16,
    /// Path of the MCP endpoint.
    #[arg(long, default_value = "/weather")]
    pub path: String,
    /// Serve over stdin/stdout instead of HTTP (trace context from `_meta`).
    #[arg(long)]
    pub stdio: bool,
    /// No sessions: every POST answered on its own with plain JSON (load balancers, load tests).
    #[arg(long)]
    pub stateless: bool,
    /// Accept this Host header too (repeatable); loopback names are always accepted.
    #[arg(long = "allow-host", value_name = "HOST")]
    pub allow_hosts: Vec<String>,
    /// Accept this browser Origin too, as scheme://host[:port] (repeatable; "*" for any); loopback origins are always accepted.
    #[arg(long = "allow-origin", value_name = "ORIGIN")]
    pub allow_origins: Vec<String>,
}

/// The MCP server: the seed's two weather tools (exactly those, as
/// `tools/list` has always said), the resource `weather://{city}/current`
/// and the prompt `weather_report`.
///
/// ```
/// use clap::Parser;
/// let args = weather_server::ServerArgs::parse_from(["weather-server", "--port", "0", "--stateless"]);
/// assert_eq!((args.host.as_str(), args.port, args.stateless), ("127.0.0.1", 0, true));
/// assert_eq!(weather_server::weather_server()?.tools().len(), 2);
/// # Ok::<(), mcp_trace_runtime::server::DuplicateName>(())
/// ```
///
/// # Errors
///
/// Never for these lists; a server whose lists clash does not start.
pub fn weather_server() -> Result<McpServer, DuplicateName> {
    builder().build()
}

/// [`weather_server`] plus `describe_weather`, the tool that asks the
/// client's model (`sampling/createMessage`): what `weather-client --demo`
/// serves, its client answering with a local responder.
///
/// ```
/// let names: Vec<_> = weather_server::demo_server()?.tools().iter().map(|t| t.name).collect();
/// assert_eq!(names, ["get_weather", "get_forecast", "describe_weather"]);
/// # Ok::<(), mcp_trace_runtime::server::DuplicateName>(())
/// ```
///
/// # Errors
///
/// Never for these lists; a server whose lists clash does not start.
pub fn demo_server() -> Result<McpServer, DuplicateName> {
    builder().tools(&[&extras::describe_weather::TOOL]).build()
}

fn builder() -> McpServerBuilder {
    McpServer::builder("Weather Assistant", env!("CARGO_PKG_VERSION"))
        .tools(&[&tools::get_weather::TOOL, &tools::get_forecast::TOOL])
        .resources(&[&extras::current_weather::RESOURCE])
        .prompts(&[&extras::weather_report::PROMPT])
}

/// Serves until `shutdown` resolves or, over stdio, the client closes its end.
/// Over HTTP it first prints the seed's two start-up lines with the real address.
pub async fn serve(
    args: &ServerArgs,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    serve_server(weather_server()?, args, shutdown).await
}

/// [`serve`] with the given server (e.g. [`demo_server`]).
pub async fn serve_server(
    server: McpServer,
    args: &ServerArgs,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    if args.stdio {
        return Ok(serve_stdio(server, shutdown).await?);
    }
    let listener = tokio::net::TcpListener::bind((args.host.as_str(), args.port))
        .await
        .map_err(|error| format!("cannot listen on {}:{}: {error}", args.host, args.port))?;
    let address = listener.local_addr()?;
    println!("Starting Weather Assistant MCP Server on http://{address}");
    println!(
        "Streamable HTTP endpoint available at http://{address}{}",
        args.path
    );
    let options = HttpOptions::at(args.path.clone())
        .with_stateless(args.stateless)
        .with_allowed_hosts(args.allow_hosts.clone())
        .with_allowed_origins(args.allow_origins.clone());
    serve_http(server, listener, options, shutdown).await?;
    Ok(())
}

/// Tracing for the server: the environment's settings, `service.version` from Cargo.
pub fn tracing_config() -> Result<mcp_trace_runtime::Config, mcp_trace_runtime::Error> {
    let mut config = mcp_trace_runtime::Config::from_env(SERVICE_NAME)?;
    config
        .service_version
        .get_or_insert_with(|| env!("CARGO_PKG_VERSION").to_string());
    Ok(config)
}
