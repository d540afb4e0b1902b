//! One LLM call (a generation) described in the three vocabularies backends
//! read: Langfuse's `langfuse.observation.*`, the OpenTelemetry GenAI
//! conventions' `gen_ai.*` (Datadog, Grafana, Honeycomb, …) and
//! OpenInference's `llm.*` (Arize Phoenix). Every writer here sets all three,
//! so one call to [`crate::current::CurrentObservation::usage`] shows token
//! counts everywhere; the sampling requests a server sends through
//! [`crate::server::BackChannel`] use the same writers.
//!
//! ```
//! use mcp_trace_runtime::generation::{Cost, Usage};
//! let usage = Usage::tokens(120, 30).cached_input(100);
//! assert_eq!(usage.total_tokens(), Some(150));
//! let cost = Cost::new().input(0.0003).output(0.0006);
//! assert!((cost.total_usd().unwrap() - 0.0009).abs() < 1e-12);
//! ```

use std::sync::Arc;
use std::time::SystemTime;

use opentelemetry::trace::SpanRef;
use opentelemetry::{Array, KeyValue, StringValue, Value};
use serde_json::{Map, Value as Json};

use crate::settings::{self, truncate};

/// Langfuse's attribute names for a generation (also in
/// [`crate::observe::attributes`] with the other Langfuse names).
pub mod langfuse {
    /// A generation's model.
    pub const MODEL_NAME: &str = "langfuse.observation.model.name";
    /// A generation's request parameters, a JSON object.
    pub const MODEL_PARAMETERS: &str = "langfuse.observation.model.parameters";
    /// A generation's token counts, a JSON object (`input`, `output`, `total`, …).
    pub const USAGE_DETAILS: &str = "langfuse.observation.usage_details";
    /// A generation's cost in USD, a JSON object (`input`, `output`, `total`, …).
    pub const COST_DETAILS: &str = "langfuse.observation.cost_details";
    /// When a generation's first token arrived (RFC 3339).
    pub const COMPLETION_START_TIME: &str = "langfuse.observation.completion_start_time";
    /// The Langfuse prompt a generation used.
    pub const PROMPT_NAME: &str = "langfuse.observation.prompt.name";
    /// Its version.
    pub const PROMPT_VERSION: &str = "langfuse.observation.prompt.version";
}

/// OpenTelemetry GenAI attribute names.
pub mod gen_ai {
    /// `chat`, `embeddings`, `invoke_agent`, `execute_tool`, …
    pub use crate::conventions::GEN_AI_OPERATION_NAME as OPERATION_NAME;
    /// The model asked for.
    pub const REQUEST_MODEL: &str = "gen_ai.request.model";
    /// The model that answered.
    pub const RESPONSE_MODEL: &str = "gen_ai.response.model";
    /// Why the model stopped, one per choice (a string array).
    pub const RESPONSE_FINISH_REASONS: &str = "gen_ai.response.finish_reasons";
    /// Input (prompt) tokens, cached ones included.
    pub const USAGE_INPUT_TOKENS: &str = "gen_ai.usage.input_tokens";
    /// Output (completion) tokens.
    pub const USAGE_OUTPUT_TOKENS: &str = "gen_ai.usage.output_tokens";
    /// Input tokens served from the provider's cache.
    pub const USAGE_CACHE_READ_INPUT_TOKENS: &str = "gen_ai.usage.cache_read.input_tokens";
    /// Prefix of the request parameters (`gen_ai.request.temperature`, …).
    pub const REQUEST_PREFIX: &str = "gen_ai.request.";
}

