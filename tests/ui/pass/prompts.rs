//! Prompts: required, `Option` and defaulted arguments parsed with
//! `FromStr`, every return type, sync and async, alone and under the whole
//! stack, completions, and an explicit list.

use mcp_trace_runtime::prompt::{Arguments, PromptDefinition};
use mcp_trace_runtime::{mcp_prompt, observe, with_otel_headers};
use rmcp::model::{ContentBlock, GetPromptResult, PromptMessage, Role};

/// A prompt without arguments.
#[mcp_prompt(name = "simple_prompt", title = "Simple")]
#[with_otel_headers]
#[observe]
fn simple() -> &'static str {
    "This is a simple prompt."
}

fn cities(typed: &str) -> Vec<String> {
    ["Paris", "Prague"].iter().filter(|city| city.starts_with(typed)).map(|city| city.to_string()).collect()
}

/// Ask about the weather.
#[mcp_prompt]
#[with_otel_headers]
#[observe(as_type = "chain")]
async fn weather_question(
    /// The city
    #[complete(cities)]
    city: String,
    /// Days ahead
    #[default(1)]
    days: u8,
    /// Style of the answer
    style: Option<String>,
) -> Result<Vec<PromptMessage>, String> {
    if days > 7 {
        return Err("at most 7 days".into());
    }
    Ok(vec![
        PromptMessage::new_text(Role::User, format!("Weather in {city} in {days} days?")),
        PromptMessage::new_text(Role::Assistant, style.unwrap_or_else(|| "plain".into())),
    ])
}

/// Mixed content, as a whole result.
#[mcp_prompt(description = "An image and a text")]
fn mixed() -> GetPromptResult {
    GetPromptResult::new(vec![
        PromptMessage::new(Role::User, ContentBlock::image("iVBORw0KGgo=", "image/png")),
        PromptMessage::new(Role::Assistant, ContentBlock::text("A PNG.")),
    ])
}

static EXPLICIT: &[&PromptDefinition] = &[&simple::PROMPT, &mixed::PROMPT];

fn arguments(value: serde_json::Value) -> Arguments {
    value.as_object().cloned().unwrap()
}

fn text(message: &PromptMessage) -> &str {
    message.content.as_text().map_or("", |text| text.text.as_str())
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    assert_eq!(simple(), "This is a simple prompt.");
    assert!(weather_question("Oslo".into(), 9, None).await.is_err());

    assert_eq!(simple::PROMPT.name, "simple_prompt");
    assert_eq!(simple::PROMPT.title, Some("Simple"));
    assert!(simple::ARGUMENTS.is_empty());
    let result = (simple::PROMPT.get)(Arguments::new()).await.unwrap();
    assert_eq!(text(&result.messages[0]), "This is a simple prompt.");

    let listed: Vec<(&str, bool)> = weather_question::ARGUMENTS.iter().map(|argument| (argument.name, argument.required)).collect();
    assert_eq!(listed, [("city", true), ("days", false), ("style", false)]);
    assert_eq!(weather_question::ARGUMENTS[1].description, "Days ahead");
    assert_eq!(weather_question::PROMPT.description, "Ask about the weather.");
    assert_eq!((weather_question::PROMPT.completions[0].complete)("P")[..], ["Paris", "Prague"]);
    let result = (weather_question::PROMPT.get)(arguments(serde_json::json!({"city": "Paris", "days": 3}))).await.unwrap();
    assert_eq!(text(&result.messages[0]), "Weather in Paris in 3 days?");
    assert_eq!(text(&result.messages[1]), "plain");
    let error = (weather_question::PROMPT.get)(arguments(serde_json::json!({"city": "Paris", "days": "9"}))).await.unwrap_err();
    assert_eq!(error.to_string(), "at most 7 days");

    assert_eq!(mixed::PROMPT.description, "An image and a text");
    let result = (EXPLICIT[1].get)(Arguments::new()).await.unwrap();
    assert_eq!(result.messages.len(), 2);

    let registered: Vec<&str> = mcp_trace_runtime::prompt::registered_prompts().iter().map(|prompt| prompt.name).collect();
    assert_eq!(registered, ["mixed", "simple_prompt", "weather_question"]);
}
