//! `#[observe(…)]` options, parsed into a plain struct.

use proc_macro2::TokenStream;
use syn::{Expr, Ident, LitBool, LitStr};

use crate::root::{self, Root};

/// Hidden option `#[with_otel_headers]` adds to an `#[observe]` below it, so
/// the observation opens inside the caller's context. (Under a renamed
/// `#[with_otel_headers]`, `#[observe]` finds its wrapping instead.)
pub const IN_CALLER_CONTEXT: &str = "__in_caller_context";

/// Langfuse observation types, as `as_type` accepts them.
pub const OBSERVATION_TYPES: [(&str, &str); 10] = [
    ("span", "Span"),
    ("generation", "Generation"),
    ("event", "Event"),
    ("agent", "Agent"),
    ("tool", "Tool"),
    ("chain", "Chain"),
    ("retriever", "Retriever"),
    ("evaluator", "Evaluator"),
    ("embedding", "Embedding"),
    ("guardrail", "Guardrail"),
];

#[derive(Default)]
pub struct ObserveOptions {
    pub name: Option<LitStr>,
    /// Variant name of `ObservationType`, when not the default `Span`.
    pub as_type: Option<Ident>,
    pub capture_input: Option<bool>,
    pub capture_output: Option<bool>,
    pub skip: Vec<Ident>,
    pub skip_all: bool,
    pub metadata: Vec<(Ident, Expr)>,
    pub stream: bool,
    pub in_caller_context: bool,
    /// `crate = path`: the root of the emitted paths.
    pub root: Option<Root>,
}

impl ObserveOptions {
    pub fn parse(args: TokenStream) -> syn::Result<ObserveOptions> {
        let mut options = ObserveOptions::default();
        let parser = syn::meta::parser(|meta| {
            let duplicate = || meta.error("this option is given twice");
            if meta.path.is_ident("name") {
                if options.name.is_some() {
                    return Err(duplicate());
                }
                options.name = Some(meta.value()?.parse()?);
            } else if meta.path.is_ident("as_type") {
                if options.as_type.is_some() {
                    return Err(duplicate());
                }
                let value: LitStr = meta.value()?.parse()?;
                let variant = OBSERVATION_TYPES
                    .iter()
                    .find(|(name, _)| *name == value.value())
                    .ok_or_else(|| {
                        let accepted: Vec<&str> =
                            OBSERVATION_TYPES.iter().map(|(n, _)| *n).collect();
                        syn::Error::new(
                            value.span(),
                            format!(
                                "unknown observation type {:?}; accepted: {}",
                                value.value(),
                                accepted.join(", ")
                            ),
                        )
                    })?;
                options.as_type = Some(Ident::new(variant.1, value.span()));
            } else if meta.path.is_ident("capture_input") {
                if options.capture_input.is_some() {
                    return Err(duplicate());
                }
                options.capture_input = Some(meta.value()?.parse::<LitBool>()?.value);
            } else if meta.path.is_ident("capture_output") {
                if options.capture_output.is_some() {
                    return Err(duplicate());
                }
                options.capture_output = Some(meta.value()?.parse::<LitBool>()?.value);
            } else if meta.path.is_ident("skip") {
                meta.parse_nested_meta(|argument| {
                    let ident = argument
                        .path
                        .get_ident()
                        .ok_or_else(|| argument.error("expected an argument name"))?;
                    options.skip.push(ident.clone());
                    Ok(())
                })?;
            } else if meta.path.is_ident("skip_all") {
                options.skip_all = true;
            } else if meta.path.is_ident("metadata") {
                meta.parse_nested_meta(|entry| {
                    let key = entry
                        .path
                        .get_ident()
                        .ok_or_else(|| entry.error("expected `key = expression`"))?
                        .clone();
                    let value: Expr = entry.value()?.parse()?;
                    options.metadata.push((key, value));
                    Ok(())
                })?;
            } else if meta.path.is_ident("stream") {
                options.stream = true;
            } else if meta.path.is_ident(IN_CALLER_CONTEXT) {
                options.in_caller_context = true;
            } else if meta.path.is_ident(root::OPTION) {
                Root::parse(&meta, &mut options.root)?;
            } else {
                return Err(meta.error(format!(
                    "unknown #[observe] option; expected one of: name = \"…\", as_type = \"…\", \
                     capture_input = bool, capture_output = bool, skip(arg, …), skip_all, \
                     metadata(key = expr, …), stream, {}",
                    root::ACCEPTED
                )));
            }
            Ok(())
        });
        syn::parse::Parser::parse2(parser, args)?;
        Ok(options)
    }
}
