use mcp_trace_runtime::{mcp_tool, observe, with_otel_headers};

#[derive(serde::Serialize)]
pub struct Weather { location: String, temperature: i64 }

/// Get current weather for a specified location.
#[mcp_tool]
#[with_otel_headers]
#[observe]
pub async fn get_weather(
    /// City name to get weather for
    location: String,
) -> Weather {
    Weather { location, temperature: 20 }
}

/// Get weather forecast.
#[mcp_tool(read_only, title = "Forecast")]
#[with_otel_headers]
#[observe(as_type = "tool")]
pub fn get_forecast(
    /// City name for forecast
    location: String,
    /// Number of days to forecast (1-7)
    #[default(3)]
    days: i64,
) -> Result<Vec<i64>, String> {
    if days < 0 { return Err(format!("bad days for {location}")); }
    Ok((0..days.min(7)).collect())
}

#[test]
fn registered() {
    let tools = mcp_trace_runtime::tool::registered_tools();
    let names: Vec<_> = tools.iter().map(|t| t.name).collect();
    assert_eq!(names, ["get_forecast", "get_weather"]);
    println!("{}", serde_json::to_string_pretty(&(get_forecast::TOOL.input_schema)()).unwrap());
    assert_eq!(get_forecast(String::from("x"), 2), Ok(vec![0, 1]));
}
