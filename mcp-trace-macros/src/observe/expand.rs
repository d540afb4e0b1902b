//! The expansion of `#[observe]`: start the observation, record the input
//! and metadata, run the body inside it and record the outcome. Everything
//! else happens in `mcp_trace_runtime::observe`.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::{Ident, ReturnType, Type, TypeImplTrait, TypeParamBound};

use super::options::ObserveOptions;
use crate::function::{Function, Returns};
use crate::root::Root;

pub fn expand(options: &ObserveOptions, function: &Function) -> syn::Result<TokenStream> {
    // Our locals are invisible to the user's body (mixed-site hygiene).
    let observation = Ident::new("observation", Span::mixed_site());
    let input = Ident::new("input", Span::mixed_site());
    let root = Root::or_default(&options.root);
    let api = quote!(#root::observe);

    let name = match &options.name {
        Some(name) => quote!(#name),
        None => {
            let name = function.plain_name();
            quote!(#name)
        }
    };
    let mut observe_options = quote!(#api::ObserveOptions::new(#name));
    if let Some(variant) = &options.as_type {
        observe_options.extend(quote!(.as_type(#api::ObservationType::#variant)));
    }
    if options.capture_input == Some(false) {
        observe_options.extend(quote!(.capture_input(false)));
    }
    if options.capture_output == Some(false) {
        observe_options.extend(quote!(.capture_output(false)));
    }
    let start = if options.in_caller_context {
        quote!(start_in_caller_context)
    } else {
        quote!(start)
    };

    let record_input = record_input(options, function, &observation, &input)?;
    let record_metadata = options.metadata.iter().map(|(key, value)| {
        let key = syn::ext::IdentExt::unraw(key).to_string();
        quote!(#observation.record_metadata(#key, &(#value));)
    });
    let run = run(options, function, &observation)?;

    Ok(function.with_body(quote! {
        let #observation = #api::Observation::#start(&#observe_options);
        #record_input
        #(#record_metadata)*
        #run
    }))
}

fn record_input(
    options: &ObserveOptions,
    function: &Function,
    observation: &Ident,
    input: &Ident,
) -> syn::Result<TokenStream> {
    let arguments = function.arguments();
    for skipped in &options.skip {
        if !arguments.iter().any(|argument| argument.ident == skipped) {
            return Err(syn::Error::new(
                skipped.span(),
                format!("#[observe(skip(…))] names `{skipped}`, which is not an argument of this function"),
            ));
        }
    }
    if options.skip_all || options.capture_input == Some(false) {
        return Ok(TokenStream::new());
    }
    let recorded: Vec<TokenStream> = arguments
        .iter()
        .filter(|argument| !options.skip.contains(argument.ident))
        .map(|argument| {
            let ident = argument.ident;
            let name = syn::ext::IdentExt::unraw(ident).to_string();
            // Spanned at the argument so a non-Serialize type is reported there.
            quote_spanned!(argument.span=> #input.arg(#name, &#ident);)
        })
        .collect();
    if recorded.is_empty() {
        return Ok(TokenStream::new());
    }
    Ok(quote! {
        #observation.record_input(|#input| {
            #(#recorded)*
        });
    })
}

fn run(
    options: &ObserveOptions,
    function: &Function,
    observation: &Ident,
) -> syn::Result<TokenStream> {
    let block = &function.item.block;
    if options.stream {
        if function.is_async() {
            return Err(syn::Error::new_spanned(
                function.item.sig.asyncness,
                "#[observe(stream)] applies to a sync function returning `impl Iterator` or `impl Stream`; \
                 an `async fn` returning a stream is not supported",
            ));
        }
        let method = match stream_kind(&function.item.sig.output) {
            Some(StreamKind::Iterator) => quote!(run_iter),
            Some(StreamKind::Stream) => quote!(run_stream),
            None => {
                return Err(syn::Error::new_spanned(
                    &function.item.sig.output,
                    "#[observe(stream)] needs a return type `impl Iterator<Item = …>` or `impl Stream<Item = …>`",
                ))
            }
        };
        return Ok(quote!(#observation.#method(move || #block)));
    }
    // Spanned at the return type, so a non-Serialize output is reported there.
    let output_span = match &function.item.sig.output {
        ReturnType::Type(_, ty) => syn::spanned::Spanned::span(&**ty),
        ReturnType::Default => proc_macro2::Span::call_site(),
    };
    let root = Root::or_default(&options.root).spanned(output_span);
    let api = quote_spanned!(output_span=> #root::observe::Observation);
    let recorder = match (function.returns(), options.capture_output != Some(false)) {
        (Returns::Result, true) => quote!(record_result),
        (Returns::Result, false) => quote!(record_err),
        (Returns::Value, true) => quote!(record_output),
        (Returns::Value, false) | (Returns::Unit, _) | (Returns::Opaque, _) => {
            quote!(record_nothing)
        }
    };
    let outcome = quote_spanned!(output_span=> #api::#recorder);
    Ok(if function.is_async() {
        let body = function.async_body();
        quote!(#observation.run_async(#body, #outcome).await)
    } else {
        let output = function.closure_return();
        quote!(#observation.run(move || #output #block, #outcome))
    })
}

enum StreamKind {
    Iterator,
    Stream,
}

fn stream_kind(output: &ReturnType) -> Option<StreamKind> {
    let ReturnType::Type(_, ty) = output else {
        return None;
    };
    let Type::ImplTrait(TypeImplTrait { bounds, .. }) = &**ty else {
        return None;
    };
    bounds.iter().find_map(|bound| {
        let TypeParamBound::Trait(bound) = bound else {
            return None;
        };
        let ident = &bound.path.segments.last()?.ident;
        if ident == "Iterator" {
            Some(StreamKind::Iterator)
        } else if ident == "Stream" {
            Some(StreamKind::Stream)
        } else {
            None
        }
    })
}
