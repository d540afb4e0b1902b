//! Resources registered by `#[mcp_resource]`: fixed URIs and URI templates,
//! independent of any MCP SDK.
//!
//! Like tools, each `#[mcp_resource] fn name(…)` expands to a module `name`
//! holding `name::RESOURCE`, a [`ResourceDefinition`] submitted to a
//! link-time registry ([`registered_resources`]), so a server serves them
//! with no list or with an explicit one. A template's variables
//! (`test://items/{id}`) are the function's parameters, parsed with
//! `FromStr`.

use std::fmt::Display;
use std::future::Future;
use std::pin::Pin;

use base64::Engine;
use rmcp::model::ResourceContents;

pub use crate::argument::{ArgumentCompletion, Arguments, CallError};

/// The future a resource read runs as.
pub type ResourceFuture =
    Pin<Box<dyn Future<Output = Result<Vec<ResourceContents>, CallError>> + Send>>;

/// Where a resource lives: one URI, or a template of URIs (RFC 6570 level
/// 1: `{name}` matches one path segment, `{+name}` anything).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResourceUri {
    /// `resources/list` lists it.
    Fixed(&'static str),
    /// `resources/templates/list` lists it.
    Template(&'static str),
}

/// One MCP resource or resource template, as `#[mcp_resource]` describes it.
///
/// ```
/// use mcp_trace_runtime::resource::{ResourceDefinition, ResourceRequest, ResourceUri};
///
/// fn read(request: ResourceRequest) -> mcp_trace_runtime::resource::ResourceFuture {
///     Box::pin(async move {
///         mcp_trace_runtime::resource::contents_of(&request, Some("text/plain"), "hello")
///     })
/// }
/// const GREETING: ResourceDefinition =
///     ResourceDefinition::new(ResourceUri::Fixed("test://greeting"), "greeting", "A greeting.", read)
///         .mime_type("text/plain");
/// assert!(GREETING.matches("test://greeting").is_some());
/// ```
///
/// It may gain fields: build one with [`ResourceDefinition::new`] and its `const` setters (what `#[mcp_resource]` expands to).
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct ResourceDefinition {
    /// Its URI or URI template.
    pub uri: ResourceUri,
    /// Name (default: the function's name).
    pub name: &'static str,
    /// Human-readable title.
    pub title: Option<&'static str>,
    /// Description (default: the function's doc comment).
    pub description: &'static str,
    /// MIME type of its contents.
    pub mime_type: Option<&'static str>,
    /// Reads it for one concrete URI.
    pub read: fn(ResourceRequest) -> ResourceFuture,
    /// Completions of the template's variables.
    pub completions: &'static [ArgumentCompletion],
    /// Where it is defined, for the error naming both of two resources with
    /// one URI.
    pub defined_at: &'static str,
}

/// One `resources/read`: the URI asked for and, for a template, the
/// variables it matched.
///
/// It may gain fields: build one with [`ResourceRequest::new`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ResourceRequest {
    /// The URI being read.
    pub uri: String,
    /// The template's variables, as strings (empty for a fixed URI).
    pub variables: Arguments,
}

impl ResourceRequest {
    /// A read of `uri` with the template variables it matched (empty for a
    /// fixed URI), e.g. to call a definition's `read` in a test.
    ///
    /// ```
    /// use mcp_trace_runtime::resource::ResourceRequest;
    /// let variables = serde_json::json!({"city": "Oslo"}).as_object().cloned().unwrap();
    /// let request = ResourceRequest::new("weather://Oslo", variables);
    /// assert_eq!(request.uri, "weather://Oslo");
    /// assert_eq!(request.variables["city"], "Oslo");
    /// ```
    pub fn new(uri: impl Into<String>, variables: Arguments) -> ResourceRequest {
        ResourceRequest {
            uri: uri.into(),
            variables,
        }
    }
}

impl ResourceDefinition {
    /// A resource with no title, MIME type or completions.
    pub const fn new(
        uri: ResourceUri,
        name: &'static str,
        description: &'static str,
        read: fn(ResourceRequest) -> ResourceFuture,
    ) -> ResourceDefinition {
        ResourceDefinition {
            uri,
            name,
            title: None,
            description,
            mime_type: None,
            read,
            completions: &[],
            defined_at: "",
        }
    }