/// OpenInference attribute names (what Arize Phoenix reads).
pub mod openinference {
    /// `LLM`, `EMBEDDING`, `AGENT`, `TOOL`, `CHAIN`, …
    pub const SPAN_KIND: &str = "openinference.span.kind";
    /// The model.
    pub const MODEL_NAME: &str = "llm.model_name";
    /// The request parameters as JSON.
    pub const INVOCATION_PARAMETERS: &str = "llm.invocation_parameters";
    /// Input tokens.
    pub const TOKEN_COUNT_PROMPT: &str = "llm.token_count.prompt";
    /// Output tokens.
    pub const TOKEN_COUNT_COMPLETION: &str = "llm.token_count.completion";
    /// All tokens.
    pub const TOKEN_COUNT_TOTAL: &str = "llm.token_count.total";
    /// Cached input tokens.
    pub const TOKEN_COUNT_CACHE_READ: &str = "llm.token_count.prompt_details.cache_read";
    /// Reasoning tokens.
    pub const TOKEN_COUNT_REASONING: &str = "llm.token_count.completion_details.reasoning";
    /// Input cost, USD.
    pub const COST_PROMPT: &str = "llm.cost.prompt";
    /// Output cost, USD.
    pub const COST_COMPLETION: &str = "llm.cost.completion";
    /// Total cost, USD.
    pub const COST_TOTAL: &str = "llm.cost.total";
    /// Why the model stopped.
    pub const FINISH_REASON: &str = "llm.finish_reason";
}

/// The request parameters the GenAI conventions name, as
/// (`model_parameters` key, `gen_ai.request.*` suffix).
const GEN_AI_PARAMETERS: [(&str, &str); 9] = [
    ("temperature", "temperature"),
    ("max_tokens", "max_tokens"),
    ("maxTokens", "max_tokens"),
    ("top_p", "top_p"),
    ("top_k", "top_k"),
    ("frequency_penalty", "frequency_penalty"),
    ("presence_penalty", "presence_penalty"),
    ("seed", "seed"),
    ("stop_sequences", "stop_sequences"),
];

/// Token counts of one LLM call. `input` counts every input token, cached
/// ones included (as the GenAI conventions do); `total` defaults to input +
/// output. Named counters ([`Usage::detail`]) reach Langfuse's usage details
/// as they are.
///
/// ```
/// use mcp_trace_runtime::generation::Usage;
/// let usage = Usage::tokens(1000, 200).reasoning(150).detail("audio_input", 40);
/// assert_eq!(usage.total_tokens(), Some(1200));
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Usage {
    input: Option<u64>,
    output: Option<u64>,
    total: Option<u64>,
    cached_input: Option<u64>,
    reasoning: Option<u64>,
    details: Vec<(String, u64)>,
}

impl Usage {
    /// No counts yet.
    pub fn new() -> Usage {
        Usage::default()
    }

    /// Input and output tokens.
    pub fn tokens(input: u64, output: u64) -> Usage {
        Usage::new().input(input).output(output)
    }

    /// Input (prompt) tokens, cached ones included.
    pub fn input(mut self, tokens: u64) -> Usage {
        self.input = Some(tokens);
        self
    }

    /// Output (completion) tokens.
    pub fn output(mut self, tokens: u64) -> Usage {
        self.output = Some(tokens);
        self
    }

    /// All tokens, when the provider reports a total that is not input + output.
    pub fn total(mut self, tokens: u64) -> Usage {
        self.total = Some(tokens);
        self
    }

    /// Input tokens served from the provider's cache.
    pub fn cached_input(mut self, tokens: u64) -> Usage {
        self.cached_input = Some(tokens);
        self
    }

    /// Output tokens spent on reasoning.
    pub fn reasoning(mut self, tokens: u64) -> Usage {
        self.reasoning = Some(tokens);
        self
    }

    /// Any other counter, under its own name in Langfuse's usage details.
    pub fn detail(mut self, name: impl Into<String>, count: u64) -> Usage {
        self.details.push((name.into(), count));
        self
    }

    /// The total: as given, else input + output when either is known.
    pub fn total_tokens(&self) -> Option<u64> {
        self.total.or(match (self.input, self.output) {
            (None, None) => None,
            (input, output) => Some(input.unwrap_or(0) + output.unwrap_or(0)),
        })
    }

