//! The seed's two tools, with the seed's names, parameters, descriptions and
//! fake-data ranges, under the decorator stack in the seed's order.

use mcp_trace_runtime::{mcp_tool, observe, with_otel_headers};
use serde::{Deserialize, Serialize};

/// Current weather, as `get_weather` returns it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CurrentWeather {
    pub location: String,
    /// °C, 15..=30.
    pub temperature: i64,
    /// Sunny, Cloudy, Rainy or Partly Cloudy.
    pub condition: String,
    /// %, 40..=80.
    pub humidity: i64,
    /// km/h, 5..=25.
    pub wind_speed: i64,
}

/// One day of `get_forecast`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ForecastDay {
    /// 1 for tomorrow, and so on.
    pub day: i64,
    /// °C, 20..=35.
    pub high: i64,
    /// °C, 10..=20.
    pub low: i64,
    /// Sunny, Cloudy, Rainy or Stormy.
    pub condition: String,
    /// %, 0..=100.
    pub precipitation_chance: i64,
}

/// Longest forecast the server gives, in days.
pub const MAX_FORECAST_DAYS: i64 = 7;

/// Get current weather for a specified location.
#[mcp_tool(read_only)]
#[with_otel_headers]
#[observe]
pub async fn get_weather(
    /// City name to get weather for
    location: String,
) -> CurrentWeather {
    // A log line, not an attribute: with a subscriber from
    // `mcp_trace_runtime` it is exported as an OpenTelemetry log carrying
    // this call's trace and span ids, so backends show it under the span.
    tracing::info!(location = %location, "looking up the weather");
    CurrentWeather {
        location,
        temperature: fastrand::i64(15..=30),
        condition: pick(&["Sunny", "Cloudy", "Rainy", "Partly Cloudy"]),
        humidity: fastrand::i64(40..=80),
        wind_speed: fastrand::i64(5..=25),
    }
}

/// Get weather forecast for the specified location and number of days.
#[mcp_tool(read_only)]
#[with_otel_headers]
#[observe]
pub async fn get_forecast(
    /// City name for forecast
    location: String,
    /// Number of days to forecast (1-7)
    #[default(3)]
    days: i64,
) -> Vec<ForecastDay> {
    tracing::info!(location = %location, days, "looking up the forecast");
    (1..=days.clamp(0, MAX_FORECAST_DAYS))
        .map(|day| ForecastDay {
            day,
            high: fastrand::i64(20..=35),
            low: fastrand::i64(10..=20),
            condition: pick(&["Sunny", "Cloudy", "Rainy", "Stormy"]),
            precipitation_chance: fastrand::i64(0..=100),
        })
        .collect()
}

fn pick(choices: &[&str]) -> String {
    choices[fastrand::usize(..choices.len())].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn weather_stays_in_the_seed_ranges() {
        for _ in 0..200 {
            let weather = get_weather("Paris".into()).await;
            assert_eq!(weather.location, "Paris");
            assert!((15..=30).contains(&weather.temperature));
            assert!((40..=80).contains(&weather.humidity));
            assert!((5..=25).contains(&weather.wind_speed));
            assert!(
                ["Sunny", "Cloudy", "Rainy", "Partly Cloudy"].contains(&weather.condition.as_str())
            );
        }
    }

    #[tokio::test]
    async fn forecast_has_min_days_7_items_and_none_for_zero_or_less() {
        assert!(get_forecast("Oslo".into(), 0).await.is_empty());
        assert!(get_forecast("Oslo".into(), -3).await.is_empty());
        assert_eq!(get_forecast("Oslo".into(), 10).await.len(), 7);
        let days = get_forecast("Oslo".into(), 3).await;
        assert_eq!(days.iter().map(|d| d.day).collect::<Vec<_>>(), [1, 2, 3]);
        for day in get_forecast("Oslo".into(), 7).await {
            assert!((20..=35).contains(&day.high));
            assert!((10..=20).contains(&day.low));
            assert!((0..=100).contains(&day.precipitation_chance));
            assert!(["Sunny", "Cloudy", "Rainy", "Stormy"].contains(&day.condition.as_str()));
        }
    }

    #[test]
    fn tools_are_registered_with_the_seed_descriptions() {
        let schema = (get_forecast::TOOL.input_schema)();
        assert_eq!(
            get_forecast::TOOL.description,
            "Get weather forecast for the specified location and number of days."
        );
        assert_eq!(
            get_weather::TOOL.description,
            "Get current weather for a specified location."
        );
        assert_eq!(schema["properties"]["days"]["default"], 3);
        assert_eq!(
            schema["properties"]["days"]["description"],
            "Number of days to forecast (1-7)"
        );
        assert_eq!(schema["required"], serde_json::json!(["location"]));
    }
}
