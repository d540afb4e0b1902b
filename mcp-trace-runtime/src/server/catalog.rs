//! What a [`McpServer`](super::McpServer) serves: its tools, resources and
//! prompts, checked for clashing names once at start-up and turned into the
//! rmcp items `*/list` answers with.

use rmcp::model::{Prompt, PromptArgument, Resource, ResourceTemplate, Tool, ToolAnnotations};

use crate::prompt::PromptDefinition;
use crate::resource::{ResourceDefinition, ResourceUri};
use crate::tool::ToolDefinition;

/// Two registrations of one kind under one name (for resources: one URI or
/// URI template): the server refuses to start rather than serve either.
///
/// ```
/// use mcp_trace_runtime::server::McpServer;
/// use mcp_trace_runtime::tool::{Arguments, ToolDefinition, ToolFuture};
///
/// # fn schema() -> serde_json::Map<String, serde_json::Value> { Default::default() }
/// # fn call(_: Arguments) -> ToolFuture { unimplemented!() }
/// static NEW: ToolDefinition = ToolDefinition::new("get_weather", "Weather.", schema, call)
///     .defined_at("weather::get_weather");
/// static OLD: ToolDefinition = ToolDefinition::new("get_weather", "Weather.", schema, call)
///     .defined_at("legacy::get_weather");
/// let Err(error) = McpServer::with_tools("weather", "1.0.0", &[&NEW, &OLD]) else {
///     panic!("two tools named get_weather must clash");
/// };
/// assert_eq!((error.kind, error.name.as_str()), ("tool", "get_weather"));
/// assert_eq!(
///     error.to_string(),
///     "two tools are named `get_weather`: weather::get_weather and legacy::get_weather"
/// );
/// ```
///
/// It may gain fields: the catalog builds it, code reads it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("two {kind}s are named `{name}`: {first} and {second}")]
#[non_exhaustive]
pub struct DuplicateName {
    /// `tool`, `resource` or `prompt`.
    pub kind: &'static str,
    /// The shared name (or URI).
    pub name: String,
    /// Where the first is defined.
    pub first: &'static str,
    /// Where the second is defined.
    pub second: &'static str,
}

