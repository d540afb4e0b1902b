//! Arguments of everything the macros register — a tool's JSON arguments,
//! a prompt's string arguments, a resource template's variables — parsed
//! with errors that say which registration and which argument, and the
//! completions a prompt argument or template variable offers.

use std::fmt::Display;
use std::str::FromStr;

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// Arguments of a call: the `arguments` object of `tools/call` or
/// `prompts/get`, or the variables a resource template matched.
pub type Arguments = Map<String, Value>;

/// Arguments that do not fit what the function takes.
///
/// A tool answers it as a tool execution error (`isError: true`, so a model
/// can read it and correct its call); a prompt or a resource as a JSON-RPC
/// invalid-params error (-32602).
///
/// ```
/// use mcp_trace_runtime::argument::{argument, Arguments};
///
/// let mut arguments = Arguments::new();
/// arguments.insert("days".into(), "many".into());
/// let error = argument::<u8>("prompt forecast", &arguments, "days").unwrap_err();
/// assert_eq!(
///     error.to_string(),
///     "invalid arguments for prompt forecast: `days`: invalid digit found in string"
/// );
/// ```
///
/// It may gain fields: build one with [`ArgumentError::new`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid arguments for {of}: {message}")]
#[non_exhaustive]
pub struct ArgumentError {
    /// What was called: `tool get_weather`, `prompt summarize`, `resource test://…`.
    pub of: String,
    /// What is wrong.
    pub message: String,
}

impl ArgumentError {
    /// An error about the arguments of `of`.
    pub fn new(of: impl Into<String>, message: impl Into<String>) -> ArgumentError {
        ArgumentError {
            of: of.into(),
            message: message.into(),
        }
    }
}

/// Deserializes a JSON arguments object into a function's argument struct
/// (what a tool's expansion does).
///
/// ```
/// use mcp_trace_runtime::argument::{parse_arguments, Arguments};
///
/// #[derive(serde::Deserialize)]
/// struct Add { a: i64, b: i64 }
/// let arguments: Arguments = serde_json::from_str(r#"{"a": 1, "b": 2}"#).unwrap();
/// let Add { a, b } = parse_arguments("tool add", arguments).unwrap();
/// assert_eq!(a + b, 3);
/// ```
pub fn parse_arguments<A: DeserializeOwned>(
    of: &str,
    arguments: Arguments,
) -> Result<A, ArgumentError> {
    serde_json::from_value(Value::Object(arguments))
        .map_err(|error| ArgumentError::new(of, error.to_string()))
}

/// A required string-valued argument (prompt argument, template variable),
/// parsed with [`FromStr`].
///
/// ```
/// use mcp_trace_runtime::argument::{argument, Arguments};
///
/// let mut arguments = Arguments::new();
/// arguments.insert("id".into(), "42".into());
/// assert_eq!(argument::<u32>("resource item", &arguments, "id"), Ok(42));
/// assert!(argument::<u32>("resource item", &arguments, "other").is_err());
/// ```
pub fn argument<T>(of: &str, arguments: &Arguments, name: &str) -> Result<T, ArgumentError>
where
    T: FromStr,
    T::Err: Display,
{
    optional_argument(of, arguments, name)?
        .ok_or_else(|| ArgumentError::new(of, format!("missing required argument `{name}`")))
}

/// An optional string-valued argument: `None` when absent (or JSON `null`).
///
/// ```
/// use mcp_trace_runtime::argument::{optional_argument, Arguments};
///
/// let arguments = Arguments::new();
/// assert_eq!(optional_argument::<String>("prompt p", &arguments, "style"), Ok(None));
/// ```
pub fn optional_argument<T>(
    of: &str,
    arguments: &Arguments,
    name: &str,
) -> Result<Option<T>, ArgumentError>
where
    T: FromStr,
    T::Err: Display,
{
    let text = match arguments.get(name) {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(text)) => text.clone(),
        // Clients may send numbers and booleans unquoted; their JSON text is
        // what `FromStr` expects.
        Some(other) => other.to_string(),
    };
    text.parse()
        .map(Some)
        .map_err(|error| ArgumentError::new(of, format!("`{name}`: {error}")))
}

/// The completions one argument offers (`completion/complete`): given what
/// the user typed so far, the values to suggest.
///
/// `#[mcp_prompt]` and `#[mcp_resource]` build these from
/// `#[complete(function)]` on a parameter.
///
/// ```
/// use mcp_trace_runtime::argument::ArgumentCompletion;
///
/// fn cities(typed: &str) -> Vec<String> {
///     ["Paris", "Prague"].iter().filter(|c| c.starts_with(typed)).map(|c| c.to_string()).collect()
/// }
/// const CITY: ArgumentCompletion = ArgumentCompletion { argument: "city", complete: cities };
/// assert_eq!((CITY.complete)("Pr"), ["Prague"]);
/// ```
#[derive(Debug, Clone, Copy)]
pub struct ArgumentCompletion {
    /// The argument (or template variable) it completes.
    pub argument: &'static str,
    /// What the user typed so far → the suggestions.
    pub complete: fn(&str) -> Vec<String>,
}

/// The suggestions `completions` offers for `argument`; none when it has no
/// completion.
pub fn complete(completions: &[ArgumentCompletion], argument: &str, typed: &str) -> Vec<String> {
    completions
        .iter()
        .find(|completion| completion.argument == argument)
        .map(|completion| (completion.complete)(typed))
        .unwrap_or_default()
}

/// Why a prompt or a resource could not be produced: bad arguments (a
/// JSON-RPC invalid-params error, -32602) or the function's own `Err` (an
/// internal error, -32603, carrying its message).
///
/// More variants may be added: a `match` on it needs a `_` arm.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CallError {
    /// The arguments do not fit.
    #[error(transparent)]
    Arguments(#[from] ArgumentError),
    /// The function returned an error with this message.
    #[error("{0}")]
    Failed(String),
}