    /// Sets the title.
    pub const fn title(mut self, title: &'static str) -> ResourceDefinition {
        self.title = Some(title);
        self
    }

    /// Sets the MIME type.
    pub const fn mime_type(mut self, mime_type: &'static str) -> ResourceDefinition {
        self.mime_type = Some(mime_type);
        self
    }

    /// Sets the completions of the template's variables.
    pub const fn completions(
        mut self,
        completions: &'static [ArgumentCompletion],
    ) -> ResourceDefinition {
        self.completions = completions;
        self
    }

    /// Sets where it is defined.
    pub const fn defined_at(mut self, path: &'static str) -> ResourceDefinition {
        self.defined_at = path;
        self
    }

    /// The URI or the template, as written.
    pub fn uri_text(&self) -> &'static str {
        match self.uri {
            ResourceUri::Fixed(uri) | ResourceUri::Template(uri) => uri,
        }
    }

    /// The variables when `uri` is this resource (none for a fixed URI).
    ///
    /// ```
    /// use mcp_trace_runtime::resource::{ResourceDefinition, ResourceUri};
    /// # fn read(_: mcp_trace_runtime::resource::ResourceRequest) -> mcp_trace_runtime::resource::ResourceFuture { unimplemented!() }
    /// let item = ResourceDefinition::new(ResourceUri::Template("test://items/{id}/data"), "item", "", read);
    /// let variables = item.matches("test://items/42/data").unwrap();
    /// assert_eq!(variables["id"], "42");
    /// assert!(item.matches("test://items/42/other").is_none());
    /// ```
    pub fn matches(&self, uri: &str) -> Option<Arguments> {
        match self.uri {
            ResourceUri::Fixed(fixed) => (fixed == uri).then(Arguments::new),
            ResourceUri::Template(template) => match_template(template, uri),
        }
    }
}

inventory::collect!(ResourceDefinition);

/// Every resource registered with `#[mcp_resource]` in the program, sorted
/// by URI.
pub fn registered_resources() -> Vec<&'static ResourceDefinition> {
    let mut resources: Vec<&'static ResourceDefinition> =
        inventory::iter::<ResourceDefinition>.into_iter().collect();
    resources.sort_by_key(|resource| resource.uri_text());
    resources
}

/// Matches `uri` against an RFC 6570 level-1 template (`{name}`: one or
/// more characters other than `/`, `?`, `#`; `{+name}`: one or more of
/// any), percent-decoding the values.
fn match_template(template: &str, uri: &str) -> Option<Arguments> {
    let mut variables = Arguments::new();
    let mut rest = uri;
    let mut pattern = template;
    while !pattern.is_empty() {
        let Some(open) = pattern.find('{') else {
            return (rest == pattern).then_some(variables);
        };
        rest = rest.strip_prefix(&pattern[..open])?;
        let close = open + pattern[open..].find('}')?;
        let expression = &pattern[open + 1..close];
        let (name, reserved) = match expression.strip_prefix('+') {
            Some(name) => (name, true),
            None => (expression, false),
        };
        pattern = &pattern[close + 1..];
        // The value runs to the next literal of the template (or the end).
        let next_literal = pattern.find('{').map_or(pattern, |next| &pattern[..next]);
        let stop = |c: char| !reserved && matches!(c, '/' | '?' | '#');
        let limit = rest.find(stop).unwrap_or(rest.len());
        if limit == 0 {
            return None;
        }
        let end = if next_literal.is_empty() {
            limit
        } else {
            // The first occurrence after at least one character, within the limit.
            let found = 1 + rest[1..].find(next_literal)?;
            if found > limit {
                return None;
            }
            found
        };
        let value = percent_encoding::percent_decode_str(&rest[..end]).decode_utf8_lossy();
        variables.insert(name.to_string(), value.into_owned().into());
        rest = &rest[end..];
    }
    rest.is_empty().then_some(variables)
}

