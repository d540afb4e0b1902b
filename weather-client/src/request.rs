//! The seed's client flow: span `weather_request` → `#[observe]
//! handle_weather_request` → `get_weather`, then `get_forecast` when
//! `forecast_days > 0`, in one MCP session. The demo adds `describe_weather`
//! (the server asks this client's model, answered by [`local_model`]), a
//! `resources/read` of `weather://{city}/current` and a `prompts/get
//! weather_report`.

// rmcp deprecates sampling (SEP-2577) but still routes it.
#![allow(deprecated)]

use mcp_trace_runtime::client::{ClientError, McpClient, ToolResponse};
use mcp_trace_runtime::generation::{sampling_meta, Cost, Usage};
use mcp_trace_runtime::observe;
use opentelemetry::context::FutureExt as _;
use opentelemetry::trace::{Status, TraceContextExt, Tracer};
use opentelemetry::{Context, KeyValue};
use rmcp::model::{
    CreateMessageRequestParams, CreateMessageResult, ErrorData, ResourceContents, SamplingMessage,
};
use serde::Serialize;
use weather_server::tools::{CurrentWeather, ForecastDay};

/// What one request returns.
#[derive(Debug, Clone, Serialize)]
pub struct WeatherReport {
    pub weather: CurrentWeather,
    pub forecast: Vec<ForecastDay>,
    /// What the demo asked for beyond the seed's two tools.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extras: Option<Extras>,
}

/// The demo's calls beyond the seed's two tools.
#[derive(Debug, Clone, Serialize)]
pub struct Extras {
    /// `describe_weather`: the line the client's model wrote.
    pub description: String,
    /// `resources/read weather://{city}/current`: its text.
    pub resource: String,
    /// `prompts/get weather_report`: its first message's text.
    pub prompt: String,
}

/// Name of the model [`local_model`] answers as.
pub const LOCAL_MODEL: &str = "local-demo-model";

/// What [`local_model`] charges per input token, in USD. Made up, and fixed,
/// so the demo's generation has a cost that one can check by hand.
pub const LOCAL_INPUT_PRICE_USD: f64 = 0.000_001;

/// What [`local_model`] charges per output token, in USD.
pub const LOCAL_OUTPUT_PRICE_USD: f64 = 0.000_002;

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
    extras: bool,
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
    let report = handle_weather_request(url, location.to_string(), forecast_days, extras)
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

/// Calls the two tools in one session (and, with `extras`, the demo's three
/// calls more, answering sampling with [`local_model`]).
#[observe(skip(url, extras))]
pub async fn handle_weather_request(
    url: &str,
    location: String,
    forecast_days: i64,
    extras: bool,
) -> Result<WeatherReport, ClientError> {
    let client = if extras {
        McpClient::builder()
            .on_sampling(|asked| async move { Ok::<_, ErrorData>(local_model(&asked)) })
            .connect_http(url)
            .await?
    } else {
        McpClient::connect_http(url).await?
    };
    let mut result = call_both(&client, &location, forecast_days).await;
    if let (true, Ok(report)) = (extras, &mut result) {
        match call_extras(&client, &location, forecast_days).await {
            Ok(more) => report.extras = Some(more),
            Err(error) => result = Err(error),
        }
    }
    client.close().await;
    result
}