    /// Reads `{inputTokens, outputTokens, totalTokens, cachedInputTokens,
    /// reasoningTokens}` (snake_case accepted too), as [`sampling_meta`]
    /// writes it; `None` when nothing in it is a count.
    pub fn from_json(json: &Json) -> Option<Usage> {
        let count = |camel: &str, snake: &str| {
            json.get(camel)
                .or_else(|| json.get(snake))
                .and_then(Json::as_u64)
        };
        let usage = Usage {
            input: count("inputTokens", "input_tokens"),
            output: count("outputTokens", "output_tokens"),
            total: count("totalTokens", "total_tokens"),
            cached_input: count("cachedInputTokens", "cached_input_tokens"),
            reasoning: count("reasoningTokens", "reasoning_tokens"),
            details: Vec::new(),
        };
        (usage != Usage::default()).then_some(usage)
    }

    fn to_json(&self) -> Json {
        let mut json = Map::new();
        for (key, count) in [
            ("inputTokens", self.input),
            ("outputTokens", self.output),
            ("totalTokens", self.total),
            ("cachedInputTokens", self.cached_input),
            ("reasoningTokens", self.reasoning),
        ] {
            if let Some(count) = count {
                json.insert(key.to_string(), count.into());
            }
        }
        Json::Object(json)
    }

    /// Langfuse's `usage_details` object.
    fn langfuse_details(&self) -> Map<String, Json> {
        let mut details = Map::new();
        let named = [
            ("input", self.input),
            ("output", self.output),
            ("total", self.total_tokens()),
            ("input_cached_tokens", self.cached_input),
            ("output_reasoning_tokens", self.reasoning),
        ];
        for (key, count) in named {
            if let Some(count) = count {
                details.insert(key.to_string(), count.into());
            }
        }
        for (key, count) in &self.details {
            details.insert(key.clone(), (*count).into());
        }
        details
    }

    /// Every attribute this usage becomes, in the three vocabularies.
    pub fn attributes(&self) -> Vec<KeyValue> {
        let mut attributes = Vec::with_capacity(9);
        attributes.push(KeyValue::new(
            langfuse::USAGE_DETAILS,
            Json::Object(self.langfuse_details()).to_string(),
        ));
        let counts = [
            (
                self.input,
                [
                    gen_ai::USAGE_INPUT_TOKENS,
                    openinference::TOKEN_COUNT_PROMPT,
                ]
                .as_slice(),
            ),
            (
                self.output,
                &[
                    gen_ai::USAGE_OUTPUT_TOKENS,
                    openinference::TOKEN_COUNT_COMPLETION,
                ],
            ),
            (self.total_tokens(), &[openinference::TOKEN_COUNT_TOTAL]),
            (
                self.cached_input,
                &[
                    gen_ai::USAGE_CACHE_READ_INPUT_TOKENS,
                    openinference::TOKEN_COUNT_CACHE_READ,
                ],
            ),
            (self.reasoning, &[openinference::TOKEN_COUNT_REASONING]),
        ];
        for (count, keys) in counts {
            if let Some(count) = count {
                let count = i64::try_from(count).unwrap_or(i64::MAX);
                attributes.extend(keys.iter().map(|key| KeyValue::new(*key, count)));
            }
        }
        attributes
    }
}

/// What one LLM call cost, in US dollars. `total` defaults to the sum of
/// the parts given. Without a cost, Langfuse computes one from the model and
/// usage when it knows the model's price.
///
/// ```
/// use mcp_trace_runtime::generation::Cost;
/// assert_eq!(Cost::new().total(0.5).total_usd(), Some(0.5));
/// assert_eq!(Cost::new().total_usd(), None);
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Cost {
    input: Option<f64>,
    output: Option<f64>,
    total: Option<f64>,
    details: Vec<(String, f64)>,
}

impl Cost {
    /// No cost yet.
    pub fn new() -> Cost {
        Cost::default()
    }

    /// What the input cost.
    pub fn input(mut self, usd: f64) -> Cost {
        self.input = Some(usd);
        self
    }

    /// What the output cost.
    pub fn output(mut self, usd: f64) -> Cost {
        self.output = Some(usd);
        self
    }

