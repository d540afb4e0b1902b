//! The full stack on sync and async tools, every `#[mcp_tool]` option,
//! `#[with_otel_headers]` alone, and tools listed explicitly from a module.

use mcp_trace_runtime::tool::{Arguments, ToolDefinition};
use rmcp::model::CallToolResult;
use mcp_trace_runtime::{mcp_tool, observe, with_otel_headers};
use serde::{Deserialize, Serialize};

#[derive(Serialize)]
pub struct Weather {
    location: String,
    temperature: i64,
}

/// Get current weather for a specified location.
///
/// Second paragraph.
#[mcp_tool]
#[with_otel_headers]
#[observe]
pub async fn get_weather(
    /// City name to get weather for
    location: String,
    /// Units, `celsius` when absent
    units: Option<String>,
) -> Weather {
    let temperature = if units.as_deref() == Some("fahrenheit") { 68 } else { 20 };
    Weather { location, temperature }
}

/// Get weather forecast.
#[mcp_tool(
    name = "forecast",
    description = "Forecast for a few days",
    title = "Forecast",
    read_only,
    destructive = false,
    idempotent,
    open_world = true,
)]
#[with_otel_headers]
#[observe(as_type = "tool", metadata(days = days))]
pub fn get_forecast(
    /// City name for forecast
    location: String,
    /// Number of days to forecast (1-7)
    #[default(3)]
    days: i64,
) -> Result<Vec<i64>, String> {
    if days < 0 {
        return Err(format!("bad days for {location}"));
    }
    Ok((0..days.min(7)).collect())
}

/// Async, `?`, default and option together.
#[mcp_tool(read_only = false)]
#[with_otel_headers]
#[observe(name = "parse_tool", as_type = "tool")]
async fn parse_number(
    text: String,
    #[default(String::from("+"))] prefix: String,
    #[default(10)] radix: u32,
    scale: Option<i64>,
) -> Result<i64, String> {
    let number = i64::from_str_radix(text.trim_start_matches(&prefix), radix).map_err(|error| error.to_string())?;
    Ok(number * scale.unwrap_or(1))
}

#[derive(Deserialize, schemars::JsonSchema)]
pub struct Point {
    x: f64,
    y: f64,
}

/// `#[mcp_tool]` alone, with a struct parameter and no return value.
#[mcp_tool]
fn ping(point: Point) {
    let _ = (point.x, point.y);
}

/// `#[mcp_tool]` directly above `#[observe]`.
#[mcp_tool]
#[observe]
fn shout(text: String) -> String {
    text.to_uppercase()
}

/// `#[mcp_tool]` above `#[with_otel_headers]` alone, async.
#[mcp_tool]
#[with_otel_headers]
async fn whisper(text: String) -> String {
    text.to_lowercase()
}

/// No parameters at all.
#[mcp_tool]
#[with_otel_headers]
#[observe]
fn now() -> u64 {
    0
}

#[with_otel_headers]
fn sync_handler(x: i64) -> i64 {
    x * 2
}

#[with_otel_headers]
async fn async_handler(x: i64) -> Result<i64, String> {
    if x < 0 {
        return Err("negative".into());
    }
    let y: i64 = "2".parse::<i64>().map_err(|error| error.to_string())?;
    Ok(x * y)
}

#[with_otel_headers]
fn unit_handler() {}

pub mod tools {
    use mcp_trace_runtime::{mcp_tool, observe, with_otel_headers};

    /// Add two numbers.
    #[mcp_tool]
    #[with_otel_headers]
    #[observe(as_type = "tool")]
    pub fn add(a: i64, b: i64) -> i64 {
        a + b
    }

    pub mod deeper {
        /// Negate a number.
        #[mcp_trace_runtime::mcp_tool]
        #[mcp_trace_runtime::with_otel_headers]
        #[mcp_trace_runtime::observe]
        pub async fn negate(a: i64) -> i64 {
            -a
        }
    }
}

static EXPLICIT: &[&ToolDefinition] = &[&tools::add::TOOL, &tools::deeper::negate::TOOL, &get_forecast::TOOL];

fn arguments(value: serde_json::Value) -> Arguments {
    match value {
        serde_json::Value::Object(object) => object,
        _ => unreachable!(),
    }
}

