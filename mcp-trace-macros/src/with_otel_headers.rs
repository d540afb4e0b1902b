//! `#[with_otel_headers]`: run the body in the caller's trace context.
//!
//! With an `#[observe]` below it, the caller's context must be entered before
//! that observation opens. Wrapping our body would do the opposite (the macro
//! below wraps last, so it runs first), so instead we hand the job to
//! `#[observe]` through its hidden option and emit nothing of our own.
//!
//! An `#[observe]` imported under another name is not recognisable here;
//! then we wrap as when alone, and `#[observe]`, seeing that wrapping in
//! what it receives, takes the body back and opens its span in the caller's
//! context all the same (`stack::caller_context_body`). The shapes emitted
//! below are therefore also the markers `stack` recognises.

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::{parse_quote, Attribute, Ident, Meta};

use crate::function::Function;
use crate::observe::IN_CALLER_CONTEXT;
use crate::stack::{self, Layer};

pub fn entry(args: TokenStream, item: TokenStream) -> TokenStream {
    let result = (|| {
        if !args.is_empty() {
            return Err(syn::Error::new_spanned(
                args,
                "#[with_otel_headers] takes no options",
            ));
        }
        let mut function = Function::parse(Layer::WithOtelHeaders, item.clone())?;
        stack::check(Layer::WithOtelHeaders, &function)?;
        Ok(expand(&mut function))
    })();
    result.unwrap_or_else(|error| {
        let mut tokens = error.to_compile_error();
        tokens.extend(item);
        tokens
    })
}

fn expand(function: &mut Function) -> TokenStream {
    if let Some(observe) = function
        .item
        .attrs
        .iter_mut()
        .find(|attribute| Layer::of(attribute) == Some(Layer::Observe))
    {
        *observe = observe_in_caller_context(observe);
        let item = &function.item;
        return quote!(#item);
    }
    let scope = quote!(::mcp_trace_runtime::scope);
    if function.is_async() {
        let body = function.async_body();
        function.with_body(quote! {
            #scope::in_caller_context(#body).await
        })
    } else {
        let guard = Ident::new("_caller_context", Span::mixed_site());
        let block = &function.item.block;
        function.with_body(quote! {
            let #guard = #scope::enter_caller_context();
            #block
        })
    }
}

fn observe_in_caller_context(observe: &Attribute) -> Attribute {
    let flag = Ident::new(IN_CALLER_CONTEXT, Span::call_site());
    let path = observe.path();
    match &observe.meta {
        Meta::List(list) if !list.tokens.is_empty() => {
            let tokens = &list.tokens;
            let ends_with_comma = matches!(
                list.tokens.clone().into_iter().last(),
                Some(proc_macro2::TokenTree::Punct(punct)) if punct.as_char() == ','
            );
            if ends_with_comma {
                parse_quote!(#[#path(#tokens #flag)])
            } else {
                parse_quote!(#[#path(#tokens, #flag)])
            }
        }
        _ => parse_quote!(#[#path(#flag)]),
    }
}