    /// The whole cost, when it is not the sum of the parts.
    pub fn total(mut self, usd: f64) -> Cost {
        self.total = Some(usd);
        self
    }

    /// Any other part, under its own name in Langfuse's cost details.
    pub fn detail(mut self, name: impl Into<String>, usd: f64) -> Cost {
        self.details.push((name.into(), usd));
        self
    }

    /// The total: as given, else the sum of every part.
    pub fn total_usd(&self) -> Option<f64> {
        self.total.or_else(|| {
            let parts: Vec<f64> = [self.input, self.output]
                .into_iter()
                .flatten()
                .chain(self.details.iter().map(|(_, usd)| *usd))
                .collect();
            (!parts.is_empty()).then(|| parts.iter().sum())
        })
    }

    /// Reads `{input, output, total}` in USD, as [`sampling_meta`] writes
    /// it; `None` when nothing in it is a number.
    pub fn from_json(json: &Json) -> Option<Cost> {
        let usd = |key: &str| json.get(key).and_then(Json::as_f64);
        let cost = Cost {
            input: usd("input"),
            output: usd("output"),
            total: usd("total"),
            details: Vec::new(),
        };
        (cost != Cost::default()).then_some(cost)
    }

    fn to_json(&self) -> Json {
        let mut json = Map::new();
        for (key, usd) in [
            ("input", self.input),
            ("output", self.output),
            ("total", self.total),
        ] {
            if let Some(number) = usd.and_then(serde_json::Number::from_f64) {
                json.insert(key.to_string(), Json::Number(number));
            }
        }
        Json::Object(json)
    }

    /// Every attribute this cost becomes (Langfuse and OpenInference; the
    /// GenAI conventions have no cost).
    pub fn attributes(&self) -> Vec<KeyValue> {
        let mut details = Map::new();
        let mut attributes = Vec::new();
        let named = [
            ("input", self.input, openinference::COST_PROMPT),
            ("output", self.output, openinference::COST_COMPLETION),
            ("total", self.total_usd(), openinference::COST_TOTAL),
        ];
        for (key, usd, openinference_key) in named {
            let Some(usd) = usd.filter(|usd| usd.is_finite()) else {
                continue;
            };
            if let Some(number) = serde_json::Number::from_f64(usd) {
                details.insert(key.to_string(), Json::Number(number));
            }
            attributes.push(KeyValue::new(openinference_key, usd));
        }
        for (key, usd) in &self.details {
            if let Some(number) = serde_json::Number::from_f64(*usd) {
                details.insert(key.clone(), Json::Number(number));
            }
        }
        attributes.push(KeyValue::new(
            langfuse::COST_DETAILS,
            Json::Object(details).to_string(),
        ));
        attributes
    }
}

/// The model asked for: Langfuse's model name, `gen_ai.request.model`,
/// `llm.model_name`.
pub fn model_attributes(model: &str) -> [KeyValue; 3] {
    model_named(gen_ai::REQUEST_MODEL, model)
}

/// The model that answered: `gen_ai.response.model`, and Langfuse's and
/// OpenInference's model name (the answering model is the one billed).
pub fn response_model_attributes(model: &str) -> [KeyValue; 3] {
    model_named(gen_ai::RESPONSE_MODEL, model)
}

/// `model` under Langfuse's and OpenInference's model name and `gen_ai_key`.
fn model_named(gen_ai_key: &'static str, model: &str) -> [KeyValue; 3] {
    // One allocation shared by the three keys.
    let model = Arc::<str>::from(model);
    [
        KeyValue::new(langfuse::MODEL_NAME, model.clone()),
        KeyValue::new(gen_ai_key, model.clone()),
        KeyValue::new(openinference::MODEL_NAME, model),
    ]
}

/// Why the model stopped (`endTurn`, `stop`, `length`, …):
/// `gen_ai.response.finish_reasons` and `llm.finish_reason`.
pub fn finish_reason_attributes(reason: &str) -> [KeyValue; 2] {
    [
        KeyValue::new(
            gen_ai::RESPONSE_FINISH_REASONS,
            Value::Array(Array::String(vec![StringValue::from(reason.to_string())])),
        ),
        KeyValue::new(openinference::FINISH_REASON, reason.to_string()),
    ]
}

