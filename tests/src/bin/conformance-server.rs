//! `conformance-server --port N`: the MCP server the official conformance
//! suite (`@modelcontextprotocol/conformance server --url …`) tests, written
//! with the macros like any user would. It serves Streamable HTTP at
//! `http://127.0.0.1:N/mcp` (`--port 0` picks a free port; the start-up line
//! says which) until SIGINT or SIGTERM, then flushes its spans.
//!
//! Every tool, resource, resource template and prompt the suite's server
//! scenarios call, ported from the suite's reference TypeScript
//! everything-server (`examples/servers/typescript/everything-server.ts`,
//! conformance v0.1.16). Spans go where the usual settings say
//! (`MCP_TRACE_FILE`, `OTEL_EXPORTER_OTLP_*`, …; see `mcp_trace_runtime::init`).
//!
//! One difference from the reference: its `test_reconnection` closes the
//! call's SSE stream mid-call (SEP-1699) so that the client reconnects with
//! `Last-Event-ID`; a tool here has no way to close its own stream, so it
//! answers on the open one. The suite reports that as information, not as a
//! failure (the priming event and the `retry:` field it does check are
//! rmcp's).

// rmcp deprecates sampling and logging (SEP-2577) but still routes them; the
// suite tests both.
#![allow(deprecated)]

use std::process::ExitCode;
use std::time::Duration;

use mcp_trace_runtime::server::{serve_http, shutdown_signal, BackChannel, HttpOptions, McpServer};
use mcp_trace_runtime::{mcp_prompt, mcp_resource, mcp_tool};
use rmcp::model::{
    ContentBlock, CreateMessageRequestParams, ElicitRequestParams, ElicitationSchema, LoggingLevel,
    PromptMessage, ResourceContents, Role, SamplingMessage, SamplingMessageContentBlock,
};
use serde::Deserialize;
use serde_json::{json, Value};

/// A 1×1 red PNG pixel.
const TEST_IMAGE_BASE64: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==";
/// A minimal WAV file.
const TEST_AUDIO_BASE64: &str = "UklGRiYAAABXQVZFZm10IBAAAAABAAEAQB8AAAB9AAACABAAZGF0YQIAAAA=";

/// The logger name of the server's own log lines.
const LOGGER: &str = "conformance-test-server";

// ===== Tools =====

/// Tests simple text content response
#[mcp_tool]
fn test_simple_text() -> ContentBlock {
    ContentBlock::text("This is a simple text response for testing.")
}

/// Tests image content response
#[mcp_tool]
fn test_image_content() -> ContentBlock {
    ContentBlock::image(TEST_IMAGE_BASE64, "image/png")
}

/// Tests audio content response
#[mcp_tool]
fn test_audio_content() -> ContentBlock {
    ContentBlock::audio(TEST_AUDIO_BASE64, "audio/wav")
}

/// Tests embedded resource content response
#[mcp_tool]
fn test_embedded_resource() -> ContentBlock {
    ContentBlock::resource(
        ResourceContents::text(
            "This is an embedded resource content.",
            "test://embedded-resource",
        )
        .with_mime_type("text/plain"),
    )
}

/// Tests response with multiple content types (text, image, resource)
#[mcp_tool]
fn test_multiple_content_types() -> Vec<ContentBlock> {
    vec![
        ContentBlock::text("Multiple content types test:"),
        ContentBlock::image(TEST_IMAGE_BASE64, "image/png"),
        ContentBlock::resource(
            ResourceContents::text(
                json!({"test": "data", "value": 123}).to_string(),
                "test://mixed-content-resource",
            )
            .with_mime_type("application/json"),
        ),
    ]
}

