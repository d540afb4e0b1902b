//! # mcp-trace-runtime
//!
//! End-to-end OpenTelemetry tracing for MCP servers and clients, readable in
//! Langfuse or any OTLP backend: one trace from the client's request down to
//! each tool's input and output. A traced stdio MCP server, whole:
//!
//! ```no_run
//! use mcp_trace_runtime::server::{serve_stdio, shutdown_signal, McpServer};
//! use mcp_trace_runtime::{mcp_tool, observe, with_otel_headers};
//!
//! /// Get current weather for a specified location.
//! #[mcp_tool]            // registered: name, description, JSON schema of the parameters
//! #[with_otel_headers]   // runs in the caller's trace context (from `_meta` or headers)
//! #[observe]             // an observation span: input, output, errors
//! async fn get_weather(
//!     /// City name to get weather for
//!     location: String,
//! ) -> String {
//!     tracing::info!(%location, "looking up"); // a log record under this span
//!     format!("Sunny in {location}")
//! }
//!
//! #[tokio::main]
//! async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
//!     // Exporters from OTEL_* / LANGFUSE_* (or .env); flushed when the guard drops.
//!     let _guard = mcp_trace_runtime::init("weather-server")?;
//!     let server = McpServer::new("weather-server", "1.0.0")?; // every #[mcp_tool] in the program
//!     serve_stdio(server, shutdown_signal()).await?; // a ServeError
//!     Ok(())
//! }
//! ```
//!
//! This crate is everything the `#[mcp_tool]`, `#[with_otel_headers]` and
//! `#[observe]` expansions call, plus:
//!
//! | module | job |
//! |---|---|
//! | [`config`] | read `OTEL_*`, `LANGFUSE_*`, `MCP_TRACE_*` (and `.env`) into a [`Config`] |
//! | [`export`] | build the tracer provider: exporters, batching, sampling, the [`Guard`] |
//! | [`propagation`] | trace context in and out of HTTP headers and MCP `_meta` |
//! | [`caller`] | the one rule that picks a request's parent from `_meta` and headers |
//! | [`scope`] | the request being served, as a task-local, and a tower layer that sets it |
//! | [`mod@observe`] | observation spans with Langfuse input / output / error attributes |
//! | [`current`] | updates from inside a call: the current observation (model, usage, cost, time to first token, level, …) and the current trace |
//! | [`generation`] | an LLM call's model, parameters, usage and cost in Langfuse's, the GenAI conventions' and OpenInference's attributes |
//! | [`trace_attributes`] | user, session, tags, metadata, version for a whole piece of work (`propagate_attributes`), across MCP through baggage when asked |
//! | [`tool`] | `#[mcp_tool]` registrations: definitions, schemas, outputs of every content type |
//! | [`resource`] | `#[mcp_resource]` registrations: fixed URIs and URI templates, contents |
//! | [`prompt`] | `#[mcp_prompt]` registrations: arguments, messages |
//! | [`argument`] | arguments of every registration, their errors and completions |
//! | [`server`] | the tracing layer over any rmcp server ([`server::traced`]), our handler for the registrations, the way back to the client ([`server::BackChannel`]), HTTP and stdio serving |
//! | [`client`] | the tracing layer over any rmcp client ([`client::serve_traced`]): CLIENT spans, context in `_meta` and headers, SERVER spans for what the server asks; [`client::McpClient`] |
//! | [`conventions`] | the OpenTelemetry MCP conventions: span names, attributes, the one path that opens CLIENT / SERVER spans |
//! | [`logs`] | `tracing` events and `log` records as OpenTelemetry logs with the call's trace and span ids, `tracing` spans in the trace; [`logs::layer`] for your own subscriber |
//! | [`metrics`] | the `mcp.{client,server}.{operation,session}.duration` histograms |
//! | [`diagnostics`] | the runtime's own warnings: `tracing` events for your subscriber (target [`diagnostics::TARGET`]), or one line on stderr |
//! | [`settings`] | process-wide switches read on the hot path (mode, capture, limits) |
//! | [`collector`] | an embedded OTLP/HTTP receiver for demos and tests |
//! | [`trace_tree`] | prints received spans as a distributed trace tree |
//! | `testing` | (feature `testing`) span assertions for your tests: an in-memory provider, one trace per test, typed span queries, a guard for the switches |
//!
//! ## Re-exporting this crate
//!
//! The macros' expansions reach this crate at `::mcp_trace_runtime`. A crate
//! that re-exports it gives its users the macros with `crate = path`, so
//! they need no dependency on `mcp_trace_runtime` by name:
//!
//! ```ignore
//! // my_framework/src/lib.rs
//! pub use mcp_trace_runtime as rt;
//!
//! // a user's crate, depending on my_framework only
//! use my_framework::rt::{mcp_tool, observe, with_otel_headers};
//!
//! #[mcp_tool(crate = my_framework::rt)] // carried to the macros below
//! #[with_otel_headers]
//! #[observe]
//! async fn get_weather(location: String) -> String { format!("Sunny in {location}") }
//! ```

