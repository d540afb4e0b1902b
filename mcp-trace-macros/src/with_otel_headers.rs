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
//!
//! Its one option, `crate = path`, is the root of the paths it emits; handing
//! off, it gives it to the `#[observe]` below (unless that one has its own),
//! and an `#[observe]` below that takes the body back adopts the root of
//! the wrapping.

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::Ident;

use crate::function::Function;
use crate::observe::IN_CALLER_CONTEXT;
use crate::root::{self, Root};
use crate::stack::{self, Layer};

/// `#[with_otel_headers(…)]` options.
#[derive(Default)]
pub struct ContextOptions {
    /// `crate = path`: the root of the emitted paths.
    pub root: Option<Root>,
}

impl ContextOptions {
    pub fn parse(args: TokenStream) -> syn::Result<ContextOptions> {
        let mut options = ContextOptions::default();
        let parser = syn::meta::parser(|meta| {
            if meta.path.is_ident(root::OPTION) {
                Root::parse(&meta, &mut options.root)
            } else {
                Err(meta.error(format!(
                    "unknown #[with_otel_headers] option; its only option is {}",
                    root::ACCEPTED
                )))
            }
        });
        syn::parse::Parser::parse2(parser, args)?;
        Ok(options)
    }
}

pub fn entry(args: TokenStream, item: TokenStream) -> TokenStream {
    let result = (|| -> syn::Result<TokenStream> {
        let options = ContextOptions::parse(args)?;
        let mut function = Function::parse(Layer::WithOtelHeaders, item.clone())?;
        stack::check(Layer::WithOtelHeaders, &function)?;
        Ok(expand(&options, &mut function))
    })();
    result.unwrap_or_else(|error| {
        let mut tokens = error.to_compile_error();
        tokens.extend(item);
        tokens
    })
}

fn expand(options: &ContextOptions, function: &mut Function) -> TokenStream {
    root::carry(&options.root, &mut function.item.attrs);
    if let Some(observe) = function
        .item
        .attrs
        .iter_mut()
        .find(|attribute| Layer::of(attribute) == Some(Layer::Observe))
    {
        let flag = Ident::new(IN_CALLER_CONTEXT, Span::call_site());
        *observe = stack::with_option(observe, quote!(#flag));
        let item = &function.item;
        return quote!(#item);
    }
    let root = Root::or_default(&options.root);
    let scope = quote!(#root::scope);
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
