//! The order of the decorator stack, checked at compile time.
//!
//! A registration — `#[mcp_tool]`, `#[mcp_resource]` or `#[mcp_prompt]`,
//! one of them, once — must be outermost, and `#[with_otel_headers]` must
//! come before `#[observe]` — the caller's context has to be entered before the
//! observation span opens, or the span is an orphan (what the Python stack
//! silently does).
//!
//! Attribute macros expand outermost first, so each macro sees two things:
//!
//! - the attributes written below it, recognised by the last segment of
//!   their path ([`check_below`]). A macro imported under another name
//!   (`use mcp_trace_runtime::with_otel_headers as ctx;`) escapes this;
//! - what the macros written above it emitted, recognised by the shape of
//!   their expansion, whatever name they were invoked under
//!   ([`expanded_above`]). These markers cost nothing: they are the code the
//!   expansions contain anyway, under whatever root their paths start with
//!   (`::mcp_trace_runtime`, or what `crate = …` gave, see `root`) —
//!   - `#[observe]`: a body whose first statement is
//!     `let observation = ROOT::observe::Observation::start…(…);`
//!   - `#[with_otel_headers]` alone: a body that is exactly
//!     `ROOT::scope::in_caller_context(async move { … }).await`
//!     or `let _caller_context = ROOT::scope::enter_caller_context(); { … }`,
//!     from which [`caller_context_body`] gives the original block back, and
//!     the root, which the `#[observe]` taking the body back adopts when it
//!     has no `crate = …` of its own;
//!   - `#[with_otel_headers]` handing off to an `#[observe]` below it: that
//!     attribute now carries the hidden option `__in_caller_context`.
//!
//! Between the two, every wrong order is refused whichever macro is renamed,
//! and `#[observe]` under a renamed `#[with_otel_headers]` unwraps it and
//! opens its span in the caller's context, exactly as in the hand-off.
//! The registration macros need no marker for the order: nothing may be
//! written above them. A second registration below a first is refused by the
//! first when it recognises the attribute; imported under another name it is
//! not recognised, and rustc refuses the two modules of the function's name
//! the two expansions emit.

use proc_macro2::{TokenStream, TokenTree};
use quote::quote;
use syn::{parse_quote, Attribute, Block, Expr, Meta, Pat, Stmt};

use crate::function::Function;
use crate::observe::IN_CALLER_CONTEXT;
use crate::root::Root;

/// The macros of the stack: one registration, then `WithOtelHeaders`, then
/// `Observe` ([`Layer::rank`] orders them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layer {
    McpTool,
    McpResource,
    McpPrompt,
    WithOtelHeaders,
    Observe,
}

impl Layer {
    pub const ALL: [Layer; 5] = [
        Layer::McpTool,
        Layer::McpResource,
        Layer::McpPrompt,
        Layer::WithOtelHeaders,
        Layer::Observe,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Layer::McpTool => "mcp_tool",
            Layer::McpResource => "mcp_resource",
            Layer::McpPrompt => "mcp_prompt",
            Layer::WithOtelHeaders => "with_otel_headers",
            Layer::Observe => "observe",
        }
    }

    /// Where it goes in the stack: registrations (0) above
    /// `#[with_otel_headers]` (1) above `#[observe]` (2).
    pub fn rank(self) -> u8 {
        match self {
            Layer::McpTool | Layer::McpResource | Layer::McpPrompt => 0,
            Layer::WithOtelHeaders => 1,
            Layer::Observe => 2,
        }
    }

    /// One of the macros that register the function with the MCP server.
    pub fn is_registration(self) -> bool {
        self.rank() == 0
    }

    /// What it registers the function as.
    pub fn registers(self) -> &'static str {
        match self {
            Layer::McpTool => "tool",
            Layer::McpResource => "resource",
            Layer::McpPrompt => "prompt",
            Layer::WithOtelHeaders | Layer::Observe => "",
        }
    }

    /// Which layer `attribute` is, judged by the last segment of its path.
    pub fn of(attribute: &Attribute) -> Option<Layer> {
        let ident = &attribute.path().segments.last()?.ident;
        Layer::ALL.into_iter().find(|layer| ident == layer.name())
    }
}

/// Checks the stack from both sides: the attributes below `current`, and
/// the expansions of the macros above it.
pub fn check(current: Layer, function: &Function) -> syn::Result<()> {
    check_below(current, &function.item.attrs)?;
    match expanded_above(function) {
        Some(above) if above.rank() > current.rank() => Err(syn::Error::new(
            proc_macro2::Span::call_site(),
            wrong_order(current, above),
        )),
        Some(above) if above == current => Err(syn::Error::new(
            proc_macro2::Span::call_site(),
            format!("#[{}] is applied twice", current.name()),
        )),
        _ => Ok(()),
    }
}