/// What a resource function may return: text (`String`, `&'static str`),
/// bytes (`Vec<u8>`, sent as base64 `blob`), rmcp's [`ResourceContents`]
/// (one or a `Vec`) as given, or a `Result` of any of these.
pub trait IntoContents {
    /// The contents for `uri`, with `mime_type` when the value has none.
    fn into_contents(
        self,
        uri: &str,
        mime_type: Option<&str>,
    ) -> Result<Vec<ResourceContents>, CallError>;
}

fn with_mime(contents: ResourceContents, mime_type: Option<&str>) -> ResourceContents {
    match mime_type {
        Some(mime_type) => contents.with_mime_type(mime_type),
        None => contents,
    }
}

impl IntoContents for String {
    fn into_contents(
        self,
        uri: &str,
        mime_type: Option<&str>,
    ) -> Result<Vec<ResourceContents>, CallError> {
        Ok(vec![with_mime(
            ResourceContents::text(self, uri),
            mime_type,
        )])
    }
}

impl IntoContents for &'static str {
    fn into_contents(
        self,
        uri: &str,
        mime_type: Option<&str>,
    ) -> Result<Vec<ResourceContents>, CallError> {
        self.to_string().into_contents(uri, mime_type)
    }
}

impl IntoContents for Vec<u8> {
    fn into_contents(
        self,
        uri: &str,
        mime_type: Option<&str>,
    ) -> Result<Vec<ResourceContents>, CallError> {
        let blob = base64::engine::general_purpose::STANDARD.encode(self);
        Ok(vec![with_mime(
            ResourceContents::blob(blob, uri),
            mime_type,
        )])
    }
}

impl IntoContents for ResourceContents {
    fn into_contents(
        self,
        _uri: &str,
        _mime_type: Option<&str>,
    ) -> Result<Vec<ResourceContents>, CallError> {
        Ok(vec![self])
    }
}

impl IntoContents for Vec<ResourceContents> {
    fn into_contents(
        self,
        _uri: &str,
        _mime_type: Option<&str>,
    ) -> Result<Vec<ResourceContents>, CallError> {
        Ok(self)
    }
}

impl<T: IntoContents, E: Display> IntoContents for Result<T, E> {
    fn into_contents(
        self,
        uri: &str,
        mime_type: Option<&str>,
    ) -> Result<Vec<ResourceContents>, CallError> {
        match self {
            Ok(value) => value.into_contents(uri, mime_type),
            Err(error) => Err(CallError::Failed(error.to_string())),
        }
    }
}

/// The contents a resource function's return value gives for `request`
/// (what the expansion calls).
pub fn contents_of<T: IntoContents>(
    request: &ResourceRequest,
    mime_type: Option<&str>,
    value: T,
) -> Result<Vec<ResourceContents>, CallError> {
    value.into_contents(&request.uri, mime_type)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matched(template: &str, uri: &str) -> Option<Vec<(String, String)>> {
        match_template(template, uri).map(|variables| {
            variables
                .into_iter()
                .map(|(name, value)| (name, value.as_str().unwrap_or_default().to_string()))
                .collect()
        })
    }

    #[test]
    fn templates_match_their_uris_only() {
        let pairs = |list: &[(&str, &str)]| {
            Some(
                list.iter()
                    .map(|(n, v)| (n.to_string(), v.to_string()))
                    .collect::<Vec<_>>(),
            )
        };
        assert_eq!(
            matched("test://template/{id}/data", "test://template/123/data"),
            pairs(&[("id", "123")])
        );
        assert_eq!(
            matched("test://template/{id}/data", "test://template/1/2/data"),
            None
        );
        assert_eq!(
            matched("test://template/{id}/data", "test://template//data"),
            None
        );
        assert_eq!(
            matched("test://template/{id}/data", "test://template/123/datum"),
            None
        );
        assert_eq!(
            matched("file:///{+path}", "file:///a/b%20c.txt"),
            pairs(&[("path", "a/b c.txt")])
        );
        assert_eq!(
            matched("weather://{city}/{day}", "weather://Paris/3"),
            pairs(&[("city", "Paris"), ("day", "3")])
        );
        assert_eq!(matched("weather://{city}", "weather://Paris/3"), None);
        assert_eq!(matched("test://fixed", "test://fixed"), pairs(&[]));
    }
}
