//! How a finished request is shown: a readable report, or JSON.

use crate::request::WeatherReport;

/// The readable report: current weather, then one line per forecast day.
pub fn human(report: &WeatherReport) -> String {
    let weather = &report.weather;
    let mut text = format!(
        "Current weather in {}: {}°C, {}, humidity {}%, wind {} km/h\n",
        weather.location,
        weather.temperature,
        weather.condition,
        weather.humidity,
        weather.wind_speed
    );
    if !report.forecast.is_empty() {
        text.push_str(&format!("Forecast ({} days):\n", report.forecast.len()));
        for day in &report.forecast {
            text.push_str(&format!(
                "  Day {}: {}°C / {}°C, {}, {}% chance of precipitation\n",
                day.day, day.high, day.low, day.condition, day.precipitation_chance
            ));
        }
    }
    if let Some(extras) = &report.extras {
        text.push_str(&format!(
            "Described by the client's model (describe_weather, via sampling): {}\n",
            extras.description
        ));
        text.push_str(&format!(
            "Resource weather://{}/current: {}\n",
            weather.location, extras.resource
        ));
        text.push_str(&format!("Prompt weather_report: {}\n", extras.prompt));
    }
    text
}

/// `{"weather": …, "forecast": […], "trace_id": "<32 hex>"}`.
pub fn json(report: &WeatherReport, trace_id: &str) -> String {
    serde_json::json!({
        "weather": report.weather,
        "forecast": report.forecast,
        "trace_id": trace_id,
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use weather_server::tools::{CurrentWeather, ForecastDay};

    fn report() -> WeatherReport {
        WeatherReport {
            weather: CurrentWeather {
                location: "Paris".into(),
                temperature: 21,
                condition: "Sunny".into(),
                humidity: 50,
                wind_speed: 10,
            },
            forecast: vec![ForecastDay {
                day: 1,
                high: 25,
                low: 14,
                condition: "Rainy".into(),
                precipitation_chance: 80,
            }],
            extras: None,
        }
    }

    #[test]
    fn human_report_has_one_line_per_day() {
        assert_eq!(
            human(&report()),
            "Current weather in Paris: 21°C, Sunny, humidity 50%, wind 10 km/h\n\
             Forecast (1 days):\n  Day 1: 25°C / 14°C, Rainy, 80% chance of precipitation\n"
        );
    }

    #[test]
    fn json_report_has_weather_forecast_and_trace_id() {
        let value: serde_json::Value = serde_json::from_str(&json(&report(), "ab")).unwrap();
        assert_eq!(value["weather"]["location"], "Paris");
        assert_eq!(value["forecast"][0]["precipitation_chance"], 80);
        assert_eq!(value["trace_id"], "ab");
    }
}