/// The request parameters (`temperature`, `max_tokens`, …) as Langfuse's
/// model parameters and OpenInference's invocation parameters (JSON), and
/// the ones the GenAI conventions name as `gen_ai.request.*`.
pub fn model_parameter_attributes(parameters: &Map<String, Json>) -> Vec<KeyValue> {
    let json = truncate(
        Json::Object(parameters.clone()).to_string(),
        settings::value_length_limit(),
    );
    let mut attributes = vec![
        KeyValue::new(langfuse::MODEL_PARAMETERS, json.clone()),
        KeyValue::new(openinference::INVOCATION_PARAMETERS, json),
    ];
    for (key, suffix) in GEN_AI_PARAMETERS {
        let value = match parameters.get(key) {
            Some(Json::Number(number)) => match number.as_i64() {
                Some(integer) => Value::I64(integer),
                None => Value::F64(number.as_f64().unwrap_or(f64::NAN)),
            },
            Some(Json::String(text)) => Value::String(text.clone().into()),
            Some(Json::Array(items)) => Value::Array(Array::String(
                items
                    .iter()
                    .filter_map(Json::as_str)
                    .map(|item| StringValue::from(item.to_string()))
                    .collect(),
            )),
            _ => continue,
        };
        attributes.push(KeyValue::new(
            format!("{}{suffix}", gen_ai::REQUEST_PREFIX),
            value,
        ));
    }
    attributes
}

/// When the first token arrived, as Langfuse's `completion_start_time`
/// (RFC 3339, UTC, microseconds).
pub fn completion_start_attribute(at: SystemTime) -> KeyValue {
    let at: chrono::DateTime<chrono::Utc> = at.into();
    KeyValue::new(
        langfuse::COMPLETION_START_TIME,
        at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
    )
}

/// The Langfuse prompt this generation used.
pub fn prompt_attributes(name: &str, version: u32) -> [KeyValue; 2] {
    [
        KeyValue::new(langfuse::PROMPT_NAME, name.to_string()),
        KeyValue::new(langfuse::PROMPT_VERSION, i64::from(version)),
    ]
}

/// The `_meta` a client puts on its sampling answer's message so that the
/// server's generation span records the usage and cost (MCP's
/// `CreateMessageResult` has no field for them).
///
/// ```
/// use mcp_trace_runtime::generation::{sampling_meta, Cost, Usage};
/// let meta = sampling_meta(&Usage::tokens(10, 5), Some(&Cost::new().total(0.01)));
/// assert_eq!(meta.0["usage"]["inputTokens"], 10);
/// assert_eq!(meta.0["cost"]["total"], 0.01);
/// ```
pub fn sampling_meta(usage: &Usage, cost: Option<&Cost>) -> rmcp::model::MetaObject {
    let mut meta = rmcp::model::MetaObject::new();
    meta.0.insert("usage".to_string(), usage.to_json());
    if let Some(cost) = cost {
        meta.0.insert("cost".to_string(), cost.to_json());
    }
    meta
}

