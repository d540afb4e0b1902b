//! The seed's client flow: span `weather_request` → `#[observe]
//! handle_weather_request` → `get_weather`, then `get_forecast` when
//! `forecast_days > 0`, in one MCP session.

use mcp_trace_runtime::client::{ClientError, McpClient, ToolResponse};
use mcp_trace_runtime::observe;
use opentelemetry::context::FutureExt as _;
use opentelemetry::trace::{Status, TraceContextExt, Tracer};
use opentelemetry::{Context, KeyValue};
use serde::Serialize;
use weather_server::tools::{CurrentWeather, ForecastDay};

/// What one request returns.
#[derive(Debug, Clone, Serialize)]
pub struct WeatherReport {
    pub weather: CurrentWeather,
    pub forecast: Vec<ForecastDay>,
}

/// A finished request: its report or error, and its trace id either way.
pub struct Outcome {
    pub trace_id: String,
    pub report: Result<WeatherReport, String>,
}

/// Who the request is for, when the caller says (`--user-id`, `--session-id`).
#[derive(Debug, Clone, Copy, Default)]
pub struct Identity<'a> {
    pub user_id: Option<&'a str>,
    pub session_id: Option<&'a str>,
}

/// Runs one request under a `weather_request` span with the seed's attributes.
pub async fn weather_request(
    url: &str,
    location: &str,
    forecast_days: i64,
    identity: Identity<'_>,
) -> Outcome {
    let tracer = opentelemetry::global::tracer("weather-client");
    let parent = mcp_trace_runtime::propagation::with_user_and_session(
        &Context::current(),
        identity.user_id,
        identity.session_id,
    );
    let span = tracer
        .span_builder("weather_request")
        .with_attributes([
            KeyValue::new("location", location.to_string()),
            KeyValue::new("forecast_days", forecast_days),
        ])
        .start_with_context(&tracer, &parent);
    let cx = parent.with_span(span);
    let trace_id = cx.span().span_context().trace_id().to_string();
    let report = handle_weather_request(url, location.to_string(), forecast_days)
        .with_context(cx.clone())
        .await
        .map_err(|error| error.to_string());
    if let Err(message) = &report {
        cx.span().add_event(
            "exception",
            vec![KeyValue::new("exception.message", message.clone())],
        );
        cx.span().set_status(Status::error(message.clone()));
    }
    cx.span().end();
    Outcome { trace_id, report }
}

/// Calls the two tools in one session.
#[observe(skip(url))]
pub async fn handle_weather_request(
    url: &str,
    location: String,
    forecast_days: i64,
) -> Result<WeatherReport, ClientError> {
    let client = McpClient::connect_http(url).await?;
    let result = call_both(&client, &location, forecast_days).await;
    client.close().await;
    result
}

async fn call_both(
    client: &McpClient,
    location: &str,
    forecast_days: i64,
) -> Result<WeatherReport, ClientError> {
    let weather = call(
        client,
        "get_weather",
        serde_json::json!({ "location": location }),
    )
    .await?;
    let forecast = if forecast_days > 0 {
        let arguments = serde_json::json!({ "location": location, "days": forecast_days });
        call(client, "get_forecast", arguments).await?
    } else {
        Vec::new()
    };
    Ok(WeatherReport { weather, forecast })
}

async fn call<T: serde::de::DeserializeOwned>(
    client: &McpClient,
    tool: &str,
    arguments: serde_json::Value,
) -> Result<T, ClientError> {
    let arguments = match arguments {
        serde_json::Value::Object(map) => map,
        _ => serde_json::Map::new(),
    };
    let ToolResponse { text, is_error, .. } = client.call_tool(tool, arguments).await?;
    if is_error {
        return Err(ClientError::message(format!("tool {tool} failed: {text}")));
    }
    serde_json::from_str(&text).map_err(|error| {
        ClientError::message(format!(
            "tool {tool} returned an unexpected result ({error}): {text}"
        ))
    })
}
