//! The order of the decorator stack, checked at compile time.
//!
//! An attribute macro sees the attributes written below it. `#[mcp_tool]`
//! must be outermost and `#[with_otel_headers]` must come before `#[observe]`
//! — the caller's context has to be entered before the observation span
//! opens, or the span is an orphan (what the Python stack silently does).

use syn::Attribute;

/// The three macros, in the order they must be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Layer {
    McpTool,
    WithOtelHeaders,
    Observe,
}

impl Layer {
    pub fn name(self) -> &'static str {
        match self {
            Layer::McpTool => "mcp_tool",
            Layer::WithOtelHeaders => "with_otel_headers",
            Layer::Observe => "observe",
        }
    }

    /// Which layer `attribute` is, judged by the last segment of its path.
    pub fn of(attribute: &Attribute) -> Option<Layer> {
        let ident = &attribute.path().segments.last()?.ident;
        [Layer::McpTool, Layer::WithOtelHeaders, Layer::Observe]
            .into_iter()
            .find(|layer| ident == layer.name())
    }
}

/// Fails when an attribute below `current` belongs above it.
pub fn check_below(current: Layer, attributes_below: &[Attribute]) -> syn::Result<()> {
    for attribute in attributes_below {
        match Layer::of(attribute) {
            Some(below) if below < current => {
                return Err(syn::Error::new_spanned(
                    attribute,
                    format!(
                        "#[{}] must be written above #[{}]: the stack is \
                         #[mcp_tool], then #[with_otel_headers], then #[observe] \
                         (registration, then the caller's context, then the span inside it)",
                        below.name(),
                        current.name()
                    ),
                ))
            }
            Some(below) if below == current => {
                return Err(syn::Error::new_spanned(
                    attribute,
                    format!("#[{}] is applied twice", current.name()),
                ))
            }
            _ => {}
        }
    }
    Ok(())
}