/// Tests tool that emits log messages during execution
#[mcp_tool]
async fn test_tool_with_logging() -> Result<ContentBlock, String> {
    let client = back_channel()?;
    let steps = [
        "Tool execution started",
        "Tool processing data",
        "Tool execution completed",
    ];
    for (index, step) in steps.into_iter().enumerate() {
        if index > 0 {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        client
            .log(LoggingLevel::Info, Some(LOGGER), step)
            .await
            .map_err(|error| format!("logging failed: {error}"))?;
    }
    Ok(ContentBlock::text(
        "Tool with logging executed successfully",
    ))
}

/// Tests tool that reports progress notifications
#[mcp_tool]
async fn test_tool_with_progress() -> Result<ContentBlock, String> {
    let client = back_channel()?;
    for (index, progress) in [0.0, 50.0, 100.0].into_iter().enumerate() {
        if index > 0 {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let message = format!("Completed step {progress} of 100");
        client
            .progress(progress, Some(100.0), Some(&message))
            .await
            .map_err(|error| format!("progress failed: {error}"))?;
    }
    Ok(ContentBlock::text(
        "Tool with progress executed successfully",
    ))
}

/// Tests error response handling
#[mcp_tool]
fn test_error_handling() -> Result<ContentBlock, String> {
    Err("This tool intentionally returns an error for testing".to_string())
}

/// Tests SSE stream disconnection and client reconnection (SEP-1699). The
/// reference server closes the stream mid-call; this one answers on it (see
/// the module's documentation).
#[mcp_tool]
async fn test_reconnection() -> ContentBlock {
    tokio::time::sleep(Duration::from_millis(100)).await;
    ContentBlock::text(
        "Reconnection test completed successfully. If you received this, the client \
         properly reconnected after stream closure.",
    )
}

/// Tests server-initiated sampling (LLM completion request)
#[mcp_tool]
async fn test_sampling(
    /// The prompt to send to the LLM
    prompt: String,
) -> Result<ContentBlock, String> {
    let client = back_channel()?;
    let request = CreateMessageRequestParams::new(vec![SamplingMessage::user_text(prompt)], 100);
    let answer = client
        .create_message(request)
        .await
        .map_err(|error| format!("Sampling not supported or error: {error}"))?;
    let text = answer
        .message
        .content
        .into_vec()
        .into_iter()
        .find_map(|block| match block {
            SamplingMessageContentBlock::Text(text) => Some(text.text),
            _ => None,
        })
        .unwrap_or_else(|| "No response".to_string());
    Ok(ContentBlock::text(format!("LLM response: {text}")))
}

/// Tests server-initiated elicitation (user input request)
#[mcp_tool]
async fn test_elicitation(
    /// The message to show the user
    message: String,
) -> Result<ContentBlock, String> {
    let schema = json!({
        "type": "object",
        "properties": {
            "response": {"type": "string", "description": "User's response"}
        },
        "required": ["response"]
    });
    let (action, content) = elicit(message, schema).await?;
    Ok(ContentBlock::text(format!(
        "User response: action={action}, content={content}"
    )))
}

/// Tests elicitation with default values per SEP-1034
#[mcp_tool]
async fn test_elicitation_sep1034_defaults() -> Result<ContentBlock, String> {
    let schema = json!({
        "type": "object",
        "properties": {
            "name": {"type": "string", "description": "User name", "default": "John Doe"},
            "age": {"type": "integer", "description": "User age", "default": 30},
            "score": {"type": "number", "description": "User score", "default": 95.5},
            "status": {
                "type": "string",
                "description": "User status",
                "enum": ["active", "inactive", "pending"],
                "default": "active"
            },
            "verified": {"type": "boolean", "description": "Verification status", "default": true}
        },
        "required": []
    });
    let message = "Please review and update the form fields with defaults";
    let (action, content) = elicit(message.to_string(), schema).await?;
    Ok(ContentBlock::text(format!(
        "Elicitation completed: action={action}, content={content}"
    )))
}

/// Tests elicitation with enum schema improvements per SEP-1330
#[mcp_tool]
async fn test_elicitation_sep1330_enums() -> Result<ContentBlock, String> {
    let schema = json!({
        "type": "object",
        "properties": {
            "untitledSingle": {
                "type": "string",
                "description": "Select one option",
                "enum": ["option1", "option2", "option3"]
            },
            "titledSingle": {
                "type": "string",
                "description": "Select one option with titles",
                "oneOf": [
                    {"const": "value1", "title": "First Option"},
                    {"const": "value2", "title": "Second Option"},
                    {"const": "value3", "title": "Third Option"}
                ]
            },
            "legacyEnum": {
                "type": "string",
                "description": "Select one option (legacy)",
                "enum": ["opt1", "opt2", "opt3"],
                "enumNames": ["Option One", "Option Two", "Option Three"]
            },
            "untitledMulti": {
                "type": "array",
                "description": "Select multiple options",
                "minItems": 1,
                "maxItems": 3,
                "items": {"type": "string", "enum": ["option1", "option2", "option3"]}
            },
            "titledMulti": {
                "type": "array",
                "description": "Select multiple options with titles",
                "minItems": 1,
                "maxItems": 3,
                "items": {
                    "anyOf": [
                        {"const": "value1", "title": "First Choice"},
                        {"const": "value2", "title": "Second Choice"},
                        {"const": "value3", "title": "Third Choice"}
                    ]
                }
            }
        },
        "required": []
    });
    let message = "Please select options from the enum fields";
    let (action, content) = elicit(message.to_string(), schema).await?;
    Ok(ContentBlock::text(format!(
        "Elicitation completed: action={action}, content={content}"
    )))
}

/// A street address.
#[derive(Debug, Deserialize, serde::Serialize, schemars::JsonSchema)]
// `$defs.address` in the input schema, as the suite's SEP-1613 scenario expects.
#[schemars(rename = "address")]
struct Address {
    street: Option<String>,
    city: Option<String>,
}

/// Tool with JSON Schema 2020-12 features for conformance testing (SEP-1613)
#[mcp_tool(deny_unknown_arguments)]
fn json_schema_2020_12_tool(name: Option<String>, address: Option<Address>) -> ContentBlock {
    let arguments = json!({ "name": name, "address": address });
    ContentBlock::text(format!("JSON Schema 2020-12 tool called with: {arguments}"))
}

/// The client of the request being served.
fn back_channel() -> Result<BackChannel, String> {
    BackChannel::current().ok_or_else(|| "not serving an MCP request".to_string())
}

/// Asks the user through the client with a form of `schema`; the action
/// and the content as JSON text.
async fn elicit(message: String, schema: Value) -> Result<(String, String), String> {
    let Value::Object(schema) = schema else {
        return Err("the form schema is not an object".to_string());
    };
    let requested_schema = ElicitationSchema::from_json_schema(schema)
        .map_err(|error| format!("the form schema does not fit rmcp's model: {error}"))?;
    let params = ElicitRequestParams::FormElicitationParams {
        meta: None,
        message,
        requested_schema,
    };
    let result = back_channel()?
        .create_elicitation(params)
        .await
        .map_err(|error| format!("Elicitation not supported or error: {error}"))?;
    let action = serde_json::to_value(&result.action)
        .ok()
        .and_then(|action| action.as_str().map(str::to_string))
        .unwrap_or_default();
    let content = result.content.unwrap_or_else(|| json!({})).to_string();
    Ok((action, content))
}

// ===== Resources =====

/// A static text resource for testing
#[mcp_resource(
    uri = "test://static-text",
    name = "static-text",
    title = "Static Text Resource",
    mime_type = "text/plain"
)]
fn static_text() -> &'static str {
    "This is the content of the static text resource."
}