/// The registrations of one server, with what `*/list` shows for each.
#[derive(Debug, Default)]
pub(crate) struct Catalog {
    pub tools: Vec<(&'static ToolDefinition, Tool)>,
    pub resources: Vec<(&'static ResourceDefinition, Resource)>,
    pub templates: Vec<(&'static ResourceDefinition, ResourceTemplate)>,
    pub prompts: Vec<(&'static PromptDefinition, Prompt)>,
}

impl Catalog {
    pub(crate) fn new(
        tools: &[&'static ToolDefinition],
        resources: &[&'static ResourceDefinition],
        prompts: &[&'static PromptDefinition],
    ) -> Result<Catalog, DuplicateName> {
        refuse_duplicates("tool", tools, |tool| (tool.name, tool.defined_at))?;
        refuse_duplicates("resource", resources, |resource| {
            (resource.uri_text(), resource.defined_at)
        })?;
        refuse_duplicates("prompt", prompts, |prompt| (prompt.name, prompt.defined_at))?;
        let mut catalog = Catalog {
            tools: tools
                .iter()
                .map(|tool| (*tool, listed_tool(tool)))
                .collect(),
            prompts: prompts
                .iter()
                .map(|prompt| (*prompt, listed_prompt(prompt)))
                .collect(),
            ..Catalog::default()
        };
        for resource in resources {
            match resource.uri {
                ResourceUri::Fixed(uri) => catalog
                    .resources
                    .push((resource, listed_resource(resource, uri))),
                ResourceUri::Template(template) => catalog
                    .templates
                    .push((resource, listed_template(resource, template))),
            }
        }
        Ok(catalog)
    }

    pub(crate) fn tool(&self, name: &str) -> Option<&(&'static ToolDefinition, Tool)> {
        self.tools.iter().find(|(tool, _)| tool.name == name)
    }

    pub(crate) fn prompt(&self, name: &str) -> Option<&'static PromptDefinition> {
        self.prompts
            .iter()
            .map(|(prompt, _)| *prompt)
            .find(|prompt| prompt.name == name)
    }

    /// The resource `uri` is, with the variables a template matched: fixed
    /// URIs first, then templates in order.
    pub(crate) fn resource(
        &self,
        uri: &str,
    ) -> Option<(&'static ResourceDefinition, crate::argument::Arguments)> {
        self.definitions()
            .find_map(|definition| Some((definition, definition.matches(uri)?)))
    }

    fn definitions(&self) -> impl Iterator<Item = &'static ResourceDefinition> + '_ {
        self.resources
            .iter()
            .map(|(definition, _)| *definition)
            .chain(self.templates.iter().map(|(definition, _)| *definition))
    }

    /// The resource (fixed or template) written as `uri`, for completions
    /// (`ref/resource` names the template itself).
    pub(crate) fn resource_written_as(&self, uri: &str) -> Option<&'static ResourceDefinition> {
        self.definitions()
            .find(|definition| definition.uri_text() == uri)
    }
}

fn refuse_duplicates<T>(
    kind: &'static str,
    items: &[&'static T],
    key: impl Fn(&T) -> (&'static str, &'static str),
) -> Result<(), DuplicateName> {
    for (index, item) in items.iter().enumerate() {
        let (name, second) = key(item);
        if let Some(first) = items[..index].iter().find(|earlier| key(earlier).0 == name) {
            let first = key(first).1;
            return Err(DuplicateName {
                kind,
                name: name.to_string(),
                first: or_unknown(first),
                second: or_unknown(second),
            });
        }
    }
    Ok(())
}

fn or_unknown(defined_at: &'static str) -> &'static str {
    if defined_at.is_empty() {
        "(a definition written by hand)"
    } else {
        defined_at
    }
}

fn description(text: &'static str) -> Option<String> {
    (!text.is_empty()).then(|| text.to_string())
}

fn listed_tool(definition: &ToolDefinition) -> Tool {
    let mut tool = Tool::new_with_raw(
        definition.name,
        description(definition.description).map(Into::into),
        (definition.input_schema)(),
    );
    tool.title = definition.title.map(str::to_string);
    tool.output_schema = (definition.output_schema)().map(std::sync::Arc::new);
    let hints = definition.hints;
    // Unset hints stay off the wire: their MCP defaults differ per hint, so
    // writing e.g. `false` would claim something the author never said.
    if definition.title.is_some()
        || hints.read_only.is_some()
        || hints.destructive.is_some()
        || hints.idempotent.is_some()
        || hints.open_world.is_some()
    {
        tool.annotations = Some(ToolAnnotations::from_raw(
            tool.title.clone(),
            hints.read_only,
            hints.destructive,
            hints.idempotent,
            hints.open_world,
        ));
    }
    tool
}

fn listed_resource(definition: &ResourceDefinition, uri: &str) -> Resource {
    let mut resource = Resource::new(uri, definition.name);
    resource.title = definition.title.map(str::to_string);
    resource.description = description(definition.description);
    resource.mime_type = definition.mime_type.map(str::to_string);
    resource
}

fn listed_template(definition: &ResourceDefinition, template: &str) -> ResourceTemplate {
    let mut listed = ResourceTemplate::new(template, definition.name);
    listed.title = definition.title.map(str::to_string);
    listed.description = description(definition.description);
    listed.mime_type = definition.mime_type.map(str::to_string);
    listed
}

fn listed_prompt(definition: &PromptDefinition) -> Prompt {
    let arguments = definition
        .arguments
        .iter()
        .map(|argument| {
            let mut listed = PromptArgument::new(argument.name).with_required(argument.required);
            if let Some(text) = description(argument.description) {
                listed = listed.with_description(text);
            }
            listed
        })
        .collect::<Vec<_>>();
    let mut prompt = Prompt::new(
        definition.name,
        description(definition.description),
        (!arguments.is_empty()).then_some(arguments),
    );
    if let Some(title) = definition.title {
        prompt = prompt.with_title(title);
    }
    prompt
}