/// The `tools/call` result, as the server answers it.
async fn call(tool: &ToolDefinition, value: serde_json::Value) -> Answer {
    let result: CallToolResult = tool.result_of((tool.call)(arguments(value)).await.expect("valid arguments"));
    let text = result.content.first().and_then(|block| block.as_text()).map(|text| text.text.clone()).unwrap_or_default();
    Answer { text, structured: result.structured_content, is_error: result.is_error == Some(true) }
}

struct Answer {
    text: String,
    structured: Option<serde_json::Value>,
    is_error: bool,
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    // Direct calls: the functions keep their signatures.
    assert_eq!(get_weather("Paris".into(), None).await.temperature, 20);
    assert_eq!(get_forecast("Paris".into(), 2), Ok(vec![0, 1]));
    assert_eq!(parse_number("+ff".into(), "+".into(), 16, Some(2)).await, Ok(510));
    ping(Point { x: 1.0, y: 2.0 });
    assert_eq!(shout("a".into()), "A");
    assert_eq!(whisper("A".into()).await, "a");
    assert_eq!(now(), 0);
    assert_eq!(sync_handler(2), 4);
    assert_eq!(async_handler(2).await, Ok(4));
    assert!(async_handler(-2).await.is_err());
    unit_handler();
    assert_eq!(tools::add(1, 2), 3);
    assert_eq!(tools::deeper::negate(1).await, -1);

    // Definitions.
    let forecast = get_forecast::TOOL;
    assert_eq!(forecast.name, "forecast");
    assert_eq!(forecast.description, "Forecast for a few days");
    assert_eq!(forecast.title, Some("Forecast"));
    assert_eq!(forecast.hints.read_only, Some(true));
    assert_eq!(forecast.hints.destructive, Some(false));
    assert_eq!(forecast.hints.idempotent, Some(true));
    assert_eq!(forecast.hints.open_world, Some(true));
    assert_eq!(parse_number::TOOL.hints.read_only, Some(false));
    assert_eq!(parse_number::TOOL.hints.destructive, None);
    assert_eq!(
        get_weather::TOOL.description,
        "Get current weather for a specified location.\n\nSecond paragraph."
    );
    assert_eq!(get_weather::TOOL.title, None);

    let schema = serde_json::Value::Object((get_forecast::TOOL.input_schema)());
    assert_eq!(schema["required"], serde_json::json!(["location"]));
    assert_eq!(schema["properties"]["days"]["description"], "Number of days to forecast (1-7)");
    assert_eq!(schema["properties"]["days"]["default"], 3);
    let schema = serde_json::Value::Object((get_weather::TOOL.input_schema)());
    assert_eq!(schema["required"], serde_json::json!(["location"]));

    // Calls through the definitions.
    let output = call(&get_forecast::TOOL, serde_json::json!({ "location": "Paris" })).await;
    assert_eq!(output.text, "[0,1,2]");
    let output = call(&get_forecast::TOOL, serde_json::json!({ "location": "Paris", "days": -1 })).await;
    assert!(output.is_error);
    assert_eq!(output.text, "bad days for Paris");
    let output = call(&get_weather::TOOL, serde_json::json!({ "location": "Oslo", "units": "fahrenheit" })).await;
    assert_eq!(output.structured, Some(serde_json::json!({ "location": "Oslo", "temperature": 68 })));
    let output = call(&parse_number::TOOL, serde_json::json!({ "text": "+12" })).await;
    assert_eq!(output.text, "12");
    let output = call(&ping::TOOL, serde_json::json!({ "point": { "x": 1.0, "y": 2.0 } })).await;
    assert!(!output.is_error);
    assert_eq!(call(&now::TOOL, serde_json::json!({})).await.text, "0");
    assert_eq!(call(&whisper::TOOL, serde_json::json!({ "text": "HI" })).await.text, "hi");
    assert!((get_forecast::TOOL.call)(arguments(serde_json::json!({}))).await.is_err());

    // The explicit list from modules.
    let names: Vec<&str> = EXPLICIT.iter().map(|tool| tool.name).collect();
    assert_eq!(names, ["add", "negate", "forecast"]);
    assert_eq!(call(EXPLICIT[0], serde_json::json!({ "a": 1, "b": 2 })).await.text, "3");
    assert_eq!(call(EXPLICIT[1], serde_json::json!({ "a": 1 })).await.text, "-1");

    // And the registry holds every tool.
    let registered: Vec<&str> = mcp_trace_runtime::tool::registered_tools().iter().map(|tool| tool.name).collect();
    assert_eq!(
        registered,
        ["add", "forecast", "get_weather", "negate", "now", "parse_number", "ping", "shout", "whisper"]
    );
}
