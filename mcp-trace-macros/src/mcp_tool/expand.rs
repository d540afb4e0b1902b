//! The expansion of `#[mcp_tool]`: the function itself (parameter attributes
//! removed), and beside it a module of the same name holding the argument
//! struct, the call adapter and `TOOL`, submitted to the tool registry.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};
use syn::{Attribute, Expr, FnArg, Ident, Meta};

use super::options::ToolOptions;
use crate::function::{Function, Returns};

/// What `#[mcp_tool]` cannot register, with errors pointing at the cause.
pub fn validate(function: &Function) -> syn::Result<()> {
    if let Some(receiver) = function.receiver() {
        return Err(syn::Error::new_spanned(
            receiver,
            "#[mcp_tool] registers free functions; a method taking `self` is not supported \
             (call it from a free function)",
        ));
    }
    let generics = &function.item.sig.generics;
    if !generics.params.is_empty() {
        return Err(syn::Error::new_spanned(
            generics,
            "#[mcp_tool] cannot register a generic function: the tool's schema needs concrete types",
        ));
    }
    if let Some(pattern) = function.pattern_arguments().next() {
        return Err(syn::Error::new_spanned(
            &pattern.pat,
            "#[mcp_tool] needs a plain name for every parameter: it is the argument's name in the tool's schema",
        ));
    }
    Ok(())
}