/// Fails when an attribute below `current` belongs above it.
pub fn check_below(current: Layer, attributes_below: &[Attribute]) -> syn::Result<()> {
    for attribute in attributes_below {
        match Layer::of(attribute) {
            Some(below) if below.rank() < current.rank() => {
                return Err(syn::Error::new_spanned(
                    attribute,
                    wrong_order(below, current),
                ))
            }
            Some(below) if below != current && below.is_registration() && current.is_registration() => {
                return Err(syn::Error::new_spanned(
                    attribute,
                    format!(
                        "#[{}] below #[{}]: a function registers once, as one tool, resource or prompt \
                         (write a second function for the other)",
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

fn wrong_order(upper: Layer, lower: Layer) -> String {
    format!(
        "#[{}] must be written above #[{}]: the stack is \
         #[mcp_tool] (or #[mcp_resource], #[mcp_prompt]), then #[with_otel_headers], then #[observe] \
         (registration, then the caller's context, then the span inside it)",
        upper.name(),
        lower.name()
    )
}

/// The macro written above whose expansion `function` is, if any (the
/// markers are described in the module documentation).
pub fn expanded_above(function: &Function) -> Option<Layer> {
    if is_observation(&function.item.block) {
        Some(Layer::Observe)
    } else if caller_context_body(function).is_some()
        || function.item.attrs.iter().any(is_handed_off)
    {
        Some(Layer::WithOtelHeaders)
    } else {
        None
    }
}

/// `#[observe]`'s expansion: it starts with
/// `let observation = ROOT::observe::Observation::start…(…);`.
fn is_observation(block: &Block) -> bool {
    let Some(Stmt::Local(local)) = block.stmts.first() else {
        return false;
    };
    let Pat::Ident(binding) = &local.pat else {
        return false;
    };
    let Some(Expr::Call(call)) = local.init.as_ref().map(|init| &*init.expr) else {
        return false;
    };
    binding.ident == "observation"
        && (is_runtime_path(&call.func, &["observe", "Observation", "start"]).is_some()
            || is_runtime_path(
                &call.func,
                &["observe", "Observation", "start_in_caller_context"],
            )
            .is_some())
}

/// The original body of a function `#[with_otel_headers]` wrapped by itself
/// (see `with_otel_headers::expand` and `Function::async_body`):
/// `in_caller_context(async move { let _value: T = BODY; _value }).await`,
/// `in_caller_context(async move BODY).await` when `T` is opaque, or
/// `let _caller_context = enter_caller_context(); BODY`; with the root the
/// wrapping's paths start with.
pub fn caller_context_body(function: &Function) -> Option<(Block, Root)> {
    let stmts = function.item.block.stmts.as_slice();
    if function.is_async() {
        let [Stmt::Expr(Expr::Await(awaited), None)] = stmts else {
            return None;
        };
        let Expr::Call(call) = &*awaited.base else {
            return None;
        };
        let root = is_runtime_path(&call.func, &["scope", "in_caller_context"])?;
        let (Some(Expr::Async(future)), 1) = (call.args.first(), call.args.len()) else {
            return None;
        };
        if function.nameable_return_type().is_none() {
            return Some((future.block.clone(), root));
        }
        let [Stmt::Local(local), Stmt::Expr(Expr::Path(value), None)] =
            future.block.stmts.as_slice()
        else {
            return None;
        };
        match local.init.as_ref().map(|init| &*init.expr) {
            Some(Expr::Block(body)) if value.path.is_ident("_value") && body.attrs.is_empty() => {
                Some((body.block.clone(), root))
            }
            _ => None,
        }
    } else {
        let [Stmt::Local(local), Stmt::Expr(Expr::Block(body), None)] = stmts else {
            return None;
        };
        let Pat::Ident(binding) = &local.pat else {
            return None;
        };
        let Some(Expr::Call(call)) = local.init.as_ref().map(|init| &*init.expr) else {
            return None;
        };
        let root = is_runtime_path(&call.func, &["scope", "enter_caller_context"])?;
        (binding.ident == "_caller_context" && call.args.is_empty() && body.attrs.is_empty())
            .then(|| (body.block.clone(), root))
    }
}

/// An `#[observe(…, __in_caller_context)]` below: a `#[with_otel_headers]`
/// above handed its job to it.
fn is_handed_off(attribute: &Attribute) -> bool {
    let Meta::List(list) = &attribute.meta else {
        return false;
    };
    Layer::of(attribute) == Some(Layer::Observe)
        && list
            .tokens
            .clone()
            .into_iter()
            .any(|token| matches!(token, TokenTree::Ident(ident) if ident == IN_CALLER_CONTEXT))
}

/// `ROOT::<segments…>`, as the expansions spell it: the root (any path of
/// one segment or more, without generic arguments) when `expr` is one.
fn is_runtime_path(expr: &Expr, segments: &[&str]) -> Option<Root> {
    let Expr::Path(path) = expr else {
        return None;
    };
    let (path, count) = (&path.path, path.path.segments.len());
    if count <= segments.len()
        || path
            .segments
            .iter()
            .any(|segment| !segment.arguments.is_none())
        || !path
            .segments
            .iter()
            .skip(count - segments.len())
            .zip(segments)
            .all(|(segment, expected)| segment.ident == expected)
    {
        return None;
    }
    let mut root = path.clone();
    root.segments = path
        .segments
        .iter()
        .take(count - segments.len())
        .cloned()
        .collect();
    Some(Root::from_prefix(root))
}

/// `attribute` with `option` appended to its options (`#[path(…, option)]`).
pub fn with_option(attribute: &Attribute, option: TokenStream) -> Attribute {
    let path = attribute.path();
    match &attribute.meta {
        Meta::List(list) if !list.tokens.is_empty() => {
            let tokens = &list.tokens;
            let ends_with_comma = matches!(
                list.tokens.clone().into_iter().last(),
                Some(TokenTree::Punct(punct)) if punct.as_char() == ','
            );
            let comma = (!ends_with_comma).then(|| quote!(,));
            parse_quote!(#[#path(#tokens #comma #option)])
        }
        _ => parse_quote!(#[#path(#option)]),
    }
}

#[cfg(test)]
mod tests;
