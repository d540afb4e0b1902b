//! The expansion of `#[mcp_prompt]`: the function itself (parameter
//! attributes removed), and beside it a module of the same name holding the
//! prompt's `ARGUMENTS`, the get adapter and `PROMPT`, submitted to the
//! prompt registry. Every parameter is a prompt argument: a string on the
//! wire, parsed with `FromStr`; `Option<T>` and `#[default(…)]` ones are
//! optional.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::Ident;

use super::options::PromptOptions;
use crate::function::Function;
use crate::registration;

pub fn expand(options: &PromptOptions, function: &mut Function) -> syn::Result<TokenStream> {
    let parameters = registration::take_parameters(function)?;
    let root = registration::module_root(&options.root);
    let prompt = quote!(#root::prompt);
    let function_name = function.name().clone();
    let name = match &options.name {
        Some(name) => name.value(),
        None => function.plain_name(),
    };
    let description = registration::description(&options.description, &function.item.attrs);
    let of = format!("prompt {name}");

    // (Unused by a prompt without arguments.)
    let arguments = match parameters.is_empty() {
        true => Ident::new("_arguments", Span::mixed_site()),
        false => Ident::new("arguments", Span::mixed_site()),
    };
    // Located at the return type, for errors about what it returns.
    let output = Ident::new(
        "output",
        Span::mixed_site().located_at(function.return_span()),
    );
    let get = format_ident!("__mcp_prompt_get");
    let bindings: Vec<Ident> = (0..parameters.len())
        .map(|index| Ident::new(&format!("argument{index}"), Span::mixed_site()))
        .collect();
    let mut listed = Vec::new();
    let mut parse = Vec::new();
    for (parameter, binding) in parameters.iter().zip(&bindings) {
        let (ty, argument_name) = (&parameter.ty, &parameter.name);
        let argument_description = parameter.description();
        let optional = parameter.option_inner();
        let required = optional.is_none() && parameter.default.is_none();
        listed.push(quote! {
            #prompt::PromptParameter {
                name: #argument_name,
                description: #argument_description,
                required: #required,
            }
        });
        // Spanned at the type: one without `FromStr` is reported there.
        let argument = quote!(#root::argument);
        let value = match (optional, &parameter.default) {
            (Some(inner), _) => quote_spanned! {inner.span()=>
                #argument::optional_argument::<#inner>(#of, &#arguments, #argument_name)?
            },
            (None, Some((_, default))) => quote_spanned! {ty.span()=>
                #argument::optional_argument::<#ty>(#of, &#arguments, #argument_name)?
                    .unwrap_or_else(|| #default)
            },
            (None, None) => quote_spanned! {ty.span()=>
                #argument::argument::<#ty>(#of, &#arguments, #argument_name)?
            },
        };
        parse.push(quote!(let #binding: #ty = #value;));
    }
    let await_call = function.is_async().then(|| quote!(.await));
    // Spanned at the return type: a type that gives no messages is reported there.
    let messages = quote_spanned!(function.return_span()=> #prompt::messages_of(#output));

    let mut definition = quote!(#prompt::PromptDefinition::new(
        #name,
        #description,
        ARGUMENTS,
        #get,
    ));
    if let Some(title) = &options.title {
        definition.extend(quote!(.title(#title)));
    }
    definition.extend(registration::completions(&prompt, &parameters));
    definition.extend(registration::defined_at());

    let items = quote! {
        /// The prompt's arguments, as `prompts/list` shows them.
        pub const ARGUMENTS: &[#prompt::PromptParameter] = &[#(#listed),*];

        fn #get(#arguments: #prompt::Arguments) -> #prompt::PromptFuture {
            ::std::boxed::Box::pin(async move {
                #(#parse)*
                let #output = super::#function_name(#(#bindings),*)#await_call;
                #messages
            })
        }
    };
    Ok(registration::module(
        function,
        &root,
        items,
        registration::Definition {
            what: format!("the MCP prompt `{name}`"),
            constant: "PROMPT",
            doc: " The prompt's definition, for an explicit list of prompts.",
            ty: quote!(#prompt::PromptDefinition),
            value: definition,
        },
    ))
}