pub fn expand(options: &ToolOptions, function: &mut Function) -> syn::Result<TokenStream> {
    let fields = take_parameter_attributes(function)?;
    let tool = quote!(::mcp_trace_runtime::tool);
    let private = quote!(::mcp_trace_runtime::__private);
    let function_name = function.name().clone();
    let vis = &function.item.vis;
    let name = match &options.name {
        Some(name) => name.value(),
        None => function.plain_name(),
    };
    let description = match &options.description {
        Some(description) => description.value(),
        None => doc_text(&function.item.attrs),
    };

    let of = format!("tool {name}");
    let arguments_struct = format_ident!("__McpToolArguments");
    let call = format_ident!("__mcp_tool_call");
    let struct_fields = fields.iter().map(|field| {
        let Field {
            ident,
            ty,
            docs,
            default_fn,
            ..
        } = field;
        let default = default_fn.as_ref().map(|default_fn| {
            let path = default_fn.to_string();
            quote!(#[serde(default = #path)])
        });
        quote! {
            #(#docs)*
            #default
            pub #ident: #ty,
        }
    });
    let default_fns = fields.iter().filter_map(|field| {
        let default_fn = field.default_fn.as_ref()?;
        let (ty, value) = (&field.ty, field.default.as_ref()?);
        Some(quote!(fn #default_fn() -> #ty { #value }))
    });
    let names: Vec<&Ident> = fields.iter().map(|field| &field.ident).collect();
    // Bound under our own names: a parameter called like one of the module's
    // items (`TOOL`) would otherwise be read as that item in a pattern.
    let bindings: Vec<Ident> = (0..fields.len())
        .map(|index| Ident::new(&format!("argument{index}"), Span::mixed_site()))
        .collect();

    let arguments = Ident::new("arguments", Span::mixed_site());
    let output = Ident::new("output", Span::mixed_site());
    let await_call = function.is_async().then(|| quote!(.await));
    let to_output = match function.returns() {
        Returns::Result => quote!(#tool::output_of_result(#output)),
        _ => quote!(#tool::output_of(#output)),
    };

    let mut definition = quote!(#tool::ToolDefinition::new(
        #name,
        #description,
        #tool::schema_for::<#arguments_struct>,
        #call,
    ));
    if let Some(title) = &options.title {
        definition.extend(quote!(.title(#title)));
    }
    let hints = [
        ("read_only", options.read_only),
        ("destructive", options.destructive),
        ("idempotent", options.idempotent),
        ("open_world", options.open_world),
    ];
    if hints.iter().any(|(_, value)| value.is_some()) {
        let setters = hints.iter().filter_map(|(hint, value)| {
            let (hint, value) = (Ident::new(hint, Span::call_site()), (*value)?);
            Some(quote!(.#hint(#value)))
        });
        definition.extend(quote!(.hints(#tool::ToolHints::NONE #(#setters)*)));
    }

    let item = &function.item;
    let module_doc = format!("Registration of [`{function_name}`] as the MCP tool `{name}`.");
    Ok(quote! {
        #item

        #[doc = #module_doc]
        #[allow(non_snake_case)]
        #vis mod #function_name {
            #[allow(unused_imports)]
            use super::*;

            #[doc(hidden)]
            #[derive(#private::serde::Deserialize, #private::schemars::JsonSchema)]
            #[serde(crate = "::mcp_trace_runtime::__private::serde")]
            #[schemars(crate = "::mcp_trace_runtime::__private::schemars")]
            pub struct #arguments_struct {
                #(#struct_fields)*
            }
            #(#default_fns)*

            fn #call(#arguments: #tool::Arguments) -> #tool::ToolFuture {
                ::std::boxed::Box::pin(async move {
                    let #arguments_struct { #(#names: #bindings),* } =
                        #tool::parse_arguments(#of, #arguments)?;
                    let #output = super::#function_name(#(#bindings),*)#await_call;
                    ::std::result::Result::Ok(#to_output)
                })
            }

            /// The tool's definition, for an explicit list of tools.
            pub const TOOL: #tool::ToolDefinition = #definition;

            #private::inventory::submit!(TOOL);
        }
    })
}

struct Field {
    ident: Ident,
    ty: syn::Type,
    docs: Vec<Attribute>,
    default: Option<Expr>,
    default_fn: Option<Ident>,
}

/// Removes `#[doc]` and `#[default(…)]` from the parameters (Rust accepts
/// neither there) and returns them as the argument struct's fields.
fn take_parameter_attributes(function: &mut Function) -> syn::Result<Vec<Field>> {
    let mut fields = Vec::new();
    for input in function.item.sig.inputs.iter_mut() {
        let FnArg::Typed(typed) = input else { continue };
        let syn::Pat::Ident(pat) = &*typed.pat else {
            continue;
        };
        let ident = pat.ident.clone();
        let mut docs = Vec::new();
        let mut default = None;
        let mut kept = Vec::new();
        for attribute in typed.attrs.drain(..) {
            if attribute.path().is_ident("doc") {
                docs.push(attribute);
            } else if attribute.path().is_ident("default") {
                let Meta::List(list) = &attribute.meta else {
                    return Err(syn::Error::new_spanned(
                        &attribute,
                        "write the default value in parentheses: #[default(3)]",
                    ));
                };
                default = Some(list.parse_args::<Expr>()?);
            } else {
                kept.push(attribute);
            }
        }
        typed.attrs = kept;
        let default_fn = default
            .as_ref()
            .map(|_| format_ident!("__mcp_tool_default_{}", ident));
        fields.push(Field {
            ident,
            ty: (*typed.ty).clone(),
            docs,
            default,
            default_fn,
        });
    }
    Ok(fields)
}

/// The doc comment's text, lines joined, as MCP descriptions expect.
fn doc_text(attributes: &[Attribute]) -> String {
    let lines: Vec<String> = attributes
        .iter()
        .filter(|attribute| attribute.path().is_ident("doc"))
        .filter_map(|attribute| match &attribute.meta {
            Meta::NameValue(name_value) => match &name_value.value {
                Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(text),
                    ..
                }) => Some(text.value()),
                _ => None,
            },
            _ => None,
        })
        .map(|line| {
            line.strip_prefix(' ')
                .unwrap_or(&line)
                .trim_end()
                .to_string()
        })
        .collect();
    lines.join("\n").trim().to_string()
}
