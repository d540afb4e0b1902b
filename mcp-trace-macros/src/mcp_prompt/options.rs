//! `#[mcp_prompt(…)]` options, parsed into a plain struct.

use proc_macro2::TokenStream;
use syn::LitStr;

use crate::registration::{self, string, unknown};
use crate::root::Root;
use crate::stack::Layer;

#[derive(Default)]
pub struct PromptOptions {
    pub name: Option<LitStr>,
    pub title: Option<LitStr>,
    pub description: Option<LitStr>,
    /// `crate = path`: the root of the emitted paths.
    pub root: Option<Root>,
}

impl registration::Options for PromptOptions {
    fn root(&self) -> &Option<Root> {
        &self.root
    }

    fn parse(args: TokenStream) -> syn::Result<PromptOptions> {
        let mut options = PromptOptions::default();
        let parser = syn::meta::parser(|meta| {
            match meta
                .path
                .get_ident()
                .map(|ident| ident.to_string())
                .as_deref()
            {
                Some("name") => string(&meta, &mut options.name),
                Some("crate") => Root::parse(&meta, &mut options.root),
                Some("title") => string(&meta, &mut options.title),
                Some("description") => string(&meta, &mut options.description),
                _ => Err(unknown(
                    &meta,
                    Layer::McpPrompt,
                    "name = \"…\", title = \"…\", description = \"…\"",
                )),
            }
        });
        syn::parse::Parser::parse2(parser, args)?;
        Ok(options)
    }
}