/// A static binary resource (image) for testing
#[mcp_resource(
    uri = "test://static-binary",
    name = "static-binary",
    title = "Static Binary Resource",
    mime_type = "image/png"
)]
fn static_binary() -> ResourceContents {
    ResourceContents::blob(TEST_IMAGE_BASE64, "test://static-binary").with_mime_type("image/png")
}

/// A resource template with parameter substitution
#[mcp_resource(
    uri_template = "test://template/{id}/data",
    name = "template",
    title = "Resource Template",
    mime_type = "application/json"
)]
fn template(id: String) -> String {
    json!({ "id": id, "templateTest": true, "data": format!("Data for ID: {id}") }).to_string()
}

/// A resource that auto-updates every 3 seconds
#[mcp_resource(
    uri = "test://watched-resource",
    name = "watched-resource",
    title = "Watched Resource",
    mime_type = "text/plain"
)]
fn watched_resource() -> &'static str {
    "Watched resource content"
}

// ===== Prompts =====

/// A simple prompt without arguments
#[mcp_prompt(title = "Simple Test Prompt")]
fn test_simple_prompt() -> &'static str {
    "This is a simple prompt for testing."
}

/// A prompt with required arguments
#[mcp_prompt(title = "Prompt With Arguments")]
fn test_prompt_with_arguments(
    /// First test argument
    arg1: String,
    /// Second test argument
    arg2: String,
) -> String {
    format!("Prompt with arguments: arg1='{arg1}', arg2='{arg2}'")
}

