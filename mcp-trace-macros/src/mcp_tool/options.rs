//! `#[mcp_tool(…)]` options, parsed into a plain struct.

use proc_macro2::TokenStream;
use syn::LitStr;

use crate::registration::{self, flag, string, unknown};
use crate::root::Root;
use crate::stack::Layer;

#[derive(Default)]
pub struct ToolOptions {
    pub name: Option<LitStr>,
    pub description: Option<LitStr>,
    pub title: Option<LitStr>,
    pub read_only: Option<bool>,
    pub destructive: Option<bool>,
    pub idempotent: Option<bool>,
    pub open_world: Option<bool>,
    /// Refuse arguments the tool does not take (`additionalProperties: false`).
    pub deny_unknown_arguments: Option<bool>,
    /// `crate = path`: the root of the emitted paths.
    pub root: Option<Root>,
}

impl registration::Options for ToolOptions {
    fn root(&self) -> &Option<Root> {
        &self.root
    }

    fn parse(args: TokenStream) -> syn::Result<ToolOptions> {
        let mut options = ToolOptions::default();
        // A hint or flag alone means true; `hint = false` says false explicitly.
        let parser =
            syn::meta::parser(|meta| {
                match meta.path.get_ident().map(|ident| ident.to_string()).as_deref() {
                Some("name") => string(&meta, &mut options.name),
                Some("crate") => Root::parse(&meta, &mut options.root),
                Some("description") => string(&meta, &mut options.description),
                Some("title") => string(&meta, &mut options.title),
                Some("read_only") => flag(&meta, &mut options.read_only),
                Some("destructive") => flag(&meta, &mut options.destructive),
                Some("idempotent") => flag(&meta, &mut options.idempotent),
                Some("open_world") => flag(&meta, &mut options.open_world),
                Some("deny_unknown_arguments") => flag(&meta, &mut options.deny_unknown_arguments),
                _ => Err(unknown(
                    &meta,
                    Layer::McpTool,
                    "name = \"…\", description = \"…\", title = \"…\", read_only, destructive, \
                     idempotent, open_world, deny_unknown_arguments",
                )),
            }
            });
        syn::parse::Parser::parse2(parser, args)?;
        Ok(options)
    }
}
