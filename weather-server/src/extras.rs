//! Beyond the seed's two tools: the current weather as a resource, a prompt
//! for a weather report, and a tool that asks the client's model for a
//! one-line description (a `sampling/createMessage` request back to the
//! client: roles reversed).

// rmcp deprecates sampling (SEP-2577) but still routes it.
#![allow(deprecated)]

use mcp_trace_runtime::server::BackChannel;
use mcp_trace_runtime::{mcp_prompt, mcp_resource, mcp_tool, observe, with_otel_headers};
use rmcp::model::{CreateMessageRequestParams, SamplingMessage};

use crate::tools::{get_weather, CurrentWeather};

/// Current weather of a city, as JSON (what `get_weather` returns).
#[mcp_resource(
    uri_template = "weather://{city}/current",
    mime_type = "application/json"
)]
#[with_otel_headers]
#[observe]
pub async fn current_weather(city: String) -> Result<String, String> {
    serde_json::to_string(&get_weather(city).await).map_err(|error| error.to_string())
}

/// A short weather report for a city, to ask a model for.
#[mcp_prompt]
#[with_otel_headers]
#[observe]
pub fn weather_report(
    /// City to report on
    city: String,
    /// Days of forecast to cover (default 3)
    days: Option<i64>,
) -> String {
    format!(
        "Write a short weather report for {city}: the current weather \
         (resource weather://{city}/current) and a {}-day forecast (tool get_forecast).",
        days.unwrap_or(3)
    )
}

/// The question `describe_weather` sends to the client's model.
pub fn description_question(weather: &CurrentWeather) -> String {
    format!(
        "In one line, describe this weather in {}: {}°C, {}, humidity {}%, wind {} km/h.",
        weather.location,
        weather.temperature,
        weather.condition,
        weather.humidity,
        weather.wind_speed
    )
}

/// Describe the current weather of a location in one line, written by the client's model.
#[mcp_tool(read_only)]
#[with_otel_headers]
#[observe]
pub async fn describe_weather(
    /// City name to describe the weather of
    location: String,
) -> Result<String, String> {
    tracing::info!(location = %location, "asking the client's model to describe the weather");
    let client = BackChannel::current().ok_or("not serving an MCP request")?;
    let weather = get_weather(location).await;
    let question = CreateMessageRequestParams::new(
        vec![SamplingMessage::user_text(description_question(&weather))],
        64,
    );
    let answer = client
        .create_message(question)
        .await
        .map_err(|error| format!("the client's model did not answer: {error}"))?;
    answer
        .message
        .content
        .first()
        .and_then(|content| content.as_text())
        .map(|text| text.text.clone())
        .ok_or_else(|| format!("the client's model ({}) answered no text", answer.model))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn resource_is_the_current_weather_json() {
        let json = current_weather("Paris".into()).await.unwrap();
        let weather: CurrentWeather = serde_json::from_str(&json).unwrap();
        assert_eq!(weather.location, "Paris");
        assert_eq!(
            current_weather::RESOURCE.uri_text(),
            "weather://{city}/current"
        );
    }

    #[test]
    fn prompt_names_the_city_and_days() {
        let text = weather_report("Oslo".into(), Some(2));
        assert!(text.contains("Oslo") && text.contains("2-day"), "{text}");
        assert!(weather_report("Oslo".into(), None).contains("3-day"));
    }

    #[tokio::test]
    async fn describe_weather_needs_a_client() {
        let error = describe_weather("Paris".into()).await.unwrap_err();
        assert_eq!(error, "not serving an MCP request");
    }
}