/// Sets `attributes` on `span` when it records.
pub(crate) fn write(span: &SpanRef<'_>, attributes: impl IntoIterator<Item = KeyValue>) {
    if span.is_recording() {
        span.set_attributes(attributes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn find<'a>(attributes: &'a [KeyValue], key: &str) -> Option<&'a Value> {
        attributes
            .iter()
            .find(|kv| kv.key.as_str() == key)
            .map(|kv| &kv.value)
    }

    #[test]
    fn usage_lands_in_all_three_vocabularies() {
        let attributes = Usage::tokens(120, 30)
            .cached_input(100)
            .reasoning(12)
            .detail("audio", 3)
            .attributes();
        let details: Json =
            serde_json::from_str(&find(&attributes, langfuse::USAGE_DETAILS).unwrap().as_str())
                .unwrap();
        assert_eq!(
            details,
            serde_json::json!({"input": 120, "output": 30, "total": 150,
                "input_cached_tokens": 100, "output_reasoning_tokens": 12, "audio": 3})
        );
        assert_eq!(
            find(&attributes, gen_ai::USAGE_INPUT_TOKENS),
            Some(&Value::I64(120))
        );
        assert_eq!(
            find(&attributes, gen_ai::USAGE_OUTPUT_TOKENS),
            Some(&Value::I64(30))
        );
        assert_eq!(
            find(&attributes, gen_ai::USAGE_CACHE_READ_INPUT_TOKENS),
            Some(&Value::I64(100))
        );
        assert_eq!(
            find(&attributes, openinference::TOKEN_COUNT_TOTAL),
            Some(&Value::I64(150))
        );
        assert_eq!(
            find(&attributes, openinference::TOKEN_COUNT_REASONING),
            Some(&Value::I64(12))
        );
    }

    #[test]
    fn unknown_counts_stay_out() {
        let attributes = Usage::new().output(7).attributes();
        assert_eq!(find(&attributes, gen_ai::USAGE_INPUT_TOKENS), None);
        assert_eq!(
            find(&attributes, openinference::TOKEN_COUNT_TOTAL),
            Some(&Value::I64(7))
        );
        assert_eq!(Usage::new().total_tokens(), None);
    }

    #[test]
    fn cost_sums_its_parts_and_skips_non_finite_numbers() {
        let attributes = Cost::new().input(0.25).output(0.5).attributes();
        let details: Json =
            serde_json::from_str(&find(&attributes, langfuse::COST_DETAILS).unwrap().as_str())
                .unwrap();
        assert_eq!(
            details,
            serde_json::json!({"input": 0.25, "output": 0.5, "total": 0.75})
        );
        assert_eq!(
            find(&attributes, openinference::COST_TOTAL),
            Some(&Value::F64(0.75))
        );
        let broken = Cost::new().total(f64::NAN).attributes();
        assert_eq!(find(&broken, openinference::COST_TOTAL), None);
        assert_eq!(
            find(&broken, langfuse::COST_DETAILS).unwrap().as_str(),
            "{}"
        );
    }

    #[test]
    fn known_parameters_become_gen_ai_request_attributes() {
        let parameters = serde_json::json!({"temperature": 0.2, "max_tokens": 256, "stop_sequences": ["\n"], "custom": true});
        let attributes = model_parameter_attributes(parameters.as_object().unwrap());
        assert_eq!(
            find(&attributes, "gen_ai.request.temperature"),
            Some(&Value::F64(0.2))
        );
        assert_eq!(
            find(&attributes, "gen_ai.request.max_tokens"),
            Some(&Value::I64(256))
        );
        assert!(find(&attributes, "gen_ai.request.custom").is_none());
        let json: Json = serde_json::from_str(
            &find(&attributes, langfuse::MODEL_PARAMETERS)
                .unwrap()
                .as_str(),
        )
        .unwrap();
        assert_eq!(json, parameters);
    }

    #[test]
    fn sampling_meta_reads_back() {
        let usage = Usage::tokens(10, 5).cached_input(2);
        let cost = Cost::new().input(0.5).total(1.0);
        let meta = sampling_meta(&usage, Some(&cost));
        assert_eq!(Usage::from_json(&meta.0["usage"]), Some(usage));
        assert_eq!(Cost::from_json(&meta.0["cost"]), Some(cost));
        assert_eq!(
            Usage::from_json(&serde_json::json!({"inputTokens": "ten"})),
            None
        );
        assert_eq!(
            Usage::from_json(&serde_json::json!({"input_tokens": 3})),
            Some(Usage::new().input(3))
        );
    }

    #[test]
    fn completion_start_is_rfc3339_utc() {
        let at = SystemTime::UNIX_EPOCH + std::time::Duration::from_micros(1_700_000_000_123_456);
        assert_eq!(
            completion_start_attribute(at).value.as_str(),
            "2023-11-14T22:13:20.123456Z"
        );
    }
}