/// A prompt that includes an embedded resource
#[mcp_prompt(title = "Prompt With Embedded Resource")]
fn test_prompt_with_embedded_resource(
    /// URI of the resource to embed
    #[rename = "resourceUri"]
    resource_uri: String,
) -> Vec<PromptMessage> {
    let resource = ResourceContents::text("Embedded resource content for testing.", resource_uri)
        .with_mime_type("text/plain");
    vec![
        PromptMessage::new(Role::User, ContentBlock::resource(resource)),
        PromptMessage::new_text(Role::User, "Please process the embedded resource above."),
    ]
}

/// A prompt that includes image content
#[mcp_prompt(title = "Prompt With Image")]
fn test_prompt_with_image() -> Vec<PromptMessage> {
    vec![
        PromptMessage::new(
            Role::User,
            ContentBlock::image(TEST_IMAGE_BASE64, "image/png"),
        ),
        PromptMessage::new_text(Role::User, "Please analyze the image above."),
    ]
}

// ===== The program =====

/// `--port N` (default 3000; 0 picks a free one).
fn port() -> Result<u16, String> {
    let mut args = std::env::args().skip(1);
    let mut port = 3000;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--port" => {
                let value = args.next().ok_or("--port needs a value")?;
                port = value
                    .parse()
                    .map_err(|error| format!("--port {value}: {error}"))?;
            }
            "-h" | "--help" => {
                return Err("usage: conformance-server [--port N]".to_string());
            }
            other => {
                return Err(format!(
                    "unknown argument {other:?} (usage: conformance-server [--port N])"
                ))
            }
        }
    }
    Ok(port)
}

#[tokio::main]
async fn main() -> ExitCode {
    let port = match port() {
        Ok(port) => port,
        Err(error) => {
            eprintln!("conformance-server: {error}");
            return ExitCode::from(2);
        }
    };
    let guard = match mcp_trace_runtime::init("conformance-server") {
        Ok(guard) => guard,
        Err(error) => {
            eprintln!("conformance-server: {error}");
            return ExitCode::from(2);
        }
    };
    let result = serve(port).await;
    // Flush off the async runtime: exporters block while they send.
    let flushed =
        tokio::task::spawn_blocking(move || guard.shutdown(Duration::from_secs(10))).await;
    if let Ok(Err(error)) = flushed {
        eprintln!("conformance-server: {error}");
    }
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("conformance-server: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(port: u16) -> Result<(), Box<dyn std::error::Error>> {
    let server = McpServer::builder("mcp-conformance-test-server", "1.0.0")
        .registered()
        .build()?;
    // Installed before the start-up line, so a signal right after it stops
    // the server gracefully.
    let shutdown = shutdown_signal();
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    let address = listener.local_addr()?;
    println!("MCP conformance server listening on http://{address}/mcp");
    serve_http(server, listener, HttpOptions::at("/mcp"), shutdown).await?;
    Ok(())
}
