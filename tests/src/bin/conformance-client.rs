//! `conformance-client URL`: the MCP client the official conformance suite
//! (`@modelcontextprotocol/conformance client --command …`) drives, written
//! with [`McpClient`] like any user would. The suite appends the server's
//! URL and names the scenario in `MCP_CONFORMANCE_SCENARIO`.
//!
//! Scenarios: `initialize`, `tools_call`, `elicitation-sep1034-client-defaults`,
//! `sse-retry`. The spans go where the usual settings say (`MCP_TRACE_FILE`,
//! `OTEL_EXPORTER_OTLP_*`, …; see `mcp_trace_runtime::init`) and are flushed
//! before the process exits: one trace per run, rooted at `conformance_run`.

use std::process::ExitCode;
use std::time::Duration;

use mcp_trace_runtime::client::{ClientError, McpClient};
use rmcp::model::{ElicitResult, ElicitationAction};
use serde_json::{json, Map, Value};

#[tokio::main]
async fn main() -> ExitCode {
    let Some(url) = std::env::args().nth(1) else {
        eprintln!("usage: conformance-client URL   (scenario in MCP_CONFORMANCE_SCENARIO)");
        return ExitCode::from(2);
    };
    let scenario = std::env::var("MCP_CONFORMANCE_SCENARIO").unwrap_or_default();
    let guard = match mcp_trace_runtime::init("conformance-client") {
        Ok(guard) => guard,
        Err(error) => {
            eprintln!("conformance-client: {error}");
            return ExitCode::from(2);
        }
    };
    let outcome = conformance_run(scenario.clone(), url).await;
    // Flush every span before exiting (the exporters run on their own threads).
    let flushed =
        tokio::task::spawn_blocking(move || guard.shutdown(Duration::from_secs(10))).await;
    if let Ok(Err(error)) = flushed {
        eprintln!("conformance-client: {error}");
    }
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("conformance-client: scenario {scenario:?}: {error}");
            ExitCode::FAILURE
        }
    }
}

/// One scenario, as one trace.
#[mcp_trace_runtime::observe]
async fn conformance_run(scenario: String, url: String) -> Result<(), ClientError> {
    match scenario.as_str() {
        "initialize" => list_tools_and_close(&url).await,
        "tools_call" => add_numbers(&url).await,
        "elicitation-sep1034-client-defaults" => elicitation_defaults(&url).await,
        "sse-retry" => reconnection(&url).await,
        other => Err(ClientError::message(format!(
            "unknown scenario {other:?} (this client runs initialize, tools_call, \
             elicitation-sep1034-client-defaults, sse-retry)"
        ))),
    }
}

fn client() -> mcp_trace_runtime::client::McpClientBuilder {
    McpClient::builder().client_info("mcp-trace-conformance-client", env!("CARGO_PKG_VERSION"))
}

fn arguments(value: Value) -> Map<String, Value> {
    value.as_object().cloned().unwrap_or_default()
}

/// `initialize`: the handshake, a listing, a clean close.
async fn list_tools_and_close(url: &str) -> Result<(), ClientError> {
    let client = client().connect_http(url).await?;
    client.list_tools().await?;
    client.close().await;
    Ok(())
}

/// `tools_call`: find `add_numbers` and call it.
async fn add_numbers(url: &str) -> Result<(), ClientError> {
    let client = client().connect_http(url).await?;
    let names = client.list_tool_names().await?;
    if !names.iter().any(|name| name == "add_numbers") {
        return Err(ClientError::message(format!(
            "no add_numbers tool among {names:?}"
        )));
    }
    let sum = client
        .call_tool("add_numbers", arguments(json!({"a": 5, "b": 3})))
        .await?;
    println!("add_numbers: {}", sum.text);
    client.close().await;
    if sum.is_error {
        return Err(ClientError::message(format!(
            "add_numbers failed: {}",
            sum.text
        )));
    }
    Ok(())
}

/// `elicitation-sep1034-client-defaults`: accept every form with nothing
/// filled in; the client fills in the schema's defaults.
async fn elicitation_defaults(url: &str) -> Result<(), ClientError> {
    let client = client()
        .on_elicitation(|_request| async { Ok(ElicitResult::new(ElicitationAction::Accept)) })
        .connect_http(url)
        .await?;
    let result = client
        .call_tool("test_client_elicitation_defaults", Map::new())
        .await?;
    println!("test_client_elicitation_defaults: {}", result.text);
    client.close().await;
    Ok(())
}

/// `sse-retry`: the server closes the call's SSE stream before answering;
/// the answer arrives after the client reconnects, `retry` ms later.
async fn reconnection(url: &str) -> Result<(), ClientError> {
    let client = client().connect_http(url).await?;
    let result = client.call_tool("test_reconnection", Map::new()).await?;
    println!("test_reconnection: {}", result.text);
    client.close().await;
    Ok(())
}
