//! Prompts registered by `#[mcp_prompt]`, independent of any MCP SDK.
//!
//! Each `#[mcp_prompt] fn name(…)` expands to a module `name` holding
//! `name::PROMPT`, a [`PromptDefinition`] submitted to a link-time registry
//! ([`registered_prompts`]). Its parameters are the prompt's arguments
//! (strings on the wire, parsed with `FromStr`; `Option` ones optional; doc
//! comments their descriptions).

use std::fmt::Display;
use std::future::Future;
use std::pin::Pin;

use rmcp::model::{GetPromptResult, PromptMessage, Role};

pub use crate::argument::{ArgumentCompletion, Arguments, CallError};

/// The future a `prompts/get` runs as.
pub type PromptFuture = Pin<Box<dyn Future<Output = Result<GetPromptResult, CallError>> + Send>>;

/// One argument of a prompt, as `prompts/list` shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PromptParameter {
    /// Its name.
    pub name: &'static str,
    /// Its description (the parameter's doc comment).
    pub description: &'static str,
    /// False for an `Option` parameter.
    pub required: bool,
}

/// One MCP prompt, as `#[mcp_prompt]` describes it.
///
/// ```
/// use mcp_trace_runtime::prompt::{messages_of, Arguments, PromptDefinition, PromptFuture};
///
/// fn get(_arguments: Arguments) -> PromptFuture {
///     Box::pin(async { messages_of("Say hello.") })
/// }
/// const HELLO: PromptDefinition = PromptDefinition::new("hello", "Greets.", &[], get);
/// assert_eq!(HELLO.name, "hello");
/// ```
///
/// It may gain fields: build one with [`PromptDefinition::new`] and its `const` setters (what `#[mcp_prompt]` expands to).
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct PromptDefinition {
    /// Name (default: the function's name).
    pub name: &'static str,
    /// Human-readable title.
    pub title: Option<&'static str>,
    /// Description (default: the function's doc comment).
    pub description: &'static str,
    /// Its arguments.
    pub arguments: &'static [PromptParameter],
    /// Builds its messages from the arguments.
    pub get: fn(Arguments) -> PromptFuture,
    /// Completions of its arguments.
    pub completions: &'static [ArgumentCompletion],
    /// Where it is defined, for the error naming both of two prompts with one
    /// name.
    pub defined_at: &'static str,
}

impl PromptDefinition {
    /// A prompt with no title or completions.
    pub const fn new(
        name: &'static str,
        description: &'static str,
        arguments: &'static [PromptParameter],
        get: fn(Arguments) -> PromptFuture,
    ) -> PromptDefinition {
        PromptDefinition {
            name,
            title: None,
            description,
            arguments,
            get,
            completions: &[],
            defined_at: "",
        }
    }

    /// Sets the title.
    pub const fn title(mut self, title: &'static str) -> PromptDefinition {
        self.title = Some(title);
        self
    }

    /// Sets the completions of its arguments.
    pub const fn completions(
        mut self,
        completions: &'static [ArgumentCompletion],
    ) -> PromptDefinition {
        self.completions = completions;
        self
    }

    /// Sets where it is defined.
    pub const fn defined_at(mut self, path: &'static str) -> PromptDefinition {
        self.defined_at = path;
        self
    }
}

inventory::collect!(PromptDefinition);

/// Every prompt registered with `#[mcp_prompt]` in the program, sorted by
/// name.
pub fn registered_prompts() -> Vec<&'static PromptDefinition> {
    let mut prompts: Vec<&'static PromptDefinition> =
        inventory::iter::<PromptDefinition>.into_iter().collect();
    prompts.sort_by_key(|prompt| prompt.name);
    prompts
}

/// What a prompt function may return: a `String` or `&'static str` (one
/// user message), rmcp's [`PromptMessage`] (one or a `Vec`) or a whole
/// [`GetPromptResult`], or a `Result` of any of these.
pub trait IntoMessages {
    /// The `prompts/get` result.
    fn into_messages(self) -> Result<GetPromptResult, CallError>;
}

impl IntoMessages for GetPromptResult {
    fn into_messages(self) -> Result<GetPromptResult, CallError> {
        Ok(self)
    }
}

impl IntoMessages for Vec<PromptMessage> {
    fn into_messages(self) -> Result<GetPromptResult, CallError> {
        Ok(GetPromptResult::new(self))
    }
}

impl IntoMessages for PromptMessage {
    fn into_messages(self) -> Result<GetPromptResult, CallError> {
        vec![self].into_messages()
    }
}

impl IntoMessages for String {
    fn into_messages(self) -> Result<GetPromptResult, CallError> {
        PromptMessage::new_text(Role::User, self).into_messages()
    }
}

impl IntoMessages for &'static str {
    fn into_messages(self) -> Result<GetPromptResult, CallError> {
        self.to_string().into_messages()
    }
}

impl<T: IntoMessages, E: Display> IntoMessages for Result<T, E> {
    fn into_messages(self) -> Result<GetPromptResult, CallError> {
        match self {
            Ok(value) => value.into_messages(),
            Err(error) => Err(CallError::Failed(error.to_string())),
        }
    }
}

/// The `prompts/get` result of a prompt function's return value (what the
/// expansion calls).
///
/// ```
/// let result = mcp_trace_runtime::prompt::messages_of("Summarize.").unwrap();
/// assert_eq!(result.messages.len(), 1);
/// ```
pub fn messages_of<T: IntoMessages>(value: T) -> Result<GetPromptResult, CallError> {
    value.into_messages()
}
