//! The expansion of `#[mcp_tool]`: the function itself (parameter attributes
//! removed), and beside it a module of the same name holding the argument
//! struct, the call adapter, the output schema and `TOOL`, submitted to the
//! tool registry.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};
use syn::Ident;

use super::options::ToolOptions;
use crate::function::{Function, Returns};
use crate::registration::{self, Parameter};

pub fn expand(options: &ToolOptions, function: &mut Function) -> syn::Result<TokenStream> {
    let parameters = registration::take_parameters(function)?;
    for parameter in &parameters {
        registration::refuse(
            parameter.complete.as_ref().map(|(attribute, _)| attribute),
            "#[complete] is for prompt arguments and resource template variables: \
             MCP completes no tool arguments",
        )?;
    }
    let root = registration::module_root(&options.root);
    let tool = quote!(#root::tool);
    let private = root.private();
    let function_name = function.name().clone();
    let name = match &options.name {
        Some(name) => name.value(),
        None => function.plain_name(),
    };
    let description = registration::description(&options.description, &function.item.attrs);

    let of = format!("tool {name}");
    let arguments_struct = format_ident!("__McpToolArguments");
    let call = format_ident!("__mcp_tool_call");
    let default_fn =
        |parameter: &Parameter| format_ident!("__mcp_tool_default_{}", parameter.ident);
    let struct_fields = parameters.iter().map(|parameter| {
        let Parameter {
            ident, ty, docs, ..
        } = parameter;
        let default = parameter.default.as_ref().map(|_| {
            let path = default_fn(parameter).to_string();
            quote!(#[serde(default = #path)])
        });
        let rename = parameter.rename.as_ref().map(|_| {
            let name = &parameter.name;
            quote!(#[serde(rename = #name)])
        });
        quote! {
            #(#docs)*
            #default
            #rename
            pub #ident: #ty,
        }
    });
    let default_fns = parameters.iter().filter_map(|parameter| {
        let (_, value) = parameter.default.as_ref()?;
        let (ty, default_fn) = (&parameter.ty, default_fn(parameter));
        Some(quote!(fn #default_fn() -> #ty { #value }))
    });
    let deny_unknown = (options.deny_unknown_arguments == Some(true))
        .then(|| quote!(#[serde(deny_unknown_fields)]));
    let names: Vec<&Ident> = parameters
        .iter()
        .map(|parameter| &parameter.ident)
        .collect();
    // Bound under our own names: a parameter called like one of the module's
    // items (`TOOL`) would otherwise be read as that item in a pattern.
    let bindings: Vec<Ident> = (0..parameters.len())
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
    // The output schema, from the value the tool gives (its return type, or
    // the `Ok` type of a `Result`), when that type has one.
    let output_schema = function.value_type().map(|ty| {
        let schema_fn = format_ident!("__mcp_tool_output_schema");
        definition.extend(quote!(.output_schema(#schema_fn)));
        quote! {
            fn #schema_fn() -> ::std::option::Option<#tool::JsonObject> {
                use #tool::{WithOutputSchema as _, WithoutOutputSchema as _};
                (&#tool::OutputSchema::<#ty>::new()).get()
            }
        }
    });
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
    definition.extend(registration::defined_at());

    // serde and schemars take their paths as strings, which a root holding
    // `$crate` cannot be written in: they reach them through this alias.
    let alias = Ident::new("__private", Span::call_site());
    let items = quote! {
        use #private as #alias;
        #[doc(hidden)]
        #[derive(#alias::serde::Deserialize, #alias::schemars::JsonSchema)]
        #[serde(crate = "self::__private::serde")]
        #deny_unknown
        #[schemars(crate = "self::__private::schemars")]
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
        #output_schema

    };
    Ok(registration::module(
        function,
        &root,
        items,
        registration::Definition {
            what: format!("the MCP tool `{name}`"),
            constant: "TOOL",
            doc: " The tool's definition, for an explicit list of tools.",
            ty: quote!(#tool::ToolDefinition),
            value: definition,
        },
    ))
}