#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod argument;
pub mod caller;
pub mod client;
pub mod collector;
pub mod config;
pub mod conventions;
pub mod current;
pub mod diagnostics;
mod error;
pub mod export;
pub mod generation;
mod http_server;
mod inbound;
pub mod logs;
pub mod metrics;
pub mod observe;
pub mod prompt;
pub mod propagation;
pub mod resource;
pub mod scope;
pub mod server;
pub mod settings;
#[cfg(feature = "testing")]
pub mod testing;
pub mod tool;
pub mod trace_attributes;
pub mod trace_tree;

pub use config::Config;
pub use current::{current_observation, update_current_trace};
pub use error::Error;
pub use export::{install, Guard};
pub use settings::Mode;

/// Sets up tracing from the environment (and `.env`) for a program whose
/// default `service.name` is `service_name`: installs the global tracer
/// provider and propagators. Keep the returned [`Guard`] alive until the end
/// of `main`; dropping it flushes every finished span.
///
/// ```no_run
/// let _guard = mcp_trace_runtime::init("weather-server")?;
/// # Ok::<(), mcp_trace_runtime::Error>(())
/// ```
pub fn init(service_name: &str) -> Result<Guard, Error> {
    install(Config::from_env(service_name)?)
}

pub use mcp_trace_macros::{mcp_prompt, mcp_resource, mcp_tool, observe, with_otel_headers};

/// Defines the hidden module of re-exports the macro expansions reach
/// (`ROOT::__private_0_1::serde`, …), its name written once: `__private_`
/// and the semver-compatible part of the version (`0_1` for 0.1.x), the
/// name `mcp-trace-macros` of the same version emits (its `root::PRIVATE`).
/// Macros of another version name another module, so a mismatched pair
/// fails to compile on that path instead of silently miscompiling; the test
/// below fails when the version moves and the name does not.
macro_rules! private_module {
    ($name:ident) => {
        /// What the macro expansions reach through this module, so a user's
        /// crate needs no tracing dependency of its own. Not a public API;
        /// its name carries the version (see `private_module!`).
        #[doc(hidden)]
        pub mod $name {
            pub use inventory;
            pub use schemars;
            pub use serde;
            pub use serde_json;
        }

        #[cfg(test)]
        const PRIVATE_MODULE: &str = stringify!($name);
    };
}

private_module!(__private_0_1);

#[cfg(test)]
mod tests {
    #[test]
    fn the_private_module_carries_the_version() {
        let version = env!("CARGO_PKG_VERSION");
        let mut parts = version.split(['.', '-', '+']);
        let (major, minor) = (parts.next().unwrap(), parts.next().unwrap());
        let compatible = match major {
            "0" => format!("0_{minor}"),
            _ => major.to_string(),
        };
        assert_eq!(
            super::PRIVATE_MODULE,
            format!("__private_{compatible}"),
            "version {version}: rename the private module here and `root::PRIVATE` in mcp-trace-macros"
        );
    }
}