/// The demo's model: a deterministic local responder, no network. It
/// answers `describe_weather`'s question with the weather it was given, as
/// [`LOCAL_MODEL`], stopping at the end of its turn, and reports what a real
/// model's client would: the tokens (here the whitespace-separated words of
/// the question and of the answer) and their cost at [`LOCAL_INPUT_PRICE_USD`]
/// and [`LOCAL_OUTPUT_PRICE_USD`], in the answer's `_meta`, where the
/// server's `sampling/createMessage` span reads them.
///
/// ```ignore
/// // (a binary's private module: shown, not compiled)
/// let asked = CreateMessageRequestParams::new(
///     vec![SamplingMessage::user_text("In one line, describe this weather in Oslo: 3°C.")],
///     64,
/// );
/// let answer = local_model(&asked);
/// assert_eq!(answer.model, LOCAL_MODEL);
/// assert_eq!(answer.message.meta.unwrap().0["usage"]["inputTokens"], 9);
/// ```
pub fn local_model(asked: &CreateMessageRequestParams) -> CreateMessageResult {
    let question = asked
        .messages
        .iter()
        .filter_map(|message| message.content.first())
        .filter_map(|content| content.as_text())
        .map(|text| text.text.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    let weather = question
        .split_once("describe this weather in ")
        .map_or(question.as_str(), |(_, weather)| weather)
        .trim_end_matches('.');
    let answer = format!("{weather}: a day like any other, says the local model.");
    let usage = Usage::tokens(words(&question), words(&answer));
    let cost = Cost::new()
        .input(words(&question) as f64 * LOCAL_INPUT_PRICE_USD)
        .output(words(&answer) as f64 * LOCAL_OUTPUT_PRICE_USD);
    let mut message = SamplingMessage::assistant_text(answer);
    message.meta = Some(sampling_meta(&usage, Some(&cost)));
    CreateMessageResult::new(message, LOCAL_MODEL.to_string())
        .with_stop_reason(CreateMessageResult::STOP_REASON_END_TURN)
}

/// The local model's token count: whitespace-separated words, so the same
/// text always counts the same.
fn words(text: &str) -> u64 {
    text.split_whitespace().count() as u64
}

async fn call_extras(
    client: &McpClient,
    location: &str,
    forecast_days: i64,
) -> Result<Extras, ClientError> {
    let mut arguments = serde_json::Map::new();
    arguments.insert("location".into(), location.into());
    let ToolResponse { text, is_error, .. } =
        client.call_tool("describe_weather", arguments).await?;
    if is_error {
        return Err(ClientError::message(format!(
            "tool describe_weather failed: {text}"
        )));
    }
    let description = text;
    let uri = format!("weather://{location}/current");
    let read = client.read_resource(&uri).await?;
    let resource = read
        .contents
        .iter()
        .find_map(|contents| match contents {
            ResourceContents::TextResourceContents { text, .. } => Some(text.clone()),
            _ => None,
        })
        .ok_or_else(|| ClientError::message(format!("resource {uri} has no text")))?;
    let mut arguments = serde_json::Map::new();
    arguments.insert("city".into(), location.into());
    arguments.insert("days".into(), forecast_days.to_string().into());
    let prompt = client
        .get_prompt("weather_report", arguments)
        .await?
        .messages
        .first()
        .and_then(|message| message.content.as_text())
        .map(|text| text.text.clone())
        .ok_or_else(|| ClientError::message("prompt weather_report has no text"))?;
    Ok(Extras {
        description,
        resource,
        prompt,
    })
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
    Ok(WeatherReport {
        weather,
        forecast,
        extras: None,
    })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_model_reports_model_stop_reason_usage_and_cost() {
        let asked = CreateMessageRequestParams::new(
            vec![SamplingMessage::user_text(
                "In one line, describe this weather in Oslo: 3°C.",
            )],
            64,
        );
        let answer = local_model(&asked);
        assert_eq!(answer.model, LOCAL_MODEL);
        assert_eq!(answer.stop_reason.as_deref(), Some("endTurn"));
        let text = answer.message.content.first().and_then(|c| c.as_text());
        assert_eq!(
            text.map(|t| t.text.as_str()),
            Some("Oslo: 3°C: a day like any other, says the local model.")
        );
        // 9 words asked, 11 answered.
        let meta = answer.message.meta.expect("usage and cost in _meta");
        assert_eq!(
            Usage::from_json(&meta.0["usage"]),
            Some(Usage::tokens(9, 11))
        );
        let cost = Cost::from_json(&meta.0["cost"]).expect("a cost");
        let expected = 9.0 * LOCAL_INPUT_PRICE_USD + 11.0 * LOCAL_OUTPUT_PRICE_USD;
        assert!(
            (cost.total_usd().unwrap() - expected).abs() < 1e-12,
            "{cost:?}"
        );
        // Deterministic: the same question, the same answer.
        let again = local_model(&asked);
        assert_eq!(again.message.meta, Some(meta));
    }
}
